"""Every operation of every normalized spec, sent to Prism: valid requests are accepted, broken ones refused."""

from __future__ import annotations

import importlib.util
import inspect
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_python_client.strings import PythonIdentifier

from aiocustomerio import APIStatusError, AuthenticationError, BadRequestError, CustomerIO, Limits, RetryPolicy
from aiocustomerio._base import AsyncOperation as Operation

from .builder import (
    APIS,
    FIELD_PREFIX,
    NORMALIZED_DIR,
    ContractRequest,
    body_required_fields,
    build_all,
    is_secured,
    load_spec,
)
from .conftest import APP_KEY, CDP_KEY, SITE_ID, TRACK_KEY, WRONG_SCHEME


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


def _client(prism_urls: dict[str, str]) -> CustomerIO:
    """The façade pointed at the mocks, with dummy credentials (Prism checks the scheme, never the values)."""
    return CustomerIO(
        site_id=SITE_ID,
        track_api_key=TRACK_KEY,
        app_api_key=APP_KEY,
        cdp_api_key=CDP_KEY,
        track_base_url=prism_urls["track"],
        app_base_url=prism_urls["app"],
        pipelines_base_url=prism_urls["pipelines"],
        limits=Limits.disabled(),
        retry=RetryPolicy.disabled(),
        env={},
    )


def _arguments(op: Operation[Any], contract: ContractRequest, body: Any = None) -> dict[str, Any]:
    """The builder's wire-named values as the keyword arguments of the operation (``type`` → ``type_``)."""
    accepted = set(inspect.signature(op.module._get_kwargs).parameters)
    kwargs: dict[str, Any] = {}
    for values in (contract.path_params, contract.values):  # typed, as a caller passes them
        for wire, value in values.items():
            name = str(PythonIdentifier(wire, prefix=FIELD_PREFIX))
            if name in accepted:
                kwargs[name] = value
    if contract.has_body:
        kwargs["body"] = contract.json_body if body is None else body
    return kwargs


@pytest.mark.parametrize("contract", POSITIVE)
async def test_operation_accepted(contract: ContractRequest, prism_urls: dict[str, str]) -> None:
    """Through the façade: Prism accepts the request, and its answer parses into the generated model."""
    async with _client(prism_urls) as cio:
        op = getattr(cio, contract.api).operation(contract.method, contract.path_template)
        try:
            response = await op.with_raw_response(**_arguments(op, contract))
        except APIStatusError as exc:
            pytest.fail(
                f"{contract.method} {contract.path} (body from {contract.body_source}) refused:\n"
                f"{_explain(exc.response)}"
            )
        assert response.is_success
        op.parse(response)  # raises ResponseValidationError when the answer does not fit the model


@pytest.mark.parametrize("contract", POSITIVE)
def test_generated_module_exists(contract: ContractRequest) -> None:
    """The façade will call the generated module named after the tag and operationId; it has to be there."""
    assert importlib.util.find_spec(contract.module_name) is not None, contract.module_name


@pytest.mark.parametrize(("contract", "field"), MISSING_FIELD)
async def test_body_missing_required_field_refused(
    contract: ContractRequest, field: str, prism_urls: dict[str, str]
) -> None:
    """A body without a required field comes back as the façade's 400/422 error, naming the field."""
    body = {k: v for k, v in contract.json_body.items() if k != field}
    async with _client(prism_urls) as cio:
        op = getattr(cio, contract.api).operation(contract.method, contract.path_template)
        with pytest.raises(BadRequestError) as info:
            await op(**_arguments(op, contract, body=body))
    assert info.value.status in (400, 422)
    violations = _violations(info.value.response)
    assert any(v.get("code") == "required" and f"'{field}'" in v.get("message", "") for v in violations), _explain(
        info.value.response
    )


@pytest.mark.parametrize("contract", SECURED)
async def test_wrong_credentials_scheme_refused(contract: ContractRequest, prism_urls: dict[str, str]) -> None:
    """The scheme another API uses (Bearer to Track, Basic to App) comes back as the façade's 401 error."""
    async with _client(prism_urls) as cio:
        api = getattr(cio, contract.api)
        http = await api.connect()
        scheme, _, token = WRONG_SCHEME[contract.api].partition(" ")
        http.auth = _StaticAuth(f"{scheme} {token}")
        op = api.operation(contract.method, contract.path_template)
        with pytest.raises(AuthenticationError) as info:
            await op(**_arguments(op, contract))
    assert info.value.status == 401


class _StaticAuth(httpx.Auth):
    def __init__(self, header: str) -> None:
        self.header = header

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self.header
        yield request
