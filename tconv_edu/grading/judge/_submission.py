"""Match a submitted notebook to its release: which cells to run, which checks to grade, what was restored.

Locked cells (setup and check cells) always come from the release, and so do the exercises and their points:
whatever a submission did to them (edited, deleted, moved, duplicated, metadata changed) counts for nothing. Answer
cells come from the submission, matched by their nbgrader ``grade_id``, each followed by the cells the learner added
after it. Check cells are not run at all: the judge grades each exercise itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..learner import EXERCISES

CHECK_CALL = re.compile(r"""check\(\s*["'](\w+)["']""")


@dataclass(frozen=True)
class Check:
    """One graded check of the release: the exercise it grades, its points, and the distributions its kernel may
    import beyond numpy where the exercise is to be written without the library (the check cell's metadata
    ``{"tconv_edu": {"allow": ["scipy"]}}``, set by the instructor in the release)."""
    exercise: str
    grade_id: str
    points: float
    allow: tuple = ()


@dataclass
class Plan:
    cells: list = field(default_factory=list)     # sources to execute, in order
    checks: list = field(default_factory=list)    # Check, in the release's order
    notes: list = field(default_factory=list)     # what was restored, missing or left out
    problem: str = ""                             # set when the submission cannot be matched to the release


def _meta(cell) -> dict:
    """A cell's nbgrader metadata as a plain dict whose grade_id, if any, is a string (a learner can write anything
    into a submission's metadata: a string, a list, a grade_id that is a number)."""
    meta = cell.get("metadata")
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    if not isinstance(meta, dict):
        return {}
    return meta if isinstance(meta.get("grade_id", ""), str) else {k: v for k, v in meta.items() if k != "grade_id"}


def _allow(cell) -> tuple:
    own = cell.get("metadata", {}).get("tconv_edu", {})
    allow = own.get("allow", []) if isinstance(own, dict) else []
    return tuple(a for a in allow if isinstance(a, str)) if isinstance(allow, list) else ()


def _locked(meta) -> bool:
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def plan(submission, release) -> Plan:
    """The plan for grading ``submission`` (an nbformat notebook) against ``release`` (the notebook handed out)."""
    out = Plan()
    rel_code = [c for c in release.cells if c.cell_type == "code"]
    locked = {_meta(c)["grade_id"] for c in rel_code if _meta(c).get("grade_id") and _locked(_meta(c))}
    answers = {_meta(c)["grade_id"] for c in rel_code if _meta(c).get("grade_id") and _meta(c).get("solution")}
    for c in rel_code:
        meta = _meta(c)
        if meta.get("grade") and not meta.get("solution"):
            found = CHECK_CALL.search(c.source)
            if found and found.group(1) in EXERCISES:
                out.checks.append(Check(found.group(1), meta.get("grade_id", ""), float(meta.get("points", 0)),
                                        _allow(c)))
            else:
                out.notes.append(f"release check cell {meta.get('grade_id')!r} names no known exercise: not graded")
    sub_code = [c for c in submission.cells if c.get("cell_type") == "code" and isinstance(c.get("source"), str)]
    sub_ids = {_meta(c).get("grade_id") for c in sub_code}
    if not sub_ids & (locked | answers):
        out.problem = ("none of its cells carry the grade ids of the released notebook (a different notebook, or its "
                       "cell metadata was removed): not graded, check it by hand")
        return out
    # the submission's cells, grouped after the release cell they follow (None: before any of them)
    released = {_meta(c).get("grade_id"): c.source for c in rel_code}
    groups, current, edited = {None: []}, None, set()
    for c in sub_code:
        gid = _meta(c).get("grade_id")
        if gid in locked:
            current = gid
            if c.source != released[gid]:
                edited.add(gid)
        elif gid in answers and gid not in groups:
            current = gid
            groups[gid] = [c.source]
        else:
            groups.setdefault(current, []).append(c.source)
    cells = []
    for i, c in enumerate(rel_code):
        meta, gid = _meta(c), _meta(c).get("grade_id")
        if meta.get("solution"):
            if gid not in groups:
                out.notes.append(f"answer cell {gid!r} is missing from the submission")
        elif not (meta.get("grade") and not meta.get("solution")):
            cells.append(c.source)            # setup and other locked cells, as released
        cells += groups.pop(gid, []) if gid is not None else []
        if i == 0:
            cells += groups.pop(None, [])
    for rest in groups.values():               # cells after a locked cell the release does not have
        cells += rest
    out.cells = [s for s in cells if s.strip()]
    for what, ids in (("deleted", locked - sub_ids), ("edited", edited)):
        if ids:
            out.notes.append(f"locked cells {what} in the submission, used as released: {', '.join(sorted(ids))}")
    return out
