# The two commands of the README. Each creates .venv with Python 3.12 if needed and installs the
# pinned dependencies (constraints.txt) before doing its job.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test chromium install compare benchmark screenshot clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## The main job: the Streamlit lab on the built-in baseline scenario (http://localhost:8501).
run: $(STAMP)
	$(VENV)/bin/streamlit run app.py

## The same comparison on the command line.
compare: $(STAMP)
	$(PY) -m sim compare baseline --strategies conventional,aggressive,hardship_first --reps 5

## The whole test suite. The browser test (tests/test_browser.py) drives Debian's Chromium, installed first
## when missing (never `playwright install`: it downloads its own browser).
test: $(STAMP) chromium
	$(PY) -m pytest -n 2 -q

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	    echo "installing Debian's chromium for the browser test" >&2; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

benchmark: $(STAMP)
	$(PY) experiments/benchmark.py

## The README's screenshot (docs/img/app.png), taken in Debian's Chromium after pressing Run.
screenshot: $(STAMP)
	$(PY) docs/screenshot.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
