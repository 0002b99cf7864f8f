"""The logging core: :func:`get_logger` and the bound loggers behind it.

A logger from :func:`get_logger` is a lazy proxy: it can be made at import
time and picks up the configuration on first use (configuring from the
environment if :func:`~logmoji.setup.setup_telemetry` was never called). After
a reconfiguration every proxy resolves again, so no logger keeps stale
settings.

The bound loggers behind the proxies are structlog's ``BoundLoggerBase`` with
level methods made per minimum level, like structlog's filtering bound logger
(a filtered-out call is one ``return None``), with one difference that is the
reason for the class: a processor or sink that fails never raises into the
application. The event is written in a safe fallback form instead.

The global state and the processor chain (building it, :func:`configure`,
:func:`unconfigure`, :func:`temporary_pipeline`) live in
:mod:`logmoji.logger._pipeline`; their public names are importable from here too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from structlog import DropEvent
from structlog._base import BoundLoggerBase

from logmoji.logger._pipeline import _PROXIES, _STATE, Processor, _ensure_configured, level_for

# The "x as x" imports keep public here the names that moved to _pipeline.
from logmoji.logger._pipeline import build_processors as build_processors  # noqa: PLC0414
from logmoji.logger._pipeline import configure as configure  # noqa: PLC0414
from logmoji.logger._pipeline import current_config as current_config  # noqa: PLC0414
from logmoji.logger._pipeline import emoji_resolver as emoji_resolver  # noqa: PLC0414
from logmoji.logger._pipeline import sink_for as sink_for  # noqa: PLC0414
from logmoji.logger._pipeline import temporary_pipeline as temporary_pipeline  # noqa: PLC0414
from logmoji.logger._pipeline import text_masker as text_masker  # noqa: PLC0414
from logmoji.logger._pipeline import unconfigure as unconfigure  # noqa: PLC0414
from logmoji.logger._text import type_name
from logmoji.logger.config import LEVELS
from logmoji.logger.render import format_exception, safe_repr

__all__ = ["Logger", "Processor", "get_logger", "level_for"]

_METHOD_LEVELS: dict[str, int] = {
    "debug": LEVELS["DEBUG"],
    "info": LEVELS["INFO"],
    "warning": LEVELS["WARNING"],
    "error": LEVELS["ERROR"],
    "critical": LEVELS["CRITICAL"],
}


# Level names log() takes, upper-case, as LOGMOJI_LEVEL does.
_LEVEL_NUMBERS: dict[str, int] = {**LEVELS, "WARN": LEVELS["WARNING"], "FATAL": LEVELS["CRITICAL"]}


def _interpolate(event: Any, args: tuple[Any, ...]) -> Any:
    try:
        return event % args
    except Exception:  # "%"-formatting is the caller's; a mismatch still gets logged
        return f"{safe_repr(event)} % {safe_repr(args)}"


class _LoggerBase(BoundLoggerBase):
    """structlog's bound logger, with a processing loop that never raises."""

    _min_level: int = 0

    def _emit(self, method_name: str, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        try:
            if args:
                event = args[0] if len(args) == 1 else _interpolate(args[0], args[1:])
            else:
                event = kw.pop("event", None)
            # kw is this call's own dict: without bound fields it can be the event itself.
            event_dict: Any = {**self._context, **kw} if self._context else kw
            event_dict["event"] = event
            logger = self._logger
            for processor in self._processors:
                event_dict = processor(logger, method_name, event_dict)
            logger.msg(event_dict)
        except DropEvent:
            pass
        # Logging must never raise into the application: write what can be written.
        except Exception as exc:
            _write_fallback(self._logger, method_name, args, kw, exc)

    def is_enabled_for(self, level: int) -> bool:
        """Return whether a call at ``level`` (a number) would be written."""
        return level >= self._min_level

    def get_effective_level(self) -> int:
        """Return the lowest level written."""
        return self._min_level

    def log(self, level: int | str, *args: Any, **kw: Any) -> None:
        """Log at ``level``: a number (``logging.INFO``) or a name (``"info"``, ``"WARN"``).

        A level that is neither is written at info with ``logmoji_error``
        naming it: logging must not raise, and the line must not be lost.
        """
        if type(level) is not int:
            number = _LEVEL_NUMBERS.get(level.upper()) if type(level) is str else None
            if number is None:
                if self._min_level <= _METHOD_LEVELS["info"]:
                    kw["logmoji_error"] = f"unknown level {safe_repr(level)[:100]}"
                    self._emit("info", args, kw)
                return
            level = number
        if level >= self._min_level:
            name = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}.get(
                level, "info"
            )
            self._emit(name, args, kw)

    def exception(self, *args: Any, **kw: Any) -> None:
        """Log at error level with the current exception's traceback."""
        if self._min_level <= _METHOD_LEVELS["error"]:
            kw.setdefault("exc_info", True)
            self._emit("error", args, kw)

    async def alog(self, level: int | str, *args: Any, **kw: Any) -> None:
        """Log at the numeric ``level`` (async spelling; logging does not block)."""
        self.log(level, *args, **kw)

    async def aexception(self, *args: Any, **kw: Any) -> None:
        """Log the current exception (async spelling)."""
        self.exception(*args, **kw)


def _nop(self: Any, *args: Any, **kw: Any) -> None:
    return None


def _ignore(*args: Any, **kw: Any) -> None:
    """Do nothing: a filtered-out level method, as a proxy keeps it (no binding to call)."""


async def _anop(self: Any, *args: Any, **kw: Any) -> None:
    return None


def _make_methods(name: str) -> tuple[Callable[..., None], Callable[..., Any]]:
    def meth(self: _LoggerBase, *args: Any, **kw: Any) -> None:
        self._emit(name, args, kw)

    async def ameth(self: _LoggerBase, *args: Any, **kw: Any) -> None:
        self._emit(name, args, kw)

    meth.__name__ = name
    meth.__doc__ = f"Log an event at {name} level, with key-value fields."
    ameth.__name__ = f"a{name}"
    return meth, ameth


def _make_logger_class(min_level: int) -> type[_LoggerBase]:
    attrs: dict[str, Any] = {"_min_level": min_level}
    for name, level in _METHOD_LEVELS.items():
        attrs[name], attrs[f"a{name}"] = (
            _make_methods(name) if level >= min_level else (_nop, _anop)
        )
    attrs["warn"], attrs["awarn"] = attrs["warning"], attrs["awarning"]
    attrs["fatal"], attrs["afatal"] = attrs["critical"], attrs["acritical"]
    attrs["msg"], attrs["amsg"] = attrs["info"], attrs["ainfo"]
    if min_level > _METHOD_LEVELS["error"]:
        attrs["exception"], attrs["aexception"] = _nop, _anop
    level_name = {v: k for k, v in LEVELS.items()}.get(min_level, str(min_level)).capitalize()
    return type(f"BoundLoggerAt{level_name}", (_LoggerBase,), attrs)


def _write_fallback(
    logger: Any, method_name: str, args: tuple[Any, ...], kw: dict[str, Any], exc: BaseException
) -> None:
    try:
        event = args[0] if args else kw.get("event")
        text = event if type(event) is str else safe_repr(event)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")[:2000]
        name = str(getattr(logger, "name", "")).encode("utf-8", "backslashreplace").decode()
        error = f"{type_name(exc)}: {safe_repr(exc)[:500]}"
        exc_info = kw.get("exc_info")
        if exc_info is True:
            # sys.exc_info() is now logmoji's own failure; the caller's exception is its context.
            exc_info = exc.__context__
        trace = format_exception(exc_info) if exc_info else None  # the one thing not to lose
        if trace:
            trace = trace.encode("utf-8", "backslashreplace").decode("utf-8")
        config = _STATE.config
        if config is not None and config.formatter == "json":
            fields = {"level": method_name, "logger": name, "event": text, "logmoji_error": error}
            if trace:
                fields["exception"] = trace
            line = orjson.dumps(fields).decode()
        else:
            line = f"{method_name.upper()} {name} {text} logmoji_error={error!r}"
            line = line.replace("\r", "\\r").replace("\n", "\\n")
            if trace:
                line = f"{line}\n{trace}"
        masker = _STATE.text_masker
        if masker is not None:
            line = masker.mask(line)
        output = getattr(logger, "output", None)
        if output is not None:
            output.write(line)
    except Exception:  # the fallback itself failed: a bare line, so the call still writes one
        with contextlib.suppress(Exception):
            logger.output.write(f"{method_name.upper()} logmoji_error=unwritable event")


def _bound(name: str, context: Mapping[str, Any]) -> _LoggerBase:
    level = level_for(name)
    cls = _STATE.classes.get(level)
    if cls is None:
        cls = _STATE.classes[level] = _make_logger_class(level)
    return cls(sink_for(name), _STATE.processors, dict(context))


def run_chain(name: str, method_name: str, event_dict: dict[str, Any]) -> None:
    """Send one event dict through the processor chain (for bridges such as stdlib)."""
    _ensure_configured()
    sink = sink_for(name)
    try:
        for processor in _STATE.processors:
            event_dict = processor(sink, method_name, event_dict)
        sink.msg(event_dict)
    except DropEvent:
        pass
    except Exception as exc:  # see _LoggerBase._emit: logging never raises
        _write_fallback(sink, method_name, (event_dict.get("event"),), {}, exc)


class _Resolved:
    """A logger method looked up on the bound logger at first use, then kept on the proxy.

    A non-data descriptor: once the value sits in the instance's ``__dict__``,
    attribute lookup finds it there, at the cost of a plain attribute read.
    :meth:`Logger._forget` drops the kept values when the configuration changes.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, proxy: Logger | None, owner: type | None = None) -> Any:
        if proxy is None:
            return self
        fields = proxy.__dict__
        value = getattr(_bound(fields["_name"], fields["_context"]), self.name)
        if getattr(value, "__func__", None) is _nop:  # filtered out: no need to bind
            value = _ignore
        fields[self.name] = value
        return value


class Logger:
    """A named logger: ``debug/info/warning/error/critical/exception`` with key-value fields.

    Made by :func:`get_logger`; resolves its settings lazily, so it can be
    created at import time. ``bind(**fields)`` returns a logger that adds
    ``fields`` to every event.
    """

    debug = _Resolved()
    info = _Resolved()
    warning = _Resolved()
    warn = _Resolved()
    error = _Resolved()
    exception = _Resolved()
    critical = _Resolved()
    fatal = _Resolved()
    msg = _Resolved()
    log = _Resolved()
    adebug = _Resolved()
    ainfo = _Resolved()
    awarning = _Resolved()
    awarn = _Resolved()
    aerror = _Resolved()
    aexception = _Resolved()
    acritical = _Resolved()
    afatal = _Resolved()
    amsg = _Resolved()
    alog = _Resolved()
    is_enabled_for = _Resolved()
    get_effective_level = _Resolved()

    def __init__(self, name: str, context: Mapping[str, Any] | None = None) -> None:
        self.__dict__["_name"] = name
        self.__dict__["_context"] = dict(context or {})
        _PROXIES.add(self)

    @property
    def name(self) -> str:
        """The logger's name, such as ``"llm.openai"``."""
        return str(self.__dict__["_name"])

    def _forget(self) -> None:
        for attr in _RESOLVED & self.__dict__.keys():
            del self.__dict__[attr]

    def bind(self, **fields: Any) -> Logger:
        """Return a logger that adds ``fields`` to every event."""
        return Logger(self.__dict__["_name"], {**self.__dict__["_context"], **fields})

    def new(self, **fields: Any) -> Logger:
        """Return a logger with only ``fields`` bound."""
        return Logger(self.__dict__["_name"], fields)

    def unbind(self, *keys: str) -> Logger:
        """Return a logger without ``keys``; a missing key raises ``KeyError``."""
        context = dict(self.__dict__["_context"])
        for key in keys:
            del context[key]
        return Logger(self.__dict__["_name"], context)

    def try_unbind(self, *keys: str) -> Logger:
        """Return a logger without ``keys``, ignoring missing ones."""
        context = {k: v for k, v in self.__dict__["_context"].items() if k not in keys}
        return Logger(self.__dict__["_name"], context)

    @property
    def context(self) -> dict[str, Any]:
        """A copy of the bound fields."""
        return dict(self.__dict__["_context"])

    def __repr__(self) -> str:
        return f"<logmoji.Logger name={self.name!r} context={self.context!r}>"


# The methods a proxy keeps after first use, dropped again by Logger._forget.
_RESOLVED = frozenset(name for name, value in vars(Logger).items() if isinstance(value, _Resolved))


def get_logger(name: str | None = None, **initial_fields: Any) -> Logger:
    """Return the logger ``name`` (hierarchical, such as ``"llm.openai"``).

    Safe at import time: nothing is configured until the first log call.
    """
    return Logger(name or "", initial_fields)
