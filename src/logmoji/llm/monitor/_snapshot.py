"""The statistics of one model (or all) at one moment: :class:`Snapshot`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from logmoji.llm.monitor.sketch import DDSketch

__all__ = ["Snapshot"]

_QUANTILES = (0.5, 0.95, 0.99)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Hold request and error counts and latency percentiles of one model.

    ``model`` is ``None`` for all models combined. Latencies are in
    milliseconds; percentiles are ``None`` when nothing was recorded (TTFT
    percentiles when no call reported a time to first token). The sketches
    are kept so snapshots from several processes can be merged with
    :meth:`merge`, exactly as if one monitor had seen every request; they are
    private copies, so do not change them.
    """

    model: str | None
    count: int
    errors: int
    error_rate_percent: float
    avg_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    ttft_p99_ms: float | None
    latency: DDSketch = field(repr=False, compare=False)
    ttft: DDSketch = field(repr=False, compare=False)

    @classmethod
    def of(cls, model: str | None, latency: DDSketch, ttft: DDSketch, errors: int) -> Snapshot:
        """Return the snapshot of these sketches (taken over, not copied) and error count.

        Raises:
            ValueError: if ``errors`` is negative or more than the requests counted.
        """
        if not 0 <= errors <= latency.count:
            raise ValueError(
                f"errors must be between 0 and the request count {latency.count}, got {errors}"
            )
        p50, p95, p99 = latency.quantiles(_QUANTILES)
        t50, t95, t99 = ttft.quantiles(_QUANTILES)
        return cls(
            model=model,
            count=latency.count,
            errors=errors,
            error_rate_percent=100.0 * errors / latency.count if latency.count else 0.0,
            avg_ms=latency.avg,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            ttft_p50_ms=t50,
            ttft_p95_ms=t95,
            ttft_p99_ms=t99,
            latency=latency,
            ttft=ttft,
        )

    def quantile(self, q: float) -> float | None:
        """Return any latency quantile (``0 <= q <= 1``), or ``None`` when empty."""
        return self.latency.quantile(q)

    def merge(self, other: Snapshot) -> Snapshot:
        """Return the snapshot of both snapshots' requests together.

        The model is kept when both agree, else it becomes ``None`` (combined).
        """
        latency, ttft = self.latency.copy(), self.ttft.copy()
        latency.merge(other.latency)
        ttft.merge(other.ttft)
        model = self.model if self.model == other.model else None
        return Snapshot.of(model, latency, ttft, self.errors + other.errors)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable dict: the summary fields, then both sketches."""
        return {
            "model": self.model,
            "count": self.count,
            "errors": self.errors,
            "error_rate_percent": self.error_rate_percent,
            "avg_ms": self.avg_ms,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "ttft_p50_ms": self.ttft_p50_ms,
            "ttft_p95_ms": self.ttft_p95_ms,
            "ttft_p99_ms": self.ttft_p99_ms,
            "latency_sketch": self.latency.to_dict(),
            "ttft_sketch": self.ttft.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Rebuild a snapshot from :meth:`to_dict` output (the summary is recomputed).

        Raises:
            ValueError: if ``data`` is not a snapshot's dict.
        """
        try:
            model = data["model"]
            errors = data["errors"]
            latency = DDSketch.from_dict(data["latency_sketch"])
            ttft = DDSketch.from_dict(data["ttft_sketch"])
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"not a Snapshot dict ({exc!r}); pass Snapshot.to_dict() output"
            ) from exc
        if model is not None and not isinstance(model, str):
            raise ValueError(f"Snapshot dict has a model that is not a string: {model!r}")
        if isinstance(errors, bool) or not isinstance(errors, int):
            raise ValueError(f"Snapshot dict has an error count that is not an integer: {errors!r}")
        return cls.of(model, latency, ttft, errors)

    def to_json(self) -> str:
        """Return :meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> Snapshot:
        """Rebuild a snapshot from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))
