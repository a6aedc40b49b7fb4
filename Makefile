# REC Portal. `make run` serves the portal; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test migrate demo-data send-messages send-mail lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

# Re-install whenever the dependencies change.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(FLASK) db upgrade

demo-data: migrate
	$(FLASK) rec demo-data --if-empty

run: demo-data
	@echo
	@echo "REC Portal: http://$(HOST):$(PORT)"
	@$(FLASK) rec demo-logins
	@echo
	$(FLASK) run --host $(HOST) --port $(PORT)

send-messages: install
	$(FLASK) rec send-messages

send-mail: send-messages  # the old name

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The import contracts in setup.cfg (also checked by make test).
lint: install-test
	$(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

# Issue 18's benchmark: a throwaway PostgreSQL with the DESIGN.md data set, the portal under
# gunicorn (2 sync workers) against a bare Flask app, measured with wrk in interleaved rounds,
# then booking, a booking storm, PDFs and worker memory. Takes about 15 minutes at scale 1.
# `make bench BENCH_ARGS=--quick` for a small, short run. Not part of the tests.
BENCH_SCALE ?= 1.0
BENCH_SECONDS ?= 15
BENCH_ROUNDS ?= 3
BENCH_ARGS ?=
.PHONY: bench
bench: install-test
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run --scale $(BENCH_SCALE) --seconds $(BENCH_SECONDS) --rounds $(BENCH_ROUNDS) $(BENCH_ARGS)
