"""Titles that would give two different models the same class name."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ._rule import Change, Spec, rule
from ._walk import iter_slots


def class_name(title: str) -> str:
    """What must be unique among the names openapi-python-client derives from titles and component names.

    It derives a PascalCase class name and a snake_case module from it, so ``ID`` and ``Id`` (class names that
    differ) still collide as the module ``id.py``: compare letters and digits, case-folded.
    """
    return re.sub(r"[^a-z0-9]", "", title.lower())


def _is_component_root(pointer: str) -> bool:
    return pointer.startswith("#/components/schemas/") and pointer.count("/") == 3


@rule("colliding-titles")
def colliding_titles(spec: Spec) -> list[Change]:
    """Drop ``title``s that would give two different schemas the same class name.

    The generator names a model by its title when it has one (components included). Reporting-webhook payloads reuse
    titles such as ``failed`` or ``sent`` for dozens of different shapes (``email_failed``, ``push_failed``, ...), and
    inlined specs repeat titled schemas, so all but the first fail with ``Attempted to generate duplicate models``
    (the generator refuses even two identical copies). Without the title, a component is named
    after its key and an inline schema after where it sits (parent and property), which is unique.
    """
    claimed: dict[str, set[str]] = defaultdict(set)
    titled: list[tuple[Any, str]] = []
    components = (spec.get("components") or {}).get("schemas") or {}
    for name, schema in components.items():
        if not (isinstance(schema, dict) and isinstance(schema.get("title"), str)):
            claimed[class_name(name)].add(f"component:{name}")
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or not isinstance(node.get("title"), str):
            continue
        # Every occurrence counts: the generator fails even on two identical copies with one title.
        claimed[class_name(node["title"])].add(slot.pointer)
        titled.append((slot, node["title"]))
    changes: list[Change] = []
    for slot, title in titled:
        if len(claimed[class_name(title)]) > 1:
            node = slot.get()
            if node.get("title") == title:
                del node["title"]
                changes.append(Change("colliding-titles", slot.pointer, f"dropped title {title!r}"))
    return changes
