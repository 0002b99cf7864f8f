"""One module per provider SDK, each answering the same few questions.

An SDK adapter module (``openai``, ``anthropic``, ``google``) is a
:class:`ProviderAdapter`: it names its provider and request-id header, and
``install()`` hooks the one point of a client that every model request passes
through, routing each request to an :class:`~logmoji.llm.instrumentation._operation.Operation`
(what the request asks, what the response and its stream report). Everything
else (events, costs, monitoring, spans, the report) is shared.
``docs/providers.md`` says how to add one. ``litellm`` is not an SDK client:
it wraps LiteLLM's module functions (:func:`~logmoji.llm.instrument_litellm`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from logmoji.llm.instrumentation._patches import Patches
    from logmoji.llm.instrumentation._runtime import Runtime

__all__ = ["ProviderAdapter"]


class ProviderAdapter(Protocol):
    """What :func:`~logmoji.llm.instrument` needs of a provider module."""

    PROVIDER: str
    """The OpenTelemetry GenAI provider name (``openai``, ``anthropic``, ``gcp.gemini``)."""

    REQUEST_ID_HEADER: str
    """The response header that carries the provider's request id."""

    def install(self, patches: Patches, client: Any, rt: Runtime, *, is_async: bool) -> None:
        """Hook ``client`` so that each of its model requests is logged through ``rt``."""
        ...
