#!/usr/bin/env bash
# One-time set-up on a machine with only Python 3.10+: a virtualenv with azure-cli and the test
# tools, and the extension built as a wheel and installed with `az extension add`, exactly as a
# user would install it, into a private extension directory (your own az is left alone).
# Re-running it is cheap: each step is skipped while what it would produce is already there.
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
export AZURE_EXTENSION_DIR="$PWD/.azext" AZURE_CONFIG_DIR="$PWD/.azconfig" AZURE_CORE_COLLECT_TELEMETRY=false

# What the installed extension was built from: the package, the packaging (setup.py also puts
# README.md and HISTORY.rst into the wheel's metadata), and the Python and requirements it was
# installed with. Building the wheel and `az extension add` take most of a re-run (~15 s), so
# they are skipped while this is unchanged and the installed extension is still there.
FINGERPRINT="$("$VENV/bin/python" - <<'PYEOF'
import hashlib, sys
from pathlib import Path
digest = hashlib.sha256(f"{sys.version}\n".encode())
files = [Path(p) for p in ("setup.py", "setup.cfg", "README.md", "HISTORY.rst", "requirements-dev.txt")]
files += Path("azext_identitybinding").rglob("*")
for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
    digest.update(f"{path.as_posix()}\0".encode() + path.read_bytes() + b"\0")
print(digest.hexdigest())
PYEOF
)"
STAMP="$AZURE_EXTENSION_DIR/.fingerprint"
if [ -d "$AZURE_EXTENSION_DIR/identitybinding/azext_identitybinding" ] &&
   [ "$(cat "$STAMP" 2>/dev/null)" = "$FINGERPRINT" ]; then
  echo "The installed extension is up to date (nothing changed since the last set-up)."
else
  rm -rf dist build ./*.egg-info
  "$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w dist . >/dev/null
  rm -rf "$AZURE_EXTENSION_DIR"
  "$VENV/bin/az" extension add --source dist/identitybinding-*.whl --yes --only-show-errors
  echo "$FINGERPRINT" > "$STAMP"   # written last: an interrupted install is redone next time
fi
echo "Ready. Use it with:"
echo "  export AZURE_EXTENSION_DIR=$AZURE_EXTENSION_DIR AZURE_CONFIG_DIR=$AZURE_CONFIG_DIR; $VENV/bin/az aks identity-binding -h"
