"""``python -m pivotlib`` runs the ``pivot`` CLI."""

import sys

from pivotlib.cli import main

sys.exit(main())
