"""Renderers: the last processors of the chain, turning an event dict into one line.

:class:`ConsoleRenderer` writes aligned, human-readable lines (time, level,
logger, emoji, event, ``key=value`` fields); :class:`JSONRenderer` writes one
JSON object a line with ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``,
``event``, ``emoji`` and the fields. Neither raises: a value that cannot be
shown is rendered with ``repr`` (or a placeholder when even that fails), cyclic
structures are cut, and huge values are truncated with a marker.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, MutableMapping
from decimal import Decimal
from typing import Any

import orjson

from logmoji.logger._clock import _Clock
from logmoji.logger._text import (
    _LEVEL_OF_METHOD,
    _truncate,
    display_width,
    format_exception,
    level_name,
    safe_repr,
    type_name,
)

# Public here before the helpers moved to _text: kept importable from here.
from logmoji.logger._text import display_width_of_char as display_width_of_char  # noqa: PLC0414
from logmoji.logger.emoji.ascii import TAG_WIDTH

__all__ = [
    "ConsoleRenderer",
    "JSONRenderer",
    "display_width",
    "format_exception",
    "level_name",
    "safe_repr",
]

_SHORT_LEVEL = {
    "debug": "DEBUG",
    "info": "INFO ",
    "warning": "WARN ",
    "error": "ERROR",
    "critical": "CRIT ",
}
_LEVEL_COLOR = {
    "debug": "\x1b[34m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[1;31m",
}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_CYAN = "\x1b[36m"
_BLUE = "\x1b[34m"
_SAFE_TEXT = re.compile(r"[\w.:/@+%-]+", re.ASCII)
# str() of larger ints is slow (and limited by sys.int_info.str_digits_check_threshold).
_MAX_INT_BITS = 13_000
_MAX_DEPTH = 32


class ConsoleRenderer:
    """Render an event as one aligned, human-readable line.

    Args:
        colors: Use ANSI colours.
        show_timestamp: Start the line with the local time.
        max_value_chars: Cut longer values, saying how many characters were cut.
        logger_width: Pad logger names to this many columns.
        event_width: Pad event names to this many columns when fields follow.
        clock: Returns the current time in seconds since the epoch.
        keep_logger_column: Leave the logger column blank for a logger without a
            name, rather than leaving it out, so such lines align with the others.
    """

    def __init__(
        self,
        *,
        colors: bool = False,
        show_timestamp: bool = True,
        max_value_chars: int = 10_000,
        logger_width: int = 16,
        event_width: int = 26,
        clock: Callable[[], float] = time.time,
        keep_logger_column: bool = False,
    ) -> None:
        self._colors = colors
        self._keep_logger_column = keep_logger_column
        self._show_timestamp = show_timestamp
        self._max = max_value_chars
        self._logger_width = logger_width
        self._event_width = event_width
        self._clock = _Clock(clock)
        self._heads: dict[tuple[str, str, str | None], str] = {}
        self._texts: dict[str, str] = {}

    def _head(self, method_name: str, name: str, emoji: object) -> str:
        """Return the level, logger and emoji columns, ending in a space."""
        level = _LEVEL_OF_METHOD.get(method_name, "info")
        lvl = _SHORT_LEVEL.get(level, level.upper()[:5])
        parts = [f"{_LEVEL_COLOR.get(level, '')}{lvl}{_RESET}" if self._colors else lvl]
        if name or self._keep_logger_column:
            padded = name.ljust(self._logger_width)
            parts.append(f"{_BLUE}{padded}{_RESET}" if self._colors else padded)
        head = " ".join(parts) + " "
        if emoji:
            emoji = emoji if type(emoji) is str else safe_repr(emoji)
            # An ASCII tag ("[RATE]") is padded to the widest tag, an emoji to two columns.
            width = TAG_WIDTH if emoji.startswith("[") else 2
            head += emoji + " " * max(0, width - display_width(emoji)) + " "
        return head

    def format_value(self, value: object) -> str:
        """Return the text of one field value."""
        if type(value) is str:  # most values: known texts are one lookup
            text = self._texts.get(value)
            return text if text is not None else self._format_str(value)
        if type(value) is int and value.bit_length() <= _MAX_INT_BITS:
            return str(value)
        if isinstance(value, str):
            return self._format_str(value)
        if isinstance(value, int) or value is None:
            if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
                return f"<int with {value.bit_length()} bits>"
            return str(value)
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, Decimal):
            return str(value)
        return _truncate(safe_repr(value), self._max)

    def _format_str(self, value: str) -> str:
        if len(value) <= 64 and (value.isidentifier() or _SAFE_TEXT.fullmatch(value)):
            text = value
        else:
            text = _truncate(safe_repr(value), self._max)
        if type(value) is str and len(value) <= 64:
            if len(self._texts) >= 1024:
                self._texts.clear()
            self._texts[value] = text
        return text

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> str:
        event = event_dict.pop("event", "")
        if type(event) is not str:
            event = safe_repr(event)
        emoji = event_dict.pop("emoji", None)
        # Most events have neither: a lookup costs less than a pop.
        exc_info = event_dict.pop("exc_info") if "exc_info" in event_dict else None
        exception = event_dict.pop("exception") if "exception" in event_dict else None
        name = getattr(logger, "name", None) or ""
        colors = self._colors
        # The columns before the event repeat from line to line: build them once.
        key = (method_name, name, emoji)
        try:
            head = self._heads[key]
        except Exception:  # KeyError; TypeError or worse: an emoji that cannot be hashed
            head = self._head(method_name, name, emoji)
            if type(emoji) in (str, type(None)) and type(name) is str:
                if len(self._heads) >= 1024:
                    self._heads.clear()
                self._heads[key] = head
        if self._show_timestamp:
            ts = self._clock.local_time()
            head = f"{_DIM}{ts}{_RESET} {head}" if colors else f"{ts} {head}"
        if len(event) > self._max:
            event = _truncate(event, self._max)
        if event_dict:
            texts, fmt = self._texts, self.format_value
            before, after = (_CYAN, _RESET) if colors else ("", "")
            fields = []
            for field, value in event_dict.items():
                kind = type(value)
                if kind is str:  # a string seen before is one lookup ("" is never a text)
                    text = texts.get(value) or fmt(value)
                elif kind is int and value.bit_length() <= _MAX_INT_BITS:
                    text = str(value)
                else:
                    text = fmt(value)
                fields.append(f"{before}{field}{after}={text}")
            if colors:
                line = f"{head}{_BOLD}{event.ljust(self._event_width)}{_RESET} {' '.join(fields)}"
            else:
                line = f"{head}{event.ljust(self._event_width)} {' '.join(fields)}"
        else:
            line = f"{head}{_BOLD}{event}{_RESET}" if colors else head + event
        # One event, one line: a newline in an event name, key or repr must not forge another.
        if "\n" in line or "\r" in line:
            line = line.replace("\r", "\\r").replace("\n", "\\n")
        trace = format_exception(exc_info) if exc_info else None
        if trace is None and isinstance(exception, str):
            trace = exception
        if trace:
            line = f"{line}\n{trace}"
        return line


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    return safe_repr(value)


def _sanitize(
    value: object,
    limit: int,
    depth: int = 0,
    seen: frozenset[int] = frozenset(),
) -> object:
    """Return a copy of ``value`` that orjson can always serialize."""
    if isinstance(value, str):
        return _truncate(value.encode("utf-8", "backslashreplace").decode("utf-8"), limit)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -(2**63) <= value < 2**64:
            return value
        if value.bit_length() > _MAX_INT_BITS:
            return f"<int with {value.bit_length()} bits>"
        return _truncate(str(value), limit)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if depth >= _MAX_DEPTH or id(value) in seen:
        return f"<{type_name(value)} cut: {'cycle' if id(value) in seen else 'too deep'}>"
    try:
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list | tuple | set | frozenset):
            elements = list(value)
        else:
            return _sanitize(_json_default(value), limit, depth + 1, seen)
    # A container subclass that cannot be read, say: show it as repr does, not the whole line.
    except Exception:
        return _sanitize(safe_repr(value), limit)
    inner = seen | {id(value)}
    if isinstance(value, dict):
        return {
            _truncate(
                (k if type(k) is str else safe_repr(k))
                .encode("utf-8", "backslashreplace")
                .decode(),
                limit,
            ): _sanitize(v, limit, depth + 1, inner)
            for k, v in items
        }
    return [_sanitize(v, limit, depth + 1, inner) for v in elements]


class JSONRenderer:
    """Render an event as one JSON object (bytes, no newline), never raising.

    Args:
        max_value_chars: Cut longer string values, saying how many characters were cut.
        clock: Returns the current time in seconds since the epoch.
    """

    def __init__(
        self, *, max_value_chars: int = 10_000, clock: Callable[[], float] = time.time
    ) -> None:
        self._max = max_value_chars
        self._clock = _Clock(clock)
        self._heads: dict[tuple[Any, ...], bytes] = {}

    def __call__(
        self,
        logger: Any,
        method_name: str,
        event_dict: MutableMapping[str, Any],
    ) -> bytes:
        event = event_dict.pop("event", "")
        if type(event) is not str:
            event = safe_repr(event)
        exc_info = event_dict.pop("exc_info") if "exc_info" in event_dict else None
        emoji = event_dict.pop("emoji", None)
        name = getattr(logger, "name", None)
        if not (
            exc_info or "timestamp" in event_dict or "level" in event_dict or "logger" in event_dict
        ):
            # The usual line: the timestamp, the cached columns that repeat, the fields.
            try:
                head = self._heads.get((method_name, name, event, emoji))
                if head is None:
                    head = self._head(method_name, name, event, emoji)
                fields = orjson.dumps(event_dict, default=_json_default)
            except (TypeError, ValueError, RecursionError):  # written the careful way below
                pass
            else:
                # The fields' object without its "{" continues the line; "{}" closes it.
                tail = b"," + fields[1:] if len(fields) > 2 else b"}"
                line = self._clock.json_timestamp() + head + tail
                if len(line) <= self._max + 4096:
                    return line
        out: dict[str, Any] = {
            "timestamp": self._clock.utc_iso(),
            "level": _LEVEL_OF_METHOD.get(method_name, "info"),
            "logger": name,
            "event": event,
        }
        if emoji is not None:
            out["emoji"] = emoji
        out.update(event_dict)
        if exc_info:
            trace = format_exception(exc_info)
            if trace:
                out["exception"] = trace
        try:
            line = orjson.dumps(out, default=_json_default, option=orjson.OPT_NON_STR_KEYS)
        except (TypeError, ValueError, RecursionError):  # orjson.JSONEncodeError is a TypeError
            line = self._dump_safely(out)
        if len(line) > self._max + 4096:
            line = self._dump_safely(out)
        return line

    def _head(self, method_name: str, name: Any, event: str, emoji: Any) -> bytes:
        """Return and keep ``,"level":…,"logger":…,"event":…[,"emoji":…]``: it repeats."""
        columns = {"level": _LEVEL_OF_METHOD.get(method_name, "info"), "logger": name}
        columns["event"] = event
        if emoji is not None:
            columns["emoji"] = emoji
        head = b"," + orjson.dumps(columns)[1:-1]
        if len(event) <= 256:  # event names repeat; long messages need not be kept
            if len(self._heads) >= 1024:
                self._heads.clear()
            self._heads[method_name, name, event, emoji] = head
        return head

    def _dump_safely(self, out: dict[str, Any]) -> bytes:
        try:
            return orjson.dumps(_sanitize(out, self._max), option=orjson.OPT_NON_STR_KEYS)
        except Exception:  # last resort: the line must still be written, and must parse
            return orjson.dumps(
                {
                    "timestamp": out.get("timestamp"),
                    "level": out.get("level"),
                    "logger": safe_repr(out.get("logger")),
                    "event": safe_repr(out.get("event"))[: self._max],
                    "exception": _sanitize(out.get("exception"), self._max),
                    "logmoji_error": "event could not be serialized",
                }
            )
