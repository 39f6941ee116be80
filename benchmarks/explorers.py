"""How fast the explorers follow the keyboard, in a real browser: key press -> output drawn and painted.

    .venv/bin/python benchmarks/explorers.py                 # Voila: `make app`'s page (app/explorers.ipynb)
    .venv/bin/python benchmarks/explorers.py --lab           # the same notebook in JupyterLab
    .venv/bin/python benchmarks/explorers.py --both --steps 15 --runs 3 --out benchmarks/results/explorers_M_D.txt

Serves the page on 127.0.0.1, opens it in Debian's Chromium (/usr/bin/chromium) through Playwright, focuses one
control of each explorer and presses the arrow keys ``--steps`` times, walking as a learner does: up two values,
down two, and so on, turning at the control's bounds, with ``--pause`` ms between a drawing and the next key (the
learner looks at the picture; 0 presses as fast as the page settles). A step is timed in the page, from the key's
keydown event to the frame painted after the explorer drew the answer (``data-pending`` back to 0 and
``data-painted-at`` past the key press: see tconv_edu/widgets/_common.js). "ahead" is the share of steps drawn from
the answers the kernel sent ahead (no kernel message waited for); "kernel" the kernel's own time for the answers
waited for (``meta.compute_ms``), as a share of the step. Controls the page handles alone (the stepper's stamp,
the matrix explorer's row) are timed too. Prints median / p90 ms per explorer; ``--out`` also writes the table,
the command and the machine. Requests that leave the machine are counted (there should be none).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import browser_util as bu  # noqa: E402

APP = ROOT / "app" / "explorers.ipynb"
# (explorer index on the page, its name, the control stepped, whether the page handles it alone)
CASES = [
    (0, "scatter stepper", "stride", False),
    (0, "scatter stepper", "step", True),
    (1, "output shape", "input_size", False),
    (2, "matrix", "stride", False),
    (2, "matrix", "row", True),
    (3, "checkerboard", "kernel_size", False),
    (4, "groups", "kernel_size", False),
    (5, "porting (text only)", "input_size", False),
    (6, "1-D stepper", "stride", False),
    (6, "1-D stepper", "step", True),
]
N_EXPLORERS = max(index for index, *_ in CASES) + 1      # the explorers on the page (app/explorers.ipynb)
ONLY: list = []      # --only: the explorers whose name contains one of these
VOILA_SKIP = ["--VoilaConfiguration.extension_denylist=@jupyter/nbgrader",
              "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension"]

# one step: press the key, wait in the page for the explorer to settle and paint; returns (ms, kernel ms)
_ARM_JS = """([i]) => { const root = document.querySelectorAll('.tconv-explorer')[i];
  window.__tconvKey = null;
  window.addEventListener('keydown', () => { window.__tconvKey = performance.now(); }, {once: true, capture: true});
  return Number(root.dataset.drawn); }"""
_SETTLED_JS = """([i, drawn]) => { const root = document.querySelectorAll('.tconv-explorer')[i];
  const t0 = window.__tconvKey;
  return t0 !== null && root.dataset.pending === '0' && Number(root.dataset.drawn) > drawn &&
         Number(root.dataset.paintedAt || 0) > Number(root.dataset.settledAt || 0) &&
         Number(root.dataset.settledAt) > t0; }"""
_RESULT_JS = """([i]) => { const root = document.querySelectorAll('.tconv-explorer')[i];
  return [Number(root.dataset.paintedAt) - window.__tconvKey, Number(root.dataset.computeMs || 0),
          Number(root.dataset.receivedAt || 0) - window.__tconvKey, Number(root.dataset.settledAt) - window.__tconvKey,
          root.dataset.ahead === '1', Number(root.dataset.drawMs || 0)]; }"""


def p90(values):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def walk(value: int, lo: int, hi: int, steps: int) -> list[str]:
    """The keys of a learner's walk from ``value``: two values up, two down, ..., turning at the bounds."""
    keys, d, run = [], 1, 0
    for _ in range(steps):
        if run == 2 or not lo <= value + d <= hi:
            d, run = -d, 0
        keys.append("ArrowUp" if d > 0 else "ArrowDown")
        value, run = value + d, run + 1
    return keys


def measure(page, steps: int, pause_ms: float) -> dict:
    """Every case of CASES on the page already open: {(name, control, local): [(ms, kernel ms, ahead), ...]}."""
    out = {}
    roots = page.locator(".tconv-explorer")
    for index, name, control, local in CASES:
        if ONLY and not any(o in name for o in ONLY):
            continue
        root = roots.nth(index)
        root.scroll_into_view_if_needed()
        box = root.locator(f"[name='{control}']")
        box.focus()
        lo, hi, value = (int(box.get_attribute(a) if a != "value" else box.input_value()) for a in ("min", "max", "value"))
        times = []
        for k, key in enumerate(walk(value, lo, hi, steps + 1)):
            page.wait_for_timeout(pause_ms)
            drawn = page.evaluate(_ARM_JS, [index])
            page.keyboard.press(key)
            page.wait_for_function(_SETTLED_JS, arg=[index, drawn], timeout=30_000, polling="raf")
            ms, kernel, received, drawn_at, ahead, draw_ms = page.evaluate(_RESULT_JS, [index])
            if k:                                     # the first step warms the path up
                times.append((ms, 0.0 if local or ahead else kernel, ahead and not local))
                if os.environ.get("TCONV_BENCH_DETAIL"):
                    print(f"{name} {control}: {ms:.1f} ms = " + (f"key to drawn {drawn_at:.1f}" if ahead else
                          f"answer {received:.1f} + drawn {drawn_at - received:.1f}") +
                          f" (drawing {draw_ms:.1f}) + paint {ms - drawn_at:.1f}; kernel {kernel:.1f}", file=sys.stderr)
        out[(name, control, local)] = times
    return out


def launch(pw):
    return pw.chromium.launch(executable_path=bu.CHROMIUM, args=bu.CHROMIUM_ARGS, headless=True)


def watch(page, base: str, outside: list, errors: list) -> None:
    local = ("data:", "blob:", base)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(local) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def browse(pw, base: str, open_page, steps: int, pause_ms: float, outside: list, errors: list) -> dict:
    """A fresh browser on the page open_page(page) opens at ``base``: every explorer drawn, then measured."""
    browser = launch(pw)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        watch(page, base, outside, errors)
        open_page(page)
        page.wait_for_function(f"() => document.querySelectorAll('.tconv-explorer').length >= {N_EXPLORERS} &&"
                               " [...document.querySelectorAll('.tconv-explorer')].every(r => r.dataset.drawn !== '0')",
                               timeout=120_000)
        return measure(page, steps, pause_ms)
    finally:
        browser.close()


def run_voila(pw, steps: int, pause_ms: float, outside: list, errors: list) -> dict:
    home = Path(tempfile.mkdtemp(prefix="tconv-bench-voila-"))
    port, token = bu.free_port(), bu.new_token()
    base = f"http://127.0.0.1:{port}"
    argv = bu.voila_command(APP, port, token) + VOILA_SKIP
    env = dict(bu.clean_env(home), JUPYTER_PATH=str(ROOT / "app" / "jupyter"))   # what `make app` sets
    try:
        with bu.served(argv, f"{base}/voila/labextensions/@voila-dashboards/widgets-manager8/package.json",
                       home / "voila.log", env=env, cwd=APP.parent):
            return browse(pw, base, lambda page: page.goto(f"{base}/?token={token}", timeout=120_000),
                          steps, pause_ms, outside, errors)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_lab(pw, steps: int, pause_ms: float, outside: list, errors: list) -> dict:
    home = Path(tempfile.mkdtemp(prefix="tconv-bench-lab-"))
    course = home / "course"
    course.mkdir()
    shutil.copy2(APP, course / APP.name)
    port, token = bu.free_port(), bu.new_token()
    base = f"http://127.0.0.1:{port}"

    def open_page(page):
        bu.open_notebook(page, base, token, APP.name)
        bu.restart_and_run_all(page)

    try:
        with bu.served(bu.lab_command(course, home, port, token), f"{base}/api/status?token={token}",
                       home / "lab.log", env=bu.clean_env(home), cwd=course):
            return browse(pw, base, open_page, steps, pause_ms, outside, errors)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def machine() -> str:
    return f"{platform.machine()}-{os.cpu_count()}core"


def table(results: dict) -> list[str]:
    """results: {front end: [{case: [(ms, kernel)]}, ...runs]} -> markdown lines."""
    fronts = list(results)
    lines = ["| explorer (control) | " + " | ".join(f"{f} median / p90 ms (ahead, kernel share)" for f in fronts) + " |",
             "|---|" + "---|" * len(fronts)]
    for _, name, control, local in CASES:
        key = (name, control, local)
        if key not in results[fronts[0]][0]:
            continue
        cells = []
        for f in fronts:
            runs = [run[key] for run in results[f]]
            medians = [statistics.median(ms for ms, _, _ in r) for r in runs]
            p90s = [p90([ms for ms, _, _ in r]) for r in runs]
            share = statistics.median(k / ms for r in runs for ms, k, _ in r if ms > 0)
            ahead = sum(a for r in runs for _, _, a in r) / sum(len(r) for r in runs)
            span = lambda v: f"{min(v):.0f}" if round(min(v)) == round(max(v)) else f"{min(v):.0f}-{max(v):.0f}"  # noqa: E731
            cells.append(f"{span(medians)} / {span(p90s)} ({'-' if local else f'{ahead:.0%}'}, {share:.0%})")
        label = f"{name} ({control}{', page only' if local else ''})"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", action="store_true", help="JupyterLab instead of Voila")
    ap.add_argument("--both", action="store_true", help="Voila and JupyterLab")
    ap.add_argument("--steps", type=int, default=15, help="key presses per explorer (default 15)")
    ap.add_argument("--runs", type=int, default=1, help="repeat everything (a fresh server each time)")
    ap.add_argument("--pause", type=float, default=250, help="ms from a drawing to the next key (default 250)")
    ap.add_argument("--out", type=Path, help="also write the table, the command and the machine here")
    ap.add_argument("--only", action="append", default=[], help="time only explorers whose name contains this")
    args = ap.parse_args(argv)
    ONLY[:] = args.only
    missing = bu.chromium_missing_reason()
    if missing:
        raise SystemExit(missing)
    from playwright.sync_api import sync_playwright

    fronts = ["Voila", "JupyterLab"] if args.both else ["JupyterLab" if args.lab else "Voila"]
    results = {f: [] for f in fronts}
    outside, errors = [], []
    start = time.perf_counter()
    with sync_playwright() as pw:
        for _ in range(args.runs):
            for f in fronts:
                results[f].append((run_lab if f == "JupyterLab" else run_voila)(pw, args.steps, args.pause, outside,
                                                                                errors))
    lines = table(results)
    lines += ["", f"requests that left the machine: {len(set(outside))}" + (f" {sorted(set(outside))}" if outside else ""),
              f"console errors: {len(errors)}" + (f" (first: {errors[0][:200]})" if errors else "")]
    print("\n".join(lines))
    if args.out:
        import importlib.metadata

        import anywidget

        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        head = [f"# explorers: key press -> painted, {args.steps} steps x {args.runs} run(s) per front end, "
                f"{args.pause:g} ms from a drawing to the next key",
                f"command: .venv/bin/python benchmarks/{Path(__file__).name} {' '.join(argv or sys.argv[1:])}",
                f"machine: {machine()} ({platform.processor() or platform.machine()}), "
                f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
                f"anywidget {anywidget.__version__}, playwright {importlib.metadata.version('playwright')}, {bu.CHROMIUM}",
                f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores"
                + (" (other work shared the CPU)" if os.getloadavg()[1] > 1.5 else ""),
                f"wall time {time.perf_counter() - start:.0f} s; ranges are min-max over the runs", ""]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(head + lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
