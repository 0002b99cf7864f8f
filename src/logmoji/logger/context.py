"""Context variables: fields bound to the current thread or asyncio task, on every line.

The API is structlog's (``bind_contextvars``, ``unbind_contextvars``,
``clear_contextvars``, ``bound_contextvars``, ``get_contextvars``,
``merge_contextvars``), with one difference that is the reason for the
module: all bound fields live in a single :class:`~contextvars.ContextVar`
holding one dict, where structlog makes one ``ContextVar`` per key name and
visits every one ever made on each log call. So a log call costs the same after
a million distinct key names as after one. The dict is never changed once set
(binding sets a new one, and nothing outside this module sees it), so contexts
copied into tasks and threads can share it; a plain dict, not a read-only
proxy, because merging a dict into a line is one C call.

Fields bound with structlog's own ``structlog.contextvars`` functions are
merged too, at structlog's cost, once anything has been bound that way.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Generator, Mapping, MutableMapping
from typing import Any

import structlog.contextvars as _structlog_contextvars

__all__ = [
    "bind_contextvars",
    "bound_contextvars",
    "clear_contextvars",
    "get_contextvars",
    "merge_contextvars",
    "reset_contextvars",
    "unbind_contextvars",
]

_EMPTY: dict[str, Any] = {}  # never changed: every change sets a new dict
_CONTEXT: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "logmoji_context", default=_EMPTY
)
# structlog's registry of its per-key variables: empty unless its API was used directly.
_STRUCTLOG_VARS: Mapping[str, object] = getattr(_structlog_contextvars, "_CONTEXT_VARS", {})


def get_contextvars() -> dict[str, Any]:
    """Return a copy of the fields bound in the current context."""
    if _STRUCTLOG_VARS:
        return {**_structlog_contextvars.get_contextvars(), **_CONTEXT.get()}
    return dict(_CONTEXT.get())


def bind_contextvars(**fields: Any) -> Mapping[str, contextvars.Token[dict[str, Any]]]:
    """Bind ``fields`` in the current context; they appear on every line logged in it.

    Returns:
        The token of the change under each bound key (structlog's shape); any of
        them, passed to :func:`reset_contextvars`, undoes the whole call.
    """
    token = _CONTEXT.set({**_CONTEXT.get(), **fields})
    return dict.fromkeys(fields, token)


def reset_contextvars(**tokens: contextvars.Token[dict[str, Any]]) -> None:
    """Undo the :func:`bind_contextvars` calls that returned ``tokens``."""
    done: set[int] = set()  # one call's keys share one token, which resets once
    for token in tokens.values():
        if id(token) not in done:
            done.add(id(token))
            _CONTEXT.reset(token)


def unbind_contextvars(*keys: str) -> None:
    """Remove ``keys`` from the current context; missing keys are ignored."""
    current = _CONTEXT.get()
    if not current.keys().isdisjoint(keys):
        kept = {k: v for k, v in current.items() if k not in keys}
        _CONTEXT.set(kept or _EMPTY)
    if _STRUCTLOG_VARS:
        _structlog_contextvars.unbind_contextvars(*keys)


def clear_contextvars() -> None:
    """Remove every field bound in the current context."""
    _CONTEXT.set(_EMPTY)
    if _STRUCTLOG_VARS:
        _structlog_contextvars.clear_contextvars()


@contextlib.contextmanager
def bound_contextvars(**fields: Any) -> Generator[None, None, None]:
    """Bind ``fields`` for the ``with`` block (or decorated function), then restore the context.

    Fields bound inside the block under other keys are kept; the keys bound here
    get their previous values back, or are removed if they had none.
    """
    before = _CONTEXT.get()
    bind_contextvars(**fields)
    try:
        yield
    finally:
        restored = {k: v for k, v in _CONTEXT.get().items() if k not in fields or k in before}
        restored.update((k, before[k]) for k in fields if k in before)
        _CONTEXT.set(restored or _EMPTY)


def merge_contextvars(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the context's fields to ``event_dict``; fields of the call itself win. A processor."""
    context = _CONTEXT.get()
    if context:
        if event_dict.keys().isdisjoint(context):
            event_dict.update(context)
        else:
            for key, value in context.items():
                event_dict.setdefault(key, value)
    if _STRUCTLOG_VARS:
        event_dict = _structlog_contextvars.merge_contextvars(logger, method_name, event_dict)
    return event_dict
