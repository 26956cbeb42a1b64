#!/usr/bin/env bash
# The reference workload and its monthly bill (docs/COST.md): starts a local DynamoDB/S3 (moto),
# the counting proxy in front of it (the functions' AWS calls go through it and are priced from
# the real items) and the local API with the relay, replays the workload through the API
# (infra/workload.py) and prints the bill next to a naive layout's. Extra arguments go to
# workload.py (--tickets N, default 100). WORKLOAD_MOTO_PORT / _PROXY_PORT / _API_PORT change the
# ports (default 5111, 5112, 9111).
set -euo pipefail
source "$(dirname "$0")/stack.sh"
"$root/infra/venv.sh"
cd "$root"

moto_port=${WORKLOAD_MOTO_PORT:-5111}
proxy_port=${WORKLOAD_PROXY_PORT:-5112}
api_port=${WORKLOAD_API_PORT:-9111}
prefix=tickets-workload
# The replay adds the hourly auto-close and the service-level job's minutes itself (docs/COST.md);
# the relay leaves them alone. The functions keep the service-level policies a minute, as
# deployed (the local default is 0).
export SCHEDULE_SECONDS=3600 SLA_CHECK_SECONDS=3600 SLA_CACHE_SECONDS=60

echo "==> building the functions"
cargo build --workspace --bins --locked --quiet
start_moto "$moto_port"
start_billing_proxy "$proxy_port" "$moto_port"
FUNCTIONS_ENDPOINT="http://127.0.0.1:$proxy_port" start_api "$api_port" "$moto_port" "$prefix" --ignore-changes

python infra/workload.py "http://127.0.0.1:$api_port" "http://127.0.0.1:$proxy_port" \
  "http://127.0.0.1:$moto_port" "$prefix" "$@"
