"""The course's notebooks keep one shape: title, objectives, short cells, figures from viz,
no long helpers, a summary and an exercises pointer, committed with outputs as nbformat 4.5."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_HELPER_LINES = 6          # "no notebook defines a helper longer than a few lines"
# drawing belongs in tconv_edu.viz: no direct matplotlib drawing calls in a notebook
DRAWING = re.compile(r"\b(plt|ax|axes|fig)\.(plot|imshow|bar|scatter|matshow|pcolormesh|hist|add_patch|text)\(")


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    return nbformat.read(request.param, as_version=4)


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ has no numbered notebooks"


def test_title_objectives_summary_exercises(nb):
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert md and md[0].startswith("# "), "the first cell must be a markdown title"
    objectives = re.findall(r"^\d\. ", md[0], flags=re.M)
    assert 3 <= len(objectives) <= 4, f"expected 3-4 numbered learning objectives in the first cell, got {len(objectives)}"
    text = "\n".join(md)
    assert "## Summary" in text and "## Exercises" in text


def test_no_long_helpers_and_no_drawing_in_notebooks(nb):
    for cell in _code(nb):
        src = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                n = node.end_lineno - node.lineno + 1
                assert n <= MAX_HELPER_LINES, f"cell {cell.id}: {node.name} is {n} lines; move it to the library"
        assert not DRAWING.search(cell.source), f"cell {cell.id}: draws with matplotlib directly; use tconv_edu.viz"


def test_short_cells(nb):
    for cell in _code(nb):
        assert len(cell.source.splitlines()) <= 15, f"cell {cell.id} has more than 15 lines"


def test_committed_executed_as_45_with_ids(nb):
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    assert all(c.get("id") for c in nb.cells)
    code = _code(nb)
    assert all(c.execution_count is not None for c in code), "run scripts/run_notebooks.py (make notebooks)"
    assert "widgets" not in nb.metadata, "widget state must not be stored"
    assert all("execution" not in c.metadata for c in code), "timings must not be stored"
