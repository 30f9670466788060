#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of outside input (fuzz/, cargo-fuzz + libFuzzer).
#
#   scripts/fuzz.sh                  # every target, FUZZ_SECONDS each (`make fuzz`)
#   scripts/fuzz.sh token_response   # some targets only
#
# Installs cargo-fuzz if it is missing, builds every target once (release, with debug
# assertions and overflow checks), then runs each for a bounded time on its committed seeds
# (fuzz/corpus/<target>, read only) plus what earlier runs found (fuzz/corpus-generated/<target>,
# gitignored, where new inputs go). Prints runs, coverage and crashes per target, and exits
# non-zero if any target crashed; the crashing input is in fuzz/artifacts/<target>/
# (reproduce: `$FUZZ_BIN_DIR/<target> fuzz/artifacts/<target>/crash-…`).
#
# Settings (environment):
#   FUZZ_SECONDS     time per target, default 60 (9 targets: about 10 minutes after the build)
#   FUZZ_SANITIZER   none (default) or address. The fuzzed crates forbid unsafe code, so
#                    AddressSanitizer mostly slows the search; `address` works too.
#   FUZZ_TARGET_DIR  cargo target directory, default fuzz/target (kept apart from target/:
#                    other flags, so the main build is never invalidated or locked)
#   FUZZ_MAX_LEN     longest input libFuzzer generates, default 8192 bytes
#   FUZZ_NICE        niceness of the build and the runs, default 19 (2-core machines)
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets it accept the nightly flags cargo-fuzz passes.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
SANITIZER="${FUZZ_SANITIZER:-none}"
TARGET_DIR="$(realpath -m "${FUZZ_TARGET_DIR:-fuzz/target}")"
MAX_LEN="${FUZZ_MAX_LEN:-8192}"
NICE=(nice -n "${FUZZ_NICE:-19}")
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
say() { printf 'fuzz: %s\n' "$*"; }

if cargo fuzz --version 2>/dev/null | grep -q " ${CARGO_FUZZ_VERSION}\$"; then
  say "cargo-fuzz ${CARGO_FUZZ_VERSION} present"
else
  say "installing cargo-fuzz ${CARGO_FUZZ_VERSION} (about 2 minutes on 2 cores)"
  "${NICE[@]}" cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

all=0
if (($#)); then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); all=1; fi
FUZZ_FLAGS=(--sanitizer "$SANITIZER" --target-dir "$TARGET_DIR")
logs="$TARGET_DIR/fuzz-logs"
mkdir -p "$logs"
say "building ${#targets[@]} target(s) (sanitizer: $SANITIZER, target dir: $TARGET_DIR; log: $logs/build.log)"
build_start=$(date +%s)
# No target name builds every target in one cargo call.
if ((all)); then builds=(""); else builds=("${targets[@]}"); fi
for t in "${builds[@]}"; do
  if ! "${NICE[@]}" cargo fuzz build "${FUZZ_FLAGS[@]}" ${t:+"$t"} >"$logs/build.log" 2>&1; then
    tail -40 "$logs/build.log"
    say "build failed"
    exit 1
  fi
done
say "built in $(($(date +%s) - build_start))s"

logs="$TARGET_DIR/fuzz-logs"
mkdir -p "$logs"
rows=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus-generated/$t" "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  say "$t: ${SECONDS_PER_TARGET}s"
  start=$(date +%s)
  set +e
  "${NICE[@]}" cargo fuzz run "${FUZZ_FLAGS[@]}" "$t" "fuzz/corpus-generated/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len="$MAX_LEN" \
    -dict=fuzz/fuzz.dict -print_final_stats=1 >"$logs/$t.log" 2>&1
  rc=$?
  set -e
  elapsed=$(($(date +%s) - start))
  crashes=$(($(find "fuzz/artifacts/$t" -type f | wc -l) - before))
  if ((rc != 0 && crashes == 0)); then crashes=1; fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
  cov=$({ grep -oE 'cov: [0-9]+ ft: [0-9]+' "$logs/$t.log" || true; } | tail -1 | sed -E 's/cov: ([0-9]+) ft: ([0-9]+)/\1 \2/')
  rows+=("$(printf '%-16s %6ss %11s %8s %6s %6s %7s' "$t" "$elapsed" "${runs:-?}" "${speed:-?}" ${cov:-? ?} "$crashes")")
  if ((crashes)); then
    failed=1
    say "$t CRASHED (exit $rc); log: $logs/$t.log"
    grep -E "panicked at|ERROR: libFuzzer|SUMMARY|Test unit written" "$logs/$t.log" | head -8 || true
  fi
done

echo
printf '%-16s %7s %11s %8s %6s %6s %7s\n' target time runs exec/s cov ft crashes
printf '%s\n' "${rows[@]}"
if ((failed)); then
  say "crashes found: minimize with 'cargo fuzz tmin <target> <artifact>' and turn each into a unit test"
  exit 1
fi
say "0 crashes in ${#targets[@]} target(s)"
