"""Shared fixtures: every test starts and ends with logging unconfigured."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import structlog

import logmoji

# LiteLLM would download its model price map at import; the tests run offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """Undo any set-up and context variables a test made."""
    logmoji.reset()
    logmoji.clear_contextvars()
    structlog.contextvars.clear_contextvars()
    yield
    logmoji.reset()
    logmoji.clear_contextvars()
    structlog.contextvars.clear_contextvars()
