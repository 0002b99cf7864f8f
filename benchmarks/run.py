"""Run the peer benchmark (``make bench``) in its own environment, built on first use.

Creates ``.bench-venv`` beside ``pyproject.toml`` (again when ``pyproject.toml``
or the peer list below changed), installs logmoji with its extras and the
peers measured against it, then runs ``benchmarks/bench_peers.py`` there,
which prints one table. Needs only ``python3`` (3.11+) with ``venv`` and a
package index.

Run: ``python3 benchmarks/run.py`` (``--quick`` for a short, noisier run;
other arguments go to ``bench_peers.py``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench-venv"
STAMP = VENV / ".logmoji-bench"
PEERS = ("structlog", "loguru", "provide-foundation==0.4.10", "logfire", "ddsketch")
# Nothing measured may reach the network: logfire is configured with
# send_to_logfire=False, and these make sure no other path tries.
QUIET_ENV = {
    "LOGFIRE_SEND_TO_LOGFIRE": "false",
    "LOGFIRE_CONSOLE": "false",
    "LOGFIRE_INSPECT_ARGUMENTS": "false",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
}


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    text = (ROOT / "pyproject.toml").read_bytes() + "\n".join(PEERS).encode()
    return hashlib.sha256(text).hexdigest()


def ensure_venv() -> Path:
    """Create or refresh ``.bench-venv``; return its Python."""
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and _python().exists():
        return _python()
    print(f"setting up {VENV.name} (logmoji[all] and {', '.join(PEERS)}) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [str(_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, "-e", f"{ROOT}[all]", *PEERS], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:  # pip's own words say what went wrong; they are long otherwise
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"pip install into {VENV.name} failed")
    STAMP.write_text(wanted + "\n")
    return _python()


def main() -> int:
    """Set up the environment and run the peer table there."""
    python = ensure_venv()
    env = {**os.environ, **QUIET_ENV}
    script = ROOT / "benchmarks" / "bench_peers.py"
    command = [str(python), str(script), *sys.argv[1:]]
    return subprocess.run(command, check=False, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
