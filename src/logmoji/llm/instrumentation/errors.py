"""Sort an exception raised by an LLM SDK into one of a few categories.

The categories drive the log level, the emoji (⏰ timeout, 🛑 rate limit,
📏 context length, 💥 the rest) and the ``error`` field. Classification reads
attributes the SDKs share (``status_code``, ``response``, ``body``, ``code``,
``type``) and the names of the exception's classes, so it never imports an SDK
and works on any. google-genai's ``APIError`` carries the HTTP status as an
integer ``code``, Google's status name as ``status`` (``RESOURCE_EXHAUSTED``,
``DEADLINE_EXCEEDED``) and the error body as ``details``, whose
``google.rpc.RetryInfo`` gives the retry delay (``"2s"``).

An exception that neither the provider's API (an SDK ``APIError``: a status, an
error event, a bad response) nor the network (a transport, connection or
timeout error) produced was raised in the calling process itself: a bug, a
misuse, an event loop closed under the client. It is ``client_error``, and the
latency monitor leaves it out of the provider's error rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from logmoji.llm.instrumentation.ratelimits import parse_retry_after

__all__ = ["ErrorCategory", "ErrorInfo", "classify_error"]

ErrorCategory = Literal[
    "timeout",
    "rate_limit",
    "context_length",
    "overloaded",
    "connection",
    "auth",
    "bad_request",
    "server_error",
    "model_error",
    "client_error",
]

_ERROR_FIELD: dict[str, str] = {
    "timeout": "timeout",
    "rate_limit": "rate_limit_exceeded",
    "context_length": "context_length_exceeded",
    "overloaded": "overloaded",
    "connection": "connection_error",
    "auth": "authentication_error",
    "bad_request": "bad_request",
    "server_error": "server_error",
    "model_error": "model_error",
    "client_error": "client_error",
}
_TIMEOUT_CLASSES = frozenset({"APITimeoutError", "TimeoutException", "TimeoutError"})
_CONNECTION_CLASSES = frozenset(
    {
        "APIConnectionError",
        "TransportError",
        "NetworkError",
        "ConnectionError",
        "RemoteProtocolError",
    }
)
# Base classes of what an SDK raises for an API answer (OpenAI, Anthropic, Google, httpx).
_API_CLASSES = frozenset(
    {"APIError", "OpenAIError", "AnthropicError", "GoogleAPIError", "HTTPError", "ClientError"}
)
_CONTEXT_TEXT = re.compile(
    r"prompt is too long|maximum context length|context[ _]length|context window|too many tokens"
    r"|input token count|exceeds the maximum number of tokens",
    re.IGNORECASE,
)
_GOOGLE_TIMEOUT = frozenset({"DEADLINE_EXCEEDED"})
_GOOGLE_RATE_LIMIT = frozenset({"RESOURCE_EXHAUSTED"})
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_SECONDS = re.compile(r"^(\d+(?:\.\d*)?)s$")
_MAX_MESSAGE = 300
_MAX_CHAIN = 5


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Describe a failed call in the terms the logs use.

    Attributes:
        category: One of the :data:`ErrorCategory` values.
        error: The value of the ``error`` log field, e.g. ``"rate_limit_exceeded"``.
        error_type: The exception's class name.
        status_code: The HTTP status, when the server answered.
        request_id: The provider's request id, when known.
        retry_after: Seconds the server asked to wait (``retry-after-ms``/``retry-after``).
        message: The server's error message, shortened; ``None`` if there is none.
    """

    category: ErrorCategory
    error: str
    error_type: str
    status_code: int | None = None
    request_id: str | None = None
    retry_after: float | None = None
    message: str | None = None


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _error_body(exc: BaseException) -> Mapping[str, object]:
    """Return the provider's ``error`` object, whichever way the SDK nested it."""
    body = getattr(exc, "body", None)
    if not isinstance(body, Mapping):
        body = getattr(exc, "details", None)  # google-genai keeps the error body there
    if not isinstance(body, Mapping):
        return {}
    inner = body.get("error")
    if isinstance(inner, Mapping):
        return inner
    return body


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _retry_delay(body: Mapping[str, object]) -> float | None:
    """Return the seconds of a Google error's ``RetryInfo`` (``"retryDelay": "2s"``)."""
    details = body.get("details")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, Mapping) and detail.get("@type") == _RETRY_INFO:
            match = _SECONDS.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match[1])
    return None


def _status(exc: BaseException) -> int | None:
    """Return the HTTP error status: ``status_code``, or google-genai's integer ``code``."""
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(exc, "code", None)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status < 600:
        return None  # an error event inside a 200 stream: the HTTP status says nothing
    return status


def _transport_cause(exc: BaseException) -> bool:
    """Return whether a transport error caused ``exc`` (a gateway's made-up 500, as LiteLLM's)."""
    seen = exc.__cause__ or exc.__context__
    for _ in range(_MAX_CHAIN):
        if seen is None:
            return False
        if _class_names(seen) & _CONNECTION_CLASSES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _category(
    names: set[str], status: int | None, kind: str | None, code: str | None, message: str
) -> ErrorCategory:
    """Pick the category; the order of the checks is the order of precedence."""
    category: ErrorCategory = "model_error"
    if (
        names & _TIMEOUT_CLASSES
        or status in (408, 504)
        or kind == "timeout_error"
        or kind in _GOOGLE_TIMEOUT
    ):
        category = "timeout"
    elif (
        status == 429
        or kind == "rate_limit_error"
        or code == "rate_limit_exceeded"
        or kind in _GOOGLE_RATE_LIMIT
    ):
        category = "rate_limit"
    elif (
        status == 529
        or kind == "overloaded_error"
        or "OverloadedError" in names
        or (status == 503 and "overloaded" in message.lower())
        # LiteLLM re-raises Anthropic's 529 as a 500 that quotes the error body.
        or (status == 500 and '"overloaded_error"' in message)
    ):
        category = "overloaded"
    elif (
        code == "context_length_exceeded"
        or "ContextWindowExceededError" in names
        or (
            (status in (400, 413) or kind == "invalid_request_error")
            and _CONTEXT_TEXT.search(message)
        )
    ):
        category = "context_length"
    elif status in (401, 403) or kind in ("authentication_error", "permission_error"):
        category = "auth"
    # LiteLLM's APIConnectionError carries status 500, though no server answered.
    elif names & _CONNECTION_CLASSES and (status is None or "APIStatusError" not in names):
        category = "connection"
    elif (status is not None and status >= 500) or kind in ("api_error", "server_error"):
        category = "server_error"
    elif status is not None and 400 <= status < 500:
        category = "bad_request"
    elif status is None and not names & _API_CLASSES:
        category = "client_error"
    return category


def classify_error(exc: BaseException) -> ErrorInfo:
    """Classify ``exc`` raised by an OpenAI, Anthropic or google-genai SDK, LiteLLM, or a transport.

    Args:
        exc: The exception the SDK raised, unchanged.

    Returns:
        The category, the ``error`` field value and whatever HTTP details the
        exception carries.
    """
    names = _class_names(exc)
    status = _status(exc)
    body = _error_body(exc)
    # OpenAI and Anthropic say the kind in ``type``; Google in ``status`` (RESOURCE_EXHAUSTED).
    kind = (
        _text(body.get("type"))
        or _text(getattr(exc, "type", None))
        or _text(body.get("status"))
        or _text(getattr(exc, "status", None))
    )
    code = _text(body.get("code")) or _text(getattr(exc, "code", None))
    message = (
        _text(body.get("message"))
        or _text(getattr(exc, "api_message", None))
        or _text(getattr(exc, "message", None))
        or str(exc)
    )
    category = _category(names, status, kind, code, message)
    if category == "server_error" and status == 500 and _transport_cause(exc):
        category = "connection"
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:  # LiteLLM keeps the provider's headers apart from its own response
        headers = getattr(exc, "litellm_response_headers", None) or headers
    request_id = _text(getattr(exc, "request_id", None))
    if request_id is None and isinstance(headers, Mapping):
        request_id = _text(headers.get("x-request-id")) or _text(headers.get("request-id"))
    retry_after = parse_retry_after(headers) if isinstance(headers, Mapping) else None
    return ErrorInfo(
        category=category,
        error=_ERROR_FIELD[category],
        error_type=type(exc).__name__,
        status_code=status,
        request_id=request_id,
        retry_after=_retry_delay(body) if retry_after is None else retry_after,
        message=message[:_MAX_MESSAGE] if message else None,
    )
