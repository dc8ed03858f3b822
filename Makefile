# phva — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run demo test install init lint typecheck test-deps postgres-bin pgbouncer-bin bench clean

$(BIN)/phva: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/phva

install: $(BIN)/phva

init: install
	$(BIN)/phva init

run: init
	@echo ""
	@echo "phva en http://$(HOST):$(PORT)/"
	@echo "  usuario:    admin"
	@echo "  contraseña: $$(cat $${PHVA_INSTANCE_DIR:-instance}/admin-password.txt 2>/dev/null || echo '(la que fijó en PHVA_ADMIN_PASSWORD)')"
	@echo "Para datos de ejemplo (un año de PQRSD, en una base vacía): make demo"
	@echo ""
	$(BIN)/phva serve --host $(HOST) --port $(PORT)

# A year of example PQRSD through the real services (phva demo; DEMO_ARGS="--year 2025 --seed 7").
demo: init
	$(BIN)/phva demo $(DEMO_ARGS)

# PostgreSQL server binaries for the integration tests (the fixture starts a throwaway cluster).
postgres-bin:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Instalando PostgreSQL (apt-get)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi; \
	fi

# PgBouncer for the scale-out test (transaction pooling in front of the throwaway cluster).
pgbouncer-bin:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
	  echo "Instalando PgBouncer (apt-get)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; fi; \
	fi

test-deps: install postgres-bin pgbouncer-bin
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Instalando chromium para las pruebas de navegador (apt-get)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; \
	fi
	@if ! command -v pdftotext >/dev/null || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  echo "Instalando poppler-utils y fonts-dejavu-core para las pruebas de PDF (apt-get)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils fonts-dejavu-core >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils fonts-dejavu-core >/dev/null; fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: test-deps lint typecheck
	@set +e; $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest no ejecutó ninguna prueba: eso es un fallo."; exit 1; fi; exit $$rc

bench: install
	$(BIN)/python -m bench.complete_task

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
