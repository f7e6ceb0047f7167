"""Lanes cut batches in bulk (`_distribute`, with accumulate/bisect) exactly as a row-by-row greedy cut would, however
the rows arrive between two looks of the dispatcher."""

from __future__ import annotations

import asyncio
import random

from aiocustomerio.ingest._queue import Lanes, Row


def greedy(rows: list[Row], lanes: int, max_items: int, room: int) -> list[list[list[int]]]:
    """The reference: per lane, a batch takes rows while their bytes (each + 1 for its comma) fit and it has room."""
    cut: list[list[list[int]]] = [[] for _ in range(lanes)]
    open_: list[list[int]] = [[] for _ in range(lanes)]
    used = [0] * lanes
    for seq, data, person in rows:
        lane = person % lanes
        size = len(data) + 1
        if open_[lane] and used[lane] + size > room:
            cut[lane].append(open_[lane])
            open_[lane], used[lane] = [], 0
        open_[lane].append(seq)
        used[lane] += size
        if len(open_[lane]) >= max_items:
            cut[lane].append(open_[lane])
            open_[lane], used[lane] = [], 0
    for lane in range(lanes):
        if open_[lane]:
            cut[lane].append(open_[lane])
    return cut


def batches(lanes: Lanes) -> list[list[list[int]]]:
    lanes._distribute()  # the dispatcher's look (in take): pending rows go to their batches
    return [[[row[0] for row in batch] for batch in (*lane.ready, lane.open) if batch] for lane in lanes.lanes]


async def test_bulk_cuts_match_a_row_by_row_cut_whatever_the_arrival() -> None:
    rng = random.Random(7)
    for trial in range(60):
        count, max_items, room = rng.choice([1, 2, 4]), rng.choice([1, 3, 50, 10_000]), rng.choice([40, 300, 5_000])
        rows = [
            (seq, b"x" * rng.randint(1, min(room - 1, 120)), rng.randint(0, 9)) for seq in range(1, rng.randint(1, 400))
        ]
        wake = asyncio.Event()
        lanes = Lanes(count, max_items, room, wake)
        wake.clear()
        i = 0
        while i < len(rows):
            step = rng.randint(1, 40)
            if rng.random() < 0.5:
                lanes.add_many(rows[i : i + step])
            else:
                for row in rows[i : i + step]:
                    lanes.add(row)
            assert wake.is_set()  # the dispatcher is woken by the first row after each of its looks
            i += step
            if rng.random() < 0.5:
                lanes._distribute()  # a look between arrivals, after which the dispatcher waits again
                wake.clear()
        assert batches(lanes) == greedy(rows, count, max_items, room), f"trial {trial}"


async def test_a_batch_is_as_old_as_its_first_row() -> None:
    lanes = Lanes(1, 100, 10_000, asyncio.Event())
    lanes.add((1, b"a", 0))
    first = lanes._pending_since
    await asyncio.sleep(0.02)
    lanes.add((2, b"b", 0))
    assert lanes.take(max_wait=0.01, flushing=False) == (0, [(1, b"a", 0), (2, b"b", 0)])  # due: 20 ms old
    assert first is not None and lanes._pending_since is None
    lanes.lanes[0].busy = False
    lanes.add((3, b"c", 0))
    due = lanes.take(max_wait=3600, flushing=False)
    assert isinstance(due, float) and 3599 < due <= 3600  # not due yet: a new row, a new batch
