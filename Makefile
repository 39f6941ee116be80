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

test: $(VENV)/.test
	$(PY) -m pytest

test-lib: $(VENV)/.test
	$(PY) -m pytest tests tconv_edu

bench: $(VENV)/.test
	$(PY) benchmarks/cpu.py

clean:
	rm -rf $(VENV) build *.egg-info
