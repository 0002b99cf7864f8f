"""The spec's "Best Practices": log levels, sensitive data, structured context.

Run: ``LOGMOJI_LEVEL=debug python examples/best_practices.py``
"""

from logmoji import get_logger

llm_log = get_logger("llm")

# 1. Log levels for LLM operations
# DEBUG: token counts, cache operations, detailed request info
llm_log.debug("token_count", prompt_tokens=150, model="gpt-4")
# INFO: request completion, model loading, performance metrics
llm_log.info("inference_completed", model="gpt-4", duration_ms=1200)
# WARNING: high costs, slow responses, rate limit warnings
llm_log.warning("high_cost_request", cost_usd=5.50, threshold_usd=1.00)
# ERROR: failed requests, model errors, timeout issues
llm_log.error("model_timeout", model="gpt-4", timeout_seconds=30)

# 2. Sensitive data: log metadata, not content
prompt = "Summarize my medical record: ..."
response = "Here is a summary: ..."
llm_log.info(
    "request_completed",
    model="gpt-4",
    prompt_length=len(prompt),
    response_length=len(response),
)
# Secrets that slip into a log call anyway are masked on output:
llm_log.info("client_configured", api_key="sk-proj-" + "x" * 48, base_url="https://api.openai.com")

# 3. Structured context: consistent field names
llm_log.info(
    "model_inference_completed",
    model="gpt-4",
    prompt_tokens=150,
    completion_tokens=75,
    total_tokens=225,
    duration_ms=1250,
    cost_usd=0.0135,
)
