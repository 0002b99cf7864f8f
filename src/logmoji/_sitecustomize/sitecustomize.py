"""Start-up code for programs run by ``logmoji run``: set up logmoji, auto-instrument the SDKs.

``logmoji run`` puts this folder first on ``PYTHONPATH``; Python imports
this module at start-up. It then hands over to any other ``sitecustomize``
the environment had, and never stops the program from starting.
"""

import importlib
import os
import sys


def _start() -> None:
    try:
        import logmoji
        from logmoji.llm.instrumentation import auto
    except ImportError:  # another interpreter, without logmoji: say so once, run anyway
        sys.stderr.write(
            f"logmoji run: LLM calls of this process are not logged: {sys.executable} "
            "has no logmoji; run the program with "
            f"{os.environ.get('LOGMOJI_RUN_PYTHON', 'the python logmoji is installed in')}\n"
        )
        return
    try:
        logmoji.setup_telemetry()
        auto.enable()
    except Exception as exc:  # the user's program must start whatever happens here
        sys.stderr.write(f"logmoji run: LLM calls of this process are not logged: {exc}\n")


def _chain() -> None:
    """Import the next sitecustomize on the path, as if this one were not there."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = list(sys.path)
    this = sys.modules.pop("sitecustomize", None)
    try:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
        importlib.import_module("sitecustomize")
    except ImportError:
        pass
    finally:
        sys.path[:] = saved
        if this is not None:
            sys.modules["sitecustomize"] = this


if os.environ.get("LOGMOJI_RUN") == "1":
    _start()
_chain()
