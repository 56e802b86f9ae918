# Two commands set everything up on a fresh machine with Python >= 3.10:
#   make run    create .venv, install, train, export int8, benchmark, run the camera demo headless
#   make test   create/use .venv, lint (style, format, import contracts), type-check, run every test
#   make test-edge  only the runtime, camera and CLI tests that need no TensorFlow (a Pi can run it)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= artifacts
STAMP  := $(VENV)/.installed

.PHONY: run test test-edge lint typecheck pi-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

CLIP   := data/samples/digits_clip.avi

# train -> int8 export behind the accuracy gate -> runtime benchmark -> camera demo
# headless on the bundled sample clip -> a short summary. About a minute on 2 cores
# (1.5 minutes in a fresh clone, installing from a warm pip cache).
run: $(STAMP)
	$(BIN)/edgecnn train --out $(OUT)
	$(BIN)/edgecnn export --int8 --model $(OUT)/model.keras --out $(OUT)/model_int8.tflite --check-micro
	$(BIN)/edgecnn bench --model $(OUT)/model_int8.tflite --keras $(OUT)/model.keras
	$(BIN)/edgecnn bench --model $(OUT)/model_int8.tflite --threads 1 --json > $(OUT)/.bench.json && mv $(OUT)/.bench.json $(OUT)/bench.json
	$(BIN)/edgecnn camera --source $(CLIP) --model $(OUT)/model_int8.tflite --headless \
		--json-out $(OUT)/camera.jsonl --truth $(CLIP:.avi=.json) --summary-out $(OUT)/camera_summary.json
	$(BIN)/python scripts/run_summary.py $(OUT)

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q

# What a Raspberry Pi with `pip install -e '.[edge]'` (plus pytest and hypothesis) can
# run: TensorFlow is made unimportable, so a test that needs it fails instead of passing.
# It installs nothing: it uses the venv that is there (make test installs .[dev]).
EDGE_TESTS := tests/edge_runtime tests/camera_demo tests/cli tests/golden tests/bench tests/tools
test-edge:
	EDGECNN_BLOCK_TENSORFLOW=1 $(BIN)/pytest -q -m "not tensorflow" $(EDGE_TESTS)

# Style, formatting, and the import contracts of pyproject's [tool.importlinter].
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Installs the wheel with [edge] into a Debian bookworm arm64 userland and runs
# edgecnn predict, camera --headless and the runtime check under qemu-aarch64 for the
# Pi 3, 4 and 5 CPUs (cortex-a53, a72, a76), against x86's answers. Also part of `make test`.
pi-smoke: $(STAMP)
	bash scripts/pi_smoke.sh

# mypy over the whole tree (pyproject's [tool.mypy] files); --strict on the runtime.
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --strict -p edge_runtime

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .mypy_cache
