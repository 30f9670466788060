#!/usr/bin/env bash
# Runs the sandbox platform (guide contract http://127.0.0.1:8006, live backend
# http://127.0.0.1:8106, live pages http://127.0.0.1:8107) and the app
# (http://127.0.0.1:3000) from the release build, in the foreground, until
# Ctrl-C; both are stopped by PID on the way out.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SANDBOX_ADDR="${SANDBOX_ADDR:-127.0.0.1:8006}"
SANDBOX_LIVE_API_ADDR="${SANDBOX_LIVE_API_ADDR:-127.0.0.1:8106}"
SANDBOX_LIVE_PAGES_ADDR="${SANDBOX_LIVE_PAGES_ADDR:-127.0.0.1:8107}"
TARGET="${CARGO_TARGET_DIR:-target}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$TARGET/site}"
PIDS=()
trap 'stop_pids "${PIDS[@]+"${PIDS[@]}"}"' EXIT
trap 'exit 130' INT TERM

"$TARGET/release/sandbox" --addr "$SANDBOX_ADDR" \
  --live-api-addr "$SANDBOX_LIVE_API_ADDR" --live-pages-addr "$SANDBOX_LIVE_PAGES_ADDR" &
PIDS+=($!)
wait_http "http://${SANDBOX_ADDR}/.well-known/openid-configuration" "${PIDS[-1]}"
wait_http "http://${SANDBOX_LIVE_API_ADDR}/healthz" "${PIDS[-1]}"
wait_http "http://${SANDBOX_LIVE_PAGES_ADDR}/healthz" "${PIDS[-1]}"

"$TARGET/release/server" &
PIDS+=($!)
wait_http "http://127.0.0.1:3000/healthz" "${PIDS[-1]}" || true
echo
echo "  AutoGPT Connect:  http://127.0.0.1:3000/connect"
echo "  Sandbox platform: http://${SANDBOX_ADDR}   (demo users: alice@example.com / alice-password, bob@example.com / bob-password)"
echo "  Sandbox live:     API http://${SANDBOX_LIVE_API_ADDR}, pages http://${SANDBOX_LIVE_PAGES_ADDR}"
echo "  Press Ctrl-C to stop."
wait "${PIDS[1]}"
