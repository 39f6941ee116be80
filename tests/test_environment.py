"""The ways in: pip (`make lab`, `make test`), conda and Binder (environment.yml), CI (.ci/run).

environment.yml must carry every runtime dependency of pyproject.toml under its conda-forge name with the same
lower bound (CuPy excepted: the GPU extra, no GPU on Binder) and install the package itself with ``pip: -e .``
(repo2docker does not read pyproject.toml when an environment.yml is present).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is in the [test] extra")
try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli", reason="Python 3.10 reads pyproject.toml with tomli")
from packaging.requirements import Requirement  # noqa: E402  (a dependency of pytest)

import browser_util as bu  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# pip name -> conda-forge name, where they differ (matplotlib-base: matplotlib without the Qt GUI stack)
CONDA_NAME = {"matplotlib": "matplotlib-base"}
NOT_ON_BINDER = ("cupy",)  # the GPU extra


def conda_specs() -> dict[str, str]:
    """{conda name: version constraint} of environment.yml's conda dependencies (pip section left out)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep.strip())
            assert m, f"environment.yml: cannot read the dependency {dep!r}"
            specs[m.group(1).lower()] = m.group(2).replace(" ", "")
    return specs


def pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml: expected one `pip:` section"
    return sections[0]


def requirements(group: str | None) -> list[Requirement]:
    project = PYPROJECT["project"]
    deps = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(d) for d in deps]


def test_environment_yml_parses_and_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "tconv_edu"
    assert env["channels"][0] == "conda-forge", env["channels"]
    assert "defaults" not in env["channels"], "mixing the defaults channel with conda-forge breaks solves"


@pytest.mark.parametrize("group", [None, "lab"], ids=["runtime", "lab-extra"])
def test_environment_yml_lists_dependencies_with_pyproject_bounds(group):
    specs = conda_specs()
    for req in requirements(group):
        name = CONDA_NAME.get(req.name.lower(), req.name.lower())
        assert name in specs, f"environment.yml lacks {name} (pyproject.toml: {req})"
        assert specs[name] == str(req.specifier), (
            f"environment.yml has {name}{specs[name]}, pyproject.toml {req}: keep the bounds equal")
    python = PYPROJECT["project"]["requires-python"]
    assert specs.get("python") == python, f"environment.yml python{specs.get('python')} vs requires-python {python}"


def test_environment_yml_leaves_out_the_gpu_extra():
    gpu = [r.name for r in requirements("gpu")]
    assert any(n.startswith("cupy") for n in gpu), "pyproject.toml's gpu extra should carry CuPy"
    text = (ROOT / "environment.yml").read_text()
    listed = [n for n in conda_specs() if n.startswith(NOT_ON_BINDER)] + \
        [p for p in pip_section() if p.lower().startswith(NOT_ON_BINDER)]
    assert listed == [], f"CuPy does not belong in the Binder environment: {listed}"
    assert "GPU" in text and ".[gpu]" in text, "environment.yml should say how to add the GPU form"


def test_environment_yml_installs_the_package_editable():
    assert pip_section() == ["-e ."], pip_section()
    assert "pip" in conda_specs(), "list pip itself before the pip section"


def test_the_wheel_lists_every_package_of_the_library():
    """setuptools' explicit package list (an installed wheel, JupyterLite's) must name every folder with an
    __init__.py; an editable install finds them all anyway, so only this test sees one missing."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tconv_edu").rglob("__init__.py")}
    assert found == listed


def test_the_version_lives_in_pyproject_only():
    """tconv_edu.__version__ comes from the installed package's metadata (the wheel JupyterLite installs has it too),
    so pyproject.toml is the one place to change it."""
    import tconv_edu

    version = PYPROJECT["project"]["version"]
    assert tconv_edu.__version__ == version
    sources = [p for p in (ROOT / "tconv_edu").rglob("*.py") if f'"{version}"' in p.read_text(encoding="utf-8")]
    assert sources == [], f"a second copy of the version in {sources}"


def test_the_version_without_package_metadata(monkeypatch):
    """From plain files that pip never installed there is no metadata: a version that says so, not an error."""
    import importlib.metadata

    import tconv_edu

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert tconv_edu._version() == "0+unknown"


def test_ci_installs_chromium_node_and_npm_then_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    lines = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert "set -euo pipefail" in lines
    assert lines[-1] == "make test", "CI must end by running the README's `make test`"
    install = next(i for i, ln in enumerate(lines) if "apt-get install" in ln and '"${need[@]}"' in ln)
    for package in ("chromium", "nodejs", "npm"):
        wanted = next(i for i, ln in enumerate(lines) if f"need+=({package})" in ln)
        assert wanted < install < len(lines) - 1, package
    assert os.access(ROOT / ".ci" / "run", os.X_OK), ".ci/run must be executable"


def test_readme_shows_the_ways_in():
    readme = (ROOT / "README.md").read_text()
    for text in ("make lab", "make test", "make app", "environment.yml", "mybinder.org"):
        assert text in readme, f"README.md should show {text!r}"


def test_makefile_lab_opens_the_start_notebook():
    makefile = (ROOT / "Makefile").read_text()
    start = re.search(r"^START\s*:?=\s*(\S+)", makefile, re.M)
    assert start and start.group(1) == "notebooks/00_start_here.ipynb"
    assert (ROOT / start.group(1)).is_file(), f"{start.group(1)} is missing"


def _make_env(home: Path) -> dict:
    env = bu.clean_env(home)
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(var, None)  # when pytest runs under `make test`
    return env


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_make_lab_prints_the_start_url_and_serves(tmp_path):
    """`make lab` (its install step held back with -o) starts JupyterLab, prints the start notebook's URL with a
    token, and answers; the test stops it (process group) whatever happens."""
    if not shutil.which("make") or not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("needs make and the repository's .venv (created by `make test`)")
    port, token = bu.free_port(), bu.new_token()
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 " \
           f"--IdentityProvider.token={token}"
    argv = ["make", "--no-print-directory", "-o", ".venv/.lab", "lab", f"LAB_ARGS={args}"]
    log = tmp_path / "make_lab.log"
    base = f"http://127.0.0.1:{port}"
    with bu.served(argv, f"{base}/api/status?token={token}", log, env=_make_env(tmp_path / "home"), cwd=ROOT):
        deadline = time.monotonic() + 30
        while "00_start_here.ipynb?token=" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token=" in text, text[-2000:]
        url = f"{base}/api/contents/notebooks/00_start_here.ipynb?content=0&token={token}"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"{base}/lab/tree/notebooks/00_start_here.ipynb?token={token}", timeout=10) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()


def _make_dry_run(target: str) -> str:
    """`make -n TARGET` with its install steps held back: the commands it would run."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "-o", ".venv/.lab", "-o", ".venv/.hub",
                           "-o", ".hub/node_modules/.bin/configurable-http-proxy", target],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_passes_allow_root_exactly_when_run_as_root():
    """Jupyter refuses to start as root without --allow-root (CI and many containers run as root)."""
    line = next(ln for ln in _make_dry_run("lab").splitlines() if " lab " in ln and "jupyter" in ln)
    assert ("--allow-root" in line.split()) == (os.geteuid() == 0), line


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_hub_installs_the_proxy_version_the_demo_uses():
    demo = (ROOT / "scripts" / "hub_demo.py").read_text()
    pinned = re.search(r'^PROXY_PACKAGE = "(\S+)"', demo, re.M).group(1)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^CHP_PKG\s*:=\s*(\S+)", makefile, re.M).group(1) == pinned
    assert "scripts/hub_demo.py" in _make_dry_run("hub")


def test_hub_config_listens_on_loopback_only():
    text = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    urls = re.findall(r"http://([\w.]+):", text)
    assert urls and set(urls) == {"127.0.0.1"}, urls
    assert 'c.Spawner.ip = "127.0.0.1"' in text
    assert "0.0.0.0" not in text
