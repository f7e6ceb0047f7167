"""The command line against the Prism mocks: a sample of operations across the three APIs, sent for real.

It lives beside the contract tests to share their session's Prism servers (started once, by tests/support/prism.py).
"""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import CLI, SECRETS, make_cli


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    return make_cli(capsys, monkeypatch)


# A sample across the three APIs: reads, writes with a body, path parameters; all answered from the spec's examples.
PRISM_SAMPLE = [
    ("app", ["app", "campaigns", "list-campaigns"]),
    ("app", ["app", "customers", "get_person_attributes", "42", "--id-type", "id"]),
    ("app", ["app", "segments", "get-segment", "7"]),
    ("track", ["track", "track-customers", "identify", "u 1", "--body", '{"email": "u1@example.com"}']),
    ("track", ["track", "track-events", "track", "u1", "--body", '{"name": "purchase", "data": {"total": 3}}']),
    ("pipelines", ["pipelines", "people", "identify", "--body", '{"userId": "u1", "traits": {"plan": "pro"}}']),
    (
        "pipelines",
        [
            "pipelines",
            "events-and-pageviews",
            "track",
            "--body",
            '{"type": "track", "userId": "u1", "event": "signup"}',
        ],
    ),
]


@pytest.mark.parametrize(("api", "args"), PRISM_SAMPLE, ids=[" ".join(a[:3]) for _, a in PRISM_SAMPLE])
def test_real_calls_to_the_prism_mocks(cli: CLI, prism_urls: dict[str, str], api: str, args: list[str]) -> None:
    result = cli(*args, "--base-url", prism_urls[api])
    assert result.code == 0, result.err
    if result.out.strip():
        json.loads(result.out)  # the response body, as JSON
    assert not any(secret in result.out + result.err for secret in SECRETS.values())


def test_prism_refusal_is_an_api_error_with_the_typed_message(cli: CLI, prism_urls: dict[str, str]) -> None:
    # Prism validates the body against the spec: a required field missing is a 422 → BadRequestError, exit 1.
    result = cli("pipelines", "people", "identify", "--body", '{"traits": 1}', "--base-url", prism_urls["pipelines"])
    assert result.code == 1
    assert result.err.startswith("aiocustomerio: ") and "422" in result.err
    assert "Traceback" not in result.err
