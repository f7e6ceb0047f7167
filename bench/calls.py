"""One Track identify per call, through raw httpx, the generated function and the façade, on both transports.

``python -m bench.calls`` starts ``bench.echo_server`` in a subprocess on 127.0.0.1 and prints requests/s and µs of
client CPU per call with 1, 8 and 64 calls in flight. Plain HTTP on loopback: TLS would add the same cost to every
row, and this table is about what each layer adds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

SITE_ID, API_KEY = "bench-site", "bench-key"
ATTRIBUTES = {"email": "person@example.com", "plan": "pro", "first_name": "Ada", "created_at": 1700000000}
CONCURRENCY = (1, 8, 64)
CALLS = int(os.environ.get("BENCH_CALLS", "3000"))

Call = Callable[[int], Awaitable[Any]]


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.echo_server"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def _inner(transport: str) -> httpx.AsyncBaseTransport:
    from aiocustomerio._http import build_inner_transport

    return build_inner_transport(transport, max_connections=100)


@asynccontextmanager
async def raw_httpx(base_url: str, transport: str) -> AsyncIterator[Call]:
    body = json.dumps(ATTRIBUTES, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(
        base_url=base_url, auth=httpx.BasicAuth(SITE_ID, API_KEY), transport=_inner(transport)
    ) as client:

        async def call(i: int) -> Any:
            response = await client.put(f"/api/v1/customers/user_{i}", content=body, headers=headers)
            response.raise_for_status()

        yield call


@asynccontextmanager
async def generated(base_url: str, transport: str) -> AsyncIterator[Call]:
    from aiocustomerio_track.api.track_customers import identify
    from aiocustomerio_track.client import AuthenticatedClient
    from aiocustomerio_track.models import IdentifyBody

    client = AuthenticatedClient(base_url=base_url, token="unused")
    http = httpx.AsyncClient(base_url=base_url, auth=httpx.BasicAuth(SITE_ID, API_KEY), transport=_inner(transport))
    client.set_async_httpx_client(http)

    async def call(i: int) -> Any:
        response = await identify.asyncio_detailed(f"user_{i}", client=client, body=IdentifyBody.from_dict(ATTRIBUTES))
        if response.status_code != 200:
            raise RuntimeError(response.status_code)

    try:
        yield call
    finally:
        await http.aclose()


@asynccontextmanager
async def facade(base_url: str, transport: str) -> AsyncIterator[Call]:
    from aiocustomerio import CustomerIO, Limits

    async with CustomerIO(
        site_id=SITE_ID,
        track_api_key=API_KEY,
        track_base_url=base_url,
        limits=Limits.disabled(),
        transport=transport,  # type: ignore[arg-type]
    ) as cio:

        async def call(i: int) -> Any:
            await cio.track.identify(f"user_{i}", ATTRIBUTES)

        yield call


STACKS = {"raw httpx": raw_httpx, "generated function": generated, "façade (limits off)": facade}


async def measure(call: Call, in_flight: int, calls: int) -> tuple[float, float]:
    for i in range(min(200, calls)):  # warm up connections and lazy imports
        await call(i)
    queue = iter(range(calls))

    async def worker() -> None:
        for i in queue:
            await call(i)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return calls / wall, cpu / calls * 1e6


async def run(base_url: str, transports: list[str], calls: int = CALLS) -> list[tuple[str, str, int, float, float]]:
    rows = []
    for transport in transports:
        for name, stack in STACKS.items():
            for in_flight in CONCURRENCY:
                async with stack(base_url, transport) as call:
                    rps, cpu_us = await measure(call, in_flight, calls)
                rows.append((transport, name, in_flight, rps, cpu_us))
    return rows


def import_time_ms() -> float:
    """Wall time of ``import aiocustomerio`` in a fresh interpreter (best of 5)."""
    code = "import time; t=time.perf_counter(); import aiocustomerio; print(time.perf_counter()-t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return min(runs) * 1000


def table(rows: list[tuple[str, str, int, float, float]]) -> str:
    out = [
        "| transport | stack | in flight | requests/s | CPU µs/call | overhead vs raw (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    raw = {(t, c): cpu for t, s, c, _r, cpu in rows if s == "raw httpx"}
    for transport, stack, in_flight, rps, cpu in rows:
        overhead = (cpu / raw[(transport, in_flight)] - 1) * 100
        out.append(f"| {transport} | {stack} | {in_flight} | {rps:,.0f} | {cpu:,.0f} | {overhead:+.0f}% |")
    return "\n".join(out)


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


async def layer_overhead(calls: int, rounds: int = 7) -> list[tuple[str, float]]:
    """CPU µs per call with no network under either stack (one shared MockTransport), median of interleaved rounds.

    On this 2-core machine the loopback rows vary by ±20% from run to run, more than the layer costs; taking the
    socket away leaves only what each layer does per call, so the difference is the façade's own overhead.
    """
    from aiocustomerio import CustomerIO, Limits

    wire = httpx.MockTransport(_ok)
    body = json.dumps(ATTRIBUTES, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    samples: dict[str, list[float]] = {"raw httpx": [], "façade (limits off)": [], "façade (default limits)": []}
    async with (
        httpx.AsyncClient(base_url="http://x", auth=httpx.BasicAuth(SITE_ID, API_KEY), transport=wire) as raw,
        CustomerIO(site_id=SITE_ID, track_api_key=API_KEY, limits=Limits.disabled(), transport=wire, env={}) as off,
        CustomerIO(site_id=SITE_ID, track_api_key=API_KEY, transport=wire, env={}) as on,
    ):

        async def raw_call(i: int) -> Any:
            (await raw.put(f"/api/v1/customers/user_{i}", content=body, headers=headers)).raise_for_status()

        stacks: dict[str, Call] = {
            "raw httpx": raw_call,
            "façade (limits off)": lambda i: off.track.identify(f"user_{i}", ATTRIBUTES),
            "façade (default limits)": lambda i: on.track.identify(f"user_{i}", ATTRIBUTES),
        }
        for _ in range(rounds):
            for name, call in stacks.items():
                cpu = time.process_time()
                for i in range(calls):
                    await call(i)
                samples[name].append((time.process_time() - cpu) / calls * 1e6)
    return [(name, sorted(values)[len(values) // 2]) for name, values in samples.items()]


def overhead_table(rows: list[tuple[str, float]]) -> str:
    raw = rows[0][1]
    out = ["| stack (no network: httpx.MockTransport) | CPU µs/call (median of 7) | vs raw httpx |", "|---|---|---|"]
    out += [f"| {name} | {cpu:,.1f} | {(cpu / raw - 1) * 100:+.0f}% |" for name, cpu in rows]
    return "\n".join(out)


def report(calls: int = CALLS) -> str:
    """Run every stack on every transport and return the markdown table (with a preamble and the import time)."""
    transports = ["httpx"]
    notes = []
    try:
        import httpx_aiohttp  # noqa: F401

        transports.append("aiohttp")
    except ImportError:
        notes.append("(httpx-aiohttp not installed: aiohttp rows skipped; pip install 'aiocustomerio[aiohttp]')")
    proc, base_url = start_server()
    try:
        rows = asyncio.run(run(base_url, transports, calls))
    finally:
        proc.kill()
        proc.wait()
    return "\n".join(
        [
            *notes,
            f"One Track identify per call, {calls:,} calls per row, local server on 127.0.0.1 (HTTP/1.1 keep-alive)\n",
            table(rows),
            "\nWhat each layer costs per call without the network (CPU time: waiting on a rate limit costs none):\n",
            overhead_table(asyncio.run(layer_overhead(max(calls // 3, 200)))),
            f"\nimport aiocustomerio: {import_time_ms():.0f} ms (best of 5, fresh interpreter)",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="per-call overhead benchmark")
    parser.add_argument("--calls", type=int, default=CALLS)
    print(report(parser.parse_args(argv).calls))


if __name__ == "__main__":
    main()
