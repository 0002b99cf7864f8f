"""logmoji: structured, emoji-annotated logs that make LLM applications observable.

Quick start::

    from logmoji import get_logger

    log = get_logger("llm")
    log.info("inference_completed", model="gpt-4", prompt_tokens=150, duration_ms=1250)

LLM features live in :mod:`logmoji.llm` (SDK instrumentation, costs,
monitoring); test helpers in :mod:`logmoji.testing`.
"""

from typing import TYPE_CHECKING

from logmoji._lazy import lazy_names
from logmoji.exceptions import BudgetExceededError, ConfigurationError, LogmojiError
from logmoji.logger.context import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    unbind_contextvars,
)

if TYPE_CHECKING:
    from logmoji.logger.config import LLMConfig, LoggingConfig, OTelConfig, TelemetryConfig
    from logmoji.logger.core import Logger, get_logger
    from logmoji.logger.emoji.types import EmojiSetConfig
    from logmoji.setup import reset, setup_telemetry

# The logging core is imported on first use of one of these names, not by
# ``import logmoji``: a library that only imports logmoji pays for structlog alone.
_LAZY = {
    "EmojiSetConfig": "logmoji.logger.emoji.types",
    "LLMConfig": "logmoji.logger.config",
    "Logger": "logmoji.logger.core",
    "LoggingConfig": "logmoji.logger.config",
    "OTelConfig": "logmoji.logger.config",
    "TelemetryConfig": "logmoji.logger.config",
    "get_logger": "logmoji.logger.core",
    "reset": "logmoji.setup",
    "setup_telemetry": "logmoji.setup",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)


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
