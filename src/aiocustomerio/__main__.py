"""``python -m aiocustomerio``: the same as the ``aiocustomerio`` command (where no script is on PATH)."""

import sys

from .cli import entry

sys.exit(entry())
