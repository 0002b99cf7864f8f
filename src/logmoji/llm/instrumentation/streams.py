"""Watch an SDK stream in place, so the caller keeps the very object the SDK returned.

Both SDKs' ``Stream`` and ``AsyncStream`` read every item through one instance
attribute, ``_iterator`` (a generator), and end through ``close()``; Anthropic's
``MessageStream`` and OpenAI's ``ChatCompletionStream`` helpers read the raw
stream the same way. :func:`watch_stream` swaps that generator for one that
hands each item to a :class:`StreamTracker` before yielding it, and wraps
``close`` on the instance. Nothing is read ahead: the stream stays lazy, and
``with``/``async with``, ``.response``, ``.text_stream`` and
``get_final_message()`` keep working because they are the SDK's own code.

The per-item cost is one generator step plus the tracker's ``feed``: a counter
and a few attribute reads. A text delta adds :meth:`StreamTracker.token`: one
more counter and one comparison with :attr:`StreamTracker.due`. Only the first
delta (its clock read), every ``progress_every``-th (a progress line) and,
under content capture, every delta (its text kept) go further, to
:meth:`StreamTracker.milestone`. The stream's end
is logged exactly once: ``stream_completed`` when the SDK's iterator runs out,
``stream_failed`` when it raises, ``stream_cancelled`` when the stream is closed,
garbage-collected or its task cancelled before the end.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from logmoji.llm.instrumentation._call import Call
    from logmoji.llm.instrumentation._outcome import Outcome

__all__ = ["StreamTracker", "watch_items", "watch_stream"]

T = TypeVar("T")


class StreamTracker:
    """Count one stream's chunks and text deltas; subclasses read a provider's events.

    Subclasses implement :meth:`feed` (return ``False`` to hide an item from the
    caller) and :meth:`outcome`, and call :meth:`token` once per text delta.
    """

    __slots__ = (
        "_clock",
        "_every",
        "_next_progress",
        "call",
        "chunks",
        "complete",
        "deltas",
        "done",
        "due",
        "first_token_at",
        "parts",
    )

    def __init__(self, call: Call) -> None:
        settings = call.rt.settings
        self.call = call
        self.chunks = 0
        self.deltas = 0
        self.first_token_at: float | None = None
        self.complete = False
        self.done = False
        self.parts: list[str] | None = [] if settings.capture_content else None
        self._clock = settings.clock
        self._every = settings.progress_every
        self._next_progress = settings.progress_every
        #: The delta count at which :meth:`token` has more to do than count: the first
        #: delta, then the next progress line (0 under capture: every delta's text).
        self.due = 1

    def feed(self, item: Any) -> bool:
        """Look at one item; return whether the caller should see it."""
        raise NotImplementedError

    def outcome(self) -> Outcome:
        """Return the usage and ids the stream has reported so far."""
        raise NotImplementedError

    def token(self, text: str | None) -> None:
        """Count one text delta; note the first one's time and log progress every N."""
        self.deltas += 1
        if self.deltas >= self.due:
            self.milestone(text)

    def milestone(self, text: str | None) -> None:
        """Do what the delta just counted is due for: first token time, progress, captured text."""
        if self.first_token_at is None:
            self.first_token_at = self._clock()
        if self.deltas >= self._next_progress:
            self._next_progress += self._every
            try:
                self.call.stream_progress(self)
            except Exception as exc:  # a progress line is not worth breaking the stream
                self.call.rt.internal_error("stream_progress", exc)
        if self.parts is not None:
            if text:
                self.parts.append(text)
            self.due = 0
        else:
            self.due = self._next_progress

    def text(self) -> str | None:
        """Return the streamed text when content capture is on, else ``None``."""
        return None if self.parts is None else "".join(self.parts)

    def _end(self, kind: str, exc: BaseException | None, reason: str | None) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.call.stream_ended(self, kind, exc, reason)
        except Exception as err:  # the caller's stream must end the way the SDK ends it
            self.call.rt.internal_error("stream_ended", err)

    def finish(self) -> None:
        """Record that the SDK's iterator ran out: the stream completed."""
        self.complete = True
        self._end("completed", None, None)

    def fail(self, exc: Exception) -> None:
        """Record that the SDK's iterator raised ``exc``."""
        self._end("failed", exc, None)

    def cancel(self, reason: str) -> None:
        """Record that the stream stopped before its end (no-op once it ended)."""
        self._end("cancelled", None, reason)

    def broken(self, exc: Exception) -> None:
        """Stop watching after a bug in :meth:`feed`; the caller's items flow on."""
        self.call.rt.internal_error("stream_feed", exc)

    def fallback(self, item: Any) -> bool:
        """Decide, without watching, whether the caller sees ``item`` (after :meth:`broken`)."""
        return True


def _keep(item: object) -> bool:
    return True


def _fallback(tracker: StreamTracker, item: object) -> tuple[Callable[[Any], bool], bool]:
    """Return the feed to use once the tracker broke, and its verdict on ``item``."""
    try:
        return tracker.fallback, tracker.fallback(item)
    except Exception:  # even the fallback fails: show the caller everything
        return _keep, True


def _watch(inner: Iterator[T], tracker: StreamTracker) -> Iterator[T]:
    feed: Callable[[Any], bool] = tracker.feed
    try:
        for item in inner:
            try:
                keep = feed(item)
            except Exception as exc:  # logmoji's bug must not cost the caller an item
                tracker.broken(exc)
                feed, keep = _fallback(tracker, item)
            if keep:
                yield item
    except GeneratorExit:
        tracker.cancel("closed")
        raise
    except Exception as exc:
        tracker.fail(exc)
        raise
    except BaseException as exc:
        tracker.cancel(type(exc).__name__)
        raise
    tracker.finish()


async def _awatch(inner: AsyncIterator[T], tracker: StreamTracker) -> AsyncIterator[T]:
    feed: Callable[[Any], bool] = tracker.feed
    try:
        async for item in inner:
            try:
                keep = feed(item)
            except Exception as exc:  # logmoji's bug must not cost the caller an item
                tracker.broken(exc)
                feed, keep = _fallback(tracker, item)
            if keep:
                yield item
    except GeneratorExit:
        tracker.cancel("closed")
        raise
    except Exception as exc:
        tracker.fail(exc)
        raise
    except BaseException as exc:  # asyncio.CancelledError: the task was cancelled mid-stream
        tracker.cancel(type(exc).__name__)
        raise
    tracker.finish()


def watch_items(inner: Any, tracker: StreamTracker, *, is_async: bool) -> Any:
    """Return a generator that yields ``inner``'s items after ``tracker`` has seen them.

    For SDKs whose stream is a plain (async) generator rather than a ``Stream``
    object (google-genai's ``request_streamed``): the ending is logged as by
    :func:`watch_stream`.
    """
    return _awatch(inner, tracker) if is_async else _watch(inner, tracker)


def watch_stream(stream: Any, tracker: StreamTracker, *, is_async: bool) -> None:
    """Make ``stream`` (an SDK ``Stream``/``AsyncStream``) report to ``tracker``.

    Raises:
        AttributeError: If ``stream`` is not shaped like an SDK stream; the
            caller then leaves it alone.
    """
    inner = stream._iterator
    original_close = type(stream).close
    # A weak reference: a closure holding the stream would keep it alive in a
    # cycle, and a dropped stream would be closed (and logged) only by the GC.
    ref = weakref.ref(stream)
    if is_async:
        stream._iterator = _awatch(inner, tracker)

        async def aclose() -> None:
            target = ref()
            try:
                if target is not None:
                    await original_close(target)
            finally:
                tracker.cancel("closed")

        stream.close = aclose
    else:
        stream._iterator = _watch(inner, tracker)

        def close() -> None:
            target = ref()
            try:
                if target is not None:
                    original_close(target)
            finally:
                tracker.cancel("closed")

        stream.close = close
    finalizer = weakref.finalize(stream, tracker.cancel, "abandoned")
    finalizer.atexit = False
