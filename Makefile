# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PIP    := $(VENV)/bin/pip install --quiet
# CPU build of torch for the extras (speaker and sentence embeddings, the openai-whisper engine);
# installed first so that nothing pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: run test system-deps bench clean

run: system-deps $(VENV)/.installed
	$(VENV)/bin/chorus up

test: system-deps $(VENV)/.installed-test
	$(VENV)/bin/pytest

system-deps:
	@scripts/ensure-system-deps.sh $(SYSTEM_DEPS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# `make run` gets the quality extras too: speaker labels (resemblyzer) and embedding chapters.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) '$(TORCH)'
	$(PIP) -e '.[speakers,embeddings]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) '$(TORCH)'
	$(PIP) -e '.[test,openai,bench,multilingual]'
	touch $@ $(VENV)/.installed

bench: system-deps $(VENV)/.installed-test
	$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf $(VENV) chorus-data .pytest_cache
