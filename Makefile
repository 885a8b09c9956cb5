# The two commands of the README: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app award

.PHONY: run test test-postgres fuzz bench install system-deps translations lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) system-deps compile-translations

system-deps:
	@bash scripts/system-deps.sh

.PHONY: compile-translations
compile-translations: $(STAMP)
	@$(BIN)/pybabel compile -d award/translations

run: install
	$(FLASK) db upgrade
	AWARD_DEMO_DATABASE=1 $(FLASK) demo seed
	BIN=$(BIN) bash scripts/run-demo.sh

test: install
	@bash scripts/system-deps.sh --test
	$(BIN)/pytest -q

test-postgres: install
	@bash scripts/system-deps.sh --test
	bash scripts/test-postgres.sh

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

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
