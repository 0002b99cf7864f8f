# Conveniences; the README's two commands need only Python and pip.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench report-screenshot mutate clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[all,test]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/logmoji demo

test: $(VENV)/.installed
	$(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples
	$(VENV)/bin/mypy

bench:
	python3 benchmarks/run.py

# The HTML report of a sample log, and its screenshot at 1280 px (needs Debian's chromium).
report-screenshot: $(VENV)/.installed
	$(PY) tests/_report_page.py report-sample.html report-screenshot.png

# Mutation testing of the accounting path (not CI; slow). Modules and tests: [tool.mutmut]
# in pyproject.toml; for the usage readers only the functions reading usage and outcomes.
# Results and equivalent mutants: docs/testing.md. Fails when 5% or more survive.
MUTANTS ?= \
	'logmoji.llm.instrumentation.errors.*' \
	'logmoji.llm.instrumentation.ratelimits.*' \
	'logmoji.llm.costs._model_price.*' \
	'logmoji.llm.costs._price_lookup.*' \
	'logmoji.llm.costs._prices.*' \
	'logmoji.llm.costs.*' \
	'logmoji.llm.instrumentation.providers.anthropic.x__usage__*' \
	'logmoji.llm.instrumentation.providers.anthropic.x*MessagesTracker*' \
	'logmoji.llm.instrumentation.providers.anthropic.x*Messages*outcome__*' \
	'logmoji.llm.instrumentation.providers.openai.x__estimated__*' \
	'logmoji.llm.instrumentation.providers.openai.x__chat_usage__*' \
	'logmoji.llm.instrumentation.providers.openai.x__response_outcome__*' \
	'logmoji.llm.instrumentation.providers.openai.x*Tracker*' \
	'logmoji.llm.instrumentation.providers.openai.x*Chat*outcome__*' \
	'logmoji.llm.instrumentation.providers.openai.x*Responses*outcome__*' \
	'logmoji.llm.instrumentation.providers.openai.x*Embeddings*outcome__*' \
	'logmoji.logger._secrets.*' \
	'logmoji.logger.redact.*'
MUTATE_JOBS ?= 2

mutate: $(VENV)/.installed
	$(VENV)/bin/pip install -q 'mutmut==3.8.1'
	$(VENV)/bin/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS) > /dev/null || true
	$(PY) tools/mutation_report.py $(MUTANTS)

clean:
	rm -rf $(VENV) .bench-venv .pytest_cache .mypy_cache .ruff_cache mutants report-sample.html report-screenshot.png
