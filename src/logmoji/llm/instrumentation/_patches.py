"""Set attributes on objects and classes, remembering how to put each one back.

Instrumentation only ever changes attributes through :class:`Patches`, so
``uninstrument()`` restores the exact state it found: an instance attribute
that was absent is removed again (the class's method shows through), one that
was present is put back.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Patches"]

_MISSING = object()


class Patches:
    """Set attributes on objects and classes, remembering how to put them back."""

    __slots__ = ("_undo",)

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, object]] = []

    def _remember(self, obj: Any, name: str) -> None:
        self._undo.append((obj, name, vars(obj).get(name, _MISSING)))

    def set(self, obj: Any, name: str, value: object) -> None:
        """Set ``obj.name`` to ``value``."""
        self._remember(obj, name)
        setattr(obj, name, value)

    def undo(self) -> None:
        """Restore every attribute, newest first; idempotent."""
        while self._undo:
            obj, name, old = self._undo.pop()
            if isinstance(obj, type):
                if old is _MISSING:
                    delattr(obj, name)
                else:
                    setattr(obj, name, old)
                continue
            vars(obj).pop(name, None)
            if old is not _MISSING:
                vars(obj)[name] = old
