"""Add up usage and spending per key and in total: :class:`Ledger`, with :class:`Budget` limits.

The ledger only counts; it logs nothing. It hands back what is worth telling
(a finished day, a soft limit reached) for :class:`~logmoji.llm.costs.CostTracker`
to log. Usage is counted per UTC day; budgets per their own period. The
number of keys is capped: the least recently used key is dropped first, and
its day so far is handed back so it is not lost silently.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from logmoji.llm.costs._model_price import to_usd

__all__ = ["Budget", "DayReport", "Ledger", "SoftLimitReached", "UsageSummary"]

DAY = 86_400
_ZERO = Decimal(0)
Counts = tuple[int, int, int, int, int]
"""Tokens of one call: input, output, cached, cache write, reasoning."""


@dataclass(frozen=True, slots=True)
class Budget:
    """Spending limits in USD for one period (``"day"`` and ``"month"`` are UTC).

    Args:
        soft_limit_usd: Log ``budget_soft_limit_reached`` (warning) once per period.
        hard_limit_usd: Once this much is spent, refuse requests until the period
            ends (a limit of 0 refuses every request).
        period: ``"day"``, ``"month"`` or ``"total"`` (never resets).
    """

    soft_limit_usd: Decimal | None = None
    hard_limit_usd: Decimal | None = None
    period: Literal["day", "month", "total"] = "day"

    def __post_init__(self) -> None:
        if self.soft_limit_usd is None and self.hard_limit_usd is None:
            raise ValueError("a Budget needs soft_limit_usd, hard_limit_usd or both")
        if self.period not in ("day", "month", "total"):
            raise ValueError(f"period must be 'day', 'month' or 'total', got {self.period!r}")
        for name in ("soft_limit_usd", "hard_limit_usd"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, to_usd(value, name))

    def period_of(self, timestamp: float) -> int:
        """Return a number naming the period that contains ``timestamp``."""
        if self.period == "day":
            return int(timestamp // DAY)
        if self.period == "month":
            moment = time.gmtime(timestamp)
            return moment.tm_year * 12 + moment.tm_mon
        return 0


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """One key's usage over one UTC day (``key`` is ``None`` for all keys together).

    ``priced_requests`` leaves out calls to models without a known price, whose
    tokens are still counted; the cost and its average cover priced calls only.
    """

    key: str | None
    day: str
    requests: int = 0
    priced_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = _ZERO

    @property
    def total_tokens(self) -> int:
        """Return input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @property
    def average_cost_per_request_usd(self) -> Decimal:
        """Return the cost per priced request (0 when none was priced)."""
        return self.cost_usd / self.priced_requests if self.priced_requests else _ZERO


@dataclass(frozen=True, slots=True)
class DayReport:
    """A day's usage to log: finished (``complete``), so far, or of a dropped key."""

    summary: UsageSummary
    complete: bool
    evicted: bool = False


@dataclass(frozen=True, slots=True)
class SoftLimitReached:
    """A key (``None``: the total) reached its soft limit; told once per period."""

    key: str | None
    budget: Budget
    spent_usd: Decimal


def day_name(day: int) -> str:
    """Return the UTC date of day number ``day`` as ``YYYY-MM-DD``."""
    return time.strftime("%Y-%m-%d", time.gmtime(day * DAY))


class _Account:
    """Running totals of one key: one day's usage and its budget period's spending."""

    __slots__ = (
        "budget",
        "cached",
        "cost",
        "day",
        "input",
        "key",
        "output",
        "period",
        "priced",
        "reasoning",
        "requests",
        "soft_warned",
        "spent",
    )

    def __init__(self, key: str | None, budget: Budget | None, day: int) -> None:
        self.key = key
        self.budget = budget
        self.period = -1
        self.spent = _ZERO
        self.soft_warned = False
        self.reset(day)

    def reset(self, day: int) -> None:
        self.day = day
        self.requests = self.priced = self.input = self.output = self.cached = self.reasoning = 0
        self.cost = _ZERO

    def summary(self) -> UsageSummary:
        return UsageSummary(
            self.key,
            day_name(self.day),
            self.requests,
            self.priced,
            self.input,
            self.output,
            self.cached,
            self.reasoning,
            self.cost,
        )

    def spent_in(self, period: int) -> Decimal:
        return self.spent if period == self.period else _ZERO


class Ledger:
    """Count calls per key and in total; thread-safe.

    Args:
        budgets: ``{key: Budget}``; ``"*"`` applies to keys not listed.
        total_budget: Limits for all calls together.
        max_keys: Most keys kept at once.
    """

    def __init__(
        self, budgets: Mapping[str, Budget], total_budget: Budget | None, max_keys: int, now: float
    ) -> None:
        self._budgets = dict(budgets)
        self._max_keys = max_keys
        self._total = _Account(None, total_budget, int(now // DAY))
        self._accounts: OrderedDict[str, _Account] = OrderedDict()
        self._lock = threading.Lock()
        self.has_budgets = bool(self._budgets) or total_budget is not None

    def _budget_for(self, key: str) -> Budget | None:
        return self._budgets.get(key) or self._budgets.get("*")

    def add(
        self,
        key: str | None,
        counts: Counts,
        cost: Decimal | None,
        now: float,
    ) -> list[DayReport | SoftLimitReached]:
        """Count one call for ``key`` and the total; return what is worth logging."""
        notices: list[DayReport | SoftLimitReached] = []
        with self._lock:
            accounts = [self._total]
            if key is not None:
                account = self._accounts.get(key)
                if account is not None:
                    self._accounts.move_to_end(key)
                else:
                    account = _Account(key, self._budget_for(key), int(now // DAY))
                    self._accounts[key] = account
                    if len(self._accounts) > self._max_keys:
                        dropped = self._accounts.popitem(last=False)[1]
                        if dropped.requests:
                            notices.append(DayReport(dropped.summary(), False, evicted=True))
                accounts.append(account)
            for account in accounts:
                _count(account, counts, cost, now, notices)
        return notices

    def refusal(self, key: str | None, now: float) -> tuple[str | None, Budget, Decimal] | None:
        """Return ``(key, budget, spent)`` for a spent hard budget, or ``None`` to go ahead."""
        with self._lock:
            candidates: list[tuple[str | None, Budget | None, Decimal]] = []
            if key is not None:
                account = self._accounts.get(key)
                budget = self._budget_for(key) if account is None else account.budget
                spent = _ZERO
                if account is not None and budget is not None:
                    spent = account.spent_in(budget.period_of(now))
                candidates.append((key, budget, spent))
            total = self._total.budget
            if total is not None:
                candidates.append((None, total, self._total.spent_in(total.period_of(now))))
        for who, budget, spent in candidates:
            limit = None if budget is None else budget.hard_limit_usd
            if budget is not None and limit is not None and spent >= limit:
                return who, budget, spent
        return None

    def summary(self, key: str | None, now: float) -> UsageSummary:
        """Return ``key``'s usage (``None``: the total) on the last day it was used."""
        with self._lock:
            account = self._total if key is None else self._accounts.get(key)
            if account is None:
                return UsageSummary(key, day_name(int(now // DAY)))
            return account.summary()

    def keys(self) -> list[str]:
        """Return the keys kept, least recently used first."""
        with self._lock:
            return list(self._accounts)

    def reports(self, now: float) -> list[DayReport]:
        """Close every finished day (reported once, complete) and report today's so far."""
        day = int(now // DAY)
        reports: list[DayReport] = []
        with self._lock:
            for account in [*self._accounts.values(), self._total]:
                if account.day != day:
                    if account.requests:
                        reports.append(DayReport(account.summary(), complete=True))
                    account.reset(day)
                elif account.requests:
                    reports.append(DayReport(account.summary(), complete=False))
        return reports


def _count(
    account: _Account,
    counts: Counts,
    cost: Decimal | None,
    now: float,
    notices: list[DayReport | SoftLimitReached],
) -> None:
    day = int(now // DAY)
    if account.day != day:
        if account.requests:
            notices.append(DayReport(account.summary(), complete=True))
        account.reset(day)
    account.requests += 1
    account.input += counts[0]
    account.output += counts[1]
    account.cached += counts[2]
    account.reasoning += counts[4]
    if cost is None:
        return
    account.priced += 1
    account.cost += cost
    budget = account.budget
    if budget is None:
        return
    period = budget.period_of(now)
    if period != account.period:
        account.period, account.spent, account.soft_warned = period, _ZERO, False
    account.spent += cost
    soft = budget.soft_limit_usd
    if soft is not None and not account.soft_warned and account.spent >= soft:
        account.soft_warned = True
        notices.append(SoftLimitReached(account.key, budget, account.spent))
