"""The logging core: loggers, configuration, renderers, redaction and the stdlib bridge."""

from logmoji.logger.config import LoggingConfig, TelemetryConfig
from logmoji.logger.core import Logger, get_logger

__all__ = ["Logger", "LoggingConfig", "TelemetryConfig", "get_logger"]
