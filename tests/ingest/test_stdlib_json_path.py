"""The ingestion tests pass on the stdlib JSON path too (orjson is used when importable; this forces the fallback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_encoder_and_wire_tests_on_the_stdlib_path() -> None:
    env = {**os.environ, "AIOCUSTOMERIO_STDLIB_JSON": "1"}
    files = [str(HERE / "test_ingest_encode.py"), str(HERE / "test_ingest_wire.py")]
    code = "import sys, pytest; from aiocustomerio.ingest import _encode; assert _encode._orjson is None; "
    code += f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *{files!r}]))"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=HERE.parents[1])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
