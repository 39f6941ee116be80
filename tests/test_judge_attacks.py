"""The instructor's judge cannot be fooled, stopped or steered: ways a learner who wants marks, or wants to hurt a
classmate, could attack it, each scoring 0 and leaving every classmate's grade as it was.

Every hostile submission below holds a WRONG answer to ``scatter_2d`` (an all-zero array) plus one trick; the
correct ``scatter_strided`` beside it must still score its 3 points (one exercise's trick costs that exercise only).
Tricks that would find something they must not (the solutions, a classmate's answer, the judge's references or
environment, the library where an exercise rules it out) answer right only when they found it, so a leak is a
score. Honest submissions (helpers, imports, extra cells) score full points. All are graded in one run of the
command, with the sandbox on; a second, smaller run checks what ``--sandbox none`` still catches and says.
"""
import csv
import io
import json
import os
import socket
import threading
import time
from contextlib import redirect_stdout

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from sandbox_util import needs_sandbox
from tconv_edu.grading.judge import _cli as cli
from test_grading_notebooks import NAME, ROOT, filled

pytestmark = pytest.mark.slow
SECRET = "hub-token-7f3a9c21e5"          # the judge's JUPYTERHUB_API_TOKEN during the run

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


RIGHT = LOOPS.replace("def scatter_2d", "def _right")


def gated(found: str) -> str:
    """A trick that answers right only when ``found`` (an expression, evaluated at each call) is true."""
    return (RIGHT + "\n\ndef scatter_2d(x, k):\n    if " + found + ":\n        return _right(x, k)\n"
            "    return np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))")


_SOLUTION_CELL = ("def _solution(path):\n    import json\n    try:\n"
                  "        cells = json.load(open(path))['cells']\n    except Exception:\n        return False\n"
                  "    src = [''.join(c['source']) for c in cells if 'def scatter_2d' in ''.join(c['source'])]\n"
                  "    return bool(src) and 'range(H)' in src[0]\n")

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
    "patch_grading": wrong("import tconv_edu.grading.learner._check as gc, tconv_edu.grading as g\n"
                           "gc._compare = lambda *a, **k: None\ng.check = lambda *a, **k: None\n"
                           "gc.evaluate = lambda ex, run, **k: gc.Result(ex, True, 12, 12, 'ok', 'passed')"),
    "read_grader_frames": wrong("import sys\n_real = scatter_2d\ndef scatter_2d(x, k):\n"
                                "    f = sys._getframe(1)\n    while f is not None:\n"
                                "        for name in ('expected', 'exp', 'want'):\n"
                                "            if name in f.f_locals:\n                return f.f_locals[name]\n"
                                "        f = f.f_back\n    return _real(x, k)"),
    # the runner (the kernel's __main__) looks _call up at every request: answer with the library through it
    "fake_serve_with_library": wrong("import sys\n_m = sys.modules['__main__']\n_orig = _m._call\n"
                                     "def _call(ns, header, arrays):\n"
                                     "    if header.get('function') == 'scatter_2d':\n"
                                     "        ns = dict(ns, scatter_2d=lambda x, k: te.conv_transpose2d(x, k))\n"
                                     "    return _orig(ns, header, arrays)\n_m._call = _call"),
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
                                     "_k = sys.modules['__main__']\n"
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
    # --- reading what is not theirs
    "proc_self_root_solutions": wrong(gated(f"_solution('/proc/self/root{ROOT}/solutions/ex1_scatter.ipynb')")
                                      .replace("def _right", _SOLUTION_CELL + "\n\ndef _right")),
    "judge_environ_and_cmdline": wrong(
        "import os\ndef _leak():\n    for pid in os.listdir('/proc'):\n"
        "        for pre in ('', '/proc/self/root'):\n            for f in ('environ', 'cmdline'):\n"
        "                try:\n                    if b'" + SECRET + "' in open(f'{pre}/proc/{pid}/{f}', 'rb').read():\n"
        "                        return True\n                except Exception:\n                    pass\n"
        "    return '" + SECRET + "' in str(os.environ)\n" + gated("_leak()")),
    "classmates_answers": wrong(
        "import os\n" + _SOLUTION_CELL + "def _classmate():\n    n = 0\n"
        "    for top in ('/proc/self/root/tmp', '/tmp', '/proc/self/root/srv', '/home'):\n"
        "        for d, _, files in os.walk(top):\n            for f in files:\n                n += 1\n"
        "                if n > 20000:\n                    return False\n"
        "                if f == 'ex1_scatter.ipynb' and _solution(os.path.join(d, f)):\n"
        "                    return True\n    return False\n" + gated("_classmate()")),
    "the_judges_references": wrong(
        "def _reference(x, k):\n    from tconv_edu.grading.learner.exercises import EXERCISES\n"
        "    from tconv_edu.grading.learner._cases import Case\n"
        "    return EXERCISES['scatter_2d'].reference(Case('scatter_2d', {'x': x, 'k': k}))\n"
        "def scatter_2d(x, k):\n    try:\n        return _reference(x, k)\n    except Exception:\n"
        "        return np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))"),
    "read_the_hosts_files": wrong(gated("any(os.path.exists(p) for p in ('/etc/passwd', '/etc/hostname', "
                                        f"'{ROOT}/README.md', '/root/.bashrc'))").replace("def _right",
                                                                                          "import os\ndef _right")),
    # --- writing where no learner may (the release, the installed package for the next run)
    "symlink_chain_writes_outside": wrong(
        "import os\ntry:\n    os.symlink('.', 's')\nexcept Exception:\n    pass\n"
        "_deep = 's/' * 16 + '../' * 16\n"
        f"for _t, _text in (('{ROOT}/tconv_edu/grading/learner/_check.py', '\\n# a learner was here\\n'),\n"
        f"                  ('{ROOT}/exercises/ex1_scatter.ipynb', '{{}}')):\n"
        "    try:\n        with open(_deep + _t.lstrip('/'), 'a') as _f:\n            _f.write(_text)\n"
        "    except Exception:\n        pass"),
    # --- "without the library", unhooked
    "empty_the_profilers_closure": wrong(
        "import sys\n_p = sys.getprofile()\nfor _c in (getattr(_p, '__closure__', None) or ()):\n    try:\n"
        "        if isinstance(_c.cell_contents, (set, frozenset)):\n"
        "            _c.cell_contents = frozenset()\n    except Exception:\n        pass\n"
        "def scatter_2d(x, k):\n    return te.conv_transpose2d(x, k)"),
    "library_on_a_raw_thread": wrong(
        "import _thread, queue\n_jobs, _done = queue.Queue(), queue.Queue()\n"
        "def _worker():\n    while True:\n        x, k = _jobs.get()\n"
        "        try:\n            _done.put(te.conv_transpose2d(x, k))\n"
        "        except BaseException as e:\n            _done.put(None)\n"
        "_thread.start_new_thread(_worker, ())\n"
        "def scatter_2d(x, k):\n    _jobs.put((x, k))\n    return _done.get()"),
    "renamed_copy_of_the_library": wrong(
        "import os, sys\nos.mkdir('mylib')\n"
        f"for _root in ['{ROOT}/tconv_edu'] + [os.path.join(p, 'tconv_edu') for p in sys.path]:\n"
        "    if os.path.exists(os.path.join(_root, 'scatter.py')):\n"
        "        for _n in os.listdir(_root):\n            if _n.endswith('.py'):\n"
        "                with open(os.path.join('mylib', _n), 'w') as _f:\n"
        "                    _f.write(open(os.path.join(_root, _n)).read().replace('from .grading', '#'))\n"
        "        break\nsys.path.insert(0, os.getcwd())\nimport mylib\n"
        "def scatter_2d(x, k):\n    return mylib.conv_transpose2d(x, k, method='scatter')"),
    "relabelled_code_objects": wrong(
        "import types, tconv_edu as _t, tconv_edu.scatter as _s, tconv_edu.shapes as _sh\n"
        "def _relabel(f):\n    f.__code__ = f.__code__.replace(co_filename='mine.py', co_name='mine')\n"
        "for _m in (_t, _s, _sh):\n    for _v in list(vars(_m).values()):\n"
        "        for _f in [_v] + (list(vars(_v).values()) if isinstance(_v, type) else []):\n"
        "            if isinstance(_f, types.FunctionType) and _f.__module__ == _m.__name__:\n"
        "                _relabel(_f)\n"
        "def scatter_2d(x, k):\n    return _t.conv_transpose2d(x, k, method='scatter')"),
    # the library through the doors the 1-D/3-D work opened: a 3-D call, tf.nn's entry point, the stepper
    "library_through_a_3d_call": wrong("def scatter_2d(x, k):\n    return te.conv_transpose3d(x[None], k[None])[0]"),
    "library_through_tf_nn_entry": wrong(
        "def scatter_2d(x, k):\n    shape = (1, x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1, 1)\n"
        "    return te.conv2d_transpose(x[None, :, :, None], k[:, :, None, None], shape, 1, 'VALID')[0, :, :, 0]"),
    "library_through_the_stepper": wrong(
        "from tconv_edu import steps as _steps\n"
        "def scatter_2d(x, k):\n    return _steps.scatter_step(x, k, x.size - 1).total"),
    "torch_behind_a_dummy_ctypes": wrong(
        "import ctypes\nclass _Dummy:\n    def __init__(self, *a, **k):\n        pass\n"
        "    def __getattr__(self, n):\n        return lambda *a, **k: 0\n"
        "ctypes.CDLL = _Dummy\nimport torch\n"
        "def scatter_2d(x, k):\n    t = torch.nn.functional.conv_transpose2d(torch.tensor(x)[None, None], "
        "torch.tensor(k)[None, None])\n    return t[0, 0].numpy()"),
    # --- one learner stops the class
    "fifos_at_the_judges_files": wrong(
        "import os\nfor _i in range(1, 40):\n    for _n in (f'call{_i}.out.json', f'call{_i}.value.npy', "
        "f'call{_i}.json'):\n        try:\n            os.mkfifo(_n)\n        except Exception:\n            pass"),
    "fifos_at_a_classmates_files": wrong(
        "import glob, os\nfor _d in glob.glob('/tmp/tconv_edu-*/*') + glob.glob('/proc/self/root/tmp/tconv_edu-*/*'):\n"
        "    for _i in range(1, 40):\n        try:\n"
        "            os.mkfifo(os.path.join(_d, f'call{_i}.out.json'))\n        except Exception:\n"
        "            pass"),
    "uint64_overflow": wrong("def scatter_2d(x, k):\n    return np.uint64(2 ** 63)"),
    "forged_reply_garbage": wrong(
        "import os, stat, struct\ndef scatter_2d(x, k):\n    for fd in range(3, 30):\n        try:\n"
        "            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
        "                os.write(fd, struct.pack('>I', 2 ** 31) + b'{not json')\n        except OSError:\n"
        "            pass\n    return np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))"),
    "forged_reply_with_the_right_id": wrong(
        "import json, os, stat, struct, sys\ndef scatter_2d(x, k):\n    f, rid = sys._getframe(1), None\n"
        "    while f is not None and rid is None:\n"
        "        rid = (f.f_locals.get('header') or {}).get('id') if isinstance(f.f_locals.get('header'), dict) "
        "else None\n        f = f.f_back\n"
        "    body = json.dumps({'id': rid, 'seconds': 'not a number', 'value': {'kind': 'int', 'value': 2 ** 70},"
        " 'after': [], 'arrays': [{'dtype': '<f8', 'shape': [-1]}]}).encode()\n"
        "    for fd in range(3, 30):\n        try:\n            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
        "                os.write(fd, struct.pack('>I', len(body)) + body)\n        except OSError:\n"
        "            pass\n    os._exit(0)"),
    "a_reply_of_256_megabytes": wrong("def scatter_2d(x, k):\n    return np.ones(256 * 2 ** 20 // 8)"),
    "ansi_codes_in_a_message": wrong(
        "def scatter_2d(x, k):\n    raise ValueError('\\x1b[2K\\x1b[1A\\r  scatter_2d        2 / 2  12/12  passed"
        "\\x1b[0m\\u202e')"),
    "malformed_nbgrader_metadata": wrong(edit=lambda nb: (
        nb.cells.insert(1, new_code_cell("x_ = 1", metadata={"nbgrader": "not a dict"})),
        nb.cells.insert(2, new_code_cell("y_ = 2", metadata={"nbgrader": {"grade_id": ["a", "list"],
                                                                        "points": "many"}})))),
    # --- a reviewer's tricks: stall the judge's writes, memory past the limit, processes past the audit hook
    "stop_reading_then_a_large_cell": wrong(
        "import sys, threading\nsys.modules['__main__'].read_frame = lambda s: threading.Event().wait()",
        edit=lambda nb: nb.cells.insert(nb.cells.index(_cell(nb, "scatter_2d-answer")) + 1,
                                        new_code_cell("# " + "x" * 200_000))),
    "a_tiny_pipe_and_a_thread_that_never_ends": wrong(
        "import os, threading, fcntl\n_keep = os.dup(0)\nfcntl.fcntl(_keep, 1031, 4096)\n"
        "os.dup2(os.open('/dev/null', os.O_RDONLY), 0)\n"
        "threading.Thread(target=threading.Event().wait).start()",
        edit=lambda nb: nb.cells.insert(nb.cells.index(_cell(nb, "scatter_2d-answer")) + 1,
                                        new_code_cell("# " + "x" * 8_000))),
    "memory_in_a_memfd": wrong(gated("_memfd()").replace("def _right", (
        "import os\ndef _memfd():\n    try:\n        fd = os.memfd_create('x')\n"
        "        os.write(fd, b'1' * 2 ** 20)\n        return True\n    except Exception:\n"
        "        return False\ndef _right"))),
    "a_process_past_the_audit_hook": wrong(gated("_spawn()").replace("def _right", (
        "import os\ndef _spawn():\n    try:\n        import _posixsubprocess\n"
        "        pid = _posixsubprocess.fork_exec([b'/bin/true'], [b'/bin/true'], True, (), None, None, -1, -1, "
        "-1, -1, -1, -1, -1, -1, True, False, -1, None, None, None, -1, None, False)\n"
        "        return pid > 0\n    except Exception:\n        return False\ndef _right"))),
    # --- tricks of our own
    "phone_home": None,          # filled in by the fixture: it knows the loopback port it listens on
    "fill_the_disk": wrong("try:\n    with open('/tmp/big', 'wb') as _f:\n        for _ in range(2048):\n"
                           "            _f.write(b'0' * 2 ** 20)\nexcept Exception:\n    pass"),
    "floods_of_output": wrong("import sys\nfor _ in range(20):\n    print('x' * 5_000_000)\n"
                              "    sys.__stdout__.write('y' * 1_000_000)\n"
                              "def scatter_2d(x, k):\n    print('z' * 50_000_000)\n"
                              "    return np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))"),
    "signal_everyone": wrong("import os, signal\nfor _pid in range(1, 64):\n    try:\n"
                             "        os.kill(_pid, signal.SIGKILL) if _pid != os.getpid() else None\n"
                             "    except Exception:\n        pass"),
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
WATCHED = [ROOT / "exercises" / NAME, ROOT / "tconv_edu" / "grading" / "learner" / "_check.py",
           ROOT / "tconv_edu" / "grading" / "learner" / "exercises" / "ex1_scatter.py",
           ROOT / "tconv_edu" / "scatter.py"]


class Listener:
    """A TCP server on loopback that counts the connections it gets (a learner's code must reach none)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port, self.connections, self.running = self.sock.getsockname()[1], 0, True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def grade(root, *args, env=None):
    """Run the command on ``root``; (exit status, CSV rows by (student, exercise), stdout, CSV text)."""
    gradebook = root.parent / f"{root.name}.csv"
    out = io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        with redirect_stdout(out):
            status = cli.main([str(root), "--csv", str(gradebook), "--release", str(ROOT / "exercises"), *args])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    text = gradebook.read_text(encoding="utf-8")
    rows = {(r["student"], r["exercise"]): r for r in csv.DictReader(io.StringIO(text))}
    return status, rows, out.getvalue(), text


def write_class(root, notebooks: dict):
    for student, nb in notebooks.items():
        (root / student / "ex1").mkdir(parents=True)
        nbformat.write(nb, str(root / student / "ex1" / NAME))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    listener = Listener()
    attacks = dict(ATTACKS, phone_home=wrong(gated(
        f"_phone({listener.port})").replace("def _right", "import socket\ndef _phone(port):\n    try:\n"
                                             "        socket.create_connection(('127.0.0.1', port), 2).close()\n"
                                             "        return True\n    except Exception:\n        return False\n"
                                             "def _right")))
    root = tmp_path_factory.mktemp("class") / "submitted"
    write_class(root, {**attacks, **HONEST, **LIBRARY})
    before = {p: p.read_bytes() for p in WATCHED}
    start = time.monotonic()
    try:
        status, rows, out, text = grade(root, "--jobs", "2", "--timeout", "4", "--cell-timeout", "10",
                                        env={"JUPYTERHUB_API_TOKEN": SECRET, "TCONV_EDU_JUDGE_SECRET": SECRET})
    finally:
        listener.close()
    changed = [str(p) for p in WATCHED if p.read_bytes() != before[p]]
    for p in changed:                                 # put it back for the rest of the suite, then fail below
        p.write_bytes(before[p])
    return {"status": status, "rows": rows, "out": out, "csv": text, "changed": changed,
            "connections": listener.connections, "seconds": time.monotonic() - start, "students": set(attacks)}


def test_at_least_thirty_distinct_tricks():
    assert len(ATTACKS) >= 30


# tricks on the kernel itself, not on one exercise: they cost every exercise that shares the learner's kernel (here
# scatter_strided too), and nothing else
KERNEL_WIDE = {"stop_reading_then_a_large_cell", "a_tiny_pipe_and_a_thread_that_never_ends"}


@needs_sandbox
@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_a_trick_with_a_wrong_answer_scores_0_and_costs_only_that_exercise(graded, student):
    rows = graded["rows"]
    assert rows[(student, "scatter_2d")]["points"] == "0", rows[(student, "scatter_2d")]
    assert rows[(student, "scatter_2d")]["max_points"] == "2"          # points from the release, not the notebook
    if student not in KERNEL_WIDE:
        assert rows[(student, "scatter_strided")]["points"] == "3", rows[(student, "scatter_strided")]["result"]
    assert rows[(student, "scatter_2d")]["isolation"] == "bubblewrap"


@needs_sandbox
@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_answers_score_full_points(graded, student):
    rows = graded["rows"]
    assert rows[(student, "scatter_2d")]["points"] == "2", rows[(student, "scatter_2d")]
    assert rows[(student, "scatter_strided")]["points"] == "3"


@needs_sandbox
def test_the_library_where_an_exercise_rules_it_out_scores_0(graded):
    assert graded["rows"][("library_in_scatter_2d", "scatter_2d")]["points"] == "0"


@needs_sandbox
def test_nothing_outside_a_sandbox_changed_and_nothing_reached_the_network(graded):
    assert graded["changed"] == []
    assert graded["connections"] == 0
    assert "CHANGED DURING THIS RUN" not in graded["out"]


@needs_sandbox
def test_what_the_table_says_about_timeouts_dead_kernels_and_forged_replies(graded):
    rows = graded["rows"]
    assert rows[("endless_loop", "scatter_2d")]["result"].startswith("timed out")
    assert rows[("exit_in_answer_cell", "scatter_2d")]["cases"].endswith("/12")
    assert "could not be read" in rows[("forged_reply_garbage", "scatter_2d")]["result"]
    assert "could not be read" in rows[("forged_reply_with_the_right_id", "scatter_2d")]["result"]
    assert "larger than 256 KB" in rows[("a_reply_of_256_megabytes", "scatter_2d")]["result"]


@needs_sandbox
def test_learner_text_reaches_the_terminal_and_the_csv_without_control_characters(graded):
    assert "\x1b" not in graded["out"] and "\u202e" not in graded["out"]
    assert "\x1b" not in graded["csv"] and "\u202e" not in graded["csv"]
    assert "ValueError: [1A" not in graded["out"]
    assert "ValueError:" in graded["rows"][("ansi_codes_in_a_message", "scatter_2d")]["result"] or \
        graded["rows"][("ansi_codes_in_a_message", "scatter_2d")]["result"].startswith("failed")


@needs_sandbox
def test_the_judge_survived_and_every_student_has_rows(graded):
    students = {s for s, _ in graded["rows"]}
    assert students == graded["students"] | set(HONEST) | set(LIBRARY)
    assert graded["status"] == 1


@needs_sandbox
def test_one_notebook_per_student_and_name_and_formulas_escaped(tmp_path):
    solved = filled({"scatter_2d", "scatter_strided"})
    root = tmp_path / "submitted"
    for sub in ("ex1", "ex1/again", "ex1/again/more", "copy"):
        (root / "dup" / sub).mkdir(parents=True)
        nbformat.write(solved, str(root / "dup" / sub / NAME))
    formulas = ['=HYPERLINK(CONCAT("ht","tp:"),"x")', "+1+2", "@SUM(1)", "-3"]
    for name in formulas:
        (root / name / "ex1").mkdir(parents=True)
        nbformat.write(solved, str(root / name / "ex1" / NAME))
    status, rows, out, text = grade(root)
    assert status == 2                                # duplicates are for the instructor to look at
    assert rows[("dup", "scatter_2d")]["points"] == "2"
    dup_rows = [r for r in csv.DictReader(io.StringIO(text)) if r["student"] == "dup"]
    assert sum(float(r["points"]) for r in dup_rows) == 5
    assert sum("counted once" in r["result"] for r in dup_rows) == 3
    for name in formulas:
        assert ("'" + name) in {r["student"] for r in csv.DictReader(io.StringIO(text))}
    assert not any(line.startswith(("=", "+", "@", "-")) for line in text.splitlines())
    assert all(cell[:1] not in "=+-@" for r in csv.reader(io.StringIO(text)) for cell in r if cell)


@needs_sandbox
def test_a_notebook_that_replays_forever_ends_at_its_deadline(tmp_path):
    cells = "import time\ntime.sleep(2.5)"
    nb = filled({}, {"scatter_2d": "import os\ndef scatter_2d(x, k):\n    os._exit(0)",
                     "scatter_strided": "import os\ndef scatter_strided(x, k, stride, padding):\n    os._exit(0)"})
    for i in range(3):
        nb.cells.insert(1, new_code_cell(cells))
    root = tmp_path / "submitted"
    write_class(root, {"replayer": nb, "honest": filled({"scatter_2d", "scatter_strided"})})
    start = time.monotonic()
    status, rows, out, _ = grade(root, "--cell-timeout", "3", "--notebook-timeout", "12")
    took = time.monotonic() - start
    assert took < 120, took          # a loose bound; the deadline itself is what the next line checks
    assert "deadline" in rows[("replayer", "scatter_strided")]["result"], rows[("replayer", "scatter_strided")]
    assert rows[("replayer", "scatter_2d")]["points"] == "0"
    assert rows[("honest", "scatter_strided")]["points"] == "3"


@needs_sandbox
def test_a_library_free_exercise_still_has_the_forward_convolution():
    """zero_insertion is to be written without the library's transposed convolution, with te.conv2d allowed."""
    nb = nbformat.read(str(ROOT / "solutions" / "ex3_matrix_and_views.ipynb"), as_version=4)
    from tconv_edu.grading.judge import Options, grade_notebook
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ex3_matrix_and_views.ipynb")
        nbformat.write(nb, path)
        rep = grade_notebook(path, Options(release=ROOT / "exercises"))
    assert {r.exercise: r.earned for r in rep.rows} == {"conv_matrix": 3, "zero_insertion": 3}, rep


def test_without_a_sandbox_the_command_refuses_and_says_how(tmp_path, monkeypatch, capsys):
    from tconv_edu.grading.judge import _sandbox
    monkeypatch.setattr(_sandbox, "probe", lambda: _sandbox.INSTALL)
    (tmp_path / "a").mkdir()
    nbformat.write(filled({"scatter_2d"}), str(tmp_path / "a" / NAME))
    assert cli.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "--sandbox none" in err and "NOT isolated" in err


def test_with_the_sandbox_off_the_guards_still_catch_plain_tricks_and_rows_say_not_isolated(tmp_path):
    root = tmp_path / "submitted"
    write_class(root, {"honest": HONEST["honest_plain"], **LIBRARY,
                       "unhook_the_watch": ATTACKS["unhook_the_watch"],
                       "read_the_solutions": ATTACKS["read_the_solutions"],
                       "uint64_overflow": ATTACKS["uint64_overflow"]})
    status, rows, out, _ = grade(root, "--sandbox", "none", "--jobs", "2", "--timeout", "4")
    assert out.splitlines()[0].endswith("none: NOT ISOLATED (in-kernel guards only, --sandbox none)")
    assert {r["isolation"] for r in rows.values()} == {"not isolated"}
    assert rows[("honest", "scatter_2d")]["points"] == "2"
    row = rows[("library_in_scatter_2d", "scatter_2d")]
    assert row["points"] == "0" and "called the library's transposed convolution" in row["result"]
    assert "switched off the grader's watch" in rows[("unhook_the_watch", "scatter_strided")]["result"]
    for student in ("read_the_solutions", "uint64_overflow"):
        assert rows[(student, "scatter_2d")]["points"] == "0"


@needs_sandbox
def test_the_judge_opens_no_fifo_or_link_as_a_notebook(tmp_path):
    root = tmp_path / "submitted"
    write_class(root, {"honest": HONEST["honest_plain"]})
    (root / "fifo" / "ex1").mkdir(parents=True)
    os.mkfifo(root / "fifo" / "ex1" / NAME)
    (root / "link" / "ex1").mkdir(parents=True)
    (root / "link" / "ex1" / NAME).symlink_to(ROOT / "solutions" / NAME)
    start = time.monotonic()
    status, rows, out, _ = grade(root)
    assert time.monotonic() - start < 60
    assert rows[("honest", "scatter_2d")]["points"] == "2"
    assert {s for s, _ in rows} == {"honest"}                # found below a folder: neither is taken for a notebook
    out = io.StringIO()
    with redirect_stdout(out):                               # named outright: each is "not graded", and says why
        assert cli.main([str(root / "fifo" / "ex1" / NAME), str(root / "link" / "ex1" / NAME)]) == 2
    assert out.getvalue().count("! not graded: could not read it") == 2


@needs_sandbox
def test_a_kernel_that_spins_every_core_does_not_cost_a_classmate_points(tmp_path):
    """Threads are allowed (numpy's BLAS starts them), so a learner can keep both cores busy while a classmate's
    notebook is graded beside theirs; each kernel is a session of its own, and the classmate's calls still finish."""
    spin = ("import threading, time\ndef _spin():\n    while True:\n        pass\n"
            "for _ in range(16):\n    threading.Thread(target=_spin, daemon=True).start()\ntime.sleep(2.5)")
    hog = filled({}, {"scatter_2d": WRONG})
    for _ in range(4):
        hog.cells.insert(1, new_code_cell(spin))
    root = tmp_path / "submitted"
    write_class(root, {"a_hog": hog, "b_classmate": filled({"scatter_2d", "scatter_strided"}),
                       "c_classmate": filled({"scatter_2d", "scatter_strided"})})
    status, rows, out, _ = grade(root, "--jobs", "2", "--timeout", "2", "--cell-timeout", "5",
                                 "--notebook-timeout", "20")
    for student in ("b_classmate", "c_classmate"):
        assert rows[(student, "scatter_2d")]["points"] == "2", rows[(student, "scatter_2d")]
        assert rows[(student, "scatter_strided")]["points"] == "3", rows[(student, "scatter_strided")]


def test_the_reply_schema_takes_plain_floats_nan_included_and_refuses_oversized_ints():
    from tconv_edu.grading.judge._remote import BadReply, _value
    got = _value({"kind": "list", "value": [float("nan"), 1.5, 2]}, [])
    assert got[1:] == [1.5, 2] and got[0] != got[0]
    with pytest.raises(BadReply):
        _value({"kind": "list", "value": [2 ** 64]}, [])
    with pytest.raises(BadReply):
        _value({"kind": "int", "value": 2 ** 63}, [])
