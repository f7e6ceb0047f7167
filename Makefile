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

.PHONY: install redis-server specs normalize generate check-generated update-specs coverage lint typecheck test unit demo bench mock clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,aiohttp,redis]'
	touch $(STAMP)

# The fleet tests (tests/fleet) start a real redis-server of their own on 127.0.0.1 and a random port. When it is
# missing and this machine allows it (root with apt-get), install Debian's package; RUNLEVEL=1 keeps the package
# from starting a system-wide Redis. Anywhere else this does nothing and those tests skip, saying how to get it.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  echo "installing redis-server (apt-get) for the fleet tests" && \
	  { DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq redis-server >/dev/null 2>&1; }; }; } || \
	echo "redis-server is not installed (needs root and apt-get): the Redis tests will skip"

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

test: lint typecheck redis-server
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
