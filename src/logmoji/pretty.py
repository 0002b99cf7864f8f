"""Turn JSON log lines back into logmoji console lines (what ``logmoji pretty`` runs).

Reads logmoji's own JSON lines and any structlog JSON output: ``event`` (or
``message`` / ``msg``), ``level`` (or ``log_level``, ``levelname``, ``lvl``,
``severity``), ``logger`` (or ``logger_name``; a line without one leaves the
logger column blank), ``timestamp`` (ISO 8601 or seconds since the epoch) and the
fields. A line without an ``emoji`` gets one from the built-in emoji sets,
exactly as the logger would have chosen it. The time shown is the line's own
(local time, like the console renderer), not the time of reading. Lines that
are not JSON objects pass through unchanged.

:func:`follow_lines` reads a growing file like ``tail -f``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from logmoji.logger.config import parse_level
from logmoji.logger.emoji._builtin import BUILTIN_SET_NAMES, builtin_set
from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.render import ConsoleRenderer

__all__ = ["follow_lines", "render_lines"]

_METHOD = {
    "debug": "debug",
    "trace": "debug",
    "info": "info",
    "notice": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
    "crit": "critical",
    "err": "error",
    "default": "info",  # Google Cloud Logging's severity of unspecified lines
    "alert": "critical",
    "emergency": "critical",
}
_LEVEL_KEYS = ("level", "log_level", "levelname", "lvl", "severity")
_CONSUMED = (*_LEVEL_KEYS, "logger", "logger_name")
_NO_TIME = " " * len("12:00:00.000")


class _Named:
    """The logger object renderers and the emoji resolver read a ``name`` from."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _epoch(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


class _LevelFilter:
    """Decide whether a line's level is shown: per logger-name prefix, longest wins."""

    def __init__(self, min_level: str | int, module_levels: Mapping[str, str | int]) -> None:
        self._default = parse_level(min_level, "min_level")
        self._modules = {
            prefix: parse_level(level, f"level of {prefix!r}")
            for prefix, level in module_levels.items()
        }
        self._cache: dict[str, int] = {}

    def threshold(self, name: str) -> int:
        found = self._cache.get(name)
        if found is None:
            found, best = self._default, -1
            for prefix, level in self._modules.items():
                if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                    best, found = len(prefix), level
            if len(self._cache) < 4096:
                self._cache[name] = found
        return found


def render_lines(
    lines: Iterable[str | bytes],
    *,
    min_level: str | int = "debug",
    module_levels: Mapping[str, str | int] | None = None,
    colors: bool = False,
) -> Iterator[str]:
    """Yield each of ``lines`` as a console line (without a line end).

    Args:
        lines: JSON log lines, with or without line ends; read lazily, so an
            endless source (a followed file) works.
        min_level: Lowest level shown (``"debug"``, ``"info"``, ``"warning"``...).
        module_levels: Levels for logger-name prefixes, longest prefix winning,
            as in :class:`~logmoji.LoggingConfig`: ``{"httpx": "warning"}``.
        colors: Use ANSI colours.

    Raises:
        ConfigurationError: A level is not a level name.
    """
    levels = _LevelFilter(min_level, module_levels or {})
    resolver = EmojiResolver(s for s in map(builtin_set, BUILTIN_SET_NAMES) if s is not None)
    now = [0.0]
    timed = ConsoleRenderer(colors=colors, clock=lambda: now[0], keep_logger_column=True)
    untimed = ConsoleRenderer(colors=colors, show_timestamp=False, keep_logger_column=True)
    loggers: dict[str, _Named] = {}
    for raw in lines:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        data: Any = None
        if text.lstrip().startswith("{"):
            try:
                data = orjson.loads(text)
            except orjson.JSONDecodeError:
                data = None
        if not isinstance(data, dict):
            yield text
            continue
        level_text = next((data[k] for k in _LEVEL_KEYS if k in data), None)
        level = level_text.lower() if isinstance(level_text, str) else "info"
        method = _METHOD.get(level, level)
        name = data.get("logger", data.get("logger_name"))
        name = name if isinstance(name, str) else ""
        try:
            shown = parse_level(method) >= levels.threshold(name)
        except ValueError:  # a level we do not know is shown, never hidden
            shown = True
        if not shown:
            continue
        logger = loggers.get(name)
        if logger is None:
            logger = loggers[name] = _Named(name)
        epoch = _epoch(data.get("timestamp"))
        fields = {key: value for key, value in data.items() if key not in _CONSUMED}
        if epoch is not None:
            del fields["timestamp"]  # shown as the time column; one that is no time stays a field
        if "event" not in fields:
            fields["event"] = fields.pop("message", None) or fields.pop("msg", None) or ""
        if "emoji" not in fields:
            resolver(logger, method, fields)
        if epoch is None:
            yield _NO_TIME + " " + untimed(logger, method, fields)
        else:
            now[0] = epoch
            yield timed(logger, method, fields)


def _tail_start(f: BinaryIO, count: int) -> int:
    """Return the offset of the last ``count`` lines of the binary file ``f``."""
    end = f.seek(0, os.SEEK_END)
    if count <= 0:
        return end
    position, found = end, 0
    while position > 0:
        step = min(65536, position)
        position -= step
        f.seek(position)
        block = f.read(step)
        if position + step == end and block.endswith(b"\n"):
            block = block[:-1]  # the file's last line end does not start a line
        index = len(block)
        while True:
            index = block.rfind(b"\n", 0, index)
            if index < 0:
                break
            found += 1
            if found == count:
                return position + index + 1
    return 0


def follow_lines(
    path: str,
    *,
    last: int | None = 10,
    poll_interval: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
    notice: Callable[[str], None] | None = None,
) -> Iterator[str]:
    """Yield the lines of the file ``path`` and then each line appended to it, forever.

    Like ``tail -F``: a file cut shorter is read again from its start, and a
    file replaced by another of the same name (log rotation) is reopened.

    Args:
        path: The file to follow.
        last: Start with this many last lines; ``None`` starts at the beginning.
        poll_interval: Seconds between looks at the file once it is read.
        sleep: Waits between looks (tests pass one that appends to the file).
        notice: Told of truncation and rotation, in a few words.

    Raises:
        OSError: The file cannot be opened.
    """
    f = open(path, "rb")  # noqa: SIM115 (kept open across yields, closed in finally)
    try:
        f.seek(0 if last is None else _tail_start(f, last))
        pending = b""
        while True:
            chunk = f.read(65536)
            if chunk:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    yield line.decode("utf-8", "replace")
                continue
            try:
                status = os.stat(path)
            except FileNotFoundError:  # between rotation and the new file: wait for it
                status = None
            if status is not None and status.st_ino != os.fstat(f.fileno()).st_ino:
                f.close()
                f = open(path, "rb")  # noqa: SIM115
                pending = b""
                if notice is not None:
                    notice(f"{path}: file replaced, following the new file")
                continue
            if status is not None and status.st_size < f.tell():
                f.seek(0)
                pending = b""
                if notice is not None:
                    notice(f"{path}: file truncated, reading from its start")
                continue
            sleep(poll_interval)
    finally:
        f.close()
