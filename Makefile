# Partner Portal: the two commands (run, test) and a few helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck serve worker beat bench clean security bandit audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## make run: set up, migrate, load the demo data and serve http://127.0.0.1:$(PORT), with
## the periodic work (expiry, reminders, the mail sweep) running beside it
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py run_periodic & periodic=$$!; \
	trap 'kill $$periodic 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## make test: lint, type-check, migration check and the whole suite
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	DJANGO_SETTINGS_MODULE=partnerportal.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium -q
	$(BIN)/pytest $(PYTEST_ARGS)

## make security: bandit (fails on any medium or high finding) and pip-audit of requirements.txt
security: bandit audit

bandit: install
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium -q

# pip-audit asks PyPI's vulnerability data about each pinned release. --strict fails the
# run when a package could not be audited, instead of reporting "no known vulnerabilities"
# about packages it never looked up.
audit: install
	@out="$$($(BIN)/pip-audit -r requirements.txt --strict --progress-spinner off 2>&1)"; rc=$$?; \
	printf '%s\n' "$$out"; \
	if [ $$rc -ne 0 ] && printf '%s' "$$out" | grep -q "could not be audited"; then \
	  echo "pip-audit: NOTHING WAS AUDITED: the vulnerability service did not answer for the pinned releases (no route to it from here, or an index mirror without PyPI's JSON API)." >&2; \
	fi; \
	exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

## with REDIS_URL set: a Celery worker and beat for the portal
worker: install
	$(BIN)/celery -A partnerportal worker --loglevel=INFO

beat: install
	$(BIN)/celery -A partnerportal beat --loglevel=INFO

## make serve: the production shape on one machine: gunicorn, a Celery worker and beat
## (the Procfile, run by honcho) on PostgreSQL and Redis, with the production settings.
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
serve: install
	@export DJANGO_SETTINGS_MODULE=partnerportal.settings.production \
	  DATABASE_URL="$${DATABASE_URL:-$(SERVE_DATABASE_URL)}" \
	  REDIS_URL="$${REDIS_URL:-$(SERVE_REDIS_URL)}" \
	  ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	  PORTAL_BASE_URL="$${PORTAL_BASE_URL:-http://127.0.0.1:$(PORT)}" \
	  SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-false}" \
	  GUNICORN_BIND="$${GUNICORN_BIND:-127.0.0.1:$(PORT)}" \
	  PATH="$(CURDIR)/$(BIN):$$PATH"; \
	if [ -z "$$SECRET_KEY" ]; then \
	  echo "SECRET_KEY is not set: using a random key for this run (sessions end with it)."; \
	  export SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	fi; \
	if [ -z "$$MFA_ENCRYPTION_KEY" ]; then \
	  [ -s .mfa-encryption-key ] || (umask 077; $(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > .mfa-encryption-key); \
	  echo "MFA_ENCRYPTION_KEY is not set: using the key kept in .mfa-encryption-key."; \
	  export MFA_ENCRYPTION_KEY="$$(cat .mfa-encryption-key)"; \
	fi; \
	$(BIN)/python -c "from bench.run import ensure_database as e; e('$$DATABASE_URL')" \
	  && $(BIN)/python manage.py migrate --noinput \
	  && $(BIN)/python manage.py collectstatic --noinput -v0 \
	  && exec $(BIN)/honcho start

## make bench: seed (or reuse) the scale data at three sizes, serve it as in production
## and load every page with wrk; writes bench-results/report.md and p95.png.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
