#!/usr/bin/env bash
# The benchmark (docs/PERFORMANCE.md): builds the release binaries, starts a local
# DynamoDB/S3 (moto) and the counting proxy on loopback, and runs every function under the
# project's Lambda Runtime API emulator (infra/bench). It prints, per function, init time (median
# of BENCH_COLD cold starts), first-invocation latency, warm p50/p99 over BENCH_WARM invocations
# and peak RSS, next to the two floors measured in the same run (a hello-world lambda_runtime
# binary and the bare SDK call); the DynamoDB and S3 requests per operation at BENCH_TICKETS and
# BENCH_TICKETS_LARGE tickets; the cost of exporting, moving and erasing a client of BENCH_JOB_TICKETS
# tickets (default 1000); and the arm64 zip size per function (BENCH_ZIP=0 skips that
# build). The report is also written to .local/bench/report.md. BENCH_BUILD=0 measures the
# binaries already in BENCH_BIN_DIR (default target/release) without building. Then the
# reference workload's monthly bill next to a naive layout's (infra/workload.sh, on its own
# stack; BENCH_WORKLOAD_TICKETS tickets replayed, default 50; BENCH_WORKLOAD=0 skips it).
set -euo pipefail
source "$(dirname "$0")/stack.sh"
"$root/infra/venv.sh"
cd "$root"

moto_port=${BENCH_MOTO_PORT:-5405}
runtime_port=${BENCH_PORT:-9505}
proxy_port=${BENCH_PROXY_PORT:-9506}
prefix=tickets-bench

functions=()
for dir in functions/*/; do functions+=("$(basename "$dir")"); done
packages=()
for name in "${functions[@]}" bench-hello; do packages+=(-p "$name"); done

bench="${BENCH_BIN_DIR:-$root/target/release}/bench"
if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
  echo "==> release build (x86_64, for the measurements)"
  cargo build --release --locked --quiet "${packages[@]}" -p tickets-bench
fi

if [[ "${BENCH_BUILD:-1}" != 0 && "${BENCH_ZIP:-1}" != 0 ]]; then
  echo "==> cargo lambda build --release --arm64 --output-format zip (package sizes)"
  cargo lambda build --release --arm64 --locked --output-format zip --lambda-dir target/lambda-arm64 \
    "${packages[@]}" >"$state/bench-zip.log" 2>&1 || { tail -30 "$state/bench-zip.log"; exit 1; }
  export BENCH_ZIP_DIR="$root/target/lambda-arm64"
fi

echo "==> moto on 127.0.0.1:$moto_port, counting proxy on 127.0.0.1:$proxy_port"
# Nothing reads the benchmark's stream: keep a bounded tail of it.
start_moto "$moto_port" --stream-max-records 10000
python "$root/infra/bootstrap.py" "http://127.0.0.1:$moto_port" "$prefix"
start_billing_proxy "$proxy_port" "$moto_port"

echo "==> benchmark (Runtime API emulator on 127.0.0.1:$runtime_port)"
export BENCH_ROOT="$root" BENCH_BIN_DIR="${BENCH_BIN_DIR:-$root/target/release}" BENCH_PORT="$runtime_port"
export BENCH_MOTO="http://127.0.0.1:$moto_port" BENCH_PROXY="http://127.0.0.1:$proxy_port"
export BENCH_REPORT="${BENCH_REPORT:-$state/bench/report.md}"
export TABLE_NAME=$prefix BUCKET_NAME=$prefix-attachments EVENT_BUS_NAME=$prefix-events
export S3_FORCE_PATH_STYLE=true AUTO_CLOSE_AFTER_DAYS=4
# The webhook functions: their queue, and the bench's receiver on loopback.
export WEBHOOK_QUEUE_URL="http://127.0.0.1:$moto_port/123456789012/$prefix-webhooks"
export WEBHOOK_ALLOW_LOOPBACK=true
# The data jobs' queue (erase-client, export-client and the routes that remember a caller queue a job's first step on it; the
# benchmark runs the steps itself, one invocation each).
export DATA_JOB_QUEUE_URL="http://127.0.0.1:$moto_port/123456789012/$prefix-data-jobs"
# The e-mail functions: the desk's address (verified in the local SES by bootstrap), the key
# that signs reply addresses and links, and where links point.
export DESK_ADDRESS=support@desk.example NOTIFY_AGENTS_ADDRESS=agents@desk.example
export MAIL_SIGNING_KEY=local-mail-signing-key-for-the-local-stack-only-0123456789
export PUBLIC_URL=http://127.0.0.1:9000
# What Lambda sets for the template's LoggingConfig (LogFormat: JSON).
export AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=INFO
# Active tracing: every invocation is sampled (the emulator says so) and each AWS call is sent
# as a subsegment to a daemon address (nothing listens: the cost is the function's own).
export AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000
# The template's glibc settings, for the functions and the hello-world floor only (not for the
# benchmark process, which measures the bare SDK call).
export BENCH_GLIBC_TUNABLES="$(function_tunables)"
if [[ "${BENCH_ZIP:-1}" != 0 && -z "${BENCH_ZIP_DIR:-}" && -d "$root/target/lambda-arm64" ]]; then
  export BENCH_ZIP_DIR="$root/target/lambda-arm64"  # from an earlier build
fi
"$bench"

if [[ "${BENCH_WORKLOAD:-1}" != 0 ]]; then
  echo "==> the reference workload (infra/workload.sh)"
  "$root/infra/workload.sh" --tickets "${BENCH_WORKLOAD_TICKETS:-50}" | tee "$state/bench/workload.md"
  { echo; sed -n '/^## Reference workload/,$p' "$state/bench/workload.md"; } >>"$BENCH_REPORT"
fi
