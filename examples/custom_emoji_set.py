"""The spec's "Custom LLM Emoji Set", installed and used.

The spec built the config but never passed it to ``setup_telemetry``; here it is.
"""

from logmoji import get_logger
from logmoji.logger.config import LoggingConfig, TelemetryConfig
from logmoji.logger.emoji.types import EmojiSetConfig
from logmoji.setup import setup_telemetry


class CustomLLMEmojiSet(EmojiSetConfig):
    """Custom LLM emoji set with additional model-specific mappings."""

    domain = "llm"

    def get_emoji(self, action: str, status: str) -> str:
        # Custom mappings for specific models
        if "gpt-4" in action and status == "success":
            return "🤖✨"
        elif "claude" in action and status == "success":
            return "🧠💫"
        elif "local" in action:  # Local model inference
            return "🏠🤖" if status == "success" else "🏠❌"
        elif action.startswith("fine_tune"):
            return "🎯" if status == "success" else "💥"
        elif action.startswith("embedding"):
            return "📊" if status == "success" else "📉"
        else:
            # Fallback to standard LLM emojis
            return super().get_emoji(action, status)


# Use custom emoji set
config = TelemetryConfig(logging=LoggingConfig(custom_emoji_sets=[CustomLLMEmojiSet()]))
setup_telemetry(config)

log = get_logger("llm")
log.info("local_inference_completed", model="llama-3-8b")
log.info("fine_tune_completed", model="gpt-4o-mini", epochs=3)
log.info("embedding_completed", model="text-embedding-3-small", vectors=128)
log.info("model_loaded", model="gpt-4")  # falls back to the built-in set: 🤖
