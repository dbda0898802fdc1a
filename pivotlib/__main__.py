"""``python -m pivotlib`` runs the ``pivot`` CLI."""

import sys

from .cli import main

sys.exit(main())
