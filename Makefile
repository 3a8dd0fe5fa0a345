# The README's two commands are `make run` and `make test`; everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt whenever the pinned requirements change.
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test install lint format lock clean messages

# The compiled catalogues (not committed): rebuilt from their .po whenever it changes, in pure Python.
LOCALE_PO := $(wildcard locale/*/LC_MESSAGES/*.po)
LOCALE_MO := $(LOCALE_PO:.po=.mo)
# What every command below needs: the pinned packages and compiled translations.
SETUP := $(INSTALLED) $(LOCALE_MO)

$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Tilfreds needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(INSTALLED)

$(LOCALE_MO): %.mo: %.po | $(INSTALLED)
	$(BIN)/python -m core.catalogues compile

install: $(SETUP)

## Regenerate locale/ from the code (makemessages: needs GNU gettext), fill English from the msgids,
## write in translations from JSON files ({"msgid": "tekst"}), compile, and list what is untranslated:
##   make messages MERGE='translations/*.json'
messages: $(INSTALLED)
	$(BIN)/python manage.py translations --extract --compile $(if $(MERGE),--merge $(MERGE))

## Run the app with demo data at http://$(HOST):$(PORT)/ (SQLite, tasks in-process, no configuration).
## The schedule runs too (beat, its tasks in-process): escalation, reconciliation, the outbox, the night.
run: $(SETUP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Tilfreds is starting at http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/  login: demo / demo"
	@echo ""
	PORT=$(PORT) $(BIN)/python manage.py serve --demo --no-migrate --host $(HOST) --port $(PORT)

## The production-style stack in the foreground: migrate, collectstatic, gunicorn, a worker and beat.
## Configured by the environment only (DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, PORT; .env.example).
serve: $(SETUP)
	$(BIN)/python manage.py serve --port $(PORT)

## Run the whole test suite (SQLite by default; PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set).
test: $(SETUP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Screenshots for the docs (docs/screenshots/*.png), taken by the browser journeys in Chromium against the
## production-style server. Needs DATABASE_URL (PostgreSQL), REDIS_URL and /usr/bin/chromium, as CI has.
.PHONY: screenshots
screenshots: $(SETUP)
	TILFREDS_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -p no:cacheprovider tests/browser/test_journeys.py tests/browser/test_norwegian.py $(PYTEST_ARGS)

## Lint, format check, types (mypy with django-stubs) and the layer contract, as CI runs them.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check ".[dev]"
	(echo "# Exact versions of every package, direct and transitive. Regenerate with: make lock"; \
	 .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^tilfreds') > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
	find locale -name '*.mo' -delete
