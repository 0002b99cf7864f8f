"""Log a model's load 🤖 and a training run 📚 🎓 from start to end.

:func:`track_model_load` times a load and measures how much the process's
resident memory grew (``memory_delta_mb``), as a context manager or a decorator
on sync and async functions. :func:`track_training` returns a
:class:`TrainingRun` whose ``step()`` and ``epoch()`` log progress with metrics.
Both log ``*_failed`` 💥 and re-raise when the body raises.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar, cast

from logmoji.logger.core import Logger, get_logger

__all__ = ["ModelLoad", "TrainingRun", "current_rss_bytes", "track_model_load", "track_training"]

P = ParamSpec("P")
R = TypeVar("R")

MemoryProbe = Callable[[], int | None]

_MB = 1024 * 1024
_MAX_ERROR_CHARS = 300
_RESERVED = frozenset(
    {
        "run_name", "step", "epoch", "steps", "epochs", "total_steps", "total_epochs",
        "progress", "duration_ms", "epoch_duration_ms", "non_finite_metrics",
    }
)  # fmt: skip


def current_rss_bytes() -> int | None:
    """Return the process's resident memory in bytes, or ``None`` if it cannot be read.

    Reads the current RSS from ``/proc/self/statm`` (Linux); elsewhere the peak
    RSS from ``resource.getrusage``, then tracemalloc's traced total if tracing.
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource  # here, not at the top: missing on Windows
    except ImportError:
        pass
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # macOS: bytes
    if tracemalloc.is_tracing():
        return tracemalloc.get_traced_memory()[0]
    return None


def _error_fields(exc: BaseException) -> dict[str, object]:
    return {
        "error": str(exc)[:_MAX_ERROR_CHARS] or type(exc).__name__,
        "error_type": type(exc).__name__,
    }


class _AlsoAsync:
    """Make a synchronous context manager usable with ``async with`` too.

    Logging does not block, so the async forms simply run the sync ones.
    """

    def __enter__(self) -> Self:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


class ModelLoad(_AlsoAsync):
    """Time one model load and log it; made by :func:`track_model_load`.

    Use it as ``with``/``async with`` block or as a decorator; a decorated
    function starts a fresh measurement on every call.
    """

    def __init__(
        self,
        name: str,
        fields: dict[str, object],
        log: Logger,
        clock: Callable[[], float],
        memory: MemoryProbe,
    ) -> None:
        self.name = name
        self.fields = fields
        self.duration_ms: float | None = None
        self.memory_delta_mb: float | None = None
        self._log = log
        self._clock = clock
        self._memory = memory
        self._started = 0.0
        self._rss_before: int | None = None
        self._extra: dict[str, object] = {}

    def set(self, **fields: object) -> None:
        """Add ``fields`` (such as ``parameters=8e9``) to the completed event."""
        self._extra.update(fields)

    def __enter__(self) -> Self:
        self._extra = {}
        self._log.info("model_load_started", **{"model": self.name, **self.fields})
        self._rss_before = self._memory()
        self._started = self._clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.duration_ms = round((self._clock() - self._started) * 1000, 2)
        base = {"model": self.name, **self.fields, "duration_ms": self.duration_ms}
        if exc is None:
            self._log.info(
                "model_load_completed", **{**base, **self._memory_fields(), **self._extra}
            )
        elif isinstance(exc, Exception):
            self._log.error("model_load_failed", **{**base, **_error_fields(exc)})
        else:
            self._log.warning("model_load_cancelled", **{**base, "error_type": type(exc).__name__})

    def _memory_fields(self) -> dict[str, object]:
        after = self._memory()
        if after is None or self._rss_before is None:
            return {}
        self.memory_delta_mb = round((after - self._rss_before) / _MB, 2)
        return {"memory_delta_mb": self.memory_delta_mb, "memory_rss_mb": round(after / _MB, 1)}

    def _fresh(self) -> ModelLoad:
        return ModelLoad(self.name, self.fields, self._log, self._clock, self._memory)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``fn`` (sync or async) so that every call is tracked as a load."""
        if inspect.iscoroutinefunction(fn):
            async_fn = cast(Callable[..., Any], fn)

            @functools.wraps(fn)
            async def tracked_async(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await async_fn(*args, **kwargs)

            return cast(Callable[P, R], tracked_async)

        @functools.wraps(fn)
        def tracked(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._fresh():
                return fn(*args, **kwargs)

        return tracked


def track_model_load(
    name: str,
    *,
    logger: Logger | None = None,
    clock: Callable[[], float] = time.perf_counter,
    memory: MemoryProbe = current_rss_bytes,
    **fields: object,
) -> ModelLoad:
    """Track loading the model ``name``: ``model_load_started``/``_completed`` 🤖, ``_failed`` 💥.

    The completed event carries ``duration_ms`` and, where the platform tells,
    ``memory_delta_mb`` (resident memory growth during the load) and
    ``memory_rss_mb``. A failure is logged and re-raised unchanged.

    Args:
        name: The model, logged as ``model``.
        logger: Where events go; ``get_logger("llm.models")`` by default.
        clock: Seconds, for the duration.
        memory: Returns the resident memory in bytes (``None``: unknown).
        fields: Added to every event, such as ``version="0613"``.

    Example::

        with track_model_load("llama-3-8b", device="cpu") as load:
            weights = read_weights()
            load.set(parameters=8_000_000_000)
    """
    log = logger if logger is not None else get_logger("llm.models")
    return ModelLoad(name, dict(fields), log, clock, memory)


def _check_metrics(metrics: dict[str, object]) -> tuple[dict[str, int | float], list[str]]:
    """Return the metrics as plain numbers and the names of the non-finite ones."""
    plain: dict[str, int | float] = {}
    non_finite: list[str] = []
    for name, value in metrics.items():
        if name in _RESERVED:
            raise ValueError(f"metric name {name!r} is reserved for the event; rename the metric")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"metric {name!r} must be a number, not {type(value).__name__}; "
                "pass float(value) (for a tensor, value.item())"
            )
        number = int(value) if isinstance(value, numbers.Integral) else float(value)
        if not math.isfinite(number):
            non_finite.append(name)
        plain[name] = number
    return plain, non_finite


class TrainingRun(_AlsoAsync):
    """Log one training run's start, progress and end; made by :func:`track_training`."""

    def __init__(
        self,
        run_name: str | None,
        *,
        total_steps: int | None,
        total_epochs: int | None,
        log_every: int,
        fields: dict[str, object],
        log: Logger,
        clock: Callable[[], float],
    ) -> None:
        self.run_name = run_name
        self.total_steps = total_steps
        self.total_epochs = total_epochs
        self.log_every = log_every
        self.steps = 0
        self.epochs = 0
        self.metrics: dict[str, int | float] = {}
        self.duration_ms: float | None = None
        self._log = log if run_name is None else log.bind(run_name=run_name)
        self._fields = fields
        self._clock = clock
        self._started = clock()
        self._epoch_started = self._started

    def step(self, step: int | None = None, **metrics: object) -> None:
        """Count one step (or jump to ``step``) and log ``training_step`` every ``log_every``.

        Raises:
            ValueError: A metric is not a number or uses a reserved name.
        """
        plain, non_finite = _check_metrics(metrics)
        self.steps = self.steps + 1 if step is None else step
        self.metrics.update(plain)
        if self.steps % self.log_every and self.steps != self.total_steps:
            return
        fields: dict[str, object] = {"step": self.steps}
        if self.total_steps:
            fields["total_steps"] = self.total_steps
            fields["progress"] = round(self.steps / self.total_steps, 4)
        self._emit("training_step", fields, plain, non_finite)

    def epoch(self, epoch: int | None = None, **metrics: object) -> None:
        """Count one epoch (or jump to ``epoch``) and log ``training_epoch`` with its metrics.

        Raises:
            ValueError: A metric is not a number or uses a reserved name.
        """
        plain, non_finite = _check_metrics(metrics)
        self.epochs = self.epochs + 1 if epoch is None else epoch
        self.metrics.update(plain)
        now = self._clock()
        fields: dict[str, object] = {"epoch": self.epochs, "step": self.steps}
        if self.total_epochs:
            fields["total_epochs"] = self.total_epochs
        fields["epoch_duration_ms"] = round((now - self._epoch_started) * 1000, 2)
        self._epoch_started = now
        self._emit("training_epoch", fields, plain, non_finite)

    def _emit(
        self,
        event: str,
        fields: dict[str, object],
        metrics: dict[str, int | float],
        non_finite: list[str],
    ) -> None:
        if non_finite:
            self._log.warning(event, **fields, **metrics, non_finite_metrics=non_finite)
        else:
            self._log.info(event, **fields, **metrics)

    def __enter__(self) -> Self:
        self._started = self._epoch_started = self._clock()
        totals = {"total_steps": self.total_steps, "total_epochs": self.total_epochs}
        known = {key: value for key, value in totals.items() if value is not None}
        self._log.info("training_started", **known, **self._fields)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.duration_ms = round((self._clock() - self._started) * 1000, 2)
        base = {"duration_ms": self.duration_ms, "steps": self.steps, "epochs": self.epochs}
        if exc is None:
            self._log.info("training_completed", **base, **self.metrics)
        elif isinstance(exc, Exception):
            self._log.error("training_failed", **base, **_error_fields(exc))
        else:
            self._log.warning("training_cancelled", **base, error_type=type(exc).__name__)


def track_training(
    run_name: str | None = None,
    *,
    total_steps: int | None = None,
    total_epochs: int | None = None,
    log_every: int = 1,
    logger: Logger | None = None,
    clock: Callable[[], float] = time.perf_counter,
    **fields: object,
) -> TrainingRun:
    """Track a training run: ``training_started`` 📚, progress, ``training_completed`` 🎓.

    A body that raises logs ``training_failed`` 💥 and the exception goes on
    unchanged. Metrics must be numbers; NaN and infinity are logged as a
    warning naming them in ``non_finite_metrics``.

    Args:
        run_name: Names the run in every event.
        total_steps: Steps planned, for ``progress``.
        total_epochs: Epochs planned.
        log_every: Log every this many steps (the last planned step always).
        logger: Where events go; ``get_logger("llm.training")`` by default.
        clock: Seconds, for durations.
        fields: Added to ``training_started``, such as ``learning_rate=3e-4``.

    Example::

        with track_training("sft", total_steps=1000, log_every=100) as run:
            for batch in data:
                run.step(loss=train_step(batch))
    """
    if log_every < 1:
        raise ValueError(f"log_every must be at least 1, not {log_every}")
    for name, total in (("total_steps", total_steps), ("total_epochs", total_epochs)):
        if total is not None and total < 1:
            raise ValueError(f"{name} must be at least 1 or None, not {total}")
    log = logger if logger is not None else get_logger("llm.training")
    return TrainingRun(
        run_name,
        total_steps=total_steps,
        total_epochs=total_epochs,
        log_every=log_every,
        fields=dict(fields),
        log=log,
        clock=clock,
    )
