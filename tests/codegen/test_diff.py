"""codegen.diff on variants of the pinned Track spec: what `make update-specs` prints before adopting a change."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from codegen.apis import RAW_DIR
from codegen.diff import diff, diff_files, diff_specs, render
from codegen.normalize import normalize
from codegen.surface import api_surface

TRACK = RAW_DIR / "journeys-track.json"


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    if not TRACK.is_file():
        pytest.skip(f"{TRACK} absent: run `make specs` with CIO_SPEC_MIRROR set to the pinned specs' directory")
    spec: dict[str, Any] = json.loads(TRACK.read_text())
    return spec


@pytest.fixture(scope="module")
def normalized(pinned: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(pinned)
    normalize(spec)
    return spec


def _lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The diff of two normalized specs, without its title line."""
    return render("t", diff(api_surface(old), api_surface(new))).splitlines()[1:]


def test_identical_specs_have_no_changes(pinned: dict[str, Any]) -> None:
    d = diff_specs(copy.deepcopy(pinned), copy.deepcopy(pinned))
    assert d.empty
    assert render("journeys-track.json", d) == "journeys-track.json: no changes\n"


def test_operations_added_removed_and_renamed(normalized: dict[str, Any]) -> None:
    new = copy.deepcopy(normalized)
    new["paths"]["/api/v1/customers/{identifier}/attributes"] = {
        "patch": {"operationId": "patchAttributes", "tags": ["Customers"], "responses": {"200": {"description": "ok"}}}
    }
    del new["paths"]["/api/v1/merge_customers"]
    new["paths"]["/api/v1/customers/{identifier}"]["delete"]["operationId"] = "deletePerson"
    new["paths"]["/api/v1/forms/{form_id}/submit"]["post"]["tags"] = ["Webforms"]
    assert _lines(normalized, new) == [
        "  + operation added: PATCH /api/v1/customers/{identifier}/attributes (Customers.patchAttributes)",
        "  - operation removed: POST /api/v1/merge_customers (Track Customers.merge)",
        "  ~ operation renamed: DELETE /api/v1/customers/{identifier}: "
        "Track Customers.delete → Track Customers.deletePerson",
        "  ~ operation renamed: POST /api/v1/forms/{form_id}/submit: Forms.submitForm → Webforms.submitForm",
    ]


def test_parameters_added_removed_and_changed_including_the_path_items(pinned: dict[str, Any]) -> None:
    new = copy.deepcopy(pinned)
    new["paths"]["/api/v1/forms/{form_id}/submit"]["post"]["parameters"][0]["schema"] = {"type": "integer"}
    new["paths"]["/api/v1/forms/{form_id}/submit"]["post"]["parameters"].append(
        {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}
    )
    item = new["paths"]["/api/v1/customers/{identifier}/devices/{device_id}"]
    assert item["parameters"], "the pinned spec declares these parameters on the path item"
    removed = item["parameters"].pop()
    assert render("t", diff_specs(copy.deepcopy(pinned), new)).splitlines()[1:] == [
        f"  ~ parameter DELETE /api/v1/customers/{{identifier}}/devices/{{device_id}}: - path {removed['name']} "
        "(required string)",
        "  ~ parameter POST /api/v1/forms/{form_id}/submit: + query dry_run (boolean)",
        "  ~ parameter POST /api/v1/forms/{form_id}/submit: ~ path form_id: required string → required integer",
    ]


def test_schema_changes_are_reported_with_the_json_pointer_inside_the_body(normalized: dict[str, Any]) -> None:
    new = copy.deepcopy(normalized)
    body = new["paths"]["/api/v1/forms/{form_id}/submit"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"]["properties"]["data"]["properties"] = {"zip": {"type": "string"}}
    body["schema"]["properties"]["fresh"] = {"type": "string"}
    # Documentation is not the API: a reworded description changes nothing.
    new["paths"]["/api/v1/events"]["post"]["description"] = "Reworded."
    assert _lines(normalized, new) == [
        "  ~ field POST /api/v1/forms/{form_id}/submit request: + data.zip (string)",
        "  ~ field POST /api/v1/forms/{form_id}/submit request: + fresh (string)",
    ]


def test_a_component_change_shows_at_the_operations_that_use_it(normalized: dict[str, Any]) -> None:
    new = copy.deepcopy(normalized)
    new["components"]["schemas"]["device_object_common"]["properties"]["platform"]["enum"].append("web")
    lines = _lines(normalized, new)
    retyped = "device.platform: required enum (ios, android) → required enum (ios, android, web)"
    assert f"  ~ field PUT /api/v1/customers/{{identifier}}/devices request: ~ {retyped}" in lines
    assert f"  ~ field POST /api/v2/batch request: ~ batch[].{retyped}" in lines
    # The field line says it: no pointer line for the same change beside it.
    assert not [line for line in lines if line.startswith("  ~ schema PUT /api/v1/customers/{identifier}/devices")]
    assert all(line.startswith(("  ~ schema ", "  ~ field ")) for line in lines)


def test_diff_files_names_both_paths(tmp_path: Path, pinned: dict[str, Any]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(pinned))
    changed = copy.deepcopy(pinned)
    del changed["paths"]["/api/v1/metrics"]
    new.write_text(json.dumps(changed))
    assert diff_files(str(old), str(new)).splitlines() == [
        f"{old} → {new}: operations: 1 removed",
        "  - operation removed: POST /api/v1/metrics (Track Events.metrics)",
    ]
