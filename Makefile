# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# the main job: the ResNet family side by side on CPU (interleaved latency, short budget), table + plot in results/
run: $(STAMP)
	$(BIN)/cnnbench compare --family resnet --input-size 224 --device cpu --budget 1 --min-samples 10 \
		--plot results/compare-resnet.png -o results/compare-resnet.md

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check cnnbench models tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
