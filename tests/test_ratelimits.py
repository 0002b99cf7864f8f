"""Tests for logmoji.llm.instrumentation.ratelimits: rate-limit and retry-after headers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from logmoji.llm.instrumentation.ratelimits import (
    RateLimit,
    RateLimitState,
    lowest_remaining_ratio,
    parse_rate_limit_headers,
    parse_reset_seconds,
    parse_retry_after,
)

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

OPENAI_HEADERS = {
    "x-request-id": "req_1",
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-reset-requests": "120ms",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-tokens": "1500",
    "x-ratelimit-reset-tokens": "6m0s",
}
ANTHROPIC_HEADERS = {
    "request-id": "req_2",
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "49",
    "anthropic-ratelimit-requests-reset": "2025-01-01T12:00:30Z",
    "anthropic-ratelimit-input-tokens-limit": "40000",
    "anthropic-ratelimit-input-tokens-remaining": "39000",
    "anthropic-ratelimit-input-tokens-reset": "2025-01-01T12:00:01Z",
    "anthropic-ratelimit-output-tokens-limit": "8000",
    "anthropic-ratelimit-output-tokens-remaining": "8000",
    "anthropic-ratelimit-output-tokens-reset": "2025-01-01T12:00:00Z",
}

HEADER_NAMES = sorted({*OPENAI_HEADERS, *ANTHROPIC_HEADERS})


def _now() -> datetime:
    return NOW


class TestParseRateLimitHeaders:
    """parse_rate_limit_headers() on both providers' header sets."""

    def test_openai(self) -> None:
        """OpenAI's requests and tokens budgets are read, resets turned into seconds."""
        state = parse_rate_limit_headers(OPENAI_HEADERS)

        assert state == RateLimitState(
            limits=(
                RateLimit("requests", 500, 499, "120ms"),
                RateLimit("tokens", 30000, 1500, "6m0s"),
            )
        )
        assert [limit.reset_seconds() for limit in state.limits] == [0.12, 360.0]

    def test_anthropic(self) -> None:
        """Anthropic's budgets, hyphenated kinds too, are read; RFC 3339 resets become delays."""
        state = parse_rate_limit_headers(ANTHROPIC_HEADERS)

        assert state is not None
        assert [limit.kind for limit in state.limits] == [
            "requests",
            "input_tokens",
            "output_tokens",
        ]
        requests, input_tokens = state.get("requests"), state.get("input_tokens")
        assert requests == RateLimit("requests", 50, 49, "2025-01-01T12:00:30Z")
        assert input_tokens == RateLimit("input_tokens", 40000, 39000, "2025-01-01T12:00:01Z")
        assert (requests.reset_seconds(now=_now), input_tokens.reset_seconds(now=_now)) == (
            30.0,
            1.0,
        )

    def test_httpx_headers(self) -> None:
        """A real httpx2 Headers object (raw bytes, mixed case) is accepted."""
        headers = httpx2.Headers(
            {"X-RateLimit-Limit-Requests": "10", "X-RateLimit-Remaining-Requests": "0", "A": "b"}
        )

        state = parse_rate_limit_headers(headers)

        assert state == RateLimitState(limits=(RateLimit("requests", 10, 0),))

    @pytest.mark.parametrize(
        "headers",
        [{}, {"content-type": "application/json"}, {"x-ratelimit-bogus": "1"}],
    )
    def test_none_without_rate_limit_headers(self, headers: dict[str, str]) -> None:
        """A response without rate-limit headers gives ``None``."""
        assert parse_rate_limit_headers(headers) is None

    def test_unreadable_numbers(self) -> None:
        """A value that is not a number is left unknown instead of failing."""
        state = parse_rate_limit_headers({"x-ratelimit-limit-requests": "lots"})

        assert state == RateLimitState(limits=(RateLimit("requests"),))


class TestRateLimitState:
    """Questions asked of a RateLimitState."""

    @pytest.mark.parametrize(
        ("remaining", "low"),
        [(3001, False), (3000, False), (2999, True), (0, True)],
    )
    def test_is_low(self, remaining: int, low: bool) -> None:
        """A budget is low when less than 10% of its limit remains."""
        state = RateLimitState(
            limits=(RateLimit("requests", 100, 90), RateLimit("tokens", 30000, remaining))
        )

        assert state.is_low(0.1) is low

    @pytest.mark.parametrize(("remaining", "low"), [(100, False), (11, False), (9, True)])
    def test_is_low_default(self, remaining: int, low: bool) -> None:
        """Without a threshold, a budget is low below 10% of its limit."""
        state = RateLimitState(limits=(RateLimit("requests", 100, remaining),))

        assert state.is_low() is low

    def test_lowest(self) -> None:
        """The lowest budget is the one with the smallest remaining fraction."""
        state = parse_rate_limit_headers(OPENAI_HEADERS)

        assert state is not None
        assert state.lowest == state.get("tokens")

    def test_lowest_unknown(self) -> None:
        """With no limit known there is no lowest budget and nothing is low."""
        state = RateLimitState(limits=(RateLimit("requests", None, 5),))

        assert state.lowest is None
        assert state.is_low() is False

    def test_to_fields(self) -> None:
        """The state flattens into log fields named after each budget."""
        state = parse_rate_limit_headers(OPENAI_HEADERS)

        assert state is not None
        assert state.to_fields(now=_now) == {
            "requests_limit": 500,
            "requests_remaining": 499,
            "requests_reset_s": 0.12,
            "tokens_limit": 30000,
            "tokens_remaining": 1500,
            "tokens_reset_s": 360.0,
            "lowest_limit": "tokens",
            "lowest_remaining_ratio": 0.05,
        }

    def test_frozen(self) -> None:
        """The state cannot be changed after it is made."""
        state = RateLimitState(limits=())

        with pytest.raises(dataclasses.FrozenInstanceError):
            state.limits = ()  # type: ignore[misc]


class TestLowestRemainingRatio:
    """lowest_remaining_ratio(): the full parse's lowest ratio, without building the state."""

    @staticmethod
    def _full(headers: object) -> float | None:
        state = parse_rate_limit_headers(headers)  # type: ignore[arg-type]
        lowest = None if state is None else state.lowest
        return None if lowest is None else lowest.remaining_ratio

    @pytest.mark.parametrize(
        ("headers", "ratio"),
        [
            (OPENAI_HEADERS, 1500 / 30000),
            (ANTHROPIC_HEADERS, 39000 / 40000),
            ({"X-RateLimit-Limit-Tokens": "100", "X-RATELIMIT-REMAINING-TOKENS": "7"}, 0.07),
            ({"x-ratelimit-limit-requests": "lots", "x-ratelimit-remaining-requests": "1"}, None),
            ({"x-ratelimit-limit-requests": "0", "x-ratelimit-remaining-requests": "0"}, None),
            ({"x-ratelimit-remaining-requests": "3"}, None),
            ({"content-type": "application/json"}, None),
        ],
    )
    def test_examples(self, headers: dict[str, str], ratio: float | None) -> None:
        """Known header sets, mixed-case names included, give the expected ratio."""
        assert lowest_remaining_ratio(headers) == ratio
        assert self._full(headers) == ratio

    def test_httpx_headers(self) -> None:
        """An httpx Headers object is read from its raw pairs, as the full parse reads it."""
        headers = httpx2.Headers({**OPENAI_HEADERS, "X-Ratelimit-Remaining-Requests": "5"})
        assert lowest_remaining_ratio(headers) == self._full(headers) == 5 / 500

    @given(
        st.dictionaries(
            st.sampled_from(HEADER_NAMES).flatmap(
                lambda name: st.sampled_from([name, name.upper(), name.title()])
            ),
            st.one_of(
                st.integers(-5, 10**6).map(str),
                st.tuples(
                    st.sampled_from(["", " ", "\t", "\xa0", "\x85", "\x1c", "+", "0"]),
                    st.integers(0, 10**6),
                    st.sampled_from(["", " ", "\xa0", "\x85", "\x1f", "_0", ".0"]),
                ).map(lambda parts: f"{parts[0]}{parts[1]}{parts[2]}"),
                st.sampled_from(["", "x", " 7 ", "1e3", "1_000", "²"]),
            ),
        )
    )
    def test_same_as_full_parse(self, headers: dict[str, str]) -> None:
        """Any mix of names, spellings and values: the same answer as the full parse."""
        assert lowest_remaining_ratio(headers) == self._full(headers)
        pairs = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        assert lowest_remaining_ratio(pairs) == self._full(pairs) == self._full(headers)

    def test_non_ascii_whitespace(self) -> None:
        """Whitespace the full parse strips (NBSP, NEL) does not hide a low budget."""
        headers = httpx2.Headers(
            [
                (b"x-ratelimit-limit-tokens", b"1000\xa0"),
                (b"x-ratelimit-remaining-tokens", b"\x8510"),
            ]
        )
        assert lowest_remaining_ratio(headers) == self._full(headers) == 0.01


class TestParseResetSeconds:
    """parse_reset_seconds() on the reset formats in use."""

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("20ms", 0.02),
            ("1s", 1.0),
            ("6m0s", 360.0),
            ("1h2m3.5s", 3723.5),
            ("2.5", 2.5),
            ("2025-01-01T12:01:00Z", 60.0),
            ("2025-01-01T11:00:00+00:00", 0.0),
            ("soon", None),
            ("nan", None),
            ("-inf", None),
            ("0.12345", 0.123),
            ("", None),
        ],
    )
    def test_formats(self, text: str, seconds: float | None) -> None:
        """Durations, plain seconds and absolute times are read; anything else is ``None``."""
        assert parse_reset_seconds(text, now=_now) == seconds


class TestParseRetryAfter:
    """parse_retry_after() as the SDKs read it."""

    @pytest.mark.parametrize(
        ("headers", "seconds"),
        [
            ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
            ({"Retry-After": "7"}, 7.0),
            ({"retry-after": "Wed, 01 Jan 2025 12:00:10 GMT"}, 10.0),
            ({"retry-after": "whenever"}, None),
            ({"retry-after-ms": "x", "retry-after": "2"}, 2.0),
            ({"retry-after-ms": "1234.56"}, 1.235),
            ({"retry-after": "0.0004"}, 0.0),
            ({"retry-after": "-3"}, 0.0),
            ({"retry-after": "inf"}, None),
            ({"retry-after": "nan"}, None),
            ({"retry-after-ms": "inf", "retry-after": "4"}, 4.0),
            ({}, None),
            (None, None),
        ],
    )
    def test_headers(self, headers: dict[str, str] | None, seconds: float | None) -> None:
        """``retry-after-ms`` wins, then ``retry-after`` in seconds or as an HTTP date."""
        assert parse_retry_after(headers, now=_now) == seconds


class TestNeverRaises:
    """Whatever a server sends, reading it does not fail."""

    @given(st.dictionaries(st.sampled_from(HEADER_NAMES) | st.text(max_size=30), st.text()))
    def test_rate_limit_headers(self, headers: dict[str, str]) -> None:
        """Any header set gives a state or ``None``; its fields are always computable."""
        state = parse_rate_limit_headers(headers)

        assert state is None or isinstance(state.to_fields(now=_now), dict)

    @given(st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms"]), st.text()))
    def test_retry_after(self, headers: dict[str, str]) -> None:
        """Any retry-after value gives a finite, non-negative delay or ``None``."""
        seconds = parse_retry_after(headers, now=_now)

        assert seconds is None or 0.0 <= seconds < float("inf")
