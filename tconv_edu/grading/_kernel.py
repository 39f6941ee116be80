"""The learner's kernel as the judge starts it: limits and guards set before any learner code runs.

``python -m tconv_edu.grading._kernel CONFIG -f CONNECTION_FILE`` reads the judge's settings from the JSON file
CONFIG (then deletes it), sets them, and starts an ordinary IPython kernel:

- a memory limit (``RLIMIT_AS``): a 50 GB allocation raises ``MemoryError`` in the learner's code;
- an audit hook (``sys.addaudithook``: it cannot be removed) that, from the judge's first cell on, refuses what no
  exercise needs and what could reach outside the kernel: starting processes, signals, ``ctypes``, scanning the
  garbage collector, raising limits, sockets, writing outside the kernel's own folder, reading other processes'
  ``/proc`` entries or the folders the judge names (other submissions, solutions);
- for an exercise that must be written without the library, a tripwire: a profiler set before any learner code
  (in this thread and every thread started with ``threading``) that, once the judge has created its phase file
  (after the learner's cells ran, in a folder this kernel can neither write nor read), ends the process with the
  judge's exit code at the first entry into tconv_edu's transposed-convolution forms, under any alias, so no
  ``try``/``except`` and no rewiring of the kernel's own machinery can hide it; switching the profiler off
  (``sys.setprofile``, ``threading.setprofile``, a thread started past ``threading``) ends it too, once grading
  begins.

This is a second line of defence. The first is that the judge computes every expected value and every comparison
in its own process, and takes only plain data from this one.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _main(argv):
    config_path, rest = argv[0], argv[1:]
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    os.remove(config_path)
    _limit_memory(config["memory_mb"])
    _install_guards(config)
    sys.argv = [sys.argv[0]] + rest
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()


def _limit_memory(megabytes):
    if not megabytes:
        return
    import resource
    limit = int(megabytes) * 2 ** 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


_DENIED_PREFIXES = ("subprocess.", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "os.system",
                    "os.kill", "os.killpg", "signal.pthread_kill", "ctypes.", "gc.get_", "resource.setrlimit",
                    "resource.prlimit", "os.setuid", "os.setgid", "socket.connect", "socket.bind", "socket.sendto",
                    "socket.sendmsg", "pty.", "os.startfile", "sys.remote_exec")
_PATH_EVENTS = {"os.remove": 0, "os.rename": 0, "os.rmdir": 0, "os.truncate": 0, "os.chmod": 0, "os.chown": 0,
                "os.link": 1, "os.symlink": 1, "os.mkdir": 0, "os.utime": 0, "shutil.rmtree": 0, "shutil.move": 1,
                "shutil.copyfile": 1, "os.chflags": 0, "os.lchown": 0, "os.setxattr": 0, "os.removexattr": 0}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _install_guards(config):
    """Install the audit hook. Everything it calls is bound here, before any learner code: builtins, os functions
    and settings alike, so that rebinding a name (``builtins.isinstance``, ``os.path.exists``, a module global of
    this file) changes nothing. Learner paths are checked as plain strings, normalised without any helper."""
    _isinstance, _any, _tuple, _type, _str, _bytes, _int, _bool = isinstance, any, tuple, type, str, bytes, int, bool
    getcwd, stat, getpid, exit_now, fsdecode = os.getcwd, os.stat, os.getpid, os._exit, os.fsdecode
    plain_path = type(Path())                    # a pathlib path exactly: its str() is its path
    denied_prefixes, path_events, write_flags = _DENIED_PREFIXES, dict(_PATH_EVENTS), _WRITE_FLAGS
    roots = lambda paths: _tuple(sorted({_norm(os.path.realpath(p), getcwd) for p in paths} |  # noqa: E731
                                        {_norm(p, getcwd) for p in paths}))
    writable = roots(config["writable"])
    unreadable = roots(config["unreadable"])
    arm_token = config["arm_token"]
    forbidden_files = frozenset(config.get("forbidden_files", ()))   # as the kernel imports them, and real paths
    forbidden_code = frozenset(config.get("forbidden_code", ()))      # "file:function" of single functions
    trip_code = int(config.get("trip_code", 0))
    phase_file = config.get("phase_file", "")
    armed, tampered = [False], [False]
    proc_self = (f"/proc/{getpid()}", "/proc/self", "/proc/thread-self")
    norm, watch = _norm, _watch

    def grading():
        if not phase_file:
            return False
        try:
            stat(phase_file)
        except OSError:
            return False
        return True

    def denied(what):
        raise PermissionError(f"the grader does not allow {what} in an exercise")

    def text(path):
        """The path as a normalised absolute string; None for an object that could name another file each time."""
        if _type(path) is plain_path:
            path = _str(path)
        if _type(path) is _bytes:
            path = fsdecode(path)
        return norm(path, getcwd) if _type(path) is _str else None

    def under(p, dirs):
        return _any(p == r or p.startswith(r + "/") for r in dirs)

    def check_read(p):
        if under(p, unreadable):
            denied(f"reading {p}")
        if p.startswith("/proc/") and not under(p, proc_self) and p.split("/")[2].isdigit():
            denied(f"reading another process's {p}")

    def hook(event, args):
        if not armed[0]:
            if event == "compile" and _type(args[0]) in (_str, _bytes) and \
                    (arm_token.encode() if _type(args[0]) is _bytes else arm_token) in args[0]:
                if trip_code:
                    watch(forbidden_files, forbidden_code, trip_code, exit_now, grading, tampered)
                armed[0] = True
            return
        if trip_code and tampered[0] and event in ("open", "compile") and grading():
            exit_now(trip_code + 1)
        if event.startswith(denied_prefixes):
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
    """Profile every call from the judge's first cell on (in this thread, and in threads started with threading).

    While the judge grades (``grading()``: its phase file exists), entering forbidden code ends the process with
    ``code``; switching the profiler off, or starting a thread past ``threading``, at any time marks the kernel
    ``tampered``, and a tampered kernel ends with ``code + 1`` at its next file or cell while the judge grades.
    Before that, while the learner's cells run, the library may be used freely (their own tests, for example).
    """
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
                tampered[0] = True              # a thread started past threading would not be profiled
            elif _getattr(arg, "__module__", None) == "sys" and _getattr(arg, "__name__", "") in ("setprofile",
                                                                                                 "settrace"):
                tampered[0] = True

    sys.setprofile(profile)
    threading.setprofile(profile)


if __name__ == "__main__":
    _main(sys.argv[1:])
