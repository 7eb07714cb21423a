PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test test-all bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/taochain demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m '' tests

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_yuma.py

lint: $(STAMP)
	$(BIN)/ruff check runtime pallets p2p node taochain tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
