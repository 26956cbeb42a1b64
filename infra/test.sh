#!/usr/bin/env bash
# Runs every test, from a fresh clone: installs the pinned Python tools, checks formatting and
# lints, starts a local DynamoDB/S3 (moto) and the local API (cargo lambda watch) on their own
# loopback ports, runs the Rust tests (unit, storage, handler) and the Python tests (end-to-end
# over HTTP, a bounded fuzz against docs/openapi.yaml (FUZZ_EXAMPLES, default 25), template and
# OpenAPI checks), builds the template with `sam build` (release, arm64; beside the end-to-end
# tests) and checks what it built, and stops what it started. ./infra/fuzz.sh runs a longer
# fuzz alone.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
"$root/infra/venv.sh"
cd "$root"

# A one-shot build gains nothing from incremental caches, which would take gigabytes of disk.
export CARGO_INCREMENTAL=0

# The pages' tests drive Debian's chromium (Playwright cannot download its own here): installed
# in the background while Rust builds, waited for before the end-to-end tests.
chromium_pid=""
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium (Debian's package) in the background"
  sudo=""
  [[ $(id -u) == 0 ]] || sudo="sudo"
  ( $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      --no-install-recommends chromium ) >"$state/chromium-install.log" 2>&1 &
  chromium_pid=$!
fi

moto_port=5105
api_port=9105
# The hourly schedule is invoked directly by the tests, not by the relay's clock.
export SCHEDULE_SECONDS=3600

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked --quiet -- -D warnings

start_moto "$moto_port"
export MOTO_ENDPOINT="http://127.0.0.1:$moto_port"

echo "==> Rust tests: domain units, storage against moto, handlers in-process"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # The test binaries (each links the SDK: a hundred of them take gigabytes) are not needed
  # again; removing them leaves the disk for the release build below.
  cargo nextest list --workspace --locked --list-type binaries-only --message-format json \
    | python -c 'import json, os, sys
paths = [b["binary-path"] for b in json.load(sys.stdin)["rust-binaries"].values()]
freed = sum(os.path.getsize(p) for p in paths if os.path.exists(p))
for p in paths:
    if os.path.exists(p):
        os.remove(p)
print(f"    removed {len(paths)} test binaries ({freed / 1e9:.1f} GB)")'
else
  cargo test --workspace --locked --no-fail-fast
fi

echo "==> local API (cargo lambda watch) on 127.0.0.1:$api_port"
cargo build --workspace --bins --locked --quiet  # so the first request does not wait for a build
start_api "$api_port" "$moto_port" tickets-e2e --ignore-changes

# `sam build` (release, arm64: minutes of compiling) runs beside the end-to-end tests, which
# mostly wait (for the relay, the schedules, the webhook retries), at the lowest priority so
# that the local API answers first; the template checks that read what it built run after it.
echo "==> sam build in the background: every function of template.yaml, release, arm64 (the Makefile, shared target/)"
# rust-toolchain.toml lists the arm64 target; an older rustup does not add it by itself.
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1
sam_started=$SECONDS
# SAM calls the Makefile once per function; the first call builds them all in one cargo call
# (both cores link side by side), the others copy what it built. samconfig.toml: in source.
# The check is that the template builds every function for arm64; the release profile's
# optimisation (one LTO link per function, and the optimiser's passes over the SDK crates: most
# of the build's time) is left to deployments and to ./infra/bench.sh, which measures what it
# gives (docs/PERFORMANCE.md).
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
  nice -n 19 sam build --template template.yaml >"$state/sam-build.log" 2>&1 &
sam_pid=$!

if [[ -n $chromium_pid ]] && ! wait "$chromium_pid"; then
  tail -20 "$state/chromium-install.log"
  echo "chromium could not be installed" >&2
  exit 1
fi

echo "==> end-to-end tests (the pages' in chromium) and fuzzing over HTTP"
export API_URL="http://127.0.0.1:$api_port"
e2e_status=0
python -m pytest tests/e2e tests/fuzz -q -p no:cacheprovider || e2e_status=$?

echo "==> waiting for sam build"
sam_status=0
wait "$sam_pid" || sam_status=$?
if [[ $sam_status != 0 ]]; then
  tail -40 "$state/sam-build.log"
  exit 1
fi
echo "    built in $((SECONDS - sam_started)) s (beside the end-to-end tests)"
export SAM_BUILD_DIR="$root/.aws-sam/build"

echo "==> template, OpenAPI and infrastructure checks"
python -m pytest tests/infra -q -p no:cacheprovider
exit "$e2e_status"
