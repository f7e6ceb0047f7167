"""A spool whose making was cut short by a kill (a hot rollback journal beside it) is read, not a crash.

SQLite rolls a hot journal back before anything is read, which a read-only connection cannot do: inspect_spool
raised "attempt to write a readonly database". The CLI reads an earlier job's spools before every run of that file
(check_earlier_job), so once one worker of a `--workers` job was killed while it made its spool (seen with a SIGKILLed
coordinator: its workers get SIGTERM at once, some while opening), every later `ingest` of the file died with a
traceback and exit 1, whatever its flags.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aiocustomerio.ingest import inspect_spool
from tests.support.batch_server import BatchServer

from .ingest_support import event, run_cli

# A process killed inside the first transaction of a new SQLite file, after pages went to the file: what a run killed
# while making its spool leaves (the file and a hot `-journal`).
_KILLED_IN_FIRST_TRANSACTION = """
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size=1")
conn.execute("BEGIN")
conn.execute("CREATE TABLE filler(x)")
conn.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(3000),) for _ in range(50)])
os.kill(os.getpid(), signal.SIGKILL)
"""


def _kill_while_making(path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _KILLED_IN_FIRST_TRANSACTION, str(path)], check=False)
    assert done.returncode == -9
    assert os.path.getsize(str(path) + "-journal") > 0 and path.stat().st_size > 0  # a hot journal


def test_inspect_reads_a_spool_whose_making_was_killed(tmp_path: Path) -> None:
    spool = tmp_path / "s.db"
    _kill_while_making(spool)
    state = inspect_spool(spool)  # raised sqlite3.OperationalError
    assert state.pending == 0 and state.dead_letters == 0 and state.holder is None


async def test_the_cli_is_not_stuck_on_a_workers_spool_whose_making_was_killed(
    server: BatchServer, tmp_path: Path
) -> None:
    data = tmp_path / "events.jsonl"
    data.write_text("\n".join(event(i) for i in range(40)) + "\n")
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")
    assert code == 0, err
    second = tmp_path / "events.jsonl.spool.2of2.db"
    for name in (second, Path(f"{second}-wal"), Path(f"{second}-shm")):
        name.unlink(missing_ok=True)
    _kill_while_making(second)

    code, err = await run_cli(server, str(data), "--no-progress")  # the other count: refused, with its reason
    assert code == 2 and "Traceback" not in err, err
    assert "was started with --workers 2" in err and "rerun with --workers 2" in err, err
    code, err = await run_cli(server, str(data), "--workers", "2", "--no-progress")  # its own job goes on
    assert code == 0 and "Traceback" not in err, err
    assert server.ids == {f"f{i}" for i in range(40)}
