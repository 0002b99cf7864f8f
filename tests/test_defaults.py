"""Tests for the defaults instrumented clients use: costs, monitoring, content capture."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry
from logmoji.exceptions import ConfigurationError
from logmoji.llm import cost_tracker, default_observers, instrument, performance_monitor
from logmoji.logger.config import LLMConfig
from logmoji.testing import FakeLLMProvider, capture_logs

MESSAGES = [{"role": "user", "content": "Say hello to the SECRET-MARKER-42 team."}]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for this module."""
    with FakeLLMProvider() as provider:
        yield provider


def _completed(fake: FakeLLMProvider, **config: Any) -> dict[str, Any]:
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(stream=io.StringIO()), llm=LLMConfig(**config)),
        environ={},
    )
    client = fake.openai_client()
    with instrument(client), capture_logs() as logs:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    (event,) = logs.named("chat_request_completed")
    return event


class TestDefaults:
    def test_cost_and_monitor_by_default(self, fake: FakeLLMProvider) -> None:
        """Without observers=, a call is priced and counted by the process-wide monitor."""
        event = _completed(fake)
        assert event["cost_usd"] > 0
        assert performance_monitor().snapshot("gpt-4o").count == 1
        assert cost_tracker().usage_summary().requests == 1

    def test_costs_off(self, fake: FakeLLMProvider) -> None:
        """LLMConfig(cost_tracking=False) leaves the cost out."""
        assert "cost_usd" not in _completed(fake, cost_tracking=False)

    def test_environment(self, fake: FakeLLMProvider) -> None:
        """LOGMOJI_COSTS=off and LOGMOJI_MONITOR=off turn both observers off."""
        setup_telemetry(environ={"LOGMOJI_COSTS": "off", "LOGMOJI_MONITOR": "off"})
        assert default_observers() == ()

    def test_capture_content(self, fake: FakeLLMProvider) -> None:
        """Content is logged only when capture_content is turned on."""
        assert "SECRET-MARKER-42" not in repr(_completed(fake))
        setup_telemetry(TelemetryConfig(llm=LLMConfig(capture_content=True)), environ={})
        client = fake.openai_client()
        with instrument(client), capture_logs() as logs:
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
        assert "SECRET-MARKER-42" in repr(list(logs))

    def test_reset_drops_shared_objects(self) -> None:
        """reset() gives fresh process-wide observers."""
        import logmoji

        first = performance_monitor()
        logmoji.reset()
        assert performance_monitor() is not first

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"cost_tracking": "yes"}, "cost_tracking"),
            ({"max_content_chars": 0}, "max_content_chars"),
        ],
    )
    def test_bad_config(self, fields: dict[str, Any], message: str) -> None:
        """Wrong LLM options fail when the config is built."""
        with pytest.raises(ConfigurationError, match=message):
            LLMConfig(**fields)

    def test_bad_environment(self) -> None:
        """Garbage in LOGMOJI_COSTS fails at set-up."""
        with pytest.raises(ConfigurationError, match="LOGMOJI_COSTS"):
            setup_telemetry(environ={"LOGMOJI_COSTS": "perhaps"})
