# usersync — common tasks. `make help` lists them.
BUN := ./node_modules/.bin/bun

.PHONY: help install serve test check migration build bench reliability clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## install dependencies (npm ci)
	npm ci --no-audit --no-fund

serve: ## run the daemon on the embedded database (./data)
	$(BUN) src/cli/main.ts serve

test: ## type-check and run every test (PGlite and PostgreSQL); ends with "N passed, N failed"
	bash scripts/test.sh

check: ## type-check only
	./node_modules/.bin/tsc -p .

migration: ## generate a migration from schema/tables.ts (NAME=what_changed) and embed it
	./node_modules/.bin/drizzle-kit generate --name $(or $(NAME),change)
	$(BUN) scripts/embed-migrations.ts

build: ## compile the single binary dist/usersync
	$(BUN) scripts/build.ts

bench: ## run the benchmark (SIZES=10k,100k,1m) and write docs/PERFORMANCE.md
	$(BUN) bench/run.ts $(if $(SIZES),--sizes $(SIZES),)

reliability: ## run test/reliability (crash, drops, load, faults, fuzzing) and write docs/RELIABILITY.md
	$(BUN) scripts/reliability-report.ts

clean: ## remove build output and scratch data
	rm -rf dist bench/out
