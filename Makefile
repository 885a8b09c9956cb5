# The two commands of the README: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
FLASK := $(BIN)/flask --app award

.PHONY: run test test-postgres fuzz bench install lock system-deps translations lint clean

# Python writes its bytecode caches (__pycache__/, ignored by git) even where the environment asks it not
# to: without them every test worker, every command the suite starts and every `flask` run compiles the
# app's modules again (measured: collecting the suite costs 9.1 s of CPU per worker instead of 4.5 s).
unexport PYTHONDONTWRITEBYTECODE

# The venv is built from the lock: every package pinned and checked by its hash, the same on every
# machine; then the project itself, without resolving anything. A new lock or pyproject rebuilds it
# from scratch (--clear), so nothing the lock no longer names stays behind.
$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	@touch $@

# Re-resolves pyproject.toml's dependencies and dev extras into the lock with uv, for every platform and
# every Python from 3.11 on. Pins already in the lock are kept where they still fit; `make lock UPGRADE=1`
# moves every package to its newest allowed release.
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet 'uv>=0.5,<1'; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade) --quiet --output-file $(LOCK)

install: $(STAMP) system-deps compile-translations

system-deps:
	@bash scripts/system-deps.sh

.PHONY: compile-translations
compile-translations: $(STAMP)
	@$(BIN)/pybabel compile -d award/translations

# Where the demo is served; links in e-mails, certificate QR codes and documents point there too.
PORT ?= 5000
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

run: install
	$(FLASK) db upgrade
	AWARD_DEMO_DATABASE=1 AWARD_PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(FLASK) demo seed
	BIN=$(BIN) PORT=$(PORT) AWARD_PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) bash scripts/run-demo.sh

# The suite runs in TEST_WORKERS processes (pytest-xdist), each with its own database; a test file
# stays whole on one worker, so its module-scoped world is built once. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

# The layer contracts of pyproject.toml ([tool.importlinter]) first: an upward import fails in seconds.
test: install
	@bash scripts/system-deps.sh --test
	$(BIN)/lint-imports
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

test-postgres: install
	@bash scripts/system-deps.sh --test
	TEST_WORKERS=$(TEST_WORKERS) bash scripts/test-postgres.sh

# A longer, random search of tests/test_fuzz_routes.py (make test runs a few fixed examples per route).
# Every failing request is also written to $(FUZZ_LOG), as each route stops at its first failure.
FUZZ_EXAMPLES ?= 200
FUZZ_LOG ?= fuzz-failures.jsonl
fuzz: install
	@bash scripts/system-deps.sh --test
	rm -f $(FUZZ_LOG)
	AWARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) AWARD_FUZZ_LOG=$(FUZZ_LOG) $(BIN)/pytest -q tests/test_fuzz_routes.py

bench: install
	$(BIN)/python -m bench

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o award/translations/messages.pot .
	$(BIN)/pybabel update -i award/translations/messages.pot -d award/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d award/translations

# ruff, then mypy over award/ as [tool.mypy] in pyproject.toml says (its cache: .mypy_cache/).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
