"""Name the fake LLM provider's faults, check their parameters, and build their errors.

A fault is asked for by :meth:`~logmoji.testing.FakeLLMProvider.inject` or by a
request's ``x-fake-fault`` headers; :mod:`logmoji.testing._fake_provider` has
the table of faults, their responses and their parameters. The error a fault
answers with follows each API's own status codes, types and messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ._fake_anthropic import anthropic_error
from ._fake_openai import SERVER_ERROR_MESSAGE, openai_error
from ._fake_ratelimit import duration
from ._fake_text import JSON


class Fault(enum.StrEnum):
    """Name a failure the fake provider can inject."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    OVERLOADED = "overloaded"
    TIMEOUT = "timeout"
    CONTEXT_LENGTH = "context_length"
    REQUEST_TIMEOUT = "request_timeout"
    STREAM_ERROR = "stream_error"
    DISCONNECT = "disconnect"


_DEFAULTS: dict[Fault, dict[str, float]] = {
    Fault.RATE_LIMIT: {"retry_after": 0.05},
    Fault.SERVER_ERROR: {},
    Fault.OVERLOADED: {},
    Fault.TIMEOUT: {"hang": 30.0},
    Fault.CONTEXT_LENGTH: {},
    Fault.REQUEST_TIMEOUT: {},
    Fault.STREAM_ERROR: {"after": 3},
    Fault.DISCONNECT: {"after": 0},
}
_OPTIONAL = {
    Fault.SERVER_ERROR: {"retry_after"},
    Fault.OVERLOADED: {"retry_after"},
    Fault.REQUEST_TIMEOUT: {"retry_after"},
}
STATUS_FAULTS = frozenset(
    {
        Fault.RATE_LIMIT,
        Fault.SERVER_ERROR,
        Fault.OVERLOADED,
        Fault.CONTEXT_LENGTH,
        Fault.REQUEST_TIMEOUT,
    }
)
"""The faults answered with an error status, whose body ``body="none"`` can leave out."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Hold a fault asked for, its parameters, and whether its error has no body."""

    fault: Fault
    params: dict[str, float]
    bare: bool = False


_FAULT_ERRORS: dict[str, tuple[int, str, str | None, str, int, str, str]] = {
    # fault: OpenAI status, type, code, message; Anthropic status, type, message
    "rate_limit": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {model} on requests per min (RPM): Limit {limit}, "
        "Used {limit}, Requested 1. Please try again in {retry}.",
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of {limit} "
        "requests per minute. Please try again in {retry}.",
    ),
    "server_error": (
        500,
        "server_error",
        None,
        SERVER_ERROR_MESSAGE,
        500,
        "api_error",
        "Internal server error",
    ),
    "overloaded": (
        503,
        "server_error",
        None,
        "That model is currently overloaded with other requests. Please retry.",
        529,
        "overloaded_error",
        "Overloaded",
    ),
    "context_length": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130000 tokens. Please reduce the length of the messages.",
        400,
        "invalid_request_error",
        "prompt is too long: 210000 tokens > 200000 maximum",
    ),
    "request_timeout": (
        408,
        "timeout_error",
        "request_timeout",
        "Request timed out.",
        408,
        "timeout_error",
        "Request timed out",
    ),
}


def parse_fault(name: str) -> Fault:
    """Return the :class:`Fault` called ``name``.

    Raises:
        ValueError: If no fault has that name; the message lists the valid ones.
    """
    try:
        return Fault(name)
    except ValueError:
        valid = ", ".join(f.value for f in Fault)
        raise ValueError(f"unknown fault {name!r}; use one of: {valid}") from None


def fault_params(fault: Fault, given: dict[str, float]) -> dict[str, float]:
    """Return ``fault``'s parameters: its defaults, overridden by ``given``.

    Raises:
        ValueError: If ``given`` names a parameter the fault does not take.
    """
    allowed = _DEFAULTS[fault].keys() | _OPTIONAL.get(fault, set())
    unknown = given.keys() - allowed
    if unknown:
        names = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"fault {fault.value!r} takes no {sorted(unknown)}; valid params: {names}")
    return {**_DEFAULTS[fault], **given}


def fault_body(fault: Fault, body: str) -> bool:
    """Return whether ``fault``'s error is sent without a body (``body="none"``).

    Raises:
        ValueError: If ``body`` is not ``"json"`` or ``"none"``, or ``"none"`` is
            asked of a fault that sends no error status.
    """
    if body not in ("json", "none"):
        raise ValueError(f"body must be 'json' or 'none', not {body!r}")
    if body == "none" and fault not in STATUS_FAULTS:
        names = ", ".join(sorted(f.value for f in STATUS_FAULTS))
        raise ValueError(f"only status faults ({names}) can drop their body, not {fault.value!r}")
    return body == "none"


def header_fault(headers: dict[str, str]) -> FaultSpec | None:
    """Return the fault a request's ``x-fake-fault`` headers ask for, with its parameters.

    ``x-fake-fault-times`` attempts (default 1) get the fault, counted with the
    SDKs' ``x-stainless-retry-count`` header; later retries get ``None``.
    ``x-fake-fault-body: none`` sends a status fault's error without a body.

    Raises:
        ValueError: On an unknown fault or parameter, or a parameter that is no number.
    """
    kind = parse_fault(headers["x-fake-fault"])
    bare = fault_body(kind, headers.get("x-fake-fault-body", "json"))
    given: dict[str, float] = {}
    for key, value in headers.items():
        if key.startswith("x-fake-fault-") and key != "x-fake-fault-body":
            try:
                given[key[13:].replace("-", "_")] = float(value)
            except ValueError:
                raise ValueError(f"header {key} must be a number, not {value!r}") from None
    times = given.pop("times", 1)
    if int(headers.get("x-stainless-retry-count", "0")) >= times:
        return None
    return FaultSpec(kind, fault_params(kind, given), bare)


def fault_error(
    provider: str, fault: str, *, model: str, request_id: str, limit: int, retry: float
) -> tuple[int, JSON]:
    """Return the status and error body a fault answers with on ``provider``'s API."""
    status, kind, code, message, a_status, a_kind, a_message = _FAULT_ERRORS[fault]
    values = {"model": model, "limit": limit, "retry": duration(retry)}
    if provider == "openai":
        param = "messages" if fault == "context_length" else None
        return status, openai_error(message.format(**values), kind, code, param)
    return a_status, anthropic_error(a_kind, a_message.format(**values), request_id)
