#!/usr/bin/env bash
# The whole test suite, on SQLite and then on PostgreSQL, with real-browser tests in
# headless Chromium. Installs Chromium/ChromeDriver when missing (as root) and starts a
# throwaway PostgreSQL cluster of its own. Everything is built with the `failpoints` feature,
# which the crash tests (tests/crash) need to stop the real binary at chosen points. Extra
# arguments go to cargo nextest (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing chromium and chromium-driver"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "chromium and chromium-driver are needed for the browser tests: apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi


run_suite() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --profile ci --features failpoints "$@"
  else
    cargo test --features failpoints -- "$@"
  fi
}

echo "==> building the tests"
cargo build --tests --features failpoints --quiet

echo "==> tests on SQLite"
(unset VOXDIAL_TEST_POSTGRES_URL; run_suite "$@")

echo "==> tests on PostgreSQL"
eval "$(scripts/pg-throwaway.sh start)"
trap 'scripts/pg-throwaway.sh stop "$PG_THROWAWAY_DIR"' EXIT
run_suite "$@"
