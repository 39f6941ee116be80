# The two commands of the README: `make lab` opens the course, `make test` passes the tests.
# Both create .venv and install what they need on a fresh machine (Python 3 and make are enough).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# torch comes from a pinned CPU wheel (never a plain `torch`, which would pull a CUDA build)
TORCH  := torch==2.13.0

.PHONY: lab test sandbox test-lib test-notebooks notebooks exercises workspace app hub bench lite clean cheatsheet

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.lab: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e ".[lab]"
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test,lab,hub,frameworks]"
	touch $@

$(VENV)/.hub: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e ".[hub]"
	touch $@

# JupyterLab on the repository (notebooks/ and exercises/), opening the start notebook; it prints the URL (with
# its token) to open by hand where no browser starts. Extra options: make lab LAB_ARGS="--no-browser --port=8890"
START  := notebooks/00_start_here.ipynb
# as root (many containers and cloud machines start so) Jupyter refuses to run without --allow-root
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(VENV)/.lab
	$(BIN)/jupyter lab $(ALLOW_ROOT) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(START) $(LAB_ARGS) $(START)

# the explorers alone, as a page without code cells (Voila); prints the URL. make app APP_ARGS="--no-browser"
# (Voila runs as root as it is: it has no root check and no --allow-root option)
# app/jupyter holds the page's template (Voila's lab template without its font-awesome links to a CDN: offline)
app: $(VENV)/.lab
	JUPYTER_PATH=$(CURDIR)/app/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH} $(BIN)/voila app/explorers.ipynb $(VOILA_SKIP) $(APP_ARGS)
# front-end extensions of JupyterLab that fail to load in Voila's page (they only log errors there)
VOILA_SKIP := --VoilaConfiguration.extension_denylist=@jupyter/nbgrader \
              --VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension

# strict nbval (every stored output compared), run from the repository root
NBVAL  := $(PY) -m pytest -o addopts="" -p no:cacheprovider -p no:python --nbval --nbval-current-env \
          --nbval-sanitize-with tests/nbval_sanitize.cfg

# axe-core (npm registry) for the accessibility checks of tests/test_browser.py, in a git-ignored folder; without
# npm the axe checks skip and say why (with TCONV_EDU_REQUIRE_BROWSER, as in .ci/run, they fail instead)
AXE_CORE := axe-core@4.14.1
AXE      := .axe/node_modules/axe-core/axe.min.js
$(AXE):
	@if command -v npm >/dev/null; then npm install --prefix .axe --no-save --no-audit --no-fund -q $(AXE_CORE); \
	else echo "npm not found: the axe-core checks of tests/test_browser.py will skip"; fi

# bubblewrap, the sandbox of the grading command's learner kernels (Debian package): installed where we are root
# with apt-get; elsewhere the tests that grade skip and say why (with TCONV_EDU_REQUIRE_SANDBOX, as in .ci/run,
# they fail instead)
sandbox:
	@if command -v bwrap >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap; }; \
	else echo "bubblewrap not found (apt-get install bubblewrap): the tests that grade notebooks will skip"; fi

test: $(VENV)/.test $(AXE) sandbox
	$(PY) -m pytest
	$(MAKE) test-notebooks

# notebooks/ is executed twice, each time in fresh kernels against its stored outputs: the course's outputs must not
# change from run to run (seeded), and an output that varies only now and then passes one run by chance more often
# than two (~90 s on 2 cores)
test-notebooks: $(VENV)/.test
	$(NBVAL) notebooks solutions
	$(NBVAL) notebooks

# execute every notebook in place, storing outputs without timings or widget state (then commit them)
notebooks: $(VENV)/.test
	$(PY) scripts/run_notebooks.py

# the cheat sheet (notebooks/cheatsheet.md, its numbers checked by tests/test_cheatsheet.py) as one self-contained
# page, artifacts/cheatsheet.html (git-ignored; prints on one A4 landscape page), with mistune (JupyterLab brings it)
cheatsheet: $(VENV)/.lab
	$(PY) scripts/build_cheatsheet.py

# exercises/ is generated from solutions/ (never edited by hand); it refuses to replace a notebook that holds
# anything else (a learner's answers, outputs) and says which: make exercises FORCE=1 replaces it anyway
exercises: $(VENV)/.lab
	$(PY) scripts/make_exercises.py $(if $(FORCE),--force)

# learners work in their own copy, workspace/ (git-ignored): copies exercises/ there, never replacing a file,
# so updates, make exercises and make test never touch their answers
workspace: $(VENV)/.lab
	$(PY) scripts/make_exercises.py --workspace workspace

# a whole class on this machine: JupyterHub, nbgrader's exchange, four learners and the instructor, all on
# 127.0.0.1 (scripts/hub_demo.py). The proxy comes from the npm registry into .hub/ (git-ignored).
# make hub HUB_ARGS="--keep" leaves the hub up afterwards, to log in as a learner (Ctrl-C stops it)
CHP_PKG := configurable-http-proxy@5.3.0
CHP     := .hub/node_modules/.bin/configurable-http-proxy
$(CHP):
	npm install --prefix .hub --no-audit --no-fund --no-save --loglevel=error $(CHP_PKG)

hub: $(VENV)/.hub $(CHP)
	$(PY) scripts/hub_demo.py $(HUB_ARGS)

test-lib: $(VENV)/.test sandbox
	$(PY) -m pytest tests tconv_edu

# without the OPENBLAS_* variables some machines set (they select a slower BLAS kernel; see benchmarks/cpu.py)
bench: $(VENV)/.test
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/cpu.py $(BENCH_ARGS)

# the course as a JupyterLite site in _site/ (static files: JupyterLab and a Pyodide kernel in the browser), built
# from scratch in its own environment .venv-lite (scripts/lite-requirements.txt). Serve it with any static server,
# e.g. python3 -m http.server -d _site, and open /lab/. Test variant: make lite LITE_ARGS="--local-pyodide"
LITE_VENV := .venv-lite
$(LITE_VENV)/.lite: scripts/lite-requirements.txt
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install -q --upgrade pip
	$(LITE_VENV)/bin/python -m pip install -q -r scripts/lite-requirements.txt
	touch $@

lite: $(LITE_VENV)/.lite
	$(LITE_VENV)/bin/python scripts/build_lite.py $(LITE_ARGS)

clean:
	rm -rf $(VENV) $(LITE_VENV) _site build *.egg-info
