"""The class on a real JupyterHub (scripts/hub_demo.py, `make hub`): four learners and an instructor, end to end.

JupyterHub with configurable-http-proxy (npm), the dummy authenticator and the simple local process spawner, all on
127.0.0.1; nbgrader's exchange in a temporary folder. The instructor generates and releases the exercises from
solutions/ with nbgrader; each learner's server fetches, answers (Contents API) and submits through the hub, as a
browser would; the instructor collects, grades with the course's command and with nbgrader autograde, and
releases feedback, which the learners fetch. One learner answers right (alice), one gets scatter_2d wrong (bob), one
gets it wrong and rebinds `check` to fake a pass (mallory), one never submits (nina).

The round trip runs once for the module (about 2 minutes on 2 cores); every wait in it is bounded, and every process
it starts is stopped by process group before the checks. It skips only where the hub extra (jupyterhub, nbgrader,
psutil), Node.js or npm is missing, and never under .ci/run (which sets TCONV_EDU_REQUIRE_HUB); the proxy is
installed from the npm registry into .hub/ when it is not there.

The course's gradebook comes from `hub_demo.grade_with_course_command` (its docstring gives the interface of
`python -m tconv_edu.grading` it uses: --release, --jobs, --csv and a folder).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("hub_demo", ROOT / "scripts" / "hub_demo.py")
hub_demo = importlib.util.module_from_spec(spec)
sys.modules["hub_demo"] = hub_demo   # its dataclasses look their module up there
spec.loader.exec_module(hub_demo)


def missing_reason() -> str | None:
    """Why the round trip cannot run here: a Python package of the hub extra, then what hub_demo needs; or None."""
    for module in ("jupyterhub", "nbgrader", "psutil"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (the hub extra: pip install -e '.[hub]')"
    return hub_demo.missing_reason()


_missing = missing_reason()
if _missing and os.environ.get("TCONV_EDU_REQUIRE_HUB"):
    # .ci/run found or installed Node.js and npm, and make test installs the hub extra: the round trip must run
    raise RuntimeError(f"TCONV_EDU_REQUIRE_HUB is set but {_missing}")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(_missing is not None, reason=str(_missing))]

# one notebook (two exercises) keeps the round trip near 2 minutes; `make hub` releases all four
NOTEBOOKS = ("ex1_scatter",)
EXERCISES = ("scatter_2d", "scatter_strided")
POINTS = {"scatter_2d": 2.0, "scatter_strided": 3.0}
ROLE = {role: name for name, role in hub_demo.LEARNERS.items()}
CORRECT, WRONG, HOSTILE, ABSENT = ROLE["correct"], ROLE["wrong"], ROLE["hostile"], ROLE["never submits"]
SUBMITTERS = [CORRECT, WRONG, HOSTILE]


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    return hub_demo.run_class(tmp_path_factory.mktemp("hub"), notebooks=NOTEBOOKS)


@pytest.fixture(scope="module")
def course_grades(klass):
    """{(student, exercise): (points, max_points)} from the course command's gradebook."""
    assert klass.gradebook, ("the course command wrote no gradebook; it must take --release DIR --csv FILE "
                             f"FOLDER (exit {klass.course_status}):\n{klass.course_output[-3000:]}")
    return {(r["student"], r["exercise"]): (float(r["points"]), float(r["max_points"])) for r in klass.gradebook}


def test_every_learner_fetched_and_three_submitted(klass):
    assert klass.fetched == {u: list(NOTEBOOKS) for u in hub_demo.LEARNERS}
    assert klass.submitted == {u: True for u in SUBMITTERS}
    # named by their hub user (CourseDirectory.student_id), not by the one unix user all servers run as
    assert klass.collected == sorted(SUBMITTERS)


def test_no_process_is_left(klass):
    assert klass.left_running == []
    assert hub_demo.marked_processes(klass.run_id) == []


def test_feedback_reaches_each_submitter_only(klass):
    for user in SUBMITTERS:
        assert [Path(f).name for f in klass.feedback[user]] == [f"{nb}.html" for nb in NOTEBOOKS], klass.feedback
    assert klass.feedback[ABSENT] == []


def test_the_feedback_fetched_is_the_course_commands_and_the_class_report_is_written(klass):
    """release_feedback carries the course command's pages (placed where generate_feedback wrote nbgrader's): each
    learner fetches a page about their own notebook only; the class report names every submitter."""
    for user in SUBMITTERS:
        page = klass.feedback_pages[user]
        assert "<h1>Feedback on " in page and f"Learner: {user}." in page, page[:500]
        assert not any(other in page for other in SUBMITTERS if other != user and other not in user)
    assert "scatter_2d" in klass.feedback_pages[WRONG] and "0 / 2" in klass.feedback_pages[WRONG]
    report = klass.report.read_text()
    assert "<h1>Class report</h1>" in report and all(f"<th scope=\"row\">{u}</th>" in report for u in SUBMITTERS)


def test_nbgrader_autograde_grades_the_honest_submissions(klass):
    scores = klass.nbgrader
    for ex in EXERCISES:
        assert scores[(CORRECT, ex)] == (POINTS[ex], POINTS[ex])
    assert scores[(WRONG, "scatter_2d")] == (0.0, POINTS["scatter_2d"])
    assert scores[(WRONG, "scatter_strided")] == (POINTS["scatter_strided"],) * 2
    assert not any(student == ABSENT for student, _ in scores)


def test_course_gradebook(klass, course_grades):
    assert klass.course_status == 1, klass.course_output   # something failed (bob's and mallory's scatter_2d)
    assert set(klass.gradebook[0]) >= {"student", "exercise", "points", "max_points", "cases", "mistake"}, \
        klass.gradebook[0]
    for ex in EXERCISES:
        assert course_grades[(CORRECT, ex)] == (POINTS[ex], POINTS[ex]), klass.course_output
    assert course_grades[(WRONG, "scatter_2d")] == (0.0, POINTS["scatter_2d"]), klass.course_output
    assert course_grades[(WRONG, "scatter_strided")] == (POINTS["scatter_strided"],) * 2, klass.course_output
    # the rebound check in the answer cell does not turn a wrong answer into points
    assert course_grades[(HOSTILE, "scatter_2d")] == (0.0, POINTS["scatter_2d"]), klass.course_output
    assert course_grades.get((ABSENT, "scatter_2d"), (0.0,))[0] == 0.0
    failing = {r["student"]: r for r in klass.gradebook if r["exercise"] == "scatter_2d"}
    assert failing[WRONG]["cases"], failing[WRONG]   # cases passed, e.g. "3/12"


def test_the_hubs_token_never_reaches_a_learner_kernel(klass, course_grades):
    """mallory's scatter_2d answers right only where it finds a JUPYTERHUB_API_TOKEN (its kernel's environment, any
    process's /proc/PID/environ); the grading command ran with the instructor's token in its environment."""
    assert "JUPYTERHUB_API_TOKEN" in hub_demo.TOKEN_HUNT and "_hub_token()" in hub_demo.TOKEN_HUNT
    assert course_grades[(HOSTILE, "scatter_2d")] == (0.0, POINTS["scatter_2d"]), klass.course_output
    assert {r["isolation"] for r in klass.gradebook} == {"bubblewrap"}, klass.course_output


def test_course_command_and_nbgrader_agree_on_honest_work(klass, course_grades):
    ours = {ex: course_grades[(CORRECT, ex)] for ex in EXERCISES}
    theirs = {ex: klass.nbgrader[(CORRECT, ex)] for ex in EXERCISES}
    assert ours == theirs
