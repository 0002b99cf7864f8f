"""Auto-instrumentation: instrument the SDKs and agent frameworks as soon as a program imports them.

:func:`enable` installs a post-import hook: when ``openai``, ``anthropic``,
``google.genai`` or ``litellm`` is imported (now or later),
:func:`~logmoji.llm.instrument_openai` / :func:`~logmoji.llm.instrument_anthropic` /
:func:`~logmoji.llm.instrument_google` / :func:`~logmoji.llm.instrument_litellm`
run, so every client the program creates, and every LiteLLM call, is
instrumented (a LiteLLM call once: see :mod:`.providers._litellm_hook`); when an agent
framework is (``agents``, the OpenAI Agents SDK; ``langchain_core``), its
:mod:`logmoji.llm.frameworks` module reports its runs and tools. The hook
matches full module names, so ``google.genai`` is caught when its own module
runs, not when another ``google`` package is imported. Programs that import
none of them pay nothing.
``logmoji run`` uses it; call it yourself at start-up for the same effect.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any, ClassVar

__all__ = ["disable", "enable"]

_SDKS = ("openai", "anthropic", "google.genai", "litellm")
_FUNCTIONS = {
    "openai": "instrument_openai",
    "anthropic": "instrument_anthropic",
    "google.genai": "instrument_google",
    "litellm": "instrument_litellm",
}
# Top-level package of a framework -> its module in logmoji.llm.frameworks.
_FRAMEWORKS = {"agents": "openai_agents", "langchain_core": "langchain"}


class _State:
    lock = threading.Lock()
    finder: _Finder | None = None
    handles: ClassVar[list[Any]] = []


def _instrument(name: str) -> None:
    try:
        framework = _FRAMEWORKS.get(name)
        if framework is not None:
            if name == "agents" and not hasattr(sys.modules.get(name), "add_trace_processor"):
                return  # a package called "agents" that is not the OpenAI Agents SDK
            module = importlib.import_module(f"logmoji.llm.frameworks.{framework}")
            _State.handles.append(module.instrument())
            return
        module = importlib.import_module("logmoji.llm")
        _State.handles.append(getattr(module, _FUNCTIONS[name])())
    except Exception as exc:  # the program must run even if instrumenting fails
        from logmoji import get_logger

        get_logger("llm").warning(
            "auto_instrumentation_failed",
            sdk=name,
            error_type=type(exc).__name__,
            error_message=str(exc)[:200],
        )


class _Loader(importlib.abc.Loader):
    """Run the SDK's own loader, then instrument it."""

    def __init__(self, loader: importlib.abc.Loader, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        finder = _State.finder
        if finder is not None:
            finder.loaded(self._name)
        _instrument(self._name)


class _Finder(importlib.abc.MetaPathFinder):
    """Find the SDKs' packages with the next finders and wrap their loaders."""

    def __init__(self, names: Sequence[str]) -> None:
        self._pending = set(names)
        self._looking = threading.local()

    def loaded(self, name: str) -> None:
        """Stop watching for ``name``: it has been imported and instrumented."""
        self._pending.discard(name)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        # A name is forgotten only once its module has run: importlib.util.find_spec()
        # (which instructor calls before importing openai) looks up without loading.
        if fullname not in self._pending or getattr(self._looking, "active", False):
            return None
        self._looking.active = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None and spec.loader is not None:
                    spec.loader = _Loader(spec.loader, fullname)
                    return spec
        finally:
            self._looking.active = False
        return None


def enable(sdks: Sequence[str] = _SDKS, *, frameworks: bool = True) -> None:
    """Instrument ``sdks`` (and, with ``frameworks``, the agent frameworks) when imported.

    What is imported already is instrumented at once.
    """
    unknown = set(sdks) - set(_SDKS)
    if unknown:
        raise ValueError(f"auto-instrumentation knows {', '.join(_SDKS)}, not {sorted(unknown)}")
    with _State.lock:
        if _State.finder is not None:
            return
        waiting = []
        for name in [*sdks, *(_FRAMEWORKS if frameworks else ())]:
            if name in sys.modules:
                _instrument(name)
            else:
                waiting.append(name)
        _State.finder = _Finder(waiting)
        sys.meta_path.insert(0, _State.finder)


def disable() -> None:
    """Remove the import hook and undo every instrumentation it made."""
    with _State.lock:
        if _State.finder is not None:
            if _State.finder in sys.meta_path:
                sys.meta_path.remove(_State.finder)
            _State.finder = None
        for handle in _State.handles:
            handle.uninstrument()
        _State.handles.clear()
