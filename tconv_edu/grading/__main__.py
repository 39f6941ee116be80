"""``python -m tconv_edu.grading [options] PATH...``: grade submitted notebooks with the out-of-kernel judge.

PATH is a notebook or a folder (searched for ``*.ipynb``, e.g. nbgrader's ``submitted/``). Each notebook is matched
by name to the release (``--release``, default the course's ``exercises/``); locked cells, exercises and points come
from the release; the learner's code runs in a kernel of its own with time and memory limits, and every expected
value and comparison is computed in this process (see ``tconv_edu.grading.judge``). The learner's files are only read.

Prints a score table per notebook (points, cases passed, result and the likely mistakes); ``--csv FILE`` writes a
gradebook (student, notebook, exercise, points, max_points, cases, result, mistake), the student being the first
folder below a given folder (nbgrader's ``submitted/<student>/<assignment>/``) or the notebook's name.
Exit status: 0 when every check passed, 1 when some did not, 2 when a notebook could not be graded.
"""
from __future__ import annotations

import argparse
import csv
import logging
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .judge import Options, Report, grade_notebook

_ROOT = Path(__file__).resolve().parent.parent.parent


def _num(v: float) -> str:
    return f"{v:g}"


def table(report: Report, verbose: bool = False) -> str:
    """The score table of one notebook."""
    rows = report.rows
    width = max([len("exercise")] + [len(r.exercise) for r in rows])
    head = report.path + ("" if report.student == Path(report.path).stem else f"  ({report.student})")
    lines = [head, f"  {'exercise':<{width}}  points  cases  result"]
    for r in rows:
        lines.append(f"  {r.exercise:<{width}}  {_num(r.earned):>2} / {_num(r.points):<2} {r.cases:>5}  {r.result}")
    lines.append(f"  {'total':<{width}}  {_num(report.earned):>2} / {_num(report.total)}")
    lines += [f"  ! {n}" for n in report.notes]
    if report.problem:
        lines.append(f"  ! not graded: {report.problem}")
    if verbose:
        for r in rows:
            if r.earned < r.points and r.feedback:
                lines.append("\n    " + r.feedback.replace("\n", "\n    "))
    return "\n".join(lines)


def collect(paths) -> list[tuple[Path, str]]:
    """(notebook, student) for every notebook named or found below a named folder, in a stable order."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    found.append((nb, nb.relative_to(p).parts[0] if len(nb.relative_to(p).parts) > 1 else nb.stem))
        else:
            found.append((p, p.stem))
    return found


def write_csv(path: Path, reports) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["student", "notebook", "exercise", "points", "max_points", "cases", "result", "mistake"])
        for rep in reports:
            if rep.problem and not rep.rows:
                out.writerow([rep.student, Path(rep.path).name, "", 0, 0, "", f"not graded: {rep.problem}", ""])
            for r in rep.rows:
                out.writerow([rep.student, Path(rep.path).name, r.exercise, _num(r.earned), _num(r.points), r.cases,
                              r.result, "; ".join(r.mistakes)])


def _unreadable(paths, release) -> list[Path]:
    """Folders the learners' kernels may not read: the submissions (other learners' work) and the solutions; never
    a folder that holds the library, the release or this Python (a notebook given from the repository's root)."""
    needed = [Path(__file__).resolve().parent.parent, Path(release).resolve(), Path(sys.prefix).resolve(),
              Path(sys.base_prefix).resolve()]
    folders = [p.resolve() if p.is_dir() else p.resolve().parent for p in map(Path, paths)]
    folders += [_ROOT / "solutions"] if (_ROOT / "solutions").is_dir() else []
    return [f for f in folders if not any(n == f or f in n.parents for n in needed)]


def _grade(job):
    path, student, options = job
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    return grade_notebook(path, options, student)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tconv_edu.grading",
                                 description="Grade exercise notebooks outside the learner's kernel.")
    ap.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders of them")
    ap.add_argument("--release", type=Path, default=_ROOT / "exercises",
                    help="the released notebooks (default: the course's exercises/)")
    ap.add_argument("--csv", type=Path, help="write a gradebook to this file")
    ap.add_argument("--jobs", type=int, default=1, help="notebooks graded at once, one kernel each (default 1)")
    ap.add_argument("--partial", action="store_true", help="points in proportion to the cases passed")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds for one call of a function (default 10)")
    ap.add_argument("--cell-timeout", type=float, default=60.0, help="seconds for one learner cell (default 60)")
    ap.add_argument("--memory", type=int, default=2048, help="memory limit of a learner's kernel, MB (default 2048)")
    ap.add_argument("--seed", type=int, help="seed of the random cases (default: fresh ones)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the full feedback of each failed check")
    args = ap.parse_args(argv)
    if sys.platform == "emscripten":
        print("python -m tconv_edu.grading starts kernels in subprocesses: run it in a normal Python, not in the "
              "browser (check() works everywhere)")
        return 2
    if args.jobs < 1:
        ap.error(f"--jobs={args.jobs}: must be at least 1")
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    unreadable = _unreadable(args.paths, args.release)
    options = Options(release=args.release, partial=args.partial, call_timeout=args.timeout,
                      cell_timeout=args.cell_timeout, memory_mb=args.memory, seed=args.seed,
                      unreadable=tuple(str(p) for p in unreadable))
    jobs = [(path, student, options) for path, student in collect(args.paths)]
    if args.jobs == 1 or len(jobs) < 2:
        reports = map(_grade, jobs)
    else:
        pool = ProcessPoolExecutor(max_workers=min(args.jobs, len(jobs)))
        reports = pool.map(_grade, jobs)
    done = []
    for rep in reports:
        print(table(rep, args.verbose), flush=True)
        done.append(rep)
    if args.csv:
        write_csv(args.csv, done)
    if len(done) > 1:
        print(f"all notebooks: {_num(sum(r.earned for r in done))} / {_num(sum(r.total for r in done))} points")
    if any(r.problem for r in done):
        return 2
    return 1 if any(r.earned < r.points for rep in done for r in rep.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
