"""``python -m vmdiff``."""

import sys

from vmdiff.cli import main

sys.exit(main())
