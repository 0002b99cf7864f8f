"""Tests for the public API surface: export lists and import cost."""

from __future__ import annotations

import subprocess
import sys

import pytest

import logmoji
import logmoji.testing


class TestExports:
    @pytest.mark.parametrize("module", [logmoji, logmoji.testing])
    def test_all_sorted_and_present(self, module: object) -> None:
        """__all__ is sorted and every name in it exists."""
        names = module.__all__  # type: ignore[attr-defined]
        assert list(names) == sorted(names)
        for name in names:
            assert getattr(module, name) is not None

    def test_spec_import_paths(self) -> None:
        """The spec's import paths work with the package name swapped."""
        from logmoji.logger.config import LoggingConfig, TelemetryConfig
        from logmoji.logger.emoji.types import EmojiSetConfig
        from logmoji.setup import setup_telemetry

        assert logmoji.LoggingConfig is LoggingConfig
        assert logmoji.TelemetryConfig is TelemetryConfig
        assert logmoji.EmojiSetConfig is EmojiSetConfig
        assert logmoji.setup_telemetry is setup_telemetry

    def test_import_is_light(self) -> None:
        """Importing logmoji loads no LLM SDK, no price data and no CLI code."""
        code = (
            "import sys, logmoji; logmoji.get_logger('llm');"
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('openai', 'anthropic', 'litellm', 'genai_prices', 'httpx', 'httpx2', 'argparse', "
            "'opentelemetry', 'pydantic')"
            " or m.startswith(('logmoji.llm', 'logmoji.cli', 'logmoji.testing'))];"
            "print(heavy)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"


class TestLLMExports:
    def test_all_matches_lazy_table(self) -> None:
        """logmoji.llm exports, lazily, exactly the names its __all__ lists, sorted."""
        import logmoji.llm

        assert logmoji.llm.__all__ == sorted(logmoji.llm._WHERE)
        for name in logmoji.llm.__all__:
            assert getattr(logmoji.llm, name) is not None

    def test_llm_import_is_light(self) -> None:
        """Importing logmoji.llm loads no SDK and no price data."""
        code = (
            "import sys, logmoji.llm;"
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('openai', 'anthropic', 'litellm', 'genai_prices')])"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"
