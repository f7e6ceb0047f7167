"""Which operations of each spec the generated packages implement, and what the generator warned about."""

from __future__ import annotations

import ast
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .apis import APIS, GENERATED_DIR, NORMALIZED_DIR, Api
from .index import generated_routes
from .normalize._walk import iter_operations
from .pagination import cursor_operations, pagination, position_operations

if TYPE_CHECKING:
    from .generate import Result


def spec_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation under ``paths`` (webhooks are payloads we receive, not calls we make)."""
    return {(method.upper(), path) for path, method, _op in iter_operations(spec)}


def generated_operations(package_dir: Path) -> set[tuple[str, str]]:
    return {(method, path) for _module, method, path in generated_routes(package_dir)}


def cursor_listings(spec: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(operationId, METHOD, path, paginates) of every operation whose ``start`` is a page token (string, promising
    ``next``), and whether the index can follow its cursor (``next`` and one array of items in every answer)."""
    return sorted(
        (
            str(op.get("operationId", "")),
            method.upper(),
            path,
            pagination(spec, op, spec["paths"][path].get("parameters")) is not None,
        )
        for path, method, op in cursor_operations(spec)
    )


def position_listings(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(operationId, METHOD, path, how) of every listing paged by position (``offset``/``limit``, ...)."""
    return sorted(
        (str(op.get("operationId", "")), method.upper(), path, f"`{page.cursor}` + `{page.limit}`")
        for path, method, op, page in position_operations(spec)
    )


_UNCHECKED = ("-", "unchecked")


def parameter_checks(package_dir: Path) -> Counter[tuple[str, str]]:
    """(location, type) → how many parameters (and top-level body fields: ``"body field"``) the façade checks so
    (codegen/param_types.py), from the written index; ``("-", "unchecked")`` counts parameters passed on as given."""
    source = (package_dir / "_index.py").read_text() if (package_dir / "_index.py").exists() else ""
    operations: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "OPERATIONS":
            operations = ast.literal_eval(node.value) if node.value is not None else {}
    counts: Counter[tuple[str, str]] = Counter()
    for ops in operations.values():
        for entry in ops.values():
            types = entry.get("types", {})
            for name in [*entry["path_params"], *entry["params"]]:
                if name == "body":
                    continue
                record = types.get(name)
                counts[(record["in"], record["type"]) if record else _UNCHECKED] += 1
            for record in entry.get("fields", {}).values():
                counts[("body field", record["type"])] += 1
    return counts


def model_count(package_dir: Path) -> int:
    return sum(1 for p in (package_dir / "models").glob("*.py") if p.name != "__init__.py")


@dataclass
class Row:
    api: Api
    in_spec: int
    generated: int
    missing: list[tuple[str, str]]
    models: int
    warnings: int | None  # None: not known (coverage of an existing tree, without a generator run)
    cursors: list[tuple[str, str, str, bool]] = field(default_factory=list)
    checks: Counter[tuple[str, str]] = field(default_factory=Counter)
    positions: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def paginated(self) -> int:
        return sum(1 for *_route, ok in self.cursors if ok)

    @property
    def complete(self) -> bool:
        return (
            not self.missing
            and self.generated >= self.in_spec
            and not self.warnings
            and self.paginated == len(self.cursors)
        )


def row(api: Api, spec: dict[str, Any], package_dir: Path, warnings: int | None) -> Row:
    want = spec_operations(spec)
    have = generated_operations(package_dir)
    return Row(
        api,
        len(want),
        len(want & have),
        sorted(want - have),
        model_count(package_dir),
        warnings,
        cursor_listings(spec),
        parameter_checks(package_dir),
        position_listings(spec),
    )


def report(results: list[Result] | None = None, specs: Path = NORMALIZED_DIR, dest: Path = GENERATED_DIR) -> list[Row]:
    rows = []
    warned = {r.api.name: len(r.warnings) for r in results or []}
    dirs = {r.api.name: r.package_dir for r in results or []}
    for api in APIS:
        spec = json.loads(api.normalized(specs).read_text())
        rows.append(row(api, spec, dirs.get(api.name, dest / api.package), warned.get(api.name)))
    return rows


def to_markdown(rows: list[Row]) -> str:
    lines = [
        "# Coverage of the generated clients",
        "",
        "Written by `make generate` (codegen/coverage.py). Operations are counted from the normalized specs.",
        "",
        "| API | package | operations in spec | operations generated | models | generator warnings | paginated |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        warn = "?" if r.warnings is None else str(r.warnings)
        pages = f"{r.paginated} of {len(r.cursors)}"
        lines.append(
            f"| {r.api.name} | `{r.api.package}` | {r.in_spec} | {r.generated} | {r.models} | {warn} | {pages} |"
        )
    lines += _operations(
        "Paginated operations",
        "Cursor listings, read from the spec's shape: a string `start` page token whose description promises `next`."
        " `paginate()` follows the cursor of each one marked yes.",
        "paginates",
        [(r.api.name, op, "yes" if ok else "**no**") for r in rows for *op, ok in r.cursors],
    )
    lines += _operations(
        "Listings paged by position",
        "Read from the spec's shape (codegen/pagination.py `position_paging`): an integer `offset`, `skip` or `page`"
        " query parameter beside an integer page size, no page token. `paginate()` asks page after page until a short"
        " or empty page (or the documented total).",
        "paged by",
        [(r.api.name, op, how) for r in rows for *op, how in r.positions],
    )
    lines += [f"| {r.api.name} | none | | |" for r in rows if not r.positions]
    kinds = [*sorted({kind for r in rows for kind in r.checks} - {_UNCHECKED}), _UNCHECKED]
    lines += [
        "",
        "## Parameter checks",
        "",
        "Path, query and header parameters by location and the type their schema gives them (codegen/param_types.py):"
        " the façade refuses a value of another type before sending; an enum is checked against its values. Body"
        " fields: the top-level fields of a mapping body that every alternative of its schema types alike.",
        "",
        "| API | " + " | ".join(f"{where} {kind}" if where != "-" else kind for where, kind in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for r in rows:
        lines.append(f"| {r.api.name} | " + " | ".join(str(r.checks.get(kind, 0)) for kind in kinds) + " |")
    missing = [(r.api.name, m) for r in rows for m in r.missing]
    if missing:
        lines += ["", "## Missing operations", ""]
        lines += [f"- {api}: `{method} {path}`" for api, (method, path) in missing]
    return "\n".join(lines) + "\n"


def _operations(title: str, intro: str, column: str, entries: list[tuple[str, list[str], str]]) -> list[str]:
    """A section listing operations: one row per (API, (operationId, method, path), the column's value)."""
    lines = ["", f"## {title}", "", intro, "", f"| API | operationId | route | {column} |", "|---|---|---|---|"]
    return lines + [
        f"| {api} | `{op_id}` | `{method} {path}` | {value} |" for api, (op_id, method, path), value in entries
    ]
