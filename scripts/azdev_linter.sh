#!/usr/bin/env bash
# azdev's linter rules on this extension, offline (scripts/azdev_linter.py says how). Not part of
# CI: tests/test_conventions.py checks the same promises there. The rules load the whole CLI, so
# this needs all of azure-cli, in its own virtualenv .venv-azdev (gitignored; ~900 MB, a few
# minutes the first time), reused while the pins and the Python are unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv-azdev"
PINS=(azdev==0.2.13 azure-cli==2.91.0 kubernetes==35.0.0)
# shellcheck source=scripts/pinned_venv.sh
source "$ROOT/scripts/pinned_venv.sh"
pinned_venv "$VENV" "a few minutes" "${PINS[@]}"
exec "$VENV/bin/python" scripts/azdev_linter.py
