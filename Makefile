# The two commands of the README: `make lab` opens the course, `make test` passes the tests.
# Both create .venv and install what they need on a fresh machine (Python 3 and make are enough).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# torch comes from a pinned CPU wheel (never a plain `torch`, which would pull a CUDA build)
TORCH  := torch==2.13.0

.PHONY: lab test test-lib test-notebooks notebooks exercises workspace app bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.lab: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e ".[lab]"
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test,lab]"
	touch $@

lab: $(VENV)/.lab
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks

# strict nbval (every stored output compared), run from the repository root
NBVAL  := $(PY) -m pytest -o addopts="" -p no:cacheprovider -p no:python --nbval --nbval-current-env \
          --nbval-sanitize-with tests/nbval_sanitize.cfg

test: $(VENV)/.test
	$(PY) -m pytest
	$(MAKE) test-notebooks

test-notebooks: $(VENV)/.test
	$(NBVAL) notebooks solutions
	$(NBVAL) notebooks

test-lib: $(VENV)/.test
	$(PY) -m pytest tests tconv_edu

bench: $(VENV)/.test
	$(PY) benchmarks/cpu.py

clean:
	rm -rf $(VENV) build *.egg-info
