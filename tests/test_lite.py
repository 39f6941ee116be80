"""The course as a JupyterLite site: ``make lite`` builds it, and it works in a browser.

The build runs as ``make lite`` does, in its own environment (.venv-lite, created by make on a fresh machine), and
the tests check what the site holds. Then a variant whose kernel needs no network (Pyodide's core from the npm
package ``pyodide``, the kernel's boot wheels from PyPI) is served on 127.0.0.1 and driven in Debian's headless
Chromium: the interface lists the course, the Pyodide kernel starts, an ipywidgets slider renders and answers the
keyboard, the course's wheel installs, and its platform helper, run from the installed wheel, sees the browser (no
threads); anywidget and psygnal import under Pyodide and the stepper's page module, read from the installed wheel,
draws the seed article's example and answers hover (fed by the probe: the library itself needs numpy). Pyodide's numpy, scipy and matplotlib come only from its CDN, which is not reachable here: the course's
notebooks themselves are not run in the browser (tests/test_pyodide_fallbacks.py simulates the platform on CPython).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import browser_util as bu

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "lite"


# ------------------------------------------------------------------------------------------------ the site

LITE_PY = ROOT / ".venv-lite" / "bin" / "python"
COURSE = sorted(p.relative_to(ROOT).as_posix() for d in ("notebooks", "exercises", "app")
                for p in (ROOT / d).glob("*.ipynb"))


def _build(out: Path, *options: str) -> str:
    """scripts/build_lite.py in the build environment (created by make on a fresh machine); its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    subprocess.run(["make", "-s", ".venv-lite/.lite"], cwd=ROOT, check=True, timeout=900, env=env)
    proc = subprocess.run([str(LITE_PY), "scripts/build_lite.py", "--output", str(out),
                           "--stage", str(out.with_name(out.name + "-stage")), *options], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"build{'-'.join(['', *options])}.log").write_text(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite") / "_site"
    return out, _build(out)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_site_holds_the_course_the_wheels_and_the_widget_front_end(site):
    out, log = site
    assert "[lite] built" in log
    for rel in COURSE:
        nb = json.loads((out / "files" / rel).read_text())
        src = json.loads((ROOT / rel).read_text())
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "piplite.install" in "".join(first["source"]) and 'sys.platform == "emscripten"' in \
            "".join(first["source"]), rel
        assert [c for c in nb["cells"] if c.get("id") != "lite-install"] == src["cells"], f"{rel}: cells changed"
    assert sorted((out / "files" / "benchmarks" / "results").glob("gpu_*.json")), "notebook 06's recorded results"
    wheels = {p.name.split("-")[0] for p in (out / "pypi").glob("*.whl")}
    assert {"tconv_edu", "ipywidgets", "comm", "jupyterlab_widgets", "anywidget", "psygnal", "typing_extensions"} <= wheels
    assert all(p.name.endswith("-none-any.whl") for p in (out / "pypi").glob("*.whl")), "Pyodide takes pure wheels"
    wheel = next((out / "pypi").glob("tconv_edu-*.whl"))
    with zipfile.ZipFile(wheel) as whl:
        inside = set(whl.namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tconv_edu").rglob("*.py")}
    modules |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "tconv_edu" / "widgets").glob("*.js")}
    assert modules <= inside, f"the wheel lacks {sorted(modules - inside)}"
    offered = json.loads((out / "pypi" / "all.json").read_text())
    assert {"tconv-edu", "ipywidgets", "anywidget", "psygnal"} <= set(offered)
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert {"@jupyter-widgets/jupyterlab-manager", "anywidget"} <= {e["name"] for e in config["federated_extensions"]}
    assert (out / "extensions" / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").is_file()
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert "pyodideUrl" not in kernel and not kernel.get("disablePyPIFallback"), "the published site uses Pyodide's CDN"
    assert not (out / "static" / "pyodide").exists()


def test_build_fails_on_a_reported_failure():
    """jupyter lite build exits 0 after a step printed FAIL: the script looks at the log."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_lite
    finally:
        sys.path.pop(0)
    nb = build_lite.with_install_cell({"cells": [{"cell_type": "markdown", "source": "# T"}]})
    assert [c["cell_type"] for c in nb["cells"]] == ["markdown", "code"]
    assert build_lite.failed_steps(".  build:ok\nFAIL build:contents:copy\n") == ["FAIL build:contents:copy"]
    assert build_lite.failed_steps(".  build:contents\n.  post_build:ok\n") == []


# ------------------------------------------------------------------------------------------- in the browser

_missing = bu.chromium_missing_reason()

# the kernel's first cell: what Pyodide says about itself, the course's wheel without its numeric dependencies
# (Pyodide's numpy is on its CDN only), the platform helper run from the installed wheel (what check() uses to say
# that its time limit is off, past the capture of the learner's output), and a slider
PROBE = """\
import contextlib, io, os, sys, threading, importlib.util, piplite
await piplite.install(["ipywidgets"])
await piplite.install(["tconv_edu"], deps=False)
import ipywidgets
spec = importlib.util.find_spec("tconv_edu")
path = os.path.join(spec.submodule_search_locations[0], "_platform.py")
p = importlib.util.module_from_spec(importlib.util.spec_from_file_location("tconv_platform", path))
p.__spec__.loader.exec_module(p)
try:
    threading.Thread(target=print).start(); started = "started"
except RuntimeError as err:
    started = f"RuntimeError: {err}"
print("PLATFORM", sys.platform, os.cpu_count(), p.in_browser(), p.can_start_threads(), started)
print("RESULTS", sorted(f for f in os.listdir("../benchmarks/results") if f.startswith("gpu_")))
import copy, ctypes, sysconfig, traceback                 # what the grading module needs besides numpy
print("IMPORTS", len({sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}) > 0)
with contextlib.redirect_stdout(io.StringIO()):
    p.tell_once("TOLD past a redirected stdout")
await piplite.install(["anywidget"])
import array, anywidget, psygnal, traitlets as T
from IPython.display import display
here = os.path.join(spec.submodule_search_locations[0], "widgets")
page = chr(10).join(open(os.path.join(here, f)).read() for f in ("_common.js", "scatter.js"))
# the seed example as the stepper's kernel side sends it (running sums after each stamp; products (pixel, tap, cell))
X, K = [1, 2, 3, 4], [0, 1, 1, 0]
totals, y = [], [0.0] * 9
links = [(q, t, (q // 2 + t // 2) * 3 + q % 2 + t % 2) for q in range(4) for t in range(4)]
for q in range(4):
    for pq, t, cell in links:
        y[cell] += X[q] * K[t] if pq == q else 0
    totals += y
class Stepper(anywidget.AnyWidget):
    _esm = page
    palette = T.Dict({"input": "#2d5ae1", "kernel": "#ffd22d", "output": "#0fb478", "crop": "#e6e6e6",
                      "highlight": "#5a0f0f", "negative": "#200060"}).tag(sync=True)
    controls = T.List([{"name": "step", "label": "stamp", "kind": "number", "min": 0, "max": 3}]).tag(sync=True)
    meta = T.Dict(dict(n=4, xs=[2, 2], ks=[2, 2], canvas=[3, 3], offset=[0, 0], out=[3, 3], lines=["output 3 x 3"],
                       steps=[f"stamp {t + 1} of 4" for t in range(4)])).tag(sync=True)
    error, rev, step = T.Unicode("").tag(sync=True), T.Int(1).tag(sync=True), T.Int(0).tag(sync=True)
    x = T.Bytes(array.array("d", X).tobytes()).tag(sync=True)
    k = T.Bytes(array.array("d", K).tobytes()).tag(sync=True)
    totals = T.Bytes(array.array("d", totals).tobytes()).tag(sync=True)
    links = T.Bytes(array.array("i", [v for row in sorted(links) for v in row]).tobytes()).tag(sync=True)
print("ANYWIDGET", anywidget.__version__, psygnal.__version__)
display(ipywidgets.IntSlider(value=3, min=0, max=9, description="k"))
Stepper()"""
SEED_READOUT = "y[1,1] = x[0,0]·w[1,1] + x[0,1]·w[1,0] + x[1,0]·w[0,1] + x[1,1]·w[0,0] = 5"


# the first two cells (type, source) of the notebook ``path`` once it is open in the main area, else null
START_CELLS_JS = """(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model && w.content.model.cells.length > 1) {
      const cells = w.content.model.cells;
      return [cells.get(0).type, cells.get(1).sharedModel.getSource()];
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def offline_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite-offline") / "_site"
    _build(out, "--local-pyodide", "--expose-app")
    return out


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(1200)
@pytest.mark.skipif(bool(_missing) and not os.environ.get("TCONV_EDU_REQUIRE_BROWSER"),
                    reason=_missing or "")
def test_site_in_the_browser_lists_the_course_starts_the_kernel_and_renders_a_slider(offline_site):
    assert not _missing, _missing
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = bu.free_port()
    base = f"http://127.0.0.1:{port}"
    server = [sys.executable, str(ROOT / "tests" / "static_server.py"), str(offline_site), str(port)]
    console = []
    with bu.served(server, f"{base}/jupyter-lite.json", ARTIFACTS / "server.log"), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=bu.CHROMIUM, args=bu.CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        try:
            page.goto(f"{base}/lab/index.html", timeout=120_000)
            page.wait_for_selector(".jp-DirListing-item", timeout=120_000)
            listed = page.locator(".jp-DirListing-itemName").all_inner_texts()
            assert {"notebooks", "exercises", "app", "benchmarks"} <= set(listed), listed
            page.locator(".jp-DirListing-item", has_text="notebooks").dblclick()
            page.wait_for_selector(".jp-DirListing-item:has-text('00_start_here.ipynb')", timeout=60_000)
            listed = set(page.locator(".jp-DirListing-itemName").all_inner_texts())
            assert {Path(p).name for p in COURSE if p.startswith("notebooks/")} <= listed, listed
            # a new notebook beside the course's, on the Pyodide kernel
            page.evaluate("""async () => { const app = window.jupyterapp;
                const m = await app.commands.execute('docmanager:new-untitled', {path: 'notebooks', type: 'notebook'});
                await app.commands.execute('docmanager:open', {path: m.path, factory: 'Notebook',
                                                                kernel: {name: 'python'}}); }""")
            page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                                   " return !!(w && w.sessionContext && w.sessionContext.session &&"
                                   " w.sessionContext.session.kernel); }", timeout=120_000)
            bu.settle_kernel(page, timeout_ms=300_000)
            page.evaluate("""(code) => { const nb = window.jupyterapp.shell.currentWidget.content;
                nb.activeCell.model.sharedModel.setSource(code);
                return window.jupyterapp.commands.execute('notebook:run-cell'); }""", PROBE)
            slider = page.locator(".widget-slider").first
            slider.wait_for(timeout=300_000)
            bu.settle_kernel(page, quiet_ms=500, timeout_ms=120_000)
            cell = bu.code_cells(page)[0]
            assert not cell["errors"], cell
            assert "PLATFORM emscripten 1 True False RuntimeError" in cell["text"], cell["text"]
            assert "RESULTS ['gpu_" in cell["text"], cell["text"]
            assert "TOLD past a redirected stdout" in cell["text"], cell["text"]
            assert "IMPORTS True" in cell["text"], cell["text"]
            assert not [m for m in bu.WIDGET_FAILURES if m in cell["text"]], cell["text"]
            assert bu.nudge_slider(page, slider) == "3 -> 4"
            # an explorer drawn by its page module under the Pyodide kernel: the seed's sum on hover, a step by key
            assert "ANYWIDGET 0." in cell["text"], cell["text"]
            stepper = page.locator(".tconv-explorer").first
            stepper.wait_for(timeout=60_000)
            page.wait_for_function("() => { const r = document.querySelector('.tconv-explorer');"
                                   " return r && r.dataset.drawn !== '0'; }", timeout=60_000)
            assert "stamp 1 of 4" in stepper.locator(".tconv-description").text_content()
            stepper.locator("rect[data-grid='y'][data-r='1'][data-c='1']").hover()
            assert stepper.locator(".tconv-readout").text_content() == SEED_READOUT
            stepper.locator("[name='step']").focus()
            page.keyboard.press("ArrowUp")
            page.wait_for_function("() => document.querySelector('.tconv-description').textContent"
                                   ".includes('stamp 2 of 4')", timeout=10_000)
            page.locator(".tconv-explorer").first.screenshot(path=str(ARTIFACTS / "lite-stepper.png"))
            # the address the README gives opens the start notebook, its install cell first (not run: no numpy);
            # in a fresh context, so that the workspace does not bring back the notebook above
            page.close()
            page = browser.new_context().new_page()
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.goto(f"{base}/lab/index.html?path=notebooks/00_start_here.ipynb", timeout=120_000)
            first = page.wait_for_function(START_CELLS_JS, arg="notebooks/00_start_here.ipynb", timeout=120_000,
                                           polling=250).json_value()
            assert first[0] == "markdown" and first[1].startswith("# In the browser (JupyterLite)"), first
        finally:
            with_shot = ARTIFACTS / "lite.last.png"
            try:
                page.screenshot(path=str(with_shot), timeout=10_000)
            except Exception:  # noqa: BLE001 - a screenshot is a diagnostic, never the failure
                pass
            (ARTIFACTS / "console.log").write_text("\n".join(console))
            browser.close()
    errors = [m for m in console if m.startswith("pageerror")]
    assert not errors, errors
