"""One Track identify per call, through raw httpx, the generated function and the façade, on both transports.

``python -m bench.calls`` starts ``bench.echo_server`` in a subprocess on 127.0.0.1, serving HTTPS with a throwaway
certificate (``bench.tls``; plain HTTP with a notice when no certificate can be made), and prints requests/s and µs
of client CPU per call with 1, 8 and 64 calls in flight. Every row is compared with raw httpx over the aiohttp
transport (httpx-aiohttp's ``AiohttpTransport``, the ceiling a web backend can have under httpx's API) at the same
number of calls in flight. Rows are measured in interleaved rounds and the median kept: the machine is shared and a
single pass varies by ±20%.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from .tls import make_cert

SITE_ID, API_KEY = "bench-site", "bench-key"
ATTRIBUTES = {"email": "person@example.com", "plan": "pro", "first_name": "Ada", "created_at": 1700000000}
CONCURRENCY = (1, 8, 64)
CALLS = int(os.environ.get("BENCH_CALLS", "3000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CEILING = ("raw httpx", "aiohttp")

Call = Callable[[int], Awaitable[Any]]
Stack = Callable[[str, str], Any]


def start_server(tls: tuple[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "bench.echo_server", *(tls or ())]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"{'https' if tls else 'http'}://127.0.0.1:{port}"


def reference_transport(transport: str) -> httpx.AsyncBaseTransport:
    """The raw rows' transport: httpx's own pool, or httpx-aiohttp's AiohttpTransport (not the SDK's own)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return AiohttpTransport(limits=limits)
    return httpx.AsyncHTTPTransport(limits=limits)


@asynccontextmanager
async def raw_httpx(base_url: str, transport: str) -> AsyncIterator[Call]:
    body = json.dumps(ATTRIBUTES, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(
        base_url=base_url, auth=httpx.BasicAuth(SITE_ID, API_KEY), transport=reference_transport(transport)
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
    http = httpx.AsyncClient(
        base_url=base_url, auth=httpx.BasicAuth(SITE_ID, API_KEY), transport=reference_transport(transport)
    )
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

    # Limits off: the default Track limit (3000 per 3 s, Customer.io's own) would be what this row measures.
    options: dict[str, Any] = {} if transport == "default" else {"transport": transport}
    async with CustomerIO(
        site_id=SITE_ID, track_api_key=API_KEY, track_base_url=base_url, limits=Limits.disabled(), env={}, **options
    ) as cio:

        async def call(i: int) -> Any:
            await cio.track.identify(f"user_{i}", ATTRIBUTES)

        yield call


def default_transport() -> str:
    from aiocustomerio import CustomerIO

    return str(CustomerIO(env={})._transport)


# (stack, transport) rows; the façade's default transport is labelled in the table.
ROWS: tuple[tuple[str, Stack, str], ...] = (
    ("raw httpx", raw_httpx, "httpx"),
    ("raw httpx", raw_httpx, "aiohttp"),
    ("generated function", generated, "httpx"),
    ("generated function", generated, "aiohttp"),
    ("façade (limits off)", facade, "httpx"),
    ("façade (limits off)", facade, "aiohttp"),
)


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


Row = tuple[str, str, int, float, float]


async def run(
    base_url: str,
    transports: list[str],
    calls: int = CALLS,
    rounds: int = ROUNDS,
    concurrency: tuple[int, ...] = CONCURRENCY,
) -> list[Row]:
    """Every row once per round, rounds interleaved, medians kept."""
    samples: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name, stack, transport in ROWS:
            if transport not in transports:
                continue
            for in_flight in concurrency:
                async with stack(base_url, transport) as call:
                    samples.setdefault((name, transport, in_flight), []).append(await measure(call, in_flight, calls))
    return [
        (transport, name, in_flight, statistics.median(r for r, _ in got), statistics.median(c for _, c in got))
        for (name, transport, in_flight), got in samples.items()
    ]


def import_time_ms(modules: str = "aiocustomerio") -> float:
    """Wall time of ``import <modules>`` in a fresh interpreter (best of 5)."""
    code = f"import time; t=time.perf_counter(); import {modules}; print(time.perf_counter()-t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)]
    return min(runs) * 1000


def import_line() -> str:
    """What ``import aiocustomerio`` adds to ``import asyncio, httpx`` (target: within 60 ms)."""
    base, full = import_time_ms("asyncio, httpx"), import_time_ms("asyncio, httpx, aiocustomerio")
    return (
        f"import asyncio, httpx: {base:.0f} ms; + aiocustomerio: {full:.0f} ms (+{full - base:.0f} ms; target "
        "+60 ms); best of 5, fresh interpreters"
    )


def table(rows: list[Row], default: str) -> str:
    out = [
        "| transport | stack | in flight | requests/s | CPU µs/call | vs raw httpx on aiohttp (requests/s) |",
        "|---|---|---|---|---|---|",
    ]
    ceiling = {c: rps for t, s, c, rps, _cpu in rows if (s, t) == CEILING}
    for transport, stack, in_flight, rps, cpu in rows:
        label = f"{transport} (default)" if stack.startswith("façade") and transport == default else transport
        ratio = f"{rps / ceiling[in_flight]:.2f}x" if in_flight in ceiling else "n/a"
        out.append(f"| {label} | {stack} | {in_flight} | {rps:,.0f} | {cpu:,.0f} | {ratio} |")
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


def report(calls: int = CALLS, rounds: int = ROUNDS, concurrency: tuple[int, ...] = CONCURRENCY) -> str:
    """Run every stack on every transport and return the markdown table (with a preamble and the import time)."""
    transports = ["httpx"]
    notes = []
    try:
        import httpx_aiohttp  # noqa: F401

        transports.append("aiohttp")
    except ImportError:
        notes.append("(httpx-aiohttp not installed: aiohttp rows skipped; pip install 'aiocustomerio[aiohttp]')")
    with tempfile.TemporaryDirectory() as tmp:
        tls = make_cert(tmp)
        if tls is None:
            notes.append("(no certificate could be made: plain HTTP)")
        proc, base_url = start_server(tls)
        saved = os.environ.get("SSL_CERT_FILE")
        if tls is not None:
            os.environ["SSL_CERT_FILE"] = tls[0]  # trusted by this process's clients only (httpx and aiohttp read it)
        try:
            rows = asyncio.run(run(base_url, transports, calls, rounds, concurrency))
        finally:
            proc.kill()
            proc.wait()
            if saved is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = saved
    scheme = "HTTPS" if base_url.startswith("https") else "HTTP"
    return "\n".join(
        [
            *notes,
            f"One Track identify per call, {calls:,} calls per row, median of {rounds} interleaved rounds, "
            f"local server on 127.0.0.1 ({scheme}, HTTP/1.1 keep-alive)\n",
            table(rows, default_transport()),
            "\nWhat each layer costs per call without the network (CPU time: waiting on a rate limit costs none):\n",
            overhead_table(asyncio.run(layer_overhead(max(calls // 3, 200)))),
            "\n" + import_line(),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="per-call overhead benchmark")
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--in-flight", type=int, nargs="*", default=list(CONCURRENCY), help="e.g. --in-flight 64")
    args = parser.parse_args(argv)
    print(report(args.calls, args.rounds, tuple(args.in_flight)))


if __name__ == "__main__":
    main()
