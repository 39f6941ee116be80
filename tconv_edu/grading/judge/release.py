"""Student notebooks from instructor notebooks, as nbgrader's ``assign`` makes them, without needing nbgrader.

For each cell of a ``solutions/`` notebook (nbgrader metadata, schema 3):

- ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` becomes ``# YOUR CODE HERE`` and
  ``raise NotImplementedError("Exercise <id>: ...")`` at the same indentation (a solution cell without markers is
  replaced whole), as nbgrader's ClearSolutions does with its stub;
- ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` is removed (ClearHiddenTests);
- cells are locked as nbgrader's LockCells locks them, outputs and execution counts cleared (ClearOutput);
- check cells are tagged ``raises-exception``, so that "Run All" goes on past an unsolved exercise.

The notebook's metadata records a fingerprint of the cells written, so that a notebook holding anything else
(a learner's answers, outputs) is recognised and never overwritten without ``force``.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

__all__ = ["STUB", "TEXT_STUB", "CHECK_TAG", "Refused", "exercise_id", "student_cell", "fingerprint",
           "student_notebook", "text", "is_generated", "generate", "workspace"]

STUB = "# YOUR CODE HERE\nraise NotImplementedError(\"Exercise {id}: not implemented yet\")"
TEXT_STUB = "YOUR ANSWER HERE"
CHECK_TAG = "raises-exception"


class Refused(Exception):
    """Exercise notebooks that hold content the generator did not write (the message says which and what to do)."""


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def exercise_id(cell) -> str:
    """The exercise a solution cell belongs to: its grade_id without the ``-answer`` suffix."""
    return re.sub(r"-answer$", "", _nbgrader(cell).get("grade_id", "exercise"))


def _replace_regions(source: str, begin: str, end: str, stub: list[str] | None):
    lines, out, inside, found = source.split("\n"), [], False, False
    for line in lines:
        if begin in line:
            if inside:
                raise ValueError(f"nested {begin!r} in a cell:\n{source}")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            out += [indent + s for s in (stub or [])]
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{begin!r} without {end!r} in a cell:\n{source}")
    return "\n".join(out), found


def student_cell(cell):
    """The student version of one cell (a new cell; the input is left as it is)."""
    import nbformat

    cell = nbformat.from_dict(json.loads(json.dumps(cell)))
    meta = _nbgrader(cell)
    if cell.cell_type == "code":
        stub = STUB.format(id=exercise_id(cell)).split("\n")
    else:
        stub = TEXT_STUB.split("\n")
    cell.source, solved = _replace_regions(cell.source, "BEGIN SOLUTION", "END SOLUTION", stub)
    if meta.get("solution") and not solved:
        cell.source = "\n".join(stub)
    elif solved and not meta.get("solution"):
        raise ValueError(f"a solution region outside a solution cell (grade_id={meta.get('grade_id')!r})")
    cell.source, hidden = _replace_regions(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", None)
    if hidden and not meta.get("grade"):
        raise ValueError(f"hidden tests outside a grade cell (grade_id={meta.get('grade_id')!r})")
    # nbgrader's LockCells
    if meta.get("solution"):
        cell.metadata["deletable"] = False
    elif meta.get("grade") or meta.get("locked"):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False
    if cell.cell_type == "code":
        # nbconvert's ClearOutputPreprocessor
        cell.outputs, cell.execution_count = [], None
        for key in ("collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if meta.get("grade") and not meta.get("solution"):
            tags = cell.metadata.setdefault("tags", [])
            if CHECK_TAG not in tags:
                tags.append(CHECK_TAG)
    return cell


def fingerprint(nb) -> str:
    return hashlib.sha256(json.dumps(nb["cells"], sort_keys=True).encode()).hexdigest()


def student_notebook(solution_path: Path):
    """The exercise notebook generated from one instructor notebook."""
    import nbformat

    nb = nbformat.read(str(solution_path), as_version=4)
    nb.cells = [student_cell(c) for c in nb.cells]
    nb.metadata.pop("celltoolbar", None)
    nb.metadata.get("language_info", {}).pop("version", None)   # re-running solutions/ elsewhere changes nothing here
    nb.metadata["tconv_edu"] = {"generated_from": f"solutions/{solution_path.name}", "by": "make exercises",
                                "fingerprint": fingerprint(nb)}
    return nb


def text(nb) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def is_generated(path: Path) -> bool:
    """True when ``path`` holds exactly the cells the generator wrote (possibly from older solutions)."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - unreadable: not ours to overwrite
        return False
    return nb.metadata.get("tconv_edu", {}).get("fingerprint") == fingerprint(nb)


def generate(solutions: Path, exercises: Path, *, force: bool = False, write: bool = True) -> list[Path]:
    """Write ``exercises/NAME`` for every ``solutions/NAME``; return the paths that changed (or would change).

    Raises ``Refused`` (writing nothing) when a notebook to replace holds content the generator did not write.
    """
    plans = []
    for src in sorted(Path(solutions).glob("*.ipynb")):
        dst = Path(exercises) / src.name
        new = text(student_notebook(src))
        old = dst.read_text(encoding="utf-8") if dst.exists() else None
        if old != new:
            plans.append((dst, new, old is not None and not is_generated(dst)))
    blocked = [str(dst) for dst, _, edited in plans if edited]
    if blocked and not force and write:
        raise Refused(
            "make exercises: not overwriting " + ", ".join(blocked) + ": they hold content that make exercises "
            "did not write (answers, outputs or other edits). Work on your own copy instead (make workspace copies "
            "exercises/ to workspace/); to replace them anyway, losing those changes: make exercises FORCE=1 "
            "(python scripts/make_exercises.py --force).")
    if write:
        Path(exercises).mkdir(parents=True, exist_ok=True)
        for dst, new, _ in plans:
            dst.write_text(new, encoding="utf-8")
    return [dst for dst, _, _ in plans]


def workspace(exercises: Path, target: Path) -> tuple[list[Path], list[Path]]:
    """Copy exercise notebooks into ``target``, never replacing a file there: (copied, kept)."""
    Path(target).mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for src in sorted(Path(exercises).glob("*.ipynb")):
        dst = Path(target) / src.name
        if dst.exists():
            kept.append(dst)
        else:
            shutil.copyfile(src, dst)
            copied.append(dst)
    return copied, kept
