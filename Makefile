# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := app

.PHONY: run test install install-test assets speech translations lint pytest-sqlite pytest-postgres bench

## Install, migrate, load the demo data (once; again adds nothing) and serve http://127.0.0.1:5000 with its worker
run: install
	$(BIN)/flask migrate
	$(BIN)/flask registry-key
	$(BIN)/flask seed-demo
	@# The background worker (printing batches) runs beside the server and stops with it.
	trap 'kill 0' EXIT; $(BIN)/flask worker & $(BIN)/flask run --host 127.0.0.1 --port 5000

## Install what testing needs (Chromium too) and run every check: ruff, the catalog, pytest on SQLite and PostgreSQL
test: install-test lint pytest-sqlite pytest-postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python assets speech
	$(BIN)/pip install -q -e .
	$(MAKE) translations

## Listen on the simple pages: Persian speech from espeak-ng, compressed by opusenc (Debian's packages)
speech:
	@command -v espeak-ng >/dev/null && command -v opusenc >/dev/null || { \
		echo "Installing espeak-ng and opus-tools from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends espeak-ng opus-tools; }

## Tests also need Chromium, and poppler's pdftoppm with zbarimg to read printed QR codes back
install-test: install
	$(BIN)/pip install -q -e '.[test]'
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null || { \
		echo "Installing Chromium, poppler-utils and zbar-tools from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO apt-get install -y -qq --no-install-recommends chromium poppler-utils zbar-tools; }

## htmx is served by this site: copied out of the pinned npm package, never from a CDN.
## Vazirmatn (OFL) is the Persian font of printed PDFs, from its pinned npm package.
assets:
	@[ -f node_modules/htmx.org/dist/htmx.min.js ] && [ -f node_modules/vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf ] \
		|| npm install --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor static/fonts
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	gzip -9 -n -c static/vendor/htmx.min.js > static/vendor/htmx.min.js.gz
	cp node_modules/vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf node_modules/vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf \
		node_modules/vazirmatn/OFL.txt static/fonts/

translations:
	$(BIN)/pybabel compile -d translations

## Regenerate the catalog template and merge it into every language
catalog:
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete --no-fuzzy-matching --no-wrap

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest exits 5 when it collects no test: that is not a failure of the run.
pytest-sqlite:
	$(BIN)/python -m pytest || [ $$? -eq 5 ]

pytest-postgres:
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)').close()" 2>/dev/null; then \
		echo "PostgreSQL is reachable: running the suite on it too"; \
		HAMSAYEH_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest || [ $$? -eq 5 ]; \
	else \
		echo "PostgreSQL is not reachable on 127.0.0.1:5432: the suite ran on SQLite only (see README)"; \
	fi

## Benchmarks: their latest figures go into the README
bench: install-test
	$(BIN)/python bench/first_render.py
	$(BIN)/python bench/notices.py
	$(BIN)/python bench/expensive.py
