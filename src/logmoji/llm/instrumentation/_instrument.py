"""Instrument an OpenAI, Anthropic or Google Gen AI client with one call, and undo it with one more.

:func:`instrument` wraps a single client instance (``openai.OpenAI``,
``openai.AsyncOpenAI``, ``anthropic.Anthropic``, ``anthropic.AsyncAnthropic``,
``google.genai.Client`` or a subclass); :func:`instrument_openai` /
:func:`instrument_anthropic` / :func:`instrument_google` instrument every
client of that SDK created afterwards. Both return an
:class:`Instrumentation` whose :meth:`~Instrumentation.uninstrument` restores
exactly what was there before.

How the hook works: only instance attributes of that one client are replaced:
its ``request`` method, through which every model request passes whatever
method, namespace or wrapper sent it, and its ``_process_response`` and
``_sleep_for_retry``; see :mod:`logmoji.llm.instrumentation._hooks` and
``docs/instrumentation.md``. A ``google.genai.Client`` is hooked on its
``_api_client`` instead (:mod:`logmoji.llm.instrumentation.providers.google`), which ``client.aio``
shares. That was chosen over the transport's
``event_hooks`` (shared when the user passes one ``http_client`` to several
clients, and blind to which call a response belongs to) and over patching SDK
classes (global). The caller gets
the SDK's own return value or exception object; streams are watched in place
(:mod:`logmoji.llm.instrumentation.streams`). Copies made with ``client.with_options()`` /
``client.copy()`` are instrumented too and undone with their parent.

Instrumenting an already instrumented client with equal options returns the
existing handle; with different options it raises :class:`ValueError`.

Neither SDK is imported until a function here needs it.
"""

from __future__ import annotations

import importlib
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from logmoji import get_logger
from logmoji.llm._record import CallObserver
from logmoji.llm.instrumentation._patches import Patches
from logmoji.llm.instrumentation._runtime import Runtime, Settings
from logmoji.llm.instrumentation._servers import Server, describe_server, describe_url
from logmoji.llm.instrumentation._settings import instrument_settings
from logmoji.llm.instrumentation.providers import anthropic as _anthropic
from logmoji.llm.instrumentation.providers import google as _google
from logmoji.llm.instrumentation.providers import openai as _openai

__all__ = [
    "Instrumentation",
    "instrument",
    "instrument_anthropic",
    "instrument_google",
    "instrument_openai",
]

_HANDLE = "_logmoji_instrumentation"
_CLIENTS = {
    ("openai", "OpenAI"): (_openai, False),
    ("openai", "AsyncOpenAI"): (_openai, True),
    ("anthropic", "Anthropic"): (_anthropic, False),
    ("anthropic", "AsyncAnthropic"): (_anthropic, True),
    # One client for both: its ``aio`` shares the ``_api_client`` that is hooked.
    ("google.genai", "Client"): (_google, False),
}
_EXTRAS = {"openai": "openai", "anthropic": "anthropic", "google.genai": "google"}
_AUTO: dict[str, Instrumentation] = {}
_AUTO_LOCK = threading.Lock()


class Instrumentation:
    """Undo what :func:`instrument` or ``instrument_<sdk>()`` did; also a context manager."""

    def __init__(self, provider: str, settings: Settings, client: object | None) -> None:
        self.provider = provider
        self.settings = settings
        self._client = client
        self._patches = Patches()
        self._children: weakref.WeakSet[Any] = weakref.WeakSet()
        self._active = True
        self._runtime: Runtime | None = None

    def _report(self, where: str, exc: Exception) -> None:
        """Warn once that instrumenting a new client failed."""
        if self._runtime is None:
            logger = _logger(self.provider, self.settings)
            self._runtime = Runtime(self.provider, self.settings, logger, "")
        self._runtime.internal_error(where, exc)

    @property
    def active(self) -> bool:
        """Return whether the instrumentation is still in place."""
        return self._active

    @property
    def client(self) -> object | None:
        """Return the instrumented client, or ``None`` for ``instrument_<sdk>()``."""
        return self._client

    def uninstrument(self) -> None:
        """Restore the client (or the SDK's classes) and any copies; idempotent."""
        if not self._active:
            return
        self._active = False
        for child in list(self._children):
            handle = vars(child).get(_HANDLE)
            if isinstance(handle, Instrumentation):
                handle.uninstrument()
        self._patches.undo()
        if self._client is None:
            with _AUTO_LOCK:
                if _AUTO.get(self.provider) is self:
                    del _AUTO[self.provider]

    def __enter__(self) -> Instrumentation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.uninstrument()

    def __repr__(self) -> str:
        target = type(self._client).__name__ if self._client is not None else "all clients"
        state = "active" if self._active else "undone"
        return f"<Instrumentation {self.provider} {target} {state}>"


def _kind(client: object) -> tuple[ModuleType, bool] | None:
    for cls in type(client).__mro__:
        package = cls.__module__.split(".")
        for depth in (1, 2):  # "openai", or "google.genai" (other google packages have a Client)
            found = _CLIENTS.get((".".join(package[:depth]), cls.__name__))
            if found is not None:
                return found
    return None


def _logger(provider: str, settings: Settings) -> Any:
    if settings.logger is not None:
        return settings.logger
    return get_logger(f"llm.{provider}")


def _instrument(client: Any, settings: Settings) -> Instrumentation:
    kind = _kind(client)
    if kind is None:
        raise ValueError(
            f"cannot instrument {type(client).__name__}: pass an openai.OpenAI, "
            "openai.AsyncOpenAI, anthropic.Anthropic, anthropic.AsyncAnthropic or "
            "google.genai.Client instance (the Client covers its .aio)"
        )
    module, is_async = kind
    existing = vars(client).get(_HANDLE)
    if isinstance(existing, Instrumentation) and existing.active:
        if existing.settings == settings:
            return existing
        raise ValueError(
            f"this {type(client).__name__} is already instrumented with other options; "
            "call .uninstrument() on its handle first"
        )
    sdk: str = module.PROVIDER
    base_url_of = getattr(module, "base_url_of", None)
    server = (
        describe_server(client, sdk)
        if base_url_of is None
        else describe_url(base_url_of(client), sdk)
    )
    provider_of = getattr(module, "provider_of", None)
    if provider_of is not None:  # the adapter knows better than the base URL (Vertex AI)
        server = Server(provider_of(client), server.address, server.port)
    handle = Instrumentation(sdk, settings, client)
    patches = handle._patches
    rt = Runtime(
        server.provider,
        settings,
        _logger(sdk, settings),
        module.REQUEST_ID_HEADER,
        (server.address, server.port),
    )
    handle._runtime = rt
    try:
        module.install(patches, client, rt, is_async=is_async)
        _hook_copies(patches, client, handle)
        patches.set(client, _HANDLE, handle)
    except BaseException:
        patches.undo()
        raise
    return handle


def _hook_copies(patches: Patches, client: Any, handle: Instrumentation) -> None:
    """Instrument the clients that ``copy()``/``with_options()`` return, with the same options."""
    for name in ("copy", "with_options"):
        original = getattr(client, name, None)
        if original is None:  # google-genai's Client makes no copies
            continue

        def copy(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            new = _original(*args, **kwargs)
            if handle.active:
                try:
                    _instrument(new, handle.settings)
                    handle._children.add(new)
                except Exception as exc:  # the copy works uninstrumented; say why once
                    handle._report("copy", exc)
            return new

        copy.__doc__ = original.__doc__
        patches.set(client, name, copy)


def instrument(
    client: Any,
    *,
    logger: Any = None,
    capture_content: bool | None = None,
    max_content_chars: int | None = None,
    observers: Sequence[CallObserver] | None = None,
    progress_every: int = 50,
    rate_limit_warning_ratio: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
) -> Instrumentation:
    """Log every covered call of one OpenAI, Anthropic or Google Gen AI client.

    Args:
        client: An ``openai.OpenAI``/``AsyncOpenAI``, ``anthropic.Anthropic``/
            ``AsyncAnthropic`` or ``google.genai.Client`` instance (or
            subclass); a ``genai.Client`` is covered with its ``.aio``.
        logger: The logger to use; default ``get_logger("llm.<provider>")``
            (``llm.openai``, ``llm.anthropic``, ``llm.gcp.gemini``...).
        capture_content: Log prompt and response text (fields ``prompt`` and
            ``response``). Off by default (``TelemetryConfig.llm`` /
            ``LOGMOJI_CAPTURE_CONTENT``): only sizes and counts are logged.
        max_content_chars: Longest captured text before it is cut with a marker.
        observers: Called with a :class:`~logmoji.llm._record.CallRecord` after
            each call; their returned fields join the completed event. By
            default the process-wide cost tracker (which adds ``cost_usd``)
            and performance monitor, as ``TelemetryConfig.llm`` sets them.
        progress_every: Log ``stream_progress`` (debug) every this many streamed tokens.
        rate_limit_warning_ratio: Log ``rate_limit_status`` as a warning when
            less than this fraction of any rate limit remains.
        clock: Monotonic clock in seconds, for durations.

    Returns:
        The handle; ``handle.uninstrument()`` restores the client.

    Raises:
        ValueError: For a client that is not one of the SDK clients above, for
            bad options, or for a client already instrumented with other options.
    """
    settings = instrument_settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        observers=observers,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        clock=clock,
    )
    return _instrument(client, settings)


def _import_sdk(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"logmoji's {name} integration needs the {name} SDK: "
            f"pip install 'logmoji[{_EXTRAS[name]}]'"
        ) from exc


def _instrument_all(sdk: str, class_names: tuple[str, ...], settings: Settings) -> Instrumentation:
    module = _import_sdk(sdk)
    with _AUTO_LOCK:
        existing = _AUTO.get(sdk)
        if existing is not None:
            if existing.settings == settings:
                return existing
            raise ValueError(
                f"instrument_{_EXTRAS[sdk]}() is already active with other options; "
                "call .uninstrument() on its handle first"
            )
        handle = Instrumentation(sdk, settings, None)
        for class_name in class_names:
            cls = getattr(module, class_name)
            _patch_init(handle, cls)
        _AUTO[sdk] = handle
    return handle


def _patch_init(handle: Instrumentation, cls: type) -> None:
    original = vars(cls).get("__init__") or getattr(cls, "__init__")  # noqa: B009 - mypy: unsound otherwise

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if handle.active:
            try:
                _instrument(self, handle.settings)
                handle._children.add(self)
            except Exception as exc:  # the client works uninstrumented; say why once
                handle._report("auto_instrument", exc)

    __init__.__doc__ = original.__doc__
    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    handle._patches.set(cls, "__init__", __init__)


def instrument_openai(
    *,
    logger: Any = None,
    capture_content: bool | None = None,
    max_content_chars: int | None = None,
    observers: Sequence[CallObserver] | None = None,
    progress_every: int = 50,
    rate_limit_warning_ratio: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
) -> Instrumentation:
    """Instrument every ``openai.OpenAI``/``AsyncOpenAI`` created from now on.

    Takes the options of :func:`instrument`. The handle's ``uninstrument()``
    restores the classes and every client instrumented through them.

    Raises:
        ImportError: If the ``openai`` package is missing (``pip install 'logmoji[openai]'``).
        ValueError: If it is already active with other options.
    """
    settings = instrument_settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        observers=observers,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        clock=clock,
    )
    return _instrument_all("openai", ("OpenAI", "AsyncOpenAI"), settings)


def instrument_google(
    *,
    logger: Any = None,
    capture_content: bool | None = None,
    max_content_chars: int | None = None,
    observers: Sequence[CallObserver] | None = None,
    progress_every: int = 50,
    rate_limit_warning_ratio: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
) -> Instrumentation:
    """Instrument every ``google.genai.Client`` (and so its ``.aio``) created from now on.

    Takes the options of :func:`instrument`; see :func:`instrument_openai`.

    Raises:
        ImportError: If the ``google-genai`` package is missing
            (``pip install 'logmoji[google]'``).
        ValueError: If it is already active with other options.
    """
    settings = instrument_settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        observers=observers,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        clock=clock,
    )
    return _instrument_all("google.genai", ("Client",), settings)


def instrument_anthropic(
    *,
    logger: Any = None,
    capture_content: bool | None = None,
    max_content_chars: int | None = None,
    observers: Sequence[CallObserver] | None = None,
    progress_every: int = 50,
    rate_limit_warning_ratio: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
) -> Instrumentation:
    """Instrument every ``anthropic.Anthropic``/``AsyncAnthropic`` created from now on.

    Takes the options of :func:`instrument`; see :func:`instrument_openai`.

    Raises:
        ImportError: If the ``anthropic`` package is missing
            (``pip install 'logmoji[anthropic]'``).
        ValueError: If it is already active with other options.
    """
    settings = instrument_settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        observers=observers,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        clock=clock,
    )
    return _instrument_all("anthropic", ("Anthropic", "AsyncAnthropic"), settings)
