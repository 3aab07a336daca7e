#!/usr/bin/env bash
# Download the extension's own dependencies (setup.py install_requires) into .wheels/, so that the
# tests' `az extension add` can install them with pip from there, without the package index.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
mapfile -t REQS < <("$PY" - <<'PYEOF'
import ast, re
text = open("setup.py", encoding="utf-8").read()
print("\n".join(ast.literal_eval(re.search(r"install_requires=(\[[^\]]*\])", text).group(1))))
PYEOF
)
mkdir -p .wheels
[ "${#REQS[@]}" -eq 0 ] && exit 0
OPTS=(-q --disable-pip-version-check --only-binary=:all: -d .wheels)
# Already complete? Resolving against the wheelhouse alone answers that in about a second, without
# the index (which costs a few seconds, or a failure when offline) and without writing anything.
"$PY" -m pip download "${OPTS[@]}" --no-index --find-links .wheels "${REQS[@]}" >/dev/null 2>&1 && exit 0
"$PY" -m pip download "${OPTS[@]}" "${REQS[@]}"
