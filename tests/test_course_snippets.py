"""The course's framework code, run in the real frameworks: PyTorch, TensorFlow, Keras 3, JAX, ONNX + onnxruntime.

A *snippet* is a fenced ```python block, in a markdown cell of a notebook or in notebooks/cheatsheet.md, that
imports one of those frameworks: the lines a practitioner types. The notebooks only show them (they run with numpy
alone); this test runs them. A line that ends with a claim is checked:

- ``expr  # -> literal``: ``expr`` equals the Python literal (a ``: remark`` may follow it). Shapes compare as
  tuples (``torch.Size``, ``TensorShape``), numbers to 1e-6, containers item by item;
- ``stmt  # raises Name: text``: ``stmt`` raises an exception of class ``Name`` (or a subclass) whose message
  contains ``text``.

The other lines run as they are, in order. In a notebook a snippet runs after every code cell above it (as the
learner ran them), in a copy of their namespace, so its claims compare the framework's result with the arrays the
course shows beside it (``np.allclose(y, ys["TF 'SAME'"])  # -> True``); a cheat sheet snippet stands alone. Every
snippet must hold a claim. Without the frameworks (``pip install -e ".[frameworks]"`` and torch, as ``make test``
does) the tests skip; with ``TCONV_EDU_REQUIRE_FRAMEWORKS`` set, as in .ci/run, they fail instead.
"""
from __future__ import annotations

import ast
import importlib.util
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHEET = ROOT / "notebooks" / "cheatsheet.md"

#: import name -> framework, as the course names them
FRAMEWORK_OF = {"torch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras", "jax": "JAX",
                "onnx": "ONNX", "onnxruntime": "ONNX"}
#: what each place that compares frameworks must show in real code
MUST_SHOW = {
    "02_shapes.ipynb": {"PyTorch", "TensorFlow", "Keras", "JAX", "ONNX"},
    "08_porting.ipynb": {"PyTorch", "TensorFlow", "Keras", "JAX", "ONNX"},
    "cheatsheet.md": {"PyTorch", "TensorFlow", "Keras", "JAX", "ONNX"},
    "05_checkerboard.ipynb": {"PyTorch"},
    "09_one_and_three_dimensions.ipynb": {"PyTorch", "Keras", "ONNX"},
}
CLAIM = re.compile(r"^(?P<code>.*?\S)\s+# (?:-> (?P<want>.+)|raises (?P<error>\w+): (?P<message>.+))$")
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Snippet:
    where: str        # file name
    cell: str         # the markdown cell's id ("" in the cheat sheet)
    index: int        # the cell's position (code cells above it run first)
    number: int       # the snippet's place in its cell or file
    code: str

    def __str__(self):
        return f"{self.where}:{self.cell or 'block'}#{self.number}"

    @property
    def frameworks(self) -> set:
        names = set()
        for node in ast.walk(ast.parse(self.code)):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
        return {FRAMEWORK_OF[n] for n in names if n in FRAMEWORK_OF}


def _blocks(text: str):
    return [m.group(1) for m in FENCE.finditer(text)]


def collect():
    found = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                found += [Snippet(path.name, cell.id, index, n, code) for n, code in enumerate(_blocks(cell.source))]
    found += [Snippet(SHEET.name, "", 0, n, code) for n, code in enumerate(_blocks(SHEET.read_text("utf-8")))]
    return [s for s in found if s.frameworks]


SNIPPETS = collect()


# --------------------------------------------------------------------------------------------- running a snippet

def steps(code: str):
    """The snippet as ("run", source) blocks and ("claim", line, code, want, error, message) checks, in order."""
    out, pending = [], []
    for number, line in enumerate(code.splitlines(), 1):
        m = CLAIM.match(line)
        if not m:
            pending.append(line)
            continue
        if pending:
            out.append(("run", "\n".join(pending)))
            pending = []
        out.append(("claim", number, m["code"], m["want"], m["error"], m["message"]))
    if pending:
        out.append(("run", "\n".join(pending)))
    return out


def literal(text: str):
    """The claimed value: a Python literal, up to a ': ' that starts a remark."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ast.literal_eval(text.split(": ")[0])


def same(got, want) -> bool:
    if isinstance(want, bool) or want is None:
        return (bool(got) if isinstance(got, (bool, np.bool_)) else got) is want
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float, np.number)) and math.isclose(float(got), want, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(want, str):
        return got == want
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    if isinstance(want, (tuple, list)):
        try:
            got = list(got)
        except TypeError:
            return False
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    raise TypeError(f"cannot compare with {want!r}")


def run(snippet: Snippet, ns: dict) -> int:
    """Run the snippet in ``ns``; returns how many claims it checked."""
    claims = 0
    for step in steps(snippet.code):
        if step[0] == "run":
            exec(compile(step[1], str(snippet), "exec"), ns)
            continue
        _, line, code, want, error, message = step
        where = f"{snippet}, line {line}: {code}"
        claims += 1
        if error:
            with pytest.raises(Exception) as info:
                exec(compile(code, str(snippet), "exec"), ns)
            names = [c.__name__ for c in type(info.value).__mro__]
            assert error in names, f"{where} raised {type(info.value).__name__}, the course says {error}"
            assert message in str(info.value), f"{where}: {info.value}\nthe course quotes: {message}"
        else:
            got = eval(compile(code, str(snippet), "eval"), ns)
            assert same(got, literal(want)), f"{where} is {got!r}, the course says {want}"
    return claims


# ------------------------------------------------------------------------------- running a file's snippets, apart

def _plain_cell(cell) -> bool:
    """A code cell to run before a snippet: an explorer's cell defines nothing and needs a front end."""
    return cell.cell_type == "code" and not re.fullmatch(r"\s*widgets\.\w+\(.*\)\s*", cell.source, re.S)


def run_file(where: str) -> dict:
    """Run every snippet of one file, in order: {str(snippet): None, or the failure as text}. In a notebook each
    snippet runs in a copy of the namespace of the code cells above it."""
    import traceback

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    snippets = [s for s in SNIPPETS if s.where == where]
    results, ns = {}, {"__name__": "__course__"}
    cells = nbformat.read(ROOT / "notebooks" / where, as_version=4).cells if where.endswith(".ipynb") else []
    done = 0
    os.chdir(ROOT / "notebooks")
    for snippet in snippets:
        for cell in cells[done:snippet.index]:
            if _plain_cell(cell):
                try:
                    exec(compile(cell.source, f"{where}:{cell.id}", "exec"), ns)
                except Exception:
                    if "raises-exception" not in cell.metadata.get("tags", []):   # an error shown on purpose
                        raise
                plt.close("all")
        done = max(done, snippet.index)
        try:
            claims = run(snippet, dict(ns) if cells else {})
            results[str(snippet)] = None if claims else "no claim checked"
        except BaseException:   # noqa: B036 - a failed claim (AssertionError) or the framework's own error
            results[str(snippet)] = traceback.format_exc(limit=-3)
    return results


@pytest.fixture(scope="module")
def outcomes():
    """{file: its snippets' results}, each file run by a child process: TensorFlow's and JAX's threads never live in
    the test process, which other tests fork (JAX warns that a fork after it starts can deadlock)."""
    import json
    import subprocess
    import sys

    cache = {}

    def of(where):
        if where not in cache:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": os.pathsep.join(sys.path)}
            done = subprocess.run([sys.executable, __file__, where], capture_output=True, text=True, env=env,
                                  timeout=600)
            assert done.returncode == 0, f"{where}: the snippet runner failed\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            cache[where] = json.loads(done.stdout.strip().splitlines()[-1])
        return cache[where]

    return of


def _require(frameworks: set):
    modules = {"PyTorch": ["torch"], "TensorFlow": ["tensorflow"], "Keras": ["keras"], "JAX": ["jax"],
               "ONNX": ["onnx", "onnxruntime"]}
    missing = [m for f in sorted(frameworks) for m in modules[f] if importlib.util.find_spec(m) is None]
    if missing:
        why = f"not installed: {', '.join(missing)} (make test installs them: pip install -e '.[frameworks]')"
        if os.environ.get("TCONV_EDU_REQUIRE_FRAMEWORKS"):
            pytest.fail(why)
        pytest.skip(why)


# ------------------------------------------------------------------------------------------------------ tests

def test_every_place_that_compares_frameworks_shows_their_code():
    shown = {}
    for s in SNIPPETS:
        shown.setdefault(s.where, set()).update(s.frameworks)
    for where, frameworks in MUST_SHOW.items():
        assert frameworks <= shown.get(where, set()), f"{where}: no real code for {frameworks - shown.get(where, set())}"


def test_every_snippet_holds_a_claim_and_parses():
    for s in SNIPPETS:
        claims = [step for step in steps(s.code) if step[0] == "claim"]
        assert claims, f"{s}: a snippet without a claim (`expr  # -> value` or `stmt  # raises Name: text`) checks nothing"
        for _, line, code, want, *_ in claims:
            compile(code, str(s), "exec")
            if want is not None:
                literal(want)


def test_claims_are_read_as_claims():
    """The reader of the claims: a result, an error, and a comment that is neither."""
    code = "x = 1  # the input\nx + 1  # -> 2: two\nint('a')  # raises ValueError: invalid literal"
    assert [s[0] for s in steps(code)] == ["run", "claim", "claim"]
    assert run(Snippet("t", "", 0, 0, code), {}) == 2
    with pytest.raises(AssertionError, match="the course says 3"):
        run(Snippet("t", "", 0, 0, "1 + 1  # -> 3"), {})
    with pytest.raises(AssertionError, match="raised ValueError, the course says TypeError"):
        run(Snippet("t", "", 0, 0, "int('a')  # raises TypeError: invalid"), {})
    assert same((1, 8, 8, 2), (1, 8, 8, 2)) and not same((1, 8, 8), (1, 8, 8, 2)) and not same(np.bool_(False), True)


def test_the_notebooks_themselves_import_no_framework():
    """The course runs with numpy alone: framework code lives in markdown, never in a code cell."""
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                tree = ast.parse(cell.source)
                imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
                imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                             if isinstance(n, ast.ImportFrom) and n.module}
                assert not imported & set(FRAMEWORK_OF), f"{path.name}:{cell.id} imports {imported & set(FRAMEWORK_OF)}"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("snippet", SNIPPETS, ids=str)
def test_snippet_runs_in_the_real_frameworks(snippet, outcomes):
    _require(snippet.frameworks)
    failure = outcomes(snippet.where)[str(snippet)]
    assert failure is None, f"{snippet}:\n{failure}"


if __name__ == "__main__":      # the child process of ``outcomes``: python tests/test_course_snippets.py FILE
    import json
    import sys

    print(json.dumps(run_file(sys.argv[1])))
