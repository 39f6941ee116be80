"""solutions/ -> exercises/: nbgrader format, in sync, failing only as expected, never overwriting learners' work."""
import importlib.util
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tconv_edu.grading import EXERCISES
from tconv_edu.grading.judge import release

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISE_DIR = ROOT / "solutions", ROOT / "exercises"
NOTEBOOKS = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def load_script():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "scripts" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exercises_are_in_sync_with_solutions():
    stale = release.generate(SOLUTIONS, EXERCISE_DIR, write=False)
    assert not stale, f"exercises/ is out of date: run `make exercises` ({', '.join(map(str, stale))})"
    assert sorted(p.name for p in EXERCISE_DIR.glob("*.ipynb")) == NOTEBOOKS


def test_solutions_follow_nbgrader_conventions_and_cover_every_exercise():
    checks = {}
    grade_ids = []
    for name in NOTEBOOKS:
        nb = nbformat.read(str(SOLUTIONS / name), as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            meta = nbgrader(cell)
            if not meta:
                assert "BEGIN SOLUTION" not in cell.source and "BEGIN HIDDEN TESTS" not in cell.source
                continue
            assert meta["schema_version"] == 3 and {"grade", "solution", "locked", "grade_id"} <= set(meta)
            grade_ids.append(meta["grade_id"])
            if meta["grade"]:
                assert isinstance(meta["points"], int) and meta["points"] > 0
            if meta["solution"]:
                assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
                assert not meta["locked"]
            if meta["grade"] and not meta["solution"]:      # a check cell: locked, one check call
                assert meta["locked"]
                (ex_id,) = re.findall(r'^check\("(\w+)"', cell.source, re.M)
                checks[ex_id] = meta["points"]
    assert len(grade_ids) == len(set(grade_ids)), "grade_id must be unique"
    assert checks == {e.id: e.points for e in EXERCISES.values()}


def test_every_check_follows_a_lesson_and_a_solution():
    for name in NOTEBOOKS:
        cells = nbformat.read(str(SOLUTIONS / name), as_version=4).cells
        for i, cell in enumerate(cells):
            if nbgrader(cell).get("grade"):
                assert nbgrader(cells[i - 1]).get("solution") and cells[i - 2].cell_type == "markdown"
                assert cells[i - 2].source.startswith("## Exercise")


def test_exercise_notebooks_hold_stubs_and_no_solutions():
    for name in NOTEBOOKS:
        nb = nbformat.read(str(EXERCISE_DIR / name), as_version=4)
        for cell in nb.cells:
            assert "SOLUTION" not in cell.source and "HIDDEN TESTS" not in cell.source
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
            meta = nbgrader(cell)
            if meta.get("solution"):
                ex_id = meta["grade_id"].removesuffix("-answer")
                assert f'raise NotImplementedError("Exercise {ex_id}: not implemented yet")' in cell.source
            if meta.get("grade") and not meta.get("solution"):
                assert "raises-exception" in cell.metadata["tags"]
                assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_exercises_as_shipped_fail_only_with_not_implemented_yet(name):
    from nbclient import NotebookClient
    nb = nbformat.read(str(EXERCISE_DIR / name), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXERCISE_DIR)}}) \
        .execute()      # stops at any error outside a cell tagged raises-exception
    solution = nbformat.read(str(SOLUTIONS / name), as_version=4)
    n_solution_checks = sum(bool(nbgrader(c).get("grade")) for c in solution.cells)
    n_checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if nbgrader(cell).get("grade"):
            n_checks += 1
            assert len(errors) == 1 and errors[0].ename == "AssertionError", cell.source
            assert re.match(r"\w+: not implemented yet: replace the `raise NotImplementedError\(\.\.\.\)`",
                            errors[0].evalue), errors[0].evalue
        else:
            assert errors == [], (cell.source, errors)
    # every check ran, each failing on its own: run-all went past the failing ones (ex6 has one exercise, the others
    # two or more)
    assert n_checks == n_solution_checks >= (1 if name.startswith("ex6_") else 2)


# --------------------------------------------------------------------------------- learners' work is never lost

@pytest.fixture
def course(tmp_path):
    shutil.copytree(SOLUTIONS, tmp_path / "solutions")
    shutil.copytree(EXERCISE_DIR, tmp_path / "exercises")
    return tmp_path


def test_make_exercises_refuses_to_overwrite_a_learners_notebook(course, capsys):
    script = load_script()
    args = ["--solutions", str(course / "solutions"), "--exercises", str(course / "exercises")]
    edited = course / "exercises" / NOTEBOOKS[0]
    nb = nbformat.read(str(edited), as_version=4)
    answer = next(c for c in nb.cells if nbgrader(c).get("solution"))
    answer.source = answer.source.replace("raise NotImplementedError", "return 42  #")
    nbformat.write(nb, str(edited))
    before = edited.read_bytes()
    sol = course / "solutions" / NOTEBOOKS[0]          # the instructor changes the solutions: a regeneration is due
    sol.write_text(sol.read_text().replace("Objectives:", "Goals:"))
    assert script.main(args) == 1
    err = capsys.readouterr().err
    assert str(edited) in err and "make exercises FORCE=1" in err and "--force" in err and "make workspace" in err
    assert edited.read_bytes() == before
    assert script.main(args + ["--force"]) == 0
    assert "Goals:" in edited.read_text() and "return 42" not in edited.read_text()


def test_make_exercises_replaces_its_own_stale_output_and_reports_executed_ones(course, capsys):
    script = load_script()
    args = ["--solutions", str(course / "solutions"), "--exercises", str(course / "exercises")]
    assert script.main(args) == 0 and "up to date" in capsys.readouterr().out
    sol = course / "solutions" / NOTEBOOKS[1]
    sol.write_text(sol.read_text().replace("Objectives:", "Goals:"))
    assert script.main(args + ["--check"]) == 1
    assert script.main(args) == 0            # unmodified generated content: replaced without asking
    assert "Goals:" in (course / "exercises" / NOTEBOOKS[1]).read_text()
    executed = course / "exercises" / NOTEBOOKS[1]  # outputs in a notebook count as a learner's content
    nb = json.loads(executed.read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    executed.write_text(json.dumps(nb))
    sol.write_text(sol.read_text().replace("Goals:", "Aims:"))
    assert script.main(args) == 1


def test_workspace_copies_exercises_and_never_replaces_a_file(course, capsys):
    script = load_script()
    ws = course / "workspace"
    ws.mkdir()
    (ws / NOTEBOOKS[0]).write_text("my answers")
    assert script.main(["--exercises", str(course / "exercises"), "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert (ws / NOTEBOOKS[0]).read_text() == "my answers" and f"kept {ws / NOTEBOOKS[0]}" in out
    for name in NOTEBOOKS[1:]:
        assert (ws / name).read_bytes() == (course / "exercises" / name).read_bytes()


def test_workspace_is_git_ignored():
    assert "workspace/" in (ROOT / ".gitignore").read_text().split()


# ------------------------------------------------------------------------------------------------- nbgrader

def test_nbgraders_own_preprocessors_make_the_same_student_cells():
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[instructor]')")
    from nbconvert.exporters import NotebookExporter
    from nbgrader.preprocessors import CheckCellMetadata, ClearHiddenTests, ClearOutput, ClearSolutions, LockCells
    from traitlets.config import Config

    exporter = NotebookExporter(config=Config())
    # nbgrader generate_assignment's order; CheckCellMetadata raises on invalid nbgrader metadata
    for pre in (CheckCellMetadata, LockCells, ClearSolutions, ClearOutput, ClearHiddenTests, CheckCellMetadata):
        exporter.register_preprocessor(pre, enabled=True)
    for name in NOTEBOOKS:
        theirs = nbformat.reads(exporter.from_filename(str(SOLUTIONS / name))[0], as_version=4)
        ours = nbformat.read(str(EXERCISE_DIR / name), as_version=4)
        assert len(theirs.cells) == len(ours.cells)
        for a, b in zip(theirs.cells, ours.cells):
            # our stub names the exercise; nbgrader's default stub is `raise NotImplementedError()`
            b_source = re.sub(r'raise NotImplementedError\("Exercise \w+: not implemented yet"\)',
                              "raise NotImplementedError()", b.source)
            b_meta = dict(b.metadata)
            b_tags = [t for t in b_meta.pop("tags", []) if t != release.CHECK_TAG]
            if b_tags:
                b_meta["tags"] = b_tags
            assert (a.cell_type, a.id, a.source, dict(a.metadata)) == (b.cell_type, b.id, b_source, b_meta)
            if a.cell_type == "code":
                assert a.outputs == b.outputs == [] and a.execution_count is None
