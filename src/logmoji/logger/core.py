"""The logging core: :func:`get_logger`, the processor chain and where lines go.

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
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson
from structlog import DropEvent
from structlog._base import BoundLoggerBase
from structlog.contextvars import merge_contextvars

from logmoji.exceptions import ConfigurationError
from logmoji.logger._output import JSONLinesExporter, Output, Sink, last_resort, open_json_output
from logmoji.logger.config import LEVELS, LoggingConfig, ResolvedLoggingConfig
from logmoji.logger.emoji._builtin import builtin_set
from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.redact import MaskedRenderer, SecretFieldMasker, SecretTextMasker
from logmoji.logger.render import ConsoleRenderer, JSONRenderer, format_exception, safe_repr

__all__ = ["Logger", "Processor", "get_logger", "level_for"]

Processor = Callable[[Any, str, Any], Any]

_METHOD_LEVELS: dict[str, int] = {
    "debug": LEVELS["DEBUG"],
    "info": LEVELS["INFO"],
    "warning": LEVELS["WARNING"],
    "error": LEVELS["ERROR"],
    "critical": LEVELS["CRITICAL"],
}


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

    def log(self, level: int, *args: Any, **kw: Any) -> None:
        """Log at the numeric ``level``."""
        if isinstance(level, int) and level >= self._min_level:
            name = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}.get(
                level, "info"
            )
            self._emit(name, args, kw)

    def exception(self, *args: Any, **kw: Any) -> None:
        """Log at error level with the current exception's traceback."""
        if self._min_level <= _METHOD_LEVELS["error"]:
            kw.setdefault("exc_info", True)
            self._emit("error", args, kw)

    async def alog(self, level: int, *args: Any, **kw: Any) -> None:
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
        error = f"{type(exc).__name__}: {safe_repr(exc)[:500]}"
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
    except Exception:  # the fallback itself failed; drop the line rather than raise
        pass


class _State:
    """All global logging state: one object, replaced only by configure/reset."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config: ResolvedLoggingConfig | None = None
        self.processors: list[Processor] = []
        self.output = Output(None)
        self.classes: dict[int, type[_LoggerBase]] = {}
        self.sinks: dict[str, Sink] = {}
        self.level_cache: dict[str, int] = {}
        self.resolver: EmojiResolver | None = None
        self.text_masker: SecretTextMasker | None = None
        self.level_override: int | None = None
        self.extra_processors: list[Processor] = []
        self.json_output: Output | None = None


_STATE = _State()
_PROXIES: weakref.WeakSet[Logger] = weakref.WeakSet()


def level_for(name: str) -> int:
    """Return the lowest level written for the logger ``name`` (longest prefix rule)."""
    state = _STATE
    cached = state.level_cache.get(name)
    if cached is not None:
        return cached
    config = _ensure_configured()
    if state.level_override is not None:
        level = state.level_override
    else:
        level = config.default_level
        best = -1
        for prefix, prefix_level in config.module_levels.items():
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), prefix_level
    if len(state.level_cache) < 10_000:
        state.level_cache[name] = level
    return level


def _ensure_configured() -> ResolvedLoggingConfig:
    config = _STATE.config
    if config is None:
        with _STATE.lock:
            if _STATE.config is None:
                try:
                    configure(LoggingConfig().resolve(os.environ))
                # No set-up ran to fail at, and a log call must not raise: use the defaults.
                except ConfigurationError as exc:
                    last_resort(
                        f"logmoji: {exc}; using the defaults "
                        "(call setup_telemetry() to get this error at set-up)",
                        None,
                    )
                    configure(LoggingConfig().resolve({}))
            config = _STATE.config
    assert config is not None
    return config


def build_processors(
    config: ResolvedLoggingConfig,
    renderer: Processor | None = None,
    json_output: Output | None = None,
) -> tuple[list[Processor], EmojiResolver | None, SecretTextMasker | None]:
    """Return the processor chain for ``config``, with its emoji resolver and text masker."""
    processors: list[Processor] = [merge_contextvars]
    resolver = None
    if config.das_emoji_prefix_enabled:
        sets = [s for s in (builtin_set(n) for n in config.enabled_emoji_sets) if s is not None]
        resolver = EmojiResolver([*sets, *config.custom_emoji_sets])
        processors.append(resolver)
    if config.redact:
        processors.append(SecretFieldMasker(config.redact_fields))
    processors.extend(_STATE.extra_processors)
    masker = SecretTextMasker(config.redact_patterns) if config.redact else None
    if json_output is not None:
        processors.append(
            JSONLinesExporter(json_output, max_value_chars=config.max_value_chars, masker=masker)
        )
    if renderer is None:
        if config.formatter == "json":
            renderer = JSONRenderer(max_value_chars=config.max_value_chars)
        else:
            colors = config.colors
            if colors is None:
                stream = config.stream if config.stream is not None else sys.stderr
                colors = _isatty(stream)
            renderer = ConsoleRenderer(
                colors=colors,
                show_timestamp=config.show_timestamp,
                max_value_chars=config.max_value_chars,
            )
    if masker is None:
        processors.append(renderer)
    elif isinstance(renderer, ConsoleRenderer | JSONRenderer):
        processors.append(MaskedRenderer(renderer, masker))
    else:  # a renderer of unknown make: mask every line it writes
        processors.extend((renderer, masker))
    return processors, resolver, masker


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # streams without isatty (or closed ones) are not terminals
        return False


def configure(
    config: ResolvedLoggingConfig,
    *,
    processors: list[Processor] | None = None,
    level_override: int | None = None,
) -> None:
    """Install ``config`` (already resolved) as the global logging configuration."""
    with _STATE.lock:
        # Open before closing: a path that cannot be opened leaves the old set-up whole.
        json_output = None if config.json_file is None else open_json_output(config.json_file)
        _close_json_output()
        _STATE.json_output = json_output
        if processors is None:
            processors, resolver, masker = build_processors(config, json_output=_STATE.json_output)
        else:
            resolver = next((p for p in processors if isinstance(p, EmojiResolver)), None)
            masker = next((p for p in processors if isinstance(p, SecretTextMasker)), None)
            masker = masker or next(
                (p.masker for p in processors if isinstance(p, MaskedRenderer)), None
            )
        _STATE.config = config
        _STATE.processors[:] = processors  # in place: bound loggers share this list
        _STATE.resolver = resolver
        _STATE.text_masker = masker
        _STATE.level_override = level_override
        _STATE.level_cache.clear()
        _STATE.output.stream = config.stream
        _invalidate_proxies()
    from logmoji.logger import stdlib

    stdlib.install(config.capture_stdlib, level_for)


def _close_json_output() -> None:
    output = _STATE.json_output
    _STATE.json_output = None
    if output is not None and output.stream is not None:
        with contextlib.suppress(OSError):
            output.stream.close()


def unconfigure() -> None:
    """Forget the configuration; the next log call configures from the environment."""
    from logmoji.logger import stdlib

    with _STATE.lock:
        _close_json_output()
        _STATE.config = None
        _STATE.processors.clear()
        _STATE.resolver = None
        _STATE.text_masker = None
        _STATE.level_override = None
        _STATE.level_cache.clear()
        _STATE.extra_processors.clear()
        _STATE.output = Output(None)
        _STATE.sinks.clear()
        _invalidate_proxies()
    stdlib.install(False, level_for)


def current_config() -> ResolvedLoggingConfig:
    """Return the configuration in force (configuring from the environment if needed)."""
    return _ensure_configured()


def emoji_resolver() -> EmojiResolver | None:
    """Return the emoji resolver in force (``None`` when emojis are off)."""
    _ensure_configured()
    return _STATE.resolver


def text_masker() -> SecretTextMasker | None:
    """Return the secret masker in force (``None`` when masking is off)."""
    _ensure_configured()
    return _STATE.text_masker


def _invalidate_proxies() -> None:
    for proxy in list(_PROXIES):
        proxy._forget()


def sink_for(name: str) -> Sink:
    """Return the sink (structlog's wrapped logger) for the logger ``name``."""
    sink = _STATE.sinks.get(name)
    if sink is None or sink.output is not _STATE.output:
        sink = Sink(name, _STATE.output)
        _STATE.sinks[name] = sink
    return sink


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


@contextmanager
def temporary_pipeline(processors: list[Processor], level: int) -> Iterator[None]:
    """Run with ``processors`` and everything enabled from ``level``; restore afterwards."""
    config = _ensure_configured()
    with _STATE.lock:
        saved = (
            list(_STATE.processors),
            _STATE.level_override,
            _STATE.resolver,
            _STATE.text_masker,
        )
        _STATE.processors[:] = processors
        _STATE.level_override = level
        _STATE.level_cache.clear()
        _invalidate_proxies()
    try:
        yield
    finally:
        with _STATE.lock:
            if _STATE.config is config:
                _STATE.processors[:] = saved[0]
                _STATE.level_override = saved[1]
                _STATE.resolver, _STATE.text_masker = saved[2], saved[3]
                _STATE.level_cache.clear()
                _invalidate_proxies()
