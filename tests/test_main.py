"""Tests for ``python -m logmoji``."""

from __future__ import annotations

import subprocess
import sys

from logmoji import __version__


class TestModuleEntry:
    def test_python_dash_m_logmoji(self) -> None:
        """`python -m logmoji` runs the logmoji command, as the console script does."""
        result = subprocess.run(
            [sys.executable, "-m", "logmoji", "--version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"logmoji {__version__}"
