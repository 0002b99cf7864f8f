"""Tests for logmoji.report: the call rule, reading, aggregation and the three renderings."""

from __future__ import annotations

import gzip
import html.parser
import io
import itertools
import os
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logmoji
import logmoji.report
from _report_logs import EXPECTED, MINI_DURATIONS, T0, write_log
from logmoji.report import (
    Distribution,
    Report,
    _read,
    _summarize,
    call_outcome,
    error_category,
    parse_when,
    quantile,
    render_csv,
    render_html,
    render_text,
    summarize,
)
from logmoji.report import _format as report_format
from logmoji.report._calls import infer_provider
from logmoji.report._model import histogram

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """The known log (see tests/_report_logs.py)."""
    return write_log(tmp_path / "app.jsonl")


def group(report: Report, *key: object) -> dict[str, Any]:
    """Return the JSON form of the group ``key``."""
    for summary in report.groups:
        if summary.key == key:
            data: dict[str, Any] = summary.to_dict()
            return data
    raise AssertionError(f"no group {key}: {[g.key for g in report.groups]}")


class TestExports:
    def test_all_sorted_and_present(self) -> None:
        """__all__ is sorted and every name in it exists."""
        names = logmoji.report.__all__
        assert list(names) == sorted(names)
        for name in names:
            assert getattr(logmoji.report, name) is not None


class TestCallOutcome:
    @pytest.mark.parametrize(
        ("event", "outcome"),
        [
            ("chat_request_completed", "succeeded"),
            ("responses_request_completed", "succeeded"),
            ("embeddings_request_failed", "failed"),
            ("messages_request_cancelled", "cancelled"),
            ("stream_completed", "succeeded"),
            ("stream_failed", "failed"),
            ("stream_cancelled", "cancelled"),
            ("inference_completed", "succeeded"),
            ("claude_request_failed", "failed"),
            ("model_inference_completed", "succeeded"),
            ("chat_request_started", None),
            ("stream_started", None),
            ("stream_progress", None),
            ("model_load_completed", None),
            ("model_load_failed", None),
            ("training_completed", None),
            ("batch_processing_completed", None),
            ("batch_request_failed", None),
            ("cache_lookup_completed", None),
            ("completed", None),
            ("_completed", None),
            ("request_completed_late", None),
            (None, None),
            (42, None),
        ],
    )
    def test_rule(self, event: object, outcome: str | None) -> None:
        """Only call endings count, with the outcome their suffix names."""
        assert call_outcome(event) == outcome


class TestErrorCategory:
    @pytest.mark.parametrize(
        ("error", "error_type", "category"),
        [
            ("rate_limit_exceeded", "RateLimitError", "rate_limit_exceeded"),
            ("timeout", None, "timeout"),
            ("context_length_exceeded", None, "context_length_exceeded"),
            ("Rate limit reached for gpt-4o", None, "rate_limit_exceeded"),
            ("Error code: 429 - slow down", None, "rate_limit_exceeded"),
            ("Request timed out.", "APITimeoutError", "timeout"),
            ("This model's maximum context length is 8192 tokens", None, "context_length_exceeded"),
            ("Overloaded", None, "overloaded"),
            ("Connection error.", None, "connection_error"),
            ("Something odd happened!", "ValueError", "ValueError"),
            ("Something odd happened!", None, "other"),
            (None, "KeyError", "KeyError"),
            (None, None, "other"),
            (["a list"], None, "other"),
        ],
    )
    def test_categories(self, error: object, error_type: object, category: str) -> None:
        """Identifiers are kept, free text is sorted by its words, else the error type."""
        assert error_category(error, error_type) == category


class TestInferProvider:
    @pytest.mark.parametrize(
        ("model", "provider"),
        [
            ("gpt-4o", "openai"),
            ("o3-mini", "openai"),
            ("text-embedding-3-small", "openai"),
            ("claude-sonnet-4-5", "anthropic"),
            ("anthropic/claude-3-haiku", "anthropic"),
            ("gemini-2.0-flash", "google"),
            ("my-local-model", ""),
        ],
    )
    def test_guess(self, model: str, provider: str) -> None:
        """A missing provider is guessed from well-known model name prefixes."""
        assert infer_provider(model) == provider


class TestParseWhen:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("30m", NOW - timedelta(minutes=30)),
            ("1h", NOW - timedelta(hours=1)),
            ("1.5h", NOW - timedelta(minutes=90)),
            ("7d", NOW - timedelta(days=7)),
            ("2w", NOW - timedelta(days=14)),
            ("90s", NOW - timedelta(seconds=90)),
            (" 10 min ", NOW - timedelta(minutes=10)),
            ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
            ("2026-11-27T10:30", datetime(2026, 11, 27, 10, 30, tzinfo=UTC)),
            ("2026-11-27 10:30:00Z", datetime(2026, 11, 27, 10, 30, tzinfo=UTC)),
            ("2026-11-27T11:30:00+01:00", datetime(2026, 11, 27, 10, 30, tzinfo=UTC)),
        ],
    )
    def test_forms(self, text: str, expected: datetime) -> None:
        """ISO dates and times (UTC by default) and durations before now are accepted."""
        assert parse_when(text, now=NOW) == expected

    @pytest.mark.parametrize("text", ["yesterday", "", "7x", "-1h", "2026-13-01"])
    def test_bad(self, text: str) -> None:
        """Anything else is a ValueError that shows the accepted forms."""
        with pytest.raises(ValueError, match="30m, 1h or 7d"):
            parse_when(text, now=NOW)


class TestQuantile:
    @pytest.mark.parametrize(
        ("values", "percent", "expected"),
        [
            ([], 50, None),
            ([7.0], 50, 7.0),
            ([7.0], 99, 7.0),
            ([10.0, 20.0, 30.0, 40.0], 50, 20.0),
            ([10.0, 20.0, 30.0, 40.0], 95, 40.0),
            ([10.0, 20.0, 30.0, 40.0], 1, 10.0),
            (MINI_DURATIONS, 50, 100.0),
            (MINI_DURATIONS, 95, 190.0),
            (MINI_DURATIONS, 99, 200.0),
            ([float(i) for i in range(1, 101)], 95, 95.0),
            ([float(i) for i in range(1, 101)], 99, 99.0),
        ],
    )
    def test_nearest_rank(self, values: list[float], percent: int, expected: float | None) -> None:
        """The p-th percentile is the value at rank ceil(p * n / 100)."""
        assert quantile(values, percent) == expected

    def test_distribution(self) -> None:
        """A distribution carries count, mean, p50/p95/p99 and max."""
        assert Distribution.of([1.0, 2.0, 3.0, 10.0]) == Distribution(4, 4.0, 2.0, 10.0, 10.0, 10.0)
        assert Distribution.of([]).to_dict() == dict.fromkeys(
            ("count", "mean", "p50", "p95", "p99", "max")
        ) | {"count": 0}

    def test_histogram(self) -> None:
        """Values are counted per bucket: below the first edge, between edges, above the last."""
        assert histogram([1.0, 5.0, 10.0, 11.0, 99.0], [10.0, 50.0]) == (2, 2, 1)
        assert histogram([], [10.0]) == (0, 0)


class TestSummarize:
    def test_counts(self, log_file: Path) -> None:
        """Lines, calls, other events and skipped lines are counted as the log was written."""
        report = summarize([log_file])
        assert (report.lines, report.calls, report.other_events, report.skipped) == (
            EXPECTED["lines"],
            EXPECTED["calls"],
            EXPECTED["other_events"],
            EXPECTED["skipped"],
        )
        assert report.total.requests == EXPECTED["calls"]
        assert report.lines == report.calls + report.other_events + report.skipped
        assert [g.key for g in report.groups] == [
            ("openai", "gpt-4o-mini"),
            ("openai", "gpt-4o"),
            ("anthropic", "claude-sonnet-4-5"),
        ]

    def test_numbers_per_group(self, log_file: Path) -> None:
        """Requests, errors, tokens, cost, latency, ttft and tokens/s match the log exactly."""
        report = summarize([log_file])
        gpt = group(report, "openai", "gpt-4o")
        want = EXPECTED["gpt-4o"]
        for key in ("requests", "failed", "errors", "input_tokens", "output_tokens"):
            assert gpt[key] == want[key], key
        assert gpt["cached_tokens"] == want["cached_tokens"]
        assert gpt["cost_usd"] == want["cost_usd"]
        assert gpt["priced_requests"] == want["priced_requests"]
        assert gpt["retries"] == want["retries"]
        assert gpt["succeeded"] == 4
        assert gpt["error_rate"] == round(3 / 7, 6)
        assert gpt["latency_ms"] | want["latency_ms"] == gpt["latency_ms"]
        assert gpt["latency_ms"]["mean"] == round(2750 / 6, 3)
        assert gpt["ttft_ms"] | want["ttft_ms"] == gpt["ttft_ms"]
        assert gpt["tokens_per_second"] | want["tokens_per_second"] == gpt["tokens_per_second"]
        mini = group(report, "openai", "gpt-4o-mini")
        assert mini["latency_ms"] | EXPECTED["gpt-4o-mini"]["latency_ms"] == mini["latency_ms"]
        claude = group(report, "anthropic", "claude-sonnet-4-5")
        assert claude | EXPECTED["claude-sonnet-4-5"] == claude
        assert claude["succeeded"] == 1
        assert claude["failed"] == 0

    def test_total(self, log_file: Path) -> None:
        """The total adds every group up, with quantiles over all calls."""
        total = summarize([log_file]).total
        assert total.requests == 29
        assert total.failed == 3
        assert total.cancelled == 1
        assert total.input_tokens == 750 + 1000 + 20 * 10
        assert total.output_tokens == 375 + 500 + 20
        assert total.cost_usd == 0.016
        assert dict(total.errors) == {"rate_limit_exceeded": 2, "timeout": 1}
        assert total.latency_ms.count == 6 + 20 + 2
        assert total.latency_ms.max == 1250.0
        assert sum(total.latency_histogram) == total.latency_ms.count

    def test_group_by_user(self, log_file: Path) -> None:
        """--by user_id groups by that field; calls without it form a (none) group."""
        report = summarize([log_file], by=["user_id"])
        counts = {g.key: g.requests for g in report.groups}
        assert counts == {("dave",): 20, ("alice",): 3, ("bob",): 2, ("carol",): 1, (None,): 3}
        assert group(report, "bob")["errors"] == {"rate_limit_exceeded": 1}

    def test_user_alias_and_several_fields(self, log_file: Path) -> None:
        """'user' falls back to user_id, and several fields make a composite key."""
        by_user = summarize([log_file], by=["user"])
        assert {g.key for g in by_user.groups} == {
            ("dave",),
            ("alice",),
            ("bob",),
            ("carol",),
            (None,),
        }
        report = summarize([log_file], by=["model", "user_id"])
        assert group(report, "gpt-4o", "alice")["requests"] == 3

    def test_window(self, log_file: Path) -> None:
        """since is inclusive and until exclusive; calls outside are counted apart."""
        start = datetime.fromtimestamp(T0 + 2 * 60, UTC)
        report = summarize([log_file], since=start, until=start + timedelta(minutes=4))
        assert report.calls == 4  # minutes 2, 3, 4, 5
        assert report.outside_window == EXPECTED["calls"] - 4
        assert group(report, "openai", "gpt-4o")["errors"] == {
            "rate_limit_exceeded": 1,
            "timeout": 1,
        }
        assert report.since == "2026-11-27T10:02:00.000000Z"
        assert report.first == "2026-11-27T10:02:00.000000Z"
        assert report.last == "2026-11-27T10:05:00.000000Z"

    def test_naive_window_is_utc(self, log_file: Path) -> None:
        """A naive since/until is read as UTC, like the logs' timestamps."""
        report = summarize([log_file], since=datetime(2026, 11, 27, 10, 14))
        assert report.calls == 20

    def test_timeline(self, log_file: Path) -> None:
        """Calls are counted per minute bucket, gaps included, failures apart."""
        report = summarize([log_file])
        assert report.bucket_seconds == 60
        assert report.timeline[0].start == "2026-11-27T10:01:00Z"
        assert len(report.timeline) == 33  # minutes 1 to 33
        assert sum(b.requests for b in report.timeline) == 29
        assert sum(b.failed for b in report.timeline) == 3
        assert report.timeline[10].requests == 0  # minute 11: the batch event

    @staticmethod
    def _calls_at(path: Path, seconds: list[float], failed: frozenset[int] = frozenset()) -> Path:
        lines = []
        for i, offset in enumerate(seconds):
            moment = datetime.fromtimestamp(T0 + offset, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            event = "chat_request_failed" if i in failed else "chat_request_completed"
            lines.append(orjson.dumps({"timestamp": moment, "event": event, "model": "gpt-4o"}))
        path.write_bytes(b"\n".join(lines) + b"\n")
        return path

    def test_short_log_per_second(self, tmp_path: Path) -> None:
        """A log of a few seconds is counted per second, not as one minute's bar."""
        log = self._calls_at(tmp_path / "short.jsonl", [0.1, 0.5, 1.2, 2.9], frozenset({2}))
        report = summarize([log])
        assert report.bucket_seconds == 1
        assert [(b.start, b.requests, b.failed) for b in report.timeline] == [
            ("2026-11-27T10:00:00Z", 2, 0),
            ("2026-11-27T10:00:01Z", 1, 1),
            ("2026-11-27T10:00:02Z", 1, 0),
        ]

    @pytest.mark.parametrize(
        ("seconds", "bucket"),
        [
            ([float(i) for i in range(0, 300, 3)], 5),
            ([0.0, 7200.0], 300),
            ([float(i) for i in range(0, 9000, 2)], 300),
        ],
    )
    def test_bucket_width_follows_span(
        self, tmp_path: Path, seconds: list[float], bucket: int
    ) -> None:
        """Buckets widen with the span: seconds under an hour, minutes beyond (any call count)."""
        report = summarize([self._calls_at(tmp_path / "log.jsonl", seconds)])
        assert report.bucket_seconds == bucket
        assert len(report.timeline) <= 60
        assert sum(b.requests for b in report.timeline) == len(seconds)

    def test_gzip_and_several_sources(self, log_file: Path, tmp_path: Path) -> None:
        """gzip files are found by content and sources add up."""
        packed = tmp_path / "old.log"  # no .gz suffix: the magic bytes decide
        packed.write_bytes(gzip.compress(log_file.read_bytes()))
        report = summarize([log_file, packed])
        assert report.calls == 2 * EXPECTED["calls"]
        assert report.skipped == 2 * EXPECTED["skipped"]
        assert group(report, "openai", "gpt-4o")["latency_ms"]["p50"] == 300.0

    def test_parallel_matches_sequential(
        self, log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Worker processes reading byte ranges give exactly the in-process result."""
        big = tmp_path / "big.jsonl"
        big.write_bytes(log_file.read_bytes() * 40)
        here = summarize([big], workers=1).to_dict()
        monkeypatch.setattr(_summarize, "PARALLEL_MIN_BYTES", 1024)
        monkeypatch.setattr(_read, "CHUNK_SIZE", 4096)
        units = _summarize._plan([str(big)], [big.stat().st_size], 3)
        assert len(units) == 3
        assert here == summarize([big], workers=3).to_dict()
        assert here["lines"]["calls"] == 40 * EXPECTED["calls"]

    def test_parallel_with_threads_running(
        self, log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With other threads running, workers are started without fork, same result."""
        big = tmp_path / "big.jsonl"
        big.write_bytes(log_file.read_bytes() * 5)
        monkeypatch.setattr(_summarize, "PARALLEL_MIN_BYTES", 1024)
        monkeypatch.setattr(_read, "CHUNK_SIZE", 4096)
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        try:
            report = summarize([big], workers=2)
        finally:
            stop.set()
            thread.join()
        # Spawned workers import the package afresh: the patched chunk size is not theirs,
        # so the ranges are read in big chunks; the counts must not change.
        assert report.calls == 5 * EXPECTED["calls"]
        assert report.skipped == 5 * EXPECTED["skipped"]

    def test_stdin_beside_parallel_files(
        self, log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Standard input is read in this process while workers read the files."""
        big = tmp_path / "big.jsonl"
        big.write_bytes(log_file.read_bytes() * 10)
        monkeypatch.setattr(_summarize, "PARALLEL_MIN_BYTES", 1024)
        monkeypatch.setattr(_read, "CHUNK_SIZE", 4096)
        stdin = io.TextIOWrapper(io.BytesIO(log_file.read_bytes()))
        monkeypatch.setattr(sys, "stdin", stdin)
        report = summarize([big, "-"], workers=2)
        assert report.calls == 11 * EXPECTED["calls"]
        assert report.sources == (str(big), "-")

    def test_pipe(self, log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A named pipe (as from <(zcat log.gz)) is read once, in this process, gzip or not."""
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        data = gzip.compress(log_file.read_bytes())

        def write() -> None:
            with fifo.open("wb") as f:
                f.write(data)

        writer = threading.Thread(target=write)
        writer.start()
        big = tmp_path / "big.jsonl"
        big.write_bytes(log_file.read_bytes() * 5)
        monkeypatch.setattr(_summarize, "PARALLEL_MIN_BYTES", 1024)
        try:
            report = summarize([fifo, big], workers=2)
        finally:
            writer.join()
        assert report.calls == 6 * EXPECTED["calls"]

    def test_progress(self, log_file: Path) -> None:
        """progress is told the bytes read, ending at the input's size."""
        seen: list[tuple[int, int]] = []
        summarize([log_file], progress=lambda done, total: seen.append((done, total)))
        size = log_file.stat().st_size
        assert seen[-1] == (size, size)

    def test_no_calls(self, tmp_path: Path) -> None:
        """A log without calls gives an empty report, not an error."""
        path = tmp_path / "plain.log"
        path.write_text('hello\n{"event": "started"}\n\n')
        report = summarize([path])
        assert (report.lines, report.calls, report.other_events, report.skipped) == (2, 0, 1, 1)
        assert report.groups == ()
        assert report.total.latency_ms.p50 is None
        assert "No LLM calls found" in render_text(report)

    def test_crlf_lines(self, log_file: Path, tmp_path: Path) -> None:
        """Logs with CRLF line ends read the same; whitespace-only lines are blank."""
        path = tmp_path / "windows.log"
        path.write_bytes(log_file.read_bytes().replace(b"\n", b"\r\n") + b"  \r\n")
        assert summarize([path]).to_dict()["lines"] == summarize([log_file]).to_dict()["lines"]

    def test_foreign_timestamps(self, tmp_path: Path) -> None:
        """Epoch-second and offset timestamps are normalized to UTC; none still counts."""
        path = tmp_path / "structlog.jsonl"
        lines = [
            {"event": "inference_completed", "model": "m", "timestamp": T0 + 60.5},
            {
                "event": "inference_completed",
                "model": "m",
                "timestamp": "2026-11-27T11:02:00+01:00",
            },
            {"event": "inference_completed", "model": "m"},
        ]
        path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
        report = summarize([path])
        assert report.calls == 3
        assert (report.first, report.last) == (
            "2026-11-27T10:01:00.500000Z",
            "2026-11-27T10:02:00.000000Z",
        )
        assert summarize([path], since=datetime(2026, 11, 27, 10, 2)).calls == 1

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"by": []}, "group by"),
            ({"by": [""]}, "group by"),
            ({"since": NOW, "until": NOW}, "must be before"),
            ({"workers": 0}, "workers"),
        ],
    )
    def test_bad_arguments(self, log_file: Path, kwargs: dict[str, Any], message: str) -> None:
        """Bad arguments raise ValueError saying what is wrong."""
        with pytest.raises(ValueError, match=message):
            summarize([log_file], **kwargs)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file raises FileNotFoundError naming it, before any reading."""
        with pytest.raises(FileNotFoundError) as info:
            summarize([tmp_path / "nope.jsonl"])
        assert info.value.filename == str(tmp_path / "nope.jsonl")

    def test_corrupt_gzip(self, tmp_path: Path) -> None:
        """A cut gzip file is an OSError, not an EOFError deep inside gzip."""
        path = tmp_path / "cut.gz"
        path.write_bytes(gzip.compress(b'{"event": "x"}\n' * 1000)[:40])
        with pytest.raises(OSError, match="corrupt or truncated gzip"):
            summarize([path])

    def test_real_instrumentation(self, tmp_path: Path) -> None:
        """Events of the real OpenAI/Anthropic instrumentation are read as calls."""
        import anthropic
        import openai

        from logmoji.llm.instrumentation import instrument
        from logmoji.testing import FakeLLMProvider

        path = tmp_path / "sdk.jsonl"
        hello: Any = [{"role": "user", "content": "hello there"}]
        with path.open("wb") as stream:
            config = logmoji.LoggingConfig(formatter="json", stream=stream, default_level="DEBUG")
            logmoji.setup_telemetry(logmoji.TelemetryConfig(logging=config), environ={})
            with FakeLLMProvider(reply_tokens=24) as fake:
                client = fake.openai_client(max_retries=0)
                claude = fake.anthropic_client(max_retries=0)
                with instrument(client), instrument(claude):
                    for _ in range(3):
                        client.chat.completions.create(model="gpt-4o", messages=hello)
                    stream_ = client.chat.completions.create(
                        model="gpt-4o",
                        messages=hello,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                    for _ in stream_:
                        pass
                    fake.inject("rate_limit", times=1)
                    with pytest.raises(openai.RateLimitError):
                        client.chat.completions.create(model="gpt-4o", messages=hello)
                    claude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=hello)
                    fake.inject("overloaded", times=1)
                    with pytest.raises(anthropic.APIStatusError):
                        claude.messages.create(
                            model="claude-haiku-4-5", max_tokens=50, messages=hello
                        )
            logmoji.reset()
        report = summarize([path])
        gpt = group(report, "openai", "gpt-4o")
        assert (gpt["requests"], gpt["failed"], gpt["errors"]) == (
            5,
            1,
            {"rate_limit_exceeded": 1},
        )
        assert gpt["output_tokens"] == 4 * 24
        assert gpt["latency_ms"]["count"] == 5
        assert gpt["ttft_ms"]["count"] == 1
        claude_ = group(report, "anthropic", "claude-haiku-4-5")
        assert (claude_["requests"], claude_["errors"]) == (2, {"overloaded": 1})
        assert claude_["output_tokens"] == 24
        assert report.skipped == 0


class TestByteRanges:
    @settings(max_examples=60, deadline=None)
    @given(
        lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=30),
        cuts=st.lists(st.integers(min_value=0, max_value=1000), max_size=5),
        final_newline=st.booleans(),
    )
    def test_each_line_read_once(
        self, lines: list[bytes], cuts: list[int], final_newline: bool
    ) -> None:
        """Ranges cut anywhere read every line exactly once, in order."""
        data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "log")
            with open(path, "wb") as f:
                f.write(data)
            got: list[bytes] = []
            for start, end in itertools.pairwise(bounds):
                unit = _read.Unit(path, start, end, end - start)
                for batch in _read.line_batches(_read.read_unit(unit)):
                    got.extend(batch)
        expected = data.split(b"\n")
        if expected and expected[-1] == b"":
            expected.pop()
        assert got == expected

    def test_byte_ranges_cover_the_file(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """byte_ranges splits a file into contiguous ranges, no more than chunks allow."""
        monkeypatch.setattr(_read, "CHUNK_SIZE", 100)
        units = _read.byte_ranges("f", 1000, 4)
        assert [(u.start, u.end) for u in units] == [(0, 250), (250, 500), (500, 750), (750, 1000)]
        assert len(_read.byte_ranges("f", 150, 8)) == 2


class TestRenderText:
    def test_table(self, log_file: Path) -> None:
        """The table lists each group with its numbers, aligned, and a total row."""
        text = render_text(summarize([log_file]))
        lines = text.splitlines()
        assert lines[0].startswith("🧾 LLM usage · 29 calls · 2026-11-27 10:01:00 →")
        header = next(line for line in lines if line.startswith("provider"))
        row = next(line for line in lines if line.startswith("openai     gpt-4o "))
        assert row.split()[2:12] == [
            "7",
            "42.9%",
            "750",
            "375",
            "20",
            "$0.006",
            "300",
            "ms",
            "1.25",
            "s",
        ]
        assert len(row) <= len(header) + 12  # the latency sparkline ends the row
        assert any(line.startswith("all ") for line in lines)
        assert "  rate_limit_exceeded  2" in text
        assert "Latency, all calls" in text
        assert "3 lines skipped (malformed or not JSON log events)" in text

    def test_sparkline_chars(self, log_file: Path) -> None:
        """Latency histograms use the unicode block characters."""
        text = render_text(summarize([log_file]))
        assert set("▁▂▃▄▅▆▇█") & set(text)


class TestRenderCsv:
    def test_rows(self, log_file: Path) -> None:
        """CSV has a header, one row per group and an (all) row with raw numbers."""
        rows = render_csv(summarize([log_file])).splitlines()
        header = rows[0].split(",")
        assert header[:4] == ["provider", "model", "requests", "succeeded"]
        gpt = dict(zip(header, rows[2].split(","), strict=True))
        assert gpt["model"] == "gpt-4o"
        assert (gpt["requests"], gpt["failed"], gpt["cost_usd"]) == ("7", "3", "0.006")
        assert gpt["latency_p95_ms"] == "1250.0"
        assert gpt["errors"] == "rate_limit_exceeded=2;timeout=1"
        assert rows[-1].startswith("(all),(all),29,")


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


class TestRenderHtml:
    def test_self_contained(self, log_file: Path) -> None:
        """The page has three inline SVG charts and no script or network reference."""
        page = render_html(summarize([log_file]))
        parser = _Tags()
        parser.feed(page)
        assert parser.tags.count("svg") == 3
        assert "script" not in parser.tags
        assert "link" not in parser.tags
        assert "http://" not in page
        assert "https://" not in page
        assert "Cost per provider, model" in page
        assert "Latency distribution" in page
        assert "Calls per minute" in page

    def test_escapes_logged_text(self, tmp_path: Path) -> None:
        """Model names and user ids from the logs are escaped, in the table and in charts."""
        path = tmp_path / "evil.jsonl"
        evil = '<script src="https://evil.example/x.js"></script>'
        line = {"event": "inference_completed", "model": evil, "cost_usd": 1.0, "duration_ms": 5}
        path.write_bytes(orjson.dumps(line) + b"\n")
        page = render_html(summarize([path]))
        assert "<script" not in page
        assert "&lt;script src=&quot;https://evil.example/x.js&quot;&gt;" in page


class TestCostFormat:
    @pytest.mark.parametrize(
        ("amount", "priced", "text"),
        [
            (0.0, 0, "-"),
            (0.0, 3, "$0.00"),
            (0.000012, 1, "$0.000012"),
            (0.00000015, 1, "<$0.000001"),
            (0.0000005, 1, "<$0.000001"),
            (0.00025, 2, "$0.00025"),
            (12.345, 2, "$12.35"),
        ],
    )
    def test_cost(self, amount: float, priced: int, text: str) -> None:
        """Unpriced is "-", a priced zero is $0.00, a tiny real cost is never shown as zero."""
        assert report_format.cost(amount, priced) == text

    def test_unpriced_model_shown_one_way(self, tmp_path: Path) -> None:
        """An unpriced model's cost is "-" in the table and the chart; a tiny one is exact."""
        path = tmp_path / "mixed.jsonl"
        lines = [
            {"event": "chat_request_completed", "model": "local-llama", "duration_ms": 5},
            {"event": "chat_request_completed", "model": "gpt-4o", "cost_usd": 1.2e-5},
        ]
        path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
        report = summarize([path])
        page = render_html(report)
        assert "$0.00<" not in page
        assert page.count("$0.000012") >= 3  # table row, chart bar, total card
        chart = page[page.index("Cost per") :]
        assert ">-</text>" in chart
        text = render_text(report)
        assert "$0.00 " not in text
        assert "$0.000012" in text


class TestJson:
    def test_stable_keys(self, log_file: Path) -> None:
        """The JSON form has the documented keys and round-trips through orjson."""
        data = orjson.loads(orjson.dumps(summarize([log_file]).to_dict()))
        assert list(data) == [
            "schema",
            "sources",
            "group_by",
            "lines",
            "window",
            "total",
            "groups",
            "timeline",
            "latency_buckets_ms",
            "runs",
        ]
        assert data["schema"] == "logmoji.report/1"
        assert data["groups"][1]["group"] == {"provider": "openai", "model": "gpt-4o"}
        assert set(data["total"]) >= {"latency_ms", "ttft_ms", "tokens_per_second", "errors"}


class TestGoldenNumbers:
    """The report's numbers on a generated log equal those the code before round two gave."""

    DATA = Path(__file__).parent / "data"
    # (golden key, summarize() options); the golden file was written by the code before
    # the round-two changes to the hot loop (benchmarks/bench_report.py's generator,
    # 3,000 lines, plus odd lines at the end) and is compared field by field.
    CASES: ClassVar[list[tuple[str, dict[str, Any]]]] = [
        ("default", {}),
        ("by_user", {"by": ["user", "operation"]}),
        (
            "window",
            {
                "since": datetime(2026, 11, 18, 11, 7, 10, tzinfo=UTC),
                "until": datetime(2026, 11, 18, 11, 8, 0, tzinfo=UTC),
            },
        ),
    ]

    @pytest.mark.parametrize(("name", "options"), CASES, ids=[c[0] for c in CASES])
    def test_summary_equals_the_golden_one(
        self, name: str, options: dict[str, Any], tmp_path: Path
    ) -> None:
        """summarize() gives exactly the stored numbers."""
        log = tmp_path / "sample.jsonl"
        with gzip.open(self.DATA / "report_sample.jsonl.gz") as packed:
            log.write_bytes(packed.read())
        golden = orjson.loads((self.DATA / "report_golden.json").read_bytes())[name]
        got = summarize([log], **options).to_dict()
        for key in golden.keys() - {"sources"}:
            assert orjson.loads(orjson.dumps(got[key])) == golden[key], key
