# The README's two commands: `make up` runs PostFlow on embedded defaults, `make test` runs the
# whole suite. Each one sets up everything it needs on a fresh machine first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: up test lint bench install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PostFlow needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(BIN)/postflow up

test: install
	@scripts/ensure-redis.sh
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	@scripts/ensure-redis.sh
	$(BIN)/python bench/ingest.py --quick
	$(BIN)/python bench/queue_throughput.py --quick
	$(BIN)/python bench/pipeline.py --quick
	$(BIN)/python bench/due_burst.py --quick
	$(BIN)/python bench/chat_ack.py --quick
	$(BIN)/python bench/validate.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
