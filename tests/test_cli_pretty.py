"""Tests for ``logmoji pretty``, run as a subprocess the way users run it."""

from __future__ import annotations

import gzip
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

LINES = [
    {"timestamp": "2026-11-27T10:30:51.250000Z", "level": "debug", "logger": "llm", "event": "a"},
    {
        "timestamp": "2026-11-27T10:30:52.000000Z",
        "level": "info",
        "logger": "llm.openai",
        "event": "chat_request_completed",
        "emoji": "✨",
        "model": "gpt-4o",
    },
    {"timestamp": "2026-11-27T10:30:53Z", "level": "error", "logger": "llm", "event": "x_failed"},
]
TEXT = "\n".join(orjson.dumps(line).decode() for line in LINES) + "\nnot json\n"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "TZ": "UTC"}
ENV.pop("NO_COLOR", None)
ENV.pop("FORCE_COLOR", None)
COMMAND = [sys.executable, "-m", "logmoji.cli", "pretty"]


def pretty(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``logmoji pretty ARGS`` and return its result."""
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        timeout=60,
        check=False,
    )


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """A small JSON log with three events and one plain line."""
    path = tmp_path / "app.jsonl"
    path.write_text(TEXT, encoding="utf-8")
    return path


class TestPrettyCommand:
    def test_file(self, log_file: Path) -> None:
        """Each JSON line becomes a console line; other lines pass through."""
        result = pretty(str(log_file))
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 4
        assert lines[0].startswith("10:30:51.250 DEBUG llm ")
        assert lines[1] == (
            "10:30:52.000 INFO  llm.openai       ✨ chat_request_completed     model=gpt-4o"
        )
        assert lines[2].startswith("10:30:53.000 ERROR llm              💥 x_failed")
        assert lines[3] == "not json"
        assert "\x1b[" not in result.stdout

    def test_stdin(self) -> None:
        """Without FILE (or with -) it reads standard input."""
        for args in ([], ["-"]):
            result = pretty(*args, stdin=TEXT)
            assert result.returncode == 0, result.stderr
            assert "chat_request_completed" in result.stdout
            assert len(result.stdout.splitlines()) == 4

    def test_gzip(self, log_file: Path, tmp_path: Path) -> None:
        """gzip files are read too."""
        packed = tmp_path / "app.jsonl.gz"
        packed.write_bytes(gzip.compress(log_file.read_bytes()))
        assert pretty(str(packed)).stdout == pretty(str(log_file)).stdout

    def test_level(self, log_file: Path) -> None:
        """--level hides lower levels, as the logger's level does."""
        result = pretty(str(log_file), "--level", "warning")
        events = [line.split()[-1] for line in result.stdout.splitlines()]
        assert events == ["x_failed", "json"]

    def test_module_levels(self, log_file: Path) -> None:
        """--module-levels sets levels per logger prefix."""
        result = pretty(str(log_file), "--module-levels", "llm=error,llm.openai=info")
        assert "chat_request_completed" in result.stdout
        assert " a" not in result.stdout

    def test_color(self, log_file: Path) -> None:
        """--color forces ANSI colours; a pipe gets none by default."""
        assert "\x1b[31mERROR" in pretty(str(log_file), "--color").stdout
        assert "\x1b[" not in pretty(str(log_file), "--no-color").stdout

    @pytest.mark.parametrize(
        ("args", "text"),
        [
            (["missing.jsonl"], "logmoji pretty: cannot read missing.jsonl: No such file"),
            ([".", "--follow"], "logmoji pretty: cannot read .: is a directory"),
            (["app.jsonl", "--level", "loud"], "--level must be one of DEBUG"),
            (["app.jsonl", "--module-levels", "llm"], "--module-levels must look like"),
            (["app.jsonl", "--module-levels", "llm=loud"], "--module-levels entry 'llm'"),
            (["app.jsonl", "-f", "--lines", "-1"], "--lines must be 0 or more"),
        ],
    )
    def test_errors(self, log_file: Path, args: list[str], text: str) -> None:
        """Bad files and options are one line on stderr and status 2."""
        result = subprocess.run(
            [*COMMAND, *args],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
            check=False,
            cwd=log_file.parent,
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert text in result.stderr

    def test_help(self) -> None:
        """--help describes the command and its examples."""
        result = pretty("--help")
        assert result.returncode == 0
        assert "--follow" in result.stdout
        assert "python app.py 2>&1 | logmoji pretty" in result.stdout


def _reader(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line.rstrip("\n"))


class TestFollow:
    def test_follow_then_ctrl_c(self, log_file: Path) -> None:
        """--follow shows the last lines, then appended ones, and Ctrl-C ends it cleanly."""
        with subprocess.Popen(
            [*COMMAND, "--follow", "--lines", "1", str(log_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=ENV,
        ) as process:
            lines: queue.Queue[str] = queue.Queue()
            reader = threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True)
            reader.start()
            try:
                assert lines.get(timeout=30) == "not json"
                with log_file.open("a") as f:
                    f.write('{"event": "appended_later", "level": "info", "logger": "llm"}\n')
                assert "appended_later" in lines.get(timeout=30)
                with log_file.open("a") as f:
                    f.write("half a li")
                    f.flush()
                    time.sleep(0.5)
                    f.write("ne\n")
                assert lines.get(timeout=30) == "half a line"
                process.send_signal(signal.SIGINT)
                assert process.wait(timeout=30) == 0
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            reader.join(timeout=30)
            assert process.stderr is not None
            assert "Traceback" not in process.stderr.read()
