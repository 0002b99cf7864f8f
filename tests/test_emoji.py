"""Tests for emoji resolution: the spec's table, parsing, custom sets and caching."""

from __future__ import annotations

import io
from typing import Any

import pytest

from logmoji import EmojiSetConfig, LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.logger.emoji.parse import parse_event
from logmoji.logger.emoji.resolve import EmojiResolver, error_category
from logmoji.testing import capture_logs


class CustomLLMEmojiSet(EmojiSetConfig):
    """The spec's custom set, verbatim apart from the package name."""

    domain = "llm"

    def get_emoji(self, action: str, status: str) -> str:
        if "gpt-4" in action and status == "success":
            return "🤖✨"
        if "claude" in action and status == "success":
            return "🧠💫"
        if "local" in action:
            return "🏠🤖" if status == "success" else "🏠❌"
        if action.startswith("fine_tune"):
            return "🎯" if status == "success" else "💥"
        if action.startswith("embedding"):
            return "📊" if status == "success" else "📉"
        return super().get_emoji(action, status)


SPEC_TABLE: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("llm", "info", "model_loaded", {"model": "gpt-4", "version": "0613"}, "🤖"),
    ("llm.models", "info", "model_load_started", {"model": "m"}, "🤖"),
    ("llm", "debug", "inference_started", {"prompt_tokens": 150}, "🧠"),
    ("llm", "info", "inference_completed", {"duration_ms": 1250}, "🧠"),
    ("llm", "info", "training_started", {}, "📚"),
    ("llm", "info", "training_completed", {}, "🎓"),
    ("llm.openai", "info", "chat_request_started", {"model": "gpt-4"}, "💭"),
    ("llm", "debug", "prompt_processing", {}, "💭"),
    ("llm", "debug", "token_generated", {}, "⚡"),
    ("llm.openai", "info", "chat_request_completed", {}, "✨"),
    ("llm.claude", "info", "claude_request_completed", {}, "✨"),
    ("llm.streaming", "info", "stream_started", {}, "🌊"),
    ("llm.streaming", "debug", "stream_progress", {}, "🌊"),
    ("llm.streaming", "info", "stream_completed", {}, "🌊"),
    ("llm", "debug", "token_count", {"prompt_tokens": 150}, "🔢"),
    ("llm.performance", "info", "performance_metrics", {}, "⏱️"),
    ("llm.performance", "warning", "high_average_latency", {}, "⏱️"),
    ("llm.costs", "info", "request_cost_calculated", {}, "💰"),
    ("llm.costs", "warning", "high_cost_request", {}, "💰"),
    ("llm", "info", "rate_limit_status", {"remaining_requests": 10}, "🚦"),
    ("llm", "error", "model_timeout", {"timeout_seconds": 30}, "⏰"),
    ("llm", "error", "inference_failed", {"error": "rate_limit_exceeded", "retry_after": 60}, "🛑"),
    ("llm.claude", "warning", "claude_rate_limited", {"retry_after": 20}, "🛑"),
    ("llm.openai", "error", "chat_request_failed", {"error": "boom"}, "💥"),
    ("llm", "error", "inference_failed", {"error": "context_length_exceeded"}, "📏"),
    ("llm.streaming", "error", "stream_failed", {"error_type": "APITimeoutError"}, "⏰"),
]


class TestSpecTable:
    @pytest.mark.parametrize(("logger", "level", "event", "fields", "emoji"), SPEC_TABLE)
    def test_event_gets_spec_emoji(
        self, logger: str, level: str, event: str, fields: dict[str, Any], emoji: str
    ) -> None:
        """Each call in the issue's table renders with the emoji the table names."""
        with capture_logs() as logs:
            getattr(get_logger(logger), level)(event, **fields)
        assert [e["emoji"] for e in logs] == [emoji]

    @pytest.mark.parametrize(
        ("event", "emoji"),
        [
            ("local_inference_completed", "🏠🤖"),
            ("fine_tune_completed", "🎯"),
            ("embedding_completed", "📊"),
            ("model_loaded", "🤖"),
            ("local_inference_failed", "🏠❌"),
        ],
    )
    def test_spec_custom_set(self, event: str, emoji: str) -> None:
        """The spec's CustomLLMEmojiSet works as written, including the super() fallback."""
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(custom_emoji_sets=[CustomLLMEmojiSet()], stream=io.StringIO())
            )
        )
        with capture_logs() as logs:
            get_logger("llm").info(event)
        assert logs[0]["emoji"] == emoji


class TestParse:
    @pytest.mark.parametrize(
        ("event", "domain", "action", "status"),
        [
            ("inference_completed", None, "inference", "success"),
            ("llm_inference_completed", "llm", "inference", "success"),
            ("model_load_started", None, "model_load", "started"),
            ("model_loaded", None, "model_loaded", ""),
            ("chat_request_failed", None, "chat_request", "failure"),
            ("job_done", None, "job", "success"),
            ("task_ok", None, "task", "success"),
            ("upload_succeeded", None, "upload", "success"),
            ("sync_error", None, "sync", "failure"),
            ("work_begin", None, "work", "started"),
            ("work_start", None, "work", "started"),
            ("stream_cancelled", None, "stream", "cancelled"),
            ("done", None, "done", ""),
            ("", None, "", ""),
        ],
    )
    def test_parse(self, event: str, domain: str | None, action: str, status: str) -> None:
        """An event name splits into domain, action and normalized status."""
        parsed = parse_event(event, frozenset({"llm", "http"}))
        assert (parsed.domain, parsed.action, parsed.status) == (domain, action, status)


class TestResolver:
    def _resolver(self, *custom: EmojiSetConfig) -> EmojiResolver:
        from logmoji.logger.emoji._builtin import builtin_set

        sets = [builtin_set(n) for n in ("database", "http", "llm")]
        return EmojiResolver([s for s in sets if s is not None] + list(custom))

    @pytest.mark.parametrize(
        ("logger", "event", "fields", "emoji"),
        [
            ("myapp", "llm_inference_completed", {}, "🧠"),
            ("myapp", "inference_completed", {"domain": "llm"}, "🧠"),
            ("openai", "chat_request_completed", {}, "✨"),
            ("httpx", "http_request_completed", {"method": "POST", "status_code": 201}, "📤✅"),
            ("http", "response", {"method": "GET", "status_code": 429}, "📥🚦"),
            ("http", "response", {"method": "GET", "status_code": 503}, "📥🔥"),
            ("http", "request_started", {}, "🌐"),
            ("db", "connect_completed", {}, "🔌"),
            ("sqlalchemy.engine", "query_completed", {"duration_ms": 12}, "🔍"),
            ("sqlalchemy.engine", "query_completed", {"duration_ms": 2500}, "🐢"),
            ("database", "slow_query", {}, "🐢"),
            ("database", "transaction_started", {}, "🔐"),
            ("database", "transaction_rolled_back", {}, "↩️"),
            ("app", "user_login_completed", {}, "🔑✅"),
            ("app", "job_started", {}, "📋🚀"),
            ("app", "something_happened", {}, "ℹ️"),
            ("app", "request_failed", {"error": "Request timed out."}, "⏰"),
        ],
    )
    def test_resolution(self, logger: str, event: str, fields: dict[str, Any], emoji: str) -> None:
        """Domains come from the domain field, the event's first word or the logger name."""
        assert self._resolver().emoji_for(logger, event, **fields) == emoji

    def test_level_decides_unknown_events(self) -> None:
        """An event no set recognizes gets its level's emoji."""
        resolver = self._resolver()
        assert [
            resolver.emoji_for("app", "hello", lvl)
            for lvl in ("debug", "info", "warning", "error", "critical")
        ] == ["🔍", "ℹ️", "⚠️", "❌", "🚨"]

    def test_result_is_cached(self) -> None:
        """A second identical event is answered from the cache without calling the set."""
        calls: list[tuple[str, str]] = []

        class Counting(EmojiSetConfig):
            domain = "llm"

            def get_emoji(self, action: str, status: str) -> str:
                calls.append((action, status))
                return "🧪"

        resolver = self._resolver(Counting())
        for _ in range(5):
            assert resolver.emoji_for("llm", "inference_completed") == "🧪"
        assert calls == [("inference", "success")]

    @pytest.mark.parametrize(
        "errors",
        [
            [None, "Request timed out.", "rate_limit_exceeded", "context_length_exceeded", "boom"],
            ["boom", "context_length_exceeded", "rate_limit_exceeded", "Request timed out.", None],
        ],
    )
    def test_error_category_is_part_of_the_cache_key(self, errors: list[str | None]) -> None:
        """The same event at the same level gets each error category's emoji, in any order."""
        expected = {
            None: "💥",
            "boom": "💥",
            "Request timed out.": "⏰",
            "rate_limit_exceeded": "🛑",
            "context_length_exceeded": "📏",
        }
        resolver = self._resolver()
        for _ in range(2):  # the second round is answered from the cache
            for error in errors:
                fields = {} if error is None else {"error": error}
                got = resolver.emoji_for("llm", "inference_failed", "error", **fields)
                assert (error, got) == (error, expected[error])

    @pytest.mark.parametrize(
        ("field", "value", "emoji"),
        [
            ("error_type", "APITimeoutError", "⏰"),
            ("error_code", "rate_limit_exceeded", "🛑"),
            ("error", TimeoutError("slow"), "⏰"),
        ],
    )
    def test_each_error_field_keys_the_cache(self, field: str, value: object, emoji: str) -> None:
        """An error named by error_type, error_code or an exception is not served a cached 💥."""
        resolver = self._resolver()
        assert resolver.emoji_for("llm", "inference_failed", "error") == "💥"
        assert resolver.emoji_for("llm", "inference_failed", "error", **{field: value}) == emoji
        assert resolver.emoji_for("llm", "inference_failed", "error") == "💥"

    def test_error_values_do_not_grow_cache(self) -> None:
        """Free-text error messages are classified first, so they do not fill the cache."""
        resolver = self._resolver()
        for i in range(1000):
            resolver.emoji_for("llm", "inference_failed", "error", error=f"boom {i}")
        assert len(resolver._cache) == 1

    def test_raising_custom_set_falls_back_and_reports_once(self) -> None:
        """A get_emoji that raises yields the built-in emoji and one emoji_error field."""

        class Broken(EmojiSetConfig):
            domain = "llm"

            def get_emoji(self, action: str, status: str) -> str:
                raise RuntimeError("broken set")

        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(custom_emoji_sets=[Broken()], stream=io.StringIO())
            )
        )
        with capture_logs() as logs:
            log = get_logger("llm")
            log.info("inference_completed")
            log.info("training_started")
        assert [e["emoji"] for e in logs] == ["🧠", "📚"]
        assert "broken set" in logs[0]["emoji_error"]
        assert "emoji_error" not in logs[1]

    def test_non_string_result_falls_back(self) -> None:
        """A get_emoji returning a non-string is treated like one that raised."""

        class Wrong(EmojiSetConfig):
            domain = "llm"

            def get_emoji(self, action: str, status: str) -> str:
                return 42  # type: ignore[return-value]

        assert self._resolver(Wrong()).emoji_for("llm", "stream_started") == "🌊"

    def test_user_emoji_field_is_kept(self) -> None:
        """An explicit emoji field wins over resolution."""
        assert self._resolver().emoji_for("llm", "inference_completed", emoji="🦄") == "🦄"

    @pytest.mark.parametrize(
        ("fields", "category"),
        [
            ({"error": "rate_limit_exceeded"}, "rate_limit"),
            ({"error_type": "RateLimitError"}, "rate_limit"),
            ({"error": "Error code: 429 - Too Many Requests"}, "rate_limit"),
            ({"error_type": "APITimeoutError"}, "timeout"),
            ({"error": TimeoutError("x")}, "timeout"),
            ({"error": "prompt is too long: 210000 tokens > 200000 maximum"}, "context_length"),
            ({"error": "This model's maximum context length is 128000 tokens"}, "context_length"),
            ({"error_code": "context_length_exceeded"}, "context_length"),
            ({"error": "boom"}, None),
            ({"error": 42}, None),
            ({}, None),
        ],
    )
    def test_error_category(self, fields: dict[str, Any], category: str | None) -> None:
        """Error fields are classified into timeout, rate limit and context length."""
        assert error_category(fields) == category

    def test_only_enabled_sets_apply(self) -> None:
        """Narrowing enabled_emoji_sets turns the other built-in sets off."""
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(enabled_emoji_sets=["http"], stream=io.StringIO())
            )
        )
        with capture_logs() as logs:
            get_logger("llm").info("training_started")
        assert logs[0]["emoji"] == "🚀"

    def test_emoji_off(self) -> None:
        """das_emoji_prefix_enabled=False leaves events without an emoji."""
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(das_emoji_prefix_enabled=False, stream=io.StringIO())
            )
        )
        with capture_logs() as logs:
            get_logger("llm").info("training_started")
        assert "emoji" not in logs[0]
