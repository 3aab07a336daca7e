#!/usr/bin/env bash
# Mutation testing of the modules that decide safety (docs/testing.md has the score and every survivor).
#
#   bash scripts/mutation.sh [MODULE...]
#
# MODULE is a path under azext_identitybinding without .py: check/azure_rules check/cluster_rules
# check/target_rules check/workload ids arm/refs fleet pacing rbac (default: all of them, the check rule
# modules first). One module at a time, each within MUTATION_BUDGET seconds (default 900); a module that
# runs out of time keeps what it finished (mutmut resumes where it stopped on the next run), and the
# script says so. MUTATION_JOBS: mutants tested at once (default 1: the machines have 2 CPUs, shared).
#
# mutmut 3.8.1 (pinned, from PyPI) lives in its own virtualenv .venv-mutation (gitignored). The suite's
# packages (azure-cli, kubernetes, vcrpy, hypothesis, the validators) are the ones of the project's
# .venv (scripts/setup.sh makes it), reached through a .pth file rather than installed a second time.
# mutmut works on a copy of the tree in .venv-mutation/work, never in the tree itself. Per module it
# writes .venv-mutation/work/<module>.txt: the mutants' counts and every survivor with its diff.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
BUDGET="${MUTATION_BUDGET:-900}"
JOBS="${MUTATION_JOBS:-1}"
VENV="$ROOT/.venv-mutation"

if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "error: $ROOT/.venv is missing: run 'bash scripts/setup.sh' first (the suite's packages come from it)" >&2
  exit 2
fi
# shellcheck source=scripts/pinned_venv.sh
source "$ROOT/scripts/pinned_venv.sh"
pinned_venv "$VENV" "under a minute" mutmut==3.8.1 pytest==9.2.0
SITE="$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
OWN_SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$SITE" > "$OWN_SITE/identitybinding_suite.pth"

# The tests that can see each module's decisions: in-process playback and unit tests only (the real-az
# suites run the installed wheel, not mutmut's mutated copy). mutmut runs, for each mutant, only those
# of them that executed the mutated function.
tests_for() {
  case "$1" in
    check/azure_rules) echo "tests/test_check_rules.py tests/test_check.py" ;;
    check/cluster_rules) echo "tests/test_check_rules.py tests/test_check.py tests/test_lint.py" ;;
    check/target_rules) echo "tests/test_check_rules.py tests/test_target.py" ;;
    check/workload) echo "tests/test_check_rules.py tests/test_check.py tests/test_lint.py" ;;
    ids) echo "tests/test_bad_input.py tests/test_hostile_properties.py tests/test_commands.py tests/test_fleet.py
               tests/test_target.py tests/test_generate_rbac.py tests/test_managed_by.py tests/test_rbac.py" ;;
    arm/refs) echo "tests/test_bad_input.py tests/test_hostile_properties.py tests/test_commands.py tests/test_fleet.py
                    tests/test_target.py" ;;
    fleet) echo "tests/test_fleet.py tests/test_hostile_properties.py" ;;
    pacing) echo "tests/test_pacing.py tests/test_fleet.py" ;;
    rbac) echo "tests/test_rbac.py tests/test_rbac_properties.py tests/test_generate_rbac.py tests/test_secretstore.py" ;;
    *) return 1 ;;
  esac
}

ALL=(check/azure_rules check/cluster_rules check/target_rules check/workload ids arm/refs fleet pacing rbac)
MODULES=("$@")
[ "${#MODULES[@]}" -gt 0 ] || MODULES=("${ALL[@]}")
for module in "${MODULES[@]}"; do
  tests_for "$module" > /dev/null || { echo "error: unknown module '$module'; one of: ${ALL[*]}" >&2; exit 2; }
done

WORK="$VENV/work"
status=0
for module in "${MODULES[@]}"; do
  name="${module//\//.}"
  dir="$WORK/$name"
  mkdir -p "$dir"
  # The tree as it is now (mutants/, mutmut's results, is kept: it resumes, and redoes changed files).
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$dir" -xf -
  # mutmut 3 never mutates a decorated function, and every `check` rule is registered by the decorator
  # @rule(...). In the copy only, each rule is registered by a call at the end of its module instead
  # (the same registry, in the same order), so that the rules themselves are mutated.
  "$PY" - "$dir/azext_identitybinding/$module.py" <<'PYEOF'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
found = re.findall(r"^@rule\((.*)\)\ndef (\w+)\(", text, flags=re.M)
if found:
    text = re.sub(r"^@rule\(.*\)\n(?=def \w+\()", "", text, flags=re.M)
    text += "\n\n# registered here, not by decorator: see scripts/mutation.sh\n"
    text += "".join(f"rule({args})({name})\n" for args, name in found)
    open(path, "w", encoding="utf-8").write(text)
PYEOF
  {
    echo "[mutmut]"
    echo "source_paths = azext_identitybinding"
    echo "only_mutate = azext_identitybinding/$module.py"
    echo "also_copy ="
    for f in pytest.ini docs examples setup.py README.md HISTORY.rst; do echo "    $f"; done
    echo "pytest_add_cli_args = -p no:cacheprovider -q"
    echo "pytest_add_cli_args_test_selection ="
    for t in $(tests_for "$module"); do echo "    $t"; done
  } > "$dir/setup.cfg"
  # MUTATION_RETEST=1: test again only the mutants that survived the last run (after adding tests).
  names=()
  if [ -n "${MUTATION_RETEST:-}" ] && [ -f "$dir.results" ]; then
    mapfile -t names < <(grep -E ': (survived|timeout)$' "$dir.results" | sed -E 's/^ *([^:]+):.*/\1/')
    [ "${#names[@]}" -gt 0 ] || { echo "== $module: no survivor to test again" >&2; continue; }
  fi
  echo "== $module: mutmut run ${names[*]:+(${#names[@]} survivors again) }(budget ${BUDGET}s, ${JOBS} at a time)" >&2
  ran=0
  (cd "$dir" && timeout "$BUDGET" "$VENV/bin/mutmut" run --max-children "$JOBS" "${names[@]}") || ran=$?
  if [ "$ran" = 124 ]; then
    echo "note: $module ran out of its ${BUDGET}s budget; what finished is kept, run it again to go on" >&2
    status=1
  elif [ "$ran" != 0 ]; then
    echo "error: mutmut failed on $module (exit $ran)" >&2
    status=1
  fi
  # The counts and the survivors, with their diffs.
  (cd "$dir" && "$VENV/bin/mutmut" export-cicd-stats > /dev/null && "$VENV/bin/mutmut" results) > "$dir.results" || true
  {
    echo "# $module"
    [ -f "$dir/mutants/mutmut-cicd-stats.json" ] && cat "$dir/mutants/mutmut-cicd-stats.json" && echo
    while read -r mutant state; do
      echo "## ${mutant%:} ${state}"
      (cd "$dir" && "$VENV/bin/mutmut" show "${mutant%:}" 2>/dev/null | sed -n '2,40p') || true
    done < <(grep -E ': (survived|timeout|no tests|suspicious|skipped)$' "$dir.results" || true)
  } > "$WORK/$name.txt"
  echo "   $(grep -c ': survived$' "$dir.results" || true) survived; details: ${WORK#"$ROOT"/}/$name.txt" >&2
done
exit "$status"
