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
	exec $(BIN)/gavel serve --rulebook demo --demo-bidders --dev-mailbox --addr $(ADDR)

.PHONY: test
test: chromium stripe-mock ## run every test against a real PostgreSQL (installs what tests need), then fuzz each target briefly
	@server=$$(.ci/ensure-postgres) && \
	export GAVEL_TEST_DATABASE_URL=$${GAVEL_TEST_DATABASE_URL:-$$server/postgres?sslmode=disable} && \
	$(GO) test -count=1 -timeout 20m ./... && \
	$(MAKE) --no-print-directory fuzz/run FUZZTIME=$(FUZZTIME_SHORT)

.PHONY: test-faults
test-faults: ## run only the fault tests (kill -9, database outage, failover, outage guard, backup/restore) with their figures
	@server=$$(.ci/ensure-postgres) && \
	export GAVEL_TEST_DATABASE_URL=$${GAVEL_TEST_DATABASE_URL:-$$server/postgres?sslmode=disable} && \
	$(GO) test -count=1 -timeout 10m -v -run '^TestFault' ./cmd/gavel

# The browser tests drive Debian's Chromium headless. It is installed when
# missing and we may (root with apt-get); when it cannot be, those tests skip
# and say so loudly.
.PHONY: chromium
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chromium for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || true; \
	fi; \
	if [ ! -x /usr/bin/chromium ]; then echo "!!! Chromium is missing and could not be installed: the browser tests will be SKIPPED"; fi

# The Stripe adapter is tested against stripe-mock, Stripe's OpenAPI-checked
# API double; its tests skip (saying so) only when it cannot be installed.
STRIPE_MOCK_VERSION ?= v0.203.0

.PHONY: stripe-mock
stripe-mock:
	@command -v stripe-mock >/dev/null || { echo "installing stripe-mock $(STRIPE_MOCK_VERSION) for the Stripe adapter tests"; \
		$(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION) || true; }; \
	command -v stripe-mock >/dev/null || echo "!!! stripe-mock is missing and could not be installed: the Stripe adapter tests will be SKIPPED"

.PHONY: screenshots
screenshots: chromium ## take PNGs of the main pages (a whole sale in Chromium) into screenshots/
	@if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chinese fonts for the screenshots"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk; } >/dev/null 2>&1 || \
		echo "!!! could not install fonts-noto-cjk: Chinese text will show as boxes"; \
	fi
	@server=$$(.ci/ensure-postgres) && \
	export GAVEL_TEST_DATABASE_URL=$${GAVEL_TEST_DATABASE_URL:-$$server/postgres?sslmode=disable} && \
	rm -rf screenshots && \
	GAVEL_SCREENSHOTS=$(CURDIR)/screenshots $(GO) test -count=1 -run '^TestBrowser(Auction|CourtActions)$$' ./cmd/gavel && \
	{ test -n "$$(ls screenshots 2>/dev/null)" || { echo "!!! no screenshots were taken: is Chromium installed?"; exit 1; }; } && \
	echo "screenshots in screenshots/:" && ls screenshots

# Fuzz targets are found, not listed: every `func FuzzX` in a test file,
# printed as "package-dir FuzzX". go test fuzzes one target at a time. Some
# targets go through the database (tens of inputs a second), so minimising
# each new input gets seconds, not go test's default minute. The short run
# of `make test` counts inputs instead of seconds: with a duration, Go's
# fuzzing coordinator (up to Go 1.26) can report the end of the time as a
# failure ("context deadline exceeded", no failing input; golang/go#75804)
# when a worker is busy as the time runs out, which a loaded CI machine makes
# likely. A count has no deadline to race.
FUZZTIME ?= 1m
FUZZTIME_SHORT ?= 3000x
FUZZMINIMIZE ?= 3s
fuzz_targets = grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed -E 's|^\./(.*)/[^/]*:func (Fuzz.*)|\1 \2|' | sort

.PHONY: fuzz
fuzz: ## fuzz every target for FUZZTIME each (default 1m; e.g. make fuzz FUZZTIME=10m)
	@server=$$(.ci/ensure-postgres) && \
	export GAVEL_TEST_DATABASE_URL=$${GAVEL_TEST_DATABASE_URL:-$$server/postgres?sslmode=disable} && \
	$(MAKE) --no-print-directory fuzz/run

.PHONY: fuzz/run
fuzz/run:
	@$(fuzz_targets) | while read -r dir name; do \
		echo "fuzz $$name in ./$$dir for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./$$dir || exit 1; \
	done

.PHONY: lint
lint: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: bench
bench: ## load-test Gavel (short version of every scenario, a few minutes) and print the table
	@server=$$(.ci/ensure-postgres) && tmp=$$(mktemp -d) && db=gavel_bench_$$$$ && \
	trap 'psql "$$server/postgres" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"; rm -rf $$tmp' EXIT && \
	$(GO) build -o $$tmp/ ./cmd/gavel ./cmd/loadgen && \
	psql "$$server/postgres" -qc "CREATE DATABASE $$db" && \
	$$tmp/loadgen -short -gavel $$tmp/gavel -database-url "$$server/$$db?sslmode=disable" $(BENCHFLAGS)

.PHONY: cluster
cluster: build ## serve three instances on one PostgreSQL behind nginx on http://127.0.0.1:8090 (installs nginx when missing)
	@.ci/cluster

# CLUSTERFLAGS are loadgen's flags for the cluster run (the fan-out by
# default: 10,000 watchers spread by nginx over the three instances).
CLUSTERFLAGS ?= -scenarios fanout -watchers 10000 -fanout-rate 20

.PHONY: cluster/bench
cluster/bench: build ## load-test the three-instance cluster behind nginx on a fresh database (CLUSTERFLAGS)
	@server=$$(.ci/ensure-postgres) && db=gavel_cluster_bench_$$$$ && \
	trap 'psql "$$server/postgres" -qc "DROP DATABASE IF EXISTS $$db WITH (FORCE)"' EXIT && \
	psql "$$server/postgres" -qc "CREATE DATABASE $$db" && \
	DATABASE_URL="$$server/$$db?sslmode=disable" SERVE_FLAGS="--test-clock --no-limits" .ci/cluster -- bash -c \
		'$(BIN)/loadgen -url "$$CLUSTER_URL" -pid "$$CLUSTER_PIDS" -spread "$$CLUSTER_INSTANCES" -database-url "$$DATABASE_URL" \
		-clerk-email "$$CLUSTER_CLERK" -clerk-password "$$CLUSTER_PASSWORD" -finance-email "$$CLUSTER_FINANCE" -finance-password "$$CLUSTER_PASSWORD" $(CLUSTERFLAGS)'

.PHONY: db/reset
db/reset: ## drop and recreate the local gavel database (demo data is seeded again by make run)
	@server=$$(.ci/ensure-postgres) && \
	psql "$$server/postgres" -qc "DROP DATABASE IF EXISTS gavel WITH (FORCE)" && \
	psql "$$server/postgres" -qc "CREATE DATABASE gavel" && echo "database gavel is empty"
