"""What codegen reads from the generated modules: each operation's parameters, result model and enums.

Read with ``ast`` at generation time, so the façade never inspects signatures at run time. The resource emitter
(``emit_resources``) turns these into typed methods; the operation index (``index``) records what the run time needs
(enum conversions, timestamp parameters).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

# Integer parameters that carry unix timestamps accept a datetime; the name says so in every spec we generate from
# (``start_ts``, ``end_ts``, ``created_at``, ``timestamp``).
_TIMESTAMP_NAME = re.compile(r"(^|_)(ts|at|timestamp)$")
_LIST_ITEM = re.compile(r"^list\[([\w| ]+)\]$")


@dataclass
class Param:
    name: str
    annotation: ast.expr
    required: bool
    positional: bool  # a path parameter: positional in the generated function


@dataclass
class ModelInfo:
    module: str  # relative to the package: ``models.list_messages_type``
    enum_values: tuple[str, ...] | None = None
    fields: dict[str, str] = field(default_factory=dict)  # attribute → annotation source


@dataclass
class OperationSource:
    params: list[Param]
    returns: list[str]  # model names, "None" or "Any"
    imports: dict[str, str]  # name used in annotations → module relative to the package
    docstring: str
    enum_values: dict[str, tuple[str, ...]]  # enum classes the parameters use → their values
    models: dict[str, ModelInfo]  # the package's models, to look up fields of the result
    items: str | None = None  # the attribute holding a listing's items (set by the index for cursor listings)

    @property
    def enum_names(self) -> set[str]:
        return set(self.enum_values)

    def item_types(self) -> list[str]:
        """The element types of the items attribute across the result models (empty: not a listing)."""
        found: list[str] = []
        for model in self.returns:
            info = self.models.get(model)
            item = list_item(info.fields.get(self.items, "")) if info is not None and self.items else None
            for member in (item or "").split(" | ") if item else ():
                if member not in found:
                    found.append(member)
        return found


def models_of(package_dir: Path) -> dict[str, ModelInfo]:
    """Every generated model class by name, with its module, enum values and field annotations."""
    found: dict[str, ModelInfo] = {}
    for path in sorted((package_dir / "models").glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.ClassDef):
                continue
            info = ModelInfo(f"models.{path.stem}")
            if any(isinstance(b, ast.Name) and b.id == "Enum" for b in node.bases):
                info.enum_values = tuple(
                    stmt.value.value
                    for stmt in node.body
                    if isinstance(stmt, ast.Assign)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                )
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    info.fields[stmt.target.id] = ast.unparse(stmt.annotation)
            found[node.name] = info
    return found


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    raise LookupError(f"generated module has no {name}()")


def _success_results(parse: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """What the 2xx branches of ``_parse_response`` return: model names, ``None`` (no body) or ``Any``."""
    nested = {
        n.name: n for n in ast.walk(parse) if isinstance(n, ast.FunctionDef) and n.name.startswith("_parse_response_")
    }
    results: list[str] = []
    for branch in ast.walk(parse):
        if not (isinstance(branch, ast.If) and isinstance(branch.test, ast.Compare) and branch.test.comparators):
            continue
        status = branch.test.comparators[0]
        if not (isinstance(status, ast.Constant) and isinstance(status.value, int) and 200 <= status.value < 300):
            continue
        results.extend(_branch_result(branch.body, nested))
    out: list[str] = []
    for r in results or ["Any"]:
        if r not in out:
            out.append(r)
    return ["Any"] if "Any" in out else out


def _branch_result(body: list[ast.stmt], nested: dict[str, ast.FunctionDef]) -> list[str]:
    text = "\n".join(ast.unparse(s) for s in body)
    if re.fullmatch(r"(return None|\w+ = cast\(Any, None\)\s*return \w+)", text.strip(), flags=re.S):
        return ["None"]
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # a nested parser: its use below names it
        for call in ast.walk(stmt):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "from_dict" and isinstance(func.value, ast.Name):
                return [func.value.id]
            if isinstance(func, ast.Name) and func.id in nested and nested[func.id].returns is not None:
                returns = nested[func.id].returns
                assert returns is not None
                return [ast.unparse(m) for m in _union_members(returns)]
    return ["Any"]


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def union_members(node: ast.expr) -> list[ast.expr]:
    return _union_members(node)


def read_operation(module: Path, models: dict[str, ModelInfo]) -> OperationSource:
    tree = ast.parse(module.read_text())
    imports: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 3 and node.module:
            for alias in node.names:
                imports[alias.asname or alias.name] = node.module
    kwargs = _function(tree, "_get_kwargs")
    args = kwargs.args
    params: list[Param] = []
    positional_defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(args.args, positional_defaults, strict=True):
        assert arg.annotation is not None
        params.append(Param(arg.arg, arg.annotation, default is None, True))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        assert arg.annotation is not None
        params.append(Param(arg.arg, arg.annotation, kw_default is None, False))
    doc = ast.get_docstring(_function(tree, "asyncio_detailed")) or ""
    doc = doc.split("\nRaises:")[0].split("\nArgs:")[0].strip()
    enums = {
        name: values
        for name in imports
        if (values := (models[name].enum_values if name in models else None)) is not None
    }
    returns = _success_results(_function(tree, "_parse_response"))
    source = OperationSource(params, returns, imports, doc, enums, models)
    if len(returns) == 1 and returns[0] in models:
        lists = [f for f, a in models[returns[0]].fields.items() if list_item(a) is not None]
        source.items = lists[0] if len(lists) == 1 else None
    return source


def is_timestamp(param: Param) -> bool:
    """An integer parameter named as a unix timestamp (``start_ts``): it also takes a datetime."""
    names = {ast.unparse(m) for m in _union_members(param.annotation)}
    return "int" in names and bool(_TIMESTAMP_NAME.search(param.name))


def list_item(annotation: str) -> str | None:
    """``X`` of a model field annotated ``list[X] | Unset`` (``X`` may be a union: ``A | B``)."""
    match = _LIST_ITEM.match(annotation.removesuffix(" | Unset").removesuffix(" | None").strip())
    return match.group(1) if match else None
