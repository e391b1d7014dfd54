"""``python -m nimsync_tui``: the same as the ``nimsync-tui`` command."""

import sys

from .cli import main

sys.exit(main())
