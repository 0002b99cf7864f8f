"""Tests that bad configuration fails once, clearly, at set-up, and never later.

Every option of :class:`LoggingConfig`, :class:`LLMConfig` and
:class:`TelemetryConfig` is given wrong types and values, and every
environment variable logmoji reads is given garbage. Each must raise one
:class:`ConfigurationError` (a ``ValueError``) naming the option and the bad
value, with no chained exception, when the config is built or
:func:`setup_telemetry` runs; a failed set-up leaves the previous one in
force; and without any set-up, garbage in the environment never makes a log
call raise. The LLM helpers (``instrument()``, the cost tracker, monitor,
cache and batch processor) check their options when made, too.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from logmoji import (
    ConfigurationError,
    EmojiSetConfig,
    LoggingConfig,
    TelemetryConfig,
    get_logger,
    setup_telemetry,
)
from logmoji.logger import config as config_module
from logmoji.logger.config import LLMConfig, OTelConfig


class _NoDomain(EmojiSetConfig):
    pass


LOGGING_OPTIONS: list[tuple[str, Any, str]] = [
    ("default_level", "LOUD", "default_level must be one of DEBUG"),
    ("default_level", 15, "default_level must be one of"),
    ("default_level", True, "default_level must be a level name"),
    ("default_level", 3.5, "not 3.5"),
    ("default_level", b"INFO", "not b'INFO'"),
    ("default_level", "", "not ''"),
    ("module_levels", ["llm"], "module_levels must be a mapping"),
    ("module_levels", "llm=debug", "module_levels must be a mapping"),
    ("module_levels", {"llm": "LOUD"}, r"module_levels\['llm'\] must be one of"),
    ("module_levels", {"llm": None}, r"module_levels\['llm'\]"),
    ("module_levels", {1: "INFO"}, "module_levels keys must be logger names"),
    ("das_emoji_prefix_enabled", "yes", "das_emoji_prefix_enabled must be True or False"),
    ("das_emoji_prefix_enabled", 1, "das_emoji_prefix_enabled must be True or False"),
    ("enabled_emoji_sets", "llm", "must be a list such as"),
    ("enabled_emoji_sets", ["nope"], "unknown emoji set 'nope'; available sets"),
    ("enabled_emoji_sets", [None], "must list set names"),
    ("custom_emoji_sets", "llm", "custom_emoji_sets must be a list"),
    ("custom_emoji_sets", None, "custom_emoji_sets must be a list"),
    ("custom_emoji_sets", [object()], "EmojiSetConfig instances"),
    ("custom_emoji_sets", [EmojiSetConfig], "takes instances: write EmojiSetConfig()"),
    ("custom_emoji_sets", [_NoDomain()], "needs a class attribute domain"),
    ("formatter", "xml", "formatter must be 'console' or 'json', not 'xml'"),
    ("formatter", 1, "formatter must be 'console' or 'json'"),
    ("stream", "stderr", "stream must be a writable file object"),
    ("stream", object(), "stream must be a writable file object"),
    ("colors", 1, "colors must be True, False or None"),
    ("colors", "yes", "colors must be True, False or None"),
    ("redact", "off", "redact must be True or False"),
    ("redact", 0, "redact must be True or False"),
    ("redact_fields", [1], "redact_fields must be field names"),
    ("redact_fields", [None], "redact_fields must be field names"),
    ("redact_patterns", ["("], "not a valid regex"),
    ("redact_patterns", [1], "redact_patterns must be regular expressions"),
    ("max_value_chars", 0, "max_value_chars must be an int of at least 16"),
    ("max_value_chars", "100", "max_value_chars must be an int"),
    ("max_value_chars", True, "max_value_chars must be an int"),
    ("max_value_chars", None, "max_value_chars must be an int"),
    ("max_value_chars", 1.5, "max_value_chars must be an int"),
    ("capture_stdlib", "yes", "capture_stdlib must be True or False"),
    ("capture_stdlib", 1, "capture_stdlib must be True or False"),
    ("show_timestamp", "no", "show_timestamp must be True or False"),
    ("ascii_emoji", "yes", "ascii_emoji must be True, False or None"),
    ("json_file", 123, "json_file must be a file path"),
    ("json_file", b"/tmp/x.log", "json_file must be a file path"),
]
LLM_OPTIONS: list[tuple[str, Any, str]] = [
    ("cost_tracking", "yes", "cost_tracking must be True or False"),
    ("cost_tracking", 1, "cost_tracking must be True or False"),
    ("performance_monitoring", "no", "performance_monitoring must be True or False"),
    ("capture_content", "yes", "capture_content must be True or False"),
    ("capture_content", 1, "capture_content must be True or False"),
    ("max_content_chars", 0, "max_content_chars must be a positive int"),
    ("max_content_chars", "10", "max_content_chars must be a positive int"),
    ("max_content_chars", True, "max_content_chars must be a positive int"),
    ("max_content_chars", None, "max_content_chars must be a positive int"),
]
OTEL_OPTIONS: list[tuple[str, Any, str]] = [
    ("enabled", "yes", "enabled must be True or False"),
    ("endpoint", "localhost:4318", "endpoint must be a URL such as"),
    ("endpoint", 5, "endpoint must be a URL such as"),
    ("protocol", "http/json", "protocol must be 'http/protobuf' or 'grpc'"),
    ("headers", {"x-api-key": 1}, "headers must map names to strings"),
    ("headers", "x-api-key=1", "headers must map names to strings"),
    ("logs", "yes", "logs must be True or False"),
    ("traces", "no", "traces must be True or False"),
    ("metrics", 1, "metrics must be True or False"),
    ("export_timeout_s", 0, "export_timeout_s must be a positive number of seconds"),
    ("export_timeout_s", "10", "export_timeout_s must be a positive number of seconds"),
    ("max_queue_size", 0, "max_queue_size must be a positive int"),
    ("max_queue_size", True, "max_queue_size must be a positive int"),
    ("metric_export_interval_s", -1, "metric_export_interval_s must be a positive number"),
    ("resource_attributes", {"a": None}, "resource_attributes must map names to"),
    ("shutdown_timeout_s", float("nan"), "shutdown_timeout_s must be a positive number"),
]
TELEMETRY_OPTIONS: list[tuple[str, Any, str]] = [
    ("service_name", 1, "service_name must be a string"),
    ("logging", {"default_level": "INFO"}, "logging must be a LoggingConfig"),
    ("logging", None, "logging must be a LoggingConfig"),
    ("llm", {"capture_content": True}, "llm must be an LLMConfig"),
    ("otel", {"endpoint": "http://collector:4318"}, "otel must be an OTelConfig"),
]
ENVIRONMENT: list[tuple[str, str, str]] = [
    ("LOGMOJI_LEVEL", "LOUD", "LOGMOJI_LEVEL must be one of"),
    ("LOGMOJI_LEVEL", "10", "LOGMOJI_LEVEL must be one of"),
    ("LOGMOJI_LEVEL", "\x00", "LOGMOJI_LEVEL"),
    ("LOGMOJI_FORMAT", "xml", "LOGMOJI_FORMAT must be 'console' or 'json'"),
    ("LOGMOJI_FORMAT", "js on", "LOGMOJI_FORMAT"),
    ("LOGMOJI_EMOJI", "maybe", "LOGMOJI_EMOJI must be 'on', 'off' or 'ascii'"),
    ("LOGMOJI_EMOJI", "2", "LOGMOJI_EMOJI must be 'on', 'off' or 'ascii'"),
    ("LOGMOJI_EMOJI_SETS", "llm,nope", "LOGMOJI_EMOJI_SETS: unknown emoji set 'nope'"),
    ("LOGMOJI_EMOJI_SETS", "llm;http", "LOGMOJI_EMOJI_SETS: unknown emoji set"),
    ("LOGMOJI_MODULE_LEVELS", "llm.openai", "LOGMOJI_MODULE_LEVELS must look like"),
    ("LOGMOJI_MODULE_LEVELS", "=debug", "LOGMOJI_MODULE_LEVELS must look like"),
    ("LOGMOJI_MODULE_LEVELS", "x=LOUD", "LOGMOJI_MODULE_LEVELS entry 'x'"),
    ("LOGMOJI_MODULE_LEVELS", "a=b=c", "LOGMOJI_MODULE_LEVELS entry 'a'"),
    ("LOGMOJI_REDACT", "maybe", "LOGMOJI_REDACT must be 'on' or 'off'"),
    ("LOGMOJI_JSON_FILE", "/nonexistent-dir/app.jsonl", "json_file: cannot open"),
    ("LOGMOJI_JSON_FILE", "bad\x00path", "json_file: cannot open"),
    ("LOGMOJI_COSTS", "maybe", "LOGMOJI_COSTS must be 'on' or 'off'"),
    ("LOGMOJI_MONITOR", "maybe", "LOGMOJI_MONITOR must be 'on' or 'off'"),
    ("LOGMOJI_CAPTURE_CONTENT", "maybe", "LOGMOJI_CAPTURE_CONTENT must be 'on' or 'off'"),
]
OTEL_ENVIRONMENT: list[tuple[str, str, str]] = [
    ("OTEL_SDK_DISABLED", "maybe", "OTEL_SDK_DISABLED must be 'true' or 'false'"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "OTEL_EXPORTER_OTLP_ENDPOINT must be a URL"),
    ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "ftp://c", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT must be"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL must be"),
    ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must"),
    ("OTEL_EXPORTER_OTLP_HEADERS", "novalue", "OTEL_EXPORTER_OTLP_HEADERS must look like"),
    ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "=x", "OTEL_EXPORTER_OTLP_LOGS_HEADERS must look"),
    ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", "OTEL_EXPORTER_OTLP_TIMEOUT is in milliseconds"),
    ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "-1", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT is in"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "-5", "OTEL_METRIC_EXPORT_INTERVAL is in milliseconds"),
    ("OTEL_RESOURCE_ATTRIBUTES", "=x", "OTEL_RESOURCE_ATTRIBUTES must look like"),
]
LLM_VARIABLES = frozenset({"LOGMOJI_COSTS", "LOGMOJI_MONITOR", "LOGMOJI_CAPTURE_CONTENT"})
#: Variables that take any text, so there is no garbage to reject.
FREE_TEXT_VARIABLES = frozenset({"LOGMOJI_SERVICE_NAME", "NO_COLOR", "FORCE_COLOR"})


def _kwargs(field: str, value: Any) -> dict[str, Any]:
    """Return ``{field: value}`` typed loosely: the values are wrong on purpose."""
    return {field: value}


def _assert_one_clear_error(error: pytest.ExceptionInfo[ConfigurationError]) -> None:
    """Assert a ValueError with no chained exception to read through."""
    exc = error.value
    assert isinstance(exc, ValueError)
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


class TestOptions:
    def test_every_option_covered(self) -> None:
        """The tables below give a bad value to every field of every config class."""
        for cls, table in (
            (LoggingConfig, LOGGING_OPTIONS),
            (LLMConfig, LLM_OPTIONS),
            (OTelConfig, OTEL_OPTIONS),
            (TelemetryConfig, TELEMETRY_OPTIONS),
        ):
            fields = {f.name for f in dataclasses.fields(cls)}
            assert fields == {name for name, _, _ in table}, cls.__name__

    @pytest.mark.parametrize(("field", "value", "message"), LOGGING_OPTIONS)
    def test_logging_option(self, field: str, value: Any, message: str) -> None:
        """A wrong type or value for a logging option fails when the config is built."""
        with pytest.raises(ConfigurationError, match=message) as error:
            LoggingConfig(**_kwargs(field, value))
        _assert_one_clear_error(error)

    @pytest.mark.parametrize(("field", "value", "message"), LLM_OPTIONS)
    def test_llm_option(self, field: str, value: Any, message: str) -> None:
        """A wrong type or value for an LLM option fails when the config is built."""
        with pytest.raises(ConfigurationError, match=message) as error:
            LLMConfig(**_kwargs(field, value))
        _assert_one_clear_error(error)

    @pytest.mark.parametrize(("field", "value", "message"), OTEL_OPTIONS)
    def test_otel_option(self, field: str, value: Any, message: str) -> None:
        """A wrong type or value for an OpenTelemetry option fails when the config is built."""
        with pytest.raises(ConfigurationError, match=re.escape(message)) as error:
            OTelConfig(**_kwargs(field, value))
        _assert_one_clear_error(error)

    @pytest.mark.parametrize(("field", "value", "message"), TELEMETRY_OPTIONS)
    def test_telemetry_option(self, field: str, value: Any, message: str) -> None:
        """A wrong type for a TelemetryConfig field fails when it is built."""
        with pytest.raises(ConfigurationError, match=message) as error:
            TelemetryConfig(**_kwargs(field, value))
        _assert_one_clear_error(error)

    @pytest.mark.parametrize("path", ["/nonexistent-dir/app.jsonl", "", "bad\x00path"])
    def test_json_file_unopenable(self, path: str) -> None:
        """A JSON file that cannot be opened fails at set-up, not at the first line."""
        with pytest.raises(ConfigurationError, match="json_file: cannot open") as error:
            setup_telemetry(TelemetryConfig(logging=LoggingConfig(json_file=path)), environ={})
        _assert_one_clear_error(error)


class TestEnvironment:
    def test_every_variable_covered(self) -> None:
        """Every LOGMOJI_* variable the configuration reads has garbage tried below."""
        source = inspect.getsource(config_module)
        read = set(re.findall(r"\"(LOGMOJI_[A-Z_]+)\"", source))
        assert read, "no variables found: the configuration module changed shape"
        covered = {name for name, _, _ in ENVIRONMENT} | FREE_TEXT_VARIABLES
        assert read <= covered, read - covered

    @pytest.mark.parametrize(("variable", "garbage", "message"), ENVIRONMENT)
    def test_garbage_fails_at_setup(self, variable: str, garbage: str, message: str) -> None:
        """Garbage in a variable raises one clear ConfigurationError from setup_telemetry."""
        with pytest.raises(ConfigurationError, match=re.escape(message)) as error:
            setup_telemetry(environ={variable: garbage})
        _assert_one_clear_error(error)

    @pytest.mark.parametrize(("variable", "garbage", "message"), OTEL_ENVIRONMENT)
    def test_otel_garbage_fails_when_resolved(
        self, variable: str, garbage: str, message: str
    ) -> None:
        """Garbage in a standard OTEL_* variable raises one clear error when it is read."""
        environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", variable: garbage}
        with pytest.raises(ConfigurationError, match=re.escape(message)) as error:
            OTelConfig().resolve(environ)
        _assert_one_clear_error(error)

    @pytest.mark.parametrize(("variable", "garbage", "message"), ENVIRONMENT)
    def test_failed_setup_keeps_previous(
        self, variable: str, garbage: str, message: str, tmp_path: Path
    ) -> None:
        """After a failed set-up the previous one stays in force, JSON file included."""
        stream = io.StringIO()
        json_file = tmp_path / "app.jsonl"
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(stream=stream, formatter="json", json_file=json_file)
            ),
            environ={},
        )
        with pytest.raises(ConfigurationError):
            setup_telemetry(environ={variable: garbage})
        get_logger("app").info("still_here")
        assert orjson.loads(stream.getvalue())["event"] == "still_here"
        assert orjson.loads(json_file.read_bytes())["event"] == "still_here"

    @pytest.mark.parametrize(
        ("variable", "garbage"),
        [(v, g) for v, g, _ in ENVIRONMENT if v not in LLM_VARIABLES and "\x00" not in g],
    )
    def test_without_setup_never_raises(self, variable: str, garbage: str, tmp_path: Path) -> None:
        """Without set-up, a log call under a bad variable logs with defaults and says why once."""
        code = "from logmoji import get_logger\nget_logger('app').warning('first')\n"
        code += "get_logger('app').warning('second')\n"
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={"PATH": "/usr/bin:/bin", variable: garbage},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        assert sum("using the defaults" in line for line in lines) == 1, lines
        assert [line.split()[-1] for line in lines[1:]] == ["first", "second"]

    @pytest.mark.parametrize(
        ("variable", "garbage", "message"), [e for e in ENVIRONMENT if e[0] in LLM_VARIABLES]
    )
    def test_llm_variable_fails_at_instrument(
        self, variable: str, garbage: str, message: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without set-up, a bad LLM variable fails when a client is instrumented, not per call."""
        import openai

        from logmoji.llm.instrumentation import instrument

        monkeypatch.setenv(variable, garbage)
        client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9")
        try:
            with pytest.raises(ConfigurationError, match=re.escape(message)):
                instrument(client)
        finally:
            client.close()


class TestHelpers:
    """The LLM helpers check their own options when they are made."""

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"max_content_chars": 0}, "max_content_chars must be at least 1"),
            ({"progress_every": 0}, "progress_every must be at least 1"),
            ({"rate_limit_warning_ratio": 1.5}, "rate_limit_warning_ratio is a fraction"),
            ({"observers": [object()]}, "observe"),
        ],
    )
    def test_instrument_options(self, options: dict[str, Any], message: str) -> None:
        """instrument() refuses bad options before touching the client."""
        import openai

        from logmoji.llm.instrumentation import instrument

        client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9")
        try:
            with pytest.raises(ValueError, match=message):
                instrument(client, **options)
            # Nothing was left half-done: instrumenting with good options works.
            instrument(client).uninstrument()
        finally:
            client.close()

    def test_instrument_not_a_client(self) -> None:
        """instrument() refuses an object that is not an SDK client."""
        from logmoji.llm.instrumentation import instrument

        with pytest.raises(ValueError, match=r"cannot instrument object: pass an openai\.OpenAI"):
            instrument(object())

    @pytest.mark.parametrize(
        ("factory", "options", "message"),
        [
            ("logmoji.llm.costs:CostTracker", {"max_keys": 0}, "max_keys"),
            ("logmoji.llm.cache:ResponseCache", {"max_entries": 0}, "max_entries"),
            ("logmoji.llm.cache:ResponseCache", {"max_bytes": 0}, "max_bytes"),
            ("logmoji.llm.cache:ResponseCache", {"ttl_seconds": 0}, "ttl_seconds"),
            ("logmoji.llm.batch:BatchProcessor", {"max_concurrent": 0}, "max_concurrent"),
            ("logmoji.llm.batch:BatchProcessor", {"max_retries": -1}, "max_retries"),
        ],
    )
    def test_constructor_options(self, factory: str, options: dict[str, Any], message: str) -> None:
        """The cost tracker, cache and batch processor refuse bad options when made."""
        import importlib

        module, _, name = factory.partition(":")
        cls = getattr(importlib.import_module(module), name)
        with pytest.raises(ValueError, match=message):
            cls(**options)


class TestListsStreamsAndHelpers:
    """List options, streams, empty variables and the LLM helpers' options are checked too."""

    def test_read_only_stream(self, tmp_path: Path) -> None:
        """A stream that cannot be written fails at set-up."""
        path = tmp_path / "ro.log"
        path.write_text("")
        with open(path) as read_only, pytest.raises(ConfigurationError, match="stream"):
            LoggingConfig(stream=read_only)

    @pytest.mark.parametrize("field", ["redact_fields", "redact_patterns"])
    def test_string_instead_of_list(self, field: str) -> None:
        """A string where a list of names or patterns belongs fails at set-up."""
        with pytest.raises(ConfigurationError, match=field):
            LoggingConfig(**_kwargs(field, "api_key"))

    @pytest.mark.parametrize("field", ["redact_fields", "redact_patterns", "enabled_emoji_sets"])
    def test_not_a_list(self, field: str) -> None:
        """A number where a list belongs fails with a ConfigurationError naming the option."""
        with pytest.raises(ConfigurationError, match=field):
            LoggingConfig(**_kwargs(field, 5))

    def test_empty_redact_variable_keeps_masking(self) -> None:
        """An empty LOGMOJI_REDACT means "not set": secrets stay masked."""
        assert setup_telemetry(environ={"LOGMOJI_REDACT": ""}).redact is True

    @pytest.mark.parametrize(
        ("factory", "options"),
        [
            ("logmoji.llm.cache:ResponseCache", {"max_entries": "10"}),
            ("logmoji.llm.cache:ResponseCache", {"max_entries": None}),
            ("logmoji.llm.cache:ResponseCache", {"max_entries": 1.5}),
            ("logmoji.llm.cache:ResponseCache", {"ttl_seconds": "60"}),
            ("logmoji.llm.batch:BatchProcessor", {"max_concurrent": "4"}),
            ("logmoji.llm.batch:BatchProcessor", {"max_concurrent": 2.5}),
            ("logmoji.llm.costs:CostTracker", {"budgets": 5}),
        ],
    )
    def test_helper_option_types(self, factory: str, options: dict[str, Any]) -> None:
        """A wrong type for a helper's option raises a ValueError naming it."""
        import importlib

        module, _, name = factory.partition(":")
        cls = getattr(importlib.import_module(module), name)
        with pytest.raises(ValueError, match=next(iter(options))):
            cls(**options)
