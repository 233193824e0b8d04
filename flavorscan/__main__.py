# PYTHON_ARGCOMPLETE_OK
"""``python -m flavorscan`` runs the command line (the same as the ``flavorscan`` console script)."""

import sys

from flavorscan.scanner.cli import main

sys.exit(main())
