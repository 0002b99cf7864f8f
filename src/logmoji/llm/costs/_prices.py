"""Find models in genai-prices' bundled data and convert them once: :class:`BundledPrices`.

The bundled data comes from ``genai-prices`` (the ``prices`` extra): its
snapshot ships inside the package and is read offline. logmoji never starts
its background updater, so no price is ever fetched over the network.

genai-prices is imported on the first lookup, not at ``import logmoji``. Each
model found is converted once into a :class:`ModelPrice` (or a
:class:`PriceSchedule` when its price changes over time), so pricing a call
afterwards is plain ``Decimal`` arithmetic. :class:`ModelPrice`,
:class:`PriceTier` and :func:`to_usd` live in ``_model_price`` and are
re-exported here.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from logmoji.llm.costs._model_price import ModelPrice, PriceTier, to_usd

if TYPE_CHECKING:
    from genai_prices import types as gp

__all__ = [
    "PRICE_PROVIDERS",
    "BundledPrices",
    "ModelPrice",
    "PriceSchedule",
    "PriceTier",
    "strip_date_suffix",
    "to_usd",
]

_ZERO = Decimal(0)
_INSTALL_HINT = "pip install 'logmoji[prices]'"
_DAY = 86_400
#: logmoji's provider names (OTel GenAI's well-known ones) to genai-prices' provider ids;
#: a provider not here gets no bundled price.
PRICE_PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure.ai.openai": "azure",
    "groq": "groq",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "together": "together",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "perplexity": "perplexity",
    "fireworks": "fireworks",
    "cerebras": "cerebras",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "aws.bedrock": "aws",
    "cohere": "cohere",
}
# Server replies name dated snapshots: "-2024-08-06", "-20250929", Vertex's "@20241022".
_DATE_SUFFIX = re.compile(r"(?:[-@]\d{4}-\d{2}-\d{2}|[-@]\d{8})$")


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
        provider = PRICE_PROVIDERS.get(provider, provider) if provider else provider
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
