"""Tests for logmoji.llm.tokens: prompt token estimates, never fetched from the network."""

from __future__ import annotations

import dataclasses
import math
import sys
import types
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logmoji.llm import tokens
from logmoji.llm.tokens import TokenEstimate, estimate_texts, estimate_tokens, iter_text
from logmoji.testing._fake_text import count_prompt_tokens


@pytest.fixture(autouse=True)
def _no_cached_encodings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test with no encoding loaded and no tiktoken importable."""
    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    monkeypatch.setattr(tokens, "_BY_MODEL", {})
    monkeypatch.setitem(sys.modules, "tiktoken", None)


class _Encoding:
    def encode_ordinary(self, text: str) -> list[int]:
        return list(range(len(text.split())))


def _fake_tiktoken(monkeypatch: pytest.MonkeyPatch, *, cached: bool) -> list[str]:
    """Install a stand-in for tiktoken (not installed here) that downloads on a cache miss.

    Returns the list of URLs it tried to download.
    """
    downloads: list[str] = []
    load: Any = types.ModuleType("tiktoken.load")

    def read_file(blobpath: str) -> bytes:
        downloads.append(blobpath)
        return b""

    def read_file_cached(blobpath: str) -> bytes:
        return b"cached" if cached else load.read_file(blobpath)

    load.read_file = read_file
    load.read_file_cached = read_file_cached
    package: Any = types.ModuleType("tiktoken")
    package.load = load

    def get_encoding(name: str) -> _Encoding:
        load.read_file_cached(f"https://example.invalid/{name}.tiktoken")
        return _Encoding()

    package.get_encoding = get_encoding
    model: Any = types.ModuleType("tiktoken.model")

    def encoding_name_for_model(name: str) -> str:
        return {"gpt-4o": "o200k_base"}[name]

    model.encoding_name_for_model = encoding_name_for_model
    monkeypatch.setitem(sys.modules, "tiktoken", package)
    monkeypatch.setitem(sys.modules, "tiktoken.load", load)
    monkeypatch.setitem(sys.modules, "tiktoken.model", model)
    return downloads


class TestEstimateTokens:
    """estimate_tokens() with the four-characters heuristic."""

    @pytest.mark.parametrize(
        "messages",
        [
            [{"role": "user", "content": "hello"}],
            [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "What is the capital of France?"},
            ],
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "describe"},
                        {"type": "image_url", "image_url": {"url": "x"}},
                    ],
                }
            ],
            [{"role": "user", "content": ""}],
        ],
    )
    def test_matches_fake_provider(self, messages: list[dict[str, Any]]) -> None:
        """For chat messages the heuristic gives the count the fake provider reports."""
        texts = ["".join(iter_text(message)) for message in messages]

        assert estimate_tokens(messages) == TokenEstimate(count_prompt_tokens(texts), "heuristic")

    @pytest.mark.parametrize(
        ("text", "count"),
        [("", 0), ("abc", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100)],
    )
    def test_plain_text(self, text: str, count: int) -> None:
        """A plain string is ceil(chars / 4) tokens, with no message framing."""
        assert estimate_tokens(text) == TokenEstimate(count, "heuristic")

    def test_list_of_strings(self) -> None:
        """A list of strings is text, not messages: no framing overhead."""
        assert estimate_tokens(["abcd", "efgh"]).count == 2

    def test_unknown_model_is_heuristic(self) -> None:
        """A model tiktoken does not know (Claude) gets the heuristic."""
        assert estimate_tokens("hello there", model="claude-3-5-sonnet").method == "heuristic"

    def test_estimate_texts(self) -> None:
        """estimate_texts() adds three tokens per message to the text estimate."""
        assert estimate_texts(["abcdefgh"], 2) == TokenEstimate(math.ceil(8 / 4) + 6, "heuristic")


class TestTiktoken:
    """Exact counts with tiktoken, only from files already on disk."""

    def test_cached_encoding_is_used(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With the encoding file cached, the count comes from tiktoken."""
        downloads = _fake_tiktoken(monkeypatch, cached=True)

        estimate = estimate_tokens("one two three", model="gpt-4o")

        assert estimate == TokenEstimate(3, "tiktoken")
        assert downloads == []

    def test_cache_miss_never_downloads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """On a cache miss the download is refused and the heuristic answers instead."""
        downloads = _fake_tiktoken(monkeypatch, cached=False)

        estimate = estimate_tokens("one two three", model="gpt-4o")

        assert estimate == TokenEstimate(math.ceil(13 / 4), "heuristic")
        assert downloads == []

    def test_download_function_restored(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """tiktoken's own download function is put back after the offline attempt."""
        _fake_tiktoken(monkeypatch, cached=False)
        original = sys.modules["tiktoken.load"].read_file  # type: ignore[union-attr]

        estimate_tokens("x", model="gpt-4o")

        assert sys.modules["tiktoken.load"].read_file is original  # type: ignore[union-attr]

    def test_model_unknown_to_tiktoken(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Even with tiktoken present, a non-OpenAI model is estimated by the heuristic."""
        _fake_tiktoken(monkeypatch, cached=True)

        assert estimate_tokens("one two", model="claude-3-5-sonnet").method == "heuristic"


class TestIterText:
    """iter_text() pulls text out of every prompt shape."""

    @pytest.mark.parametrize(
        ("value", "texts"),
        [
            ("plain", ["plain"]),
            ({"role": "user", "content": "hi"}, ["hi"]),
            (
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "a"}, {"type": "input_text", "text": "b"}],
                },
                ["a", "b"],
            ),
            ([{"type": "text", "text": "system block"}], ["system block"]),
            ({"type": "function_call_output", "output": "42"}, ["42"]),
            ({"type": "image", "source": {"data": "...."}}, []),
            (42, []),
        ],
    )
    def test_shapes(self, value: object, texts: list[str]) -> None:
        """Strings, messages, content parts and blocks yield their text; others nothing."""
        assert list(iter_text(value)) == texts


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["role", "content", "text", "type", "x"]), inner, max_size=4
        )
    ),
    max_leaves=20,
)


class TestNeverRaises:
    """Any prompt shape can be estimated."""

    @given(JSON)
    def test_any_json(self, value: object) -> None:
        """Any JSON-like prompt gives a non-negative heuristic count."""
        estimate = estimate_tokens(value)

        assert estimate.count >= 0
        assert estimate.method == "heuristic"


class TestTokenEstimate:
    """The TokenEstimate record."""

    def test_frozen(self) -> None:
        """TokenEstimate cannot be changed after it is made."""
        estimate = TokenEstimate(1, "heuristic")

        with pytest.raises(dataclasses.FrozenInstanceError):
            estimate.count = 2  # type: ignore[misc]
