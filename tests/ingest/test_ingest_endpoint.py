"""A wrong endpoint halts delivery and keeps every item, as refused credentials do: 3xx answers, 404/405 from the
batch endpoint, TLS certificates that do not verify, host names that keep failing to resolve. A rerun with the
configuration fixed delivers everything."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from aiocustomerio import CustomerIO
from aiocustomerio.ingest import Ingestor, IngestorHalted
from bench.tls import make_cert
from tests.support.batch_server import BatchServer

from .conftest import ClientFactory

FAST = {"backoff": (0.001, 0.01)}


async def fill(ing: object, count: int, prefix: str) -> None:
    for i in range(count):
        try:
            await ing.event(f"u{i}", "viewed", {"n": i}, id=f"{prefix}{i}")  # type: ignore[attr-defined]
        except IngestorHalted:
            return


async def rerun_delivers(server: BatchServer, client: ClientFactory, spool: Path, expected: set[str]) -> None:
    server.redirect_to = server.answer_with = None
    async with Ingestor(client(), spool=spool) as second:
        pass
    assert second.report.ok, second.report.summary()
    assert second.report.recovered == len(expected) == second.report.delivered
    assert server.ids == expected


@pytest.mark.parametrize("path", ["/wrong", "/api/v1"])
async def test_a_wrong_base_url_halts_and_a_rerun_delivers_everything(
    server: BatchServer, tmp_path: Path, path: str
) -> None:
    spool = tmp_path / "spool.db"
    wrong = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}{path}", auth=("site", "key"))
    async with wrong, Ingestor(wrong, spool=spool, max_batch_items=100, max_wait=5.0, **FAST) as first:
        await fill(first, 3000, "w")
    report = first.report
    assert report.halted is not None and "HTTP 404" in report.halted and "base URL or region is wrong" in report.halted
    assert report.failed_count == 0 and report.delivered == 0
    assert len(report.pending) == report.accepted == report.spooled and report.accepted > 0
    assert server.statuses[404] <= 4  # halted at the first answers (one per lane in flight), not one per batch
    await rerun_delivers(server, _client_factory(server), spool, {p["id"] for p in report.pending})


async def test_a_redirect_halts_naming_the_location(server: BatchServer, client: ClientFactory, tmp_path: Path) -> None:
    server.redirect_to = "https://track.example.com"
    spool = tmp_path / "spool.db"
    async with Ingestor(client(), spool=spool, max_batch_items=100, max_wait=5.0, **FAST) as first:
        await fill(first, 3000, "r")
    report = first.report
    assert report.halted is not None and report.halted.startswith("HTTP 307 redirect to https://track.example.com")
    assert report.failed_count == 0 and len(report.pending) == report.accepted == report.spooled > 0
    await rerun_delivers(server, client, spool, {p["id"] for p in report.pending})


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (410, "the batch endpoint is gone"),
        (426, "wants another protocol (Upgrade: TLS/1.3, HTTP/2)"),
        (414, "URL is too long"),
        (431, "request headers are too large"),
    ],
)
@pytest.mark.parametrize("facade", [False, True])
async def test_an_answer_about_the_endpoint_halts_and_a_rerun_delivers_everything(
    server: BatchServer, client: ClientFactory, tmp_path: Path, status: int, says: str, facade: bool
) -> None:
    """Every batch gets the same answer to these (the URL and headers do not change from batch to batch): failing
    items one by one would dead-letter the whole backfill for one wrong setting."""
    server.answer_with = status
    spool = tmp_path / "spool.db"
    if facade:  # the façade's client raises typed errors: the other path into the same rule
        url = f"http://127.0.0.1:{server.port}"
        cio = CustomerIO(site_id="site", track_api_key="key", track_base_url=url, transport="httpx")
        async with cio, cio.track.ingestor(spool=spool, max_batch_items=100, max_wait=5.0, **FAST) as first:
            await fill(first, 1000, "g")
    else:
        async with Ingestor(client(), spool=spool, max_batch_items=100, max_wait=5.0, **FAST) as first:
            await fill(first, 1000, "g")
    report = first.report
    assert report.halted is not None and f"HTTP {status}" in report.halted and says in report.halted, report.halted
    assert report.failed_count == 0 and report.delivered == 0
    assert len(report.pending) == report.accepted == report.spooled > 0
    assert server.statuses[status] <= 4  # halted at the first answers, not one per batch
    await rerun_delivers(server, client, spool, {p["id"] for p in report.pending})


async def test_a_413_for_every_batch_fails_items_and_does_not_halt(
    server: BatchServer, client: ClientFactory, tmp_path: Path
) -> None:
    """413 is about the batch's size: the ingestor halves it down to one item; a lone item still too large is that
    item's fault (its own dead letter), and the endpoint keeps taking the others."""
    server.answer_with = 413
    async with Ingestor(client(), spool=tmp_path / "spool.db", max_batch_items=4, **FAST) as ing:
        await fill(ing, 8, "b")
    report = ing.report
    assert report.halted is None
    assert report.failed_count == 8 and not report.pending
    assert server.statuses[413] > 8  # batches halved down to every item alone


@pytest.mark.parametrize("transport", ["client", "aiohttp", "httpx"])
async def test_a_certificate_that_does_not_verify_halts_instead_of_retrying_forever(
    tmp_path: Path, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    # "client": a plain httpx client handed to the ingestor; the others: the façade's ingestor on each transport
    # (aiohttp, the default, raises its own certificate error, which has no `verify_message`).
    pair = make_cert(str(tmp_path))
    if pair is None:
        pytest.skip("needs the openssl command to make a test certificate (apt-get install openssl)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*pair)
    server = BatchServer(ssl_context=context)
    await server.start()
    url = f"https://127.0.0.1:{server.port}"
    try:
        # Verified against the system's CAs, which do not know the self-signed certificate.
        if transport == "client":
            http = httpx.AsyncClient(base_url=url, auth=("site", "key"))
            async with http, Ingestor(http, spool=tmp_path / "spool.db", **FAST) as ing:
                await ing.event("u1", "e", id="t1")
                await ing.flush()  # returns once halted; before the fix it retried forever
        else:
            cio = CustomerIO(site_id="site", track_api_key="key", track_base_url=url, transport=transport)
            async with cio, cio.track.ingestor(spool=tmp_path / "spool.db", **FAST) as ing:
                await ing.event("u1", "e", id="t1")
                await ing.flush()
        assert ing.report.halted is not None and "TLS certificate verification failed" in ing.report.halted
        assert [p["id"] for p in ing.report.pending] == ["t1"] and ing.report.spooled == 1
        assert not [r for r in caplog.records if r.exc_info], "a known failure is reported, not logged as a bug"
    finally:
        await server.close()


class Unresolvable(httpx.AsyncBaseTransport):
    """What httpx raises for a host name the resolver does not know (without asking a real resolver)."""

    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from exc


async def test_a_host_name_that_keeps_failing_to_resolve_halts() -> None:
    from aiocustomerio._retry import RetryPolicy

    transport = Unresolvable()
    http = httpx.AsyncClient(base_url="http://track.customerio.invalid", transport=transport)
    policy = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.01)
    async with http, Ingestor(http, retry=policy) as ing:
        await ing.event("u1", "e", id="d1")
        await ing.flush()
    assert transport.calls == 4  # the first try and the policy's 3 retries
    assert ing.report.halted is not None and "does not resolve" in ing.report.halted
    assert [p["id"] for p in ing.report.pending] == ["d1"] and ing.report.failed_count == 0


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released: the kernel does not hand it out again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("transport", ["client", "aiohttp", "httpx"])
async def test_a_connection_refused_that_keeps_coming_halts(tmp_path: Path, transport: str) -> None:
    from aiocustomerio._retry import RetryPolicy

    port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    policy = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.01)
    if transport == "client":
        async with httpx.AsyncClient(base_url=url, auth=("site", "key")) as http:
            ing = Ingestor(http, spool=tmp_path / "spool.db", retry=policy)
            await _halts_in_time(ing)
    else:
        async with CustomerIO(site_id="site", track_api_key="key", track_base_url=url, transport=transport) as cio:
            ing = cio.track.ingestor(spool=tmp_path / "spool.db", retry=policy)
            await _halts_in_time(ing)
    halted = ing.report.halted
    assert halted is not None and "4 times in a row" in halted, halted
    assert f"nothing is listening at 127.0.0.1:{port}: check the base URL's port (or that the proxy is up)" in halted
    assert [p["id"] for p in ing.report.pending] == ["p1"] and ing.report.spooled == 1


class RefusedThenServed(httpx.AsyncBaseTransport):
    """Refuses the first `refusals` connections as the kernel does (ECONNREFUSED under httpx's ConnectError), then
    answers 200: a server that was restarting."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, str(request.url)))
        if len(self.sent) <= self.refusals:
            try:
                raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 9)")
            except ConnectionRefusedError as exc:
                raise httpx.ConnectError("All connection attempts failed", request=request) from exc
        return httpx.Response(200, json={})


@pytest.mark.parametrize("refusals", [1, 3])
async def test_refusals_fewer_than_the_retries_then_success_do_not_halt(refusals: int) -> None:
    from aiocustomerio._retry import RetryPolicy

    transport = RefusedThenServed(refusals)
    http = httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=transport)
    policy = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.01)
    async with http, Ingestor(http, retry=policy) as ing:
        await ing.event("u1", "e", id="c1")
        await asyncio.wait_for(ing.flush(), 20)
    assert ing.report.halted is None and ing.report.delivered == 1 and ing.report.retried == refusals
    assert transport.sent == [("POST", "http://127.0.0.1:9/api/v2/batch")] * (refusals + 1)


async def test_refusals_broken_by_an_answer_are_not_in_a_row() -> None:
    """A 503 between refusals means something is listening: the count starts again, as after a delivery."""
    from aiocustomerio._retry import RetryPolicy

    answers = iter([None, None, None, httpx.Response(503), None, None, None, httpx.Response(200, json={})])

    def refuse_or_answer(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer is None:
            try:
                raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 9)")
            except ConnectionRefusedError as exc:
                raise httpx.ConnectError("All connection attempts failed", request=request) from exc
        return answer

    http = httpx.AsyncClient(base_url="http://127.0.0.1:9", transport=httpx.MockTransport(refuse_or_answer))
    policy = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.01)
    async with http, Ingestor(http, retry=policy) as ing:
        await ing.event("u1", "e", id="c1")
        await asyncio.wait_for(ing.flush(), 20)
    assert ing.report.halted is None and ing.report.delivered == 1 and ing.report.retried == 7
    assert next(answers, "all sent") == "all sent"


async def test_405_from_the_batch_endpoint_halts() -> None:
    http = httpx.AsyncClient(
        base_url="http://127.0.0.1:9", transport=httpx.MockTransport(lambda _: httpx.Response(405, text="no POST"))
    )
    async with http, Ingestor(http, **FAST) as ing:
        await ing.event("u1", "e", id="m1")
    assert ing.report.halted is not None and ing.report.halted.startswith("HTTP 405: no POST from the batch endpoint")
    assert [p["id"] for p in ing.report.pending] == ["m1"] and ing.report.failed_count == 0


def _client_factory(server: BatchServer) -> ClientFactory:
    def make(api: str = "track", auth: tuple[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", auth=auth or ("site", "key"))

    return make


async def _plain_http_server() -> asyncio.Server:
    """A plain-HTTP server: whatever it is sent (a TLS ClientHello too) is answered with a 400, in HTTP."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.read(1024)
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


async def _halts_in_time(ing: Ingestor) -> None:
    """One event, then wait (bounded) for delivery to stop; close with a deadline whatever happened."""
    await ing.start()
    try:
        await ing.event("u1", "e", id="p1")
        await asyncio.wait_for(ing.flush(), 20)  # returns once halted; before the fix it retried forever
    finally:
        await ing.close(timeout=1)


@pytest.mark.parametrize("transport", ["client", "aiohttp", "httpx"])
async def test_an_https_url_on_a_plain_http_port_halts_once_it_keeps_failing(tmp_path: Path, transport: str) -> None:
    from aiocustomerio._retry import RetryPolicy

    plain = await _plain_http_server()
    url = f"https://127.0.0.1:{plain.sockets[0].getsockname()[1]}"
    policy = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.01)
    try:
        if transport == "client":
            async with httpx.AsyncClient(base_url=url, auth=("site", "key")) as http:
                ing = Ingestor(http, spool=tmp_path / "spool.db", retry=policy)
                await _halts_in_time(ing)
        else:
            async with CustomerIO(site_id="site", track_api_key="key", track_base_url=url, transport=transport) as cio:
                ing = cio.track.ingestor(spool=tmp_path / "spool.db", retry=policy)
                await _halts_in_time(ing)
        halted = ing.report.halted
        assert halted is not None and "TLS handshake failed" in halted and "4 times in a row" in halted, halted
        assert "scheme and port" in halted
        assert [p["id"] for p in ing.report.pending] == ["p1"] and ing.report.spooled == 1
    finally:
        plain.close()
        await plain.wait_closed()
