"""Cache LLM responses in memory, keyed by the model and the request, and log hits 💾.

:class:`ResponseCache` is an LRU map bounded by entry count and by bytes, with a
time to live. Keys are the SHA-256 of the canonical JSON of the model and the
request parameters (sorted keys, no whitespace), so the order of keyword
arguments or of dict keys never matters. Wrap an SDK method with
:meth:`ResponseCache.wrap` to check the cache before calling through; errors
and streams are never cached. The log events (``cache_hit``, ``cache_miss``,
``response_cached``, ``cache_evicted``, ``cache_bypass``) carry the model, the
first 16 hex digits of the key and the response size, never the content.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar, cast

import orjson

from logmoji._validate import require_int, require_number
from logmoji.logger.core import Logger, get_logger

__all__ = ["TRANSPORT_PARAMS", "CacheStats", "ResponseCache", "estimate_size"]

P = ParamSpec("P")
R = TypeVar("R")

TRANSPORT_PARAMS: frozenset[str] = frozenset({"timeout", "extra_headers", "idempotency_key"})
"""Parameters that change how a request travels, not what it asks; left out of keys."""

_SENTINEL_TYPES = frozenset({"NotGiven", "Omit"})  # the SDKs' "argument left out" markers
_STREAM_TYPES = frozenset({"Stream", "AsyncStream", "MessageStream", "AsyncMessageStream"})
_KEY_PREFIX = 16

EvictionReason = Literal["lru", "bytes", "ttl"]


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Count what a :class:`ResponseCache` has done since it was made (or cleared)."""

    hits: int
    misses: int
    entries: int
    bytes: int
    evictions: int

    @property
    def hit_rate(self) -> float:
        """Return hits over lookups, or 0.0 before the first lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


@dataclass(slots=True)
class _Entry:
    value: Any
    size: int
    expires_at: float | None
    model: str | None


def _is_left_out(value: object) -> bool:
    return type(value).__name__ in _SENTINEL_TYPES


def _canonical(name: str, value: object) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise ValueError(
            f"cannot build a cache key: parameter {name!r} ({type(value).__name__}) is not "
            f"JSON-serializable ({exc}); pass plain data (dict, list, str, number, bool, None) "
            "or call without the cache"
        ) from None


def estimate_size(value: object) -> int:
    """Return the size in bytes of ``value`` as JSON, the way it would travel.

    SDK responses (pydantic models) are measured with ``model_dump_json()``;
    other values with ``orjson``; anything else with :func:`sys.getsizeof`.
    """
    dump = getattr(value, "model_dump_json", None)
    if callable(dump):
        try:
            return len(dump())
        except Exception:  # a response that cannot dump itself is sized another way
            pass
    try:
        return len(orjson.dumps(value))
    except TypeError:
        return sys.getsizeof(value)


def _is_stream(value: object) -> bool:
    return any(cls.__name__ in _STREAM_TYPES for cls in type(value).__mro__)


class ResponseCache:
    """Keep LLM responses in memory, least recently used first out.

    Args:
        max_entries: Most responses kept.
        max_bytes: Most bytes kept, summed over the responses' JSON sizes.
        ttl_seconds: Seconds a response stays valid; ``None`` keeps it until evicted.
        clock: Monotonic clock in seconds, read for expiry.
        logger: Where events go; ``get_logger("llm.cache")`` by default.

    Thread-safe: a lock guards the map, never held while calling the SDK.
    Two concurrent misses on one key both call through; the later result wins.
    A hit returns the cached object itself, so do not mutate responses.
    """

    def __init__(
        self,
        max_entries: int = 1024,
        max_bytes: int = 64 * 1024 * 1024,
        ttl_seconds: float | None = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        logger: Logger | None = None,
    ) -> None:
        require_int("max_entries", max_entries, minimum=1)
        require_int("max_bytes", max_bytes, minimum=1)
        require_number("ttl_seconds", ttl_seconds, allow_none=True, strictly_above=True)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._log = logger if logger is not None else get_logger("llm.cache")
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    # keys

    def key_for(self, model: str, /, **params: object) -> str:
        """Return the cache key of a request: SHA-256 hex of its canonical JSON.

        Transport options (:data:`TRANSPORT_PARAMS`), ``stream=False`` and the
        SDKs' ``NOT_GIVEN``/``omit`` markers are left out, so they never split
        one request into two keys.

        Raises:
            ValueError: ``model`` is not a string, ``stream=True`` was passed, or
                a parameter is not JSON-serializable (the message names it).
        """
        if not isinstance(model, str):
            raise ValueError(f"model must be a string, not {type(model).__name__}")
        if params.get("stream") is True:
            raise ValueError("streamed responses are not cached; call without stream=True")
        parts = [b'{"model":', orjson.dumps(model), b',"params":{']
        names = sorted(
            name
            for name, value in params.items()
            if name not in TRANSPORT_PARAMS and name != "stream" and not _is_left_out(value)
        )
        for i, name in enumerate(names):
            if i:
                parts.append(b",")
            parts += [orjson.dumps(name), b":", _canonical(name, params[name])]
        parts.append(b"}}")
        return hashlib.sha256(b"".join(parts)).hexdigest()

    # the map

    def get(self, key: str, default: Any = None, *, model: str | None = None) -> Any:
        """Return the response stored under ``key``, or ``default``; log the hit or miss."""
        found, value = self._lookup(key, model)
        return value if found else default

    def put(
        self, key: str, value: Any, size: int | None = None, *, model: str | None = None
    ) -> None:
        """Store ``value`` under ``key``, evicting old entries to stay within bounds.

        Args:
            key: A key from :meth:`key_for`.
            value: The response.
            size: Its size in bytes; estimated from its JSON when left out.
            model: The model, for the log event.
        """
        size = estimate_size(value) if size is None else size
        if size > self.max_bytes:
            self._log.debug(
                "cache_bypass",
                reason="too_large",
                model=model,
                cache_key=key[:_KEY_PREFIX],
                response_size_bytes=size,
            )
            return
        expires_at = None if self.ttl_seconds is None else self._clock() + self.ttl_seconds
        evicted: list[tuple[str, _Entry, EvictionReason]] = []
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = _Entry(value, size, expires_at, model)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                reason: EvictionReason = "lru" if len(self._entries) > self.max_entries else "bytes"
                old_key, entry = self._entries.popitem(last=False)
                self._bytes -= entry.size
                self._evictions += 1
                evicted.append((old_key, entry, reason))
        self._log.debug(
            "response_cached", model=model, cache_key=key[:_KEY_PREFIX], response_size_bytes=size
        )
        for old_key, entry, reason in evicted:
            self._log_evicted(old_key, entry, reason)

    def purge_expired(self) -> int:
        """Drop every expired entry now; return how many were dropped."""
        now = self._clock()
        with self._lock:
            expired = [
                (key, entry)
                for key, entry in self._entries.items()
                if entry.expires_at is not None and entry.expires_at <= now
            ]
            for key, entry in expired:
                del self._entries[key]
                self._bytes -= entry.size
            self._evictions += len(expired)
        for key, entry in expired:
            self._log_evicted(key, entry, "ttl")
        return len(expired)

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self._bytes = self._hits = self._misses = self._evictions = 0

    def stats(self) -> CacheStats:
        """Return the counters and the current size."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                entries=len(self._entries),
                bytes=self._bytes,
                evictions=self._evictions,
            )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            entry = self._entries.get(key) if isinstance(key, str) else None
            return entry is not None and (
                entry.expires_at is None or entry.expires_at > self._clock()
            )

    def _lookup(self, key: str, model: str | None) -> tuple[bool, Any]:
        now = self._clock()
        expired: _Entry | None = None
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at is not None and entry.expires_at <= now:
                expired, entry = self._entries.pop(key), None
                self._bytes -= expired.size
                self._evictions += 1
            if entry is None:
                self._misses += 1
            else:
                self._hits += 1
                self._entries.move_to_end(key)
        if expired is not None:
            self._log_evicted(key, expired, "ttl")
        if entry is None:
            self._log.debug("cache_miss", model=model, cache_key=key[:_KEY_PREFIX])
            return False, None
        self._log.debug(
            "cache_hit",
            model=model if model is not None else entry.model,
            cache_key=key[:_KEY_PREFIX],
            response_size_bytes=entry.size,
        )
        return True, entry.value

    def _log_evicted(self, key: str, entry: _Entry, reason: EvictionReason) -> None:
        self._log.debug(
            "cache_evicted",
            reason=reason,
            model=entry.model,
            cache_key=key[:_KEY_PREFIX],
            response_size_bytes=entry.size,
        )

    # wrapping SDK calls

    def wrap(self, create: Callable[P, R], *, is_async: bool | None = None) -> Callable[P, R]:
        """Return ``create`` with the cache in front of it, called the same way.

        A call with ``stream=True``, positional arguments or parameters that
        cannot be keyed goes straight through, uncached (the last with a
        warning). A call that raises caches nothing.

        Args:
            create: An SDK method such as ``client.chat.completions.create``,
                sync or async, instrumented or not.
            is_async: Whether ``create`` returns an awaitable; detected when left out.
        """
        if is_async is None:
            is_async = inspect.iscoroutinefunction(create) or inspect.iscoroutinefunction(
                inspect.unwrap(create)
            )
        if is_async:
            return cast(Callable[P, R], self._wrap_async(cast(Callable[..., Any], create)))

        @functools.wraps(create)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            key, model = self._key_for_call(args, kwargs)
            if key is None:
                return create(*args, **kwargs)
            found, value = self._lookup(key, model)
            if found:
                return cast(R, value)
            result = create(*args, **kwargs)
            if inspect.isawaitable(result):
                self._log.warning(
                    "cache_bypass",
                    reason="awaitable_result",
                    model=model,
                    hint="wrap the async method with is_async=True",
                )
            elif not _is_stream(result):
                self.put(key, result, model=model)
            return result

        return cached

    def _wrap_async(self, create: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(create)
        async def cached(*args: Any, **kwargs: Any) -> Any:
            key, model = self._key_for_call(args, kwargs)
            if key is None:
                return await create(*args, **kwargs)
            found, value = self._lookup(key, model)
            if found:
                return value
            result = await create(*args, **kwargs)
            if not _is_stream(result):
                self.put(key, result, model=model)
            return result

        return cached

    def cached_create(self, create: Callable[..., R], /, **request: Any) -> R:
        """Call ``create(**request)`` through the cache (awaitable if ``create`` is async).

        A shortcut for ``cache.wrap(create)(**request)``, e.g.
        ``cache.cached_create(client.chat.completions.create, model=..., messages=...)``.
        """
        return self.wrap(create)(**request)

    def _key_for_call(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> tuple[str | None, str | None]:
        """Return the key for one wrapped call, or ``None`` when it must not be cached."""
        raw_model = kwargs.get("model")
        model = raw_model if isinstance(raw_model, str) else None
        if kwargs.get("stream") is True:
            self._log.debug("cache_bypass", reason="stream", model=model)
            return None, model
        if args:
            self._log.warning(
                "cache_bypass",
                reason="positional_arguments",
                model=model,
                hint="pass the request as keyword arguments",
            )
            return None, model
        params = {name: value for name, value in kwargs.items() if name != "model"}
        try:
            return self.key_for("" if raw_model is None else raw_model, **params), model
        except ValueError as exc:
            # The request itself is fine; only caching it is not, so call through.
            self._log.warning("cache_bypass", reason="unserializable", model=model, detail=str(exc))
            return None, model
