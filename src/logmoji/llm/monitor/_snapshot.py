"""The statistics of one model (or all) at one moment: :class:`Snapshot`.

The monitor's snapshots are deferred: it copies the counts under its lock,
and each percentile (and each sketch) is computed from that copy the first
time it is read, then kept. ``snapshot(model).p99_ms`` so costs one walk over
the top buckets, not six quantiles and two sketches. Reading a field, comparing,
printing or serializing a snapshot gives the same values as computing them all
at once would (:meth:`Snapshot.of`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from logmoji.llm.monitor._counts import Counts
from logmoji.llm.monitor.sketch import DDSketch

__all__ = ["Snapshot"]

_QUANTILES = (0.5, 0.95, 0.99)
_PENDING: Any = object()  # a field not computed yet, in a deferred snapshot


class _Deferred:
    """The counts a deferred snapshot computes its pending fields from (latency, TTFT)."""

    __slots__ = ("_counts",)

    _counts: tuple[Counts, Counts | None]


@dataclass(frozen=True, slots=True)
class Snapshot(_Deferred):
    """Hold request and error counts and latency percentiles of one model.

    ``model`` is ``None`` for all models combined. Latencies are in
    milliseconds; percentiles are ``None`` when nothing was recorded (TTFT
    percentiles when no call reported a time to first token). The sketches
    are kept so snapshots from several processes can be merged with
    :meth:`merge`, exactly as if one monitor had seen every request; they are
    private copies, so do not change them. A monitor's snapshot of one model
    computes each percentile and sketch when first read, from a private copy
    of its counts: the values :meth:`of` would give.
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

    @classmethod
    def deferred(
        cls, model: str | None, latency: Counts, ttft: Counts | None, errors: int
    ) -> Snapshot:
        """Return the snapshot of these counts (taken over, not copied) and error count.

        Percentiles and sketches are computed when first read.
        """
        snap = object.__new__(cls)
        count = latency.count
        _SET_MODEL(snap, model)
        _SET_COUNT(snap, count)
        _SET_ERRORS(snap, errors)
        _SET_ERROR_RATE(snap, 100.0 * errors / count if count else 0.0)
        _SET_AVG(snap, latency.total / count if count else None)
        for setter in _PENDING_SETTERS:
            setter(snap, _PENDING)
        _SET_COUNTS(snap, (latency, ttft))
        return snap

    def quantile(self, q: float) -> float | None:
        """Return any latency quantile (``0 <= q <= 1``), or ``None`` when empty."""
        if _GET_LATENCY(self) is _PENDING:  # no sketch built yet: walk the counts
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quantiles are between 0 and 1, got {q!r}")
            return self._counts[0].quantile(q)
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


class _Lazy:
    """A field of :class:`Snapshot` that a deferred snapshot computes when first read.

    It wraps the slot that holds the field's value, so the dataclass's
    ``__init__``, ``__eq__``, ``__repr__`` and ``__hash__`` read and write it as before.
    """

    __slots__ = ("compute", "slot")

    def __init__(self, slot: Any, compute: Callable[[Counts, Counts | None], object]) -> None:
        self.slot = slot
        self.compute = compute

    def __get__(self, snap: Snapshot | None, owner: type | None = None) -> Any:
        if snap is None:
            return self
        value = self.slot.__get__(snap, owner)
        if value is _PENDING:
            # The counts are a private copy, so this needs no lock; two threads reading
            # at once compute the same value.
            value = self.compute(*snap._counts)
            self.slot.__set__(snap, value)
        return value

    def __set__(self, snap: Snapshot, value: object) -> None:
        self.slot.__set__(snap, value)


def _latency_at(q: float) -> Callable[[Counts, Counts | None], float | None]:
    return lambda latency, _: latency.quantile(q)


def _ttft_at(q: float) -> Callable[[Counts, Counts | None], float | None]:
    return lambda _, ttft: None if ttft is None else ttft.quantile(q)


_COMPUTE: dict[str, Callable[[Counts, Counts | None], object]] = {
    "p50_ms": _latency_at(0.5),
    "p95_ms": _latency_at(0.95),
    "p99_ms": _latency_at(0.99),
    "ttft_p50_ms": _ttft_at(0.5),
    "ttft_p95_ms": _ttft_at(0.95),
    "ttft_p99_ms": _ttft_at(0.99),
    "latency": lambda latency, _: latency.sketch(),
    "ttft": lambda _, ttft: DDSketch() if ttft is None else ttft.sketch(),
}
_SLOTS = {name: Snapshot.__dict__[name] for name in (*_COMPUTE, "model", "count", "errors")}
for _name, _compute in _COMPUTE.items():
    setattr(Snapshot, _name, _Lazy(_SLOTS[_name], _compute))
_SET_MODEL = _SLOTS["model"].__set__
_SET_COUNT = _SLOTS["count"].__set__
_SET_ERRORS = _SLOTS["errors"].__set__
_SET_ERROR_RATE = Snapshot.__dict__["error_rate_percent"].__set__
_SET_AVG = Snapshot.__dict__["avg_ms"].__set__
_SET_COUNTS = _Deferred.__dict__["_counts"].__set__
_GET_LATENCY = _SLOTS["latency"].__get__
_PENDING_SETTERS = tuple(_SLOTS[name].__set__ for name in _COMPUTE)
