"""Call a learner's function safely: copies of the inputs, a time limit, output captured, nothing escapes.

Whatever the function does (raise, loop forever, print, change its arguments), ``call`` returns a ``Call`` record
and the kernel stays usable. The time limit uses ``SIGALRM`` in the main thread (where notebook cells run), so a
pure-Python loop is stopped where it is; elsewhere (another thread, or no SIGALRM) the function runs in a helper
thread, and a runaway one is stopped by an asynchronous exception at its next bytecode.
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import io
import os
import signal
import sysconfig
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np


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
    os.path.dirname(os.path.dirname(__file__)), sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"]))


def _is_library(filename: str) -> bool:
    return os.path.normcase(os.path.abspath(filename)).startswith(_LIBRARY_DIRS)


# --------------------------------------------------------------------------------------------------- time limits

def _with_limit(fn, args, seconds):
    if seconds is None:
        return fn(*args)
    if seconds <= 0:
        raise TimeLimit()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(fn, args, seconds)
    return _with_thread(fn, args, seconds)


def _with_alarm(fn, args, seconds):
    armed = [True]

    def on_alarm(signum, frame):
        if armed[0]:
            # fire again soon, in case the function swallows this one with a bare ``except:``
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            raise TimeLimit()

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()

    def disarm():
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:   # someone else's timer (pytest-timeout, say) was running: give it back what is left
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, old_delay - (time.monotonic() - start)), old_interval)

    try:
        try:
            return fn(*args)
        finally:
            disarm()
    except TimeLimit:
        disarm()   # a last alarm may have pre-empted the first disarm
        raise


def _with_thread(fn, args, seconds):
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as err:  # noqa: BLE001
            box["error"] = err

    worker = threading.Thread(target=run, name="tconv_edu-grading", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        # stop the runaway thread at its next bytecode (a long C call finishes first); keep trying a while
        for _ in range(20):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(TimeLimit))
            worker.join(0.05)
            if not worker.is_alive():
                break
        raise TimeLimit()
    if "error" in box:
        raise box["error"]
    return box["value"]
