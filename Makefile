PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_CLIENTS := tests/clients/js
JS_STAMP := $(JS_CLIENTS)/node_modules/.installed
# the real Python clients, each in its own venv (py-substrate-interface's scalecodec and cyscale clash)
PSI_STAMP := .venv-psi/.installed
ASI_STAMP := .venv-asi/.installed
CLIENT_STAMPS := $(JS_STAMP) $(PSI_STAMP) $(ASI_STAMP)

.PHONY: install run demo test test-all bench bench-clients lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# the real JavaScript client the tests drive (@polkadot/api, pinned by its lock file)
$(JS_STAMP): $(JS_CLIENTS)/package.json $(JS_CLIENTS)/package-lock.json
	cd $(JS_CLIENTS) && npm ci --no-audit --no-fund
	touch $(JS_STAMP)

# py-substrate-interface 1.8.1 and async-substrate-interface 2.2.1 (cyscale 0.5.0), every package pinned
.venv-%/.installed: tests/clients/requirements-%.txt
	rm -rf .venv-$*
	$(PY) -m venv .venv-$*
	.venv-$*/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

install: $(STAMP) $(CLIENT_STAMPS)

run: $(STAMP)
	@echo "Starting the live demo subnet: 3 authority nodes (Alice, Bob, Charlie; 1 s blocks), subnet 1 with"
	@echo "4 miners (digits classifiers, weakest to strongest) and 2 validators; watch Yuma reward the best miner."
	@echo "Ctrl-C stops every process. Options: make run ARGS='--copycat --tempo 14 --miners 6' (see taochain testnet --help)."
	@echo "From another terminal: .venv/bin/taochain metagraph 1   or   .venv/bin/taochain block --json"
	$(BIN)/taochain testnet --demo $(ARGS)

demo: $(STAMP)
	$(BIN)/taochain demo

test: $(STAMP) $(CLIENT_STAMPS)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup tests --ignore=tests/net --ignore=tests/faults
	@echo "Multi-node and fault tests (node processes, attackers, a seeded fault schedule; one test at a time):"
	$(BIN)/python -m pytest -q -p no:xdist tests/net tests/faults
	@echo "The demo subnet on a 3-node testnet, with a copying validator (processes, one test at a time):"
	$(BIN)/python -m pytest -q -p no:xdist -m slow tests/test_demo.py

test-all: $(STAMP) $(CLIENT_STAMPS)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m '' tests --ignore=tests/net --ignore=tests/faults
	$(BIN)/python -m pytest -q -p no:xdist -m '' tests/net tests/faults

bench: $(STAMP)
	$(BIN)/taochain bench all

# the outside clients' cold start (connect, metadata, first query) against a dev node
bench-clients: $(STAMP) $(CLIENT_STAMPS)
	$(BIN)/python benchmarks/bench_client_cold_start.py

lint: $(STAMP)
	$(BIN)/ruff check runtime pallets p2p node taochain tests benchmarks

clean:
	rm -rf $(VENV) .venv-psi .venv-asi build *.egg-info .pytest_cache $(JS_CLIENTS)/node_modules
