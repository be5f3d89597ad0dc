# The README's two set-up commands are `make serve` and `make test`; .ci/run calls `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint typecheck check serve screenshots fuzz bench bench-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

serve: install
	$(BIN)/returnkit serve

screenshots: install  # the dashboard's browser tests, which write docs/screenshots/*.png
	RETURNKIT_REQUIRE_BROWSER=1 RETURNKIT_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q

fuzz: install  # schemathesis's CLI against returnkit serve, every spec, all checks and phases: over 50 000 cases
	@# two halves on two cores: Kibo Commerce's 26 operations take as long as every other target together
	RETURNKIT_FUZZ_EXAMPLES=1000 RETURNKIT_FUZZ_TIMEOUT=3600 $(BIN)/python -m pytest tests/fuzz -q -rP -k kibo-commerce & kibo=$$!; \
	RETURNKIT_FUZZ_EXAMPLES=1000 RETURNKIT_FUZZ_TIMEOUT=3600 $(BIN)/python -m pytest tests/fuzz -q -rP -k 'not kibo-commerce'; \
	rest=$$?; wait $$kibo && test $$rest -eq 0

bench: install
	$(BIN)/python bench/validate.py

bench-serve: install  # memory over ~1M requests, then the bodies and command for the peer comparison
	$(BIN)/python bench/serve_load.py memory
	$(BIN)/python bench/serve_load.py prepare --orders 80000

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
