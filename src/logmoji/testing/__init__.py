"""Test helpers: capture log events, and a fake LLM provider speaking the real wire formats.

``FakeLLMProvider`` and ``Fault`` are imported on first use, so importing
this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from logmoji.setup import reset
from logmoji.testing._capture import CapturedEvents, capture_logs

if TYPE_CHECKING:
    from logmoji.testing._fake_provider import FakeLLMProvider, Fault, serve

__all__ = ["CapturedEvents", "FakeLLMProvider", "Fault", "capture_logs", "reset", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("FakeLLMProvider", "Fault", "serve"):
        from logmoji.testing import _fake_provider

        return getattr(_fake_provider, name)
    raise AttributeError(f"module 'logmoji.testing' has no attribute {name!r}")
