"""scripts/run_notebooks.py stores outputs without timings or widget state, as nbformat 4.5 with cell ids."""
import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "run_notebooks.py"
spec = importlib.util.spec_from_file_location("run_notebooks", SCRIPT)
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)


def _write(path, cells, minor=4):
    nb = new_notebook(cells=cells)
    nb.nbformat_minor = minor
    for c in nb.cells:
        c.pop("id", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.write_text(nbformat.writes(nb, version=4))


@pytest.mark.slow
def test_executes_in_place_without_timings_or_widget_state(tmp_path, capsys):
    nb_path = tmp_path / "a.ipynb"
    _write(nb_path, [new_markdown_cell("# t"), new_code_cell("print(6 * 7)"),
                     new_code_cell("import ipywidgets; ipywidgets.IntSlider(3)"),
                     new_code_cell("1 / 0")])
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[3].metadata["tags"] = ["raises-exception"]
    nbformat.write(nb, nb_path)
    assert run_notebooks.main([str(tmp_path)]) == 0
    nb = nbformat.read(nb_path, as_version=4)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert [c.id for c in nb.cells] == ["cell-000", "cell-001", "cell-002", "cell-003"]
    assert nb.cells[1].outputs[0].text == "42\n"
    assert nb.cells[3].outputs[0].ename == "ZeroDivisionError"
    assert "widgets" not in nb.metadata
    view = nb.cells[2].outputs[0].data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == run_notebooks.hashlib.md5(b"a.ipynb/cell-002/0").hexdigest()
    assert all("execution" not in c.metadata for c in nb.cells)
    assert "a.ipynb" in capsys.readouterr().out


@pytest.mark.slow
def test_a_failing_notebook_makes_the_exit_status_nonzero(tmp_path, capsys):
    _write(tmp_path / "bad.ipynb", [new_code_cell("raise RuntimeError('boom')")])
    assert run_notebooks.main([str(tmp_path / "bad.ipynb")]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_keeps_existing_ids_and_rejects_other_files(tmp_path):
    nb = new_notebook(cells=[new_code_cell("1"), new_code_cell("2")])
    nb.cells[0]["id"] = "cell-001"
    del nb.cells[1]["id"]
    nb.nbformat_minor = 4
    out = run_notebooks.with_ids(nb)
    assert [c.id for c in out.cells] == ["cell-001", "cell-001x"] and out.nbformat_minor == 5
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(SystemExit, match="not a notebook"):
        list(run_notebooks.notebooks([tmp_path / "x.txt"]))


def test_tracebacks_name_files_relative_to_the_repository(tmp_path):
    nb = new_notebook(cells=[new_code_cell("x")])
    root = tmp_path / "repo"
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="E", evalue="v", traceback=[
        f"\x1b[36mFile \x1b[39m\x1b[32m{root}/tconv_edu/conv.py:22\x1b[39m, in conv2d", "E: v"])]
    out = run_notebooks.relative_tracebacks(nb, root)
    assert out.cells[0].outputs[0].traceback[0] == "\x1b[36mFile \x1b[39m\x1b[32mtconv_edu/conv.py:22\x1b[39m, in conv2d"
    assert str(tmp_path) not in "".join(out.cells[0].outputs[0].traceback)


def test_stored_tracebacks_keep_the_cell_and_the_error_not_the_library_frames():
    nb = new_notebook(cells=[new_code_cell("x")])
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="E", evalue="v", traceback=[
        "\x1b[31m----\x1b[39m", "\x1b[36mCell \x1b[39m\x1b[32mIn[3], line 1\x1b[39m\n----> 1 f()",
        "\x1b[36mFile \x1b[39m\x1b[32mtconv_edu/shapes.py:354\x1b[39m, in keras_output_size", "\x1b[31mE\x1b[39m: v"])]
    tb = run_notebooks.without_file_frames(nb).cells[0].outputs[0].traceback
    assert len(tb) == 3 and "In[3]" in tb[1] and tb[-1].endswith("v")
    assert not any("shapes.py" in line for line in tb)
