"""OpenTelemetry export settings: :class:`OTelConfig` and the standard ``OTEL_*`` variables.

A field given in code wins; a field left out takes its value from the
environment, read the way every OpenTelemetry SDK reads it, then from the
specification's default. Setting ``OTEL_EXPORTER_OTLP_ENDPOINT`` alone turns
export on. ``{SIGNAL}`` below is ``LOGS``, ``TRACES`` or ``METRICS``; a
per-signal variable wins over the general one.

=============================  =========================================  ========================
field                          environment variable                       default
=============================  =========================================  ========================
``enabled``                    on when an endpoint is set;                off
                               ``OTEL_SDK_DISABLED=true`` turns it off
``endpoint``                   ``OTEL_EXPORTER_OTLP_[{SIGNAL}_]ENDPOINT``  ``http://localhost:4318``
                                                                          (gRPC: ``:4317``)
``protocol``                   ``OTEL_EXPORTER_OTLP_[{SIGNAL}_]PROTOCOL``  ``http/protobuf``
``headers``                    ``OTEL_EXPORTER_OTLP_[{SIGNAL}_]HEADERS``   none
``logs/traces/metrics``        ``OTEL_{SIGNAL}_EXPORTER=none`` turns off   on
``export_timeout_s``           ``OTEL_EXPORTER_OTLP_[{SIGNAL}_]TIMEOUT``   10 s
                               (milliseconds, as the specification says)
``metric_export_interval_s``   ``OTEL_METRIC_EXPORT_INTERVAL`` (ms)       60 s
``resource_attributes``        ``OTEL_RESOURCE_ATTRIBUTES``               none
(service name)                 ``TelemetryConfig.service_name``,          ``unknown_service``
                               ``LOGMOJI_SERVICE_NAME``, ``OTEL_SERVICE_NAME``
=============================  =========================================  ========================

The general endpoint is a base URL: over HTTP each signal goes to its path
(``/v1/logs``, ``/v1/traces``, ``/v1/metrics``). A per-signal endpoint is used
as it is. When no general endpoint is set but some per-signal ones are, only
those signals are exported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from logmoji.exceptions import ConfigurationError

__all__ = ["SIGNALS", "OTelConfig", "ResolvedOTelConfig", "SignalSettings"]

Protocol = Literal["http/protobuf", "grpc"]
Signal = Literal["logs", "traces", "metrics"]

#: The three signals, in the order they are set up.
SIGNALS: tuple[Signal, ...] = ("logs", "traces", "metrics")
_PROTOCOLS = ("http/protobuf", "grpc")
_DEFAULT_ENDPOINTS = {"http/protobuf": "http://localhost:4318", "grpc": "http://localhost:4317"}
_HTTP_PATHS = {"logs": "v1/logs", "traces": "v1/traces", "metrics": "v1/metrics"}
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no", ""})


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """Where and how one signal is exported."""

    endpoint: str
    protocol: Protocol
    headers: Mapping[str, str]
    timeout_s: float


@dataclass(frozen=True, slots=True)
class ResolvedOTelConfig:
    """The export settings with their final values; ``signals`` holds the exported ones."""

    enabled: bool
    signals: Mapping[Signal, SignalSettings]
    resource_attributes: Mapping[str, str | bool | int | float]
    max_queue_size: int
    metric_export_interval_s: float
    shutdown_timeout_s: float


@dataclass(frozen=True, slots=True)
class OTelConfig:
    """Export logs, traces and metrics over OTLP. ``None``: environment, else default.

    Args:
        enabled: Export at all; by default on when an OTLP endpoint is set.
        endpoint: The collector's base URL, such as ``http://collector:4318``.
        protocol: ``"http/protobuf"`` or ``"grpc"``.
        headers: Headers for every export request (API keys of hosted backends).
        logs: Export every log event as an OpenTelemetry log record.
        traces: Export a span per instrumented LLM call.
        metrics: Export the GenAI duration, token and time-to-first-chunk
            histograms and the cost counter.
        export_timeout_s: Longest one export request may take, retries included.
        max_queue_size: Records and spans held per signal while the collector
            is slow; beyond it the oldest are dropped, never the application's time.
        metric_export_interval_s: How often metrics are sent.
        resource_attributes: Attributes of the exported resource, such as
            ``{"deployment.environment.name": "prod"}``.
        shutdown_timeout_s: Longest :func:`~logmoji.setup.reset` (and exit)
            waits to send what is still queued.
    """

    enabled: bool | None = None
    endpoint: str | None = None
    protocol: str | None = None
    headers: Mapping[str, str] | None = None
    logs: bool = True
    traces: bool = True
    metrics: bool = True
    export_timeout_s: float | None = None
    max_queue_size: int = 2048
    metric_export_interval_s: float | None = None
    resource_attributes: Mapping[str, str | bool | int | float] | None = None
    shutdown_timeout_s: float = 3.0

    def __post_init__(self) -> None:
        for name in ("enabled", "logs", "traces", "metrics"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise ConfigurationError(f"{name} must be True or False, not {value!r}")
        if self.endpoint is not None:
            _check_endpoint(self.endpoint, "endpoint")
        if self.protocol is not None:
            _check_protocol(self.protocol, "protocol")
        _check_mapping(self.headers, "headers", str, "strings, such as {'x-api-key': '...'}")
        for name in ("export_timeout_s", "metric_export_interval_s", "shutdown_timeout_s"):
            value = getattr(self, name)
            if value is not None:
                _check_seconds(value, name)
        if (
            isinstance(self.max_queue_size, bool)
            or not isinstance(self.max_queue_size, int)
            or self.max_queue_size < 1
        ):
            raise ConfigurationError(
                f"max_queue_size must be a positive int, not {self.max_queue_size!r}"
            )
        _check_mapping(
            self.resource_attributes,
            "resource_attributes",
            str | bool | int | float,
            "strings, numbers or booleans",
        )

    def resolve(
        self, environ: Mapping[str, str], service_name: str | None = None
    ) -> ResolvedOTelConfig:
        """Return the final settings, reading ``environ`` for fields left out.

        Args:
            environ: The environment.
            service_name: ``TelemetryConfig.service_name``, which wins over the environment.

        Raises:
            ConfigurationError: an environment variable holds a bad value.
        """
        env = {k: v for k, v in environ.items() if k.startswith(("OTEL_", "LOGMOJI_"))}
        general = self.endpoint or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None
        own = {s: env.get(f"OTEL_EXPORTER_OTLP_{s.upper()}_ENDPOINT") or None for s in SIGNALS}
        if self.enabled is not None:
            enabled = self.enabled
        else:
            disabled = _parse_bool(env.get("OTEL_SDK_DISABLED", ""), "OTEL_SDK_DISABLED")
            enabled = not disabled and (general is not None or any(own.values()))
        wanted = {"logs": self.logs, "traces": self.traces, "metrics": self.metrics}
        signals: dict[Signal, SignalSettings] = {}
        for signal in SIGNALS:
            if not wanted[signal]:
                continue
            if env.get(f"OTEL_{signal.upper()}_EXPORTER", "").strip().lower() == "none":
                continue
            if general is None and any(own.values()) and own[signal] is None:
                continue  # only per-signal endpoints were given, and not this one
            signals[signal] = self._signal(signal, env, general, own[signal])
        return ResolvedOTelConfig(
            enabled=enabled and bool(signals),
            signals=signals,
            resource_attributes=self._resource(env, service_name),
            max_queue_size=self.max_queue_size,
            metric_export_interval_s=(
                self.metric_export_interval_s
                if self.metric_export_interval_s is not None
                else _millis(env, "OTEL_METRIC_EXPORT_INTERVAL", 60.0)
            ),
            shutdown_timeout_s=self.shutdown_timeout_s,
        )

    def _signal(
        self, signal: Signal, env: Mapping[str, str], general: str | None, own: str | None
    ) -> SignalSettings:
        upper = signal.upper()
        protocol_var = f"OTEL_EXPORTER_OTLP_{upper}_PROTOCOL"
        if protocol_var not in env:
            protocol_var = "OTEL_EXPORTER_OTLP_PROTOCOL"
        protocol: str = self.protocol or env.get(protocol_var, "").strip() or "http/protobuf"
        _check_protocol(protocol, protocol_var if self.protocol is None else "protocol")
        proto: Protocol = "grpc" if protocol == "grpc" else "http/protobuf"
        if own is not None and self.endpoint is None:
            endpoint = own
            _check_endpoint(endpoint, f"OTEL_EXPORTER_OTLP_{upper}_ENDPOINT")
        else:
            base = general or _DEFAULT_ENDPOINTS[proto]
            _check_endpoint(base, "endpoint" if self.endpoint else "OTEL_EXPORTER_OTLP_ENDPOINT")
            if proto == "grpc":
                endpoint = base
            else:
                endpoint = f"{base.removesuffix('/')}/{_HTTP_PATHS[signal]}"
        headers: dict[str, str] = {}
        for variable in ("OTEL_EXPORTER_OTLP_HEADERS", f"OTEL_EXPORTER_OTLP_{upper}_HEADERS"):
            if variable in env:
                headers.update(_parse_pairs(env[variable], variable))
        if self.headers is not None:
            headers.update(self.headers)
        timeout_var = f"OTEL_EXPORTER_OTLP_{upper}_TIMEOUT"
        if timeout_var not in env:
            timeout_var = "OTEL_EXPORTER_OTLP_TIMEOUT"
        timeout = (
            self.export_timeout_s
            if self.export_timeout_s is not None
            else _millis(env, timeout_var, 10.0)
        )
        return SignalSettings(endpoint, proto, {k.lower(): v for k, v in headers.items()}, timeout)

    def _resource(
        self, env: Mapping[str, str], service_name: str | None
    ) -> dict[str, str | bool | int | float]:
        attributes: dict[str, str | bool | int | float] = {}
        if "OTEL_RESOURCE_ATTRIBUTES" in env:
            attributes.update(
                _parse_pairs(env["OTEL_RESOURCE_ATTRIBUTES"], "OTEL_RESOURCE_ATTRIBUTES")
            )
        if self.resource_attributes is not None:
            attributes.update(self.resource_attributes)
        name = (
            service_name or env.get("LOGMOJI_SERVICE_NAME") or env.get("OTEL_SERVICE_NAME") or None
        )
        if name is not None:
            attributes["service.name"] = name
        return attributes


def _parse_bool(value: str, variable: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError(f"{variable} must be 'true' or 'false', not {value!r}")


def _check_endpoint(value: object, where: str) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"{where} must be a URL such as 'http://localhost:4318', not {value!r}"
        )


def _check_protocol(value: object, where: str) -> None:
    if value not in _PROTOCOLS:
        raise ConfigurationError(
            f"{where} must be 'http/protobuf' or 'grpc' (http/json is not supported), not {value!r}"
        )


def _check_mapping(value: object, name: str, types: Any, expected: str) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, types) for k, v in value.items()
    ):
        raise ConfigurationError(f"{name} must map names to {expected}, not {value!r}")


def _check_seconds(value: object, name: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")


def _millis(env: Mapping[str, str], variable: str, default_s: float) -> float:
    raw = env.get(variable, "").strip()
    if not raw:
        return default_s
    try:
        millis = float(raw)
    except ValueError:
        millis = -1.0
    if not math.isfinite(millis) or millis <= 0:
        raise ConfigurationError(
            f"{variable} is in milliseconds and must be a positive number, not {raw!r}"
        )
    return millis / 1000.0


def _parse_pairs(text: str, variable: str) -> dict[str, str]:
    """Parse ``key=value,key2=value2`` (values URL-encoded), the W3C baggage form."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(
                f"{variable} must look like 'key1=value1,key2=value2', not {text!r}"
            )
        out[unquote(key.strip())] = unquote(value.strip())
    return out
