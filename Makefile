# The front door: `make demo` runs the product with its sandbox, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export PORT

.PHONY: demo test bench reliability lint screenshots venv clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

# The web server and, beside it, the background worker (notifications, reconciliation) and the sandbox's
# sweep of due notification deliveries; Ctrl-C stops all three.
demo: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	@$(BIN)/python manage.py work --interval 0.5 --no-startup-delay --sweep-every 10 & worker=$$!; \
	$(BIN)/python manage.py sandbox_notifications --deliver --every 5 & sweep=$$!; \
	trap 'kill $$worker $$sweep 2>/dev/null; wait $$worker $$sweep 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Side-by-side figures against their targets: sandbox, counting proxy, the app under gunicorn on PostgreSQL and
# Redis, each on a free port of 127.0.0.1 (docs/performance.md). BENCH_ARGS=--quick runs a smaller plan.
bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

# The product's promises under faults, counted; fails on any defect (docs/reliability.md). Needs PostgreSQL on
# 127.0.0.1:5432 and redis-server; RELIABILITY_ARGS=--quick for a smaller fault matrix, --with-postgres-restart to
# restart the machine's PostgreSQL mid-run (only when nothing else uses it).
reliability: venv
	$(BIN)/python -m reliability $(RELIABILITY_ARGS)

# Style, then the import structure (no cycles, the product never imports the sandbox, one-way layers).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# The main customer pages rendered in Chromium (/usr/bin/chromium) from the demo, into docs/screenshots/.
screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles
