"""Tests for logmoji.llm.lifecycle: model loads and training runs."""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Callable
from typing import Any

import pytest

from logmoji.llm.lifecycle import current_rss_bytes, track_model_load, track_training
from logmoji.testing import capture_logs

MB = 1024 * 1024


class Ticks:
    """A clock that advances by ``step`` seconds on every read."""

    def __init__(self, step: float = 0.5) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value


def _memory(*readings: int | None) -> Callable[[], int | None]:
    values = iter(readings)
    return lambda: next(values)


class Boom(Exception):
    """A load or training failure."""


class TestTrackModelLoad:
    """track_model_load as a context manager and a decorator."""

    def test_context_manager_logs_start_and_completion(self) -> None:
        """The block logs started and completed 🤖 with duration and memory growth."""
        with (
            capture_logs() as logs,
            track_model_load(
                "llama-3-8b",
                clock=Ticks(1.5),
                memory=_memory(100 * MB, 150 * MB),
                device="cpu",
            ) as load,
        ):
            load.set(parameters=8_000_000_000)
        started, completed = logs
        assert started == {**started, "event": "model_load_started", "model": "llama-3-8b"}
        assert started["device"] == "cpu"
        assert completed["event"] == "model_load_completed"
        assert completed["duration_ms"] == 1500.0
        assert (completed["memory_delta_mb"], completed["memory_rss_mb"]) == (50.0, 150.0)
        assert completed["parameters"] == 8_000_000_000
        assert completed["logger"] == "llm.models"
        assert {started["emoji"], completed["emoji"]} == {"🤖"}
        assert (load.duration_ms, load.memory_delta_mb) == (1500.0, 50.0)

    def test_memory_fields_are_left_out_when_unknown(self) -> None:
        """Where the platform reports no memory, the completed event has no memory fields."""
        with capture_logs() as logs, track_model_load("m", memory=lambda: None):
            pass
        completed = logs.named("model_load_completed")[0]
        assert "memory_delta_mb" not in completed
        assert "memory_rss_mb" not in completed

    def test_failure_logs_and_reraises_the_same_exception(self) -> None:
        """A raising load logs model_load_failed 💥 and the very same exception propagates."""
        error = Boom("weights missing")
        with (
            capture_logs() as logs,
            pytest.raises(Boom) as raised,
            track_model_load("m", clock=Ticks(0.25)),
        ):
            raise error
        assert raised.value is error
        failed = logs.named("model_load_failed")[0]
        assert (failed["error"], failed["error_type"]) == ("weights missing", "Boom")
        assert (failed["log_level"], failed["emoji"], failed["duration_ms"]) == (
            "error",
            "💥",
            250.0,
        )

    def test_decorator_on_a_sync_function(self) -> None:
        """A decorated function logs one load per call and returns its value."""

        @track_model_load("tokenizer", clock=Ticks())
        def load(path: str) -> str:
            return f"loaded {path}"

        with capture_logs() as logs:
            assert load("a") == "loaded a"
            assert load("b") == "loaded b"
        assert logs.events() == ["model_load_started", "model_load_completed"] * 2
        assert load.__name__ == "load"

    async def test_decorator_on_an_async_function(self) -> None:
        """A decorated coroutine function stays async and is timed across its awaits."""

        @track_model_load("embedder", clock=Ticks(2.0))
        async def load() -> int:
            await asyncio.sleep(0)
            return 42

        assert asyncio.iscoroutinefunction(load)
        with capture_logs() as logs:
            assert await load() == 42
        assert logs.named("model_load_completed")[0]["duration_ms"] == 2000.0

    async def test_decorated_async_failure_reraises(self) -> None:
        """An async load that raises logs model_load_failed and re-raises."""

        @track_model_load("embedder")
        async def load() -> None:
            raise Boom("oom")

        with capture_logs() as logs, pytest.raises(Boom):
            await load()
        assert logs.events() == ["model_load_started", "model_load_failed"]

    async def test_async_with(self) -> None:
        """The tracker also works as an async context manager."""
        with capture_logs() as logs:
            async with track_model_load("m"):
                await asyncio.sleep(0)
        assert logs.events() == ["model_load_started", "model_load_completed"]

    def test_cancellation_is_not_a_failure(self) -> None:
        """A KeyboardInterrupt during a load logs model_load_cancelled and propagates."""
        with capture_logs() as logs, pytest.raises(KeyboardInterrupt), track_model_load("m"):
            raise KeyboardInterrupt
        assert logs.events() == ["model_load_started", "model_load_cancelled"]

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
    def test_real_memory_growth_is_measured_on_linux(self) -> None:
        """Allocating 64 MB inside the block shows up in memory_delta_mb."""
        with capture_logs() as logs, track_model_load("weights"):
            weights = b"\x01" * (64 * MB)  # written, so the pages are resident
        completed = logs.named("model_load_completed")[0]
        assert completed["memory_delta_mb"] >= 60
        assert completed["memory_rss_mb"] >= 64
        assert len(weights) == 64 * MB

    def test_current_rss_bytes_reads_a_positive_size(self) -> None:
        """The process's resident memory is readable here and plausible."""
        rss = current_rss_bytes()
        assert rss is not None
        assert 1 * MB < rss < 1 << 40


class TestTrackTraining:
    """track_training and its TrainingRun."""

    def test_a_run_logs_start_steps_epochs_and_completion(self) -> None:
        """Each stage logs its event and emoji; completion carries duration and final metrics."""
        clock = Ticks(0.0)
        with (
            capture_logs() as logs,
            track_training(
                "sft", total_steps=4, total_epochs=2, clock=clock, learning_rate=3e-4
            ) as run,
        ):
            for epoch in range(2):
                run.step(loss=1.0 - epoch * 0.5)
                run.step(loss=0.9 - epoch * 0.5)
                run.epoch(val_loss=0.8 - epoch * 0.5)
            clock.now = 7.0
        assert logs.events() == [
            "training_started",
            "training_step",
            "training_step",
            "training_epoch",
            "training_step",
            "training_step",
            "training_epoch",
            "training_completed",
        ]
        started = logs[0]
        assert (started["run_name"], started["total_steps"], started["learning_rate"]) == (
            "sft",
            4,
            3e-4,
        )
        assert [e["emoji"] for e in logs] == ["📚"] * 7 + ["🎓"]
        steps = logs.named("training_step")
        assert [(e["step"], e["progress"]) for e in steps] == [
            (1, 0.25),
            (2, 0.5),
            (3, 0.75),
            (4, 1.0),
        ]
        assert steps[0]["loss"] == 1.0
        epochs = logs.named("training_epoch")
        assert [(e["epoch"], e["step"], e["total_epochs"]) for e in epochs] == [
            (1, 2, 2),
            (2, 4, 2),
        ]
        completed = logs[-1]
        assert (completed["steps"], completed["epochs"]) == (4, 2)
        assert (completed["loss"], completed["val_loss"]) == (0.4, pytest.approx(0.3))
        assert completed["duration_ms"] == 7000.0
        assert run.duration_ms == 7000.0

    def test_log_every_skips_steps_but_not_the_last(self) -> None:
        """With log_every=2 steps 2 and 4 are logged, and the planned last step 5."""
        with capture_logs() as logs, track_training(total_steps=5, log_every=2) as run:
            for _ in range(5):
                run.step(loss=0.1)
        assert [e["step"] for e in logs.named("training_step")] == [2, 4, 5]

    def test_explicit_step_numbers(self) -> None:
        """step(n) jumps the counter to n."""
        with capture_logs() as logs, track_training(log_every=100) as run:
            run.step(100, loss=0.5)
            run.step(150)
            run.step(200)
        assert [e["step"] for e in logs.named("training_step")] == [100, 200]
        assert run.steps == 200

    def test_epoch_durations_follow_the_clock(self) -> None:
        """Each epoch event carries the time since the previous one."""
        clock = Ticks(0.0)
        with capture_logs() as logs, track_training(clock=clock) as run:
            clock.now = 3.0
            run.epoch()
            clock.now = 3.5
            run.epoch()
        assert [e["epoch_duration_ms"] for e in logs.named("training_epoch")] == [3000.0, 500.0]

    def test_failure_logs_and_reraises_the_same_exception(self) -> None:
        """A raising body logs training_failed 💥 with progress so far and re-raises."""
        error = Boom("nan in gradients")

        def train() -> None:
            with track_training("sft") as run:
                run.step(loss=1.0)
                raise error

        with capture_logs() as logs, pytest.raises(Boom) as raised:
            train()
        assert raised.value is error
        failed = logs[-1]
        assert failed["event"] == "training_failed"
        assert (failed["error"], failed["error_type"], failed["steps"]) == (
            "nan in gradients",
            "Boom",
            1,
        )
        assert (failed["log_level"], failed["emoji"]) == ("error", "💥")

    def test_non_finite_metrics_are_logged_as_a_warning(self) -> None:
        """NaN and infinity are logged, at warning, and named in non_finite_metrics."""
        with capture_logs() as logs, track_training() as run:
            run.step(loss=math.nan, grad_norm=math.inf, lr=1e-4)
        event = logs.named("training_step")[0]
        assert event["log_level"] == "warning"
        assert event["non_finite_metrics"] == ["loss", "grad_norm"]
        assert math.isnan(event["loss"])

    @pytest.mark.parametrize(
        ("metrics", "message"),
        [
            ({"loss": "0.5"}, "metric 'loss' must be a number, not str"),
            ({"ok": True}, "metric 'ok' must be a number, not bool"),
            ({"loss": [0.5]}, "metric 'loss' must be a number, not list"),
            ({"epoch": 3}, "metric name 'epoch' is reserved"),
        ],
    )
    def test_bad_metrics_raise_value_error(self, metrics: dict[str, Any], message: str) -> None:
        """Metrics must be numbers with names that do not clash with the event's fields."""
        run = track_training()
        with pytest.raises(ValueError, match=message):
            run.step(**metrics)

    def test_numbers_are_logged_as_plain_ints_and_floats(self) -> None:
        """Any real number (e.g. a Fraction) is logged as an int or a float."""
        from fractions import Fraction

        with capture_logs() as logs, track_training() as run:
            run.step(tokens=10, ratio=Fraction(1, 4))
        event = logs.named("training_step")[0]
        assert (type(event["tokens"]), event["ratio"]) == (int, 0.25)

    async def test_async_with(self) -> None:
        """A run also works as an async context manager."""
        with capture_logs() as logs:
            async with track_training() as run:
                run.step()
        assert logs.events() == ["training_started", "training_step", "training_completed"]

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"log_every": 0}, "log_every"),
            ({"total_steps": 0}, "total_steps"),
            ({"total_epochs": -1}, "total_epochs"),
        ],
    )
    def test_bad_options_raise(self, options: dict[str, Any], message: str) -> None:
        """Options that cannot describe a run are refused."""
        with pytest.raises(ValueError, match=message):
            track_training(**options)
