"""The aiocustomerio quickstart: the calls a backend makes every day, against local mocks or Customer.io.

    make demo                                   # against Prism mocks of the three APIs: no credentials needed
    python -m examples.quickstart --live        # against Customer.io, credentials from the environment

The mocks answer every call with the examples in Customer.io's specs (normalized by codegen/), and refuse requests
that break the spec, so the demo shows real requests being accepted, not a stub saying yes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from aiocustomerio import CustomerIO, CustomerIOError, Limits


def say(step: str, detail: str = "") -> None:
    print(f"  ✓ {step:<44} {detail}", flush=True)


async def tour(cio: CustomerIO, events: int) -> None:
    print("Track API")
    await cio.track.identify("user_1", {"plan": "pro", "first_name": "Ada"}, email="ada@example.com")
    say("identify user_1", "PUT /api/v1/customers/user_1")
    await cio.track.event("user_1", "purchase", {"amount": 99, "currency": "EUR"})
    say("event purchase (with a ULID dedup id)", "POST /api/v1/customers/user_1/events")
    await cio.track.anonymous_event("anon_123", "page_viewed", {"page": "/pricing"})
    say("anonymous event page_viewed", "POST /api/v1/events")

    print("App API")
    sent = await cio.app.send_email(
        transactional_message_id="1",
        to="ada@example.com",
        identifiers={"id": "user_1"},
        message_data={"order_id": "ORD-456"},
        from_="shop@example.com",
    )
    say("transactional email (from → 'from')", f"delivery_id={getattr(sent, 'delivery_id', None)}")
    trigger = await cio.app.trigger_broadcast(3, emails=["ada@example.com"], data={"coupon_code": "SAVE20"})
    say("trigger broadcast 3 for one email", f"trigger id={getattr(trigger, 'id', None)}")
    names = [getattr(c, "name", "?") async for c in cio.app.campaigns.list_campaigns.paginate(max_items=5)]
    say("list campaigns (iterator)", f"{len(names)} campaign(s): {', '.join(map(str, names))[:60]}")
    # Prism answers every page with the spec's example cursor ("string"); the paginator raises PaginationError on a
    # repeated cursor rather than looping, so the demo reads what the first page holds.
    people = [p async for p in cio.app.customers.search(filter={"and": [{"segment": {"id": 3}}]}, max_items=1)]
    say("search people in segment 3 (paginated)", f"{len(people)} person(s)")

    print("Pipelines API")
    started = time.perf_counter()
    async with cio.pipelines.ingestor() as ingestor:
        for i in range(events):
            await ingestor.track(f"user_{i % 100}", "demo_event", {"n": i})
    report = ingestor.report
    elapsed = time.perf_counter() - started
    say(f"ingested {events:,} track events in batches", f"{events / elapsed:,.0f} events/s")
    print(f"    report: {report.summary()}")
    if report.failed or report.pending:
        raise SystemExit("the ingestor did not deliver everything")


@contextlib.asynccontextmanager
async def mock_client() -> AsyncIterator[CustomerIO]:
    from tests.support.prism import start_all

    print("Starting Prism mocks of the three APIs on 127.0.0.1 (validating every request against the spec)...")
    with start_all() as urls:
        for api, url in sorted(urls.items()):
            print(f"  {api:<10} {url}")
        async with CustomerIO(
            site_id="demo-site",
            track_api_key="demo-track-key",
            app_api_key="demo-app-key",
            cdp_api_key="demo-cdp-key",
            track_base_url=urls["track"],
            app_base_url=urls["app"],
            pipelines_base_url=urls["pipelines"],
            # The mock has no rate limits to respect; the broadcast trigger limit (1 per 10 s) would slow the demo.
            limits=Limits.disabled(),
            env={},
        ) as cio:
            yield cio


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", action="store_true", help="call Customer.io with credentials from the environment")
    parser.add_argument("--events", type=int, default=10_000, help="events for the Pipelines ingestor run")
    args = parser.parse_args(argv)
    try:
        client: Any = CustomerIO() if args.live else mock_client()
        async with client as cio:
            await tour(cio, args.events)
    except CustomerIOError as exc:
        # Typed errors say what to fix (a missing key names its argument and variable): one line, not a traceback.
        print(f"quickstart: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("Done.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
