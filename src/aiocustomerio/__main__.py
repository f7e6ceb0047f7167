"""``python -m aiocustomerio``: the same as the ``aiocustomerio`` command (where no script is on PATH)."""

import sys

from .cli import main

sys.exit(main())
