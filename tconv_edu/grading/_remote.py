"""The judge's side of a learner's kernel: start it with limits, run cells with time limits, call functions.

A ``Kernel`` runs in a folder of its own. ``define(cells)`` executes the learner's cells (a cell past its time
limit is interrupted, a cell that kills the kernel is left out after a restart); ``call(function, args)`` runs
one call and returns a ``Call`` record rebuilt from plain data; ``restart()`` starts afresh and defines again.
One module: the kernel's limits, its messages and its restarts are one object's life cycle.
"""
from __future__ import annotations

import builtins
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import _serve
from ._student import Call

_FORM_MODULES = ("gemm", "scatter", "direct", "matrix", "subpixel", "gpu", "tf_style", "frameworks", "porting", "steps",
                 "learn")


def forbidden_code():
    """(files, "file:function" names) whose code a learner's function may not run where the library is ruled out:
    the transposed-convolution forms, the package's dispatcher and the argument check every form starts with."""
    import tconv_edu
    from tconv_edu import shapes
    pkg = Path(tconv_edu.__file__).parent
    files = [pkg / f"{m}.py" for m in _FORM_MODULES if (pkg / f"{m}.py").exists()]
    paths = sorted({str(p) for p in files} | {os.path.realpath(p) for p in files})
    functions = [f"{tconv_edu.__file__}:conv_transpose2d", f"{shapes.__file__}:transpose_spec"]
    functions += [f"{os.path.realpath(f.rsplit(':', 1)[0])}:{f.rsplit(':', 1)[1]}" for f in functions]
    return paths, functions


class KernelGone(Exception):
    """The kernel died or stopped answering (the message says which)."""


class Kernel:
    """One learner kernel in its own temporary folder."""

    def __init__(self, *, memory_mb: int, unreadable=(), no_library: bool = False, start_timeout: float = 120):
        self.memory_mb, self.unreadable, self.no_library = memory_mb, list(unreadable), no_library
        self.start_timeout = start_timeout
        self.root = Path(tempfile.mkdtemp(prefix="tconv_edu-judge-"))
        self.trip_code = secrets.choice(range(64, 113)) if no_library else 0
        self.km = self.kc = None
        self.cells: list[str] = []
        self.skipped: dict[int, str] = {}     # definition cells left out, and why
        self.errors: dict[int, str] = {}      # definition cells that raised
        self.calls = 0

    # ----------------------------------------------------------------------------------------- life cycle
    def start(self):
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        self.work = self.root / f"work{secrets.token_hex(4)}"
        self.work.mkdir()
        (self.work / "home").mkdir()
        self.arm_token = secrets.token_hex(16)
        self.phase_file = self.root / "spec" / f"grading-{secrets.token_hex(8)}"
        self.phase_file.unlink(missing_ok=True)
        files, functions = forbidden_code() if self.no_library else ((), ())
        config = {"memory_mb": self.memory_mb, "writable": [str(self.work)],
                  "unreadable": [str(p) for p in self.unreadable] + [str(self.root / "spec")],
                  "arm_token": self.arm_token, "phase_file": str(self.phase_file) if self.no_library else "",
                  "trip_code": self.trip_code,
                  "forbidden_files": list(files), "forbidden_code": list(functions)}
        spec_dir = self.root / "spec" / "tconv-judge"
        spec_dir.mkdir(parents=True, exist_ok=True)
        config_file = self.root / "spec" / f"config-{secrets.token_hex(4)}.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "tconv_edu.grading._kernel", str(config_file), "-f", "{connection_file}"],
            "display_name": "tconv_edu judge", "language": "python"}), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTERHUB_", "TCONV_EDU_JUDGE"))}
        home = str(self.work / "home")
        env.update(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"), MPLCONFIGDIR=os.path.join(home, ".mpl"),
                   TMPDIR=home, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1",
                   TCONV_EDU_THREADS="1")     # no library thread pool outlives a learner's cell (see _kernel)
        self.km = KernelManager(kernel_name="tconv-judge",
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self.root / "spec")]))
        self.km.start_kernel(cwd=str(self.work), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=self.start_timeout)
        except RuntimeError as err:
            raise KernelGone(f"the kernel did not start: {err}") from None
        # the first cell arms the kernel's guards; it runs before any learner code
        status = self._execute(f"import tconv_edu.grading._serve  # {self.arm_token}", self.start_timeout)
        if status[0] != "ok":
            raise KernelGone(f"the kernel did not start: {status[1]}")

    def stop(self):
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.km = self.kc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def restart(self):
        self.stop()
        self.start()
        self._replay()

    def exit_code(self):
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return None if proc is None else proc.poll()

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    # ----------------------------------------------------------------------------------------- execution
    def _execute(self, code: str, timeout: float):
        """("ok" | "error" | "timeout" | "dead", detail) for one cell, waiting at most ``timeout`` seconds."""
        # stop_on_error=False: after a learner's cell fails, ipykernel would otherwise abort the requests that
        # reach it while it recovers (under load, the next cell), and that cell's functions would go undefined
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", f"ran longer than {timeout:g} s"
            try:
                reply = self.kc.get_shell_msg(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.km.is_alive():
                    return "dead", self._death()
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content.get("status") == "ok":
                return "ok", ""
            if content.get("status") == "aborted":
                return "error", "the kernel aborted the cell (it was still recovering from an earlier error)"
            return "error", f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".rstrip(": ")

    def _drain(self):
        try:
            while True:
                self.kc.get_iopub_msg(timeout=0)
        except queue.Empty:
            pass

    def _death(self) -> str:
        code = self.exit_code()
        if self.no_library and code == self.trip_code:
            return "library"
        if self.no_library and code == self.trip_code + 1:
            return ("your code switched off the grader's watch for calls into the library (sys.setprofile, "
                    "threading.setprofile or a thread started past threading)")
        return "the kernel died" + (f" (exit status {code})" if code is not None else "") + \
            " (os._exit, sys.exit from a thread, running out of memory, or a crash in compiled code)"

    def interrupt_or_kill(self, grace: float = 3.0):
        """After a time limit: interrupt; if the kernel does not answer within ``grace`` seconds, kill it."""
        try:
            self.km.interrupt_kernel()
        except Exception:  # noqa: BLE001
            pass
        status = self._execute("pass", grace) if self.km.is_alive() else ("dead", "")
        if status[0] != "ok":
            self.stop()

    def define(self, cells: list[str], cell_timeout: float):
        """Run the learner's cells once, in order (the kernel restarts past a cell that kills it or hangs)."""
        self.cells, self.cell_timeout = list(cells), cell_timeout
        self._replay()

    def _replay(self):
        """Run the learner's cells, then start the grading phase (the library-free tripwire is live from then on)."""
        for i, source in enumerate(self.cells):
            if i in self.skipped:
                continue
            status, detail = self._execute(source, self.cell_timeout)
            if status == "error":
                self.errors[i] = detail
            elif status in ("timeout", "dead"):
                self.skipped[i] = detail if status == "timeout" else (
                    "it ended the kernel (a forbidden call, os._exit or a crash)" if detail == "library" else detail)
                if status == "timeout":
                    self.interrupt_or_kill()
                if not self.alive():
                    self.stop()
                    self.start()
                    return self._replay()
        if self.no_library:
            self.phase_file.touch()

    def call(self, function: str, args: dict, timeout: float) -> Call:
        """One call of the learner's ``function`` on ``args``; a Call record of plain data, rebuilt here."""
        if not self.alive():
            self.restart()
        self.calls += 1
        prefix = str(self.work / f"call{self.calls}")
        _serve.dump_args(prefix, args)
        code = f"__import__('tconv_edu.grading._serve', fromlist=['serve']).serve(globals(), {function!r}, {prefix!r})"
        start = time.perf_counter()
        status, detail = self._execute(code, timeout)
        rec = Call(seconds=time.perf_counter() - start)
        if status == "timeout":
            rec.timed_out = True
            self.interrupt_or_kill()
            return rec
        if status == "dead":
            rec.stopped = "library" if detail == "library" else detail
            self.stop()
            return rec
        try:
            answer = json.loads(Path(prefix + ".out.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rec.stopped = f"no answer came back from the kernel ({detail or 'the call cell wrote nothing'})"
            return rec
        return _rebuild(answer, args, rec, prefix)


class Opaque:
    """A value the learner's function returned that is not plain data: only its type name and text come back."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return self.text


MAX_ARRAY_BYTES = 256 * 2 ** 20


def _value(d: dict, path: str):
    """The value described by ``d``; an array is read from ``path`` (where the judge expects it, whatever ``d`` says)."""
    kind = d.get("kind")
    if kind == "array":
        if os.path.getsize(path) > MAX_ARRAY_BYTES:
            raise ValueError(f"the array your function returned is larger than {MAX_ARRAY_BYTES // 2 ** 20} MB")
        return np.load(path, allow_pickle=False)
    if kind == "none":
        return None
    if kind in ("bool", "int", "float"):
        py = {"bool": bool, "int": int, "float": float}[kind]
        np_type = {"bool": np.bool_, "int": np.int64, "float": np.float64}[kind]
        return (np_type if d.get("numpy") else py)(d["value"])
    if kind in ("list", "tuple"):
        return (list if kind == "list" else tuple)(d["value"])
    return Opaque(str(d.get("type", "object")), str(d.get("text", "")))


def _exception(info: dict) -> BaseException:
    """An exception of the learner's class name whose base is the most derived builtin exception it had."""
    base = Exception
    for name in info.get("bases", []):
        cls = getattr(builtins, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            base = cls
            break
    try:
        cls = type(str(info.get("type", "Exception")), (base,), {"__module__": "learner"})
        return cls(str(info.get("message", "")))
    except TypeError:    # a builtin base that refuses subclassing or these arguments
        return base(str(info.get("message", "")))


def _rebuild(answer: dict, args: dict, rec: Call, prefix: str) -> Call:
    if "missing" in answer:
        rec.stopped = f"missing: {answer['function']} is {answer['missing']}"
        return rec
    if answer.get("interrupted"):
        rec.timed_out = True
        return rec
    rec.seconds = float(answer.get("seconds", rec.seconds))
    rec.output = str(answer.get("output", ""))
    try:
        if "error" in answer:
            rec.error = _exception(answer["error"])
            rec.where = str(answer["error"].get("where", ""))
        else:
            rec.value = _value(answer.get("value", {}), prefix + ".value.npy")
        after = answer.get("after", {})
        for name, sent in args.items():
            if isinstance(sent, np.ndarray):
                back = _value(after.get(name, {}), f"{prefix}.after.{name}.npy")
                if not (isinstance(back, np.ndarray) and back.shape == sent.shape and
                        np.array_equal(back, sent, equal_nan=True)):
                    rec.mutated.append(name)
    except (OSError, ValueError, KeyError, TypeError) as err:
        rec.stopped = f"the kernel's answer could not be read ({type(err).__name__}: {err})"
    return rec
