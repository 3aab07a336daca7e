"""Fleet view, safe FIC clean-up and allowedSubjects updates, against recorded ARM traffic."""
import json

import pytest
import yaml

from playback import CLUSTER, IDENTITY_ID, RECORDINGS, RG, run

FIC = "/federatedIdentityCredentials/aks-identity-binding"
ITEM = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]
NEW_SUBJECTS = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-b"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}},
                {"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-c"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}}]


def az(cassette, *args, **kwargs):
    return run(cassette, "aks", "identity-binding", *args, **kwargs)


def fic_deletes(r):
    return [u for m, u, _ in r.requests if m == "DELETE" and FIC in u]


# -- fleet view --------------------------------------------------------------------------------

def test_fleet_view_finds_every_binding_of_the_identity_across_pages_of_clusters():
    r = az("fleet_list", "list", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert [(b["resourceGroup"], b["name"]) for b in r.json()] == [("rg1", "ib1"), ("rg2", "ib3")]
    listed = sorted(u.split("/managedClusters/")[1].split("/")[0] for m, u, _ in r.requests if "/identityBindings" in u)
    assert listed == ["c1", "c2", "c3", "c4"]  # both pages of the cluster list were followed
    assert r.all_played


def test_fleet_view_table_names_the_clusters():
    r = az("fleet_list", "list", "--managed-identity-resource-id", IDENTITY_ID, "-o", "table")
    assert r.exit_code == 0, r
    rows = [line.split() for line in r.out.splitlines()[2:]]
    assert [(row[0], row[1], row[2], row[5]) for row in rows] == [("ib1", "rg1", "c1", "Succeeded"),
                                                                  ("ib3", "rg2", "c3", "Succeeded")]


def test_fleet_view_with_an_unreadable_cluster_prints_what_it_found_and_fails():
    r = az("fleet_list_forbidden_cluster", "list", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 1, r
    assert [b["name"] for b in r.json()] == ["ib1", "ib3"]  # the partial answer is not lost
    assert "Could not read cluster 'c2' (resource group 'rg2')" in r.err
    assert "Incomplete answer: 1 of 4 clusters could not be read" in r.err
    assert "Traceback" not in r.err


def test_fleet_view_waits_for_retry_after_when_throttled():
    r = az("fleet_list_throttled", "list", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert 2 in r.sleeps
    assert len([u for m, u, _ in r.requests if "/c4/identityBindings" in u]) == 2
    assert r.all_played


def test_fleet_view_limited_to_a_resource_group():
    r = az("fleet_list_group", "list", "-g", "rg2", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["ib3"]
    assert "/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters?" in r.requests[0][1]


def test_list_of_one_cluster_keeps_its_meaning_and_can_filter_by_identity():
    r = az("list_paged", "list", "-g", RG, "--cluster-name", CLUSTER, "--managed-identity-resource-id",
           IDENTITY_ID.replace("identity1", "identity2"))
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["identitybinding3"]


def test_list_without_cluster_or_identity_is_refused():
    r = az("no_requests", "list", "-g", RG)
    assert r.exit_code == 2, r
    assert "--managed-identity-resource-id" in r.err
    assert r.requests == []


# -- FIC clean-up ------------------------------------------------------------------------------

def test_cleanup_fic_deletes_it_when_a_complete_scan_finds_no_binding():
    r = az("cleanup_fic_deletes", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 0, r
    assert len(fic_deletes(r)) == 1
    assert r.requests[-1][0] == "DELETE"  # the very last step, after the re-check
    out = r.json()
    assert out["deleted"] is True and out["clustersScanned"] == 4 and out["bindings"] == []
    assert r.all_played


def test_cleanup_fic_keeps_it_while_another_binding_uses_the_identity():
    r = az("cleanup_fic_in_use", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 0, r
    assert fic_deletes(r) == []
    out = r.json()
    assert out["deleted"] is False
    assert len(out["bindings"]) == 2 and "/c1/identityBindings/ib1" in out["bindings"][0]
    assert "still use the identity" in r.err


def test_cleanup_fic_keeps_it_when_the_scan_is_incomplete():
    r = az("cleanup_fic_incomplete", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 1, r
    assert fic_deletes(r) == []
    assert r.json()["deleted"] is False
    assert "could not be read" in r.err and "Could not read cluster 'c2'" in r.err


def test_cleanup_fic_keeps_it_when_it_changed_during_the_scan():
    r = az("cleanup_fic_changed", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 1, r
    assert fic_deletes(r) == []
    assert "changed while the clusters were scanned" in r.err


def test_cleanup_fic_without_a_credential_does_nothing():
    r = az("cleanup_fic_none", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "GET"]  # the credential (404), then the identity: it exists
    assert r.requests[1][1].split("?")[0].endswith(IDENTITY_ID)
    assert "nothing to clean up" in r.json()["reason"]


def test_cleanup_fic_of_an_identity_that_does_not_exist_is_not_found():
    r = az("cleanup_fic_identity_not_found", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 3, r  # a typo in the id must not pass a CI step as "nothing to clean up"
    assert f"Managed identity '{IDENTITY_ID}' was not found" in r.err
    assert r.out == "" and "nothing to clean up" not in r.err
    assert r.methods() == ["GET", "GET"] and r.all_played


def test_cleanup_fic_without_a_terminal_and_without_yes_sends_nothing():
    r = az("no_requests", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 1, r
    assert r.requests == [] and "Add --yes" in r.err


def test_delete_with_cleanup_fic_deletes_binding_then_unused_credential():
    r = az("delete_cleanup_fic", "delete", "-g", "rg1", "--cluster-name", "c1", "-n", "ib1", "--cleanup-fic", "--yes")
    assert r.exit_code == 0, r
    assert r.methods()[:3] == ["GET", "DELETE", "GET"]  # read the identity, delete, poll to 204
    assert len(fic_deletes(r)) == 1
    assert "was deleted" in r.err
    assert r.all_played


def test_delete_with_cleanup_fic_of_a_deleted_identity_succeeds_and_says_why():
    r = az("delete_cleanup_fic_identity_gone", "delete", "-g", "rg1", "--cluster-name", "c1", "-n", "ib1",
           "--cleanup-fic", "--yes")
    assert r.exit_code == 0, r  # the binding was deleted; a credential of a deleted identity cannot remain
    assert "no longer exists" in r.err and IDENTITY_ID in " ".join(r.err.split())
    assert r.methods() == ["GET", "DELETE", "GET", "GET", "GET"] and r.all_played
    assert fic_deletes(r) == []


def test_delete_with_cleanup_fic_and_no_wait_is_refused():
    r = az("no_requests", "delete", *ITEM, "--cleanup-fic", "--no-wait", "--yes")
    assert r.exit_code == 2, r
    assert r.requests == []


# -- allowedSubjects ---------------------------------------------------------------------------

def test_update_writes_with_if_match_and_keeps_the_identity(tmp_path):
    r = az("update_if_match", "update", *ITEM, "--allow-namespace", "team-c", "team-b",
           "--allow-service-account-label", "app=api")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "PUT", "GET", "GET"]
    assert "api-version=2026-08-02-preview" in r.requests[1][1]
    read = json.loads(yaml.safe_load((RECORDINGS / "update_if_match.yaml").read_text())
                      ["interactions"][0]["response"]["body"]["string"])
    assert r.headers[1]["If-Match"] == read["eTag"]  # the eTag of what was read
    assert r.json()["eTag"] != read["eTag"]
    assert r.requests[1][2] == {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID},
                                               "allowedSubjects": NEW_SUBJECTS}}
    assert r.json()["properties"]["allowedSubjects"] == NEW_SUBJECTS


def test_update_allow_sa_label_means_the_same_as_its_long_spelling():
    # --allow-service-account-label shipped in 0.1.0; --allow-sa-label is the short primary spelling.
    r = az("update_if_match", "update", *ITEM, "--allow-namespace", "team-c", "team-b", "--allow-sa-label", "app=api")
    assert r.exit_code == 0, r
    assert r.requests[1][2]["properties"]["allowedSubjects"] == NEW_SUBJECTS


def test_update_from_file(tmp_path):
    path = tmp_path / "subjects.json"
    path.write_text(json.dumps(NEW_SUBJECTS))
    r = az("update_if_match", "update", *ITEM, "--allowed-subjects-from-file", str(path))
    assert r.exit_code == 0, r
    assert r.requests[1][2]["properties"]["allowedSubjects"] == NEW_SUBJECTS


def test_update_that_loses_a_race_reports_the_conflict_and_does_not_overwrite():
    r = az("update_precondition_failed", "update", *ITEM, "--allow-namespace", "team-c", "team-b",
           "--allow-service-account-label", "app=api")
    assert r.exit_code == 1, r
    assert r.methods() == ["GET", "PUT", "GET"]  # one conditional PUT, then a re-read: no second write
    assert "changed by someone else" in r.err and "nothing was written" in r.err
    assert "team-z" in r.err  # what the binding holds now
    assert r.all_played


def test_create_with_allowed_subjects_uses_the_preview_api(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('[{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-a"]}}]')
    r = az("create_with_subjects", "create", *ITEM, "--managed-identity-resource-id", IDENTITY_ID,
           "--allowed-subjects-from-file", str(path))
    assert r.exit_code == 0, r
    assert all("api-version=2026-08-02-preview" in u for m, u, _ in r.requests if "/identityBindings/" in u)
    assert r.requests[1][2]["properties"]["allowedSubjects"][0]["namespaceSelector"]["matchLabels"] == [
        "kubernetes.io/metadata.name=team-a"]


BAD_FILES = [
    ('{"namespaceSelector": {}}', "must be a JSON array"),
    ("[1]", "must be an object"),
    ('[{"serviceAccountSelector": {"matchLabels": ["a=b"]}}]', "needs a non-empty 'namespaceSelector'"),
    ('[{"namespaceSelector": {"matchLabels": {"a": "b"}}}]', "must be a list of 'key=value' strings"),
    ('[{"namespaceSelector": {"matchLabels": ["a"]}}]', "must be a 'key=value' string"),
    ('[{"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}]', "non-empty 'values'"),
    ('[{"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}}]',
     "takes no 'values'"),
    ('[{"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}}]',
     "is not one of In, NotIn, Exists, DoesNotExist"),
    (json.dumps([{"namespaceSelector": {"matchLabels": [f"n=v{i}"]}} for i in range(101)]), "at most 100"),
    ("not json", "is not valid JSON"),
]


@pytest.mark.parametrize("text, message", BAD_FILES, ids=[m for _, m in BAD_FILES])
def test_bad_allowed_subjects_files_are_refused_before_any_request(tmp_path, text, message):
    path = tmp_path / "subjects.json"
    path.write_text(text)
    r = az("no_requests", "update", *ITEM, "--allowed-subjects-from-file", str(path))
    assert r.exit_code == 2, r
    assert message in r.err and r.requests == []


@pytest.mark.parametrize("args, message", [
    (["--allow-service-account-label", "app=api"], "narrows --allow-namespace"),
    ([], "give the new allowed subjects"),
    (["--allow-namespace", "Team"], "'Team'"),
    (["--allow-namespace", "a", "--allow-service-account-label", "app"], "'key=value'"),
    (["--allowed-subjects-from-file", "/nonexistent/s.json"], "cannot read"),
])
def test_bad_update_arguments_are_refused_before_any_request(args, message):
    r = az("no_requests", "update", *ITEM, *args)
    assert r.exit_code == 2, r
    assert message in r.err and r.requests == []


def test_update_with_both_a_file_and_namespaces_is_refused(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(NEW_SUBJECTS))
    r = az("no_requests", "update", *ITEM, "--allow-namespace", "a", "--allowed-subjects-from-file", str(path))
    assert r.exit_code == 2, r
    assert "choose one of" in r.err and r.requests == []
