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
	@echo "Starting a dev node (Alice authors 1 s blocks; data in a temporary folder; Ctrl-C stops it)."
	@echo "Query it from another terminal:"
	@echo "  .venv/bin/taochain balance //Alice"
	@echo "  .venv/bin/taochain transfer --uri //Alice --dest //Bob --amount 1.5"
	@echo "  .venv/bin/taochain block --json"
	@echo "  .venv/bin/taochain subnet create --uri //Alice --hotkey-uri //Alice//owner   (then: subnet list, metagraph 1)"
	@echo "  curl -s -H 'Content-Type: application/json' -d '{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\"}' http://127.0.0.1:9944"
	@echo "  curl -s http://127.0.0.1:9615/metrics | grep substrate_block_height"
	$(BIN)/taochain node --dev --tmp

demo: $(STAMP)
	$(BIN)/taochain demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests --ignore=tests/net
	@echo "Multi-node tests (4 node processes each, one test at a time):"
	$(BIN)/python -m pytest -q -p no:xdist tests/net

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m '' tests --ignore=tests/net
	$(BIN)/python -m pytest -q -p no:xdist -m '' tests/net

bench: $(STAMP)
	$(BIN)/taochain bench all

lint: $(STAMP)
	$(BIN)/ruff check runtime pallets p2p node taochain tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
