"""Make untrusted text from the logs safe to show: on a terminal, and in a spreadsheet.

A report repeats what the logs hold (model names, providers, error texts, file
names), and logs can hold anything. :func:`terminal_safe` writes every
character that is not printable the way ``repr`` (and so ``logmoji pretty``)
does, as ``\\x1b``, ``\\x07``, ``\\u202e``: no escape sequence can clear the
screen, set the window title, ring the bell or reorder the line.
:func:`csv_safe` does the same for a CSV cell and, when the cell starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, puts a ``'`` before it,
as OWASP advises against formula injection: a spreadsheet shows the text
instead of running it.
"""

from __future__ import annotations

__all__ = ["csv_safe", "terminal_safe", "terminal_safe_lines"]

# What spreadsheets read as the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(text: str) -> str:
    """Return ``text`` with every non-printable character backslash-escaped, as repr does."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def terminal_safe_lines(text: str) -> str:
    """Return ``text`` made :func:`terminal_safe` line by line, keeping its newlines."""
    return "\n".join(terminal_safe(line) for line in text.split("\n"))


def csv_safe(value: object) -> object:
    """Return a CSV cell that a spreadsheet shows as text; numbers and empty cells pass."""
    if type(value) is not str or not value:
        return value
    safe = terminal_safe(value)
    return "'" + safe if value.startswith(_FORMULA_STARTS) else safe
