"""A spool's leftovers (what an earlier run accepted and did not settle) go back to the lanes before any new item:
they are older. They are read in seq order, in reads that fit the room `max_queue` leaves, so a large spool never
sits in memory whole."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ._queue import Lanes, Room
from ._report import IngestReport
from ._spool import Spool
from ._types import IngestorClosed, IngestorHalted

log = logging.getLogger("aiocustomerio.ingest")
READ = 5000  # rows per read at most (fewer when max_queue is smaller)


async def requeue_leftovers(
    spool: Spool, room: Room, lanes: Lanes, report: IngestReport, halted: Callable[[], bool]
) -> None:
    """Queue every unread row of `spool`, waiting for room as producers do; never raises. A failure to read is
    logged and recorded in the report (which is then not ok): the rows stay in the spool for the next run."""
    try:
        while spool.has_unread() and not halted():
            rows = await spool.read(max(1, min(room.limit, READ)))
            if not rows:
                break
            fits = min(len(rows), room.limit)
            await room.acquire(fits)
            room.take(len(rows) - fits)  # a read may return a little more than the room holds
            report.accepted += len(rows)
            report.recovered += len(rows)
            lanes.add_many(rows)
    except (IngestorHalted, IngestorClosed):
        pass  # what is not read yet stays in the spool; the report says why delivery stopped
    except Exception as exc:
        message = f"reading the spool's leftovers failed ({type(exc).__name__}: {exc}); they stay in the spool"
        log.error("%s", message)
        report.errors.append(message)
