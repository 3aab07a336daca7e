#!/usr/bin/env bash
# Style checks as `azdev style` runs them on an extension: pylint with azdev's ext_pylintrc on the
# package, flake8 with azdev's ext.flake8 on the package, the tests, the benchmark and (beyond what
# azdev lints, which skips scripts/ and docs/) our scripts, then azdev linter's own pylint checkers
# (scripts/azdev_checkers.sh). Exits non-zero on any finding.
#
#   bash scripts/lint.sh
#
# azdev lives in its own virtualenv, .venv-lint (gitignored), never in .venv. It is reused while
# the pins below and the Python are unchanged, and rebuilt otherwise. Needs only Python and PyPI.
# azdev's linter rules (`azdev linter`): tests/test_conventions.py, and scripts/azdev_linter.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv-lint"

# azdev allows any pylint 4 and any flake8: pinned, so that a new release cannot fail CI overnight.
# pylint imports what it checks: the package needs azure-cli-core (azure.cli.core, azure.core,
# azure.mgmt.core), not the whole azure-cli, and kubernetes. Same versions as requirements-dev.txt.
PINS=(azdev==0.2.13 pylint==4.1.4 flake8==7.5.0 azure-cli-core==2.91.0 kubernetes==35.0.0)
# shellcheck source=scripts/pinned_venv.sh
source "$ROOT/scripts/pinned_venv.sh"
pinned_venv "$VENV" "about a minute" "${PINS[@]}"
CONFIG="$("$VENV/bin/python" -c 'import os, azdev.config as c; print(os.path.dirname(c.__file__))')"

status=0
echo "== pylint --rcfile=$CONFIG/ext_pylintrc azext_identitybinding"
# --fail-on: non-zero for any message, whatever the score; --persistent=n: no score history in ~/.cache
"$VENV/bin/python" -m pylint --rcfile="$CONFIG/ext_pylintrc" --fail-on=C,R,W,E,F --persistent=n \
  --jobs "$(nproc)" azext_identitybinding || status=1
echo "== flake8 --append-config=$CONFIG/ext.flake8 azext_identitybinding tests bench scripts setup.py"
"$VENV/bin/python" -m flake8 --statistics --append-config="$CONFIG/ext.flake8" \
  azext_identitybinding tests bench scripts setup.py || status=1
# `azdev linter` (PR mode, as azure-cli-extensions CI runs it) ends with azdev's own pylint checkers;
# one crashing on our code fails that CI as surely as a finding does.
LINT_VENV="$VENV" bash "$ROOT/scripts/azdev_checkers.sh" azext_identitybinding || status=1

if [ "$status" -eq 0 ]; then
  echo "lint: OK, pylint, flake8 and azdev's pylint checkers found nothing."
else
  cat >&2 <<'EOF'
lint: FAILED. Each finding above is FILE:LINE:COLUMN: CODE message.
  azdev's checkers: a finding (E5001 show-command) or a crash (astroid error, with a traceback);
  either would fail `azdev linter` in azure-cli-extensions CI. Change the call's shape.
  pylint: the code's name is in brackets; `.venv-lint/bin/pylint --help-msg=NAME` explains it.
  flake8: E/W are pycodestyle, F pyflakes; the counts per code close its list.
Fix the code. Only where a rule cannot apply, disable it on that line with
`# pylint: disable=NAME` (or `# noqa: CODE`) and a comment that says why.
EOF
fi
exit "$status"
