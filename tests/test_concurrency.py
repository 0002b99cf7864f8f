"""Tests for logging from many threads and asyncio tasks at once: no line lost, doubled or torn.

Every test logs numbered lines from many writers at the same time, to a file,
to a pipe read by another process, or from another process through a pipe to
this one, then reads the output back and checks that each line parses and
that every (writer, sequence number) pair appears exactly once. Payloads of
up to 12 KB make lines longer than a file buffer and a pipe's atomic write.

``LOGMOJI_LONG_TESTS=1`` makes every writer log ten times more lines.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import orjson
import pytest

from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry

LONG = os.environ.get("LOGMOJI_LONG_TESTS") == "1"
THREADS = 8
LINES_PER_THREAD = 20_000 if LONG else 2_000
TASKS = 200
LINES_PER_TASK = 500 if LONG else 50
CHILD_TIMEOUT = 300 if LONG else 120


def _payload(seq: int) -> str:
    """Return a payload of 10 to 12,000 bytes: one line in 20 outgrows any buffer."""
    return "x" * ((seq % 13 + 1) * (1000 if seq % 20 == 0 else 10))


def _setup(stream: IO[Any], formatter: str = "json") -> None:
    setup_telemetry(
        TelemetryConfig(
            logging=LoggingConfig(stream=stream, formatter=formatter, max_value_chars=100_000)
        ),
        environ={},
    )


def _log_from_threads(threads: int, lines: int) -> None:
    """Log ``lines`` numbered lines from each of ``threads`` threads, all started together."""
    log = get_logger("app.worker")
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(writer: int) -> None:
        try:
            start.wait()
            bound = log.bind(writer=f"t{writer}")
            for seq in range(lines):
                bound.info("tick", seq=seq, payload=_payload(seq))
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []


async def _log_from_tasks(tasks: int, lines: int) -> None:
    """Log ``lines`` numbered lines from each of ``tasks`` tasks, interleaved by awaits."""
    log = get_logger("app.task")

    async def work(writer: int) -> None:
        for seq in range(lines):
            await log.ainfo("tick", writer=f"a{writer}", seq=seq, payload=_payload(seq))
            await asyncio.sleep(0)

    await asyncio.gather(*(work(i) for i in range(tasks)))


def _expected(prefix: str, writers: int, lines: int) -> collections.Counter[tuple[str, int]]:
    return collections.Counter(
        (f"{prefix}{w}", seq) for w in range(writers) for seq in range(lines)
    )


def _check_json(lines: Iterable[bytes | str], expected: collections.Counter[Any]) -> None:
    """Assert every line is whole JSON and every (writer, seq) appears exactly once."""
    seen: collections.Counter[tuple[str, int]] = collections.Counter()
    for line in lines:
        record = orjson.loads(line)
        assert record["event"] == "tick"
        assert record["payload"] == _payload(record["seq"])
        seen[(record["writer"], record["seq"])] += 1
    assert seen == expected


_CONSOLE_LINE = re.compile(
    r"^\d\d:\d\d:\d\d\.\d{3} INFO  app\.\w+ +\S+ +tick +writer=(\w+) seq=(\d+) payload='?(x*)'?$"
)


def _check_console(lines: Iterable[str], expected: collections.Counter[Any]) -> None:
    """Assert every console line is whole and every (writer, seq) appears exactly once."""
    seen: collections.Counter[tuple[str, int]] = collections.Counter()
    for line in lines:
        match = _CONSOLE_LINE.match(line)
        assert match, line[:200]
        writer, seq, payload = match[1], int(match[2]), match[3]
        assert payload == _payload(seq)
        seen[(writer, seq)] += 1
    assert seen == expected


@pytest.mark.slow
class TestFile:
    @pytest.mark.parametrize("formatter", ["json", "console"])
    def test_threads(self, tmp_path: Path, formatter: str) -> None:
        """8 threads logging at once to one text file leave every line once and whole."""
        path = tmp_path / "app.log"
        with open(path, "w", encoding="utf-8") as handle:
            _setup(handle, formatter)
            _log_from_threads(THREADS, LINES_PER_THREAD)
        text = path.read_text(encoding="utf-8")
        check: Callable[..., None] = _check_json if formatter == "json" else _check_console
        check(text.splitlines(), _expected("t", THREADS, LINES_PER_THREAD))

    def test_threads_binary_file(self, tmp_path: Path) -> None:
        """The same holds for a file opened in binary mode."""
        path = tmp_path / "app.log"
        with open(path, "wb") as handle:
            _setup(handle)
            _log_from_threads(THREADS, LINES_PER_THREAD)
        _check_json(path.read_bytes().splitlines(), _expected("t", THREADS, LINES_PER_THREAD))

    async def test_tasks(self, tmp_path: Path) -> None:
        """200 asyncio tasks logging at once leave every line once and whole."""
        path = tmp_path / "app.log"
        with open(path, "w", encoding="utf-8") as handle:
            _setup(handle)
            await _log_from_tasks(TASKS, LINES_PER_TASK)
        _check_json(path.read_bytes().splitlines(), _expected("a", TASKS, LINES_PER_TASK))

    async def test_threads_and_tasks_together(self, tmp_path: Path) -> None:
        """Threads and tasks logging at the same time share the file without loss."""
        path = tmp_path / "app.log"
        with open(path, "w", encoding="utf-8") as handle:
            _setup(handle)
            threads = asyncio.to_thread(_log_from_threads, THREADS, LINES_PER_THREAD)
            await asyncio.gather(threads, _log_from_tasks(TASKS, LINES_PER_TASK))
        expected = _expected("t", THREADS, LINES_PER_THREAD) + _expected("a", TASKS, LINES_PER_TASK)
        _check_json(path.read_bytes().splitlines(), expected)

    def test_threads_json_file(self, tmp_path: Path) -> None:
        """The JSON-lines copy (``json_file``) beside the console also gets every line once."""
        path = tmp_path / "copy.jsonl"
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(stream=io.StringIO(), json_file=path, max_value_chars=100_000)
            ),
            environ={},
        )
        _log_from_threads(THREADS, LINES_PER_THREAD)
        setup_telemetry(environ={})  # closes the copy
        _check_json(path.read_bytes().splitlines(), _expected("t", THREADS, LINES_PER_THREAD))

    def test_stream_writing_in_pieces(self) -> None:
        """A stream that writes each line in pieces, yielding between them, gets whole lines."""

        class Chunked(io.StringIO):
            """Append each write in 64-character pieces, letting other threads run between."""

            def __init__(self) -> None:
                super().__init__()
                self.pieces: list[str] = []

            def write(self, text: str) -> int:
                for i in range(0, len(text), 64):
                    self.pieces.append(text[i : i + 64])
                    time.sleep(0)
                return len(text)

            def flush(self) -> None:
                pass

        stream = Chunked()
        _setup(stream)
        _log_from_threads(THREADS, LINES_PER_THREAD // 10)
        lines = "".join(stream.pieces).splitlines()
        _check_json(lines, _expected("t", THREADS, LINES_PER_THREAD // 10))

    def test_reconfiguring_while_logging(self, tmp_path: Path) -> None:
        """Set-up called again and again while threads log loses no line: each lands in one file."""
        paths = [tmp_path / "a.log", tmp_path / "b.log"]
        handles = [open(p, "w", encoding="utf-8") for p in paths]  # noqa: SIM115
        try:
            _setup(handles[0])
            done = threading.Event()
            flips = 0

            def flip() -> None:
                nonlocal flips
                while not done.wait(0.001):
                    flips += 1
                    _setup(handles[flips % 2])

            flipper = threading.Thread(target=flip)
            flipper.start()
            try:
                _log_from_threads(THREADS, LINES_PER_THREAD // 4)
            finally:
                done.set()
                flipper.join()
        finally:
            for handle in handles:
                handle.close()
        lines = [line for p in paths for line in p.read_bytes().splitlines()]
        _check_json(lines, _expected("t", THREADS, LINES_PER_THREAD // 4))
        assert flips > 10
        assert all(p.stat().st_size > 0 for p in paths)


# Reads JSON lines from stdin and prints what it found: (writer, seq) counts and bad lines.
_READER = """
import collections, sys, orjson
seen = collections.Counter()
bad = 0
for line in sys.stdin.buffer:
    try:
        record = orjson.loads(line)
        seen[f"{record['writer']}/{record['seq']}"] += 1
        seq = record["seq"]
        if record["payload"] != "x" * ((seq % 13 + 1) * (1000 if seq % 20 == 0 else 10)):
            bad += 1
    except Exception:
        bad += 1
sys.stdout.buffer.write(orjson.dumps({"seen": seen, "bad": bad}))
"""

# Logs from threads and tasks at once to its stdout, a pipe read by the test.
_WRITER = """
import asyncio, sys, threading
from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry

THREADS, LINES, TASKS, TASK_LINES = (int(a) for a in sys.argv[1:5])
setup_telemetry(
    TelemetryConfig(logging=LoggingConfig(stream=sys.stdout, formatter="json")), environ={}
)
log = get_logger("app.child")

def payload(seq):
    return "x" * ((seq % 13 + 1) * (1000 if seq % 20 == 0 else 10))

def thread_work(writer):
    for seq in range(LINES):
        log.info("tick", writer=f"t{writer}", seq=seq, payload=payload(seq))

async def task_work(writer):
    for seq in range(TASK_LINES):
        await log.ainfo("tick", writer=f"a{writer}", seq=seq, payload=payload(seq))
        await asyncio.sleep(0)

async def main():
    threads = [threading.Thread(target=thread_work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    await asyncio.gather(*(task_work(i) for i in range(TASKS)))
    for t in threads:
        t.join()

asyncio.run(main())
"""


@pytest.mark.slow
class TestPipe:
    def test_threads_to_reading_process(self) -> None:
        """Threads logging to a pipe read by another process deliver every line once, whole."""
        reader = subprocess.Popen(
            [sys.executable, "-c", _READER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert reader.stdin is not None
        assert reader.stdout is not None
        try:
            _setup(reader.stdin)
            _log_from_threads(THREADS, LINES_PER_THREAD)
        finally:
            reader.stdin.close()
            out = reader.stdout.read()
            reader.stdout.close()
            reader.wait(timeout=CHILD_TIMEOUT)
        summary = orjson.loads(out)
        assert summary["bad"] == 0
        expected = _expected("t", THREADS, LINES_PER_THREAD)
        assert summary["seen"] == {f"{w}/{s}": n for (w, s), n in expected.items()}

    def test_process_logging_to_pipe(self) -> None:
        """A process logging from threads and tasks at once to its stdout pipe loses no line."""
        args = [str(n) for n in (THREADS, LINES_PER_THREAD, TASKS, LINES_PER_TASK)]
        child = subprocess.run(
            [sys.executable, "-c", _WRITER, *args],
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            check=True,
        )
        assert child.stderr == b""
        expected = _expected("t", THREADS, LINES_PER_THREAD) + _expected("a", TASKS, LINES_PER_TASK)
        _check_json(child.stdout.splitlines(), expected)

    def test_reader_goes_away(self, capsys: pytest.CaptureFixture[str]) -> None:
        """When the reading process exits, logging threads go on; the failure is reported once."""
        reader = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.buffer.readline()"],
            stdin=subprocess.PIPE,
        )
        assert reader.stdin is not None
        try:
            _setup(reader.stdin)
            get_logger("app").info("first")
            reader.wait(timeout=CHILD_TIMEOUT)
            _log_from_threads(THREADS, 200)
        finally:
            with contextlib.suppress(BrokenPipeError):  # the tail cannot reach a reader that left
                reader.stdin.close()
        assert capsys.readouterr().err.count("logmoji: cannot write") == 1
