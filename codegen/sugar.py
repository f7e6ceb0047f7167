"""The routes the handwritten sugar calls, checked against a spec's surface before an update is adopted.

The sugar (``cio.track.identify``, ``cio.pipelines.track``, ...) calls operations by route, never by generated name,
so an operationId or tag rename breaks nothing; a route that disappears would. The façade declares every route it
relies on in one place, ``aiocustomerio._routes.SUGAR_ROUTES``; ``make update-specs`` refuses a spec without one.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from .apis import ROOT

ROUTES_MODULE = "aiocustomerio._routes"
FACADE_DIR = ROOT / "src" / "aiocustomerio"


def _entries(declared: Mapping[str, tuple[str, str]]) -> Iterator[tuple[str, str, str, str]]:
    """(sugar method, api, METHOD, path) from ``SUGAR_ROUTES``: ``"<api>.<sugar method>"`` → ``(METHOD, path)``."""
    for name, (method, path) in declared.items():
        api = name.split(".", 1)[0]
        yield f"cio.{name}", api, method.upper(), path


def declared_routes() -> list[tuple[str, str, str, str]]:
    """Every (sugar method, api, METHOD, path) the façade declares; empty when it declares none yet."""
    try:
        module = importlib.import_module(ROUTES_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ROUTES_MODULE:
            raise
        return []
    return sorted(_entries(module.SUGAR_ROUTES))


def missing_routes(surface: dict[str, Any], routes: list[tuple[str, str, str, str]] | None = None) -> list[str]:
    """One line per sugar method whose route the surface lacks, naming both."""
    apis = surface["apis"]
    return [
        f"{sugar} relies on {api} {method} {path}, which the new spec no longer has"
        for sugar, api, method, path in (declared_routes() if routes is None else routes)
        if f"{method} {path}" not in apis.get(api, {})
    ]


@cache
def method_names(api: str) -> frozenset[str]:
    """The public methods the handwritten API class of ``api`` defines (``track``, ``batch``, ``ingestor`` ...), read
    from its source (``src/aiocustomerio/<api>.py``, class ``<Api>API``): a tag of the same name would be hidden
    by the method. Empty when there is no such module."""
    source = FACADE_DIR / f"{api}.py"
    if not source.is_file():
        return frozenset()
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.lower() == f"{api}api":
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                    found.add(item.name)
    return frozenset(found)
