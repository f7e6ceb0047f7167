"""A spooled sync ingestor killed with SIGKILL mid-run: the rerun delivers everything the first run accepted."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from aiocustomerio.ingest import inspect_spool
from tests.support.batch_server import Faults
from tests.sync.conftest import ThreadedServer

ROOT = Path(__file__).resolve().parents[2]

# Two producer threads share the ingestor: one resumes a bulk load from the spool's checkpoint with put_many, the
# other sends single events, the Django/Celery shape. Each prints what the ingestor has accepted (returned from).
CHILD = textwrap.dedent(
    """
    import sys, threading
    from aiocustomerio import SyncCustomerIO

    port, spool, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    cio = SyncCustomerIO(site_id="site", track_api_key="key", track_base_url=f"http://127.0.0.1:{port}", env={})
    item = lambda key: {"type": "person", "identifiers": {"id": "u"}, "action": "event", "name": "n", "id": key}
    lock = threading.Lock()

    def say(line):
        with lock:
            print(line, flush=True)

    with cio.track.ingestor(spool=spool, max_batch_items=50, max_wait=0.01) as ing:
        start = int(ing.checkpoint("next") or 0)

        def singles():
            for j in range(int(ing.checkpoint("single") or 0), 500):
                ing.event("u", "n", id=f"s{j}")
                if j % 50 == 49:
                    ing.put_many([], checkpoint=("single", str(j + 1)))
                say(f"single {j}")

        thread = threading.Thread(target=singles)
        thread.start()
        for i in range(start, total, 100):
            ing.put_many([item(f"k{j}") for j in range(i, min(i + 100, total))], checkpoint=("next", str(i + 100)))
            say(f"bulk {min(i + 100, total)}")
        thread.join()
    say("done " + ing.report.summary())
    """
)


def lines_of(child: subprocess.Popen[str]) -> queue.Queue[str]:
    """The child's output lines, read on a thread so that waiting for one can be bounded."""
    assert child.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in child.stdout or ()], daemon=True).start()
    return lines


def spooled(path: Path) -> int:
    return inspect_spool(path).pending


def test_sigkill_mid_run_then_rerun_loses_nothing(server: ThreadedServer, tmp_path: Path) -> None:
    total = 6000
    spool = tmp_path / "spool.db"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "generated")])}
    argv = [sys.executable, str(script), str(server.port), str(spool), str(total)]
    # Slow answers, so the child is killed with items both queued and in flight.
    server.call(lambda: setattr(server.server, "faults", Faults(p_slow=1.0, slow_seconds=0.02)))

    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    output = lines_of(child)
    acknowledged: set[str] = set()
    try:
        while len(acknowledged) < 2000:
            assert child.poll() is None or not output.empty(), "child ended before it could be killed"
            line = output.get(timeout=30)  # a hung child fails here instead of hanging the test
            kind, count = line.split()
            if kind == "bulk":
                acknowledged |= {f"k{j}" for j in range(int(count))}
            else:
                acknowledged.add(f"s{count}")
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(60)
    assert child.returncode == -signal.SIGKILL
    delivered_before = server.ids
    assert acknowledged - delivered_before, "the kill came after everything acknowledged was delivered"
    assert spooled(spool) > 0

    server.call(lambda: setattr(server.server, "faults", Faults()))
    rerun = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    last = rerun.stdout.splitlines()[-1]
    assert "failed=0 pending=0" in last, last
    delivered = server.ids
    assert acknowledged <= delivered  # nothing the first run accepted was lost
    assert delivered == {f"k{j}" for j in range(total)} | {f"s{j}" for j in range(500)}
    assert spooled(spool) == 0
