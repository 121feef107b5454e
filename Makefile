# Every target runs inside .venv, created and filled from the lock file on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# `make serve` workers; they share nothing in memory, so they need SECRET_KEY (and PostgreSQL + Redis to scale).
WORKERS ?= 2
# `make worker` processes delivering queued notifications.
NOTIFICATION_WORKERS ?= 2
# Where the workers share their Prometheus values (prometheus-client's multiprocess mode); emptied at each start.
METRICS_DIR ?= .metrics
# uvicorn's own bounds (`run`, `serve`; the Dockerfile has the same defaults). On SIGTERM it stops accepting, lets
# in-flight requests finish for GRACEFUL_SHUTDOWN_SECONDS, then cuts what is left: keep it under the orchestrator's
# kill deadline (Kubernetes terminationGracePeriodSeconds, 30 s by default). WebSocket peers that leave a keepalive
# ping unanswered for WS_PING_TIMEOUT seconds are dropped (pings every WS_PING_INTERVAL seconds).
GRACEFUL_SHUTDOWN_SECONDS ?= 25
WS_PING_INTERVAL ?= 20
WS_PING_TIMEOUT ?= 20
UVICORN_BOUNDS = --timeout-graceful-shutdown $(GRACEFUL_SHUTDOWN_SECONDS) \
	--ws-ping-interval $(WS_PING_INTERVAL) --ws-ping-timeout $(WS_PING_TIMEOUT)
# pytest-xdist workers: two per core plus one, since many tests spend their time waiting on the servers, clusters
# and proxies they start (measured on 2 cores: 2 workers kept 1.4 cores busy, 4 kept 1.7; the suite took 215 s with
# 3 workers and 202 s with 4, then, once the fuzzing modules shared their cases, 190 s with 4 and 186 s with 5; on a
# faster day, alternating runs: 172 and 166 s with 4, 164 and 158 s with 5; with the longest modules first, alternating
# 6, 5, 6, 5: 166, 166, 163, 148 s, so no gain from a sixth); `make test XDIST=` runs the suite in one process.
XDIST ?= -n $(shell $(PYTHON) -c 'import os; print(max(2, (os.cpu_count() or 1) * 2 + 1))')

.PHONY: help install run serve worker require-secret-key test test-sqlite generate check-generated sdk check-sdk lint format typecheck check migrate bench clean contract-diff lint-contract mock fuzz fuzz-big fidelity bench-postgres pgbench lint-deploy soak soak-test

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# --compile-bytecode: what pip does by default. Without it, where PYTHONDONTWRITEBYTECODE is set (container images
# often set it) every process compiles every module it imports, every time: ~40% of `import impl.app`.
$(STAMP): requirements-dev.lock requirements-moto.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements-dev.lock
	# The storage tests' S3 stand-in, in a venv of its own (requirements-moto.in says why).
	test -x $(VENV)/moto/bin/python || $(BIN)/uv venv -q --python $(BIN)/python $(VENV)/moto
	$(BIN)/uv pip install -q --python $(VENV)/moto/bin/python -r requirements-moto.lock
	touch $(STAMP)

# Node tooling for the tests (the AsyncAPI parser), from package-lock.json; scripts off: nothing needs them.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)  ## Create .venv and node_modules/ from the lock files.

# --no-proxy-headers: the app alone decides whom to believe about X-Forwarded-* (TRUSTED_PROXIES).
run: $(STAMP) migrate  ## Serve on 127.0.0.1:8000 (SQLite by default).
	$(BIN)/uvicorn impl.app:app --host $(HOST) --port $(PORT) --no-proxy-headers $(UVICORN_BOUNDS)

serve: require-secret-key $(STAMP) migrate  ## Serve with WORKERS processes (needs SECRET_KEY).
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	PROMETHEUS_MULTIPROC_DIR=$(abspath $(METRICS_DIR)) WEB_CONCURRENCY=$(WORKERS) \
		$(BIN)/uvicorn impl.app:app --host $(HOST) --port $(PORT) --workers $(WORKERS) --no-proxy-headers \
		$(UVICORN_BOUNDS)

require-secret-key:
	@test -n "$$SECRET_KEY" || { echo "make serve runs $(WORKERS) workers: set SECRET_KEY (32 bytes or more) so that every worker accepts the tokens the others sign" >&2; exit 1; }

# Taskiq over a Redis stream (taskiq-redis); a message is acknowledged only after its delivery attempt was recorded
# in the outbox, so a killed worker's message is read again; each process also sweeps the outbox for retries.
worker: $(STAMP)  ## Deliver queued notifications (needs REDIS_URL, SECRET_KEY and the app's DATABASE_URL and SMTP_*).
	NOTIFICATIONS_QUEUE=redis $(BIN)/taskiq worker impl.notifications.worker:broker \
		--workers $(NOTIFICATION_WORKERS) --ack-type when_executed --no-configure-logging

migrate: $(STAMP)  ## Upgrade the database named by DATABASE_URL (default ./app.db) to the latest revision.
	$(BIN)/alembic upgrade head

test: $(STAMP) $(NODE_STAMP)  ## The whole suite, on SQLite and PostgreSQL, in parallel (XDIST).
	$(BIN)/pytest -q $(XDIST)

generate: $(STAMP)  ## Regenerate generated/ from openapi/openapi.yaml.
	$(BIN)/python -m scripts.generate

check-generated: generate  ## Fail when generated/ differs from what the contract generates.
	git diff --exit-code --stat -- generated/
	@test -z "$$(git status --porcelain -- generated/)" || (git status --porcelain -- generated/; echo "generated/ has untracked files"; exit 1)

# The contract's clients, committed: clients/python (openapi-python-client; settings in clients/python-config.yaml,
# formatted by .venv's ruff, hence the PATH) and clients/typescript/schema.ts (openapi-typescript; settings in
# clients/generate-typescript.mjs). clients/typescript/index.ts, which binds openapi-fetch to those types, is written
# by hand: tsc checks it still compiles against the new types.
sdk: $(STAMP) $(NODE_STAMP)  ## Regenerate the Python and TypeScript clients in clients/ from the contract.
	rm -rf clients/python
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/openapi-python-client generate --path openapi/openapi.yaml \
		--config clients/python-config.yaml --meta uv --output-path clients/python --fail-on-warning
	node clients/generate-typescript.mjs openapi/openapi.yaml clients/typescript/schema.ts
	node_modules/.bin/tsc -p clients/typescript --noEmit

check-sdk: sdk  ## Fail when clients/ differs from what the contract generates.
	git diff --exit-code --stat -- clients/
	@test -z "$$(git status --porcelain -- clients/)" || (git status --porcelain -- clients/; echo "clients/ has untracked files"; exit 1)

lint: $(STAMP)  ## ruff check + format check.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Apply ruff's fixes and formatting.
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)  ## mypy, strict on impl/, scripts/ and generated/.
	$(BIN)/mypy

check: lint typecheck check-generated check-sdk lint-contract lint-deploy  ## Everything CI checks before the tests.

# Breaking changes of the working tree's contract against the one at BASE (any git ref); exit 1 on a break unless
# info.version's major (0.x: minor) was bumped. HEAD_FILE: compare another file instead of the working tree's.
BASE ?= HEAD~1
HEAD_FILE ?= openapi/openapi.yaml
contract-diff: $(STAMP)  ## Report breaking changes of the contract since BASE (default HEAD~1).
	$(BIN)/python -m scripts.contract_diff --base $(BASE) --head-file $(HEAD_FILE)

# For the contract's consumers, from node_modules/ (package-lock.json); CONTRACT: lint or mock another copy.
CONTRACT ?= openapi/openapi.yaml
MOCK_PORT ?= 4010
# Every finding fails, warnings included: openapi/.spectral.yaml makes each rule an error or turns it off with a reason.
lint-contract: $(NODE_STAMP)  ## Lint the contract: Spectral's OpenAPI rules and the project's (openapi/.spectral.yaml).
	node_modules/.bin/spectral lint --ruleset openapi/.spectral.yaml --fail-severity=warn $(CONTRACT)

# Static mode: each response is the contract's example; requests breaking the contract get 422, missing credentials 401.
mock: $(NODE_STAMP)  ## Serve a Prism mock of the contract on 127.0.0.1:$(MOCK_PORT) (default 4010) for frontends.
	node_modules/.bin/prism mock $(CONTRACT) -h 127.0.0.1 -p $(MOCK_PORT)

# Schemathesis CLI against a live server on a fresh SQLite database, every check, stateful phase on
# (scripts/fuzz_live.py). Requests go out as the seeded administrator or an ordinary member, in turn; the
# `cross_user_authorization` check (scripts/fuzz_access.py) holds both to the contract's ownership rules.
# FUZZ_SECONDS > 0: keep fuzzing until that budget is spent. FUZZ_CONTRACT: hold the server to another copy of the
# contract; FUZZ_APP: serve another ASGI app (the tests' deliberately broken one); FUZZ_ARGS: more `schemathesis run`
# options.
FUZZ_EXAMPLES ?= 100
FUZZ_SECONDS ?= 0
FUZZ_CONTRACT ?= openapi/openapi.yaml
FUZZ_APP ?= impl.app:app
FUZZ_JUNIT ?= build/fuzz/junit.xml
FUZZ_ARGS ?=
# FUZZ_MIN_CASES: fail unless Schemathesis generated at least that many test cases.
FUZZ_MIN_CASES ?= 0
fuzz: $(STAMP)  ## Fuzz a live server with Schemathesis as two users (FUZZ_EXAMPLES, FUZZ_SECONDS); JUnit in build/fuzz/.
	$(BIN)/python -m scripts.fuzz_live --examples $(FUZZ_EXAMPLES) --max-time $(FUZZ_SECONDS) \
		--contract $(FUZZ_CONTRACT) --app $(FUZZ_APP) --junit $(FUZZ_JUNIT) --min-cases $(FUZZ_MIN_CASES) -- $(FUZZ_ARGS)

# The run at scale (README: Live fuzzing, with its measured figures): fails unless it generated 10,000 cases or more.
FUZZ_BIG_EXAMPLES ?= 500
fuzz-big: $(STAMP)  ## `make fuzz` with at least 10,000 cases (FUZZ_BIG_EXAMPLES=500 per operation), both users.
	$(MAKE) --no-print-directory fuzz FUZZ_EXAMPLES=$(FUZZ_BIG_EXAMPLES) FUZZ_MIN_CASES=10000

# For every spec of ../shared/specs and tests/generator/fidelity: generate a stub (no services: valid input gets 501),
# fuzz it in process with Schemathesis, report per spec the valid requests rejected and the invalid ones accepted
# (scripts/fidelity.py); fails on any. FIDELITY_EXAMPLES: random cases per operation and mode.
FIDELITY_EXAMPLES ?= 25
fidelity: $(STAMP)  ## Does each generated stub accept exactly what its spec allows? (FIDELITY_EXAMPLES)
	$(BIN)/python -m scripts.fidelity --examples $(FIDELITY_EXAMPLES)

# BENCH_DB=postgres: the app on asyncpg with 1 and 2 workers (medians of BENCH_ROUNDS), each on a fresh database
# created and dropped on 127.0.0.1:5432 (BENCH_POSTGRES_URL); see bench/README.md. Default: SQLite vs the ceiling.
BENCH_DB ?= sqlite
bench: $(STAMP)  ## Load-test the app against the raw-Starlette ceiling (needs wrk; installed if missing).
	BENCH_DB=$(BENCH_DB) $(BIN)/python -m bench.run

bench-postgres: $(STAMP)  ## Load-test the app on PostgreSQL with 1 and 2 workers (= make bench BENCH_DB=postgres).
	BENCH_DB=postgres $(BIN)/python -m bench.run

pgbench: $(STAMP)  ## PostgreSQL's write ceiling here: pgbench TPC-B-like and an item insert at 8/16/32 clients.
	$(BIN)/python -m bench.pgbench

# Every manifest of deploy/kubernetes against the JSON schemas of this Kubernetes version (kubernetes-validate's
# bundled copy: offline), strict: unknown fields and unknown kinds fail too (scripts/lint_deploy.py).
K8S_VERSION ?= 1.35.0
lint-deploy: $(STAMP)  ## Validate the Kubernetes manifests in deploy/kubernetes offline (K8S_VERSION).
	$(BIN)/python -m scripts.lint_deploy --kubernetes-version $(K8S_VERSION) deploy/kubernetes

# Two instances behind HAProxy on a fresh PostgreSQL database and a private Redis (bench/topology.py), SOAK_USERS Locust
# users of mixed traffic for SOAK_SECONDS; instance a is SIGKILLed and restarted mid-run. Then the client ledger is
# compared with the database, and 5xx, connections and RSS are checked (bench/soak/); exit 1 on any failed check.
# Needs PostgreSQL on 127.0.0.1:5432 (SOAK_POSTGRES_URL), redis-server and haproxy (Debian packages). Logs: build/soak/.
SOAK_SECONDS ?= 120
SOAK_USERS ?= 32
soak: $(STAMP)  ## Soak: SOAK_USERS users for SOAK_SECONDS through HAProxy, one instance killed; ledger vs database.
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_USERS=$(SOAK_USERS) $(BIN)/python -m bench.soak

soak-test: $(STAMP)  ## The soak tool's own test: a short soak that must pass (over a minute, so not in `make test`).
	$(BIN)/pytest -q -n 0 -m soak tests/e2e/test_soak_tool.py

clean:  ## Remove caches and the local SQLite database.
	rm -rf .mypy_cache .ruff_cache .pytest_cache app.db app.db-wal app.db-shm
