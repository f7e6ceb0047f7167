"""Ctrl-C in sync code blocked on the ingestor: the wait is interrupted and cancelled, never a process that hangs."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from tests.sync.conftest import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]

# The server is stalled: the second event waits for room, the `with` block's drain waits for delivery.
CHILD = textwrap.dedent(
    """
    import sys
    from aiocustomerio import SyncCustomerIO

    cio = SyncCustomerIO(site_id="site", track_api_key="key", track_base_url=sys.argv[1], env={})
    try:
        with cio.track.ingestor(max_queue=1, max_wait=0.0) as ing:
            ing.event("u", "n", id="k0")
            print("blocking", flush=True)
            ing.event("u", "n", id="k1")
    except KeyboardInterrupt:
        print("interrupted", ing.report.summary(), flush=True)
        sys.exit(130)
    """
)


def test_ctrl_c_interrupts_a_blocked_put_and_then_the_drain(server: ThreadedServer, tmp_path: Path) -> None:
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
        child.send_signal(signal.SIGINT)  # interrupts the blocked event(); the with block then drains
        try:
            child.wait(1.0)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGINT)  # the drain waits for a stalled server: a second Ctrl-C ends it
        assert child.wait(30) == 130, child.stderr.read() if child.stderr else ""
    finally:
        child.kill()
        server.unstall()
    out = lines.get(timeout=5)
    assert out.startswith("interrupted accepted=1 delivered=0"), out  # k1 was not accepted: its wait was cancelled
