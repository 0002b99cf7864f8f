"""Find the price of a model for :class:`~logmoji.llm.costs.CostTracker`: :class:`PriceLookup`.

The user's prices (``prices=``) are tried first, under the name as given,
lowercased and without its snapshot date; then genai-prices' bundled data
(:class:`~logmoji.llm.costs._prices.BundledPrices`). Each (provider, model) pair is
resolved once and cached, so pricing a call afterwards is one dict lookup. Model
names come from callers and servers, so the cache and the set of unknown names
already reported are both bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from logmoji.llm.costs._model_price import ModelPrice
from logmoji.llm.costs._prices import (
    PRICE_PROVIDERS,
    BundledPrices,
    PriceSchedule,
    strip_date_suffix,
)

__all__ = ["PriceInput", "PriceLookup"]

PriceInput = ModelPrice | Mapping[str, Decimal]
"""A :class:`ModelPrice`, or the spec's per-1k ``{"prompt": ..., "completion": ...}``."""

_MAX_MODELS = 4096  # distinct model names remembered; a bound against garbage names
_UNPRICED = frozenset({"ollama"})


def _price_table(prices: Mapping[str, PriceInput] | None) -> dict[str, ModelPrice]:
    table: dict[str, ModelPrice] = {}
    for model, given in (prices or {}).items():
        if not isinstance(model, str) or not model:
            raise ValueError(f"price table keys must be model names, got {model!r}")
        # Anything but a ModelPrice must be the spec's {"prompt": ..., "completion": ...}.
        price = given if isinstance(given, ModelPrice) else ModelPrice.per_1k(given)
        table[model] = price
        table.setdefault(model.lower(), price)
    return table


class PriceLookup:
    """Look prices up for :class:`~logmoji.llm.costs.CostTracker`, which sets these attributes."""

    _user_prices: dict[str, ModelPrice]
    _bundled: BundledPrices
    _cache: dict[tuple[str | None, str], ModelPrice | PriceSchedule | None]
    _unknown_reported: dict[str, None]
    _misses: threading.Lock
    _clock: Callable[[], float]
    _log: Any

    def price_for(self, model: str, provider: str | None = None) -> ModelPrice:
        """Return the price of ``model`` now.

        Raises:
            ValueError: If no price is known for ``model``.
            ImportError: If genai-prices is missing and ``prices=`` does not cover ``model``.
        """
        _check_model(model)
        price = self._lookup(model, provider)
        if price is None:
            raise ValueError(
                f"no price known for model {model!r}; pass CostTracker(prices="
                f"{{{model!r}: ModelPrice(input=..., output=...)}})"
            )
        return price

    def _lookup(self, model: str, provider: str | None) -> ModelPrice | None:
        """Return the current price of ``model``: a dict lookup once it has been seen."""
        entry = self._cache.get((provider, model))
        if entry is None and (provider, model) not in self._cache:
            entry = self._resolve(model, provider)
            with self._misses:
                if len(self._cache) >= _MAX_MODELS:
                    self._cache.pop(next(iter(self._cache)), None)
                self._cache[provider, model] = entry
        if isinstance(entry, PriceSchedule):
            return entry.at(self._clock())
        return entry

    def _resolve(self, model: str, provider: str | None) -> ModelPrice | PriceSchedule | None:
        lowered = model.lower()
        for name in (model, lowered, strip_date_suffix(lowered)):
            if name in self._user_prices:
                return self._user_prices[name]
        if provider is not None:
            if provider in _UNPRICED or provider.endswith("_compatible"):
                return None  # a local model, or a server nobody can price: no invented price
            provider = PRICE_PROVIDERS.get(provider, provider)
        return self._bundled.lookup(model, provider)

    def _report_unknown(self, model: str, provider: str | None) -> None:
        if model in self._unknown_reported:
            return
        with self._misses:
            if model in self._unknown_reported:
                return
            if len(self._unknown_reported) >= _MAX_MODELS:
                self._unknown_reported.pop(next(iter(self._unknown_reported)), None)
            self._unknown_reported[model] = None
        self._log.warning(
            "unknown_model_pricing",
            model=model,
            provider=provider,
            hint="pass CostTracker(prices={model: ModelPrice(...)})",
        )


def _check_model(model: object) -> None:
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model must be a model name such as 'gpt-4o', got {model!r}")
