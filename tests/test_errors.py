"""Tests for logmoji.llm.instrumentation.errors: SDK exceptions sorted into categories."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google.genai import errors as genai_errors

from logmoji.llm.instrumentation.errors import ErrorInfo, classify_error

_REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(status, headers=headers or {}, json=body, request=_REQUEST)


def _openai(status: int, body: object, headers: dict[str, str] | None = None) -> BaseException:
    """Build the exception the OpenAI SDK raises for this response, with its own factory."""
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    return client._make_status_error_from_response(_response(status, body, headers))


def _anthropic(status: int, body: object, headers: dict[str, str] | None = None) -> BaseException:
    """Build the exception the Anthropic SDK raises for this response, with its own factory."""
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url="http://127.0.0.1:9")
    return client._make_status_error_from_response(_response(status, body, headers))


def _openai_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _anthropic_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


CASES: list[tuple[str, Callable[[], BaseException], str, str, int | None]] = [
    (
        "openai 429",
        lambda: _openai(429, _openai_body("Slow down", "requests", "rate_limit_exceeded")),
        "rate_limit",
        "rate_limit_exceeded",
        429,
    ),
    (
        "openai context",
        lambda: _openai(
            400, _openai_body("too long", "invalid_request_error", "context_length_exceeded")
        ),
        "context_length",
        "context_length_exceeded",
        400,
    ),
    (
        "openai bad request",
        lambda: _openai(400, _openai_body("bad", "invalid_request_error")),
        "bad_request",
        "bad_request",
        400,
    ),
    (
        "openai 404",
        lambda: _openai(404, _openai_body("no such model", "invalid_request_error")),
        "bad_request",
        "bad_request",
        404,
    ),
    (
        "openai 401",
        lambda: _openai(401, _openai_body("bad key", "invalid_request_error")),
        "auth",
        "authentication_error",
        401,
    ),
    (
        "openai 500",
        lambda: _openai(500, _openai_body("oops", "server_error")),
        "server_error",
        "server_error",
        500,
    ),
    (
        "openai 503 overloaded",
        lambda: _openai(
            503,
            _openai_body("That model is currently overloaded with other requests.", "server_error"),
        ),
        "overloaded",
        "overloaded",
        503,
    ),
    (
        "anthropic 429",
        lambda: _anthropic(429, _anthropic_body("rate_limit_error", "slow")),
        "rate_limit",
        "rate_limit_exceeded",
        429,
    ),
    (
        "anthropic 529",
        lambda: _anthropic(529, _anthropic_body("overloaded_error", "Overloaded")),
        "overloaded",
        "overloaded",
        529,
    ),
    (
        "anthropic context",
        lambda: _anthropic(
            400,
            _anthropic_body(
                "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"
            ),
        ),
        "context_length",
        "context_length_exceeded",
        400,
    ),
    (
        "anthropic 400",
        lambda: _anthropic(400, _anthropic_body("invalid_request_error", "bad")),
        "bad_request",
        "bad_request",
        400,
    ),
    (
        "anthropic 403",
        lambda: _anthropic(403, _anthropic_body("permission_error", "no")),
        "auth",
        "authentication_error",
        403,
    ),
    (
        "anthropic 500",
        lambda: _anthropic(500, _anthropic_body("api_error", "Internal")),
        "server_error",
        "server_error",
        500,
    ),
    (
        "anthropic in-stream overloaded",
        lambda: _anthropic(200, _anthropic_body("overloaded_error", "Overloaded")),
        "overloaded",
        "overloaded",
        None,
    ),
    (
        "openai timeout",
        lambda: openai.APITimeoutError(request=_REQUEST),
        "timeout",
        "timeout",
        None,
    ),
    (
        "anthropic timeout",
        lambda: anthropic.APITimeoutError(request=_REQUEST),
        "timeout",
        "timeout",
        None,
    ),
    (
        "openai connection",
        lambda: openai.APIConnectionError(request=_REQUEST),
        "connection",
        "connection_error",
        None,
    ),
    (
        "anthropic connection",
        lambda: anthropic.APIConnectionError(request=_REQUEST),
        "connection",
        "connection_error",
        None,
    ),
    (
        "openai in-stream error",
        lambda: openai.APIError(
            "An error occurred during streaming",
            _REQUEST,
            body={"message": "boom", "type": "server_error", "code": "server_error"},
        ),
        "server_error",
        "server_error",
        None,
    ),
    ("builtin timeout", lambda: TimeoutError("slow"), "timeout", "timeout", None),
    (
        "builtin connection",
        lambda: ConnectionResetError("reset"),
        "connection",
        "connection_error",
        None,
    ),
    (
        "openai error without details",
        lambda: openai.APIError("odd", _REQUEST, body=None),
        "model_error",
        "model_error",
        None,
    ),
    (
        "anthropic error without details",
        lambda: anthropic.APIError("odd", _REQUEST, body=None),
        "model_error",
        "model_error",
        None,
    ),
    # Raised in the calling process: neither an API answer nor a network failure.
    ("anything else", lambda: ValueError("odd"), "client_error", "client_error", None),
    (
        "event loop closed",
        lambda: RuntimeError("Event loop is closed"),
        "client_error",
        "client_error",
        None,
    ),
]


class TestClassifyError:
    """classify_error() on the exceptions the SDKs actually raise."""

    @pytest.mark.parametrize(
        ("make", "category", "error", "status"),
        [case[1:] for case in CASES],
        ids=[case[0] for case in CASES],
    )
    def test_category(
        self, make: Callable[[], BaseException], category: str, error: str, status: int | None
    ) -> None:
        """Each exception gets its category, its ``error`` field value and its HTTP status."""
        exc = make()

        info = classify_error(exc)

        assert (info.category, info.error, info.status_code) == (category, error, status)
        assert info.error_type == type(exc).__name__

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"retry-after-ms": "250", "retry-after": "1"}, 0.25),
            ({"retry-after": "3"}, 3.0),
            ({}, None),
        ],
    )
    def test_retry_after(self, headers: dict[str, str], expected: float | None) -> None:
        """The wait the server asked for is read from ``retry-after-ms``, else ``retry-after``."""
        exc = _openai(429, _openai_body("slow", "requests", "rate_limit_exceeded"), headers)

        assert classify_error(exc).retry_after == expected

    @pytest.mark.parametrize(
        ("make", "expected"),
        [
            (
                lambda: _openai(500, _openai_body("x", "server_error"), {"x-request-id": "req_1"}),
                "req_1",
            ),
            (
                lambda: _anthropic(500, _anthropic_body("api_error", "x"), {"request-id": "req_2"}),
                "req_2",
            ),
            (lambda: openai.APITimeoutError(request=_REQUEST), None),
        ],
    )
    def test_request_id(self, make: Callable[[], BaseException], expected: str | None) -> None:
        """The provider's request id is taken from the error's response headers."""
        assert classify_error(make()).request_id == expected

    def test_message_from_body(self) -> None:
        """The message is the server's own text, not the SDK's ``Error code: ...`` wrapper."""
        exc = _anthropic(529, _anthropic_body("overloaded_error", "Overloaded"))

        assert classify_error(exc).message == "Overloaded"

    def test_message_is_shortened(self) -> None:
        """A very long error message is cut to a few hundred characters."""
        exc = _openai(400, _openai_body("x" * 5000, "invalid_request_error"))

        message = classify_error(exc).message

        assert message is not None
        assert len(message) == 300


class _Odd(Exception):
    """An exception with attributes of the wrong types, as a third-party wrapper might have."""

    status_code = "429"
    body = ("not", "a", "mapping")
    response = object()
    code = 42
    message = None


class TestOddExceptions:
    """classify_error() on exceptions that only look like SDK errors."""

    def test_wrong_attribute_types(self) -> None:
        """Attributes of unexpected types are ignored rather than trusted or failing."""
        info = classify_error(_Odd("strange"))

        # Not an SDK error, only shaped like one: it was raised in the calling process.
        assert (info.category, info.status_code, info.message) == ("client_error", None, "strange")


class TestErrorInfo:
    """The ErrorInfo record."""

    def test_frozen(self) -> None:
        """ErrorInfo cannot be changed after it is made."""
        info = ErrorInfo(category="timeout", error="timeout", error_type="TimeoutError")

        with pytest.raises(dataclasses.FrozenInstanceError):
            info.category = "rate_limit"  # type: ignore[misc]


class APIError(Exception):
    """Stands for an SDK's API error base class: classify_error goes by class names only."""


class OverloadedError(APIError):
    """Stands for Anthropic's ``OverloadedError``, whatever status it carries."""


class ContextWindowExceededError(APIError):
    """Stands for LiteLLM's ``ContextWindowExceededError``."""


class APIConnectionError(APIError):
    """Stands for LiteLLM's ``APIConnectionError``, which carries a made-up status 500."""


class APIStatusError(APIError):
    """Stands for an SDK's error for an HTTP answer."""


class StatusConnectionError(APIStatusError, APIConnectionError):
    """An HTTP-answer error that also bears a connection error's name."""


def _google_status(text: str) -> BaseException:
    """An API error whose kind is only in its ``status`` attribute, as google-genai's."""
    exc = _api()
    exc.status = text  # type: ignore[attr-defined]
    return exc


def _api(
    *,
    status: int | None = None,
    body: object = None,
    cls: type[BaseException] = APIError,
    **attrs: object,
) -> BaseException:
    """Build an API error carrying exactly the attributes given, as a third-party SDK might."""
    exc = cls("Error code: wrapped")
    exc.status_code = status  # type: ignore[attr-defined]
    exc.body = body  # type: ignore[attr-defined]
    for name, value in attrs.items():
        setattr(exc, name, value)
    return exc


class TestCategoryTable:
    """Each rule of the classification, reached by one attribute alone."""

    @pytest.mark.parametrize(
        ("exc", "category"),
        [
            (_api(body={"message": "boom"}), "model_error"),
            (_api(status=408), "timeout"),
            (_api(type="timeout_error"), "timeout"),
            (_api(status=429), "rate_limit"),
            (_api(type="rate_limit_error"), "rate_limit"),
            (_api(code="rate_limit_exceeded"), "rate_limit"),
            (_api(body={"error": {"type": "rate_limit_error"}}), "rate_limit"),
            (_api(body={"code": "rate_limit_exceeded"}), "rate_limit"),
            (_api(status=529), "overloaded"),
            (_api(cls=OverloadedError), "overloaded"),
            (_api(status=503, body={"message": "Service Unavailable"}), "server_error"),
            (_api(status=503, body={"message": "Model is Overloaded"}), "overloaded"),
            (_api(status=500, body={"message": 'x {"type":"overloaded_error"}'}), "overloaded"),
            (_api(status=502, body={"message": '{"type":"overloaded_error"}'}), "server_error"),
            (_api(body={"status": "RESOURCE_EXHAUSTED"}), "rate_limit"),
            (_google_status("RESOURCE_EXHAUSTED"), "rate_limit"),
            (_google_status("DEADLINE_EXCEEDED"), "timeout"),
            (_api(cls=ContextWindowExceededError), "context_length"),
            (_api(cls=APIConnectionError, status=500), "connection"),
            (_api(cls=StatusConnectionError), "connection"),
            (_api(cls=StatusConnectionError, status=502), "server_error"),
            (
                _api(status=400, body={"message": "maximum context length is 8192"}),
                "context_length",
            ),
            (_api(status=413, body={"message": "too many tokens"}), "context_length"),
            (_api(status=413, body={"message": "payload too large"}), "bad_request"),
            (_api(status=422, body={"message": "context window"}), "bad_request"),
            (_api(type="invalid_request_error", message="prompt is too long"), "context_length"),
            (_api(type="invalid_request_error", message="bad"), "model_error"),
            (_api(type="authentication_error"), "auth"),
            (_api(type="permission_error"), "auth"),
            (_api(status=401), "auth"),
            (_api(status=403), "auth"),
            (_api(status=500), "server_error"),
            (_api(status=501), "server_error"),
            (_api(type="api_error"), "server_error"),
            (_api(type="server_error"), "server_error"),
            (_api(status=499), "bad_request"),
            (_api(status=400), "bad_request"),
            (_api(status=399), "model_error"),
            (ConnectionResetError("reset"), "connection"),
            (RuntimeError("Event loop is closed"), "client_error"),
        ],
        ids=repr,
    )
    def test_rule(self, exc: BaseException, category: str) -> None:
        """The attribute that names the failure decides its category, with nothing else set."""
        assert classify_error(exc).category == category

    @pytest.mark.parametrize(
        ("exc", "message"),
        [
            (_api(body={"message": "body"}, api_message="api", message="attr"), "body"),
            (_api(body={"error": {"message": "nested"}}, message="attr"), "nested"),
            (_api(body={"message": ""}, api_message="api", message="attr"), "api"),
            (_api(api_message="api", message="attr"), "api"),
            (_api(message="attr"), "attr"),
            (_api(message=42), "Error code: wrapped"),
            (_api(body={"message": ["not", "text"]}), "Error code: wrapped"),
        ],
    )
    def test_message_source(self, exc: BaseException, message: str) -> None:
        """The message is the body's, else ``api_message``, else ``message``, else ``str()``."""
        assert classify_error(exc).message == message

    def test_no_message(self) -> None:
        """An exception with no text at all has no message, rather than an empty one."""
        assert classify_error(RuntimeError()).message is None

    def test_code_and_type_must_be_text(self) -> None:
        """A code or type that is not a non-empty string is ignored."""
        exc = _api(status=400, body={"type": 42, "code": ""}, type=None, code=0)

        assert classify_error(exc).category == "bad_request"


def _gemini(code: int, status: str, details: list[object]) -> BaseException:
    """Build google-genai's own exception for an error answer (it keeps the body as ``details``)."""
    body = {"error": {"code": code, "message": "quota", "status": status, "details": details}}
    return genai_errors.ClientError(code, body)


RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


class TestGoogleErrors:
    """google-genai errors: the status in ``code``, the body in ``details``, ``RetryInfo``."""

    def test_retry_info(self) -> None:
        """The wait comes from the ``RetryInfo`` detail, whatever details come before it."""
        details: list[object] = [
            "not a mapping",
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "retryDelay": "9s"},
            {"@type": RETRY_INFO, "retryDelay": "2.5s"},
        ]
        info = classify_error(_gemini(429, "RESOURCE_EXHAUSTED", details))
        assert (info.category, info.status_code, info.retry_after) == ("rate_limit", 429, 2.5)

    @pytest.mark.parametrize(
        "details",
        [
            [],
            [{"@type": RETRY_INFO}],
            [{"@type": RETRY_INFO, "retryDelay": "soon"}],
            [{"retryDelay": "2s"}],
        ],
    )
    def test_no_retry_info(self, details: list[object]) -> None:
        """Without a ``RetryInfo`` giving seconds there is no wait."""
        info = classify_error(_gemini(429, "RESOURCE_EXHAUSTED", details))
        assert (info.category, info.status_code, info.retry_after) == ("rate_limit", 429, None)

    def test_status_from_code(self) -> None:
        """The HTTP status is google-genai's integer ``code``; the kind its ``status``."""
        info = classify_error(_gemini(400, "INVALID_ARGUMENT", []))
        assert (info.category, info.status_code) == ("bad_request", 400)


class TestStatusRange:
    """Only 400–599 is an error status."""

    @pytest.mark.parametrize(("status", "expected"), [(599, 599), (600, None)])
    def test_edges(self, status: int, expected: int | None) -> None:
        """600 is past the range."""
        assert classify_error(_openai(status, {"error": {}})).status_code == expected

    def test_504_is_a_timeout(self) -> None:
        """A gateway timeout is a timeout, like a 408."""
        assert classify_error(_openai(504, {"error": {}})).category == "timeout"


class TestTransportCause:
    """A 500 a gateway made up for a transport error is a connection error."""

    @staticmethod
    def _chained(*chain: BaseException, via: str = "__cause__") -> BaseException:
        exc = _openai(500, {"error": {"message": "upstream failed"}})
        link: BaseException = exc
        for cause in chain:
            setattr(link, via, cause)
            link = cause
        return exc

    @pytest.mark.parametrize("via", ["__cause__", "__context__"])
    def test_direct(self, via: str) -> None:
        """Raised from, or while handling, a connection error."""
        exc = self._chained(httpx2.ConnectError("refused"), via=via)
        assert classify_error(exc).category == "connection"

    def test_deeper(self) -> None:
        """A connection error further down the chain counts too."""
        exc = self._chained(ValueError("wrapped"), httpx2.ConnectError("refused"))
        assert classify_error(exc).category == "connection"

    def test_other_causes(self) -> None:
        """A 500 caused by anything else stays a server error."""
        assert classify_error(self._chained(ValueError("bug"))).category == "server_error"
        assert classify_error(self._chained()).category == "server_error"

    def test_chain_is_bounded(self) -> None:
        """Only the first five links are looked at."""
        links = [ValueError(str(n)) for n in range(5)]
        exc = self._chained(*links, httpx2.ConnectError("refused"))
        assert classify_error(exc).category == "server_error"
        exc = self._chained(*links[:4], httpx2.ConnectError("refused"))
        assert classify_error(exc).category == "connection"


class TestHeaders:
    """Request id and retry-after: the error's own attribute, its response's headers, LiteLLM's."""

    @pytest.mark.parametrize(
        ("request_id", "headers", "expected"),
        [
            ("req_attr", None, "req_attr"),
            ("req_attr", {"x-request-id": "req_h"}, "req_attr"),
            (None, {"x-request-id": "req_x", "request-id": "req_r"}, "req_x"),
            (None, {"request-id": "req_r"}, "req_r"),
            (None, {}, None),
        ],
    )
    def test_request_id(
        self, request_id: str | None, headers: dict[str, str] | None, expected: str | None
    ) -> None:
        """The error's ``request_id`` first, then ``x-request-id``, then ``request-id``."""
        exc = _api(status=500, response=SimpleNamespace(headers=headers), request_id=request_id)
        assert classify_error(exc).request_id == expected

    def test_litellm_headers(self) -> None:
        """LiteLLM's provider headers are read when its response has none."""
        provider = {"retry-after": "3", "x-request-id": "req_p"}
        exc = _api(
            status=429, response=SimpleNamespace(headers={}), litellm_response_headers=provider
        )
        info = classify_error(exc)
        assert (info.retry_after, info.request_id) == (3.0, "req_p")

    def test_own_headers_first(self) -> None:
        """A response with headers of its own is read, not LiteLLM's copy."""
        exc = _api(
            status=429,
            response=SimpleNamespace(headers={"retry-after": "1"}),
            litellm_response_headers={"retry-after": "3"},
        )
        assert classify_error(exc).retry_after == 1.0
