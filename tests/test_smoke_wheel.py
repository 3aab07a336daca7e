"""Smoke tests of the packaged extension: build the wheel, install it the way users do, run `az`.

The in-process tests load the source tree through a symlink (see conftest.py); these check what
actually ships: that the wheel builds, carries its metadata, installs with
`az extension add --source <wheel> --yes`, and that the installed `az aks identity-binding`
commands are ours and fail cleanly without network or login.

`az` is the one next to the Python running pytest, so running this file with another venv's
Python (scripts/min_version_check.sh) tests the extension against that venv's azure-cli.
Every `az` runs as a subprocess in its own throw-away AZURE_CONFIG_DIR / AZURE_EXTENSION_DIR;
nothing here changes os.environ.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from azenv import subprocess_env
from wheelbuild import ROOT, VERSION, WheelBuildError, build_wheel

AZ = Path(sys.executable).parent / ("az.bat" if os.name == "nt" else "az")
AZ_TIMEOUT = 60      # seconds for one az call (they take ~0.5-1.5 s)

# A phrase only our help has (core's group summary is different); matched on normalised spaces
# because az wraps help text to the terminal width.
OUR_GROUP_HELP = "Share one user-assigned managed identity across many AKS clusters"
SUBCOMMANDS = ("create", "show", "list", "delete")


class Installed:
    """The wheel installed into a private extension dir, and a way to run az against it."""

    def __init__(self, wheel, env):
        self.wheel = wheel
        self.env = env

    def az(self, *args, stdin=subprocess.DEVNULL):
        try:
            return subprocess.run([str(AZ), *args], env=self.env, stdin=stdin, capture_output=True,
                                  text=True, timeout=AZ_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as ex:
            pytest.fail(f"`az {' '.join(args)}` did not finish within {AZ_TIMEOUT} s; "
                        f"stderr so far: {ex.stderr!r}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ} is missing); "
                    "run pytest with the Python of an environment that has azure-cli installed")
    state = tmp_path_factory.mktemp("smoke-wheel")
    env = subprocess_env(state)
    try:
        wheel = build_wheel(state, env)
    except WheelBuildError as ex:
        pytest.fail(str(ex))
    assert wheel.name == f"identitybinding-{VERSION}-py3-none-any.whl", wheel.name
    result = Installed(wheel, env)
    proc = result.az("extension", "add", "--source", str(wheel), "--yes")
    assert proc.returncode == 0, f"az extension add failed:\n{proc.stdout}{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return result


def _words(text):
    return " ".join(text.split())


def _section(help_text, title):
    """The lines of a help section ('Commands', 'Examples', ...) up to the next section."""
    lines, inside = [], False
    for line in help_text.splitlines():
        if not line.startswith(" ") and line.strip():
            inside = line.strip().rstrip(":") == title
            continue
        if inside:
            lines.append(line)
    return lines


def _examples(help_text):
    """[(title, text)] of the Examples section; titles sit at 4 spaces, their text at 8."""
    examples = []
    for line in _section(help_text, "Examples"):
        if re.match(r"^ {4}\S", line):
            examples.append([line.strip(), ""])
        elif line.strip() and examples:
            examples[-1][1] += " " + line.strip()
    return [(title, text.strip()) for title, text in examples]


def _assert_clean(proc, expected_rc, *needles):
    """Exit code as expected, a readable message (no stack trace), and the given text in stderr."""
    report = f"rc={proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == expected_rc, report
    assert "Traceback" not in proc.stderr + proc.stdout, report
    assert "unexpected error" not in proc.stderr.lower(), report
    for needle in needles:
        assert needle in _words(proc.stderr), f"{needle!r} not in stderr\n{report}"


@pytest.mark.subprocess
def test_wheel_installs_with_setup_py_version(installed):
    proc = installed.az("extension", "list", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    extensions = {ext["name"]: ext for ext in json.loads(proc.stdout)}
    assert "identitybinding" in extensions, proc.stdout
    ours = extensions["identitybinding"]
    assert ours["version"] == VERSION
    assert ours["extensionType"] == "whl"
    # The metadata file made it into the wheel: az reads the preview flag from it.
    metadata = json.loads((ROOT / "azext_identitybinding" / "azext_metadata.json").read_text())
    assert ours["preview"] == bool(metadata.get("azext.isPreview"))


@pytest.mark.subprocess
def test_group_help_is_ours_and_lists_the_commands(installed):
    proc = installed.az("aks", "identity-binding", "-h")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert OUR_GROUP_HELP in _words(proc.stdout), proc.stdout
    listed = {line.split(":")[0].split()[0] for line in _section(proc.stdout, "Commands") if ":" in line}
    assert set(SUBCOMMANDS) <= listed, proc.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_command_help_has_examples(installed, command):
    proc = installed.az("aks", "identity-binding", command, "-h")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"az aks identity-binding {command} :" in proc.stdout, proc.stdout
    examples = _examples(proc.stdout)
    assert len(examples) >= 2, proc.stdout
    for title, text in examples:
        assert f"az aks identity-binding {command}" in text, (title, text)


@pytest.mark.subprocess
def test_create_rejects_a_guid_as_identity_before_any_request(installed):
    proc = installed.az("aks", "identity-binding", "create", "-g", "rg", "--cluster-name", "c", "-n", "ib",
                        "--managed-identity-resource-id", "00000000-0000-0000-0000-000000000000")
    _assert_clean(proc, 2, "is a GUID")


@pytest.mark.subprocess
def test_delete_without_yes_and_without_a_terminal_refuses(installed):
    proc = installed.az("aks", "identity-binding", "delete", "-g", "rg", "--cluster-name", "c", "-n", "ib",
                        stdin=subprocess.DEVNULL)
    _assert_clean(proc, 1, "--yes")
    assert "add --yes" in proc.stderr.lower(), proc.stderr


@pytest.mark.subprocess
def test_show_without_login_says_to_log_in(installed):
    proc = installed.az("aks", "identity-binding", "show", "-g", "rg", "--cluster-name", "c", "-n", "ib")
    assert proc.returncode != 0, proc.stdout
    _assert_clean(proc, proc.returncode, "az login")


_NO_NETWORK = '''import os, socket
def _refuse(sock, address, *_):
    with open(os.environ["IB_CONNECT_LOG"], "a") as log:
        log.write(repr(address) + "\\n")
    raise OSError("network refused by the test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
'''


@pytest.mark.subprocess
def test_offline_lint_needs_no_login_and_no_network(installed, tmp_path):
    """The CI-gate promise, on what ships: not logged in (a fresh az state), every socket refused."""
    (tmp_path / "guard").mkdir()
    (tmp_path / "guard" / "sitecustomize.py").write_text(_NO_NETWORK)
    log = tmp_path / "connects.log"
    env = {**installed.env, "PYTHONPATH": str(tmp_path / "guard"), "IB_CONNECT_LOG": str(log)}
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: demo, labels: "
                    "{azure.workload.identity/use: 'true'}, annotations: "
                    "{azure.workload.identity/use-identity-binding: 'true'}}\n"
                    "spec: {serviceAccountName: workload, containers: [{name: app, image: x}]}\n")
    bad.write_text(good.read_text().replace("use-identity-binding: 'true'", "use-identity-binding: 'yes'"))

    def az(*args):
        return subprocess.run([str(AZ), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=AZ_TIMEOUT, check=False)
    not_logged_in = az("account", "show")
    assert not_logged_in.returncode != 0 and "az login" in not_logged_in.stderr, not_logged_in.stderr
    log.unlink(missing_ok=True)  # whatever `account show` tried is not the lint's

    passed = az("aks", "identity-binding", "check", "--pod-file", str(good), "--service-account", "demo/workload")
    _assert_clean(passed, 0)
    assert [i["status"] for i in json.loads(passed.stdout)] == ["pass"]
    failed = az("aks", "identity-binding", "check", "--pod-file", str(good), str(bad), "-o", "table")
    _assert_clean(failed, 1, f"1 check(s) failed: pod-file pod/web in {bad}")
    assert "FAIL" in failed.stdout and "use-identity-binding" in failed.stdout
    assert not log.exists(), log.read_text()
