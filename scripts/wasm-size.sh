#!/usr/bin/env bash
# Prints what each page downloads of the release bundle (raw and gzip -9 bytes):
# the main module and its JS on every page, plus the lazy islands' modules (from
# the split manifest) on the pages that show them. Run after `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG="${CARGO_TARGET_DIR:-target}/site/pkg"
[[ -f "$PKG/autogpt-connect.wasm" ]] || { echo "error: $PKG has no build; run 'make build' first" >&2; exit 1; }

raw() { stat -c %s "$PKG/$1"; }
gz() { gzip -9 -n -c "$PKG/$1" | wc -c; }
# What the server sends a browser that accepts brotli: the precompressed file, when built.
br() { if [[ -f "$PKG/$1.br" ]]; then stat -c %s "$PKG/$1.br"; else gz "$1"; fi; }

# Files every page loads.
BASE=(autogpt-connect.wasm autogpt-connect.js)
[[ -f "$PKG/__wasm_split.______________________.js" ]] && BASE+=("__wasm_split.______________________.js")

# The modules a lazy island needs, from the manifest: "<island>_loader_<hash>": [chunk, ...].
chunks_of() {
  node -e '
    const m = require(process.argv[1]);
    const key = Object.keys(m).find((k) => k.startsWith(process.argv[2] + "_loader_"));
    if (key) console.log(m[key].map((c) => c + ".wasm").join(" "));
  ' "$(realpath "$PKG/__wasm_split_manifest.json")" "$1"
}

report() {
  local label=$1; shift
  local total_raw=0 total_gz=0 total_br=0
  for f in "$@"; do
    total_raw=$((total_raw + $(raw "$f"))); total_gz=$((total_gz + $(gz "$f"))); total_br=$((total_br + $(br "$f")))
  done
  printf '%-34s %9d B raw %9d B gzip -9 %9d B brotli  (%d files)\n' "$label" "$total_raw" "$total_gz" "$total_br" "$#"
}

echo "per file (raw, gzip -9, brotli as served):"
for f in "$PKG"/*.wasm "$PKG"/*.js; do
  name=$(basename "$f")
  printf '  %-60s %9d %9d %9d\n' "$name" "$(raw "$name")" "$(gz "$name")" "$(br "$name")"
done
echo "per page (what the browser fetches):"
report "every page (main module)" "${BASE[@]}"
if [[ -f "$PKG/__wasm_split_manifest.json" ]]; then
  # shellcheck disable=SC2046 # word splitting of the chunk list is intended
  report "/connect signed in (+ connect panel)" "${BASE[@]}" $(chunks_of connect_panel)
  # shellcheck disable=SC2046
  report "/connect signed out (+ sign-in)" "${BASE[@]}" $(chunks_of sign_in_panel)
  # shellcheck disable=SC2046
  report "/agents (+ agent runner)" "${BASE[@]}" $(chunks_of agent_runner)
  # shellcheck disable=SC2046
  report "/executions (+ history table)" "${BASE[@]}" $(chunks_of executions_live)
  # shellcheck disable=SC2046
  report "/executions/{id} (+ run status)" "${BASE[@]}" $(chunks_of run_live)
  echo "/agents in the live profile: the schema form is server-rendered (no WASM of its own)"
fi
