"""A misspelt attribute of the client's namespaces (the clients, the APIs, their tags): an AttributeError naming the
closest names, so ``cio.app.custmers`` says "did you mean 'customers'?" and ``cio.aap`` says "did you mean 'app'?".

Raised only from ``__getattr__``, which Python calls after normal lookup has failed: access to existing names never
gets here. Still an AttributeError (with ``name`` and ``obj`` set, as Python's own are), so ``hasattr`` and
``getattr(obj, name, default)`` keep working. The classes define their ``__getattr__`` only outside TYPE_CHECKING:
a type checker must still flag the misspelling instead of typing it ``Any``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

__all__ = ["NamesOnMiss", "no_attribute", "public_names", "suggest"]


def suggest(name: str, names: Iterable[str]) -> str:
    """``"did you mean 'a' or 'b'? "`` (the closest first), or ``""`` when nothing is close."""
    close = difflib.get_close_matches(name, list(names), n=3)
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""


def public_names(obj: object) -> list[str]:
    """What ``dir()`` shows of ``obj`` that a caller may use: no ``_`` names."""
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def no_attribute(
    obj: object, name: str, label: str, *, kind: str = "attribute", names: Iterable[str] | None = None
) -> AttributeError:
    """``label has no <kind> 'name'; did you mean ...? it has: ...``, from the public ones of ``names`` (by default
    ``public_names(obj)``).

    A ``_`` name is a probe (copy, pickle, ``getattr(obj, "_x", None)`` inside the library), never a user's typo:
    it gets the plain message without working out suggestions.
    """
    if name.startswith("_"):
        return AttributeError(f"{label} has no attribute {name!r}", name=name, obj=obj)
    listed = public_names(obj) if names is None else sorted(n for n in names if not n.startswith("_"))
    message = f"{label} has no {kind} {name!r}; {suggest(name, listed)}it has: {', '.join(listed)}"
    return AttributeError(message, name=name, obj=obj)


class NamesOnMiss:
    """For a class without lazily built attributes of its own (the clients): a miss names the closest names."""

    __slots__ = ()

    if not TYPE_CHECKING:  # type checkers must still flag a misspelt attribute

        def __getattr__(self, name: str) -> Any:
            raise no_attribute(self, name, type(self).__name__)
