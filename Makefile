# Everything runs in a local virtualenv (.venv) created on first use; only Python 3.10+ is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test check bench clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The core install: numpy, ml-dtypes, google-crc32c, cramjam, pyyaml. No framework.
$(VENV)/.core: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

# Tests cross-check against the real frameworks (TensorFlow, tf-keras, PyTorch, h5py, safetensors).
$(VENV)/.dev: $(BIN)/python pyproject.toml requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.core

demo: $(VENV)/.core
	$(BIN)/ckpt-doctor demo

# Style and types first (seconds), then the suite (tests/ and the doctests in src/).
check: $(VENV)/.dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

# Two processes: the suite is mostly frameworks writing files in child processes (tests/conftest.py keeps each
# module, and the modules that share a session fixture, in one process).
test: check
	$(BIN)/python -m pytest -n 2

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

# Fuzz every reader for SECONDS each (cases in child processes with a 2 GiB address-space limit and a 10 s
# timeout); prints executions and findings per harness, saves findings under fuzz/findings/.
SECONDS ?= 60
fuzz: $(VENV)/.dev
	nice -n 10 $(BIN)/python fuzz/fuzz.py --seconds $(SECONDS)

clean:
	rm -rf $(VENV) bench/.cache .pytest_cache
