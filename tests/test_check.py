"""`az aks identity-binding check` run in-process against recorded ARM and Kubernetes API traffic.

The ARM traffic goes through azure-core (spied on by playback.run); the Kubernetes traffic through
the official client's urllib3 pool, replayed by the same cassette, with a kubeconfig that points at
the cluster's recorded API server. One scenario per problem of docs/failure-modes.md that `check`
detects, each asserting the status and the fix; the request bodies sent are asserted too.
"""
import json
from contextlib import ExitStack
from unittest import mock

import pytest

from azext_identitybinding.check import rules
from playback import CLUSTER, IDENTITY_ID, RG, SUB, TENANT, run

CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
OBJECT_ID = "7c1e5a9d-2b4f-4c8e-a6d3-9f0b1e2c3d4a"
SERVER = "https://cluster1-dns-4f2a9c1e.hcp.eastus2.azmk8s.io:443"
BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]
SA = ["--service-account", "demo/workload"]
PREVIEW = "api-version=2026-08-02-preview"
RBAC_FIX = (f"az aks identity-binding generate-rbac -g {RG} --cluster-name {CLUSTER} -n identitybinding1 "
            "--service-account demo/workload -o yaml | kubectl apply -f -")
EXPECTED_SAR = {
    "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
    "spec": {"user": "system:serviceaccount:demo:workload",
             "groups": ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"],
             "resourceAttributes": {"group": "cid.wi.aks.azure.com", "resource": CLIENT_ID,
                                    "verb": "use-managed-identity"}}}
AZURE_CHECKS = rules.names("azure")
KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUU2RENDQXRDZ0F3SUJBZ0lRCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
    server: {server}
  name: cluster1
contexts:
- context:
    cluster: cluster1
    user: clusterUser_rg1_cluster1
  name: cluster1
current-context: cluster1
users:
- name: clusterUser_rg1_cluster1
  user:
    token: fake-token-for-playback
"""


@pytest.fixture
def kubeconfig(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG.format(server=SERVER))
    return str(path)


class Checked:
    """The az result, the check items by name, and the Kubernetes requests sent."""

    def __init__(self, result, kube_requests):
        self.r = result
        self.kube = kube_requests  # [(method, url, body)]
        self.items = result.json() if result.out.strip() else []
        self.by = {i["check"]: i for i in self.items}

    def status(self, check):
        return self.by[check]["status"]

    def sars(self):
        return [body for method, url, body in self.kube if url.endswith("/subjectaccessreviews")]


def one_new_connection_at_a_time():
    """vcrpy builds each stub connection while its patches are briefly undone for every thread, so a
    connection opened at that moment by a concurrent read is a real one (it tries DNS, and the read
    only succeeds on a retry). Opening pooled connections one at a time removes that race; the reads
    themselves still overlap."""
    import threading
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    lock = threading.Lock()
    stack = ExitStack()
    for pool in (HTTPConnectionPool, HTTPSConnectionPool):
        def new_conn(self, _real=pool.__dict__["_new_conn"]):
            with lock:
                return _real(self)
        stack.enter_context(mock.patch.object(pool, "_new_conn", new_conn))
    return stack


def check(cassette, *args, kubeconfig=None, patches=()):
    """Run `az aks identity-binding check ...`, spying on the Kubernetes client's requests."""
    from kubernetes.client import rest
    sent = []
    real = rest.RESTClientObject.request

    def spy(client, method, url, *a, **kw):
        body = kw.get("body")
        sent.append((method, url, json.loads(json.dumps(body)) if body is not None else None))
        return real(client, method, url, *a, **kw)

    with ExitStack() as stack:
        stack.enter_context(one_new_connection_at_a_time())
        stack.enter_context(mock.patch("socket.getaddrinfo", side_effect=AssertionError("DNS lookup in playback")))
        stack.enter_context(mock.patch.object(rest.RESTClientObject, "request", spy))
        for patch in patches:
            stack.enter_context(patch)
        extra = ["--kubeconfig", kubeconfig] if kubeconfig else []
        result = run(cassette, "aks", "identity-binding", "check", *args, *extra)
    assert "Traceback" not in result.err, result
    return Checked(result, sent)


def assert_only_failure(c, *names):
    assert sorted(i["check"] for i in c.items if i["status"] == "fail") == sorted(names), c.items
    assert c.r.exit_code == 1, c.r
    assert f"{len(names)} check(s) failed" in c.r.err


# -- the whole chain ---------------------------------------------------------------------------

def test_all_green_passes_every_check_and_sends_a_cluster_scoped_sar(kubeconfig):
    c = check("check_all_green", *BINDING, *SA, kubeconfig=kubeconfig)
    assert c.r.exit_code == 0, c.r
    assert {i["status"] for i in c.items} == {"pass"}, c.items
    assert [i["check"] for i in c.items] == [
        "cluster", "workload-identity", "vnet-integration", "binding", "identity", "federated-credential",
        "kubeconfig", "service-account", "sa-client-id", "sa-tenant-id", "rbac-grant", "rbac-rules",
        "rbac-exposure", "webhook", "root-ca", "pods deployment/workload"]
    assert all(i["fix"] == "" for i in c.items)
    assert c.sars() == [EXPECTED_SAR]  # no namespace: cluster scope; one review only, since it is allowed
    assert "2 of its 20 federated credentials" in c.by["federated-credential"]["detail"]
    assert "ServiceAccount \"workload/demo\"" in c.by["rbac-grant"]["detail"]
    arm = sorted(u.split("?")[0].rsplit("/", 1)[-1] for m, u, _ in c.r.requests)
    assert arm == ["cluster1", "federatedIdentityCredentials", "identity1", "identitybinding1"]
    assert all(m == "GET" for m, _, _ in c.r.requests)
    paths = sorted(url.replace(SERVER, "").split("?")[0] for _, url, _ in c.kube)
    assert paths == ["/api/v1/namespaces/demo/configmaps/kube-root-ca.crt", "/api/v1/namespaces/demo/pods",
                     "/api/v1/namespaces/demo/serviceaccounts/workload",
                     "/api/v1/namespaces/kube-system/configmaps/azure-wi-webhook-config",
                     "/apis/apps/v1/namespaces/kube-system/deployments",
                     "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                     "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                     "/apis/rbac.authorization.k8s.io/v1/clusterroles"]
    assert c.r.all_played


def test_a_region_without_the_preview_reads_the_binding_with_ga_and_runs_every_check(kubeconfig):
    c = check("check_all_green_no_preview", *BINDING, *SA, kubeconfig=kubeconfig)
    assert c.r.exit_code == 0, c.r
    assert {i["status"] for i in c.items} == {"pass"}, c.items
    binding_reads = [u.split("api-version=")[1] for _, u, _ in c.r.requests if "identityBindings" in u]
    assert binding_reads == ["2026-08-02-preview", "2026-06-01"]
    assert c.r.all_played


def test_table_output_puts_status_first(kubeconfig):
    with one_new_connection_at_a_time():
        c = run("check_all_green", "aks", "identity-binding", "check", *BINDING, *SA, "--kubeconfig", kubeconfig,
                "-o", "table")
    assert c.exit_code == 0, c
    lines = c.out.splitlines()
    assert lines[0].split() == ["Status", "Check", "Detail"]
    assert [line.split()[:2] for line in lines[2:5]] == [["PASS", "cluster"], ["PASS", "workload-identity"],
                                                         ["PASS", "vnet-integration"]]


def test_table_output_puts_each_fix_under_its_check(kubeconfig):
    with one_new_connection_at_a_time():
        c = run("check_sa_no_client_id", "aks", "identity-binding", "check", *BINDING, *SA, "--kubeconfig",
                kubeconfig, "-o", "table")
    assert c.exit_code == 1, c
    lines = c.out.splitlines()
    row = next(n for n, line in enumerate(lines) if line.startswith("FAIL"))
    assert lines[row].split()[:2] == ["FAIL", "sa-client-id"]
    assert lines[row + 1].split()[:2] == ["fix:", "kubectl"]
    assert "1 check(s) failed: sa-client-id" in c.err


def test_identity_given_finds_its_binding_by_listing():
    c = check("check_by_identity", "-g", RG, "--cluster-name", CLUSTER, "--managed-identity-resource-id",
              IDENTITY_ID, *SA, "--skip-cluster")
    assert c.r.exit_code == 0, c.r
    assert "found among the cluster's bindings" in c.by["binding"]["detail"]
    assert any(u.split("?")[0].endswith("/identityBindings") for _, u, _ in c.r.requests)
    assert c.r.all_played


def test_without_identity_the_clusters_only_binding_is_checked():
    c = check("check_only_binding", "-g", RG, "--cluster-name", CLUSTER, *SA, "--skip-cluster")
    assert c.r.exit_code == 0, c.r
    assert "the cluster's only binding" in c.by["binding"]["detail"]
    assert c.r.all_played


def test_without_identity_several_bindings_fail_and_name_them():
    c = check("check_ambiguous_binding", "-g", RG, "--cluster-name", CLUSTER, *SA, "--skip-cluster")
    assert_only_failure(c, "binding")
    assert "2 identity bindings (identitybinding1, other)" in c.by["binding"]["detail"]
    assert c.by["binding"]["fix"].endswith("-n identitybinding1 --service-account demo/workload")


# -- when the cluster cannot be checked: skips, never errors ---------------------------------------

def _refused():
    from urllib3.exceptions import MaxRetryError, NewConnectionError
    return mock.patch("urllib3.PoolManager.urlopen", side_effect=MaxRetryError(
        None, "/api/v1/namespaces/demo/serviceaccounts/workload",
        NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")))


def test_unreachable_cluster_skips_the_cluster_checks_and_exits_0_when_azure_is_fine(kubeconfig):
    c = check("check_arm_green", *BINDING, *SA, kubeconfig=kubeconfig, patches=[_refused()])
    assert c.r.exit_code == 0, c.r
    cluster_checks = [i for i in c.items if i["check"] not in AZURE_CHECKS]
    assert {i["status"] for i in cluster_checks} == {"skip"}
    assert "did not answer" in c.by["kubeconfig"]["detail"] and "Connection refused" in c.by["kubeconfig"]["detail"]
    assert "no cluster access" in c.by["rbac-grant"]["detail"]
    assert len(c.kube) == 1  # one failed read, then no more attempts
    assert {i["status"] for i in c.items if i["check"] in AZURE_CHECKS} == {"pass"}


def test_unreachable_cluster_exit_code_reflects_the_azure_failures_only(kubeconfig):
    c = check("check_fic_missing", *BINDING, *SA, kubeconfig=kubeconfig, patches=[_refused()])
    assert_only_failure(c, "federated-credential")
    assert {i["status"] for i in c.items if i["check"] not in AZURE_CHECKS} == {"skip"}


def test_no_kubeconfig_skips_the_cluster_checks(monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    c = check("check_arm_green", *BINDING, *SA)
    assert c.r.exit_code == 0, c.r
    assert c.status("kubeconfig") == "skip"
    assert "no kubeconfig at" in c.by["kubeconfig"]["detail"]
    assert c.by["kubeconfig"]["fix"] == f"az aks get-credentials -g {RG} -n {CLUSTER}"
    assert c.kube == []


def test_kubeconfig_of_another_cluster_is_not_used(tmp_path):
    path = tmp_path / "other"
    path.write_text(KUBECONFIG.format(server="https://other-dns-1a2b3c4d.hcp.westus3.azmk8s.io:443"))
    c = check("check_arm_green", *BINDING, *SA, kubeconfig=str(path))
    assert c.r.exit_code == 0, c.r
    assert c.status("kubeconfig") == "skip"
    assert "points to other-dns-1a2b3c4d.hcp.westus3.azmk8s.io, not to cluster 'cluster1'" in c.by["kubeconfig"]["detail"]
    assert c.kube == []


def test_unknown_context_is_skipped_with_the_reason(kubeconfig):
    c = check("check_arm_green", *BINDING, *SA, "--context", "nope", kubeconfig=kubeconfig)
    assert c.r.exit_code == 0, c.r
    assert "has no context 'nope'" in c.by["kubeconfig"]["detail"]


def test_skip_cluster_reads_azure_only():
    c = check("check_arm_green", *BINDING, *SA, "--skip-cluster")
    assert c.r.exit_code == 0, c.r
    assert c.by["kubeconfig"]["detail"] == "--skip-cluster was given"
    assert c.kube == [] and c.r.all_played


def test_forbidden_reads_in_the_cluster_are_skips_not_failures(kubeconfig):
    c = check("check_sar_forbidden", *BINDING, *SA, kubeconfig=kubeconfig)
    assert c.r.exit_code == 0, c.r
    assert c.status("rbac-grant") == "skip"
    assert "cannot create resource \"subjectaccessreviews\"" in c.by["rbac-grant"]["detail"]
    assert c.status("rbac-exposure") == "skip"
    assert c.status("rbac-rules") == "pass"  # ClusterRoles could still be read
    assert c.r.all_played


# -- failure modes decided in Azure ----------------------------------------------------------------

def test_cluster_not_found():
    c = check("check_cluster_not_found", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "cluster")
    assert c.by["cluster"]["fix"] == f"az aks list -g {RG} -o table"
    assert c.status("binding") == "skip"


def test_workload_identity_disabled():
    c = check("check_no_workload_identity", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "workload-identity")
    assert c.by["workload-identity"]["fix"] == (f"az aks update -g {RG} -n {CLUSTER} --enable-oidc-issuer "
                                                "--enable-workload-identity")


def test_api_server_vnet_integration_is_unsupported():
    c = check("check_vnet_integration", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "vnet-integration")
    assert "do not support" in c.by["vnet-integration"]["detail"]
    assert "apiServerAccessProfile.enableVnetIntegration" in c.by["vnet-integration"]["fix"]


def test_binding_missing():
    c = check("check_binding_missing", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "binding")
    assert c.by["binding"]["fix"].startswith(f"az aks identity-binding create -g {RG} --cluster-name {CLUSTER} "
                                             "-n identitybinding1 --managed-identity-resource-id")
    assert c.status("identity") == "skip"


def test_binding_in_failed_state():
    c = check("check_binding_failed", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "binding")
    assert "state Failed" in c.by["binding"]["detail"]
    assert c.by["binding"]["fix"] == (f"az aks identity-binding create -g {RG} --cluster-name {CLUSTER} "
                                      f"-n identitybinding1 --managed-identity-resource-id {IDENTITY_ID}")


def test_identity_deleted_and_recreated():
    c = check("check_identity_recreated", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "identity")
    assert "deleted and re-created" in c.by["identity"]["detail"]
    assert c.by["identity"]["fix"].startswith("az aks identity-binding delete")


def test_federated_credential_deleted():
    c = check("check_fic_missing", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "federated-credential")
    item = c.by["federated-credential"]
    assert "'aks-identity-binding' is missing" in item["detail"] and "1 of its 20" in item["detail"]
    assert item["fix"] == (f"az aks identity-binding delete -g {RG} --cluster-name {CLUSTER} -n identitybinding1 "
                           f"--yes && az aks identity-binding create -g {RG} --cluster-name {CLUSTER} -n "
                           f"identitybinding1 --managed-identity-resource-id {IDENTITY_ID}")


def test_federated_credential_edited():
    c = check("check_fic_edited", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "federated-credential")
    assert f"not the binding's https://ib.oic.prod-aks.azure.com/{TENANT}/{CLIENT_ID}" in \
        c.by["federated-credential"]["detail"]


# -- failure modes decided in the cluster ----------------------------------------------------------

def test_service_account_missing(kubeconfig):
    c = check("check_sa_missing", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "service-account", "rbac-grant")
    assert c.by["service-account"]["fix"] == RBAC_FIX.replace(" -o yaml", " --include-sa -o yaml")
    assert c.status("sa-client-id") == "skip"
    assert c.status("pods") == "skip"


def test_client_id_annotation_missing(kubeconfig):
    c = check("check_sa_no_client_id", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "sa-client-id")
    assert c.by["sa-client-id"]["fix"] == (f"kubectl -n demo annotate serviceaccount workload "
                                           f"azure.workload.identity/client-id={CLIENT_ID} --overwrite")


def test_object_id_instead_of_client_id(kubeconfig):
    c = check("check_sa_object_id", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "sa-client-id")
    assert "that is the identity's object id" in c.by["sa-client-id"]["detail"]
    assert f"azure.workload.identity/client-id={CLIENT_ID} --overwrite" in c.by["sa-client-id"]["fix"]


def test_uppercase_client_id_is_a_warning(kubeconfig):
    c = check("check_sa_uppercase", *BINDING, *SA, kubeconfig=kubeconfig)
    assert c.r.exit_code == 0, c.r
    assert c.status("sa-client-id") == "warn"
    assert "write it lowercase" in c.by["sa-client-id"]["detail"]
    assert f"client-id={CLIENT_ID} --overwrite" in c.by["sa-client-id"]["fix"]


def test_wrong_tenant(kubeconfig):
    c = check("check_sa_wrong_tenant", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "sa-tenant-id")
    assert f"identity is in tenant {TENANT}" in c.by["sa-tenant-id"]["detail"]
    assert c.by["sa-tenant-id"]["fix"] == (f"kubectl -n demo annotate serviceaccount workload "
                                           f"azure.workload.identity/tenant-id={TENANT} --overwrite")


def test_grant_missing_is_found_by_subject_access_review(kubeconfig):
    c = check("check_rbac_missing", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "rbac-grant")
    assert c.by["rbac-grant"]["fix"] == RBAC_FIX
    namespaced = json.loads(json.dumps(EXPECTED_SAR))
    namespaced["spec"]["resourceAttributes"]["namespace"] = "demo"
    assert c.sars() == [EXPECTED_SAR, namespaced]  # cluster scope first, then the namespaced variant
    assert c.status("rbac-exposure") == "pass"


def test_grant_missing_on_a_fleet_managed_member_is_fixed_by_a_placement_from_the_hub(kubeconfig):
    """A binding that an AKS Fleet Manager profile manages exists on each member it selects: the grant is
    placed from the fleet's hub (generate-manifests --fleet-placement), not applied to this member alone."""
    c = check("check_rbac_missing_fleet_managed", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "rbac-grant")
    assert [u for _, u, _ in c.r.requests if "/identityBindings/" in u][0].endswith(PREVIEW)  # managedBy: preview
    hub, place = c.by["rbac-grant"]["fix"].split(" && ")
    assert hub == f"az fleet get-credentials --subscription {SUB} -g fleet-rg -n fleet1"
    assert place == (f"az aks identity-binding generate-manifests --managed-identity-resource-id {IDENTITY_ID} "
                     f"--service-account demo/workload --fleet-placement use-mi-{CLIENT_ID} -o yaml | kubectl apply -f -")
    assert "kubectl apply" in place and "generate-rbac" not in place
    assert "profile 'profile1' of fleet 'fleet1'" in c.by["rbac-grant"]["detail"]


def test_grant_missing_on_an_unmanaged_binding_keeps_the_per_cluster_fix(kubeconfig):
    c = check("check_rbac_missing", *BINDING, *SA, kubeconfig=kubeconfig)
    assert "fleet" not in c.by["rbac-grant"]["fix"] and "fleet" not in c.by["rbac-grant"]["detail"]


def test_rolebinding_only_is_not_honoured(kubeconfig):
    c = check("check_rbac_rolebinding_only", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "rbac-grant")
    detail = c.by["rbac-grant"]["detail"]
    assert "allowed only in namespace demo" in detail and "RoleBinding" in detail and "not honour" in detail
    assert c.by["rbac-grant"]["fix"] == RBAC_FIX


def test_clusterrolebinding_to_the_wrong_service_account(kubeconfig):
    c = check("check_rbac_wrong_subject", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "rbac-grant")
    assert f"granted only to: ClusterRoleBinding use-mi-{CLIENT_ID} (ClusterRole use-mi-{CLIENT_ID}) to demo/default" \
        in c.by["rbac-grant"]["detail"]
    assert c.by["rbac-grant"]["fix"] == RBAC_FIX


def test_malformed_cluster_role_rules(kubeconfig):
    c = check("check_rbac_malformed_rules", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "rbac-grant", "rbac-rules")
    detail = c.by["rbac-rules"]["detail"]
    assert f"resource '{CLIENT_ID.upper()}' must be exactly '{CLIENT_ID}'" in detail
    assert "apiGroups ['cid.wi.aks.azure.com/'] should be ['cid.wi.aks.azure.com']" in detail
    assert "verbs ['use'] should be ['use-managed-identity']" in detail
    assert f"resource '{OBJECT_ID}' is the identity's object (principal) id" in detail
    assert "resourceNames is set, so the rule never matches" in detail
    assert c.by["rbac-rules"]["fix"] == f"kubectl delete clusterrole use-mi-{CLIENT_ID} && {RBAC_FIX}"


def test_broad_and_wildcard_grants(kubeconfig):
    c = check("check_rbac_broad_grants", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "rbac-exposure")
    detail = c.by["rbac-exposure"]["detail"]
    assert "ClusterRoleBinding ci-admin (ClusterRole cluster-admin) to tools/ci-bot: grants every identity" in detail
    assert "group system:serviceaccounts: every service account of the cluster can use the identity" in detail
    assert "system:basic-user" not in detail and "system:masters" not in detail  # grant nothing / not pods
    assert c.by["rbac-exposure"]["fix"].startswith(
        f"kubectl delete clusterrolebinding ci-admin && kubectl delete clusterrolebinding use-mi-{CLIENT_ID}, then")
    assert c.status("rbac-grant") == "pass"


def test_webhook_too_old(kubeconfig):
    c = check("check_webhook_old", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "webhook", "pods deployment/workload")
    assert "webhook:v1.5.1; identity bindings need v1.6.0-alpha.1 or later" in c.by["webhook"]["detail"]
    assert c.by["webhook"]["fix"].startswith(f"az aks update -g {RG} -n {CLUSTER} --enable-workload-identity")
    pods = c.by["pods deployment/workload"]
    assert "mutated without identity-binding mode" in pods["detail"] and "api://AzureADTokenExchange" in pods["detail"]
    assert pods["fix"] == "kubectl -n demo rollout restart deployment/workload"


def test_root_ca_configmap_missing(kubeconfig):
    c = check("check_root_ca_missing", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "root-ca")
    assert "ContainerCreating" in c.by["root-ca"]["detail"]
    assert c.by["root-ca"]["fix"].startswith("kubectl -n demo create configmap kube-root-ca.crt")


RESTART = "kubectl -n demo rollout restart deployment/workload"
LIVE_POD_CASES = {
    # problem (docs/failure-modes.md): (cassette, text of the detail, the fix)
    "no-label": ("check_pod_unlabelled", "lacks the label azure.workload.identity/use: \"true\"",
                 "kubectl -n demo patch deployment workload --type merge -p "
                 "'{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"azure.workload.identity/use\":\"true\"}}}}}'"),
    "no-annotation": ("check_pod_unannotated", "lacks the annotation azure.workload.identity/use-identity-binding",
                      "kubectl -n demo patch deployment workload --type merge -p '{\"spec\":{\"template\":{"
                      "\"metadata\":{\"annotations\":{\"azure.workload.identity/use-identity-binding\":\"true\"}}}}}'"),
    "created-before-the-label": ("check_pod_not_mutated", "not mutated at all", RESTART),
    "old-preview-env": ("check_pod_old_endpoint_env", "has AZURE_KUBERNETES_TOKEN_ENDPOINT (an early preview "
                        "webhook) but no AZURE_KUBERNETES_TOKEN_PROXY", RESTART),
    "two-ca-sources": ("check_pod_two_ca_sources", "both AZURE_KUBERNETES_CA_FILE and AZURE_KUBERNETES_CA_DATA",
                       "kubectl -n kube-system edit configmap azure-wi-webhook-config (remove AZURE_KUBERNETES_CA_DATA), "
                       f"then {RESTART}"),
}


@pytest.mark.parametrize("case", LIVE_POD_CASES)
def test_live_pod_problems(kubeconfig, case):
    cassette, detail, fix = LIVE_POD_CASES[case]
    c = check(cassette, *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "pods deployment/workload")
    assert detail in c.by["pods deployment/workload"]["detail"]
    assert c.by["pods deployment/workload"]["fix"] == fix
    assert c.r.all_played


# -- --pod-file: the manifest's pod template, offline ------------------------------------------------

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: workload
  namespace: demo
  labels: {labels}
  annotations: {annotations}
spec:
  selector:
    matchLabels: {{app: workload}}
  template:
    metadata:
      labels: {template_labels}
      annotations: {template_annotations}
    spec:
{sa}      containers:
      - name: app
        image: contoso.azurecr.io/workload:1.4.2
{env}"""
GOOD = {"labels": "{}", "annotations": "{}",
        "template_labels": '{app: workload, "azure.workload.identity/use": "true"}',
        "template_annotations": '{"azure.workload.identity/use-identity-binding": "true"}',
        "sa": "      serviceAccountName: workload\n", "env": ""}


def pod_file(tmp_path, **changes):
    path = tmp_path / "deploy.yaml"
    path.write_text("---\napiVersion: v1\nkind: Service\nmetadata: {name: workload}\n---\n" +
                    DEPLOYMENT.format(**{**GOOD, **changes}))
    return str(path)


def test_pod_file_that_is_right_passes(tmp_path):
    c = check("check_arm_green", *BINDING, *SA, "--skip-cluster", "--pod-file", pod_file(tmp_path))
    assert c.r.exit_code == 0, c.r
    assert c.status("pod-file deployment/workload") == "pass"


def pod_file_failure(tmp_path, **changes):
    """Check a manifest offline; it must be the only failure. Returns its item and the file's path."""
    path = pod_file(tmp_path, **changes)
    c = check("check_arm_green", *BINDING, *SA, "--skip-cluster", "--pod-file", path)
    assert_only_failure(c, "pod-file deployment/workload")
    return c.by["pod-file deployment/workload"], path


POD_FILE_CASES = {
    # problem (docs/failure-modes.md): (changes to the good manifest, text of the detail, text of the fix)
    "label-on-the-deployment-only": (
        {"labels": '{"azure.workload.identity/use": "true"}', "template_labels": "{app: workload}"},
        "on the Deployment's own metadata only, not on its pod template",
        "kubectl -n demo patch deployment workload --type merge"),
    "label-value-not-exactly-true": (
        {"template_labels": '{"azure.workload.identity/use": "True"}'},
        "selects exactly \"true\"", '"labels":{"azure.workload.identity/use":"true"}'),
    "misspelled-annotation": (
        {"template_annotations": '{"azure.workload.identity/use-identity-bindings": "true"}'},
        "has annotation 'azure.workload.identity/use-identity-bindings'", 'use-identity-binding":"true"'),
    "service-account-name-unset": (
        {"sa": ""}, "runs as service account demo/default (serviceAccountName is unset",
        '"serviceAccountName":"workload"'),
    "token-expiration-out-of-range": (
        {"template_annotations": '{"azure.workload.identity/use-identity-binding": "true", '
                                 '"azure.workload.identity/service-account-token-expiration": "600"}'},
        "outside 3600-86400 seconds", 'service-account-token-expiration":"3600"'),
}


@pytest.mark.parametrize("case", POD_FILE_CASES)
def test_pod_file_problems(tmp_path, case):
    changes, detail, fix = POD_FILE_CASES[case]
    found, path = pod_file_failure(tmp_path, **changes)
    assert detail in found["detail"]
    assert fix in found["fix"] and found["fix"].endswith(f"(and make the same change in {path})")


def test_pod_file_overrides_azure_client_id(tmp_path):
    env = "        env:\n        - {name: AZURE_CLIENT_ID, value: 00000000-1111-2222-3333-444444444444}\n"
    found, path = pod_file_failure(tmp_path, env=env)
    assert found["fix"] == (
        f"kubectl -n demo set env deployment/workload -c app AZURE_CLIENT_ID- (and make the same change in {path})")


def test_pod_file_hard_coded_old_token_path_is_a_warning(tmp_path):
    env = "        env:\n        - {name: TOKEN_PATH, value: /var/run/secrets/azure/tokens/azure-identity-token}\n"
    c = check("check_arm_green", *BINDING, *SA, "--skip-cluster", "--pod-file", pod_file(tmp_path, env=env))
    assert c.r.exit_code == 0, c.r
    assert c.status("pod-file deployment/workload") == "warn"
    assert "$AZURE_FEDERATED_TOKEN_FILE" in c.by["pod-file deployment/workload"]["fix"]


# -- bad input: exit code 2 and nothing sent ---------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--service-account", "workload"], "expected NAMESPACE/NAME"),
    (["--service-account", "demo/workload", "--managed-identity-resource-id", IDENTITY_ID],
     "-n BINDING or --managed-identity-resource-id ID, not both"),
    (["--service-account", "demo/workload", "--kubeconfig", "/nonexistent/kubeconfig"], "no kubeconfig file at"),
    (["--service-account", "demo/workload", "--skip-cluster", "--context", "c1"], "--skip-cluster reads no kubeconfig"),
    (["--service-account", "demo/workload", "--pod-file", "/nonexistent.yaml"], "cannot read"),
])
def test_bad_input_is_refused_before_any_request(args, message):
    r = run("no_requests", "aks", "identity-binding", "check", *BINDING, *args)
    assert r.exit_code == 2, r
    assert message in r.err, r
    assert r.requests == []


def test_pod_file_without_a_pod_template_is_refused(tmp_path):
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    r = run("no_requests", "aks", "identity-binding", "check", *BINDING, *SA, "--pod-file", str(path))
    assert r.exit_code == 2, r
    assert "holds ConfigMap; expected a Pod, Deployment" in r.err
    assert r.requests == []


def test_help_has_examples(capsys):
    r = run("no_requests", "aks", "identity-binding", "check", "-h")
    assert r.exit_code == 0, r
    examples = capsys.readouterr().out.split("Examples", 1)[1]
    assert examples.count("az aks identity-binding check") >= 2


# -- the pure parts ------------------------------------------------------------------------------------

def test_independent_arm_reads_run_concurrently():
    import threading
    from azext_identitybinding.check.gather import _concurrently
    barrier = threading.Barrier(3, timeout=5)  # only passes if all three reads are in flight at once
    got = _concurrently({key: (lambda k=key: (barrier.wait(), k)[1]) for key in ("cluster", "binding", "fics")})
    assert {key: g.value for key, g in got.items()} == {"cluster": "cluster", "binding": "binding", "fics": "fics"}


@pytest.mark.parametrize("image, version", [
    ("mcr.microsoft.com/oss/v2/azure/workload-identity/webhook:v1.6.0-alpha.1", (1, 6, 0, "alpha.1")),
    ("mcr.microsoft.com/oss/v2/azure/workload-identity/webhook:v1.7.2", (1, 7, 2, "")),
    ("registry:5000/webhook:v1.5.1@sha256:abc", (1, 5, 1, "")),
    ("mcr.microsoft.com/oss/v2/azure/workload-identity/webhook@sha256:0123", None),
])
def test_webhook_version_is_read_from_the_image_tag(image, version):
    from azext_identitybinding.check.cluster_rules import webhook_version
    assert webhook_version(image) == version


def test_rbac_grants_follow_kubernetes_matching():
    from azext_identitybinding.check.rbac_audit import grants
    roles = [{"metadata": {"name": "exact"}, "rules": [{"apiGroups": ["cid.wi.aks.azure.com"],
                                                        "resources": [CLIENT_ID], "verbs": ["use-managed-identity"]}]},
             {"metadata": {"name": "any-identity"}, "rules": [{"apiGroups": ["cid.wi.aks.azure.com"],
                                                               "resources": ["*"], "verbs": ["use-managed-identity"]}]},
             {"metadata": {"name": "named"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"],
                                                        "resourceNames": [CLIENT_ID]}]},
             {"metadata": {"name": "upper"}, "rules": [{"apiGroups": ["cid.wi.aks.azure.com"],
                                                        "resources": [CLIENT_ID.upper()],
                                                        "verbs": ["use-managed-identity"]}]}]
    sa = {"kind": "ServiceAccount", "name": "a", "namespace": "n"}
    bindings = [{"metadata": {"name": role["metadata"]["name"]},
                 "roleRef": {"kind": "ClusterRole", "name": role["metadata"]["name"]}, "subjects": [sa]}
                for role in roles]
    bindings.append({"metadata": {"name": "user"}, "roleRef": {"kind": "ClusterRole", "name": "exact"},
                     "subjects": [{"kind": "User", "name": "system:serviceaccount:n:b"},
                                  {"kind": "User", "name": "alice@contoso.com"}]})
    found = {g["binding"]: (g["how"], g["subjects"]) for g in grants(bindings, roles, CLIENT_ID)}
    assert found == {"exact": ("exact", [("n/a", "account")]), "any-identity": ("wildcard", [("n/a", "account")]),
                     "user": ("exact", [("n/b", "account")])}


def _fic_facts(count, with_binding_fic):
    from azext_identitybinding.check.facts import Facts, Got, Target
    binding = {"name": "identitybinding1", "properties": {
        "managedIdentity": {"resourceId": IDENTITY_ID, "clientId": CLIENT_ID, "tenantId": TENANT},
        "oidcIssuer": {"oidcIssuerUrl": f"https://ib.oic.prod-aks.azure.com/{TENANT}/{CLIENT_ID}"}}}
    fics = [{"name": f"fic{n}", "properties": {"issuer": "https://token.actions.githubusercontent.com"}}
            for n in range(count - with_binding_fic)]
    if with_binding_fic:
        issuer = binding["properties"]["oidcIssuer"]["oidcIssuerUrl"]
        fics.append({"name": "aks-identity-binding", "properties": {"issuer": issuer}})
    return Facts(Target(RG, CLUSTER, "demo/workload", binding_name="identitybinding1"),
                 binding=Got(binding), identity=Got({"properties": {"clientId": CLIENT_ID}}), fics=Got(fics))


def test_federated_credential_slots_running_out_is_a_warning():
    from azext_identitybinding.check.azure_rules import check_fic
    [found] = check_fic(_fic_facts(18, True))
    assert found["status"] == "warn" and "uses 18 of its 20" in found["detail"]
    assert found["fix"] == ("az identity federated-credential list -g identity-rg --identity-name identity1 "
                            "-o table")
    assert check_fic(_fic_facts(17, True))[0]["status"] == "pass"


def test_federated_credential_missing_with_no_free_slot_says_to_free_one():
    from azext_identitybinding.check.azure_rules import check_fic
    [found] = check_fic(_fic_facts(20, False))
    assert found["status"] == "fail"
    assert "no slot is free: remove an unused one first (az identity federated-credential list -g identity-rg" \
        in found["detail"]
    assert found["fix"].startswith("az aks identity-binding delete")


def test_two_ca_sources_in_a_live_pod():
    from azext_identitybinding.check.workload import Workload, env_findings
    pod = {"spec": {"containers": [{"name": "app", "env": [
        {"name": "AZURE_KUBERNETES_CA_FILE", "value": "/var/run/secrets/azure/wi/ca-cert/ca.crt"},
        {"name": "AZURE_KUBERNETES_CA_DATA", "value": "-----BEGIN CERTIFICATE-----..."}]}]}}
    [(status, detail, fix)] = env_findings(Workload("Deployment", "workload", "demo", {}, pod), CLIENT_ID, live=True)
    assert status == "fail" and "both AZURE_KUBERNETES_CA_FILE and AZURE_KUBERNETES_CA_DATA" in detail
    assert fix == ("kubectl -n kube-system edit configmap azure-wi-webhook-config (remove AZURE_KUBERNETES_CA_DATA), "
                   "then kubectl -n demo rollout restart deployment/workload")


@pytest.mark.parametrize("managed_by, client_id, expect", [
    # a fleet profile, the binding as the service returns it: the placement, named after the ClusterRole
    ("/subscriptions/s1/resourceGroups/frg/providers/Microsoft.ContainerService/fleets/f1/identityBindingProfiles/p1",
     CLIENT_ID, f"--fleet-placement use-mi-{CLIENT_ID}"),
    # ... without a client id (a garbled answer): a placeholder, never a crash
    ("/subscriptions/s1/resourceGroups/frg/providers/Microsoft.ContainerService/fleets/f1/identityBindingProfiles/p1",
     None, "--fleet-placement PLACEMENT_NAME"),
    # hostile or foreign managedBy values are not a fleet profile: the per-cluster fix
    ("/subscriptions/s1/resourceGroups/frg/providers/Microsoft.ContainerService/fleets/../identityBindingProfiles/p1",
     CLIENT_ID, "generate-rbac"),
    (42, CLIENT_ID, "generate-rbac"), ("x" * 10_000, CLIENT_ID, "generate-rbac"),
    ("/subscriptions/s1/resourceGroups/g/providers/Microsoft.Other/things/t", CLIENT_ID, "generate-rbac"),
])
def test_service_account_fix_follows_managed_by_without_trusting_it(managed_by, client_id, expect):
    from azext_identitybinding.check.cluster_rules import check_service_account
    from azext_identitybinding.check.facts import Facts, Got, Target
    binding = {"name": "identitybinding1", "managedBy": managed_by,
               "properties": {"managedIdentity": {"resourceId": IDENTITY_ID, "clientId": client_id}}}
    facts = Facts(Target(RG, CLUSTER, "demo/workload", binding_name="identitybinding1"), binding=Got(binding),
                  sa=Got(missing=True, error="not found"))
    [found] = check_service_account(facts)
    assert found["status"] == "fail" and expect in found["fix"], found
    if "fleet-placement" in expect:
        assert found["fix"].startswith("az fleet get-credentials --subscription s1 -g frg -n f1 && ")


# -- every branch of every rule (tests/test_check_branches.py keeps this list complete) -------------

def assert_statuses(c, exit_code, **expected):
    """The named checks (underscores for dashes) have these statuses, the exit code is as given and every
    recorded request was sent."""
    got = {name: c.status(name.replace("_", "-")) for name in expected}
    assert got == expected, c.items
    assert c.r.exit_code == exit_code, c.r
    assert c.r.all_played, c.r


@pytest.mark.parametrize("cassette, off", [("check_oidc_issuer_off", "the OIDC issuer not enabled"),
                                           ("check_only_oidc_issuer_on", "workload identity not enabled")],
                         ids=["oidc-issuer-off", "workload-identity-off"])
def test_workload_identity_needs_both_switches(cassette, off):
    c = check(cassette, *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "workload-identity")
    assert c.by["workload-identity"]["detail"].startswith(off + " on the cluster")
    assert "--enable-oidc-issuer --enable-workload-identity" in c.by["workload-identity"]["fix"]


@pytest.mark.parametrize("state", ["Creating", "Updating"])
def test_binding_being_created_or_updated_is_a_warning(state):
    c = check(f"check_binding_{state.lower()}", *BINDING, *SA, "--skip-cluster")
    assert_statuses(c, 0, binding="warn")
    assert f"is {state}: tokens work once it is Succeeded" in c.by["binding"]["detail"]
    assert c.by["binding"]["fix"].startswith("az aks identity-binding show")


def test_cluster_that_cannot_be_read_skips_what_needs_it():
    c = check("check_cluster_forbidden", *BINDING, *SA, "--skip-cluster")
    assert_statuses(c, 0, cluster="skip", workload_identity="skip", vnet_integration="skip", binding="skip",
                    identity="skip", federated_credential="skip")
    assert "AuthorizationFailed" in c.by["cluster"]["detail"] or "authorization" in c.by["cluster"]["detail"]
    assert c.by["binding"]["detail"] == "needs the cluster"


def test_identity_deleted_fails_and_its_credentials_are_not_judged():
    c = check("check_identity_deleted", *BINDING, *SA, "--skip-cluster")
    assert_only_failure(c, "identity")
    assert f"managed identity '{IDENTITY_ID}' does not exist" in c.by["identity"]["detail"]
    assert c.by["identity"]["fix"].startswith("az aks identity-binding delete")
    assert c.status("federated-credential") == "skip"
    assert c.by["federated-credential"]["detail"] == "the identity does not exist"


def test_identity_that_cannot_be_read_is_a_skip():
    c = check("check_identity_forbidden", *BINDING, *SA, "--skip-cluster")
    assert_statuses(c, 0, identity="skip", federated_credential="skip", binding="pass")


def test_without_a_client_id_the_comparisons_are_skips_and_no_review_is_sent(kubeconfig):
    c = check("check_client_id_unknown", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 1, binding="fail", service_account="pass", sa_client_id="skip", sa_tenant_id="skip",
                    rbac_grant="skip", rbac_rules="skip", rbac_exposure="skip")
    assert c.by["sa-client-id"]["detail"] == "the identity's client id is not known"
    assert c.sars() == []


def test_forbidden_namespaced_reads_are_skips(kubeconfig):
    c = check("check_kube_reads_forbidden", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 0, service_account="skip", sa_client_id="skip", sa_tenant_id="skip", rbac_grant="pass",
                    rbac_rules="skip", rbac_exposure="skip", webhook="skip", root_ca="skip", pods="skip")
    assert c.by["sa-client-id"]["detail"] == "needs the service account"
    assert "forbidden" in c.by["service-account"]["detail"]


def test_no_webhook_installed_fails(kubeconfig):
    c = check("check_webhook_missing", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "webhook")
    assert "no workload identity webhook" in c.by["webhook"]["detail"]
    assert c.by["webhook"]["fix"] == f"az aks update -g {RG} -n {CLUSTER} --enable-workload-identity"


def test_webhook_with_no_ready_replica_fails(kubeconfig):
    c = check("check_webhook_not_ready", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "webhook")
    assert "has no ready replica" in c.by["webhook"]["detail"]


def test_webhook_version_not_in_the_tag_is_a_warning(kubeconfig):
    c = check("check_webhook_unversioned", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 0, webhook="warn")
    assert "its version cannot be read from the tag" in c.by["webhook"]["detail"]


def test_webhook_feature_not_switched_on_is_a_warning(kubeconfig):
    c = check("check_webhook_not_switched_on", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 0, webhook="warn")
    assert "show the feature switched on" in c.by["webhook"]["detail"]
    assert c.by["webhook"]["fix"] == "kubectl -n kube-system get configmap azure-wi-webhook-config -o yaml"


def test_root_ca_configmap_without_a_certificate_fails(kubeconfig):
    c = check("check_root_ca_empty", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "root-ca")
    assert "has no ca.crt" in c.by["root-ca"]["detail"]
    assert c.by["root-ca"]["fix"].startswith("kubectl -n demo delete configmap kube-root-ca.crt && ")


def test_tenant_annotation_missing_is_a_warning_in_the_clusters_tenant(kubeconfig):
    c = check("check_sa_tenant_missing", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 0, sa_tenant_id="warn", sa_client_id="pass")
    assert "pods fall back to the cluster's tenant" in c.by["sa-tenant-id"]["detail"]


def test_tenant_annotation_missing_fails_when_the_cluster_is_in_another_tenant(kubeconfig):
    c = check("check_sa_tenant_missing_cluster_elsewhere", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_only_failure(c, "sa-tenant-id")
    assert "pods use the cluster's tenant 22222222-2222-2222-2222-222222222222" in c.by["sa-tenant-id"]["detail"]
    assert c.by["sa-tenant-id"]["fix"].startswith("kubectl -n demo annotate serviceaccount workload")


def test_grant_to_every_service_account_of_a_namespace_is_a_warning(kubeconfig):
    c = check("check_rbac_namespace_group", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 0, rbac_exposure="warn", rbac_grant="pass")
    assert "every service account of a namespace" in c.by["rbac-exposure"]["detail"]
    assert c.by["rbac-exposure"]["fix"].startswith(f"kubectl delete clusterrolebinding use-mi-{CLIENT_ID}")


def test_malformed_rule_beside_a_working_grant_is_a_warning(kubeconfig):
    c = check("check_rbac_malformed_but_granted", *BINDING, *SA, kubeconfig=kubeconfig)
    assert_statuses(c, 0, rbac_rules="warn", rbac_grant="pass")
    assert "ClusterRole use-mi-by-object-id" in c.by["rbac-rules"]["detail"]
    assert c.by["rbac-rules"]["fix"].startswith("kubectl delete clusterrole use-mi-by-object-id && ")


def test_binding_that_cannot_be_read_is_a_skip_not_missing():
    c = check("check_binding_forbidden", *BINDING, *SA, "--skip-cluster")
    assert_statuses(c, 0, cluster="pass", binding="skip", identity="skip")
    assert "identityBindings/read" in c.by["binding"]["detail"]
