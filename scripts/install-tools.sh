#!/usr/bin/env bash
# Installs every tool the project needs that is missing, and nothing else:
# a tool already present at the pinned version is skipped, never rebuilt.
# Used by `make run` and `make test` (and so by CI, on a fresh clone).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.7     # 0.3.11 needs rustc >= 1.96
WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen = "=..."` pin in Cargo.toml
BINARYEN_VERSION=123           # wasm-opt; Debian's binaryen 108 breaks hydration

export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'tools: %s\n' "$*"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: '$*' needs root; run it once as root" >&2; return 1
  fi
}

# 1. Rust target for the browser bundle.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "wasm32-unknown-unknown present"
else
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. cargo-leptos (builds server + WASM bundle).
if cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "cargo-leptos ${CARGO_LEPTOS_VERSION} present"
else
  say "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 12 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# 3. wasm-bindgen CLI, exactly matching the crate pin (no --locked: a locked
#    dependency of this version is missing from the registry).
if wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  say "wasm-bindgen ${WASM_BINDGEN_VERSION} present"
else
  say "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION}"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 4. wasm-opt from npm's binaryen (cargo-leptos runs it on every release build).
if wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION}"; then
  say "wasm-opt ${BINARYEN_VERSION} present"
else
  say "installing binaryen@${BINARYEN_VERSION}.0.0 from npm"
  as_root npm install -g --no-audit --no-fund "binaryen@${BINARYEN_VERSION}.0.0"
  hash -r
  if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION}"; then
    echo "error: '$(command -v wasm-opt)' is not binaryen ${BINARYEN_VERSION} (Debian's binaryen package shadows it? remove it)" >&2
    exit 1
  fi
fi

# 5. Debian's Chromium for Playwright (test tools never download a browser here).
if [[ -x /usr/bin/chromium ]]; then
  say "chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
else
  say "installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# 6. Playwright's npm packages, exactly as the committed lockfile says. The
#    lockfile's hash, recorded after `npm ci`, tells whether they are current.
lock_hash=$(sha256sum end2end/package-lock.json | cut -d' ' -f1)
if [[ -f end2end/node_modules/.lock-hash && "$(cat end2end/node_modules/.lock-hash)" == "$lock_hash" ]]; then
  say "end2end npm packages present"
else
  say "installing end2end npm packages from package-lock.json"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  echo "$lock_hash" > end2end/node_modules/.lock-hash
fi
