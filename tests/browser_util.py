"""Helpers for the browser tests: a JupyterLab or Voila server in its own process group, and page probes.

The servers bind 127.0.0.1 on a free port with a token, read their settings from a temporary folder and are
killed (whole process group: server and kernels) when the ``served`` context exits, whatever happened inside.
The page probes run JavaScript against ``window.jupyterapp`` (exposed with ``--LabApp.expose_app_in_browser``).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# Debian's Chromium (apt-get install chromium); TCONV_EDU_CHROMIUM names another build of the same browser
CHROMIUM = os.environ.get("TCONV_EDU_CHROMIUM", "/usr/bin/chromium")
# flags for Debian's Chromium in a container, as root, without a display and without network traffic of its own
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

# JupyterLab settings for a test server: no news toast, no autosave into the notebooks under test, no restart
# dialog, every cell attached to the DOM (so that outputs below the fold can be inspected)
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/apputils-extension:sessionDialogs": {"skipKernelRestartDialog": True},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return (f"{CHROMIUM} not found: install Debian's chromium (`apt-get install -y chromium`, as .ci/run does) "
                "to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (it is in the [test] extra)"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home: Path) -> dict:
    """Environment for a server that reads no user configuration and writes only under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPLBACKEND", "IPYTHON"))}
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(home / sub)
        (home / sub).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def lab_command(root_dir: Path, home: Path, port: int, token: str) -> list[str]:
    """``jupyter lab`` with clean settings (``home/settings/overrides.json``) and workspaces under ``home``."""
    settings = home / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1))
    for sub in ("user-settings", "workspaces"):
        (home / sub).mkdir(exist_ok=True)
    return [sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            "--ServerApp.allow_root=True",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
            "--LabApp.expose_app_in_browser=True", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.app_settings_dir={settings}", f"--LabApp.user_settings_dir={home / 'user-settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}"]


def voila_command(notebook: Path, port: int, token: str) -> list[str]:
    """``voila NOTEBOOK`` on 127.0.0.1 with a token (sources stripped: Voila's default)."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", f"--token={token}", "--Voila.port_retries=0"]


def _log_tail(log: Path, n: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early, with the server's log, if the process exits."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
                last = r.status
        except (urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s (last: {last}):\n{_log_tail(log)}")


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group of ``proc`` (it was started in a new session), then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # kernels live in the same group; kill stragglers even when the server itself exited
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it when the test process dies, even by SIGKILL (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def served(argv: list[str], ready_url: str, log: Path, *, env: dict | None = None, cwd: Path | None = None,
           timeout: float = 90.0):
    """Run ``argv`` in a new process group, wait until ``ready_url`` answers 200, yield the process; always stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        try:
            wait_http(ready_url, proc, log, timeout)
            yield proc
        finally:
            stop_group(proc)


def new_token() -> str:
    return secrets.token_hex(16)


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy a folder of notebooks, leaving out checkpoints and caches."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dst


# --------------------------------------------------------------------------------------------------------------
# page probes (Playwright sync API)

# one record per cell of the current notebook: type, execution count, tags, errors shown, widget errors
_CELLS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  const views = panel.content.widgets;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const m = cells.get(i);
    const rec = {index: i, type: m.type, tags: m.getMetadata('tags') || [], count: null, errors: [], text: ''};
    if (m.type === 'code') {
      rec.count = m.executionCount;
      for (let j = 0; j < m.outputs.length; j++) {
        const o = m.outputs.get(j).toJSON();
        if (o.output_type === 'error') rec.errors.push(o.ename + ': ' + o.evalue);
      }
      const node = views[i] && views[i].node.querySelector('.jp-OutputArea');
      rec.text = node ? node.innerText : '';
    }
    out.push(rec);
  }
  return out;
}"""

# front-end failures to render a widget show as text in the output area
WIDGET_FAILURES = ("Error displaying widget", "Failed to load model class", "Error creating widget",
                   "Could not create a view", "model not found")


def shutdown_kernels(base: str, token: str) -> int:
    """Shut down every kernel of a Jupyter server (REST API); returns how many there were."""
    def call(method, url):
        req = urllib.request.Request(f"{base}{url}?token={token}", method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")
    kernels = call("GET", "/api/kernels")
    for k in kernels:
        call("DELETE", f"/api/kernels/{k['id']}")
    return len(kernels)


# Resolves once the current notebook's kernel has been connected and idle for ``quiet`` ms on end (after
# ``after`` ms have passed): right after a start or restart the front end still talks to the kernel (kernel info,
# widget comms, comm subshells), and a restart or Run All sent into that chatter gets futures canceled.
_SETTLE_JS = """async ([quiet, after, ms]) => {
  const sleep = (t) => new Promise(r => setTimeout(r, t));
  const panel = window.jupyterapp.shell.currentWidget;
  const t0 = Date.now();
  let kernel = null, last = Date.now();
  const mark = () => { last = Date.now(); };
  while (Date.now() - t0 < ms) {
    const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (k !== kernel) {
      if (kernel) { kernel.statusChanged.disconnect(mark); kernel.connectionStatusChanged.disconnect(mark); }
      kernel = k; mark();
      if (k) { k.statusChanged.connect(mark); k.connectionStatusChanged.connect(mark); }
    }
    if (kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected' &&
        Date.now() - last >= quiet && Date.now() - t0 >= after) {
      kernel.statusChanged.disconnect(mark); kernel.connectionStatusChanged.disconnect(mark);
      return Date.now() - t0;
    }
    await sleep(50);
  }
  throw new Error('the kernel did not settle (idle and connected) within ' + ms + ' ms');
}"""


def settle_kernel(page, quiet_ms: int = 1000, after_ms: int = 0, timeout_ms: int = 120_000) -> int:
    """Wait until the current notebook's kernel is connected and idle for ``quiet_ms``; returns the ms waited."""
    return page.evaluate(_SETTLE_JS, [quiet_ms, after_ms, timeout_ms])


def open_notebook(page, base: str, token: str, path: str, timeout_ms: int = 120_000) -> None:
    """Open ``path`` (relative to the server's root_dir) in JupyterLab, in a workspace of its own (so no tab of an
    earlier test comes back), and wait for its kernel to be idle and quiet."""
    workspace = "".join(ch if ch.isalnum() else "-" for ch in path)
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?token={token}", timeout=timeout_ms)
    page.wait_for_function(
        """(path) => { const a = window.jupyterapp; if (!a || !a.shell) return false;
             const w = a.shell.currentWidget; return !!(w && w.context && w.context.path === path &&
               w.content && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel); }""",
        arg=path, timeout=timeout_ms, polling=250)
    settle_kernel(page, timeout_ms=timeout_ms)


def restart_and_run_all(page, timeout_ms: int = 180_000) -> None:
    """Restart the current notebook's kernel, run all cells and wait until the last execution finished."""
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.restartKernel()")
    # the new kernel reports itself (starting, busy/idle for kernel info and comms) a few hundred ms later
    settle_kernel(page, quiet_ms=1000, after_ms=300, timeout_ms=timeout_ms)
    # runAll resolves when every queued cell has finished (or was skipped after an error)
    page.evaluate("""(ms) => {
        const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
        const late = new Promise((_, reject) => setTimeout(() => reject(new Error('run-all timed out')), ms));
        return Promise.race([run, late]).then(() => true);
    }""", timeout_ms)
    settle_kernel(page, quiet_ms=500, timeout_ms=timeout_ms)


def cells(page) -> list[dict]:
    return page.evaluate(_CELLS_JS)


def code_cells(page) -> list[dict]:
    return [c for c in cells(page) if c["type"] == "code"]


def problems(records: list[dict]) -> list[str]:
    """Cells that show an error not announced by a ``raises-exception`` tag, or a widget that failed to render."""
    found = []
    for c in records:
        if c["errors"] and "raises-exception" not in c["tags"]:
            found.append(f"cell {c['index']}: {c['errors']}")
        for marker in WIDGET_FAILURES:
            if marker in c["text"]:
                found.append(f"cell {c['index']}: widget failed to render ({marker!r})")
    return found


def log_console_text(page, path: str) -> str:
    """Text of JupyterLab's log console for the notebook ``path``: where the output of widget callbacks lands,
    tracebacks included, when no Output widget captures it (the cell shows nothing)."""
    panel = page.locator(".jp-LogConsolePanel")
    if not panel.is_visible():  # the command toggles the panel
        page.evaluate("(p) => window.jupyterapp.commands.execute('logconsole:open', {source: p})", path)
        panel.wait_for()
    return "\n".join(panel.all_inner_texts())


# What a learner sees of an explorer: every image's bytes (hashed) and the visible text of its outputs, without
# the sliders' own readouts (they change with the slider whatever the explorer does).
_STATE_JS = """async (root) => {
  const digest = async (buf) => {
    const h = await crypto.subtle.digest('SHA-256', buf);
    return Array.from(new Uint8Array(h).slice(0, 8)).map(b => b.toString(16).padStart(2, '0')).join('');
  };
  const images = [];
  for (const img of root.querySelectorAll('img')) {
    try { images.push(await digest(await (await fetch(img.src)).arrayBuffer())); }
    catch (e) { images.push('src:' + img.src.slice(0, 80) + img.src.slice(-80)); }
  }
  const clone = root.cloneNode(true);
  for (const r of clone.querySelectorAll('.widget-readout, .widget-slider, .widget-label, .widget-dropdown, ' +
                                         '.widget-toggle-buttons, .widget-checkbox')) r.remove();
  return {images: images, text: clone.textContent.replace(/\\s+/g, ' ').trim()};
}"""


def explorer_state(handle) -> dict:
    """Images (hashes of their bytes) and text shown inside the element ``handle``."""
    return handle.evaluate(_STATE_JS)


def rendered_image_count(handle) -> int:
    """Images inside ``handle`` that finished loading with a non-zero size."""
    return handle.evaluate(
        "(root) => Array.from(root.querySelectorAll('img')).filter(i => i.complete && i.naturalWidth > 0).length")


def upscaled_images(handle, tolerance: float = 1.05) -> list[str]:
    """Images inside ``handle`` drawn wider than their pixels (a stretched PNG looks blurred): "natural -> shown"."""
    return handle.evaluate("""(root, tol) => Array.from(root.querySelectorAll('img'))
        .filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().width > tol * i.naturalWidth)
        .map(i => `${i.naturalWidth} px -> ${Math.round(i.getBoundingClientRect().width)} px`)""", tolerance)


def nudge_slider(page, slider, key: str = "ArrowRight") -> str:
    """Focus a control and press ``key``; return its value before and after ("a -> b"). ``slider`` is an
    ipywidgets slider (its handle gets the key) or a number box (``.widget-text``: ArrowRight/Left become Up/Down)."""
    number = slider.locator("input[type=number]")
    if number.count():
        box = number.first
        box.scroll_into_view_if_needed()
        before = box.input_value()
        box.focus()
        page.keyboard.press({"ArrowRight": "ArrowUp", "ArrowLeft": "ArrowDown"}.get(key, key))
        return f"{before} -> {box.input_value()}"
    readout = slider.locator(".widget-readout")
    before = readout.inner_text() if readout.count() else ""
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press(key)
    after = readout.inner_text() if readout.count() else ""
    return f"{before} -> {after}"


# the explorers' controls: ipywidgets sliders and number boxes (what tconv_edu.widgets uses)
CONTROLS = ".widget-slider, .widget-text:has(input[type=number])"


def wait_changed(page, handle, before: dict, timeout_s: float = 60.0, settle_s: float = 1.0) -> dict:
    """Poll the explorer's state until it differs from ``before``, its images have loaded and it stayed the same
    for ``settle_s`` (an explorer may set its text before its image); return it (``before`` on timeout)."""
    deadline = time.monotonic() + timeout_s
    last, since = before, time.monotonic()
    while time.monotonic() < deadline:
        now = explorer_state(handle)
        if now != last:
            last, since = now, time.monotonic()
        elif (now != before and rendered_image_count(handle) == len(now["images"])
              and time.monotonic() - since >= settle_s):
            return now
        page.wait_for_timeout(250)
    return last


# --------------------------------------------------------------------------------------------------------------
# accessibility: axe-core (npm registry, installed by `make test` into .axe/) injected into the page

AXE_JS = Path(os.environ.get("TCONV_EDU_AXE", Path(__file__).resolve().parents[1] / ".axe" / "node_modules" /
                             "axe-core" / "axe.min.js"))
# what the course renders: cell outputs (figures, explorers) and rendered markdown; the rest of a notebook's
# content area (editors, prompts, cell toolbars, heading buttons) is JupyterLab's own
COURSE_SELECTOR = ".jp-OutputArea-output, .jp-RenderedMarkdown"

_AXE_RUN_JS = """async ([include, course]) => {
  const r = await axe.run({include: [[include]]}, {resultTypes: ['violations']});
  const out = [];
  for (const v of r.violations) for (const n of v.nodes) {
    const el = n.target.length === 1 ? document.querySelector(n.target[0]) : null;
    out.push({id: v.id, impact: n.impact || v.impact, help: v.help, target: n.target.join(' '),
              html: n.html.slice(0, 160), course: !!(el && el.closest(course))});
  }
  return {version: axe.version, violations: out};
}"""


def axe_missing_reason() -> str | None:
    if not AXE_JS.is_file():
        return f"{AXE_JS} not found: `make test` installs axe-core from the npm registry (needs npm)"
    return None


def run_axe(page, include: str) -> dict:
    """Run axe-core on the part of the page under ``include``; every violated node, marked ``course`` when it lies
    in what the course renders (COURSE_SELECTOR) rather than in JupyterLab's own interface."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text())
    return page.evaluate(_AXE_RUN_JS, [include, COURSE_SELECTOR])


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def summary(violations: list[dict]) -> list[str]:
    """One line per rule: impact, id, how many nodes, one example."""
    by = {}
    for v in violations:
        by.setdefault((v["impact"], v["id"]), []).append(v)
    return [f"{imp} {rule} x{len(vs)}: {vs[0]['html'][:100]}" for (imp, rule), vs in sorted(by.items())]


# images in outputs without a text alternative (missing or empty alt)
IMAGES_WITHOUT_ALT_JS = """(root) => Array.from(document.querySelectorAll(root + ' img'))
    .filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.outerHTML.slice(0, 120))"""
