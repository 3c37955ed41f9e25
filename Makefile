# Two entry points for a fresh machine: `make demo` (the RESORT figure end to end) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test browser lint bench clean lock

# constraints.txt pins every library to the versions the tests pass with (reproducible installs);
# pyproject.toml keeps the lower bounds a user's own environment must meet.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kmipd run figures/resort/figure.png --reported figures/resort/reported.toml -o out/resort

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -rs

# Debian's chromium + chromium-driver for the review page's browser test (skipped when present).
browser:
	.ci/install-browser

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/bench_reconstruct.py
	$(BIN)/python bench/bench_digitize.py

clean:
	rm -rf $(VENV) out .pytest_cache

# Re-pin constraints.txt to the newest versions pyproject.toml allows (then run make test).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e ".[test]"
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable | grep -v '^kmipd'; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .lock-venv
