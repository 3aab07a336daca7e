"""The demo (`bash scripts/demo.sh`) end to end, through its driver scripts/demo.py: the wheel built
from this tree is installed into a temporary extension dir (`--wheel`, instead of set-up's .azext,
which this test must not change), and the real az runs every step against the stand-in. ~30 s.
"""
import os
import re
import subprocess
import sys

import pytest

from standin.azcli import AZ, ROOT, build_wheel

sys.path.insert(0, str(ROOT / "scripts"))
import demo  # noqa: E402

pytestmark = pytest.mark.subprocess


def _sections(output):
    """{step number: its text} of the demo's output, split at the `=== N. ... ===` headings."""
    parts = re.split(r"^=== (\d+)\. .*===$", output, flags=re.MULTILINE)
    return {int(number): text for number, text in zip(parts[1::2], parts[2::2])}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ})")
    work = tmp_path_factory.mktemp("demo")
    home = work / "home"  # the demo must leave the user's ~/.azure alone
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--wheel", str(build_wheel(work))],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
    return proc, home


def test_the_demo_runs_every_step_and_exits_0(run):
    proc, home = run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert demo.ALTERED not in proc.stdout
    assert not (home / ".azure").exists()
    steps = _sections(proc.stdout)
    assert sorted(steps) == [1, 2, 3, 4, 5, 6, 7], proc.stdout

    assert "$ az aks identity-binding create -g demo-rg --cluster-name demo-cluster -n demobinding" in steps[1]
    assert "$ az aks identity-binding wait" in steps[1] and '"Succeeded"' in steps[1]
    row = [line.split() for line in steps[2].splitlines() if line.startswith("demobinding ")]
    assert row == [["demobinding", "demo-rg", "demo-cluster", "demo-identity", demo.CLIENT_ID, "Succeeded",
                    f"https://ib.oic.prod-aks.azure.com/{demo.TENANT}/{demo.CLIENT_ID}"]], steps[2]
    assert f'"clientId": "{demo.CLIENT_ID}"' in steps[3]
    assert "kind: ClusterRole\n" in steps[4] and "kind: ClusterRoleBinding\n" in steps[4]
    assert f"name: use-mi-{demo.CLIENT_ID}" in steps[4] and "- use-managed-identity" in steps[4]
    statuses = [line.split()[0] for line in steps[5].splitlines() if re.match(r"(PASS|WARN|FAIL|SKIP) ", line)]
    assert "FAIL" not in statuses and statuses.count("PASS") == 7, steps[5]  # 6 Azure checks + the manifest
    assert re.search(r"was deleted; its federated credential 'aks-identity-binding' .* was deleted", steps[7])
    assert "[exit 0," in steps[7] and "Done in" in steps[7]


def test_the_offline_lint_step_passes_the_sample_and_fails_the_mistake(run):
    proc, _ = run
    offline = _sections(proc.stdout)[6]
    good, bad = offline.split(demo.BAD_MANIFEST, 1)
    assert "[exit 0," in good and "FAIL" not in good, offline
    assert "[exit 1," in bad and "FAIL" in bad and "fix:" in bad, offline


def test_long_command_lines_break_before_an_option_and_keep_its_value():
    line = demo.shell_line(["az", "aks", "identity-binding", "check", "--pod-file", "a b.yaml",
                            "--service-account", "demo/workload", "--client-id", demo.CLIENT_ID], width=60)
    assert line.splitlines() == [
        "$ az aks identity-binding check --pod-file 'a b.yaml' \\",
        "    --service-account demo/workload \\",
        f"    --client-id {demo.CLIENT_ID}"]
