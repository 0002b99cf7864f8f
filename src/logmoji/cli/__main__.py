"""Run the ``logmoji`` command as ``python -m logmoji.cli``."""

import sys

from logmoji.cli import main

sys.exit(main())
