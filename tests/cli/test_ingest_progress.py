"""The progress bar on a real terminal (a pty): drawn by tqdm, and log records print above it, never inside it."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import struct
import sys
import termios
from pathlib import Path

from tests.support.batch_server import BatchServer

from .ingest_support import ROOT, event

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


async def _on_a_pty(server: BatchServer, data: Path, size: tuple[int, int] | None) -> tuple[int, str]:
    """Run the backfill with stderr on a fresh pty (``size``: rows, columns set on it, or none as `script` gives)."""
    master, slave = pty.openpty()
    if size is not None:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CUSTOMERIO_SITE_ID": "site",
        "CUSTOMERIO_TRACK_API_KEY": "key",
    }
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aiocustomerio",
        "ingest",
        str(data),
        "--api",
        "track",
        "--base-url",
        f"http://127.0.0.1:{server.port}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def read_all() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = asyncio.get_running_loop().run_in_executor(None, read_all)
    code = await asyncio.wait_for(process.wait(), 120)
    await asyncio.wait_for(reader, 10)
    os.close(master)
    return code, _ANSI.sub("", b"".join(chunks).decode(errors="replace"))


def _bars(out: str) -> list[str]:
    return [segment for segment in out.replace("\n", "\r").split("\r") if "%|" in segment]


async def test_bar_on_a_terminal_with_retry_warnings_on_their_own_lines(server: BatchServer, tmp_path: Path) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(20_000)) + "\n")
    server.faults.p_500 = 0.3  # retried batches: each logs a warning while the bar is drawn
    server.faults.p_slow, server.faults.slow_seconds = 1.0, 0.05
    code, out = await _on_a_pty(server, data, (40, 160))
    assert code == 0, out
    assert "\r" in out and "%|" in out  # a bar redrawn in place
    bars = _bars(out)
    assert any("events/s" in bar and "delivered" in bar and "failed 0" in bar for bar in bars)
    assert any(bar.lstrip().startswith("100%") for bar in bars)
    warnings = [line for line in out.split("\n") if "WARNING" in line]
    assert warnings, out[-2000:]
    for line in warnings:
        # Whatever the bar drew on this terminal line was cleared first: the warning starts at column 0.
        assert line.rstrip("\r").split("\r")[-1].startswith("WARNING aiocustomerio"), repr(line)
    assert "delivered=20000" in out


async def test_bar_on_a_terminal_that_reports_no_size(server: BatchServer, tmp_path: Path) -> None:
    # A fresh pty (`script -qc`, pty.openpty(), some CI runners) is a terminal of 0 rows and 0 columns.
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(20_000)) + "\n")
    server.faults.p_slow, server.faults.slow_seconds = 1.0, 0.05
    code, out = await _on_a_pty(server, data, None)
    assert code == 0, out
    bars = _bars(out)
    assert len(bars) >= 2, out[-2000:]  # drawn, and redrawn in place
    assert any("events/s" in bar and "delivered" in bar and "failed 0" in bar for bar in bars)
    assert any(bar.lstrip().startswith("100%") for bar in bars)
    assert all(len(bar) <= 100 for bar in bars)  # the fallback width, not an unbounded line
    assert "delivered=20000" in out
