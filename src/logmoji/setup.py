"""Set-up: :func:`setup_telemetry` configures logging once, :func:`reset` undoes it."""

from __future__ import annotations

import os
from collections.abc import Mapping

from logmoji.exceptions import ConfigurationError
from logmoji.logger import core
from logmoji.logger.config import ResolvedLoggingConfig, TelemetryConfig

__all__ = ["reset", "setup_telemetry"]


def setup_telemetry(
    config: TelemetryConfig | None = None, *, environ: Mapping[str, str] | None = None
) -> ResolvedLoggingConfig:
    """Configure logging from ``config``, reading ``environ`` for fields left out.

    Calling it again replaces the previous configuration (no line is written
    twice). Loggers made earlier with :func:`~logmoji.get_logger` follow.

    Args:
        config: What to set up; ``None`` means defaults plus the environment.
        environ: The environment to read (``os.environ`` by default).

    Returns:
        The logging settings in force.

    Raises:
        ConfigurationError: a value in ``config`` or the environment is wrong.
    """
    if config is None:
        config = TelemetryConfig()
    if not isinstance(config, TelemetryConfig):
        raise ConfigurationError(
            f"setup_telemetry takes a TelemetryConfig(...), not {type(config).__name__}"
        )
    env = os.environ if environ is None else environ
    resolved = config.logging.resolve(env)
    llm = config.llm.resolve(env)
    core.configure(resolved)
    from logmoji.llm import _defaults

    _defaults.configure(llm)
    return resolved


def reset() -> None:
    """Undo :func:`setup_telemetry`: the next log call configures from the environment."""
    core.unconfigure()
    from logmoji.llm import _defaults

    _defaults.configure(None)
