"""The judge's side of a learner's kernel: start it with limits, run cells with time limits, call functions.

A ``Kernel`` is one ``_kernel_side/runner.py`` process, inside a bubblewrap sandbox (``_sandbox``) or, with
``--sandbox none``, bare with the in-kernel guards only. The judge writes requests on its stdin and reads replies
from its stdout: it never opens a file the kernel wrote. Every wait has a deadline; every reply is read with a size
cap and checked against a strict schema (``_frame``, ``_rebuild``) before use. ``define(cells)`` runs the learner's
cells (a cell past its time limit, or one that ends the kernel, is left out after a restart); ``call(function,
args)`` runs one call and returns a ``Call`` record rebuilt from plain data; a notebook's deadline ends everything.
"""
from __future__ import annotations

import builtins
import json
import os
import resource
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import _sandbox
from ._kernel_side import runner
from ..learner import Call

MAX_HEADER = 256 * 2 ** 10           # bytes of one reply's JSON header
MAX_ARRAYS = 256 * 2 ** 10          # bytes of one reply's arrays: 25x the largest right answer with its inputs (10 KB),
#                                    so the judge holds at most ~5 MB for an exercise's failing cases
MAX_ARRAY_COUNT = 64
_DTYPES = {f"{o}{k}{n}" for o in "<|" for k, n in [("b", 1), ("i", 1), ("i", 2), ("i", 4), ("i", 8), ("u", 1),
                                                     ("u", 2), ("u", 4), ("u", 8), ("f", 2), ("f", 4), ("f", 8),
                                                     ("c", 8), ("c", 16)]}


def forbidden_code():
    """(files, "file:function" names) whose code a learner's function may not run where the library is ruled out
    and no sandbox hides it: the modules of the forms in ``tconv_edu.FORMS`` (the library's other functions
    compute through one of them or the argument check), the dispatcher and the argument check they start with."""
    import tconv_edu
    from tconv_edu import shapes
    files = {sys.modules[form.__module__].__file__ for form in tconv_edu.FORMS.values()}
    paths = sorted(files | {os.path.realpath(p) for p in files})
    functions = [f"{tconv_edu.__file__}:conv_transpose2d", f"{shapes.__file__}:transpose_spec"]
    functions += [f"{os.path.realpath(f.rsplit(':', 1)[0])}:{f.rsplit(':', 1)[1]}" for f in functions]
    return paths, functions


class KernelGone(Exception):
    """The kernel died or stopped answering (the message says which)."""


class OutOfTime(KernelGone):
    """The notebook's deadline passed."""


class BadReply(Exception):
    """A reply that breaks the schema (a forged or damaged answer)."""


class Kernel:
    """One learner kernel: a runner process, sandboxed or not."""

    def __init__(self, *, memory_mb: int, sandbox: bool = True, no_library: bool = False, allow=(),
                 unreadable=(), deadline: float | None = None, cpu_seconds: int = 600, start_timeout: float = 60):
        self.memory_mb, self.sandbox, self.no_library, self.allow = memory_mb, sandbox, no_library, tuple(allow)
        self.unreadable, self.cpu_seconds, self.start_timeout = list(unreadable), cpu_seconds, start_timeout
        self.deadline = deadline if deadline is not None else time.monotonic() + 10 ** 6
        self.trip_code = secrets.choice(range(64, 113)) if (no_library and not sandbox) else 0
        self.proc = None
        self.work = None
        self.cells: list[str] = []
        self.skipped: dict[int, str] = {}     # definition cells left out, and why
        self.errors: dict[int, str] = {}      # definition cells that raised
        self._buffer = b""

    # ----------------------------------------------------------------------------------------- life cycle
    def start(self):
        self._check_deadline()
        fd = None
        if self.sandbox:
            fd = _sandbox.seccomp_fd()
            argv = _sandbox.command(_sandbox.runner_argv(True), library=not self.no_library, allow=self.allow,
                                    seccomp=fd)
            env, cwd, guards, path = {"PATH": "/usr/bin:/bin"}, "/", {"writable": [_sandbox.HOME, "/tmp"]}, \
                [_sandbox.LIB]
        else:
            self.work = tempfile.mkdtemp(prefix="tconv_edu-kernel-")
            env = dict(_sandbox.env(), HOME=self.work, TMPDIR=self.work, MPLCONFIGDIR=f"{self.work}/.mpl")
            argv, cwd, path = _sandbox.runner_argv(False), self.work, []
            guards = {"writable": [self.work], "unreadable": self.unreadable}
            if self.trip_code:
                files, functions = forbidden_code()
                guards.update(trip_code=self.trip_code, forbidden_files=files, forbidden_code=functions)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True,
                                         preexec_fn=self._limits, pass_fds=() if fd is None else (fd,))
        finally:
            if fd is not None:
                os.close(fd)
        os.set_blocking(self.proc.stdout.fileno(), False)
        os.set_blocking(self.proc.stdin.fileno(), False)     # a kernel that stops reading cannot stall the judge
        self._buffer = b""
        status, reply = self._request({"op": "config", "path": path, "guards": guards, "nproc": 64},
                                      timeout=self.start_timeout)
        if status != "ok" or reply[0].get("status") != "ready":
            detail = reply if isinstance(reply, str) else "no ready reply"
            self.stop()
            raise KernelGone(f"the kernel did not start: {detail}")

    def _limits(self):
        """In the child, before bwrap or the runner starts: limits the learner's code cannot raise."""
        mb = int(self.memory_mb)
        if mb:
            resource.setrlimit(resource.RLIMIT_AS, (mb * 2 ** 20, mb * 2 ** 20))
        resource.setrlimit(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (_sandbox.SCRATCH_BYTES, _sandbox.SCRATCH_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    def stop(self):
        if self.proc is not None:
            for kill in (lambda: os.killpg(self.proc.pid, signal.SIGKILL), self.proc.kill):
                try:
                    kill()
                except OSError:
                    pass
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.proc = None

    def close(self):
        self.stop()
        if self.work:
            shutil.rmtree(self.work, ignore_errors=True)

    def restart(self):
        self.stop()
        self.start()
        self._replay()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _check_deadline(self):
        if time.monotonic() >= self.deadline:
            raise OutOfTime("the notebook ran past its deadline (--notebook-timeout): what was left is not graded")

    # ----------------------------------------------------------------------------------------- the wire
    def _send(self, header: dict, arrays, deadline: float) -> str:
        """"ok", "timeout" (the kernel stopped reading its input) or "dead"; never blocks past ``deadline``."""
        data = memoryview(runner.encode(header, arrays))
        fd = self.proc.stdin.fileno()
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            _, ready, _ = select.select([], [fd], [], min(left, 1.0))
            if not ready:
                continue
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                continue
            except OSError:
                return "dead"
        return "ok"

    def _read(self, n: int, deadline: float):
        """``n`` bytes, or "timeout" / "dead"."""
        while len(self._buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if not ready:
                continue
            try:
                chunk = os.read(self.proc.stdout.fileno(), max(65536, n - len(self._buffer)))
            except BlockingIOError:
                continue
            except OSError:
                return "dead"
            if not chunk:
                return "dead"
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _request(self, header: dict, arrays=(), *, timeout: float):
        """("ok", (reply, arrays)) | ("timeout" | "dead" | "bad", detail): one request and its reply.

        A reply whose id is not this request's (something the learner's code wrote) is dropped; a malformed one
        ends the kernel (the stream cannot be trusted past it)."""
        rid = secrets.token_hex(8)
        deadline = min(time.monotonic() + timeout, self.deadline)
        sent = self._send(dict(header, id=rid), arrays, deadline)
        if sent == "dead":
            return "dead", self._death()
        while True:
            try:
                got = "timeout" if sent == "timeout" else self._frame(deadline)
            except BadReply as err:
                self.stop()
                return "bad", str(err)
            if isinstance(got, str):
                if got == "timeout" and time.monotonic() >= self.deadline:
                    self.stop()
                    self._check_deadline()
                return got, (self._death() if got == "dead" else f"ran longer than {timeout:g} s")
            if got[0].get("id") == rid:
                return "ok", got

    def _frame(self, deadline: float):
        head = self._read(4, deadline)
        if isinstance(head, str):
            return head
        (size,) = struct.unpack(">I", head)
        if size > MAX_HEADER:
            raise BadReply(f"a reply header of {size} bytes (at most {MAX_HEADER})")
        body = self._read(size, deadline)
        if isinstance(body, str):
            return body
        try:
            header = json.loads(body.decode("utf-8"))
        except ValueError as err:
            raise BadReply(f"a reply that is not JSON ({err})") from None
        specs = header.get("arrays", []) if isinstance(header, dict) else None
        if not isinstance(specs, list) or len(specs) > MAX_ARRAY_COUNT:
            raise BadReply("a reply that is not an object with a list of at most 64 arrays")
        shapes, total = [], 0
        for spec in specs:
            dtype, shape = (spec.get("dtype"), spec.get("shape")) if isinstance(spec, dict) else (None, None)
            if dtype not in _DTYPES or not isinstance(shape, list) or len(shape) > 8 or \
                    not all(type(d) is int and 0 <= d < 2 ** 31 for d in shape):
                raise BadReply(f"an array described as {str(spec)[:100]}")
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            total += count * np.dtype(dtype).itemsize
            if total > MAX_ARRAYS:
                raise BadReply(f"arrays larger than {MAX_ARRAYS // 2 ** 10} KB in one answer")
            shapes.append((np.dtype(dtype), tuple(shape), count))
        arrays = []
        for dtype, shape, count in shapes:
            data = self._read(count * dtype.itemsize, deadline)
            if isinstance(data, str):
                return data
            arrays.append(np.frombuffer(data, dtype=dtype).reshape(shape).copy())
        return header, arrays

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=2) if self.proc is not None else None
        except subprocess.TimeoutExpired:
            code = None
        if self.trip_code and code == self.trip_code:
            return "library"
        if self.trip_code and code == self.trip_code + 1:
            return ("your code switched off the grader's watch for calls into the library (sys.setprofile, "
                    "threading.setprofile or a thread started past threading)")
        if code is not None and code < 0:
            why = {signal.SIGXCPU: "it used up its CPU time", signal.SIGKILL: "it was killed",
                   signal.SIGXFSZ: "it wrote a file over the size limit"}.get(-code, f"signal {-code}")
            return f"the kernel died ({why})"
        return "the kernel died" + (f" (exit status {code})" if code is not None else "") + \
            " (os._exit, sys.exit from a thread, running out of memory, or a crash in compiled code)"

    # ----------------------------------------------------------------------------------------- execution
    def _execute(self, source: str, number: int, timeout: float):
        """("ok" | "error" | "timeout" | "dead", detail) for one cell."""
        status, reply = self._request({"op": "cell", "source": _transform(source), "number": number},
                                      timeout=timeout)
        if status != "ok":
            if status == "timeout":
                self.stop()
            return ("dead", reply) if status == "bad" else (status, reply)
        header = reply[0]
        if header.get("status") == "ok":
            return "ok", ""
        return "error", _clean(header.get("error"), 300)

    def define(self, cells: list[str], cell_timeout: float):
        """Run the learner's cells once, in order (the kernel restarts past a cell that kills it or hangs)."""
        self.cells, self.cell_timeout = list(cells), cell_timeout
        self._replay()

    def _replay(self):
        """Run the learner's cells, then start the grading phase."""
        for i, source in enumerate(self.cells):
            if i in self.skipped:
                continue
            status, detail = self._execute(source, i + 1, self.cell_timeout)
            if status == "error":
                self.errors[i] = detail
            elif status in ("timeout", "dead"):
                self.skipped[i] = detail if status == "timeout" else (
                    "it ended the kernel (a forbidden call, os._exit or a crash)" if detail == "library" else detail)
                self.stop()
                self.start()
                return self._replay()
        status, detail = self._request({"op": "grading"}, timeout=self.cell_timeout)
        if status != "ok":
            raise KernelGone(f"the kernel stopped answering after the cells ran ({detail})")

    def call(self, function: str, args: dict, timeout: float) -> Call:
        """One call of the learner's ``function`` on ``args``; a Call record of plain data, rebuilt here."""
        if not self.alive():
            self.restart()
        spec, arrays = {}, []
        for name, v in args.items():
            if isinstance(v, np.ndarray):
                spec[name] = ("array", len(arrays))
                arrays.append(v)
            elif isinstance(v, (bool, np.bool_)):
                spec[name] = ("bool", bool(v))
            elif isinstance(v, (int, np.integer)):
                spec[name] = ("int", int(v))
            elif isinstance(v, (float, np.floating)):
                spec[name] = ("float", float(v))
            elif isinstance(v, tuple) and all(isinstance(e, (int, np.integer)) for e in v):
                spec[name] = ("tuple", [int(e) for e in v])
            else:
                raise TypeError(f"argument {name}: cannot send {type(v).__name__} to a kernel")
        start = time.perf_counter()
        status, reply = self._request({"op": "call", "function": function, "args": spec}, arrays, timeout=timeout)
        rec = Call(seconds=time.perf_counter() - start)
        if status == "timeout":
            rec.timed_out = True
            self.stop()
        elif status == "dead":
            rec.stopped = "library" if reply == "library" else reply
            self.stop()
        elif status == "bad":
            rec.stopped = f"the kernel's answer could not be read ({reply})"
        else:
            try:
                _rebuild(reply[0], reply[1], function, args, rec)
            except BadReply as err:
                rec.value = rec.error = None
                rec.stopped = f"the kernel's answer could not be read ({err})"
        return rec


def _transform(source: str) -> str:
    """IPython's syntax (magics, ``!commands``) as plain Python calls, which the runner turns into no-ops."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - leave it to the runner's compile() to report
        return source


def _clean(text, limit: int) -> str:
    """A learner's text (a message, a type name) as a plain string of at most ``limit`` characters."""
    text = text if isinstance(text, str) else ""
    return text[:limit]


class Opaque:
    """A value the learner's function returned that is not plain data: only its type name and text come back."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return self.text


def _value(d, arrays: list):
    """The value described by ``d`` (the schema of ``runner.describe``); BadReply for anything else."""
    if not isinstance(d, dict):
        raise BadReply("a value that is not an object")
    kind = d.get("kind")
    if kind == "array":
        i = d.get("index")
        if type(i) is not int or not 0 <= i < len(arrays):
            raise BadReply("an array index out of range")
        a = arrays[i]
        if d.get("scalar") is True:
            if a.ndim != 0:
                raise BadReply("a scalar with a shape")
            return a[()]
        return a
    if kind == "none":
        return None
    if kind == "bool" and type(d.get("value")) is bool:
        return d["value"]
    if kind == "int" and type(d.get("value")) is int and -2 ** 63 <= d["value"] < 2 ** 63:
        return d["value"]
    if kind == "float" and type(d.get("value")) in (int, float):
        return float(d["value"])
    if kind in ("list", "tuple") and isinstance(d.get("value"), list) and len(d["value"]) <= 10_000 and \
            all(type(e) is float or (type(e) is int and abs(e) < 2 ** 63) for e in d["value"]):
        return (list if kind == "list" else tuple)(d["value"])
    if kind == "other":
        return Opaque(_clean(d.get("type"), 100) or "object", _clean(d.get("text"), 200))
    raise BadReply(f"a value of kind {str(kind)[:40]!r} that does not match its data")


def _exception(info) -> BaseException:
    """An exception of the learner's class name whose base is the most derived builtin exception it had."""
    if not isinstance(info, dict):
        raise BadReply("an error that is not an object")
    base = Exception
    bases = info.get("bases") if isinstance(info.get("bases"), list) else []
    for name in bases[:20]:
        cls = getattr(builtins, name, None) if isinstance(name, str) else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            base = cls
            break
    name, message = _clean(info.get("type"), 100), _clean(info.get("message"), 2000)
    try:
        cls = type(name if name.isidentifier() else "Exception", (base,), {"__module__": "learner"})
        return cls(message)
    except TypeError:    # a builtin base that refuses subclassing or these arguments
        return base(message)


def _rebuild(answer: dict, arrays: list, function: str, args: dict, rec: Call) -> None:
    """Fill ``rec`` from a reply, checking every field against the schema (BadReply otherwise)."""
    if "missing" in answer:
        rec.stopped = f"missing: {function} is {_clean(answer['missing'], 100)}"
        return
    rec.output = _clean(answer.get("output"), 4000)
    if "error" in answer:
        rec.error = _exception(answer["error"])
        rec.where = _clean(answer["error"].get("where"), 500)
    elif "value" in answer:
        rec.value = _value(answer["value"], arrays)
    else:
        raise BadReply("an answer with neither a value nor an error")
    after = answer.get("after", {})
    if not isinstance(after, dict):
        raise BadReply("'after' is not an object")
    for name, sent in args.items():
        if isinstance(sent, np.ndarray):
            back = _value(after.get(name, {"kind": "none"}), arrays)
            if not (isinstance(back, np.ndarray) and back.shape == sent.shape and
                    np.array_equal(back, sent, equal_nan=True)):
                rec.mutated.append(name)
