"""Throughput of the ingestion engine, and of other Customer.io libraries, against the local batch server.

``python -m bench.ingest [--events N] [--per-event N] [--only NAME ...]`` starts ``tests.support.batch_server`` twice
in subprocesses on 127.0.0.1 (accepting bodies without parsing them, so the server is not what is measured): once
over HTTP and once over HTTPS with a throwaway self-signed certificate (``bench.tls``). Every scenario runs in a fresh
subprocess of its own, so each peak RSS belongs to one scenario; the HTTPS ones get the certificate through their
environment only. Each event is a realistic Track v2 event of about 340 bytes. Our scenarios:

- ingestor:        `await ing.event(...)` per event (dict built by the caller, ULID id, encoding, batching, posting)
- ingestor-put:    `ing.put_nowait(entity)` with the caller's dict, awaiting only when the queue is full
- ingestor-many:   `await ing.put_many(dicts)`, 500 of the caller's dicts at a time (a backfill's bulk call)
- ingestor-producers: 64 producer tasks each awaiting `event(...)`, as a web backend's handlers would (the queue
                   fills: room is handed to waiting producers as batches settle)
- ingestor-tls:    the ingestor row over HTTPS
- facade:          `await cio.track.event(...)` per event through the façade (one HTTP request each), 64 tasks
- facade-tls:      the same over HTTPS, next to the peers' one-request-per-event rows
- raw-httpx-encode: the SDK ceiling: the caller's dicts (as `ingestor-put` gets them) encoded with orjson into
                   ~500 KB bodies as they come and posted, 4 in flight, through one httpx client
- raw-httpx-encode-many: the same from lists of 500 dicts, as `ingestor-many` is handed them: put_many's ceiling
- raw-httpx-encode-tls: the SDK ceiling over HTTPS, beside `ingestor-tls` (the issue's comparison)
- raw-httpx:       the same events pre-encoded into ~500 KB batch bodies before the clock starts, posted by 4 tasks
                   through one httpx client: the ceiling for anything that posts through httpx
- spool-many:      ingestor with a spool, `put_many` of 500 events (one group commit each)
- spool-producers: ingestor with a spool, 64 producer tasks each awaiting `event(...)` (each journals its item)
- spool-put:       ingestor with a spool, `put_nowait(entity)` as in ingestor-put, awaiting `put` only when the
                   queue is full
- spool-event:     ingestor with a spool, `await ing.event(...)` per event as in ingestor (the README's example;
                   each item is durable, in the spool's journal, when `event` returns)
- pipelines:       `await ing.track(...)` per event through the Pipelines ingestor
- ingestor-faults: the ingestor row against a server that fails 15% of requests (429, 500, 503, resets mid-body)
                   and 1% of items retriably in 207s, with 1% of the events bad for good (a permanent 207 error):
                   RSS growth under failures, every event delivered or counted failed

Peer scenarios (``bench.peers``, run by the interpreter of ``.bench/peers``, always over HTTPS) are skipped with a
notice when that venv is missing (``python -m bench`` creates it). One-request-per-event rows send ``--per-event``
events and batched peer rows ``--peer-events`` (their rate is what counts). Numbers vary with the machine; this
prints them and asserts nothing.
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
from dataclasses import dataclass
from typing import Any

import httpx

from . import peers
from .tls import make_cert, trust_env
from .workload import API_KEY, SITE_ID, attributes

# The peers' venv runs this module without aiocustomerio installed.
with contextlib.suppress(ImportError):
    from aiocustomerio._ids import new_ulid

BATCH_LIMIT = 500 * 1024
Scenario = Callable[[str, int], Awaitable[int]]


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
    # httpx reads SSL_CERT_FILE (set in the HTTPS children's environment) to trust the bench certificate.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(base_url=base_url, auth=(SITE_ID, API_KEY), limits=limits, timeout=60)


async def run_ingestor(base_url: str, events: int, spool: str | None = None) -> int:
    from aiocustomerio.ingest import Ingestor

    async with client(base_url) as http, Ingestor(http, spool=spool) as ing:
        for i in range(events):
            await ing.event(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)
    assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_ingestor_put(base_url: str, events: int, spool: str | None = None) -> int:
    from aiocustomerio.ingest import Ingestor, QueueFull

    async with client(base_url) as http, Ingestor(http, spool=spool) as ing:
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


async def run_raw_httpx_encode(base_url: str, events: int, chunk: int = 1) -> int:
    """The SDK ceiling: the caller's dicts encoded with orjson into ~500 KB bodies as they come, 4 posts in flight.

    `chunk`: how many dicts the caller builds before any is encoded: 1 for the per-item rows, 500 for `put_many`'s
    row, which is handed lists of 500 (holding them costs the garbage collector more than dicts dropped one by one,
    whoever encodes them)."""
    import orjson

    headers = {"content-type": "application/json"}
    dumps = orjson.dumps
    async with client(base_url) as http:
        slots = asyncio.Semaphore(4)
        posts: set[asyncio.Task[None]] = set()

        async def post(body: bytes) -> None:
            try:
                response = await http.post("/api/v2/batch", content=body, headers=headers)
                response.raise_for_status()
            finally:
                slots.release()

        async def send(items: list[bytes]) -> None:
            await slots.acquire()
            task = asyncio.create_task(post(b'{"batch":[' + b",".join(items) + b"]}"))
            posts.add(task)
            task.add_done_callback(posts.discard)

        items: list[bytes] = []
        size = 0
        for start in range(0, events, chunk):
            for item in [entity(i) for i in range(start, min(start + chunk, events))]:
                data = dumps(item)
                if size + len(data) + 1 > BATCH_LIMIT - 12:
                    await send(items)
                    items, size = [], 0
                items.append(data)
                size += len(data) + 1
        if items:
            await send(items)
        await asyncio.gather(*posts)
    return events


async def run_raw_httpx_encode_lists(base_url: str, events: int) -> int:
    return await run_raw_httpx_encode(base_url, events, chunk=500)


# The faulty server of the ingestor-faults row (tests.support.batch_server flags); Retry-After is 0 there.
FAULTS = [
    *("--p-429", "0.05", "--p-500", "0.04", "--p-503", "0.03"),
    *("--p-reset-body", "0.03", "--p-item-retriable", "0.01"),
]


async def run_ingestor_faults(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    bad = {"_fault": "permanent"}  # the server answers a permanent 207 error for these items
    async with client(base_url) as http, Ingestor(http, backoff=(0.005, 0.05)) as ing:
        for i in range(events):
            await ing.event(f"user_{i}", "order_completed", bad if i % 100 == 0 else attributes(i), timestamp=i)
    report = ing.report
    assert report.failed_count == (events + 99) // 100 and len(report.failed) <= 1000, report.summary()
    assert report.delivered + report.failed_count == events and report.retried > 0, report.summary()
    return events


async def run_ingestor_many(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    async with client(base_url) as http, Ingestor(http) as ing:
        for start in range(0, events, 500):
            await ing.put_many([entity(i) for i in range(start, min(start + 500, events))])
    assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_spool_many(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    with tempfile.TemporaryDirectory() as tmp:
        async with client(base_url) as http, Ingestor(http, spool=os.path.join(tmp, "spool.db")) as ing:
            for start in range(0, events, 500):
                await ing.put_many([entity(i) for i in range(start, min(start + 500, events))])
        assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_producers(base_url: str, events: int, spool: str | None = None) -> int:
    from aiocustomerio.ingest import Ingestor

    producers = 64
    async with client(base_url) as http, Ingestor(http, spool=spool) as ing:

        async def produce(offset: int) -> None:
            for i in range(offset, events, producers):
                await ing.event(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)

        await asyncio.gather(*(produce(p) for p in range(producers)))
    assert ing.report.delivered == events, ing.report.summary()
    return events


async def run_spool_producers(base_url: str, events: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        return await run_producers(base_url, events, os.path.join(tmp, "spool.db"))


async def run_spool_event(base_url: str, events: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        return await run_ingestor(base_url, events, os.path.join(tmp, "spool.db"))


async def run_spool_put(base_url: str, events: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        return await run_ingestor_put(base_url, events, os.path.join(tmp, "spool.db"))


async def run_facade_per_event(base_url: str, events: int, transport: str = "httpx") -> int:
    # 64 callers, as the issue asks (httpx's pool spends more CPU per request with many in flight than with 8). The
    # limiter is off so the row measures the client, not Customer.io's rate limits.
    from aiocustomerio import CustomerIO
    from aiocustomerio._limits import Limits

    in_flight = peers.IN_FLIGHT
    cio = CustomerIO(
        site_id=SITE_ID,
        track_api_key=API_KEY,
        track_base_url=base_url,
        limits=Limits(enabled=False),
        transport=transport,  # type: ignore[arg-type]
    )
    async with cio:

        async def produce(offset: int) -> None:
            for i in range(offset, events, in_flight):
                await cio.track.event(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)

        await asyncio.gather(*(produce(p) for p in range(in_flight)))
    return events


async def run_facade_aiohttp(base_url: str, events: int) -> int:
    # httpx's pool spends most of the CPU at 64 requests in flight; the aiohttp transport shows the façade without it.
    return await run_facade_per_event(base_url, events, "aiohttp")


async def run_pipelines_ingestor(base_url: str, events: int) -> int:
    from aiocustomerio.ingest import Ingestor

    async with client(base_url + "/v1") as http, Ingestor(http, api="pipelines") as ing:
        for i in range(events):
            await ing.track(f"user_{i}", "Order Completed", attributes(i))
    assert ing.report.delivered == events, ing.report.summary()
    return events


@dataclass(frozen=True)
class Row:
    label: str
    run: Scenario
    kind: str  # "batched" rows send --events, "per event" rows send --per-event
    tls: bool = False
    peer: bool = False  # run by the peers' interpreter
    faults: bool = False  # against the faulty server (FAULTS)
    # put_many's rows: the caller hands its dicts over in lists of 500, so they are set against (c''), the ceiling
    # handed the same lists ((c'') itself stays set against (c'), which shows what the lists cost).
    lists: bool = False


# Ordered so that what compares sits together: batching rows, then one-request-per-event rows.
SCENARIOS: dict[str, Row] = {
    "ingestor": Row("(a) ingestor, await event() per event", run_ingestor, "batched"),
    "ingestor-put": Row("(a') ingestor, put_nowait(dict)", run_ingestor_put, "batched"),
    "ingestor-many": Row("(a'''') ingestor, put_many(500 dicts)", run_ingestor_many, "batched", lists=True),
    "ingestor-producers": Row("(a''') ingestor, 64 producers awaiting event()", run_producers, "batched"),
    "pipelines": Row("(a'') ingestor, Pipelines track()", run_pipelines_ingestor, "batched"),
    "ingestor-faults": Row(
        "(e) ingestor under faults: 15% failed requests, 1% bad items", run_ingestor_faults, "batched", faults=True
    ),
    "raw-httpx": Row("(c) raw httpx, pre-built 500 KB batches", run_raw_httpx, "batched"),
    "raw-httpx-encode": Row("(c') raw httpx + orjson from the dicts (SDK ceiling)", run_raw_httpx_encode, "batched"),
    "raw-httpx-encode-many": Row(
        "(c'') raw httpx + orjson from lists of 500 dicts (put_many's ceiling)", run_raw_httpx_encode_lists, "batched"
    ),
    "spool-many": Row("(d) ingestor + spool, put_many(500)", run_spool_many, "batched", lists=True),
    "spool-producers": Row("(d') ingestor + spool, 64 producers", run_spool_producers, "batched"),
    "spool-put": Row("(d'') ingestor + spool, put_nowait(dict)", run_spool_put, "batched"),
    "spool-event": Row("(d''') ingestor + spool, await event() per event", run_spool_event, "batched"),
    "ingestor-tls": Row("(a) ingestor over HTTPS", run_ingestor, "batched", tls=True),
    "raw-httpx-encode-tls": Row(
        "(c') raw httpx + orjson from the dicts over HTTPS (SDK ceiling)", run_raw_httpx_encode, "batched", tls=True
    ),
    "raw-httpx-tls": Row("(c) raw httpx over HTTPS, pre-built batches", run_raw_httpx, "batched", tls=True),
    "peer-async-customerio-batch": Row(
        "(p) async-customerio v2.send_batch(1000), 4 tasks", peers.run_async_customerio_batch, "batched", True, True
    ),
    "peer-customerio-batch": Row(
        "(p) customerio batch(1000), 4 threads", peers.run_customerio_batch, "batched", True, True
    ),
    "peer-cdp-analytics": Row("(p) customerio-cdp-analytics track()", peers.run_cdp_analytics, "batched", True, True),
    "facade": Row("(b) façade, one request per event, 64 tasks", run_facade_per_event, "per event"),
    "facade-aiohttp": Row("(b) façade on the aiohttp transport, 64 tasks", run_facade_aiohttp, "per event"),
    "facade-tls": Row("(b) façade over HTTPS, 64 tasks", run_facade_per_event, "per event", tls=True),
    "peer-async-customerio": Row(
        "(p) async-customerio track(), 64 tasks", peers.run_async_customerio, "per event", True, True
    ),
    "peer-customerio": Row("(p) customerio track(), 8 threads", peers.run_customerio, "per event", True, True),
}
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
    if not SCENARIOS[name].peer:
        import aiocustomerio.ingest  # noqa: F401 - imported before the baseline so RSS growth is the run's own

    baseline = _rss_kb("VmRSS")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    sent = asyncio.run(SCENARIOS[name].run(base_url, events))
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


def _server(tls: tuple[str, str] | None, faults: bool = False) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.support.batch_server", "--port", "0"]
    # The faulty server reads every body (207 answers name items); the others accept bodies unread.
    command += FAULTS if faults else ["--no-record"]
    if tls is not None:
        command += ["--tls-cert", tls[0], "--tls-key", tls[1]]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=peers.ROOT)
    assert server.stdout is not None
    scheme = "https" if tls else "http"
    return server, f"{scheme}://127.0.0.1:{int(server.stdout.readline())}"


def _measure(name: str, base_url: str, events: int, env: dict[str, str] | None) -> dict[str, Any] | str:
    python = peers.PEER_PYTHON if SCENARIOS[name].peer else sys.executable
    command = [python, "-m", "bench.ingest", "--child", name, "--base-url", base_url, "--events", str(events)]
    out = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=peers.ROOT)
    if out.returncode != 0:
        return f"failed: {(out.stderr.strip().splitlines() or ['?'])[-1][:200]}"
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# The ceiling each batched row is compared with: the caller's dicts encoded and posted by raw httpx, over the same
# transport, handed over the same way (one by one, or in lists of 500 for put_many's rows).
def _ceiling(name: str) -> str:
    row = SCENARIOS[name]
    if row.tls:
        return "raw-httpx-encode-tls"
    return "raw-httpx-encode-many" if row.lists else "raw-httpx-encode"


# The ratios the ingestion targets are stated in: a spooled row against the same call unspooled, and an unspooled
# row against its ceiling.
_SPOOLED = (
    ("await event()", "spool-event", "ingestor"),
    ("64 producers", "spool-producers", "ingestor-producers"),
    ("put_nowait", "spool-put", "ingestor-put"),
    ("put_many", "spool-many", "ingestor-many"),
)
_UNSPOOLED = ("ingestor", "ingestor-put", "ingestor-many", "ingestor-tls")


def _targets(rates: dict[str, float]) -> list[str]:
    spooled = [f"{what} {rates[a] / rates[b]:.3f}x" for what, a, b in _SPOOLED if a in rates and b in rates]
    ceiling = [
        f"{SCENARIOS[name].label.split(' ', 1)[0]}{' (HTTPS)' if SCENARIOS[name].tls else ''} "
        f"{rates[name] / rates[_ceiling(name)]:.3f}x"
        for name in _UNSPOOLED
        if name in rates and _ceiling(name) in rates
    ]
    lines = []
    if spooled:
        lines.append("\nspooled / unspooled: " + ", ".join(spooled))
    if ceiling:
        lines.append(("" if spooled else "\n") + "unspooled / ceiling: " + ", ".join(ceiling))
    return lines


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def run(events: int, per_event: int, peer_events: int = 200_000, only: list[str] | None = None, rounds: int = 1) -> str:
    """Run the scenarios and return the markdown table (with a preamble). With `rounds` > 1 every scenario runs that
    many times, the rounds interleaved (all rows once, then all again), and each figure is the median of its rounds:
    this machine's speed drifts by 10-30% over minutes, which interleaving spreads over every row alike."""
    names = only or list(SCENARIOS)
    have_peers = os.path.exists(peers.PEER_PYTHON)
    lines: list[str] = []
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="aiocustomerio-bench-") as tmp:
        tls = make_cert(tmp, peers.PEER_PYTHON if have_peers else None)
        plain, plain_url = _server(None)
        secure, secure_url = _server(tls) if tls else (None, "")
        faulty, faulty_url = _server(None, True) if any(SCENARIOS[n].faults for n in names) else (None, "")
        try:
            for round_ in range(rounds):
                for name in names:
                    row = SCENARIOS[name]
                    if name in failures or (row.peer and not have_peers) or (row.tls and tls is None):
                        continue
                    count = per_event if row.kind == "per event" else min(events, peer_events) if row.peer else events
                    env = trust_env(tls[0]) if row.tls and tls else None
                    url = faulty_url if row.faults else secure_url if row.tls else plain_url
                    r = _measure(name, url, count, env)
                    if isinstance(r, str):
                        failures[name] = r
                        continue
                    results[name].append(r)
                    # Progress while the table is being built.
                    print(f"round {round_ + 1}/{rounds} {name}: {r['events'] / r['seconds']:,.0f}/s", file=sys.stderr)
        finally:
            for server in (plain, secure, faulty):
                if server is not None:
                    server.terminate()
                    server.wait()
    sample = len(json.dumps(entity(123456), separators=(",", ":")))
    how = f"median of {rounds} interleaved rounds" if rounds > 1 else "one round"
    lines.append(
        f"Ingestion: {events:,} events per batched row ({min(events, peer_events):,} for the peers'), "
        f"{per_event:,} per one-request-per-event row, ~{sample} bytes each; batch server in its own process on "
        f"127.0.0.1; {os.cpu_count()} CPUs; {how}. vs ceiling: against the raw httpx + orjson row over the same "
        "transport, handed the dicts the same way\n"
    )
    lines.append(
        "| scenario | kind | over | events | events/s | spread | vs (a) | vs ceiling | CPU µs/event | peak RSS MB "
        "| RSS growth MB |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    rates = {name: _median([r["events"] / r["seconds"] for r in got]) for name, got in results.items() if got}
    reference = rates.get("ingestor")
    for name in names:
        row = SCENARIOS[name]
        prefix = f"| {row.label} | {row.kind} | {'HTTPS' if row.tls else 'HTTP'} |"
        empty = " | | | | | | |"
        if name in failures:
            lines.append(f"{prefix} {failures[name]} |{empty}")
            continue
        if row.peer and not have_peers:
            lines.append(f"{prefix} skipped: no {peers.PEER_PYTHON} |{empty}")
            continue
        if name not in rates:
            lines.append(f"{prefix} skipped: no certificate |{empty}")
            continue
        got = results[name]
        rate = rates[name]
        each = [r["events"] / r["seconds"] for r in got]
        spread = f"{min(each) / rate - 1:+.0%} / {max(each) / rate - 1:+.0%}" if len(got) > 1 else "-"
        versus = f"{rate / reference:.3g}x" if reference else "-"
        ceiling = rates.get(_ceiling(name)) if row.kind == "batched" else None  # the peers' rows: over HTTPS
        to_ceiling = f"{rate / ceiling:.3g}x" if ceiling else "-"
        cpu_us = _median([r["cpu"] / r["events"] * 1e6 for r in got])
        peak = max(r["peak_mb"] for r in got)
        growth = max(r["growth_mb"] for r in got)
        lines.append(
            f"{prefix} {got[0]['events']:,} | {rate:,.0f} | {spread} | {versus} | {to_ceiling} | {cpu_us:.2f} "
            f"| {peak:.1f} | {growth:.1f} |"
        )
    lines.extend(_targets(rates))
    if rounds > 1:
        lines.append("\nspread: the slowest and the fastest round against the median; RSS: the highest of the rounds")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ingestion benchmark")
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "1000000")))
    parser.add_argument("--per-event", type=int, default=int(os.environ.get("BENCH_PER_EVENT", "5000")))
    parser.add_argument("--peer-events", type=int, default=200_000, help="events per batched peer row")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    parser.add_argument(
        "--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "1")), help="interleaved rounds (median)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.base_url, args.events)
        return
    print(run(args.events, args.per_event, args.peer_events, args.only, args.rounds))


if __name__ == "__main__":
    main()
