"""The instructor's judge cannot be fooled: ways a learner who wants marks could fake a grade, each scoring 0.

Every hostile submission below holds a WRONG answer to ``scatter_2d`` (an all-zero array) plus one trick; the
correct ``scatter_strided`` beside it must still score its 3 points (one exercise's trick costs that exercise only).
Honest submissions (helpers, imports, extra cells) score full points. All are graded in one run of the command.
"""
import csv
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from tconv_edu.grading import __main__ as cli
from test_grading_notebooks import NAME, ROOT, filled

pytestmark = pytest.mark.slow

WRONG = "def scatter_2d(x, k):\n    return np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))"
LOOPS = """def scatter_2d(x, k):
    y = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i:i + k.shape[0], j:j + k.shape[1]] += x[i, j] * k
    return y"""


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def wrong(answer_extra="", check_cell=None, edit=None):
    """The exercise notebook with scatter_strided solved, scatter_2d wrong, and one trick applied."""
    nb = filled({"scatter_strided"}, {"scatter_2d": WRONG + ("\n" + answer_extra if answer_extra else "")})
    if check_cell is not None:
        _cell(nb, "scatter_2d-check").source = check_cell
    if edit is not None:
        edit(nb)
    return nb


def _delete_check(nb):
    nb.cells.remove(_cell(nb, "scatter_2d-check"))


def _inflate_points(nb):
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
    _cell(nb, "scatter_2d-answer").metadata["nbgrader"].update(grade=True, points=50)


def _duplicate_passing_check(nb):
    i = nb.cells.index(_cell(nb, "scatter_2d-check"))
    copy = nbformat.from_dict(json.loads(json.dumps(_cell(nb, "scatter_2d-check"))))
    copy.source, copy.id = "print('scatter_2d: all 12 cases passed (4 fixed, 8 random), 2/2 points')", "copy1"
    nb.cells.insert(i + 1, copy)


def _move_check_first(nb):
    check = _cell(nb, "scatter_2d-check")
    nb.cells.remove(check)
    nb.cells.insert(0, check)


def _forge_metadata(nb):
    """Claim the setup cell's grade_id for a cell that redefines check and patches numpy."""
    fake = new_code_cell("import numpy as np\nnp.allclose = lambda *a, **k: True\ncheck = lambda *a, **k: None")
    fake.metadata["nbgrader"] = dict(_cell(nb, "ex1-setup").metadata["nbgrader"])
    nb.cells.insert(2, fake)


ATTACKS = {
    "rebind_check": wrong("check = lambda *a, **k: None"),
    "check_cell_pass": wrong(check_cell="pass"),
    "check_cell_try_except": wrong(check_cell="try:\n    check('scatter_2d', scatter_2d)\nexcept BaseException:\n    pass"),
    "check_cell_deleted": wrong(edit=_delete_check),
    "check_cell_moved": wrong(edit=_move_check_first),
    "check_cell_duplicated": wrong(edit=_duplicate_passing_check),
    "exit_in_check_cell": wrong(check_cell="import os\nos._exit(0)"),
    "exit_in_answer_cell": wrong("import os\nos._exit(0)"),
    "points_inflated": wrong(edit=_inflate_points),
    "forged_metadata": wrong(edit=_forge_metadata),
    "patch_numpy_allclose": wrong("np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, *r, **k: "
                                  "np.ones(np.shape(a), bool)\nnp.array_equal = lambda *a, **k: True"),
    "patch_library": wrong("te.conv_transpose2d = lambda x, k, *a, **kw: scatter_2d(x, k)\n"
                           "te.FORMS = {m: te.conv_transpose2d for m in te.FORMS}"),
    "patch_grading": wrong("import tconv_edu.grading._check as gc, tconv_edu.grading as g\n"
                           "gc._compare = lambda *a, **k: None\ng.check = lambda *a, **k: None\n"
                           "gc.evaluate = lambda ex, run, **k: gc.Result(ex, True, 12, 12, 'ok', 'passed')"),
    "read_grader_frames": wrong("import sys\n_real = scatter_2d\ndef scatter_2d(x, k):\n"
                                "    f = sys._getframe(1)\n    while f is not None:\n"
                                "        for name in ('expected', 'exp', 'want'):\n"
                                "            if name in f.f_locals:\n                return f.f_locals[name]\n"
                                "        f = f.f_back\n    return _real(x, k)"),
    "fake_serve_with_library": wrong("import tconv_edu.grading._serve as s\n_orig = s.serve\n"
                                     "def serve(ns, fn, *args):\n"
                                     "    if fn == 'scatter_2d':\n"
                                     "        ns = dict(ns, scatter_2d=lambda x, k: te.conv_transpose2d(x, k))\n"
                                     "    return _orig(ns, fn, *args)\ns.serve = serve"),
    "read_the_solutions": wrong("import json, pathlib\n"
                                "_src = pathlib.Path(te.__file__).parents[1] / 'solutions' / 'ex1_scatter.ipynb'\n"
                                "for _c in json.load(open(_src))['cells']:\n"
                                "    if 'def scatter_2d' in ''.join(_c['source']):\n"
                                "        exec(''.join(_c['source']))"),
    "kill_the_judge": wrong("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
    "subprocess_oracle": wrong("import subprocess, sys\n_real = scatter_2d\ndef scatter_2d(x, k):\n"
                               "    subprocess.run([sys.executable, '-c', 'print(1)'])\n    return _real(x, k)"),
    "ctypes_unhook": wrong("import ctypes\nctypes.pythonapi.PyEval_SetProfile(None, None)"),
    "raise_systemexit": wrong("def scatter_2d(x, k):\n    raise SystemExit(0)"),
    "keyboard_interrupt": wrong("def scatter_2d(x, k):\n    raise KeyboardInterrupt"),
    "object_that_equals_anything": wrong("class Any(np.ndarray):\n    def __eq__(self, o): return True\n"
                                         "def scatter_2d(x, k):\n    return Any((1,))"),
    "endless_loop": wrong("def scatter_2d(x, k):\n    while True:\n        try:\n            pass\n"
                          "        except BaseException:\n            pass"),
    "library_from_a_thread": wrong("import threading, queue\n_jobs, _done = queue.Queue(), queue.Queue()\n"
                                   "def _worker():\n    while True:\n        x, k = _jobs.get()\n"
                                   "        _done.put(te.conv_transpose2d(x, k))\n"
                                   "threading.Thread(target=_worker, daemon=True).start()\n"
                                   "def scatter_2d(x, k):\n    _jobs.put((x, k))\n    return _done.get()"),
    "intercept_the_kernel": wrong("import json, re, numpy\nfrom IPython import get_ipython\n_shell = get_ipython()\n"
                                  "_run = _shell.run_cell\n"
                                  "def run_cell(raw, *a, **k):\n"
                                  "    m = re.search(r\"serve\\(globals\\(\\), '(\\w+)', '([^']+)'\", raw)\n"
                                  "    if not m:\n        return _run(raw, *a, **k)\n"
                                  "    spec = json.load(open(m[2] + '.json'))\n"
                                  "    arrays = numpy.load(m[2] + '.npz')\n"
                                  "    x, k = (arrays[spec[n][1]] for n in ('x', 'k'))\n"
                                  "    numpy.save(m[2] + '.value.npy', te.conv_transpose2d(x, k))\n"
                                  "    json.dump({'function': m[1], 'value': {'kind': 'array'}, 'after': {}},\n"
                                  "              open(m[2] + '.out.json', 'w'))\n"
                                  "    return _run('pass', *a, **k)\n"
                                  "_shell.run_cell = run_cell"),
    "unhook_the_watch": wrong("import sys, threading\nsys.setprofile(None)\nthreading.setprofile(None)\n"
                              "def scatter_2d(x, k):\n    return te.conv_transpose2d(x, k)"),
    "rewrite_the_release": wrong("import json, pathlib\n"
                                 "_rel = pathlib.Path(te.__file__).parents[1] / 'exercises' / 'ex1_scatter.ipynb'\n"
                                 "_nb = json.load(open(_rel))\n"
                                 "for _c in _nb['cells']:\n"
                                 "    _c.get('metadata', {}).get('nbgrader', {})['points'] = 0\n"
                                 "json.dump(_nb, open(_rel, 'w'))"),
    "rebind_the_guards_names": wrong("import builtins, os, os.path, sys\n"
                                     "os.path.exists = lambda p: False\nos.path.realpath = lambda p: '/tmp'\n"
                                     "os.fsdecode = lambda p: '/tmp/x'\nos.path.normpath = lambda p: '/tmp/x'\n"
                                     "_k = sys.modules.get('tconv_edu.grading._kernel') or __import__('types')\n"
                                     "_k._DENIED_PREFIXES, _k._PATH_EVENTS, _k._norm = (), {}, lambda p, c: '/tmp/x'\n"
                                     "_sol = te.__file__.rsplit('/', 2)[0] + '/solutions/ex1_scatter.ipynb'\n"
                                     "exec([''.join(c['source']) for c in __import__('json').load(open(_sol.encode()))"
                                     "['cells'] if 'def scatter_2d' in ''.join(c['source'])][0])"),
    # a path-like that names a harmless file to the first look and the solutions to the next (CPython's open
    # reads it once, and the guard accepts only str, bytes and pathlib paths)
    "pathlike_switcheroo": wrong("import json, os\n"
                                 "_sol = te.__file__.rsplit('/', 2)[0] + '/solutions/ex1_scatter.ipynb'\n"
                                 "class _P:\n    n = 0\n    def __fspath__(self):\n"
                                 "        _P.n += 1\n        return 'harmless.txt' if _P.n == 1 else _sol\n"
                                 "open('harmless.txt', 'w').close()\n"
                                 "exec([''.join(c['source']) for c in json.load(open(_P()))['cells']"
                                 " if 'def scatter_2d' in ''.join(c['source'])][0])"),
    "fifty_gigabytes": wrong("def scatter_2d(x, k):\n    return np.ones(50 * 2 ** 30 // 8)"),
}

HONEST = {
    "honest_plain": filled({"scatter_2d", "scatter_strided"}),
    "honest_helpers": None,       # filled in below: helpers in extra cells, imports, markdown
}


def _honest_with_helpers():
    nb = filled({"scatter_strided"}, {"scatter_2d": "def scatter_2d(x, k):\n    return _stamp_all(x, k)"})
    i = nb.cells.index(_cell(nb, "scatter_2d-answer"))
    nb.cells.insert(i, new_markdown_cell("My notes: stamps add up."))
    nb.cells.insert(i + 1, new_code_cell("import math\nfrom itertools import product\n\n"
                                         "def _stamp_all(x, k):\n    y = np.zeros(np.add(x.shape, k.shape) - 1)\n"
                                         "    for i, j in product(range(x.shape[0]), range(x.shape[1])):\n"
                                         "        y[i:i + k.shape[0], j:j + k.shape[1]] += x[i, j] * k\n"
                                         "    return y"))
    nb.cells.append(new_code_cell("print(scatter_2d(np.eye(2), np.ones((2, 2))))\n"
                                  "check('scatter_2d', scatter_2d)"))
    return nb


HONEST["honest_helpers"] = _honest_with_helpers()
# a learner's own test cell that runs the library's transposed convolution on a large input (which would start the
# library's thread pool elsewhere) is still honest
HONEST["honest_library_in_a_cell"] = filled({"scatter_2d", "scatter_strided"})
HONEST["honest_library_in_a_cell"].cells.append(new_code_cell(
    "big = te.conv_transpose2d(np.ones((4, 8, 64, 64)), np.ones((8, 8, 2, 2)), stride=2)\nprint(big.shape)"))
LIBRARY = {"library_in_scatter_2d": filled({"scatter_strided"}, {"scatter_2d": "def scatter_2d(x, k):\n"
                                            "    f = te.FORMS['matrix']\n    try:\n        return f(x, k)\n"
                                            "    except BaseException:\n        return None"})}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("submitted")
    for student, nb in {**ATTACKS, **HONEST, **LIBRARY}.items():
        (root / student / "ex1").mkdir(parents=True)
        nbformat.write(nb, str(root / student / "ex1" / NAME))
    gradebook = root.parent / "grades.csv"
    release = (ROOT / "exercises" / NAME).read_bytes()
    status = cli.main([str(root), "--jobs", "2", "--timeout", "4", "--csv", str(gradebook),
                       "--release", str(ROOT / "exercises")])
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(gradebook.open())}
    assert (ROOT / "exercises" / NAME).read_bytes() == release, "a learner's kernel rewrote the release"
    return status, rows


def test_at_least_twelve_distinct_tricks():
    assert len(ATTACKS) >= 12


# tricks on the kernel itself, not on one exercise: they cost every library-free exercise of the notebook
KERNEL_WIDE = {"unhook_the_watch": "switched off the grader's watch",
               "intercept_the_kernel": "called the library's transposed convolution"}


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_a_trick_with_a_wrong_answer_scores_0_and_costs_only_that_exercise(graded, student):
    _, rows = graded
    assert rows[(student, "scatter_2d")]["points"] == "0", rows[(student, "scatter_2d")]
    assert rows[(student, "scatter_2d")]["max_points"] == "2"          # points from the release, not the notebook
    strided = rows[(student, "scatter_strided")]
    if student in KERNEL_WIDE:
        assert strided["points"] == "0" and KERNEL_WIDE[student] in strided["result"], strided
    else:
        assert strided["points"] == "3", strided["result"]


@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_answers_score_full_points(graded, student):
    _, rows = graded
    assert rows[(student, "scatter_2d")]["points"] == "2", rows[(student, "scatter_2d")]
    assert rows[(student, "scatter_strided")]["points"] == "3"


def test_the_library_where_an_exercise_rules_it_out_scores_0_and_says_why(graded):
    _, rows = graded
    row = rows[("library_in_scatter_2d", "scatter_2d")]
    assert row["points"] == "0" and "called the library's transposed convolution" in row["result"]


def test_what_the_table_says_about_timeouts_and_dead_kernels(graded):
    status, rows = graded
    assert status == 1
    assert rows[("endless_loop", "scatter_2d")]["result"].startswith("timed out")
    assert rows[("exit_in_answer_cell", "scatter_2d")]["cases"].endswith("/12")
    assert "MemoryError" in rows[("fifty_gigabytes", "scatter_2d")]["result"] or \
        rows[("fifty_gigabytes", "scatter_2d")]["points"] == "0"


def test_the_judge_survived_and_every_student_has_rows(graded):
    _, rows = graded
    students = {s for s, _ in rows}
    assert students == set(ATTACKS) | set(HONEST) | set(LIBRARY)
