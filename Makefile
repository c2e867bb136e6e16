# The README's commands. Each target sets up .venv first (or reuses it while it is current).
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint format bench validate docs clean clean-numba

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

# the documentation site: API reference, user guide and the gallery (every example runs), into
# docs/_build/html (open docs/_build/html/index.html); any warning fails the build
docs: $(STAMP)
	$(PYTHON) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	$(PYTHON) -m benchmarks

# numba's on-disk cache (*.nbi index, *.nbc code next to the sources, and the suite's own
# folders, see tests/conftest.py): numba only notices an edit of a kernel's own file, so after
# editing physcore/semidirac/_modes.py (or anything a kernel calls) run `make clean-numba`
clean-numba:
	find physcore -path '*/__pycache__/*' \( -name '*.nbi' -o -name '*.nbc' \) -delete
	rm -rf "$${TMPDIR:-/tmp}"/physcore-numba-cache-*

clean: clean-numba
	rm -rf $(VENV) build results .pytest_cache
	rm -rf docs/_build docs/api docs/generated docs/auto_examples docs/sg_execution_times.rst
