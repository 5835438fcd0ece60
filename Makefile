# make run: serve the dashboard on the bundled sample.  make test: lint, then every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench lock chromium postgres clean

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py

lint: $(STAMP)
	$(BIN)/ruff check .

# Debian's Chromium for the browser tests, installed where it is missing (needs root, as in CI).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# Debian's PostgreSQL for the store tests on a shared store, installed where it is missing (needs root, as in CI).
# The tests make and start a throw-away cluster of their own (tests/postgres.py); the package's own is not used.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; }

test: $(STAMP) lint chromium postgres
	$(BIN)/python -m pytest

# Synthetic portfolios of 10k, 100k, 1M pilots and a 1.6M-event log, each measurement in a fresh process;
# prints a table and writes bench/results.json. Fewer: make bench BENCH_ARGS="--sizes 10000 --repeats 1"
bench: $(STAMP)
	$(BIN)/python bench/benchmark.py $(BENCH_ARGS)

# Re-pin every package after changing pyproject.toml's dependencies.
lock:
	rm -rf /tmp/pilots-lock && $(PYTHON) -m venv /tmp/pilots-lock
	/tmp/pilots-lock/bin/pip install --quiet ".[dev]" && /tmp/pilots-lock/bin/pip freeze --exclude pilot-outcomes > requirements.lock

clean:
	rm -rf $(VENV) data/store
