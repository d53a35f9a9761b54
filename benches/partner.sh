#!/usr/bin/env bash
# Partner benchmarks against `clearline demo` (its Streamflix app), with the partner rate
# limits raised for the run. Usage: benches/partner.sh [MODE] [extra loadgen args], MODE:
#   partner-history (default): the same thread read through the client API and the partner API
#     (e.g. --concurrency 32 --partner-concurrency 128: each API with enough calls in flight to
#     keep the cores busy; both at --concurrency when --partner-concurrency is not given)
#   clicks: tracked-link redirects (/r/{code}) per second
#   soak: 30 minutes of mixed traffic (e.g. --minutes 30 --sends-per-sec 400), a line a minute
set -euo pipefail
cd "$(dirname "$0")/.."
mode=partner-history
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then mode=$1; shift; fi
cargo build --release -q -p clearline-cli -p clearline-loadgen
dir=$(mktemp -d)
out="$dir/demo.out"
# The load generator signs up and in all its people from one address and drives each person
# far harder than anyone could by hand: lift the limits that would (rightly) refuse that.
export CLEARLINE_SIGN_IN__PER_ADDRESS_BURST=1000000 CLEARLINE_SIGN_IN__PER_ADDRESS_PER_MINUTE=1000000 \
  CLEARLINE_SIGN_IN__PER_ADDRESS_CONCURRENT=1024 CLEARLINE_CLIENT__PER_PERSON_BURST=1000000 \
  CLEARLINE_CLIENT__PER_PERSON_PER_SECOND=1000000 CLEARLINE_CLIENT__WEBSOCKETS_PER_PERSON=100000
CLEARLINE_PARTNER__PER_PERSON_PER_MINUTE=1000000000 CLEARLINE_PARTNER__PER_APP_PER_MINUTE=1000000000 \
  CLEARLINE_LOG__FILTER=warn ./target/release/clearline demo --listen 127.0.0.1:0 --data-dir "$dir/data" >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 200); do grep -q '^listening on' "$out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$out")
client_id=$(grep -o 'client_id [^ ]*' "$out" | cut -d' ' -f2)
secret=$(grep -o 'client_secret [^ ]*' "$out" | cut -d' ' -f2)
./target/release/clearline-loadgen --url "$url" --server-pid "$pid" "$mode" \
  --client-id="$client_id" --client-secret="$secret" "$@"
curl -s "$(sed -n 's/^metrics on //p' "$out")" | grep -E '^clearline_store' || true
