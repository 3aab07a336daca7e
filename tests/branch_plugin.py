"""pytest plugin (`-p branch_plugin`, used by tests/test_check_branches.py): writes which rule
branches (tests/branches.py) each test reached to the JSON file named by IB_BRANCH_REPORT."""
import json
import os

import pytest

from branches import recording

_REACHED = {}


@pytest.fixture(autouse=True)
def _record_branches(request):
    hits, items = set(), set()
    with recording(hits, items):
        yield
    _REACHED[request.node.nodeid] = {"branches": sorted(hits), "items": sorted(items)}


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
    with open(os.environ["IB_BRANCH_REPORT"], "w", encoding="utf-8") as out:
        json.dump(_REACHED, out)
