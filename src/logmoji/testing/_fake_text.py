"""Make the fake LLM provider's replies, ids and token counts deterministic.

Everything here is a pure function of the request, so equal requests give equal
replies. The rules, which tests use to compute their expectations:

* Prompt tokens: ``ceil(chars / 4) + 3 * messages``, where ``chars`` counts the
  text of every message (string content, or the ``text`` of text parts/blocks)
  and the system prompt (Anthropic ``system``, Responses ``instructions``)
  counts as one more message. A Responses ``input`` string is one message.
* Embedding tokens: ``ceil(chars / 4)`` per input string, ``len(tokens)`` per
  token-array input; no per-input overhead.
* Reply: ``reply_tokens`` words from :data:`WORDS`, picked by hashing
  ``(seed, model, prompt text)``. One word is one token and one stream chunk
  (words after the first carry a leading space). A smaller ``max_tokens`` /
  ``max_completion_tokens`` / ``max_output_tokens`` truncates the reply, which
  then ends with ``finish_reason="length"`` / ``stop_reason="max_tokens"`` /
  ``status="incomplete"``.
* Reasoning: OpenAI models named ``o1*``, ``o3*``, ``o4*`` or ``gpt-5*`` add
  ``reply_tokens // 2`` reasoning tokens to the completion/output tokens.
* Cache: ``cached_tokens`` (capped at the prompt tokens) are reported as
  ``cached_tokens`` (OpenAI, included in the prompt tokens) or as
  ``cache_read_input_tokens`` (Anthropic, excluded from ``input_tokens``).
  ``cache_write_tokens`` (capped at the prompt tokens left) are reported by
  Anthropic only, as ``cache_creation_input_tokens`` (excluded from
  ``input_tokens``); OpenAI does not report cache writes.
* Tool calls: :mod:`logmoji.testing._fake_tools` says when a reply is tool
  calls instead of words; each call costs one output token for its name plus
  one per four-character chunk of its JSON arguments.

:mod:`logmoji.testing._fake_openai` and :mod:`logmoji.testing._fake_anthropic`
wrap a :class:`Generation` in each API's payloads.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from ._fake_tools import ToolCall

JSON: TypeAlias = dict[str, Any]

# fmt: off
WORDS: tuple[str, ...] = (
    "acorn", "amber", "anchor", "aurora", "badger", "beacon", "birch", "bloom", "blossom",
    "breeze", "canyon", "cedar", "cinder", "cloud", "comet", "coral", "crystal", "dawn",
    "delta", "drift", "dune", "echo", "ember", "falcon", "fern", "fjord", "flame", "frost",
    "garden", "glacier", "grove", "harbor", "hazel", "horizon", "island", "jade", "lagoon",
    "lantern", "maple", "meadow", "mesa", "meteor", "mist", "moss", "nebula", "oak", "ocean",
    "orbit", "pebble", "pine", "prairie", "quartz", "raven", "reef", "river", "sage", "shadow",
    "spark", "spruce", "summit", "thunder", "tide", "valley", "willow",
)
# fmt: on
"""The fixed vocabulary fake replies are built from."""


@dataclass(frozen=True, slots=True)
class Generation:
    """Hold what the fake model produced for one request."""

    token: str
    model: str
    chunks: tuple[str, ...]
    prompt_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    truncated: bool
    created: int
    cache_write_tokens: int = 0
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def text(self) -> str:
        """Return the full reply text."""
        return "".join(self.chunks)

    @property
    def output_tokens(self) -> int:
        """Return visible, tool-call and reasoning tokens, as the providers bill them."""
        calls = sum(call.tokens for call in self.tool_calls)
        return len(self.chunks) + calls + self.reasoning_tokens


def request_token(seed: int, number: int) -> str:
    """Return the 24 hex digits that the ids of request ``number`` are built from."""
    return hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=12).hexdigest()


def count_prompt_tokens(texts: list[str]) -> int:
    """Return ``ceil(chars / 4) + 3`` per message for a list of message texts."""
    return math.ceil(sum(len(text) for text in texts) / 4) + 3 * len(texts)


def content_text(content: object) -> str:
    """Return a message's text: string content, or the ``text`` of its text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def message_list(body: JSON, key: str = "messages") -> list[Any]:
    """Return ``body[key]``, which must be a non-empty array of messages."""
    messages = body.get(key)
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"'{key}' must be a non-empty array of messages")
    return messages


def generate(
    *,
    token: str,
    seed: int,
    model: str,
    texts: list[str],
    reply_tokens: int,
    limit: object,
    cached_tokens: int,
    reasoning: bool,
    created: int,
    cache_write_tokens: int = 0,
) -> Generation:
    """Build the deterministic reply to a prompt, truncated at ``limit`` tokens."""
    count = reply_tokens
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 <= limit < reply_tokens:
        count = limit
    prompt = count_prompt_tokens(texts)
    cached = max(0, min(cached_tokens, prompt))
    return Generation(
        token=token,
        model=model,
        chunks=_chunks("\x00".join([str(seed), model, *texts]), count),
        prompt_tokens=prompt,
        cached_tokens=cached,
        reasoning_tokens=reply_tokens // 2 if reasoning else 0,
        truncated=count < reply_tokens,
        created=created,
        cache_write_tokens=max(0, min(cache_write_tokens, prompt - cached)),
    )


@functools.lru_cache(maxsize=4096)
def _chunks(key: str, count: int) -> tuple[str, ...]:
    """Pick ``count`` words by hashing ``key``; later words carry a leading space."""
    digest = hashlib.blake2b(key.encode(), digest_size=32).digest()
    words: list[str] = []
    block = 0
    while len(words) < count:
        stream = hashlib.blake2b(digest + block.to_bytes(4, "big"), digest_size=64).digest()
        words.extend(WORDS[byte % len(WORDS)] for byte in stream[: count - len(words)])
        block += 1
    return tuple(word if i == 0 else f" {word}" for i, word in enumerate(words))
