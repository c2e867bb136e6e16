# The README's commands. Each target sets up .venv first (or reuses it while it is current).
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint format bench validate clean

setup: $(STAMP)

$(STAMP): pyproject.toml tools/setup_env.sh
	bash tools/setup_env.sh
	touch $(STAMP)

demo: $(STAMP)
	$(PYTHON) -m validation.demo --out results/demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PYTHON) -m pytest -n 2 -q -ra tests

validate: $(STAMP)
	$(PYTHON) -m validation report --out results/validation

bench: $(STAMP)
	$(PYTHON) -m benchmarks

clean:
	rm -rf $(VENV) build results .pytest_cache
