"""Run many LLM requests on asyncio with bounded concurrency, and log the batch 📦.

:class:`BatchProcessor` starts at most ``max_concurrent`` workers that take the
requests in order and hand each to an async handler. A failure stays with its
request (``batch_request_failed`` 💥); a rate-limited request waits for the
server's ``retry-after`` and is tried again (``request_retried`` 🚦). Both
name the request by its position in the input, ``batch_index`` (``request_id``
is the provider's id of one HTTP request). The
result lists every request's outcome in input order. Cancelling the task that
runs :meth:`BatchProcessor.run` cancels the workers and waits for them, so no
task outlives the batch.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from logmoji._validate import require_int, require_number
from logmoji.llm.instrumentation.ratelimits import parse_retry_after
from logmoji.logger.core import Logger, get_logger

__all__ = ["BatchProcessor", "BatchResult", "RequestOutcome", "is_rate_limited", "retry_after_of"]

T = TypeVar("T")
Req = TypeVar("Req")

RetryOn = Callable[[BaseException], bool] | tuple[type[BaseException], ...]
ProgressCallback = Callable[[int, int], object]

_RATE_LIMIT_CLASSES = frozenset({"RateLimitError", "RateLimitExceeded", "TooManyRequests"})
_MAX_ERROR_CHARS = 300


def is_rate_limited(exc: BaseException) -> bool:
    """Return whether ``exc`` says "too many requests" (HTTP 429 or a ``RateLimitError``).

    Works on the OpenAI and Anthropic SDK errors without importing either.
    """
    if any(cls.__name__ in _RATE_LIMIT_CLASSES for cls in type(exc).__mro__):
        return True
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status == 429


def retry_after_of(exc: BaseException) -> float | None:
    """Return the seconds ``exc`` asks to wait before retrying, if it says.

    Reads a numeric ``retry_after`` attribute first, then the ``retry-after-ms``
    and ``retry-after`` headers of ``exc.response`` (as the SDK errors carry them).
    """
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        return parse_retry_after(headers)
    except (TypeError, ValueError, AttributeError):  # headers of an unexpected shape
        return None


@dataclass(frozen=True, slots=True)
class RequestOutcome(Generic[T]):
    """Say how one request of a batch ended.

    Attributes:
        index: Its position in the input.
        ok: Whether the handler returned.
        value: What the handler returned (``None`` on failure).
        error: The exception of the last attempt (``None`` on success).
        attempts: How many times the handler was called.
        duration_ms: Time from the first attempt to the end, retries included.
    """

    index: int
    ok: bool
    value: T | None
    error: BaseException | None
    attempts: int
    duration_ms: float


@dataclass(frozen=True, slots=True)
class BatchResult(Generic[T]):
    """Hold every outcome of a batch in input order, with the totals."""

    results: tuple[RequestOutcome[T], ...]
    successes: int
    failures: int
    duration_ms: float
    requests_per_second: float

    def values(self) -> list[T | None]:
        """Return each request's value in input order, ``None`` where it failed."""
        return [outcome.value for outcome in self.results]

    @property
    def failed(self) -> tuple[RequestOutcome[T], ...]:
        """Return the outcomes of the requests that failed."""
        return tuple(outcome for outcome in self.results if not outcome.ok)


class _Progress:
    """Count finished requests; log every ``every`` and tell the callback each time."""

    def __init__(
        self, total: int, every: int, log: Logger, callback: ProgressCallback | None
    ) -> None:
        self.total = total
        self.every = every
        self.completed = 0
        self.failed = 0
        self._log = log
        self._callback = callback

    def done(self, ok: bool) -> None:
        self.completed += 1
        self.failed += not ok
        if self.completed % self.every == 0 or self.completed == self.total:
            self._log.info(
                "batch_progress", completed=self.completed, total=self.total, failed=self.failed
            )
        if self._callback is None:
            return
        try:
            self._callback(self.completed, self.total)
        except Exception as exc:  # a broken progress bar must not fail the batch
            self._log.warning("batch_progress_callback_failed", error_type=type(exc).__name__)
            self._callback = None


class BatchProcessor:
    """Run a list of requests through an async handler, a few at a time.

    Args:
        max_concurrent: Most requests in flight at once (retry waits included).
        max_retries: Retries per request for errors matched by ``retry_on``.
        retry_on: Exception classes, or a predicate, naming the errors worth
            retrying; by default rate limits (:func:`is_rate_limited`).
        default_retry_after: First wait when the error names none; doubled on
            each further retry.
        max_retry_after: Longest wait, whatever the server asks.
        progress_every: Log ``batch_progress`` every this many finished
            requests; by default about ten times per batch.
        logger: Where events go; ``get_logger("llm.batch")`` by default.
        sleep: Awaited to wait before a retry.
        clock: Seconds, for durations.
    """

    def __init__(
        self,
        max_concurrent: int = 5,
        max_retries: int = 3,
        *,
        retry_on: RetryOn = is_rate_limited,
        default_retry_after: float = 1.0,
        max_retry_after: float = 60.0,
        progress_every: int | None = None,
        logger: Logger | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        require_int("max_concurrent", max_concurrent, minimum=1)
        require_int("max_retries", max_retries, minimum=0)
        require_number("default_retry_after", default_retry_after)
        require_number("max_retry_after", max_retry_after)
        if progress_every is not None:
            require_int("progress_every", progress_every, minimum=1)
        self.max_concurrent = max_concurrent
        self.max_retries = max_retries
        self.default_retry_after = default_retry_after
        self.max_retry_after = max_retry_after
        self.progress_every = progress_every
        if isinstance(retry_on, tuple):
            classes = retry_on
            self._should_retry: Callable[[BaseException], bool] = lambda e: isinstance(e, classes)
        else:
            self._should_retry = retry_on
        self._log = logger if logger is not None else get_logger("llm.batch")
        self._sleep = sleep
        self._clock = clock

    async def run(
        self,
        requests: Iterable[Req],
        handler: Callable[[Req], Awaitable[T]],
        *,
        on_progress: ProgressCallback | None = None,
    ) -> BatchResult[T]:
        """Call ``await handler(request)`` for every request; return the outcomes in order.

        Args:
            requests: The requests; read into a list first.
            handler: Sends one request and returns its result.
            on_progress: Called as ``on_progress(completed, total)`` after each request.

        Raises:
            asyncio.CancelledError: The batch was cancelled; in-flight handlers
                were cancelled and awaited first.
        """
        items = list(requests)
        total = len(items)
        every = self.progress_every or max(1, math.ceil(total / 10))
        progress = _Progress(total, every, self._log, on_progress)
        outcomes: list[RequestOutcome[T] | None] = [None] * total
        pending = iter(range(total))

        async def work() -> None:
            for index in pending:  # shared by the workers: each index is taken once
                outcome = await self._attempt(index, items[index], handler)
                outcomes[index] = outcome
                progress.done(outcome.ok)

        self._log.info(
            "batch_processing_started", request_count=total, max_concurrent=self.max_concurrent
        )
        started = self._clock()
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(total, self.max_concurrent)):
                    group.create_task(work())
        except asyncio.CancelledError:
            self._log.warning(
                "batch_processing_cancelled",
                request_count=total,
                completed=progress.completed,
                failures=progress.failed,
            )
            raise
        duration_s = self._clock() - started
        results = tuple(outcome for outcome in outcomes if outcome is not None)
        failures = sum(not outcome.ok for outcome in results)
        result = BatchResult(
            results=results,
            successes=total - failures,
            failures=failures,
            duration_ms=round(duration_s * 1000, 2),
            requests_per_second=round(total / duration_s, 2) if duration_s > 0 else 0.0,
        )
        self._log.info(
            "batch_processing_completed",
            request_count=total,
            successes=result.successes,
            failures=result.failures,
            duration_ms=result.duration_ms,
            requests_per_second=result.requests_per_second,
        )
        return result

    async def _attempt(
        self, index: int, request: Req, handler: Callable[[Req], Awaitable[T]]
    ) -> RequestOutcome[T]:
        """Run one request, retrying what ``retry_on`` matches; never raise its error."""
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                value = await handler(request)
            except Exception as exc:  # one request's failure is its own, not the batch's
                if attempt <= self.max_retries and self._should_retry(exc):
                    delay = self._delay(exc, attempt)
                    self._log.info(
                        "request_retried",
                        batch_index=index,
                        attempt=attempt,
                        retry_after=delay,
                        reason=type(exc).__name__,
                    )
                    await self._sleep(delay)
                    continue
                duration_ms = round((self._clock() - started) * 1000, 2)
                self._log.error(
                    "batch_request_failed",
                    batch_index=index,
                    error=str(exc)[:_MAX_ERROR_CHARS] or type(exc).__name__,
                    error_type=type(exc).__name__,
                    attempts=attempt,
                    duration_ms=duration_ms,
                )
                return RequestOutcome(index, False, None, exc, attempt, duration_ms)
            duration_ms = round((self._clock() - started) * 1000, 2)
            return RequestOutcome(index, True, value, None, attempt, duration_ms)

    def _delay(self, exc: BaseException, attempt: int) -> float:
        asked = retry_after_of(exc)
        delay = self.default_retry_after * 2 ** (attempt - 1) if asked is None else asked
        return min(delay, self.max_retry_after)
