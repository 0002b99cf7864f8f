"""Count the fake LLM provider's rate-limit usage and report it in response headers.

Each provider has a :class:`Budget` of requests and tokens that resets every
``rate_limit_window`` seconds; every response charges its request and tokens
and reports what is left, the way OpenAI (``x-ratelimit-*``) and Anthropic
(``anthropic-ratelimit-*``) do, next to each API's request-id header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(slots=True)
class Budget:
    """Count one provider's usage within the current rate-limit window."""

    start: float = 0.0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def charge(self, now: float, window: float, tokens_in: int, tokens_out: int) -> float:
        """Count one request, opening a new window if this one is over; return seconds left."""
        if now - self.start >= window:
            self.start, self.requests = now, 0
            self.input_tokens = self.output_tokens = 0
        self.requests += 1
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        return self.start + window - now


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Hold what the rate-limit headers of one response report."""

    requests_limit: int
    requests_left: int
    tokens_limit: int
    tokens_left: int
    input_left: int
    output_left: int
    reset_in: float


def rate_limits(
    requests_limit: int,
    tokens_limit: int,
    used: tuple[int, int, int],
    reset_in: float,
    *,
    exhausted: bool = False,
) -> RateLimits:
    """Return the limits left after ``used`` (requests, input and output tokens).

    ``exhausted`` reports nothing left, as a rate-limited response does.
    """
    cap = tokens_limit
    left = (
        (0, 0, 0, 0)
        if exhausted
        else (
            requests_limit - used[0],
            cap - used[1] - used[2],
            cap - used[1],
            cap - used[2],
        )
    )
    requests_left, tokens_left, input_left, output_left = (max(0, n) for n in left)
    return RateLimits(
        requests_limit,
        requests_left,
        cap,
        tokens_left,
        input_left,
        output_left,
        reset_in,
    )


def duration(seconds: float) -> str:
    """Format seconds the way OpenAI's ``x-ratelimit-reset-*`` headers do (``6m0s``)."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{round(rest, 3):g}s"
    return f"{int(minutes)}m{text}" if minutes else text


def openai_headers(request_id: str, limits: RateLimits, latency: float) -> list[tuple[str, str]]:
    """Return OpenAI's request-id and ``x-ratelimit-*`` headers."""
    reset = duration(limits.reset_in)
    return [
        ("x-request-id", request_id),
        ("openai-organization", "logmoji-fake"),
        ("openai-version", "2020-10-01"),
        ("openai-processing-ms", str(round(latency * 1000))),
        ("x-ratelimit-limit-requests", str(limits.requests_limit)),
        ("x-ratelimit-remaining-requests", str(limits.requests_left)),
        ("x-ratelimit-reset-requests", reset),
        ("x-ratelimit-limit-tokens", str(limits.tokens_limit)),
        ("x-ratelimit-remaining-tokens", str(limits.tokens_left)),
        ("x-ratelimit-reset-tokens", reset),
    ]


def anthropic_headers(request_id: str, limits: RateLimits, now: float) -> list[tuple[str, str]]:
    """Return Anthropic's request-id and ``anthropic-ratelimit-*`` headers."""
    reset = datetime.fromtimestamp(now + limits.reset_in, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = [("request-id", request_id)]
    for name, cap, left in (
        ("requests", limits.requests_limit, limits.requests_left),
        ("tokens", limits.tokens_limit, limits.tokens_left),
        ("input-tokens", limits.tokens_limit, limits.input_left),
        ("output-tokens", limits.tokens_limit, limits.output_left),
    ):
        headers.append((f"anthropic-ratelimit-{name}-limit", str(cap)))
        headers.append((f"anthropic-ratelimit-{name}-remaining", str(left)))
        headers.append((f"anthropic-ratelimit-{name}-reset", reset))
    return headers
