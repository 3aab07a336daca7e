"""Where `az extension add` in the tests finds the extension's dependencies."""
from pathlib import Path

WHEELHOUSE = Path(__file__).resolve().parents[1] / ".wheels"


def offline_pip_env():
    """pip settings that install from the wheelhouse scripts/setup.sh fills, never from the network.
    Without a wheelhouse (tests run without set-up), pip is left to its usual index."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE)} if WHEELHOUSE.is_dir() else {}
