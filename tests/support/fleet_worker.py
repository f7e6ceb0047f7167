"""One process of a fleet: ``python -m tests.support.fleet_worker --track-url URL [--store redis://...] ...``.

Makes one call of its kind first (importing generated code takes seconds on a busy machine), then prints ``ready``
and reads the start time (a ``time.time()`` value) from stdin, so every worker of a run starts together
(``--start-at`` gives it instead). Then it sends through a real ``CustomerIO`` for ``--duration`` seconds from
``--concurrency`` tasks (``--mode identify``: Track identify calls with paths ``/api/v1/customers/w<worker>-<n>``;
``--mode trigger``: ``--count`` broadcast triggers of broadcast 7) and prints one JSON line: calls that succeeded,
errors by type, the slowest call and the statuses its transport saw (retried ones included). Library warnings go
to stderr.

``await spawn(i, args)`` starts worker ``i`` this way from the repository root (the tests' fleets and bench.fleet).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from aiocustomerio import CustomerIO, Limits, Rate
from aiocustomerio._http import build_inner_transport
from aiocustomerio._retry import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]


async def spawn(
    worker: int, args: Sequence[str], *, stderr: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """Worker number ``worker`` in a fresh interpreter, with stdin and stdout piped for the start handshake."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.fleet_worker",
        "--worker",
        str(worker),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


class _Counting(httpx.AsyncBaseTransport):
    """The network transport, counting 429s the server sent (retried ones included)."""

    def __init__(self) -> None:
        # The library's default network transport (aiohttp's pool: httpcore's costs most of the CPU at 16 in flight).
        self.inner = build_inner_transport()
        self.statuses: collections.Counter[int] = collections.Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def limits_from(args: argparse.Namespace) -> Limits:
    rates: dict[str, Any] = {"track": Rate(args.rate, 1.0)}
    if args.trigger_period is not None:
        rates["app_broadcast_trigger"] = Rate(1, args.trigger_period)
    store: dict[str, Any] = {} if args.store_timeout is None else {"store_timeout": args.store_timeout}
    return Limits(store=args.store, fleet_size=args.fleet_size, on_store_error=args.on_store_error, **store, **rates)


async def warm_up(args: argparse.Namespace) -> None:
    """One call of the same kind first: imports of generated code and of the network stack take seconds on a busy
    machine. The server does not count ``warm-up`` paths, and other credentials than the run's keep the warm-up's
    admission out of the run's buckets."""
    async with CustomerIO(
        site_id=f"warm-up-{args.worker}",
        track_api_key="key",
        app_api_key=f"warm-up-{args.worker}",
        track_base_url=args.track_url,
        app_base_url=args.app_url or args.track_url,
        limits=limits_from(args),
    ) as cio:
        if args.mode == "identify":
            await cio.track.identify("warm-up")
        else:
            await cio.app.trigger_broadcast(7, ids=["warm-up"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    wire = _Counting()
    cio = CustomerIO(
        site_id="site",
        track_api_key="key",
        app_api_key="app-key",
        track_base_url=args.track_url,
        app_base_url=args.app_url or args.track_url,
        limits=limits_from(args),
        retry=RetryPolicy(max_retries=args.retries, base_delay=0.05),
        transport=wire,
        timeout=10.0,
    )
    errors: collections.Counter[str] = collections.Counter()
    ok = 0
    slowest = 0.0
    sent = 0
    delay = args.start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    deadline = time.monotonic() + args.duration

    async def one(call: Any) -> None:
        nonlocal ok, slowest
        started = time.monotonic()
        try:
            await call
            ok += 1
        except Exception as exc:
            errors[type(exc).__name__] += 1
        slowest = max(slowest, time.monotonic() - started)

    async def identify_loop() -> None:
        nonlocal sent
        while time.monotonic() < deadline:
            sent += 1
            await one(cio.track.identify(f"w{args.worker}-{sent}", {"plan": "fleet"}))

    async with cio:
        if args.mode == "identify":
            await asyncio.gather(*(identify_loop() for _ in range(args.concurrency)))
        else:
            await asyncio.gather(*(one(cio.app.trigger_broadcast(7, ids=[args.worker])) for _ in range(args.count)))
    return {"ok": ok, "errors": dict(errors), "slowest": slowest, "statuses": dict(wire.statuses)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fleet_worker")
    parser.add_argument("--track-url", required=True)
    parser.add_argument("--app-url")
    parser.add_argument("--store")
    parser.add_argument("--rate", type=float, default=60.0, help="the Track class's requests per second")
    parser.add_argument("--trigger-period", type=float, help="override the broadcast trigger class to 1 per N s")
    parser.add_argument("--fleet-size", type=int, default=1)
    parser.add_argument("--on-store-error", default="fallback", choices=["fallback", "raise"])
    parser.add_argument("--store-timeout", type=float, help="Limits(store_timeout=...) (default: the library's)")
    parser.add_argument("--start-at", type=float, help='a time.time() value; without it: print "ready", read it')
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--mode", choices=["identify", "trigger"], default="identify")
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    asyncio.run(warm_up(args))
    if args.start_at is None:
        print("ready", flush=True)
        args.start_at = float(sys.stdin.readline())
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
