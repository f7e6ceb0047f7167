# aiocustomerio: every target installs what it needs into .venv first, so a fresh clone needs nothing by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# This machine has no internet: use the pinned copies beside the repo when they are there.
ifneq ($(wildcard ../shared/specs),)
CIO_SPEC_MIRROR ?= $(abspath ../shared/specs)
endif
export CIO_SPEC_MIRROR

.PHONY: install specs normalize generate check-generated update-specs coverage lint typecheck test unit demo bench mock clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,aiohttp]'
	touch $(STAMP)

specs: $(STAMP)
	$(PY) -m codegen pull

normalize: $(STAMP)
	$(PY) -m codegen normalize

generate: $(STAMP)
	$(PY) -m codegen generate

check-generated: $(STAMP)
	$(PY) -m codegen check

update-specs: $(STAMP)
	$(PY) -m codegen update
	$(MAKE) test

coverage: $(STAMP)
	$(PY) -m codegen coverage

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck
	$(PY) -m codegen check --skip-if-unavailable
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) -m codegen normalize --quiet
	$(PY) -m examples.quickstart

bench: $(STAMP)
	$(PY) -m bench

mock: $(STAMP)
	$(PY) -m codegen normalize --quiet
	$(PY) -m tests.support.prism

clean:
	rm -rf $(VENV) specs/raw specs/normalized .mypy_cache .ruff_cache .pytest_cache
