"""How the tests run az: a private state, quiet settings, and pip kept off the network."""
import os
from pathlib import Path

WHEELHOUSE = Path(__file__).resolve().parents[1] / ".wheels"

# az settings for every test run, in-process or as a subprocess.
AZ_SETTINGS = {
    "AZURE_CORE_COLLECT_TELEMETRY": "false",
    "AZURE_CORE_NO_COLOR": "true",
    "AZURE_CORE_SURVEY_MESSAGE": "false",
    "AZURE_CORE_DISABLE_PROGRESS_BAR": "true",
    # azure-cli < 2.9x asks a web service for suggestions after argument errors: not under test.
    "AZURE_CORE_ERROR_RECOMMENDATION": "off",
}


def az_state_env(state_dir):
    """A fresh az configuration and extension directory under state_dir, with AZ_SETTINGS."""
    state_dir = Path(state_dir)
    return {"AZURE_CONFIG_DIR": str(state_dir / "config"), "AZURE_EXTENSION_DIR": str(state_dir / "extensions"),
            **AZ_SETTINGS}


def pip_env():
    """For `az extension add`, which runs pip: never prompt, and install the extension's
    dependencies from the wheelhouse scripts/setup.sh fills, not from the network. Without a
    wheelhouse (tests run without set-up), pip is left to its usual index."""
    env = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    if WHEELHOUSE.is_dir():
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE)})
    return env


def subprocess_env(state_dir):
    """The environment of an az (or pip) subprocess: the caller's without any AZURE_* setting (of
    the user or of conftest), plus a fresh az state under state_dir and pip_env()."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AZURE_")}
    env.update(az_state_env(state_dir))
    env.update(pip_env())
    env["PYTHONIOENCODING"] = "utf-8"
    return env
