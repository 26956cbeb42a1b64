#!/usr/bin/env bash
# Fetches the pages' third-party files from the npm registry, at the pinned versions, checks
# each package against the integrity recorded here, and puts its files beside this script.
# Run it to update (change a version and its integrity) or to check that the committed files
# are the registry's (`git diff` shows nothing afterwards). Nothing is fetched at run time: the
# function serves the committed files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# package@version, its tarball's integrity (npm view <package>@<version> dist.integrity), and the
# files taken from it.
fetch() {
  local spec=$1 integrity=$2 dir=$3
  shift 3
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  local tarball="$work/$(echo "${spec%@*}" | tr -d '@' | tr '/' '-')-${spec##*@}.tgz"
  local got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$got" != "$integrity" ]]; then
    echo "$spec: integrity $got, expected $integrity" >&2
    exit 1
  fi
  mkdir -p "$work/$dir" "$here/$dir"
  tar -xzf "$tarball" -C "$work/$dir"
  for file in "$@"; do
    cp "$work/$dir/package/$file" "$here/$dir/$(basename "$file")"
  done
  echo "$spec: $*"
}

fetch swagger-ui-dist@5.35.0 \
  'sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==' \
  swagger-ui-dist swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE
fetch chart.js@4.6.1 \
  'sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g==' \
  chart.js dist/chart.umd.min.js LICENSE.md
