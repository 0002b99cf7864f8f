"""Set-up: :func:`setup_telemetry` configures logging once, :func:`reset` undoes it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from logmoji.exceptions import ConfigurationError
from logmoji.logger import _pipeline
from logmoji.logger.config import (
    OTelConfig,
    ResolvedLoggingConfig,
    ResolvedOTelConfig,
    TelemetryConfig,
)

if TYPE_CHECKING:
    from logmoji.otel._setup import OTelPipeline

__all__ = ["reset", "setup_telemetry"]


def setup_telemetry(
    config: TelemetryConfig | None = None, *, environ: Mapping[str, str] | None = None
) -> ResolvedLoggingConfig:
    """Configure logging from ``config``, reading ``environ`` for fields left out.

    Calling it again replaces the previous configuration (no line is written
    twice). Loggers made earlier with :func:`~logmoji.get_logger` follow.

    OpenTelemetry export starts here when ``config.otel`` or the environment
    asks for it (``OTEL_EXPORTER_OTLP_ENDPOINT``); clients instrumented
    afterwards get a span per call, and every event becomes a log record.

    Args:
        config: What to set up; ``None`` means defaults plus the environment.
        environ: The environment to read (``os.environ`` by default).

    Returns:
        The logging settings in force.

    Raises:
        ConfigurationError: a value in ``config`` or the environment is wrong.
        ImportError: export is asked for but the ``otel`` extra is missing.
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
    otel = (config.otel or OTelConfig()).resolve(env, config.service_name)
    pipeline = _start_otel(otel, resolved) if otel.enabled else None
    extra = _pipeline._STATE.extra_processors
    saved = list(extra)
    # Set before configure(), which builds the chain with them before the renderer.
    extra[:] = pipeline.processors if pipeline is not None else ()
    try:
        _pipeline.configure(resolved)
    except BaseException:
        extra[:] = saved
        if pipeline is not None:
            pipeline.shutdown(0.0)
        raise
    from logmoji.llm import _defaults

    _defaults.configure(llm, pipeline.observers if pipeline is not None else ())
    _replace_otel(pipeline)
    return resolved


def _start_otel(config: ResolvedOTelConfig, logging: ResolvedLoggingConfig) -> OTelPipeline:
    from logmoji.otel import _setup

    return _setup.start(config, logging)


def _replace_otel(pipeline: OTelPipeline | None) -> None:
    """Make ``pipeline`` current and shut down the one before (importing nothing if none)."""
    module = sys.modules.get("logmoji.otel._setup")
    if module is not None:
        module.replace(pipeline)


def reset() -> None:
    """Undo :func:`setup_telemetry`: the next log call configures from the environment."""
    _replace_otel(None)  # first: what it says while flushing still goes to the configured output
    _pipeline.unconfigure()
    from logmoji.llm import _defaults

    _defaults.configure(None)
