"""Tests for logmoji.llm.cache: keys, LRU and byte bounds, TTL, and wrapped SDK calls."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from logmoji.llm.cache import CacheStats, ResponseCache, estimate_size
from logmoji.llm.instrumentation import instrument
from logmoji.testing import CapturedEvents, FakeLLMProvider, capture_logs

MESSAGES: Any = [{"role": "user", "content": "the secret plan is purple"}]


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _all_text(events: list[dict[str, Any]]) -> str:
    return " ".join(repr(event) for event in events)


def _cache_events(events: CapturedEvents) -> list[str]:
    return [event["event"] for event in events if event["logger"] == "llm.cache"]


class TestKeyFor:
    """ResponseCache.key_for."""

    def test_key_is_sha256_of_canonical_json(self) -> None:
        """The key is the SHA-256 of the sorted, whitespace-free JSON of model and params."""
        key = ResponseCache().key_for("gpt-4o", temperature=0.5, messages=[{"b": 1, "a": 2}])
        canonical = b'{"model":"gpt-4o","params":{"messages":[{"a":2,"b":1}],"temperature":0.5}}'
        assert key == hashlib.sha256(canonical).hexdigest()

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ({"temperature": 0.5, "top_p": 1}, {"top_p": 1, "temperature": 0.5}),
            (
                {"messages": [{"role": "u", "content": "x"}]},
                {"messages": [{"content": "x", "role": "u"}]},
            ),
            ({"temperature": 0.5}, {"temperature": 0.5, "timeout": 30}),
            ({"temperature": 0.5}, {"temperature": 0.5, "extra_headers": {"x-trace": "1"}}),
            ({"temperature": 0.5}, {"temperature": 0.5, "stream": False}),
            ({"temperature": 0.5}, {"temperature": 0.5, "top_p": openai.NOT_GIVEN}),
            ({"temperature": 0.5}, {"temperature": 0.5, "top_p": openai.omit}),
        ],
    )
    def test_equal_requests_share_a_key(
        self, first: dict[str, Any], second: dict[str, Any]
    ) -> None:
        """Key order, transport options, stream=False and NOT_GIVEN never split a key."""
        cache = ResponseCache()
        assert cache.key_for("gpt-4o", **first) == cache.key_for("gpt-4o", **second)

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (("gpt-4o", {"temperature": 0.5}), ("gpt-4o-mini", {"temperature": 0.5})),
            (("gpt-4o", {"temperature": 0.5}), ("gpt-4o", {"temperature": 0.7})),
            (("gpt-4o", {"messages": ["a"]}), ("gpt-4o", {"messages": ["b"]})),
            (("gpt-4o", {"max_tokens": 10}), ("gpt-4o", {"max_completion_tokens": 10})),
            (("gpt-4o", {"extra_body": {"seed": 1}}), ("gpt-4o", {})),
        ],
    )
    def test_different_requests_differ(
        self, first: tuple[str, dict[str, Any]], second: tuple[str, dict[str, Any]]
    ) -> None:
        """A different model or any different request parameter gives a different key."""
        cache = ResponseCache()
        assert cache.key_for(first[0], **first[1]) != cache.key_for(second[0], **second[1])

    @given(
        st.dictionaries(
            st.text(max_size=8), st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8), max_size=8
        )
    )
    def test_dict_order_never_matters(self, params: dict[str, Any]) -> None:
        """Any dict parameter keys to the same value whatever its insertion order."""
        cache = ResponseCache()
        reordered = dict(reversed(list(params.items())))
        assert cache.key_for("m", metadata=params) == cache.key_for("m", metadata=reordered)

    @pytest.mark.parametrize(
        ("value", "type_name"),
        [
            (object(), "object"),
            ({1, 2}, "set"),
            (Decimal("1.5"), "Decimal"),
            (lambda: 1, "function"),
        ],
    )
    def test_non_serializable_parameter_raises_value_error(
        self, value: object, type_name: str
    ) -> None:
        """A parameter orjson cannot encode raises ValueError naming it and its type."""
        with pytest.raises(ValueError, match=rf"parameter 'tools' \({type_name}\)"):
            ResponseCache().key_for("gpt-4o", tools=value)

    def test_non_string_dict_key_raises_value_error(self) -> None:
        """A dict with non-string keys cannot be canonical JSON, so it is refused."""
        with pytest.raises(ValueError, match="parameter 'logit_bias'"):
            ResponseCache().key_for("gpt-4o", logit_bias={50256: -100})

    @pytest.mark.parametrize(
        ("model", "params", "message"),
        [
            ("gpt-4o", {"stream": True}, "stream=True"),
            (None, {}, "model must be a string"),
        ],
    )
    def test_unkeyable_requests_raise(
        self, model: Any, params: dict[str, Any], message: str
    ) -> None:
        """Streams and a missing model cannot be keyed."""
        with pytest.raises(ValueError, match=message):
            ResponseCache().key_for(model, **params)


class TestBounds:
    """The LRU, byte and TTL bounds of ResponseCache."""

    def test_entry_bound_evicts_least_recently_used(self) -> None:
        """Past max_entries the entry read longest ago goes, and is logged as 'lru'."""
        cache = ResponseCache(max_entries=2)
        with capture_logs() as logs:
            cache.put("a", 1)
            cache.put("b", 2)
            assert cache.get("a") == 1  # "b" is now the least recently used
            cache.put("c", 3)
        assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
        evicted = logs.named("cache_evicted")
        assert [(e["cache_key"], e["reason"]) for e in evicted] == [("b", "lru")]

    def test_byte_bound_evicts_until_it_fits(self) -> None:
        """Past max_bytes the oldest entries go until the total fits, logged as 'bytes'."""
        cache = ResponseCache(max_bytes=100)
        with capture_logs() as logs:
            for key in "abc":
                cache.put(key, key, size=40)
        assert len(cache) == 2
        assert cache.stats().bytes == 80
        assert [e["reason"] for e in logs.named("cache_evicted")] == ["bytes"]

    def test_entry_larger_than_the_bound_is_not_stored(self) -> None:
        """A response bigger than max_bytes is skipped and evicts nothing."""
        cache = ResponseCache(max_bytes=100)
        cache.put("small", "x", size=10)
        with capture_logs() as logs:
            cache.put("huge", "y", size=101)
        assert ("small" in cache, "huge" in cache) == (True, False)
        assert logs.named("cache_bypass")[0]["reason"] == "too_large"

    def test_replacing_a_key_keeps_the_byte_count(self) -> None:
        """Putting the same key twice counts its bytes once."""
        cache = ResponseCache()
        cache.put("k", "old", size=30)
        cache.put("k", "new", size=50)
        assert (len(cache), cache.stats().bytes, cache.get("k")) == (1, 50, "new")

    def test_memory_stays_bounded_under_many_requests(self) -> None:
        """However many distinct responses pass, entries and bytes stay within bounds."""
        cache = ResponseCache(max_entries=100, max_bytes=5_000)
        for i in range(5_000):
            cache.put(cache.key_for("m", n=i), {"text": "x" * (i % 90)})
        stats = cache.stats()
        assert stats.entries <= 100
        assert stats.bytes <= 5_000
        assert stats.evictions == 5_000 - stats.entries

    def test_ttl_expires_entries(self) -> None:
        """An entry is served until ttl_seconds pass on the clock, then it is a miss."""
        clock = FakeClock()
        cache = ResponseCache(ttl_seconds=10.0, clock=clock)
        cache.put("k", "v")
        clock.now = 9.9
        assert cache.get("k") == "v"
        clock.now = 10.0
        with capture_logs() as logs:
            assert cache.get("k", "gone") == "gone"
        assert logs.events() == ["cache_evicted", "cache_miss"]
        assert logs.named("cache_evicted")[0]["reason"] == "ttl"
        assert cache.stats() == CacheStats(hits=1, misses=1, entries=0, bytes=0, evictions=1)

    def test_ttl_none_never_expires(self) -> None:
        """With ttl_seconds=None entries live until evicted."""
        clock = FakeClock()
        cache = ResponseCache(ttl_seconds=None, clock=clock)
        cache.put("k", "v")
        clock.now = 1e12
        assert cache.get("k") == "v"

    def test_purge_expired_drops_every_expired_entry(self) -> None:
        """purge_expired removes expired entries without a lookup and returns how many."""
        clock = FakeClock()
        cache = ResponseCache(ttl_seconds=5.0, clock=clock)
        cache.put("old1", 1, size=10)
        cache.put("old2", 2, size=10)
        clock.now = 3.0
        cache.put("new", 3, size=10)
        clock.now = 6.0
        assert cache.purge_expired() == 2
        assert (len(cache), cache.stats().bytes, "new" in cache) == (1, 10, True)

    def test_stats_count_hits_and_misses(self) -> None:
        """stats() reports hits, misses and the hit rate."""
        cache = ResponseCache()
        assert cache.stats().hit_rate == 0.0
        cache.put("k", "v", size=3)
        cache.get("k")
        cache.get("k")
        cache.get("missing")
        stats = cache.stats()
        assert (stats.hits, stats.misses, stats.entries, stats.bytes) == (2, 1, 1, 3)
        assert stats.hit_rate == pytest.approx(2 / 3)

    def test_clear_forgets_everything(self) -> None:
        """clear() empties the map and resets the counters."""
        cache = ResponseCache()
        cache.put("k", "v")
        cache.get("k")
        cache.clear()
        assert cache.stats() == CacheStats(hits=0, misses=0, entries=0, bytes=0, evictions=0)

    def test_concurrent_puts_keep_the_invariants(self) -> None:
        """Threads putting at once never break the entry and byte bounds or the byte count."""
        cache = ResponseCache(max_entries=50, max_bytes=2_000)

        def fill(offset: int) -> None:
            for i in range(500):
                cache.put(f"{offset}-{i}", i, size=1 + i % 40)
                cache.get(f"{offset}-{i // 2}")

        threads = [threading.Thread(target=fill, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats = cache.stats()
        assert stats.entries <= 50
        assert stats.bytes <= 2_000
        assert stats.bytes == sum(e.size for e in cache._entries.values())

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"max_entries": 0}, "max_entries"),
            ({"max_bytes": 0}, "max_bytes"),
            ({"ttl_seconds": 0}, "ttl_seconds"),
        ],
    )
    def test_bad_options_raise(self, options: dict[str, Any], message: str) -> None:
        """Bounds that could hold nothing are refused."""
        with pytest.raises(ValueError, match=message):
            ResponseCache(**options)


class TestEstimateSize:
    """estimate_size."""

    @pytest.mark.parametrize(
        ("value", "size"),
        [({"a": 1}, len(b'{"a":1}')), ("hello", len(b'"hello"')), ([1, 2, 3], len(b"[1,2,3]"))],
    )
    def test_plain_data_is_measured_as_json(self, value: object, size: int) -> None:
        """Plain data is sized by its compact JSON."""
        assert estimate_size(value) == size

    def test_unencodable_values_fall_back_to_getsizeof(self) -> None:
        """A value orjson cannot encode still gets a positive size."""
        assert estimate_size(object()) > 0


class TestWrap:
    """ResponseCache.wrap around real SDK clients talking to the fake provider."""

    def test_second_identical_call_is_served_from_the_cache(
        self, fake_llm: FakeLLMProvider
    ) -> None:
        """The repeat call sends no request and returns the cached response, logging a hit."""
        cache = ResponseCache()
        with fake_llm.openai_client() as client, capture_logs() as logs:
            create = cache.wrap(client.chat.completions.create)
            first = create(model="gpt-4o", messages=MESSAGES, temperature=0)
            second = create(temperature=0, messages=MESSAGES, model="gpt-4o")
        assert len(fake_llm.requests) == 1
        assert second is first
        assert _cache_events(logs) == ["cache_miss", "response_cached", "cache_hit"]
        hit = logs.named("cache_hit")[0]
        assert hit["model"] == "gpt-4o"
        assert hit["emoji"] == "💾"
        assert len(hit["cache_key"]) == 16
        assert hit["response_size_bytes"] == len(first.model_dump_json())

    async def test_async_wrapper_caches(self, fake_llm: FakeLLMProvider) -> None:
        """An async create is wrapped by an async function that caches the awaited result."""
        cache = ResponseCache()
        async with fake_llm.async_openai_client() as client:
            create = cache.wrap(client.chat.completions.create)
            first = await create(model="gpt-4o", messages=MESSAGES)
            second = await create(model="gpt-4o", messages=MESSAGES)
        assert len(fake_llm.requests) == 1
        assert second is first

    async def test_cached_create_shortcut(self, fake_llm: FakeLLMProvider) -> None:
        """cached_create calls through the cache in one step, sync or async."""
        cache = ResponseCache()
        kwargs: dict[str, Any] = {
            "model": "claude-haiku-4-5",
            "max_tokens": 50,
            "messages": MESSAGES,
        }
        with fake_llm.anthropic_client() as client:
            first = cache.cached_create(client.messages.create, **kwargs)
            assert cache.cached_create(client.messages.create, **kwargs) is first
        async with fake_llm.async_anthropic_client() as aclient:
            assert await cache.cached_create(aclient.messages.create, **kwargs) is first
        assert len(fake_llm.requests) == 1

    def test_instrumented_sync_client_is_cached(self, fake_llm: FakeLLMProvider) -> None:
        """Wrapping an instrumented client's create logs the SDK call once, then only hits."""
        with fake_llm.openai_client() as client, capture_logs() as logs, instrument(client):
            create = ResponseCache().wrap(client.chat.completions.create)
            for _ in range(3):
                create(model="gpt-4o", messages=MESSAGES)
        assert len(fake_llm.requests) == 1
        assert len(logs.named("cache_hit")) == 2
        assert len([e for e in logs.events() if e.endswith("request_completed")]) == 1

    async def test_instrumented_async_client_is_cached(self, fake_llm: FakeLLMProvider) -> None:
        """The same holds for an instrumented async client."""
        async with fake_llm.async_openai_client() as client:
            with instrument(client), capture_logs() as logs:
                create = ResponseCache().wrap(client.chat.completions.create)
                for _ in range(3):
                    await create(model="gpt-4o", messages=MESSAGES)
        assert len(fake_llm.requests) == 1
        assert len(logs.named("cache_hit")) == 2
        assert len([e for e in logs.events() if e.endswith("request_completed")]) == 1

    def test_errors_are_not_cached(self, fake_llm: FakeLLMProvider) -> None:
        """A call that raised stores nothing; the next identical call goes to the server."""
        cache = ResponseCache()
        fake_llm.inject("server_error")
        with fake_llm.openai_client(max_retries=0) as client:
            create = cache.wrap(client.chat.completions.create)
            with pytest.raises(openai.InternalServerError):
                create(model="gpt-4o", messages=MESSAGES)
            assert len(cache) == 0
            create(model="gpt-4o", messages=MESSAGES)
            create(model="gpt-4o", messages=MESSAGES)
        assert len(fake_llm.requests) == 2

    async def test_async_errors_are_not_cached(self, fake_llm: FakeLLMProvider) -> None:
        """An async call that raised stores nothing either."""
        cache = ResponseCache()
        fake_llm.inject("rate_limit", retry_after=0.01)
        async with fake_llm.async_openai_client(max_retries=0) as client:
            create = cache.wrap(client.chat.completions.create)
            with pytest.raises(openai.RateLimitError):
                await create(model="gpt-4o", messages=MESSAGES)
        assert len(cache) == 0

    def test_streams_pass_through_uncached(self, fake_llm: FakeLLMProvider) -> None:
        """stream=True calls reach the server every time and log cache_bypass."""
        cache = ResponseCache()
        with fake_llm.openai_client() as client, capture_logs() as logs:
            create: Any = cache.wrap(client.chat.completions.create)  # typed for non-streams
            for _ in range(2):
                with create(model="gpt-4o", messages=MESSAGES, stream=True) as stream:
                    assert list(stream)
        assert len(fake_llm.requests) == 2
        assert len(cache) == 0
        assert [e["reason"] for e in logs.named("cache_bypass")] == ["stream", "stream"]

    def test_content_never_reaches_the_logs(self, fake_llm: FakeLLMProvider) -> None:
        """Neither the prompt nor the reply text appears in any cache event."""
        with fake_llm.openai_client() as client, capture_logs() as logs:
            create = ResponseCache().wrap(client.chat.completions.create)
            reply = create(model="gpt-4o", messages=MESSAGES)
            create(model="gpt-4o", messages=MESSAGES)
        text = _all_text([e for e in logs if e["logger"] == "llm.cache"])
        content = reply.choices[0].message.content
        assert content
        assert "purple" not in text
        assert content not in text
        assert content.split()[0] not in text


class TestWrapBypass:
    """Calls the wrapper passes straight through."""

    @staticmethod
    def _counting() -> tuple[Callable[..., dict[str, int]], list[int]]:
        calls: list[int] = []

        def create(*args: Any, **kwargs: Any) -> dict[str, int]:
            calls.append(1)
            return {"n": len(calls)}

        return create, calls

    def test_unserializable_params_warn_and_call_through(self) -> None:
        """A parameter that cannot be keyed logs a warning and never raises."""
        create, calls = self._counting()
        cached = ResponseCache().wrap(create)
        with capture_logs() as logs:
            cached(model="m", tools=object())
            cached(model="m", tools=object())
        assert len(calls) == 2
        warnings = logs.named("cache_bypass")
        assert [(w["log_level"], w["reason"]) for w in warnings] == [
            ("warning", "unserializable")
        ] * 2
        assert "'tools'" in warnings[0]["detail"]

    def test_positional_arguments_call_through(self) -> None:
        """Positional arguments cannot be keyed reliably, so such calls are not cached."""
        create, calls = self._counting()
        cached = ResponseCache().wrap(create)
        cached("m")
        cached("m")
        assert len(calls) == 2

    def test_stream_objects_are_never_stored(self) -> None:
        """A result that is a stream is not cached even without stream=True."""

        class Stream:
            pass

        cache = ResponseCache()
        cached = cache.wrap(lambda **kwargs: Stream())
        cached(model="m")
        assert len(cache) == 0

    def test_keyword_call_is_cached(self) -> None:
        """A plain keyword call is cached by its parameters."""
        create, calls = self._counting()
        cached = ResponseCache().wrap(create)
        assert cached(model="m", n=1) == cached(n=1, model="m") == {"n": 1}
        assert cached(model="m", n=2) == {"n": 2}
        assert len(calls) == 2
