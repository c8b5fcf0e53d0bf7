# Two commands on a fresh machine: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install run console test quick lint typecheck i18n i18n-check content-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-installs only when pyproject.toml changes, so `make install` is quick when nothing did.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/compa run

console: install
	$(BIN)/compa console

lint: install
	$(BIN)/ruff check bot handlers alerts compa_testkit tests $(wildcard bench)

typecheck: install
	$(BIN)/mypy

i18n-check: install
	$(BIN)/pybabel -q extract -F babel.cfg -k t -k N_ -k tn:1,2 -k PublishError --no-location --omit-header \
		-o $(VENV)/messages.pot.check bot handlers alerts
	$(BIN)/python -m bot.i18n_check bot/locale $(VENV)/messages.pot.check

content-check: install
	$(BIN)/compa content check

# Everything, on both cores (pytest-xdist). CI runs this.
test: lint typecheck i18n-check content-check
	$(BIN)/python -m pytest -n 2

# The edit loop: pytest without the `heavy` proofs (load, crash/restart, fuzz, subprocesses).
quick: install
	$(BIN)/python -m pytest -n 2 -m "not heavy"

# Benchmarks (never part of `make test`): every one, or `make bench BENCH="updates startup"`.
# Figures print one per line and merge into bench/results.json; see docs/BENCHMARKS.md.
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH)

# Extract new strings and merge them into both catalogs (then translate what is empty).
i18n: install
	$(BIN)/pybabel -q extract -F babel.cfg -k t -k N_ -k tn:1,2 -k PublishError --no-location --omit-header \
		-o bot/locale/messages.pot bot handlers alerts
	$(BIN)/pybabel -q update --no-fuzzy-matching --omit-header -D messages \
		-i bot/locale/messages.pot -d bot/locale
	$(BIN)/python -m bot.i18n_check --fill-english bot/locale

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
