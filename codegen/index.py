"""The operation index each generated package carries: the façade builds its namespaces and paginators from it.

Emitted at generation time from the generated modules (their method and URL) and the normalized spec (pagination),
so a new operation in a regenerated spec reaches the façade with no handwritten change.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .normalize._walk import iter_operations
from .pagination import pagination

_METHOD = re.compile(r'"method":\s*"(\w+)"')
_URL = re.compile(r'"url":\s*"([^"]+)"')


def generated_routes(package_dir: Path) -> Iterator[tuple[Path, str, str]]:
    """(module, METHOD, path template) of every endpoint module the generator wrote, read from its ``_get_kwargs``."""
    for module in sorted((package_dir / "api").glob("*/*.py")):
        if module.name == "__init__.py":
            continue
        text = module.read_text()
        method_match, url_match = _METHOD.search(text), _URL.search(text)
        if method_match and url_match:
            yield module, method_match.group(1).upper(), url_match.group(1)


def build(package_dir: Path, spec: dict[str, Any]) -> dict[str, dict[str, tuple[Any, ...]]]:
    by_route = {(method.upper(), path): op for path, method, op in iter_operations(spec)}
    index: dict[str, dict[str, tuple[Any, ...]]] = {}
    for module, method, path in generated_routes(package_dir):
        op = by_route.get((method, path), {})
        dotted = ".".join((package_dir.name, "api", module.parent.name, module.stem))
        index.setdefault(module.parent.name, {})[module.stem] = (dotted, method, path, pagination(spec, op))
    return index


def _return_type(module: Path) -> tuple[str, list[str]]:
    """The model a generated operation returns on success, and its import (relative to the package); else Any.

    Read from ``_parse_response``: the ``Model.from_dict(...)`` in the branches for 2xx statuses. Error statuses are
    raised by the façade, so their models never reach the caller; anything not a single model stays ``Any``.
    """
    tree = ast.parse(module.read_text())
    imported: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 3 and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"from .{node.module} import {alias.name}"
    parse = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_parse_response"), None)
    models: set[str] = set()
    branches = 0
    for branch in ast.walk(parse) if parse is not None else ():
        if not (isinstance(branch, ast.If) and isinstance(branch.test, ast.Compare)):
            continue
        status = branch.test.comparators[0] if branch.test.comparators else None
        if not (isinstance(status, ast.Constant) and isinstance(status.value, int) and 200 <= status.value < 300):
            continue
        branches += 1
        for call in ast.walk(ast.Module(body=branch.body, type_ignores=[])):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "from_dict"
                and isinstance(call.func.value, ast.Name)
            ):
                models.add(call.func.value.id)
    if branches != 1 or len(models) != 1 or next(iter(models)) not in imported:
        return "Any", []
    (model,) = models
    return model, [imported[model]]


def _typed_module(package_dir: Path, index: dict[str, dict[str, tuple[Any, ...]]]) -> str:
    """Types of ``cio.<api>.<tag>.<operation>`` for type checkers: each operation returns its generated model.

    Everything sits under TYPE_CHECKING, so importing it costs nothing at run time; the façade's API classes take
    ``TypedTags`` as a base only for type checkers.
    """
    imports: set[str] = {"from typing import Any"}
    classes, tags = [], []
    for tag in sorted(index):
        cls = "".join(part.title() for part in tag.split("_")) + "Operations"
        lines = [f"    class {cls}:"]
        for name in sorted(index[tag]):
            returns, needed = _return_type(package_dir / "api" / tag / f"{name}.py")
            imports.update(needed)
            lines.append(f"        {name}: _Operation[{returns}]")
        classes.append("\n".join(lines))
        tags.append(f"        {tag}: {cls}")
    return (
        f'"""Types of the {package_dir.name} operations as the façade exposes them (codegen/index.py)."""\n'
        "\nfrom typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n"
        "    from aiocustomerio._ops import Operation as _Operation\n"
        + "\n".join(f"    {line}" for line in sorted(imports))
        + "\n\n"
        + "\n\n".join(classes)
        + "\n\n    class TypedTags:\n"
        + "\n".join(tags)
        + "\n"
    )


def write(package_dir: Path, spec: dict[str, Any]) -> None:
    index = build(package_dir, spec)
    (package_dir / "_typed.py").write_text(_typed_module(package_dir, index))
    body = json.dumps(index, indent=4, sort_keys=True).replace("null", "None")
    (package_dir / "_index.py").write_text(
        '"""Operations of this package by tag: name → (module, method, path, pagination), from codegen/index.py.\n\n'
        "pagination is (cursor argument, next attribute, items attribute, limit argument) or None.\n"
        '"""\n\n'
        "from typing import Any\n\n"
        f"OPERATIONS: dict[str, dict[str, Any]] = {body}\n"
    )
