"""OpenTelemetry export, checked at a real OTLP receiver on 127.0.0.1.

Each test sets logmoji up against the receiver in ``tests/_otlp_receiver.py``
(which decodes the protobuf as a collector would), logs or makes LLM calls
against the fake provider, flushes, and checks what arrived: log records,
spans and their tree, metric points. A closed port stands in for a
collector that is down.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import logmoji
import logmoji.otel
from _otlp_receiver import OTLPGrpcReceiver, OTLPReceiver, closed_port
from logmoji import ConfigurationError, LoggingConfig, TelemetryConfig, get_logger
from logmoji.llm.instrumentation import instrument
from logmoji.logger.config import OTelConfig
from logmoji.otel._semconv import DURATION_BUCKETS, TOKEN_BUCKETS, TTFC_BUCKETS
from logmoji.setup import setup_telemetry
from logmoji.testing import FakeLLMProvider, capture_logs

MESSAGES = [{"role": "user", "content": "Say hello."}]
SEVERITY = {"debug": 5, "info": 9, "warning": 13, "error": 17, "critical": 21}
SPAN_KIND_CLIENT = 3
STATUS_UNSET, STATUS_ERROR = 0, 2


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake LLM APIs for the module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def receiver() -> Iterator[OTLPReceiver]:
    """Run one OTLP/HTTP receiver for the module."""
    with OTLPReceiver() as rx:
        yield rx


@pytest.fixture
def rx(receiver: OTLPReceiver, fake: FakeLLMProvider) -> OTLPReceiver:
    """Return the receiver, emptied, with the fake provider's faults forgotten."""
    receiver.clear()
    fake.reset()
    return receiver


def setup(
    endpoint: str, *, formatter: str = "console", level: str = "DEBUG", **otel: Any
) -> io.StringIO:
    """Set logmoji up to export to ``endpoint``; return the console stream."""
    stream = io.StringIO()
    setup_telemetry(
        TelemetryConfig(
            service_name="otel-tests",
            logging=LoggingConfig(stream=stream, formatter=formatter, default_level=level),
            otel=OTelConfig(endpoint=endpoint, **otel),
        ),
        environ={},
    )
    return stream


def flush() -> None:
    """Export everything queued, and insist it went."""
    assert logmoji.otel.force_flush(5.0)


def one(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    """Return the one item whose keys equal ``match``."""
    found = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [i.get("body") or i.get("name") for i in items])
    return found[0]


class TestConfig:
    def test_off_without_endpoint(self) -> None:
        """Nothing in the environment and nothing in code: export is off."""
        assert OTelConfig().resolve({}).enabled is False

    def test_endpoint_variable_alone(self) -> None:
        """OTEL_EXPORTER_OTLP_ENDPOINT alone turns all three signals on, over HTTP."""
        config = OTelConfig().resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"})
        assert config.enabled
        assert {s: c.endpoint for s, c in config.signals.items()} == {
            "logs": "http://c:4318/v1/logs",
            "traces": "http://c:4318/v1/traces",
            "metrics": "http://c:4318/v1/metrics",
        }
        assert {c.protocol for c in config.signals.values()} == {"http/protobuf"}

    @pytest.mark.parametrize(
        ("environ", "signal", "attr", "expected"),
        [
            ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "logs", "protocol", "grpc"),
            ({"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc"}, "metrics", "endpoint", "http://c:4318"),
            ({"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc"}, "logs", "protocol", "http/protobuf"),
            ({"OTEL_EXPORTER_OTLP_HEADERS": "x-key=a%20b, y=2"}, "traces", "headers",
             {"x-key": "a b", "y": "2"}),
            ({"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "a=2"},
             "logs", "headers", {"a": "2"}),
            ({"OTEL_EXPORTER_OTLP_TIMEOUT": "2500"}, "metrics", "timeout_s", 2.5),
            ({"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "100"}, "traces", "timeout_s", 0.1),
            ({"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://l:1/x"}, "logs", "endpoint",
             "http://l:1/x"),
        ],
    )  # fmt: skip
    def test_variables(
        self, environ: dict[str, str], signal: str, attr: str, expected: object
    ) -> None:
        """The standard variables set protocol, headers, timeout (ms) and endpoints."""
        config = OTelConfig().resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", **environ})
        assert getattr(config.signals[signal], attr) == expected  # type: ignore[index]

    @pytest.mark.parametrize(
        ("otel", "environ", "enabled", "endpoint"),
        [
            (OTelConfig(enabled=False), {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:1"}, False,
             "http://c:1/v1/logs"),
            (OTelConfig(endpoint="http://code:1"), {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:1"},
             True, "http://code:1/v1/logs"),
            (OTelConfig(enabled=True), {}, True, "http://localhost:4318/v1/logs"),
            (OTelConfig(enabled=True, protocol="grpc"), {}, True, "http://localhost:4317"),
        ],
    )  # fmt: skip
    def test_code_wins(
        self, otel: OTelConfig, environ: dict[str, str], enabled: bool, endpoint: str
    ) -> None:
        """Fields given in code win over the environment; enabled alone uses the default."""
        config = otel.resolve(environ)
        assert config.enabled is enabled
        assert config.signals["logs"].endpoint == endpoint

    def test_only_signal_endpoints(self) -> None:
        """With only a per-signal endpoint set, only that signal is exported."""
        config = OTelConfig().resolve({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/t"})
        assert config.enabled
        assert list(config.signals) == ["traces"]

    @pytest.mark.parametrize(
        ("environ", "enabled", "signals"),
        [
            ({"OTEL_SDK_DISABLED": "true"}, False, ["logs", "traces", "metrics"]),
            ({"OTEL_TRACES_EXPORTER": "none"}, True, ["logs", "metrics"]),
            ({"OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}, True, ["traces"]),
        ],
    )
    def test_switches(self, environ: dict[str, str], enabled: bool, signals: list[str]) -> None:
        """OTEL_SDK_DISABLED and OTEL_{SIGNAL}_EXPORTER=none turn export or a signal off."""
        config = OTelConfig().resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:1", **environ})
        assert config.enabled is enabled
        assert list(config.signals) == signals

    def test_resource(self) -> None:
        """Service name: code, then LOGMOJI_SERVICE_NAME, then OTEL_SERVICE_NAME."""
        environ = {
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=a,deployment.environment.name=prod",
            "OTEL_SERVICE_NAME": "b",
        }
        assert OTelConfig().resolve(environ).resource_attributes == {
            "service.name": "b",
            "deployment.environment.name": "prod",
        }
        resolved = OTelConfig(resource_attributes={"team": "ml"}).resolve(environ, "code")
        assert resolved.resource_attributes["service.name"] == "code"
        assert resolved.resource_attributes["team"] == "ml"

    @pytest.mark.parametrize(
        "environ",
        [
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
            {"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"},
            {"OTEL_EXPORTER_OTLP_HEADERS": "no-equals-sign"},
            {"OTEL_SDK_DISABLED": "maybe"},
        ],
    )
    def test_bad_variable(self, environ: dict[str, str]) -> None:
        """A bad variable fails at set-up with a ConfigurationError naming it."""
        variable = next(iter(environ))
        with pytest.raises(ConfigurationError, match=variable):
            setup_telemetry(environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:1", **environ})

    @pytest.mark.parametrize(
        "fields",
        [
            {"protocol": "http/json"},
            {"endpoint": "localhost:4318"},
            {"export_timeout_s": 0},
            {"max_queue_size": 0},
            {"headers": {"x": 1}},
            {"enabled": "yes"},
            {"resource_attributes": {"a": None}},
        ],
    )
    def test_bad_field(self, fields: dict[str, Any]) -> None:
        """A bad OTelConfig field raises ConfigurationError when the config is made."""
        with pytest.raises(ConfigurationError, match=next(iter(fields))):
            OTelConfig(**fields)

    def test_not_an_otel_config(self) -> None:
        """TelemetryConfig(otel=...) takes an OTelConfig."""
        with pytest.raises(ConfigurationError, match="OTelConfig"):
            TelemetryConfig(otel={"endpoint": "http://c:1"})  # type: ignore[arg-type]


class TestLogs:
    def test_event_becomes_record(self, rx: OTLPReceiver) -> None:
        """An event arrives with severity, body, emoji, fields, scope and resource."""
        setup(rx.endpoint)
        get_logger("llm.costs").info("request_cost_calculated", model="gpt-4", cost_usd=0.25)
        flush()
        record = one(rx.logs(), body="request_cost_calculated")
        assert record["severity_number"] == SEVERITY["info"]
        assert record["severity_text"] == "INFO"
        assert record["event_name"] == "request_cost_calculated"
        assert record["scope"] == "llm.costs"
        assert record["attributes"]["emoji"] == "💰"
        assert record["attributes"]["model"] == "gpt-4"
        assert record["attributes"]["cost_usd"] == 0.25
        assert record["resource"]["service.name"] == "otel-tests"
        assert record["trace_id"] == ""  # no span was current

    @pytest.mark.parametrize("level", list(SEVERITY))
    def test_severity(self, rx: OTLPReceiver, level: str) -> None:
        """Each level maps to its OpenTelemetry severity number."""
        setup(rx.endpoint)
        getattr(get_logger("app"), level)("something_happened")
        flush()
        assert one(rx.logs(), body="something_happened")["severity_number"] == SEVERITY[level]

    def test_level_filter(self, rx: OTLPReceiver) -> None:
        """Events below the configured level are neither written nor exported."""
        setup(rx.endpoint, level="INFO")
        log = get_logger("app")
        log.debug("quiet_event")
        log.info("loud_event")
        flush()
        assert [r["body"] for r in rx.logs()] == ["loud_event"]

    def test_genai_names(self, rx: OTLPReceiver) -> None:
        """LLM fields are also exported under the GenAI semantic-convention names."""
        setup(rx.endpoint)
        get_logger("llm").error(
            "inference_failed",
            provider="openai",
            operation="responses",
            model="gpt-4",
            response_model="gpt-4-0613",
            prompt_tokens=150,
            completion_tokens=75,
            cached_tokens=100,
            reasoning_tokens=20,
            finish_reason="length",
            error_type="RateLimitError",
        )
        get_logger("db").info("model_saved", model="User", rows=3)
        flush()
        attributes = one(rx.logs(), body="inference_failed")["attributes"]
        assert {k: v for k, v in attributes.items() if k.startswith(("gen_ai.", "error."))} == {
            "gen_ai.provider.name": "openai",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4",
            "gen_ai.response.model": "gpt-4-0613",
            "gen_ai.usage.input_tokens": 150,
            "gen_ai.usage.output_tokens": 75,
            "gen_ai.usage.cache_read.input_tokens": 100,
            "gen_ai.usage.reasoning.output_tokens": 20,
            "gen_ai.response.finish_reasons": ["length"],
            "error.type": "RateLimitError",
        }
        assert attributes["prompt_tokens"] == 150  # the field keeps its own name too
        db = one(rx.logs(), body="model_saved")["attributes"]
        assert not any(k.startswith("gen_ai.") for k in db)  # an ORM model is no LLM

    def test_secrets_masked(self, rx: OTLPReceiver) -> None:
        """Secrets are masked in exported attributes as in written lines."""
        setup(rx.endpoint)
        key = "sk-proj-" + "a1B2" * 10
        get_logger("app").warning("config_loaded", api_key=key, note=f"using {key} now")
        flush()
        attributes = one(rx.logs(), body="config_loaded")["attributes"]
        assert key not in json.dumps(attributes)
        assert "REDACTED" in attributes["api_key"]
        assert "REDACTED" in attributes["note"]

    def test_values(self, rx: OTLPReceiver) -> None:
        """Any field value arrives as an attribute OTLP can hold; None is left out."""

        class Thing:
            def __repr__(self) -> str:
                return "<Thing>"

        setup(rx.endpoint)
        get_logger("app").info(
            "odd_values",
            nested={"a": [1, "x", {"b": True}]},
            huge=2**80,
            price=Decimal("1.5"),
            thing=Thing(),
            tags=("a", "b"),
            missing=None,
            raw=b"bytes",
        )
        flush()
        attributes = one(rx.logs(), body="odd_values")["attributes"]
        assert attributes["nested"] == {"a": [1, "x", {"b": True}]}
        assert attributes["huge"] == str(2**80)
        assert attributes["price"] == 1.5
        assert attributes["thing"] == "<Thing>"
        assert attributes["tags"] == ["a", "b"]
        assert attributes["raw"] == "bytes"
        assert "missing" not in attributes

    def test_exception(self, rx: OTLPReceiver) -> None:
        """log.exception() exports exception.type, .message and .stacktrace."""
        setup(rx.endpoint)
        try:
            raise ValueError("bad input")
        except ValueError:
            get_logger("app").exception("parse_failed")
        flush()
        attributes = one(rx.logs(), body="parse_failed")["attributes"]
        assert attributes["exception.type"] == "ValueError"
        assert attributes["exception.message"] == "bad input"
        assert "Traceback" in attributes["exception.stacktrace"]

    def test_event_dict_unchanged(self, rx: OTLPReceiver) -> None:
        """The exporting processor reads the event dict and leaves it as it was."""
        setup(rx.endpoint)
        processor = next(
            p
            for p in logmoji.otel._setup.current().processors  # type: ignore[union-attr]
            if type(p).__name__ == "OTelLogsExporter"
        )
        event = {"event": "x_done", "emoji": "✅", "model": "m", "provider": "p", "n": [1]}
        before = json.dumps(event)
        assert processor(get_logger("app"), "info", event) is event
        assert json.dumps(event) == before

    def test_captured_events_still_exported(self, rx: OTLPReceiver) -> None:
        """capture_logs() sees the same events the export sends."""
        setup(rx.endpoint)
        with capture_logs() as logs:
            get_logger("app").info("captured_event", n=1)
        flush()
        assert logs.named("captured_event")
        assert one(rx.logs(), body="captured_event")["attributes"]["n"] == 1


class TestTraces:
    def test_span_per_call(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """A call makes a client span named '{operation} {model}' whose events carry its ids."""
        setup(rx.endpoint)
        with fake.openai_client(max_retries=0) as client, instrument(client):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
        flush()
        span = one(rx.spans(), name="chat gpt-4o")
        assert span["kind"] == SPAN_KIND_CLIENT
        assert span["scope"] == "logmoji"
        assert span["status_code"] == STATUS_UNSET
        assert span["parent_span_id"] == ""
        attributes = span["attributes"]
        assert attributes["gen_ai.operation.name"] == "chat"
        assert attributes["gen_ai.provider.name"] == "openai"
        assert attributes["gen_ai.request.model"] == "gpt-4o"
        assert attributes["gen_ai.response.model"].startswith("gpt-4o")
        assert attributes["gen_ai.usage.output_tokens"] == 24
        assert attributes["gen_ai.usage.input_tokens"] > 0
        assert attributes["gen_ai.response.finish_reasons"] == ["stop"]
        assert attributes["logmoji.llm.cost_usd"] > 0
        for body in ("chat_request_started", "chat_request_completed"):
            record = one(rx.logs(), body=body)
            assert (record["trace_id"], record["span_id"]) == (span["trace_id"], span["span_id"])

    def test_tool_calls_and_server(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """A tool-calling reply names its tools on the span; the server's address is on it."""
        setup(rx.endpoint)
        tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
        with fake.openai_client(max_retries=0) as client, instrument(client, capture_content=True):
            result = client.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,
                tools=tools,  # type: ignore[arg-type]
            )
        flush()
        attributes = one(rx.spans(), name="chat gpt-4o")["attributes"]
        call = result.choices[0].message.tool_calls[0]  # type: ignore[index]
        assert attributes["gen_ai.response.finish_reasons"] == ["tool_calls"]
        assert attributes["logmoji.llm.tool_names"] == ["lookup"]
        assert attributes["logmoji.llm.tool_call_count"] == 1
        (message,) = json.loads(attributes["gen_ai.output.messages"])
        assert message["parts"] == [
            {"type": "tool_call", "name": "lookup", "arguments": call.function.arguments}  # type: ignore[union-attr]
        ]
        assert attributes["server.address"] == "127.0.0.1"
        assert attributes["server.port"] == int(fake.base_url.rsplit(":", 1)[1])
        metric_points = rx.points()
        assert any(p["attributes"].get("server.address") == "127.0.0.1" for p in metric_points)

    def test_child_of_application_span(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """A call inside the application's span gets a child span in the same trace."""
        setup(rx.endpoint)
        provider = logmoji.otel.tracer_provider()
        assert provider is not None
        with (
            fake.openai_client(max_retries=0) as client,
            instrument(client),
            provider.get_tracer("app").start_as_current_span("handle"),
        ):
            client.embeddings.create(model="text-embedding-3-small", input=["hi"])
        flush()
        parent = one(rx.spans(), name="handle")
        child = one(rx.spans(), name="embeddings text-embedding-3-small")
        assert child["trace_id"] == parent["trace_id"]
        assert child["parent_span_id"] == parent["span_id"]
        assert child["attributes"]["gen_ai.operation.name"] == "embeddings"

    def test_stream(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """A stream's span ends with the stream and marks the first token."""
        setup(rx.endpoint)
        with fake.anthropic_client(max_retries=0) as client, instrument(client):
            stream = client.messages.create(
                model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES, stream=True
            )  # type: ignore[call-overload]
            flush()
            assert not rx.spans()  # not ended yet: the stream is still open
            for _ in stream:
                pass
        flush()
        span = one(rx.spans(), name="chat claude-haiku-4-5")
        assert span["attributes"]["gen_ai.provider.name"] == "anthropic"
        assert span["attributes"]["logmoji.llm.operation"] == "messages"
        assert span["attributes"]["gen_ai.request.stream"] is True
        (first,) = [e for e in span["events"] if e["name"] == "logmoji.first_token"]
        assert span["start"] < first["time"] <= span["end"]
        ttfc = span["attributes"]["gen_ai.response.time_to_first_chunk"]
        assert 0 < ttfc * 1e9 <= span["end"] - span["start"]
        assert one(rx.logs(), body="stream_completed")["span_id"] == span["span_id"]

    async def test_async_call(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """An async call's span holds its events, and the task's context is left clean."""
        setup(rx.endpoint)
        async with fake.async_openai_client(max_retries=0) as client:
            with instrument(client):
                await client.responses.create(model="gpt-4o", input="hi")
        from opentelemetry import trace

        assert not trace.get_current_span().get_span_context().is_valid
        flush()
        span = one(rx.spans(), name="chat gpt-4o")
        assert span["attributes"]["logmoji.llm.operation"] == "responses"
        assert one(rx.logs(), body="responses_request_completed")["span_id"] == span["span_id"]

    def test_retry_and_failure(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """Retries are span events; a failed call has error status and error.type."""
        setup(rx.endpoint)
        fake.inject("rate_limit", times=2, retry_after=0.01)
        with (
            fake.openai_client(max_retries=1) as client,
            instrument(client),
            pytest.raises(Exception, match=r"429|rate"),
        ):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
        flush()
        span = one(rx.spans(), name="chat gpt-4o")
        (retry,) = [e for e in span["events"] if e["name"] == "logmoji.retry"]
        assert retry["attributes"]["http.response.status_code"] == 429
        assert retry["attributes"]["logmoji.llm.attempt"] == 2
        assert span["status_code"] == STATUS_ERROR
        assert "rate_limit" in span["status_message"]
        assert span["attributes"]["error.type"] == "RateLimitError"
        assert span["attributes"]["logmoji.llm.outcome"] == "failed"
        assert span["attributes"]["logmoji.llm.retries"] == 1
        assert one(rx.logs(), body="request_retried")["span_id"] == span["span_id"]

    @pytest.mark.parametrize("formatter", ["console", "json"])
    def test_trace_ids_on_lines(self, rx: OTLPReceiver, formatter: str) -> None:
        """Lines written inside a span carry its trace_id and span_id; others do not."""
        stream = setup(rx.endpoint, formatter=formatter)
        provider = logmoji.otel.tracer_provider()
        assert provider is not None
        log = get_logger("app")
        with provider.get_tracer("app").start_as_current_span("work") as span:
            log.info("inside_span")
        log.info("outside_span")
        context = span.get_span_context()
        trace_id, span_id = f"{context.trace_id:032x}", f"{context.span_id:016x}"
        inside, outside = stream.getvalue().splitlines()
        if formatter == "json":
            assert json.loads(inside)["trace_id"] == trace_id
            assert json.loads(inside)["span_id"] == span_id
            assert "trace_id" not in json.loads(outside)
        else:
            assert f"trace_id={trace_id} span_id={span_id}" in inside
            assert "trace_id" not in outside


class TestMetrics:
    def test_points(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """Duration, token usage, time to first chunk and cost arrive with semconv buckets."""
        setup(rx.endpoint)
        with fake.openai_client(max_retries=0) as client, instrument(client):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
            for _ in client.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,
                stream=True,  # type: ignore[arg-type]
            ):
                pass
        flush()
        points = rx.points()
        duration = one(points, name="gen_ai.client.operation.duration")
        assert (duration["unit"], duration["count"]) == ("s", 2)
        assert duration["bounds"] == list(DURATION_BUCKETS)
        assert duration["attributes"]["gen_ai.request.model"] == "gpt-4o"
        tokens = [p for p in points if p["name"] == "gen_ai.client.token.usage"]
        by_type = {p["attributes"]["gen_ai.token.type"]: p for p in tokens}
        assert set(by_type) == {"input", "output"}
        assert by_type["output"]["sum"] == 48  # 24 tokens, twice
        assert by_type["output"]["bounds"] == [float(b) for b in TOKEN_BUCKETS]
        assert by_type["output"]["unit"] == "{token}"
        ttfc = one(points, name="gen_ai.client.operation.time_to_first_chunk")
        assert (ttfc["count"], ttfc["bounds"]) == (1, list(TTFC_BUCKETS))  # the stream only
        cost = one(points, name="logmoji.llm.cost")
        assert cost["kind"] == "sum"
        assert cost["unit"] == "USD"
        assert cost["value"] > 0

    def test_error_type(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """A failed call's duration point carries error.type."""
        setup(rx.endpoint)
        with (
            fake.openai_client(max_retries=0) as client,
            instrument(client),
            pytest.raises(Exception, match="context"),
        ):
            client.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,  # type: ignore[arg-type]
                extra_headers={"x-fake-fault": "context_length"},
            )
        flush()
        duration = one(rx.points(), name="gen_ai.client.operation.duration")
        assert duration["attributes"]["error.type"] == "BadRequestError"


class TestEnvironment:
    def test_endpoint_variable_alone(self, rx: OTLPReceiver) -> None:
        """Only OTEL_EXPORTER_OTLP_ENDPOINT in the environment turns export on."""
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=io.StringIO())),
            environ={
                "OTEL_EXPORTER_OTLP_ENDPOINT": rx.endpoint,
                "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=k%3D1",
                "OTEL_SERVICE_NAME": "from-env",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test",
            },
        )
        get_logger("app").info("env_configured")
        flush()
        record = one(rx.logs(), body="env_configured")
        assert record["resource"]["service.name"] == "from-env"
        assert record["resource"]["deployment.environment.name"] == "test"
        assert rx.headers[0]["x-api-key"] == "k=1"

    def test_signals_off(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """With traces and metrics off, only log records arrive and calls get no span."""
        stream = setup(rx.endpoint, traces=False, metrics=False)
        with fake.openai_client(max_retries=0) as client, instrument(client):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
        flush()
        assert one(rx.logs(), body="chat_request_completed")["trace_id"] == ""
        assert not rx.spans()
        assert not rx.points()
        assert "trace_id" not in stream.getvalue()


class TestGrpc:
    def test_export(self, fake: FakeLLMProvider) -> None:
        """Over gRPC, log records and spans reach a gRPC receiver."""
        with OTLPGrpcReceiver() as grpc_rx:
            setup(grpc_rx.endpoint, protocol="grpc")
            with fake.openai_client(max_retries=0) as client, instrument(client):
                client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
            flush()
            span = one(grpc_rx.spans(), name="chat gpt-4o")
            assert one(grpc_rx.logs(), body="chat_request_completed")["span_id"] == span["span_id"]
            assert one(grpc_rx.points(), name="gen_ai.client.operation.duration")["count"] == 1
            logmoji.reset()  # while the receiver still listens


class TestCollectorTrouble:
    @pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
    def test_collector_down(self, protocol: str) -> None:
        """A collector that is down costs the app no time and is reported once."""
        stream = setup(f"http://127.0.0.1:{closed_port()}", protocol=protocol, export_timeout_s=0.3)
        log = get_logger("app")
        start = time.perf_counter()
        for i in range(200):
            log.info("tick", i=i)
        assert time.perf_counter() - start < 1.0
        assert not logmoji.otel.force_flush(5.0)
        for i in range(200):
            log.info("tock", i=i)
        logmoji.otel.force_flush(5.0)
        lines = [line for line in stream.getvalue().splitlines() if "tick" not in line]
        lines = [line for line in lines if "tock" not in line]
        assert len(lines) == 1
        assert "telemetry_export_failed" in lines[0]
        assert "signal=logs" in lines[0]
        status = logmoji.otel.export_status()
        assert status.failed_exports >= 2
        assert status.lost["logs"] >= 400
        assert status.last_error

    def test_slow_collector(self, fake: FakeLLMProvider) -> None:
        """A collector that answers late delays neither log calls nor LLM calls."""
        with OTLPReceiver(delay=1.0) as slow:
            setup(slow.endpoint, export_timeout_s=0.2, max_queue_size=64)
            log = get_logger("app")
            start = time.perf_counter()
            with fake.openai_client(max_retries=0) as client, instrument(client):
                for i in range(300):  # more than the queue holds: the oldest are dropped
                    log.info("busy", i=i)
                client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
            assert time.perf_counter() - start < 1.0
            logmoji.setup.reset()  # shuts down within its timeout, slow collector or not
            assert time.perf_counter() - start < 5.0

    def test_sdk_messages_stay_off_the_log(self) -> None:
        """The SDK's own export errors are not written, and reset() puts its logger back."""
        import logging

        stream = setup(f"http://127.0.0.1:{closed_port()}", export_timeout_s=0.2)
        get_logger("app").info("hello")
        logmoji.otel.force_flush(5.0)
        assert "opentelemetry" not in stream.getvalue()
        assert logging.getLogger("opentelemetry").propagate is False
        logmoji.reset()
        assert logging.getLogger("opentelemetry").propagate is True

    def test_reset_stops_spans(self, rx: OTLPReceiver, fake: FakeLLMProvider) -> None:
        """After reset(), a client instrumented earlier makes no spans and no errors."""
        setup(rx.endpoint)
        with fake.openai_client(max_retries=0) as client, instrument(client):
            logmoji.reset()
            with capture_logs() as logs:
                client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
        assert "instrumentation_error" not in logs.events()
        assert "chat_request_completed" in logs.events()
        assert not rx.spans()
        assert logmoji.otel.force_flush() is False


class TestImport:
    def test_all_sorted_and_present(self) -> None:
        """logmoji.otel's __all__ is sorted and every name in it exists."""
        assert logmoji.otel.__all__ == sorted(logmoji.otel.__all__)
        for name in logmoji.otel.__all__:
            assert getattr(logmoji.otel, name) is not None

    def test_off_imports_nothing(self) -> None:
        """Set-up without export loads no OpenTelemetry module."""
        code = (
            "import sys, logmoji; logmoji.setup_telemetry(environ={});"
            "logmoji.get_logger('x').info('e'); logmoji.reset();"
            "print([m for m in sys.modules if m.startswith(('opentelemetry', 'logmoji.otel'))])"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert out.stdout.strip() == "[]", out.stderr

    def test_missing_extra(self) -> None:
        """Without the extra, set-up with an endpoint raises ImportError naming the extra."""
        code = (
            "import sys; sys.modules['opentelemetry.sdk'] = None; import logmoji\n"
            "try:\n"
            "    logmoji.setup_telemetry(environ={'OTEL_EXPORTER_OTLP_ENDPOINT': 'http://c:1'})\n"
            "except ImportError as exc:\n"
            "    print(exc)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert "pip install 'logmoji[otel]'" in out.stdout, out.stderr
