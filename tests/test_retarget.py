"""The headline of the hostile-input work, shown on the wire: a dot segment given as a name.

Real `az` processes against the loopback ARM stand-in, which records every request as it arrived
(after the HTTP stack resolved any dot segments). azure-cli's built-in `az aks identity-binding`
(>= 2.89) sends `delete -n ..` as a DELETE of the cluster's own URL; with this extension the same
command line is refused with exit code 2 and the stand-in receives nothing.
"""
import pytest

from standin import SUBSCRIPTION, StandIn
from standin.azcli import AZ, AzState, build_wheel

pytestmark = pytest.mark.subprocess

CLUSTER_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/"
                "managedClusters/cluster1")
BASE = ["-g", "rg1", "--cluster-name", "cluster1"]

# (command line after `az aks identity-binding`, method and path the built-in command sends)
CASES = {
    "delete -n ..": (["delete", *BASE, "-n", "..", "--yes"], "DELETE", CLUSTER_PATH + "/"),
    "delete -n .": (["delete", *BASE, "-n", ".", "--yes"], "DELETE", CLUSTER_PATH + "/identityBindings/"),
    "show -n ..": (["show", *BASE, "-n", ".."], "GET", CLUSTER_PATH + "/"),
    "show --cluster-name ..": (["show", "-g", "rg1", "--cluster-name", "..", "-n", "ib1"], "GET",
                               f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg1/providers/"
                               "Microsoft.ContainerService/identityBindings/ib1"),
}


@pytest.fixture(scope="module")
def arm(tmp_path_factory):
    with StandIn(lifetime=600, state_dir=tmp_path_factory.mktemp("standin"), lro_retry_after=0) as standin:
        yield standin


@pytest.fixture(scope="module")
def states(arm, tmp_path_factory):
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ})")
    work = tmp_path_factory.mktemp("retarget")
    return {"builtin": AzState(work / "builtin", arm).setup(),
            "extension": AzState(work / "extension", arm, build_wheel(work / "wheel")).setup()}


def _sent(arm, tag):
    return [(r["method"], r["path"]) for r in arm.requests() if tag in r["user_agent"]]


@pytest.mark.parametrize("case", CASES)
def test_the_extension_refuses_what_the_builtin_command_sends(arm, states, case):
    args, method, path = CASES[case]
    tag = "ibretarget/" + case.replace(" ", "_")

    ours = states["extension"].az("aks", "identity-binding", *args, env={"AZURE_HTTP_USER_AGENT": tag + "/ours"})
    assert ours.returncode == 2, ours
    assert "cannot be used" in ours.words and "dot segment" in ours.words, ours
    assert "Traceback" not in ours.stderr
    assert _sent(arm, tag + "/ours") == []

    builtin = states["builtin"].az("aks", "identity-binding", *args, env={"AZURE_HTTP_USER_AGENT": tag + "/core"})
    if "identity-binding" in builtin.words and "is misspelled or not recognized" in builtin.words:
        pytest.skip("this azure-cli has no built-in `az aks identity-binding` (before 2.89)")
    # The built-in command re-targets the request: measured, so docs/security.md's claim stays true.
    assert (method, path) in _sent(arm, tag + "/core"), (builtin, arm.requests())
