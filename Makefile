# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run results test install lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
# every extra the tests use; not [tensorrt]: its wheels come from NVIDIA's package index (not reachable here) and
# need a CUDA machine — its tests are marked gpu and skip without one
	$(BIN)/pip install --quiet -e '.[dev,openvino,ray]'
	touch $(STAMP)

install: $(STAMP)

COMPARE_RESNET := compare --family resnet --input-size 224 --device cpu --budget 1 --min-samples 10

# the main job: the ResNet family side by side on CPU (interleaved latency, short budget), table + plot in out/
# (ignored by git: the committed results/ stay as they are, and the checkout stays clean)
run: $(STAMP)
	@mkdir -p out
	$(BIN)/cnnbench $(COMPARE_RESNET) --plot out/compare-resnet.png -o out/compare-resnet.md
	@echo
	@echo "wrote out/compare-resnet.md and out/compare-resnet.png"
	@echo "cnnbench is installed in $(VENV)/, not on your PATH: run $(BIN)/cnnbench --help,"
	@echo "or first: source $(BIN)/activate   (then plain: cnnbench profile resnet50)"

# regenerate the committed reference outputs on purpose (then review and commit them)
results: $(STAMP)
	$(BIN)/cnnbench $(COMPARE_RESNET) --plot results/compare-resnet.png -o results/compare-resnet.md

# the whole suite in two passes: most tests on 2 xdist workers, then the `serial` ones alone (they time things against
# each other or wait on the wall clock: the list is in tests/conftest.py); both passes always run, either failing fails
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not serial"; a=$$?; \
	$(BIN)/python -m pytest -q -m serial; b=$$?; \
	test $$a -eq 0 && test $$b -eq 0

lint: $(STAMP)
	$(BIN)/ruff check cnnbench models tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache out
