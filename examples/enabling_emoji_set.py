"""The spec's "Enabling LLM Emoji Set" configuration, then a few events.

``LOGMOJI_FORMAT=json python examples/enabling_emoji_set.py`` prints the same
events as JSON lines: fields left out of the config come from the environment.
"""

from logmoji import get_logger
from logmoji.logger.config import LoggingConfig, TelemetryConfig
from logmoji.setup import setup_telemetry

config = TelemetryConfig(
    logging=LoggingConfig(
        default_level="INFO",
        das_emoji_prefix_enabled=True,
        enabled_emoji_sets=["llm"],
    )
)
setup_telemetry(config)

log = get_logger("llm")
log.info("model_loaded", model="gpt-4")
log.info("stream_started", model="gpt-4")
log.warning("high_cost_request", cost_usd=5.50, threshold_usd=1.00)
