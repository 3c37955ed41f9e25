# Two entry points for a fresh machine: `make demo` (the RESORT figure end to end) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kmipd run figures/resort/figure.png --reported figures/resort/reported.toml -o out/resort

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/bench_reconstruct.py
	$(BIN)/python bench/bench_digitize.py

clean:
	rm -rf $(VENV) out .pytest_cache
