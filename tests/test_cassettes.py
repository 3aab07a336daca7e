"""The committed cassettes are exactly what tests/recordings/build_cassettes.py writes.

A hand edit to a generated cassette, or a change to the generator that was not followed by a run
of it, fails here. A cassette the generator does not write (recorded with IB_RECORD=1, or made by
hand) must be named in NOT_GENERATED, so that adding one is a decision, not an accident; a
re-recorded cassette also has to leave the generator's set.
"""
import difflib
import importlib.util

import pytest

from playback import RECORDING, RECORDINGS

# Committed cassettes that build_cassettes.py does not write. None today: every one is generated.
NOT_GENERATED = set()


@pytest.fixture(scope="module")
def generated():
    spec = importlib.util.spec_from_file_location("build_cassettes", RECORDINGS / "build_cassettes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render()


def _committed():
    return {path.stem for path in RECORDINGS.glob("*.yaml")}


def test_only_the_listed_cassettes_are_not_generated(generated):
    assert _committed() - set(generated) == NOT_GENERATED


def test_every_generated_cassette_is_committed(generated):
    assert set(generated) - _committed() == set()
    assert not NOT_GENERATED & set(generated), "a cassette is either generated or listed, not both"


@pytest.mark.skipif(RECORDING, reason="IB_RECORD=1 rewrites the cassettes with real traffic")
def test_committed_cassettes_match_the_generator(generated):
    stale = {}
    for name, text in generated.items():
        path = RECORDINGS / f"{name}.yaml"
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        if committed != text:
            stale[name] = "".join(difflib.unified_diff(
                committed.splitlines(keepends=True), text.splitlines(keepends=True),
                f"committed/{name}.yaml", f"generated/{name}.yaml", n=1))
    assert not stale, ("cassettes differ from build_cassettes.py; run `python tests/recordings/"
                       "build_cassettes.py` (or fix the generator):\n" + "\n".join(
                           diff[:2000] for diff in stale.values()))
