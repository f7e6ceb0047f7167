"""A tiny HTTP/1.1 server that records when each request arrived and can enforce a rate the way Customer.io does.

Every request gets 200 ``{}`` unless (requests whose path or body says ``warm-up`` are answered but not counted):
- ``enforce=R``: a token bucket of R per second with a burst of R (one second's worth) answers 429 with
  ``Retry-After: 1`` to any request beyond it (the benchmark's stand-in for Customer.io's own limiter);
- ``fail_at=N``: the N-th request (1-based) gets 429 with ``Retry-After: retry_after``.

``arrivals`` holds ``(time.monotonic(), method, path, status)`` per request, on the server's clock. Raw asyncio
streams with keep-alive, like ``batch_server``, so the server costs little next to what it measures.

In-process: ``server = RateServer(enforce=100); port = await server.start(); ...; await server.close()``.
Subprocess: ``python -m tests.support.rate_server --enforce 100`` prints the port on its first stdout line;
``GET /_stats`` answers the status counts and the first and last arrival times as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field

__all__ = ["RateServer"]


@dataclass
class RateServer:
    enforce: float | None = None
    fail_at: int | None = None
    retry_after: float = 1.0
    arrivals: list[tuple[float, str, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = 0
        self.statuses: collections.Counter[int] = collections.Counter()
        self._server: asyncio.Server | None = None
        self._tokens = self.enforce or 0.0
        self._refilled = time.monotonic()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()

    def _status(self, now: float) -> int:
        if self.fail_at is not None and len(self.arrivals) + 1 == self.fail_at:
            return 429
        if self.enforce is not None:
            self._tokens = min(self.enforce, self._tokens + (now - self._refilled) * self.enforce)
            self._refilled = now
            if self._tokens < 1.0:
                return 429
            self._tokens -= 1.0
        return 200

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                now = time.monotonic()
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                content = await reader.readexactly(length) if length else b""
                if target == "/_stats" or "warm-up" in target or b"warm-up" in content:
                    body = json.dumps(self.stats()).encode() if target == "/_stats" else b"{}"
                    status, extra = 200, ""
                else:
                    status = self._status(now)
                    self.arrivals.append((now, method, target, status))
                    self.statuses[status] += 1
                    extra = f"Retry-After: {self.retry_after:g}\r\n" if status == 429 else ""
                    body = b"{}" if status == 200 else b'{"meta": {"error": "rate limited"}}'
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Too Many Requests'}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    def stats(self) -> dict[str, object]:
        times = [arrival[0] for arrival in self.arrivals]
        return {
            "statuses": {str(status): count for status, count in self.statuses.items()},
            "first": min(times, default=None),
            "last": max(times, default=None),
            "now": time.monotonic(),
        }


async def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.rate_server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--enforce", type=float, help="requests per second; 429 with Retry-After beyond it")
    args = parser.parse_args(argv)
    server = RateServer(enforce=args.enforce)
    port = await server.start(port=args.port)
    print(port, flush=True)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(sys.argv[1:]))
