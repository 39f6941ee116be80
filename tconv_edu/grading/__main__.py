"""``python -m tconv_edu.grading NOTEBOOK...``: run filled-in exercise notebooks and print a score table.

Each notebook is copied into a temporary folder and the copy is executed (nbclient, every cell, errors allowed, as
nbgrader's autograder does), so the learner's file is only ever read. A check cell scores its points when it runs
without an error. Exit status: 0 when every check passed and every cell ran, 1 otherwise, 2 when a notebook could
not be executed at all (unreadable, a cell past the time limit, the kernel died).
"""
from __future__ import annotations

import argparse
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .exercises import EXERCISES

_CHECK_CALL = re.compile(r"""check\(\s*["'](\w+)["']""")


@dataclass
class Row:
    exercise: str
    points: float
    earned: float
    result: str


def run_copy(path: Path, timeout: int):
    """Execute a copy of the notebook at ``path``; return (executed notebook, problem or None)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    with tempfile.TemporaryDirectory(prefix="tconv_edu-grading-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        nb = nbformat.read(str(copy), as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": tmp}})
        try:
            client.execute(stderr=subprocess.DEVNULL)   # the kernel's start-up warnings are not the learner's
        except CellTimeoutError:
            return nb, f"a cell ran longer than {timeout} s; execution stopped there"
        except DeadKernelError:
            return nb, "the kernel died (out of memory, or a crash in compiled code); execution stopped there"
    return nb, None


def _error(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", ""), out.get("evalue", "")
    return None


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def score(nb) -> tuple[list[Row], list[str]]:
    """Rows for the check cells (nbgrader grade cells) and a list of other cells that raised."""
    rows, broken = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        err = _error(cell)
        if not (meta.get("grade") and not meta.get("solution")):
            if err:
                broken.append(f"cell {index + 1} ({meta.get('grade_id', 'no id')}) raised {err[0]}: "
                              f"{err[1].splitlines()[0] if err[1] else ''}".rstrip(": "))
            continue
        found = _CHECK_CALL.search(cell.source)
        ex_id = found.group(1) if found else meta.get("grade_id", f"cell {index + 1}")
        points = float(meta.get("points", EXERCISES[ex_id].points if ex_id in EXERCISES else 0))
        if cell.get("execution_count") is None and not cell.get("outputs"):
            rows.append(Row(ex_id, points, 0, "not run"))
        elif err is None:
            line = _stdout(cell).strip().splitlines()
            rows.append(Row(ex_id, points, points, "passed" + (f": {_strip(line[0], ex_id)}" if line else "")))
        else:
            first = err[1].splitlines()[0] if err[1] else ""
            if "not implemented yet" in first:
                result = "not implemented yet"
            elif err[0] == "AssertionError":
                result = "failed: " + _strip(first, ex_id)
            else:
                result = f"error: {err[0]}: {first}".rstrip(": ")
            rows.append(Row(ex_id, points, 0, result))
    return rows, broken


def _strip(line: str, ex_id: str) -> str:
    line = line[len(ex_id) + 2:] if line.startswith(ex_id + ": ") else line
    return re.sub(r",? ?\(?\d+(\.\d+)?/\d+(\.\d+)? points\)?\.?$", "", line).rstrip(" ,.")


def _num(v: float) -> str:
    return f"{v:g}"


def table(path, rows, broken, problem) -> str:
    width = max([len("exercise")] + [len(r.exercise) for r in rows])
    lines = [str(path), f"  {'exercise':<{width}}  points  result"]
    for r in rows:
        lines.append(f"  {r.exercise:<{width}}  {_num(r.earned):>2} / {_num(r.points):<2} {r.result}")
    total, earned = sum(r.points for r in rows), sum(r.earned for r in rows)
    lines.append(f"  {'total':<{width}}  {_num(earned):>2} / {_num(total)}")
    lines += [f"  ! {b}" for b in broken]
    if problem:
        lines.append(f"  ! {problem}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tconv_edu.grading",
                                 description="Execute copies of exercise notebooks and print a score table.")
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    args = ap.parse_args(argv)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    status, grand, grand_total = 0, 0.0, 0.0
    for path in args.notebooks:
        try:
            nb, problem = run_copy(path, args.timeout)
        except Exception as err:  # noqa: BLE001 - unreadable notebook, no kernel: report and go on
            print(f"{path}\n  ! could not run it: {type(err).__name__}: {err}")
            status = 2
            continue
        rows, broken = score(nb)
        print(table(path, rows, broken, problem))
        grand += sum(r.earned for r in rows)
        grand_total += sum(r.points for r in rows)
        if problem:
            status = 2
        elif (broken or any(r.earned < r.points for r in rows)) and status == 0:
            status = 1
    if len(args.notebooks) > 1:
        print(f"all notebooks: {_num(grand)} / {_num(grand_total)} points")
    return status


if __name__ == "__main__":
    sys.exit(main())
