#!/usr/bin/env bash
# Run the whole test suite (in-process playback tests + the installed-wheel smoke tests) against
# the OLDEST azure-cli the extension claims to support: "azext.minCliCoreVersion" in
# azext_identitybinding/azext_metadata.json. If this fails, fix the code or raise the claim.
#
#   bash scripts/min_version_check.sh [VENV_DIR] [extra pytest args...]
#
# VENV_DIR defaults to .venv-min/azure-cli-<min> (gitignored). It is reused while what it should
# contain is unchanged, and rebuilt otherwise. Needs only Python (PYTHON, default python3) and PyPI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"

MIN="$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["azext.minCliCoreVersion"])' \
        azext_identitybinding/azext_metadata.json)"
VENV="${1:-$ROOT/.venv-min/azure-cli-$MIN}"
[ "$#" -gt 0 ] && shift

# What to install next to azure-cli==$MIN. azure-cli's own dependency ranges are loose, so a plain
# `pip install azure-cli==<old>` gets today's releases of everything else; the pins put back what
# that CLI shipped with where it matters:
#  - azure-mgmt-rdbms: 10.2.0b18 dropped modules that old CLIs import ("Error loading command
#    module 'rdbms'" on every full command load); pinned to the CLI's own lower bound.
#  - azure-core, azure-mgmt-core, requests, urllib3 (2.44.0): late-2022 releases, no newer than
#    what the 2.44 installers bundled, so the old azure-core API that azext_identitybinding/arm/
#    relies on is what gets tested (the main environment covers today's).
#  - kubernetes: the extension's one dependency (setup.py), as `az extension add` would install it.
#  - test tools: azure-cli < 2.5x requires packaging<22, which rules out pytest 9 and wheel >= 0.46.
#  - VALIDATORS: the schema tests' validators, the same releases as the main environment (jsonschema
#    is named although kubernetes-validate pulls it in: the SecretProviderClass test imports it
#    itself). Without them those tests fail at import; they never skip.
VALIDATORS=(kubernetes-validate==1.37.0 jsonschema==4.26.0)
case "$MIN" in
  2.44.0)
    PINS=(azure-mgmt-rdbms==10.2.0b5 azure-core==1.24.0 azure-mgmt-core==1.3.2 requests==2.28.1 urllib3==1.26.12
          kubernetes==35.0.0 pytest==8.4.2 vcrpy==9.4.2 PyYAML==6.0.3 hypothesis==6.170.15 wheel==0.45.1
          "${VALIDATORS[@]}") ;;
  2.61.0)
    PINS=(azure-mgmt-rdbms==10.2.0b16
          kubernetes==35.0.0 pytest==9.2.0 vcrpy==9.4.2 PyYAML==6.0.3 hypothesis==6.170.15 wheel==0.48.0
          "${VALIDATORS[@]}") ;;
  *)
    echo "note: no pins recorded for azure-cli $MIN in $0; using whatever pip resolves" >&2
    PINS=(kubernetes==35.0.0 pytest vcrpy PyYAML hypothesis wheel "${VALIDATORS[@]}") ;;
esac

WANT="$(printf '%s\n' "python $("$PY" -c 'import sys; print(sys.version.split()[0])')" "azure-cli==$MIN" "${PINS[@]}")"
if [ ! -x "$VENV/bin/az" ] || [ "$(cat "$VENV/.min-version-check" 2>/dev/null)" != "$WANT" ]; then
  echo "Creating $VENV with azure-cli==$MIN (a few minutes) ..." >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "azure-cli==$MIN" "${PINS[@]}"
  printf '%s' "$WANT" > "$VENV/.min-version-check"
fi

# The CLI under test really is the minimum version.
"$VENV/bin/python" - "$MIN" <<'PYEOF'
import sys
from importlib.metadata import version
found = {name: version(name) for name in ("azure-cli", "azure-cli-core", "azure-core", "azure-mgmt-core",
                                         "kubernetes-validate", "jsonschema")}
assert found["azure-cli-core"] == sys.argv[1], f"expected azure-cli-core {sys.argv[1]}, found {found}"
print("Testing against " + ", ".join(f"{k} {v}" for k, v in found.items()) + f" in {sys.prefix}",
      file=sys.stderr)
PYEOF

# azure-cli < 2.7x asks a web service for suggestions when a command fails. In playback, vcrpy
# refuses that unrecorded request and az reports an "unexpected error"; users are not affected
# (an unreachable service is ignored there). Switch the suggestions off for the tests.
export AZURE_CORE_ERROR_RECOMMENDATION=off

# The smoke tests (tests/test_smoke_wheel.py) use the az next to this venv's python.
bash scripts/wheelhouse.sh "$VENV/bin/python"   # the extension's dependencies, for offline tests
exec "$VENV/bin/python" -m pytest tests -q "$@"
