"""Text helpers shared by the renderers and the rest of logmoji.

:func:`level_name` maps a logger method name to its level; :func:`display_width`
counts the terminal columns a text takes (emoji count as two);
:func:`safe_repr` and :func:`format_exception` turn any value or ``exc_info``
into text without raising; ``_truncate`` cuts a long text at a word break,
saying how many characters were cut.
"""

from __future__ import annotations

import sys
import traceback
import unicodedata
from functools import lru_cache

__all__ = [
    "display_width",
    "display_width_of_char",
    "format_exception",
    "level_name",
    "safe_repr",
    "type_name",
]


_LEVEL_OF_METHOD = {
    "debug": "debug",
    "info": "info",
    "msg": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}
# Characters that end a word for truncation, and the longest word dropped whole.
_WORD_BREAKS = frozenset(" \t\r\n\"',;:()[]{}<>@|&\\")
_MAX_CUT_WORD = 512


def level_name(method_name: str) -> str:
    """Return the level (``"info"``, ``"warning"``...) of a logger method name."""
    return _LEVEL_OF_METHOD.get(method_name, method_name)


@lru_cache(maxsize=1024)
def display_width(text: str) -> int:
    """Return how many terminal columns ``text`` takes (emoji count as two)."""
    width = 0
    chars = list(text)
    for i, ch in enumerate(chars):
        code = ord(ch)
        if code == 0xFE0F:  # variation selector 16: the previous char shows as an emoji
            if i and display_width_of_char(chars[i - 1]) == 1:
                width += 1
            continue
        if code == 0x200D or unicodedata.combining(ch) or 0xFE00 <= code <= 0xFE0E:
            continue
        if i and ord(chars[i - 1]) == 0x200D:  # joined into the previous emoji
            continue
        width += display_width_of_char(ch)
    return width


def display_width_of_char(ch: str) -> int:
    """Return the columns one character takes."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


# The C-level name of a class: a metaclass cannot make reading it raise, as it can __name__.
_TYPE_NAME = type.__dict__["__name__"].__get__


def type_name(value: object) -> str:
    """Return the name of ``value``'s class, even when the class's ``__name__`` raises."""
    name: str = _TYPE_NAME(type(value))
    return name


def safe_repr(value: object) -> str:
    """Return ``repr(value)``, or a placeholder when ``repr`` itself fails."""
    try:
        return repr(value)
    except Exception:  # a hostile __repr__ must not break a log call
        return f"<unrepresentable {type_name(value)} object>"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = limit
    # Half a secret, or one cut off from what follows it ("user:pw" + "@host"), no
    # longer looks like one to the masker: the word before the cut is dropped whole
    # (unless it is very long; then its head is kept).
    if text[cut - 1] not in _WORD_BREAKS:
        floor = max(0, cut - _MAX_CUT_WORD)
        while cut > floor and text[cut - 1] not in _WORD_BREAKS:
            cut -= 1
        if cut == floor and floor > 0:
            cut = limit
    return f"{text[:cut]}…[+{len(text) - cut} chars]"


def format_exception(exc_info: object) -> str | None:
    """Return the traceback text of an ``exc_info`` value (``True``, an exception or a tuple)."""
    try:
        if exc_info is True:
            exc_info = sys.exc_info()
        if isinstance(exc_info, BaseException):
            return "".join(traceback.format_exception(exc_info)).rstrip("\n")
        if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
            return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    except Exception:  # a hostile exception (say, its __str__ raises) must not break a log call
        return f"<traceback unavailable for {type_name(exc_info)}>"
    return None
