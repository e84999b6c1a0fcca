# `make run` serves the whole app; `make test` installs what the tests need and runs them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing: installing it"; rm -rf $(VENV); \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# axe-core, which the browser tests inject into every page they visit.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: $(VENV)/.installed
	PORT=$(PORT) scripts/run-dev

test: $(VENV)/.installed
	scripts/install-system-packages
	$(MAKE) node_modules/.installed
	$(BIN)/python -m pytest -n 3 --dist loadfile

bench: $(VENV)/.installed
	scripts/install-system-packages --bench
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis *.egg-info

lint: $(VENV)/.installed
	$(BIN)/ruff check connect app.py tests bench
	$(BIN)/ruff format --check connect app.py tests bench
