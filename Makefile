# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
# constraints.txt: the exact versions the figures in the docs and tests were measured with.
PIP    := $(VENV)/bin/pip install --quiet -c constraints.txt
# CPU build of torch for the extras (speaker and sentence embeddings, the openai-whisper engine);
# installed first so that nothing pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
# axe-core, the accessibility engine the page tests inject (from the npm registry, not a CDN).
AXE := $(VENV)/axe-core/axe.min.js

.PHONY: run test system-deps test-deps bench clean

run: system-deps $(VENV)/.installed
	$(VENV)/bin/chorus up

test: test-deps $(VENV)/.installed-test $(AXE)
	$(VENV)/bin/pytest

# What `chorus` itself needs on the machine.
system-deps:
	@scripts/ensure-system-deps.sh $(SYSTEM_DEPS)

# What the tests use on top: espeak-ng + sox (generated speech), chromium (pages driven by
# Playwright, never a downloaded browser), gpo from gpodder (a real podcast client), npm (axe-core),
# postgresql (a throwaway PostgreSQL cluster for the catalog tests; initdb/pg_ctl from the package),
# systemd-analyze from systemd (verifies the operator guide's unit files).
TEST_DEPS := espeak-ng=espeak-ng sox=sox chromium=chromium gpo=gpodder npm=npm pg_ctlcluster=postgresql \
             systemd-analyze=systemd
test-deps:
	@scripts/ensure-system-deps.sh $(TEST_DEPS) $(SYSTEM_DEPS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# `make run` gets the quality extras too: speaker labels (resemblyzer) and embedding chapters.
$(VENV)/.installed: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) '$(TORCH)'
	$(PIP) -e '.[speakers,embeddings]'
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) '$(TORCH)'
	$(PIP) -e '.[test,openai,bench,multilingual]'
	touch $@ $(VENV)/.installed

$(AXE): | $(VENV)/bin/python
	rm -rf $(VENV)/axe-core.tmp && mkdir -p $(VENV)/axe-core.tmp
	cd $(VENV)/axe-core.tmp && npm pack --silent axe-core@4 >/dev/null && tar -xzf axe-core-*.tgz
	mkdir -p $(dir $(AXE)) && cp $(VENV)/axe-core.tmp/package/axe.min.js $(AXE) && rm -rf $(VENV)/axe-core.tmp

bench: system-deps $(VENV)/.installed-test
	$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf $(VENV) chorus-data .pytest_cache
