"""Every operation of every normalized spec, sent to Prism: valid requests are accepted, broken ones refused."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import httpx
import pytest

from .builder import APIS, NORMALIZED_DIR, ContractRequest, body_required_fields, build_all, is_secured, load_spec
from .conftest import AUTH, WRONG_SCHEME


def _collect() -> tuple[list[Any], list[Any], list[Any]]:
    missing = [name for name, _ in APIS.values() if not (NORMALIZED_DIR / name).is_file()]
    if missing:
        skip = pytest.param(
            None, marks=pytest.mark.skip(reason="normalized specs missing: run `python -m codegen normalize`")
        )
        return [skip], [skip], [skip]
    specs = {api: load_spec(api) for api in APIS}
    requests = build_all()
    positive = [pytest.param(r, id=r.id) for r in requests]
    missing_field = []
    secured = []
    for r in requests:
        spec = specs[r.api]
        method = r.method.lower()
        required = body_required_fields(spec, r.path_template, method)
        if required and isinstance(r.json_body, dict) and required[0] in r.json_body:
            missing_field.append(pytest.param(r, required[0], id=f"{r.id}-{required[0]}"))
        if is_secured(spec, r.path_template, method):
            secured.append(pytest.param(r, id=r.id))
    return positive, missing_field, secured


POSITIVE, MISSING_FIELD, SECURED = _collect()


async def _send(
    base_url: str, contract: ContractRequest, *, authorization: str | None, body: Any = None
) -> httpx.Response:
    headers = dict(contract.headers)
    if authorization is not None:
        headers["Authorization"] = authorization
    kwargs: dict[str, Any] = {}
    if contract.has_body:
        kwargs["content"] = json.dumps(contract.json_body if body is None else body).encode()
        headers["Content-Type"] = "application/json"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.request(contract.method, contract.path, params=contract.query, headers=headers, **kwargs)


def _violations(response: httpx.Response) -> list[dict[str, Any]]:
    """Prism's validation findings: in its problem+json body, or in ``sl-violations`` when the spec's own error
    response (e.g. a documented 400) was served instead."""
    found: list[dict[str, Any]] = []
    header = response.headers.get("sl-violations")
    if header:
        found.extend(json.loads(header))
    try:
        problem = response.json()
    except ValueError:
        return found
    if isinstance(problem, dict) and isinstance(problem.get("validation"), list):
        found.extend(v for v in problem["validation"] if v not in found)
    return found


def _explain(response: httpx.Response) -> str:
    """Prism's own reason, as a short multi-line string for the assertion message."""
    lines = [f"HTTP {response.status_code}: {response.text[:300]}"]
    for violation in _violations(response):
        where = ".".join(str(p) for p in violation.get("location", []))
        lines.append(f"  [{violation.get('code')}] {where}: {violation.get('message')}")
    return "\n".join(lines)


@pytest.mark.parametrize("contract", POSITIVE)
async def test_operation_accepted(contract: ContractRequest, prism_urls: dict[str, str]) -> None:
    response = await _send(prism_urls[contract.api], contract, authorization=AUTH[contract.api])
    assert response.is_success, (
        f"{contract.method} {contract.path} (body from {contract.body_source}) refused:\n{_explain(response)}"
    )


@pytest.mark.parametrize("contract", POSITIVE)
def test_generated_module_exists(contract: ContractRequest) -> None:
    """The façade will call the generated module named after the tag and operationId; it has to be there."""
    assert importlib.util.find_spec(contract.module_name) is not None, contract.module_name


@pytest.mark.parametrize(("contract", "field"), MISSING_FIELD)
async def test_body_missing_required_field_refused(
    contract: ContractRequest, field: str, prism_urls: dict[str, str]
) -> None:
    body = {k: v for k, v in contract.json_body.items() if k != field}
    response = await _send(prism_urls[contract.api], contract, authorization=AUTH[contract.api], body=body)
    assert response.status_code in (400, 422), _explain(response)
    violations = _violations(response)
    assert any(v.get("code") == "required" and f"'{field}'" in v.get("message", "") for v in violations), _explain(
        response
    )


@pytest.mark.parametrize("contract", SECURED)
@pytest.mark.parametrize("credentials", ["wrong-scheme", "missing"])
async def test_bad_credentials_refused(contract: ContractRequest, credentials: str, prism_urls: dict[str, str]) -> None:
    authorization = WRONG_SCHEME[contract.api] if credentials == "wrong-scheme" else None
    response = await _send(prism_urls[contract.api], contract, authorization=authorization)
    assert response.status_code == 401, _explain(response)
