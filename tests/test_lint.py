"""`az aks identity-binding check --pod-file FILE...` without -g/--cluster-name: the offline manifest lint.

Run in-process with the empty cassette: any ARM request would fail the playback, and any socket the
no-network guard (conftest.py). That it also needs no login is shown with the installed wheel in
test_smoke_wheel.py.
"""
import pytest

from playback import run

CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
GOOD = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}{namespace}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web, azure.workload.identity/use: "{label}"}}
      annotations: {{azure.workload.identity/use-identity-binding: "true"}}
    spec:
      serviceAccountName: {sa}
      containers:
      - name: app
        image: contoso.azurecr.io/web:1.0
        env: [{{name: AZURE_CLIENT_ID, value: {client_id}}}]
"""


def manifest(tmp_path, file_name="deploy.yaml", name="web", namespace="demo", label="true", sa="workload",
             client_id=CLIENT_ID):
    path = tmp_path / file_name
    path.write_text(GOOD.format(name=name, namespace=f", namespace: {namespace}" if namespace else "", label=label,
                                sa=sa, client_id=client_id))
    return str(path)


def lint(*args):
    r = run("no_requests", "aks", "identity-binding", "check", *args)
    assert r.requests == [], r
    assert "Traceback" not in r.err, r
    return r


def items(r):
    return {i["check"]: i for i in r.json()}


def test_a_right_manifest_passes_with_exit_0(tmp_path):
    r = lint("--pod-file", manifest(tmp_path))
    assert r.exit_code == 0, r
    assert r.json() == [{"check": "pod-file deployment/web", "status": "pass", "fix": "",
                         "detail": f"{tmp_path / 'deploy.yaml'}: label and annotation are right"}]


def test_only_the_manifests_are_checked(tmp_path):
    """No Azure item, no cluster item, not even as skipped: nothing but what was asked."""
    r = lint("--pod-file", manifest(tmp_path), "-o", "json")
    assert [i["check"] for i in r.json()] == ["pod-file deployment/web"]


def test_a_failing_manifest_exits_1_after_printing_the_fix(tmp_path):
    path = manifest(tmp_path, label="True")
    r = lint("--pod-file", path)
    assert r.exit_code == 1, r
    found = items(r)["pod-file deployment/web"]
    assert found["status"] == "fail"
    assert 'selects exactly "true"' in found["detail"]
    assert found["fix"] == ("kubectl -n demo patch deployment web --type merge -p "
                            '\'{"spec":{"template":{"metadata":{"labels":{"azure.workload.identity/use":"true"}}}}}\' '
                            f"(and make the same change in {path})")
    assert "1 check(s) failed: pod-file deployment/web" in r.err


def test_table_output(tmp_path):
    r = lint("--pod-file", manifest(tmp_path, label="no"), "-o", "table")
    assert r.exit_code == 1, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["Status", "Check", "Detail"]
    assert lines[2].startswith("FAIL") and "pod-file deployment/web" in lines[2]
    assert "fix:" in lines[3]


def test_service_account_given_is_checked(tmp_path):
    path = manifest(tmp_path)
    assert lint("--pod-file", path, "--service-account", "demo/workload").exit_code == 0
    r = lint("--pod-file", path, "--service-account", "demo/other")
    assert r.exit_code == 1, r
    found = items(r)["pod-file deployment/web"]
    assert "runs as service account demo/workload, not demo/other" in found["detail"]
    assert '"serviceAccountName":"other"' in found["fix"]


def test_without_namespace_the_manifest_is_in_the_service_accounts_namespace(tmp_path):
    path = manifest(tmp_path, namespace=None)
    assert lint("--pod-file", path, "--service-account", "demo/workload").exit_code == 0
    r = lint("--pod-file", path)  # and in 'default' without a service account
    assert r.exit_code == 0, r
    r = lint("--pod-file", path, "--service-account", "demo/workload", "--query", "[0].detail")
    assert "service account demo/workload are right" in r.out


def test_client_id_given_is_checked_against_azure_client_id(tmp_path):
    path = manifest(tmp_path)
    assert lint("--pod-file", path, "--client-id", CLIENT_ID.upper()).exit_code == 0  # compared as GUIDs
    other = "00000000-1111-2222-3333-444444444444"
    r = lint("--pod-file", path, "--client-id", other)
    assert r.exit_code == 1, r
    found = items(r)["pod-file deployment/web"]
    assert f"sets AZURE_CLIENT_ID={CLIENT_ID}, not the identity's client id {other}" in found["detail"]
    assert found["fix"].startswith("kubectl -n demo set env deployment/web -c app AZURE_CLIENT_ID-")


def test_without_client_id_a_declared_azure_client_id_is_not_judged(tmp_path):
    r = lint("--pod-file", manifest(tmp_path, client_id="00000000-1111-2222-3333-444444444444"))
    assert r.exit_code == 0, r


def test_several_files_one_item_each_and_names_stay_unique(tmp_path):
    good, bad = manifest(tmp_path, "good.yaml"), manifest(tmp_path, "bad.yaml", label="false")
    other = manifest(tmp_path, "api.yaml", name="api")
    r = lint("--pod-file", good, bad, "--pod-file", other)
    assert r.exit_code == 1, r
    assert {c: i["status"] for c, i in items(r).items()} == {
        f"pod-file deployment/web in {good}": "pass", f"pod-file deployment/web in {bad}": "fail",
        "pod-file deployment/api": "pass"}
    assert f"1 check(s) failed: pod-file deployment/web in {bad}." in r.err


def test_same_name_in_two_namespaces_of_one_file(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(GOOD.format(name="web", namespace=", namespace: a", label="true", sa="x", client_id=CLIENT_ID)
                    + "---\n" +
                    GOOD.format(name="web", namespace=", namespace: b", label="true", sa="x", client_id=CLIENT_ID))
    r = lint("--pod-file", str(path))
    assert sorted(items(r)) == [f"pod-file deployment/web in namespace a of {path}",
                                f"pod-file deployment/web in namespace b of {path}"]


def test_skip_cluster_is_accepted_and_changes_nothing(tmp_path):
    r = lint("--pod-file", manifest(tmp_path), "--skip-cluster")
    assert r.exit_code == 0, r
    assert len(r.json()) == 1


@pytest.mark.parametrize("extra, message", [
    ([], "or --pod-file FILE (alone) to check manifests offline"),
    (["--service-account", "demo/workload"], "or --pod-file FILE (alone)"),
    (["--client-id", CLIENT_ID], "or --pod-file FILE (alone)"),
])
def test_without_cluster_and_without_pod_file_says_what_to_give(extra, message):
    r = lint(*extra)
    assert r.exit_code == 2, r
    assert message in r.err


def test_help_shows_the_offline_lint_as_an_example(capsys):
    r = run("no_requests", "aks", "identity-binding", "check", "-h")
    assert r.exit_code == 0, r
    examples = capsys.readouterr().out.split("Examples", 1)[1]
    assert any("check --pod-file" in line and "--cluster-name" not in line for line in examples.splitlines())
