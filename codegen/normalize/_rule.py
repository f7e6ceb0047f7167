"""What a normalization rule is: a named function from a spec to the changes it made in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]


@dataclass(frozen=True)
class Change:
    rule: str
    pointer: str
    detail: str


RuleFunc = Callable[[Spec], list[Change]]


@dataclass(frozen=True)
class Rule:
    name: str
    func: RuleFunc

    @property
    def why(self) -> str:
        return (self.func.__doc__ or "").strip().splitlines()[0]

    def __call__(self, spec: Spec) -> list[Change]:
        return self.func(spec)


def rule(name: str) -> Callable[[RuleFunc], Rule]:
    """Name a rule function; ``normalize.RULES`` lists the rules in the order they run."""

    def wrap(func: RuleFunc) -> Rule:
        return Rule(name, func)

    return wrap
