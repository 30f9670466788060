# Entry points. `make run` and `make test` install whatever is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR ?= never


.PHONY: help run test tools build size sandbox-build fmt-check lint lint-ssr lint-wasm unit e2e clean-site crash bench soak fuzz

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

run: tools build sandbox-build ## Install what is missing, build, run sandbox (:8006) + app (:3000) until Ctrl-C
	scripts/run.sh

test: tools fmt-check lint unit e2e ## Install what is missing and run every test layer
	@echo "make test: all layers passed"

tools: ## Install missing tools (wasm target, cargo-leptos, wasm-bindgen, wasm-opt, chromium, npm packages)
	scripts/install-tools.sh

# Crate sources reach the bundle only as panic locations: keep them short, and keep
# this machine's paths out of what browsers download.
build: export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS = --remap-path-prefix=$(or $(CARGO_HOME),$(HOME)/.cargo)/registry/src=crates --remap-path-prefix=$(CURDIR)=.
build: ## Release build of the server and the WASM bundle (cargo-leptos)
	cargo leptos build --release --split --precompress
	@# cargo-leptos writes brotli -11 (good) but a weaker gzip than gzip -9: redo the .gz files.
	find "$${CARGO_TARGET_DIR:-target}/site" -type f ! -name '*.gz' ! -name '*.br' -exec gzip -9 -n -k -f {} +

size: build ## What each page downloads of the WASM/JS bundle (raw and gzip -9)
	scripts/wasm-size.sh

crash: build ## SIGKILL the server 5 times under webhook load (SQLite; two replicas on PostgreSQL): nothing acknowledged is lost
	python3 scripts/crash.py --backend sqlite
	python3 scripts/crash.py --backend postgres

bench: build sandbox-build ## Next.js reference vs ours (SQLite, PostgreSQL) in one sitting; writes BENCHMARKS.md (BENCH_ARGS=--duration 3)
	python3 scripts/bench.py $(BENCH_ARGS)

soak: build sandbox-build ## N users sign in, connect, run and watch for M minutes on both profiles: 0 errors, flat RSS (SOAK_ARGS="--users 4 --minutes 2")
	python3 scripts/soak.py $(SOAK_ARGS)

fuzz: ## Every parser of outside input under libFuzzer for FUZZ_SECONDS each (default 60): 0 crashes (not in make test)
	scripts/fuzz.sh

sandbox-build: ## Release build of the sandbox platform
	cargo build --release -p sandbox

fmt-check: ## rustfmt check
	cargo fmt --all -- --check

lint: lint-ssr lint-wasm ## clippy -D warnings for the server build and the wasm32 hydrate build

lint-ssr:
	cargo clippy -p autogpt --features client --all-targets -- -D warnings
	cargo clippy -p backend --features testing --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p sandbox --all-targets -- -D warnings

lint-wasm:
	cargo clippy -p autogpt --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# Per package with its own features: `cargo test --workspace` would unify
# `ssr` and `hydrate` and break.
unit: ## Unit and integration tests of every crate
	cargo test -p autogpt --features client
	cargo test -p backend
	cargo test -p app --features ssr
	cargo test -p server
	cargo test -p sandbox

e2e: build sandbox-build ## Playwright suite in Debian's Chromium against the release build
	scripts/e2e.sh
	@echo "e2e: sign-in and connect again with the platform on another site (localhost)"
	PLATFORM_HOST=localhost scripts/e2e.sh tests/signin.spec.ts tests/connect.spec.ts
	@echo "e2e: the live profile (the platform as it ships: setup wizard, External API v2)"
	E2E_PROFILE=live scripts/e2e.sh
