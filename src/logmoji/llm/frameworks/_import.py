"""Import a framework for its integration, or say which extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``; if it is missing, raise ImportError naming the pip extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"logmoji's {extra} integration needs {module.partition('.')[0]}: "
            f"pip install 'logmoji[{extra}]'"
        ) from exc
