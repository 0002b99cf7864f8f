"""logmoji's lines for the standard ``logging`` module: :class:`EmojiFormatter`.

Keep your handlers and ``dictConfig``; give a handler this formatter and its
records come out as logmoji console lines (or JSON lines), with the emoji of
the logger's domain, ``extra=`` fields as ``key=value`` and secrets masked::

    import logging
    from logmoji.stdlib import EmojiFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(EmojiFormatter())
    logging.getLogger("llm").addHandler(handler)

In ``dictConfig``: ``"formatters": {"emoji": {"()": "logmoji.stdlib.EmojiFormatter",
"renderer": "json"}}``. :func:`setup_telemetry` is not needed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

from logmoji.exceptions import ConfigurationError
from logmoji.logger.emoji._builtin import BUILTIN_SET_NAMES, builtin_set
from logmoji.logger.emoji.ascii import asciify_emoji
from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.emoji.types import EmojiSetConfig
from logmoji.logger.redact import MaskedRenderer, SecretFieldMasker, SecretTextMasker
from logmoji.logger.render import ConsoleRenderer, JSONRenderer
from logmoji.logger.stdlib import method_of, record_event

__all__ = ["EmojiFormatter"]


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class EmojiFormatter(logging.Formatter):
    """Format a ``logging`` record as one logmoji console or JSON line.

    The first arguments are ``logging.Formatter``'s, so ``dictConfig`` can
    build it with ``"()"`` or ``"class"``; ``fmt`` and ``style`` are accepted
    and ignored (the line's layout is logmoji's), ``datefmt`` too (the time is
    the record's, shown as logmoji shows it).

    Args:
        renderer: ``"console"`` (aligned columns) or ``"json"`` (one object a line).
        colors: Colour console lines with ANSI codes.
        show_timestamp: Start console lines with the record's local time.
        redact: Mask secrets (API keys, tokens, passwords) in every line.
        ascii_emoji: Write bracketed tags (``[INFER]``) instead of emoji.
        custom_emoji_sets: :class:`~logmoji.EmojiSetConfig` instances beside
            the built-in sets.

    Raises:
        ConfigurationError: ``renderer`` is neither ``"console"`` nor ``"json"``.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Literal["%", "{", "$"] = "%",
        validate: bool = True,
        *,
        defaults: Mapping[str, Any] | None = None,
        renderer: str = "console",
        colors: bool = False,
        show_timestamp: bool = True,
        redact: bool = True,
        ascii_emoji: bool = False,
        custom_emoji_sets: tuple[EmojiSetConfig, ...] | list[EmojiSetConfig] = (),
    ) -> None:
        super().__init__(fmt, datefmt, style, validate, defaults=defaults)
        if renderer not in ("console", "json"):
            raise ConfigurationError(f"renderer must be 'console' or 'json', not {renderer!r}")
        self._now = 0.0
        sets = [s for s in map(builtin_set, BUILTIN_SET_NAMES) if s is not None]
        self._resolver = EmojiResolver([*sets, *custom_emoji_sets])
        self._ascii = ascii_emoji
        self._fields = SecretFieldMasker() if redact else None
        render: Any
        if renderer == "json":
            render = JSONRenderer(clock=self._clock)
        else:
            render = ConsoleRenderer(
                colors=colors,
                show_timestamp=show_timestamp,
                clock=self._clock,
                keep_logger_column=True,
            )
        self._render: Any = MaskedRenderer(render, SecretTextMasker()) if redact else render
        self._json = renderer == "json"
        self._names: dict[str, _Named] = {}

    def _clock(self) -> float:
        return self._now

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as one line (a traceback follows on console lines)."""
        event: MutableMapping[str, Any] = record_event(record)
        method = method_of(record.levelno)
        named = self._names.get(record.name)
        if named is None:
            named = _Named(record.name)
            if len(self._names) < 1024:
                self._names[record.name] = named
        event = self._resolver(named, method, event)
        if self._ascii:
            event = asciify_emoji(named, method, event)
        if self._fields is not None:
            event = self._fields(named, method, event)
        # Handlers call format() under their lock, one record at a time.
        self._now = record.created
        line = self._render(named, method, event)
        return line.decode("utf-8") if isinstance(line, bytes) else str(line)
