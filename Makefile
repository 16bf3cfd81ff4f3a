# The two commands a newcomer needs: `make serve` and `make test`.
# Each one sets up what it needs first (virtual environment, npm packages, Chromium).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: serve build test bench lint clean

serve: $(VENV)/.installed node_modules/.installed  ## build and serve the site on http://127.0.0.1:8000/cnn-lab/
	$(BIN)/mkdocs serve

build: $(VENV)/.installed node_modules/.installed  ## build the static site into site/
	$(BIN)/mkdocs build --strict

test: $(VENV)/.installed node_modules/.installed chromium  ## every test: lint, native, doctests, browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(VENV)/.installed node_modules/.installed chromium  ## performance benchmarks -> benchmarks/results/ (about 10 min, with the test suite's time)
	$(BIN)/python -m benchmarks.run --with-test-suite

lint: $(VENV)/.installed
	$(BIN)/ruff check .

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Browser tests use the system Chromium (never a download at test time).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: install your distribution's chromium package" >&2; exit 1; fi; }

clean:
	rm -rf site .pytest_cache .ruff_cache
