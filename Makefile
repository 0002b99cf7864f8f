# Conveniences; the README's two commands need only Python and pip.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench report-screenshot clean

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

clean:
	rm -rf $(VENV) .bench-venv .pytest_cache .mypy_cache .ruff_cache report-sample.html report-screenshot.png
