"""What instrumented LLM clients do by default: :class:`LLMConfig` and its variables.

=========================  ============================  =======
field                      environment variable          default
=========================  ============================  =======
``cost_tracking``          ``LOGMOJI_COSTS``             on
``performance_monitoring`` ``LOGMOJI_MONITOR``           on
``capture_content``        ``LOGMOJI_CAPTURE_CONTENT``   off
=========================  ============================  =======

When ``LOGMOJI_CAPTURE_CONTENT`` is not set, OpenTelemetry's own switch,
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``, turns capture on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from logmoji.exceptions import ConfigurationError
from logmoji.logger._checks import check_type as _check_type
from logmoji.logger._checks import parse_bool as _parse_bool

__all__ = ["LLMConfig", "ResolvedLLMConfig"]

_OTEL_CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@dataclass(frozen=True, slots=True)
class ResolvedLLMConfig:
    """The LLM settings with their final values."""

    cost_tracking: bool
    performance_monitoring: bool
    capture_content: bool
    max_content_chars: int


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """What instrumented LLM clients do by default. ``None``: environment, else default.

    Args:
        cost_tracking: Price each call and add ``cost_usd`` to its completed event
            (``LOGMOJI_COSTS``, on); needs ``genai-prices`` (``logmoji[prices]``).
        performance_monitoring: Keep latency and error-rate statistics per model and log
            ``performance_metrics`` now and then (``LOGMOJI_MONITOR``, on).
        capture_content: Log prompt and response text (``LOGMOJI_CAPTURE_CONTENT``, off).
        max_content_chars: Longest captured text before it is cut.
    """

    cost_tracking: bool | None = None
    performance_monitoring: bool | None = None
    capture_content: bool | None = None
    max_content_chars: int = 2000

    def __post_init__(self) -> None:
        _check_type("cost_tracking", self.cost_tracking, bool, "True or False")
        _check_type("performance_monitoring", self.performance_monitoring, bool, "True or False")
        _check_type("capture_content", self.capture_content, bool, "True or False")
        if (
            isinstance(self.max_content_chars, bool)
            or not isinstance(self.max_content_chars, int)
            or self.max_content_chars < 1
        ):
            raise ConfigurationError(
                f"max_content_chars must be a positive int, not {self.max_content_chars!r}"
            )

    def resolve(self, environ: Mapping[str, str]) -> ResolvedLLMConfig:
        """Return the final settings, reading ``environ`` for fields left out."""

        def flag(value: bool | None, variable: str, default: bool) -> bool:
            if value is not None:
                return value
            if variable in environ:
                return _parse_bool(environ[variable], variable)
            return default

        return ResolvedLLMConfig(
            cost_tracking=flag(self.cost_tracking, "LOGMOJI_COSTS", True),
            performance_monitoring=flag(self.performance_monitoring, "LOGMOJI_MONITOR", True),
            capture_content=flag(
                self.capture_content,
                "LOGMOJI_CAPTURE_CONTENT",
                flag(None, _OTEL_CAPTURE, False) if _OTEL_CAPTURE in environ else False,
            ),
            max_content_chars=self.max_content_chars,
        )
