# The README's two commands: `make up` runs PostFlow on embedded defaults, `make test` runs the
# whole suite. Each one sets up everything it needs on a fresh machine first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# What `make up`/`make test` install: every package pinned, with its hashes. `make lock` refreshes
# both locks from pyproject.toml's ranges; the image installs the runtime one (requirements.lock).
LOCK     := requirements-dev.lock
RUN_LOCK := requirements.lock
UV_VERSION := 0.13.9
LOCK_FOR := --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
            --custom-compile-command "make lock"

.PHONY: up test lint bench install lock audit clean

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PostFlow needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# `make lock` keeps the current pins that pyproject.toml still allows (it adds, drops and moves
# only what a changed range needs); `make lock UPGRADE=1` takes the newest allowed releases.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml $(if $(UPGRADE),--upgrade) $(LOCK_FOR) -o $(RUN_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev --constraint $(RUN_LOCK) \
	    $(if $(UPGRADE),--upgrade) $(LOCK_FOR) -o $(LOCK)

# Every locked package against PyPI's advisory data; --strict fails when one cannot be checked.
audit: install
	$(BIN)/pip-audit --strict --disable-pip --require-hashes -r $(LOCK)

up: install
	$(BIN)/postflow up

test: install
	@scripts/ensure-redis.sh
	@scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	@scripts/ensure-redis.sh
	$(BIN)/python bench/ingest.py --quick
	$(BIN)/python bench/api.py --quick
	$(BIN)/python bench/queue_throughput.py --quick
	$(BIN)/python bench/pipeline.py --quick
	$(BIN)/python bench/due_burst.py --quick
	$(BIN)/python bench/chat_ack.py --quick
	$(BIN)/python bench/discord_ack.py --quick
	$(BIN)/python bench/validate.py --quick
	$(BIN)/python bench/digest.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
