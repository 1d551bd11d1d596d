# The two commands a new machine needs: `make run` and `make test` (README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install when pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install dev lint docs bench browser migrations vendor clean

run: $(STAMP)
	$(BIN)/banwen init --demo --if-new
	$(BIN)/banwen serve

test: $(DEV_STAMP) browser
	$(BIN)/python -m pytest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.dev-* $(VENV)/.installed-*; touch $(DEV_STAMP) $(STAMP)

install: $(STAMP)
dev: $(DEV_STAMP)

# Debian's Chromium and a Chinese font for the browser tests (Playwright's own download does not work here).
browser:
	@sh tests/e2e/ensure-browser.sh

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/python -m tenants.docgen

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

# For developers after changing a model: writes the next migration for SQLite and PostgreSQL.
migrations: $(DEV_STAMP)
	$(BIN)/banwen db makemigrations

# For developers: re-fetch the pinned browser libraries from npm, verify them and rewrite runtime/screens/vendor.json.
vendor: $(STAMP)
	$(BIN)/python -m runtime.screens.refresh_vendor

clean:
	rm -rf $(VENV) var/banwen.db* var/queue.db*
