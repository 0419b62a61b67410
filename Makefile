# Two commands do all set-up on a fresh Debian machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
# The demo's tracking page shows streets from OpenStreetMap's tile servers (docs/configuration.md,
# "A map with streets"); `TRACKING_TILE_URL= make run` for none. The console keeps its own
# setting (none unless CONSOLE_TILE_URL is given).
TRACKING_TILE_URL ?= https://tile.openstreetmap.org/{z}/{x}/{y}.png
CONSOLE_TILE_URL ?=

# The message catalogues (docs/translations.md). Keywords: safety/i18n.py's _l, _n, n_, N_
# (tests/test_translations.py extracts with the same ones).
PYBABEL := $(VENV)/bin/pybabel
TRANSLATIONS := safety/translations
BABEL_KEYWORDS := -k _l -k _n:1,2 -k n_:1,2 -k N_

.PHONY: install install-test run test lint bench clean translations

$(VENV)/.installed: pyproject.toml
	scripts/install-system.sh run
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Redocly CLI (pinned in tools/openapi-lint/package-lock.json) lints the OpenAPI document in
# the tests; npm ci again only when the lock file changes.
LINT_TOOLS := tools/openapi-lint

install-test: install
	scripts/install-system.sh test
	@[ $(LINT_TOOLS)/node_modules/.package-lock.json -nt $(LINT_TOOLS)/package-lock.json ] || \
	  npm ci --prefix $(LINT_TOOLS) --no-audit --no-fund --loglevel=error

run: install
	$(FLASK) db upgrade
	$(FLASK) safety seed-demo --console
	RUN_WORKER_IN_PROCESS=1 RUN_DEMO_SIMULATOR=1 PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) \
	  TRACKING_TILE_URL='$(TRACKING_TILE_URL)' CONSOLE_TILE_URL='$(CONSOLE_TILE_URL)' \
	  $(FLASK) run --no-reload --host $(HOST) --port $(PORT)

test: install-test
	scripts/run-tests.sh

lint: install
	$(VENV)/bin/ruff check safety tests bench
	$(VENV)/bin/python scripts/import_cycles.py

# Extract every text to messages.pot, merge it into each language's .po (new texts come in
# empty, changed ones fuzzy: translate and review them), fill English, compile the .mo files.
translations: install
	$(PYBABEL) extract -F babel.cfg $(BABEL_KEYWORDS) -c TRANSLATORS: --add-location=file \
	  --sort-by-file --project=safety --version=1 \
	  --copyright-holder="the safety project contributors" -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --update-header-comment
	$(PY) scripts/translations.py english
	$(PYBABEL) compile -d $(TRANSLATIONS) --statistics
	$(PY) scripts/translations.py check

bench: install-test
	scripts/run-bench.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
