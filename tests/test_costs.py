"""Tests for logmoji.llm.costs: prices, usage per key, budgets, and the observer hooks.

Expected costs are computed by hand from the providers' published prices per
million tokens, written here as literals, and compared as exact Decimals.
"""

from __future__ import annotations

import math
import random
import socket
import subprocess
import sys
import threading
import time as clock_time
import tracemalloc
from calendar import timegm
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from logmoji import bind_contextvars, bound_contextvars
from logmoji.exceptions import BudgetExceededError
from logmoji.llm._record import CallRecord
from logmoji.llm.costs import Budget, CostTracker, ModelPrice, PriceTier, UsageSummary
from logmoji.testing import capture_logs

MILLION = Decimal(1_000_000)

# Published prices, USD per million tokens.
GPT_4O = {"input": Decimal("2.50"), "cached": Decimal("1.25"), "output": Decimal("10.00")}
SONNET_45 = {
    "input": Decimal("3.00"),
    "cache_read": Decimal("0.30"),
    "cache_write": Decimal("3.75"),
    "output": Decimal("15.00"),
}
# Claude Sonnet 4.5 above 200k input tokens: every token pays the long-context rate.
SONNET_45_LONG = {
    "input": Decimal("6.00"),
    "cache_read": Decimal("0.60"),
    "cache_write": Decimal("7.50"),
    "output": Decimal("22.50"),
}


class Clock:
    """A settable wall clock, in seconds since the epoch."""

    def __init__(self, when: str = "2026-03-01T12:00:00") -> None:
        self.now = at(when)

    def __call__(self) -> float:
        return self.now

    def set(self, when: str) -> None:
        self.now = at(when)


def at(when: str) -> float:
    """Return the epoch seconds of a UTC ISO timestamp."""
    return float(timegm(datetime.fromisoformat(when).timetuple()))


def record(**fields: Any) -> CallRecord:
    """Build a successful chat record for gpt-4o, overridden by ``fields``."""
    base: dict[str, Any] = {
        "provider": "openai",
        "operation": "chat",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 500,
    }
    return CallRecord(**{**base, **fields})


@pytest.fixture
def clock() -> Clock:
    """Give a test its own clock at noon UTC."""
    return Clock()


class TestHandComputedPrices:
    """Bundled prices give the published rates, cached and reasoning tokens included."""

    def test_gpt_4o_with_cached_tokens(self) -> None:
        """gpt-4o: cached prompt tokens at $1.25/M, the rest at $2.50/M, output at $10/M."""
        cost = CostTracker().track_request_cost("gpt-4o", 1000, 500, cached_tokens=200)
        expected = (
            800 * GPT_4O["input"] + 200 * GPT_4O["cached"] + 500 * GPT_4O["output"]
        ) / MILLION
        assert cost == expected == Decimal("0.00725")

    def test_claude_sonnet_with_cache_reads_and_writes(self) -> None:
        """Claude Sonnet 4.5: cache reads at $0.30/M and cache writes at $3.75/M."""
        cost = CostTracker().track_request_cost(
            "claude-sonnet-4-5", 10_000, 800, cached_tokens=4000, cache_write_tokens=2000
        )
        expected = (
            4000 * SONNET_45["input"]
            + 4000 * SONNET_45["cache_read"]
            + 2000 * SONNET_45["cache_write"]
            + 800 * SONNET_45["output"]
        ) / MILLION
        assert cost == expected == Decimal("0.0327")

    def test_long_context_tier(self) -> None:
        """Above 200k input tokens every token of the call pays the long-context rate."""
        tracker = CostTracker(high_cost_threshold_usd=None)
        cost = tracker.track_request_cost(
            "claude-sonnet-4-5", 250_000, 1000, cached_tokens=10_000, cache_write_tokens=5000
        )
        expected = (
            235_000 * SONNET_45_LONG["input"]
            + 10_000 * SONNET_45_LONG["cache_read"]
            + 5000 * SONNET_45_LONG["cache_write"]
            + 1000 * SONNET_45_LONG["output"]
        ) / MILLION
        assert cost == expected == Decimal("1.476")
        at_threshold = tracker.track_request_cost("claude-sonnet-4-5", 200_000, 0)
        assert at_threshold == 200_000 * SONNET_45["input"] / MILLION

    def test_reasoning_tokens_are_not_billed_twice(self) -> None:
        """o3-mini: reasoning tokens are part of the output tokens, billed once at $4.40/M."""
        cost = CostTracker().track_request_cost("o3-mini", 100, 1000, reasoning_tokens=800)
        assert cost == (100 * Decimal("1.10") + 1000 * Decimal("4.40")) / MILLION

    @pytest.mark.parametrize(
        ("model", "provider", "same_as"),
        [
            ("gpt-4o-2024-08-06", None, "gpt-4o"),
            ("gpt-4o-2024-08-06", "openai", "gpt-4o"),
            ("GPT-4o", None, "gpt-4o"),
            ("claude-sonnet-4-5-20250929", "anthropic", "claude-sonnet-4-5"),
            ("claude-sonnet-4-5-20250929", "some-proxy", "claude-sonnet-4-5"),
            ("anthropic/claude-haiku-4-5", None, "claude-haiku-4-5"),
        ],
    )
    def test_dated_and_prefixed_names(self, model: str, provider: str | None, same_as: str) -> None:
        """Names as servers and routers return them price like the model they name."""
        tracker = CostTracker()
        assert tracker.price_for(model, provider) == tracker.price_for(same_as)

    def test_provider_hint_is_used(self) -> None:
        """A model only the named provider lists is priced with the hint and unknown without."""
        tracker = CostTracker()

        price = tracker.price_for("llama-3.3-70b-versatile", "groq")

        assert price.input > 0
        with pytest.raises(ValueError, match="no price known"):
            tracker.price_for("llama-3.3-70b-versatile")

    @pytest.mark.parametrize(
        ("start", "end", "daily_from", "daily_to"),
        [
            (time(9, 0), time(17, 30), 9 * 3600.0, 17.5 * 3600),
            (time(9, 0, tzinfo=timezone(timedelta(hours=2))), time(23, 0), 7 * 3600.0, 23 * 3600.0),
            (time(1, 0, 0, 500_000, tzinfo=UTC), time(0, 30, 15), 3600.5, 1815.0),
        ],
    )
    def test_time_of_day_prices_in_utc(
        self, start: time, end: time, daily_from: float, daily_to: float
    ) -> None:
        """An off-peak window given in any time zone is held as seconds after UTC midnight."""
        from genai_prices import types

        from logmoji.llm.costs._prices import _convert_constraint

        when = _convert_constraint(types.TimeOfDateConstraint(start_time=start, end_time=end))

        assert (when.daily_from, when.daily_to) == (daily_from, daily_to)

    def test_time_of_day_ignores_the_local_zone(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The machine's own time zone does not move an off-peak window."""
        from genai_prices import types

        from logmoji.llm.costs._prices import _convert_constraint

        monkeypatch.setenv("TZ", "Asia/Kolkata")
        clock_time.tzset()
        try:
            start = time(9, 0, tzinfo=timezone(timedelta(hours=2)))
            when = _convert_constraint(types.TimeOfDateConstraint(start_time=start, end_time=start))
        finally:
            monkeypatch.undo()
            clock_time.tzset()

        assert when.daily_from == 7 * 3600.0

    def test_price_changes_follow_the_clock(self, clock: Clock) -> None:
        """o3 cost $10/$40 per million until its price cut on 2025-06-10, then $2/$8."""
        tracker = CostTracker(clock=clock)
        clock.set("2025-06-01T00:00:00")
        assert tracker.track_request_cost("o3", 1000, 1000) == Decimal("0.050")
        clock.set("2025-06-10T00:00:00")
        assert tracker.track_request_cost("o3", 1000, 1000) == Decimal("0.010")

    def test_matches_genai_prices_for_every_bundled_model(self) -> None:
        """Converted prices agree with genai-prices' own calculation, tiers and dates included."""
        from genai_prices import Usage, data_snapshot, types

        from logmoji.llm.costs._prices import _GENAI_KEYS, PriceSchedule, _convert_model

        rng = random.Random(7)
        checked = 0
        for provider in data_snapshot.get_snapshot().providers:
            for model in provider.models:
                price = _convert_model(model)
                if price is None:
                    continue
                when = rng.uniform(at("2024-01-01T00:00:00"), at("2027-01-01T00:00:00"))
                prompt = rng.choice([10, 5000, 150_000, 200_001, 1_500_000])
                cached = rng.randint(0, prompt // 2)
                write = rng.randint(0, (prompt - cached) // 2)
                output = rng.randint(0, 5000)
                reasoning = rng.randint(0, output)
                ours = (price.at(when) if isinstance(price, PriceSchedule) else price).cost(
                    prompt, output, cached, write, reasoning
                )
                theirs_price = model.get_prices(datetime.fromtimestamp(when, UTC))
                token_prices = {
                    key: value
                    for key, value in theirs_price.__dict__.items()
                    if key in _GENAI_KEYS and value is not None
                }
                usage = Usage(
                    input_tokens=prompt,
                    output_tokens=output,
                    cache_read_tokens=cached,
                    cache_write_tokens=write,
                    output_reasoning_tokens=reasoning,
                )
                theirs = types.ModelPrice(**token_prices).calc_price(usage)["total_price"]
                assert ours == theirs, (provider.id, model.id)
                checked += 1
        assert checked > 1000


class TestModelPrice:
    """User prices: validation, tiers and the spec's per-1k format."""

    def test_user_price_overrides_bundled(self) -> None:
        """A price passed in wins over the bundled one for the same model."""
        tracker = CostTracker(
            prices={"gpt-4o": ModelPrice(input=Decimal("1"), output=Decimal("2"))}
        )
        assert tracker.track_request_cost("gpt-4o", 1_000_000, 1_000_000) == Decimal("3")

    def test_fine_tuned_model_and_its_dated_name(self) -> None:
        """A self-hosted or fine-tuned model is priced from prices=, dated reply names too."""
        price = ModelPrice(
            input=Decimal("0.20"), output=Decimal("0.80"), cached_input=Decimal("0.05")
        )
        tracker = CostTracker(prices={"my-llama": price})
        assert (
            tracker.track_request_cost("my-llama", 2000, 1000, cached_tokens=1000)
            == (1000 * Decimal("0.20") + 1000 * Decimal("0.05") + 1000 * Decimal("0.80")) / MILLION
        )
        assert tracker.price_for("my-llama-2025-01-31") is price

    def test_spec_per_1k_format(self) -> None:
        """The spec's {"prompt", "completion"} dict is per 1k tokens."""
        tracker = CostTracker(
            prices={"gpt-4": {"prompt": Decimal("0.03"), "completion": Decimal("0.06")}}
        )
        cost = tracker.track_request_cost("gpt-4", 150, 75)
        assert cost == Decimal("0.03") * 150 / 1000 + Decimal("0.06") * 75 / 1000
        assert cost == Decimal("0.0090")

    @pytest.mark.parametrize(
        ("given", "message"),
        [
            ({"prompt": Decimal("1")}, r"^a per-1k price must be \{'prompt': Decimal\(\.\.\.\), "),
            ({"prompt": "x", "completion": Decimal("1")}, r"^prompt price must be a number"),
            ({"prompt": Decimal("1"), "completion": -1}, r"^completion price must be a finite"),
        ],
    )
    def test_bad_per_1k_prices(self, given: dict[str, Any], message: str) -> None:
        """A per-1k price with a missing or bad value is refused, naming the value to fix."""
        with pytest.raises(ValueError, match=message):
            CostTracker(prices={"gpt-4": given})

    def test_user_tiers(self) -> None:
        """A user tier applies to the whole call once the prompt is longer than its threshold."""
        price = ModelPrice(
            input=Decimal("1"),
            output=Decimal("2"),
            tiers=(
                PriceTier(above_input_tokens=500_000, input=Decimal("4"), output=Decimal("8")),
                PriceTier(above_input_tokens=100_000, input=Decimal("2"), output=Decimal("4")),
            ),
        )
        assert [tier.above_input_tokens for tier in price.tiers] == [100_000, 500_000]
        assert price.cost(100_000, 0) == Decimal("0.1")
        assert price.cost(100_001, 1) == (100_001 * 2 + 4) / MILLION
        assert price.cost(600_000, 10) == (600_000 * 4 + 80) / MILLION

    def test_floats_and_strings_become_exact_decimals(self) -> None:
        """2.5 given as a float is Decimal("2.5"), not its binary expansion."""
        price = ModelPrice(input=2.5, output="10")  # type: ignore[arg-type]
        assert price.input == Decimal("2.5")
        assert price.output == Decimal("10")

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"input": Decimal("-1"), "output": Decimal("1")}, "at least 0"),
            ({"input": Decimal("NaN"), "output": Decimal("1")}, "finite"),
            ({"input": math.inf, "output": Decimal("1")}, "finite"),
            ({"input": True, "output": Decimal("1")}, "Decimal"),
            ({"input": "cheap", "output": Decimal("1")}, "number"),
            ({"input": 1, "output": 1, "tiers": ("x",)}, "PriceTier"),
            ({"input": Decimal(-1), "output": 1}, r"^input price must be a finite amount"),
            ({"input": 1, "output": Decimal(-1)}, r"^output price must be a finite amount"),
            ({"input": 1, "output": 1, "reasoning": -1}, r"^reasoning price must be a finite"),
            ({"input": 1, "output": 1, "tiers": ("x",)}, r"^tiers must be PriceTier\(above_"),
            (
                {"input": 1, "output": 1, "tiers": (PriceTier(9, 1, 1), PriceTier(9, 2, 2))},
                r"^tier thresholds must differ, got \[9, 9\]",
            ),
        ],
    )
    def test_bad_prices(self, kwargs: dict[str, Any], message: str) -> None:
        """Bad prices raise ValueError saying what to pass."""
        with pytest.raises(ValueError, match=message):
            ModelPrice(**kwargs)

    @pytest.mark.parametrize(
        "prices",
        [
            {"m": {"prompt": Decimal("1")}},
            {"m": {"input": 1, "output": 2}},
            {"m": 3},
            {"": ModelPrice(input=1, output=1)},  # type: ignore[arg-type]
        ],
    )
    def test_bad_price_tables(self, prices: dict[str, Any]) -> None:
        """A table entry that is neither a ModelPrice nor the spec's dict is refused."""
        with pytest.raises(ValueError, match=r"ModelPrice|model names"):
            CostTracker(prices=prices)

    def test_parts_cannot_exceed_totals(self) -> None:
        """Cached tokens are part of the input, reasoning part of the output."""
        price = ModelPrice(input=Decimal("1"), output=Decimal("1"))
        with pytest.raises(ValueError, match="input_tokens must include them"):
            price.cost(10, 0, cached_tokens=8, cache_write_tokens=3)
        with pytest.raises(ValueError, match="output_tokens must include them"):
            price.cost(0, 10, reasoning_tokens=11)


class TestTrackRequestCost:
    """The spec's direct API: events, threshold, unknown models, bad input."""

    def test_event(self) -> None:
        """request_cost_calculated carries tokens, cost and cost per token as the spec has them."""
        with capture_logs() as logs:
            CostTracker().track_request_cost("gpt-4o", 1000, 500, cached_tokens=200)
        (event,) = logs.named("request_cost_calculated")
        assert event == {
            "event": "request_cost_calculated",
            "model": "gpt-4o",
            "prompt_tokens": 1000,
            "completion_tokens": 500,
            "total_tokens": 1500,
            "cached_tokens": 200,
            "cost_usd": 0.00725,
            "cost_per_token_usd": float(Decimal("0.00725") / 1500),
            "emoji": "💰",
            "log_level": "info",
            "logger": "llm.costs",
        }

    def test_cache_write_and_reasoning_fields(self) -> None:
        """Cache writes and reasoning tokens are logged under their own names, when not 0."""
        with capture_logs() as logs:
            CostTracker().track_request_cost(
                "claude-sonnet-4-5", 1000, 500, cache_write_tokens=100, reasoning_tokens=40
            )
        (event,) = logs.named("request_cost_calculated")
        assert (event["cache_write_tokens"], event["reasoning_tokens"]) == (100, 40)
        assert "cached_tokens" not in event

    def test_provider_hint(self) -> None:
        """The provider given prices a model only it lists, and is told when a model is unknown."""
        tracker = CostTracker()
        with capture_logs() as logs:
            cost = tracker.track_request_cost(
                "llama-3.3-70b-versatile", 1_000_000, 0, provider="groq"
            )
            assert tracker.track_request_cost("mystery-model-9000", 1, 1, provider="groq") is None
        assert cost == tracker.price_for("llama-3.3-70b-versatile", "groq").input
        assert logs.named("unknown_model_pricing")[0]["provider"] == "groq"

    def test_zero_tokens(self) -> None:
        """A call with no tokens costs 0 and the cost per token does not divide by zero."""
        with capture_logs() as logs:
            assert CostTracker().track_request_cost("gpt-4o", 0, 0) == 0
        assert logs.named("request_cost_calculated")[0]["cost_per_token_usd"] == 0.0

    @pytest.mark.parametrize(
        ("threshold", "warned"),
        [(Decimal("1.00"), True), (Decimal("1.476"), False), (None, False)],
    )
    def test_high_cost_request(self, threshold: Decimal | None, warned: bool) -> None:
        """A call costing more than the threshold logs high_cost_request 💰 at warning."""
        tracker = CostTracker(high_cost_threshold_usd=threshold)
        with capture_logs() as logs:
            tracker.track_request_cost(
                "claude-sonnet-4-5", 250_000, 1000, cached_tokens=10_000, cache_write_tokens=5000
            )
        events = logs.named("high_cost_request")
        assert bool(events) is warned
        if warned:
            assert events[0]["log_level"] == "warning"
            assert events[0]["emoji"] == "💰"
            assert events[0]["cost_usd"] == 1.476
            assert events[0]["model"] == "claude-sonnet-4-5"
            assert events[0]["threshold_usd"] == 1.0

    def test_unknown_model(self) -> None:
        """An unknown model is reported once, its cost left out (None, not zero)."""
        tracker = CostTracker()
        with capture_logs() as logs:
            assert tracker.track_request_cost("mystery-model-9000", 10, 10) is None
            assert tracker.track_request_cost("mystery-model-9000", 10, 10) is None
        assert [e["log_level"] for e in logs.named("unknown_model_pricing")] == ["warning"]
        assert logs.named("unknown_model_pricing")[0]["model"] == "mystery-model-9000"
        assert not logs.named("request_cost_calculated")
        summary = tracker.usage_summary()
        assert (summary.requests, summary.priced_requests, summary.cost_usd) == (2, 0, Decimal(0))

    def test_price_for_unknown_model_raises(self) -> None:
        """price_for() is the strict lookup: an unknown model is a ValueError."""
        with pytest.raises(ValueError, match=r"no price known for model 'mystery'.*prices="):
            CostTracker().price_for("mystery")

    @pytest.mark.parametrize(
        ("args", "kwargs", "message"),
        [
            (("gpt-4o", -1, 5), {}, "prompt_tokens must be at least 0"),
            (("gpt-4o", 1.5, 5), {}, "prompt_tokens must be a whole number"),
            (("gpt-4o", 10.0, 5), {}, "prompt_tokens must be a whole number"),
            (("gpt-4o", math.nan, 5), {}, "prompt_tokens must be a whole number"),
            (("gpt-4o", 10, True), {}, "completion_tokens must be an int"),
            (("gpt-4o", "10", 5), {}, "prompt_tokens must be a whole number"),
            (("gpt-4o", None, 5), {}, "prompt_tokens must be a whole number"),
            (("gpt-4o", 10, 5), {"cached_tokens": -2}, "cached_tokens must be at least 0"),
            (("gpt-4o", 10, 5), {"cached_tokens": 11}, "input_tokens must include them"),
            (("gpt-4o", 10, 5), {"cache_write_tokens": -1}, "^cache_write_tokens must be at"),
            (("gpt-4o", 10, 5), {"reasoning_tokens": -1}, "^reasoning_tokens must be at"),
            (("gpt-4o", 10, 5), {"reasoning_tokens": 6}, "output_tokens must include them"),
            (("", 10, 5), {}, "model must be a model name"),
            ((None, 10, 5), {}, "model must be a model name"),
        ],
    )
    def test_bad_input(self, args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
        """Bad token counts and model names raise a ValueError naming the problem."""
        tracker = CostTracker()
        with capture_logs() as logs, pytest.raises(ValueError, match=message):
            tracker.track_request_cost(*args, **kwargs)
        assert not logs.named("request_cost_calculated")
        assert tracker.usage_summary().requests == 0

    def test_track_daily_usage(self) -> None:
        """The spec's track_daily_usage logs the average and never divides by zero."""
        tracker = CostTracker()
        with capture_logs() as logs:
            tracker.track_daily_usage("alice", Decimal("1.50"), 3)
            tracker.track_daily_usage("bob", Decimal("0"), 0)
        first, second = logs.named("daily_usage_summary")
        assert first["user_id"] == "alice"
        assert first["total_cost_usd"] == 1.5
        assert first["request_count"] == 3
        assert first["average_cost_per_request"] == 0.5
        assert first["emoji"] == "💰"
        assert second["average_cost_per_request"] == 0.0
        with pytest.raises(ValueError, match=r"^request_count must be at least 0"):
            tracker.track_daily_usage("carol", Decimal("1"), -1)
        with pytest.raises(ValueError, match=r"^total_cost must be a finite amount"):
            tracker.track_daily_usage("carol", Decimal("-1"), 1)


class TestObserve:
    """The observer hook of instrumented calls: cost fields, never an exception."""

    def test_cost_field(self) -> None:
        """A finished call gets cost_usd as a float, priced by its dated response model."""
        tracker = CostTracker()
        fields = tracker.observe(record(response_model="gpt-4o-2024-08-06", cached_tokens=200))
        assert fields == {"cost_usd": 0.00725}

    def test_falls_back_to_requested_model(self) -> None:
        """A response model without a price falls back to the requested model's price."""
        fields = CostTracker().observe(record(response_model="gpt-4o-internal-build-x"))
        assert fields == {"cost_usd": float((1000 * Decimal("2.5") + 500 * 10) / MILLION)}

    def test_failed_call_without_usage(self) -> None:
        """A call that failed before the server counted tokens gets no cost and is not counted."""
        tracker = CostTracker()
        assert tracker.observe(record(input_tokens=None, output_tokens=None, success=False)) is None
        assert tracker.usage_summary().requests == 0

    def test_unknown_model(self) -> None:
        """An unknown model adds no cost_usd field and is reported once."""
        tracker = CostTracker()
        with capture_logs() as logs:
            assert tracker.observe(record(model="mystery")) is None
            assert tracker.observe(record(model="mystery")) is None
        assert len(logs.named("unknown_model_pricing")) == 1

    @pytest.mark.parametrize(
        "bad",
        [
            record(input_tokens=-5),
            record(input_tokens=math.nan),
            record(output_tokens="many"),
            record(output_tokens=True),
            record(cached_tokens=5000),
            record(reasoning_tokens=501),
            record(model=None),
            record(model=""),
            record(model=42),
            object(),
            None,
        ],
    )
    def test_never_raises(self, bad: Any) -> None:
        """Garbage records are skipped with a warning and counted nowhere."""
        tracker = CostTracker()
        with capture_logs() as logs:
            assert tracker.observe(bad) is None
        (event,) = logs.named("cost_calculation_skipped")
        assert event["log_level"] == "warning"
        assert event["reason"]
        assert tracker.usage_summary().requests == 0

    @pytest.mark.parametrize(
        "field",
        [
            "input_tokens",
            "output_tokens",
            "cached_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
        ],
    )
    def test_skip_reason_names_the_bad_count(self, field: str) -> None:
        """The skipped event's reason names the count that was wrong."""
        tracker = CostTracker()
        with capture_logs() as logs:
            assert tracker.observe(record(**{field: -1})) is None
        (event,) = logs.named("cost_calculation_skipped")
        assert event["reason"] == f"{field} must be at least 0, got -1"

    def test_broken_logger_does_not_raise(self) -> None:
        """Even a logger that raises cannot make observe() raise."""

        class Broken:
            def __getattr__(self, name: str) -> Any:
                raise RuntimeError("sink is gone")

        assert CostTracker(logger=Broken()).observe(record(input_tokens=-1)) is None

    def test_high_cost_warning(self) -> None:
        """The threshold applies to instrumented calls too."""
        tracker = CostTracker(high_cost_threshold_usd=Decimal("0.001"))
        with capture_logs() as logs:
            tracker.observe(record())
        assert logs.named("high_cost_request")[0]["cost_usd"] == 0.0075


class TestObservePricing:
    """How observe() picks the price of a finished call."""

    def test_user_price_found_by_lower_case_name(self) -> None:
        """A user price given as "My-FT" prices a call to "my-ft"."""
        tracker = CostTracker(prices={"My-FT": ModelPrice(input=Decimal(2), output=Decimal(4))})
        result = tracker.observe(record(model="my-ft", input_tokens=1_000_000, output_tokens=0))
        assert result == {"cost_usd": 2.0}

    def test_response_model_price_wins(self) -> None:
        """The model that answered is priced, not the one requested; unknown, the requested one."""
        prices = {
            "asked": ModelPrice(input=Decimal(1), output=Decimal(1)),
            "answered": ModelPrice(input=Decimal(5), output=Decimal(5)),
        }
        tracker = CostTracker(prices=prices)
        fields = {"model": "asked", "input_tokens": 1_000_000, "output_tokens": 0}
        assert tracker.observe(record(**fields, response_model="answered")) == {"cost_usd": 5.0}
        with capture_logs():
            fallback = tracker.observe(record(**fields, response_model="asked-2099"))
        assert fallback == {"cost_usd": 1.0}

    def test_provider_hint_of_the_record(self) -> None:
        """The record's provider prices a model only it lists, also as the fallback."""
        tracker = CostTracker()
        model = "llama-3.3-70b-versatile"
        expected = {"cost_usd": float(tracker.price_for(model, "groq").input)}
        fields = {"provider": "groq", "input_tokens": 1_000_000, "output_tokens": 0}
        assert tracker.observe(record(model=model, **fields)) == expected
        with capture_logs():
            fallback = tracker.observe(record(model=model, response_model="zz-9", **fields))
        assert fallback == expected

    def test_high_cost_event_names_the_model(self) -> None:
        """high_cost_request names the model priced."""
        tracker = CostTracker(high_cost_threshold_usd=Decimal("0.0001"))
        with capture_logs() as logs:
            tracker.observe(record())
        assert logs.named("high_cost_request")[0]["model"] == "gpt-4o"

    def test_max_keys_must_be_a_positive_int(self) -> None:
        """max_keys of 1 is fine; a bool or a string is refused with a ValueError."""
        CostTracker(max_keys=1)
        for bad in (True, "10"):
            with pytest.raises(ValueError, match="max_keys"):
                CostTracker(max_keys=bad)  # type: ignore[arg-type]

    def test_bad_budgets_and_threshold_messages(self) -> None:
        """A budget that is no Budget or mapping, and a bad threshold, are named in the error."""
        with pytest.raises(ValueError, match=r"^budgets must be a Budget or a mapping of key"):
            CostTracker(budgets=5)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^high_cost_threshold_usd must be a finite"):
            CostTracker(high_cost_threshold_usd=Decimal(-1))

    def test_given_logger_is_used(self) -> None:
        """Events go to the logger given, not to logmoji's own."""
        calls: list[tuple[str, str]] = []

        class Recorder:
            def __getattr__(self, level: str) -> Any:
                return lambda event, **fields: calls.append((level, event))

        tracker = CostTracker(high_cost_threshold_usd=Decimal("0.0001"), logger=Recorder())
        with capture_logs() as logs:
            tracker.observe(record())
        assert ("warning", "high_cost_request") in calls
        assert not logs.named("high_cost_request")


class TestUsage:
    """Usage adds up per bound key and in total, per UTC day."""

    def test_per_key_aggregation(self, clock: Clock) -> None:
        """Calls made with user_id bound add up under that user and in the total."""
        tracker = CostTracker(clock=clock)
        with bound_contextvars(user_id="alice"):
            tracker.track_request_cost("gpt-4o", 1000, 500, cached_tokens=200)
            tracker.observe(record())
        with bound_contextvars(user_id="bob"):
            tracker.observe(record(model="mystery"))
        tracker.observe(record())  # no key bound: only the total
        alice = tracker.usage_summary("alice")
        assert alice == UsageSummary(
            key="alice",
            day="2026-03-01",
            requests=2,
            priced_requests=2,
            input_tokens=2000,
            output_tokens=1000,
            cached_tokens=200,
            cost_usd=Decimal("0.00725") + Decimal("0.0075"),
        )
        assert alice.average_cost_per_request_usd == Decimal("0.007375")
        assert alice.total_tokens == 3000
        bob = tracker.usage_summary("bob")
        assert (bob.requests, bob.priced_requests, bob.cost_usd) == (1, 0, Decimal(0))
        assert bob.average_cost_per_request_usd == 0
        total = tracker.usage_summary()
        assert (total.requests, total.priced_requests) == (4, 3)
        assert total.cost_usd == Decimal("0.00725") + 2 * Decimal("0.0075")
        assert tracker.keys() == ["alice", "bob"]
        assert tracker.usage_summary("nobody") == UsageSummary(key="nobody", day="2026-03-01")

    def test_group_by_any_bound_field(self) -> None:
        """group_by names the field; its values need not be strings."""
        tracker = CostTracker(group_by="tenant")
        bind_contextvars(tenant=17, user_id="alice")
        tracker.observe(record())
        assert tracker.keys() == ["17"]

    def test_log_usage_summaries(self, clock: Clock) -> None:
        """daily_usage_summary is logged per key and for the total, with today's figures so far."""
        tracker = CostTracker(clock=clock)
        with bound_contextvars(user_id="alice"):
            tracker.observe(record())
            tracker.observe(record())
        with capture_logs() as logs, bound_contextvars(user_id="someone-else"):
            tracker.log_usage_summaries()
        alice, total = logs.named("daily_usage_summary")
        assert alice["user_id"] == "alice"
        assert alice["scope"] == "key"
        assert alice["complete"] is False
        assert alice["request_count"] == 2
        assert alice["total_cost_usd"] == 0.015
        assert alice["average_cost_per_request"] == 0.0075
        assert alice["emoji"] == "💰"
        assert "evicted" not in alice
        assert (alice["priced_request_count"], alice["cached_tokens"]) == (2, 0)
        assert (alice["input_tokens"], alice["output_tokens"]) == (2000, 1000)
        assert alice["total_tokens"] == 3000
        assert total["scope"] == "total"
        assert total["user_id"] is None  # not the key bound around the call

    def test_day_rollover(self, clock: Clock) -> None:
        """The first call of a new UTC day logs the finished day once, then counts afresh."""
        tracker = CostTracker(clock=clock)
        bind_contextvars(user_id="alice")
        tracker.observe(record())
        clock.set("2026-03-02T00:00:01")
        with capture_logs() as logs:
            tracker.observe(record())
        finished = logs.named("daily_usage_summary")
        assert [(e["scope"], e["day"], e["complete"]) for e in finished] == [
            ("total", "2026-03-01", True),
            ("key", "2026-03-01", True),
        ]
        assert tracker.usage_summary("alice").requests == 1
        assert tracker.usage_summary("alice").day == "2026-03-02"

    def test_summaries_close_stale_days_once(self, clock: Clock) -> None:
        """log_usage_summaries() closes days that ended, so they are not logged again later."""
        tracker = CostTracker(clock=clock)
        bind_contextvars(user_id="alice")
        tracker.observe(record())
        clock.set("2026-03-03T09:00:00")
        with capture_logs() as logs:
            tracker.log_usage_summaries()
            tracker.observe(record())
        assert [(e["day"], e["complete"]) for e in logs.named("daily_usage_summary")] == [
            ("2026-03-01", True),
            ("2026-03-01", True),
        ]

    def test_threads_add_up(self) -> None:
        """Calls from many threads, each with its own key bound, add up exactly."""
        tracker = CostTracker(max_keys=50)

        def work(worker: int) -> None:
            for i in range(500):
                with bound_contextvars(user_id=f"w{worker}-{i % 20}"):
                    tracker.observe(record(model="gpt-4o" if i % 2 else f"unknown-{i % 7}"))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        with capture_logs("ERROR"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        total = tracker.usage_summary()
        assert (total.requests, total.priced_requests) == (4000, 2000)
        assert total.cost_usd == 2000 * Decimal("0.0075")
        assert len(tracker.keys()) == 50


class TestBudgets:
    """Soft limits warn once per period; hard limits stop requests before they are sent."""

    def test_soft_limit_warns_once_per_day(self, clock: Clock) -> None:
        """budget_soft_limit_reached is logged once per key per day."""
        tracker = CostTracker(budgets=Budget(soft_limit_usd=Decimal("0.01")), clock=clock)
        bind_contextvars(user_id="alice")
        with capture_logs() as logs:
            for _ in range(4):  # 0.0075 each: over the limit from the second call
                tracker.observe(record())
            clock.set("2026-03-02T08:00:00")
            for _ in range(2):
                tracker.observe(record())
        warnings = logs.named("budget_soft_limit_reached")
        assert len(warnings) == 2
        assert warnings[0]["log_level"] == "warning"
        assert warnings[0]["emoji"] == "💰"
        assert warnings[0]["user_id"] == "alice"
        assert warnings[0]["spent_usd"] == 0.015
        assert warnings[0]["limit_usd"] == 0.01
        assert warnings[0]["period"] == "day"
        assert warnings[0]["scope"] == "key"

    def test_zero_soft_limit(self) -> None:
        """A soft limit of 0 warns at the first priced call, with the limit given as 0."""
        tracker = CostTracker(budgets=Budget(soft_limit_usd=Decimal(0)))
        with capture_logs() as logs, bound_contextvars(user_id="alice"):
            tracker.observe(record())
        (warning,) = logs.named("budget_soft_limit_reached")
        assert (warning["limit_usd"], warning["spent_usd"]) == (0.0, 0.0075)

    def test_hard_limit_refuses_until_the_next_day(self, clock: Clock) -> None:
        """Once the hard limit is spent before_call raises; a new day lets requests through."""
        tracker = CostTracker(budgets=Budget(hard_limit_usd=Decimal("0.015")), clock=clock)
        bind_contextvars(user_id="alice")
        for _ in range(2):
            tracker.before_call("openai", "chat", "gpt-4o")
            tracker.observe(record())
        with capture_logs() as logs, pytest.raises(BudgetExceededError) as caught:
            tracker.before_call("openai", "chat", "gpt-4o")
        assert caught.value.key == "alice"
        assert caught.value.spent_usd == Decimal("0.0150")
        assert caught.value.limit_usd == Decimal("0.015")
        assert "day budget of $0.015 for user_id='alice' is spent" in str(caught.value)
        (event,) = logs.named("budget_exceeded")
        assert event["log_level"] == "error"
        assert event["emoji"] == "💰"
        with bound_contextvars(user_id="bob"):
            tracker.before_call("openai", "chat", "gpt-4o")  # bob has his own budget
        clock.set("2026-03-02T00:00:00")
        tracker.before_call("openai", "chat", "gpt-4o")

    def test_budgets_per_key_and_default(self, clock: Clock) -> None:
        """A key's own budget wins over the "*" default."""
        tracker = CostTracker(
            budgets={
                "*": Budget(hard_limit_usd=Decimal("0.0075")),
                "vip": Budget(hard_limit_usd=Decimal("100")),
            },
            clock=clock,
        )
        for user in ("vip", "regular"):
            with bound_contextvars(user_id=user):
                tracker.observe(record())
        with bound_contextvars(user_id="vip"):
            tracker.check_budget()
        with bound_contextvars(user_id="regular"), pytest.raises(BudgetExceededError):
            tracker.check_budget()

    def test_zero_hard_limit_refuses_everything(self) -> None:
        """A hard limit of 0 refuses even a key's first request."""
        tracker = CostTracker(budgets={"blocked": Budget(hard_limit_usd=Decimal("0"))})
        with bound_contextvars(user_id="blocked"), pytest.raises(BudgetExceededError):
            tracker.before_call("openai", "chat", "gpt-4o")
        tracker.before_call("openai", "chat", "gpt-4o")  # no key: no key budget

    def test_monthly_total_budget(self, clock: Clock) -> None:
        """A monthly total budget counts every call and resets on the first of the month."""
        clock.set("2026-03-31T23:00:00")
        tracker = CostTracker(
            total_budget=Budget(hard_limit_usd=Decimal("0.01"), period="month"), clock=clock
        )
        tracker.observe(record())
        with bound_contextvars(user_id="alice"):
            tracker.observe(record())
            with pytest.raises(BudgetExceededError) as caught:
                tracker.before_call("openai", "chat", "gpt-4o")
        assert caught.value.key is None
        assert "for all calls" in str(caught.value)
        clock.set("2026-04-01T00:00:00")
        tracker.before_call("openai", "chat", "gpt-4o")

    def test_total_period_never_resets(self, clock: Clock) -> None:
        """A "total" budget keeps counting across days."""
        budget = Budget(hard_limit_usd=Decimal("0.0075"), period="total")
        tracker = CostTracker(budgets=budget, clock=clock)
        bind_contextvars(user_id="alice")
        tracker.observe(record())
        clock.set("2027-01-01T00:00:00")
        with pytest.raises(BudgetExceededError):
            tracker.check_budget()

    def test_unpriced_calls_do_not_spend(self) -> None:
        """Calls to models without a price count as requests and tokens but spend nothing."""
        tracker = CostTracker(budgets=Budget(hard_limit_usd=Decimal("0.000001")))
        bind_contextvars(user_id="alice")

        assert tracker.observe(record(model="mystery")) is None
        tracker.check_budget()

        summary = tracker.usage_summary("alice")
        assert (summary.requests, summary.priced_requests) == (1, 0)
        assert (summary.input_tokens, summary.output_tokens) == (1000, 500)
        assert summary.cost_usd == Decimal(0)
        assert tracker.usage_summary().cost_usd == Decimal(0)
        tracker.observe(record())
        assert tracker.usage_summary("alice").cost_usd > 0
        with pytest.raises(BudgetExceededError):
            tracker.check_budget()

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({}, "soft_limit_usd, hard_limit_usd or both"),
            ({"hard_limit_usd": Decimal("-1")}, "at least 0"),
            ({"hard_limit_usd": Decimal("1"), "period": "week"}, "period must be"),
        ],
    )
    def test_bad_budgets(self, kwargs: dict[str, Any], message: str) -> None:
        """Budgets without a limit, with a negative one or an unknown period are refused."""
        with pytest.raises(ValueError, match=message):
            Budget(**kwargs)

    def test_bad_tracker_options(self) -> None:
        """Budgets must be Budget values and max_keys a positive int."""
        with pytest.raises(ValueError, match="Budget"):
            CostTracker(budgets={"alice": Decimal("5")})  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="max_keys"):
            CostTracker(max_keys=0)


class TestBoundedMemory:
    """Memory stays bounded however many keys and model names pass through."""

    def test_keys_are_capped(self) -> None:
        """100k distinct users keep at most max_keys accounts; dropped days are logged."""
        tracker = CostTracker(max_keys=1000)
        with capture_logs("WARNING"):  # the evicted days are info: not kept here
            for i in range(100_000):
                with bound_contextvars(user_id=f"user-{i}"):
                    tracker.observe(record())
        keys = tracker.keys()
        assert len(keys) == 1000
        assert keys[-1] == "user-99999"
        assert tracker.usage_summary().requests == 100_000

    def test_evicted_day_is_logged(self) -> None:
        """The least recently used key is dropped with its day so far logged as evicted."""
        tracker = CostTracker(max_keys=2)
        with capture_logs() as logs:
            for user in ("a", "b", "a", "c"):
                with bound_contextvars(user_id=user):
                    tracker.observe(record())
        (event,) = logs.named("daily_usage_summary")
        assert (event["user_id"], event["evicted"], event["complete"]) == ("b", True, False)
        assert tracker.keys() == ["a", "c"]

    def test_model_names_are_capped(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Distinct unknown model names past the cap do not grow memory."""
        monkeypatch.setattr("logmoji.llm.costs._price_lookup._MAX_MODELS", 50)
        tracker = CostTracker()
        records = [record(model=f"ft:custom-{i}") for i in range(1200)]
        with capture_logs("ERROR"):
            for item in records[:200]:  # fill the caches
                tracker.observe(item)
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            for item in records[200:]:
                tracker.observe(item)
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        assert grown < 50_000  # 1000 names kept would take well over 150 kB


class TestOfflineAndLazy:
    """genai-prices is loaded only when needed and never goes to the network."""

    def test_import_loads_no_price_data(self) -> None:
        """Importing logmoji.llm.costs does not import genai-prices."""
        code = (
            "import sys, logmoji.llm.costs; "
            "sys.exit(1 if any(m.startswith('genai_prices') for m in sys.modules) else 0)"
        )
        assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

    def test_no_network(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Looking prices up opens no connection and starts no updater."""

        def refuse(*args: object) -> None:
            raise AssertionError("price lookup tried to use the network")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        tracker = CostTracker()
        assert tracker.track_request_cost("gpt-4o", 1000, 0) == Decimal("0.0025")
        from genai_prices import data_snapshot, update_prices

        assert update_prices._shared_updater.thread is None
        assert data_snapshot.get_snapshot().from_auto_update is False

    @pytest.fixture
    def without_genai_prices(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make ``import genai_prices`` fail as if the extra were not installed."""
        for name in [m for m in sys.modules if m.startswith("genai_prices")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "genai_prices", None)

    @pytest.mark.usefixtures("without_genai_prices")
    def test_missing_extra(self) -> None:
        """Without genai-prices, a bundled price raises ImportError naming the extra."""
        tracker = CostTracker(prices={"mine": ModelPrice(input=Decimal("1"), output=Decimal("1"))})
        assert tracker.track_request_cost("mine", 10, 10) == Decimal("0.00002")
        with pytest.raises(ImportError, match=r"pip install 'logmoji\[prices\]'"):
            tracker.track_request_cost("gpt-4o", 10, 10)

    @pytest.mark.usefixtures("without_genai_prices")
    def test_missing_extra_on_instrumented_calls(self) -> None:
        """Instrumented calls go on without costs; the missing extra is reported once."""
        tracker = CostTracker()
        with capture_logs() as logs:
            assert tracker.observe(record()) is None
            assert tracker.observe(record()) is None
        (event,) = logs.named("price_data_unavailable")
        assert "logmoji[prices]" in event["reason"]
        assert tracker.usage_summary().requests == 2


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    """Serve the fake APIs, reporting 4 cached prompt tokens per request."""
    from logmoji.testing import FakeLLMProvider

    with FakeLLMProvider(cached_tokens=4, reply_tokens=24) as provider:
        yield provider


class TestInstrumented:
    """End to end: real SDK clients, instrumented, against the fake provider over HTTP."""

    @pytest.fixture(autouse=True)
    def _close_clients(self, fake: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """Close the clients a test makes: an unclosed one warns wherever it is collected."""
        made: list[Any] = []

        def kept(make: Any) -> Any:
            def client(**kw: Any) -> Any:
                made.append(make(**kw))
                return made[-1]

            return client

        for name in ("openai_client", "anthropic_client"):
            monkeypatch.setattr(fake, name, kept(getattr(fake, name)))
        yield
        for client in made:
            client.close()

    def test_openai_completed_event_has_cost(self, fake: Any) -> None:
        """chat_request_completed carries cost_usd at gpt-4o's prices, cached tokens included."""
        from logmoji.llm.instrumentation import instrument

        client = fake.openai_client()
        tracker = CostTracker()
        with instrument(client, observers=[tracker]), capture_logs() as logs:
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hello there you"}]
            )
        (event,) = logs.named("chat_request_completed")
        assert (event["prompt_tokens"], event["cached_tokens"]) == (7, 4)
        assert event["completion_tokens"] == 24
        expected = (3 * GPT_4O["input"] + 4 * GPT_4O["cached"] + 24 * GPT_4O["output"]) / MILLION
        assert event["cost_usd"] == float(expected) == 0.0002525
        assert tracker.usage_summary().cost_usd == expected

    def test_anthropic_completed_event_has_cost(self, fake: Any) -> None:
        """messages_request_completed carries cost_usd at Claude Sonnet 4.6's prices (as 4.5's)."""
        from logmoji.llm.instrumentation import instrument

        client = fake.anthropic_client()
        tracker = CostTracker()
        with instrument(client, observers=[tracker]), capture_logs() as logs:
            client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=100,
                messages=[{"role": "user", "content": "hello there you"}],
            )
        (event,) = logs.named("messages_request_completed")
        assert (event["prompt_tokens"], event["cached_tokens"]) == (7, 4)
        expected = (
            3 * SONNET_45["input"] + 4 * SONNET_45["cache_read"] + 24 * SONNET_45["output"]
        ) / MILLION
        assert event["cost_usd"] == float(expected) == 0.0003702

    def test_hard_budget_stops_the_request_before_it_is_sent(self, fake: Any) -> None:
        """Over its hard budget a user's next request raises and never reaches the server."""
        from logmoji.llm.instrumentation import instrument

        client = fake.openai_client()
        tracker = CostTracker(budgets=Budget(hard_limit_usd=Decimal("0.0002")))
        messages = [{"role": "user", "content": "hello there you"}]
        with instrument(client, observers=[tracker]), bound_contextvars(user_id="alice"):
            client.chat.completions.create(model="gpt-4o", messages=messages)
            sent = len(fake.requests)
            with capture_logs() as logs, pytest.raises(BudgetExceededError):
                client.chat.completions.create(model="gpt-4o", messages=messages)
        assert len(fake.requests) == sent
        assert logs.named("budget_exceeded")[0]["user_id"] == "alice"


class TestPriceWindows:
    """When a scheduled price applies: start dates, daily windows, and other constraints."""

    @pytest.mark.parametrize(
        ("daily_from", "daily_to", "second", "active"),
        [
            (3600.0, 7200.0, 3599, False),
            (3600.0, 7200.0, 3600, True),
            (3600.0, 7200.0, 7199, True),
            (3600.0, 7200.0, 7200, False),
            (79200.0, 3600.0, 79199, False),
            (79200.0, 3600.0, 79200, True),
            (79200.0, 3600.0, 0, True),
            (79200.0, 3600.0, 3600, False),
            (3600.0, 3600.0, 3600, False),
            (3600.0, None, 0, True),
        ],
    )
    def test_daily_window(
        self, daily_from: float, daily_to: float | None, second: int, active: bool
    ) -> None:
        """A daily window includes its start, excludes its end, and may wrap past midnight."""
        from logmoji.llm.costs._prices import _When

        when = _When(daily_from=daily_from, daily_to=daily_to)

        assert when.active(at("2025-03-04T00:00:00") + second) is active

    def test_other_constraints_are_asked(self) -> None:
        """A constraint of a kind logmoji does not know is asked, with a UTC datetime."""
        from logmoji.llm.costs._prices import _convert_constraint

        asked: list[datetime] = []

        class Weekends:
            def active(self, moment: datetime) -> bool:
                asked.append(moment)
                return moment.weekday() >= 5

        when = _convert_constraint(Weekends())

        assert when.active(at("2025-03-08T12:00:00")) is True
        assert when.active(at("2025-03-10T12:00:00")) is False
        assert asked[0] == datetime(2025, 3, 8, 12, tzinfo=UTC)
        assert _convert_constraint(None).active(0.0) is True
        assert _convert_constraint(object()).active(0.0) is True


class TestScheduledPrices:
    """How genai-prices' list of conditional prices becomes one price or a schedule."""

    @staticmethod
    def _convert(*conditions: tuple[date | None, int]) -> Any:
        from genai_prices import types as gp

        from logmoji.llm.costs._prices import _convert_model

        prices = [
            gp.ConditionalPrice(
                None if start is None else gp.StartDateConstraint(start),
                prices=gp.ModelPrice(input_mtok=Decimal(usd), output_mtok=Decimal(usd)),
            )
            for start, usd in conditions
        ]
        match = gp.ClauseEquals(equals="m")
        info = gp.ModelInfo(
            id="m",
            match=match,
            name=None,
            description=None,
            context_window=None,
            price_comments=None,
            prices=prices,
        )
        return _convert_model(info)

    def test_unconditional_prices_take_the_last(self) -> None:
        """Prices without conditions: the last one listed is the price."""
        price = self._convert((None, 1), (None, 2), (None, 3))
        assert isinstance(price, ModelPrice)
        assert price.input == 3

    def test_dated_prices_become_a_schedule(self) -> None:
        """Dated prices: the first one listed holds before any date is reached."""
        schedule = self._convert((date(2025, 1, 1), 2), (date(2026, 1, 1), 3))
        assert not isinstance(schedule, ModelPrice)
        assert schedule.at(at("2024-06-01T00:00:00")).input == 2
        assert schedule.at(at("2025-06-01T00:00:00")).input == 2
        assert schedule.at(at("2026-06-01T00:00:00")).input == 3


class TestConvertedPrices:
    """One genai-prices price turned into a ``ModelPrice``."""

    @staticmethod
    def _convert(**rates: Any) -> Any:
        from genai_prices import types as gp

        from logmoji.llm.costs._prices import _convert_price

        return _convert_price(gp.ModelPrice(**rates))

    def test_output_only(self) -> None:
        """A price for output tokens alone is a token price, its input free."""
        price = self._convert(output_mtok=Decimal(5))
        assert (price.input, price.output) == (0, 5)

    def test_not_per_token(self) -> None:
        """A price per request only is no token price."""
        assert self._convert(requests_kcount=Decimal(1)) is None

    def test_tier_keeps_reasoning(self) -> None:
        """A tiered reasoning rate is kept in its tier."""
        from genai_prices import types as gp

        tiered = gp.TieredPrices(base=Decimal(4), tiers=[gp.Tier(start=1000, price=Decimal(8))])
        price = self._convert(
            input_mtok=Decimal(1), output_mtok=Decimal(2), output_reasoning_mtok=tiered
        )
        assert price.reasoning == 4
        (tier,) = price.tiers
        assert (tier.above_input_tokens, tier.reasoning, tier.input) == (1000, 8, 1)


class TestPriceTier:
    """PriceTier validation and its own rates."""

    @pytest.mark.parametrize("threshold", [-1, 1.5, True, "10"])
    def test_bad_threshold(self, threshold: object) -> None:
        """A threshold that is not an int of at least 0 is refused."""
        with pytest.raises(ValueError, match=r"^above_input_tokens must be an int of at least 0"):
            PriceTier(above_input_tokens=threshold, input=Decimal(1), output=Decimal(1))  # type: ignore[arg-type]

    def test_zero_threshold_and_tier_reasoning(self) -> None:
        """A tier may start at 0 tokens, and its reasoning rate applies above it."""
        price = ModelPrice(
            input=Decimal(1),
            output=Decimal(2),
            tiers=(
                PriceTier(
                    above_input_tokens=0,
                    input=Decimal(3),
                    output=Decimal(4),
                    reasoning=Decimal(9),
                ),
            ),
        )

        assert price.cost(0, 10, reasoning_tokens=10) == Decimal(20) / MILLION
        assert price.cost(1, 10, reasoning_tokens=10) == Decimal(93) / MILLION


class TestUnknownModels:
    """A model without a price is reported once, with what to do about it."""

    def test_reported_once_with_a_hint(self) -> None:
        """The first call to an unknown model logs one warning naming it, its provider and a fix."""
        tracker = CostTracker()
        with capture_logs() as logs:
            tracker.observe(record(model="mystery-model", provider="openai"))
            tracker.observe(record(model="mystery-model", provider="openai"))

        warnings = [e for e in logs if e["event"] == "unknown_model_pricing"]
        assert len(warnings) == 1
        assert warnings[0]["log_level"] == "warning"
        assert (warnings[0]["model"], warnings[0]["provider"]) == ("mystery-model", "openai")
        assert warnings[0]["hint"] == "pass CostTracker(prices={model: ModelPrice(...)})"

    def test_names_remembered_are_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Past the bound the oldest name is forgotten and reported again; the rest are not."""
        monkeypatch.setattr("logmoji.llm.costs._price_lookup._MAX_MODELS", 2)
        tracker = CostTracker()
        with capture_logs() as logs:
            for model in ("m-a", "m-b", "m-c", "m-a", "m-c"):
                tracker.observe(record(model=model))

        reported = [e["model"] for e in logs if e["event"] == "unknown_model_pricing"]
        assert reported == ["m-a", "m-b", "m-c", "m-a"]
        assert not logs.named("cost_calculation_skipped")
