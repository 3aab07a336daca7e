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


# -- the cluster side ------------------------------------------------------------------------------

def sa(annotations):
    return Got(B.service_account(annotations))


def webhooks(*deployments, config=None):
    return dict(webhook=Got(B.kube_list("DeploymentList", "apps/v1", list(deployments))),
                webhook_config=Got(B.WEBHOOK_CONFIG if config is None else config))


ANNOTATE = "kubectl -n demo annotate serviceaccount workload azure.workload.identity/{}={} --overwrite"
CLIENT_FIX = ANNOTATE.format("client-id", CLIENT_ID)
TENANT_FIX = ANNOTATE.format("tenant-id", TENANT)
ASKED = (f"system:serviceaccount:demo:workload use-managed-identity cid.wi.aks.azure.com/{CLIENT_ID} (cluster scope, "
         "by SubjectAccessReview)")
ROOT_CA_FIX = ("kubectl -n demo create configmap kube-root-ca.crt --from-literal=ca.crt=\"$(kubectl -n default get "
               "configmap kube-root-ca.crt -o jsonpath='{.data.ca\\.crt}')\"")
RECONCILE = f"{UPDATE} --enable-workload-identity"
WEBHOOK = "azure-wi-webhook-controller-manager"
DENIED = Got({"status": {"allowed": False}})
CLUSTER_CASES = {
    # case: (rule, changes, (status, detail, fix))
    "sa-missing": (cluster_rules.check_service_account, dict(sa=Got(error="x", missing=True)), (
        "fail", "service account demo/workload does not exist", RBAC.replace(" -o yaml", " --include-sa -o yaml"))),
    "sa-forbidden": (cluster_rules.check_service_account, dict(sa=Got(error="403")), (
        "skip", "service account demo/workload could not be read: 403", "")),
    "client-id-upper": (cluster_rules.check_sa_client_id, dict(sa=sa({B.CLIENT_ID_ANNOTATION: CLIENT_ID.upper(),
                                                                      B.TENANT_ID_ANNOTATION: TENANT})), (
        "warn", f"annotation azure.workload.identity/client-id is '{CLIENT_ID.upper()}': same id, but pods send it as "
                "written and RBAC compares exactly; write it lowercase", CLIENT_FIX)),
    "client-id-padded": (cluster_rules.check_sa_client_id, dict(sa=sa({B.CLIENT_ID_ANNOTATION: f" {CLIENT_ID} "})), (
        "warn", f"annotation azure.workload.identity/client-id is ' {CLIENT_ID} ': same id, but pods send it as "
                "written and RBAC compares exactly; write it lowercase", CLIENT_FIX)),
    "client-id-object-id": (cluster_rules.check_sa_client_id, dict(sa=sa({B.CLIENT_ID_ANNOTATION: OBJECT_ID})), (
        "fail", f"annotation azure.workload.identity/client-id is {OBJECT_ID} (that is the identity's object id), not "
                f"the identity's client id {CLIENT_ID}", CLIENT_FIX)),
    "client-id-other": (cluster_rules.check_sa_client_id, dict(sa=sa({B.CLIENT_ID_ANNOTATION: "nope"})), (
        "fail", f"annotation azure.workload.identity/client-id is nope, not the identity's client id {CLIENT_ID}",
        CLIENT_FIX)),
    "client-id-missing": (cluster_rules.check_sa_client_id, dict(sa=sa({B.TENANT_ID_ANNOTATION: TENANT})), (
        "fail", "annotation azure.workload.identity/client-id is missing: pods get no AZURE_CLIENT_ID", CLIENT_FIX)),
    "client-id-no-sa": (cluster_rules.check_sa_client_id, dict(sa=Got(error="x", missing=True)), (
        "skip", "needs the service account", "")),
    "tenant-other": (cluster_rules.check_sa_tenant_id, dict(sa=sa({B.TENANT_ID_ANNOTATION: OTHER_TENANT})), (
        "fail", f"annotation azure.workload.identity/tenant-id is {OTHER_TENANT}, but the identity is in tenant "
                f"{TENANT}", TENANT_FIX)),
    "tenant-upper": (cluster_rules.check_sa_tenant_id, dict(sa=sa({B.TENANT_ID_ANNOTATION: f" {TENANT.upper()}"})), (
        "pass", f"annotation azure.workload.identity/tenant-id is {TENANT}", "")),
    "tenant-missing": (cluster_rules.check_sa_tenant_id, dict(sa=sa({B.CLIENT_ID_ANNOTATION: CLIENT_ID})), (
        "warn", "annotation azure.workload.identity/tenant-id is missing; pods fall back to the cluster's tenant (the "
                "same today); set it explicitly", TENANT_FIX)),
    "tenant-missing-cluster-elsewhere": (cluster_rules.check_sa_tenant_id, dict(
        sa=sa({}), cluster=Got(B.managed_cluster(tenant=OTHER_TENANT.upper()))), (
        "fail", f"annotation azure.workload.identity/tenant-id is missing, so pods use the cluster's tenant "
                f"{OTHER_TENANT}, but the identity is in {TENANT}", TENANT_FIX)),
    "tenant-missing-cluster-unread": (cluster_rules.check_sa_tenant_id, dict(sa=sa({}), cluster=Got(error="403")), (
        "warn", "annotation azure.workload.identity/tenant-id is missing; pods fall back to the cluster's tenant (the "
                "same today); set it explicitly", TENANT_FIX)),
    "grant-allowed": (cluster_rules.check_rbac_grant, {}, ("pass", f"allowed: {ASKED}; RBAC: allowed", "")),
    "grant-allowed-no-reason": (cluster_rules.check_rbac_grant, dict(sar=Got({"status": {"allowed": True}})), (
        "pass", f"allowed: {ASKED}", "")),
    "grant-denied": (cluster_rules.check_rbac_grant, dict(sar=DENIED, sar_ns=DENIED), (
        "fail", f"denied: {ASKED}; the identity is granted only to: ClusterRoleBinding {B.CRB_NAME} (ClusterRole "
                f"{B.CRB_NAME}) to demo/workload", RBAC)),
    "grant-denied-lists-unread": (cluster_rules.check_rbac_grant, dict(sar=DENIED, crs=Got(error="403")), (
        "fail", f"denied: {ASKED}", RBAC)),
    "grant-namespaced-only": (cluster_rules.check_rbac_grant, dict(
        sar=DENIED, sar_ns=Got({"status": {"allowed": True, "reason": "RB"}})), (
        "fail", f"denied at cluster scope: {ASKED}; it is allowed only in namespace demo (RB), through a RoleBinding, "
                "which the identity-binding proxy does not honour", RBAC)),
    "grant-review-forbidden": (cluster_rules.check_rbac_grant, dict(sar=Got(error="403")), (
        "skip", "a SubjectAccessReview could not be read: 403 (needs create on "
                "subjectaccessreviews.authorization.k8s.io)", "")),
    "webhook-not-ready": (cluster_rules.check_webhook, webhooks(B.webhook_deployment(ready=0)), (
        "fail", f"deployment kube-system/{WEBHOOK} has no ready replica: pods labelled for workload identity cannot "
                "be created (failurePolicy Fail)", RECONCILE)),
    "webhook-ready-unknown": (cluster_rules.check_webhook, webhooks({**B.webhook_deployment(), "status": {}}), (
        "fail", f"deployment kube-system/{WEBHOOK} has no ready replica: pods labelled for workload identity cannot "
                "be created (failurePolicy Fail)", RECONCILE)),
    "webhook-one-ready": (cluster_rules.check_webhook, webhooks(B.webhook_deployment(ready=1)), (
        "pass", f"{WEBHOOK} runs {B.WEBHOOK_IMAGE} (1 ready)", "")),
    "webhook-old": (cluster_rules.check_webhook, webhooks(B.webhook_deployment(image="x/webhook:v1.5.9")), (
        "fail", f"{WEBHOOK} runs x/webhook:v1.5.9; identity bindings need v1.6.0-alpha.1 or later",
        f"{RECONCILE}; az aks get-upgrades -g {RG} -n {CLUSTER} -o table")),
    "webhook-none": (cluster_rules.check_webhook, webhooks(), (
        "fail", "no workload identity webhook (label azure-workload-identity.io/system=true) in kube-system",
        RECONCILE)),
    "webhook-untagged": (cluster_rules.check_webhook, webhooks(B.webhook_deployment(image="x/webhook:latest")), (
        "warn", f"{WEBHOOK} runs x/webhook:latest; its version cannot be read from the tag",
        f"kubectl -n kube-system get deployment {WEBHOOK} -o yaml")),
    "webhook-not-switched-on": (cluster_rules.check_webhook, webhooks(
        B.webhook_deployment(image="x/webhook:v1.6.0"), config=B.NOT_SWITCHED_ON_CONFIG), (
        "warn", f"{WEBHOOK} runs x/webhook:v1.6.0, which supports identity bindings, but neither its "
                "--custom-token-endpoint-* flags nor AZURE_KUBERNETES_TOKEN_PROXY in azure-wi-webhook-config show the "
                "feature switched on; the pods check tells",
        "kubectl -n kube-system get configmap azure-wi-webhook-config -o yaml")),
    "webhook-forbidden": (cluster_rules.check_webhook, dict(webhook=Got(error="403")), (
        "skip", "Deployments in kube-system could not be read: 403", "")),
    "root-ca-missing": (cluster_rules.check_root_ca, dict(root_ca=Got(error="x", missing=True)), (
        "fail", "ConfigMap kube-root-ca.crt is missing in demo: identity-binding pods stay in ContainerCreating (their "
                "CA volume is not optional)", ROOT_CA_FIX)),
    "root-ca-empty": (cluster_rules.check_root_ca, dict(root_ca=Got({"data": {"ca.crt": " \n"}})), (
        "fail", "ConfigMap demo/kube-root-ca.crt has no ca.crt",
        f"kubectl -n demo delete configmap kube-root-ca.crt && {ROOT_CA_FIX}")),
    "root-ca-no-data": (cluster_rules.check_root_ca, dict(root_ca=Got({})), (
        "fail", "ConfigMap demo/kube-root-ca.crt has no ca.crt",
        f"kubectl -n demo delete configmap kube-root-ca.crt && {ROOT_CA_FIX}")),
    "root-ca-forbidden": (cluster_rules.check_root_ca, dict(root_ca=Got(error="403")), (
        "skip", "ConfigMap demo/kube-root-ca.crt could not be read: 403", "")),
    "pods-none": (cluster_rules.check_pods, dict(pods=Got(B.kube_list("PodList", "v1", []))), (
        "skip", "no pod runs as demo/workload yet; use --pod-file to check a manifest", "")),
    "pods-forbidden": (cluster_rules.check_pods, dict(pods=Got(error="403")), (
        "skip", "pods of demo/workload could not be read: 403", "")),
    "kubeconfig": (cluster_rules.check_kubeconfig, {}, ("pass", f"context 'cluster1' reaches {B.KUBE}", "")),
    "kubeconfig-skip": (cluster_rules.check_kubeconfig, dict(kube=Access(skip="no way", fix="get them")), (
        "skip", "no way", "get them")),
}


@pytest.mark.parametrize("case", CLUSTER_CASES)
def test_cluster_rule_items(case):
    rule, changes, expected = CLUSTER_CASES[case]
    assert one(rule, green(**changes)) == expected


@pytest.mark.parametrize("switch", [
    {"image": "x/webhook:v1.6.0-alpha.1"},  # a pre-release of 1.6 is the identity-binding build
    {"args": ["--custom-token-endpoint-audience=api://AKSIdentityBinding"]},
    {"config": {"AZURE_KUBERNETES_TOKEN_PROXY": "https://kubernetes.default.svc"}},
    {"config": {"AZURE_KUBERNETES_TOKEN_ENDPOINT": "https://kubernetes.default.svc"}},
])
def test_each_sign_that_the_webhook_feature_is_on(switch):
    deployment = B.webhook_deployment(image=switch.get("image", "x/webhook:v1.6.0"))
    deployment["spec"]["template"]["spec"]["containers"][0]["args"] += switch.get("args", [])
    config = {**B.WEBHOOK_CONFIG, "data": switch.get("config", {})}
    assert one(cluster_rules.check_webhook, green(**webhooks(deployment, config=config)))[0] == "pass"
    unread = green(**{**webhooks(deployment), "webhook_config": Got(error="403")})
    expected = "warn" if "config" in switch else "pass"
    assert one(cluster_rules.check_webhook, unread)[0] == expected


def test_webhook_image_is_the_container_named_webhook():
    deployment = B.webhook_deployment(image="x/webhook:v1.5.0")
    deployment["spec"]["template"]["spec"]["containers"].insert(0, {"name": "proxy", "image": "x/proxy:v9.9.9"})
    assert one(cluster_rules.check_webhook, green(**webhooks(deployment)))[0] == "fail"
    only = B.webhook_deployment(image="x/manager:v1.5.0")  # no container image says webhook: the first one
    assert one(cluster_rules.check_webhook, green(**webhooks(only)))[0] == "fail"


def _exposure(*subjects, rules=None):
    binding = B.role_binding("grant", "role", list(subjects))
    role = B.cluster_role("role", rules or [B.GOOD_RULE])
    return one(cluster_rules.check_rbac_exposure, green(
        crbs=Got(B.kube_list("ClusterRoleBindingList", "v1", [binding])),
        crs=Got(B.kube_list("ClusterRoleList", "v1", [role]))))


GROUP = {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io"}
REMOVE = f"kubectl delete clusterrolebinding grant, then grant only what is needed: {RBAC}"


def test_exposure_statuses():
    assert _exposure(B.SA_SUBJECT) == ("pass", "can use this identity: ClusterRoleBinding grant (ClusterRole role) "
                                               "to demo/workload", "")
    assert _exposure({**GROUP, "name": "system:serviceaccounts:demo"}) == (
        "warn", "can use this identity: ClusterRoleBinding grant (ClusterRole role) to group "
                "system:serviceaccounts:demo: every service account of a namespace, including ones created later",
        REMOVE)
    status, detail, fix = _exposure({**GROUP, "name": "system:authenticated"})
    assert (status, fix) == ("fail", REMOVE) and detail.endswith("every service account of the cluster can use the "
                                                                 "identity")
    status, detail, fix = _exposure(B.SA_SUBJECT, rules=[{"apiGroups": [B.API_GROUP], "resources": ["*"],
                                                          "verbs": [B.VERB]}])
    assert (status, fix) == ("warn", REMOVE) and detail.endswith(": grants every identity through '*'")
    assert one(cluster_rules.check_rbac_exposure, green(crbs=Got(B.kube_list("ClusterRoleBindingList", "v1", [])))) \
        == ("pass", "no service account can use this identity", "")


def _without(resource, *path):
    resource = copy.deepcopy(resource)
    node = resource
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return resource


UNREAD = Got(error="403")
NO_CLUSTER = dict(cluster=UNREAD, binding=UNREAD)
VNET_FIX = ("bind the identity on a cluster without it; list those: az aks list --query "
            "\"[?apiServerAccessProfile.enableVnetIntegration!=`true`].{name:name, group:resourceGroup}\" -o table")
AZURE_CASES = {
    "cluster-without-location-or-version": (azure_rules.check_cluster, dict(cluster=Got(_without(_without(
        _without(B.managed_cluster(), "location"), "properties", "currentKubernetesVersion"),
        "properties", "kubernetesVersion"))), ("pass", f"cluster '{CLUSTER}' (?, Kubernetes ?)", "")),
    "workload-identity-no-cluster": (azure_rules.check_workload_identity, NO_CLUSTER, (
        "skip", "needs the cluster", "")),
    "vnet-no-cluster": (azure_rules.check_vnet_integration, NO_CLUSTER, ("skip", "needs the cluster", "")),
    "vnet-pass": (azure_rules.check_vnet_integration, {}, ("pass", "API server VNet integration is not used", "")),
    "vnet-integration": (azure_rules.check_vnet_integration, dict(cluster=Got(B.managed_cluster(
        vnet_integration=True))), (
        "fail", "the cluster uses API server VNet integration, which identity bindings do not support (and which "
                "cannot be turned off)", VNET_FIX)),
    "binding-no-cluster": (azure_rules.check_binding, NO_CLUSTER, ("skip", "needs the cluster", "")),
    "binding-unread": (azure_rules.check_binding, dict(binding=UNREAD), ("skip", "403", "")),
    "binding-missing": (azure_rules.check_binding, dict(binding=Got(missing=True)), (
        "fail", f"no identity binding 'identitybinding1' on cluster '{CLUSTER}'",
        CREATE)),
    "binding-missing-said": (azure_rules.check_binding, dict(
        binding=Got(missing=True, error="the cluster has no identity binding")), (
        "fail", "the cluster has no identity binding", CREATE)),
    "identity-unknown": (azure_rules.check_identity, dict(binding=Got(missing=True), identity=Got()), (
        "skip", "the identity is not known (no binding to take it from)", "")),
    "identity-unread": (azure_rules.check_identity, dict(identity=UNREAD), (
        "skip", "the identity could not be read: 403", "")),
    "fic-identity-unknown": (azure_rules.check_fic, dict(binding=Got(missing=True), identity=Got(), fics=Got()), (
        "skip", "the identity is not known", "")),
    "fic-identity-gone": (azure_rules.check_fic, dict(identity=Got(missing=True), fics=Got(missing=True)), (
        "skip", "the identity does not exist", "")),
    "fic-unread": (azure_rules.check_fic, dict(fics=UNREAD), (
        "skip", "the identity's federated credentials could not be read: 403", "")),
}


@pytest.mark.parametrize("case", AZURE_CASES)
def test_azure_rule_items(case):
    rule, changes, expected = AZURE_CASES[case]
    assert one(rule, green(**changes)) == expected


def test_without_a_binding_name_the_missing_binding_names_the_identity():
    facts = green(binding=Got(missing=True))
    facts.target.binding_name, facts.target.identity_id = None, IDENTITY_ID
    status, detail, _ = one(azure_rules.check_binding, facts)
    assert (status, detail) == ("fail", f"no identity binding of '{IDENTITY_ID}' on cluster '{CLUSTER}'")


def test_several_bindings_and_none_named():
    facts = green(binding=Got(error="ambiguous"), binding_choices=("a", "b"))
    assert one(azure_rules.check_binding, facts) == (
        "fail", "the cluster has 2 identity bindings (a, b) and none was named",
        f"az aks identity-binding check -g {RG} --cluster-name {CLUSTER} -n a --service-account demo/workload")


def _binding_with_issuer(issuer):
    binding = B.binding()
    binding["properties"]["oidcIssuer"]["oidcIssuerUrl"] = issuer
    return Got(binding)


@pytest.mark.parametrize("binding_issuer, fic_issuer, status", [
    ("https://ib.example/T/C/", "https://ib.example/T/C", "pass"),   # either side may end in '/'
    ("https://ib.example/T/C", "https://ib.example/T/C/", "pass"),
    ("https://ib.example/T/X", "https://ib.example/T/X", "pass"),     # only '/' is stripped
    ("https://ib.example/T/X", "https://ib.example/T/", "fail"),
    ("/https://ib.example/T/C", "https://ib.example/T/C", "fail"),    # at the end only
])
def test_credential_issuer_comparison(binding_issuer, fic_issuer, status):
    fic = {**B.FIC, "properties": {**B.FIC["properties"], "issuer": fic_issuer}}
    assert one(azure_rules.check_fic, green(binding=_binding_with_issuer(binding_issuer), fics=Got([fic])))[0] == \
        status


def test_credential_without_an_issuer_is_an_edited_one():
    fic = {**B.FIC, "properties": {"subject": B.FIC["properties"]["subject"]}}
    status, detail, _ = one(azure_rules.check_fic, green(fics=Got([fic])))
    assert status == "fail" and detail.startswith("credential 'aks-identity-binding' trusts issuer , not the binding's")


def _deployment(containers, name=True):
    deployment = B.webhook_deployment()
    deployment["spec"]["template"]["spec"]["containers"] = containers
    if not name:
        del deployment["metadata"]["name"]
    return deployment


def test_webhook_deployment_read_defensively():
    # A container without an image, no containers at all, a deployment without a name: a verdict, not a crash.
    no_image = _deployment([{"name": "sidecar"}, {"name": "manager", "image": "x/webhook:v1.5.0"}])
    assert one(cluster_rules.check_webhook, green(**webhooks(no_image)))[0] == "fail"
    assert one(cluster_rules.check_webhook, green(**webhooks(_deployment([])))) == (
        "warn", f"{WEBHOOK} runs ; its version cannot be read from the tag",
        f"kubectl -n kube-system get deployment {WEBHOOK} -o yaml")
    assert one(cluster_rules.check_webhook, green(**webhooks(_deployment([{"image": "x/webhook:latest"}],
                                                                         name=False)))) == (
        "warn", "? runs x/webhook:latest; its version cannot be read from the tag",
        "kubectl -n kube-system get deployment ? -o yaml")


def test_a_grant_to_several_subjects_names_each():
    other = {"kind": "ServiceAccount", "name": "api", "namespace": "team-a"}
    assert _exposure(B.SA_SUBJECT, other)[1] == ("can use this identity: ClusterRoleBinding grant (ClusterRole role) "
                                                 "to demo/workload, team-a/api")


LETTERS_TENANT = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"  # a tenant id with letters: case matters in the tests


def _tenant_facts(binding_tenant, annotations, cluster_tenant=None):
    binding = B.binding()
    binding["properties"]["managedIdentity"]["tenantId"] = binding_tenant
    cluster = B.managed_cluster()
    if cluster_tenant is None:
        del cluster["identity"]["tenantId"]
    else:
        cluster["identity"]["tenantId"] = cluster_tenant
    identity = copy.deepcopy(B.IDENTITY)
    identity["properties"]["tenantId"] = binding_tenant
    return green(binding=Got(binding), identity=Got(identity), cluster=Got(cluster), sa=sa(annotations))


def test_tenant_ids_are_compared_without_case():
    tenant = LETTERS_TENANT
    annotated = _tenant_facts(tenant, {B.TENANT_ID_ANNOTATION: tenant.upper()}, tenant)
    assert one(cluster_rules.check_sa_tenant_id, annotated)[0] == "pass"
    assert one(cluster_rules.check_sa_tenant_id, _tenant_facts(tenant, {}, tenant.upper()))[0] == "warn"
    assert one(cluster_rules.check_sa_tenant_id, _tenant_facts(tenant.upper(), {}, tenant))[0] == "warn"


def test_cluster_without_a_tenant_id_falls_back_to_the_warning():
    assert one(cluster_rules.check_sa_tenant_id, _tenant_facts(TENANT, {}, None))[0] == "warn"


def test_tenant_id_not_known_is_a_skip():
    binding = B.binding()
    del binding["properties"]["managedIdentity"]["tenantId"]
    identity = copy.deepcopy(B.IDENTITY)
    del identity["properties"]["tenantId"]
    assert one(cluster_rules.check_sa_tenant_id, green(binding=Got(binding), identity=Got(identity))) == (
        "skip", "the identity's tenant id is not known", "")


def test_a_cluster_wide_grant_stays_a_failure_whatever_comes_after_it():
    # the worst finding wins: a later namespace-wide or wildcard grant must not turn the fail into a warning
    for later in ({**GROUP, "name": "system:serviceaccounts:demo"}, B.SA_SUBJECT):
        bindings = [B.role_binding("everyone", "role", [{**GROUP, "name": "system:authenticated"}]),
                    B.role_binding("later", "wild" if later is B.SA_SUBJECT else "role", [later])]
        roles = [B.cluster_role("role", [B.GOOD_RULE]),
                 B.cluster_role("wild", [{"apiGroups": [B.API_GROUP], "resources": ["*"], "verbs": [B.VERB]}])]
        facts = green(crbs=Got(B.kube_list("ClusterRoleBindingList", "v1", bindings)),
                      crs=Got(B.kube_list("ClusterRoleList", "v1", roles)))
        assert one(cluster_rules.check_rbac_exposure, facts)[0] == "fail"


def test_exposure_and_rules_skips_name_what_could_not_be_read():
    assert one(cluster_rules.check_rbac_exposure, green(crbs=Got(error="403"))) == (
        "skip", "ClusterRoleBindings could not be read: 403", "")
    assert one(cluster_rules.check_rbac_exposure, green(crs=Got(error="403"))) == (
        "skip", "ClusterRoles could not be read: 403", "")
    assert one(cluster_rules.check_rbac_rules, green(crs=Got(error="403"))) == (
        "skip", "ClusterRoles could not be read: 403", "")
    unknown = green(binding=Got(missing=True), identity=Got())
    for rule in (cluster_rules.check_rbac_rules, cluster_rules.check_rbac_exposure, cluster_rules.check_rbac_grant):
        assert one(rule, unknown)[:2] == ("skip", "the identity's client id is not known")
    assert one(cluster_rules.check_rbac_rules, green()) == (
        "pass", "no ClusterRole rule mentions this identity in a form that grants nothing", "")
    assert one(cluster_rules.check_service_account, green()) == ("pass", "service account demo/workload exists", "")


def test_malformed_rules_naming_the_identity_by_resource_id_or_name():
    roles = [B.cluster_role("by-id", [{"apiGroups": [B.API_GROUP], "resources": [IDENTITY_ID], "verbs": [B.VERB]}]),
             B.cluster_role("by-name", [{"apiGroups": [B.API_GROUP], "resources": ["identity1"], "verbs": [B.VERB]}])]
    facts = green(crs=Got(B.kube_list("ClusterRoleList", "v1", roles + [B.cluster_role(B.CRB_NAME, [B.GOOD_RULE])])))
    assert one(cluster_rules.check_rbac_rules, facts) == (
        "warn", f"ClusterRole by-id: resource '{IDENTITY_ID}' is the identity's resource id, not its client id "
                f"{CLIENT_ID}; ClusterRole by-name: resource 'identity1' is the identity's name, not its client id "
                f"{CLIENT_ID}", f"kubectl delete clusterrole by-id by-name && {RBAC}")


def _pods(*pods):
    return dict(pods=Got(B.kube_list("PodList", "v1", list(pods))))


def test_the_worst_finding_of_a_workload_decides_whatever_its_order():
    # the pod is unlabelled (a warning or a fail, listed first) and sets a foreign AZURE_CLIENT_ID (a fail)
    foreign = [{"name": "AZURE_CLIENT_ID", "value": OBJECT_ID}] + B.BINDING_ENV[1:] + [
        {"name": "AZURE_KUBERNETES_TOKEN_ENDPOINT", "value": "https://kubernetes.default.svc"}]
    [found] = cluster_rules.check_pods(green(**_pods(B.pod(env=foreign))))
    assert found["status"] == "fail", found
    assert f"sets AZURE_CLIENT_ID={OBJECT_ID}, not the identity's client id {CLIENT_ID}" in found["detail"]


def test_merge_keeps_the_worst_first():
    warn, fail = ("warn", "w", "fix-w"), ("fail", "f", "fix-f")
    assert cluster_rules._merge("x", [warn, fail], "ok") == {  # pylint: disable=protected-access
        "check": "x", "status": "fail", "detail": "f; w", "fix": "fix-f ; fix-w"}
    assert cluster_rules._merge("x", [], "ok") == {  # pylint: disable=protected-access
        "check": "x", "status": "pass", "detail": "ok", "fix": ""}


def test_a_broad_grant_after_a_plain_one_is_still_found():
    bindings = [B.role_binding("a-plain", "role", [B.SA_SUBJECT]),  # the grants are listed by name
                B.role_binding("z-everyone", "role", [{**GROUP, "name": "system:authenticated"}])]
    facts = green(crbs=Got(B.kube_list("ClusterRoleBindingList", "v1", bindings)),
                  crs=Got(B.kube_list("ClusterRoleList", "v1", [B.cluster_role("role", [B.GOOD_RULE])])))
    status, detail, fix = one(cluster_rules.check_rbac_exposure, facts)
    assert status == "fail" and detail.startswith("can use this identity: ClusterRoleBinding a-plain (ClusterRole "
                                                  "role) to demo/workload; ClusterRoleBinding z-everyone")
    assert fix == f"kubectl delete clusterrolebinding z-everyone, then grant only what is needed: {RBAC}"


def test_the_feature_flag_may_be_in_the_command():
    deployment = B.webhook_deployment(image="x/webhook:v1.6.0")
    deployment["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "/manager", "--custom-token-endpoint-audience=api://AKSIdentityBinding"]
    assert one(cluster_rules.check_webhook, green(**webhooks(deployment, config=B.NOT_SWITCHED_ON_CONFIG)))[0] == \
        "pass"


def test_a_webhook_whose_only_container_has_no_image():
    assert one(cluster_rules.check_webhook, green(**webhooks(_deployment([{"name": "manager"}]))))[1] == (
        f"{WEBHOOK} runs ; its version cannot be read from the tag")


def test_pass_details():
    items = {i["check"]: i["detail"] for i in evaluate(green())}
    assert items["sa-client-id"] == f"annotation azure.workload.identity/client-id is {CLIENT_ID}"
    assert items["root-ca"] == "ConfigMap demo/kube-root-ca.crt holds the cluster CA"
    assert items["pods deployment/workload"] == "1 pod(s) mutated for the identity-binding proxy"


def test_pod_files_default_to_the_service_accounts_namespace():
    import yaml
    manifest = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: workload, containers: [{name: app, image: x}]}
""")
    facts = green()
    facts.target.pod_files = [("web.yaml", [manifest])]
    [found] = cluster_rules.check_pod_files(facts)
    assert found["check"] == "pod-file deployment/web" and found["status"] == "fail"
    assert "kubectl -n demo patch deployment web" in found["fix"]
