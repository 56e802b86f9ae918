# Two commands set everything up on a fresh machine with Python >= 3.10:
#   make run    create .venv, install, train, export int8, benchmark, run the camera demo headless
#   make test   create/use .venv, lint, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= artifacts
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pi-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/edgecnn train --out $(OUT)
	$(BIN)/edgecnn evaluate --model $(OUT)/model.keras

test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# Runs edge_runtime under qemu-aarch64 (-cpu cortex-a72) on a Debian bookworm arm64
# userland and checks its answers against x86. Also part of `make test`.
pi-smoke: $(STAMP)
	bash scripts/pi_smoke.sh

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .mypy_cache
