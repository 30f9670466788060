#!/usr/bin/env bash
# Runs the Playwright suite against the release build: starts the sandbox
# platform and the server on free loopback ports, waits for both, runs the
# tests, and stops both by PID whatever happens (checklist 66, 67).
# Expects `cargo leptos build --release --split` and `cargo build --release -p sandbox`
# to have run (the Makefile's `e2e` target does both).
#
# PLATFORM_HOST=localhost serves the platform as http://localhost:PORT while the
# app stays on http://127.0.0.1:PORT: then the two are different *sites*, as in
# production (cookies and popups cross a site boundary). Both still bind 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TARGET="${CARGO_TARGET_DIR:-target}"
SANDBOX_PORT=$(free_port)
LIVE_API_PORT=$(free_port)
LIVE_PAGES_PORT=$(free_port)
APP_PORT=$(free_port)
PLATFORM_HOST="${PLATFORM_HOST:-127.0.0.1}"
export AUTOGPT_URL="http://${PLATFORM_HOST}:${SANDBOX_PORT}"
# The sandbox's live profile (backend and pages origins), for the live-profile specs.
export SANDBOX_LIVE_API_URL="http://${PLATFORM_HOST}:${LIVE_API_PORT}"
export SANDBOX_LIVE_PAGES_URL="http://${PLATFORM_HOST}:${LIVE_PAGES_PORT}"
export APP_URL="http://127.0.0.1:${APP_PORT}"
WORK=$(mktemp -d)
LOGS="end2end/artifacts/logs/${PLATFORM_HOST}"
mkdir -p "$LOGS" end2end/artifacts

PIDS=()
cleanup() {
  stop_pids "${PIDS[@]+"${PIDS[@]}"}"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TARGET/release/sandbox" --addr "127.0.0.1:${SANDBOX_PORT}" --public-url "$AUTOGPT_URL" --client-origin "$APP_URL" \
  --live-api-addr "127.0.0.1:${LIVE_API_PORT}" --live-api-public-url "$SANDBOX_LIVE_API_URL" \
  --live-pages-addr "127.0.0.1:${LIVE_PAGES_PORT}" --live-pages-public-url "$SANDBOX_LIVE_PAGES_URL" \
  >"$LOGS/sandbox.log" 2>&1 &
PIDS+=($!)
wait_http "$AUTOGPT_URL/.well-known/openid-configuration" "${PIDS[-1]}"
wait_http "$SANDBOX_LIVE_API_URL/healthz" "${PIDS[-1]}"
wait_http "$SANDBOX_LIVE_PAGES_URL/healthz" "${PIDS[-1]}"

# E2E_PROFILE=live runs the app on the platform's live contract (the sandbox's live origins)
# and the specs under tests/live/; otherwise the guide contract and the other specs.
export E2E_PROFILE="${E2E_PROFILE:-guide}"
APP_ENV_PROFILE=()
if [[ "$E2E_PROFILE" == live ]]; then
  APP_ENV_PROFILE=(AUTOGPT_PROFILE=live "AUTOGPT_URL=$SANDBOX_LIVE_PAGES_URL" "AUTOGPT_API_URL=$SANDBOX_LIVE_API_URL")
  LOGS="${LOGS}-live"
  mkdir -p "$LOGS"
fi
env "${APP_ENV_PROFILE[@]+"${APP_ENV_PROFILE[@]}"}" \
  LEPTOS_SITE_ADDR="127.0.0.1:${APP_PORT}" LEPTOS_SITE_ROOT="$TARGET/site" DATABASE_URL="sqlite://${WORK}/app.db" \
  APP_SECRET_FILE="${WORK}/app-secret" RUST_LOG="${RUST_LOG:-info}" \
  "$TARGET/release/server" >"$LOGS/server.log" 2>&1 &
PIDS+=($!)
wait_http "$APP_URL/healthz" "${PIDS[-1]}"

echo "e2e ($E2E_PROFILE profile): sandbox $AUTOGPT_URL, live $SANDBOX_LIVE_API_URL + $SANDBOX_LIVE_PAGES_URL (pid ${PIDS[0]}), app $APP_URL (pid ${PIDS[1]})"
cd end2end
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx playwright test "$@"
