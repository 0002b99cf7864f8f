"""Name LLM calls the way the OpenTelemetry GenAI semantic conventions do.

One mapping, used by log records, spans and metrics alike, so the three agree:

==============================  =======================================  ======================
logmoji field                   GenAI attribute                          on
==============================  =======================================  ======================
``provider``                    ``gen_ai.provider.name``                 logs, spans, metrics
``operation``                   ``gen_ai.operation.name`` (see below)    logs, spans, metrics
``model``                       ``gen_ai.request.model``                 logs, spans, metrics
``response_model``              ``gen_ai.response.model``                logs, spans, metrics
``prompt_tokens``               ``gen_ai.usage.input_tokens``            logs, spans
``completion_tokens``           ``gen_ai.usage.output_tokens``           logs, spans
``cached_tokens``               ``gen_ai.usage.cache_read.input_tokens`` logs, spans
``cache_write_tokens``          ``gen_ai.usage.cache_creation.input_tokens``  logs, spans
``reasoning_tokens``            ``gen_ai.usage.reasoning.output_tokens`` logs, spans
``finish_reason``               ``gen_ai.response.finish_reasons``       logs, spans
``response_id``                 ``gen_ai.response.id``                   logs, spans
``error_type``                  ``error.type``                           logs, spans, metrics
``server_address``              ``server.address``                       logs, spans, metrics
``server_port``                 ``server.port``                          logs, spans, metrics
``tool_calls`` (capture only)   ``gen_ai.output.messages`` tool_call parts  spans
==============================  =======================================  ======================

Tool calls a response asked for are always on the span as
``logmoji.llm.tool_call_count`` and ``logmoji.llm.tool_names``; their
arguments go out only with content capture, inside ``gen_ai.output.messages``
(the conventions' opt-in attribute) as ``tool_call`` parts, beside the
answer's ``text`` part. Content capture also sets ``gen_ai.input.messages``,
``gen_ai.system_instructions`` and ``gen_ai.tool.definitions`` from the
request (:mod:`logmoji.llm.instrumentation._content`), and the request's settings are always
there: ``gen_ai.request.temperature``, ``max_tokens``, ``top_p``, ``seed``,
``stop_sequences``.

Agent runs and tool executions (:mod:`logmoji.llm.agents`) are
``invoke_agent {name}`` and ``execute_tool {name}`` spans with
``gen_ai.agent.name``, ``gen_ai.conversation.id``, ``gen_ai.tool.name``,
``gen_ai.tool.call.id`` (and, captured, ``gen_ai.tool.call.arguments`` /
``result``); a call inside a run carries the run's agent and conversation.

Input tokens include cached ones and output tokens include reasoning ones, as
the conventions ask. Operations: ``chat``, ``responses`` (OpenAI's Responses
API), ``messages`` (Anthropic) and ``generate_content`` (Gemini) are all
``chat``; ``embeddings`` stays ``embeddings``; logmoji's own name is kept in
``logmoji.llm.operation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from opentelemetry.util.types import AttributeValue

from logmoji.llm._record import CallRecord

__all__ = [
    "AGENT_NAME",
    "CONVERSATION_ID",
    "COST",
    "DURATION",
    "DURATION_BUCKETS",
    "OPERATION",
    "PROVIDER",
    "REQUEST_MODEL",
    "TIME_TO_FIRST_CHUNK",
    "TOKEN_BUCKETS",
    "TOKEN_TYPE",
    "TOKEN_USAGE",
    "TTFC_BUCKETS",
    "agent_end_attributes",
    "agent_span_attributes",
    "call_attributes",
    "end_attributes",
    "event_attributes",
    "metric_attributes",
    "operation_name",
    "request_attributes",
    "run_attributes",
]

PROVIDER = "gen_ai.provider.name"
OPERATION = "gen_ai.operation.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
REQUEST_STREAM = "gen_ai.request.stream"
RESPONSE_TTFC = "gen_ai.response.time_to_first_chunk"
ERROR_TYPE = "error.type"
TOKEN_TYPE = "gen_ai.token.type"
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION_ID = "gen_ai.conversation.id"

DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
COST = "logmoji.llm.cost"

#: Bucket boundaries the GenAI metrics conventions give (seconds; tokens).
DURATION_BUCKETS = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TTFC_BUCKETS = DURATION_BUCKETS
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip

_OPERATIONS = {
    "chat": "chat",
    "responses": "chat",
    "responses_compact": "chat",
    "decisions": "chat",
    "messages": "chat",
    "generate_content": "chat",
    "embeddings": "embeddings",
}
_EVENT_TEXT = (
    ("provider", PROVIDER),
    ("model", REQUEST_MODEL),
    ("response_model", RESPONSE_MODEL),
    ("response_id", RESPONSE_ID),
    ("error_type", ERROR_TYPE),
    ("server_address", "server.address"),
)
_EVENT_COUNTS = (
    ("server_port", "server.port"),
    ("prompt_tokens", INPUT_TOKENS),
    ("input_tokens", INPUT_TOKENS),
    ("completion_tokens", OUTPUT_TOKENS),
    ("output_tokens", OUTPUT_TOKENS),
    ("cached_tokens", CACHE_READ_TOKENS),
    ("cache_write_tokens", CACHE_CREATION_TOKENS),
    ("reasoning_tokens", REASONING_TOKENS),
)
# An event with a model and one of these is about an LLM call (not, say, an ORM model).
_LLM_MARKERS = frozenset(
    {"provider", "operation", "prompt_tokens", "completion_tokens", "input_tokens", "output_tokens"}
)


def operation_name(operation: str) -> str:
    """Return the GenAI ``gen_ai.operation.name`` of a logmoji operation."""
    return _OPERATIONS.get(operation, operation)


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def event_attributes(fields: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """Return the GenAI attributes of a log event's fields (none unless it is about an LLM call)."""
    model = fields.get("model")
    if type(model) is not str or _LLM_MARKERS.isdisjoint(fields.keys()):
        return {}
    out: dict[str, AttributeValue] = {}
    for key, name in _EVENT_TEXT:
        value = fields.get(key)
        if type(value) is str:
            out[name] = value
    for key, name in _EVENT_COUNTS:
        value = fields.get(key)
        if _count(value):
            out[name] = value
    operation = fields.get("operation")
    if type(operation) is str:
        out[OPERATION] = operation_name(operation)
    reason = fields.get("finish_reason")
    if type(reason) is str:
        out[FINISH_REASONS] = (reason,)
    return out


def call_attributes(provider: str, operation: str, model: str) -> dict[str, AttributeValue]:
    """Return the attributes a call has from its start: provider, operation, model."""
    return {
        OPERATION: operation_name(operation),
        PROVIDER: provider,
        REQUEST_MODEL: model,
        "logmoji.llm.operation": operation,
    }


def _failed(record: CallRecord) -> bool:
    return not record.success and record.error_category != "cancelled"


def _error_type(record: CallRecord, fields: Mapping[str, Any]) -> str:
    error_type = fields.get("error_type")
    if type(error_type) is str and error_type:
        return error_type
    return record.error_category or "_OTHER"


def end_attributes(record: CallRecord, fields: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """Return the attributes a call's span learns at its end, from its record and event."""
    out: dict[str, AttributeValue] = {REQUEST_STREAM: record.stream}
    if record.response_model is not None:
        out[RESPONSE_MODEL] = record.response_model
    for value, name in (
        (record.input_tokens, INPUT_TOKENS),
        (record.output_tokens, OUTPUT_TOKENS),
        (record.cached_tokens, CACHE_READ_TOKENS),
        (record.cache_write_tokens, CACHE_CREATION_TOKENS),
        (record.reasoning_tokens, REASONING_TOKENS),
    ):
        if value is not None:
            out[name] = value
    response_id = fields.get("response_id")
    if type(response_id) is str:
        out[RESPONSE_ID] = response_id
    reason = fields.get("finish_reason")
    if type(reason) is str:
        out[FINISH_REASONS] = (reason,)
    if record.stream and record.ttft_ms is not None:
        out[RESPONSE_TTFC] = record.ttft_ms / 1000.0
    _tool_attributes(fields, out)
    _server_attributes(record, out)
    out["logmoji.llm.retries"] = record.retries
    if record.request_id is not None:
        out["logmoji.llm.request_id"] = record.request_id
    cost = fields.get("cost_usd")
    if type(cost) is float:
        out["logmoji.llm.cost_usd"] = cost
    if record.success:
        out["logmoji.llm.outcome"] = "completed"
    elif _failed(record):
        out["logmoji.llm.outcome"] = "failed"
        out[ERROR_TYPE] = _error_type(record, fields)
    else:
        out["logmoji.llm.outcome"] = "cancelled"
    return out


def _server_attributes(record: CallRecord, out: dict[str, AttributeValue]) -> None:
    if record.server_address is not None:
        out["server.address"] = record.server_address
    if record.server_port is not None:
        out["server.port"] = record.server_port


def _tool_attributes(fields: Mapping[str, Any], out: dict[str, AttributeValue]) -> None:
    """Add the tool calls of a call's ending event, and its captured output message."""
    names = fields.get("tool_names")
    if isinstance(names, list) and names:
        out["logmoji.llm.tool_call_count"] = len(names)
        out["logmoji.llm.tool_names"] = tuple(str(name) for name in names)
    parts: list[dict[str, object]] = []
    text = fields.get("response")
    if isinstance(text, str) and text:
        parts.append({"type": "text", "content": text})
    captured = fields.get("tool_calls")
    if isinstance(captured, list):
        for call in captured:
            if isinstance(call, Mapping):
                parts.append(
                    {
                        "type": "tool_call",
                        "name": call.get("name"),
                        "arguments": call.get("arguments"),
                    }
                )
    if not parts:  # nothing captured (capture off, or an empty answer)
        return
    message: dict[str, object] = {"role": "assistant", "parts": parts}
    reason = fields.get("finish_reason")
    if isinstance(reason, str):
        message["finish_reason"] = reason
    out["gen_ai.output.messages"] = orjson.dumps([message]).decode()


def metric_attributes(
    record: CallRecord, fields: Mapping[str, Any], *, with_error: bool = False
) -> dict[str, AttributeValue]:
    """Return the attributes of a call's metric points (``error.type`` on failure if asked)."""
    out: dict[str, AttributeValue] = {
        OPERATION: operation_name(record.operation),
        PROVIDER: record.provider,
        REQUEST_MODEL: record.model,
    }
    if record.response_model is not None:
        out[RESPONSE_MODEL] = record.response_model
    _server_attributes(record, out)
    if with_error and _failed(record):
        out[ERROR_TYPE] = _error_type(record, fields)
    return out


# Request settings of a call's started event, and the GenAI attribute of each.
_REQUEST_SETTINGS = (
    ("temperature", "gen_ai.request.temperature", (int, float)),
    ("max_tokens", "gen_ai.request.max_tokens", int),
    ("top_p", "gen_ai.request.top_p", (int, float)),
    ("seed", "gen_ai.request.seed", int),
)
# Captured content, already in the conventions' JSON shape (logmoji.llm.instrumentation._content).
_CONTENT = ("gen_ai.input.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions")
# A run's or a tool's ending fields, and their attributes.
_AGENT_COUNTS = (
    ("input_tokens", INPUT_TOKENS),
    ("output_tokens", OUTPUT_TOKENS),
    ("cached_tokens", CACHE_READ_TOKENS),
    ("model_calls", "logmoji.agent.model_calls"),
    ("failed_calls", "logmoji.agent.failed_calls"),
    ("tool_executions", "logmoji.agent.tool_executions"),
    ("failed_tool_executions", "logmoji.agent.failed_tool_executions"),
)


def run_attributes(agent: str, conversation_id: str | None) -> dict[str, AttributeValue]:
    """Return the attributes that tie a span to the agent run it happens in."""
    out: dict[str, AttributeValue] = {AGENT_NAME: agent}
    if conversation_id is not None:
        out[CONVERSATION_ID] = conversation_id
    return out


def request_attributes(fields: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """Return the request settings (and captured content) of a call's started event."""
    out: dict[str, AttributeValue] = {}
    for key, name, kind in _REQUEST_SETTINGS:
        value = fields.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            out[name] = value
    stop = fields.get("stop_sequences")
    if isinstance(stop, list | tuple) and all(isinstance(s, str) for s in stop):
        out["gen_ai.request.stop_sequences"] = tuple(stop)
    for name in _CONTENT:
        value = fields.get(name)
        if type(value) is str:
            out[name] = value
    return out


def agent_span_attributes(
    operation: str, name: str, fields: Mapping[str, Any]
) -> dict[str, AttributeValue]:
    """Return the attributes an ``invoke_agent`` or ``execute_tool`` span starts with."""
    out: dict[str, AttributeValue] = {OPERATION: operation}
    if operation == "execute_tool":
        out["gen_ai.tool.name"] = name
        out["gen_ai.tool.type"] = "function"
        call_id = fields.get("tool_call_id")
        if type(call_id) is str:
            out["gen_ai.tool.call.id"] = call_id
        arguments = fields.get("arguments")
        if type(arguments) is str:
            out["gen_ai.tool.call.arguments"] = arguments
    else:
        out[AGENT_NAME] = name
    for key, attribute in (
        ("conversation_id", CONVERSATION_ID),
        ("run_id", "logmoji.agent.run_id"),
        ("parent_run_id", "logmoji.agent.parent_run_id"),
    ):
        value = fields.get(key)
        if type(value) is str:
            out[attribute] = value
    return out


def agent_end_attributes(fields: Mapping[str, Any], *, failed: bool) -> dict[str, AttributeValue]:
    """Return what a run's or a tool's ending adds to its span: totals, result, error."""
    out: dict[str, AttributeValue] = {}
    for key, name in _AGENT_COUNTS:
        value = fields.get(key)
        if _count(value):
            out[name] = value
    cost = fields.get("cost_usd")
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        out["logmoji.llm.cost_usd"] = float(cost)
    result = fields.get("result")
    if type(result) is str:
        out["gen_ai.tool.call.result"] = result
    if failed:
        error_type = fields.get("error_type")
        out[ERROR_TYPE] = error_type if type(error_type) is str else "_OTHER"
        error = fields.get("error")
        if type(error) is str:
            out["logmoji.error"] = error
    return out
