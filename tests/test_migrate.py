"""`az aks identity-binding migrate audit / plan / apply / retire` against recorded ARM (and Kubernetes)
traffic, and the pure classification and plan they build on (migrate/classify.py, migrate/plan.py).

The scenario (tests/recordings/build_cassettes.py, "migrate"): identity1 holds 10 federated credentials
(FICs) in two pages: four AKS workload FICs on clusters c1 (two), c2 and c3 (c3 without workload
identity), one whose issuer lacks the trailing '/', one of a deleted cluster, GitHub, EKS,
aks-identity-binding, and one whose subject is system:serviceaccount:a:b:c. c1 already has a binding of
the identity (ib1); c4 has no FIC of it, so its bindings are never read.
"""
import json
import os
import stat
from contextlib import ExitStack
from unittest import mock

import pytest
import yaml

from playback import IDENTITY_ID, SUB, run

SUB2 = "22222222-2222-2222-2222-222222222222"
ID = ["--managed-identity-resource-id", IDENTITY_ID]
CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"


def az(cassette, *args, **kwargs):
    return run(cassette, "aks", "identity-binding", "migrate", *args, **kwargs)


def cluster_id(rg, name, sub=SUB):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"


def gen_name():
    from azext_identitybinding.migrate.plan import binding_name
    return binding_name(IDENTITY_ID)


def bindings_read(r):
    return sorted(u.split("/managedClusters/")[1].split("/")[0] for m, u, _ in r.requests
                  if m == "GET" and "/identityBindings?" in u)


def writes(r):
    return [(m, u.split("?")[0], body) for m, u, body in r.requests if m in ("PUT", "DELETE", "PATCH")]


def assert_clean(r):
    assert "Traceback" not in r.err, r


# -- plan --------------------------------------------------------------------------------------------

def test_plan_numbers_and_classification_are_exact():
    r = az("migrate_plan", "plan", *ID)
    assert r.exit_code == 0, r
    plan = r.json()
    assert plan["identity"] == IDENTITY_ID
    # c3 is not ready (workload identity off): apply binds c1 and c2 only, so its credential stays
    assert plan["credentials"] == {"used": 10, "limit": 20, "afterMigration": 7, "afterIfAllReady": 6}
    assert "10/20 -> 7/20 (6/20 once the 1 cluster(s) not ready are)" in r.err
    by_id = {c["id"]: c for c in plan["clusters"]}
    assert list(by_id) == [cluster_id("rg1", "c1"), cluster_id("rg2", "c2"), cluster_id("rg2", "c3")]
    c1, c2, c3 = by_id.values()
    assert c1["binding"] == {"name": "ib1", "exists": True, "provisioningState": "Succeeded"}  # the existing one
    assert c1["serviceAccounts"] == ["demo/api", "demo/web"] and c1["replaces"] == ["api-c1", "web-c1"]
    assert c1["ready"] is True and c1["problems"] == []
    assert c2["binding"] == {"name": gen_name(), "exists": False} and c2["replaces"] == ["web-c2"]
    assert c2["ready"] is True
    assert c3["ready"] is False and any("workload identity is not enabled" in p for p in c3["problems"])
    left = {item["name"]: item for item in plan["leftAlone"]}
    assert set(left) == {"web-slash", "old-cluster", "github-deploy", "eks-app", "aks-identity-binding", "colons"}
    assert "trailing '/'" in left["web-slash"]["reason"] and "never matched" in left["web-slash"]["reason"]
    assert "deleted" in left["old-cluster"]["reason"] and "cannot see" in left["old-cluster"]["reason"]
    assert left["github-deploy"]["issuer"] == "https://token.actions.githubusercontent.com"
    assert {f["credential"] for f in plan["findings"]} == {"web-slash", "colons"}
    assert r.all_played


def test_plan_reads_the_bindings_only_of_clusters_with_workload_credentials():
    r = az("migrate_plan", "plan", *ID)
    assert bindings_read(r) == ["c1", "c2", "c3"]  # not c4
    assert writes(r) == []
    fic_reads = [u for m, u, _ in r.requests if "/federatedIdentityCredentials" in u]
    assert len(fic_reads) == 2 and "skiptoken" in fic_reads[1]  # both pages


def test_plan_binding_names_match_the_api_pattern_and_are_deterministic():
    import re
    from azext_identitybinding.migrate.plan import binding_name
    names = {binding_name(IDENTITY_ID), binding_name(IDENTITY_ID.replace("identity1", "Identity_1.weird-name" * 3)),
             binding_name(IDENTITY_ID.replace("identity-rg", "other-rg"))}
    assert len(names) == 3  # same name elsewhere: another binding name
    assert all(re.fullmatch(r"[a-z][a-z0-9]{0,63}", n) for n in names), names
    assert binding_name(IDENTITY_ID) == binding_name(IDENTITY_ID.replace("resourceGroups", "resourcegroups").upper()
                                                     .replace("/SUBSCRIPTIONS/", "/subscriptions/"))


def test_plan_table_has_one_row_per_cluster():
    r = az("migrate_plan", "plan", *ID, "-o", "table")
    assert r.exit_code == 0, r
    lines = r.out.splitlines()
    assert lines[0].split()[:5] == ["Cluster", "ResourceGroup", "Binding", "Exists", "Ready"]
    assert [line.split()[0] for line in lines[2:]] == ["c1", "c2", "c3"]


def test_plan_over_all_subscriptions_uses_one_resource_graph_query_and_names_an_unusable_row():
    from azext_identitybinding.arm.client import CLUSTER_ISSUERS_QUERY
    r = az("migrate_plan_all_subscriptions", "plan", *ID, "--all-subscriptions")
    assert_clean(r)
    graph = [body for m, u, body in r.requests if "Microsoft.ResourceGraph" in u]
    assert graph == [{"query": CLUSTER_ISSUERS_QUERY, "options": {"$top": 1000, "resultFormat": "objectArray"},
                      "subscriptions": [SUB, SUB2]}]
    plan = r.json()
    # c5, in the other subscription, reports the issuer of old-cluster: now a workload FIC of c5
    assert [c["name"] for c in plan["clusters"]] == ["c1", "c2", "c3", "c5"]
    assert plan["clusters"][3]["replaces"] == ["old-cluster"] and plan["clusters"][3]["subscription"] == SUB2
    assert "old-cluster" not in {i["name"] for i in plan["leftAlone"]}
    assert plan["credentials"] == {"used": 10, "limit": 20, "afterMigration": 6, "afterIfAllReady": 5}  # c3: not ready
    assert bindings_read(r) == ["c1", "c2", "c3", "c5"]
    assert r.exit_code == 1 and "Incomplete answer" in r.err  # the row with a '..' cluster name
    assert "cannot be used" in r.err and "'..'" in r.err
    assert all("/managedClusters/../" not in u and "%2E%2E" not in u for _, u, _ in r.requests)


def test_plan_of_an_identity_that_does_not_exist_is_not_found():
    r = az("migrate_plan_identity_not_found", "plan", *ID)
    assert r.exit_code == 3, r
    assert "was not found" in r.err
    assert_clean(r)


def test_plan_refuses_a_next_link_to_another_host():
    r = az("migrate_plan_foreign_next_link", "plan", *ID)
    assert r.exit_code == 1, r
    assert "another host" in r.err and "attacker.example.com" in r.err
    assert not any("attacker" in u for _, u, _ in r.requests)
    assert_clean(r)


def test_plan_reports_hostile_credentials_and_never_puts_them_in_a_url():
    r = az("migrate_plan_hostile", "plan", *ID)
    assert r.exit_code == 0, r
    plan = r.json()
    problems = {f["credential"]: f["problem"] for f in plan["findings"]}
    assert "'..'" in problems and "'a/b'" in problems
    assert any("10000 characters" in name for name in problems)  # shown cut, named by its length
    assert "colons" in problems and "dotdot-sa" in problems and "long-subject" in problems
    assert "wrong-types" in problems and any("not a credential" in p for p in problems.values())
    assert [c["replaces"] for c in plan["clusters"]] == [["web-c1"]]
    assert all(len(u) < 2000 for _, u, _ in r.requests)
    assert len(r.out) < 20000  # a 10,000-character name is never echoed whole


# -- plan --manifests-dir ------------------------------------------------------------------------------

def test_manifests_are_byte_identical_to_generate_rbac_and_named_safely(tmp_path):
    out = tmp_path / "m"
    r = az("migrate_plan_manifests", "plan", *ID, "--manifests-dir", str(out))
    assert r.exit_code == 0, r
    files = sorted(os.listdir(out))
    assert len(files) == 3 and all(f.endswith(".yaml") and "/" not in f and not f.startswith(".") for f in files)
    c2 = next(f for f in files if f.startswith("rg2_c2_"))
    text = (out / c2).read_text()
    rbac = run("rbac_from_identity", "aks", "identity-binding", "generate-rbac", *ID, "--service-account",
               "demo/web", "-o", "yaml")
    assert rbac.exit_code == 0, rbac
    body = "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))
    assert body == rbac.out  # the RBAC exactly as generate-rbac prints it
    assert "use-identity-binding" in text and "kubectl -n demo patch WORKLOAD" in text
    assert {m["result"] for m in r.json()["manifests"]} == {"written"}


def test_manifests_rerun_is_unchanged_and_a_differing_file_is_not_overwritten(tmp_path):
    out = tmp_path / "m"
    assert az("migrate_plan_manifests", "plan", *ID, "--manifests-dir", str(out)).exit_code == 0
    again = az("migrate_plan_manifests", "plan", *ID, "--manifests-dir", str(out))
    assert {m["result"] for m in again.json()["manifests"]} == {"unchanged"}
    target = out / sorted(os.listdir(out))[0]
    target.write_text("edited by hand\n")
    r = az("migrate_plan_manifests", "plan", *ID, "--manifests-dir", str(out))
    assert r.exit_code == 1 and "--overwrite" in r.err and "nothing was written" in r.err, r
    assert target.read_text() == "edited by hand\n"
    r = az("migrate_plan_manifests", "plan", *ID, "--manifests-dir", str(out), "--overwrite")
    assert r.exit_code == 0 and target.read_text().startswith("# Identity binding"), r
    assert not [f for f in os.listdir(out) if f.endswith(".part")]


def test_manifests_dir_that_is_a_file_a_symlink_or_unwritable_is_refused_before_any_request(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    link = tmp_path / "link"
    link.symlink_to("/tmp")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    cases = [(a_file, "is a file"), (link, "symbolic link"), (tmp_path / "missing" / "deeper", "cannot be created"),
             (locked, "not writable"), (locked / "new", "cannot be created"), (link / "new", "symbolic link")]
    with ExitStack() as stack:
        if os.geteuid() == 0:  # root writes through permission bits: make the locked directory refuse files
            import tempfile
            real = tempfile.mkstemp

            def mkstemp(*args, **kwargs):
                if str(kwargs.get("dir")) == str(locked):
                    raise PermissionError(13, "Permission denied")
                return real(*args, **kwargs)
            stack.enter_context(mock.patch("tempfile.mkstemp", mkstemp))
        for path, message in cases:
            r = az("no_requests", "plan", *ID, "--manifests-dir", str(path))
            assert r.exit_code == 2 and message in r.err and r.requests == [], (path, r)
    assert a_file.read_text() == "x" and os.listdir(locked) == []
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".ib-probe-")]


# -- apply -------------------------------------------------------------------------------------------

def test_apply_creates_only_the_missing_binding_on_the_ready_cluster_and_names_the_others():
    r = az("migrate_apply", "apply", *ID)
    assert r.exit_code == 1, r  # c3 is not ready
    assert writes(r) == [("PUT", f"https://management.azure.com{cluster_id('rg2', 'c2')}/identityBindings/{gen_name()}",
                          {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}}})]
    results = {c["cluster"].rsplit("/", 1)[1]: c["result"] for c in r.json()["clusters"]}
    assert results == {"c1": "exists", "c2": "created", "c3": "not-ready"}
    assert "cluster(s) got no binding" in r.err and "c3" in r.err
    assert "Next steps" in r.err and "migrate retire" in r.err and "WorkloadIdentityCredential" in r.err
    assert r.all_played


def test_apply_table_has_one_row_per_cluster():
    r = az("migrate_apply", "apply", *ID, "-o", "table")
    rows = [line.split()[:4] for line in r.out.splitlines()[2:]]
    assert rows == [["c1", "rg1", "ib1", "exists"], ["c2", "rg2", gen_name(), "created"],
                    ["c3", "rg2", gen_name(), "not-ready"]]


def test_apply_again_creates_nothing():
    r = az("migrate_apply_again", "apply", *ID)
    assert writes(r) == []
    assert {c["result"] for c in r.json()["clusters"]} == {"exists", "not-ready"}
    assert r.exit_code == 1  # c3 still needs workload identity


def test_apply_no_wait_sends_the_put_and_does_not_poll():
    r = az("migrate_apply_no_wait", "apply", *ID, "--no-wait")
    assert [m for m, _, _ in writes(r)] == ["PUT"]
    assert not any("/operations/" in u for _, u, _ in r.requests)
    assert r.out == ""  # az's --no-wait prints no result; stderr says what was sent and how to wait for it
    assert (f"wait for it with `az aks identity-binding wait -g rg2 --cluster-name c2 -n {gen_name()} --created "
            f"--subscription {SUB}`") in r.err
    assert "c3" in r.err and r.exit_code == 1


def test_apply_names_a_failed_cluster_and_exits_1():
    r = az("migrate_apply_forbidden", "apply", *ID)
    assert r.exit_code == 1, r
    failed = [c for c in r.json()["clusters"] if c["result"] == "failed"]
    assert len(failed) == 1 and "Permission denied" in failed[0]["detail"]
    assert_clean(r)


# -- retire ------------------------------------------------------------------------------------------

def test_retire_deletes_a_named_credential_after_backing_it_up(tmp_path):
    backups = tmp_path / "b"
    r = az("migrate_retire_named", "retire", *ID, "--credential", "web-c2", "--yes", "--backup-dir", str(backups))
    assert r.exit_code == 0, r
    assert writes(r) == [("DELETE", f"https://management.azure.com{IDENTITY_ID}/federatedIdentityCredentials/web-c2",
                          None)]
    methods = [(m, u.split("?")[0].rsplit("/", 1)[1]) for m, u, _ in r.requests][-2:]
    assert methods == [("GET", "web-c2"), ("DELETE", "web-c2")]  # read again right before the DELETE
    saved = json.loads((backups / "web-c2.json").read_text())
    assert saved["subject"] == "system:serviceaccount:demo:web" and saved["audiences"] == ["api://AzureADTokenExchange"]
    assert saved["restore"] == (
        f"az identity federated-credential create --subscription {SUB} -g identity-rg --identity-name identity1 "
        f"-n web-c2 --issuer {saved['issuer']} --subject system:serviceaccount:demo:web "
        "--audiences api://AzureADTokenExchange")
    out = r.json()
    assert [d["credential"] for d in out["deleted"]] == ["web-c2"]
    kept = {k["credential"]: k["reason"] for k in out["kept"]}
    assert "no evidence" in kept["web-c1"] and "missing" in kept["jobs-c3"]


def test_retire_table_says_what_happened_to_each_credential(tmp_path):
    r = az("migrate_retire_named", "retire", *ID, "--credential", "web-c2", "--yes", "--backup-dir",
           str(tmp_path / "b"), "-o", "table")
    assert r.exit_code == 0, r
    rows = [line.split()[:2] for line in r.out.splitlines()[2:]]
    assert rows == [["web-c2", "deleted"], ["api-c1", "kept"], ["web-c1", "kept"], ["jobs-c3", "kept"]]


def test_retire_refuses_a_credential_that_changed_since_it_was_read(tmp_path):
    r = az("migrate_retire_changed", "retire", *ID, "--credential", "web-c2", "--yes", "--backup-dir",
           str(tmp_path / "b"))
    assert r.exit_code == 1, r
    assert writes(r) == []
    assert "changed since it was read" in r.err
    assert not (tmp_path / "b" / "web-c2.json").exists()


def test_retire_never_deletes_left_alone_credentials_or_the_binding_credential(tmp_path):
    r = az("migrate_retire_reads_only", "retire", *ID, "--credential", "github-deploy", "--credential",
           "aks-identity-binding", "--credential", "web-slash", "--yes", "--backup-dir", str(tmp_path / "b"))
    assert writes(r) == []
    kept = {k["credential"]: k["reason"] for k in r.json()["kept"]}
    assert all("never deleted" in kept[n] for n in ("github-deploy", "aks-identity-binding", "web-slash"))


def test_retire_without_a_terminal_and_without_yes_deletes_nothing():
    r = az("migrate_retire_reads_only", "retire", *ID, "--credential", "web-c2")
    assert r.exit_code == 1, r
    assert writes(r) == [] and "Add --yes" in r.err


@pytest.mark.parametrize("answer", [True, False])
def test_retire_asks_first_and_a_no_deletes_nothing(answer, tmp_path):
    asked = []

    def prompt(question, default=None):
        asked.append(question)
        return answer
    with mock.patch("knack.prompting.prompt_y_n", prompt):
        r = az("migrate_retire_named", "retire", *ID, "--credential", "web-c2", "--backup-dir", str(tmp_path / "b"))
    assert r.exit_code == 0, r
    assert len(asked) == 1 and "web-c2" in asked[0] and "backed up first" in asked[0]
    assert [m for m, _, _ in writes(r)] == (["DELETE"] if answer else [])
    assert (tmp_path / "b" / "web-c2.json").exists() is answer
    if not answer:
        assert "Nothing was deleted" in r.err


def test_retire_default_backup_dir_is_a_new_dated_folder_whose_path_is_printed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = az("migrate_retire_named", "retire", *ID, "--credential", "web-c2", "--yes")
    assert r.exit_code == 0, r
    [folder] = os.listdir(tmp_path)
    assert folder.startswith("identity-binding-backup-") and str(tmp_path / folder) in r.err
    assert r.json()["backupDir"] == str(tmp_path / folder)


def test_retire_with_pod_evidence_deletes_exactly_the_proven_credential(tmp_path):
    from test_check import KUBECONFIG, SERVER  # the kubeconfig of the recorded API server
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG.format(server=SERVER))
    r = az("migrate_retire_kube", "retire", *ID, "--cluster-name", "c1", "--kubeconfig", str(kubeconfig), "--yes",
           "--backup-dir", str(tmp_path / "b"))
    assert r.exit_code == 0, r
    assert [u.split("?")[0].rsplit("/", 1)[1] for m, u, _ in writes(r)] == ["web-c1"]
    kept = {k["credential"]: k["reason"] for k in r.json()["kept"]}
    assert set(kept) == {"api-c1"} and "identity-binding mode" in kept["api-c1"]
    assert (tmp_path / "b" / "web-c1.json").exists()


def test_retire_kube_evidence_is_refused_when_the_cluster_name_matches_two_clusters():
    r = az("migrate_retire_two_named_c1", "retire", *ID, "--subscription", SUB, SUB2, "--cluster-name", "c1",
           "--context", "c1", "--yes")
    assert r.exit_code == 1, r
    assert "matches 2 clusters" in r.err and "-g GROUP" in r.err
    assert writes(r) == []
    assert_clean(r)


def test_retire_kube_evidence_needs_the_cluster_name(tmp_path):
    r = az("no_requests", "retire", *ID, "--context", "c1")
    assert r.exit_code == 2 and "--cluster-name" in r.err and r.requests == [], r


def test_retire_refuses_an_unsafe_credential_name_before_any_request():
    for bad in ("..", "a/b", "x" * 121, "ab"):
        r = az("no_requests", "retire", *ID, "--credential", bad, "--yes")
        assert r.exit_code == 2 and r.requests == [], (bad, r)


# -- audit -------------------------------------------------------------------------------------------

def test_audit_over_two_subscriptions_counts_each_identity_and_sorts_by_use():
    from azext_identitybinding.arm.client import CLUSTER_ISSUERS_QUERY, IDENTITIES_QUERY
    r = az("migrate_audit", "audit", "--subscription", SUB, SUB2)
    assert r.exit_code == 0, r
    graph = [body["query"] for m, u, body in r.requests if "Microsoft.ResourceGraph" in u]
    assert graph == [IDENTITIES_QUERY, CLUSTER_ISSUERS_QUERY]
    rows = r.json()
    assert [(row["name"], row["used"], row["status"]) for row in rows] == [
        ("identity2", 20, "full"), ("identity1", 10, "ok"), ("identity3", 1, "ok")]
    one = rows[1]
    assert (one["replaceable"], one["clusters"], one["bindingCredential"], one["neverWorked"]) == (4, 3, True, 1)
    assert rows[0]["replaceable"] == 20 and rows[0]["clusters"] == 1
    # one worker in playback: the FIC lists are read in the order given, round-robin over subscriptions
    firsts = [u.split("/userAssignedIdentities/")[1].split("/")[0] for m, u, _ in r.requests
              if "/federatedIdentityCredentials?" in u and "skiptoken" not in u]
    assert firsts == ["identity1", "identity3", "identity2"]


def test_audit_counts_bindings_only_when_asked():
    r = az("migrate_audit", "audit", "--subscription", SUB, SUB2)
    assert {row["bindings"] for row in r.json()} == {None}
    assert not any("/identityBindings" in u for _, u, _ in r.requests)  # no cluster's bindings read
    r = az("migrate_audit_bindings", "audit", "--subscription", SUB, SUB2, "--count-bindings")
    assert r.exit_code == 0, r
    assert {row["name"]: row["bindings"] for row in r.json()} == {"identity1": 2, "identity2": 1, "identity3": 0}
    assert bindings_read(r) == ["c1", "c2", "c3"] and r.all_played
    table = az("migrate_audit_bindings", "audit", "--subscription", SUB, SUB2, "--count-bindings", "-o", "table")
    assert "Bindings" in table.out.splitlines()[0]


def test_audit_table_is_sorted_by_use():
    r = az("migrate_audit", "audit", "--subscription", SUB, SUB2, "-o", "table")
    assert r.exit_code == 0, r
    lines = r.out.splitlines()
    assert lines[0].split()[:4] == ["Identity", "ResourceGroup", "Used", "Status"]
    assert [(line.split()[0], line.split()[2]) for line in lines[2:]] == [
        ("identity2", "20/20"), ("identity1", "10/20"), ("identity3", "1/20")]


def test_audit_falls_back_to_arm_and_names_an_identity_it_could_not_read():
    r = az("migrate_audit_fallback", "audit", "--subscription", SUB, SUB2)
    assert r.exit_code == 1, r
    assert [row["name"] for row in r.json()] == ["identity2", "identity1"]
    assert "identity3" in r.err and "Incomplete answer" in r.err
    assert "Azure Resource Graph could not be used" in r.err
    from azext_identitybinding.arm.client import CLUSTER_ISSUERS_QUERY, IDENTITIES_QUERY
    assert [body for m, u, body in r.requests if m == "POST"] == [
        {"query": q, "options": {"$top": 1000, "resultFormat": "objectArray"}, "subscriptions": [SUB, SUB2]}
        for q in (IDENTITIES_QUERY, CLUSTER_ISSUERS_QUERY)]
    assert_clean(r)


def test_audit_refuses_subscription_and_all_subscriptions_together():
    r = az("no_requests", "audit", "--subscription", SUB, "--all-subscriptions")
    assert r.exit_code == 2 and r.requests == [], r


# -- the pure modules, without az ---------------------------------------------------------------------

I1 = "https://eastus2.oic.prod-aks.azure.com/11111111-1111-1111-1111-111111111111/6a1f0c3e-1111-4a2b-9c3d-000000000001/"


def _cluster(name="c1", issuer=I1, ready=True, vnet=False, rg="rg1", sub=SUB):
    from azext_identitybinding.migrate import classify
    found, why = classify.cluster_of({"id": cluster_id(rg, name, sub), "issuer": issuer, "oidcIssuerEnabled": True,
                                      "workloadIdentityEnabled": ready, "vnetIntegration": vnet})
    assert found is not None, why
    return found


def _fic(name, issuer=I1, subject="system:serviceaccount:demo:web", audiences=("api://AzureADTokenExchange",)):
    return {"name": name, "properties": {"issuer": issuer, "subject": subject, "audiences": list(audiences)}}


@pytest.mark.parametrize("subject, kind", [
    ("system:serviceaccount:demo:web", "workload"),
    ("system:serviceaccount:a:b:c", "not-a-service-account"),
    ("system:serviceaccount:demo", "not-a-service-account"),
    ("system:serviceaccount:..:web", "not-a-service-account"),
    ("system:serviceaccount:Demo:web", "not-a-service-account"),
    ("system:serviceaccount: demo:web", "not-a-service-account"),
    ("repo:contoso/app:ref:main", "not-a-service-account"),
])
def test_classify_needs_exactly_one_valid_service_account(subject, kind):
    from azext_identitybinding.migrate import classify
    [entry] = classify.classify([_fic("fic1", subject=subject)], [_cluster()])
    assert entry.kind == kind, entry


@pytest.mark.parametrize("issuer, kind", [
    (I1, "workload"),
    (I1.rstrip("/"), "never-worked"),
    (I1.upper().replace("HTTPS", "https"), "never-worked"),
    ("https://westeurope.oic.prod-aks.azure.com/t/g/", "unknown-aks"),
    ("https://oidc.prod-aks.azure.com/0c3e/", "unknown-aks"),
    ("https://eastus2.oic.prod-aks.azure.com/another/", "unknown-aks"),  # a visible cluster's host
    ("https://token.actions.githubusercontent.com", "other"),
    ("https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "other"),
    ("https://prod-aks.evil.example.com/", "other"),
])
def test_classify_matches_the_issuer_exactly(issuer, kind):
    from azext_identitybinding.migrate import classify
    [entry] = classify.classify([_fic("fic1", issuer=issuer)], [_cluster()])
    assert entry.kind == kind, entry


@pytest.mark.parametrize("fic", [
    "text", None, 42, [], {"name": ".."}, {"name": "a/b"}, {"name": "ab"}, {"name": "x" * 121},
    {"name": "-lead"}, {"name": "ok-name", "properties": None}, _fic("ok-name", issuer="h" * 601),
    _fic("ok-name", subject=None), _fic("ok-name", audiences=["a"] * 9), _fic("ok-name", issuer=7),
    {"name": "ok-name", "properties": {"issuer": I1, "subject": "system:serviceaccount:a:b", "audiences": "x"}},
])
def test_classify_reports_what_the_service_should_never_send(fic):
    from azext_identitybinding.migrate import classify
    [entry] = classify.classify([fic], [_cluster()])
    assert entry.kind == "unusable" and entry.credential is None and entry.reason
    assert len(entry.shown) <= 120


def test_classify_the_binding_credential_is_its_own_kind_whatever_its_issuer():
    from azext_identitybinding.migrate import classify
    [entry] = classify.classify([_fic("aks-identity-binding")], [_cluster()])
    assert entry.kind == "binding"


def test_cluster_rows_with_unsafe_or_wrong_ids_are_refused():
    from azext_identitybinding.migrate import classify
    for bad in (None, "", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
                cluster_id("rg", ".."), cluster_id("r/g", "c"), cluster_id("rg", "c") + "/identityBindings/b",
                f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/c",
                cluster_id("rg", "c" * 64)):
        assert classify.cluster_of({"id": bad})[0] is None, bad
    found, _ = classify.cluster_of({"id": cluster_id("rg", "c"), "issuer": "x" * 601, "oidcIssuerEnabled": "true"})
    assert found.issuer == "" and found.oidc_issuer is False  # only a real true counts


def test_plan_readiness_and_totals():
    from azext_identitybinding.migrate import classify, plan
    clusters = [_cluster("c1"), _cluster("c2", issuer=I1.replace("0001", "0002"), vnet=True),
                _cluster("c3", issuer=I1.replace("0001", "0003"), ready=False)]
    fics = [_fic("aa1"), _fic("aa2", subject="system:serviceaccount:demo:api"),
            _fic("bb1", issuer=I1.replace("0001", "0002")), _fic("cc1", issuer=I1.replace("0001", "0003")),
            _fic("ghub", issuer="https://token.actions.githubusercontent.com")]
    result = plan.build(IDENTITY_ID, classify.classify(fics, clusters))
    # now: 5 - c1's 2 + aks-identity-binding; were c2 and c3 ready too: 5 - 4 + 1
    assert result["credentials"] == {"used": 5, "limit": 20, "afterMigration": 4, "afterIfAllReady": 2}
    assert result["summary"] == "5/20 -> 4/20 (2/20 once the 2 cluster(s) not ready are)"
    ready = {c["name"]: (c["ready"], c["problems"]) for c in result["clusters"]}
    assert ready["c1"] == (True, [])
    assert not ready["c2"][0] and "VNet integration" in ready["c2"][1][0]
    assert not ready["c3"][0] and "workload identity" in ready["c3"][1][0]
    assert result["clusters"][0]["serviceAccounts"] == ["demo/api", "demo/web"]


def test_plan_a_full_identity_without_the_binding_credential_gets_a_finding():
    from azext_identitybinding.migrate import classify, plan
    fics = [_fic("aa1")] + [_fic(f"gh{n:02d}", issuer="https://token.actions.githubusercontent.com") for n in range(19)]
    result = plan.build(IDENTITY_ID, classify.classify(fics, [_cluster()]))
    assert result["credentials"] == {"used": 20, "limit": 20, "afterMigration": 20, "afterIfAllReady": 20}
    assert [f["credential"] for f in result["findings"]] == ["aks-identity-binding"]
    assert "cannot add" in result["findings"][0]["problem"]


def test_plan_a_cluster_whose_bindings_could_not_be_read_is_not_ready():
    from azext_identitybinding.migrate import classify, plan
    result = plan.build(IDENTITY_ID, classify.classify([_fic("aa1")], [_cluster()]), {},
                        {cluster_id("rg1", "c1").lower(): "forbidden"})
    assert result["clusters"][0]["ready"] is False and "could not be read" in result["clusters"][0]["problems"][0]


def test_plan_the_generated_name_taken_by_another_identity_is_a_problem():
    from azext_identitybinding.migrate import classify, plan
    other = {"name": plan.binding_name(IDENTITY_ID),
             "properties": {"managedIdentity": {"resourceId": IDENTITY_ID.replace("identity1", "identity2")}}}
    result = plan.build(IDENTITY_ID, classify.classify([_fic("aa1")], [_cluster()]),
                        {cluster_id("rg1", "c1").lower(): [other, "garbage", {"name": 5}]})
    c = result["clusters"][0]
    assert c["binding"]["exists"] is False and not c["ready"] and "another identity" in c["problems"][0]


def test_manifest_file_names_are_safe_and_distinct():
    from azext_identitybinding.migrate import plan
    names = {plan.manifest_file_name(cluster_id(rg, c)) for rg, c in
             (("rg1", "c1"), ("rg.1", "c1"), ("rg(1)", "c1"), ("rg_1", "c1"))}
    assert len(names) == 4
    assert all(n.endswith(".yaml") and n.count(".") == 1 and "/" not in n and not n.startswith(".") for n in names)


def test_pod_evidence_needs_every_running_pod_in_binding_mode():
    from azext_identitybinding.migrate import plan

    def pod(annotated=True, proxy=True, phase="Running"):
        env = [{"name": "AZURE_KUBERNETES_TOKEN_PROXY", "value": "https://x"}] if proxy else []
        return {"metadata": {"name": "p", "annotations": {"azure.workload.identity/use-identity-binding": "true"}
                             if annotated else {}},
                "spec": {"containers": [{"name": "app", "env": env}]}, "status": {"phase": phase}}
    assert plan.pod_evidence({"items": [pod(), pod(phase="Succeeded", proxy=False)]})[0] is True
    assert plan.pod_evidence({"items": [pod(), pod(proxy=False)]})[0] is False
    assert plan.pod_evidence({"items": [pod(annotated=False)]})[0] is False
    assert plan.pod_evidence({"items": []})[0] is False
    assert plan.pod_evidence({"items": "x"})[0] is False
    assert plan.pod_evidence({"items": [{"status": {"phase": "Running"}, "spec": {"containers": "x"}}]})[0] is False


@pytest.mark.parametrize("module", ["classify", "plan"])
def test_the_classification_and_the_plan_import_no_az(module):
    """Standard library and our own pure modules only (followed transitively), as rbac.py."""
    import ast
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "azext_identitybinding"
    seen, todo, outside = set(), [f"migrate.{module}"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((root / (name.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.ImportFrom) and node.module == "azext_identitybinding":
                names = [f"azext_identitybinding.{a.name}" for a in node.names]
            for found in names:
                if found.startswith("azext_identitybinding."):
                    todo.append(found.split(".", 1)[1])
                elif found.split(".")[0] not in sys.stdlib_module_names:
                    outside.add(f"{name}: {found}")
    assert not outside, outside
    assert {"ids", "constants", "migrate.classify"} <= seen


def test_audit_identity_rows_with_unsafe_ids_are_named_not_read():
    from azext_identitybinding.migrate import reads
    good = IDENTITY_ID
    found, failed = reads._identities([  # pylint: disable=protected-access
        {"id": good}, {"id": good.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")}, {"id": good + "/.."},
        {"id": good.replace("identity1", "a/b")}, {"id": 7}, {"id": "x" * 10000}])
    assert found == [good]  # the same identity in another casing is read once
    assert len(failed) == 4 and all(len(f["identity"]) < 200 for f in failed)


class _CountingClient:
    """A stand-in ArmClient for read_plan at scale: 2,000 clusters in 10 subscriptions, 20 FICs on 4 of them."""

    def __init__(self):
        self.subscription_id = SUB
        self.progress = None
        self.calls = []
        self.subs = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(10)]
        self.rows = [{"id": cluster_id(f"rg{i % 7}", f"c{i}", self.subs[i % 10]), "issuer": f"{I1[:-2]}{i:04d}/",
                      "oidcIssuerEnabled": True, "workloadIdentityEnabled": True} for i in range(2000)]

    def list_subscriptions(self):
        self.calls.append("subscriptions")
        return [{"subscriptionId": s, "displayName": s, "state": "Enabled"} for s in self.subs]

    def query_cluster_issuers(self, subscriptions):
        self.calls.append("graph")
        return self.rows

    def list_fics(self, identity_id):
        self.calls.append("fics")
        return [_fic(f"wl-{n:02d}", issuer=self.rows[(n % 4) * 500]["issuer"],
                     subject=f"system:serviceaccount:team:sa{n}") for n in range(20)]

    def list_bindings(self, ref, pacer=None, preview=False):  # ArmClient.list_bindings
        self.calls.append(f"bindings {ref.cluster}")
        return []

    def list_clusters(self, subscription, resource_group=None):  # the fallback: not needed here
        self.calls.append(f"clusters {subscription}")
        return []


def test_plan_over_2000_clusters_reads_one_query_the_fics_and_only_the_bindings_it_needs():
    from azext_identitybinding.migrate import reads
    client = _CountingClient()
    reading = reads.read_plan(client, IDENTITY_ID, None)
    assert sorted(client.calls) == sorted(["subscriptions", "graph", "fics", "bindings c0", "bindings c500",
                                           "bindings c1000", "bindings c1500"])
    assert reading.plan["credentials"] == {"used": 20, "limit": 20, "afterMigration": 1, "afterIfAllReady": 1}
    assert [len(c["replaces"]) for c in reading.plan["clusters"]] == [5, 5, 5, 5]
    assert reading.gaps == []
