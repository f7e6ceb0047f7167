"""Every operation of every normalized spec is in its generated package, and the generator warned about nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from codegen.apis import APIS, GENERATED_DIR, NORMALIZED_DIR, Api, by_name
from codegen.coverage import generated_operations, model_count, spec_operations
from codegen.pagination import pagination


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
        if len(cells) == 7 and cells[0] in {a.name for a in APIS}:
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(a.name for a in APIS)
    for api in APIS:
        _, package, in_spec, generated, models, warnings, paginated = rows[api.name]
        assert package == f"`{api.package}`"
        assert in_spec == generated, f"{api.name}: {generated} of {in_spec} operations generated"
        assert int(models) > 0
        assert warnings == "0", f"{api.name}: generator warnings {warnings}"
        if NORMALIZED_DIR.joinpath(api.file).is_file():
            assert int(in_spec) == len(spec_operations(_normalized(api)))
            n = len(_page_tokens(_normalized(api)))
            assert paginated == f"{n} of {n}"


def _page_tokens(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, method) of every operation taking a string ``start`` query parameter that promises ``next``: read
    here straight from the spec (path-item and operation parameters alike), independently of codegen."""
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for param in [*item.get("parameters", []), *op.get("parameters", [])]:
                if param.get("$ref"):
                    param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
                if (param["in"], param["name"], param.get("schema", {}).get("type")) == ("query", "start", "string"):
                    if re.search(r"\bnext\b", param.get("description", "")):
                        found.append((path, method))
    return found


def test_every_cursor_listing_of_the_app_spec_paginates() -> None:
    """17 of 17 on the pinned App spec (the issue that found only 4 counted them the same way)."""
    spec = _normalized(by_name("app"))
    tokens = _page_tokens(spec)
    assert len(tokens) == 17
    assert [(p, m) for p, m in tokens if pagination(spec, spec["paths"][p][m]) is None] == []
