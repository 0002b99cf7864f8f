"""Hold what one instrumentation shares among its calls: options, logger, observers.

:class:`Settings` are the options of one ``instrument()`` call (equal settings
mean the same set-up); :class:`Runtime` pairs them with the logger and runs the
observers. Everything here that could fail because of someone else's code (a
logger, an observer) catches it: the caller's LLM call must not notice.

Besides ``observe(record)``, an observer may have two optional methods:
``before_call(provider, operation, model)``, which may refuse the call with
:class:`~logmoji.exceptions.BudgetExceededError`, and
``start_call(provider, operation, model)``, which returns a :class:`CallScope`
(or ``None``) that lives as long as the call: the call's events are logged
inside it, and it is told of retries and, last, of the call's end. The
OpenTelemetry span of a call is such a scope.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from logmoji.exceptions import BudgetExceededError
from logmoji.llm._record import CallObserver, CallRecord

__all__ = ["CallScope", "Runtime", "Settings"]


class CallScope(Protocol):
    """Follow one call from start to end, for an observer (an OpenTelemetry span, say)."""

    def activate(self) -> AbstractContextManager[object]:
        """Return a context manager that makes the scope current (for logging inside it)."""
        ...

    def note(self, event: str, fields: Mapping[str, object]) -> None:
        """Take note of an event during the call (``request_retried``)."""
        ...

    def end(self, record: CallRecord, fields: Mapping[str, object]) -> None:
        """Close the scope: ``record`` is the call's, ``fields`` its ending event's."""
        ...


class _Activation:
    """Enter the activations of a call's scopes for one ``with`` block, never raising."""

    __slots__ = ("_entered", "_rt", "_scopes")

    def __init__(self, rt: Runtime, scopes: tuple[CallScope, ...]) -> None:
        self._rt = rt
        self._scopes = scopes
        self._entered: list[AbstractContextManager[object]] = []

    def __enter__(self) -> None:
        for scope in self._scopes:
            try:
                manager = scope.activate()
                manager.__enter__()
            except Exception as exc:  # the event is logged outside the scope instead
                self._rt.internal_error("scope_activate", exc)
                continue
            self._entered.append(manager)

    def __exit__(self, *exc_info: object) -> None:
        while self._entered:
            try:
                self._entered.pop().__exit__(None, None, None)
            except Exception as exc:  # a scope that cannot leave must not break the call
                self._rt.internal_error("scope_deactivate", exc)


@dataclass(frozen=True, slots=True)
class Settings:
    """Hold the options of one ``instrument()`` call; equal settings mean the same setup."""

    logger: Any = None
    capture_content: bool = False
    max_content_chars: int = 2000
    progress_every: int = 50
    rate_limit_warning_ratio: float = 0.1
    observers: tuple[CallObserver, ...] = ()
    clock: Callable[[], float] = time.perf_counter


def _hooks(
    observers: tuple[CallObserver, ...], name: str
) -> tuple[tuple[str, Callable[[str, str, str], Any]], ...]:
    """Return the observers' optional method ``name``, each with where to report its bugs."""
    return tuple(
        (f"observer:{type(o).__qualname__}", getattr(o, name))
        for o in observers
        if callable(getattr(o, name, None))
    )


class Runtime:
    """Share one instrumentation's logger, settings and observers among its calls."""

    __slots__ = (
        "_checks",
        "_reported",
        "_starters",
        "log",
        "provider",
        "request_id_header",
        "server_address",
        "server_port",
        "settings",
    )

    def __init__(
        self,
        provider: str,
        settings: Settings,
        log: Any,
        request_id_header: str,
        server: tuple[str | None, int | None] = (None, None),
    ) -> None:
        self.provider = provider
        self.server_address, self.server_port = server
        self.settings = settings
        self.log = log
        self.request_id_header = request_id_header
        self._reported: set[str] = set()
        self._starters = _hooks(settings.observers, "start_call")
        self._checks = _hooks(settings.observers, "before_call")

    def emit(self, level: str, event: str, fields: dict[str, object]) -> None:
        """Log one event; a failure to log is reported once and otherwise ignored."""
        try:
            getattr(self.log, level)(event, **fields)
        except Exception as exc:  # a broken sink or processor must not break the LLM call
            self.internal_error("emit", exc)

    def enabled(self, level: int) -> bool:
        """Return whether the logger would write ``level``; unknown loggers say yes."""
        check = getattr(self.log, "is_enabled_for", None)
        if check is None:
            return True
        try:
            return bool(check(level))
        except Exception:  # a logger that cannot say: assume it writes
            return True

    def internal_error(self, where: str, exc: BaseException) -> None:
        """Report a bug in logmoji's own code once per place, never raising."""
        if where in self._reported:
            return
        self._reported.add(where)
        # If the logger itself is broken there is nobody left to tell.
        with contextlib.suppress(Exception):
            self.log.warning(
                "instrumentation_error",
                provider=self.provider,
                where=where,
                error_type=type(exc).__name__,
                error_message=str(exc)[:200],
            )

    def before_call(self, operation: str, model: str) -> None:
        """Ask observers whether the call may go ahead; only a budget stop propagates."""
        for where, check in self._checks:
            try:
                check(self.provider, operation, model)
            except BudgetExceededError:
                raise
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error(where, exc)

    def open_scopes(self, operation: str, model: str) -> tuple[CallScope, ...]:
        """Ask observers with ``start_call`` for the scopes of a call that starts now."""
        scopes: list[CallScope] = []
        for where, start in self._starters:
            try:
                scope = start(self.provider, operation, model)
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error(where, exc)
                continue
            if scope is not None:
                scopes.append(scope)
        return tuple(scopes)

    def activate(self, scopes: tuple[CallScope, ...]) -> AbstractContextManager[None]:
        """Return a context manager making ``scopes`` current; it never raises."""
        return _Activation(self, scopes)

    def note_scopes(
        self, scopes: tuple[CallScope, ...], event: str, fields: Mapping[str, object]
    ) -> None:
        """Tell each scope of an event during its call."""
        for scope in scopes:
            try:
                scope.note(event, fields)
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error("scope_note", exc)

    def end_scopes(
        self, scopes: tuple[CallScope, ...], record: CallRecord, fields: Mapping[str, object]
    ) -> None:
        """Close each scope with the call's record and its ending event's fields."""
        for scope in scopes:
            try:
                scope.end(record, fields)
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error("scope_end", exc)

    def observe(self, record: CallRecord) -> dict[str, object]:
        """Hand ``record`` to every observer; return the fields they add (without ``None``s)."""
        extra: dict[str, object] = {}
        for observer in self.settings.observers:
            try:
                fields = observer.observe(record)
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error(f"observer:{type(observer).__qualname__}", exc)
                continue
            if fields:
                for key, value in fields.items():
                    if value is not None:
                        extra[key] = value
        return extra
