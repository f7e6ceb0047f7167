"""``python -m aiocustomerio.cli``: the same as the ``aiocustomerio`` command."""

import sys

from . import main

sys.exit(main())
