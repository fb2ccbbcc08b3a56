# The README's two commands: `make run` and `make test`. Everything installs into .venv from the
# committed lock (requirements.lock, with hashes), so a fresh machine needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
WEB_PORT ?= 8000
# The links printed by demo_setup point at the port `make run` serves on.
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(WEB_PORT)
PYTEST_ARGS ?=
# Test processes run side by side (pytest-xdist); each takes its own PostgreSQL test database and
# its own four Redis databases after REDIS_URL's (tests/settings.py). Files stay whole on one
# worker, so a module's servers start once. One more worker than cores: most of the suite's time
# is spent waiting on the servers, browsers and beat intervals its tests start (on 2 cores the
# whole suite took 8:36 with 2 workers and 6:11 with 3). At most 4: Redis has 16 databases.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n + 1 < 4 ? n + 1 : 4 )))

.PHONY: install run test test-fast lint format bench lock clean chaos editor

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	# Metrics files of the previous run's processes (docs/architecture.md, "Metrics").
	rm -rf "$${PROMETHEUS_MULTIPROC_DIR:-$${VAR_DIR:-var}/prometheus}"
	WEB_PORT=$(WEB_PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The edit loop: everything but the tests that start servers, workers, browsers or clusters.
test-fast: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not e2e and not chaos" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The chaos scenarios at the issue's sizes, on their own PostgreSQL and Redis (bench/chaos.py;
# figures in docs/reliability.md). One scenario: make chaos CHAOS_ARGS="llm-down".
CHAOS_ARGS ?=
chaos: install
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--no-header -o requirements.lock

# The candidate page's code editor (CodeMirror 6), rebuilt from static_src/editor's lock into
# the committed static/interviews/editor.bundle.js. Needs node and npm; `make run` does not.
editor:
	cd static_src/editor && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) var
