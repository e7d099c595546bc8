# The course's entry points. `make lab` and `make test` create .venv first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# nbgrader runs `alembic` (and JupyterLab finds `jupyter-*`) on PATH: use the environment's scripts.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab test test-fast release bench bench-suite bench-diagnosis hub hub-tools browser-tool env sandbox-tool clean-env

lab: $(STAMP) sandbox-tool  ## open the course in JupyterLab
	@mkdir -p .exchange
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.port=$(PORT) $(ROOT_FLAG) \
		--LabApp.default_url=/lab/tree/notebooks/01-foundations/01-foundations.ipynb $(ARGS)

test: $(STAMP) sandbox-tool hub-tools browser-tool  ## the whole suite: helpers, notebooks (nbval), grading round trip, release drift
	DLCOURSE_OFFLINE=1 $(BIN)/python -m pytest $(ARGS)

test-fast: $(STAMP)  ## the tests that start no notebook or nbgrader (seconds)
	DLCOURSE_OFFLINE=1 $(BIN)/python -m pytest tests -m "not slow" $(ARGS)

hub: $(STAMP) hub-tools  ## a JupyterHub for a class on this machine (hub/jupyterhub_config.py says how to set it up)
	$(BIN)/jupyterhub -f hub/jupyterhub_config.py $(ARGS)

release: $(STAMP)  ## regenerate notebooks/ and solutions/ from source/
	$(BIN)/dlcourse release

bench: $(STAMP)  ## time each chapter's solution run and one autograde
	$(BIN)/dlcourse bench $(ARGS)

bench-suite: $(STAMP) sandbox-tool hub-tools browser-tool  ## time the whole test suite per part and per chapter, and project it to 12 chapters
	$(BIN)/dlcourse bench --suite $(ARGS)

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

# bubblewrap runs grading kernels in a sandbox (helpers/course/sandbox.py). Installed here where
# that is possible (root on Debian or Ubuntu); elsewhere a one-line note says how.
sandbox-tool:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap (the grading sandbox)"; \
	    apt-get install -y -q bubblewrap >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; } || \
	    echo "note: could not install bubblewrap; autograding needs it (apt-get install bubblewrap)"; \
	  else echo "note: autograding needs bubblewrap: sudo apt-get install bubblewrap (Debian, Ubuntu), sudo dnf install bubblewrap (Fedora)"; fi; }

# JupyterHub's proxy, configurable-http-proxy, comes from npm (Node.js); installed into hub/.
hub-tools:
	@test -x hub/node_modules/.bin/configurable-http-proxy || { \
	  if command -v npm >/dev/null 2>&1; then \
	    echo "installing configurable-http-proxy (JupyterHub's proxy) into hub/node_modules"; \
	    npm install --silent --no-audit --no-fund --prefix hub >/dev/null || echo "note: npm could not install configurable-http-proxy"; \
	  elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Node.js and npm (JupyterHub's proxy runs on Node.js)"; \
	    { apt-get install -y -q nodejs npm >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q nodejs npm >/dev/null 2>&1; }; } && \
	    npm install --silent --no-audit --no-fund --prefix hub >/dev/null || echo "note: could not install configurable-http-proxy"; \
	  else echo "note: the JupyterHub class needs Node.js and npm (apt-get install nodejs npm), then make hub-tools"; fi; }

# The browser tests (tests/lab/test_browser.py) drive the system's Chromium through Playwright
# (browsers cannot be downloaded at run time). Installed here where that is possible (root on Debian).
BROWSERS := chromium chromium-browser google-chrome google-chrome-stable
browser-tool:
	@for b in $$DLCOURSE_BROWSER $(BROWSERS); do command -v $$b >/dev/null 2>&1 && exit 0; done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Chromium (the browser tests)"; \
	  apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "note: could not install Chromium; the browser tests will be skipped (apt-get install chromium)"; \
	else echo "note: the browser tests need Chromium: sudo apt-get install chromium (Debian), or set DLCOURSE_BROWSER to a Chrome or Chromium"; fi

clean-env:
	rm -rf $(VENV)

bench-diagnosis: $(STAMP)  ## how the checks do on catalogued and held-out wrong answers (share caught, share named)
	DLCOURSE_OFFLINE=1 $(BIN)/python -m tests.chapters.diagnosis_report $(ARGS)
