"""logmoji's emoji and console lines in your own structlog set-up, without logmoji's pipeline.

Put :func:`add_emoji` and :class:`ConsoleRenderer` in your processor chain::

    import structlog
    import logmoji.structlog

    structlog.configure(processors=[
        structlog.processors.add_log_level,
        logmoji.structlog.add_emoji,
        logmoji.structlog.ConsoleRenderer(),
    ])
    structlog.get_logger().bind(logger="llm").info("model_loaded", model="gpt-4")
    # 10:31:25.514 INFO  llm              🤖 model_loaded               model=gpt-4

The emoji's domain comes from the bound logger's name (structlog's stdlib
loggers have one) or, for loggers without a name such as structlog's default
print logger, from the event's ``logger`` field (``bind(logger="llm")``, or
``structlog.stdlib.add_logger_name``). :func:`setup_telemetry` is not needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from functools import cache
from typing import Any

from logmoji.logger.emoji._builtin import BUILTIN_SET_NAMES, builtin_set
from logmoji.logger.emoji.ascii import asciify_emoji
from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.render import ConsoleRenderer as _ConsoleRenderer
from logmoji.logger.render import JSONRenderer

__all__ = ["ConsoleRenderer", "EmojiResolver", "JSONRenderer", "add_emoji", "asciify_emoji"]

# Level names structlog's processors write, as the renderer's method names.
_METHOD = {
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}


@cache
def _resolver() -> EmojiResolver:
    return EmojiResolver(s for s in map(builtin_set, BUILTIN_SET_NAMES) if s is not None)


def add_emoji(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the ``emoji`` field from every built-in set; a structlog processor.

    For custom sets, put ``EmojiResolver([*sets, MySet()])`` in the chain instead.
    """
    return _resolver()(logger, method_name, event_dict)


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class ConsoleRenderer(_ConsoleRenderer):
    """logmoji's aligned console line, for any structlog chain; the last processor.

    Reads the ``level`` (from ``add_log_level``), ``logger`` (from
    ``add_logger_name`` or ``bind``) and ``timestamp`` fields other
    processors add, instead of showing them as fields; the time column is the
    moment of rendering. Takes the options of
    :class:`logmoji.logger.render.ConsoleRenderer` (``colors``,
    ``show_timestamp``, ``logger_width``...).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, **options: Any) -> None:
        options.setdefault("keep_logger_column", True)
        super().__init__(clock=clock, **options)
        self._names: dict[str, _Named] = {}

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> str:
        level = event_dict.pop("level", None)
        if isinstance(level, str):
            method_name = _METHOD.get(level.lower(), method_name)
        event_dict.pop("timestamp", None)
        name = event_dict.pop("logger", None)
        if not isinstance(name, str):
            name = getattr(logger, "name", None)
            name = name if isinstance(name, str) else ""
        named = self._names.get(name)
        if named is None:
            named = _Named(name)
            if len(self._names) < 1024:
                self._names[name] = named
        return super().__call__(named, method_name, event_dict)
