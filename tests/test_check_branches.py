"""Every branch of every `check` rule has a scenario that reaches it (docs/failure-modes.md).

The branches are derived from the rule modules' source (tests/branches.py); the table in
docs/failure-modes.md names a test for each. The named tests are run once, in a separate pytest with
tests/branch_plugin.py recording which item() call each one makes, so a row whose test does not reach
its branch (or emit its check) fails here, not only a branch without a row.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from branches import RULE_MODULES, declared

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "failure-modes.md"
ROW = re.compile(r"^\| (\w+) \| `(\w+):(\d+)` \| (pass|warn|fail|skip) \| [^|]+ \| `([^`]+)` \|$", re.M)
TEST_FILES = ("test_check.py", "test_target.py", "test_lint.py")


def _node(ref):
    """A test as the docs name it -> its pytest node id."""
    return ref if ref.startswith("tests/") else f"tests/test_check.py::{ref}"


def branch_table():
    """{(module, function, n, status): node id} from the branch table."""
    rows = {}
    for module, function, n, status, test in ROW.findall(DOC.read_text(encoding="utf-8")):
        key = (module, function, int(n), status)
        assert key not in rows, f"{key} is listed twice"
        rows[key] = _node(test)
    return rows


def problem_table():
    """[(check items, node ids)] of the failure-mode table's rows that name check items and tests."""
    text = DOC.read_text(encoding="utf-8").split("## Every branch of every rule")[0]
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[3].startswith("`"):
            continue
        checks = [c.replace("KIND/NAME", "").replace("…", "").strip() for c in re.findall(r"`([^`]+)`", cells[2])]
        tests, last = [], None
        for module, name, case in re.findall(r"`(?:(tests/test_\w+\.py)::)?(test_\w+)?(?:\[([\w-]+)\])?`", cells[3]):
            if name:
                last = (module or "tests/test_check.py", name)
            if last and Path(last[0]).name in TEST_FILES:
                tests.append(f"{last[0]}::{last[1]}" + (f"[{case}]" if case else ""))
        if checks and tests:
            rows.append((checks, tests))
    return rows


def test_every_branch_of_the_source_is_in_the_table_and_no_other():
    table, source = set(branch_table()), declared()
    assert len(source) > 80 and {b[0] for b in source} == set(RULE_MODULES)
    assert not source - table, f"branches without a scenario in {DOC.name}: {sorted(source - table)}"
    assert not table - source, f"rows for branches that do not exist: {sorted(table - source)}"


def test_every_status_of_every_rule_is_reached():
    statuses = {(b[0], b[3]) for b in declared()}
    assert {s for _, s in statuses} == {"pass", "warn", "fail", "skip"}


@pytest.fixture(scope="module")
def reached(tmp_path_factory):
    """{node id: {"branches": [...], "items": [...]}} of a pytest run of every test the tables name."""
    nodes = sorted(set(branch_table().values()) | {n for _, tests in problem_table() for n in tests})
    report = tmp_path_factory.mktemp("branches") / "reached.json"
    env = {**os.environ, "IB_BRANCH_REPORT": str(report),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "branch_plugin", "-p", "no:cacheprovider",
                           *nodes], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    found = json.loads(report.read_text())
    absent = [n for n in nodes if not any(k == n or k.startswith(n + "[") for k in found)]
    assert not absent, f"named tests that did not run: {absent}"
    return found


def _runs(found, node):
    return [v for k, v in found.items() if k == node or k.startswith(node + "[")]


def test_every_branch_is_reached_by_the_test_its_row_names(reached):
    unreached = [f"{b[1]}:{b[2]} {b[3]} <- {node}" for b, node in sorted(branch_table().items())
                 if not any(list(b) in run["branches"] for run in _runs(reached, node))]
    assert not unreached, "these tests do not reach the branch their row names:\n" + "\n".join(unreached)


def test_every_failure_mode_test_emits_its_check(reached):
    wrong = []
    for checks, tests in problem_table():
        for node in tests:
            emitted = {check for run in _runs(reached, node) for check, _ in run["items"]}
            if not any(e == c or e.startswith(c + " ") for c in checks for e in emitted):
                wrong.append(f"{node} emits none of {checks}")
    assert not wrong, "\n".join(wrong)
