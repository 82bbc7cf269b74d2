# commons-ledger: the two commands that matter are `make run` and `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
DATA    ?= ./data
HOST    ?= 127.0.0.1
PORT    ?= 8000
STAMP   := $(VENV)/.installed

.PHONY: install sysdeps run demo test lint typecheck pytest acceptance soak bench clean

install: $(STAMP)

# uv makes repeated installs fast; pip bootstraps it into the venv.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -m compileall -q ledger rules audit api >/dev/null
	touch $(STAMP)

# Debian packages the acceptance and document tests use (Chromium, CJK fonts, pdftotext,
# LibreOffice, and HarfBuzz's subsetter, which WeasyPrint loads to embed only the glyphs a PDF
# uses; without it WeasyPrint warns, and the suite treats warnings as errors). Installed only
# where missing and only where apt-get can run.
SYSPKGS := chromium fonts-noto-cjk poppler-utils libreoffice-calc-nogui libharfbuzz-subset0
sysdeps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-calc-nogui"; \
	ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" || missing="$$missing libharfbuzz-subset0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (install them with apt-get as root)"; fi; \
	fi

demo: install
	$(BIN)/commons --data $(DATA) demo

run: install demo
	$(BIN)/commons --data $(DATA) serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check ledger rules audit api tests bench
	$(BIN)/ruff format --check ledger rules audit api tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# The suite runs on two workers (pytest-xdist), a test module per worker, so each module's
# fixtures (a demo community, a server) are built once; WORKERS=0 runs it in one process.
WORKERS ?= 2
pytest: install
	$(BIN)/pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

test: install sysdeps lint typecheck pytest

acceptance: install sysdeps
	$(BIN)/pytest -m acceptance $(PYTEST_ARGS)

# The soaks (marked slow, left out of `make test` for its time): twenty crash rounds.
soak: install sysdeps
	$(BIN)/pytest -m slow $(PYTEST_ARGS)

bench: install
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
