"""Price LLM calls, add up spending per user, and stop requests over budget: :class:`CostTracker`.

Prices come from the user (``prices=``) first, then from genai-prices'
bundled data (the ``prices`` extra, read offline). Costs are exact
``Decimal`` values; log events carry them as floats (``cost_usd``).

Two ways in:

* Instrumented calls: pass the tracker to ``instrument(client,
  observers=[tracker])``. :meth:`CostTracker.before_call` stops a request
  when a hard budget is spent (``BudgetExceededError``);
  :meth:`CostTracker.observe` adds ``cost_usd`` to the completed event and
  only ever warns, never raises.
* Directly, as in the spec: :meth:`CostTracker.track_request_cost` logs
  ``request_cost_calculated`` 💰 and raises ``ValueError`` on bad input.

Spending is added up per value of a context-bound field (``user_id`` by
default, see ``bind_contextvars``) and in total, per UTC day: each finished
day is logged once as ``daily_usage_summary``.
"""

from __future__ import annotations

import contextlib
import operator
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from logmoji.exceptions import BudgetExceededError
from logmoji.llm._record import CallRecord
from logmoji.llm.costs._ledger import (
    Budget,
    Counts,
    DayReport,
    Ledger,
    SoftLimitReached,
    UsageSummary,
)
from logmoji.llm.costs._model_price import ModelPrice, PriceTier, to_usd
from logmoji.llm.costs._price_lookup import PriceInput, PriceLookup, _check_model, _price_table
from logmoji.llm.costs._prices import BundledPrices, PriceSchedule
from logmoji.logger.context import get_contextvars
from logmoji.logger.core import get_logger

__all__ = ["Budget", "CostTracker", "ModelPrice", "PriceTier", "UsageSummary"]


def _tokens(value: object, name: str) -> int:
    """Return ``value`` as a token count, or raise ``ValueError`` saying what is wrong."""
    if type(value) is int and value >= 0:
        return value
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got the bool {value!r}")
    try:
        count = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{name} must be a whole number of tokens (int), got {value!r}") from None
    if count < 0:
        raise ValueError(f"{name} must be at least 0, got {count}")
    return count


def _checked(counts: tuple[object, ...]) -> Counts:
    """Return ``counts`` as token counts, or raise ``ValueError`` naming the first bad one."""
    names = ("input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens")
    a, b, c, d = (_tokens(count, name) for count, name in zip(counts, names, strict=False))
    return a, b, c, d, _tokens(counts[4], "reasoning_tokens")


class CostTracker(PriceLookup):
    """Price each LLM call, add it up per key and in total, and enforce budgets.

    Args:
        prices: Your prices, tried before the bundled ones: ``{"my-ft-model":
            ModelPrice(input=Decimal("3"), output=Decimal("12"))}`` (per million
            tokens) or the spec's per-1k ``{"prompt": ..., "completion": ...}``.
        high_cost_threshold_usd: Log ``high_cost_request`` above this (``None``: never).
        budgets: A :class:`Budget` for every key, or ``{key: Budget}`` with
            ``"*"`` for keys not listed. Calls with no key bound have no key budget.
        total_budget: A :class:`Budget` for all calls together.
        group_by: The context-bound field that names the key (``None``: totals only).
        max_keys: Most keys kept; the least recently used is logged and dropped.
        clock: Wall clock in seconds since the epoch, for days and budget periods.
        logger: Where events go; default ``get_logger("llm.costs")``.
    """

    def __init__(
        self,
        prices: Mapping[str, PriceInput] | None = None,
        *,
        high_cost_threshold_usd: Decimal | None = Decimal("1.00"),
        budgets: Budget | Mapping[str, Budget] | None = None,
        total_budget: Budget | None = None,
        group_by: str | None = "user_id",
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.time,
        logger: Any = None,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be an int of at least 1, got {max_keys!r}")
        if isinstance(budgets, Budget):
            budgets = {"*": budgets}
        if budgets is not None and not isinstance(budgets, Mapping):
            raise ValueError(
                f"budgets must be a Budget or a mapping of key to Budget, not {budgets!r}"
            )
        budgets = dict(budgets or {})
        for budget in [*budgets.values(), total_budget]:
            if budget is not None and not isinstance(budget, Budget):
                raise ValueError(
                    f"budgets must be Budget(hard_limit_usd=...) values, got {budget!r}"
                )
        self._user_prices = _price_table(prices)
        self._threshold = (
            None
            if high_cost_threshold_usd is None
            else to_usd(high_cost_threshold_usd, "high_cost_threshold_usd")
        )
        self._group_by = group_by
        self._clock = clock
        self._log = logger if logger is not None else get_logger("llm.costs")
        self._bundled = BundledPrices()
        self._cache: dict[tuple[str | None, str], ModelPrice | PriceSchedule | None] = {}
        self._unknown_reported: dict[str, None] = {}
        self._misses = threading.Lock()  # taken only when a model is first seen
        self._missing_data_reported = False
        self._ledger = Ledger(budgets, total_budget, max_keys, clock())

    # -- the spec's direct API ------------------------------------------------------------

    def track_request_cost(
        self,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        *,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        provider: str | None = None,
    ) -> Decimal | None:
        """Price one call, log ``request_cost_calculated`` and add it to the current key.

        ``prompt_tokens`` includes cached and cache-write tokens and
        ``completion_tokens`` includes reasoning tokens.

        Returns:
            The exact cost in USD, or ``None`` for a model without a price
            (logged once as ``unknown_model_pricing``): an unknown cost is
            left out rather than counted as zero.

        Raises:
            ValueError: For a bad model name or token count.
            ImportError: If genai-prices is missing and ``prices=`` does not cover ``model``.
        """
        _check_model(model)
        counts = (
            _tokens(prompt_tokens, "prompt_tokens"),
            _tokens(completion_tokens, "completion_tokens"),
            _tokens(cached_tokens, "cached_tokens"),
            _tokens(cache_write_tokens, "cache_write_tokens"),
            _tokens(reasoning_tokens, "reasoning_tokens"),
        )
        price = self._lookup(model, provider)
        cost = None if price is None else price.cost(*counts)
        if price is None:
            self._report_unknown(model, provider)
        self._record(counts, cost)
        if cost is None:
            return None
        total = counts[0] + counts[1]
        extra = {
            name: n
            for name, n in (
                ("cached_tokens", counts[2]),
                ("cache_write_tokens", counts[3]),
                ("reasoning_tokens", counts[4]),
            )
            if n
        }
        self._log.info(
            "request_cost_calculated",
            model=model,
            prompt_tokens=counts[0],
            completion_tokens=counts[1],
            total_tokens=total,
            **extra,
            cost_usd=float(cost),
            cost_per_token_usd=float(cost / total) if total else 0.0,
        )
        self._check_threshold(model, cost)
        return cost

    def track_daily_usage(self, user_id: str, total_cost: Decimal, request_count: int) -> None:
        """Log ``daily_usage_summary`` for figures you added up yourself (the spec's method)."""
        cost = to_usd(total_cost, "total_cost")
        count = _tokens(request_count, "request_count")
        self._log.info(
            "daily_usage_summary",
            user_id=user_id,
            total_cost_usd=float(cost),
            request_count=count,
            average_cost_per_request=float(cost / count) if count else 0.0,
        )

    def _check_threshold(self, model: str, cost: Decimal) -> None:
        if self._threshold is not None and cost > self._threshold:
            self._log.warning(
                "high_cost_request",
                model=model,
                cost_usd=float(cost),
                threshold_usd=float(self._threshold),
            )

    # -- the instrumentation's observer hooks ---------------------------------------------

    def before_call(self, provider: str, operation: str, model: str) -> None:
        """Refuse the request if a hard budget is spent (called before it is sent)."""
        if self._ledger.has_budgets:
            self.check_budget()

    def observe(self, record: CallRecord) -> dict[str, object] | None:
        """Price a finished call; return ``{"cost_usd": ...}`` for its event, or ``None``.

        Never raises: bad usage data is logged as ``cost_calculation_skipped``.
        """
        try:
            return self._observe(record)
        # Cost tracking rides along the user's request and must never fail it.
        except Exception as exc:
            # If the logger itself is broken there is nothing left to tell.
            with contextlib.suppress(Exception):
                self._log.warning(
                    "cost_calculation_skipped",
                    model=getattr(record, "model", None),
                    reason=str(exc)[:300],
                    error_type=type(exc).__name__,
                )
            return None

    def _observe(self, record: CallRecord) -> dict[str, object] | None:
        if record.input_tokens is None and record.output_tokens is None:
            return None  # failed before the server counted anything
        counts = (
            record.input_tokens or 0,
            record.output_tokens or 0,
            record.cached_tokens or 0,
            record.cache_write_tokens or 0,
            record.reasoning_tokens or 0,
        )
        for count in counts:  # inline: every call comes here with five good counts
            if type(count) is not int or count < 0:
                counts = _checked(counts)  # a ValueError naming the bad one
                break
        model = record.response_model or record.model
        _check_model(model)
        try:
            price = self._lookup(model, record.provider)
            if price is None and model != record.model:
                price = self._lookup(record.model, record.provider)
        except ImportError as exc:
            price = None
            if not self._missing_data_reported:
                self._missing_data_reported = True
                self._log.warning("price_data_unavailable", reason=str(exc))
        else:
            if price is None:
                self._report_unknown(model, record.provider)
        cost = None if price is None else price.cost(*counts)
        self._record(counts, cost)
        if cost is None:
            return None
        self._check_threshold(model, cost)
        return {"cost_usd": float(cost)}

    # -- keys, usage and budgets ----------------------------------------------------------

    def _current_key(self) -> str | None:
        if self._group_by is None:
            return None
        value = get_contextvars().get(self._group_by)
        return None if value is None else str(value)

    def _record(self, counts: Counts, cost: Decimal | None) -> None:
        notices = self._ledger.add(self._current_key(), counts, cost, self._clock())
        for notice in notices:
            if isinstance(notice, SoftLimitReached):
                self._log.warning(
                    "budget_soft_limit_reached",
                    **self._key_fields(notice.key),
                    spent_usd=float(notice.spent_usd),
                    limit_usd=float(notice.budget.soft_limit_usd or 0),
                    period=notice.budget.period,
                )
            else:
                self._log_day(notice)

    def check_budget(self) -> None:
        """Raise if the current key's hard budget, or the total one, is spent.

        Raises:
            BudgetExceededError: After logging ``budget_exceeded`` (error).
        """
        refusal = self._ledger.refusal(self._current_key(), self._clock())
        if refusal is None:
            return
        key, budget, spent = refusal
        limit = budget.hard_limit_usd
        self._log.error(
            "budget_exceeded",
            **self._key_fields(key),
            spent_usd=float(spent),
            limit_usd=float(limit or 0),
            period=budget.period,
        )
        whose = "all calls" if key is None else f"{self._group_by}={key!r}"
        raise BudgetExceededError(
            f"the {budget.period} budget of ${limit} for {whose} is spent (${spent}); "
            "the request was not sent",
            key=key,
            spent_usd=spent,
            limit_usd=limit,
        )

    def usage_summary(self, key: str | None = None) -> UsageSummary:
        """Return the usage of ``key`` (``None``: all calls) on the last UTC day it was used."""
        return self._ledger.summary(key, self._clock())

    def keys(self) -> list[str]:
        """Return the keys being tracked, least recently used first."""
        return self._ledger.keys()

    def log_usage_summaries(self) -> None:
        """Log ``daily_usage_summary`` for every key and the total.

        A day that has ended is logged once with ``complete=True`` and the key
        starts afresh; today's figures so far are logged with ``complete=False``.
        """
        for report in self._ledger.reports(self._clock()):
            self._log_day(report)

    def _key_fields(self, key: str | None) -> dict[str, object]:
        # The key is always passed, so a different key bound in the context cannot leak in.
        fields: dict[str, object] = {"scope": "total" if key is None else "key"}
        if self._group_by is not None:
            fields[self._group_by] = key
        return fields

    def _log_day(self, report: DayReport) -> None:
        s = report.summary
        extra = {"evicted": True} if report.evicted else {}
        self._log.info(
            "daily_usage_summary",
            **self._key_fields(s.key),
            day=s.day,
            complete=report.complete,
            request_count=s.requests,
            priced_request_count=s.priced_requests,
            input_tokens=s.input_tokens,
            output_tokens=s.output_tokens,
            cached_tokens=s.cached_tokens,
            total_tokens=s.total_tokens,
            total_cost_usd=float(s.cost_usd),
            average_cost_per_request=float(s.average_cost_per_request_usd),
            **extra,
        )
