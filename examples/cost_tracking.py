"""The spec's "Cost Tracking and Monitoring" example, working, with ``CostTracker``.

What changed from the spec's snippet:

* ``(self.prompt_tokens / 1000) * self.prompt_cost_per_1k`` multiplied a
  float by a ``Decimal`` and raised ``TypeError``; costs are now exact
  ``Decimal`` arithmetic on integer token counts;
* its three hard-coded prices (per 1k tokens, long out of date) are replaced
  by genai-prices' bundled data, read offline; the spec's per-1k dict still
  works for your own models, and overrides the bundled price;
* cached prompt tokens, cache writes and reasoning tokens are priced as the
  providers bill them, and long prompts pay their tier's rate;
* an unknown model is reported once and its cost left out, not counted as 0;
* ``track_daily_usage`` divided by zero for a user without requests; the
  tracker now also adds usage up per user itself (any field bound with
  ``bind_contextvars``) and logs ``daily_usage_summary`` per UTC day;
* budgets: a soft limit warns once a day, a hard limit stops the next
  request before it is sent.

Part 1 is the spec's direct API. Part 2 makes real SDK calls against
logmoji's local fake provider with the tracker as an instrumentation observer,
so each completed event carries ``cost_usd``.

Run: ``python examples/cost_tracking.py``.
"""

from __future__ import annotations

from decimal import Decimal

from logmoji import bound_contextvars
from logmoji.exceptions import BudgetExceededError
from logmoji.llm import instrument
from logmoji.llm.costs import Budget, CostTracker, ModelPrice
from logmoji.testing import FakeLLMProvider


def direct_api() -> CostTracker:
    """Price calls the way the spec's LLMCostTracker did, with today's prices."""
    tracker = CostTracker(
        prices={
            # The spec's per-1k format, for a model you host yourself.
            "acme-llama-70b": {"prompt": Decimal("0.0009"), "completion": Decimal("0.0009")},
            # Per-million tokens, for a fine-tuned model.
            "ft:gpt-4o-mini:acme::support": ModelPrice(
                input=Decimal("0.30"), output=Decimal("1.20"), cached_input=Decimal("0.15")
            ),
        },
        high_cost_threshold_usd=Decimal("1.00"),
    )
    # user, model, prompt tokens (cached included), completion tokens, cached, reasoning
    calls = [
        ("alice", "gpt-4o", 1500, 400, 1024, 0),
        ("alice", "claude-sonnet-4-5-20250929", 12_000, 900, 8000, 0),
        ("bob", "o3-mini", 800, 3000, 0, 2500),
        ("bob", "acme-llama-70b", 2000, 500, 0, 0),
        ("bob", "ft:gpt-4o-mini:acme::support", 3000, 200, 2048, 0),
        ("carol", "claude-sonnet-4-5", 320_000, 4000, 0, 0),  # long prompt: tier rate, high cost
        ("carol", "internal-model-x", 100, 100, 0, 0),  # unknown: reported once, cost left out
    ]
    print(f"{'user':6} {'model':32} {'tokens':>8} {'cost (USD)':>12}")
    for user, model, prompt, completion, cached, reasoning in calls:
        with bound_contextvars(user_id=user):
            cost = tracker.track_request_cost(
                model, prompt, completion, cached_tokens=cached, reasoning_tokens=reasoning
            )
        shown = "unknown" if cost is None else f"{cost:.6f}"
        print(f"{user:6} {model:32} {prompt + completion:>8} {shown:>12}")

    # The spec's method, for totals you keep yourself; zero requests no longer divide by zero.
    tracker.track_daily_usage("dave", Decimal("0"), 0)
    tracker.log_usage_summaries()
    total = tracker.usage_summary()
    print(
        f"total: {total.requests} requests ({total.priced_requests} priced), "
        f"{total.total_tokens} tokens, ${total.cost_usd:.6f}, "
        f"${total.average_cost_per_request_usd:.6f} per priced request"
    )
    return tracker


def instrumented_calls() -> None:
    """Let instrumentation add cost_usd to every call and enforce a per-user budget."""
    tracker = CostTracker(
        budgets=Budget(soft_limit_usd=Decimal("0.0004"), hard_limit_usd=Decimal("0.0006"))
    )
    with FakeLLMProvider(cached_tokens=4) as fake:
        client = fake.openai_client()
        with instrument(client, observers=[tracker]), bound_contextvars(user_id="erin"):
            sent = 0
            for _ in range(10):
                try:
                    client.chat.completions.create(
                        model="gpt-4o", messages=[{"role": "user", "content": "Summarise my day"}]
                    )
                    sent += 1
                except BudgetExceededError as exc:
                    print(f"stopped after {sent} requests: {exc}")
                    break
    erin = tracker.usage_summary("erin")
    print(f"erin: {erin.requests} requests, ${erin.cost_usd} spent")


def main() -> None:
    """Run both parts."""
    direct_api()
    instrumented_calls()


if __name__ == "__main__":
    main()
