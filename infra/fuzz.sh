#!/usr/bin/env bash
# A long fuzz of the local API against docs/openapi.yaml: starts a local DynamoDB/S3 (moto) and
# the local API on their own loopback ports, runs only tests/fuzz with FUZZ_EXAMPLES random
# cases per operation and role (default 500; ./infra/test.sh runs 25), and stops what it
# started. Extra arguments go to pytest, e.g. `./infra/fuzz.sh -k admin -x`.
#   FUZZ_EXAMPLES=2000 ./infra/fuzz.sh
#   FUZZ_MOTO_PORT / FUZZ_API_PORT change the ports (default 5106 and 9106).
set -euo pipefail
source "$(dirname "$0")/stack.sh"
"$root/infra/venv.sh"
cd "$root"

moto_port=${FUZZ_MOTO_PORT:-5106}
api_port=${FUZZ_API_PORT:-9106}
export FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-500}

echo "==> building the functions"
cargo build --workspace --bins --locked --quiet
start_moto "$moto_port"
start_api "$api_port" "$moto_port" tickets-fuzz --ignore-changes

echo "==> fuzzing http://127.0.0.1:$api_port with $FUZZ_EXAMPLES examples per operation and role"
export API_URL="http://127.0.0.1:$api_port" MOTO_ENDPOINT="http://127.0.0.1:$moto_port" STACK_PREFIX=tickets-fuzz
python -m pytest tests/fuzz -q -p no:cacheprovider "$@"
