"""Running `aiocustomerio ingest` as a real subprocess, with real signals, against the batch fault server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.batch_server import BatchServer

ROOT = Path(__file__).resolve().parents[2]


def event(i: int, *, with_id: bool = True, **attributes: object) -> str:
    entity: dict[str, object] = {"type": "person", "identifiers": {"id": f"u{i}"}, "action": "event", "name": "e"}
    if with_id:
        entity["id"] = f"f{i}"
    if attributes:
        entity["attributes"] = attributes
    return json.dumps(entity)


def message(i: int) -> str:
    return json.dumps({"type": "track", "userId": f"u{i}", "event": "e", "properties": {"i": i}})


class Run:
    """One `aiocustomerio ingest` process; stderr is collected as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.err = ""
        self._reader = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        assert self.process.stderr is not None
        while chunk := await self.process.stderr.read(4096):
            self.err += chunk.decode(errors="replace")

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    async def wait(self, timeout: float = 60) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.wait_for(self._reader, 10)
        return code


async def start_cli(server: BatchServer, *args: str, api: str = "track", **env: str) -> Run:
    base = f"http://127.0.0.1:{server.port}" + ("/v1" if api == "pipelines" else "")
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CUSTOMERIO_SITE_ID": "site",
        "CUSTOMERIO_TRACK_API_KEY": "key",
        "CUSTOMERIO_CDP_API_KEY": "cdp-key",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aiocustomerio",
        "ingest",
        *args,
        "--api",
        api,
        "--base-url",
        base,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    return Run(process)


async def run_cli(server: BatchServer, *args: str, api: str = "track", **env: str) -> tuple[int, str]:
    run = await start_cli(server, *args, api=api, **env)
    code = await run.wait()
    return code, run.err


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


SIGNAL_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
