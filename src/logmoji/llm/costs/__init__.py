"""What LLM calls cost: prices (genai-prices, offline, or yours), the ledger, budgets.

* ``tracker``: :class:`CostTracker`, the observer that prices each call;
* ``_prices``, ``_price_lookup``, ``_model_price``: bundled and user prices,
  looked up once per (provider, model) and cached;
* ``_ledger``: per-user usage and budgets.
"""

from logmoji.llm.costs._ledger import Budget, UsageSummary
from logmoji.llm.costs._model_price import ModelPrice, PriceTier
from logmoji.llm.costs.tracker import CostTracker

__all__ = ["Budget", "CostTracker", "ModelPrice", "PriceTier", "UsageSummary"]
