"""A local HTTP/1.1 server for Customer.io's batch endpoints, with injectable faults.

Serves `POST /api/v2/batch` (Track v2) and `POST /v1/batch` (Pipelines, base URL `http://HOST:PORT/v1`), checks Basic
auth, and records every accepted item by its dedup id (Track event `id`, Pipelines `messageId`; Track entities without
an id are recorded as `<action>:<identifiers as JSON>`). Raw asyncio streams rather than a framework: faults such as a
connection reset halfway through a request body need control of the socket, and keep-alive matters for throughput.

Faults (probabilities per request, drawn from a seeded RNG so runs repeat): 429 with Retry-After, 500, 503, 500 *after*
accepting the items (the client cannot know they arrived, so it must resend: duplicates are expected), reset right
after the headers, reset halfway through the body, slow responses, and per-item 207 errors: an item whose attributes
(Track) or properties/traits (Pipelines) hold `"_fault": "permanent"` always gets a permanent 207 error, and
`"_fault": "bad_request"` makes the whole request a 400; `p_item_retriable` gives random items a retriable 207 error.
A Pipelines message holding `"_fault": "strict"` is what Customer.io's strict mode rejects: with `X-Strict-Mode: 1`
the whole request is a 400 naming it, without the header it is answered 200 and silently dropped (permissive mode).
`redirect_to` answers every request with a 307 to that URL (a proxy, an http→https hop, a wrong base URL);
`answer_with` answers every authorized batch request with that status (410 for a retired endpoint, 426 from a server
that wants another protocol, 413 from a proxy with a small body limit).
`stall()` holds every request after its headers until `unstall()`.

In-process:  `server = BatchServer(); port = await server.start(); ...; await server.close()`.
Subprocess: `python -m tests.support.batch_server --port 0` prints the port on its first stdout line; `GET /_stats`
returns counts and `GET /_ids` the recorded ids as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import random
import ssl
import sys
from dataclasses import dataclass, field
from typing import Any

TRACK_PATH = "/api/v2/batch"
PIPELINES_PATH = "/v1/batch"
SINGLE_PREFIX = "/api/v1/customers/"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Faults:
    p_429: float = 0.0
    retry_after: str = "0"
    p_500: float = 0.0
    p_503: float = 0.0
    p_500_after_accept: float = 0.0
    p_reset_headers: float = 0.0
    p_reset_body: float = 0.0
    p_slow: float = 0.0
    slow_seconds: float = 0.05
    p_item_retriable: float = 0.0

    @property
    def total(self) -> float:
        return self.p_429 + self.p_500 + self.p_503 + self.p_500_after_accept + self.p_reset_headers + self.p_reset_body


@dataclass
class BatchServer:
    credentials: frozenset[str] = frozenset({basic("site", "key"), basic("cdp-key", "")})
    faults: Faults = field(default_factory=Faults)
    record: bool = True
    seed: int = 1
    ssl_context: ssl.SSLContext | None = None
    keep_bodies: bool = False
    redirect_to: str | None = None
    answer_with: int | None = None

    def __post_init__(self) -> None:
        self.port = 0
        self.bodies: list[tuple[str, dict[str, str], bytes]] = []
        self.received: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.resets = 0
        self.requests = 0
        self.items_seen = 0
        self.bodies_max = 0
        self.concurrent = 0
        self.max_concurrent = 0
        self._rng = random.Random(self.seed)
        self._gate = asyncio.Event()
        self._gate.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def ids(self) -> set[str]:
        return set(self.received)

    def stall(self) -> None:
        self._gate.clear()

    def unstall(self) -> None:
        self._gate.set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=self.ssl_context, limit=1 << 20)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        self._gate.set()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            # Let handlers end on their own: a handler cancelled later by asyncio.run trips a 3.11 streams bug.
            await asyncio.gather(*self._handlers, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            while await self._one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        keep_alive = headers.get("connection", "").lower() != "close"
        if target.startswith("/_"):
            await reader.readexactly(length)
            await self._respond(writer, 200, self._introspect(target), keep_alive)
            return keep_alive

        self.requests += 1
        faults = self.faults
        roll = self._rng.random()
        if roll < faults.p_reset_headers:
            self.resets += 1
            writer.transport.abort()
            return False
        roll -= faults.p_reset_headers
        if roll < faults.p_reset_body:
            await reader.readexactly(length // 2)
            self.resets += 1
            writer.transport.abort()
            return False
        roll -= faults.p_reset_body
        await self._gate.wait()
        body = await reader.readexactly(length)
        if self.keep_bodies:
            self.bodies.append((target, headers, body))
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            if self._rng.random() < faults.p_slow:
                await asyncio.sleep(faults.slow_seconds)
            if headers.get("authorization") not in self.credentials:
                await self._respond(writer, 401, {"meta": {"error": "Unauthorized request"}}, keep_alive)
                return keep_alive
            if target.startswith(SINGLE_PREFIX) and method in ("PUT", "POST"):
                # Track v1 per-person calls, for benchmarking one-request-per-event clients against batching.
                await self._respond(writer, 200, {}, keep_alive)
                return keep_alive
            if self.redirect_to is not None:
                extra = {"location": self.redirect_to + target}
                await self._respond(writer, 307, {}, keep_alive, extra)
                return keep_alive
            if self.answer_with is not None:
                extra = {"upgrade": "TLS/1.3, HTTP/2"} if self.answer_with == 426 else {}
                payload = {"meta": {"error": f"injected {self.answer_with}"}}
                await self._respond(writer, self.answer_with, payload, keep_alive, extra)
                return keep_alive
            if method != "POST" or target not in (TRACK_PATH, PIPELINES_PATH):
                await self._respond(writer, 404, {"meta": {"error": f"no route {method} {target}"}}, keep_alive)
                return keep_alive
            for probability, status in ((faults.p_429, 429), (faults.p_500, 500), (faults.p_503, 503)):
                if roll < probability:
                    extra = {"retry-after": faults.retry_after} if status == 429 else {}
                    await self._respond(writer, status, {"meta": {"error": "injected"}}, keep_alive, extra)
                    return keep_alive
                roll -= probability
            self.bodies_max = max(self.bodies_max, len(body))
            if not self.record:
                await self._respond(writer, 200, {}, keep_alive)
                return keep_alive
            status, payload = self._accept(target, body, headers.get("x-strict-mode") == "1")
            if status == 200 and roll < faults.p_500_after_accept:
                status, payload = 500, {"meta": {"error": "injected after accepting"}}
            await self._respond(writer, status, payload, keep_alive)
            return keep_alive
        finally:
            self.concurrent -= 1

    def _accept(self, target: str, body: bytes, strict: bool = False) -> tuple[int, Any]:
        try:
            batch = json.loads(body)["batch"]
            assert isinstance(batch, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            return 400, {"errors": [{"reason": "invalid", "message": "body is not a batch"}]}
        pipelines = target == PIPELINES_PATH
        if len(body) > 500 * 1024:
            return 413, {"errors": [{"reason": "too_large", "message": f"batch of {len(body)} bytes"}]}
        keys: list[str] = []
        for item in batch:
            fault = _fault_of(item, pipelines)
            if fault == "bad_request":
                return 400, {"errors": [{"reason": "invalid", "field": "batch", "message": "injected bad request"}]}
            if fault == "strict" and pipelines and strict:
                message = f"message {item.get('messageId')}: properties._fault is not allowed"
                return 400, {"errors": [{"reason": "invalid", "field": "properties", "message": message}]}
            keys.append(_key_of(item, pipelines))
        errors = []
        for index, (item, key) in enumerate(zip(batch, keys, strict=True)):
            self.items_seen += 1
            if pipelines and _fault_of(item, pipelines) == "strict":
                continue  # permissive mode: answered 200, dropped
            if _fault_of(item, pipelines) == "permanent":
                errors.append({"batch_index": index, "reason": "invalid", "field": "attributes", "message": "bad"})
            elif self.faults.p_item_retriable and self._rng.random() < self.faults.p_item_retriable:
                errors.append({"batch_index": index, "reason": "internal_error", "message": "try again"})
            else:
                self.received[key] += 1
        return (207, {"errors": errors}) if errors else (200, {})

    def _introspect(self, target: str) -> Any:
        if target.startswith("/_ids"):
            return sorted(self.received)
        return {
            "requests": self.requests,
            "unique": len(self.received),
            "received": sum(self.received.values()),
            "statuses": dict(self.statuses),
            "resets": self.resets,
        }

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: Any,
        keep_alive: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.statuses[status] += 1
        body = json.dumps(payload).encode()
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "content-type: application/json"]
        lines.append(f"content-length: {len(body)}")
        lines.append("connection: keep-alive" if keep_alive else "connection: close")
        lines.extend(f"{name}: {value}" for name, value in (extra or {}).items())
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()


_REASONS = {
    200: "OK",
    207: "Multi-Status",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    410: "Gone",
    413: "Payload Too Large",
    414: "URI Too Long",
    426: "Upgrade Required",
    431: "Request Header Fields Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _fault_of(item: Any, pipelines: bool) -> Any:
    if not isinstance(item, dict):
        return None
    for name in ("properties", "traits") if pipelines else ("attributes",):
        holder = item.get(name)
        if isinstance(holder, dict) and "_fault" in holder:
            return holder["_fault"]
    return None


def _key_of(item: Any, pipelines: bool) -> str:
    if pipelines:
        return str(item.get("messageId"))
    if item.get("id"):
        return str(item["id"])
    return f"{item.get('action')}:{json.dumps(item.get('identifiers'), sort_keys=True)}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="accept bodies without parsing them (benchmarks)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (and --tls-key)")
    parser.add_argument("--tls-key")
    for name in Faults.__dataclass_fields__:
        kind = str if name == "retry_after" else float
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=getattr(Faults(), name))
    args = parser.parse_args(argv)
    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    faults = Faults(**{name: getattr(args, name) for name in Faults.__dataclass_fields__})

    async def serve() -> None:
        server = BatchServer(faults=faults, record=not args.no_record, ssl_context=context)
        port = await server.start(args.host, args.port)
        print(port, flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
