"""The LLM emoji set: model operations, the request/response flow, metrics and errors.

Rules are tried in order; the first whose words (and status) match wins. The
``error`` / ``error_type`` fields win over all of them (⏰ 🛑 📏, see
:data:`~logmoji.logger.emoji.types.ERROR_EMOJIS`). ``docs/emoji-sets.md`` lists
every mapping with examples.
"""

from __future__ import annotations

from typing import ClassVar

from logmoji.logger.emoji.types import EmojiRule, RuleBasedEmojiSet

__all__ = ["LLMEmojiSet"]

_STARTED = frozenset({"started"})
_SUCCESS = frozenset({"success"})
_FAILURE = frozenset({"failure"})


class LLMEmojiSet(RuleBasedEmojiSet):
    """Emojis for AI/ML model interactions, inference and training."""

    domain = "llm"
    aliases = ("ai", "ml", "openai", "anthropic", "claude", "genai")
    rules: ClassVar[tuple[EmojiRule, ...]] = (
        EmojiRule("💥", statuses=_FAILURE, note="model error: any failed operation"),
        EmojiRule("⏰", any_of=("timeout*", "timed"), note="model timeout"),
        EmojiRule(
            "📏",
            all_of=("context*",),
            any_of=("length*", "window", "overflow*", "exceed*"),
            note="context length exceeded",
        ),
        EmojiRule(
            "🛑",
            all_of=("rate*",),
            any_of=("limited", "exceed*", "blocked", "hit"),
            note="rate limit exceeded",
        ),
        EmojiRule("🛑", any_of=("throttled", "ratelimited"), note="rate limit exceeded"),
        EmojiRule("🚦", all_of=("rate*", "limit*"), note="rate limiting state"),
        EmojiRule("🚦", statuses=frozenset({"retry"}), note="a request retried"),
        EmojiRule(
            "⚡",
            all_of=("token*",),
            any_of=("generat*", "emit*", "produc*"),
            note="token generation",
        ),
        EmojiRule("🔢", any_of=("token*",), note="token counting"),
        EmojiRule(
            "⏱️",
            any_of=(
                "latency",
                "performance",
                "throughput",
                "ttft",
                "slow",
                "duration",
                "metrics",
                "percentile*",
            ),
            note="latency measurement",
        ),
        EmojiRule("⏱️", all_of=("error", "rate"), note="error-rate monitoring"),
        EmojiRule(
            "💰",
            any_of=("cost*", "pric*", "budget*", "spend*", "billing", "usage"),
            note="cost tracking",
        ),
        EmojiRule("🚫", statuses=frozenset({"cancelled"}), note="cancelled by the caller"),
        EmojiRule("🔧", any_of=("tool*",), note="a tool the agent executes"),
        EmojiRule("🧭", any_of=("agent*",), note="an agent run"),
        EmojiRule("🌊", any_of=("stream*",), note="streaming response"),
        EmojiRule(
            "📚",
            any_of=("train*", "epoch*", "fine", "finetun*"),
            statuses=_STARTED,
            note="training started",
        ),
        EmojiRule(
            "🎓",
            any_of=("train*", "fine", "finetun*"),
            statuses=_SUCCESS,
            note="training completed",
        ),
        EmojiRule("📚", any_of=("train*", "epoch*", "finetun*"), note="training progress"),
        EmojiRule(
            "🤖",
            all_of=("model*",),
            any_of=("load*", "unload*", "init*", "warm*", "download*", "ready"),
            note="model loading",
        ),
        EmojiRule("💭", any_of=("prompt*",), note="prompt processing"),
        EmojiRule(
            "🧠",
            any_of=("inference", "infer*", "predict*", "generat*", "reason*", "think*"),
            note="inference",
        ),
        EmojiRule("💾", any_of=("cache*", "cached"), note="response cache"),
        EmojiRule("📦", any_of=("batch*", "queue*"), note="batch processing"),
        EmojiRule(
            "💭",
            any_of=(
                "request*",
                "chat",
                "message*",
                "messages",
                "completion*",
                "embedding*",
                "responses",
                "call",
            ),
            statuses=_STARTED,
            note="request sent (the prompt is being processed)",
        ),
        EmojiRule(
            "✨",
            any_of=(
                "request*",
                "response*",
                "chat",
                "message*",
                "completion*",
                "embedding*",
                "call",
                "answer*",
                "reply",
            ),
            note="response completed",
        ),
        EmojiRule("🤖", any_of=("model*",), note="any other model operation"),
    )
