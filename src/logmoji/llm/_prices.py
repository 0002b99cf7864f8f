"""Model prices: :class:`ModelPrice` for users, and the bundled genai-prices data behind it.

Prices are USD per million tokens, as providers publish them. The bundled
data comes from ``genai-prices`` (the ``prices`` extra): its snapshot ships
inside the package and is read offline. logmoji never starts its background
updater, so no price is ever fetched over the network.

genai-prices is imported on the first lookup, not at ``import logmoji``. Each
model found is converted once into a :class:`ModelPrice` (or a
:class:`PriceSchedule` when its price changes over time), so pricing a call
afterwards is plain ``Decimal`` arithmetic.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genai_prices import types as gp

__all__ = [
    "BundledPrices",
    "ModelPrice",
    "PriceSchedule",
    "PriceTier",
    "strip_date_suffix",
    "to_usd",
]

_MILLION = Decimal(1_000_000)
_ZERO = Decimal(0)
_INSTALL_HINT = "pip install 'logmoji[prices]'"
_DAY = 86_400
# Server replies name dated snapshots: "-2024-08-06", "-20250929", Vertex's "@20241022".
_DATE_SUFFIX = re.compile(r"(?:[-@]\d{4}-\d{2}-\d{2}|[-@]\d{8})$")

# (input, cached input, cache write, output, reasoning), each already defaulted.
_Rates = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]


def to_usd(value: object, what: str) -> Decimal:
    """Return ``value`` as a finite, non-negative ``Decimal``, or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueError(f"{what} must be a Decimal such as Decimal('2.50'), got {value!r}")
    if isinstance(value, float):
        # repr() keeps 2.5 as 2.5 instead of the binary expansion Decimal(2.5) would give.
        value = repr(value)
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise ValueError(
            f"{what} must be a number such as Decimal('2.50'), got {value!r}"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what} must be a finite amount of at least 0, got {value!r}")
    return amount


def _optional_usd(value: object, what: str) -> Decimal | None:
    return None if value is None else to_usd(value, what)


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Rates that apply to the whole call once its input exceeds ``above_input_tokens``.

    This is the providers' "cliff" model: a 250k-token prompt pays the tier
    rate for every token, not only for those past the threshold. Rates left
    at ``None`` fall back as in :class:`ModelPrice`.
    """

    above_input_tokens: int
    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None

    def __post_init__(self) -> None:
        threshold = self.above_input_tokens
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise ValueError(f"above_input_tokens must be an int of at least 0, got {threshold!r}")
        _convert_rates(self)

    def _rates(self) -> _Rates:
        return _defaulted(
            self.input, self.output, self.cached_input, self.cache_write, self.reasoning
        )


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """Prices of one model in USD per million tokens.

    Args:
        input: Price of an uncached input token.
        output: Price of an output token (reasoning tokens included).
        cached_input: Price of an input token read from the prompt cache;
            ``None`` bills cached tokens at the ``input`` rate.
        cache_write: Price of an input token written to the prompt cache;
            ``None`` bills them at the ``input`` rate.
        reasoning: Price of a reasoning token when it differs from ``output``.
        tiers: Higher rates for long prompts, see :class:`PriceTier`.
    """

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    tiers: tuple[PriceTier, ...] = ()
    _base: _Rates = field(init=False, repr=False, compare=False)
    _tiers_desc: tuple[tuple[int, _Rates], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _convert_rates(self)
        tiers = tuple(self.tiers)
        if not all(isinstance(tier, PriceTier) for tier in tiers):
            raise ValueError(
                "tiers must be PriceTier(above_input_tokens=..., input=..., output=...)"
            )
        thresholds = [tier.above_input_tokens for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError(f"tier thresholds must differ, got {sorted(thresholds)}")
        ordered = sorted(tiers, key=lambda tier: tier.above_input_tokens)
        object.__setattr__(self, "tiers", tuple(ordered))
        object.__setattr__(
            self,
            "_base",
            _defaulted(
                self.input, self.output, self.cached_input, self.cache_write, self.reasoning
            ),
        )
        object.__setattr__(
            self,
            "_tiers_desc",
            tuple((tier.above_input_tokens, tier._rates()) for tier in reversed(ordered)),
        )

    @classmethod
    def per_1k(cls, prices: object) -> ModelPrice:
        """Build a price from the spec's per-1k dict ``{"prompt": ..., "completion": ...}``."""
        if not isinstance(prices, Mapping) or set(prices) != {"prompt", "completion"}:
            raise ValueError(
                "a per-1k price must be {'prompt': Decimal(...), 'completion': Decimal(...)}, "
                f"got {prices!r}; use ModelPrice(input=..., output=...) for per-million prices"
            )
        return cls(
            input=to_usd(prices["prompt"], "prompt price") * 1000,
            output=to_usd(prices["completion"], "completion price") * 1000,
        )

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> Decimal:
        """Return the exact USD cost of one call; counts are non-negative ints.

        ``input_tokens`` includes cached and cache-write tokens and
        ``output_tokens`` includes reasoning tokens, as the providers count
        them, so nothing is billed twice.

        Raises:
            ValueError: If the parts exceed their totals.
        """
        uncached = input_tokens - cached_tokens - cache_write_tokens
        if uncached < 0:
            raise ValueError(
                f"cached_tokens ({cached_tokens}) + cache_write_tokens ({cache_write_tokens}) "
                f"exceed input_tokens ({input_tokens}); input_tokens must include them"
            )
        visible = output_tokens - reasoning_tokens
        if visible < 0:
            raise ValueError(
                f"reasoning_tokens ({reasoning_tokens}) exceed output_tokens "
                f"({output_tokens}); output_tokens must include them"
            )
        rates = self._base
        for threshold, tier_rates in self._tiers_desc:
            if input_tokens > threshold:
                rates = tier_rates
                break
        rate_in, rate_cached, rate_write, rate_out, rate_reasoning = rates
        total = rate_in * uncached + rate_out * visible
        if cached_tokens:
            total += rate_cached * cached_tokens
        if cache_write_tokens:
            total += rate_write * cache_write_tokens
        if reasoning_tokens:
            total += rate_reasoning * reasoning_tokens
        return total / _MILLION


def _convert_rates(prices: ModelPrice | PriceTier) -> None:
    object.__setattr__(prices, "input", to_usd(prices.input, "input price"))
    object.__setattr__(prices, "output", to_usd(prices.output, "output price"))
    for name in ("cached_input", "cache_write", "reasoning"):
        object.__setattr__(prices, name, _optional_usd(getattr(prices, name), f"{name} price"))


def _defaulted(
    rate_in: Decimal,
    rate_out: Decimal,
    cached: Decimal | None,
    write: Decimal | None,
    reasoning: Decimal | None,
) -> _Rates:
    return (
        rate_in,
        rate_in if cached is None else cached,
        rate_in if write is None else write,
        rate_out,
        rate_out if reasoning is None else reasoning,
    )


@dataclass(frozen=True, slots=True)
class _When:
    """When a scheduled price applies, as plain numbers so checking it costs no datetime."""

    starts_at: float = -math.inf
    daily_from: float | None = None  # seconds after UTC midnight
    daily_to: float | None = None
    fallback: Callable[[datetime], bool] | None = None

    def active(self, timestamp: float) -> bool:
        if self.fallback is not None:
            return self.fallback(datetime.fromtimestamp(timestamp, UTC))
        if timestamp < self.starts_at:
            return False
        if self.daily_from is None or self.daily_to is None:
            return True
        second = timestamp % _DAY
        if self.daily_to < self.daily_from:  # the window wraps past midnight
            return second >= self.daily_from or second < self.daily_to
        return self.daily_from <= second < self.daily_to


@dataclass(frozen=True, slots=True)
class PriceSchedule:
    """Prices that change with time (a price cut, off-peak hours): the last active one wins."""

    default: ModelPrice
    changes: tuple[tuple[_When, ModelPrice], ...]

    def at(self, timestamp: float) -> ModelPrice:
        """Return the price in force at ``timestamp`` (seconds since the epoch)."""
        for when, price in reversed(self.changes):
            if when.active(timestamp):
                return price
        return self.default


def strip_date_suffix(model: str) -> str:
    """Return ``model`` without a trailing snapshot date (``gpt-4o-2024-08-06`` → ``gpt-4o``)."""
    return _DATE_SUFFIX.sub("", model)


class BundledPrices:
    """Find models in genai-prices' bundled snapshot, importing it on first use."""

    def __init__(self) -> None:
        self._snapshot: Any = None
        self._error: ImportError | None = None

    def lookup(self, model: str, provider: str | None) -> ModelPrice | PriceSchedule | None:
        """Return the price of ``model`` (``provider`` is a hint), or ``None`` if unknown.

        Raises:
            ImportError: If genai-prices is not installed.
        """
        providers = self._providers()
        lowered = model.lower()
        # The hint first, then any provider; a router's "anthropic/claude-3-haiku" names
        # its provider; and last, the name without its snapshot date.
        attempts: list[tuple[str | None, str]] = [(None, lowered)]
        if provider:
            attempts.insert(0, (provider, lowered))
        if "/" in lowered:
            prefix, _, rest = lowered.partition("/")
            attempts.append((prefix, rest))
        attempts += [(hint, strip_date_suffix(name)) for hint, name in attempts]
        for hint, name in dict.fromkeys(attempts):
            info = _find(providers, name, hint) if name else None
            if info is not None:
                return _convert_model(info)
        return None

    def _providers(self) -> list[gp.Provider]:
        if self._error is not None:
            raise self._error
        if self._snapshot is None:
            try:
                from genai_prices import data_snapshot
            except ImportError as exc:
                self._error = ImportError(
                    f"pricing models needs genai-prices: {_INSTALL_HINT}, or pass "
                    "CostTracker(prices={...}) for every model you use"
                )
                self._error.__cause__ = exc
                raise self._error from exc
            # get_snapshot() is the bundled data unless the user started genai-prices'
            # own UpdatePrices; logmoji never does.
            self._snapshot = data_snapshot.get_snapshot()
        providers: list[gp.Provider] = self._snapshot.providers
        return providers


def _find(providers: list[gp.Provider], model: str, provider_id: str | None) -> gp.ModelInfo | None:
    # Matched by hand instead of DataSnapshot.find_provider_model(): that one caches
    # every model name it is asked about, so arbitrary names would grow it forever.
    from genai_prices.data_snapshot import find_provider_by_id

    if provider_id is not None:
        found = find_provider_by_id(providers, provider_id)
        return None if found is None else found.find_model(model, all_providers=providers)
    for candidate in providers:
        if candidate.model_match is not None and candidate.model_match.is_match(model):
            return candidate.find_model(model, all_providers=providers)
    return None


def _convert_model(info: gp.ModelInfo) -> ModelPrice | PriceSchedule | None:
    from genai_prices import types as gp_types

    if isinstance(info.prices, gp_types.ModelPrice):
        return _convert_price(info.prices)
    if not info.prices:
        return None
    default = _convert_price(info.prices[0].prices)
    if default is None:
        return None
    changes: list[tuple[_When, ModelPrice]] = []
    for conditional in info.prices:
        price = _convert_price(conditional.prices)
        if price is not None:
            changes.append((_convert_constraint(conditional.constraint), price))
    if all(when == _When() for when, _ in changes):
        return changes[-1][1] if changes else default
    return PriceSchedule(default, tuple(changes))


def _convert_constraint(constraint: object) -> _When:
    from genai_prices import types as gp_types

    if constraint is None:
        return _When()
    if isinstance(constraint, gp_types.StartDateConstraint):
        return _When(starts_at=float(calendar.timegm(constraint.start_date.timetuple())))
    if isinstance(constraint, gp_types.TimeOfDateConstraint):
        return _When(
            daily_from=_utc_seconds(constraint.start_time),
            daily_to=_utc_seconds(constraint.end_time),
        )
    active = getattr(constraint, "active", None)
    if callable(active):
        return _When(fallback=active)
    return _When()


def _utc_seconds(moment: clock_time) -> float:
    if moment.tzinfo is not None:
        moment = datetime.combine(date(1970, 1, 1), moment).astimezone(UTC).time()
    return float(moment.hour * 3600 + moment.minute * 60 + moment.second) + moment.microsecond / 1e6


_GENAI_KEYS = (
    "input_mtok",
    "output_mtok",
    "cache_read_mtok",
    "cache_write_mtok",
    "output_reasoning_mtok",
)


def _convert_price(price: gp.ModelPrice) -> ModelPrice | None:
    """Turn genai-prices' per-key tiers into one set of rates per threshold."""
    from genai_prices import types as gp_types

    raw = [price.__dict__.get(key) for key in _GENAI_KEYS]
    if raw[0] is None and raw[1] is None:
        return None  # priced per request, hour or image only: not a token price we can apply
    starts = sorted(
        {
            tier.start
            for value in raw
            if isinstance(value, gp_types.TieredPrices)
            for tier in value.tiers
        }
    )

    def rate(value: object, start: int | None) -> Decimal | None:
        if not isinstance(value, gp_types.TieredPrices):
            return value if isinstance(value, Decimal) else None
        chosen = value.base
        for tier in value.tiers:  # ascending after TieredPrices.__post_init__
            if start is not None and tier.start <= start:
                chosen = tier.price
        return chosen

    def rates(start: int | None) -> Sequence[Decimal | None]:
        return [rate(value, start) for value in raw]

    base = rates(None)
    tiers = []
    for start in starts:
        r_in, r_out, r_cached, r_write, r_reasoning = rates(start)
        tiers.append(
            PriceTier(
                above_input_tokens=start,
                input=r_in or _ZERO,
                output=r_out or _ZERO,
                cached_input=r_cached,
                cache_write=r_write,
                reasoning=r_reasoning,
            )
        )
    return ModelPrice(
        input=base[0] or _ZERO,
        output=base[1] or _ZERO,
        cached_input=base[2],
        cache_write=base[3],
        reasoning=base[4],
        tiers=tuple(tiers),
    )
