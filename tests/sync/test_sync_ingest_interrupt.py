"""Ctrl-C in sync code blocked on the ingestor: the wait is interrupted and cancelled, the `with` block's drain is
bounded, and the process exits; never a process that hangs (even when two Ctrl-Cs arrive as one)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from aiocustomerio import SyncCustomerIO
from aiocustomerio.errors import InvalidArgumentError
from tests.sync.conftest import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]

# The server is stalled: the second event waits for room, the `with` block's drain waits for delivery.
CHILD = textwrap.dedent(
    """
    import sys
    from aiocustomerio import SyncCustomerIO

    cio = SyncCustomerIO(site_id="site", track_api_key="key", track_base_url=sys.argv[1], env={})
    try:
        with cio.track.ingestor(max_queue=1, max_wait=0.0, interrupt_drain_timeout=0.5) as ing:
            ing.event("u", "n", id="k0")
            print("blocking", flush=True)
            ing.event("u", "n", id="k1")
    except KeyboardInterrupt:
        print("interrupted", ing.report.summary(), flush=True)
        sys.exit(130)
    """
)


def test_ctrl_c_interrupts_a_blocked_put_and_the_drain_is_bounded(server: ThreadedServer, tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    server.stall()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, str(script), server.url()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in child.stdout or ()], daemon=True).start()
    try:
        assert lines.get(timeout=30).strip() == "blocking"
        time.sleep(0.2)  # into the blocked event() (were it earlier, the signal would interrupt the print instead)
        # Two Ctrl-Cs while the child is not scheduled (a loaded machine) reach it as one KeyboardInterrupt: only
        # the bounded drain can end the `with` block then. Stopped, the child receives them deterministically.
        child.send_signal(signal.SIGSTOP)
        child.send_signal(signal.SIGINT)
        child.send_signal(signal.SIGINT)
        child.send_signal(signal.SIGCONT)
        assert child.wait(30) == 130, child.stderr.read() if child.stderr else ""
    finally:
        child.kill()
        server.unstall()
    out = lines.get(timeout=5)
    # k1 was not accepted (its wait was cancelled); k0 was not delivered in the bounded drain and is reported.
    assert out.startswith("interrupted accepted=1 delivered=0 failed=0 pending=1"), out


def test_a_block_left_by_an_interruption_drains_for_interrupt_drain_timeout(server: ThreadedServer) -> None:
    server.stall()
    cio = SyncCustomerIO(site_id="site", track_api_key="key", track_base_url=server.url(), env={})
    try:
        ing = cio.track.ingestor(max_wait=0.0, interrupt_drain_timeout=0.2)
        # The interruption goes on after the bounded drain: the user asked to stop.
        with pytest.raises(KeyboardInterrupt), ing:
            ing.event("u", "n", id="k0")
            raise KeyboardInterrupt
        assert [item["id"] for item in ing.report.pending] == ["k0"]
    finally:
        server.unstall()
        cio.close()


@pytest.mark.parametrize("value", [0, -1.0, float("inf")])
def test_interrupt_drain_timeout_is_checked(value: float) -> None:
    cio = SyncCustomerIO(site_id="site", track_api_key="key", env={})
    with pytest.raises(InvalidArgumentError, match="interrupt_drain_timeout must be a positive number of seconds"):
        cio.track.ingestor(interrupt_drain_timeout=value)
