"""Time the cost tracker per call, beside pricing the same call with genai-prices directly.

Measured, for one gpt-4o call (1200 prompt tokens, 200 of them cached, 300
output tokens), with events written to a null stream:

* ``observe()``, the instrumentation hook: price, add to the total, return
  ``{"cost_usd": ...}``; with ``user_id`` bound (per-key totals); and with a
  budget, ``before_call()`` plus ``observe()``;
* ``track_request_cost()``, the spec's method, which also logs
  ``request_cost_calculated``;
* ``ModelPrice.cost()`` alone: the Decimal arithmetic floor;
* ``genai_prices.calc_price()``: what looking the model up on every call
  would cost instead of once.

The first lookup of a model (importing genai-prices' data and converting the
model's prices) is timed once and shown separately.

Run: ``python benchmarks/bench_costs.py``
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, table

from logmoji import LoggingConfig, TelemetryConfig, bind_contextvars, setup_telemetry
from logmoji.llm._record import CallRecord
from logmoji.llm.costs import Budget, CostTracker


def main() -> None:
    setup_telemetry(TelemetryConfig(logging=LoggingConfig(stream=open(os.devnull, "w"))))  # noqa: SIM115
    record = CallRecord(
        provider="openai",
        operation="chat",
        model="gpt-4o",
        response_model="gpt-4o-2024-08-06",
        input_tokens=1200,
        output_tokens=300,
        cached_tokens=200,
    )

    start = time.perf_counter()
    cold = CostTracker(group_by=None)
    cold.observe(record)
    first_lookup_ms = (time.perf_counter() - start) * 1000

    plain = CostTracker(group_by=None)
    keyed = CostTracker()
    budgeted = CostTracker(budgets=Budget(hard_limit_usd=Decimal("1000000")))
    direct = CostTracker()
    price = plain.price_for("gpt-4o")
    bind_contextvars(user_id="alice", request_id="req-1")

    def observe_budgeted() -> object:
        budgeted.before_call("openai", "chat", "gpt-4o")
        return budgeted.observe(record)

    import genai_prices

    usage = genai_prices.Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=200)
    cases = {
        "observe()": lambda: plain.observe(record),
        "observe(), user_id bound": lambda: keyed.observe(record),
        "before_call() + observe(), budget": observe_budgeted,
        "track_request_cost() + its log line": lambda: direct.track_request_cost(
            "gpt-4o", 1200, 300, cached_tokens=200
        ),
        "ModelPrice.cost() alone": lambda: price.cost(1200, 300, 200),
        "genai_prices.calc_price() per call": lambda: genai_prices.calc_price(
            usage, "gpt-4o-2024-08-06", provider_id="openai"
        ),
    }
    results = compare(cases, number=5_000)
    rows: list[tuple[str, ...]] = [(name, f"{ns:,.0f}") for name, ns in results.items()]
    rows.append(("first lookup of a model (once)", f"{first_lookup_ms * 1e6:,.0f}"))
    print(table(rows, ("measure", "ns/call")))
    assert plain.observe(record) == {"cost_usd": float(price.cost(1200, 300, 200))}


if __name__ == "__main__":
    main()
