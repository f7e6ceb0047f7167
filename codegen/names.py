"""The Python names a spec's tags and operations may not take: attributes the façade already has where they land.

A tag becomes an attribute of an API (``cio.app.<tag>``, async and sync), next to the resource root's own attributes
(``with_options``, ``with_raw_response``, ``route``, ``index`` ...) and the handwritten sugar (``cio.pipelines.track``);
an operation becomes an attribute of a tag (``cio.app.<tag>.<operation>``), next to the tag classes' own attributes
and the methods a handwritten mixin adds to a tag (``cio.app.customers.search``). A spec name equal to one of those
would hide the attribute or be hidden by it (and ``emit_resources`` stops rather than emit either). The sets are
read from the façade's sources, so a method added there later reserves its name at the next regeneration.

The generator's own escapes come first and need nothing here: Python keywords and builtins take a trailing ``_``
(``class`` → ``class_``, ``list`` → ``list_``) and a leading underscore a prefix (``__init__`` → ``field_init``).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from .apis import APIS, ROOT

FACADE_DIR = ROOT / "src" / "aiocustomerio"

# The module-level helpers the emitted class bodies call (``x = operation(AsyncX)``, ``t = tag(AsyncT)``): an
# attribute of the same name would rebind the helper for the rest of the class body.
EMITTED_HELPERS = frozenset({"operation", "tag"})
_ROOT_CLASSES = ("_Resources", "AsyncResources", "SyncResources")
_TAG_CLASSES = ("_Tag", "AsyncTag", "SyncTag")


def _public(node: ast.ClassDef) -> set[str]:
    """Public names a class body defines (methods, properties, class attributes), ``if TYPE_CHECKING:`` included;
    an attribute bound to ``extend_tag(...)`` is a tag itself, not a name beside the tags."""
    found: set[str] = set()
    for item in _statements(node.body):
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(item.name)
        elif isinstance(item, ast.Assign) and not _extends_tag(item.value):
            found.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
            found |= set() if _extends_tag(item.value) else {item.target.id}
    return {name for name in found if not name.startswith("_")}


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for item in body:
        out.append(item)
        if isinstance(item, ast.If):
            out += _statements(item.body) + _statements(item.orelse)
    return out


def _extends_tag(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and getattr(value.func, "id", None) == "extend_tag"


def _classes(path: Path) -> dict[str, ast.ClassDef]:
    if not path.is_file():
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node for node in _statements(tree.body) if isinstance(node, ast.ClassDef)}


def _facade_classes(names: tuple[str, ...]) -> list[ast.ClassDef]:
    """These classes of the façade's top-level modules, wherever they live (``_base.py`` was split once and the tag
    classes moved to ``_tags.py``: read from ``_base.py`` alone, their names silently stopped being reserved). A
    class that is nowhere stops the generation: a reserved set read from nothing would let a spec name shadow it."""
    found: dict[str, ast.ClassDef] = {}
    for path in sorted(FACADE_DIR.glob("*.py")):
        for name, node in _classes(path).items():
            if name in names:
                found.setdefault(name, node)
    missing = [name for name in names if name not in found]
    if missing:
        raise RuntimeError(
            f"codegen/names.py: no class {', '.join(missing)} in {FACADE_DIR}/*.py; update _ROOT_CLASSES or "
            "_TAG_CLASSES to the façade's classes"
        )
    return [found[name] for name in names]


def _api_modules() -> list[tuple[Path, str]]:
    """(module, API class name) of each handwritten API, async and sync."""
    found = []
    for api in APIS:
        title = api.name.capitalize()
        found += [(FACADE_DIR / f"{api.name}.py", f"{title}API"), (FACADE_DIR / "_sync" / f"{api.name}.py", "")]
    return found


def _mixins(classes: dict[str, ast.ClassDef]) -> set[str]:
    """Names of the classes a module passes to ``extend_tag(...)``: their methods join a generated tag."""
    return {
        arg.id
        for node in classes.values()
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "extend_tag"
        for arg in call.args[:1]
        if isinstance(arg, ast.Name)
    }


@cache
def reserved_tag_names() -> frozenset[str]:
    """Names a tag may not take: the resource roots' attributes, every API's sugar (async and sync), the helpers.

    One set for every API (a tag ``Track`` in App is escaped too): normalization does not know which API a spec is,
    and a set that grows with any API's sugar keeps a name stable when another API gains the method."""
    found = set(EMITTED_HELPERS)
    for node in _facade_classes(_ROOT_CLASSES):
        found |= _public(node)
    for path, wanted in _api_modules():
        for name, node in _classes(path).items():
            if name == wanted or (not wanted and name.endswith("API") and name.startswith("Sync")):
                found |= _public(node)
    return frozenset(found)


@cache
def reserved_operation_names() -> frozenset[str]:
    """Names an operation may not take: the tag classes' attributes, the tag mixins' methods, the helpers."""
    found = set(EMITTED_HELPERS)
    for node in _facade_classes(_TAG_CLASSES):
        found |= _public(node)
    for path, _ in _api_modules():
        classes = _classes(path)
        for mixin in _mixins(classes):
            if mixin in classes:
                found |= _public(classes[mixin])
    return frozenset(found)


def escaped(name: str, reserved: frozenset[str]) -> str:
    """``name`` with the generator's escape for a taken name, a trailing ``_`` (``with_options`` →
    ``with_options_``), repeated while still reserved; ``name`` itself when it is free."""
    while name in reserved:
        name += "_"
    return name
