# Two commands do all set-up on a fresh Debian machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install install-test run test lint bench clean

$(VENV)/.installed: pyproject.toml
	scripts/install-system.sh run
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-test: install
	scripts/install-system.sh test

run: install
	$(FLASK) db upgrade
	$(FLASK) safety seed-demo --console
	RUN_WORKER_IN_PROCESS=1 RUN_DEMO_SIMULATOR=1 PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) \
	  $(FLASK) run --no-reload --host $(HOST) --port $(PORT)

test: install-test
	scripts/run-tests.sh

lint: install
	$(VENV)/bin/ruff check safety tests bench
	$(VENV)/bin/python scripts/import_cycles.py

bench: install-test
	scripts/run-bench.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
