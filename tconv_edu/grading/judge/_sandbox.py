"""The wall around a learner's kernel: the bubblewrap command line, and the probe that says whether it works here.

``command(...)`` gives the argv that starts ``_kernel_side/runner.py`` inside a sandbox with

- new PID, IPC, UTS, network (and, where it can, cgroup) namespaces: no network, no view of any other process;
- read-only: the system's ``/usr`` (its Python packages hidden), this Python, and the packages the exercise allows;
  writable: only a size-limited home folder and ``/tmp``, both fresh (tmpfs) and gone when the sandbox ends;
- not mounted at all: the course's repository (``solutions/``, ``exercises/``), the release, the submissions, the
  judge's own files, ``/sys``, the host's ``/etc`` (but for the loader's cache) and home folders;
- ``tconv_edu.grading`` replaced by a stand-in without the checks or their reference answers; in an exercise to be
  written without the library, ``tconv_edu`` is only the forward ``conv2d`` and the size rules, and the import path
  holds numpy, the standard library and what the release allows for that exercise, nothing else;
- an environment built from nothing; run as ``nobody`` with no capabilities when the judge is root, else as the
  judge's own user in a user namespace;
- a seccomp filter (``_seccomp``): no new processes, no memory outside the address-space limit (memfd, System V
  shared memory), no tracing of other processes, no namespaces or mounts.

Resource limits (memory, CPU seconds, file size, open files) are set by the judge on the process it starts, and the
process limit by the runner before any learner code (see ``_remote``).
"""
from __future__ import annotations

import functools
import glob
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import _seccomp

SIDE = Path(__file__).resolve().parent / "_kernel_side"
PACKAGE = Path(__file__).resolve().parents[2]      # tconv_edu
HOME, LIB, RUNNER = "/home/learner", "/judge/lib", "/judge/runner.py"
SCRATCH_BYTES = 64 * 2 ** 20          # each of the home folder and /tmp
ALWAYS = ("numpy",)                   # the import path of a library-free exercise: numpy and the standard library
LIBRARY_FREE_FILES = ("conv.py", "shapes.py")

INSTALL = ("bubblewrap is not installed: apt-get install bubblewrap (Debian, Ubuntu), dnf install bubblewrap "
           "(Fedora); in a container it also needs user namespaces (see the README, 'Grading a class')")


def env(threads: int = 1) -> dict:
    """The kernel's whole environment: nothing is inherited from the judge (no tokens, no paths, no arguments)."""
    n = str(threads)
    return {"HOME": HOME, "TMPDIR": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n, "TCONV_EDU_THREADS": n}


class _Mounts:
    """bwrap arguments, creating every folder above a mount point with mode 0755 (bwrap would copy 0700 from
    /root and leave the sandbox's user unable to reach the Python inside)."""

    def __init__(self):
        self.args: list[str] = []
        self.made: set[str] = {"/"}

    def _parents(self, dest: str):
        parts = Path(dest).parts
        for i in range(2, len(parts)):
            d = str(Path(*parts[:i]))
            if d not in self.made:
                self.made.add(d)
                self.args += ["--perms", "0755", "--dir", d]

    def add(self, option: str, src: str | None, dest: str, *extra: str):
        self._parents(dest)
        self.args += list(extra) + [option] + ([src] if src is not None else []) + [dest]
        self.made.add(dest)


def _site_dirs(roots) -> list[str]:
    """Every folder of installed packages below ``roots`` (the system's, this Python's, a virtual environment's)."""
    found = set()
    for root in roots:
        for pattern in ("lib*/python3*/site-packages", "lib*/python3*/dist-packages", "lib*/python3/dist-packages",
                        "local/lib*/python3*/site-packages", "local/lib*/python3*/dist-packages"):
            found.update(p for p in glob.glob(os.path.join(root, pattern)) if os.path.isdir(p))
    return sorted(found)


def _own_site_dirs() -> list[str]:
    """The folders of installed packages on this Python's own import path (a library exercise sees them)."""
    return sorted({os.path.realpath(p) for p in sys.path if p and os.path.isdir(p) and
                   os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")})


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def distribution_paths(names) -> list[str]:
    """The installed files (top-level folders and modules) of the distributions ``names`` and of everything they
    require (extras left out), for mounting them alone."""
    todo, seen, paths = list(names), set(), set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        base = Path(dist.locate_file("")).resolve()
        for f in dist.files or ():
            if f.parts and f.parts[0] != "..":
                paths.add(str(base / f.parts[0]))
        for req in dist.requires or ():
            if "extra ==" not in req.replace("extra==", "extra =="):
                todo.append(re.match(r"[A-Za-z0-9._-]+", req).group(0))
    return sorted(p for p in paths if os.path.exists(p) and not p.endswith("__pycache__"))


def seccomp_fd() -> int | None:
    """A pipe's read end holding the seccomp filter (``_seccomp``) for ``command(seccomp=...)``; None where this
    machine has none. The caller passes it to the child (``pass_fds``) and closes it."""
    prog = _seccomp.program()
    if prog is None:
        return None
    r, w = os.pipe()
    os.write(w, prog)
    os.close(w)
    return r


def command(python_argv: list[str], *, library: bool, allow=(), seccomp: int | None = None) -> list[str]:
    """The bwrap argv that runs ``python_argv`` (this Python on the runner) inside a fresh sandbox.

    ``library``: the course package (but its grading) and the whole environment are importable; otherwise only
    numpy, the standard library, the library-free ``tconv_edu`` and the distributions in ``allow``. ``seccomp``: a
    file descriptor from ``seccomp_fd()``, inherited by bwrap.
    """
    head, tail = _bwrap_argv(library, tuple(allow))
    return list(head) + (["--seccomp", str(seccomp)] if seccomp is not None else []) + list(tail) + python_argv


@functools.lru_cache(maxsize=None)
def _bwrap_argv(library: bool, allow: tuple) -> tuple[tuple, tuple]:
    """(bwrap and its options, what runs the command), built once per kind of kernel in a process: the same for
    every kernel of that kind, and a library-free one reads the installed distributions' file lists."""
    bwrap = shutil.which("bwrap")
    m = _Mounts()
    # /tmp first: a Python or a checkout under /tmp (a CI clone, say) is then bound on top of it, not hidden by it
    m.add("--tmpfs", None, "/tmp", "--perms", "1777", "--size", str(SCRATCH_BYTES))
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{name}"
        if os.path.islink(host):
            m.add("--symlink", os.readlink(host), host)
        elif os.path.isdir(host):
            m.add("--ro-bind", host, host)
    m.add("--ro-bind", "/usr", "/usr")
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"):
        if os.path.exists(f):
            m.add("--ro-bind", f, f)
    python_roots = []
    for prefix in dict.fromkeys(os.path.realpath(p) for p in (sys.base_prefix, sys.prefix,
                                                               os.path.dirname(os.path.dirname(sys.executable)))):
        if not _under(prefix, ["/usr"] + python_roots):
            python_roots.append(prefix)
            m.add("--ro-bind", prefix, prefix)
    real_python = os.path.realpath(sys.executable)
    if not _under(real_python, ["/usr"] + python_roots):
        m.add("--ro-bind", os.path.dirname(real_python), os.path.dirname(real_python))
    visible = _own_site_dirs() if library else []
    hidden = [d for d in _site_dirs(["/usr"] + python_roots) if os.path.realpath(d) not in visible]
    for d in hidden:
        m.add("--tmpfs", None, d)
    for p in ([] if library else distribution_paths(ALWAYS + tuple(allow))):
        if _under(p, hidden):
            m.add("--ro-bind", p, p)
    for d in hidden:
        m.add("--remount-ro", None, d)
    # the course package as the kernel sees it, at LIB/tconv_edu, and over the real one where a mount shows it
    targets = [f"{LIB}/tconv_edu"]
    real = str(PACKAGE)
    if _under(real, ["/usr"] + python_roots) and not _under(real, hidden):
        targets.append(real)
    for target in targets:
        if library:
            m.add("--ro-bind", real, target)
        else:
            m.add("--tmpfs", None, target)
            m.add("--ro-bind", str(SIDE / "library_free.py"), f"{target}/__init__.py")
            for f in LIBRARY_FREE_FILES:
                m.add("--ro-bind", str(PACKAGE / f), f"{target}/{f}")
        m.add("--tmpfs", None, f"{target}/grading")
        m.add("--ro-bind", str(SIDE / "grading_stub.py"), f"{target}/grading/__init__.py")
        m.add("--remount-ro", None, f"{target}/grading")
        if not library:
            m.add("--remount-ro", None, target)
    m.add("--ro-bind", str(SIDE / "runner.py"), RUNNER)
    m.add("--proc", None, "/proc")
    m.add("--dev", None, "/dev")
    m.add("--tmpfs", None, HOME, "--perms", "0777", "--size", str(SCRATCH_BYTES))
    argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv"]
    for k, v in env().items():
        argv += ["--setenv", k, v]
    argv += m.args + ["--chdir", HOME]
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv:
        # root sets the sandbox up, then the learner's code runs as nobody, with no capabilities
        return tuple(argv), ("--", setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                             "--bounding-set=-all", "--no-new-privs", "--")
    return tuple(argv[:1] + ["--unshare-user", "--cap-drop", "ALL"] + argv[1:]), ("--",)


def runner_argv(sandboxed: bool) -> list[str]:
    """This Python on the runner, isolated from the environment (``-I``)."""
    return [sys.executable, "-I", RUNNER if sandboxed else str(SIDE / "runner.py")]


@functools.lru_cache(maxsize=None)
def probe() -> str | None:
    """None when a library-free sandbox starts here and imports numpy; else why not (once per process)."""
    if shutil.which("bwrap") is None:
        return INSTALL
    fd = seccomp_fd()
    try:
        done = subprocess.run(command([sys.executable, "-I", "-c", "import numpy"], library=False, seccomp=fd),
                              capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
                              pass_fds=() if fd is None else (fd,))
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap did not start: {err}"
    finally:
        if fd is not None:
            os.close(fd)
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        return (f"bubblewrap is installed but could not start a sandbox here ({why[-1] if why else done.returncode}):"
                f" in a container it needs user namespaces (Docker: --security-opt seccomp=unconfined, or a profile "
                f"that allows unshare; see the README, 'Grading a class')")
    return None
