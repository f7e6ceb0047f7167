"""The pull step: specs come from a mirror, are checked against the lock, and land only when they match."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import lock, pull
from codegen.apis import APIS, ROOT


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    directory = tmp_path / "mirror"
    directory.mkdir()
    for api in APIS:
        (directory / api.file).write_bytes(f'{{"openapi": "3.0.0", "info": {{"title": "{api.name}"}}}}\n'.encode())
    return directory


@pytest.fixture
def lock_path(tmp_path: Path, mirror: Path) -> Path:
    path = tmp_path / "lock.json"
    lock.write({api.name: lock.sha256((mirror / api.file).read_bytes()) for api in APIS}, path)
    return path


def test_specs_matching_the_lock_land_in_dest(tmp_path: Path, mirror: Path, lock_path: Path) -> None:
    dest = tmp_path / "raw"
    paths = pull.pull(mirror=mirror, dest=dest, lock_path=lock_path)
    assert paths == {api.name: dest / api.file for api in APIS}
    for api in APIS:
        assert (dest / api.file).read_bytes() == (mirror / api.file).read_bytes()
        lock.verify(api, (dest / api.file).read_bytes(), lock_path)
    assert pull.have_pinned(dest, lock_path)


def test_a_changed_spec_stops_the_pull_and_writes_nothing(tmp_path: Path, mirror: Path, lock_path: Path) -> None:
    changed = APIS[1]
    (mirror / changed.file).write_bytes(b'{"openapi": "3.0.0", "paths": {"/new": {}}}\n')
    dest = tmp_path / "raw"
    with pytest.raises(lock.SpecChanged) as info:
        pull.pull(mirror=mirror, dest=dest, lock_path=lock_path)
    message = str(info.value)
    assert f"The upstream spec {changed.file} changed" in message
    assert "make update-specs" in message
    assert list(dest.iterdir()) == []
    assert not pull.have_pinned(dest, lock_path)


def test_without_verify_a_changed_spec_is_fetched(tmp_path: Path, mirror: Path, lock_path: Path) -> None:
    (mirror / APIS[0].file).write_bytes(b"{}\n")
    dest = tmp_path / "raw"
    pull.pull(mirror=mirror, dest=dest, lock_path=lock_path, verify=False)
    assert (dest / APIS[0].file).read_bytes() == b"{}\n"


def test_a_file_missing_from_the_mirror_names_the_variable(tmp_path: Path, mirror: Path, lock_path: Path) -> None:
    (mirror / APIS[2].file).unlink()
    dest = tmp_path / "raw"
    with pytest.raises(pull.SpecUnavailable, match="CIO_SPEC_MIRROR") as info:
        pull.pull(mirror=mirror, dest=dest, lock_path=lock_path)
    assert APIS[2].file in str(info.value)
    assert list(dest.iterdir()) == []


def test_mirror_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CIO_SPEC_MIRROR", f" {tmp_path} ")
    assert pull.mirror_from_env() == tmp_path
    monkeypatch.setenv("CIO_SPEC_MIRROR", "")
    assert pull.mirror_from_env() is None


def test_check_skips_with_a_one_line_notice_when_the_specs_cannot_be_had(tmp_path: Path) -> None:
    # A copy of codegen/ resolves specs/ next to itself, so the repository's own specs stay out of reach.
    shutil.copytree(ROOT / "codegen", tmp_path / "codegen", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "specs").mkdir()
    shutil.copyfile(ROOT / "specs" / "lock.json", tmp_path / "specs" / "lock.json")
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    env = {**os.environ, "CIO_SPEC_MIRROR": str(empty), "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "check", "--skip-if-unavailable"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    assert lines[0].startswith("SKIPPED check-generated:")
    assert "CIO_SPEC_MIRROR" in lines[0]
    assert not list((tmp_path / "specs" / "raw").glob("*.json"))


def test_check_sees_edits_and_stray_modules_inside_packages(tmp_path: Path) -> None:
    from codegen.steps import tree_differences

    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for root in (committed, fresh):
        (root / "aiocustomerio_app" / "api").mkdir(parents=True)
        (root / "aiocustomerio_app" / "api" / "op.py").write_text("x = 1\n")
        (root / "COVERAGE.md").write_text("table\n")
    assert tree_differences(committed, fresh) == []
    (committed / "notes.txt").write_text("beside the packages: not codegen's business\n")
    (committed / "aiocustomerio_app" / "api" / "stray.py").write_text("hand-added\n")
    (committed / "aiocustomerio_app" / "api" / "op.py").write_text("x = 2\n")
    assert sorted(tree_differences(committed, fresh)) == [
        "differs: aiocustomerio_app/api/op.py",
        "only in generated/: aiocustomerio_app/api/stray.py",
    ]
