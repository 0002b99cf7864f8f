"""Tests for secret masking: field names, text patterns, and a seeded corpus of secrets.

The corpus puts realistic secrets (OpenAI, Anthropic, AWS and GitHub keys,
bearer and basic credentials, API-key headers, ``password=``-style pairs,
passwords in URLs, and plain values under secret field names) in every place
an application can put them: field values, nested dicts and lists, dict keys,
header pairs, event names, ``%``-arguments, bound and context fields, bytes,
object reprs, exception messages and chained tracebacks, standard ``logging``
records, values cut by truncation. Each event is rendered as console, coloured
console and JSON; no secret, and no distinctive piece of one, may appear.

``LOGMOJI_LONG_TESTS=1`` makes the corpus ten times larger.
"""

from __future__ import annotations

import base64
import collections
import io
import logging
import os
import random
import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logmoji import (
    EmojiSetConfig,
    LoggingConfig,
    TelemetryConfig,
    bound_contextvars,
    get_logger,
    setup_telemetry,
)
from logmoji.logger.redact import MASK, MaskedRenderer, SecretFieldMasker, SecretTextMasker
from logmoji.logger.render import ConsoleRenderer, JSONRenderer
from logmoji.testing import capture_logs

LONG = os.environ.get("LOGMOJI_LONG_TESTS") == "1"
CORPUS_SIZE = 100_000 if LONG else 10_000
MAX_VALUE_CHARS = 2000
CUSTOM_FIELDS = ("customer_ssn", "Card-Number")
CUSTOM_PATTERN = r"cust-[0-9]{10}"

ALNUM = string.ascii_letters + string.digits
KEY_CHARS = ALNUM + "_-"
UPPER = string.ascii_uppercase + string.digits
TOKEN_CHARS = ALNUM + "-._~+/"
PASSWORD_CHARS = ALNUM + "!#$%*+-.=?^_~"
URL_PASSWORD_CHARS = ALNUM + "-._~!$*+"


@dataclass(frozen=True)
class Secret:
    """A secret as it is written (``text``) and the part that must never show (``core``)."""

    kind: str
    text: str
    core: str


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _openai_project(rng: random.Random) -> Secret:
    key = "sk-proj-" + _chars(rng, KEY_CHARS, rng.randint(48, 156))
    return Secret("openai_project", key, key)


def _openai_legacy(rng: random.Random) -> Secret:
    key = "sk-" + _chars(rng, ALNUM, 20) + "T3BlbkFJ" + _chars(rng, ALNUM, 20)
    return Secret("openai_legacy", key, key)


def _openai_service(rng: random.Random) -> Secret:
    key = "sk-svcacct-" + _chars(rng, KEY_CHARS, 64)
    return Secret("openai_service", key, key)


def _anthropic(rng: random.Random) -> Secret:
    key = "sk-ant-api03-" + _chars(rng, KEY_CHARS, 93) + "AA"
    return Secret("anthropic", key, key)


def _aws(rng: random.Random) -> Secret:
    key = rng.choice(("AKIA", "ASIA")) + _chars(rng, UPPER, 16)
    return Secret("aws", key, key)


def _github(rng: random.Random) -> Secret:
    if rng.random() < 0.5:
        key = f"gh{rng.choice('pousr')}_" + _chars(rng, ALNUM, 36)
    else:
        key = "github_pat_" + _chars(rng, ALNUM, 22) + "_" + _chars(rng, ALNUM, 59)
    return Secret("github", key, key)


def _bearer(rng: random.Random) -> Secret:
    if rng.random() < 0.3:
        parts = (_chars(rng, KEY_CHARS, n) for n in (20, 60, 43))
        token = "eyJ" + ".eyJ".join(list(parts)[:2]) + "." + _chars(rng, KEY_CHARS, 43)
    else:
        token = _chars(rng, ALNUM, 4) + _chars(rng, TOKEN_CHARS, rng.randint(16, 60))
    form = rng.choice(
        (
            "Bearer {t}",
            "bearer {t}",
            "Authorization: Bearer {t}",
            "authorization=Bearer {t}",
            "Proxy-Authorization: Bearer {t}",
        )
    )
    return Secret("bearer", form.format(t=token), token)


def _basic(rng: random.Random) -> Secret:
    pair = f"{_chars(rng, ALNUM, 8)}:{_chars(rng, PASSWORD_CHARS, 14)}"
    encoded = base64.b64encode(pair.encode()).decode()
    form = rng.choice(("Authorization: Basic {b}", "Basic {b}", "AUTHORIZATION=basic {b}"))
    return Secret("basic", form.format(b=encoded), encoded)


def _api_key_header(rng: random.Random) -> Secret:
    value = _chars(rng, ALNUM, rng.randint(20, 48))
    form = rng.choice(("x-api-key: {v}", "X-Api-Key={v}", "X_API_KEY: {v}", "x-api-key = {v}"))
    return Secret("api_key_header", form.format(v=value), value)


INLINE_NAMES = (
    "api_key",
    "apikey",
    "api-key",
    "OPENAI_API_KEY",
    "password",
    "Password",
    "db_password",
    "passwd",
    "token",
    "github_token",
    "access_token",
    "refresh-token",
    "secret",
    "client_secret",
    "private_key",
    "pwd",
    "pass",
    "passphrase",
    "DB_PASS",
)
INLINE_FORMS = (
    "{n}={v}",
    "{n}: {v}",
    '"{n}": "{v}"',
    "'{n}': '{v}'",
    "{n} = {v}",
    "https://api.example.com/v1?{n}={v}&page=2",
    "{n}={v}, retrying",
)


def _inline(rng: random.Random) -> Secret:
    value = _chars(rng, ALNUM, 4) + _chars(rng, PASSWORD_CHARS, rng.randint(8, 36))
    form = rng.choice(INLINE_FORMS)
    return Secret("inline", form.format(n=rng.choice(INLINE_NAMES), v=value), value)


def _url(rng: random.Random) -> Secret:
    password = _chars(rng, ALNUM, 4) + _chars(rng, URL_PASSWORD_CHARS, rng.randint(8, 30))
    scheme = rng.choice(("postgres", "postgresql+psycopg", "https", "redis", "amqp", "mongodb"))
    host = rng.choice(("db.internal:5432/app", "cache.example.com", "10.0.0.7:6379/0"))
    user = rng.choice(("admin", "app_user", "svc-42", ""))  # redis://:password@host
    return Secret("url", f"{scheme}://{user}:{password}@{host}", password)


def _private_key_block(rng: random.Random) -> Secret:
    kind = rng.choice(("RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""))
    body = [_chars(rng, ALNUM + "+/", 64) for _ in range(rng.randint(2, 6))]
    end = f"-----END {kind}PRIVATE KEY-----" if rng.random() < 0.8 else ""  # or cut off
    block = "\n".join([f"-----BEGIN {kind}PRIVATE KEY-----", *body, end])
    return Secret("private_key_block", block, body[0])


def _cookie(rng: random.Random) -> Secret:
    value = _chars(rng, ALNUM, rng.randint(16, 40))
    form = rng.choice(
        (
            "Cookie: session={v}; csrftoken=abc",
            "cookie: _ga=GA1.2; sid={v}",
            "Set-Cookie: sid={v}; Path=/; HttpOnly; Secure",
            "set-cookie:{v}",
        )
    )
    return Secret("cookie", form.format(v=value), value)


def _signed_url(rng: random.Random) -> Secret:
    value = _chars(rng, ALNUM + "%", rng.randint(24, 64))
    form = rng.choice(
        (
            "https://b.s3.amazonaws.com/o.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Date=20240101T000000Z&X-Amz-Signature={v}",
            "https://b.s3.amazonaws.com/o.txt?X-Amz-Credential={v}&X-Amz-Expires=60",
            "https://storage.googleapis.com/b/o?X-Goog-Signature={v}",
            "https://maps.googleapis.com/maps/api/geocode/json?address=x&key={v}",
            "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig={v}&se=2024",
            "https://api.example.com/v1/items?key={v}",
        )
    )
    return Secret("signed_url", form.format(v=value), value)


def _glued_key(rng: random.Random) -> Secret:
    """A key right after a letter, as when a log line joins words without a space."""
    if rng.random() < 0.5:
        key = "sk-proj-" + _chars(rng, KEY_CHARS, rng.randint(48, 156))
    else:
        key = "sk-" + _chars(rng, ALNUM, 20) + "T3BlbkFJ" + _chars(rng, ALNUM, 20)
    return Secret("openai_glued", rng.choice(string.ascii_letters) + key, key)


def _custom(rng: random.Random) -> Secret:
    value = f"cust-{rng.randrange(10**9, 10**10)}"
    return Secret("custom_pattern", value, value)


TEXT_SECRETS: tuple[Callable[[random.Random], Secret], ...] = (
    _openai_project,
    _openai_legacy,
    _openai_service,
    _anthropic,
    _aws,
    _github,
    _bearer,
    _basic,
    _api_key_header,
    _inline,
    _url,
    _custom,
    _private_key_block,
    _cookie,
    _signed_url,
    _glued_key,
)

FIELD_NAMES = (
    "api_key",
    "API_KEY",
    "x-api-key",
    "X-Api-Key",
    "authorization",
    "Authorization",
    "Proxy-Authorization",
    "password",
    "db_password",
    "passwd",
    "token",
    "access_token",
    "github_token",
    "secret",
    "client_secret",
    "stripe_secret",
    "secret_key",
    "cookie",
    "Set-Cookie",
    "private_key",
    "aws_secret_access_key",
    "credentials",
    "service_api_key",
    "db_pass",
    "pass",
    "pwd",
    "auth",
    "cred",
    "creds",
    "jwt",
    "session_id",
    "ssh_key",
    "signing_key",
    "encryption_key",
    "key",
    *CUSTOM_FIELDS,
)


def _field_value(rng: random.Random) -> Secret:
    """Return a secret with no recognizable shape: only its field name gives it away."""
    if rng.random() < 0.1:
        number = rng.randrange(10**11, 10**12)
        return Secret("field", str(number), str(number))
    value = _chars(rng, ALNUM, 4) + _chars(rng, PASSWORD_CHARS + " ,;", rng.randint(12, 40))
    return Secret("field", value, value)


class _Holder:
    """An object whose repr shows what it holds, as many SDK objects' do."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Holder(config={self.value!r})"


class _Headers(Mapping[str, str]):
    """A headers object that is a mapping but not a dict, as HTTP clients' are."""

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass
class _Settings:
    endpoint: str
    credential: str


Emit = Callable[[Any], None]


def _raise(message: str, cls: type[Exception] = RuntimeError) -> None:
    raise cls(message)


def _nest(rng: random.Random, leaf: Any, depth: int) -> Any:
    for _ in range(depth):
        leaf = rng.choice(({"level": leaf, "n": 1}, [0, leaf], (leaf, "x"), {"items": [leaf]}))
    return leaf


def _text_position(rng: random.Random, s: Secret) -> tuple[str, Emit]:
    """Return a place for a secret recognizable from its text, and the call that logs it."""
    text = s.text
    position = rng.randrange(19)
    if position == 0:
        return "field", lambda log: log.info("request_sent", detail=text)
    if position == 1:
        value = _nest(rng, text, rng.randint(1, 6))
        return "nested", lambda log: log.info("request_sent", payload=value)
    if position == 2:
        return "dict_key", lambda log: log.info("request_sent", mapping={text: 1, "b": [text]})
    if position == 3:
        return "event", lambda log: log.warning(f"connect failed with {text}")
    if position == 4:
        return "interpolated", lambda log: log.info("connecting with %s to %s", text, "host")
    if position == 5:

        def exception(log: Any) -> None:
            try:
                _raise(f"upstream rejected {text}")
            except RuntimeError:
                log.exception("request_failed")

        return "exception", exception
    if position == 6:

        def chained(log: Any) -> None:
            try:
                try:
                    _raise(text, KeyError)
                except KeyError as inner:
                    raise ValueError("lookup failed") from inner
            except ValueError:
                log.exception("request_failed", attempt=2)

        return "chained_exception", chained
    if position == 7:

        def exc_info_field(log: Any) -> None:
            try:
                _raise(f"[{text}]", OSError)
            except OSError as exc:
                log.error("request_failed", exc_info=exc, error=exc)

        return "exc_info_field", exc_info_field
    if position == 8:
        return "repr", lambda log: log.info("client_built", client=_Holder(text))
    if position == 9:
        settings = _Settings(endpoint="https://api.example.com", credential=text)
        return "dataclass", lambda log: log.info("client_built", settings=settings)
    if position == 10:
        return "bytes", lambda log: log.info("response_read", body=text.encode())
    if position == 11:
        sep = rng.choice(("\n", "\t", "\r\n", "\x00", "\u2028", "\x1b[1m"))
        return "escaped", lambda log: log.info("request_sent", detail=f"header{sep}{text}")
    if position == 12:
        return "bound", lambda log: log.bind(ctx=text).info("request_sent")
    if position == 13:

        def contextvar(log: Any) -> None:
            with bound_contextvars(ctx=text):
                log.info("request_sent")

        return "contextvars", contextvar
    if position == 14:
        return "stdlib", lambda log: logging.getLogger("app.std").warning("sent %s", text)
    if position == 15:
        return "stdlib_extra", lambda log: logging.getLogger("app.std").error(
            "sent", extra={"detail": text}
        )
    if position == 16:
        return "set", lambda log: log.info("request_sent", tags={text}, pair=(text,))
    if position == 17:
        # The value is cut inside the secret (for JSON: a line too long is cut per value).
        split = rng.randint(1, len(text) - 1)
        filler = "word " * ((MAX_VALUE_CHARS - split) // 5 + 1)
        value = filler[: MAX_VALUE_CHARS - split] + text + " more" * 1000
        return "truncated", lambda log: log.info("request_sent", detail=value)
    return "mixed", lambda log: log.info("request_sent", detail=f"a {text} b {text}.")


def _field_position(rng: random.Random, s: Secret) -> tuple[str, Emit]:
    """Return a place for a secret only its field name gives away, and the call that logs it."""
    name, value = rng.choice(FIELD_NAMES), s.text
    position = rng.randrange(11)
    if position == 0:
        return "top_field", lambda log: log.info("request_sent", **{name: value, "n": 1})
    if position == 1:
        nested = _nest(rng, {name: value, "ok": True}, rng.randint(1, 8))
        return "nested_field", lambda log: log.info("request_sent", config=nested)
    if position == 2:
        pairs = [("Content-Type", "application/json"), (name, value)]
        return "header_pairs", lambda log: log.info("request_sent", headers=pairs)
    if position == 3:
        raw = [(b"accept", b"*/*"), (name.encode(), value.encode())]
        return "raw_header_pairs", lambda log: log.info("request_sent", headers=raw)
    if position == 4:
        shared = {name: value}
        return "shared", lambda log: log.info("request_sent", a=[shared, shared], b=shared)
    if position == 5:
        cyclic: dict[str, Any] = {name: value, "k": 1}
        cyclic["self"] = cyclic
        return "cyclic", lambda log: log.info("request_sent", config=cyclic)
    if position == 6:
        deep = _nest(rng, {name: value}, 40)
        return "deep", lambda log: log.info("request_sent", config=deep)
    if position == 7:
        return "bound_field", lambda log: log.bind(**{name: value}).info("request_sent")
    if position == 8:
        ordered = collections.OrderedDict([("user", "u1"), (name, value)])
        return "ordered_dict", lambda log: log.info("request_sent", config=ordered)
    if position == 9:
        mapping = _Headers({"Accept": "*/*", name: value})
        return "headers_object", lambda log: log.info("http_request", headers=mapping)
    headers = {"Accept": "*/*", name: value}
    return "headers", lambda log: log.info("http_request", headers=headers)


@dataclass(frozen=True)
class Case:
    """One corpus event: where the secret is, and the call that logs it."""

    kind: str
    position: str
    core: str
    emit: Emit

    def needles(self) -> set[str]:
        """Return the pieces of the secret that must not appear: whole, head, tail."""
        core = self.core
        return {core[:12], core[-8:], core} if len(core) >= 12 else {core}


def corpus(size: int, seed: int = 20240611) -> list[Case]:
    """Return ``size`` seeded cases, two thirds text secrets and one third field secrets."""
    rng = random.Random(seed)
    cases = []
    for _ in range(size):
        if rng.random() < 0.67:
            secret = rng.choice(TEXT_SECRETS)(rng)
            position, emit = _text_position(rng, secret)
        else:
            secret = _field_value(rng)
            position, emit = _field_position(rng, secret)
        cases.append(Case(secret.kind, position, secret.core, emit))
    return cases


class _Chunks(io.StringIO):
    """A text stream keeping each write, so each event's output can be read alone."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def write(self, text: str) -> int:
        self.chunks.append(text)
        return len(text)


RENDERINGS = {
    "console": {"formatter": "console", "colors": False},
    "console_colors": {"formatter": "console", "colors": True},
    "json": {"formatter": "json"},
}


def _run(cases: list[Case], rendering: str, *, redact: bool = True) -> Iterator[tuple[Case, str]]:
    """Log each case and yield it with the text it wrote."""
    stream = _Chunks()
    setup_telemetry(
        TelemetryConfig(
            logging=LoggingConfig(
                stream=stream,
                redact=redact,
                redact_fields=CUSTOM_FIELDS,
                redact_patterns=[CUSTOM_PATTERN],
                max_value_chars=MAX_VALUE_CHARS,
                **RENDERINGS[rendering],  # type: ignore[arg-type]
            )
        ),
        environ={},
    )
    log = get_logger("app")
    for case in cases:
        start = len(stream.chunks)
        case.emit(log)
        yield case, "".join(stream.chunks[start:])


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    """The corpus, built once."""
    return corpus(CORPUS_SIZE)


class TestCorpus:
    def test_corpus_covers_every_kind_and_position(self, cases: list[Case]) -> None:
        """The corpus holds at least 10,000 events and every secret kind in every place."""
        assert len(cases) >= 10_000
        kinds = {c.kind for c in cases}
        positions = {c.position for c in cases}
        assert len(kinds) == len(TEXT_SECRETS) + 1
        assert len(positions) == 19 + 11
        text_pairs = {(c.kind, c.position) for c in cases if c.kind != "field"}
        assert len(text_pairs) == len(TEXT_SECRETS) * 19

    @pytest.mark.parametrize("rendering", RENDERINGS)
    def test_secrets_visible_without_redaction(self, cases: list[Case], rendering: str) -> None:
        """With redaction off the secrets do show, so the corpus really exercises the masker."""
        sample = cases[:2000]
        hidden_by_rendering = {"deep", "truncated"}  # cut by the renderer itself
        missing = [
            (case.kind, case.position, text[:200])
            for case, text in _run(sample, rendering, redact=False)
            if case.position not in hidden_by_rendering and case.core[:12] not in text
        ]
        assert missing == []

    @pytest.mark.slow
    @pytest.mark.parametrize("rendering", RENDERINGS)
    def test_no_secret_in_output(self, cases: list[Case], rendering: str) -> None:
        """No secret, nor its first 12 or last 8 characters, appears in any line."""
        leaks = []
        lines = 0
        for case, text in _run(cases, rendering):
            lines += 1
            assert text, f"{case.position} wrote nothing"
            for needle in case.needles():
                if needle in text:
                    leaks.append((case.kind, case.position, needle, text[:300]))
        assert lines == len(cases)
        assert leaks == []

    @pytest.mark.slow
    def test_no_secret_in_json_file(self, cases: list[Case], tmp_path: Path) -> None:
        """The JSON-lines copy written beside the console (``json_file``) is masked the same."""
        path = tmp_path / "copy.jsonl"
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(
                    stream=_Chunks(),
                    json_file=path,
                    redact_fields=CUSTOM_FIELDS,
                    redact_patterns=[CUSTOM_PATTERN],
                    max_value_chars=MAX_VALUE_CHARS,
                )
            ),
            environ={},
        )
        log = get_logger("app")
        leaks = []
        with open(path, "rb") as copy:
            for case in cases:
                case.emit(log)
                text = copy.read().decode("utf-8", "replace")
                assert text.endswith("\n")
                leaks += [(case.kind, case.position) for n in case.needles() if n in text]
        assert leaks == []

    def test_json_lines_parse(self, cases: list[Case]) -> None:
        """Masked JSON output is still one valid JSON object a line."""
        for _, text in _run(cases[:1000], "json"):
            # Split on "\n" only: str.splitlines() also splits on U+2028 inside values.
            for line in text.removesuffix("\n").split("\n"):
                assert isinstance(orjson.loads(line), dict)


NOT_SECRETS = {
    "prompt_tokens": 150,
    "completion_tokens": 75,
    "max_tokens": 4096,
    "total_tokens": 225,
    "token_count": 12,
    "token_limit": 8192,
    "tokenizer": "cl100k_base",
    "task_id": "task-abc123def456ghi789jkl",
    "batch_id": "risk-assessment-2024-q1-report-final",
    "desk": "desk-booking-service-prod-eu-west",
    "model": "gpt-4o-mini-2024-07-18",
    "claude_model": "claude-haiku-4-5",
    "url": "https://api.openai.com/v1/chat/completions",
    "db_url": "postgres://db.internal:5432/app",
    "auth_url": "https://example.com/oauth/authorize?client_id=abc&scope=read",
    "public_key_id": "kid-2024-01",
    "cache_key": "c0ffee1234567890",
    "request_id": "req_01HXYZABCDEF1234567890",
    "finish_reason": "max_tokens",
    "note": "the token limit was hit; a password reset link was sent",
}


class TestNotMasked:
    @pytest.mark.parametrize("formatter", ["console", "json"])
    def test_ordinary_fields_kept(self, formatter: str) -> None:
        """Token counts, ids, model names and URLs without credentials are written unchanged."""
        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter=formatter)),
            environ={},
        )
        get_logger("llm").info("inference_completed", **NOT_SECRETS)
        text = "".join(stream.chunks)
        assert "REDACTED" not in text
        for value in NOT_SECRETS.values():
            assert str(value) in text

    @pytest.mark.parametrize(
        "name",
        [
            "prompt_tokens",
            "max_tokens",
            "total_tokens",
            "token_count",
            "token_limit",
            "tokens",
            "tokenizer",
            "author",
            "authority",
            "public_key",
            "cache_key",
            "password_hint_shown",
            "auth_url",
            "authorized",
            "keys",
            "key_count",
            "passenger",
            "bypass",
            "session_count",
        ],
    )
    def test_field_names_not_sensitive(self, name: str) -> None:
        """Counts and settings whose names resemble secrets are not masked by name."""
        masked = SecretFieldMasker()(None, "info", {"event": "e", name: "v"})
        assert masked[name] == "v"


class TestSecretFieldMasker:
    @pytest.mark.parametrize(
        "name",
        [
            "api_key",
            "Api-Key",
            "X-API-KEY",
            "authorization",
            "Proxy-Authorization",
            "openai_api_key",
            "db_password",
            "stripe_secret",
            "github_token",
            "session_token",
            "Set-Cookie",
            "credentials",
            "aws_secret_access_key",
            b"authorization",
            "db_pass",
            "DB_PASS",
            "pass",
            "pwd",
            "auth",
            "cred",
            "creds",
            "jwt",
            "session_id",
            "ssh_key",
            "signing_key",
            "encryption_key",
            "key",
            "smtp_pass",
            "gcp_creds",
        ],
    )
    def test_sensitive_names(self, name: str | bytes) -> None:
        """Secret-looking names are masked whatever their case, separators or type."""
        assert SecretFieldMasker().is_sensitive(name)

    def test_user_fields(self) -> None:
        """Names added by the user are masked too, compared without case or separators."""
        masker = SecretFieldMasker(["Customer-SSN"])
        out = masker(None, "info", {"event": "e", "customer_ssn": "1", "x": {"CUSTOMER-SSN": 2}})
        assert out == {"event": "e", "customer_ssn": MASK, "x": {"CUSTOMER-SSN": MASK}}

    def test_none_kept(self) -> None:
        """A secret field holding None shows None: there is nothing to hide."""
        out = SecretFieldMasker()(None, "info", {"event": "e", "api_key": None})
        assert out["api_key"] is None

    def test_shared_reference(self) -> None:
        """A dict met twice is masked both times."""
        shared = {"api_key": "k"}
        out = SecretFieldMasker()(None, "info", {"event": "e", "a": [shared, shared]})
        assert out["a"] == [{"api_key": MASK}, {"api_key": MASK}]
        assert shared == {"api_key": "k"}  # the caller's data is untouched

    def test_cycle(self) -> None:
        """A cyclic structure is masked and keeps its shape, without recursing forever."""
        cyclic: dict[str, Any] = {"password": "p"}
        cyclic["self"] = cyclic
        out = SecretFieldMasker()(None, "info", {"event": "e", "c": cyclic})["c"]
        assert out["password"] == MASK
        assert out["self"] is out

    def test_cycle_through_tuple(self) -> None:
        """A cycle through a tuple is cut at the tuple."""
        items: list[Any] = [{"token": "t"}]
        holder = (items,)
        items.append(holder)
        out = SecretFieldMasker()(None, "info", {"event": "e", "h": holder})["h"]
        assert out[0][0] == {"token": MASK}
        assert out[0][1] == "<tuple cut: cycle>"

    @pytest.mark.parametrize("kind", ["list", "dict", "tuple"])
    @pytest.mark.parametrize(("depth", "cut"), [(32, False), (33, True)])
    def test_depth_limit(self, depth: int, cut: bool, kind: str) -> None:
        """A secret 32 containers deep is masked in place; one level deeper, the level is cut."""
        wrap: Callable[[Any], Any] = {
            "list": lambda inner: [inner],
            "dict": lambda inner: {"n": inner},
            "tuple": lambda inner: (inner,),
        }[kind]
        deep: Any = {"password": "p"}
        for _ in range(depth):
            deep = wrap(deep)
        out: Any = SecretFieldMasker()(None, "info", {"event": "e", "d": deep})["d"]
        for _ in range(depth):
            if isinstance(out, str):
                break
            out = out["n"] if kind == "dict" else out[0]
        assert out == ("<dict cut: too deep>" if cut else {"password": MASK})

    def test_shared_tuple(self) -> None:
        """A tuple met twice is masked once: both places hold the same masked copy."""
        shared = ({"token": "t"},)
        out = SecretFieldMasker()(None, "info", {"event": "e", "a": [shared, shared]})["a"]
        assert out[0] == ({"token": MASK},)
        assert out[1] is out[0]

    def test_list_cycle(self) -> None:
        """A list holding itself is masked into a list holding itself."""
        cyclic: list[Any] = [{"token": "t"}]
        cyclic.append(cyclic)
        out = SecretFieldMasker()(None, "info", {"event": "e", "c": cyclic})["c"]
        assert out[0] == {"token": MASK}
        assert out[1] is out

    def test_not_a_mapping(self) -> None:
        """An object with ``items()`` but no mapping is passed on as it is (text-masked later)."""

        class Pairs:
            def items(self) -> list[tuple[str, str]]:
                return [("password", "p")]

        pairs = Pairs()
        out = SecretFieldMasker()(None, "info", {"event": "e", "v": pairs, "l": [pairs]})
        assert out["v"] is pairs
        assert out["l"][0] is pairs

    def test_mapping_subclasses(self) -> None:
        """OrderedDicts, defaultdicts and other mappings are masked by field name too."""
        headers = _Headers({"Cookie": "s=1", "Accept": "*/*"})
        event = {
            "event": "e",
            "cfg": collections.OrderedDict(password="hunter2", user="u"),
            "d": collections.defaultdict(list, {"jwt": "x"}),
            "headers": headers,
            "items": [collections.OrderedDict(key="k")],
        }
        out = SecretFieldMasker()(None, "info", event)
        assert out["cfg"] == {"password": MASK, "user": "u"}
        assert out["d"] == {"jwt": MASK}
        assert out["headers"] == {"Cookie": MASK, "Accept": "*/*"}
        assert out["items"] == [{"key": MASK}]
        assert headers["Cookie"] == "s=1"  # the caller's object is untouched

    def test_ordered_dict_on_console(self) -> None:
        """An OrderedDict's password does not reach the console line."""
        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="console")),
            environ={},
        )
        get_logger("app").info("e", cfg=collections.OrderedDict(password="hunter2"))
        text = "".join(stream.chunks)
        assert "hunter2" not in text
        assert "[REDACTED]" in text

    def test_too_deep_cut(self) -> None:
        """Nesting deeper than 32 levels is cut, never passed on unmasked."""
        deep: Any = {"password": "p"}
        for _ in range(40):
            deep = [deep]
        out = SecretFieldMasker()(None, "info", {"event": "e", "d": deep})
        assert "'p'" not in repr(out)
        assert "cut: too deep" in repr(out)

    @pytest.mark.parametrize(
        ("pairs", "expected"),
        [
            ([("Authorization", "Bearer x")], [("Authorization", MASK)]),
            ([["x-api-key", "k"]], [["x-api-key", MASK]]),
            ([(b"cookie", b"s=1")], [(b"cookie", MASK)]),
            ([("accept", "*/*")], [("accept", "*/*")]),
            ([("password", None)], [("password", None)]),
        ],
    )
    def test_header_pairs(self, pairs: list[Any], expected: list[Any]) -> None:
        """Name-value pairs (header lists) are masked by name."""
        out = SecretFieldMasker()(None, "info", {"event": "e", "headers": pairs})
        assert out["headers"] == expected


class TestSecretTextMasker:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("key sk-proj-" + "a1" * 30, "key [REDACTED:openai_key]"),
            ("k=sk-ant-api03-" + "b" * 95, "k=[REDACTED:anthropic_key]"),
            ("AKIAIOSFODNN7EXAMPLE!", "[REDACTED:aws_access_key]!"),
            ("use github_pat_" + "A" * 82, "use [REDACTED:github_token]"),
            ("use ghs_" + "A" * 36, "use [REDACTED:github_token]"),
            ("Authorization: Bearer abc.def", "Authorization: [REDACTED:credential]"),
            ("token=abcdef123, next", "token=[REDACTED:secret], next"),
            ('{"token": "abcdef"}', '{"token": "[REDACTED:secret]"}'),
            ('"{\\"password\\": \\"hunter2\\"}"', '"{\\"password\\": \\"[REDACTED:secret]\\"}"'),
            ("x\\nsk-" + "c" * 40, "x\\n[REDACTED:openai_key]"),
            ("\\x00AKIAIOSFODNN7EXAMPLE", "\\x00[REDACTED:aws_access_key]"),
            ("\x1b[1msk-" + "d" * 40, "\x1b[1m[REDACTED:openai_key]"),
            ("redis://u:p4ss@host", "redis://u:[REDACTED:url_password]@host"),
            ("password=…[+40 chars]", "password=…[+40 chars]"),
            ("prompt_tokens=150 max_tokens=5", "prompt_tokens=150 max_tokens=5"),
            ("task-abcdefghijklmnopqrstuvwxyz", "task-abcdefghijklmnopqrstuvwxyz"),
            ("tokenizer=cl100k", "tokenizer=cl100k"),
            ('{"api_key":null,"secret_n":3,"pw":1}', '{"api_key":null,"secret_n":3,"pw":1}'),
            ('{"secret_cfg":{"a":1},"token":[1]}', '{"secret_cfg":{"a":1},"token":[1]}'),
            ('{"password": hunter2}', '{"password": [REDACTED:secret]}'),
            ('{"Authorization": Bearer ab}', '{"Authorization": [REDACTED:credential]}'),
            ("redis://:p4ss@cache:6379/0", "redis://:[REDACTED:url_password]@cache:6379/0"),
            (
                "k=-----BEGIN RSA PRIVATE KEY-----\\nMIIEo\\n-----END RSA PRIVATE KEY----- ok",
                "k=-----BEGIN RSA PRIVATE KEY-----[REDACTED:private_key_block] ok",
            ),
            (
                '{"k":"-----BEGIN PRIVATE KEY-----\\nMIIEo\\nab\\"c"}',
                '{"k":"-----BEGIN PRIVATE KEY-----[REDACTED:private_key_block]"}',
            ),
            ("Cookie: sid=abc; csrf=def", "Cookie: [REDACTED:cookie]"),
            ("'Set-Cookie: sid=a; Path=/' n=1", "'Set-Cookie: [REDACTED:cookie]' n=1"),
            ('{"cookie": 3}', '{"cookie": 3}'),
            ("cookie_consent=yes", "cookie_consent=yes"),
            ("/o?X-Amz-Signature=ab12&x=1", "/o?X-Amz-Signature=[REDACTED:signed_url]&x=1"),
            ("/json?q=1&key=AbC123", "/json?q=1&key=[REDACTED:signed_url]"),
            ("/c?sv=1&sig=a%2Bb&se=2", "/c?sv=1&sig=[REDACTED:signed_url]&se=2"),
            ("cache key=user:42", "cache key=user:42"),
            ("pwd=hunter22 pass=qwerty", "pwd=[REDACTED:secret] pass=[REDACTED:secret]"),
            (
                "passphrase: horse DB_PASS=x1",
                "passphrase: [REDACTED:secret] DB_PASS=[REDACTED:secret]",
            ),
            ("bypass=true compass=n passenger=bob", "bypass=true compass=n passenger=bob"),
            ("xsk-proj-" + "a1" * 20, "x[REDACTED:openai_key]"),
            ("ask-" + "a" * 40, "ask-" + "a" * 40),
            # A key's minimum length, exactly: 16 characters after "sk-" are a key, 15 are not.
            ("sk-" + "a" * 15, "sk-" + "a" * 15),
            ("sk-" + "a" * 16, "[REDACTED:openai_key]"),
            ("sk-" + "a" * 17 + " x", "[REDACTED:openai_key] x"),
            ("sk-proj-" + "b" * 16, "[REDACTED:openai_key]"),
            ("sk-svcacct-" + "c" * 20, "[REDACTED:openai_key]"),
            ("key=sk-admin-" + "d" * 24, "key=[REDACTED:openai_key]"),
        ],
    )
    def test_patterns(self, text: str, expected: str) -> None:
        """Each kind of secret is masked in text, keeping what says what it was."""
        assert SecretTextMasker().mask(text) == expected

    def test_bytes_line(self) -> None:
        """A JSON line (bytes) is masked, and returned as it was when clean."""
        masker = SecretTextMasker()
        clean = b'{"event":"ok"}'
        assert masker(None, "info", clean) is clean
        assert masker(None, "info", b'{"k":"Bearer abcdefgh"}') == (
            b'{"k":"Bearer [REDACTED:credential]"}'
        )

    def test_bytes_line_not_utf8(self) -> None:
        """Bytes that are not UTF-8 come back as they were, around the masked secret."""
        masker = SecretTextMasker()
        line = b'\xff{"k":"Bearer abcdefgh"}\xfe'
        assert masker(None, "info", line) == b'\xff{"k":"Bearer [REDACTED:credential]"}\xfe'

    def test_clean_strings_remembered(self) -> None:
        """Strings of up to 256 characters found clean are remembered, at most 4096 of them."""
        masker = SecretTextMasker()
        assert masker.screen(None, {"event": "a" * 256, "b": "b" * 257})
        assert "a" * 256 in masker._clean
        assert "b" * 257 not in masker._clean
        for n in range(5000):
            assert masker.screen(None, {"event": f"e{n}"})
            assert len(masker._clean) <= 4096
        assert "e4999" in masker._clean

    def test_json_stays_valid(self) -> None:
        """Secret-looking keys holding numbers, null, lists or dicts leave valid JSON."""
        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")), environ={}
        )
        fields = {
            "api_key": None,
            "secret_count": 3,
            "password_min_length": 12,
            "token": True,
            "secret_config": {"rotate": True},
            "api_key_ids": [1, 2],
            "nested": {"apikey": None, "authorization": None},
        }
        get_logger("app").info("settings_loaded", **fields)
        assert orjson.loads("".join(stream.chunks))["secret_config"] == {"rotate": True}

    def test_user_patterns(self) -> None:
        """Patterns added in the configuration are masked in every line."""
        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, redact_patterns=[r"emp-\d{6}"])),
            environ={},
        )
        get_logger("app").info("lookup emp-123456", who={"id": "emp-654321"})
        text = "".join(stream.chunks)
        assert "123456" not in text
        assert "654321" not in text
        assert text.count(MASK) == 2


# Pieces that make secrets, near-secrets and separators, for screened-rendering tests.
_PIECES = (
    *("token", "tokens", "Token=", "access_", "access_tokens_v2", "_estimate", "sk-", "ghp_"),
    *("github_pat_", "AKIA", "ASIA", "AIza", "xoxb-", "eyJ", "://", "pass", "secret", "api"),
    *("key", "api_key", "x-api-", "privatekey", "private_key", "basic ", "Bearer ", "authoriz"),
    *("timestamp", "level", "emoji", "=", ":", " ", '"', "'", "\\", "\n", "\x1b[1m", "\u212a"),
    *("…", ".", "-", "_", "@", "abcdefghij", "ABCDEFGHIJKLMNOP", "0123456789", "é", "🧠", "\x00"),
)
_texts = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_values = st.one_of(
    _texts,
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.lists(_texts, max_size=2),
    st.binary(max_size=4),
)
T0 = 1_764_237_209.25


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def _renderer(kind: str, max_value_chars: int) -> Any:
    if kind == "json":
        return JSONRenderer(clock=lambda: T0, max_value_chars=max_value_chars)
    return ConsoleRenderer(
        clock=lambda: T0, colors=kind == "colors", max_value_chars=max_value_chars
    )


class TestMaskedRenderer:
    # mutmut runs the suite more than once in one process, each time with a new instance.
    @settings(
        max_examples=400, deadline=None, suppress_health_check=[HealthCheck.differing_executors]
    )
    @given(
        fields=st.dictionaries(_texts, _values, max_size=5),
        name=_texts,
        event=_texts,
        emoji=st.one_of(st.none(), _texts),
        kind=st.sampled_from(["console", "colors", "json"]),
        max_value_chars=st.sampled_from([16, 10_000]),
    )
    def test_same_as_masking_every_line(
        self,
        *,
        fields: dict[str, Any],
        name: str,
        event: str,
        emoji: str | None,
        kind: str,
        max_value_chars: int,
    ) -> None:
        """Skipping the scan of screened lines writes exactly what scanning every line writes."""
        event_dict = {**fields, "event": event}
        if emoji is not None:
            event_dict["emoji"] = emoji
        line = _renderer(kind, max_value_chars)(_Named(name), "info", dict(event_dict))
        expected = SecretTextMasker()(None, "info", line)
        masked = MaskedRenderer(_renderer(kind, max_value_chars), SecretTextMasker())
        assert masked(_Named(name), "info", dict(event_dict)) == expected

    @pytest.mark.parametrize(
        ("event_dict", "clean"),
        [
            ({"event": "inference_completed", "model": "gpt-4", "prompt_tokens": 1}, True),
            ({"event": "e", "duration_ms": 1.5, "ok": True, "cached": None}, True),
            ({"event": "e", "token_estimate": "heuristic", "max_tokens": 5}, True),
            ({"event": "e", "detail": "key sk-proj-abc"}, False),
            ({"event": "e", "token": 5}, False),
            ({"event": "e", "access_tokens_v2": 5}, False),
            ({"event": "connect with Bearer x"}, False),
            ({"event": "e", "note": "two\nlines"}, False),
            ({"event": "e", "payload": {"a": 1}}, False),
            ({"event": "e", 1: "x"}, False),
            ({"event": "e", "exc_info": True}, False),
        ],
    )
    def test_screen(self, event_dict: dict[Any, Any], clean: bool) -> None:
        """Only events of printable strings without a trigger, and of scalars, pass the screen."""
        assert SecretTextMasker().screen("llm", event_dict) is clean

    def test_logger_without_name(self) -> None:
        """A logger with no ``name`` is fine; the level comes from the method called."""
        renderer = MaskedRenderer(_renderer("json", 10_000), SecretTextMasker())
        line = renderer(object(), "warning", {"event": "e", "k": "Bearer abcdefgh"})
        assert orjson.loads(line)["k"] == "Bearer [REDACTED:credential]"
        assert orjson.loads(line)["level"] == "warning"

    def test_user_patterns_scan_every_line(self) -> None:
        """With patterns of the user's own, no line is screened: any text may match them."""
        assert not SecretTextMasker([re.compile("x")]).screen("llm", {"event": "e"})

    def test_secret_logger_name(self) -> None:
        """A logger name is part of the line, so it is screened too."""
        assert not SecretTextMasker().screen("AKIAIOSFODNN7EXAMPLE", {"event": "e"})

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("access_tokens_v2=abcdef1234", "access_tokens_v2=[REDACTED:secret]"),
            ("privatekey=abcdef1234", "privatekey=[REDACTED:secret]"),
            ("token_estimate=heuristic token_count=3", "token_estimate=heuristic token_count=3"),
            ("the token limit was hit", "the token limit was hit"),
        ],
    )
    def test_token_trigger(self, text: str, expected: str) -> None:
        """A pattern that matches is applied whatever else the line holds; counts are left alone."""
        assert SecretTextMasker().mask(text) == expected


class TestEveryPath:
    def test_emoji_error_masked(self) -> None:
        """A custom emoji set failing with a secret in its message does not leak it."""

        class Leaky(EmojiSetConfig):
            domain = "app"

            def get_emoji(self, action: str, status: str) -> str:
                raise RuntimeError("api_key=supersecretvalue1")

        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, custom_emoji_sets=[Leaky()])),
            environ={},
        )
        get_logger("app").info("started")
        text = "".join(stream.chunks)
        assert "emoji_error" in text
        assert "supersecretvalue1" not in text

    def test_fallback_line_masked(self) -> None:
        """When a processor fails, the fallback line is masked too."""
        from logmoji.logger import core

        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")), environ={}
        )

        def broken(logger: Any, method: str, event_dict: Any) -> Any:
            raise ValueError("password=hunter2hunter2")

        core._STATE.processors.insert(1, broken)
        get_logger("app").info("token=abcdefabcdef")
        text = "".join(stream.chunks)
        assert "logmoji_error" in text
        assert "hunter2hunter2" not in text
        assert "abcdefabcdef" not in text

    def test_captured_events_masked(self) -> None:
        """capture_logs shows secret fields masked, as real output does."""
        with capture_logs() as logs:
            get_logger("app").info("e", headers={"Authorization": "Bearer x"}, api_key="k")
        assert logs[0]["headers"] == {"Authorization": MASK}
        assert logs[0]["api_key"] == MASK

    def test_redaction_can_be_turned_off(self) -> None:
        """LOGMOJI_REDACT=off writes values as they are (for local debugging only)."""
        stream = _Chunks()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream)),
            environ={"LOGMOJI_REDACT": "off"},
        )
        get_logger("app").info("e", api_key="k-visible")
        assert "k-visible" in "".join(stream.chunks)
