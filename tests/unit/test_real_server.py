"""Auth, retries and typed errors over real sockets on 127.0.0.1, once per transport ("httpx" and "aiohttp")."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from aiocustomerio._config import PipelinesAuth, TrackAuth
from aiocustomerio._http import build_http_client
from aiocustomerio._limits import Limits, RateLimiter
from aiocustomerio._retry import RetryPolicy
from aiocustomerio.errors import APITransportError, BadRequestError, RateLimitError

from .conftest import Sleeps

pytest.importorskip("httpx_aiohttp")


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A small HTTP/1.1 server with keep-alive whose behaviour depends on the path."""

    hits: list[Hit] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.hits.append(Hit(method, path, headers, body))
                self.seen[path] += 1
                if not await self.respond(writer, path, self.seen[path], headers, body):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def respond(
        self, writer: asyncio.StreamWriter, path: str, count: int, headers: dict[str, str], body: bytes
    ) -> bool:
        payload: object
        extra: dict[str, str]
        if path.startswith("/drop") and count == 1:
            return False  # close without answering: the client sees a dropped connection
        if path.startswith("/flaky") and count == 1:
            status, payload, extra = 503, {"meta": {"error": "try later"}}, {"Retry-After": "0"}
        elif path == "/ratelimited":
            status, payload, extra = 429, {"meta": {"error": "slow down"}}, {"Retry-After": "0"}
        elif path == "/bad":
            status, payload, extra = 400, {"errors": [{"field": "email", "reason": "invalid", "message": "bad"}]}, {}
        else:
            echo = {"authorization": headers.get("authorization"), "body": body.decode()}
            status, payload, extra = 200, echo, {}
        data = json.dumps(payload).encode()
        reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests", 503: "Service Unavailable"}[status]
        lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", f"Content-Length: {len(data)}"]
        lines += [f"{name}: {value}" for name, value in extra.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        await writer.drain()
        return True


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    srv = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}"
    async with srv:
        yield state
        srv.close()


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def client(
    api: str, base_url: str, auth: httpx.Auth, transport: str, sleeps: Sleeps, retry: RetryPolicy | None = None
) -> httpx.AsyncClient:
    return build_http_client(
        api,
        base_url=base_url,
        auth=auth,
        limiter=RateLimiter(api, Limits()),
        retry=retry if retry is not None else RetryPolicy(),
        timeout=5.0,
        transport=transport,
        sleep=sleeps,
    )


async def test_auth_headers_on_the_wire(server: Server, transport: str, sleeps: Sleeps) -> None:
    async with client("track", server.url, TrackAuth("site-1", "trk-key"), transport, sleeps) as http:
        response = await http.put("/api/v1/customers/42", json={"email": "a@example.com"})
    async with client("pipelines", server.url + "/v1", PipelinesAuth("cdp-key"), transport, sleeps) as http:
        await http.post("/identify", json={"userId": "u1"})
    assert response.json()["authorization"] == "Basic " + base64.b64encode(b"site-1:trk-key").decode()
    track, pipelines = server.hits
    assert (track.method, track.path, track.body) == ("PUT", "/api/v1/customers/42", b'{"email":"a@example.com"}')
    assert track.headers["user-agent"].startswith("aiocustomerio/")
    assert (pipelines.method, pipelines.path) == ("POST", "/v1/identify")
    assert pipelines.headers["authorization"] == "Basic " + base64.b64encode(b"cdp-key:").decode()


async def test_retry_on_503_resends_the_same_body(server: Server, transport: str, sleeps: Sleeps) -> None:
    async with client("track", server.url, TrackAuth("s", "k"), transport, sleeps) as http:
        response = await http.post("/flaky/1", json={"n": 1})
    assert response.status_code == 200
    assert [(h.path, h.body) for h in server.hits] == [("/flaky/1", b'{"n":1}')] * 2
    assert sleeps.delays == [0.0]


async def test_retry_after_a_dropped_connection(server: Server, transport: str, sleeps: Sleeps) -> None:
    async with client("track", server.url, TrackAuth("s", "k"), transport, sleeps) as http:
        response = await http.post("/drop/1", json={"n": 2})
    assert response.status_code == 200 and response.json()["body"] == '{"n":2}'
    assert server.seen["/drop/1"] == 2


async def test_typed_errors(server: Server, transport: str, sleeps: Sleeps) -> None:
    retry = RetryPolicy(max_retries=2)
    async with client("track", server.url, TrackAuth("s", "k"), transport, sleeps, retry) as http:
        with pytest.raises(BadRequestError) as bad:
            await http.post("/bad", json={})
        with pytest.raises(RateLimitError) as limited:
            await http.get("/ratelimited")
    assert bad.value.errors == [{"field": "email", "reason": "invalid", "message": "bad"}]
    assert bad.value.url == f"{server.url}/bad" and bad.value.method == "POST"
    assert limited.value.retry_after == 0.0 and limited.value.errors == [{"message": "slow down"}]
    assert server.seen["/bad"] == 1 and server.seen["/ratelimited"] == 3


async def test_connection_refused_is_retried_then_wrapped(transport: str, sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port was free a moment ago and nothing listens on it now, so every connect is refused.
    retry = RetryPolicy(max_retries=2)
    async with client("track", f"http://127.0.0.1:{port}", TrackAuth("s", "k"), transport, sleeps, retry) as http:
        with pytest.raises(APITransportError) as info:
            await http.get("/x")
    assert isinstance(info.value.cause, httpx.TransportError)
    assert info.value.url == f"http://127.0.0.1:{port}/x"
    assert len(sleeps.delays) == 2
