"""The instructor's judge: grade a submitted notebook outside the learner's kernel.

For each notebook: match it to its release (``_submission.plan``: locked cells, exercises and points from the
release), run the learner's cells in a sandboxed kernel (``_remote``, ``_sandbox``) only to define their functions,
then call those functions on the judge's cases, one call at a time with a time limit, and compare the plain data that
comes back with the library's answer computed here. A call that does not complete (time limit, dead kernel) scores
that exercise 0 and the kernel restarts for the next one. Exercises to be written without the library run in a
second kernel whose sandbox does not hold it (with ``sandbox="none"``: whose tripwire ends it at the first call into
the library's transposed convolution). Nothing in a notebook makes ``grade_notebook`` raise, and a notebook's
deadline bounds its time whatever its cells do.
"""
from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..learner import EXERCISES, Result, evaluate, library_message
from ._remote import Kernel, KernelGone, OutOfTime
from ._submission import plan

__all__ = ["Options", "Row", "Report", "grade_notebook"]


@dataclass
class Options:
    release: Path
    partial: bool = False           # points in proportion to the cases passed (default: all or nothing)
    call_timeout: float = 10.0      # seconds for one call of the learner's function
    cell_timeout: float = 60.0      # seconds for one of the learner's cells
    memory_mb: int = 2048           # address space of the learner's kernel
    seed: int | None = None         # the random cases (default: fresh)
    unreadable: tuple = ()          # folders the unsandboxed kernel's guards refuse (submissions, solutions)
    sandbox: bool = True            # each kernel inside bubblewrap (False: the in-kernel guards only)
    notebook_timeout: float = 300.0  # seconds for one notebook, every kernel and restart included


@dataclass
class Row:
    exercise: str
    points: float
    earned: float
    cases: str                      # e.g. "8/12"
    result: str                     # one line: passed, failed ... likely: ..., timed out, ...
    mistakes: tuple = ()
    feedback: str = ""              # the full report, as check() prints it


@dataclass
class Report:
    path: str
    student: str
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    problem: str = ""               # set when the notebook could not be graded at all
    seconds: float = 0.0

    @property
    def earned(self) -> float:
        return sum(r.earned for r in self.rows)

    @property
    def total(self) -> float:
        return sum(r.points for r in self.rows)


def grade_notebook(path: Path, options: Options, student: str = "") -> Report:
    """Grade one submitted notebook; never raises for anything the notebook holds (a failure of the judge itself
    while grading it becomes the report's ``problem``)."""
    start = time.perf_counter()
    report = Report(str(path), student or Path(path).stem)
    try:
        _grade_notebook(path, options, report)
    except Exception as err:  # noqa: BLE001 - one notebook's failure is its own row, never the run's end
        report.problem = f"not graded: the judge failed on it ({type(err).__name__}: {err})"[:500]
    report.seconds = time.perf_counter() - start
    return report


def _grade_notebook(path: Path, options: Options, report: Report) -> None:
    import nbformat

    try:
        submission = nbformat.reads(_read_submission(path), as_version=4)
    except Exception as err:  # noqa: BLE001 - not a notebook, not JSON, unreadable, not a regular file
        report.problem = f"could not read it: {type(err).__name__}: {err}"
        return
    release_path = Path(options.release) / Path(path).name
    if not release_path.is_file():
        report.problem = f"no released notebook named {Path(path).name} in {options.release}"
        return
    release = nbformat.read(str(release_path), as_version=4)
    p = plan(submission, release)
    report.notes += p.notes
    if p.problem:
        report.problem = p.problem
        report.rows = [Row(c.exercise, c.points, 0.0, "0/0", "not graded") for c in p.checks]
        return
    results = {}
    deadline = time.monotonic() + options.notebook_timeout
    groups = {}                      # one kernel per (library-free?, packages allowed)
    for c in p.checks:
        groups.setdefault((EXERCISES[c.exercise].no_library, c.allow if EXERCISES[c.exercise].no_library else ()),
                          []).append(c)
    for (no_library, allow), checks in sorted(groups.items()):
        results.update(_grade_in_kernel(checks, p.cells, options, no_library, allow, deadline, report))
    for c in p.checks:
        res = results[c.grade_id]
        earned = c.points if res.passed else (
            round(c.points * res.n_passed / res.n_cases, 2) if options.partial and res.n_cases else 0.0)
        report.rows.append(Row(c.exercise, c.points, earned, res.cases, res.summary, res.mistakes, res.message))


MAX_NOTEBOOK_BYTES = 64 * 2 ** 20


def _read_submission(path) -> str:
    """A submitted notebook's text, opened without following a link or blocking on a FIFO, a regular file of at most
    64 MB only (a learner chooses what lies in their folder)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise OSError(f"{path} is larger than {MAX_NOTEBOOK_BYTES // 2 ** 20} MB")
        return f.read(MAX_NOTEBOOK_BYTES + 1).decode("utf-8")


def _grade_in_kernel(checks, cells, options: Options, no_library: bool, allow, deadline, report: Report) -> dict:
    kernel = Kernel(memory_mb=options.memory_mb, sandbox=options.sandbox, no_library=no_library, allow=allow,
                    unreadable=options.unreadable, deadline=deadline,
                    cpu_seconds=int(options.notebook_timeout) + 10)
    results = {}
    try:
        kernel.start()
        kernel.define(cells, options.cell_timeout)
        for c in checks:
            results[c.grade_id] = _grade_one(EXERCISES[c.exercise], kernel, options)
        for i, why in sorted(kernel.skipped.items()):
            report.notes.append(f"cell {i + 1} of the graded code was left out: {why}")
        for i, err in sorted(kernel.errors.items()):
            note = f"cell {i + 1} of the graded code raised {err.splitlines()[0] if err else ''}"
            if note not in report.notes:
                report.notes.append(note)
    except KernelGone as err:
        if str(err) not in report.notes:
            report.notes.append(str(err))
        for c in checks:
            results.setdefault(c.grade_id, Result(EXERCISES[c.exercise], False, 0, 0, str(err), summary=str(err),
                                                  stopped=str(err)))
    finally:
        kernel.close()
    return results


def _grade_one(ex, kernel: Kernel, options: Options) -> Result:
    def run(case):
        rec = kernel.call(case.func, case.args, options.call_timeout)
        if rec.timed_out:
            rec.stopped = (f"{ex.id}: timed out: your function did not finish within {options.call_timeout:g} s on "
                           f"{case.func}({', '.join(f'{k}={_short(v)}' for k, v in case.args.items())})")
        elif rec.stopped == "library":
            rec.stopped = library_message(ex)
        elif rec.stopped.startswith("missing: "):
            rec.stopped = (f"{ex.id}: no function {case.func} in your notebook ({rec.stopped[9:]}): is its cell "
                           f"there, and does it run without an error?")
        elif rec.stopped:
            rec.stopped = f"{ex.id}: {rec.stopped}, on {case.func}(...)"
        return rec

    try:
        return evaluate(ex, run, seed=options.seed)
    except OutOfTime:
        raise
    except KernelGone as err:
        return Result(ex, False, 0, 0, f"{ex.id}: {err}", summary=str(err), stopped=str(err))


def _short(v) -> str:
    shape = getattr(v, "shape", None)
    return f"<array {shape}>" if shape is not None else repr(v)
