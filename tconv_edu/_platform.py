"""What this Python can do: a browser's Python (Pyodide, as in JupyterLite) starts no threads and no processes.

Under Pyodide ``sys.platform`` is ``"emscripten"``, ``threading.Thread.start`` raises ``RuntimeError`` ("can't start
new thread"), ``subprocess`` raises ``OSError`` and ``os.cpu_count()`` is 1. The library asks here instead of
finding out by a crash. Imports nothing of ours.

>>> in_browser()
False
>>> can_start_threads()
True
"""
from __future__ import annotations

import sys
import threading

__all__ = ["in_browser", "can_start_threads", "tell_once"]


def in_browser() -> bool:
    """True under Pyodide (JupyterLite's kernel), where there are no threads and no subprocesses."""
    return sys.platform == "emscripten"


def can_start_threads() -> bool:
    """Whether a thread starts here: False in the browser, else tried once with a thread that does nothing."""
    if in_browser():
        return False
    probe = threading.Thread(target=lambda: None, name="tconv_edu-probe", daemon=True)
    try:
        probe.start()
    except RuntimeError:        # "can't start new thread"
        return False
    probe.join()
    return True


_told: set[str] = set()


def tell_once(text: str) -> None:
    """Show ``text`` once per session, even while ``sys.stdout`` is redirected: through IPython's display in a
    kernel (JupyterLab, JupyterLite), else on the process's own stderr."""
    if text in _told:
        return
    _told.add(text)
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        shell.display_pub.publish({"text/plain": text})
    else:
        print(text, file=sys.__stderr__)
