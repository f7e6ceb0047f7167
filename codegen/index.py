"""The operation index each generated package carries: the façade, the sync client and the CLI read it at run time.

Emitted at generation time from the generated modules (their method, URL and signature) and the normalized spec
(pagination, the unsafe flag, where dedup ids go), so a new operation in a regenerated spec reaches the façade with no
handwritten change.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dedup import body_schema, operation_dedup
from .normalize._walk import iter_operations, resolve
from .normalize.reserved import NAME_KEY, TAG_KEY
from .pagination import Pagination, pagination, parameters, python_name
from .param_types import body_field_types, parameter_types
from .signatures import OperationSource, is_timestamp, models_of, read_operation, union_members
from .unsafe import is_unsafe

# Keyword names every façade method takes besides the operation's own (aiocustomerio._base.RequestOptions, and
# paginate()'s max_items), and ``self``. A spec parameter of one of these names is taken as ``<name>_`` instead
# (as openapi-python-client does for Python keywords: ``type`` → ``type_``); the index records the rename.
OPTION_KEYWORDS = frozenset(
    {"self", "timeout", "extra_headers", "extra_query", "max_retries", "retry_unsafe", "max_items"}
)


def keyword(name: str) -> str:
    """The façade keyword of a generated function's parameter."""
    return f"{name}_" if name in OPTION_KEYWORDS else name


_METHOD = re.compile(r'"method":\s*"(\w+)"')
_URL = re.compile(r'"url":\s*"([^"]+)"')
_PLACEHOLDER = re.compile(r"{([^}]+)}")


def generated_routes(package_dir: Path) -> Iterator[tuple[Path, str, str]]:
    """(module, METHOD, path template) of every endpoint module the generator wrote, read from its ``_get_kwargs``."""
    for module in sorted((package_dir / "api").glob("*/*.py")):
        if module.name == "__init__.py":
            continue
        text = module.read_text()
        method_match, url_match = _METHOD.search(text), _URL.search(text)
        if method_match and url_match:
            yield module, method_match.group(1).upper(), url_match.group(1)


@dataclass
class Entry:
    """One operation as codegen knows it: the spec's view and the generated function's."""

    tag: str
    name: str
    module: str  # dotted import path of the generated module
    method: str
    path: str
    summary: str
    source: OperationSource
    pagination: Pagination | None
    unsafe: bool
    dedup: list[dict[str, Any]] = field(default_factory=list)  # where the façade stamps dedup ids (dedup.py)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)  # what each parameter takes (param_types.py)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # what each top-level body field takes (same)
    help: dict[str, str] = field(default_factory=dict)  # each parameter's first sentence (parameter_help)

    @property
    def path_params(self) -> list[str]:
        """Python names of the path parameters, in the order the path names them."""
        positional = [p.name for p in self.source.params if p.positional]
        order = [python_name(p) for p in _PLACEHOLDER.findall(self.path)]
        return sorted(positional, key=lambda n: order.index(n) if n in order else len(order))

    @property
    def enums(self) -> dict[str, str]:
        """Parameter → generated enum class, for parameters a plain string value is converted for."""
        found = {}
        for param in self.source.params:
            for member in union_members(param.annotation):
                if isinstance(member, ast.Subscript) and getattr(member.value, "id", None) == "list":
                    member = member.slice  # a list of enum values (`kinds: list[Kind]`): converted item by item
                name = getattr(member, "id", None)
                if name in self.source.enum_names:
                    found[param.name] = name
        return found

    @property
    def body(self) -> str | None:
        """``"array"`` or ``"object"``: what the generated function's ``body`` takes (None: no body), so that a body
        of the other shape (a string, a list for an object) is refused with a message instead of an AttributeError
        deep in the generated code."""
        for param in self.source.params:
            if param.name == "body":
                members = [ast.unparse(m) for m in union_members(param.annotation)]
                return "array" if any(m.startswith(("list[", "List[")) for m in members) else "object"
        return None

    @property
    def returns_none(self) -> bool:
        """Whether the operation's result type admits None (a 2xx without a body, or ``Any``); when it does not, a
        2xx the parser does not know (it returns None for it) is refused at run time instead of reaching user code."""
        return any(r in ("None", "Any") for r in self.source.returns)

    @property
    def renamed(self) -> dict[str, str]:
        """Generated parameter → façade keyword, for the parameters whose names a per-call option already takes."""
        names = {p.name for p in self.source.params}
        found = {p.name: keyword(p.name) for p in self.source.params if keyword(p.name) != p.name}
        for name, facade in found.items():
            if facade in names:
                raise ValueError(f"{self.module}: parameter {name!r} would be renamed {facade!r}, which it also has")
        return found

    @property
    def timestamps(self) -> list[str]:
        return [p.name for p in self.source.params if is_timestamp(p)]

    def record(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "method": self.method,
            "path": self.path,
            "path_params": self.path_params,
            "params": [p.name for p in self.source.params if not p.positional],
            "pagination": None if self.pagination is None else self.pagination.record(),
            "items": self.source.items,
            "body": self.body,
            "returns_none": self.returns_none,
            "unsafe": self.unsafe,
            "dedup": self.dedup,
            "enums": self.enums,
            "timestamps": self.timestamps,
            "types": self.types,
            **({"fields": self.fields} if self.fields and self.body == "object" else {}),
            "summary": self.summary,
            **({"renamed": self.renamed} if self.renamed else {}),
        }


def entries(package_dir: Path, spec: dict[str, Any]) -> list[Entry]:
    """Every generated operation, sorted by tag and name."""
    by_route = {(method.upper(), path): op for path, method, op in iter_operations(spec)}
    models = models_of(package_dir)
    found = []
    for module, method, path in generated_routes(package_dir):
        op = by_route.get((method, path), {})
        dotted = ".".join((package_dir.name, "api", module.parent.name, module.stem))
        # A name the façade already uses there (normalize rule reserved-names): the attribute is the escaped one,
        # the module keeps the generator's name.
        tag = str(op.get(TAG_KEY) or module.parent.name)
        name = str(op.get(NAME_KEY) or module.stem)
        source = read_operation(module, models)
        summary = " ".join(str(op.get("summary") or op.get("operationId") or module.stem).split())
        page = pagination(spec, op)
        if page is not None:
            source.items = page.items
        found.append(
            Entry(
                tag,
                name,
                dotted,
                method,
                path,
                summary,
                source,
                page,
                is_unsafe(spec, method, op),
                operation_dedup(spec, op),
                parameter_types(spec, op, source.params, (spec.get("paths") or {}).get(path, {}).get("parameters")),
                body_field_types(spec, body_schema(spec, op)),
                parameter_help(spec, op, source, (spec.get("paths") or {}).get(path, {}).get("parameters")),
            )
        )
    return sorted(found, key=lambda e: (e.tag, e.name))


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_CODE = re.compile(r"`+([^`]*)`+")
# Emphasis only where Markdown sees it: `start_ts` and snake_case names keep their underscores.
_MD_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)])(?<!\be\.g)(?<!\bi\.e)[.:](\s|$)")


def _prose(description: str) -> str:
    """The first paragraph of prose of a Markdown text, its lines joined (headings, code, tables, lists, HTML
    skipped)."""
    fenced = False
    found: list[str] = []
    for raw in description.splitlines():
        line = raw.strip()
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line or line[0] in "#|<>-*+!" or line[0].isdigit():
            if found:
                break
            continue
        found.append(line)
    return " ".join(found)


def one_line(description: str, limit: int = 80) -> str:
    """The first sentence of a Markdown description: its first paragraph of prose, links reduced to their text,
    code and emphasis marks dropped, cut at the sentence's end and to ``limit`` characters; "" if none."""
    text = _MD_CODE.sub(r"\1", _MD_LINK.sub(r"\1", _prose(description)))
    text = " ".join(_MD_EMPHASIS.sub(r"\2", text).replace("**", "").split())
    end = _SENTENCE_END.search(text)
    text = text[: end.start()] if end else text.rstrip(".")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# A parameter's help in the CLI: one sentence, wrapped by argparse; longer ones are cut with an ellipsis.
HELP_LIMIT = 160


def parameter_help(
    spec: dict[str, Any], op: dict[str, Any], source: OperationSource, shared: list[Any] | None = None
) -> dict[str, str]:
    """Generated parameter → the first sentence of its spec description (the parameter's, else its schema's),
    Markdown stripped: what ``aiocustomerio <api> <tag> <op> --help`` says of each flag (the generator's docstrings
    keep only defaults)."""
    generated = {p.name for p in source.params}
    found: dict[str, str] = {}
    for (_, name), param in parameters(spec, op, shared).items():
        schema = resolve(spec, param.get("schema")) or {}
        text = param.get("description") or (schema.get("description") if isinstance(schema, dict) else None)
        python = python_name(name)
        if python in generated and isinstance(text, str) and one_line(text, HELP_LIMIT):
            found[python] = one_line(text, HELP_LIMIT)
    return dict(sorted(found.items()))


def tag_summaries(spec: dict[str, Any], found: list[Entry]) -> dict[str, str]:
    """Each index tag's one-line summary, from the spec's `tags` list (the tag of its operations); else its name."""
    described = {str(t.get("name")): one_line(str(t.get("description") or "")) for t in spec.get("tags") or []}
    by_route = {(method.upper(), path): op for path, method, op in iter_operations(spec)}
    summaries: dict[str, str] = {}
    for entry in found:
        names = by_route.get((entry.method, entry.path), {}).get("tags") or []
        name = str(names[0]) if names else entry.tag
        summaries.setdefault(entry.tag, described.get(name) or name)
    return summaries


def write(package_dir: Path, found: list[Entry], tags: dict[str, str] | None = None) -> None:
    index: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in found:
        index.setdefault(entry.tag, {})[entry.name] = entry.record()
    body = json.dumps(index, indent=4, sort_keys=True, ensure_ascii=False)
    body = body.replace(": null", ": None").replace(": true", ": True").replace(": false", ": False")
    summaries = json.dumps(tags or {}, indent=4, sort_keys=True, ensure_ascii=False)
    helps: dict[str, dict[str, dict[str, str]]] = {}
    for entry in found:
        if entry.help:
            helps.setdefault(entry.tag, {})[entry.name] = entry.help
    help_text = json.dumps(helps, indent=4, sort_keys=True, ensure_ascii=False)
    (package_dir / "_index.py").write_text(
        '"""Operations of this package by tag, then Python name (emitted by codegen/index.py).\n\n'
        "Each entry: module (the generated module), method, path, path_params (positional, in path order), params\n"
        "(the keyword parameters), pagination ({style, cursor, next, items, limit, size, first, total} or None:\n"
        "style cursor follows `next`, offset and page ask by position until a short page), items (the attribute\n"
        "holding a listing's items, or None), body (object, array or None: what the body is), returns_none (the\n"
        "result type admits None), unsafe (repeating it could send a message or start a job twice), dedup\n"
        "(where the façade stamps a ULID dedup id before the first attempt: {at, field, unless}), enums\n"
        "(parameter → enum class in the module), timestamps (integer parameters that take a datetime), types\n"
        "(parameter → {in, name, type, ...}: what the façade lets through, from its schema), fields (top-level\n"
        "body field → {type}, where every alternative of the body types it alike), summary.\n"
        "TAGS: each tag's one-line summary, from the spec's tag description.\n"
        "HELP: tag → operation → parameter → the first sentence of its spec description (the CLI's flag help).\n"
        '"""\n\n'
        "from typing import Any\n\n"
        f"OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {body}\n\n"
        f"TAGS: dict[str, str] = {summaries}\n\n"
        f"HELP: dict[str, dict[str, dict[str, str]]] = {help_text}\n"
    )
