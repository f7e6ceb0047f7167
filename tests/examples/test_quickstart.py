"""examples/quickstart.py --live without credentials stops at once with the typed error's one line, sends nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_live_without_credentials_says_what_to_set_and_exits_1() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERIO_")}
    result = subprocess.run(
        [sys.executable, "-m", "examples.quickstart", "--live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "MissingCredentialsError" in result.stderr and "CUSTOMERIO_SITE_ID" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
