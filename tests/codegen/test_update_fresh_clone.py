"""`python -m codegen update` (what `make update-specs` runs before the tests) on a fresh clone of this repository.

A fresh clone has no old spec, only the committed lock and surface snapshot: the update must still say what changed
(operations, parameters, schemas by JSON pointer, the generated documents), and refuse a spec that drops a route
the sugar calls, naming both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen import sugar, surface
from codegen.apis import APIS, RAW_DIR, ROOT, by_name


def _pinned(api_file: str) -> dict[str, Any]:
    mirror = os.environ.get("CIO_SPEC_MIRROR")
    for base in (RAW_DIR, Path(mirror) if mirror else None):
        if base is not None and (base / api_file).is_file():
            data: dict[str, Any] = json.loads((base / api_file).read_text())
            return data
    pytest.skip(f"{api_file} unavailable: set CIO_SPEC_MIRROR to the pinned specs' directory")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the project")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    assert not (target / "specs" / "raw").exists(), "a fresh clone carries no spec copies"
    return target


def _mirror(tmp_path: Path, change: Any) -> Path:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for api in APIS:
        spec = _pinned(api.file)
        if api.name == "track":
            change(spec)
        (mirror / api.file).write_text(json.dumps(spec))
    return mirror


def _update(clone: Path, mirror: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIO_SPEC_MIRROR": str(mirror)}
    return subprocess.run(
        [sys.executable, "-m", "codegen", "update"], cwd=clone, env=env, capture_output=True, text=True, timeout=600
    )


def _grow(spec: dict[str, Any]) -> None:
    spec["paths"]["/api/v1/customers/{identifier}/notes"] = {
        "post": {
            "operationId": "addNote",
            "tags": ["Track Customers"],
            "parameters": [
                {"name": "identifier", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "pinned", "in": "query", "schema": {"type": "boolean"}},
            ],
            "responses": {"200": {"description": "ok"}},
        }
    }
    submit = spec["paths"]["/api/v1/forms/{form_id}/submit"]["post"]
    submit["parameters"].append({"name": "dry_run", "in": "query", "schema": {"type": "boolean"}})
    submit["requestBody"]["content"]["application/json"]["schema"]["properties"]["source"] = {"type": "string"}


def test_update_on_a_fresh_clone_prints_what_changed_and_regenerates(clone: Path, tmp_path: Path) -> None:
    result = _update(clone, _mirror(tmp_path, _grow))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "no locked copy" not in out
    assert "journeys-app.json: no changes" in out and "pipelines.json: no changes" in out
    assert "  + operation added: POST /api/v1/customers/{identifier}/notes (Track Customers.addNote)" in out
    assert "  ~ parameter POST /api/v1/forms/{form_id}/submit: + query dry_run (boolean)" in out
    assert "  ~ field POST /api/v1/forms/{form_id}/submit request: + source (string)" in out
    assert "journeys-track.json: operations: 1 added, 1 changed" in out
    assert (
        "-| track | `aiocustomerio_track` | 18 | 18 |" in out and "+| track | `aiocustomerio_track` | 19 | 19 |" in out
    )
    # The clone's snapshot moved to the new surface, and the new operation was generated.
    adopted = surface.read(clone / "specs" / "surface.json")
    assert adopted is not None and "POST /api/v1/customers/{identifier}/notes" in adopted["apis"]["track"]
    assert (clone / "generated" / "aiocustomerio_track" / "api" / "track_customers" / "add_note.py").is_file()
    # ... and reached the API reference, with its call and its route.
    api_md = (clone / "generated" / "API.md").read_text()
    assert (
        "`await cio.track.track_customers.add_note(identifier, *, pinned=…)` | "
        "`POST /api/v1/customers/{identifier}/notes`" in api_md
    )


def test_an_update_that_drops_a_sugar_route_fails_naming_it(clone: Path, tmp_path: Path) -> None:
    routes = [r for r in sugar.declared_routes() if r[1] == "track"]
    if not routes:
        pytest.skip("aiocustomerio._routes declares no Track sugar routes yet")
    name, _api, method, path = routes[0]
    lock_before = (clone / "specs" / "lock.json").read_text()

    def drop(spec: dict[str, Any]) -> None:
        del spec["paths"][path][method.lower()]

    result = _update(clone, _mirror(tmp_path, drop))
    assert result.returncode == 1
    assert f"{name} relies on track {method} {path}, which the new spec no longer has" in result.stderr
    assert f"  - operation removed: {method} {path}" in result.stdout
    assert (clone / "specs" / "lock.json").read_text() == lock_before, "nothing is adopted"


def test_missing_routes_names_the_sugar_method_and_the_route() -> None:
    track = by_name("track")
    snapshot = {"apis": {track.name: {"PUT /api/v1/customers/{identifier}": {}}}}
    routes = [
        ("cio.track.identify", "track", "PUT", "/api/v1/customers/{identifier}"),
        ("cio.track.event", "track", "POST", "/api/v1/customers/{identifier}/events"),
    ]
    assert sugar.missing_routes(snapshot, routes) == [
        "cio.track.event relies on track POST /api/v1/customers/{identifier}/events, which the new spec no longer has"
    ]


def test_the_declared_sugar_routes_are_read_from_the_facade() -> None:
    routes = sugar.declared_routes()
    if not routes:
        pytest.skip("aiocustomerio._routes is not on this branch yet")
    assert ("cio.track.identify", "track", "PUT", "/api/v1/customers/{identifier}") in routes
    committed = surface.read()
    assert committed is not None
    assert sugar.missing_routes(committed, routes) == [], "every sugar route is in the committed surface"
