#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets) for SECONDS each (default 20), starting from
# its seed corpus (fuzz/seeds/<target>, copied, so the repository is not written to). Fails on
# any crash. Needs the nightly toolchain (libFuzzer's instrumentation); installs cargo-fuzz.
# Long runs (FUZZING.md): RUNS=10000000 scripts/fuzz.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-20}"
CARGO_FUZZ=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ"; then
  cargo install --locked --quiet cargo-fuzz --version "$CARGO_FUZZ"
fi
rustup toolchain list | grep -q '^nightly' || { echo "the nightly toolchain is missing" >&2; exit 1; }
cd "$root/fuzz"
for target in $(cargo +nightly fuzz list); do
  corpus="$(mktemp -d)"
  cp -r "seeds/$target/." "$corpus/"
  limit="-max_total_time=$seconds"
  if [ -n "${RUNS:-}" ]; then limit="-runs=$RUNS"; fi
  echo "== fuzz $target"
  log="$corpus.log"
  if ! cargo +nightly fuzz run -O "$target" "$corpus" -- "$limit" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $target failed (see fuzz/artifacts/$target)" >&2
    exit 1
  fi
  grep -E "^Done|stat::number_of_executed_units" "$log"
  rm -rf "$corpus" "$log"
done
