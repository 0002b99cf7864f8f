"""The record of one finished LLM call, shared by instrumentation, costs and monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["CallObserver", "CallRecord"]


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Describe one finished (or failed) LLM call.

    Token counts are the ones the server reported; ``None`` means the server
    did not say. ``input_tokens`` includes ``cached_tokens`` and
    ``output_tokens`` includes ``reasoning_tokens``, as the providers count
    them.
    """

    provider: str
    operation: str
    model: str
    response_model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    duration_ms: float | None = None
    ttft_ms: float | None = None
    success: bool = True
    error_category: str | None = None
    stream: bool = False
    retries: int = 0
    request_id: str | None = None
    server_address: str | None = None
    server_port: int | None = None


class CallObserver(Protocol):
    """Receive every finished call; used for cost tracking and monitoring."""

    def observe(self, record: CallRecord) -> dict[str, object] | None:
        """Take note of ``record``; return fields to add to the completed event, if any."""
        ...
