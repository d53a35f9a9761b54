#!/usr/bin/env bash
# Installs what the tests need beyond Rust: Go 1.19 and golang.org/x/mod from Debian, for the
# interoperability test of the transparency log against Go's reference sumdb/note and
# sumdb/tlog (built offline in GOPATH mode). Idempotent; needs root (or sudo) and apt.
set -euo pipefail
if [ -x /usr/lib/go-1.19/bin/go ] && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-1.19-go golang-golang-x-mod-dev
# The test build decided Go was missing; make cargo ask again (crates/cli/build.rs).
touch "$(dirname "$0")/../crates/cli/build.rs"
