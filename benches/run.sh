#!/usr/bin/env bash
# Runs one load-generator benchmark against a fresh release server on this machine.
#   benches/run.sh [full|normal] MODE [loadgen options]
# e.g. benches/run.sh full send --users 100 --concurrency 32 --messages 200000
#      benches/run.sh full history --fill 20000 --concurrency 16 --pages 20000
#      benches/run.sh full fanout --pairs 50 --rate 2000 --seconds 10
#      benches/run.sh full idle --connections 10000 --per-user 100
# The server and the load generator share the machine's cores; the load generator runs on a
# single thread. Numbers go to stdout; BENCHMARKS.md records the ones we measured.
set -euo pipefail
cd "$(dirname "$0")/.."
sync_mode=${1:-full}
shift
cargo build --release -q -p clearline-cli -p clearline-loadgen
data=$(mktemp -d)
port=18080
# The load generator signs up and in all its people from one address and drives each person
# far harder than anyone could by hand: lift the limits that would (rightly) refuse that.
export CLEARLINE_SIGN_IN__PER_ADDRESS_BURST=1000000 CLEARLINE_SIGN_IN__PER_ADDRESS_PER_MINUTE=1000000 \
  CLEARLINE_SIGN_IN__PER_ADDRESS_CONCURRENT=1024 CLEARLINE_CLIENT__PER_PERSON_BURST=1000000 \
  CLEARLINE_CLIENT__PER_PERSON_PER_SECOND=1000000 CLEARLINE_CLIENT__WEBSOCKETS_PER_PERSON=100000
CLEARLINE_STORAGE__SYNCHRONOUS=$sync_mode CLEARLINE_LOG__FILTER=warn CLEARLINE_METRICS_LISTEN=127.0.0.1:$((port + 1)) \
  target/release/clearline serve --listen 127.0.0.1:$port --data-dir "$data" > "$data/server.out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
until grep -q "listening on" "$data/server.out" 2>/dev/null; do sleep 0.1; done
ulimit -n "$(ulimit -Hn)"
target/release/clearline-loadgen --url http://127.0.0.1:$port --server-pid $pid "$@"
curl -s http://127.0.0.1:$((port + 1))/metrics | grep -E '^clearline_store' || true
du -sh "$data"
