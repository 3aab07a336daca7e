#!/usr/bin/env bash
# azdev's own pylint checkers, run the way `azdev linter` runs them after its rules (PR mode in
# azure-cli-extensions CI; see azdev/operations/linter/__init__.py, pylint_rules): every plugin module
# in azdev/operations/linter/pylint_checkers loaded with --load-plugins, PYTHONPATH set to that
# folder (and nothing else, as azdev does), the extension rcfile, every other message disabled.
# A finding or a checker crash (an astroid error) makes azdev print "Linter: FAILED": so does this.
#
#   bash scripts/azdev_checkers.sh [PATH...]     # default: azext_identitybinding
#
# Needs the lint virtualenv (scripts/lint.sh makes it; LINT_VENV overrides where it is).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${LINT_VENV:-$ROOT/.venv-lint}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "azdev_checkers: no $VENV; run bash scripts/lint.sh once to make it." >&2
  exit 2
fi
PY="$VENV/bin/python"
# found, not imported: importing azdev.operations.linter fetches a file from GitHub
CHECKERS="$("$PY" -c 'import importlib.util as u, os; print(os.path.join(os.path.dirname(u.find_spec("azdev").origin), "operations", "linter", "pylint_checkers"))')"
CONFIG="$("$PY" -c 'import os, azdev.config as c; print(os.path.dirname(c.__file__))')"
PLUGINS=()
for file in "$CHECKERS"/*.py; do
  name="$(basename "$file" .py)"
  [ "$name" = "__init__" ] || PLUGINS+=("$name")
done
if [ "${#PLUGINS[@]}" -eq 0 ]; then
  echo "azdev_checkers: no checker modules in $CHECKERS; has azdev moved them?" >&2
  exit 2
fi
LOAD="$(IFS=,; echo "${PLUGINS[*]}")"
ENABLE="${LOAD//_/-}"   # azdev enables each checker by its module name with - for _
echo "== azdev linter's pylint checkers ($LOAD) on ${*:-azext_identitybinding}"
PYTHONPATH="$CHECKERS" "$PY" -m pylint --rcfile="$CONFIG/ext_pylintrc" --jobs "$(nproc)" --persistent=n \
  --load-plugins "$LOAD" --disable=all --enable "$ENABLE" "${@:-azext_identitybinding}"
