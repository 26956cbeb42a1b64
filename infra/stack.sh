# Shared by infra/run.sh and infra/test.sh (sourced, not run): starts the local AWS API server
# and the local API, and stops whatever it started when the calling script exits.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
state="$root/.local"
mkdir -p "$state"
export PATH="$venv/bin:$PATH"
# Fixed credentials for the local server; nothing here reaches AWS.
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

started=()
stop_started() {
  local pid
  for pid in "${started[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for pid in "${started[@]}"; do
    kill -9 -- "-$pid" 2>/dev/null || true
  done
}
trap stop_started EXIT

# wait_for URL NAME SECONDS [PID]: polls until the URL answers at all; fails at once if the
# process PID (the server being waited for) has exited.
wait_for() {
  local url=$1 name=$2 seconds=$3 pid=${4:-}
  for _ in $(seq 1 $((seconds * 5))); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited before it answered on $url" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "error: $name did not start on $url within ${seconds}s" >&2
  return 1
}

# ensure_free PORT: refuse to start next to a server left over on the same port.
ensure_free() {
  if curl -s -o /dev/null "http://127.0.0.1:$1/"; then
    echo "error: 127.0.0.1:$1 is already in use (a stack left running?); stop it first" >&2
    return 1
  fi
}

# start_moto PORT [OPTIONS...]: the local AWS API server on 127.0.0.1:PORT (options: see
# infra/moto_server.py).
start_moto() {
  local port=$1
  ensure_free "$port"
  setsid python "$root/infra/moto_server.py" "$port" "${@:2}" >"$state/moto-$port.log" 2>&1 &
  started+=($!)
  wait_for "http://127.0.0.1:$port/moto-api/" "moto" 30
}

# start_billing_proxy PORT MOTO_PORT: the counting proxy on 127.0.0.1:PORT in front of the
# server, pricing every request (infra/local_proxy.py --bill).
start_billing_proxy() {
  local port=$1 moto_port=$2
  ensure_free "$port"
  setsid python "$root/infra/local_proxy.py" "http://127.0.0.1:$moto_port" "$port" --bill \
    >"$state/proxy-$port.log" 2>&1 &
  started+=($!)
  wait_for "http://127.0.0.1:$port/__bench/take" "the counting proxy" 30
}

# The functions' glibc settings, as template.yaml gives them (Globals).
function_tunables() {
  sed -n 's/^ *GLIBC_TUNABLES: *//p' "$root/template.yaml"
}

# seed_fixtures ENDPOINT PREFIX: the data that the fixtures in events/ name (see infra/seed),
# on the resources named after PREFIX; creates only what is missing.
seed_fixtures() {
  local endpoint=$1 prefix=$2
  (cd "$root" && AWS_ENDPOINT_URL="$endpoint" TABLE_NAME="$prefix" BUCKET_NAME="$prefix-attachments" \
      S3_FORCE_PATH_STYLE=true STORAGE_ATTEMPT_TIMEOUT_SECONDS=10 \
      cargo run --quiet --locked -p tickets-seed)
}

# start_api PORT MOTO_PORT PREFIX [WATCH_ARGS...]: every function behind the local router, on
# resources named after PREFIX (see infra/bootstrap.py) and holding the fixtures' data, and the
# relay that feeds the event functions their triggers. FUNCTIONS_ENDPOINT, when set, is where
# the functions send their AWS calls instead of the server (the counting proxy in front of it).
# PUBLIC_URL, the base of the links the notifications carry, is the local API's own address.
start_api() {
  local port=$1 moto_port=$2 prefix=$3
  ensure_free "$port"
  cat >"$state/api-$port.env" <<ENV
AWS_ENDPOINT_URL=${FUNCTIONS_ENDPOINT:-http://127.0.0.1:$moto_port}
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
AWS_REGION=us-east-1
TABLE_NAME=$prefix
LIST_SHARDS=${LIST_SHARDS:-1}
BUCKET_NAME=$prefix-attachments
EVENT_BUS_NAME=$prefix-events
S3_FORCE_PATH_STYLE=true
AUTO_CLOSE_AFTER_DAYS=4
SLA_CACHE_SECONDS=${SLA_CACHE_SECONDS:-0}
WEBHOOK_ALLOW_LOOPBACK=true
WEBHOOK_RETRY_SECONDS=${WEBHOOK_RETRY_SECONDS:-1,2,4}
PUBLIC_URL=http://127.0.0.1:$port
RUST_LOG=info
AWS_LAMBDA_LOG_FORMAT=JSON
STORAGE_ATTEMPT_TIMEOUT_SECONDS=10
GLIBC_TUNABLES="$(function_tunables)"
ENV
  # The pool's keys, issuer and audience (the functions verify tokens as API Gateway would),
  # the queues' addresses and the mail settings.
  python "$root/infra/bootstrap.py" "http://127.0.0.1:$moto_port" "$prefix" \
      --function-env "$state/api-$port.env"
  seed_fixtures "http://127.0.0.1:$moto_port" "$prefix"
  # exec keeps $! the watcher's own pid, the leader of the process group stopped on exit.
  (cd "$root" && exec setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" \
      --env-file "$state/api-$port.env" "${@:4}" >"$state/api-$port.log" 2>&1) &
  started+=($!)
  if ! wait_for "http://127.0.0.1:$port/" "cargo lambda watch" 600 "$!"; then
    tail -20 "$state/api-$port.log" >&2
    return 1
  fi
  setsid python "$root/infra/relay.py" "http://127.0.0.1:$moto_port" "http://127.0.0.1:$port" "$prefix" \
      >"$state/relay-$port.log" 2>&1 &
  started+=($!)
}
