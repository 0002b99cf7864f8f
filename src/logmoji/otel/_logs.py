"""Send every log event to OpenTelemetry as a log record: :class:`OTelLogsExporter`.

The processor sits in logmoji's chain before the renderer, so an event is
exported with the same level filtering and secret masking as the line
written: field masking has already run, and string values go through the
text masker too. It reads the event dict and never changes it.

One event becomes one record: the level as severity, the event name as body
(and as ``event_name`` when it is an identifier), the emoji and every field as
attributes, LLM fields also under their GenAI names, a traceback as
``exception.*`` attributes, and the logger's name as the instrumentation
scope. The trace context is the current span's, so records join their traces.
The record goes into the SDK's batch processor (a bounded queue): the log
call never waits for the network.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry._logs import Logger as OTelLogger
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.util.types import AnyValue

from logmoji.logger.redact import SecretTextMasker
from logmoji.logger.render import format_exception, safe_repr
from logmoji.otel._semconv import event_attributes

__all__ = ["OTelLogsExporter"]

_SEVERITY = {
    "debug": (SeverityNumber.DEBUG, "DEBUG"),
    "info": (SeverityNumber.INFO, "INFO"),
    "msg": (SeverityNumber.INFO, "INFO"),
    "warning": (SeverityNumber.WARN, "WARNING"),
    "warn": (SeverityNumber.WARN, "WARNING"),
    "error": (SeverityNumber.ERROR, "ERROR"),
    "exception": (SeverityNumber.ERROR, "ERROR"),
    "critical": (SeverityNumber.FATAL, "CRITICAL"),
    "fatal": (SeverityNumber.FATAL, "CRITICAL"),
}
# Not attributes: the body, the traceback (exception.*) and the trace context (on the record).
_SKIP = frozenset({"event", "exc_info", "exception", "stack_info", "trace_id", "span_id"})
_MAX_ATTRIBUTES = 128  # the SDK's default limit; beyond it, it warns on every record
_MAX_DEPTH = 4
_MAX_LOGGERS = 1024
_INT64 = (-(2**63), 2**63 - 1)
_CACHED_CHARS = 128  # short strings (models, names, ids) repeat: their masked form is kept
_CACHE_SIZE = 4096


class OTelLogsExporter:
    """Emit an OpenTelemetry log record per event; a processor before the renderer.

    Args:
        provider: The SDK logger provider (with its batch processor and exporter).
        max_value_chars: Cut longer string values, as the renderers do.
        masker: Masks secrets in string values (``None`` when redaction is off).
        on_error: Told, without raising, when an event could not be converted.
    """

    def __init__(
        self,
        provider: LoggerProvider,
        *,
        max_value_chars: int = 10_000,
        masker: SecretTextMasker | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._provider = provider
        self._max = max_value_chars
        self._masker = masker
        self._on_error = on_error
        self._loggers: dict[str, OTelLogger] = {}
        self._masked: dict[str, str] = {}
        self._cached_chars = min(_CACHED_CHARS, max_value_chars)
        self._lock = threading.Lock()
        self._local = threading.local()

    def __call__(self, logger: Any, method_name: str, event_dict: Any) -> Any:
        name = getattr(logger, "name", None) or ""
        # The SDK's own messages (about export trouble) are not exported: that could
        # loop. Nor is an event logged while a record is being made on this thread, nor
        # one logged where the application asked OpenTelemetry to suppress instrumentation.
        if (
            type(name) is not str
            or name.startswith("opentelemetry")
            or self._busy()
            or otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY)
        ):
            return event_dict
        self._local.busy = True
        try:
            self._emit(name, method_name, event_dict)
        except Exception as exc:  # exporting must never cost the application its log line
            if self._on_error is not None:
                self._on_error(exc)
        finally:
            self._local.busy = False
        return event_dict

    def _busy(self) -> bool:
        return bool(getattr(self._local, "busy", False))

    def _logger(self, name: str) -> OTelLogger:
        found = self._loggers.get(name)
        if found is None:
            scope = name if len(self._loggers) < _MAX_LOGGERS else "logmoji"
            with self._lock:
                found = self._loggers.get(scope)
                if found is None:
                    found = self._provider.get_logger(scope)
                    self._loggers[scope] = found
        return found

    def _emit(self, name: str, method_name: str, event_dict: Mapping[str, Any]) -> None:
        severity, severity_text = _SEVERITY.get(method_name, (SeverityNumber.INFO, "INFO"))
        attributes: dict[str, AnyValue] = {}
        for key, value in event_dict.items():
            if key in _SKIP or value is None:
                continue
            attributes[key if type(key) is str else safe_repr(key)] = self._value(value, 0)
            if len(attributes) >= _MAX_ATTRIBUTES - 16:  # room for GenAI and exception.*
                break
        attributes.update(event_attributes(event_dict))
        self._add_exception(event_dict, attributes)
        event = event_dict.get("event")
        body = self._text(event if type(event) is str else safe_repr(event))
        self._logger(name).emit(
            timestamp=time.time_ns(),
            severity_number=severity,
            severity_text=severity_text,
            body=body,
            attributes=attributes,
            event_name=body if body.isidentifier() else None,
        )

    def _add_exception(
        self, event_dict: Mapping[str, Any], attributes: dict[str, AnyValue]
    ) -> None:
        """Add ``exception.*`` attributes, masked, from ``exc_info`` or a formatted traceback."""
        exc_info = event_dict.get("exc_info")
        trace = format_exception(exc_info) if exc_info else None
        if trace is None:
            text = event_dict.get("exception")
            trace = text if type(text) is str else None
        if trace is None:
            return
        if exc_info is True:
            exc: object = sys.exc_info()[1]
        elif isinstance(exc_info, tuple) and len(exc_info) == 3:
            exc = exc_info[1]
        else:
            exc = exc_info
        if isinstance(exc, BaseException):
            cls = type(exc)
            module = cls.__module__
            qualname = cls.__qualname__
            attributes["exception.type"] = (
                qualname if module in (None, "builtins") else f"{module}.{qualname}"
            )
            attributes["exception.message"] = self._text(_message(exc))
        attributes["exception.stacktrace"] = self._text(trace)

    def _text(self, text: str) -> str:
        if self._masker is None:
            if len(text) > self._max:
                return f"{text[: self._max]}…[+{len(text) - self._max} chars]"
            return text
        if len(text) <= self._cached_chars:
            masked = self._masked.get(text)
            if masked is None:
                masked = self._masker.mask(text)
                if len(self._masked) >= _CACHE_SIZE:
                    self._masked.clear()
                self._masked[text] = masked
            return masked
        if len(text) > self._max:
            text = f"{text[: self._max]}…[+{len(text) - self._max} chars]"
        return self._masker.mask(text)

    def _value(self, value: object, depth: int) -> AnyValue:
        """Return ``value`` as an attribute value OTLP can always encode."""
        if type(value) is str:
            return self._text(value)
        if type(value) is bool or type(value) is float:
            return value
        if type(value) is int:
            return value if _INT64[0] <= value <= _INT64[1] else str(value)
        if value is None:
            return None
        if isinstance(value, str):  # a str subclass, such as a StrEnum
            return self._text(str.__str__(value))
        if isinstance(value, bool | float):
            return bool(value) if isinstance(value, bool) else float(value)
        if isinstance(value, int):
            return self._value(int(value), depth)
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, bytes | bytearray):
            return self._text(bytes(value).decode("utf-8", "backslashreplace"))
        if depth < _MAX_DEPTH:
            try:
                if isinstance(value, Mapping):
                    return {
                        k if type(k) is str else safe_repr(k): self._value(v, depth + 1)
                        for k, v in list(value.items())[:_MAX_ATTRIBUTES]
                    }
                if isinstance(value, list | tuple | set | frozenset):
                    return [self._value(v, depth + 1) for v in list(value)[:_MAX_ATTRIBUTES]]
            except Exception:  # a container that cannot be read is shown as repr shows it
                pass
        return self._text(safe_repr(value))


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a hostile __str__ must not break a log call
        return f"<unprintable {type(exc).__name__}>"
