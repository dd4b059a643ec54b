# Set-up is part of every target: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Distributed crawling (scrapy-redis) cannot share an environment with pywb (replay):
# pywb pins redis==2.10.6, scrapy-redis needs redis>=4. Its workers get their own.
DIST_VENV := .venv-distributed
DIST_STAMP := $(DIST_VENV)/.installed

.PHONY: demo test lint bench bench-instructions bench-more clean distributed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench,replay]'
	touch $(STAMP)

$(DIST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/pip install --quiet --upgrade pip
	$(DIST_VENV)/bin/pip install --quiet -e '.[distributed]'
	touch $(DIST_STAMP)

demo: $(STAMP)
	$(BIN)/newsarc demo

distributed: $(DIST_STAMP)

# ReplayWeb.page, the viewer archivists open WACZ files in: a test opens newsarc's WACZ in
# it (Debian's chromium). Its npm package, pinned; npm checks the package's integrity.
REPLAYWEB_VERSION := 2.5.3
REPLAYWEB := .cache/replaywebpage-$(REPLAYWEB_VERSION)
# Without npm the test is skipped, as the browser tests are without chromium.
$(REPLAYWEB)/sw.js:
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the ReplayWeb.page test will be skipped (.ci/run installs npm)"; \
	else \
		rm -rf $(REPLAYWEB) && mkdir -p $(REPLAYWEB) && cd $(REPLAYWEB) \
		&& npm pack --silent replaywebpage@$(REPLAYWEB_VERSION) >/dev/null \
		&& tar xzf replaywebpage-$(REPLAYWEB_VERSION).tgz --strip-components=1 \
			package/ui.js package/sw.js package/LICENSE \
		&& rm replaywebpage-$(REPLAYWEB_VERSION).tgz; \
	fi

test: $(STAMP) $(DIST_STAMP) $(REPLAYWEB)/sw.js
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# newsarc next to the tools people use instead; under ten minutes on 2 cores (needs wget).
# Byte-compiled first, as pip does for an installed package: an editable install is not,
# and where PYTHONDONTWRITEBYTECODE is set every crawl would compile newsarc's modules again.
bench: $(STAMP)
	$(BIN)/python -m compileall -q crawler archive newsarc
	$(BIN)/python bench/results.py --out bench/results.md

# The CPU target counted in instructions (valgrind's callgrind), which the VM's noise does
# not move: about 5 minutes; needs valgrind.
bench-instructions: $(STAMP)
	$(BIN)/python -m compileall -q crawler archive newsarc
	$(BIN)/python bench/instructions.py --out bench/instructions-results.md

# The detailed benchmarks behind the README's other tables (about 15 minutes more).
# bench/realpages.py (about a minute) scores the real pages of ../shared/realpages when present.
bench-more: $(STAMP) $(DIST_STAMP)
	$(BIN)/python bench/extraction.py --out bench/extraction-results.md
	$(BIN)/python bench/realpages.py --out bench/realpages-results.md
	$(BIN)/python bench/warc.py --out bench/warc-results.md
	$(BIN)/python bench/export.py --out bench/export-results.md
	$(BIN)/python bench/import.py --out bench/import-results.md
	$(BIN)/python bench/fuzz_extract.py --out bench/fuzz-results.md
	$(BIN)/python bench/distributed.py --out bench/distributed-results.md

clean:
	rm -rf $(VENV) $(DIST_VENV) demo-archive .pytest_cache
