"""``python -m aiocustomerio.cli``: the same as the ``aiocustomerio`` command."""

import sys

from . import entry

sys.exit(entry())
