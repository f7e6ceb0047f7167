"""An operationId or tag rename breaks nothing handwritten: the sugar calls operations by route.

Every operationId and tag of the three specs is renamed, the packages are regenerated into a temporary directory,
and the façade's Track, Pipelines and App tests (sugar and ingestion-shaped calls, asserted on the wire) run unchanged
against them, and mypy strict passes on the sugar (async and sync): its annotations name generated types by route,
never by the generated class names a rename changes. The surface diff reports each rename, and the routes the sugar
declares are all still there.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen import sugar
from codegen.apis import NORMALIZED_DIR, ROOT, by_name
from codegen.diff import diff, render
from codegen.generate import generate_one
from codegen.normalize import normalize
from codegen.surface import api_surface

RENAMED = ("track", "pipelines", "app")
# The generated tag directory each pinned spec has, which the rename must move.
MOVED = {"track": "track_customers", "pipelines": "people", "app": "customers"}
SUGAR = ("app", "track", "pipelines")


def _renamed(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                op["operationId"] = "renamed" + op["operationId"][0].upper() + op["operationId"][1:]
                op["tags"] = [f"Renamed {tag}" for tag in op.get("tags") or ["default"]]
    for tag in spec.get("tags") or []:
        tag["name"] = f"Renamed {tag['name']}"
    return spec


def test_renamed_operations_and_tags_break_no_sugar(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    for name in RENAMED:
        api = by_name(name)
        if not api.normalized(NORMALIZED_DIR).is_file():
            pytest.skip("normalized specs absent: run `make normalize` with CIO_SPEC_MIRROR set")
        pinned = json.loads(api.normalized(NORMALIZED_DIR).read_text())
        spec = _renamed(pinned)
        normalize(spec)
        report = render(api.file, diff(api_surface(pinned), api_surface(spec)))
        assert "operation renamed" in report and "added" not in report and "removed" not in report, report
        assert (
            sugar.missing_routes(
                {"apis": {name: api_surface(spec)}}, [r for r in sugar.declared_routes() if r[1] == name]
            )
            == []
        )
        path = tmp_path / api.file
        path.write_text(json.dumps(spec))
        assert generate_one(api, path, packages).warnings == []
        assert (ROOT / "generated" / api.package / "api" / MOVED[name]).is_dir()
        assert not (packages / api.package / "api" / MOVED[name]).exists()  # the generated names did move

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(packages), str(ROOT)])}
    probe = "import aiocustomerio_track; print(aiocustomerio_track.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(packages)), where
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/facade/test_track.py",
            "tests/facade/test_pipelines.py",
            "tests/facade/test_app.py",
            "-m",
            "not generated_names",  # tests that call generated operations by name: those names moved
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    # Type-check the sugar against the renamed packages (they come first on mypy's path).
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nstrict = True\npython_version = 3.10\n"
        f"mypy_path = {packages}{os.pathsep}{ROOT / 'src'}\n"
        "[mypy-aiocustomerio_app.*,aiocustomerio_track.*,aiocustomerio_pipelines.*]\nfollow_imports = silent\n"
    )
    sugar_files = [f"src/aiocustomerio/{d}{n}.py" for n in SUGAR for d in ("", "_sync/")]
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / ".mypy"),
            *sugar_files,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
