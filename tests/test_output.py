"""Tests for the output: a signal handler that logs mid-line, and fork() while threads log.

Both storms run in conditions that used to hang: the signal storm in a child
process (so a deadlock fails the test by timing out instead of hanging the
suite), the fork storm with a deadline on every child. ``LOGMOJI_LONG_TESTS=1``
runs the signal storm for 60 s and forks 10,000 children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import orjson
import pytest

from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.logger._output import MAX_NESTED_LINES, Output

LONG = os.environ.get("LOGMOJI_LONG_TESTS") == "1"
SIGNAL_STORM_S = 60.0 if LONG else 2.0
FORKS = 10_000 if LONG else 100
FORK_THREADS = 4
CHILD_DEADLINE_S = 10.0

# Logs from the main thread while a 0.5 ms timer's handler logs too, into a stream that
# writes in 16-byte pieces (Python code, so signals land inside a line), then reports.
_SIGNAL_STORM = textwrap.dedent(
    """
    import io, signal, sys, time
    import orjson
    from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
    from logmoji.logger import _pipeline

    class Piecewise(io.TextIOBase):
        def __init__(self, path):
            self.file = open(path, "w", encoding="utf-8")
        def writable(self):
            return True
        def write(self, text):
            for i in range(0, len(text), 16):
                self.file.write(text[i : i + 16])
            return len(text)

    stream = Piecewise(sys.argv[2])
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")), environ={}
    )
    log = get_logger("app")
    handled = 0

    def on_alarm(signum, frame):
        global handled
        handled += 1
        log.warning("shutting_down", n=handled)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
    seq, end = 0, time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        log.info("tick", seq=seq, payload="x" * (seq % 97))
        seq += 1
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    log.info("done")
    stream.file.close()
    print(orjson.dumps({
        "ticks": seq, "handled": handled, "dropped": _pipeline._STATE.output.dropped,
    }).decode())
    """
)


class TestSignals:
    def test_signal_handler_logging_mid_line(self, tmp_path: Path) -> None:
        """A 0.5 ms timer whose handler logs never hangs the main thread or tears a line."""
        path = tmp_path / "storm.jsonl"
        child = subprocess.run(
            [sys.executable, "-c", _SIGNAL_STORM, str(SIGNAL_STORM_S), str(path)],
            capture_output=True,
            timeout=SIGNAL_STORM_S * 2 + 15,
            check=False,
        )
        assert child.returncode == 0, child.stderr.decode()[-2000:]
        assert b"RecursionError" not in child.stderr
        result = orjson.loads(child.stdout)
        records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        ticks = [r["seq"] for r in records if r["event"] == "tick"]
        alarms = [r["n"] for r in records if r["event"] == "shutting_down"]
        assert ticks == list(range(result["ticks"]))
        assert len(alarms) == len(set(alarms))
        assert result["handled"] > 100  # the storm did land
        assert len(alarms) + result["dropped"] == result["handled"]
        assert records[-1]["event"] == "done"

    def test_nested_write_waits_for_the_line_in_progress(self) -> None:
        """A line written from inside a write comes whole after it, not inside it."""

        class Reentrant:
            def __init__(self) -> None:
                self.parts: list[str] = []

            def write(self, text: str) -> None:
                self.parts.append(text[:3])
                if text.startswith("outer"):
                    output.write("inner")  # what a signal handler landing here does
                self.parts.append(text[3:])

            def flush(self) -> None:
                pass

        stream = Reentrant()
        output = Output(stream)  # type: ignore[arg-type]
        output.write("outer")
        assert "".join(stream.parts) == "outer\ninner\n"

    def test_nested_lines_beyond_the_cap_are_counted(self) -> None:
        """Lines logged from inside one write, past the cap, are counted as dropped."""

        class Flooding:
            def __init__(self) -> None:
                self.lines: list[str] = []

            def write(self, text: str) -> None:
                self.lines.append(text)
                if text == "outer\n":
                    for i in range(MAX_NESTED_LINES + 5):
                        output.write(f"n{i}")

            def flush(self) -> None:
                pass

        stream = Flooding()
        output = Output(stream)  # type: ignore[arg-type]
        output.write("outer")
        assert len(stream.lines) == 1 + MAX_NESTED_LINES
        assert output.dropped == 5


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
class TestFork:
    def test_children_forked_while_threads_log(self, tmp_path: Path) -> None:
        """Children forked while 4 threads log each write their own line and exit; none hangs."""
        path = tmp_path / "log.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            setup_telemetry(
                TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")),
                environ={},
            )
            log = get_logger("app")
            stop = threading.Event()

            def work(writer: int) -> None:
                seq = 0
                while not stop.is_set():
                    log.info("tick", writer=writer, seq=seq, payload="x" * (seq % 3000))
                    seq += 1

            threads = [threading.Thread(target=work, args=(i,)) for i in range(FORK_THREADS)]
            for thread in threads:
                thread.start()
            hung: list[int] = []
            failed: list[int] = []
            try:
                for child in range(FORKS):
                    pid = os.fork()
                    if pid == 0:  # the child: log one line and leave at once
                        try:
                            log.info("child_started", child=child)
                        finally:
                            os._exit(0)
                    status = _wait(pid, CHILD_DEADLINE_S)
                    if status is None:
                        hung.append(child)
                        break  # one is enough, and each costs the deadline
                    if status != 0:
                        failed.append(child)
            finally:
                stop.set()
                for thread in threads:
                    thread.join()
        assert hung == []
        assert failed == []
        children = sorted(
            record["child"]
            for record in map(orjson.loads, path.read_bytes().splitlines())
            if record["event"] == "child_started"
        )
        assert children == list(range(FORKS))


def _wait(pid: int, deadline_s: float) -> int | None:
    """Return the child's exit status, or kill it and return ``None`` when it takes too long."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.001)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None
