"""An operationId or tag rename breaks nothing handwritten: the sugar calls operations by route.

Every operationId and tag of the Track and Pipelines specs is renamed, the packages are regenerated into a temporary
directory, and the façade's Track and Pipelines tests (sugar and ingestion-shaped calls, asserted on the wire) run
unchanged against them. The surface diff reports each rename, and the routes the sugar declares are all still there.
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

RENAMED = ("track", "pipelines")


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
        assert not (packages / api.package / "api" / "track_customers").exists()  # the generated names did move

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
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
