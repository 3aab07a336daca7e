"""Refused arguments: a clear message, exit code 2, and not a single request sent.

Each case runs against the cassette `no_requests`, which has no interactions: any request would
fail playback, and the transport spy must also have seen nothing.
"""
import pytest

from playback import CLUSTER, IDENTITY_ID, RG, run

NAME = "identitybinding1"
LONG = "a" * 64
ID_PREFIX = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"

CASES = [
    # (command arguments after `az aks identity-binding`, text the error must contain)
    (["show", "-g", RG, "--cluster-name", CLUSTER, "-n", ""], "identity binding name must not be empty"),
    (["show", "-g", RG, "--cluster-name", CLUSTER, "-n", LONG], "the limit is 63"),
    (["show", "-g", RG, "--cluster-name", CLUSTER, "-n", "a/b"], "contains '/'"),
    (["show", "-g", RG, "--cluster-name", "", "-n", NAME], "cluster name must not be empty"),
    (["show", "-g", RG, "--cluster-name", LONG, "-n", NAME], "the limit is 63"),
    (["list", "-g", RG, "--cluster-name", "c?x"], "contains '?'"),
    (["show", "-g", "", "--cluster-name", CLUSTER, "-n", NAME], "resource group name must not be empty"),
    (["show", "-g", "r" * 91, "--cluster-name", CLUSTER, "-n", NAME], "the limit is 90"),
    (["show", "-g", "rg.", "--cluster-name", CLUSTER, "-n", NAME], "not ending in '.'"),
    (["delete", "-g", RG, "--cluster-name", CLUSTER, "-n", "", "--yes"], "must not be empty"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id", ""],
     "must not be empty"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id",
      "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"], "is a GUID (a client or object id), not a resource id"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id", "identity1"],
     "is not a resource id"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id",
      ID_PREFIX + "Microsoft.ContainerService/managedClusters/c1"],
     "is not the resource id of a user-assigned managed identity"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id",
      ID_PREFIX + "Microsoft.ManagedIdentity/userAssignedIdentities/id1/federatedIdentityCredentials/f"],
     "is not the resource id of a user-assigned managed identity"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id",
      IDENTITY_ID.replace("00000000-0000-0000-0000-000000000000", "my-subscription")], "is not a GUID"),
    (["create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME, "--managed-identity-resource-id",
      IDENTITY_ID.replace("identity-rg", "bad rg")], "contains ' '"),
]


@pytest.mark.parametrize("args, message", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_refused_before_any_request(args, message):
    r = run("no_requests", "aks", "identity-binding", *args)
    assert r.exit_code == 2, r
    assert message in r.err, r
    assert "ERROR: argument" in r.err  # names the flag
    assert r.requests == []
    assert "Traceback" not in r.err


def test_missing_required_argument_is_exit_2():
    r = run("no_requests", "aks", "identity-binding", "create", "-g", RG, "--cluster-name", CLUSTER, "-n", NAME)
    assert r.exit_code == 2, r
    assert "--managed-identity-resource-id" in r.err
    assert r.requests == []


@pytest.mark.parametrize("identity_id, canonical", [
    # casing of the fixed segments, '//' and a trailing '/' are normalised; names keep their casing
    (IDENTITY_ID.replace("resourceGroups", "resourcegroups").replace("Microsoft.ManagedIdentity",
                                                                     "microsoft.managedidentity"), IDENTITY_ID),
    ("/" + IDENTITY_ID.replace("/providers/", "//providers/") + "/", IDENTITY_ID),
    (IDENTITY_ID.replace("identity-rg", "My_RG.(prod)-1"), IDENTITY_ID.replace("identity-rg", "My_RG.(prod)-1")),
    (IDENTITY_ID.replace("identity-rg", "grüppe"), IDENTITY_ID.replace("identity-rg", "grüppe")),
])
def test_valid_identity_ids_pass_validation(identity_id, canonical):
    from azext_identitybinding._validators import identity_resource_id
    assert identity_resource_id(f"  {identity_id}  ") == canonical
