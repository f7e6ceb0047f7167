"""The routes the handwritten sugar calls, checked against a spec's surface before an update is adopted.

The sugar (``cio.track.identify``, ``cio.pipelines.track``, ...) calls operations by route, never by generated name,
so an operationId or tag rename breaks nothing; a route that disappears would. The façade declares every route it
relies on in one place, ``aiocustomerio._routes.SUGAR_ROUTES``; ``make update-specs`` refuses a spec without one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

ROUTES_MODULE = "aiocustomerio._routes"


def _entries(declared: Any) -> Iterator[tuple[str, str, str, str]]:
    """(sugar method, api, METHOD, path) from the declaration: a mapping of sugar method → route, where a route is
    ``(api, method, path)`` or has ``api``, ``method`` and ``path`` attributes; or an iterable of such routes with a
    ``sugar`` (or ``name``) attribute."""
    items: Iterable[tuple[Any, Any]] = (
        declared.items() if isinstance(declared, Mapping) else ((None, r) for r in declared)
    )
    for name, route in items:
        if isinstance(route, tuple) and len(route) == 3:
            api, method, path = route
        else:
            api, method, path = route.api, route.method, route.path
        label = name if name is not None else getattr(route, "sugar", None) or getattr(route, "name", "?")
        yield str(label), str(api), str(method).upper(), str(path)


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
