"""The course in a real browser: JupyterLab and Voila driven by Debian's headless Chromium through Playwright.

What a headless kernel test cannot see: that the widget front end is installed and matches the kernel side, that
the explorers (anywidget page modules, tconv_edu/widgets/*.js) draw, step by keyboard and answer hover with the
library's numbers, that nothing the page loads comes from outside the machine, and that "Run All" goes on past
the exercises' failing check cells.
Every test restarts the kernel and runs all cells on a temporary copy of the notebooks (JupyterLab's autosave is
off as well), so nothing is written into the committed notebooks. A cell that shows an error (unless tagged
raises-exception), a widget that fails to render, a traceback from a widget callback (JupyterLab's log console),
an uncaught error in the page or an image stretched beyond its pixels fails the test. `make app` (Voila) is
driven the same way. Screenshots and console logs go to ``artifacts/browser/`` (git-ignored).

Skipped, with the reason, where /usr/bin/chromium or the playwright package is absent; ``.ci/run`` installs
both and sets TCONV_EDU_REQUIRE_BROWSER, which turns a missing piece into a failure.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import browser_util as bu

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
# the scatter picture and the checkerboard notebook must be among them; every notebook that shows an explorer of
# tconv_edu.widgets is driven (the start notebook, what `make lab` opens, among them)
REQUIRED_NOTEBOOKS = ["notebooks/01_scatter.ipynb", "notebooks/05_checkerboard.ipynb"]


def _uses_explorers(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and "widgets." in c.source for c in nb.cells)


EXPLORER_NOTEBOOKS = sorted(set(REQUIRED_NOTEBOOKS) | {
    p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb") if _uses_explorers(p)})
APP_NOTEBOOK = ROOT / "app" / "explorers.ipynb"
LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")
# the explorers of tconv_edu.widgets: one root per explorer, drawn by its page module
EXPLORER = ".tconv-explorer"
SEED_READOUT = "y[1,1] = x[0,0]·w[1,1] + x[0,1]·w[1,0] + x[1,0]·w[0,1] + x[1,1]·w[0,0] = 5"
# the app's explorer cells, in page order (the first six: stepper, shape, matrix, checkerboard, groups, porting)
APP_EXPLORERS = [c.source for c in nbformat.read(APP_NOTEBOOK, as_version=4).cells
                 if c.cell_type == "code" and c.source.rstrip().endswith(")") and "import" not in c.source]

_missing = bu.chromium_missing_reason()
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
if _missing and os.environ.get("TCONV_EDU_REQUIRE_BROWSER"):
    # .ci/run installed chromium: a missing piece (playwright, say) must fail the run there, not skip
    raise RuntimeError(f"TCONV_EDU_REQUIRE_BROWSER is set but {_missing}")
if _missing:
    pytestmark.append(pytest.mark.skip(reason=_missing))


# --------------------------------------------------------------------------------------------------------------
# a small notebook that exercises the harness itself: a slider driving an HTML and an Image widget, a check cell
# that fails on purpose (tagged raises-exception) and a last cell that must still run

HARNESS_CELLS = [
    ("markdown", "# Harness check\nA slider drives an HTML and an Image widget.", []),
    ("code", "import io\n"
             "import ipywidgets as w\n"
             "import numpy as np\n"
             "import matplotlib.pyplot as plt", []),
    ("code", "def png(k):\n"
             "    buf = io.BytesIO()\n"
             "    pixels = np.kron(np.eye(8)[:, ::-1] * k, np.ones((20, 20)))  # 160 x 160\n"
             "    plt.imsave(buf, pixels, vmin=0, vmax=5, format='png')\n"
             "    return buf.getvalue()\n"
             "\n"
             "slider = w.IntSlider(value=1, min=0, max=5, description='k')\n"
             "text = w.HTML()\n"
             "image = w.Image(format='png', layout=w.Layout(align_self='flex-start'))  # unstretched\n"
             "def show(change=None):\n"
             "    text.value = f'<b>k squared is {slider.value ** 2}</b>'\n"
             "    image.value = png(slider.value)\n"
             "slider.observe(show, 'value')\n"
             "show()\n"
             "w.VBox([slider, text, image])", []),
    ("code", "broken = w.IntSlider(value=0, min=0, max=5, description='broken')\n"
             "def crash(change):\n"
             "    raise ZeroDivisionError('a callback that fails on purpose')\n"
             "broken.observe(crash, 'value')\n"
             "w.VBox([broken, w.HTML('this explorer crashes')])", []),
    ("code", "assert False, 'a check cell that fails on purpose'", ["raises-exception"]),
    ("code", "print('the last cell ran')", []),
]


def harness_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in HARNESS_CELLS:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, metadata={"tags": tags} if tags else {}))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


# --------------------------------------------------------------------------------------------------------------
# fixtures: one JupyterLab server and one browser for the module; a fresh page per test

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a temporary copy of notebooks/ and exercises/ (plus the harness notebook)."""
    tmp = tmp_path_factory.mktemp("lab")
    course = tmp / "course"
    course.mkdir()
    for sub in ("notebooks", "exercises"):
        if (ROOT / sub).is_dir():
            bu.copy_tree(ROOT / sub, course / sub)
    nbformat.write(harness_notebook(), course / "harness.ipynb")
    home = tmp / "home"
    port, token = bu.free_port(), bu.new_token()
    argv = bu.lab_command(course, home, port, token)
    base = f"http://127.0.0.1:{port}"
    with bu.served(argv, f"{base}/api/status?token={token}", ARTIFACTS / "jupyterlab.log",
                   env=bu.clean_env(home), cwd=course):
        yield SimpleNamespace(base=base, token=token, root=course)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=bu.CHROMIUM, args=bu.CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request):
    """A page in a fresh context; its console errors are written next to the screenshots."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    messages = pg.tconv_messages = []
    pg.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    pg.on("requestfailed", lambda r: messages.append(f"requestfailed: {r.url}"))  # offline: CDN fonts
    outside = pg.tconv_outside = []      # offline: every request must go to the local server
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(LOCAL) else None)
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = _slug(request.node.name)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(messages) + "\n")
        with contextlib.suppress(Exception):  # the page as the test left it, failed or not
            pg.screenshot(path=str(ARTIFACTS / f"{name}.last.png"), timeout=10_000)
        context.close()


@pytest.fixture
def kernels_down(lab):
    """Shut down the kernels a test started (the server lives for the module)."""
    yield
    bu.shutdown_kernels(lab.base, lab.token)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def _shot(page, name: str, element=None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{_slug(name)}.png"
    (element or page).screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------------------------------------------
# checks shared by the notebooks

def _no_page_errors(page, where: str) -> None:
    """Uncaught JavaScript exceptions (a widget view that crashed, version skew) fail the test."""
    errors = [m for m in page.tconv_messages if m.startswith("pageerror")]
    assert errors == [], f"{where}: uncaught errors in the page: {errors}"


def _run_notebook(page, lab, path: str) -> list[dict]:
    """Open, restart, run all; return the code cells' records after checking that every one of them ran, in order."""
    bu.open_notebook(page, lab.base, lab.token, path)
    bu.restart_and_run_all(page)
    records = bu.code_cells(page)
    counts = [c["count"] for c in records]
    assert counts == list(range(1, len(records) + 1)), (
        f"{path}: Run All after a restart should number the code cells 1..{len(records)}, got {counts} "
        f"(None: the cell did not run; Run All stops at an error in a cell not tagged raises-exception)")
    return records


def _explorers(page):
    """Output areas that hold at least one slider or number box: the explorers, in notebook order."""
    return page.locator(".jp-Cell .jp-OutputArea").filter(has=page.locator(bu.CONTROLS))


def _wait_rendered(page, explorer, timeout_s: float = 60.0) -> dict:
    """Wait until the explorer's images loaded (if any) and it shows something besides its controls."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = bu.explorer_state(explorer)
        if bu.rendered_image_count(explorer) == len(state["images"]) and (state["images"] or state["text"]):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"explorer did not render an image or text within {timeout_s:.0f} s: {state}")
        page.wait_for_timeout(250)


def _nudge_and_check(page, explorer, label: str) -> str:
    """Move the explorer's first slider one step; assert that what it shows changed. Returns a description."""
    before = _wait_rendered(page, explorer)
    slider = explorer.locator(bu.CONTROLS).first
    moved = bu.nudge_slider(page, slider, "ArrowRight")
    after = bu.wait_changed(page, explorer, before, timeout_s=30)
    if after == before:  # the slider may sit at its maximum: step down instead
        moved = bu.nudge_slider(page, slider, "ArrowLeft")
        after = bu.wait_changed(page, explorer, before, timeout_s=30)
    assert after != before, f"{label}: moving the slider ({moved}) changed neither image nor text: {before}"
    stretched = bu.upscaled_images(explorer)
    assert stretched == [], f"{label}: images stretched beyond their pixels (blurred): {stretched}"
    return f"{label}: slider {moved}; images {before['images']} -> {after['images']}"


_TCONV_STATE_JS = """(root) => ({
  description: root.querySelector('.tconv-description').textContent,
  readout: root.querySelector('.tconv-readout').textContent,
  drawn: Number(root.dataset.drawn), pending: root.dataset.pending, ahead: root.dataset.ahead,
  picture: [...root.querySelectorAll('.tconv-panels svg')].map(s => s.outerHTML).join(''),
  svgs: root.querySelectorAll('svg rect').length})"""


def _tconv_state(root) -> dict:
    return root.evaluate(_TCONV_STATE_JS)


def _wait_drawn(page, root, timeout_s: float = 60.0, *, after: int = 0) -> dict:
    """Wait until the explorer drew (more than ``after`` times), has no change pending and says something."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = _tconv_state(root)
        if state["drawn"] > after and state["pending"] == "0" and state["description"]:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"explorer not drawn within {timeout_s:.0f} s: {state}")
        page.wait_for_timeout(50)


def _step_and_check(page, root, label: str) -> str:
    """Step the explorer's first input with the arrow keys; what it says must change (and it must not say
    "Not allowed" for the first value). Returns a description of the step."""
    before = _wait_drawn(page, root)
    assert not before["description"].startswith("Not allowed"), f"{label}: {before['description']}"
    box = root.locator("input, select").first
    box.scroll_into_view_if_needed()
    box.focus()
    start = box.input_value()
    for key in ("ArrowUp", "ArrowDown", "ArrowDown"):
        page.keyboard.press(key)
        after = _wait_drawn(page, root, after=before["drawn"] - 1)
        if after["description"] != before["description"]:
            return f"{label}: {start} -> {box.input_value()} ({after['drawn'] - before['drawn']} drawings)"
    raise AssertionError(f"{label}: the arrow keys on its first input changed nothing: {before}")


def _no_requests_outside(page, where: str) -> None:
    assert page.tconv_outside == [], f"{where}: requests that leave the machine: {sorted(set(page.tconv_outside))}"


# --------------------------------------------------------------------------------------------------------------
# the tests

@pytest.mark.usefixtures("kernels_down")
def test_harness_sees_widgets_errors_and_run_all(page, lab):
    """The probes themselves: a slider that changes an HTML and an Image, a tagged failing cell Run All passes."""
    records = _run_notebook(page, lab, "harness.ipynb")
    failing = [c for c in records if c["errors"]]
    assert [c["tags"] for c in failing] == [["raises-exception"]], records
    assert "AssertionError: a check cell that fails on purpose" in failing[0]["errors"][0]
    assert "the last cell ran" in records[-1]["text"]
    assert bu.problems(records) == []
    # the same failure without its tag is reported, so "no problems" above means something
    untagged = [dict(c, tags=[]) for c in records]
    assert bu.problems(untagged) and "a check cell that fails on purpose" in bu.problems(untagged)[0]

    explorer, broken = _explorers(page).nth(0), _explorers(page).nth(1)
    before = _wait_rendered(page, explorer)
    assert "k squared is 1" in before["text"] and len(before["images"]) == 1, before
    _nudge_and_check(page, explorer, "harness")
    after = bu.explorer_state(explorer)
    assert "k squared is 4" in after["text"], after
    _shot(page, "harness_explorer", explorer)
    assert "Traceback" not in bu.log_console_text(page, "harness.ipynb")
    # a callback that raises shows nothing in the cell: JupyterLab puts the traceback in its log console
    bu.nudge_slider(page, broken.locator(".widget-slider"))
    deadline = time.monotonic() + 30
    while "fails on purpose" not in bu.log_console_text(page, "harness.ipynb") and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert "ZeroDivisionError: a callback that fails on purpose" in bu.log_console_text(page, "harness.ipynb")
    if not bu.axe_missing_reason():
        # the axe probe sees what a cell renders: the harness's slider (no name) and Image (no alt) are flagged
        # as the course's, so "no course violation" in the notebooks means something
        found = {v["id"] for v in bu.run_axe(page, ".jp-NotebookPanel-notebook")["violations"] if v["course"]}
        assert {"aria-input-field-name", "image-alt"} <= found, found
    _no_page_errors(page, "harness")


@pytest.mark.usefixtures("kernels_down")
@pytest.mark.parametrize("path", EXPLORER_NOTEBOOKS)
def test_explorers_render_and_respond(page, lab, path):
    assert (ROOT / path).is_file(), f"{path} is missing (its explorers must be driven in the browser)"
    records = _run_notebook(page, lab, path)
    assert bu.problems(records) == [], f"{path}: cells show errors"
    explorers = page.locator(EXPLORER)
    n = explorers.count()
    assert n >= 1, f"{path}: no explorer drawn (is anywidget's front end installed?)"
    name = Path(path).stem
    notes = []
    for i in range(n):
        root = explorers.nth(i)
        root.scroll_into_view_if_needed()
        notes.append(_step_and_check(page, root, f"{name} explorer {i}"))
        _shot(page, f"{name}_explorer{i}_after_step", root)
    _shot(page, f"{name}_page")
    assert bu.problems(bu.code_cells(page)) == [], f"{path}: an error appeared after stepping the explorers"
    log = bu.log_console_text(page, path)  # opened last: it takes room from the notebook
    assert "Traceback" not in log, f"{path}: a widget callback raised:\n{log[-3000:]}"
    _no_page_errors(page, path)
    _no_requests_outside(page, path)
    print("\n".join(notes))


@pytest.mark.usefixtures("kernels_down")
def test_exercise_run_all_goes_past_failing_checks(page, lab):
    exercises = sorted((ROOT / "exercises").glob("*.ipynb"))
    assert exercises, "exercises/ holds no notebook"
    path = f"exercises/{exercises[0].name}"
    records = _run_notebook(page, lab, path)  # asserts that every code cell ran, the last one included
    failing = [c for c in records if c["errors"]]
    assert failing, f"{path}: the unsolved exercise should fail its check cells"
    assert bu.problems(records) == [], f"{path}: a cell failed that is not tagged raises-exception"
    # _run_notebook checked that the last code cell ran; a failing check cell came before it
    assert failing[0]["index"] < records[-1]["index"], f"{path}: no failing check cell before the last cell"
    _shot(page, f"{exercises[0].stem}_after_run_all")


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """`make app` (install step held back with -o) on a free port with a token; stopped whatever happens."""
    assert APP_NOTEBOOK.is_file(), f"{APP_NOTEBOOK.relative_to(ROOT)} is missing (make app serves it)"
    home = tmp_path_factory.mktemp("voila")
    port, token = bu.free_port(), bu.new_token()
    base = f"http://127.0.0.1:{port}"
    if shutil.which("make") and (ROOT / ".venv" / "bin" / "voila").exists():
        args = f"--no-browser --port={port} --Voila.ip=127.0.0.1 --token={token} --Voila.port_retries=0"
        argv, cwd = ["make", "--no-print-directory", "-o", ".venv/.lab", "app", f"APP_ARGS={args}"], ROOT
    else:  # pytest run from another environment: serve the same notebook the same way, without make
        argv, cwd = bu.voila_command(APP_NOTEBOOK, port, token), APP_NOTEBOOK.parent
    env = bu.clean_env(home)
    if "make" not in argv[0]:
        env["JUPYTER_PATH"] = str(ROOT / "app" / "jupyter")     # the page's template, as `make app` sets it
        argv += ["--VoilaConfiguration.extension_denylist=@jupyter/nbgrader",
                 "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension"]
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(var, None)  # when pytest runs under `make test`
    # ready when it serves the ipywidgets 8 widget manager of its page
    ready = f"{base}/voila/labextensions/@voila-dashboards/widgets-manager8/package.json"
    with bu.served(argv, ready, ARTIFACTS / "voila.log", env=env, cwd=cwd):
        yield SimpleNamespace(base=base, token=token)


def _open_voila(page, voila) -> None:
    page.goto(f"{voila.base}/?token={voila.token}", timeout=120_000)
    page.wait_for_selector(EXPLORER, timeout=120_000)
    page.wait_for_function(f"() => document.querySelectorAll('{EXPLORER}').length >= {len(APP_EXPLORERS)} && "
                           f"[...document.querySelectorAll('{EXPLORER}')].every(r => r.dataset.drawn !== '0')",
                           timeout=120_000)


def test_voila_app_serves_explorers_without_code_offline(page, voila):
    _open_voila(page, voila)
    text = page.inner_text("body")
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor, .cm-editor").count() == 0
    sources = [line.strip() for cell in nbformat.read(APP_NOTEBOOK, as_version=4).cells if cell.cell_type == "code"
               for line in cell.source.splitlines() if len(line.strip()) >= 12]
    assert sources and not [line for line in sources if line in text], "the Voila page shows code"
    for marker in ("Traceback", "There was an error when executing cell", *bu.WIDGET_FAILURES):
        assert marker not in text, f"Voila page shows {marker!r}"
    explorers = page.locator(EXPLORER)
    assert explorers.count() == len(APP_EXPLORERS), APP_EXPLORERS
    notes = []
    for i in range(explorers.count()):
        root = explorers.nth(i)
        root.scroll_into_view_if_needed()
        notes.append(_step_and_check(page, root, f"voila explorer {i}"))
        _shot(page, f"voila_explorer{i}_after_step", root)
    _shot(page, "voila_page")
    _no_page_errors(page, "voila")
    _no_requests_outside(page, "voila")
    errors = [m for m in page.tconv_messages if m.startswith(("error", "requestfailed"))]
    assert errors == [], f"Voila page: console errors {errors}"
    print("\n".join(notes))


def _hover_cell(page, root, grid: str, r: int, c: int) -> str:
    """Hover cell (r, c) of the grid ``grid``; the readout, read at once (no waiting: the page writes it in the
    hover's own event, without a kernel message)."""
    cell = root.locator(f"rect[data-grid='{grid}'][data-r='{r}'][data-c='{c}']")
    if cell.count():
        cell.hover()
    else:                       # a grid painted on a canvas: the pointer over its cell on the cover rect
        cover = root.locator(f"rect.cover[data-grid='{grid}']")
        size = float(cover.get_attribute("data-size"))
        cover.hover(position={"x": (c + 0.5) * size, "y": (r + 0.5) * size})
    return root.locator(".tconv-readout").text_content()


def test_voila_hover_readouts_name_where_each_number_comes_from(page, voila):
    """The seed article's example: hovering y[1,1] writes its four products and 5; an input pixel lights its
    stamp; an entry of C names its input pixel, output pixel and tap; a checkerboard pixel its stamp count. The
    same readouts by keyboard: focus the picture, move with the arrow keys."""
    _open_voila(page, voila)
    stepper, matrix_root, board = (page.locator(EXPLORER).nth(i) for i in (0, 2, 3))
    drawn = _tconv_state(stepper)["drawn"]
    assert _hover_cell(page, stepper, "y", 1, 1) == SEED_READOUT
    assert _tconv_state(stepper)["pending"] == "0"
    assert _hover_cell(page, stepper, "x", 0, 1) == "x[0,1] = 2 stamps 2·w onto y[0,1], y[0,2], y[1,1], y[1,2]"
    lit = stepper.evaluate("(r) => r.querySelectorAll('svg rect[stroke-width=\"3\"]').length")
    assert lit >= 1 + 4, lit                       # the input pixel and its four stamped pixels are outlined
    assert _tconv_state(stepper)["drawn"] == drawn, "hovering must not ask the kernel to redraw"
    page.mouse.move(0, 0)
    canvas = stepper.locator("svg").nth(2)         # x, w, the running sum: focus order follows the picture
    canvas.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    assert stepper.locator(".tconv-readout").text_content() == SEED_READOUT
    assert _hover_cell(page, matrix_root, "C", 1, 17).startswith(
        "Cᵀ[17,1] = C[1,17] = w[2,1] = 8: input pixel x[0,1], output pixel y[2,3], kernel tap w[2,1]")
    assert _hover_cell(page, board, "y", 6, 6) == "pixel [6,6] of the full output: 4 stamps overlap it"
    _no_page_errors(page, "voila hover")


def test_voila_line_stepper_readouts_are_the_librarys(page, voila):
    """The 1-D stepper (notebook 09): hovering an output sample writes its products, its value and how many stamps
    overlap it, as tconv_edu.widgets.line_readout computes them; an input sample lights its whole stamp row; after
    a change of stride, typed into the page, the readout follows the library again."""
    from tconv_edu import widgets

    _open_voila(page, voila)
    line = page.locator(EXPLORER).nth(6)
    line.scroll_into_view_if_needed()
    _wait_drawn(page, line)
    drawn = _tconv_state(line)["drawn"]
    x, k = [1, 2, 3, 4], [1, 2, 2, 1]
    for j in range(10):                            # the default stepper: stride 2, padding 0, output 10 samples
        assert _hover_cell(page, line, "y", 0, j) == widgets.line_readout(x, k, j, stride=2)
    assert _hover_cell(page, line, "c", 0, 3).startswith("y[3]: 2 stamps overlap it (x[0], x[1])")
    _hover_cell(page, line, "x", 0, 1)
    lit = line.evaluate("(r) => r.querySelectorAll('svg rect[stroke-width=\"3\"]').length")
    assert lit >= 1 + 4 + 4, lit                   # the input sample, its four stamp cells and four output samples
    assert _tconv_state(line)["drawn"] == drawn, "hovering must not ask the kernel to redraw"
    page.mouse.move(0, 0)
    _set(page, line, "stride", 3)
    for j in range(13):
        assert _hover_cell(page, line, "y", 0, j) == widgets.line_readout(x, k, j, stride=3)
    _no_page_errors(page, "voila line stepper")


def _set(page, root, name: str, value) -> None:
    """Type a value into the explorer's input ``name`` and wait for the kernel's answer to be drawn."""
    drawn = _tconv_state(root)["drawn"]
    box = root.locator(f"[name='{name}']")
    if box.input_value() == str(value):
        return
    box.fill(str(value))
    _wait_drawn(page, root, after=drawn)


def test_voila_readouts_match_the_library_for_a_random_case(page, voila):
    """The stepper's readout of every canvas pixel and the matrix explorer's text and entries, for random
    parameters set through the page, equal what the library computes in this process."""
    import numpy as np

    from tconv_edu import widgets

    _open_voila(page, voila)
    rng = np.random.default_rng(int(time.time()) % 1000)
    stepper, matrix_root = page.locator(EXPLORER).nth(0), page.locator(EXPLORER).nth(2)
    while True:                                    # a combination the library accepts (padding may crop all)
        s, d = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        params = dict(kernel_size=int(rng.integers(1, 4)), stride=s, padding=int(rng.integers(0, 2)),
                      output_padding=int(rng.integers(0, max(s, d))), dilation=d)
        want = widgets.ScatterStepper(**params)
        if not want.error:
            break
    for name, v in params.items():
        _set(page, stepper, name, v)
    assert _tconv_state(stepper)["description"] == want.message, params
    hc, wc = want.meta["canvas"]
    for r in range(hc):
        for c in range(wc):
            assert _hover_cell(page, stepper, "y", r, c) == want.readout(r, c), (params, r, c)
    mparams = dict(input_size=int(rng.integers(1, 4)), kernel_size=int(rng.integers(1, 4)),
                   stride=int(rng.integers(1, 4)), padding=0)
    for name, v in mparams.items():
        _set(page, matrix_root, name, v)
    ref = widgets.MatrixExplorer(**mparams)
    ho, wo = ref.meta["out"]
    row, col = int(rng.integers(0, ho)), int(rng.integers(0, wo))
    for name, v, size in (("row", row, ho), ("col", col, wo)):
        if size > 1:            # a box with one value is disabled: it shows that value, 0, and takes no typing
            matrix_root.locator(f"[name='{name}']").fill(str(v))
    ref.row, ref.col = row, col
    deadline = time.monotonic() + 10
    while _tconv_state(matrix_root)["description"] != ref.message and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert _tconv_state(matrix_root)["description"] == ref.message, mparams
    n = mparams["input_size"]
    for q, p in [(int(rng.integers(0, n * n)), int(rng.integers(0, ho * wo))) for _ in range(6)]:
        assert _hover_cell(page, matrix_root, "C", q, p) == ref.entry(q, p), (mparams, q, p)
    _no_page_errors(page, "voila random case")


# --------------------------------------------------------------------------------------------------------------
# accessibility: axe-core on every course notebook and on the Voila app, the explorers by keyboard

COURSE_NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _axe_or_skip():
    reason = bu.axe_missing_reason()
    if reason and os.environ.get("TCONV_EDU_REQUIRE_BROWSER"):
        raise AssertionError(f"TCONV_EDU_REQUIRE_BROWSER is set but {reason}")
    if reason:
        pytest.skip(reason)


def _axe_report(name: str, result: dict) -> list[dict]:
    """Write the whole report to artifacts/browser/NAME.axe.txt; return the course's serious/critical violations."""
    course = [v for v in result["violations"] if v["course"]]
    lab = [v for v in result["violations"] if not v["course"]]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{_slug(name)}.axe.txt").write_text(
        f"axe-core {result['version']}\ncourse:\n" + "\n".join(bu.summary(course)) +
        "\njupyterlab/voila itself (not counted):\n" + "\n".join(bu.summary(lab)) + "\n")
    print(f"{name}: axe-core {result['version']}; course {bu.summary(course)}; not counted {bu.summary(lab)}")
    return bu.serious(course)


@pytest.mark.usefixtures("kernels_down")
@pytest.mark.parametrize("path", COURSE_NOTEBOOKS)
def test_axe_finds_nothing_serious_in_what_the_notebook_renders(page, lab, path):
    _axe_or_skip()
    _run_notebook(page, lab, path)
    for i in range(page.locator(EXPLORER).count()):      # explorers drawn, so their pictures are checked too
        _wait_drawn(page, page.locator(EXPLORER).nth(i))
    content = ".jp-NotebookPanel-notebook"
    assert page.evaluate(bu.IMAGES_WITHOUT_ALT_JS, content) == [], f"{path}: images without alt text"
    bad = _axe_report(Path(path).stem, bu.run_axe(page, content))
    assert bad == [], f"{path}: axe-core: {bu.summary(bad)}"


def test_axe_finds_nothing_in_the_voila_apps_explorers(page, voila):
    """Not even a moderate finding in what the course draws (each explorer is a named region: a landmark)."""
    _axe_or_skip()
    _open_voila(page, voila)
    assert page.evaluate(bu.IMAGES_WITHOUT_ALT_JS, "body") == [], "Voila app: images without alt text"
    result = bu.run_axe(page, "body")
    assert _axe_report("voila_app", result) == []
    course = [v for v in result["violations"] if v["course"]]
    assert course == [], f"Voila app: axe-core: {bu.summary(course)}"


# the focused element: its tag, the name a screen reader announces (label, aria-label, text), its value
_FOCUSED_JS = """() => { const e = document.activeElement; if (!e) return null;
  const name = (e.labels && e.labels.length ? e.labels[0].textContent : '') || e.getAttribute('aria-label') ||
               (e.tagName === 'BUTTON' ? e.textContent : '') || '';
  return {tag: e.tagName.toLowerCase(), type: e.type || '', name: name.trim(), value: e.value || ''}; }"""


def _wait_text(page, root, contains: str, timeout_s: float = 30.0) -> str:
    deadline = time.monotonic() + timeout_s
    while contains not in _tconv_state(root)["description"] and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return _tconv_state(root)["description"]


def test_the_stepper_works_by_keyboard_alone(page, voila):
    """Tab reaches every control of the first explorer (the stepper) in order, each with a name, then its pictures;
    the arrow keys change the stamp and the stride and the description follows; Space starts the play button."""
    _open_voila(page, voila)
    explorer = page.locator(EXPLORER).first
    assert "stamp 1 of 4" in _tconv_state(explorer)["description"]
    expected = ["play", "stamp", "kernel size", "stride", "padding", "output_padding", "dilation", "input x",
                "kernel w", "running sum"]     # the pictures' names begin so, then say what they show

    def named(f):
        return next((e for e in expected if f and (f["name"] == e or (f["tag"] == "svg" and f["name"].startswith(e)))),
                    None)

    page.locator("body").focus()
    seen = []
    for _ in range(40):                          # Tab from the top of the page until the stepper's last picture
        page.keyboard.press("Tab")
        f = page.evaluate(_FOCUSED_JS)
        if named(f) and named(f) not in [s["name"] for s in seen]:
            seen.append(dict(f, name=named(f)))
        if named(f) == expected[-1]:
            break
    assert [s["name"] for s in seen] == expected, f"Tab order / names of the stepper's controls: {seen}"
    assert [s["type"] for s in seen[1:7]] == ["number"] * 6 and seen[0]["tag"] == "button"
    # back to "stamp" with Shift+Tab, then the arrow keys alone
    for _ in range(len(expected) - 2):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate(_FOCUSED_JS)["name"] == "stamp"
    page.keyboard.press("ArrowUp")
    assert "stamp 2 of 4" in _wait_text(page, explorer, "stamp 2 of 4")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED_JS)["name"] == "stride"
    page.keyboard.press("ArrowUp")                # stride 2: a 2 x 2 input, 2 x 2 kernel -> 4 x 4
    assert "output 4 x 4" in _wait_text(page, explorer, "output 4 x 4")
    page.keyboard.press("ArrowDown")
    assert "output 3 x 3" in _wait_text(page, explorer, "output 3 x 3")
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate(_FOCUSED_JS)["name"] == "play"
    page.keyboard.press("Space")                  # plays from stamp 2 to the last, in the page
    assert "stamp 4 of 4" in _wait_text(page, explorer, "stamp 4 of 4")
    _shot(page, "voila_stepper_by_keyboard", explorer)
    _no_page_errors(page, "voila keyboard")


# (explorer on the app page, the control stepped with the arrow key, another control, a value of it two away)
AHEAD_CASES = [(0, "stride", "padding", 2), (2, "stride", "padding", 2), (3, "kernel_size", "stride", 4),
               (1, "kernel_size", "input_size", 6), (6, "stride", "padding", 2)]


@pytest.mark.parametrize("index, control, other, far", AHEAD_CASES)
def test_an_arrow_key_draws_ahead_what_the_kernel_would_draw(page, voila, index, control, other, far):
    """An arrow key on a parameter draws at once from the answers sent ahead (no kernel message waited for); the
    picture and text are exactly those the page draws when the same values arrive by the kernel's own answer."""
    _open_voila(page, voila)
    root = page.locator(EXPLORER).nth(index)
    before = _wait_drawn(page, root)
    back = root.locator(f"[name='{other}']").input_value()
    box = root.locator(f"[name='{control}']")
    box.focus()
    page.keyboard.press("ArrowUp")
    ahead, stepped = _tconv_state(root), box.input_value()    # drawn in the key's own event: no waiting
    assert ahead["drawn"] > before["drawn"] and ahead["pending"] == "0" and ahead["ahead"] == "1", ahead
    assert ahead["picture"] != before["picture"] or ahead["description"] != before["description"]
    for v in (far, back):                  # away and back by typing: two values apart, never sent ahead
        _set(page, root, other, v)
    kernel = _tconv_state(root)
    assert kernel["ahead"] == "0", kernel
    assert box.input_value() == stepped
    assert (kernel["description"], kernel["picture"]) == (ahead["description"], ahead["picture"])
    _no_page_errors(page, "voila ahead")


# every keyboard stop inside the explorers, in page order: [explorer index, a name for it] (a disabled box is none)
_STOPS_JS = """() => { const out = []; const roots = [...document.querySelectorAll('.tconv-explorer')];
  roots.forEach((root, i) => root.querySelectorAll('input, select, button, [tabindex="0"]').forEach(e => {
    if (!e.disabled) out.push([i, e.name || e.getAttribute('aria-label') || e.textContent]); }));
  return out; }"""
_FOCUSED_STOP_JS = """() => { const e = document.activeElement; const root = e && e.closest('.tconv-explorer');
  if (!root) return null;
  return [[...document.querySelectorAll('.tconv-explorer')].indexOf(root),
          e.name || e.getAttribute('aria-label') || e.textContent]; }"""


def test_tab_alone_reaches_every_control_and_picture_of_every_explorer(page, voila):
    """From the top of the page, Tab reaches each explorer's controls and pictures in page order, every one of
    them, with nothing inside an explorer skipped or reached twice."""
    _open_voila(page, voila)
    stops = [tuple(s) for s in page.evaluate(_STOPS_JS)]
    assert len({i for i, _ in stops}) == len(APP_EXPLORERS) and all(name for _, name in stops), stops
    page.locator("body").focus()
    seen = []
    for _ in range(len(stops) + 60):              # Voila's own stops (none expected) leave room to spare
        page.keyboard.press("Tab")
        f = page.evaluate(_FOCUSED_STOP_JS)
        if f is not None:
            seen.append(tuple(f))
        if seen and seen[-1] == stops[-1]:
            break
    assert seen == stops, f"Tab order inside the explorers: {seen} != {stops}"
    _no_page_errors(page, "voila tab order")


_STORED_IMAGES_JS = """() => Array.from(
    document.querySelectorAll('.jp-NotebookPanel-notebook .jp-OutputArea-output img'))
    .map(i => ({alt: i.getAttribute('alt') || '', loaded: i.complete && i.naturalWidth > 0}))"""


@pytest.mark.usefixtures("kernels_down")
def test_stored_figures_show_with_their_alt_text_before_any_run(page, lab):
    """A learner opens a committed notebook, untrusted (JupyterLab sanitizes its HTML outputs): every stored figure
    shows, each with its alt text, before anything runs."""
    for path in COURSE_NOTEBOOKS:
        nb = nbformat.read(ROOT / path, as_version=4)
        expected = sum(o.get("data", {}).get("text/html", "").count("<img")
                       for c in nb.cells for o in c.get("outputs", []))
        assert expected, f"{path}: no stored figure (run make notebooks)"
        bu.open_notebook(page, lab.base, lab.token, path)
        deadline = time.monotonic() + 60
        while True:
            images = page.evaluate(_STORED_IMAGES_JS)
            if sum(i["loaded"] for i in images) >= expected or time.monotonic() > deadline:
                break
            page.wait_for_timeout(250)
        assert len(images) == expected and all(i["loaded"] for i in images), f"{path}: stored figures {images}"
        assert all(len(i["alt"]) > 20 for i in images), f"{path}: a stored figure without alt text: {images}"
    _no_page_errors(page, "stored figures")
