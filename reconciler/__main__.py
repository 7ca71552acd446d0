"""``python -m reconciler``: the command line."""

import sys

from reconciler.cli import main

sys.exit(main())
