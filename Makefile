# Two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# What is installed in .venv: the runtime (requirements.txt) for `make run` and
# `make serve`; the runtime plus tests and tooling (requirements-dev.txt) for
# `make test`. Both files are pinned with hashes (`make lock` writes them).
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

.PHONY: run serve test lint format bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(RUNTIME)

## Set up, migrate, load the demo data and serve on http://127.0.0.1:$(PORT) (make run PORT=8123)
run: $(RUNTIME)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Run the whole suite (integration tests run when DATABASE_URL and CELERY_BROKER_URL are set)
test: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

## Production processes from the Procfile (gunicorn, workers, beat) with the settings in .env
serve: $(RUNTIME)
	@test -f .env || { echo "make serve reads .env: copy .env.example to .env and fill it in"; exit 1; }
	$(BIN)/honcho run $(BIN)/python manage.py migrate --noinput
	$(BIN)/honcho run $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV)
	$(BIN)/python -m bench $(BENCH_ARGS)

## Recompile the lock files from pyproject.toml, keeping today's pins (add --upgrade-package X to move one)
lock: $(DEV)
	$(PIP_COMPILE) $(LOCK_ARGS) -o requirements.txt pyproject.toml
	$(PIP_COMPILE) $(LOCK_ARGS) --extra test -c requirements.txt -o requirements-dev.txt pyproject.toml

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
