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
    """Install the audit hook; every name it needs is bound here, where the learner's code cannot rebind it."""
    real, sep, getpid, exit_now = os.path.realpath, os.sep, os.getpid, os._exit
    writable = tuple(real(p) + sep for p in config["writable"])
    unreadable = tuple(real(p) for p in config["unreadable"])
    arm_token = config["arm_token"]
    forbidden_files = frozenset(config.get("forbidden_files", ()))   # as the kernel imports them, and real paths
    forbidden_code = frozenset(config.get("forbidden_code", ()))      # "file:function" of single functions
    trip_code = int(config.get("trip_code", 0))
    phase_file = config.get("phase_file", "")
    armed, tampered = [False], [False]
    proc_self = (f"/proc/{getpid()}", "/proc/self", "/proc/thread-self")
    grading = (lambda: os.path.exists(phase_file)) if phase_file else (lambda: False)

    def denied(what):
        raise PermissionError(f"the grader does not allow {what} in an exercise")

    def inside(path, roots):
        p = real(path)
        return any((p + sep).startswith(r) for r in roots)

    def check_read(path):
        p = real(path)
        if any(p == r or p.startswith(r + sep) for r in unreadable):
            denied(f"reading {path}")
        if p.startswith("/proc/") and not any(p == s or p.startswith(s + "/") for s in proc_self):
            first = p.split("/")[2]
            if first.isdigit():
                denied(f"reading another process's {path}")

    def hook(event, args):
        if not armed[0]:
            if event == "compile" and isinstance(args[0], (str, bytes)) and _has(args[0], arm_token):
                if trip_code:
                    _watch(forbidden_files, forbidden_code, trip_code, exit_now, grading, tampered)
                armed[0] = True
            return
        if trip_code and tampered[0] and event in ("open", "compile") and grading():
            exit_now(trip_code + 1)
        if event.startswith(_DENIED_PREFIXES):
            denied(event)
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            if not isinstance(path, (str, bytes, os.PathLike)):
                return
            path = os.fsdecode(path)
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & _WRITE_FLAGS and mode is None)
            if writing and not inside(path, writable):
                denied(f"writing {path} (only files in the exercise's own folder)")
            check_read(path)
        elif event in ("os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes)):
            check_read(os.fsdecode(args[0]))
        elif event in _PATH_EVENTS:
            paths = [a for a in args[:_PATH_EVENTS[event] + 1] if isinstance(a, (str, bytes, os.PathLike))]
            for path in paths:
                if not inside(os.fsdecode(path), writable):
                    denied(f"{event} on {os.fsdecode(path)} (only files in the exercise's own folder)")

    sys.addaudithook(hook)


def _has(source, token) -> bool:
    return (token.encode() if isinstance(source, bytes) else token) in source


def _watch(files, functions, code, exit_now, grading, tampered):
    """Profile every call from the judge's first cell on (in this thread, and in threads started with threading).

    While the judge grades (``grading()``: its phase file exists), entering forbidden code ends the process with
    ``code``; switching the profiler off, or starting a thread past ``threading``, at any time marks the kernel
    ``tampered``, and a tampered kernel ends with ``code + 1`` at its next file or cell while the judge grades.
    Before that, while the learner's cells run, the library may be used freely (their own tests, for example).
    """
    import threading
    import _thread
    start_new = _thread.start_new_thread
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
            elif getattr(arg, "__module__", None) == "sys" and getattr(arg, "__name__", "") in ("setprofile",
                                                                                               "settrace"):
                tampered[0] = True

    sys.setprofile(profile)
    threading.setprofile(profile)


if __name__ == "__main__":
    _main(sys.argv[1:])
