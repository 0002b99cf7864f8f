"""Hold what one instrumentation shares among its calls: options, logger, observers.

:class:`Settings` are the options of one ``instrument()`` call (equal settings
mean the same set-up); :class:`Runtime` pairs them with the logger and runs the
observers. Everything here that could fail because of someone else's code (a
logger, an observer) catches it: the caller's LLM call must not notice.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from logmoji.exceptions import BudgetExceededError
from logmoji.llm._record import CallObserver, CallRecord

__all__ = ["Runtime", "Settings"]


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


class Runtime:
    """Share one instrumentation's logger, settings and observers among its calls."""

    __slots__ = ("_reported", "log", "provider", "request_id_header", "settings")

    def __init__(self, provider: str, settings: Settings, log: Any, request_id_header: str) -> None:
        self.provider = provider
        self.settings = settings
        self.log = log
        self.request_id_header = request_id_header
        self._reported: set[str] = set()

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
        for observer in self.settings.observers:
            hook = getattr(observer, "before_call", None)
            if hook is None:
                continue
            try:
                hook(self.provider, operation, model)
            except BudgetExceededError:
                raise
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error(f"observer:{type(observer).__qualname__}", exc)

    def observe(self, record: CallRecord) -> dict[str, object]:
        """Hand ``record`` to every observer; return the fields they add."""
        extra: dict[str, object] = {}
        for observer in self.settings.observers:
            try:
                fields = observer.observe(record)
            except Exception as exc:  # an observer's bug must not fail the user's call
                self.internal_error(f"observer:{type(observer).__qualname__}", exc)
                continue
            if fields:
                extra.update(fields)
        return extra
