"""Record the GenAI client metrics of instrumented LLM calls: :class:`MetricsObserver`.

==================================================  =========  ====================================
instrument                                          unit       recorded
==================================================  =========  ====================================
``gen_ai.client.operation.duration`` (histogram)    ``s``      every call; ``error.type`` on failure
``gen_ai.client.token.usage`` (histogram)           ``{token}`` input and output counts, split by
                                                               ``gen_ai.token.type``
``gen_ai.client.operation.time_to_first_chunk``     ``s``      streamed calls that got a token
``logmoji.llm.cost`` (counter)                      ``USD``    priced calls (the cost tracker's
                                                               ``cost_usd``)
==================================================  =========  ====================================

Histograms use the bucket boundaries the GenAI semantic conventions give, as
advice the SDK follows unless a view says otherwise. Points carry
``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``
and, when known, ``gen_ai.response.model``. ``time_per_output_chunk`` is not
recorded: it needs a clock read per chunk, on the streaming hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext

from opentelemetry.sdk.metrics import MeterProvider

from logmoji.llm._record import CallRecord
from logmoji.otel._semconv import (
    COST,
    DURATION,
    DURATION_BUCKETS,
    TIME_TO_FIRST_CHUNK,
    TOKEN_BUCKETS,
    TOKEN_TYPE,
    TOKEN_USAGE,
    TTFC_BUCKETS,
    metric_attributes,
)

__all__ = ["MetricsObserver"]

_NO_CONTEXT = nullcontext()


class MetricsObserver:
    """Record each instrumented call's duration, tokens, time to first chunk and cost.

    An observer for ``instrument()``; its ``start_call`` returns itself as the
    call's scope, so it reads the finished call's record together with the
    fields other observers added (the cost).

    Args:
        provider: The meter provider the instruments belong to.
    """

    def __init__(self, provider: MeterProvider) -> None:
        from logmoji import __version__

        meter = provider.get_meter("logmoji", __version__)
        self._duration = meter.create_histogram(
            DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self._tokens = meter.create_histogram(
            TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self._ttfc = meter.create_histogram(
            TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time from issuing a streamed request to receiving its first chunk.",
            explicit_bucket_boundaries_advisory=TTFC_BUCKETS,
        )
        self._cost = meter.create_counter(
            COST, unit="USD", description="Cost of LLM calls, in US dollars."
        )
        self.closed = False

    def observe(self, record: CallRecord) -> None:
        """Add nothing to the completed event: points are recorded at the call's end."""

    def start_call(self, provider: str, operation: str, model: str) -> MetricsObserver | None:
        """Return itself as the call's scope; ``None`` once shut down."""
        return None if self.closed else self

    def activate(self) -> AbstractContextManager[object]:
        """Make nothing current: metrics need no context."""
        return _NO_CONTEXT

    def note(self, event: str, fields: Mapping[str, object]) -> None:
        """Ignore events during the call."""

    def end(self, record: CallRecord, fields: Mapping[str, object]) -> None:
        """Record the finished call's points."""
        if record.error_category == "instrumentation_error":
            return  # logmoji lost track of this call: its numbers would mislead
        attributes = metric_attributes(record, fields)
        if record.duration_ms is not None:
            self._duration.record(
                record.duration_ms / 1000.0,
                metric_attributes(record, fields, with_error=True),
            )
        for count, kind in ((record.input_tokens, "input"), (record.output_tokens, "output")):
            if count is not None:
                self._tokens.record(count, {**attributes, TOKEN_TYPE: kind})
        if record.stream and record.ttft_ms is not None:
            self._ttfc.record(record.ttft_ms / 1000.0, attributes)
        cost = fields.get("cost_usd")
        if type(cost) is float and cost > 0:
            self._cost.add(cost, attributes)
