"""Regions and clouds that do not offer our api-versions, against the stand-in: the installed extension,
run as real `az` processes, where the stand-in offers (a) no preview of identity bindings, or (b) only the
first GA version (2026-04-01, and managed clusters no newer GA than that). Every command core has works
as core's does, saying which version it fell back to; what needs the preview fails with exit 1 naming
what the region offers, and changes nothing.
"""
import json

import pytest

from standin import SUBSCRIPTION, StandIn
from standin.azcli import AZ, AzState, build_wheel

pytestmark = pytest.mark.subprocess

GA = ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01"]
REGIONS = {"no-preview": GA, "lagging-cloud": ["2026-04-01"]}
IDENTITY = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/identity-rg/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/identity1")
ITEM = ["-g", "rg1", "--cluster-name", "cluster1", "-n", "regionib"]


@pytest.fixture(scope="module")
def arm(tmp_path_factory):
    with StandIn(lifetime=900, state_dir=tmp_path_factory.mktemp("standin"), lro_retry_after=0) as standin:
        yield standin


@pytest.fixture(scope="module")
def az_state(arm, tmp_path_factory):
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ})")
    work = tmp_path_factory.mktemp("regions")
    return AzState(work / "az", arm, build_wheel(work / "wheel")).setup()


def az(az_state, *args):
    result = az_state.az("aks", "identity-binding", *args, timeout=120)
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result
    return result


def versions_seen(arm, route_names=("binding", "bindings")):
    return {r["query"].get("api-version") for r in arm.requests() if r["route"] in route_names}


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_every_core_command_works_and_says_which_version_it_used(arm, az_state, region):
    offered = REGIONS[region]
    arm.reset(seed=True)
    arm.configure(offered_api_versions=offered)
    fallback_said = "does not offer api-version 2026-06-01" if region == "lagging-cloud" else None

    created = az(az_state, *["create", *ITEM, "--managed-identity-resource-id", IDENTITY, "-o", "json"])
    assert created.returncode == 0, created
    assert created.json()["properties"]["provisioningState"] == "Succeeded", created
    assert arm.binding("rg1", "cluster1", "regionib") is not None
    if fallback_said:
        assert created.stderr.count(fallback_said) == 1 and "using 2026-04-01" in created.stderr, created

    shown = az(az_state, "show", *ITEM, "-o", "json")
    assert shown.returncode == 0 and shown.json()["name"] == "regionib", shown
    listed = az(az_state, "list", "-g", "rg1", "--cluster-name", "cluster1", "-o", "json")
    assert listed.returncode == 0 and "regionib" in [b["name"] for b in listed.json()], listed
    # the fleet view over one subscription: managed clusters listed, then each cluster's bindings
    fleet = az(az_state, "list", "--managed-identity-resource-id", IDENTITY, "-o", "json")
    assert fleet.returncode == 0 and "regionib" in [b["name"] for b in fleet.json()], fleet
    rbac = az(az_state, "generate-rbac", *ITEM, "--service-account", "demo/app", "-o", "json")
    assert rbac.returncode == 0 and rbac.json()["kind"] == "List", rbac

    deleted = az(az_state, "delete", *ITEM, "--yes")
    assert deleted.returncode == 0, deleted
    assert "Could not check whether AKS Fleet Manager manages" in deleted.stderr, deleted
    assert ", ".join(offered) in deleted.stderr, deleted
    assert arm.binding("rg1", "cluster1", "regionib") is None

    sent = versions_seen(arm)
    assert "2026-08-02-preview" in sent  # tried once per command that reads managedBy, and refused
    assert sent - {"2026-08-02-preview", "2026-06-01"} <= set(offered), sent


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_what_needs_the_preview_fails_naming_what_the_region_offers(arm, az_state, region):
    offered = REGIONS[region]
    arm.reset(seed=True)
    arm.world.add_binding("rg1", "cluster1", "regionib", IDENTITY)
    arm.configure(offered_api_versions=offered)
    before = json.dumps(arm.binding("rg1", "cluster1", "regionib"), sort_keys=True)

    shown = az(az_state, "show", *ITEM, "--show-managed-by")
    assert shown.returncode == 1, shown
    assert "managedBy" in shown.stderr and f"offers {', '.join(offered)}" in shown.stderr, shown

    updated = az(az_state, "update", *ITEM, "--allow-namespace", "team-a")
    assert updated.returncode == 1, updated
    assert "allowedSubjects" in updated.stderr, updated
    assert not [r for r in arm.requests() if r["method"] == "PUT"]
    assert json.dumps(arm.binding("rg1", "cluster1", "regionib"), sort_keys=True) == before
