# Quick start: `make demo` runs Storyline on the bundled examples; `make test` runs the tests.
# Both create .venv in the repo and install the pinned dependencies on first use.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DB ?= storyline-demo.db

.PHONY: demo test venv bench clean-db

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock setup.py src/storyline/annotate/_heldgil.pyx src/storyline/stories/_speedups.pyx
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

demo: venv
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/storyline run examples/ --db $(DB)

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/storyline bench all --db /tmp/storyline-bench.db
