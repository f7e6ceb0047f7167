"""Every operation of every normalized spec is in its generated package, and the generator warned about nothing."""

from __future__ import annotations

import json

import pytest

from codegen.apis import APIS, GENERATED_DIR, NORMALIZED_DIR, Api
from codegen.coverage import generated_operations, model_count, spec_operations


def _normalized(api: Api) -> dict:
    path = api.normalized()
    if not path.is_file():
        pytest.skip(f"{path} absent: run `make normalize` with CIO_SPEC_MIRROR set to the pinned specs' directory")
    spec: dict = json.loads(path.read_text())
    return spec


@pytest.mark.parametrize("api", APIS, ids=lambda a: a.name)
def test_every_spec_operation_is_generated(api: Api) -> None:
    want = spec_operations(_normalized(api))
    have = generated_operations(GENERATED_DIR / api.package)
    assert want, f"no operations read from {api.normalized(NORMALIZED_DIR)}"
    assert sorted(want - have) == []
    assert sorted(have - want) == []
    assert model_count(GENERATED_DIR / api.package) > 0


def test_coverage_md_reports_full_coverage_and_no_warnings() -> None:
    rows = {}
    for line in (GENERATED_DIR / "COVERAGE.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in {a.name for a in APIS}:
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(a.name for a in APIS)
    for api in APIS:
        _, package, in_spec, generated, models, warnings = rows[api.name]
        assert package == f"`{api.package}`"
        assert in_spec == generated, f"{api.name}: {generated} of {in_spec} operations generated"
        assert int(models) > 0
        assert warnings == "0", f"{api.name}: generator warnings {warnings}"
        if NORMALIZED_DIR.joinpath(api.file).is_file():
            assert int(in_spec) == len(spec_operations(_normalized(api)))
