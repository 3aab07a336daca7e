"""`check`'s rules as pure functions of the facts: exact items (status, detail, fix) per branch.

The scenarios in tests/test_check.py play each branch through az and a cassette; these build the same
facts in Python (the resources from tests/recordings/build_cassettes.py, so their shapes are the
cassettes') and pin every word of what each branch says, including the cases a cassette cannot
easily hold (a binding without provisioningState). Fast, so the mutation run (scripts/mutation.sh)
leans on them.
"""
import copy
import importlib.util

import pytest

from azext_identitybinding.check import azure_rules, cluster_rules, evaluate
from azext_identitybinding.check.facts import Access, Facts, Got, Target
from playback import CLUSTER, IDENTITY_ID, RECORDINGS, RG, TENANT

_SPEC = importlib.util.spec_from_file_location("build_cassettes", RECORDINGS / "build_cassettes.py")
B = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(B)

CLIENT_ID, OBJECT_ID = B.CLIENT_ID, B.OBJECT_ID
OTHER_TENANT = "22222222-2222-2222-2222-222222222222"
SHOW = f"az aks identity-binding show -g {RG} --cluster-name {CLUSTER} -n identitybinding1"
CREATE = (f"az aks identity-binding create -g {RG} --cluster-name {CLUSTER} -n identitybinding1 "
          f"--managed-identity-resource-id {IDENTITY_ID}")
DELETE = f"az aks identity-binding delete -g {RG} --cluster-name {CLUSTER} -n identitybinding1 --yes"
UPDATE = f"az aks update -g {RG} -n {CLUSTER}"
RBAC = (f"az aks identity-binding generate-rbac -g {RG} --cluster-name {CLUSTER} -n identitybinding1 "
        "--service-account demo/workload -o yaml | kubectl apply -f -")


def green(**changes):
    """The facts of the all-green cassette, with some replaced."""
    def listed(kind, items):
        return Got(B.kube_list(kind, "v1", items))
    facts = dict(
        cluster=Got(B.managed_cluster()), binding=Got(B.binding()), identity=Got(copy.deepcopy(B.IDENTITY)),
        fics=Got([B.OTHER_FIC, B.FIC]), kube=Access(context="cluster1", server=B.KUBE),
        sa=Got(B.service_account()), sar=Got({"status": {"allowed": True, "reason": "RBAC: allowed"}}),
        crbs=listed("ClusterRoleBindingList", B.SYSTEM_BINDINGS + [B.role_binding(B.CRB_NAME, B.CRB_NAME,
                                                                                  [B.SA_SUBJECT])]),
        crs=listed("ClusterRoleList", B.SYSTEM_ROLES + [B.cluster_role(B.CRB_NAME, [B.GOOD_RULE])]),
        webhook=listed("DeploymentList", [B.webhook_deployment()]), webhook_config=Got(B.WEBHOOK_CONFIG),
        root_ca=Got(B.ROOT_CA_MAP), pods=listed("PodList", [B.pod()]))
    facts.update(changes)
    return Facts(Target(RG, CLUSTER, "demo/workload", binding_name="identitybinding1"), **facts)


def one(rule, facts):
    [found] = rule(facts)
    return found["status"], found["detail"], found["fix"]


def test_all_green_passes_with_these_words():
    items = {i["check"]: (i["status"], i["detail"]) for i in evaluate(green())}
    assert items["cluster"] == ("pass", "cluster 'cluster1' (eastus2, Kubernetes 1.34.1)")
    assert items["binding"] == ("pass", f"binding 'identitybinding1' binds client id {CLIENT_ID}, state Succeeded")
    assert items["identity"] == ("pass", f"identity 'identity1' exists (client id {CLIENT_ID})")
    assert items["workload-identity"] == ("pass", "workload identity and the OIDC issuer are enabled")
    assert items["webhook"] == ("pass", "azure-wi-webhook-controller-manager runs "
                                        f"{B.WEBHOOK_IMAGE} (2 ready)")
    assert items["sa-tenant-id"] == ("pass", f"annotation azure.workload.identity/tenant-id is {TENANT}")
    assert {s for s, _ in items.values()} == {"pass"}


# -- the binding ------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["Creating", "Updating", "creating"])
def test_binding_in_progress_is_a_warning_naming_it(state):
    assert one(azure_rules.check_binding, green(binding=Got(B.binding(state=state)))) == (
        "warn", f"binding 'identitybinding1' is {state}: tokens work once it is Succeeded", SHOW)


@pytest.mark.parametrize("state, shown", [("Failed", "Failed"), ("Canceled", "Canceled"), ("", "unknown"),
                                          (None, "unknown")])
def test_binding_in_any_other_state_fails(state, shown):
    binding = B.binding()
    if state is None:
        del binding["properties"]["provisioningState"]  # a service that leaves it out
    else:
        binding["properties"]["provisioningState"] = state
    assert one(azure_rules.check_binding, green(binding=Got(binding))) == (
        "fail", f"binding 'identitybinding1' is in state {shown}", CREATE)


def test_binding_states_are_compared_without_case():
    assert one(azure_rules.check_binding, green(binding=Got(B.binding(state="SUCCEEDED"))))[0] == "pass"


# -- the cluster -------------------------------------------------------------------------------------

@pytest.mark.parametrize("wi, oidc, off", [(False, True, "workload identity"), (True, False, "the OIDC issuer"),
                                           (False, False, "workload identity and the OIDC issuer")])
def test_workload_identity_needs_both(wi, oidc, off):
    cluster = B.managed_cluster(workload_identity=wi, oidc_issuer=oidc)
    assert one(azure_rules.check_workload_identity, green(cluster=Got(cluster))) == (
        "fail", f"{off} not enabled on the cluster: no webhook mutates pods",
        f"{UPDATE} --enable-oidc-issuer --enable-workload-identity")


def test_missing_cluster_fails_with_the_listing():
    assert one(azure_rules.check_cluster, green(cluster=Got(error="nope", missing=True))) == (
        "fail", f"cluster '{CLUSTER}' was not found in resource group '{RG}'", f"az aks list -g {RG} -o table")
    assert one(azure_rules.check_cluster, green(cluster=Got(error="denied"))) == (
        "skip", f"cluster '{CLUSTER}' could not be read: denied", "")


def test_kubernetes_version_falls_back_to_the_requested_one():
    cluster = B.managed_cluster()
    del cluster["properties"]["currentKubernetesVersion"]
    assert one(azure_rules.check_cluster, green(cluster=Got(cluster)))[1] == (
        f"cluster '{CLUSTER}' (eastus2, Kubernetes 1.34)")


# -- the identity ------------------------------------------------------------------------------------

def test_identity_recreated_fails_with_delete_and_create():
    identity = copy.deepcopy(B.IDENTITY)
    identity["properties"]["clientId"] = "C4D5E6F7-0A1B-4C2D-8E3F-4A5B6C7D8E9F"
    assert one(azure_rules.check_identity, green(identity=Got(identity))) == (
        "fail", f"the identity's client id is now c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f, but the binding holds "
                f"{CLIENT_ID}: the identity was deleted and re-created", f"{DELETE} && {CREATE}")


def test_identity_client_id_in_other_case_is_the_same_identity():
    identity = copy.deepcopy(B.IDENTITY)
    identity["properties"]["clientId"] = CLIENT_ID.upper()
    assert one(azure_rules.check_identity, green(identity=Got(identity)))[0] == "pass"


def test_identity_missing_without_a_binding_says_to_list_identities():
    facts = green(binding=Got(error="gone", missing=True), identity=Got(error="gone", missing=True))
    facts.target.identity_id = IDENTITY_ID
    assert one(azure_rules.check_identity, facts) == (
        "fail", f"managed identity '{IDENTITY_ID}' does not exist",
        "az identity list -o table (and pass the right --managed-identity-resource-id)")
    assert one(azure_rules.check_identity, green(identity=Got(error="gone", missing=True))) == (
        "fail", f"managed identity '{IDENTITY_ID}' does not exist", f"{DELETE}, then bind an existing identity")


# -- the federated credential ---------------------------------------------------------------------------

def test_credential_edited_names_both_issuers():
    edited = {**B.FIC, "properties": {**B.FIC["properties"], "issuer": "https://elsewhere.example/"}}
    status, detail, fix = one(azure_rules.check_fic, green(fics=Got([edited])))
    assert (status, fix) == ("fail", f"{DELETE} && {CREATE}")
    assert detail == (f"credential 'aks-identity-binding' trusts issuer https://elsewhere.example/, not the binding's "
                      f"https://ib.oic.prod-aks.azure.com/{TENANT}/{CLIENT_ID} (it was edited); the identity uses 1 "
                      "of its 20 federated credentials")


def test_credential_issuer_with_a_trailing_slash_is_the_same():
    fic = {**B.FIC, "properties": {**B.FIC["properties"], "issuer": B.FIC["properties"]["issuer"] + "/"}}
    assert one(azure_rules.check_fic, green(fics=Got([fic])))[0] == "pass"


def test_credential_name_in_other_case_is_found():
    assert one(azure_rules.check_fic, green(fics=Got([{**B.FIC, "name": "AKS-Identity-Binding"}])))[0] == "pass"


def test_credential_missing_with_free_slots_does_not_ask_to_free_one():
    status, detail, _ = one(azure_rules.check_fic, green(fics=Got([B.OTHER_FIC])))
    assert status == "fail" and detail == ("credential 'aks-identity-binding' is missing (deleted?); the identity "
                                           "uses 1 of its 20 federated credentials")
