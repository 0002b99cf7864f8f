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

if TYPE_CHECKING:
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

# The logging core, and structlog under it, are imported on first use of one of
# these names, not by ``import logmoji``: the ``logmoji report`` command and a
# library that only imports logmoji's exceptions never load them.
_LAZY = {
    "EmojiSetConfig": "logmoji.logger.emoji.types",
    "LLMConfig": "logmoji.logger.config",
    "Logger": "logmoji.logger.core",
    "LoggingConfig": "logmoji.logger.config",
    "OTelConfig": "logmoji.logger.config",
    "TelemetryConfig": "logmoji.logger.config",
    "bind_contextvars": "logmoji.logger.context",
    "bound_contextvars": "logmoji.logger.context",
    "clear_contextvars": "logmoji.logger.context",
    "get_logger": "logmoji.logger.core",
    "reset": "logmoji.setup",
    "setup_telemetry": "logmoji.setup",
    "unbind_contextvars": "logmoji.logger.context",
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
