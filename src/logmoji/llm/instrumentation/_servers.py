"""Name the provider an SDK client really talks to, from its class and base URL.

Most providers are reached through ``openai.OpenAI(base_url=...)``; the label
``openai`` would be wrong for all of them, and OpenAI's prices with it. The
provider is decided once per client, at ``instrument()`` time:

=========================================  =====================  ==================
client class or base URL host              ``provider``           prices from
=========================================  =====================  ==================
``AzureOpenAI``, ``*.openai.azure.com``,   ``azure.ai.openai``    genai-prices ``azure``
``*.cognitiveservices.azure.com``,
``*.services.ai.azure.com``
``api.openai.com``                         ``openai``             ``openai``
``api.anthropic.com``                      ``anthropic``          ``anthropic``
``api.groq.com``                           ``groq``               ``groq``
``api.deepseek.com``                       ``deepseek``           ``deepseek``
``openrouter.ai``                          ``openrouter``         ``openrouter``
``api.together.xyz``, ``api.together.ai``  ``together``           ``together``
``api.mistral.ai``                         ``mistral_ai``         ``mistral``
``api.x.ai``                               ``x_ai``               ``x-ai``
``api.perplexity.ai``                      ``perplexity``         ``perplexity``
``api.fireworks.ai``                       ``fireworks``          ``fireworks``
``api.cerebras.ai``                        ``cerebras``           ``cerebras``
``generativelanguage.googleapis.com``      ``gcp.gemini``         ``google``
(Gemini's OpenAI endpoint)
a loopback address, port 11434            ``ollama``             none (local models)
another loopback address                  the SDK's (``openai``)  the SDK's
any other host                            ``openai_compatible``  none
                                          (``anthropic_...``)
=========================================  =====================  ==================

Names follow the OpenTelemetry GenAI well-known ``gen_ai.provider.name``
values where one exists. A loopback address other than Ollama's is taken to
be a gateway or emulator of the API the SDK speaks (a LiteLLM proxy, logmoji's
own fake provider), so it keeps the SDK's name and prices; an unknown remote
host is named ``{sdk}_compatible`` and gets no price rather than an invented
one. Every call event carries ``server_address`` and ``server_port``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Server", "describe_server", "describe_url"]

_HOSTS: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "openai"),
    ("api.anthropic.com", "anthropic"),
    (".openai.azure.com", "azure.ai.openai"),
    (".cognitiveservices.azure.com", "azure.ai.openai"),
    (".services.ai.azure.com", "azure.ai.openai"),
    ("api.groq.com", "groq"),
    ("api.deepseek.com", "deepseek"),
    ("openrouter.ai", "openrouter"),
    ("api.together.xyz", "together"),
    ("api.together.ai", "together"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.x.ai", "x_ai"),
    ("api.perplexity.ai", "perplexity"),
    ("api.fireworks.ai", "fireworks"),
    ("api.cerebras.ai", "cerebras"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
)

_OLLAMA_PORT = 11434
_AZURE_CLASSES = frozenset({"AzureOpenAI", "AsyncAzureOpenAI"})


@dataclass(frozen=True, slots=True)
class Server:
    """Say which provider a client reaches, and at which address."""

    provider: str
    address: str | None = None
    port: int | None = None


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _by_host(host: str) -> str | None:
    for suffix, provider in _HOSTS:
        if host == suffix.lstrip(".") or (suffix.startswith(".") and host.endswith(suffix)):
            return provider
        if not suffix.startswith(".") and host.endswith("." + suffix):
            return provider
    return None


def describe_server(client: Any, sdk: str) -> Server:
    """Return the provider and address that ``client`` (of SDK ``sdk``) sends its requests to."""
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    port = getattr(url, "port", None)
    if port is None:
        scheme = getattr(url, "scheme", None)
        port = 443 if scheme == "https" else 80 if scheme == "http" else None
    address = host if isinstance(host, str) and host else None
    port = port if isinstance(port, int) else None
    names = {cls.__name__ for cls in type(client).__mro__}
    if names & _AZURE_CLASSES:
        return Server("azure.ai.openai", address, port)
    return _describe(address, port, sdk)


def describe_url(url: str, sdk: str) -> Server:
    """Return the provider and address of a base URL (LiteLLM's ``api_base``) speaking ``sdk``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed URL: say nothing rather than guess
        return Server(sdk)
    if port is None:
        port = 443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None
    return _describe(parts.hostname or None, port, sdk)


def _describe(address: str | None, port: int | None, sdk: str) -> Server:
    if address is None:
        return Server(sdk, None, port)
    known = _by_host(address.lower())
    if known is not None:
        return Server(known, address, port)
    if _is_loopback(address):
        return Server("ollama" if port == _OLLAMA_PORT else sdk, address, port)
    return Server(f"{sdk}_compatible", address, port)
