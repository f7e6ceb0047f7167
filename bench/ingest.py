"""Throughput of the ingestion engine against the local batch server: events/s, client CPU µs/event, peak RSS.

``python -m bench.ingest [--events N] [--only NAME ...]`` starts ``tests.support.batch_server`` in a subprocess on
127.0.0.1 (accepting bodies without parsing them, so the server is not what is measured) and runs every scenario in
a fresh subprocess of its own, so each peak RSS belongs to one scenario. Each event is a realistic Track v2 event of
about 300 bytes. Scenarios:

- ingestor:        `await ing.event(...)` per event (dict built by the caller, ULID id, encoding, batching, posting)
- ingestor-put:    `ing.put_nowait(entity)` with the caller's dict, awaiting only when the queue is full
- facade:          `await cio.track.event(...)` per event through the façade (one HTTP request each), 8 in flight
- raw-httpx:       the same events pre-encoded into ~500 KB batch bodies before the clock starts, posted by 4 tasks
                   through one httpx client: the ceiling for anything that posts through httpx
- spool-many:      ingestor with a spool, `put_many` of 500 events (one group commit each)
- spool-producers: ingestor with a spool, 64 producer tasks each awaiting `event(...)` (group commit)

- pipelines:       `await ing.track(...)` per event through the Pipelines ingestor
- peer-cdp-analytics: customerio-cdp-analytics `analytics.track(...)` (its own thread and batches), when the
                   peers' venv exists: `python -m venv .bench/peers && .bench/peers/bin/pip install
                   customerio-cdp-analytics httpx` (kept out of the project's dependencies; .bench/ is git-ignored)

Scenarios are a name -> coroutine function table (``SCENARIOS``); other libraries can be added there (a scenario
receives the server's base URL and the event count and returns the count it sent).
Numbers vary with the machine; this prints them and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

# The peers' venv (see PEERS) runs this module without aiocustomerio installed.
with contextlib.suppress(ImportError):
    from aiocustomerio._ids import new_ulid

SITE_ID, API_KEY = "site", "key"
BATCH_LIMIT = 500 * 1024
FACADE_EVENTS = int(os.environ.get("BENCH_FACADE_EVENTS", "20000"))
Scenario = Callable[[str, int], Awaitable[int]]


def attributes(i: int) -> dict[str, Any]:
    return {
        "order_id": f"ord_{i:010d}",
        "total": 129.99,
        "currency": "USD",
        "items": 3,
        "coupon": "SPRING24",
        "sku": f"SKU-{i % 100000:06d}",
        "category": "outdoor",
        "email": f"person{i}@example.com",
        "plan": "pro",
    }


def entity(i: int) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": {"id": f"user_{i}"},
        "action": "event",
        "name": "order_completed",
        "id": new_ulid(),
        "timestamp": 1700000000 + i,
        "attributes": attributes(i),
    }


def client(base_url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(base_url=base_url, auth=(SITE_ID, API_KEY), limits=limits, timeout=60)


async def run_ingestor(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    async with client(base_url) as http, Ingestor(http) as ing:
        for i in range(events):
            await ing.event(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)
    assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_ingestor_put(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor, QueueFull

    async with client(base_url) as http, Ingestor(http) as ing:
        for i in range(events):
            item = entity(i)
            try:
                ing.put_nowait(item)
            except QueueFull:
                await ing.put(item)
    assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_raw_httpx(base_url: str, events: int) -> int:
    from aiocustomerio.ingest._encode import encode_track

    bodies: list[bytes] = []
    items: list[bytes] = []
    size = 0
    for i in range(events):
        data = encode_track(entity(i))
        if size + len(data) + 1 > BATCH_LIMIT - 12:
            bodies.append(b'{"batch":[' + b",".join(items) + b"]}")
            items, size = [], 0
        items.append(data)
        size += len(data) + 1
    if items:
        bodies.append(b'{"batch":[' + b",".join(items) + b"]}")
    del items
    headers = {"content-type": "application/json"}
    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    async with client(base_url) as http:
        queue = list(reversed(bodies))

        async def worker() -> None:
            while queue:
                response = await http.post("/api/v2/batch", content=queue.pop(), headers=headers)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(4)))
    # Only the posting is measured: report it through the globals the runner reads.
    _override["seconds"] = time.perf_counter() - start
    _override["cpu"] = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(usage)
    return events


async def run_spool_many(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    with tempfile.TemporaryDirectory() as tmp:
        async with client(base_url) as http, Ingestor(http, spool=os.path.join(tmp, "spool.db")) as ing:
            for start in range(0, events, 500):
                await ing.put_many([entity(i) for i in range(start, min(start + 500, events))])
        assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_spool_producers(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    producers = 64
    with tempfile.TemporaryDirectory() as tmp:
        async with client(base_url) as http, Ingestor(http, spool=os.path.join(tmp, "spool.db")) as ing:

            async def produce(offset: int) -> None:
                for i in range(offset, events, producers):
                    await ing.event(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)

            await asyncio.gather(*(produce(p) for p in range(producers)))
        assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_facade_per_event(base_url: str, events: int) -> int:
    # One request per event is ~100x slower than batching, so this row sends a slice of the events (its rate is
    # what counts). 8 calls in flight: httpx's pool spends more CPU per request with many more (about 4x at 64 on
    # this machine). The limiter is off so the row measures the client, not Customer.io's rate limits.
    from aiocustomerio import CustomerIO
    from aiocustomerio._limits import Limits

    events = min(events, FACADE_EVENTS)
    in_flight = 8
    cio = CustomerIO(site_id=SITE_ID, track_api_key=API_KEY, track_base_url=base_url, limits=Limits(enabled=False))
    async with cio:

        async def produce(offset: int) -> None:
            for i in range(offset, events, in_flight):
                await cio.track.event(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)

        await asyncio.gather(*(produce(p) for p in range(in_flight)))
    return events


async def run_pipelines_ingestor(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    async with client(base_url + "/v1") as http, Ingestor(http, api="pipelines") as ing:
        for i in range(events):
            await ing.track(f"user_{i}", "Order Completed", attributes(i))
    assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_peer_cdp_analytics(base_url: str, events: int) -> int:
    # customerio-cdp-analytics: a queue drained by a consumer thread that posts batches of 100 with requests. Its
    # queue drops messages when full (track returns False), so the caller waits and retries as a careful user would.
    from customerio import analytics  # type: ignore[import-not-found]

    analytics.write_key = "cdp-key"
    analytics.host = base_url

    def produce() -> None:  # a synchronous library: its caller is a plain thread
        for i in range(events):
            while not analytics.track(f"user_{i}", "Order Completed", attributes(i))[0]:
                time.sleep(0.001)
        analytics.flush()

    await asyncio.to_thread(produce)
    return events


SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "ingestor": ("(a) ingestor, await event() per event", run_ingestor),
    "ingestor-put": ("(a') ingestor, put_nowait(dict)", run_ingestor_put),
    "facade": ("(b) façade, one request per event", run_facade_per_event),
    "raw-httpx": ("(c) raw httpx, pre-built 500 KB batches", run_raw_httpx),
    "spool-many": ("(d) ingestor + spool, put_many(500)", run_spool_many),
    "spool-producers": ("(d') ingestor + spool, 64 producers", run_spool_producers),
    "pipelines": ("(a'') ingestor, Pipelines track()", run_pipelines_ingestor),
    "peer-cdp-analytics": ("(p) customerio-cdp-analytics track()", run_peer_cdp_analytics),
}
# Scenarios run by the interpreter of the venv holding the other libraries, never the project's.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_PYTHON = os.path.join(ROOT, ".bench", "peers", "bin", "python")
PEERS = {"peer-cdp-analytics"}
_override: dict[str, float] = {}


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def child(name: str, base_url: str, events: int) -> None:
    if name not in PEERS:
        import aiocustomerio.ingest  # noqa: F401 - imported before the baseline so RSS growth is the run's own

    baseline = _rss_kb("VmRSS")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    sent = asyncio.run(SCENARIOS[name][1](base_url, events))
    seconds = _override.get("seconds", time.perf_counter() - start)
    cpu = _override.get("cpu", _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(usage))
    peak = _rss_kb("VmHWM")
    result = {
        "events": sent,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak / 1024,
        "growth_mb": (peak - baseline) / 1024,
    }
    print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="ingestion benchmark")
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "1000000")))
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.base_url, args.events)
        return

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.batch_server", "--port", "0", "--no-record"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        sample = len(json.dumps(entity(123456), separators=(",", ":")))
        print(
            f"{args.events:,} events of ~{sample} bytes each; server {base_url} in its own process; "
            f"{os.cpu_count()} CPUs"
        )
        print(f"{'scenario':<44} {'events/s':>10} {'CPU µs/event':>13} {'peak RSS MB':>12} {'RSS growth MB':>14}")
        for name in args.only or list(SCENARIOS):
            python = sys.executable
            if name in PEERS:
                python = PEER_PYTHON
                if not os.path.exists(python):
                    print(f"{SCENARIOS[name][0]:<44} skipped: no {PEER_PYTHON} (see the module docstring)")
                    continue
            out = subprocess.run(
                [
                    python,
                    "-m",
                    "bench.ingest",
                    "--child",
                    name,
                    "--base-url",
                    base_url,
                    "--events",
                    str(args.events),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(f"{SCENARIOS[name][0]:<44} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rate = r["events"] / r["seconds"]
            cpu_us = r["cpu"] / r["events"] * 1e6
            print(
                f"{SCENARIOS[name][0]:<44} {rate:>10,.0f} {cpu_us:>13.2f} {r['peak_mb']:>12.1f} {r['growth_mb']:>14.1f}"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
