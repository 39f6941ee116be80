"""A Python without threads (Pyodide, JupyterLite's kernel), simulated on CPython: the library's fallbacks.

Under Pyodide ``Thread.start`` raises RuntimeError ("can't start new thread"), subprocesses fail and ``sys.platform``
is ``"emscripten"``. Here threads refuse to start (``threading.Thread.start`` patched to raise) and the platform is
renamed, and ``check()`` (no time limit, said once), the GEMM form (serial) and notebook 06 (its recorded results
found from its own folder) must still work. tests/test_lite.py checks the same facts in a real Pyodide.
"""
from __future__ import annotations

import io
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tconv_edu as te
from tconv_edu import _platform, gemm
from tconv_edu.grading import check
from tconv_edu.grading.learner import _student

ROOT = Path(__file__).resolve().parents[1]


def scatter_2d(x, k):
    y = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i:i + k.shape[0], j:j + k.shape[1]] += x[i, j] * k
    return y


@pytest.fixture
def no_threads(monkeypatch):
    """Threads that refuse to start, as under Pyodide; the calls to Thread.start are counted."""
    tries = []

    def refuse(self):
        tries.append(self.name)
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(threading.Thread, "start", refuse)
    return tries


@pytest.fixture
def browser_platform(monkeypatch, no_threads):
    """Pyodide as the library sees it: sys.platform 'emscripten' and no threads."""
    monkeypatch.setattr(sys, "platform", "emscripten")
    return no_threads


@pytest.fixture
def told(monkeypatch):
    """What _platform.tell_once says (outside IPython: the process's stderr), from a fresh session."""
    out = io.StringIO()
    monkeypatch.setattr(_platform, "_told", set())
    monkeypatch.setattr(sys, "__stderr__", out)
    return out


# ----------------------------------------------------------------------------------------------- the platform

def test_platform_on_cpython():
    assert not _platform.in_browser() and _platform.can_start_threads()


def test_platform_without_threads(no_threads):
    assert not _platform.in_browser() and not _platform.can_start_threads()


def test_platform_in_the_browser(browser_platform):
    assert _platform.in_browser() and not _platform.can_start_threads()
    assert browser_platform == [], "no thread is even tried in the browser"


def test_tell_once_says_it_once(told):
    _platform.tell_once("hello")
    _platform.tell_once("hello")
    assert told.getvalue() == "hello\n"


# ------------------------------------------------------------------------------------------- check() fallback

@pytest.mark.parametrize("platform", ["no_threads", "browser_platform"])
def test_check_without_threads_grades_and_says_the_limit_is_off(platform, request, told, capsys):
    request.getfixturevalue(platform)
    check("scatter_2d", scatter_2d)
    assert "all 12 cases passed" in capsys.readouterr().out
    check("scatter_2d", scatter_2d)                             # said once per session, not per check
    assert told.getvalue().count("time limit is off") == 1, told.getvalue()


def test_check_without_threads_still_reports_mistakes(no_threads, told):
    def wrong(x, k):
        print("learner output stays captured")
        return scatter_2d(x, k)[:-1]
    with pytest.raises(AssertionError, match="shape") as err:
        check("scatter_2d", wrong)
    assert "scatter_2d" in str(err.value)

    def broken(x, k):
        raise ZeroDivisionError("oops")
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        check("scatter_2d", broken)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_in_a_kernel_the_notice_shows_past_the_captured_output():
    """In a Jupyter kernel the notice is a display output of the check's cell, beside the success line."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import threading\n"
        "def refuse(self):\n"
        "    raise RuntimeError(\"can't start new thread\")\n"
        "threading.Thread.start = refuse\n"
        "from tconv_edu.grading import check\n"
        "def twice(x, k):\n"
        "    print('captured')\n"
        "    raise ValueError('learner')\n"
        "try:\n"
        "    check('scatter_2d', twice)\n"
        "except AssertionError:\n"
        "    print('reported')")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    shown = [o["data"]["text/plain"] for o in outputs if o["output_type"] == "display_data"]
    printed = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert len(shown) == 1 and "time limit is off" in shown[0], outputs
    assert printed == "reported\n", outputs


def test_without_threads_the_budget_still_counts_between_calls(no_threads, told):
    """Nothing stops a call in progress, but a spent budget stops the next one (reported as a time-out)."""
    def slow(x, k):
        time.sleep(0.15)
        return scatter_2d(x, k)
    with pytest.raises(AssertionError, match="time"):
        check("scatter_2d", slow, time_limit=0.2)


def test_with_limit_unchanged_where_threads_start():
    with pytest.raises(_student.TimeLimit):
        _student._with_limit(time.sleep, (2.0,), 0.1)
    assert _student._with_limit(pow, (2, 10), 1.0) == 1024


# ---------------------------------------------------------------------------------------- GEMM form fallback

def _big_case():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 2, 40, 40)), rng.standard_normal((2, 16, 3, 3))
    n, _, h, wd = x.shape
    assert n * 16 * (2 * h + 1) * (2 * wd + 1) >= gemm.PARALLEL_MIN, "large enough to reach the thread pool"
    return x, w


@pytest.mark.parametrize("platform", ["no_threads", "browser_platform"])
def test_gemm_serial_where_threads_cannot_start(platform, request, monkeypatch):
    x, w = _big_case()
    expected = te.matrix.conv_transpose2d(x, w, stride=2, padding=0)
    monkeypatch.setattr(gemm, "THREADS", 4)                  # as on a multi-core machine
    gemm._pool.cache_clear()                                 # no pool made yet in this process
    request.addfinalizer(gemm._pool.cache_clear)             # later tests, with threads, make theirs
    tries = request.getfixturevalue(platform)
    got = te.conv_transpose2d(x, w, stride=2)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    assert gemm._pool() is None
    assert len(tries) <= 1, "one probe at most, then never again"
    te.conv_transpose2d(x, w, stride=2)
    assert len(tries) <= 1


# ------------------------------------------------------------------------------------------------- notebook 06

def test_notebook_06_finds_recorded_results_from_its_folder():
    """From the notebook's folder (the kernel's working directory, in JupyterLab and in JupyterLite alike), not
    from the package's location, which a wheel does not share with the repository."""
    nb = json.loads((ROOT / "notebooks" / "06_gpu.ipynb").read_text())
    source = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "__file__" not in source
    assert 'Path("..") / "benchmarks" / "results"' in source
    assert sorted((ROOT / "notebooks" / ".." / "benchmarks" / "results").glob("gpu_*.json"))
