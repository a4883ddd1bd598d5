# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := app

.PHONY: run dev prepare test install install-test assets speech translations lint pytest-sqlite pytest-postgres bench

## Install, migrate, load the demo data (once; again adds nothing) and serve http://127.0.0.1:5000
## through gunicorn (gunicorn.conf.py), with its worker
run: install prepare
	@# The background worker (printing batches) runs beside the server and stops with it; both
	@# write their metrics in one folder, which /metrics adds up.
	export PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/instance/metrics}; \
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR"; \
	trap 'kill 0' EXIT; $(BIN)/flask worker & $(BIN)/gunicorn -c gunicorn.conf.py

## The same on Flask's development server, which reloads the code when a file changes
dev: install prepare
	trap 'kill 0' EXIT; $(BIN)/flask worker & $(BIN)/flask run --debug --host 127.0.0.1 --port 5000

# The demo's SMS line, printed on its notices beside the centers' phones; the
# environment's own HAMSAYEH_SMS_NUMBER wins, and production sets its own (or none).
run dev: export HAMSAYEH_SMS_NUMBER ?= 30004040

prepare:
	$(BIN)/flask migrate
	$(BIN)/flask registry-key
	$(BIN)/flask seed-demo

## Install what testing needs (Chromium too) and run every check: ruff, the catalog, pytest on SQLite and PostgreSQL
test: install-test lint pytest-sqlite pytest-postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python assets speech
	$(BIN)/pip install -q -e .
	$(MAKE) translations

# Debian's packages, one make at a time: `make run` and `make test` started
# together take turns (flock), then wait for any other apt on the machine:
# dpkg's locks up to 10 minutes (DPkg::Lock::Timeout), and the package
# lists' lock as long, which `apt-get update` (apt 2.6) never waits for itself.
APT_INSTALL = flock -w 1200 /run/lock/hamsayeh-apt.lock sh -c '\
	tries=0; until out=$$(apt-get update -qq 2>&1); do \
		case "$$out" in *"Could not get lock"*) ;; *) echo "$$out" >&2; exit 1;; esac; \
		tries=$$((tries + 1)); [ $$tries -lt 120 ] || { echo "$$out" >&2; exit 1; }; \
		echo "Another apt is updating the package lists: waiting"; sleep 5; \
	done; \
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$$@"' apt-install

## Listen on the simple pages: Persian speech from espeak-ng, compressed by opusenc (Debian's packages)
speech:
	@command -v espeak-ng >/dev/null && command -v opusenc >/dev/null || { \
		echo "Installing espeak-ng and opus-tools from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO $(APT_INSTALL) espeak-ng opus-tools; }

## Tests also need Chromium, and poppler's pdftoppm with zbarimg to read printed QR codes back
install-test: install
	$(BIN)/pip install -q -e '.[test]'
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null || { \
		echo "Installing Chromium, poppler-utils and zbar-tools from Debian's packages"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO $(APT_INSTALL) chromium poppler-utils zbar-tools; }

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
	$(BIN)/python bench/sms_announcement.py
	$(BIN)/python bench/crisis_callout.py
	$(BIN)/python bench/casework_import.py
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/recycling.py
	$(BIN)/python bench/voucher_cards.py
