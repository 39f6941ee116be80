"""In a kernel: the grading command's score table, and a kernel that survives whatever a learner's function does."""
import csv
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tconv_edu.grading.judge import _cli as cli
from sandbox_util import needs_sandbox

ROOT = Path(__file__).resolve().parent.parent
NAME = "ex1_scatter.ipynb"


def filled(answers: dict, wrong: dict = (), name: str = NAME):
    """The shipped exercise notebook with some answers filled in from solutions/ (as a learner would)."""
    nb = nbformat.read(str(ROOT / "exercises" / name), as_version=4)
    sol = {c.id: c.source for c in nbformat.read(str(ROOT / "solutions" / name), as_version=4).cells}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.removesuffix("-answer") in answers:
            cell.source = sol[cell.id]
        if grade_id.removesuffix("-answer") in dict(wrong):
            cell.source = dict(wrong)[grade_id.removesuffix("-answer")]
    return nb


@needs_sandbox
def test_grading_command_scores_solved_half_solved_and_unsolved_copies(tmp_path, capsys):
    paths = {}
    for label, nb in {"solved": filled({"scatter_2d", "scatter_strided"}),
                      "half": filled({"scatter_2d"}),
                      "wrong": filled({"scatter_2d"}, {"scatter_strided": "def scatter_strided(x, k, stride, padding):"
                                                       "\n    return np.zeros((2, 2))"}),
                      "unsolved": nbformat.read(str(ROOT / "exercises" / NAME), as_version=4)}.items():
        (tmp_path / label).mkdir()
        paths[label] = tmp_path / label / NAME
        nbformat.write(nb, str(paths[label]))
    before = {p: p.read_bytes() for p in paths.values()}

    assert cli.main([str(paths["solved"])]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "grading 1 notebook; sandbox: bubblewrap (each kernel isolated)"
    assert out.splitlines()[2:] == [
        "  exercise         points  cases  result",
        "  scatter_2d        2 / 2  12/12  passed",
        "  scatter_strided   3 / 3  12/12  passed",
        "  total             5 / 5"]

    gradebook = tmp_path / "grades.csv"
    assert cli.main([str(tmp_path), "--jobs", "2", "--csv", str(gradebook)]) == 1
    out = capsys.readouterr().out
    tables = {label: out.split(str(paths[label]))[1] for label in paths}
    assert "  scatter_2d        2 / 2  12/12  passed" in tables["half"]
    assert "  scatter_strided   0 / 3   0/12  not implemented yet" in tables["half"]
    assert "  total             2 / 5" in tables["half"]
    assert re.search(r"  scatter_strided   0 / 3   0/12  failed 12 of 12 cases", tables["wrong"])
    assert "  scatter_2d        0 / 2   0/12  not implemented yet" in tables["unsolved"]
    assert out.rstrip().endswith("all notebooks: 9 / 20 points")
    rows = list(csv.DictReader(gradebook.open()))
    assert {(r["student"], r["exercise"], r["points"], r["max_points"], r["cases"]) for r in rows} == {
        ("solved", "scatter_2d", "2", "2", "12/12"), ("solved", "scatter_strided", "3", "3", "12/12"),
        ("half", "scatter_2d", "2", "2", "12/12"), ("half", "scatter_strided", "0", "3", "0/12"),
        ("wrong", "scatter_2d", "2", "2", "12/12"), ("wrong", "scatter_strided", "0", "3", "0/12"),
        ("unsolved", "scatter_2d", "0", "2", "0/12"), ("unsolved", "scatter_strided", "0", "3", "0/12")}
    for p, data in before.items():
        assert p.read_bytes() == data, f"{p} was changed"


@needs_sandbox
def test_partial_credit_and_the_mistake_in_the_gradebook(tmp_path, capsys):
    crop = ("def scatter_strided(x, k, stride, padding):\n    y = scatter_2d(x, k) if stride == 1 else None\n"
            "    import numpy as np\n    H, W = x.shape\n    kH, kW = k.shape\n"
            "    full = np.zeros(((H - 1) * stride + kH, (W - 1) * stride + kW))\n"
            "    for i in range(H):\n        for j in range(W):\n"
            "            full[i * stride:i * stride + kH, j * stride:j * stride + kW] += x[i, j] * k\n"
            "    return full[padding:-padding, padding:-padding]")
    (tmp_path / "ann").mkdir()
    nbformat.write(filled({"scatter_2d"}, {"scatter_strided": crop}), str(tmp_path / "ann" / NAME))
    gradebook = tmp_path / "grades.csv"
    assert cli.main([str(tmp_path), "--partial", "--csv", str(gradebook), "--seed", "3"]) == 1
    out = capsys.readouterr().out
    row = [r for r in csv.DictReader(gradebook.open()) if r["exercise"] == "scatter_strided"][0]
    passed, total = map(int, row["cases"].split("/"))
    assert 0 < passed < total and float(row["points"]) == round(3 * passed / total, 2)
    assert row["mistake"] == "crop_minus_p" and "likely: crop_minus_p" in out


EX5 = "ex5_layers.ipynb"
EX5_WRONG = {   # the usual port, and the 3x3 kernel not flipped
    "port_tf_same": "def port_tf_same(h, k, stride):\n    return np.array([(k - 1) // 2, stride - 1, 0, 0])",
    "resize_conv_kernel": "def resize_conv_kernel(k3):\n    f = np.pad(k3, 1)\n"
                          "    return f[:-1, :-1] + f[:-1, 1:] + f[1:, :-1] + f[1:, 1:]"}


@needs_sandbox
def test_grading_command_scores_the_layers_notebook_right_and_wrong(tmp_path, capsys):
    ids = ("bilinear_kernel", "port_tf_same", "grouped", "resize_conv_kernel")
    for label, nb in {"right": filled(set(ids), name=EX5),
                      "wrong": filled({"bilinear_kernel", "grouped"}, EX5_WRONG, name=EX5)}.items():
        (tmp_path / label).mkdir()
        nbformat.write(nb, str(tmp_path / label / EX5))
    gradebook = tmp_path / "grades.csv"
    assert cli.main([str(tmp_path), "--jobs", "2", "--csv", str(gradebook)]) == 1
    out = capsys.readouterr().out
    right, wrong = out.split(str(tmp_path / "wrong" / EX5))         # the tables come in the paths' order
    assert [line for line in right.splitlines() if line.startswith("  ")][-5:] == [
        "  bilinear_kernel      2 / 2  14/14  passed",
        "  port_tf_same         3 / 3  16/16  passed",
        "  grouped              3 / 3  13/13  passed",
        "  resize_conv_kernel   2 / 2  12/12  passed",
        "  total               10 / 10"]
    assert "  bilinear_kernel      2 / 2  14/14  passed" in wrong
    assert "  grouped              3 / 3  13/13  passed" in wrong
    assert re.search(r"  port_tf_same         0 / 3   \d/16  failed \d+ of 16 cases; likely: usual_port$", wrong, re.M)
    assert re.search(r"  resize_conv_kernel   0 / 2   \d/12  failed \d+ of 12 cases; likely: no_flip$", wrong, re.M)
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(gradebook.open())}
    assert {k: r["points"] for k, r in rows.items() if k[0] == "wrong"} == {
        ("wrong", "bilinear_kernel"): "2", ("wrong", "port_tf_same"): "0", ("wrong", "grouped"): "3",
        ("wrong", "resize_conv_kernel"): "0"}
    assert rows["wrong", "port_tf_same"]["mistake"] == "usual_port"


@needs_sandbox
def test_grading_command_reports_broken_cells_and_unreadable_files(tmp_path, capsys):
    nb = filled({"scatter_2d"}, {"scatter_strided": "def scatter_strided(x, k, stride, padding)\n    pass"})
    broken = tmp_path / NAME
    nbformat.write(nb, str(broken))
    junk = tmp_path / "junk" / NAME
    junk.parent.mkdir()
    junk.write_text("not a notebook")
    assert cli.main([str(broken), str(junk)]) == 2
    out = capsys.readouterr().out
    assert "scatter_strided   0 / 3   0/12  no function scatter_strided in your notebook" in out
    assert re.search(r"! cell \d+ of the graded code raised SyntaxError", out)
    assert f"{junk}\n" in out and "! not graded: could not read it:" in out


def test_the_kernel_survives_slow_raising_and_exiting_functions():
    cells = [
        "import time, sys\nimport numpy as np\nfrom tconv_edu.grading import check",
        "def scatter_2d(x, k):\n    while True:\n        pass",
        "check('scatter_2d', scatter_2d, time_limit=0.5)",
        "def scatter_2d(x, k):\n    time.sleep(60)",
        "check('scatter_2d', scatter_2d, time_limit=0.5)",
        "def scatter_2d(x, k):\n    raise RuntimeError('boom')",
        "check('scatter_2d', scatter_2d)",
        "def scatter_2d(x, k):\n    sys.exit(1)",
        "check('scatter_2d', scatter_2d)",
        "def scatter_2d(x, k):\n    x[:] = 0\n    return None",
        "check('scatter_2d', scatter_2d)",
        "print('still alive', 6 * 7)",
    ]
    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True).execute()
    errors = {i: o for i, c in enumerate(nb.cells) for o in c.outputs if o.output_type == "error"}
    assert sorted(errors) == [2, 4, 6, 8, 10]
    assert all(e.ename == "AssertionError" for e in errors.values())
    assert "did not finish within the time limit (0.5 s" in errors[2].evalue
    assert "did not finish within the time limit (0.5 s" in errors[4].evalue
    assert "your function raised RuntimeError: boom" in errors[6].evalue
    assert "your function raised SystemExit: 1" in errors[8].evalue
    assert "returned None" in errors[10].evalue
    assert nb.cells[-1].outputs[0].text == "still alive 42\n"
    # readable: the report, after at most two short frames (the cell, then check's raise)
    tb = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in errors[6].traceback)
    assert tb.count("File ") <= 1 and "_check.py" not in tb and "_student.py" not in tb


@pytest.mark.parametrize("ex_id", ["scatter_2d"])
def test_check_cells_of_the_exercises_mention_the_function(ex_id):
    nb = nbformat.read(str(ROOT / "exercises" / NAME), as_version=4)
    assert any(c.source.startswith(f'check("{ex_id}", {ex_id})') for c in nb.cells)


def test_the_kernel_may_not_read_submissions_or_solutions_but_still_imports_the_library(tmp_path):
    (tmp_path / "submitted").mkdir()
    shut = cli._unreadable([tmp_path / "submitted", ROOT / NAME], ROOT / "exercises")
    assert tmp_path / "submitted" in shut and ROOT / "solutions" in shut
    assert ROOT not in shut          # a notebook given from the repository's root: its folder holds the library
