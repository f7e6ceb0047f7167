"""The Track v2 entity table the edge checks (``_builders.TRACK_ENTITY_ACTIONS``) is the pinned spec's: every
(type, action) pair journeys-track.json lists for ``/api/v2/batch`` items, plus the ``page`` action whose variant the
spec describes but spells ``screen``. A regenerated spec that adds a type or an action fails here, naming it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aiocustomerio._builders import TRACK_ENTITY_ACTIONS
from codegen.apis import RAW_DIR

TRACK = RAW_DIR / "journeys-track.json"


def _enum(node: Any, key: str) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        prop = node.get("properties", {}).get(key)
        if isinstance(prop, dict) and "enum" in prop:
            found.update(prop["enum"])
        for value in node.values():
            found |= _enum(value, key)
    elif isinstance(node, list):
        for value in node:
            found |= _enum(value, key)
    return found


def _variants(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaf variants of the items' anyOf/oneOf tree (one entity shape each)."""
    branches = node.get("anyOf") or node.get("oneOf")
    if not branches or (_enum(node, "action") and len(_enum(node, "action")) == 1):
        return [node]
    return [leaf for branch in branches for leaf in _variants(branch)]


def test_the_entity_table_is_the_specs() -> None:
    if not TRACK.is_file():
        pytest.skip(f"{TRACK} absent: run `make specs` with CIO_SPEC_MIRROR set to the pinned specs' directory")
    spec = json.loads(TRACK.read_text())
    items = spec["paths"]["/api/v2/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    pairs: dict[str, set[str]] = {}
    for variant in _variants(items["properties"]["batch"]["items"]):
        for kind in _enum(variant, "type"):
            pairs.setdefault(kind, set()).update(_enum(variant, "action"))
    assert pairs["person"] and pairs["object"] and pairs["delivery"]
    pairs["person"].add("page")  # the pageview variant: described as `page`, its enum says `screen`
    assert {k: set(v) for k, v in TRACK_ENTITY_ACTIONS.items()} == pairs
