"""The logging state and the processor chain: building, installing and swapping it.

All global logging state is one :class:`_State` object (the settings in force,
the processor chain, the output and the per-name sinks), changed only under its
lock by :func:`configure`, :func:`unconfigure` and :func:`temporary_pipeline`.
It imports nothing from :mod:`logmoji.logger.core` at run time (core imports
it), so set-up code can use it directly; core re-exports the public names, and
its proxies register in ``_PROXIES`` so that a reconfiguration makes every one
of them resolve again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from logmoji.exceptions import ConfigurationError
from logmoji.logger._output import JSONLinesExporter, Output, Sink, last_resort, open_json_output
from logmoji.logger.config import LoggingConfig, ResolvedLoggingConfig
from logmoji.logger.context import merge_contextvars
from logmoji.logger.emoji._builtin import builtin_set
from logmoji.logger.emoji.ascii import asciify_emoji, emoji_fits
from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.redact import MaskedRenderer, SecretFieldMasker, SecretTextMasker
from logmoji.logger.render import ConsoleRenderer, JSONRenderer

if TYPE_CHECKING:
    from logmoji.logger.core import Logger, _LoggerBase

__all__ = [
    "Processor",
    "build_processors",
    "configure",
    "current_config",
    "emoji_resolver",
    "level_for",
    "sink_for",
    "temporary_pipeline",
    "text_masker",
    "unconfigure",
]

Processor = Callable[[Any, str, Any], Any]


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


def _reinit_lock_after_fork() -> None:
    # A thread setting up at fork time does not exist in the child; its lock must not either.
    _STATE.lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_reinit_lock_after_fork)


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
    if len(state.level_cache) < MAX_SINKS:
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
        ascii_emoji = config.ascii_emoji
        if ascii_emoji is None:
            ascii_emoji = not emoji_fits(config.stream if config.stream is not None else sys.stderr)
        if ascii_emoji:
            processors.append(asciify_emoji)
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


#: Sinks kept, one per logger name; past this many, all are forgotten at once.
MAX_SINKS = 10_000


def sink_for(name: str) -> Sink:
    """Return the sink (structlog's wrapped logger) for the logger ``name``.

    Sinks are kept for at most :data:`MAX_SINKS` names, like the level cache, so
    an application making loggers with ever new names (one per request, say)
    does not grow; a forgotten name gets a new sink, which costs one object.
    """
    sinks = _STATE.sinks
    sink = sinks.get(name)
    if sink is None or sink.output is not _STATE.output:
        sink = Sink(name, _STATE.output)
        if len(sinks) >= MAX_SINKS:
            sinks.clear()
        sinks[name] = sink
    return sink


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
