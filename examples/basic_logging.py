"""The spec's "Basic LLM Logging" example, working as written (with ``logmoji`` for the package).

Run: ``python examples/basic_logging.py``
"""

from logmoji import get_logger

# Create LLM-specific logger
llm_log = get_logger("llm")

# Model operations
llm_log.info("model_loaded", model="gpt-4", version="0613")
llm_log.debug("inference_started", prompt_tokens=150, model="gpt-4")  # below INFO: not shown
llm_log.info(
    "inference_completed",
    model="gpt-4",
    prompt_tokens=150,
    completion_tokens=75,
    duration_ms=1250,
)

# Error handling
llm_log.error(
    "inference_failed",
    model="gpt-4",
    error="rate_limit_exceeded",
    retry_after=60,
)
