"""The logging core: loggers, configuration, renderers, redaction and the stdlib bridge.

The names below are imported on first use (PEP 562), so that importing a
submodule such as :mod:`logmoji.logger.context` (which ``import logmoji``
does) does not build the whole core: ``logmoji report`` never logs.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logmoji.logger.config import LoggingConfig, TelemetryConfig
    from logmoji.logger.core import Logger, get_logger

_LAZY = {
    "Logger": "logmoji.logger.core",
    "LoggingConfig": "logmoji.logger.config",
    "TelemetryConfig": "logmoji.logger.config",
    "get_logger": "logmoji.logger.core",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'logmoji.logger' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups find it directly
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["Logger", "LoggingConfig", "TelemetryConfig", "get_logger"]
