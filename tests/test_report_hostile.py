"""Tests for ``logmoji report`` on hostile logs: overflowing numbers, escape sequences, formulas.

The escaping itself is :mod:`logmoji.report._escape`; these tests run the
whole command, in every output format, on lines an attacker (or a bug) could
write into a log.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest

from logmoji.cli import main
from logmoji.report._escape import csv_safe, terminal_safe

# What must never reach a terminal raw: clear screen, an OSC title, a bell, a hyperlink,
# a CSI colour, a C1 control, a right-to-left override.
HOSTILE_MODEL = "\x1b[2J\x1b]0;pwned\x07evil\x1b]8;;http://x\x07\x9b31m\u202e"
FORMULAS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tgpt", "\rx")


def _line(
    model: str, duration: float, event: str = "chat_request_completed", **more: object
) -> bytes:
    fields = {
        "timestamp": "2024-01-01T00:00:00.000000Z",
        "level": "info",
        "logger": "llm",
        "event": event,
        "provider": "openai",
        "model": model,
        "duration_ms": duration,
        "ttft_ms": duration,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        **more,
    }
    return orjson.dumps(fields)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


@pytest.fixture
def huge(tmp_path: Path) -> Path:
    """Two calls whose durations, summed, overflow a float."""
    path = tmp_path / "huge.jsonl"
    lines = [
        _line("gpt-4o", 1e308),
        _line("gpt-4o", 1e308),
        _line("gpt-4o", 1.7976931348623157e308),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Calls whose model names and error texts carry escape sequences and formulas."""
    path = tmp_path / "hostile.jsonl"
    lines = [_line(HOSTILE_MODEL, 5)]
    lines += [_line(formula, 5) for formula in FORMULAS]
    lines.append(
        _line(
            "gpt-4o",
            5,
            event="chat_request_failed",
            error="=cmd\x1b[31m",
            error_type="=cmd\x1b[31m",
        )
    )
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


class TestOverflow:
    @pytest.mark.parametrize("form", [[], ["--json"], ["--csv"]])
    def test_durations_summing_past_float_max(
        self, huge: Path, form: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Durations of 1e308 are summarized without OverflowError; the mean stays finite."""
        out = _run(capsys, str(huge), *form)
        if form == ["--json"]:
            latency = orjson.loads(out)["total"]["latency_ms"]
            assert latency["count"] == 3
            assert 1e308 <= latency["mean"] < 1.8e308
        else:
            assert "3" in out

    def test_html(self, huge: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The HTML report of the same calls is written too."""
        page = tmp_path / "r.html"
        _run(capsys, str(huge), "--html", str(page))
        assert "gpt-4o" in page.read_text(encoding="utf-8")


class TestTerminal:
    def test_no_control_characters_written(
        self, hostile: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The text report writes no escape, bell or other control character, only their escapes."""
        out = _run(capsys, str(hostile))
        controls = {ch for ch in out if not ch.isprintable() and ch != "\n"}
        assert controls == set()
        assert "\\x1b[2J\\x1b]0;pwned\\x07evil" in out
        assert "\\u202e" in out
        assert "\\tgpt" in out

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("gpt-4o", "gpt-4o"),
            ("claude 🧠 é", "claude 🧠 é"),
            ("a\x1bb", "a\\x1bb"),
            ("\x07", "\\x07"),
            ("\x9b", "\\x9b"),
            ("\u202e", "\\u202e"),
            ("a\\b", "a\\b"),
        ],
    )
    def test_terminal_safe(self, text: str, expected: str) -> None:
        """Non-printable characters are written as repr writes them; others are kept."""
        assert terminal_safe(text) == expected


class TestCsv:
    def test_formulas_neutralised(self, hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Cells that start like a formula start with a quote, and hold no control character."""
        rows = list(csv.reader(io.StringIO(_run(capsys, str(hostile), "--csv"))))
        models = {row[1] for row in rows[1:]}
        for formula in FORMULAS:
            assert "'" + terminal_safe(formula) in models
        assert terminal_safe(HOSTILE_MODEL) in models
        errors = {row[-1] for row in rows[1:] if row[-1]}
        assert errors == {"other=1"}  # an error text that is not a name counts as "other"
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@") and not _is_number(c)]
        assert not [c for c in cells if any(not ch.isprintable() for ch in c)]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-x", "'-x"),
            ("@x", "'@x"),
            ("\tx", "'\\tx"),
            ("\rx", "'\\rx"),
            ("gpt-4o", "gpt-4o"),
            ("", ""),
            (-5, -5),
            (1.5, 1.5),
        ],
    )
    def test_csv_safe(self, value: object, expected: object) -> None:
        """Text cells that a spreadsheet would run get a leading quote; numbers pass."""
        assert csv_safe(value) == expected


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


class TestOddTimesAndTies:
    """Lines that are shaped right but say nothing sensible still give a report."""

    @pytest.mark.parametrize(
        "timestamp",
        [
            "~abcdefghijklmnopqrstuvwxyZ",
            "2024-13-45T99:99:99.000000Z",
            "2024-01-01T00:00:0x.000000Z",
        ],
    )
    def test_timestamp_shaped_but_not_a_time(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], timestamp: str
    ) -> None:
        """A 27-character text ending in Z that is no time counts as a call without a time."""
        path = tmp_path / "odd.jsonl"
        lines = [_line("gpt-4o", 5), _line("gpt-4o", 7, timestamp=timestamp)]
        path.write_bytes(b"\n".join(lines) + b"\n")

        for form in ((), ("--json",), ("--csv",)):
            assert _run(capsys, str(path), *form)
        _run(capsys, str(path), "--html", str(tmp_path / "page.html"))
        report = orjson.loads(_run(capsys, str(path), "--json"))
        assert report["lines"]["calls"] == 2
        window = report["window"]
        assert window["first"] == window["last"] == "2024-01-01T00:00:00.000000Z"

    def test_runs_tied_on_cost_duration_and_id(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Run endings alike in cost, duration and run id (missing, say) are all listed."""
        path = tmp_path / "runs.jsonl"
        endings = [
            {"event": "agent_run_completed", "agent": "a", "cost_usd": 0.5, "duration_ms": 9.0},
            {"event": "agent_run_completed", "agent": "a", "cost_usd": 0.5, "duration_ms": 9.0},
        ]
        for i in range(28):  # unlike the two above in what the heap must never compare
            endings.append({**endings[0], "model_calls": i, "conversation_id": f"c{i}"})
        path.write_bytes(b"\n".join(map(orjson.dumps, endings)) + b"\n")

        for workers in ("1", "2"):
            for form in ((), ("--json",)):
                assert _run(capsys, str(path), *form, "--workers", workers)
            _run(capsys, str(path), "--html", str(tmp_path / "page.html"), "--workers", workers)
        report = orjson.loads(_run(capsys, str(path), "--json"))
        assert report["runs"]["groups"][0]["runs"] == 30
        assert len(report["runs"]["most_expensive"]) == len(report["runs"]["slowest"]) > 1
