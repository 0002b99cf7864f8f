"""The logging core: loggers, configuration, renderers, redaction and the stdlib bridge.

The names below are imported on first use (PEP 562), so that importing a
submodule such as :mod:`logmoji.logger.context` (which ``import logmoji``
does) does not build the whole core: ``logmoji report`` never logs.
"""

from typing import TYPE_CHECKING

from logmoji._lazy import lazy_names

if TYPE_CHECKING:
    from logmoji.logger.config import LoggingConfig, TelemetryConfig
    from logmoji.logger.core import Logger, get_logger

_LAZY = {
    "Logger": "logmoji.logger.core",
    "LoggingConfig": "logmoji.logger.config",
    "TelemetryConfig": "logmoji.logger.config",
    "get_logger": "logmoji.logger.core",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)


__all__ = ["Logger", "LoggingConfig", "TelemetryConfig", "get_logger"]
