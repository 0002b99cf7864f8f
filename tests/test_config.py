"""Tests for configuration: code, environment, precedence and bad values."""

from __future__ import annotations

import io
import logging
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


def _setup(environ: dict[str, str] | None = None, **fields: Any) -> io.StringIO:
    stream = io.StringIO()
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(stream=stream, **fields)), environ=environ or {}
    )
    return stream


class TestEnvironment:
    def test_defaults(self) -> None:
        """With nothing set: INFO, console, emoji on, all built-in sets."""
        config = setup_telemetry(environ={})
        assert config.default_level == logging.INFO
        assert config.formatter == "console"
        assert config.das_emoji_prefix_enabled is True
        assert config.enabled_emoji_sets == ("database", "http", "llm")

    @pytest.mark.parametrize(
        ("environ", "attr", "value"),
        [
            ({"LOGMOJI_LEVEL": "debug"}, "default_level", logging.DEBUG),
            ({"LOGMOJI_LEVEL": "WARN"}, "default_level", logging.WARNING),
            ({"LOGMOJI_FORMAT": "json"}, "formatter", "json"),
            ({"LOGMOJI_EMOJI": "off"}, "das_emoji_prefix_enabled", False),
            ({"LOGMOJI_EMOJI": "1"}, "das_emoji_prefix_enabled", True),
            ({"LOGMOJI_EMOJI_SETS": "llm, http"}, "enabled_emoji_sets", ("llm", "http")),
            ({"LOGMOJI_EMOJI_SETS": "none"}, "enabled_emoji_sets", ()),
            ({"NO_COLOR": "1"}, "colors", False),
            ({"FORCE_COLOR": "1"}, "colors", True),
            ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, "colors", False),
            ({"LOGMOJI_REDACT": "off"}, "redact", False),
        ],
    )
    def test_variable(self, environ: dict[str, str], attr: str, value: object) -> None:
        """Each environment variable sets its field."""
        assert getattr(setup_telemetry(environ=environ), attr) == value

    def test_module_levels_variable(self) -> None:
        """LOGMOJI_MODULE_LEVELS takes name=level pairs."""
        config = setup_telemetry(environ={"LOGMOJI_MODULE_LEVELS": "llm.openai=debug,app=error"})
        assert config.module_levels["llm.openai"] == logging.DEBUG
        assert config.module_levels["app"] == logging.ERROR

    def test_code_wins_over_environment(self) -> None:
        """A field given in code wins; one left out comes from the environment."""
        config = setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(default_level="ERROR")),
            environ={"LOGMOJI_LEVEL": "debug", "LOGMOJI_FORMAT": "json"},
        )
        assert config.default_level == logging.ERROR
        assert config.formatter == "json"

    def test_spec_enabling_snippet_honours_format_variable(self) -> None:
        """LOGMOJI_FORMAT=json still applies to the spec's "Enabling" snippet."""
        stream = io.StringIO()
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(
                    default_level="INFO",
                    das_emoji_prefix_enabled=True,
                    enabled_emoji_sets=["llm"],
                    stream=stream,
                )
            ),
            environ={"LOGMOJI_FORMAT": "json"},
        )
        get_logger("llm").info("model_loaded", model="gpt-4")
        line = orjson.loads(stream.getvalue())
        assert (line["event"], line["emoji"]) == ("model_loaded", "🤖")

    @pytest.mark.parametrize(
        ("environ", "message"),
        [
            ({"LOGMOJI_LEVEL": "LOUD"}, "LOGMOJI_LEVEL"),
            ({"LOGMOJI_FORMAT": "xml"}, "LOGMOJI_FORMAT"),
            ({"LOGMOJI_EMOJI": "maybe"}, "LOGMOJI_EMOJI"),
            ({"LOGMOJI_EMOJI_SETS": "llm,nope"}, "available sets: database, http, llm"),
            ({"LOGMOJI_MODULE_LEVELS": "llm.openai"}, "LOGMOJI_MODULE_LEVELS"),
            ({"LOGMOJI_MODULE_LEVELS": "x=LOUD"}, "LOGMOJI_MODULE_LEVELS"),
            ({"LOGMOJI_REDACT": "\x00"}, "LOGMOJI_REDACT"),
        ],
    )
    def test_bad_variable_fails_at_setup(self, environ: dict[str, str], message: str) -> None:
        """Garbage in a variable raises one clear ConfigurationError at set-up."""
        with pytest.raises(ConfigurationError, match=message):
            setup_telemetry(environ=environ)


class TestBadConfig:
    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"default_level": "LOUD"}, "default_level must be one of"),
            ({"default_level": 15}, "default_level"),
            ({"default_level": True}, "default_level"),
            ({"formatter": "xml"}, "formatter must be 'console' or 'json'"),
            ({"enabled_emoji_sets": ["llm", "nope"]}, "unknown emoji set 'nope'; available sets"),
            ({"enabled_emoji_sets": "llm"}, "must be a list"),
            ({"das_emoji_prefix_enabled": "yes"}, "das_emoji_prefix_enabled must be True or False"),
            ({"colors": 1}, "colors"),
            ({"module_levels": {"llm": "LOUD"}}, "module_levels"),
            ({"module_levels": ["llm"]}, "module_levels must be a mapping"),
            ({"custom_emoji_sets": [object()]}, "EmojiSetConfig instances"),
            ({"custom_emoji_sets": [EmojiSetConfig]}, "takes instances"),
            ({"custom_emoji_sets": "llm"}, "custom_emoji_sets must be a list"),
            ({"stream": "stderr"}, "writable file object"),
            ({"redact_patterns": ["("]}, "not a valid regex"),
            ({"redact_fields": [1]}, "redact_fields"),
            ({"max_value_chars": 0}, "max_value_chars"),
        ],
    )
    def test_bad_value(self, fields: dict[str, Any], message: str) -> None:
        """A wrong type or value fails when the config is built, saying what to write."""
        with pytest.raises(ConfigurationError, match=message):
            LoggingConfig(**fields)

    def test_custom_set_without_domain(self) -> None:
        """A custom set must name its domain."""

        class NoDomain(EmojiSetConfig):
            pass

        with pytest.raises(ConfigurationError, match="domain"):
            LoggingConfig(custom_emoji_sets=[NoDomain()])

    def test_custom_domain_can_be_enabled(self) -> None:
        """enabled_emoji_sets accepts the domain of a custom set."""

        class Queue(EmojiSetConfig):
            domain = "queue"

            def get_emoji(self, action: str, status: str) -> str:
                return "📬"

        config = LoggingConfig(custom_emoji_sets=[Queue()], enabled_emoji_sets=["queue"])
        assert config.enabled_emoji_sets == ["queue"]

    def test_setup_rejects_other_types(self) -> None:
        """setup_telemetry takes a TelemetryConfig."""
        with pytest.raises(ConfigurationError, match="TelemetryConfig"):
            setup_telemetry(LoggingConfig())  # type: ignore[arg-type]

    def test_telemetry_config_checks_logging(self) -> None:
        """TelemetryConfig.logging must be a LoggingConfig."""
        with pytest.raises(ConfigurationError, match="LoggingConfig"):
            TelemetryConfig(logging={"default_level": "INFO"})  # type: ignore[arg-type]

    def test_configuration_error_is_value_error(self) -> None:
        """Callers catching ValueError catch configuration errors."""
        assert issubclass(ConfigurationError, ValueError)


class TestLevels:
    def test_module_levels_longest_prefix(self) -> None:
        """Per-module levels apply by the longest matching logger-name prefix."""
        stream = _setup(
            default_level="WARNING", module_levels={"llm": "INFO", "llm.openai": "DEBUG"}
        )
        get_logger("llm.openai.chat").debug("a")
        get_logger("llm.anthropic").debug("b")
        get_logger("llm.anthropic").info("c")
        get_logger("other").info("d")
        get_logger("llmx").info("e")
        text = stream.getvalue()
        assert [w for w in "abcde" if f" {w}\n" in text] == ["a", "c"]

    def test_reconfigure_no_duplicates(self) -> None:
        """Calling setup_telemetry again replaces the output instead of adding to it."""
        first = _setup()
        log = get_logger("llm")
        log.info("one")
        second = _setup(formatter="json")
        log.info("two")
        assert first.getvalue().count("\n") == 1
        assert second.getvalue().count("\n") == 1
        assert orjson.loads(second.getvalue())["event"] == "two"

    def test_reconfigure_updates_bound_loggers(self) -> None:
        """Loggers bound before a reconfiguration follow the new level."""
        stream = _setup(default_level="INFO")
        log = get_logger("llm").bind(request_id="r1")
        log.debug("hidden")
        stream2 = _setup(default_level="DEBUG")
        log.debug("shown")
        assert stream.getvalue() == ""
        assert "shown" in stream2.getvalue()
        assert "request_id=r1" in stream2.getvalue()


class TestJSONFile:
    def test_console_and_json_file(self, tmp_path: Any) -> None:
        """json_file appends a JSON copy of every event while the console keeps its format."""
        path = tmp_path / "events.jsonl"
        stream = _setup(json_file=path)
        get_logger("llm").info("model_loaded", model="gpt-4", api_key="sk-" + "a" * 30)
        setup_telemetry(environ={})  # reconfiguring closes the file
        assert "🤖 model_loaded" in stream.getvalue()
        (line,) = [orjson.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        assert (line["event"], line["emoji"], line["model"]) == ("model_loaded", "🤖", "gpt-4")
        assert "aaaa" not in path.read_text(encoding="utf-8")

    def test_environment(self, tmp_path: Any) -> None:
        """LOGMOJI_JSON_FILE names the file when the config does not."""
        path = tmp_path / "env.jsonl"
        config = setup_telemetry(environ={"LOGMOJI_JSON_FILE": str(path)})
        assert config.json_file == str(path)
        get_logger("app").warning("x")
        setup_telemetry(environ={})
        assert orjson.loads(path.read_text(encoding="utf-8"))["event"] == "x"

    def test_unwritable(self, tmp_path: Any) -> None:
        """A file that cannot be opened fails at set-up."""
        with pytest.raises(ConfigurationError, match="cannot open"):
            _setup(json_file=tmp_path / "missing-dir" / "x.jsonl")
