"""Vendor annotations that carry no API meaning."""

from __future__ import annotations

from typing import Any

from ._rule import Change, Spec, rule
from ._walk import escape

PACKAGER_PREFIXES = ("x-moar-",)


@rule("drop-packager-annotations")
def drop_packager_annotations(spec: Spec) -> list[Change]:
    """Remove keys a re-packager added (``x-moar-*``): they make equal schemas hash differently and mean nothing."""
    changes: list[Change] = []

    def visit(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key in [k for k in node if isinstance(k, str) and k.startswith(PACKAGER_PREFIXES)]:
                del node[key]
                changes.append(Change("drop-packager-annotations", f"{pointer}/{escape(key)}", "removed"))
            for key, value in node.items():
                visit(value, f"{pointer}/{escape(key)}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{pointer}/{i}")

    visit(spec, "#")
    return changes
