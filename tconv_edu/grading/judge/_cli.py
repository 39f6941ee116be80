"""``python -m tconv_edu.grading [options] PATH...``: grade submitted notebooks with the out-of-kernel judge.

PATH is a notebook or a folder (searched for ``*.ipynb``, e.g. nbgrader's ``submitted/``). Each notebook is matched
by name to the release (``--release``, default the course's ``exercises/``); locked cells, exercises and points come
from the release; the learner's code runs in a kernel of its own inside a bubblewrap sandbox (``--sandbox``; see
``_sandbox``) with time and memory limits, and every expected value and comparison is computed in this process (see
``tconv_edu.grading.judge``). The learner's files are only read; one notebook per student and released name is
graded (a second copy is reported, and counted once).

Prints a score table per notebook (points, cases passed, result and the likely mistakes); ``--csv FILE`` writes a
gradebook row by row (student, notebook, exercise, points, max_points, cases, result, mistake, isolation), the student
being the first folder below a given folder (nbgrader's ``submitted/<student>/<assignment>/``) or the notebook's
name. ``--report FILE`` writes the class report (one HTML page: pass rates, points, the mistakes the class made and
where the course teaches them, a table per learner, what was not graded); ``--feedback DIR`` one page per learner
notebook (``DIR/<student>/<notebook>.html``, see ``report``). Learner text is stripped of control characters, and CSV cells that a spreadsheet would read as formulas are
escaped. Exit status: 0 when every check passed, 1 when some did not, 2 when a notebook could not be graded, the
sandbox does not work here, or the release or the course package changed during the run.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import multiprocessing
import re
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import _sandbox
from ._grade import Options, Report, grade_notebook

_PACKAGE = Path(__file__).resolve().parents[2]      # tconv_edu
_ROOT = _PACKAGE.parent


def _num(v: float) -> str:
    return f"{v:g}"


_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def clean(text, keep_newlines: bool = False) -> str:
    """Text that came from a learner (a folder name, a message) without terminal escapes or control characters
    (a bidi override or an ANSI cursor code could repaint the instructor's table); one line unless ``keep_newlines``."""
    text = _ANSI.sub("", str(text))
    keep = "\n" if keep_newlines else ""
    return "".join(c if c in keep or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
                   else (" " if c in "\t\n\r" else "") for c in text)


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text: cleaned, and a leading = + - @ (a formula) escaped with a quote."""
    if isinstance(value, str):
        value = clean(value)
        if value.startswith(("=", "+", "-", "@", "\t", "\r")):
            value = "'" + value
    return value


def table(report: Report, verbose: bool = False) -> str:
    """The score table of one notebook (every learner-supplied text cleaned)."""
    rows = report.rows
    width = max([len("exercise")] + [len(r.exercise) for r in rows])
    head = clean(report.path) + ("" if report.student == Path(report.path).stem else f"  ({clean(report.student)})")
    lines = [head, f"  {'exercise':<{width}}  points  cases  result"]
    for r in rows:
        lines.append(f"  {r.exercise:<{width}}  {_num(r.earned):>2} / {_num(r.points):<2} {r.cases:>5}  "
                     f"{clean(r.result)}")
    lines.append(f"  {'total':<{width}}  {_num(report.earned):>2} / {_num(report.total)}")
    lines += [f"  ! {clean(n)}" for n in report.notes]
    if report.problem:
        lines.append(f"  ! not graded: {clean(report.problem)}")
    if verbose:
        for r in rows:
            if r.earned < r.points and r.feedback:
                lines.append("\n    " + clean(r.feedback, keep_newlines=True).replace("\n", "\n    "))
    return "\n".join(lines)


def collect(paths) -> tuple[list[tuple[Path, str]], list[tuple[Path, str, Path]]]:
    """(notebook, student) for every notebook named or found below a named folder, in a stable order; and the
    duplicates: below a folder, one notebook per (student, released name) is graded, the one nearest the student's
    folder (then the first by name), and each other copy comes back as (notebook, student, the one graded)."""
    found, duplicates = [], []
    for p in map(Path, paths):
        if not p.is_dir():
            found.append((p, p.stem))
            continue
        chosen, here = {}, []
        for nb in sorted(p.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in nb.parts or nb.is_symlink() or not nb.is_file():
                continue
            parts = nb.relative_to(p).parts
            student = parts[0] if len(parts) > 1 else nb.stem
            here.append((nb, student))
            key = (student, nb.name) if len(parts) > 1 else (nb,)
            if key not in chosen or (len(parts), str(nb)) < (len(chosen[key].relative_to(p).parts), str(chosen[key])):
                chosen[key] = nb
        for nb, student in here:
            key = (student, nb.name) if len(nb.relative_to(p).parts) > 1 else (nb,)
            if chosen[key] == nb:
                found.append((nb, student))
            else:
                duplicates.append((nb, student, chosen[key]))
    return found, duplicates


COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "cases", "result", "mistake", "isolation"]


class Gradebook:
    """The CSV gradebook, written row by row as results arrive (a run that is killed keeps what it graded)."""

    def __init__(self, path: Path | None, isolation: str):
        self.isolation = isolation
        self.file = open(path, "w", newline="", encoding="utf-8") if path else None
        self.out = csv.writer(self.file) if self.file else None
        self.write([COLUMNS], escape=False)

    def write(self, rows, escape=True):
        if self.out is not None:
            self.out.writerows([[csv_cell(v) for v in row] if escape else row for row in rows])
            self.file.flush()

    def add(self, rep: Report):
        name = Path(rep.path).name
        if rep.problem and not rep.rows:
            self.write([[rep.student, name, "", 0, 0, "", f"not graded: {rep.problem}", "", self.isolation]])
        self.write([[rep.student, name, r.exercise, _num(r.earned), _num(r.points), r.cases, r.result,
                     "; ".join(r.mistakes), self.isolation] for r in rep.rows])

    def close(self):
        if self.file:
            self.file.close()


def fingerprint(folders) -> dict:
    """{file: sha256} of the release's notebooks and the course package's code, to see that a run changed neither."""
    out = {}
    for folder in folders:
        for f in sorted(Path(folder).rglob("*")):
            if f.is_file() and f.suffix in (".py", ".ipynb") and "__pycache__" not in f.parts:
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _unreadable(paths, release) -> list[Path]:
    """Folders the unsandboxed kernels' guards refuse: the submissions (other learners' work) and the solutions;
    never a folder that holds the library, the release or this Python (a notebook given from the repository's root)."""
    needed = [_PACKAGE, Path(release).resolve(), Path(sys.prefix).resolve(),
              Path(sys.base_prefix).resolve()]
    folders = [p.resolve() if p.is_dir() else p.resolve().parent for p in map(Path, paths)]
    folders += [_ROOT / "solutions"] if (_ROOT / "solutions").is_dir() else []
    return [f for f in folders if not any(n == f or f in n.parents for n in needed)]


def _grade(job):
    path, student, options = job
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    return grade_notebook(path, options, student)


def _reports(jobs, n_jobs):
    """Each job's report, in order; a job whose worker failed becomes a report that says so."""
    if n_jobs == 1 or len(jobs) < 2:
        for job in jobs:
            yield _grade(job)
        return
    # workers from a fresh server process, never forked from this one: a caller's threads (a framework's pool, a
    # notebook server's) would be copied mid-lock into every worker, which can then deadlock
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs)), mp_context=context) as pool:
        futures = [pool.submit(_grade, job) for job in jobs]
        for job, future in zip(jobs, futures):
            try:
                yield future.result()
            except Exception as err:  # noqa: BLE001 - a worker that died: that notebook's row says so
                yield Report(str(job[0]), job[1], problem=f"the grading worker failed ({type(err).__name__}: {err})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tconv_edu.grading",
                                 description="Grade exercise notebooks outside the learner's kernel.")
    ap.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders of them")
    ap.add_argument("--release", type=Path, default=_ROOT / "exercises",
                    help="the released notebooks (default: the course's exercises/)")
    ap.add_argument("--csv", type=Path, help="write a gradebook to this file")
    ap.add_argument("--report", type=Path, help="write the class report (one HTML page) to this file")
    ap.add_argument("--feedback", type=Path, help="write one feedback page per learner notebook into this folder")
    ap.add_argument("--jobs", type=int, default=1, help="notebooks graded at once, one kernel each (default 1)")
    ap.add_argument("--partial", action="store_true", help="points in proportion to the cases passed")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds for one call of a function (default 10)")
    ap.add_argument("--cell-timeout", type=float, default=60.0, help="seconds for one learner cell (default 60)")
    ap.add_argument("--notebook-timeout", type=float, default=300.0,
                    help="seconds for one notebook, all its kernels and restarts (default 300)")
    ap.add_argument("--memory", type=int, default=2048, help="memory limit of a learner's kernel, MB (default 2048)")
    ap.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto",
                    help="auto/bwrap: every kernel inside bubblewrap (refuses to grade where it does not work); "
                         "none: the in-kernel guards only, marked 'not isolated'")
    ap.add_argument("--seed", type=int, help="seed of the random cases (default: fresh ones)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the full feedback of each failed check")
    args = ap.parse_args(argv)
    if sys.platform == "emscripten":
        print("python -m tconv_edu.grading starts kernels in subprocesses: run it in a normal Python, not in the "
              "browser (check() works everywhere)")
        return 2
    if args.jobs < 1:
        ap.error(f"--jobs={args.jobs}: must be at least 1")
    for name in ("timeout", "cell_timeout", "notebook_timeout"):
        if not getattr(args, name) > 0:
            ap.error(f"--{name.replace('_', '-')}={getattr(args, name)}: must be a positive number of seconds")
    sandboxed = args.sandbox != "none"
    if sandboxed:
        why = _sandbox.probe()
        if why:
            print(f"not grading: the sandbox (--sandbox {args.sandbox}) does not work here: {why}.\n"
                  f"--sandbox none grades with the in-kernel guards only: learners' code is then NOT isolated "
                  f"(it can read other submissions and the solutions), and every row says 'not isolated'.",
                  file=sys.stderr)
            return 2
    isolation = "bubblewrap" if sandboxed else "not isolated"
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    unreadable = _unreadable(args.paths, args.release)
    options = Options(release=args.release, partial=args.partial, call_timeout=args.timeout,
                      cell_timeout=args.cell_timeout, memory_mb=args.memory, seed=args.seed,
                      unreadable=tuple(str(p) for p in unreadable), sandbox=sandboxed,
                      notebook_timeout=args.notebook_timeout)
    watched = [args.release, _PACKAGE]
    before = fingerprint(watched)
    found, duplicates = collect(args.paths)
    print(f"grading {len(found)} notebook{'s' * (len(found) != 1)}; sandbox: "
          + ("bubblewrap (each kernel isolated)" if sandboxed else
             "none: NOT ISOLATED (in-kernel guards only, --sandbox none)"), flush=True)
    book = Gradebook(args.csv, isolation)
    done = []
    try:
        for rep in _reports([(path, student, options) for path, student in found], args.jobs):
            print(table(rep, args.verbose), flush=True)
            book.add(rep)
            done.append(rep)
        for path, student, graded in duplicates:
            rep = Report(str(path), student, problem=f"a second copy of {graded.name} for this student: counted once, "
                                                     f"as {graded}")
            print(table(rep), flush=True)
            book.add(rep)
            done.append(rep)
    finally:
        book.close()
    after = fingerprint(watched)
    changed = sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f))
    if changed:
        print("\n!!! THE RELEASE OR THE COURSE PACKAGE CHANGED DURING THIS RUN: " + ", ".join(changed) +
              "\n!!! grades from this run, and from any run after it, cannot be trusted: restore those files",
              file=sys.stderr, flush=True)
    if len(done) > 1:
        print(f"all notebooks: {_num(sum(r.earned for r in done))} / {_num(sum(r.total for r in done))} points")
    if args.report or args.feedback:
        from . import report

        start = time.perf_counter()
        if args.report:
            args.report.write_text(report.class_report(done, isolation), encoding="utf-8")
            print(f"class report: {args.report}")
        if args.feedback:
            files = report.write_feedback(args.feedback, done, isolation)
            print(f"feedback: {len(files)} page{'s' * (len(files) != 1)} in {args.feedback}")
        print(f"report and feedback written in {time.perf_counter() - start:.2f} s")
    if changed or any(r.problem for r in done):
        return 2
    return 1 if any(r.earned < r.points for rep in done for r in rep.rows) else 0

