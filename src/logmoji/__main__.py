"""Run the ``logmoji`` command as ``python -m logmoji``."""

import sys

from logmoji.cli import main

sys.exit(main())
