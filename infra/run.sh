#!/usr/bin/env bash
# Runs the whole API locally on http://127.0.0.1:9000 with a local DynamoDB/S3 (moto).
# Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
"$root/infra/venv.sh"
echo "==> building the functions (the first build takes a few minutes)"
(cd "$root" && cargo build --workspace --bins --locked)
start_moto 5005
start_api 9000 5005 support-tickets
echo "==> API on http://127.0.0.1:9000/v2/support-tickets (tokens: see README.md); Ctrl-C stops it"
tail -f "$state/api-9000.log"
