"""The operation commands, read at run time from the generated index and the generated operation modules.

Nothing here names an operation: the APIs, tags and operations come from each package's ``_index`` (through the
façade, which loads it), and an operation's arguments from its generated ``_get_kwargs`` signature, so a regenerated
spec brings its new commands with it. Only the tag asked for is imported: ``aiocustomerio app --help`` loads no
operation module, ``aiocustomerio app campaigns --help`` loads that tag's.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import enum
import importlib
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .._binding import OperationInfo
from ..client import CustomerIO

APIS = {
    "track": "Track API: people, events, devices, segments (site id + Track API key)",
    "app": "App API: campaigns, broadcasts, messages, people lookups, exports (App API key)",
    "pipelines": "Pipelines (CDP) API: identify, track, page, screen, group, alias, batch (CDP API key)",
}
BODY = "body"


def cli_name(name: str) -> str:
    """``list_campaigns`` → ``list-campaigns``; ``type_`` → ``type`` (the generator's escape of a keyword)."""
    return name.rstrip("_").replace("_", "-")


def python_name(name: str) -> str:
    return name.replace("-", "_")


@cache
def index(api: str) -> dict[str, dict[str, OperationInfo]]:
    # The façade's own reading of the generated index (no credentials, no environment: nothing is sent).
    loaded: dict[str, dict[str, OperationInfo]] = CustomerIO(env={}).apis()[api].index
    return loaded


def _index_module(api: str) -> types.ModuleType | None:
    modules = [info.module for ops in index(api).values() for info in ops.values()]
    return importlib.import_module(modules[0].split(".", 1)[0] + "._index") if modules else None


@cache
def tag_summaries(api: str) -> dict[str, str]:
    """Each tag's one-line summary, from the spec's tag descriptions (the `TAGS` of the package's `_index`)."""
    found = getattr(_index_module(api), "TAGS", {})
    return {str(tag): str(text) for tag, text in found.items()}


def parameter_help(info: OperationInfo) -> dict[str, str]:
    """Generated parameter → the first sentence of its spec description (the `HELP` of the package's `_index`)."""
    found = getattr(_index_module(info.api), "HELP", {})
    return {str(name): str(text) for name, text in found.get(info.tag, {}).get(info.name, {}).items()}


def _joined(sentence: str, more: str) -> str:
    """The spec's sentence, then what the generated docstring adds (a default): ``Per page. Default: 50.``"""
    if not sentence:
        return more
    sentence = sentence if sentence.endswith((".", "…", "?", "!")) else sentence + "."
    return f"{sentence} {more}" if more and not more.startswith(sentence.rstrip(".")) else sentence


def find(mapping: dict[str, Any], given: str) -> str | None:
    """The key of ``mapping`` that ``given`` names, in snake_case or kebab-case (``sender-identities``)."""
    wanted = python_name(given)
    if wanted in mapping:
        return wanted
    for key in mapping:
        if cli_name(key) == given or key.rstrip("_") == wanted:
            return key
    return None


@dataclass(frozen=True)
class Param:
    """One argument of an operation: a path parameter (positional) or a query/header parameter (a flag)."""

    name: str  # the generated function's keyword
    convert: Callable[[str], Any]
    choices: tuple[str, ...] | None
    required: bool
    many: bool
    type_name: str
    help: str


@dataclass(frozen=True)
class Command:
    info: OperationInfo
    summary: str
    description: str
    path: tuple[Param, ...]
    options: tuple[Param, ...]
    body: str | None  # None (no body), "optional" or "required"

    @property
    def title(self) -> str:
        return f"{self.info.method} {self.info.path}"


def _typed(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A converter whose failure argparse reports as "PARAM: expected <name>, not 'x'" (a usage error)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except (ValueError, TypeError, KeyError):
            raise argparse.ArgumentTypeError(f"expected {name}, not {text!r}") from None

    return convert


def _checked(convert: Callable[[str], Any], check: Callable[[Any], Any]) -> Callable[[str], Any]:
    """``convert``, then the façade's own check of the value (its bounds, a path segment): refused at parsing, so
    argparse names the flag."""

    def run(text: str) -> Any:
        value = convert(text)
        try:
            return check(value)
        except (ValueError, TypeError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return run


def _parse_bool(text: str) -> bool:
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}[text.strip().lower()]


def _parse_datetime(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def _members(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else ()
    found = list(args) if args else [annotation]
    return [m for m in found if m is not type(None) and getattr(m, "__name__", "") != "Unset"]


def _converter(annotation: Any) -> tuple[Callable[[str], Any], tuple[str, ...] | None, bool, str]:
    """(convert one string, enum choices, repeated flag, type name) for a generated parameter annotation."""
    members = _members(annotation)
    for member in members:
        if typing.get_origin(member) is list:
            (inner,) = typing.get_args(member) or (str,)
            convert, choices, _, name = _converter(inner)
            return convert, choices, True, f"{name} (repeatable)"
    for member in members:
        if isinstance(member, type) and issubclass(member, enum.Enum):
            values = {str(m.value): m.value for m in member}
            return _typed("one of " + ", ".join(values), values.__getitem__), tuple(values), False, "choice"
    simple: list[tuple[type, Callable[[str], Any], str]] = [
        (bool, _parse_bool, "true or false"),
        (int, int, "an integer"),
        (float, float, "a number"),
        (_dt.datetime, _parse_datetime, "an ISO 8601 date-time"),
        (str, str, "a string"),
    ]
    for kind, parse, name in simple:
        if kind in members:
            return _typed(name, parse), None, False, name.split(" ", 1)[-1] if kind is not bool else name
    return _typed("JSON", json.loads), None, False, "JSON"


_ARG_DOC = re.compile(r"^\s{4}(\w+) \(([^)]*)\):\s*(.*)$")


def _docs(module: types.ModuleType) -> tuple[str, str, dict[str, str]]:
    """(summary, description, per-argument help) from the generated function's docstring (the spec's words)."""
    doc = inspect.getdoc(module.asyncio_detailed) or ""
    head, _, rest = doc.partition("\nArgs:")
    lines = [line.strip() for line in head.strip().splitlines()]
    summary = lines[0] if lines else ""
    description = "\n".join(lines[1:]).strip()
    args: dict[str, str] = {}
    last = None
    for line in rest.partition("\nRaises:")[0].splitlines():
        match = _ARG_DOC.match(line)
        if match:
            last = match.group(1)
            args[last] = match.group(3).strip()
        elif last is not None and line.startswith(" " * 8) and line.strip():  # the docstring wraps long help
            args[last] = f"{args[last]} {line.strip()}"
    return summary, description, {name: _shell_words(module, text) for name, text in args.items()}


_PYTHON_DEFAULT = re.compile(r"\bDefault: (?:(True|False)|([A-Z]\w*)\.(\w+))\.")


def _shell_words(module: types.ModuleType, text: str) -> str:
    """A generated docstring's Python spellings of a default as the operator types them: ``Default:
    CampaignMetricsPeriod.DAYS.`` → ``Default: days.``, ``Default: False.`` → ``Default: false.``"""

    def value(match: re.Match[str]) -> str:
        if match.group(1):
            return f"Default: {match.group(1).lower()}."
        kind = getattr(module, match.group(2), None)
        member = getattr(kind, match.group(3), None) if isinstance(kind, type) and issubclass(kind, enum.Enum) else None
        return f"Default: {member.value}." if member is not None else match.group(0)

    return _PYTHON_DEFAULT.sub(value, text)


def summary(info: OperationInfo) -> str:
    """The operation's one-line summary: the spec's, from the index (``summary``), loading no operation module."""
    return info.summary


@cache
def command(info: OperationInfo) -> Command:
    module = importlib.import_module(info.module)
    first, description, arg_docs = _docs(module)
    if first and " ".join(first.split()) != info.summary:  # no spec summary: the docstring opens with the description
        description = f"{first}\n{description}".strip()
    spec_help = parameter_help(info)
    signature = inspect.signature(module._get_kwargs, eval_str=True)
    path: list[Param] = []
    options: list[Param] = []
    body: str | None = None
    for name, parameter in signature.parameters.items():
        required = parameter.default is inspect.Parameter.empty
        if name == BODY:
            body = "required" if required else "optional"
            continue
        convert, choices, many, type_name = _converter(parameter.annotation)
        check = info.checks.get(name)
        if check is not None and not many:
            convert = _checked(convert, check)
        help_text = _joined(spec_help.get(name, ""), arg_docs.get(name, ""))
        param = Param(name, convert, choices, required, many, type_name, help_text)
        (path if name in info.path_params else options).append(param)
    order = {name: i for i, name in enumerate(info.path_params)}
    path.sort(key=lambda p: order[p.name])
    return Command(info, info.summary, description, tuple(path), tuple(options), body)
