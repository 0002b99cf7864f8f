"""logmoji: structured, emoji-annotated logs that make LLM applications observable.

Quick start::

    from logmoji import get_logger

    log = get_logger("llm")
    log.info("inference_completed", model="gpt-4", prompt_tokens=150, duration_ms=1250)

LLM features live in :mod:`logmoji.llm` (SDK instrumentation, costs,
monitoring); test helpers in :mod:`logmoji.testing`.
"""

from logmoji.exceptions import BudgetExceededError, ConfigurationError, LogmojiError
from logmoji.logger.config import LLMConfig, LoggingConfig, OTelConfig, TelemetryConfig
from logmoji.logger.context import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    unbind_contextvars,
)
from logmoji.logger.core import Logger, get_logger
from logmoji.logger.emoji.types import EmojiSetConfig
from logmoji.setup import reset, setup_telemetry

__version__ = "0.1.0"

__all__ = [
    "BudgetExceededError",
    "ConfigurationError",
    "EmojiSetConfig",
    "LLMConfig",
    "Logger",
    "LoggingConfig",
    "LogmojiError",
    "OTelConfig",
    "TelemetryConfig",
    "__version__",
    "bind_contextvars",
    "bound_contextvars",
    "clear_contextvars",
    "get_logger",
    "reset",
    "setup_telemetry",
    "unbind_contextvars",
]
