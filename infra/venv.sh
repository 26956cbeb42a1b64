#!/usr/bin/env bash
# Creates ./.venv and installs the pinned Python tools (infra/requirements.txt) into it.
# Re-installs only when the requirements file changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/infra/requirements.txt" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "==> installing Python tools into .venv (moto, cargo-lambda, cfn-lint, aws-sam-cli, pytest, schemathesis)"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/infra/requirements.txt"
echo "$want" > "$stamp"
