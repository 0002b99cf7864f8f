"""What counts as a secret: sensitive field names, and the shapes of secrets in text.

This is the data the maskers in :mod:`logmoji.logger.redact` work from (that
module re-exports ``SECRET_PATTERNS`` and ``SENSITIVE_FIELDS``).
:class:`~logmoji.logger.redact.SecretFieldMasker` masks the values of the field
names here; :class:`~logmoji.logger.redact.SecretTextMasker` compiles the
patterns once and runs each only on a line that holds one of its trigger words.
"""

from __future__ import annotations

import re

__all__ = ["SECRET_PATTERNS", "SENSITIVE_FIELDS", "TOKEN_KEY", "is_sensitive_name"]

#: Field names (compared lower-case, with ``-`` as ``_``) whose values are always masked.
SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        "api_key",
        "apikey",
        "x_api_key",
        "api_token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "token",
        "secret",
        "client_secret",
        "secret_key",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "private_key",
        "aws_secret_access_key",
        "aws_session_token",
        "session_token",
        "x_goog_api_key",
        "openai_api_key",
        "anthropic_api_key",
        "bearer",
        "credentials",
        "cred",
        "creds",
        "pass",
        "db_pass",
        "auth",
        "jwt",
        "session_id",
        "sessionid",
        "ssh_key",
        "signing_key",
        "encryption_key",
        "key",
    }
)
_SENSITIVE_SUFFIXES = (
    "_api_key",
    "_apikey",
    "_password",
    "_passwd",
    "_secret",
    "_token",
    "_secret_key",
    "_private_key",
    "_credentials",
    "_creds",
    "_pass",
    "_pwd",
    "_passphrase",
    "_jwt",
    "_ssh_key",
    "_signing_key",
    "_encryption_key",
)
# Names that end like a secret but hold counts or settings, not secrets.
_NOT_SENSITIVE_SUFFIXES = ("_tokens", "_max_token", "_token_count", "_token_limit")

# A quote may come escaped (``\"``): JSON text inside a JSON line.
_SEP = r"""(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?"""
# "…" is the renderer's truncation marker; a value stops at it.
_VALUE_END = r"""[^\s"',;\\&}\])…]"""
# A key starts a line or follows a non-alphanumeric character (so "task-..." is not
# "sk-..."), or follows an escape such as "\n", "\x00", "\u2028" in a repr or JSON
# string, or an ANSI colour code ("\x1b[1m") on a console line.
_START = (
    r"(?:(?<![A-Za-z0-9])|(?<=\\[a-z])|(?<=\\x[0-9a-fA-F]{2})|(?<=\\u[0-9a-fA-F]{4})"
    r"|(?<=\\U[0-9a-fA-F]{8})|(?<=\dm))"
)

#: (kind, regex, trigger substrings, whether the triggers are looked for in the
#: lower-cased line). Every match of a regex contains one of its triggers, and
#: a regex runs only on a line containing one, which keeps a line without
#: secrets to a few substring checks. A match is replaced by
#: ``[REDACTED:<kind>]``, keeping its ``keep`` group. The trigger ``token``
#: counts only where a secret can follow it (see ``TOKEN_KEY``), not in
#: ``max_tokens`` or ``token_count``.
SECRET_PATTERNS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{8,}", ("sk-ant-",), False),
    (
        "openai_key",
        # A prefix as distinctive as "sk-proj-" (or a legacy key's "T3BlbkFJ") marks a key
        # even glued to a letter ("xsk-proj-..."); a bare "sk-" only at the start of a word.
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{16,}"
        r"|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}" + "|" + _START + r"sk-[A-Za-z0-9_\-]{16,}",
        ("sk-",),
        False,
    ),
    (
        "private_key_block",
        # Up to its END line or, when that was cut off, to the quote closing the value
        # (escaped quotes, "\\n" and the like are read as pairs) or the end of the text.
        r"(?s)(?P<keep>-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----)"
        r"""(?:[^"'\\]|\\.)*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|(?=["'])|\Z)""",
        ("PRIVATE KEY-----",),
        False,
    ),
    (
        "aws_access_key",
        _START.replace("A-Za-z0-9", "A-Z0-9") + r"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",
        ("AKIA", "ASIA"),
        False,
    ),
    (
        "github_token",
        r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}",
        ("gh", "github_pat_"),
        False,
    ),
    ("google_api_key", r"AIza[0-9A-Za-z_\-]{30,}", ("AIza",), False),
    ("slack_token", r"xox[abprs]-[A-Za-z0-9\-]{10,}", ("xox",), False),
    ("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{4,}", ("eyJ",), False),
    (
        "credential",
        r"(?i)(?P<keep>(?:proxy[_-]?)?authorization"
        + _SEP
        + r"|x[_-]api[_-]key"
        + _SEP
        + r"|(?:bearer|basic)\s+)(?!\[REDACTED)(?:(?:bearer|basic|token)\s+)?"
        + _VALUE_END
        + r"+",
        ("authoriz", "api-key", "api_key", "bearer", "basic"),
        True,
    ),
    (
        "cookie",
        # A cookie header's value runs to the end of the line: it holds "; " and "=".
        r"(?i)(?P<keep>"
        + _START
        + r"(?:set[_-])?cookie"
        + _SEP
        + r")(?!\[REDACTED)[^\s\"'\\…][^\r\n\"'\\…]*",
        ("cookie",),
        True,
    ),
    (
        "secret",
        # "token" only as the end of a key: "github_token=x", never "max_tokens=5";
        # "pass" and "pwd" only as a whole word or after "_" or "-": "DB_PASS=", never "bypass=".
        r"(?i)(?P<keep>(?:(?:password|passwd|passphrase|secret|api[_-]?key|apikey|access[_-]?token|"
        r"refresh[_-]?token|auth[_-]?token|session[_-]?token|private[_-]?key)[\w-]*|token"
        r"|" + _START + r"(?:pass|pwd))" + _SEP + r")(?!\[REDACTED)" + _VALUE_END + r"+",
        ("pass", "pwd", "secret", "apikey", "api_key", "api-key", "token", "private"),
        True,
    ),
    (
        "signed_url",
        # Signed-URL and query-string credentials: ?key=, X-Amz-Signature=, sig=...
        r"(?i)(?P<keep>(?:[?&](?:key|sig|signature)"
        r"|(?<![\w-])(?:x-(?:amz|goog)-(?:signature|credential)|googleaccessid|awsaccesskeyid))=)"
        r"(?!\[REDACTED)[^\s&#\"'\\…]+",
        ("?key=", "&key=", "sig=", "signature=", "credential=", "accessid=", "accesskeyid="),
        True,
    ),
    (
        "url_password",
        # The user may be empty: "redis://:password@host".
        r"(?P<keep>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\"']*:)[^\s@/\"'\\]+(?=@)",
        ("://",),
        False,
    ),
)


# Where "token" can start a secret: as a key ("token=", "token":, "token" at the end of
# a part, before the renderer's separator) or in access/refresh/auth/session tokens,
# whose names may go on ("access_tokens_v2="). Searched in lower-cased text.
TOKEN_KEY = re.compile(r"""token(?:[\\"'\s:=]|\Z)|(?:access|refresh|auth|session)[_-]?token""")


def is_sensitive_name(name: str, extra: frozenset[str]) -> bool:
    """Return whether values of the field ``name`` are masked, ``extra`` naming more fields.

    ``name`` is compared lower-case, with ``-`` as ``_``; ``extra`` must be so already.
    """
    key = name.lower().replace("-", "_")
    if key in SENSITIVE_FIELDS or key in extra:
        return True
    if key.endswith(_NOT_SENSITIVE_SUFFIXES):
        return False
    return key.endswith(_SENSITIVE_SUFFIXES)
