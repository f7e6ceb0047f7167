"""Emit each package's typed resources: ``_resources.py`` (async) and ``_sync_resources.py`` (sync).

One class per operation (``__call__``, ``with_raw_response`` and, for listings, ``paginate``), one class per tag
holding its operations as attributes, and one root class per package holding its tags, plus ``route()``: the typed
lookup by ``"METHOD /path"`` the handwritten sugar uses. The signatures come from the generated ``_get_kwargs``
(read with ``ast`` here, never at run time): path parameters positional, everything else keyword-only, widened where
the façade converts (enums take their string values, unix-timestamp integers take a datetime, bodies take a mapping).

Everything a signature names is imported under ``TYPE_CHECKING`` only, so loading a resource module imports no
model; the base classes in ``aiocustomerio._base`` do the work.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .index import Entry
from .names import reserved_operation_names, reserved_tag_names
from .signatures import Param, is_timestamp, union_members


def _across(entry: Entry) -> str:
    """How ``paginate()`` walks the listing, for its docstring."""
    page = entry.pagination
    if page is None:
        return "of its one page"
    if page.style == "cursor":
        return "across pages (following the ``next`` cursor)"
    return f"across pages (asking ``{page.cursor}`` after ``{page.cursor}`` until a short page)"


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _docstring(text: str, indent: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').rstrip()
    lines = text.splitlines() or [""]
    body = "\n".join((indent + line) if line.strip() else "" for line in lines[1:])
    if body:
        return f'{indent}"""{lines[0]}\n{body}\n{indent}"""'
    return f'{indent}"""{lines[0]}"""'


@dataclass
class _Names:
    """The model names a module's annotations use, to import under TYPE_CHECKING."""

    imports: dict[str, str]  # name → module relative to the package

    def need(self, name: str, module: str) -> str:
        known = self.imports.setdefault(name, module)
        if known != module:
            raise ValueError(f"two generated classes named {name}: {known} and {module}")
        return name


class _Operation:
    def __init__(self, entry: Entry, class_name: str, names: _Names) -> None:
        self.entry = entry
        self.class_name = class_name
        self.names = names
        source = entry.source
        self.renamed = entry.renamed  # a spec parameter named like a per-call option: `timeout` → `timeout_`
        by_name = {p.name: p for p in source.params}
        self.positional = [by_name[n] for n in entry.path_params]
        self.keywords = [p for p in source.params if not p.positional]
        self.returns = self._type(source.returns)
        items = source.item_types() if source.items else []
        self.item = self._type(items) if items else None

    def _type(self, members: list[str]) -> str:
        out = []
        for member in members:
            if member in self.entry.source.models:
                out.append(self.names.need(member, self.entry.source.models[member].module))
            else:
                out.append(member)
        return " | ".join(out)

    def _annotation(self, param: Param) -> str:
        parts: list[str] = []
        for member in union_members(param.annotation):
            text = ast.unparse(member)
            if text == "Unset":
                continue
            for name in {n.id for n in ast.walk(member) if isinstance(n, ast.Name)}:
                module = self.entry.source.imports.get(name)
                if module is not None:
                    self.names.need(name, module)
            values = self.entry.source.enum_values.get(text)
            listed = member.slice if isinstance(member, ast.Subscript) and ast.unparse(member.value) == "list" else None
            items = self.entry.source.enum_values.get(ast.unparse(listed)) if listed is not None else None
            if listed is not None and items:  # a list of enum values takes their strings, as one enum does
                text = f"list[{ast.unparse(listed)} | Literal[" + ", ".join(repr(v) for v in items) + "]]"
            parts.append(text)
            if values:
                parts.append("Literal[" + ", ".join(repr(v) for v in values) + "]")
            if text == "int" and is_timestamp(param):
                parts.append("datetime.datetime")
            if text == "str" and param.positional and "int" not in parts:
                parts.append("int")  # a path segment: an integer id is sent as its digits
        if param.name == "body":
            parts.append("Mapping[str, Any]")
        if not param.required:
            parts.append("NotGiven")
        return " | ".join(parts)

    def parameters(self, *, paginate: bool = False) -> str:
        lines = []
        for param in self.positional:
            default = "" if param.required else " = NOT_GIVEN"
            lines.append(f"{self.keyword(param)}: {self._annotation(param)}{default},")
        if self.keywords or paginate:
            lines.append("*,")
        for param in sorted(self.keywords, key=lambda p: not p.required):
            default = "" if param.required else " = NOT_GIVEN"
            lines.append(f"{self.keyword(param)}: {self._annotation(param)}{default},")
        if paginate:
            lines.append("max_items: int | None = None,")
        lines.append("**options: Unpack[RequestOptions],")
        return "\n".join("        " + line for line in lines)

    def arguments(self) -> str:
        names = [p.name for p in self.positional + self.keywords]
        return "{" + ", ".join(f'"{n}": {self.renamed.get(n, n)}' for n in names) + "}"

    def keyword(self, param: Param) -> str:
        return self.renamed.get(param.name, param.name)

    def render(self, sync: bool) -> str:
        entry = self.entry
        prefix = "Sync" if sync else "Async"
        adef, await_ = ("def", "") if sync else ("async def", "await ")
        doc = entry.source.docstring or entry.summary
        doc += f"\n\n``{entry.method} {entry.path}``" + (
            " (unsafe: not retried once it may have been processed, unless ``retry_unsafe=True``)."
            if entry.unsafe
            else "."
        )
        out = [
            f'class {prefix}{self.class_name}({prefix}Operation["{self.returns}"]):',
            _docstring(f"{entry.summary}: ``{entry.method} {entry.path}``.", "    "),
            "",
            f'    _tag = "{entry.tag}"',
            f'    _name = "{entry.name}"',
            "",
            f"    {adef} __call__(\n        self,\n{self.parameters()}\n    ) -> {self.returns}:",
            _docstring(doc, "        "),
            f"        return {await_}self._call({self.arguments()}, options)",
            "",
            f"    {adef} with_raw_response(\n        self,\n{self.parameters()}\n    ) -> httpx.Response:",
            _docstring(f"``{entry.name}``, returning the ``httpx.Response`` (error statuses still raise).", "        "),
            f"        return {await_}self._raw({self.arguments()}, options)",
        ]
        if self.item is not None:
            paginator = f"{prefix}Paginator[{self.item}, {self.returns}]"
            what = _across(entry)
            out += [
                "",
                f"    def paginate(\n        self,\n{self.parameters(paginate=True)}\n    ) -> {paginator}:",
                _docstring(
                    f"Every item of ``{entry.name}`` {what}, up to ``max_items``; ``.pages()`` gives the pages.",
                    "        ",
                ),
                f"        return self._paginate({self.arguments()}, max_items, options)",
            ]
        return "\n".join(out)


# The classes the emitted module defines or imports besides the operations' (after the Async/Sync prefix).
_BASE_CLASSES = frozenset({"Operation", "Resources", "Tag", "RawCall", "Paginator"})


def _class_names(package: str, found: list[Entry]) -> dict[tuple[str, str], str]:
    """Each operation's class name (after the prefix): its own in PascalCase, or prefixed with its tag's when another
    operation has the same, or when it is a class the module already has (an operation ``tag_`` → ``Tag``)."""
    counts: dict[str, int] = {}
    for e in found:
        counts[pascal(e.name)] = counts.get(pascal(e.name), 0) + 1
    taken = set(_BASE_CLASSES) | {root_name(package, False)[5:], raw_root_name(package, False)[5:]}
    for e in found:
        taken |= {pascal(e.tag) + "Resource", pascal(e.tag) + "RawResource"}
    names = {}
    for e in found:
        own = pascal(e.name)
        names[(e.tag, e.name)] = own if counts[own] == 1 and own not in taken else pascal(e.tag) + own
    return names


def root_name(package: str, sync: bool) -> str:
    """``aiocustomerio_app`` → ``AsyncAppResources`` / ``SyncAppResources``."""
    return ("Sync" if sync else "Async") + pascal(package.split("_", 1)[-1]) + "Resources"


def raw_root_name(package: str, sync: bool) -> str:
    """``aiocustomerio_app`` → ``AsyncAppRawResources``: the type of ``with_raw_response`` (typing only)."""
    return root_name(package, sync).removesuffix("Resources") + "RawResources"


def _raw_view(
    prefix: str, package: str, raw_root: str, tags: dict[str, list[Entry]], class_names: dict[tuple[str, str], str]
) -> str:
    """The raw view's classes, for type checkers only (at run time the view is the same classes on a raw binding):
    each operation takes its own parameters and returns the ``httpx.Response``."""
    lines = ["if TYPE_CHECKING:"]
    for tag, members in tags.items():
        lines += [
            "",
            f"    class {prefix}{pascal(tag)}RawResource:",
            _docstring(f"The ``{tag}`` operations of a raw view: each returns the ``httpx.Response``.", "        "),
            "",
        ]
        lines += [
            f"        {e.name} = {prefix}RawCall({prefix}{class_names[(e.tag, e.name)]}.with_raw_response)"
            for e in members
        ]
    lines += [
        "",
        f"    class {raw_root}({prefix}Resources):",
        _docstring(f"``with_raw_response`` of ``{package}``: every call returns the ``httpx.Response``.", "        "),
        "",
    ]
    lines += [f"        {tag}: {prefix}{pascal(tag)}RawResource" for tag in tags]
    lines += [
        "",
        "        @property",
        f"        def with_raw_response(self) -> {raw_root}:",
        "            raise NotImplementedError",
    ]
    return "\n".join(lines)


def route_name(method: str, path: str) -> str:
    """A Python name for a route that no operationId or tag rename changes: ``POST /v1/send/email`` →
    ``PostV1SendEmail``, ``GET /v1/customers/{customer_id}/attributes`` → ``GetV1CustomersCustomerIdAttributes``."""
    words = re.findall(r"[A-Za-z0-9]+", path)
    return method.capitalize() + "".join(w[:1].upper() + w[1:] for w in words)


def _by_route(prefix: str, found: list[Entry], ops: dict[tuple[str, str], _Operation]) -> str:
    """Aliases named by route (``PostV1SendEmailResult``, ``...Item``, ``...Tag``) for the handwritten sugar, whose
    annotations then follow the operation a regenerated spec renames instead of naming its generated classes."""
    seen: dict[str, str] = {}
    types, tags = [], []
    for e in found:
        name = route_name(e.method, e.path)
        other = seen.setdefault(name, f"{e.method} {e.path}")
        if other != f"{e.method} {e.path}":
            raise ValueError(f"routes {other} and {e.method} {e.path} have the same Python name {name}")
        op = ops[(e.tag, e.name)]
        types.append(f"    {name}Result: TypeAlias = {op.returns}")
        if op.item is not None:
            types.append(f"    {name}Item: TypeAlias = {op.item}")
        tags.append(f"{name}Tag = {prefix}{pascal(e.tag)}Resource")
    return (
        "# By route, for the sugar: the result (and a listing's item) type and the tag class of each operation.\n"
        "if TYPE_CHECKING:\n" + "\n".join(types) + "\n\n" + "\n".join(tags)
    )


def render(package: str, found: list[Entry], sync: bool) -> str:
    prefix = "Sync" if sync else "Async"
    names = _Names({})
    class_names = _class_names(package, found)
    ops = {(e.tag, e.name): _Operation(e, class_names[(e.tag, e.name)], names) for e in found}
    for e in found:
        for kind, name, reserved in (
            ("tag", e.tag, reserved_tag_names()),
            ("operation", e.name, reserved_operation_names()),
        ):
            if name in reserved:
                raise ValueError(
                    f"{e.module}: the {kind} name {name!r} would hide an attribute of the resource classes "
                    "(the normalize rule reserved-names escapes it: generate from a normalized spec)"
                )
    blocks = [ops[(e.tag, e.name)].render(sync) for e in found]
    tags: dict[str, list[Entry]] = {}
    for e in found:
        tags.setdefault(e.tag, []).append(e)
    for tag, members in tags.items():
        lines = [f"class {prefix}{pascal(tag)}Resource({prefix}Tag):", _docstring(f"The ``{tag}`` operations.", "    ")]
        lines += ["", f'    _tag = "{tag}"', ""] + [
            f"    {e.name} = operation({prefix}{class_names[(e.tag, e.name)]})" for e in members
        ]
        blocks.append("\n".join(lines))
    root = root_name(package, sync)
    raw_root = raw_root_name(package, sync)
    blocks.append(_raw_view(prefix, package, raw_root, tags, class_names))
    lines = [f"class {root}({prefix}Resources):", _docstring(f"Every tag of ``{package}``, and ``route()``.", "    ")]
    lines += (
        [""] + [f'    _package = "{package}"'] + [f"    {tag} = tag({prefix}{pascal(tag)}Resource)" for tag in tags]
    )
    lines += [
        "",
        "    if TYPE_CHECKING:",
        "",
        "        @property",
        f"        def with_raw_response(self) -> {raw_root}:",
        _docstring("The same API whose calls return the ``httpx.Response`` instead of the parsed model.", " " * 12),
        "            raise NotImplementedError",
    ]
    for e in found:
        lines += [
            "",
            "    @overload",
            f'    def route(self, key: Literal["{e.method} {e.path}"]) -> {prefix}{class_names[(e.tag, e.name)]}: ...',
        ]
    lines += [
        "",
        "    def route(self, key: str) -> Any:",
        _docstring(
            'The operation of a route, ``"METHOD /path"`` as the spec spells it (what the sugar calls).', "        "
        ),
        "        return self._route(key)",
    ]
    blocks.append("\n".join(lines))
    blocks.append(_by_route(prefix, found, ops))
    kind = "sync" if sync else "async"
    model_imports = "\n".join(
        f"    from .{module} import {name}" for name, module in sorted(names.imports.items(), key=lambda kv: kv[::-1])
    )
    header = (
        f'"""Typed {kind} resources of {package}, emitted by codegen/emit_resources.py."""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import TYPE_CHECKING, Any, overload\n\n"
        "from aiocustomerio._base import NOT_GIVEN, "
        f"{prefix}Operation, {prefix}Resources, {prefix}Tag, operation, tag\n\n"
        "if TYPE_CHECKING:\n"
        "    import datetime\n"
        "    from collections.abc import Mapping\n"
        "    from typing import Literal, TypeAlias\n\n"
        "    import httpx\n"
        "    from typing_extensions import Unpack\n\n"
        f"    from aiocustomerio._base import NotGiven, RequestOptions, {prefix}RawCall\n"
        f"    from aiocustomerio._pagination import {prefix}Paginator\n\n"
        f"{model_imports}\n"
    )
    footer = f"\n\n# What the façade's API classes find their tags in (aiocustomerio._base).\nROOT = {root}\n"
    return header + "\n\n" + "\n\n\n".join(blocks) + "\n" + footer


def write(package_dir: Path, found: list[Entry]) -> None:
    package = package_dir.name
    (package_dir / "_resources.py").write_text(render(package, found, sync=False))
    (package_dir / "_sync_resources.py").write_text(render(package, found, sync=True))
