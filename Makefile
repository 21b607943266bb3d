# Gavel: online judicial auctions. `make` lists the targets.
SHELL := /usr/bin/env bash
GO ?= go
ADDR ?= :8080
BIN := bin
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z/_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/gavel and bin/loadgen
	$(GO) build -o $(BIN)/ ./cmd/...

.PHONY: run
run: build ## get PostgreSQL, migrate, seed the demo and serve on http://localhost:8080
	@server=$$(.ci/ensure-postgres) && \
	export DATABASE_URL=$${DATABASE_URL:-$$server/gavel?sslmode=disable} && \
	( psql "$$server/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'gavel'" | grep -q 1 || \
	  psql "$$server/postgres" -qc "CREATE DATABASE gavel" ) && \
	$(BIN)/gavel migrate && $(BIN)/gavel demo && \
	exec $(BIN)/gavel serve --rulebook demo --demo-bidders --addr $(ADDR)

.PHONY: test
test: ## run every test against a real PostgreSQL (installs what tests need)
	@server=$$(.ci/ensure-postgres) && \
	export GAVEL_TEST_DATABASE_URL=$${GAVEL_TEST_DATABASE_URL:-$$server/postgres?sslmode=disable} && \
	$(GO) test -count=1 -timeout 20m ./...

.PHONY: lint
lint: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: bench
bench: ## run the benchmarks and print figures against their baselines
	@server=$$(.ci/ensure-postgres) && \
	export GAVEL_TEST_DATABASE_URL=$${GAVEL_TEST_DATABASE_URL:-$$server/postgres?sslmode=disable} && \
	$(GO) test -run '^$$' -bench . -benchtime 3s ./...

.PHONY: db/reset
db/reset: ## drop and recreate the local gavel database (demo data is seeded again by make run)
	@server=$$(.ci/ensure-postgres) && \
	psql "$$server/postgres" -qc "DROP DATABASE IF EXISTS gavel WITH (FORCE)" && \
	psql "$$server/postgres" -qc "CREATE DATABASE gavel" && echo "database gavel is empty"
