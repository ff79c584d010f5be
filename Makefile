# kunde_crm: the two quick-start commands and their helpers.
# All the set-up lives in scripts/kunde.sh; every target is safe to run again.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test lint bench screenshots

help:
	@echo "make run          set up everything, create database 'kunde_crm' with demo data, serve http://localhost:8069"
	@echo "make test         set up everything; stage 1: addon tests (pytest-odoo), black-box tests, linters;"
	@echo "                  stage 2: addon tests with Odoo's own runner beside l10n_no, crm, sales, website, calendar"
	@echo "make lint         ruff + pylint-odoo mandatory checks"
	@echo "make bench        200,000 cases side by side with helpdesk_mgmt -> bench/RESULTS.md (CASES=20000 for a quick run)"
	@echo "make bench GROWTH=1   the same, then kunde_crm again with 10x the history (2,000,000 cases), side by side"

run:
	@scripts/kunde.sh run

test:
	@scripts/kunde.sh test

lint:
	@scripts/kunde.sh lint

# Not part of make test. CASES=20000 for a quicker run; ARGS="--runs 9 ..." for bench/run.py;
# GROWTH=1 also measures a database with ten times the history (bench/README.md).
bench:
	@scripts/kunde.sh bench $(if $(CASES),--cases $(CASES)) $(if $(filter 1 yes true,$(GROWTH)),--growth) $(ARGS)

# PNGs of the demo database for the README (docs/), with headless Chromium.
screenshots:
	@scripts/kunde.sh screenshots
