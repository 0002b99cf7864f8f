"""Tests for OTLP export under a troubled collector: hung, failing, rate limiting, slow.

Each collector is real and local (see ``_otlp_receiver``). What the
application pays is checked without timing a log call: a call blocked on the
exporter would take the export timeout, so the longest call must stay far
below it, and while the collector is hung every call must already have
returned. Exit is timed in a child process, against the shutdown timeout.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import psutil  # type: ignore[import-untyped]
import pytest

import logmoji
import logmoji.otel
from _otlp_receiver import HungReceiver, OTLPReceiver
from logmoji import LoggingConfig, TelemetryConfig, get_logger
from logmoji.logger.config import OTelConfig
from logmoji.setup import setup_telemetry

LONG = os.environ.get("LOGMOJI_LONG_TESTS") == "1"
LINES = 30_000 if LONG else 3_000
QUEUE = 64
EXPORT_TIMEOUT_S = 2.0
SHUTDOWN_TIMEOUT_S = 1.0
MODES = ["hang", "500", "429", "slow"]


def _collector(mode: str) -> AbstractContextManager[Any]:
    if mode == "hang":
        return HungReceiver()
    if mode == "500":
        return OTLPReceiver(status=500)
    if mode == "429":
        return OTLPReceiver(status=429, headers={"Retry-After": "1"})
    return OTLPReceiver(delay=1.0)


@pytest.fixture(params=MODES)
def collector(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """A troubled collector, one of each kind."""
    with _collector(request.param) as rx:
        yield request.param, rx


def _setup(endpoint: str) -> io.StringIO:
    stream = io.StringIO()
    setup_telemetry(
        TelemetryConfig(
            service_name="otel-health-tests",
            logging=LoggingConfig(stream=stream, formatter="json"),
            otel=OTelConfig(
                endpoint=endpoint,
                metrics=False,
                export_timeout_s=EXPORT_TIMEOUT_S,
                max_queue_size=QUEUE,
                shutdown_timeout_s=SHUTDOWN_TIMEOUT_S,
            ),
        ),
        environ={},
    )
    return stream


class TestTroubledCollector:
    def test_log_calls_exit_and_accounting(
        self, collector: tuple[str, Any], capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Calls never wait on the exporter; reset() is bounded; losses are counted, said once."""
        mode, rx = collector
        stream = _setup(rx.endpoint)
        log = get_logger("app")
        process = psutil.Process()
        rss = [process.memory_info().rss]
        slowest = 0.0
        for i in range(LINES):
            start = time.perf_counter()
            log.info("tick", i=i, payload="x" * 200)
            slowest = max(slowest, time.perf_counter() - start)
            if i % (LINES // 4) == 0:
                rss.append(process.memory_info().rss)
        if mode == "hang":
            # An export is waiting on the collector: the batch processor sends its first
            # one on its own schedule, so give it a bounded moment to get there.
            deadline = time.monotonic() + 5.0
            while rx.connections < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert rx.connections >= 1
        assert slowest < EXPORT_TIMEOUT_S / 3
        status = logmoji.otel.export_status()
        received = 0 if mode == "hang" else len(rx.logs())
        # Every line is sent, queued (at most the queue and one batch in flight) or counted.
        assert received + status.lost.get("logs", 0) >= LINES - 2 * QUEUE
        assert rss[-1] - rss[1] < 16 * 2**20
        start = time.monotonic()
        logmoji.reset()
        assert time.monotonic() - start < SHUTDOWN_TIMEOUT_S + 1.0
        # An export cut short by the shutdown timeout goes on in its thread: let it end,
        # then nothing it said may have reached stderr.
        for thread in threading.enumerate():
            if thread.name.startswith("logmoji-otel"):
                thread.join(2 * EXPORT_TIMEOUT_S + 6)
        reports = [line for line in stream.getvalue().splitlines() if "tick" not in line]
        assert len(reports) == 1, reports
        assert "telemetry_export_failed" in reports[0]
        captured = capfd.readouterr()
        assert captured.err == ""


# Logs through a troubled collector, then leaves; the parent times the exit.
_CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
    from logmoji.logger.config import OTelConfig

    setup_telemetry(
        TelemetryConfig(
            logging=LoggingConfig(stream=sys.stdout, formatter="json"),
            otel=OTelConfig(
                endpoint=sys.argv[1], export_timeout_s=30.0,
                shutdown_timeout_s=float(sys.argv[2]), max_queue_size=64,
            ),
        ),
        environ={},
    )
    log = get_logger("app")
    for i in range(2000):
        log.info("tick", i=i)
    time.sleep(0.5)  # an export is under way
    print("exiting", time.monotonic(), flush=True)
    """
)


class TestExit:
    @pytest.mark.parametrize("mode", ["hang", "429"])
    def test_exit_waits_at_most_the_shutdown_timeout(self, mode: str) -> None:
        """A process exits within shutdown_timeout_s of its end, the export timeout being 30 s."""
        with _collector(mode) as rx:
            child = subprocess.run(
                [sys.executable, "-c", _CHILD, rx.endpoint, str(SHUTDOWN_TIMEOUT_S), "tests"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            ended = time.monotonic()
        assert child.returncode == 0, child.stderr[-2000:]
        lines = child.stdout.splitlines()
        exiting = float(next(line for line in lines if line.startswith("exiting")).split()[1])
        assert ended - exiting < SHUTDOWN_TIMEOUT_S + 2.0
        assert child.stderr == ""
        reports = [line for line in lines if "telemetry_export_failed" in line]
        assert len(reports) == 1
