#!/usr/bin/env bash
# How the local stack behaves as the table grows: starts a local DynamoDB/S3 (moto) and the
# local API with the relay on their own loopback ports, runs infra/scale.py (tickets, messages
# and attachments through the API; memory of every local server process and latencies at
# checkpoints; PASS/FAIL targets), and stops what it started. Extra arguments go to scale.py:
#   ./infra/scale.sh --tickets 300 --checkpoints 100,300
#   SCALE_MOTO_PORT / SCALE_API_PORT change the ports (default 5107 and 9107).
set -euo pipefail
source "$(dirname "$0")/stack.sh"
"$root/infra/venv.sh"
cd "$root"

moto_port=${SCALE_MOTO_PORT:-5107}
api_port=${SCALE_API_PORT:-9107}
prefix=tickets-scale

echo "==> building the functions"
cargo build --workspace --bins --locked --quiet
start_moto "$moto_port"
start_api "$api_port" "$moto_port" "$prefix" --ignore-changes

echo "==> filling $prefix through http://127.0.0.1:$api_port"
python infra/scale.py "http://127.0.0.1:$api_port" "http://127.0.0.1:$moto_port" --prefix "$prefix" "$@"
