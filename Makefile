# Two commands do all set-up on a fresh machine: `make run` and `make test` (both idempotent).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export PROCESSOR_SPACY_MODEL ?= en_core_web_sm
# Where `make` installs the model from when it is neither installed nor on the package index: an unpacked copy.
export PROCESSOR_SPACY_MODEL_SOURCE ?= $(firstword $(wildcard ../shared/models/en_core_web_sm-3.7.*))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install kafka-jars model-check tools lint test test-unit test-integration run demo kafka-start kafka-stop \
        schemas dashboard eval bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

kafka-jars: install
	@$(BIN)/python deploy/kafka/local_kafka.py fetch >/dev/null

model-check: install
	@$(BIN)/python -m processors.nlp --ensure

# Prometheus (promtool + server) from Debian's packages, for the deploy checks; hadolint comes with the dev extras.
tools:
	@command -v promtool >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

lint: install
	$(BIN)/ruff check ingest processors tests deploy
	$(BIN)/ruff format --check ingest processors tests deploy
	$(BIN)/mypy

test: install kafka-jars model-check tools lint
	$(BIN)/python -m pytest

test-unit: install
	$(BIN)/python -m pytest tests/unit

test-integration: install kafka-jars model-check tools
	$(BIN)/python -m pytest tests/integration

run: install kafka-jars model-check
	$(BIN)/python deploy/local/stack.py run

demo: install kafka-jars model-check
	$(BIN)/python deploy/local/stack.py demo

kafka-start: kafka-jars
	$(BIN)/python deploy/kafka/local_kafka.py start

kafka-stop:
	$(BIN)/python deploy/kafka/local_kafka.py stop

schemas: install
	$(BIN)/python -m ingest.contract.schemas docs/schemas

dashboard: install
	$(BIN)/python deploy/grafana/dashboard.py
	$(BIN)/python deploy/grafana/events_dashboard.py

eval: install model-check
	$(BIN)/idlib-processor eval --gold $(GOLD)

bench: install kafka-jars model-check
	$(BIN)/python tests/benchmarks/bench_extract.py $(if $(TEXTS),--texts $(TEXTS))
	$(BIN)/python tests/benchmarks/bench_ingest.py
	$(BIN)/python tests/benchmarks/bench_worker.py $(if $(TEXTS),--texts $(TEXTS))
	$(BIN)/python tests/benchmarks/bench_events.py
	$(BIN)/python tests/benchmarks/bench_prefilter.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
