"""Fixtures for the command line: a recording local HTTP server, Prism, and running the CLI in-process."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from aiocustomerio.cli import main
from tests.support.batch_server import BatchServer
from tests.support.redis_server import redis_server  # noqa: F401  (a real redis-server, for --redis)

# Distinctive credentials, so a test can assert none of them ever reaches the output.
SECRETS = {
    "CUSTOMERIO_SITE_ID": "site-SECRET-1",
    "CUSTOMERIO_TRACK_API_KEY": "track-SECRET-2",
    "CUSTOMERIO_APP_API_KEY": "app-SECRET-3",
    "CUSTOMERIO_CDP_API_KEY": "cdp-SECRET-4",
}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Seen], tuple[int, Any] | tuple[int, Any, dict[str, str]]]


@dataclass
class LocalServer:
    """Answers each request with ``handler(seen) -> (status, json_body)`` (bytes: sent as they are), or
    ``(status, json_body, headers)``; records what it was sent."""

    handler: Handler = lambda seen: (200, {})
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    state = LocalServer()

    class Handle(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            state.seen.append(seen)
            status, body, *extra = state.handler(seen)
            data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


CLI = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    """Run ``aiocustomerio ARGS...`` in this process (its real entry point) with the test credentials."""
    return make_cli(capsys, monkeypatch)


def make_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    for name in ("CUSTOMERIO_REGION", "CUSTOMERIO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)

    def run(*args: str, **env: str) -> Result:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
async def server() -> AsyncIterator[BatchServer]:
    """The batch-endpoint fault server (tests/support/batch_server.py), in this process."""
    srv = BatchServer()
    await srv.start()
    yield srv
    await srv.close()
