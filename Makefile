# kunde_crm: the two quick-start commands and their helpers.
# All the set-up lives in scripts/kunde.sh; every target is safe to run again.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test lint bench screenshots

help:
	@echo "make run          set up everything, create database 'kunde_crm' with demo data, serve http://localhost:8069"
	@echo "make test         set up everything, run the addon tests, the black-box tests and the linters"
	@echo "make lint         ruff + pylint-odoo mandatory checks"

run:
	@scripts/kunde.sh run

test:
	@scripts/kunde.sh test

lint:
	@scripts/kunde.sh lint
