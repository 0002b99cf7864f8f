"""Log every model request of the LLM SDKs: the hook point, the call's events, the providers.

:func:`instrument` hooks one client; ``instrument_<sdk>()`` every client made
afterwards; :mod:`.auto` does it when a program imports an SDK (``logmoji
run``). The parts, by module:

* ``_instrument``: :func:`instrument`, the ``instrument_<sdk>()`` functions
  and the :class:`Instrumentation` handle;
* ``_hooks``, ``_raw_response``, ``_patches``: where a Stainless client (OpenAI,
  Anthropic) is hooked (its ``request`` method), how a raw response ends, and
  how every change is undone;
* ``_call``, ``_operation``, ``streams``, ``_runtime``, ``_settings``: one
  call's events, what an operation reads from a request and a response, how a
  stream is watched, what a set-up shares;
* ``errors``, ``ratelimits``, ``_servers``, ``_content``: error categories,
  rate-limit headers, the provider behind a base URL, captured content;
* ``providers``: one adapter per SDK (``openai``, ``anthropic``, ``google``,
  ``litellm``).

``docs/instrumentation.md`` explains the hook; ``docs/providers.md`` how to add
a provider. Importing this package loads no SDK.
"""

from logmoji.llm.instrumentation._instrument import (
    Instrumentation,
    instrument,
    instrument_anthropic,
    instrument_google,
    instrument_openai,
)

__all__ = [
    "Instrumentation",
    "instrument",
    "instrument_anthropic",
    "instrument_google",
    "instrument_openai",
]
