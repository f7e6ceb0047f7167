"""codegen.diff on variants of the pinned Track spec: what `make update-specs` prints before adopting a change."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from codegen.apis import RAW_DIR
from codegen.diff import diff, diff_files, render

TRACK = RAW_DIR / "journeys-track.json"


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    if not TRACK.is_file():
        pytest.skip(f"{TRACK} absent: run `make specs` with CIO_SPEC_MIRROR set to the pinned specs' directory")
    spec: dict[str, Any] = json.loads(TRACK.read_text())
    return spec


def test_identical_specs_have_no_changes(pinned: dict[str, Any]) -> None:
    d = diff(pinned, copy.deepcopy(pinned))
    assert d.empty
    assert render("journeys-track.json", d) == "journeys-track.json: no changes\n"


def test_operation_added_and_removed(pinned: dict[str, Any]) -> None:
    new = copy.deepcopy(pinned)
    new["paths"]["/api/v1/customers/{identifier}/attributes"] = {
        "patch": {"operationId": "patchAttributes", "responses": {"200": {"description": "ok"}}}
    }
    del new["paths"]["/api/v1/merge_customers"]
    del new["paths"]["/api/v1/customers/{identifier}"]["delete"]
    assert render("journeys-track.json", diff(pinned, new)).splitlines() == [
        "journeys-track.json:",
        "  + operation added: PATCH /api/v1/customers/{identifier}/attributes",
        "  - operation removed: DELETE /api/v1/customers/{identifier}",
        "  - operation removed: POST /api/v1/merge_customers",
    ]


def test_parameter_and_component_property_changes(pinned: dict[str, Any]) -> None:
    new = copy.deepcopy(pinned)
    new["paths"]["/api/v1/forms/{form_id}/submit"]["post"]["parameters"][0]["schema"] = {"type": "integer"}
    common = new["components"]["schemas"]["device_object_common"]
    common["properties"]["push_enabled"] = {"type": "boolean"}
    del common["properties"]["last_used"]
    common["properties"]["platform"]["enum"].append("web")
    common["required"] = ["platform", "push_enabled"]
    common["description"] = "Reworded."
    # Documentation-only operation keys are not reported; the summary is.
    new["paths"]["/api/v1/events"]["post"]["description"] = "Reworded."
    new["paths"]["/api/v1/events"]["post"]["summary"] = "Renamed"
    assert render("journeys-track.json", diff(pinned, new)).splitlines() == [
        "journeys-track.json:",
        "  ~ operation changed: POST /api/v1/events (summary)",
        "  ~ operation changed: POST /api/v1/forms/{form_id}/submit (parameters)",
        "  ~ schema changed: device_object_common (property push_enabled added; property last_used removed; "
        "property platform changed; required: ['platform'] → ['platform', 'push_enabled']; description changed)",
    ]


def test_schemas_added_and_removed(pinned: dict[str, Any]) -> None:
    new = copy.deepcopy(pinned)
    new["components"]["schemas"]["zz_new_thing"] = {"type": "string"}
    del new["components"]["schemas"]["cio_id"]
    assert render("track", diff(pinned, new)).splitlines() == [
        "track:",
        "  + schema added: zz_new_thing",
        "  - schema removed: cio_id",
    ]


def test_diff_files_names_both_paths(tmp_path: Path, pinned: dict[str, Any]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(pinned))
    changed = copy.deepcopy(pinned)
    changed["paths"]["/api/v1/metrics"]["post"]["deprecated"] = True
    new.write_text(json.dumps(changed))
    assert diff_files(str(old), str(new)).splitlines() == [
        f"{old} → {new}:",
        "  ~ operation changed: POST /api/v1/metrics (deprecated)",
    ]


def test_path_level_parameters_and_operation_ids_are_compared(pinned: dict[str, Any]) -> None:
    # Parameters declared on the path item apply to every operation under it; a renamed operationId renames the
    # generated function. Both change the generated client, so both must show.
    new = copy.deepcopy(pinned)
    item = new["paths"]["/api/v1/customers/{identifier}/devices/{device_id}"]
    assert item["parameters"], "the pinned spec declares these parameters on the path item"
    item["parameters"][-1]["schema"] = {"type": "integer"}
    new["paths"]["/api/v1/accounts/region"]["get"]["operationId"] = "renamedRegion"
    assert render("t", diff(pinned, new)).splitlines() == [
        "t:",
        "  ~ operation changed: DELETE /api/v1/customers/{identifier}/devices/{device_id} (parameters)",
        "  ~ operation changed: GET /api/v1/accounts/region (operationId)",
    ]
