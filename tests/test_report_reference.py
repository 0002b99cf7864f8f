"""The report's numbers against a plain computation: every line parsed, every rule spelled out.

``summarize()`` reads event names from the bytes, parses only call endings and
adds calls up in a tuned loop; the reference here parses every line with the
standard library's ``json`` and applies the rules of ``logmoji report --help``
one call at a time. Both must give the same numbers, to the last bit.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from logmoji.report import Distribution, call_outcome, error_category, summarize
from logmoji.report._calls import infer_provider
from logmoji.report._when import canonical_timestamp

DATA = Path(__file__).parent / "data"
BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


class _Totals:
    """One group's numbers, added up call by call."""

    def __init__(self) -> None:
        self.requests = self.failed = self.cancelled = 0
        self.input = self.output = self.cached = self.reasoning = 0
        self.cost = 0.0
        self.priced = self.unknown = self.retries = 0
        self.errors: dict[str, int] = {}
        self.latency: list[float] = []
        self.ttft: list[float] = []
        self.tps: list[float] = []


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _first(d: dict[str, Any], *keys: str) -> Any:
    """Return the first of ``keys`` that is present and not null."""
    for key in keys:
        if d.get(key) is not None:
            return d[key]
    return None


def reference(path: Path) -> dict[str, Any]:
    """Summarize ``path`` the plain way: the calls, the totals per (provider, model), the times."""
    groups: dict[tuple[object, ...], _Totals] = {}
    calls = 0
    times: list[str] = []
    for line in path.read_bytes().split(b"\n"):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if not isinstance(d, dict):
            continue
        outcome = call_outcome(d.get("event"))
        model = d.get("model")
        if outcome is None or not isinstance(model, str) or not model:
            continue
        calls += 1
        provider = d.get("provider")
        if provider is None:
            provider = infer_provider(model) or None
        elif isinstance(provider, dict | list):
            provider = orjson.dumps(provider, option=orjson.OPT_SORT_KEYS).decode()
        totals = groups.setdefault((provider, model), _Totals())
        totals.requests += 1
        if outcome == "failed":
            totals.failed += 1
            category = error_category(d.get("error"), d.get("error_type"))
            totals.errors[category] = totals.errors.get(category, 0) + 1
        elif outcome == "cancelled":
            totals.cancelled += 1
        tokens_in = _first(d, "prompt_tokens", "input_tokens")
        tokens_out = _first(d, "completion_tokens", "output_tokens")
        totals.input += tokens_in if _is_int(tokens_in) else 0
        totals.output += tokens_out if _is_int(tokens_out) else 0
        known = _is_int(tokens_in) or _is_int(tokens_out)
        if outcome == "succeeded" and (not known or d.get("usage_known") is False):
            totals.unknown += 1
        for field, name in (("cached_tokens", "cached"), ("reasoning_tokens", "reasoning")):
            if _is_int(d.get(field)):
                setattr(totals, name, getattr(totals, name) + d[field])
        if _is_int(d.get("retries")):
            totals.retries += d["retries"]
        if _is_number(d.get("cost_usd")):
            totals.cost += d["cost_usd"]
            totals.priced += 1
        duration = d.get("duration_ms")
        if _is_number(duration):
            totals.latency.append(float(duration))
        if _is_number(d.get("ttft_ms")):
            totals.ttft.append(float(d["ttft_ms"]))
        speed = d.get("tokens_per_second")
        if _is_number(speed):
            totals.tps.append(float(speed))
        elif (
            outcome == "succeeded"
            and _is_int(tokens_out)
            and tokens_out > 0
            and _is_number(duration)
            and duration > 0
        ):
            totals.tps.append(round(tokens_out * 1000.0 / duration, 2))
        moment = canonical_timestamp(d.get("timestamp"))
        if moment is not None:
            times.append(moment)
    return {
        "calls": calls,
        "first": min(times, default=None),
        "last": max(times, default=None),
        "groups": {key: _numbers(totals) for key, totals in groups.items()},
    }


def _numbers(t: _Totals) -> dict[str, Any]:
    """Return ``t`` in the JSON form of a report's group."""
    return {
        "requests": t.requests,
        "succeeded": t.requests - t.failed - t.cancelled,
        "failed": t.failed,
        "cancelled": t.cancelled,
        "errors": dict(sorted(t.errors.items(), key=lambda item: (-item[1], item[0]))),
        "input_tokens": t.input,
        "output_tokens": t.output,
        "cached_tokens": t.cached,
        "reasoning_tokens": t.reasoning,
        "cost_usd": round(t.cost, 9),
        "priced_requests": t.priced,
        "usage_unknown": t.unknown,
        "retries": t.retries,
        "latency_ms": Distribution.of(sorted(t.latency)).to_dict(),
        "ttft_ms": Distribution.of(sorted(t.ttft)).to_dict(),
        "tokens_per_second": Distribution.of(sorted(t.tps)).to_dict(),
    }


def _bench_log(path: Path, lines: int) -> None:
    """Write ``lines`` lines with the benchmark's generator (benchmarks/bench_report.py)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_report", BENCHMARKS / "bench_report.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    module.write_log(str(path), lines)


@pytest.fixture(params=["sample", "generated"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The stored sample (generated lines and odd ones), or 30,000 freshly generated lines."""
    path = tmp_path / "app.jsonl"
    if request.param == "sample":
        with gzip.open(DATA / "report_sample.jsonl.gz") as packed:
            path.write_bytes(packed.read())
    else:
        _bench_log(path, 30_000)
    return path


class TestAgainstReference:
    @pytest.mark.parametrize("workers", [1, 2])
    def test_same_numbers(self, log: Path, workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
        """summarize() gives the reference's calls, times and group numbers, in 1 or 2 processes."""
        # Two workers only split a file of at least PARALLEL_MIN_BYTES; lower it for the test.
        monkeypatch.setattr("logmoji.report._summarize.PARALLEL_MIN_BYTES", 1 << 20)
        monkeypatch.setattr("logmoji.report._read.CHUNK_SIZE", 1 << 18)
        expected = reference(log)
        report = summarize([log], workers=workers)
        assert report.calls == expected["calls"]
        assert (report.first, report.last) == (expected["first"], expected["last"])
        got = {}
        for summary in report.groups:
            data = summary.to_dict()
            got[summary.key] = {name: data[name] for name in expected["groups"][summary.key]}
            got[summary.key]["errors"] = dict(summary.errors)
        assert got == expected["groups"]
