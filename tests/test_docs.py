"""The documents name tests and check items; a rename must not leave them pointing at nothing."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_failure_modes_table_names_tests_and_cases_that_exist():
    table = (ROOT / "docs" / "failure-modes.md").read_text()
    tests = {path.name: path.read_text() for path in (ROOT / "tests").glob("test_*.py")}
    named = re.findall(r"`(?:(tests/test_\w+\.py)::)?(test_\w+)(?:\[([\w-]+)\])?`", table)
    assert len(named) > 20
    for module, name, case in named:
        sources = [tests[Path(module).name]] if module else [tests["test_check.py"]]
        assert any(f"def {name}(" in source for source in sources), f"{name} is not a test"
        if case:
            assert any(f'"{case}"' in source for source in sources), f"{name}[{case}] is not a case"
    for case in re.findall(r"`\[([\w-]+)\]`", table):  # further cases of the test before: `[case]`
        assert f'"{case}"' in tests["test_check.py"], case
