"""Log a (fake) fine-tuning run: model load 🤖, training 📚, completion 🎓, failure 💥.

The "model" is a list of floats and the "training" nudges some of them
toward a target, so the loss really falls (and, with too high a learning
rate, really diverges); what matters is the events:
``model_load_started``/``_completed`` with the memory the weights took,
``training_started``, ``training_step`` every few steps and ``training_epoch``
with validation metrics, then ``training_completed`` with the final metrics. A
second run diverges and raises, which logs ``training_failed`` and re-raises.

Run: ``python examples/training.py``
"""

from __future__ import annotations

import math
import random

from logmoji.llm.lifecycle import track_model_load, track_training

STEPS_PER_EPOCH = 20
EPOCHS = 3
HEAD = 256  # the weights that are trained; the rest only take memory


class DivergedError(RuntimeError):
    """The loss stopped being a number."""


@track_model_load("tiny-regressor", source="examples")
def load_model(size: int) -> list[float]:
    """Return the model's initial weights (about 8 bytes each, plus list overhead)."""
    rng = random.Random(0)
    return [rng.uniform(-1, 1) for _ in range(size)]


def train(weights: list[float], learning_rate: float, run_name: str) -> float:
    """Train the model's head toward 0.5 on random mini-batches; return the final loss."""
    rng = random.Random(1)
    head = range(HEAD)
    total = STEPS_PER_EPOCH * EPOCHS
    with track_training(
        run_name, total_steps=total, total_epochs=EPOCHS, log_every=10, learning_rate=learning_rate
    ) as run:
        loss = math.inf
        for _ in range(EPOCHS):
            for _ in range(STEPS_PER_EPOCH):
                for i in rng.sample(head, HEAD // 2):
                    weights[i] -= learning_rate * 2 * (weights[i] - 0.5)
                loss = sum((weights[i] - 0.5) ** 2 for i in head) / HEAD
                if not math.isfinite(loss) or loss > 1e6:
                    raise DivergedError(f"loss diverged to {loss:.3g} at step {run.steps + 1}")
                run.step(loss=round(loss, 6))
            run.epoch(val_loss=round(loss * 1.05, 6))
        return loss


def main() -> None:
    weights = load_model(200_000)
    final = train(weights, learning_rate=0.05, run_name="tiny-sft")
    print(f"final loss {final:.6f}")
    try:
        train(load_model(200_000), learning_rate=1.5, run_name="tiny-sft-hot")
    except DivergedError as exc:
        print(f"second run failed as expected: {exc}")


if __name__ == "__main__":
    main()
