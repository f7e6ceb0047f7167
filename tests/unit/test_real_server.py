"""Auth, retries and typed errors over real sockets on 127.0.0.1, once per transport ("httpx" and "aiohttp")."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import struct
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiocustomerio._config import AppAuth, PipelinesAuth, TrackAuth
from aiocustomerio._http import build_http_client, build_sync_http_client
from aiocustomerio._limits import Limits, RateLimiter
from aiocustomerio._retry import NOT_SENT_EXCEPTIONS, RetryPolicy
from aiocustomerio.errors import APITransportError, BadRequestError, RateLimitError, RedirectError, ServerError
from bench.tls import make_cert

from .conftest import Sleeps


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
    elsewhere: str = ""  # where /moved redirects to

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
        if path.startswith("/hangup"):
            return False  # every time: read the request in full, close without a word
        if path.startswith("/reset"):
            # The request was read in full; the answer is a TCP reset (SO_LINGER 0), as from a crashed backend.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if path.startswith("/short"):
            # A 200 whose body breaks off: Content-Length promises 100 bytes, one arrives, then the connection closes.
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            await writer.drain()
            return False
        if path.startswith("/slow"):
            await asyncio.sleep(3)  # longer than the client's read timeout
        if path.startswith("/flaky") and count == 1:
            status, payload, extra = 503, {"meta": {"error": "try later"}}, {"Retry-After": "0"}
        elif path == "/ratelimited":
            status, payload, extra = 429, {"meta": {"error": "slow down"}}, {"Retry-After": "0"}
        elif path.startswith("/gateway"):
            status, payload, extra = 504, {"meta": {"error": "upstream timed out"}}, {}
        elif path.startswith("/limited-once") and count == 1:
            status, payload, extra = 429, {"meta": {"error": "slow down"}}, {"Retry-After": "0"}
        elif path.startswith("/moved"):
            status, payload, extra = 307, {}, {"Location": self.elsewhere + path}
        elif path == "/bad":
            status, payload, extra = 400, {"errors": [{"field": "email", "reason": "invalid", "message": "bad"}]}, {}
        else:
            echo = {"authorization": headers.get("authorization"), "body": body.decode()}
            status, payload, extra = 200, echo, {}
        data = json.dumps(payload).encode()
        reason = {
            200: "OK",
            307: "Temporary Redirect",
            400: "Bad Request",
            429: "Too Many Requests",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }[status]
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
    api: str,
    base_url: str,
    auth: httpx.Auth,
    transport: str,
    sleeps: Sleeps,
    retry: RetryPolicy | None = None,
    timeout: httpx.Timeout | float = 5.0,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    return build_http_client(
        api,
        base_url=base_url,
        auth=auth,
        limiter=RateLimiter(api, Limits()),
        retry=retry if retry is not None else RetryPolicy(),
        timeout=timeout,
        max_connections=max_connections,
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


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("max_retries", [0, 2])
async def test_a_dropped_connection_is_resent_only_by_our_retries(
    server: Server, transport: str, sleeps: Sleeps, method: str, max_retries: int
) -> None:
    """aiohttp resends an idempotent method once by itself when the server disconnects; with our stack on top that
    would be a request the retry policy never counted (max_retries=0 sent twice, ``attempts`` wrong)."""
    retry = RetryPolicy(max_retries=max_retries)
    async with client("track", server.url, TrackAuth("s", "k"), transport, sleeps, retry) as http:
        with pytest.raises(APITransportError) as info:
            await http.request(method, "/hangup/customers/1", json={} if method == "PUT" else None)
    assert server.seen["/hangup/customers/1"] == max_retries + 1 == info.value.attempts
    assert [h.method for h in server.hits] == [method] * (max_retries + 1)
    assert len(sleeps.delays) == max_retries


UNSAFE = {"aiocustomerio_unsafe": True}


def sync_client(base_url: str, sleeps: Sleeps, retry: RetryPolicy) -> httpx.Client:
    return build_sync_http_client(
        "app", base_url=base_url, auth=AppAuth("k"), limiter=None, retry=retry, timeout=5.0, sleep=sleeps.record
    )


# Each async transport, and the sync client (which sends with httpx only): no skipped combinations.
STACKS = ["async-httpx", "async-aiohttp", "sync"]


async def send_on(
    stack: str, server: Server, sleeps: Sleeps, retry: RetryPolicy, method: str, path: str, **kw: Any
) -> None:
    """One request through the async stack on `stack`'s transport, or through the sync client (in a thread)."""
    if stack.startswith("async-"):
        async with client("app", server.url, AppAuth("k"), stack[6:], sleeps, retry) as http:
            await http.request(method, path, **kw)
    else:
        with sync_client(server.url, sleeps, retry) as blocking:
            await asyncio.to_thread(blocking.request, method, path, **kw)


@pytest.mark.parametrize("stack", STACKS)
async def test_a_2xx_whose_body_breaks_off_is_retried_when_safe(server: Server, stack: str) -> None:
    """The body is part of the answer: a 200 cut short is a transport failure of the stack, retried like one."""
    sleeps, retry = Sleeps(), RetryPolicy(max_retries=2)
    with pytest.raises(APITransportError) as info:
        await send_on(stack, server, sleeps, retry, "GET", "/short/campaigns")
    assert server.seen["/short/campaigns"] == 3 == info.value.attempts and len(sleeps.delays) == 2
    assert isinstance(info.value.cause, (httpx.RemoteProtocolError, httpx.ReadError))
    assert info.value.status == 200 and "200" in str(info.value)


@pytest.mark.parametrize("stack", STACKS)
async def test_an_unsafe_2xx_whose_body_breaks_off_is_not_resent(server: Server, stack: str) -> None:
    """A send answered 200 was processed, body or not: raised typed after one request, never repeated."""
    sleeps, retry = Sleeps(), RetryPolicy(max_retries=2)
    with pytest.raises(APITransportError) as info:
        email = {"to": "a@example.com"}
        await send_on(stack, server, sleeps, retry, "POST", "/short/send/email", json=email, extensions=UNSAFE)
    assert server.seen["/short/send/email"] == 1 == info.value.attempts and sleeps.delays == []
    assert info.value.status == 200


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


@pytest.mark.parametrize("path", ["/slow/send", "/reset/send", "/gateway/send"])
async def test_unsafe_post_reaches_the_server_once(server: Server, transport: str, sleeps: Sleeps, path: str) -> None:
    """After a read timeout, a reset once the request was written, or a 504, a send is not repeated."""
    timeout = httpx.Timeout(5.0, read=0.5)
    async with client("app", server.url, AppAuth("k"), transport, sleeps, timeout=timeout) as http:
        with pytest.raises((APITransportError, ServerError)) as info:
            await http.post(path, json={"to": "a@example.com"}, extensions=UNSAFE)
    assert server.seen[path] == 1 and sleeps.delays == []
    assert info.value.attempts == 1
    if path.startswith("/slow"):
        assert isinstance(info.value, APITransportError) and isinstance(info.value.cause, httpx.ReadTimeout)


async def test_unsafe_post_is_resent_after_a_429(server: Server, transport: str, sleeps: Sleeps) -> None:
    async with client("app", server.url, AppAuth("k"), transport, sleeps) as http:
        response = await http.post("/limited-once/send", json={"n": 1}, extensions=UNSAFE)
    assert response.status_code == 200
    assert [(h.path, h.body) for h in server.hits] == [("/limited-once/send", b'{"n":1}')] * 2


async def test_safe_post_is_resent_after_a_reset(server: Server, transport: str, sleeps: Sleeps) -> None:
    async with client("track", server.url, TrackAuth("s", "k"), transport, sleeps, RetryPolicy(max_retries=2)) as http:
        with pytest.raises(APITransportError) as info:
            await http.post("/reset/batch", json={"batch": []})
    assert server.seen["/reset/batch"] == 3 and info.value.attempts == 3
    assert info.value.last_cause is not None


async def test_a_redirect_is_refused_and_credentials_go_nowhere(server: Server, transport: str, sleeps: Sleeps) -> None:
    other = Server()
    srv = await asyncio.start_server(other.handle, "127.0.0.1", 0)
    server.elsewhere = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
    async with srv, client("track", server.url, TrackAuth("s", "secret-key"), transport, sleeps) as http:
        with pytest.raises(RedirectError) as info:
            await http.put("/moved/customers/1", json={"plan": "pro"})
    assert info.value.location == server.elsewhere + "/moved/customers/1"
    assert server.seen["/moved/customers/1"] == 1 and other.hits == []
    assert "secret-key" not in str(info.value)


async def test_no_free_connection_counts_as_never_sent(server: Server, transport: str, sleeps: Sleeps) -> None:
    """The pool's only connection is busy: the send times out waiting for it, never leaves, and may be retried."""
    timeout = httpx.Timeout(5.0, pool=0.3)
    retry = RetryPolicy(max_retries=2)
    async with client("app", server.url, AppAuth("k"), transport, sleeps, retry, timeout, max_connections=1) as http:
        busy = asyncio.create_task(http.post("/slow/busy", json={}))
        for _ in range(500):  # until the server holds the pool's only connection
            if server.seen["/slow/busy"]:
                break
            await asyncio.sleep(0.01)
        with pytest.raises(APITransportError) as info:
            await http.post("/send", json={"to": "a@example.com"}, extensions=UNSAFE)
        busy.cancel()
    assert isinstance(info.value.cause, NOT_SENT_EXCEPTIONS)
    assert info.value.attempts == 3 and server.seen["/send"] == 0


async def test_an_untrusted_certificate_fails_at_once(tmp_path: Path, transport: str, sleeps: Sleeps) -> None:
    """TLS verification fails the same way every time: one attempt, a typed error, no retry loop."""
    tls = make_cert(str(tmp_path))
    if tls is None:
        pytest.skip("no openssl CLI to make a test certificate: apt-get install openssl")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls)
    state = Server()
    srv = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=context)
    url = f"https://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
    async with srv, client("track", url, TrackAuth("s", "k"), transport, sleeps, RetryPolicy(max_retries=3)) as http:
        with pytest.raises(APITransportError) as info:
            await http.put("/api/v1/customers/1", json={})
    assert isinstance(info.value.cause, httpx.ConnectError)
    assert info.value.attempts == 1 and sleeps.delays == [] and state.hits == []
