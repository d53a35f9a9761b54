#!/usr/bin/env bash
# Installs what the tests need beyond Rust. Idempotent; needs root (or sudo) for apt.
# - Go 1.19 and golang.org/x/mod from Debian, for the interoperability test of the
#   transparency log against Go's reference sumdb/note and sumdb/tlog (built offline in GOPATH
#   mode).
# - schemathesis from PyPI (pinned) in target/schemathesis-venv, for the API document's
#   conformance check (scripts/api_conformance.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! { [ -x /usr/lib/go-1.19/bin/go ] && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; }; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-1.19-go golang-golang-x-mod-dev
  # The test build decided Go was missing; make cargo ask again (crates/cli/build.rs).
  touch "$root/crates/cli/build.rs"
fi
SCHEMATHESIS=4.32.5
venv="$root/target/schemathesis-venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS"
fi
