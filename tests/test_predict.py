""""Predict, then run": the course's questions keep one convention, and chapter 02 stays short.

A question is a markdown cell's "**Predict:** ..." followed, in the same cell, by its answer hidden in an HTML
``<details><summary>Answer</summary> ... </details>`` block (revealed on demand in JupyterLab, Voila and JupyterLite,
by keyboard and screen reader), and the cell right after it is the code cell that answers it. A notebook that asks
any question asks at least two.
"""
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
QUESTION = re.compile(r"\*\*\s*Predict\b")           # the exact form is checked below, so a near miss is caught
DETAILS = re.compile(r"<details>\s*<summary>(?P<summary>.*?)</summary>(?P<blank>[ \t]*\n[ \t]*\n)?"
                     r"(?P<answer>.*?)</details>", re.S)
MAX_CELLS_02 = 40


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    return request.param.name, nbformat.read(request.param, as_version=4)


def _questions(cell):
    """The text of each question in a markdown cell: from its "**Predict" up to the next one."""
    starts = [m.start() for m in QUESTION.finditer(cell.source)]
    return [cell.source[a:b] for a, b in zip(starts, starts[1:] + [len(cell.source)])]


def test_every_question_hides_its_answer_in_details_before_the_code_that_answers_it(nb):
    name, book = nb
    for i, cell in enumerate(book.cells):
        if cell.cell_type != "markdown":
            assert not QUESTION.search(cell.source), f"{name} cell {cell.id}: a Predict question outside markdown"
            continue
        for q in _questions(cell):
            where = f"{name} cell {cell.id}: {q[:60]!r}"
            assert q.startswith("**Predict:**"), f"{where}: write the question as '**Predict:** ...'"
            details = DETAILS.search(q)
            assert details, f"{where}: no <details><summary>...</summary> ... </details> block after the question"
            assert q[:details.start()].strip() != "**Predict:**", f"{where}: the question itself is missing"
            assert details["summary"].strip(), f"{where}: the <summary> is empty (say 'Answer')"
            assert details["blank"], f"{where}: leave a blank line after </summary>, or the answer's markdown shows raw"
            assert details["answer"].strip(), f"{where}: the answer is empty"
        if _questions(cell):
            after = book.cells[i + 1] if i + 1 < len(book.cells) else None
            assert after is not None and after.cell_type == "code", \
                f"{name} cell {cell.id}: a Predict question must come just before the code cell that answers it"


def test_a_notebook_that_asks_asks_at_least_two(nb):
    name, book = nb
    n = sum(len(_questions(c)) for c in book.cells if c.cell_type == "markdown")
    assert n == 0 or n >= 2, f"{name} asks {n} Predict question; ask two to four, or none"


def test_the_shapes_chapter_is_short():
    path = next(p for p in NOTEBOOKS if p.name == "02_shapes.ipynb")
    n = len(nbformat.read(path, as_version=4).cells)
    assert n <= MAX_CELLS_02, f"02_shapes.ipynb has {n} cells (at most {MAX_CELLS_02}: TF/Keras rules belong in 08)"


def test_chapters_02_and_08_ask():
    for name in ("02_shapes.ipynb", "08_porting.ipynb"):
        book = nbformat.read(next(p for p in NOTEBOOKS if p.name == name), as_version=4)
        n = sum(len(_questions(c)) for c in book.cells if c.cell_type == "markdown")
        assert 2 <= n <= 4, f"{name} asks {n} Predict questions (two to four)"
