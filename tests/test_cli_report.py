"""Tests for ``logmoji report``, run as a subprocess the way users run it."""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from _report_logs import EXPECTED, write_log


def logmoji(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m logmoji.cli ARGS`` and return its result."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "logmoji.cli", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def report_json(*args: str, stdin: bytes | None = None) -> dict[str, Any]:
    """Run ``logmoji report ... --json`` and return the parsed output."""
    result = logmoji("report", *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = orjson.loads(result.stdout)
    return data


def groups(data: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Return the JSON report's groups keyed by their values."""
    return {tuple(g["group"].values()): g for g in data["groups"]}


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known log (see tests/_report_logs.py), written once for the module."""
    return write_log(tmp_path_factory.mktemp("logs") / "app.jsonl")


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    """The command failed with status 2 and one line on stderr naming the problem."""
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr
    assert result.stdout == ""


class TestReportCommand:
    def test_table(self, log_file: Path) -> None:
        """The default output is a table with one row per provider and model."""
        result = logmoji("report", str(log_file))
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith("🧾 LLM usage · 29 calls")
        rows = [line.split()[:3] for line in lines if line.startswith(("openai", "anthropic"))]
        assert rows == [
            ["openai", "gpt-4o-mini", "20"],
            ["openai", "gpt-4o", "7"],
            ["anthropic", "claude-sonnet-4-5", "2"],
        ]
        assert "3 lines skipped" in result.stdout
        assert result.stderr == ""

    def test_json_numbers(self, log_file: Path) -> None:
        """--json prints the numbers of the known log exactly."""
        data = report_json(str(log_file))
        assert data["lines"] == {
            "total": EXPECTED["lines"],
            "calls": EXPECTED["calls"],
            "other_events": EXPECTED["other_events"],
            "skipped": EXPECTED["skipped"],
            "outside_window": 0,
        }
        gpt = groups(data)["openai", "gpt-4o"]
        want = EXPECTED["gpt-4o"]
        assert gpt["errors"] == want["errors"]
        assert (gpt["input_tokens"], gpt["output_tokens"], gpt["cost_usd"]) == (750, 375, 0.006)
        assert gpt["latency_ms"]["p50"] == 300.0
        assert gpt["latency_ms"]["p95"] == 1250.0
        assert gpt["ttft_ms"]["p50"] == 50.0
        assert gpt["tokens_per_second"]["p50"] == 60.0
        mini = groups(data)["openai", "gpt-4o-mini"]
        assert [mini["latency_ms"][p] for p in ("p50", "p95", "p99")] == [100.0, 190.0, 200.0]

    def test_csv(self, log_file: Path) -> None:
        """--csv prints a header and one row per group plus the total."""
        result = logmoji("report", str(log_file), "--csv")
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [r["model"] for r in rows] == ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5", "(all)"]
        assert rows[1]["errors"] == "rate_limit_exceeded=2;timeout=1"
        assert result.stdout.startswith("provider,model,requests,succeeded,failed,cancelled,")

    def test_html(self, log_file: Path, tmp_path: Path) -> None:
        """--html writes a page with the three charts and no network reference."""
        page_path = tmp_path / "usage.html"
        result = logmoji("report", str(log_file), "--html", str(page_path))
        assert result.returncode == 0, result.stderr
        page = page_path.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert page.count("<svg") == 3
        for title in ("Cost per provider, model", "Latency distribution", "Calls per minute"):
            assert f'aria-label="{title}' in page
        assert "http://" not in page
        assert "https://" not in page
        assert "<script" not in page
        assert str(page_path) in result.stderr
        assert "29 calls" in result.stdout

    def test_stdin(self, log_file: Path) -> None:
        """'-' reads the log from standard input."""
        data = report_json("-", stdin=log_file.read_bytes())
        assert data["lines"]["calls"] == EXPECTED["calls"]
        assert data["sources"] == ["-"]

    def test_process_substitution(self, log_file: Path) -> None:
        """A pipe given as a file name, as bash's <(...) makes, is read like a file."""
        command = f'"{sys.executable}" -m logmoji.cli report --json <(cat "{log_file}")'
        result = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        assert orjson.loads(result.stdout)["lines"]["calls"] == EXPECTED["calls"]

    def test_gzip(self, log_file: Path, tmp_path: Path) -> None:
        """.gz files are read, alone or with plain ones."""
        packed = tmp_path / "app.jsonl.gz"
        packed.write_bytes(gzip.compress(log_file.read_bytes()))
        data = report_json(str(packed), str(log_file))
        assert data["lines"]["calls"] == 2 * EXPECTED["calls"]
        assert data["lines"]["skipped"] == 2 * EXPECTED["skipped"]

    def test_by_user(self, log_file: Path) -> None:
        """--by user_id groups calls by that field."""
        data = report_json(str(log_file), "--by", "user_id")
        assert data["group_by"] == ["user_id"]
        counts = {g["group"]["user_id"]: g["requests"] for g in data["groups"]}
        assert counts == {"dave": 20, "alice": 3, "bob": 2, "carol": 1, None: 3}

    def test_by_several_fields(self, log_file: Path) -> None:
        """--by takes comma-separated fields and may be repeated."""
        data = report_json(str(log_file), "--by", "model,user_id", "--by", "provider")
        assert data["group_by"] == ["model", "user_id", "provider"]
        assert groups(data)["gpt-4o", "alice", "openai"]["requests"] == 3

    def test_since_until(self, log_file: Path) -> None:
        """--since and --until keep the calls of a time window."""
        data = report_json(
            str(log_file), "--since", "2026-11-27T10:02", "--until", "2026-11-27T10:06"
        )
        assert data["lines"]["calls"] == 4
        assert data["lines"]["outside_window"] == EXPECTED["calls"] - 4
        assert data["window"]["since"] == "2026-11-27T10:02:00.000000Z"

    def test_relative_until(self, log_file: Path) -> None:
        """A duration counts back from now: until 1000 weeks ago leaves no call."""
        result = logmoji("report", str(log_file), "--until", "1000w")
        assert result.returncode == 0
        assert result.stdout.startswith("No LLM calls found")
        assert "29 calls outside --since/--until" in result.stdout

    def test_malformed_lines_counted(self, tmp_path: Path) -> None:
        """Malformed and foreign lines are skipped, counted and reported."""
        path = tmp_path / "mixed.log"
        path.write_text(
            'plain text\n{"event": "inference_completed", "model": "m", "duration_ms": 5}\n'
            '{"event": "inference_completed", "model": \n<html>\n'
        )
        result = logmoji("report", str(path))
        assert result.returncode == 0
        assert "1 LLM call" in result.stdout
        assert "3 lines skipped (malformed or not JSON log events)" in result.stdout

    def test_no_calls(self, tmp_path: Path) -> None:
        """A log without LLM calls exits 0 with a friendly message."""
        path = tmp_path / "quiet.jsonl"
        path.write_text('{"event": "app_started", "level": "info"}\n')
        result = logmoji("report", str(path))
        assert result.returncode == 0
        assert result.stdout.startswith("No LLM calls found (1 line read")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is one line on stderr and status 2."""
        missing = tmp_path / "missing.jsonl"
        result = logmoji("report", str(missing))
        assert_one_line_error(
            result, f"logmoji report: cannot read {missing}: No such file or directory"
        )

    @pytest.mark.parametrize(
        ("args", "text"),
        [
            (["--since", "last tuesday"], "--since/--until: 'last tuesday' is not a time"),
            (["--since", "2026-12-01", "--until", "2026-11-01"], "must be before until"),
            (["--by", ","], "--by needs one or more field names"),
            (["--workers", "0"], "--workers must be 1 or more"),
            (["--html", "/nonexistent-dir/x.html"], "cannot write /nonexistent-dir/x.html"),
        ],
    )
    def test_bad_values(self, log_file: Path, args: list[str], text: str) -> None:
        """Bad option values are one line on stderr and status 2."""
        assert_one_line_error(logmoji("report", str(log_file), *args), text)

    def test_bad_option(self, log_file: Path) -> None:
        """An unknown option or a clash of formats exits 2 without a traceback."""
        for args in (["--bogus"], ["--json", "--csv"], []):
            result = logmoji("report", *([str(log_file)] if args else []), *args)
            assert result.returncode == 2
            assert "Traceback" not in result.stderr
            assert "error:" in result.stderr.splitlines()[-1]

    def test_help(self) -> None:
        """--help explains the call rule, the percentiles and shows examples."""
        result = logmoji("report", "--help")
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert "ends in _completed, _failed or _cancelled" in text
        assert "nearest-rank" in text
        assert "logmoji report app.jsonl --html usage.html" in result.stdout
        top = logmoji("--help")
        assert "report" in top.stdout
        assert "pretty" in top.stdout


class TestProgress:
    def test_large_inputs_only_and_throttled(self) -> None:
        """Progress shows for inputs over 50 MB, at most five times a second, then clears."""
        from logmoji.cli.report import _Progress

        now = [0.0]
        stream = io.StringIO()
        progress = _Progress(stream, clock=lambda: now[0])
        progress(10 << 20, 40 << 20)
        assert stream.getvalue() == ""
        progress(10 << 20, 100 << 20)
        progress(20 << 20, 100 << 20)  # too soon after the last one
        now[0] = 0.25
        progress(50 << 20, 100 << 20)
        assert stream.getvalue() == "\rreading 10 / 100 MB (10%)\rreading 50 / 100 MB (50%)"
        progress.clear()
        assert stream.getvalue().endswith("\r\x1b[K")


class TestImportCost:
    def test_parser_does_not_load_the_report(self) -> None:
        """Building the command's parser loads neither the report package nor pretty."""
        # Not 'html': structlog loads rich when it is installed, and rich's pygments loads html.
        code = (
            "import sys, logmoji.cli; logmoji.cli.build_parser();"
            "print([m for m in ('logmoji.report', 'logmoji.pretty', 'gzip', 'csv')"
            " if m in sys.modules])"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == "[]"
