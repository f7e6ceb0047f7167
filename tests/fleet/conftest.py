from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from tests.support.fleet_worker import spawn
from tests.support.redis_server import redis_server

__all__ = ["Worker", "redis_server", "run_fleet"]

READY_TIMEOUT = 60.0  # importing generated code can take seconds per process on a busy 2-core machine


@dataclass
class Worker:
    result: dict[str, Any]
    stderr: str
    returncode: int


async def run_fleet(
    n: int, args: list[str], *, timeout: float = 40.0, started: asyncio.Future[float] | None = None
) -> tuple[float, list[Worker]]:
    """Run ``n`` workers that start together once all are ready.

    Returns the start on this process's ``time.monotonic()`` clock (the in-process servers' clock) and the
    workers' results; ``started`` gets that start as soon as it is known.
    """
    procs = [await spawn(i, args) for i in range(n)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), READY_TIMEOUT)
            assert line == b"ready\n", line
        start_at = time.time() + 0.2
        start = time.monotonic() + 0.2
        if started is not None:
            started.set_result(start)
        outputs = await asyncio.wait_for(
            asyncio.gather(*(proc.communicate(f"{start_at}\n".encode()) for proc in procs)), timeout
        )
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
    workers = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        text = err.decode(errors="replace")
        assert proc.returncode == 0, text
        workers.append(Worker(json.loads(out.decode().strip().splitlines()[-1]), text, proc.returncode))
    return start, workers
