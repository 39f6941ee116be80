"""Call a learner's function safely: copies of the inputs, a time limit, output captured, nothing escapes.

Whatever the function does (raise, loop forever, print, change its arguments), ``call`` returns a ``Call`` record
and the kernel stays usable. The function runs in a helper thread that the caller
waits for at most the time limit, so control always comes back (a ``SIGALRM`` in the main thread could be swallowed
by a learner's bare ``except:``); a runaway thread is then stopped by an asynchronous exception at its next bytecode.
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import io
import os
import sysconfig
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from ... import _platform


class TimeLimit(BaseException):
    """Raised inside a learner's function when its time is up (a BaseException, so ``except Exception`` lets it by)."""


@dataclass
class Call:
    """What happened when the learner's function ran on one case."""
    value: object = None
    error: BaseException | None = None      # the exception the function raised (None when it returned)
    where: str = ""                          # "file, line N, in f: code" of the innermost learner frame
    timed_out: bool = False
    mutated: list = field(default_factory=list)   # names of arguments the function changed in place
    output: str = ""                         # what it printed (stdout and stderr)
    seconds: float = 0.0
    stopped: str = ""                        # why the check cannot go on after this call (time limit, dead kernel)


def call(fn, args: dict, time_limit: float | None) -> Call:
    """Run ``fn(*args.values())`` on deep copies of ``args``; never raises (except KeyboardInterrupt)."""
    copies = {name: copy.deepcopy(v) for name, v in args.items()}
    out = io.StringIO()
    rec = Call()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rec.value = _with_limit(fn, tuple(copies.values()), time_limit)
    except TimeLimit:
        rec.timed_out = True
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - learners' code may raise anything, SystemExit included
        rec.error = err
        rec.where = _innermost(err)
    rec.seconds = time.perf_counter() - start
    rec.output = out.getvalue()
    rec.mutated = [name for name in args if not _same(args[name], copies[name])]
    return rec


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and \
            bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _innermost(err: BaseException) -> str:
    """Where the learner's code failed: the innermost frame outside the library, numpy and the standard library."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if not _is_library(f.filename)]
    if not frames:
        return ""
    f = frames[-1]
    name = "your notebook cell" if "ipykernel_" in f.filename or f.filename.startswith("<") \
        else os.path.basename(f.filename)
    return f"{name}, line {f.lineno}, in {f.name}: {f.line}".rstrip(": ")


_LIBRARY_DIRS = tuple(os.path.normcase(os.path.abspath(p)) + os.sep for p in (
    os.path.join(os.path.dirname(__file__), os.pardir, os.pardir), sysconfig.get_paths()["stdlib"],
    sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]))


def _is_library(filename: str) -> bool:
    return os.path.normcase(os.path.abspath(filename)).startswith(_LIBRARY_DIRS)


# --------------------------------------------------------------------------------------------------- time limits

def _with_limit(fn, args, seconds):
    """``fn(*args)`` in a helper thread; the caller gets control back after ``seconds`` whatever ``fn`` does.

    Where no thread starts (Pyodide, in the browser) ``fn`` runs directly: nothing stops it inside the call (the
    budget is still spent between calls), and the learner is told so once.
    """
    if seconds is None:
        return fn(*args)
    if seconds <= 0:
        raise TimeLimit()
    no_limit = ("check(): this Python cannot start threads (as in JupyterLite, in the browser), so the time limit is "
                "off: a function that never returns keeps the kernel busy until you restart it (Kernel > Restart Kernel)")
    if _platform.in_browser():
        _platform.tell_once(no_limit)
        return fn(*args)
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as err:  # noqa: BLE001
            box["error"] = err

    worker = threading.Thread(target=run, name="tconv_edu-grading", daemon=True)
    try:
        worker.start()
    except RuntimeError:            # "can't start new thread"
        _platform.tell_once(no_limit)
        return fn(*args)
    try:
        worker.join(seconds)
    except KeyboardInterrupt:       # the notebook's stop button: stop the learner's function too
        _stop(worker)
        raise
    if worker.is_alive():
        _stop(worker)
        raise TimeLimit()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _stop(worker: threading.Thread, tries: int = 10) -> bool:
    """Raise TimeLimit inside ``worker`` at its next bytecode (a long C call finishes first); True once it ended.

    A function that swallows every exception (``except BaseException: pass`` in a loop) can outlive this: it then
    runs on in the background as a daemon thread, and the kernel, though busier, stays usable.
    """
    for _ in range(tries):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(TimeLimit))
        worker.join(0.05)
        if not worker.is_alive():
            return True
    return False
