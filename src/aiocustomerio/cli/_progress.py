"""Progress of a backfill: a tqdm bar on a terminal, periodic plain lines elsewhere; log records never garble it.

tqdm draws the bar (percent of input bytes, ETA from the byte rate) and owns the terminal line: every other message
(warnings from retries, the CLI's own notes) goes through ``write``, which clears the bar, prints, and redraws it.
Off a terminal (a log file, CI) there is no bar and no ``\\r``: one plain line every ``every`` seconds.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol

from tqdm import tqdm

from ._output import clean


@dataclass
class Counts:
    read_bytes: int
    total_bytes: int
    delivered: int
    failed: int
    queued: int


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """``update()`` is called periodically with fresh counts; ``write()`` prints a message without breaking the bar."""

    def __init__(self, stream: IO[str] | None = None, *, enabled: bool = True, every: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.every = every
        self.started = time.monotonic()
        self._last_line = 0.0
        self._bar: tqdm[Any] | None = None
        self._tty = enabled and self.stream.isatty()
        self._base_delivered = 0

    def start(self, total_bytes: int, done_bytes: int = 0) -> None:
        if self._tty:
            try:
                size = os.get_terminal_size(self.stream.fileno())
                sized = size.columns > 0 and size.lines > 0
            except (OSError, ValueError):
                sized = False
            # A terminal that reports no size (a fresh pty, `script`, some CI runners) reads as 0x0, which tqdm
            # takes as a screen of -1 rows: it hides every bar. Give it a fixed screen then: 100 columns, 24 rows.
            self._bar = tqdm(
                total=total_bytes,
                initial=done_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=self.stream,
                dynamic_ncols=sized,
                ncols=None if sized else 100,
                nrows=None if sized else 24,
                leave=True,
                bar_format="{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]{postfix}",
            )

    def events_per_second(self, delivered: int) -> float:
        return delivered / max(time.monotonic() - self.started, 1e-9)

    def update(self, counts: Counts) -> None:
        if not self.enabled:
            return
        rate = self.events_per_second(counts.delivered)
        if self._bar is not None:
            self._bar.n = counts.read_bytes
            self._bar.set_postfix_str(
                f"{rate:,.0f} events/s, delivered {counts.delivered:,}, failed {counts.failed:,}", refresh=False
            )
            self._bar.refresh()
            return
        now = time.monotonic()
        if now - self._last_line < self.every or not counts.total_bytes:
            return
        self._last_line = now
        self._plain(counts, rate)

    def _plain(self, counts: Counts, rate: float) -> None:
        percent = 100.0 * counts.read_bytes / counts.total_bytes if counts.total_bytes else 100.0
        elapsed = now = time.monotonic() - self.started
        eta = ""
        if counts.read_bytes and counts.read_bytes < counts.total_bytes:
            eta = f", eta {_duration(now * (counts.total_bytes - counts.read_bytes) / counts.read_bytes)}"
        self.stream.write(
            f"progress: {percent:.1f}% of {counts.total_bytes:,} bytes, {rate:,.0f} events/s, delivered "
            f"{counts.delivered:,}, failed {counts.failed:,}, queued {counts.queued:,}, elapsed "
            f"{_duration(elapsed)}{eta}\n"
        )
        self.stream.flush()

    def finish(self, fields: dict[str, object]) -> None:
        """The final report, for a coordinator (nothing to do on a terminal: the summary is printed)."""

    def write(self, text: str) -> None:
        text = clean(text)
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self, counts: Counts | None = None) -> None:
        if counts is not None and self.enabled:
            if self._bar is not None:
                self.update(counts)
            else:
                self._plain(counts, self.events_per_second(counts.delivered))
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Display(Protocol):
    def start(self, total_bytes: int, done_bytes: int = 0) -> None: ...
    def update(self, counts: Counts) -> None: ...
    def write(self, text: str) -> None: ...
    def close(self, counts: Counts | None = None) -> None: ...
    def finish(self, fields: dict[str, object]) -> None: ...


class ProgressLogHandler(logging.Handler):
    """Routes the library's log records (retry warnings, spool errors) through ``Progress.write``."""

    def __init__(self, write: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._write = write
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._write(self.format(record))
        except Exception:  # a log line must never break the run
            self.handleError(record)


class JsonProgress:
    """A worker's progress for its coordinator (``--workers``): one JSON object per line on stdout.

    Counts every ``every`` seconds and a final report; messages go to stderr, where the coordinator prefixes them.
    """

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self._last = 0.0

    def _emit(self, kind: str, **fields: object) -> None:
        sys.stdout.write(json.dumps({"type": kind, **fields}) + "\n")
        sys.stdout.flush()

    def start(self, total_bytes: int, done_bytes: int = 0) -> None:
        self._emit("start", total=total_bytes, read=done_bytes)

    def update(self, counts: Counts) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._emit("progress", **counts.__dict__)

    def write(self, text: str) -> None:
        sys.stderr.write(clean(text) + "\n")
        sys.stderr.flush()

    def close(self, counts: Counts | None = None) -> None:
        if counts is not None:
            self._emit("progress", **counts.__dict__)

    def finish(self, fields: dict[str, object]) -> None:
        self._emit("report", **fields)
