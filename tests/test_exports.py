"""Tests for the public API surface: export lists and import cost."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

import logmoji
import logmoji.loguru
import logmoji.stdlib
import logmoji.structlog
import logmoji.testing

# Each exported name and the documented object it must be, as "module:attribute".
EXPORTS: dict[str, dict[str, str]] = {
    "logmoji": {
        "BudgetExceededError": "logmoji.exceptions:BudgetExceededError",
        "ConfigurationError": "logmoji.exceptions:ConfigurationError",
        "EmojiSetConfig": "logmoji.logger.emoji.types:EmojiSetConfig",
        "LLMConfig": "logmoji.logger._llm_config:LLMConfig",
        "Logger": "logmoji.logger.core:Logger",
        "LoggingConfig": "logmoji.logger.config:LoggingConfig",
        "LogmojiError": "logmoji.exceptions:LogmojiError",
        "OTelConfig": "logmoji.logger._otel_config:OTelConfig",
        "TelemetryConfig": "logmoji.logger.config:TelemetryConfig",
        "bind_contextvars": "logmoji.logger.context:bind_contextvars",
        "bound_contextvars": "logmoji.logger.context:bound_contextvars",
        "clear_contextvars": "logmoji.logger.context:clear_contextvars",
        "get_logger": "logmoji.logger.core:get_logger",
        "reset": "logmoji.setup:reset",
        "setup_telemetry": "logmoji.setup:setup_telemetry",
        "unbind_contextvars": "logmoji.logger.context:unbind_contextvars",
    },
    "logmoji.testing": {
        "CapturedEvents": "logmoji.testing._capture:CapturedEvents",
        "FakeLLMProvider": "logmoji.testing._fake_provider:FakeLLMProvider",
        "Fault": "logmoji.testing._fake_faults:Fault",
        "capture_logs": "logmoji.testing._capture:capture_logs",
        "reset": "logmoji.setup:reset",
        "serve": "logmoji.testing._fake_provider:serve",
    },
    "logmoji.structlog": {
        "ConsoleRenderer": "logmoji.structlog:ConsoleRenderer",
        "EmojiResolver": "logmoji.logger.emoji.resolve:EmojiResolver",
        "JSONRenderer": "logmoji.logger.render:JSONRenderer",
        "add_emoji": "logmoji.structlog:add_emoji",
        "asciify_emoji": "logmoji.logger.emoji.ascii:asciify_emoji",
    },
    "logmoji.stdlib": {"EmojiFormatter": "logmoji.stdlib:EmojiFormatter"},
    "logmoji.loguru": {"add_emoji": "logmoji.loguru:add_emoji"},
    "logmoji.llm": {
        "AgentRun": "logmoji.llm.agents:AgentRun",
        "BatchProcessor": "logmoji.llm.batch:BatchProcessor",
        "BatchResult": "logmoji.llm.batch:BatchResult",
        "Budget": "logmoji.llm.costs._ledger:Budget",
        "CacheStats": "logmoji.llm.cache:CacheStats",
        "CallObserver": "logmoji.llm._record:CallObserver",
        "CallRecord": "logmoji.llm._record:CallRecord",
        "CostTracker": "logmoji.llm.costs:CostTracker",
        "DDSketch": "logmoji.llm.monitor.sketch:DDSketch",
        "ErrorInfo": "logmoji.llm.instrumentation.errors:ErrorInfo",
        "Instrumentation": "logmoji.llm.instrumentation:Instrumentation",
        "ModelLoad": "logmoji.llm.lifecycle:ModelLoad",
        "ModelPrice": "logmoji.llm.costs._model_price:ModelPrice",
        "PerformanceMonitor": "logmoji.llm.monitor:PerformanceMonitor",
        "PriceTier": "logmoji.llm.costs._model_price:PriceTier",
        "RateLimit": "logmoji.llm.instrumentation.ratelimits:RateLimit",
        "RateLimitState": "logmoji.llm.instrumentation.ratelimits:RateLimitState",
        "RequestOutcome": "logmoji.llm.batch:RequestOutcome",
        "ResponseCache": "logmoji.llm.cache:ResponseCache",
        "Snapshot": "logmoji.llm.monitor._snapshot:Snapshot",
        "TokenEstimate": "logmoji.llm.tokens:TokenEstimate",
        "ToolExecution": "logmoji.llm.agents:ToolExecution",
        "TrainingRun": "logmoji.llm.lifecycle:TrainingRun",
        "UsageSummary": "logmoji.llm.costs._ledger:UsageSummary",
        "agent_run": "logmoji.llm.agents:agent_run",
        "classify_error": "logmoji.llm.instrumentation.errors:classify_error",
        "cost_tracker": "logmoji.llm._defaults:cost_tracker",
        "default_observers": "logmoji.llm._defaults:default_observers",
        "estimate_tokens": "logmoji.llm.tokens:estimate_tokens",
        "instrument": "logmoji.llm.instrumentation:instrument",
        "instrument_anthropic": "logmoji.llm.instrumentation:instrument_anthropic",
        "instrument_google": "logmoji.llm.instrumentation:instrument_google",
        "instrument_litellm": (
            "logmoji.llm.instrumentation.providers._litellm_hook:instrument_litellm"
        ),
        "instrument_openai": "logmoji.llm.instrumentation:instrument_openai",
        "lowest_remaining_ratio": "logmoji.llm.instrumentation.ratelimits:lowest_remaining_ratio",
        "parse_rate_limit_headers": (
            "logmoji.llm.instrumentation.ratelimits:parse_rate_limit_headers"
        ),
        "performance_monitor": "logmoji.llm._defaults:performance_monitor",
        "track_model_load": "logmoji.llm.lifecycle:track_model_load",
        "track_tool": "logmoji.llm.agents:track_tool",
        "track_training": "logmoji.llm.lifecycle:track_training",
    },
}


def _resolve(path: str) -> object:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (what it imports is its own), failing on an error."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


class TestExports:
    @pytest.mark.parametrize("module_name", list(EXPORTS))
    def test_all_is_the_documented_list(self, module_name: str) -> None:
        """__all__ is sorted and lists exactly the documented names."""
        names = importlib.import_module(module_name).__all__
        expected = sorted(
            [*EXPORTS[module_name], *(["__version__"] if module_name == "logmoji" else [])]
        )
        assert list(names) == sorted(names)
        assert list(names) == expected

    @pytest.mark.parametrize(
        ("module_name", "name"), [(m, n) for m, names in EXPORTS.items() for n in names]
    )
    def test_each_name_is_the_documented_object(self, module_name: str, name: str) -> None:
        """Each exported name is the very object its home module defines, not a stand-in."""
        module = importlib.import_module(module_name)
        assert getattr(module, name) is _resolve(EXPORTS[module_name][name])

    def test_exception_hierarchy(self) -> None:
        """The exported errors share one base class; bad configuration is a ValueError."""
        assert issubclass(logmoji.BudgetExceededError, logmoji.LogmojiError)
        assert issubclass(logmoji.ConfigurationError, logmoji.LogmojiError)
        assert issubclass(logmoji.ConfigurationError, ValueError)

    def test_version_is_the_installed_one(self) -> None:
        """__version__ is the version the package was installed with."""
        assert logmoji.__version__ == importlib.metadata.version("logmoji")

    def test_context_reaches_lines_both_ways(self) -> None:
        """Fields bound with logmoji's helpers and with structlog's own both reach a line."""
        import io

        import orjson

        stream = io.StringIO()
        logmoji.setup_telemetry(
            logmoji.TelemetryConfig(logging=logmoji.LoggingConfig(formatter="json", stream=stream)),
            environ={},
        )
        logmoji.bind_contextvars(request="r1")
        structlog.contextvars.bind_contextvars(tenant="t1")
        logmoji.get_logger("app").info("handled")
        line = orjson.loads(stream.getvalue().splitlines()[-1])
        assert (line["request"], line["tenant"]) == ("r1", "t1")

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
            "('openai', 'anthropic', 'google', 'litellm', 'genai_prices', 'httpx', 'httpx2', "
            "'argparse', 'opentelemetry', 'pydantic')"
            " or m.startswith(('logmoji.llm', 'logmoji.cli', 'logmoji.testing'))];"
            "print(heavy)"
        )
        out = _python(code)
        assert out.stdout.strip() == "[]"

    def test_report_loads_no_logging_core(self, tmp_path: Path) -> None:
        """``import logmoji`` and ``logmoji report`` load neither structlog nor the logging core.

        The report's start-up is part of its time. The context functions come on
        first use, like the rest of the core.
        """
        log = tmp_path / "app.jsonl"
        log.write_text('{"event": "chat_request_completed", "model": "m", "duration_ms": 1.0}\n')
        code = (
            "import sys, logmoji; from logmoji.cli import main;"
            f"main(['report', {str(log)!r}]);"
            "print([m for m in sys.modules if m.split('.')[0] in ('structlog', 'rich')"
            " or m.startswith(('logmoji.logger.core', 'logmoji.logger.render', "
            "'logmoji.logger.context', 'logmoji.logger.emoji'))], file=sys.stderr);"
            "from logmoji import bind_contextvars; from logmoji.logger import context;"
            "print(bind_contextvars is context.bind_contextvars, file=sys.stderr)"
        )
        out = _python(code)
        assert "LLM usage · 1 calls" in out.stdout
        assert out.stderr.strip().splitlines() == ["[]", "True"]


class TestLLMExports:
    def test_all_matches_lazy_table(self) -> None:
        """logmoji.llm exports, lazily, exactly the names its __all__ lists, sorted."""
        import logmoji.llm

        assert logmoji.llm.__all__ == sorted(logmoji.llm._WHERE)
        for name in logmoji.llm.__all__:
            assert getattr(logmoji.llm, name) is _resolve(EXPORTS["logmoji.llm"][name])

    def test_llm_import_is_light(self) -> None:
        """Importing logmoji.llm loads no SDK and no price data."""
        code = (
            "import sys, logmoji.llm;"
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('openai', 'anthropic', 'google', 'litellm', 'genai_prices')])"
        )
        out = _python(code)
        assert out.stdout.strip() == "[]"
