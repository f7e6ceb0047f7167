"""``python -m bench [--quick]``: the per-call table (``bench.calls``), the ingestion table (``bench.ingest``), then
the fleet tables (``bench.fleet``: shared limits across processes through Redis, and what the store costs).

Creates the peers' venv (``.bench/peers``, git-ignored, never the project's dependencies) on first use; when that
fails the peer rows are skipped with a notice. ``--quick`` shrinks every row for a smoke run (well under 2 minutes),
in one round; its numbers are noisier and not for reporting. The ingestion table is the median of 3 interleaved
rounds (``--rounds``), as the per-call table is: this machine's speed drifts by 10-30% within minutes.
"""

from __future__ import annotations

import argparse
import time

from . import calls, fleet, ingest, peers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run with small counts")
    parser.add_argument("--calls", type=int, help="calls per row of the per-call table")
    parser.add_argument("--events", type=int, help="events per batched ingestion row")
    parser.add_argument("--per-event", type=int, help="events per one-request-per-event ingestion row")
    parser.add_argument("--skip-calls", action="store_true", help="only the ingestion table")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the ingestion table (median; default 3)")
    args = parser.parse_args(argv)
    n_calls = args.calls or (300 if args.quick else calls.CALLS)
    events = args.events or (20_000 if args.quick else 1_000_000)
    per_event = args.per_event or (300 if args.quick else 5_000)
    peer_events = 20_000 if args.quick else 200_000
    rounds = args.rounds or (1 if args.quick else 3)

    started = time.perf_counter()
    peers.ensure_peers()
    if not args.skip_calls:
        print(calls.report(n_calls), flush=True)
        print(flush=True)
    print(ingest.run(events, per_event, peer_events, rounds=rounds), flush=True)
    print(flush=True)
    print(fleet.report(args.quick), flush=True)
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
