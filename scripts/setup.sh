#!/usr/bin/env bash
# One-time set-up on a machine with only Python 3.10+: a virtualenv with azure-cli and the test
# tools, and the extension built as a wheel and installed with `az extension add`, exactly as a
# user would install it, into a private extension directory (your own az is left alone).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
if [ ! -x "$VENV/bin/az" ] || ! cmp -s requirements-dev.txt "$VENV/.requirements"; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  cp requirements-dev.txt "$VENV/.requirements"
fi
bash scripts/wheelhouse.sh "$VENV/bin/python"   # the extension's dependencies, for offline tests
rm -rf dist build ./*.egg-info
"$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w dist . >/dev/null
export AZURE_EXTENSION_DIR="$PWD/.azext" AZURE_CONFIG_DIR="$PWD/.azconfig" AZURE_CORE_COLLECT_TELEMETRY=false
rm -rf "$AZURE_EXTENSION_DIR"
"$VENV/bin/az" extension add --source dist/identitybinding-*.whl --yes --only-show-errors
echo "Ready. Use it with:"
echo "  export AZURE_EXTENSION_DIR=$AZURE_EXTENSION_DIR AZURE_CONFIG_DIR=$AZURE_CONFIG_DIR; $VENV/bin/az aks identity-binding -h"
