"""tests.support.prism: the Node.js requirement, and a real Prism started, answering, and stopped."""

from __future__ import annotations

import base64
import http.client
import json
from pathlib import Path

import pytest

from tests.support import prism
from tests.support.prism import PrismServer, PrismUnavailable


def test_missing_node_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prism, "node_version", lambda: None)
    with pytest.raises(PrismUnavailable) as info:
        prism.ensure_prism()
    assert str(info.value) == "Node.js >= 18.0 is required for the Prism mock server, but `node` was not found"


def test_old_node_names_the_version_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prism, "node_version", lambda: (16, 20, 2))
    with pytest.raises(PrismUnavailable, match=r"Node.js >= 18.0 is required .*, found 16.20.2$"):
        prism.check_node()


def test_node_version_is_read_from_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert prism.node_version() is None


def _post(port: int, path: str, body: object, authorization: str | None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_prism_serves_a_spec_checks_auth_and_stops(tmp_path: Path) -> None:
    try:
        prism.check_node()
    except PrismUnavailable as exc:
        pytest.skip(str(exc))
    spec = prism.DEFAULT_SPECS_DIR / "pipelines.json"
    if not spec.is_file():
        pytest.skip("normalized specs missing: run `python -m codegen normalize`")
    log = tmp_path / "prism.log"
    basic = "Basic " + base64.b64encode(b"cdp-key:").decode()
    with PrismServer(spec, log_path=log) as server:
        assert server.port is not None
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        # Served at the spec's path: the server URL's /v1 prefix is not part of it.
        assert _post(server.port, "/identify", {"userId": "42"}, basic)[0] == 200
        assert _post(server.port, "/v1/identify", {"userId": "42"}, basic)[0] == 404
        assert _post(server.port, "/identify", {"userId": "42"}, None)[0] == 401
        assert _post(server.port, "/identify", {"userId": "42"}, "Bearer cdp-key")[0] == 401
        status, problem = _post(server.port, "/identify", {"userId": 42}, basic)
        assert status == 422 and "userId must be string" in problem
        port = server.port
    with pytest.raises(OSError):
        _post(port, "/identify", {"userId": "42"}, basic)
    assert "Prism is listening" in log.read_text()
