"""LLM features: SDK instrumentation, costs, monitoring, agents, caching, batches, lifecycle.

The parts: :mod:`.instrumentation` (the SDK hooks, one module per provider in
``instrumentation/providers``), :mod:`.costs`, :mod:`.monitor`, :mod:`.agents`
and :mod:`.frameworks`; ``cache``, ``batch``, ``lifecycle`` and ``tokens`` beside
them; ``_record`` (a finished call), ``_runs`` (a run's totals) and
``_defaults`` (the process-wide tracker and monitor) are shared by all.

Names are imported on first use, so ``import logmoji.llm`` loads no SDK and
no price data.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logmoji.llm._defaults import cost_tracker, default_observers, performance_monitor
    from logmoji.llm._record import CallObserver, CallRecord
    from logmoji.llm.agents import AgentRun, ToolExecution, agent_run, track_tool
    from logmoji.llm.batch import BatchProcessor, BatchResult, RequestOutcome
    from logmoji.llm.cache import CacheStats, ResponseCache
    from logmoji.llm.costs import Budget, CostTracker, ModelPrice, PriceTier, UsageSummary
    from logmoji.llm.instrumentation import (
        Instrumentation,
        instrument,
        instrument_anthropic,
        instrument_google,
        instrument_openai,
    )
    from logmoji.llm.instrumentation.errors import ErrorInfo, classify_error
    from logmoji.llm.instrumentation.providers._litellm_hook import instrument_litellm
    from logmoji.llm.instrumentation.ratelimits import (
        RateLimit,
        RateLimitState,
        lowest_remaining_ratio,
        parse_rate_limit_headers,
    )
    from logmoji.llm.lifecycle import ModelLoad, TrainingRun, track_model_load, track_training
    from logmoji.llm.monitor import PerformanceMonitor, Snapshot
    from logmoji.llm.monitor.sketch import DDSketch
    from logmoji.llm.tokens import TokenEstimate, estimate_tokens

_WHERE = {
    "AgentRun": "agents",
    "BatchProcessor": "batch",
    "BatchResult": "batch",
    "Budget": "costs",
    "CacheStats": "cache",
    "CallObserver": "_record",
    "CallRecord": "_record",
    "CostTracker": "costs",
    "DDSketch": "monitor",
    "ErrorInfo": "instrumentation.errors",
    "Instrumentation": "instrumentation",
    "ModelLoad": "lifecycle",
    "ModelPrice": "costs",
    "PerformanceMonitor": "monitor",
    "PriceTier": "costs",
    "RateLimit": "instrumentation.ratelimits",
    "RateLimitState": "instrumentation.ratelimits",
    "RequestOutcome": "batch",
    "ResponseCache": "cache",
    "Snapshot": "monitor",
    "TokenEstimate": "tokens",
    "ToolExecution": "agents",
    "TrainingRun": "lifecycle",
    "UsageSummary": "costs",
    "agent_run": "agents",
    "classify_error": "instrumentation.errors",
    "cost_tracker": "_defaults",
    "default_observers": "_defaults",
    "estimate_tokens": "tokens",
    "instrument": "instrumentation",
    "instrument_anthropic": "instrumentation",
    "instrument_google": "instrumentation",
    "instrument_litellm": "instrumentation.providers._litellm_hook",
    "instrument_openai": "instrumentation",
    "lowest_remaining_ratio": "instrumentation.ratelimits",
    "parse_rate_limit_headers": "instrumentation.ratelimits",
    "performance_monitor": "_defaults",
    "track_model_load": "lifecycle",
    "track_tool": "agents",
    "track_training": "lifecycle",
}

__all__ = [
    "AgentRun",
    "BatchProcessor",
    "BatchResult",
    "Budget",
    "CacheStats",
    "CallObserver",
    "CallRecord",
    "CostTracker",
    "DDSketch",
    "ErrorInfo",
    "Instrumentation",
    "ModelLoad",
    "ModelPrice",
    "PerformanceMonitor",
    "PriceTier",
    "RateLimit",
    "RateLimitState",
    "RequestOutcome",
    "ResponseCache",
    "Snapshot",
    "TokenEstimate",
    "ToolExecution",
    "TrainingRun",
    "UsageSummary",
    "agent_run",
    "classify_error",
    "cost_tracker",
    "default_observers",
    "estimate_tokens",
    "instrument",
    "instrument_anthropic",
    "instrument_google",
    "instrument_litellm",
    "instrument_openai",
    "lowest_remaining_ratio",
    "parse_rate_limit_headers",
    "performance_monitor",
    "track_model_load",
    "track_tool",
    "track_training",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'logmoji.llm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"logmoji.llm.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
