"""User code type-checked the way a strict user would: `mypy --strict` on a snippet, in a subprocess (mypy in the
test process would leave megabytes of state behind for later tests' memory bounds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def mypy_strict(snippet: str, tmp_path: Path) -> tuple[str, set[int]]:
    """mypy's output for `snippet`, and the line numbers (1-based) it reported an error on."""
    source = tmp_path / "usage.py"
    source.write_text(snippet)
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(source)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return out, {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}


def marked_lines(snippet: str) -> set[int]:
    """The lines of `snippet` marked `# E<n>`: where an error is expected."""
    return {number for number, text in enumerate(snippet.splitlines(), 1) if "# E" in text}
