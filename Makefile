# Every target creates .venv on first use and installs what it needs there.
PLUGIN_ID      := model-governance
PLUGIN_VERSION := $(shell python3 -c "import json; print(json.load(open('plugin.json'))['version'])")
ARCHIVE        := dist/dss-plugin-$(PLUGIN_ID)-$(PLUGIN_VERSION).zip
PYTHON         ?= python3
VENV           := .venv
PY             := $(VENV)/bin/python
STAMP          := $(VENV)/.installed
DEMO_DIR       ?= demo-work
PLUGIN_PATHS   := plugin.json code-env python-lib custom-recipes python-runnables python-steps \
                  webapps parameter-sets resource README.md LICENSE

.PHONY: venv test unit-tests integration-tests tests demo demo-dss lint bench plugin dist-clean

$(STAMP): pyproject.toml code-env/python/spec/requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r code-env/python/spec/requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

test: venv
	$(PY) -m pytest

tests: test

unit-tests: venv
	$(PY) -m pytest tests/python/unit tests/python/property

integration-tests: venv
	$(PY) -m pytest tests/python/integration

demo: venv
	$(VENV)/bin/model-governance demo --workdir $(DEMO_DIR)

# The six macros end to end against the DSS API double, run the way DSS runs them.
demo-dss: venv
	$(PY) tests/demo_dss.py $(DEMO_DIR)/dss

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy python-lib/model_governance
	$(VENV)/bin/lint-imports

bench: venv
	$(PY) benchmarks/bench_audit.py
	$(PY) benchmarks/bench_metrics.py
	$(PY) benchmarks/bench_recipe_memory.py
	$(PY) benchmarks/bench_webapp.py

plugin:
	rm -f $(ARCHIVE)
	mkdir -p dist
	git archive --format=zip --output=$(ARCHIVE) HEAD -- $$(git ls-files $(PLUGIN_PATHS) | grep -v '^tests/')
	@echo "built $(ARCHIVE)"

dist-clean:
	rm -rf dist
