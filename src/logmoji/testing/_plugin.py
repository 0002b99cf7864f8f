"""The pytest plugin: the fixtures ``logmoji_logs`` (captured events) and ``fake_llm``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from logmoji.testing._capture import CapturedEvents, capture_logs

if TYPE_CHECKING:
    from logmoji.testing._fake_provider import FakeLLMProvider

__all__ = ["fake_llm", "logmoji_logs"]


@pytest.fixture
def logmoji_logs() -> Iterator[CapturedEvents]:
    """Capture logmoji events for the duration of a test."""
    with capture_logs() as events:
        yield events


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMProvider]:
    """Run a fake OpenAI/Anthropic provider on 127.0.0.1 for the duration of a test."""
    from logmoji.testing._fake_provider import FakeLLMProvider

    with FakeLLMProvider() as provider:
        yield provider
