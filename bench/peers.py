"""Other Customer.io libraries, measured by ``bench.ingest`` in the same run and table as ours.

They live in a git-ignored venv, ``.bench/peers`` (created by ``ensure_peers``; never the project's dependencies),
and their scenarios run under that venv's interpreter, without aiocustomerio. All of them only build ``https://``
URLs, so they post to the batch server's TLS instance on 127.0.0.1 (see ``bench.tls``); each takes ``host`` and
``port`` (or a full ``host`` URL) settings, so no name resolution trick is needed.

- async-customerio: ``AsyncCustomerIO(host=, port=)``; ``track()`` is one Track v1 request per event, and
  ``cio.v2.send_batch(list)`` posts a Track v2 batch that the caller has to cut to size itself.
- customerio (official, synchronous, requests): ``CustomerIO(host=, port=)``; ``track()`` per event, and
  ``batch(operations)`` for Track v2.
- customerio-cdp-analytics (official Pipelines SDK): ``analytics.host = URL``; a consumer thread batches.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from .workload import API_KEY, SITE_ID, attributes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_VENV = os.path.join(ROOT, ".bench", "peers")
PEER_PYTHON = os.path.join(PEER_VENV, "bin", "python")
PACKAGES = ("async-customerio", "customerio", "customerio-cdp-analytics")
# One request per event is ~100x slower than batching: these rows get a slice of the events (their rate is what
# counts), and the same number of callers as the façade's row.
IN_FLIGHT = 64
THREADS = 8  # the synchronous client: callers are threads, each with its own client (requests sessions aren't shared)
BATCH_ITEMS = 1000  # ~340 KB of events: under the 500 KB limit that the caller of these APIs has to respect


def ensure_peers() -> bool:
    """Create the peers' venv if missing; False (after a one-line notice) when that fails."""
    if os.path.exists(PEER_PYTHON):
        return True
    print(f"(creating {PEER_VENV} with {', '.join(PACKAGES)})", flush=True)
    made = subprocess.run([sys.executable, "-m", "venv", PEER_VENV], capture_output=True, check=False)
    if made.returncode == 0:
        pip = [PEER_PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check", *PACKAGES]
        made = subprocess.run(pip, capture_output=True, text=True, check=False)
        if made.returncode == 0:
            return True
    reason = (made.stderr or "").strip().splitlines()[-1:] or ["venv failed"]
    print(f"(peers skipped: could not install {', '.join(PACKAGES)}: {reason[0]})")
    return False


def _host_port(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def _entity(i: int) -> dict[str, Any]:
    # What a caller of a batch API builds by hand; a uuid4 id plays the part of our ULID (both dedup the event).
    return {
        "type": "person",
        "identifiers": {"id": f"user_{i}"},
        "action": "event",
        "name": "order_completed",
        "id": str(uuid.uuid4()),
        "timestamp": 1700000000 + i,
        "attributes": attributes(i),
    }


async def run_async_customerio(base_url: str, events: int) -> int:
    from async_customerio import AsyncCustomerIO  # type: ignore[import-not-found]
    from async_customerio._config import RequestLimits  # type: ignore[import-not-found]

    host, port = _host_port(base_url)
    # Its default keeps 20 idle connections; with 64 callers that would measure TLS handshakes, not the client.
    limits = RequestLimits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30)
    cio = AsyncCustomerIO(SITE_ID, API_KEY, host=host, port=port, request_limits=limits)
    async with cio:

        async def produce(offset: int) -> None:
            for i in range(offset, events, IN_FLIGHT):
                await cio.track(f"user_{i}", "order_completed", timestamp=1700000000 + i, **attributes(i))

        await asyncio.gather(*(produce(p) for p in range(IN_FLIGHT)))
    return events


async def run_async_customerio_batch(base_url: str, events: int) -> int:
    from async_customerio import AsyncCustomerIO

    host, port = _host_port(base_url)
    async with AsyncCustomerIO(SITE_ID, API_KEY, host=host, port=port) as cio:
        starts = iter(range(0, events, BATCH_ITEMS))

        async def worker() -> None:  # 4 batches in flight, like the ingestor's default concurrency
            for start in starts:
                await cio.v2.send_batch([_entity(i) for i in range(start, min(start + BATCH_ITEMS, events))])

        await asyncio.gather(*(worker() for _ in range(4)))
    return events


def _customerio(base_url: str) -> Any:
    from customerio import CustomerIO  # type: ignore[import-not-found]

    host, port = _host_port(base_url)
    return CustomerIO(SITE_ID, API_KEY, host=host, port=port)


async def run_customerio(base_url: str, events: int) -> int:
    def produce(offset: int) -> None:
        with _customerio(base_url) as cio:
            for i in range(offset, events, THREADS):
                cio.track(f"user_{i}", "order_completed", attributes(i), timestamp=1700000000 + i)

    def run() -> None:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(produce, range(THREADS)))

    await asyncio.to_thread(run)
    return events


async def run_customerio_batch(base_url: str, events: int) -> int:
    def produce(offset: int) -> None:
        with _customerio(base_url) as cio:
            for start in range(offset * BATCH_ITEMS, events, 4 * BATCH_ITEMS):
                cio.batch([_entity(i) for i in range(start, min(start + BATCH_ITEMS, events))])

    def run() -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(produce, range(4)))

    await asyncio.to_thread(run)
    return events


async def run_cdp_analytics(base_url: str, events: int) -> int:
    # A queue drained by a consumer thread that posts batches of 100 with requests. Its queue drops messages when
    # full (track returns False), so the caller waits and retries as a careful user would.
    from customerio import analytics

    analytics.write_key = "cdp-key"
    analytics.host = base_url

    def produce() -> None:
        for i in range(events):
            while not analytics.track(f"user_{i}", "Order Completed", attributes(i))[0]:
                time.sleep(0.001)
        analytics.flush()

    await asyncio.to_thread(produce)
    return events
