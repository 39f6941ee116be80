"""Build the course as a JupyterLite site (JupyterLab and a Python kernel, Pyodide, running in the browser).

    .venv-lite/bin/python scripts/build_lite.py                 # make lite: _site/, ready for any static host
    .venv-lite/bin/python scripts/build_lite.py --output DIR --local-pyodide   # a site whose kernel starts offline

Runs in the build environment of ``make lite`` (.venv-lite: jupyterlite-core, jupyterlite-pyodide-kernel,
jupyterlab_widgets for the widget front end). Every run starts from scratch (the staging folder, the build's
database and the output are removed first). The site holds:

- the course (notebooks/, exercises/, app/explorers.ipynb and the recorded benchmark tables notebook 06 reads),
  each notebook with a first code cell that, in the browser only, installs the course's package, ipywidgets and
  anywidget, which draws the explorers (``sys.platform == "emscripten"``: the same notebook does nothing more when
  downloaded and run elsewhere);
- piplite wheels: the package's own wheel, built from this checkout, ipywidgets' and anywidget's with psygnal
  (LITE_WHEELS below); numpy, scipy and matplotlib come from Pyodide's own distribution (its CDN);
- the widget front ends (jupyterlab_widgets' and anywidget's lab extensions, found in the build environment).

``--local-pyodide`` serves Pyodide's core from the site (the npm package ``pyodide``) with the kernel's boot
packages (pure wheels from PyPI, checked against Pyodide's lock file) and no PyPI fallback: the kernel then starts
with no other server, as the tests need, but Pyodide's numpy, scipy and matplotlib are missing from such a site.

Exits non-zero when the build fails, including a step that only printed FAIL (``jupyter lite build`` exits 0 then),
or when the site lacks a notebook, the wheel or the widget extension. Prints the build time and the site's size.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "lite"                 # the lite dir (config, contents, wheels), default of --stage
CACHE = ROOT / "build" / "lite-cache"           # downloads kept between builds (Pyodide's core, boot wheels)
# what the site shows: folder -> file patterns (the notebooks and the cheat sheet 00 links to, and the recorded
# tables notebook 06 reads)
CONTENTS = {"notebooks": ["*.ipynb", "cheatsheet.md"], "exercises": ["*.ipynb"], "app": ["*.ipynb"],
            "benchmarks/results": ["*.json", "*.txt", "*.md"]}
# ipywidgets and anywidget (the explorers' front ends) for piplite, as pure wheels (psygnal's compiled wheels are
# CPython's; Pyodide takes its py3-none-any wheel); the Python jupyterlab_widgets and anywidget are the front ends'
# versions (scripts/lite-requirements.txt)
LITE_WHEELS = ["ipywidgets==8.1.9", "comm==0.2.3", "jupyterlab_widgets=={front_end}", "anywidget=={anywidget}",
               "psygnal==0.16.1", "typing_extensions==4.16.0"]
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
ANYWIDGET_EXTENSION = "anywidget"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
PYODIDE_NPM = "pyodide@314.0.6"                 # the version jupyterlite-pyodide-kernel 0.8.6 loads by default
# what the kernel loads from Pyodide's distribution while it starts (with their dependencies in its lock file)
BOOT_PACKAGES = ["micropip", "ipython", "jedi"]
# what micropip takes from Pyodide's distribution rather than from the site when a notebook installs the course:
# anywidget's typing_extensions (Pyodide's lock file names it), served beside the boot packages
LOCK_PACKAGES = ["typing-extensions"]

INSTALL_CELL = """\
# In the browser (JupyterLite) this installs the course's package; elsewhere it does nothing
import sys
if sys.platform == "emscripten":
    import piplite
    await piplite.install(["tconv_edu", "ipywidgets", "anywidget"])"""


def log(msg: str) -> None:
    print(f"[lite] {msg}", flush=True)


def run(argv, **kw) -> str:
    """Run a command, echoing its output; raise SystemExit on a non-zero exit."""
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    print(proc.stdout, end="", flush=True)
    if proc.returncode:
        raise SystemExit(f"[lite] failed ({proc.returncode}): {' '.join(map(str, argv))}")
    return proc.stdout


def with_install_cell(nb: dict) -> dict:
    """The notebook with INSTALL_CELL as its first code cell (after a leading markdown title, if any)."""
    cell = {"cell_type": "code", "execution_count": None, "id": "lite-install", "metadata": {"tags": ["lite"]},
            "outputs": [], "source": INSTALL_CELL.splitlines(keepends=True)}
    at = 1 if nb["cells"] and nb["cells"][0]["cell_type"] == "markdown" else 0
    nb["cells"].insert(at, cell)
    return nb


def stage_contents(dest: Path) -> list[str]:
    """Copy the course into ``dest`` (notebooks get the install cell); the relative paths staged."""
    staged = []
    for folder, patterns in CONTENTS.items():
        for pattern in patterns:
            for src in sorted((ROOT / folder).glob(pattern)):
                rel = src.relative_to(ROOT)
                out = dest / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                if src.suffix == ".ipynb":
                    nb = with_install_cell(json.loads(src.read_text(encoding="utf-8")))
                    out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
                else:
                    shutil.copy2(src, out)
                staged.append(rel.as_posix())
    return staged


def build_wheels(dest: Path) -> None:
    """The package's wheel from this checkout, and LITE_WHEELS from PyPI (no dependencies: Pyodide has them)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)      # setuptools would reuse stale copies
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), str(ROOT)])
    versions = dict(front_end=importlib.metadata.version("jupyterlab_widgets"),
                    anywidget=importlib.metadata.version("anywidget"))
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(dest),
         "--implementation", "py", "--abi", "none", "--platform", "any",
         *(w.format(**versions) for w in LITE_WHEELS)])


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def local_pyodide(lite_dir: Path) -> None:
    """Pyodide's core (npm) in lite_dir/static/pyodide, with the boot packages its lock file names (from PyPI)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = PYODIDE_NPM.replace("@", "-") + ".tgz"
    if not (CACHE / name).exists():
        if not shutil.which("npm"):
            raise SystemExit("[lite] --local-pyodide needs npm (Node.js) to fetch the npm package pyodide")
        run(["npm", "pack", PYODIDE_NPM, "--pack-destination", str(CACHE)], cwd=CACHE)
    core = lite_dir / "static" / "pyodide"
    core.mkdir(parents=True)
    with tarfile.open(CACHE / name) as tar:
        for member in tar.getmembers():
            if member.isfile() and not member.name.endswith((".map", ".d.ts", ".html")):
                member.name = member.name.split("/", 1)[1]            # package/... -> ...
                tar.extract(member, core, filter="data")
    lock = json.loads((core / "pyodide-lock.json").read_text())
    packages = {_norm(k): v for k, v in lock["packages"].items()}
    need, todo = set(), list(BOOT_PACKAGES + LOCK_PACKAGES)
    while todo:
        pkg = _norm(todo.pop())
        if pkg not in need:
            need.add(pkg)
            todo.extend(packages[pkg]["depends"])
    boot = CACHE / "boot"
    boot.mkdir(exist_ok=True)
    missing = [f"{packages[p]['name']}=={packages[p]['version']}" for p in sorted(need)
               if not (boot / packages[p]["file_name"]).exists()]
    if missing:
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(boot),
             "--python-version", lock["info"]["python"], "--implementation", "py", "--abi", "none",
             "--platform", "any", *missing])
    for p in sorted(need):
        whl = boot / packages[p]["file_name"]
        if not whl.exists():
            raise SystemExit(f"[lite] {whl.name}, named by Pyodide's lock file, did not come from PyPI")
        shutil.copy2(whl, core / whl.name)
        # Pyodide builds its own copy of each pure wheel: same name and version, other bytes. Its loader checks
        # the lock file's sha256, so the served lock names the PyPI wheel's
        packages[p]["sha256"] = hashlib.sha256(whl.read_bytes()).hexdigest()
    (core / "pyodide-lock.json").write_text(json.dumps(lock))
    log(f"local Pyodide core with {len(need)} boot packages: {', '.join(sorted(need))}")


def check_site(out: Path, staged: list[str], pyodide_url: str | None) -> None:
    """Fail unless the site holds every staged file, the wheels and the widget front end."""
    problems = [f"files/{rel} missing" for rel in staged if not (out / "files" / rel).is_file()]
    index = out / "pypi" / "all.json"
    offered = json.loads(index.read_text()) if index.is_file() else {}
    problems += [f"{name} not offered by piplite (pypi/all.json)" for name in ("tconv-edu", "ipywidgets", "anywidget",
                                                                                 "psygnal")
                 if name not in offered and name.replace("-", "_") not in offered]
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    for extension in (WIDGET_EXTENSION, ANYWIDGET_EXTENSION):
        if not any(e["name"] == extension for e in config.get("federated_extensions", [])) or \
                not (out / "extensions" / extension).is_dir():
            problems.append(f"the widget front end ({extension}) is missing")
    settings = config.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
    if settings.get("pyodideUrl") != pyodide_url:
        problems.append(f"pyodideUrl is {settings.get('pyodideUrl')!r}, expected {pyodide_url!r}")
    if problems:
        raise SystemExit("[lite] the site is incomplete:\n  " + "\n  ".join(problems))


def failed_steps(build_log: str) -> list[str]:
    """The lines of ``jupyter lite build``'s output that report a failure (it exits 0 after some of them)."""
    return [line for line in build_log.splitlines() if re.search(r"\bFAIL\b|Traceback|TaskError|TaskFailed", line)]


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", type=Path, default=ROOT / "_site", help="the site's folder (default: _site)")
    ap.add_argument("--local-pyodide", action="store_true",
                    help="serve Pyodide's core and the kernel's boot packages from the site, without PyPI (tests)")
    ap.add_argument("--stage", type=Path, default=STAGE,
                    help="the build's own folder (config, contents, wheels, its database), emptied first")
    ap.add_argument("--expose-app", action="store_true",
                    help="expose the application as window.jupyterapp, for the browser tests' probes")
    args = ap.parse_args(argv)
    out, stage = args.output.resolve(), args.stage.resolve()
    for folder, mark in ((out, "jupyter-lite.json"), (stage, "contents")):
        if folder.exists() and any(folder.iterdir()) and not (folder / mark).exists():
            raise SystemExit(f"[lite] {folder} holds something other than an earlier build: not removing it")
    start = time.perf_counter()
    shutil.rmtree(stage, ignore_errors=True)              # the build's database (.jupyterlite.doit.db) lives here
    shutil.rmtree(out, ignore_errors=True)
    stage.mkdir(parents=True)
    staged = stage_contents(stage / "contents")
    build_wheels(stage / "wheels")
    settings = {"disablePyPIFallback": True} if args.local_pyodide else {}
    if args.local_pyodide:
        local_pyodide(stage)
    (stage / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {"appName": "tconv_edu", "litePluginSettings": {KERNEL_PLUGIN: settings},
                                **({"exposeAppInBrowser": "true"} if args.expose_app else {})},
    }, indent=1))
    log(f"staged {len(staged)} files and {len(list((stage / 'wheels').glob('*.whl')))} wheels; building")
    text = run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(stage),
                "--contents", str(stage / "contents"), "--piplite-wheels", str(stage / "wheels"),
                "--output-dir", str(out), "--no-sourcemaps"], cwd=stage)
    failed = failed_steps(text)
    if failed:
        raise SystemExit("[lite] the build reported a failed step:\n  " + "\n  ".join(failed))
    check_site(out, staged, "./static/pyodide/pyodide.mjs" if args.local_pyodide else None)
    log(f"built {out} in {time.perf_counter() - start:.0f} s: {size(out) / 2 ** 20:.0f} MiB, "
        f"{sum(1 for p in out.rglob('*') if p.is_file())} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
