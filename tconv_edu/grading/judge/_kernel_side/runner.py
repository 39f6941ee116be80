"""The learner's side of the judge: run the learner's cells, call their functions, answer in plain data.

``python -I runner.py``, started by the judge (inside a bubblewrap sandbox, or bare with ``--sandbox none``).
Stand-alone on purpose: it imports the standard library and numpy only, so it runs where nothing else is mounted.

The judge and the runner talk over two pipes, one frame at a time: four bytes (big-endian) giving the length of a
JSON header, the header, then the raw bytes of the arrays the header lists (``{"dtype", "shape"}``, C order).
Requests: ``config`` (first), ``cell`` (run one cell), ``grading`` (the cells are done), ``call`` (call a function on
arrays and numbers). Every reply carries the request's ``id``. Nothing here decides a grade: the judge checks each
reply against a strict schema and compares in its own process, so learner code that forges a reply only changes
what its own answer says.

Before any learner code runs, the runner lowers its process limit and installs the in-kernel guards (an audit hook
and, where the sandbox cannot hide the library, the library tripwire). They are a second line of defence: the first
is what the sandbox does not mount.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import struct
import sys
import time

import numpy as np

_NUMERIC = "biufc"
_INT64 = (-2 ** 63, 2 ** 63 - 1)


# ------------------------------------------------------------------------------------------------------ framing

def read_frame(stream):
    """(header, arrays) from ``stream``; None at end of input."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    header = json.loads(stream.read(size).decode("utf-8"))
    arrays = []
    for spec in header.get("arrays", []):
        dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        arrays.append(np.frombuffer(stream.read(count * dtype.itemsize), dtype=dtype).reshape(shape).copy())
    return header, arrays


def encode(header: dict, arrays=()) -> bytes:
    """One frame: the header (with the arrays' dtypes and shapes added) and the arrays' bytes (the judge sends its
    requests with this too)."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    header = dict(header, arrays=[{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays])
    body = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(body)) + body + b"".join(a.tobytes() for a in arrays)


def write_frame(stream, header: dict, arrays=()) -> None:
    stream.write(encode(header, arrays))
    stream.flush()


# ------------------------------------------------------------------------------------------- plain data out

def describe(value, arrays: list) -> dict:
    """Plain data for ``value``; arrays (and numpy scalars, as 0-d arrays) are appended to ``arrays``."""
    if hasattr(value, "toarray") and not isinstance(value, np.ndarray):   # a scipy.sparse matrix
        try:
            value = np.asarray(value.toarray())
        except Exception:  # noqa: BLE001 - a learner's object with a broken toarray
            pass
    if isinstance(value, (np.ndarray, np.generic)):
        try:
            plain = np.array(value, copy=True, subok=False)       # whatever the class, only its data goes out
        except Exception:  # noqa: BLE001 - a learner's subclass that refuses
            plain = None
        if plain is not None and plain.dtype.kind in _NUMERIC:
            arrays.append(plain)
            return {"kind": "array", "index": len(arrays) - 1, "scalar": isinstance(value, np.generic)}
    if value is None:
        return {"kind": "none"}
    if type(value) is bool:
        return {"kind": "bool", "value": value}
    if type(value) is int and _INT64[0] <= value <= _INT64[1]:
        return {"kind": "int", "value": value}
    if type(value) is float:
        return {"kind": "float", "value": value}
    if type(value) in (list, tuple) and len(value) <= 10_000 and all(
            type(e) in (int, float) and (type(e) is float or _INT64[0] <= e <= _INT64[1]) for e in value):
        return {"kind": type(value).__name__, "value": list(value)}
    return {"kind": "other", "type": _text(lambda: type(value).__name__, 100), "text": _text(lambda: repr(value), 200)}


def _text(make, limit: int) -> str:
    try:
        text = str(make())
    except BaseException:  # noqa: BLE001 - a broken __repr__
        text = "<object>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _error(err: BaseException) -> dict:
    bases = [c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins"][:20]
    return {"type": _text(lambda: type(err).__name__, 100), "bases": bases,
            "message": _text(lambda: err, 2000), "where": _innermost(err)}


def _innermost(err: BaseException) -> str:
    """Where the learner's code failed: the innermost frame of a learner cell."""
    tb, found = err.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<cell "):
            found = tb
        tb = tb.tb_next
    if found is None:
        return ""
    code = found.tb_frame.f_code
    line = _CELLS.get(code.co_filename, "").split("\n")
    text = line[found.tb_lineno - 1].strip() if 0 < found.tb_lineno <= len(line) else ""
    return _text(lambda: f"your notebook cell, line {found.tb_lineno}, in {code.co_name}: {text}".rstrip(": "), 500)


_CELLS: dict = {}


class _Shell:
    """What ``get_ipython()`` returns here: magics and shell commands do nothing (this is not IPython)."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = getoutput = run_line_magic


# ------------------------------------------------------------------------------------------------- the loop

def main() -> int:
    requests = os.fdopen(0, "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    sink = io.StringIO()
    sys.stdout = sys.stderr = sink
    stream = _Exact(requests)
    first = read_frame(stream)
    if first is None or first[0].get("op") != "config":
        return 3
    config = first[0]
    for path in reversed(config.get("path", [])):
        sys.path.insert(0, path)
    if config.get("nproc"):
        import resource
        resource.setrlimit(resource.RLIMIT_NPROC, (int(config["nproc"]), int(config["nproc"])))
    grading = [False]
    if config.get("guards"):
        _no_process_starts()
        install_guards(config["guards"], lambda: grading[0])
    namespace = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _Shell,
                 "display": lambda *a, **k: None}
    write_frame(replies, {"id": config.get("id"), "status": "ready"})
    while True:
        frame = read_frame(stream)
        if frame is None:
            return 0
        header, arrays = frame
        op, rid = header.get("op"), header.get("id")
        if op == "cell":
            write_frame(replies, dict(_run_cell(namespace, header["source"], header["number"]), id=rid))
        elif op == "grading":
            grading[0] = True
            write_frame(replies, {"id": rid, "status": "ok"})
        elif op == "call":
            sys.audit("tconv_edu.call", header.get("function"))     # the guards' moment to act on tampering
            reply, out = _call(namespace, header, arrays)
            write_frame(replies, dict(reply, id=rid), out)
        sink.seek(0)
        sink.truncate()


class _Exact:
    """Reads exactly ``n`` bytes (or what is left at the end of input)."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, n: int) -> bytes:
        parts, left = [], n
        while left:
            chunk = self.raw.read(left)
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)


def _run_cell(namespace: dict, source: str, number: int) -> dict:
    name = f"<cell {number}>"
    _CELLS[name] = source
    try:
        exec(compile(source, name, "exec"), namespace)   # noqa: S102 - running the learner's cell is the point
    except BaseException as err:  # noqa: BLE001 - SystemExit and KeyboardInterrupt in a cell are its errors too
        return {"status": "error", "error": _text(lambda: f"{type(err).__name__}: {err}".split("\n")[0], 300)}
    return {"status": "ok"}


def _call(namespace: dict, header: dict, arrays: list):
    fn = namespace.get(header["function"])
    if not callable(fn):
        return {"missing": "not defined" if fn is None else f"a {type(fn).__name__}, not a function"}, []
    args = {}
    for name, (kind, value) in header["args"].items():
        args[name] = arrays[value].copy() if kind == "array" else {"tuple": tuple, "int": int, "float": float,
                                                                    "bool": bool}[kind](value)
    out, values = io.StringIO(), []
    reply = {}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            value = fn(*args.values())
        reply["value"] = describe(value, values)
    except BaseException as err:  # noqa: BLE001 - learners' code may raise anything, SystemExit included
        reply["error"] = _error(err)
    reply["output"] = out.getvalue()[-4000:]
    reply["after"] = {name: describe(v, values) for name, v in args.items() if isinstance(v, np.ndarray)}
    return reply, values


# --------------------------------------------------------------------------------------------- second line

_DENIED_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "os.system",
                    "os.kill", "os.killpg", "signal.pthread_kill", "ctypes.", "gc.get_", "resource.setrlimit",
                    "resource.prlimit", "os.setuid", "os.setgid", "socket.connect", "socket.bind", "socket.sendto",
                    "socket.sendmsg", "pty.", "os.startfile", "sys.remote_exec", "os.mkfifo", "os.mknod")
_PATH_EVENTS = {"os.remove": 0, "os.rename": 0, "os.rmdir": 0, "os.truncate": 0, "os.chmod": 0, "os.chown": 0,
                "os.link": 1, "os.symlink": 1, "os.mkdir": 0, "os.utime": 0, "shutil.rmtree": 0, "shutil.move": 1,
                "shutil.copyfile": 1, "os.chflags": 0, "os.lchown": 0, "os.setxattr": 0, "os.removexattr": 0}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _no_process_starts() -> None:
    """``subprocess`` imported now (others import it), with the C call under it replaced: ``fork_exec`` raises no
    audit event of its own, and a fresh import of it is refused by the hook."""
    import subprocess  # noqa: F401 - imported before the guards, so that importing it later needs no new import
    import _posixsubprocess

    def fork_exec(*args, **kwargs):
        raise PermissionError("the grader does not allow starting processes in an exercise")

    _posixsubprocess.fork_exec = fork_exec


def install_guards(config: dict, grading) -> None:
    """The audit hook (and, with ``trip_code``, the library tripwire), armed before any learner code.

    Everything the hook calls is bound here, so rebinding a name later changes nothing. Paths are compared as
    normalised text: a second line only (a learner can reach a file by a path this does not recognise; the sandbox
    is what keeps it out of reach).
    """
    _isinstance, _any, _tuple, _type, _str, _bytes, _int, _bool = isinstance, any, tuple, type, str, bytes, int, bool
    getcwd, getpid, exit_now, fsdecode = os.getcwd, os.getpid, os._exit, os.fsdecode
    from pathlib import Path
    plain_path = type(Path())
    denied_prefixes, path_events, write_flags = _DENIED_PREFIXES, dict(_PATH_EVENTS), _WRITE_FLAGS
    norm = _norm
    roots = lambda paths: _tuple(sorted({norm(os.path.realpath(p), getcwd) for p in paths} |  # noqa: E731
                                        {norm(p, getcwd) for p in paths}))
    writable, unreadable = roots(config.get("writable", ())), roots(config.get("unreadable", ()))
    trip_code = int(config.get("trip_code", 0))
    tampered = [False]
    proc_self = (f"/proc/{getpid()}", "/proc/self", "/proc/thread-self")

    def denied(what):
        raise PermissionError(f"the grader does not allow {what} in an exercise")

    def text(path):
        if _type(path) is plain_path:
            path = _str(path)
        if _type(path) is _bytes:
            path = fsdecode(path)
        return norm(path, getcwd) if _type(path) is _str else None

    def under(p, dirs):
        return _any(p == r or p.startswith(r + "/") for r in dirs)

    def check_read(p):
        parts = p.split("/")
        if under(p, unreadable) or (len(parts) > 3 and parts[1] == "proc" and parts[3] in ("root", "cwd", "map_files")):
            denied(f"reading {p}")
        if p.startswith("/proc/") and not under(p, proc_self) and p.split("/")[2].isdigit():
            denied(f"reading another process's {p}")

    def hook(event, args):
        if trip_code and tampered[0] and event in ("open", "compile", "tconv_edu.call") and grading():
            exit_now(trip_code + 1)
        if event.startswith(denied_prefixes) or (event == "import" and args and args[0] == "_posixsubprocess"):
            denied(event)
        if event == "open":
            path, mode, flags = (_tuple(args) + (None, None))[:3]
            if _isinstance(path, _int) and not _isinstance(path, _bool):
                return                                   # an open file descriptor: checked when it was opened
            p = text(path)
            if p is None:
                denied(f"opening a file named by a {_type(path).__name__} (give its path as a str)")
            writing = (_type(mode) is _str and _any(c in mode for c in "wax+")) or \
                (_type(flags) is _int and flags & write_flags and mode is None)
            if writing and not under(p, writable):
                denied(f"writing {p} (only files in the exercise's own folder)")
            check_read(p)
        elif event in ("os.listdir", "os.scandir") and args and args[0] is not None:
            p = text(args[0])
            if p is None:
                denied(f"listing a folder named by a {_type(args[0]).__name__}")
            check_read(p)
        elif event in path_events:
            for arg in args[:path_events[event] + 1]:
                if _isinstance(arg, _int) and not _isinstance(arg, _bool):
                    continue
                p = text(arg)
                if p is None or not under(p, writable):
                    denied(f"{event} on {arg!r} (only files in the exercise's own folder)")

    if trip_code:
        _watch(frozenset(config.get("forbidden_files", ())), frozenset(config.get("forbidden_code", ())),
               trip_code, exit_now, grading, tampered)
    sys.addaudithook(hook)


def _norm(path: str, getcwd) -> str:
    """``path`` made absolute against the working folder, with ``.``, ``..`` and doubled slashes resolved."""
    parts = []
    for part in (path if path.startswith("/") else getcwd() + "/" + path).split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def _watch(files, functions, code, exit_now, grading, tampered):
    """Profile every call (this thread, and threads started with threading); while ``grading()``, entering
    forbidden code ends the process with ``code``. Switching the profiler off, or starting a thread past
    ``threading``, marks the kernel ``tampered``: it then ends with ``code + 1`` at its next file or cell."""
    import threading
    import _thread
    start_new, _getattr = _thread.start_new_thread, getattr
    threading_file = threading.__file__

    def profile(frame, event, arg):
        if event == "call":
            co = frame.f_code
            if (co.co_filename in files or f"{co.co_filename}:{co.co_name}" in functions) and grading():
                exit_now(code)
            if co.co_filename == threading_file and co.co_name in ("setprofile", "settrace", "setprofile_all_threads"):
                tampered[0] = True
        elif event == "c_call":
            if arg is start_new and frame.f_code.co_filename != threading_file:
                tampered[0] = True
            elif _getattr(arg, "__module__", None) == "sys" and _getattr(arg, "__name__", "") in ("setprofile",
                                                                                                 "settrace"):
                tampered[0] = True

    threading.setprofile(profile)          # first: with the profiler on, this very call would read as tampering
    sys.setprofile(profile)


if __name__ == "__main__":
    sys.exit(main())
