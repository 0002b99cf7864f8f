"""Configuration: :class:`LoggingConfig`, :class:`TelemetryConfig` and the environment.

A field given in code wins; a field left out (``None``) takes its value from
the environment, then from the built-in default. Values are checked when the
config is built and again when :func:`logmoji.setup.setup_telemetry` reads the
environment, so a mistake fails at set-up with a :class:`ConfigurationError`
that says what to write instead.

=========================  ==============================  =====================
field                      environment variable            default
=========================  ==============================  =====================
``default_level``          ``LOGMOJI_LEVEL``               ``INFO``
``module_levels``          ``LOGMOJI_MODULE_LEVELS``       SDK/httpx loggers: WARNING
                           (``llm.openai=debug,x=error``)
``formatter``              ``LOGMOJI_FORMAT``              ``console``
``das_emoji_prefix_enabled`` ``LOGMOJI_EMOJI`` (on/off)    on
``ascii_emoji``            ``LOGMOJI_EMOJI=ascii``         when the stream can't
                                                           encode emoji
``enabled_emoji_sets``     ``LOGMOJI_EMOJI_SETS``          all built-in sets
``colors``                 ``NO_COLOR`` / ``FORCE_COLOR``  on a terminal only
``redact``                 ``LOGMOJI_REDACT`` (on/off)     on
``json_file``              ``LOGMOJI_JSON_FILE``           none
=========================  ==============================  =====================

OpenTelemetry export (:class:`OTelConfig`, ``TelemetryConfig.otel``) reads the
standard ``OTEL_*`` variables; its table is in :mod:`logmoji.logger._otel_config`.
Level names and their parsing are in :mod:`logmoji.logger._levels`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from logmoji._validate import require_int
from logmoji.exceptions import ConfigurationError
from logmoji.logger._checks import check_type as _check_type
from logmoji.logger._checks import parse_bool as _parse_bool
from logmoji.logger._levels import LEVELS, parse_level
from logmoji.logger._levels import parse_module_levels as _parse_module_levels
from logmoji.logger._llm_config import LLMConfig, ResolvedLLMConfig
from logmoji.logger._otel_config import OTelConfig, ResolvedOTelConfig
from logmoji.logger.emoji._builtin import BUILTIN_SET_NAMES
from logmoji.logger.emoji.types import EmojiSetConfig

__all__ = [
    "LEVELS",
    "LLMConfig",
    "LoggingConfig",
    "OTelConfig",
    "ResolvedLLMConfig",
    "ResolvedLoggingConfig",
    "ResolvedOTelConfig",
    "TelemetryConfig",
    "parse_level",
]

_FORMATS = ("console", "json")

#: Loggers quieter by default: the SDKs log every HTTP request and retry at
#: INFO, which logmoji's own events (``llm.openai``, ``llm.anthropic``) describe.
DEFAULT_MODULE_LEVELS: Mapping[str, int] = {
    "openai": logging.WARNING,
    "anthropic": logging.WARNING,
    "httpx": logging.WARNING,
    "httpx2": logging.WARNING,
    "httpcore": logging.WARNING,
    "httpcore2": logging.WARNING,
}

Formatter = Literal["console", "json"]


def _check_sets(
    names: Sequence[str], custom: Sequence[EmojiSetConfig], where: str
) -> tuple[str, ...]:
    available = set(BUILTIN_SET_NAMES) | {s.domain for s in custom}
    out = []
    for name in names:
        if not isinstance(name, str):
            raise ConfigurationError(f"{where} must list set names (strings), not {name!r}")
        key = name.strip().lower()
        if key == "db":
            key = "database"
        if key not in available:
            raise ConfigurationError(
                f"{where}: unknown emoji set {name!r}; available sets: "
                f"{', '.join(sorted(available))}"
            )
        out.append(key)
    return tuple(out)


def _check_list(name: str, value: object, example: str) -> None:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
        raise ConfigurationError(f"{name} must be a list such as {example}, not {value!r}")


def _check_stream(stream: object) -> None:
    if not callable(getattr(stream, "write", None)):
        raise ConfigurationError(f"stream must be a writable file object, not {stream!r}")
    if getattr(stream, "closed", False):
        raise ConfigurationError(f"stream {stream!r} is closed")
    writable = getattr(stream, "writable", None)
    try:
        can_write = writable() if callable(writable) else True
    except (OSError, ValueError):  # a stream that cannot even say is no good either
        can_write = False
    if not can_write:
        raise ConfigurationError(f"stream {stream!r} is not open for writing")


@dataclass(frozen=True, slots=True)
class ResolvedLoggingConfig:
    """Every logging setting with its final value, after the environment was read."""

    default_level: int
    module_levels: Mapping[str, int]
    formatter: Formatter
    das_emoji_prefix_enabled: bool
    enabled_emoji_sets: tuple[str, ...]
    custom_emoji_sets: tuple[EmojiSetConfig, ...]
    stream: IO[Any] | None
    colors: bool | None
    redact: bool
    redact_fields: tuple[str, ...]
    redact_patterns: tuple[re.Pattern[str], ...]
    max_value_chars: int
    capture_stdlib: bool
    show_timestamp: bool
    json_file: str | None = None
    ascii_emoji: bool | None = None


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """How logs look and where they go. ``None`` means "from the environment, else default".

    Args:
        default_level: Lowest level written (``"DEBUG"`` … ``"CRITICAL"``).
        module_levels: Levels for logger-name prefixes, e.g. ``{"llm.openai": "DEBUG"}``;
            the longest matching prefix wins. Applies to standard ``logging`` records too.
        das_emoji_prefix_enabled: Put the emoji on each line.
        enabled_emoji_sets: Built-in sets to use (``"llm"``, ``"http"``, ``"database"``);
            all by default. Custom sets are always enabled.
        custom_emoji_sets: :class:`EmojiSetConfig` instances; one replaces the built-in
            set of its ``domain``.
        formatter: ``"console"`` (aligned, human-readable) or ``"json"`` (one object a line).
        stream: Where lines go (a text or binary file object); ``sys.stderr`` by default.
        colors: Colour console output; by default only on a terminal, and never
            under ``NO_COLOR``.
        redact: Mask secrets (API keys, tokens, passwords) in every event.
        redact_fields: More field names whose values are always masked.
        redact_patterns: More regular expressions whose matches are masked.
        max_value_chars: Longer values are cut, with a marker saying how much was cut.
        capture_stdlib: Route records of the standard ``logging`` module through logmoji.
        show_timestamp: Show the time on console lines (JSON always has it).
        json_file: Also append every event, as a JSON line, to this file
            (``LOGMOJI_JSON_FILE``); the console keeps its own format.
        ascii_emoji: Write short bracketed tags (``[INFER]``, ``[RATE]``) instead
            of emoji (``LOGMOJI_EMOJI=ascii``); by default only when the
            stream's encoding cannot encode emoji.
    """

    default_level: str | int | None = None
    module_levels: Mapping[str, str | int] | None = None
    das_emoji_prefix_enabled: bool | None = None
    enabled_emoji_sets: Sequence[str] | None = None
    custom_emoji_sets: Sequence[EmojiSetConfig] = ()
    formatter: str | None = None
    stream: IO[Any] | None = None
    colors: bool | None = None
    redact: bool | None = None
    redact_fields: Sequence[str] = ()
    redact_patterns: Sequence[str | re.Pattern[str]] = ()
    max_value_chars: int = 10_000
    capture_stdlib: bool = True
    show_timestamp: bool = True
    json_file: str | os.PathLike[str] | None = None
    ascii_emoji: bool | None = None

    def __post_init__(self) -> None:
        if self.default_level is not None:
            parse_level(self.default_level, "default_level")
        if self.module_levels is not None:
            if not isinstance(self.module_levels, Mapping):
                raise ConfigurationError(
                    "module_levels must be a mapping such as {'llm.openai': 'DEBUG'}, "
                    f"not {self.module_levels!r}"
                )
            for name, level in self.module_levels.items():
                if not isinstance(name, str):
                    raise ConfigurationError(
                        f"module_levels keys must be logger names, not {name!r}"
                    )
                parse_level(level, f"module_levels[{name!r}]")
        _check_type(
            "das_emoji_prefix_enabled", self.das_emoji_prefix_enabled, bool, "True or False"
        )
        _check_type("colors", self.colors, bool, "True, False or None")
        _check_type("redact", self.redact, bool, "True or False")
        _check_type("capture_stdlib", self.capture_stdlib, bool, "True or False")
        _check_type("show_timestamp", self.show_timestamp, bool, "True or False")
        _check_type("ascii_emoji", self.ascii_emoji, bool, "True, False or None")
        if self.formatter is not None and self.formatter not in _FORMATS:
            raise ConfigurationError(
                f"formatter must be 'console' or 'json', not {self.formatter!r}"
            )
        if isinstance(self.custom_emoji_sets, str | bytes) or not isinstance(
            self.custom_emoji_sets, Sequence
        ):
            raise ConfigurationError("custom_emoji_sets must be a list of EmojiSetConfig instances")
        for emoji_set in self.custom_emoji_sets:
            if isinstance(emoji_set, type):
                raise ConfigurationError(
                    f"custom_emoji_sets takes instances: write {emoji_set.__name__}(), "
                    f"not {emoji_set.__name__}"
                )
            if not isinstance(emoji_set, EmojiSetConfig):
                raise ConfigurationError(
                    f"custom_emoji_sets items must be EmojiSetConfig instances, not {emoji_set!r}"
                )
            if not isinstance(emoji_set.domain, str) or not emoji_set.domain:
                raise ConfigurationError(
                    f"{type(emoji_set).__name__} needs a class attribute domain = '...'"
                )
        if self.enabled_emoji_sets is not None:
            _check_list("enabled_emoji_sets", self.enabled_emoji_sets, "['llm']")
            _check_sets(self.enabled_emoji_sets, self.custom_emoji_sets, "enabled_emoji_sets")
        if self.stream is not None:
            _check_stream(self.stream)
        if self.json_file is not None and not isinstance(self.json_file, str | os.PathLike):
            raise ConfigurationError(f"json_file must be a file path, not {self.json_file!r}")
        _check_list("redact_fields", self.redact_fields, "['session_id']")
        _check_list("redact_patterns", self.redact_patterns, "[r'acct-[0-9]{8}']")
        for name in self.redact_fields:
            if not isinstance(name, str):
                raise ConfigurationError(f"redact_fields must be field names, not {name!r}")
        for pattern in self.redact_patterns:
            _compile(pattern)
        require_int("max_value_chars", self.max_value_chars, minimum=16)

    def resolve(self, environ: Mapping[str, str]) -> ResolvedLoggingConfig:
        """Return the final settings, reading ``environ`` for fields left out.

        Raises:
            ConfigurationError: an environment variable holds a bad value.
        """
        env = {
            k: v
            for k, v in environ.items()
            # An empty variable counts as not set (as in a templated env file).
            if k.startswith(("LOGMOJI_", "NO_COLOR", "FORCE_COLOR")) and v != ""
        }
        if self.default_level is not None:
            level = parse_level(self.default_level, "default_level")
        elif "LOGMOJI_LEVEL" in env:
            level = parse_level(env["LOGMOJI_LEVEL"], "LOGMOJI_LEVEL")
        else:
            level = logging.INFO
        modules = dict(DEFAULT_MODULE_LEVELS)
        if self.module_levels is not None:
            modules.update({k: parse_level(v) for k, v in self.module_levels.items()})
        elif "LOGMOJI_MODULE_LEVELS" in env:
            modules.update(
                _parse_module_levels(env["LOGMOJI_MODULE_LEVELS"], "LOGMOJI_MODULE_LEVELS")
            )
        if self.formatter is not None:
            formatter = self.formatter
        else:
            formatter = env.get("LOGMOJI_FORMAT", "console").strip().lower() or "console"
            if formatter not in _FORMATS:
                raise ConfigurationError(
                    f"LOGMOJI_FORMAT must be 'console' or 'json', not {env['LOGMOJI_FORMAT']!r}"
                )
        ascii_emoji = self.ascii_emoji
        if self.das_emoji_prefix_enabled is not None:
            emoji = self.das_emoji_prefix_enabled
        elif env.get("LOGMOJI_EMOJI", "").strip().lower() == "ascii":
            emoji = True
            ascii_emoji = True if ascii_emoji is None else ascii_emoji
        elif "LOGMOJI_EMOJI" in env:
            emoji = _parse_bool(env["LOGMOJI_EMOJI"], "LOGMOJI_EMOJI", "'on', 'off' or 'ascii'")
        else:
            emoji = True
        custom = tuple(self.custom_emoji_sets)
        if self.enabled_emoji_sets is not None:
            sets = _check_sets(self.enabled_emoji_sets, custom, "enabled_emoji_sets")
        elif "LOGMOJI_EMOJI_SETS" in env:
            raw = env["LOGMOJI_EMOJI_SETS"].strip()
            names = (
                []
                if raw.lower() in ("", "none")
                else (list(BUILTIN_SET_NAMES) if raw.lower() == "all" else raw.split(","))
            )
            sets = _check_sets(names, custom, "LOGMOJI_EMOJI_SETS")
        else:
            sets = BUILTIN_SET_NAMES
        colors = self.colors
        if colors is None:
            if env.get("NO_COLOR", ""):
                colors = False
            elif env.get("FORCE_COLOR", "") not in ("", "0"):
                colors = True
        if self.redact is not None:
            redact = self.redact
        elif "LOGMOJI_REDACT" in env:
            redact = _parse_bool(env["LOGMOJI_REDACT"], "LOGMOJI_REDACT")
        else:
            redact = True
        return ResolvedLoggingConfig(
            default_level=level,
            module_levels=modules,
            formatter="json" if formatter == "json" else "console",
            das_emoji_prefix_enabled=emoji,
            enabled_emoji_sets=sets,
            custom_emoji_sets=custom,
            stream=self.stream,
            colors=colors,
            redact=redact,
            redact_fields=tuple(self.redact_fields),
            redact_patterns=tuple(_compile(p) for p in self.redact_patterns),
            max_value_chars=self.max_value_chars,
            capture_stdlib=self.capture_stdlib,
            show_timestamp=self.show_timestamp,
            ascii_emoji=ascii_emoji,
            json_file=(
                os.fspath(self.json_file)
                if self.json_file is not None
                else env.get("LOGMOJI_JSON_FILE") or None
            ),
        )


def _compile(pattern: object) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise ConfigurationError(f"redact_patterns must be regular expressions, not {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigurationError(
            f"redact_patterns: {pattern!r} is not a valid regex: {exc}"
        ) from None


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """Everything :func:`~logmoji.setup.setup_telemetry` sets up.

    Args:
        service_name: Names the application in exported telemetry (``LOGMOJI_SERVICE_NAME``
            or ``OTEL_SERVICE_NAME`` when left out).
        logging: The logging settings.
        llm: What instrumented LLM clients do by default.
        otel: OpenTelemetry export (the ``otel`` extra); ``None`` reads the
            standard ``OTEL_*`` variables, so ``OTEL_EXPORTER_OTLP_ENDPOINT``
            alone turns it on. See ``docs/opentelemetry.md``.
    """

    service_name: str | None = None
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    otel: OTelConfig | None = None

    def __post_init__(self) -> None:
        _check_type("service_name", self.service_name, str, "a string")
        if not isinstance(self.logging, LoggingConfig):
            raise ConfigurationError(
                f"logging must be a LoggingConfig(...), not {type(self.logging).__name__}"
            )
        if not isinstance(self.llm, LLMConfig):
            raise ConfigurationError(
                f"llm must be an LLMConfig(...), not {type(self.llm).__name__}"
            )
        if self.otel is not None and not isinstance(self.otel, OTelConfig):
            raise ConfigurationError(
                f"otel must be an OTelConfig(...), not {type(self.otel).__name__}"
            )
