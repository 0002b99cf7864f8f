"""Tests for logmoji.loguru: the emoji patcher in a plain loguru set-up."""

from __future__ import annotations

import io

import pytest

from logmoji.logger import _pipeline
from logmoji.loguru import add_emoji

loguru = pytest.importorskip("loguru")


class TestAddEmoji:
    def test_patched_logger_alone(self) -> None:
        """A loguru logger patched with add_emoji writes the domain's emoji, without set-up."""
        out = io.StringIO()
        logger = loguru.logger
        sink = logger.add(out, format="{level} {extra[emoji]} {message}")
        try:
            log = logger.patch(add_emoji).bind(logger="llm")
            log.info("model_loaded")
            log.error("inference_failed", error="rate_limit_exceeded")
            log.bind(emoji="🎉").info("model_loaded")
        finally:
            logger.remove(sink)
        assert out.getvalue().splitlines() == [
            "INFO 🤖 model_loaded",
            "ERROR 🛑 inference_failed",
            "INFO 🎉 model_loaded",
        ]
        assert _pipeline._STATE.config is None
