# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: run test setup system-deps bench clean

run: setup
	$(VENV)/bin/chorus up

test: setup
	$(VENV)/bin/pytest

setup: system-deps $(STAMP)

system-deps:
	@scripts/ensure-system-deps.sh $(SYSTEM_DEPS)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

bench: setup
	$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf $(VENV) chorus-data .pytest_cache
