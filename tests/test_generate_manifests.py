"""`az aks identity-binding generate-manifests` through az: offline (no request, no login needed), and with
the identity read from ARM (the generate-rbac cassettes: the traffic is the same one GET)."""
import json

import pytest
import yaml

from playback import CLUSTER, IDENTITY_ID, RG, TENANT, run

CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"   # as recorded for identity1
OBJECT_ID = "7c1e5a9d-2b4f-4c8e-a6d3-9f0b1e2c3d4a"
FROM_BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]
OFFLINE = ["--client-id", CLIENT_ID, "--tenant-id", TENANT]
VAULT = ["--keyvault-name", "myVault", "--secret", "db-password"]
SPC = f"kv-myvault-{CLIENT_ID}"
PATCH = ("kubectl -n demo patch deployment web --type merge -p '{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
         "{\"azure.workload.identity/use-identity-binding\":\"true\"},\"labels\":{\"azure.workload.identity/use\":"
         "\"true\"}},\"spec\":{\"serviceAccountName\":\"web\"}}}}'")


def gen(cassette, *args):
    return run(cassette, "aks", "identity-binding", "generate-manifests", *args)


def kinds(result):
    return [i["kind"] for i in result["items"]]


def spc_of(result):
    [spc] = [i for i in result["items"] if i["kind"] == "SecretProviderClass"]
    return spc


def test_offline_sends_nothing_and_prints_the_whole_list_and_the_patch():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", "--workload", "deployment/web", *VAULT,
            "-o", "yaml")
    assert r.exit_code == 0, r
    assert r.requests == []
    result = yaml.safe_load(r.out)
    assert kinds(result) == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount", "SecretProviderClass"]
    spc = spc_of(result)
    assert spc["metadata"] == {"name": SPC, "namespace": "demo",
                               "labels": {"app.kubernetes.io/managed-by": "azext-identitybinding"}}
    params = spc["spec"]["parameters"]
    assert spc["spec"]["provider"] == "azure"
    assert {k: v for k, v in params.items() if k != "objects"} == {
        "useAzureTokenProxy": "true", "clientID": CLIENT_ID, "tenantID": TENANT, "keyvaultName": "myVault"}
    [entry] = yaml.safe_load(params["objects"])["array"]
    assert yaml.safe_load(entry) == {"objectName": "db-password", "objectType": "secret", "objectVersion": ""}
    # the one patch, on its own line on stderr, so that it pastes as it is
    assert PATCH in r.err.splitlines()
    assert r.out.count("kubectl") == 0


def test_the_rbac_is_what_generate_rbac_include_sa_prints():
    args = ["--service-account", "demo/web", "b/x", "--role-name", "r1", "-o", "json"]
    m = gen("no_requests", *OFFLINE, *args)
    g = run("no_requests", "aks", "identity-binding", "generate-rbac", *OFFLINE, *args, "--include-sa")
    assert m.exit_code == g.exit_code == 0, (m, g)
    assert m.json() == g.json()  # without a vault: exactly generate-rbac's List


def test_byte_stable_whatever_the_order_and_duplicates():
    a = gen("no_requests", *OFFLINE, "--service-account", "b/x", "a/y", "--keyvault-name", "kv1", "--secret", "s2",
            "s1", "--key", "k", "-o", "json")
    b = gen("no_requests", "--client-id", CLIENT_ID.upper(), "--tenant-id", TENANT, "--key", "k", "--secret", "s1",
            "--service-account", "a/y", "--keyvault-name", "kv1", "--secret", "s2", "s1", "--service-account", "b/x",
            "-o", "json")
    assert a.exit_code == b.exit_code == 0, (a, b)
    assert a.out == b.out and a.err == b.err
    assert [s["metadata"]["namespace"] for s in a.json()["items"] if s["kind"] == "SecretProviderClass"] == ["a", "b"]


def test_without_workload_the_patch_has_a_placeholder_per_service_account():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", "team/api")
    assert r.exit_code == 0, r
    lines = [line for line in r.err.splitlines() if line.startswith("kubectl")]
    assert [line.split(" --type")[0] for line in lines] == ["kubectl -n demo patch WORKLOAD",
                                                            "kubectl -n team patch WORKLOAD"]
    assert "replace WORKLOAD with its KIND/NAME" in r.err


def test_identity_read_from_a_binding():
    r = gen("rbac_from_binding", *FROM_BINDING, "--service-account", "demo/web", *VAULT)
    assert r.exit_code == 0, r
    assert [(m, "/identityBindings/identitybinding1?" in u) for m, u, _ in r.requests] == [("GET", True)]
    assert r.all_played
    params = spc_of(r.json())["spec"]["parameters"]
    assert (params["clientID"], params["tenantID"]) == (CLIENT_ID, TENANT)


def test_identity_read_by_resource_id():
    r = gen("rbac_from_identity", "--managed-identity-resource-id", IDENTITY_ID, "--service-account", "demo/web", *VAULT,
            "--spc-name", "team-vault")
    assert r.exit_code == 0, r
    assert r.requests[0][1].endswith(f"{IDENTITY_ID}?api-version=2024-11-30") and r.all_played
    spc = spc_of(r.json())
    assert spc["metadata"]["name"] == "team-vault" and spc["spec"]["parameters"]["tenantID"] == TENANT


@pytest.mark.parametrize("extra, shown", [
    (["--client-id", OBJECT_ID], "object (principal) id"),
    (["--tenant-id", "22222222-2222-2222-2222-222222222222"], "does not match the tenant"),
])
def test_a_given_id_is_checked_against_azure(extra, shown):
    r = gen("rbac_from_identity", "--managed-identity-resource-id", IDENTITY_ID, *extra, "--service-account", "demo/web",
            *VAULT)
    assert r.exit_code == 1, r
    assert shown in r.err and r.out == "" and "kubectl" not in r.err


@pytest.mark.parametrize("cassette, args, shown", [
    ("show_binding_not_found", FROM_BINDING, "Identity binding 'identitybinding1' was not found"),
    ("rbac_identity_not_found", ["--managed-identity-resource-id", IDENTITY_ID], "was not found"),
])
def test_not_found_is_exit_3(cassette, args, shown):
    r = gen(cassette, *args, "--service-account", "demo/web", *VAULT)
    assert r.exit_code == 3, r
    assert shown in r.err and "Traceback" not in r.err and r.out == ""


@pytest.mark.parametrize("args, shown", [
    (["--client-id", CLIENT_ID, "--service-account", "demo/web", *VAULT], "--client-id needs --tenant-id"),
    ([*OFFLINE, *VAULT], "give at least one --service-account"),
    ([*OFFLINE, "--namespace", "demo", *VAULT], "give at least one --service-account"),
    ([*OFFLINE, "--service-account", "demo/web", "--secret", "s"], "--secret needs --keyvault-name"),
    ([*OFFLINE, "--service-account", "demo/web", "--spc-name", "x"], "--spc-name needs --keyvault-name"),
    ([*OFFLINE, "--service-account", "demo/web", "--keyvault-name", "kv1"], "needs at least one object"),
    ([*OFFLINE, "--service-account", "demo/web", "--keyvault-name", "kv1", "--secret", "a", "--key", "a"],
     "is written to the file 'a' of the mount"),
    ([*OFFLINE, "--service-account", "a/b", "c/d", "--workload", "deploy/web"], "but 2 were given"),
    ([*OFFLINE, "--service-account", "demo/web", "--workload", "job/x"], "argument --workload: 'job/x'"),
    ([*OFFLINE, "--service-account", "demo/web", "--keyvault-name", "kv1", "--secret", "a\nb"],
     "argument --secret: 'a\\nb'"),
    ([*OFFLINE, "--service-account", "demo/web", "--keyvault-name", "kv", "--secret", "a"],
     "argument --keyvault-name: 'kv': is 2 characters long"),
    ([*OFFLINE, "--service-account", "demo/web", *VAULT, "--spc-name", "Bad_Name"], "argument --spc-name: 'Bad_Name'"),
    (["--managed-identity-resource-id", IDENTITY_ID, *FROM_BINDING, "--service-account", "demo/web"],
     "exactly one identity source"),
    (["--service-account", "demo/web"], "give the identity"),
])
def test_bad_arguments_exit_2_before_any_request(args, shown):
    r = gen("no_requests", *args)
    assert r.exit_code == 2, r
    assert shown in r.err, r
    assert r.requests == [] and "Traceback" not in r.err


def test_table_has_one_row_per_object():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", "--keyvault-name", "myVault", "--secret",
            "db-password=db.txt", "--certificate", "tls", "-o", "table")
    assert r.exit_code == 0, r
    header, _, *rows = r.out.splitlines()
    assert header.split() == ["Kind", "Name", "Namespace", "Grants"]
    assert [row.split()[0] for row in rows] == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount",
                                                "SecretProviderClass"]
    assert rows[-1].split(None, 3)[1:] == [SPC, "demo", f"mounts from Key Vault myVault as {CLIENT_ID}: cert tls, "
                                                        "secret db-password as db.txt"]


def test_json_and_yaml_agree():
    args = [*OFFLINE, "--service-account", "demo/web", *VAULT, "--key", "k/0123456789abcdef0123456789abcdef=k.pem"]
    j, y = gen("no_requests", *args, "-o", "json"), gen("no_requests", *args, "-o", "yaml")
    assert json.loads(j.out) == yaml.safe_load(y.out)


def test_help_states_the_namespace_rule_and_has_no_tags(capsys):
    r = gen("no_requests", "-h")
    assert r.exit_code == 0, r
    text = " ".join(capsys.readouterr().out.split())
    assert "one is emitted in each namespace of the subjects" in text
    assert "<" not in text


# -- examples/keyvault-deployment.yaml: docs/keyvault.md's pod, consistent with what the command emits --

EXAMPLE = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "keyvault-deployment.yaml"


def test_the_example_deployment_mounts_what_generate_manifests_emits_and_passes_the_lint():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", *VAULT, "--spc-name", "web-secrets")
    assert r.exit_code == 0, r
    spc, sa = spc_of(r.json()), [i for i in r.json()["items"] if i["kind"] == "ServiceAccount"][0]
    deployment = yaml.safe_load(EXAMPLE.read_text())
    pod = deployment["spec"]["template"]["spec"]
    [volume] = pod["volumes"]
    assert volume["csi"] == {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                             "volumeAttributes": {"secretProviderClass": spc["metadata"]["name"]}}
    assert (deployment["metadata"]["namespace"], pod["serviceAccountName"]) == (
        spc["metadata"]["namespace"], sa["metadata"]["name"])
    lint = run("no_requests", "aks", "identity-binding", "check", "--pod-file", str(EXAMPLE), "--service-account",
               "demo/web", "--client-id", CLIENT_ID)
    assert lint.exit_code == 0, lint
    assert lint.requests == [] and {i["status"] for i in lint.json()} == {"pass"}
    import kubernetes_validate  # required (both CI suites install it): missing, the test fails, never passes
    kubernetes_validate.validate(deployment, "1.34", strict=True)


# -- AKS Fleet Manager: --fleet-placement ----------------------------------------------------------

def rbac_gen(cassette, *args):
    return run(cassette, "aks", "identity-binding", "generate-rbac", *args)


def test_fleet_placement_appends_a_placement_of_exactly_the_generated_objects():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", "team-b/api", *VAULT,
            "--fleet-placement", "ib-web", "--member-selector", "env=prod,region=eu", "team=payments", "-o", "json")
    assert r.exit_code == 0, r
    assert r.requests == []
    result = r.json()
    assert kinds(result) == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount", "ServiceAccount",
                             "SecretProviderClass", "SecretProviderClass", "ClusterResourcePlacement"]
    crp = result["items"][-1]
    role = f"use-mi-{CLIENT_ID}"
    assert crp["spec"]["resourceSelectors"] == [
        {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole", "name": role},
        {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRoleBinding", "name": role},
        {"group": "", "version": "v1", "kind": "Namespace", "name": "demo"},
        {"group": "", "version": "v1", "kind": "Namespace", "name": "team-b"}]
    affinity = crp["spec"]["policy"]["affinity"]["clusterAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert affinity == {"clusterSelectorTerms": [{"labelSelector": {"matchLabels": {
        "env": "prod", "region": "eu", "team": "payments"}}}]}
    assert crp["spec"]["policy"]["placementType"] == "PickAll"
    # stderr: where to apply it, and which namespaces go whole
    assert "az fleet get-credentials -g FLEET_GROUP -n FLEET" in r.err
    assert "namespace(s) demo, team-b WHOLE" in r.err and "env=prod,region=eu,team=payments" in r.err
    assert "--placement-rbac-only" in r.err


def test_fleet_placement_is_byte_stable():
    one = gen("no_requests", *OFFLINE, "--service-account", "b/x", "a/y", "--fleet-placement", "p",
              "--member-selector", "z=1", "a=2", "-o", "yaml")
    two = gen("no_requests", *OFFLINE, "--service-account", "a/y", "b/x", "a/y", "--fleet-placement", "p",
              "--member-selector", "a=2,z=1", "-o", "yaml")
    assert one.exit_code == two.exit_code == 0, (one, two)
    assert one.out == two.out


def test_placement_rbac_only_places_no_namespace_and_says_what_stays():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", "--fleet-placement", "ib-web",
            "--placement-rbac-only", "-o", "json")
    assert r.exit_code == 0, r
    crp = r.json()["items"][-1]
    assert [s["kind"] for s in crp["spec"]["resourceSelectors"]] == ["ClusterRole", "ClusterRoleBinding"]
    assert "affinity" not in crp["spec"]["policy"]  # every member
    assert "WHOLE" not in r.err and "namespace(s) demo are not placed" in r.err


def test_generate_rbac_fleet_placement_from_a_binding():
    r = rbac_gen("rbac_from_binding", *FROM_BINDING, "--service-account", "demo/web", "--fleet-placement", "p",
                 "-o", "json")
    assert r.exit_code == 0, r
    assert [i["kind"] for i in r.json()["items"]] == ["ClusterRole", "ClusterRoleBinding", "ClusterResourcePlacement"]
    assert "WHOLE" not in r.err  # nothing namespaced was generated: no namespace is taken


def test_fleet_placement_table_says_what_it_places_where():
    r = gen("no_requests", *OFFLINE, "--service-account", "demo/web", "--fleet-placement", "p", "--member-selector",
            "env=prod", "-o", "table")
    assert r.exit_code == 0, r
    [row] = [line for line in r.out.splitlines() if line.startswith("ClusterResourcePlacement")]
    assert row.rstrip().endswith(f"ClusterRoleBinding use-mi-{CLIENT_ID}, Namespace demo on members labelled env=prod")


@pytest.mark.parametrize("command", ["generate-manifests", "generate-rbac"])
@pytest.mark.parametrize("args, message", [
    (["--fleet-placement", "p", "--member-selector", ".."], "'..': expected KEY=VALUE"),
    (["--fleet-placement", "p", "--member-selector", ""], "expected KEY=VALUE"),
    (["--fleet-placement", "p", "--member-selector", "a" * 10_000], "(10000 characters)"),
    (["--fleet-placement", "p", "--member-selector", "a=b=c"], "the value 'b=c' is not valid"),
    (["--fleet-placement", "p", "--member-selector", "ümlaut=1"], "is not valid"),
    (["--fleet-placement", "p", "--member-selector", "env=prod", "env=dev"], "given twice"),
    (["--fleet-placement", ".."], "--fleet-placement: '..'"),
    (["--fleet-placement", "P"], "uppercase"),
    (["--member-selector", "env=prod"], "add --fleet-placement NAME"),
    (["--placement-rbac-only"], "add --fleet-placement NAME"),
])
def test_hostile_placement_arguments_are_refused_before_anything(command, args, message):
    r = run("no_requests", "aks", "identity-binding", command, *OFFLINE, "--service-account", "demo/web", *args)
    assert r.exit_code == 2, r
    assert message in r.err and r.out == "" and r.requests == []
    assert "Traceback" not in r.err
