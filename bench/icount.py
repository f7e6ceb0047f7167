"""Instructions per event on the ingestion path, counted by valgrind (deterministic, unlike timings on a busy machine).

``python -m bench.icount [--events N] [MODE ...]`` runs each mode in a child under
``valgrind --tool=callgrind --instr-atstart=no``; the child switches counting on just before its loop and off right
after (``callgrind_control``), so imports, set-up and the dict building are not counted. Items are built before
the loop; delivery goes to an ``httpx.MockTransport`` that answers 200 at once. Modes:

- ceiling:     the SDK ceiling's loop: ``orjson.dumps`` each dict, cut ~500 KB bodies, post them
- dumps:       ``orjson.dumps`` of each dict and nothing else (the floor of anything that encodes per item)
- put_nowait:  ``ingestor.put_nowait(dict)`` (awaiting ``put`` when the queue is full), then ``flush()``
- put:         ``await ingestor.put(dict)``, then ``flush()``
- put_many:    ``await ingestor.put_many(dicts)``, 500 at a time, then ``flush()``
- event:       ``await ingestor.event(id, name, attributes, timestamp=...)``, then ``flush()``
- accept:      ``put_nowait(dict)`` into a queue large enough to hold them all: the per-item path without delivery
- producers:   64 tasks each awaiting ``event(...)`` (the bench's row a'''), then ``flush()``
- spool-producers: the same with a spool (row d'): each ``event`` journals its item (durable) and returns
- spool-event:  one producer awaiting ``event(...)`` on a spooled ingestor (row d''')
- journal-only: spool-event with the spool's SQLite side made free (no writes, no checkpoints, no settling): what a
               spooled `event` costs on top of `event` besides SQLite (the journal copy, the group commit's hand-over
               to the lanes), a bound, not a spool
- inline:      what `accept` checks and records, written out in one function here (`_inline_floor`): the least
               that design costs in CPython, with no call layers at all

Under valgrind a millisecond holds one or two ids rather than a hundred, so the children use a clock that moves
every 100 reads (ULIDs then take their per-millisecond path as often as at full speed). Needs valgrind
(``apt-get install valgrind``); without it this says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

MODES = (
    "ceiling",
    "dumps",
    "put_nowait",
    "put",
    "put_many",
    "event",
    "accept",
    "inline",
    "producers",
    "spool-producers",
    "spool-event",
    "journal-only",
)


def _count(on: bool) -> None:
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())], capture_output=True)


def _inline_floor(items: list[dict[str, Any]]) -> None:
    """The ingestor's per-item work with every call inlined: event id check, encoding (orjson with the SDK's
    `default`), the NaN scan, the right-sized copy, the size check, the person hash, the queue bound and the lane's
    pending list."""
    from time import monotonic
    from zlib import crc32

    import orjson

    from aiocustomerio._ids import TRACK_EVENT_ACTIONS, new_ulid
    from aiocustomerio.ingest._encode import _track_default

    dumps, options = orjson.dumps, orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    pending: list[list[tuple[int, bytes, int]]] = [[] for _ in range(4)]
    used, limit = 0, len(items) + 1
    for seq, item in enumerate(items, 1):
        if type(item) is not dict:
            raise TypeError
        if item.get("action") in TRACK_EVENT_ACTIONS and not item.get("id"):
            item = {**item, "id": new_ulid()}
        data = dumps(item, _track_default, options)
        if data.rpartition(b"null")[1]:
            raise ValueError
        data = data + b" "
        if len(data) > 32_000:
            raise ValueError
        who = item.get("identifiers")
        person = crc32(who["id"].encode()) if type(who) is dict and len(who) == 1 and "id" in who else 0
        if used >= limit:
            raise OverflowError
        used = seq  # the room taken
        lane = pending[person % 4]  # batches are cut from these in bulk, off the per-item path (Lanes._distribute)
        if not lane:
            monotonic()
        lane.append((seq, data, person))


def _journal_only() -> None:
    """The patches of the `journal-only` mode (see the module docstring)."""
    from aiocustomerio.ingest import _spool, _writer

    _writer.Writer._write = lambda self, *args: None  # type: ignore[method-assign]
    _writer.Writer._checkpoint_wal = lambda self: None  # type: ignore[method-assign]
    _spool.Spool.settle = lambda self, seqs: None  # type: ignore[method-assign]


async def _child(mode: str, events: int) -> None:
    import httpx
    import orjson

    from aiocustomerio import _ids
    from aiocustomerio.ingest import Ingestor, QueueFull

    from .ingest import entity
    from .workload import attributes

    clock = iter(range(1 << 62))
    start = time.time_ns()
    _ids._time_ns = lambda: start + next(clock) // 100 * 1_000_000  # see the module docstring
    items = [entity(i) for i in range(events)]
    attrs = [attributes(i) for i in range(events)]
    names = [f"user_{i}" for i in range(events)]
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)), base_url="http://x")
    await http.post("/warm-up", content=b"{}")
    if mode == "inline":
        _count(True)
        _inline_floor(items)
        _count(False)
        return
    if mode in ("ceiling", "dumps"):
        dumps = orjson.dumps
        _count(True)
        if mode == "dumps":
            for item in items:
                dumps(item)
        else:
            batch: list[bytes] = []
            size = 0
            for item in items:
                data = dumps(item)
                if size + len(data) + 1 > 500 * 1024 - 12:
                    await http.post("/api/v2/batch", content=b'{"batch":[' + b",".join(batch) + b"]}")
                    batch, size = [], 0
                batch.append(data)
                size += len(data) + 1
            await http.post("/api/v2/batch", content=b'{"batch":[' + b",".join(batch) + b"]}")
        _count(False)
        return
    options: dict[str, Any] = {"max_wait": 3600}
    if mode == "accept":
        options.update(max_queue=events + 1, max_batch_items=events + 1)
    spool_dir = tempfile.TemporaryDirectory()
    if mode in ("spool-producers", "spool-event", "journal-only"):
        options["spool"] = os.path.join(spool_dir.name, "spool.db")
    if mode == "journal-only":
        _journal_only()
    ing = Ingestor(http, **options)
    await ing.start()
    _count(True)
    if mode == "accept":
        for item in items:
            ing.put_nowait(item)
        _count(False)
        ing._lanes.take_all()  # not sent: only acceptance is measured
        ing._room.used = 0
    else:
        if mode == "put_nowait":
            for item in items:
                try:
                    ing.put_nowait(item)
                except QueueFull:
                    await ing.put(item)
        elif mode == "put":
            for item in items:
                await ing.put(item)
        elif mode == "put_many":
            for start in range(0, events, 500):
                await ing.put_many(items[start : start + 500])
        elif mode in ("producers", "spool-producers"):

            async def produce(offset: int) -> None:
                for i in range(offset, events, 64):
                    await ing.event(names[i], "order_completed", attrs[i], timestamp=1700000000 + i)

            await asyncio.gather(*(produce(p) for p in range(64)))
        else:
            for i in range(events):
                await ing.event(names[i], "order_completed", attrs[i], timestamp=1700000000 + i)
        await ing.flush()
        _count(False)
    await ing.close()
    spool_dir.cleanup()


def run(modes: list[str], events: int) -> str:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        return "bench.icount: skipped, valgrind is not installed (apt-get install valgrind)"
    lines = [
        f"Instructions per event (callgrind, {events:,} events, counted around the loop only; MockTransport)\n",
        "| mode | instructions/event | vs ceiling |",
        "|---|---|---|",
    ]
    ceiling: float | None = None
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for mode in modes:
        with tempfile.TemporaryDirectory() as tmp:
            command = [
                *("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/out"),
                *(sys.executable, "-m", "bench.icount", "--child", mode, "--events", str(events)),
            ]
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        found = re.search(r"Collected : (\d+)", out.stderr)
        if out.returncode != 0 or found is None:
            lines.append(f"| {mode} | failed: {(out.stderr.strip().splitlines() or ['?'])[-1][:120]} | |")
            continue
        per_event = int(found.group(1)) / events
        if mode == "ceiling":
            ceiling = per_event
        ratio = f"{per_event / ceiling:.2f}x" if ceiling else "-"
        lines.append(f"| {mode} | {per_event:,.0f} | {ratio} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="instructions per event on the ingestion path (valgrind)")
    parser.add_argument("modes", nargs="*", metavar="MODE", help=f"any of {', '.join(MODES)} (default: all)")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(_child(args.child, args.events))
        return
    unknown = sorted(set(args.modes) - set(MODES))
    if unknown:
        parser.error(f"unknown mode {', '.join(unknown)}; choose from {', '.join(MODES)}")
    print(run(args.modes or list(MODES), args.events))


if __name__ == "__main__":
    main()
