"""Fleet view, safe FIC clean-up and allowedSubjects updates, against recorded ARM traffic."""
import json

import pytest
import yaml

from playback import CLUSTER, IDENTITY_ID, RECORDINGS, RG, SUB, run

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
    # the pacer holds the subscription until Retry-After has passed (less the time since the 429)
    assert len(r.sleeps) == 1 and 1.5 < r.sleeps[0] <= 2, r.sleeps
    assert len([u for m, u, _ in r.requests if "/c4/identityBindings" in u]) == 2
    assert "ARM throttled 1 read(s)" in r.err
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


# -- tenant scale: several subscriptions, Azure Resource Graph, paced reads (issue 13) ----------

SUB2 = "22222222-2222-2222-2222-222222222222"
SUB3 = "33333333-3333-3333-3333-333333333333"
SUB4 = "44444444-4444-4444-4444-444444444444"
GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def graph_bodies(r):
    return [body for m, u, body in r.requests if m == "POST" and GRAPH in u]


def test_all_subscriptions_pages_subscriptions_and_resource_graph_and_prints_each_binding_once():
    r = az("fleet_all_graph_paged", "list", "--managed-identity-resource-id", IDENTITY_ID, "--all-subscriptions")
    assert r.exit_code == 0, r
    first, second = graph_bodies(r)
    assert first["subscriptions"] == sorted([SUB, SUB2, SUB3])  # both pages of GET /subscriptions
    assert "microsoft.containerservice/managedclusters" in first["query"]
    assert first["options"] == {"$top": 1000, "resultFormat": "objectArray"}
    assert second["options"]["$skipToken"].startswith("ew0KICAiJGlkIjog")  # the token page 1 gave
    assert second["query"] == first["query"] and second["subscriptions"] == first["subscriptions"]
    out = r.json()
    assert [(b["name"], b["subscriptionId"]) for b in out] == [("ib1", SUB), ("ib6", SUB3)]
    reads = [u for m, u, _ in r.requests if "/identityBindings" in u]
    assert len(reads) == 4 and sum("/c1/identityBindings" in u for u in reads) == 1  # c1 twice in ARG: read once
    assert 3.0 in r.sleeps  # quota exhausted after page 1: waited x-ms-user-quota-resets-after
    assert "with Azure Resource Graph" in r.err
    assert r.all_played


def test_all_subscriptions_table_has_the_subscription_column():
    r = az("fleet_all_graph_paged", "list", "--managed-identity-resource-id", IDENTITY_ID, "--all-subscriptions",
           "-o", "table")
    assert r.exit_code == 0, r
    assert "Subscription" in r.out.splitlines()[0] and SUB3 in r.out


def test_resource_graph_forbidden_falls_back_to_listing_each_subscription():
    r = az("fleet_all_graph_forbidden", "list", "--managed-identity-resource-id", IDENTITY_ID, "--all-subscriptions")
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["ib1", "ib6"]
    assert "Azure Resource Graph could not be used" in r.err and "AuthorizationFailed" in r.err
    listed = [u for m, u, _ in r.requests if u.split("?")[0].endswith("/managedClusters")]
    assert [u.split("/")[4] for u in listed] == [SUB, SUB3]
    assert r.all_played


def test_throttled_reads_wait_and_are_sent_again():
    r = az("fleet_subscriptions_throttled", "list", "--managed-identity-resource-id", IDENTITY_ID,
           "--subscription", SUB, SUB3.upper())
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["ib1", "ib6"]
    assert graph_bodies(r)[0]["subscriptions"] == [SUB, SUB3]  # validated, lower-cased
    assert r.sleeps[0] == 1.0  # Resource Graph's 429: the transport waited its Retry-After
    assert any(2.5 < s <= 3 for s in r.sleeps[1:]), r.sleeps  # ARM's 429: the pacer held the subscription
    assert len([u for m, u, _ in r.requests if "/c6/identityBindings" in u]) == 2
    assert "ARM throttled 1 read(s) in subscription '33333333" in r.err
    assert r.all_played


def test_subscription_can_be_repeated_as_separate_flags():
    r = az("fleet_subscriptions_throttled", "list", "--managed-identity-resource-id", IDENTITY_ID,
           "--subscription", SUB, "--subscription", SUB3)
    assert r.exit_code == 0, r
    assert graph_bodies(r)[0]["subscriptions"] == [SUB, SUB3]


def test_list_of_a_cluster_in_another_subscription_keeps_the_global_meaning_of_subscription():
    r = az("list_other_subscription", "list", "-g", RG, "--cluster-name", CLUSTER, "--subscription", SUB2)
    assert r.exit_code == 0, r
    assert r.requests[0][1].startswith(f"https://management.azure.com/subscriptions/{SUB2}/resourceGroups/{RG}/")


def test_cleanup_fic_keeps_the_credential_a_third_subscription_uses():
    r = az("cleanup_fic_third_subscription", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 0, r
    assert fic_deletes(r) == [] and "DELETE" not in r.methods()
    out = r.json()
    assert out["deleted"] is False and out["subscriptionsScanned"] == 3
    assert out["bindings"] == [f"/subscriptions/{SUB3}/resourceGroups/rg6/providers/Microsoft.ContainerService/"
                               "managedClusters/c6/identityBindings/ib6"]
    assert graph_bodies(r)[0]["subscriptions"] == sorted([SUB, SUB2, SUB3])
    assert r.all_played


def sequence(r):
    """(method, what) of every request in the order sent: the credential, the subscriptions, Resource
    Graph, a subscription's cluster list (with its page) or a cluster's bindings."""
    def what(url):
        path = url.split("?")[0]
        if FIC in path:
            return "fic"
        if GRAPH in path:
            return "graph"
        if path.endswith("/identityBindings"):
            return "bindings " + path.split("/managedClusters/")[1].split("/")[0]
        if path.endswith("/managedClusters"):
            return "clusters " + path.split("/subscriptions/")[1].split("/")[0][:1] + (
                " page 2" if "skipToken" in url else "")
        return path.rsplit("/", 1)[-1]
    return [(m, what(u)) for m, u, _ in r.requests]


def test_cleanup_fic_over_every_subscription_deletes_when_nothing_is_bound():
    r = az("cleanup_fic_all_subscriptions_deletes", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID,
           "--yes")
    assert r.exit_code == 0, r
    assert len(fic_deletes(r)) == 1 and r.requests[-1][0] == "DELETE"
    out = r.json()
    assert out["deleted"] is True and out["subscriptionsScanned"] == 2 and out["discovery"] == "Azure Resource Graph"
    assert out["clustersAddedFromArm"] == 0 and out["clustersScanned"] == 2
    assert "found with Azure Resource Graph and ARM's list of each subscription" in out["reason"]
    assert "cannot see could not be scanned" in out["reason"]
    # Resource Graph's clusters scanned first; ARM's list of each subscription before the credential is re-read
    assert sequence(r)[:3] == [("GET", "fic"), ("GET", "subscriptions"), ("POST", "graph")]
    assert sorted(sequence(r)[3:5]) == [("GET", "bindings c1"), ("GET", "bindings c6")]
    assert sorted(sequence(r)[5:7]) == [("GET", "clusters 0"), ("GET", "clusters 3")]
    assert sequence(r)[7:] == [("GET", "fic"), ("DELETE", "fic")]
    assert "0 cluster(s) it had not returned were scanned too" in r.err
    assert r.all_played


def test_cleanup_fic_keeps_it_for_a_cluster_resource_graph_has_not_indexed_yet():
    r = az("cleanup_fic_index_lag_keeps", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID, "--yes")
    assert r.exit_code == 0, r
    assert fic_deletes(r) == [] and [m for m, _, _ in r.requests] == ["GET", "GET", "POST"] + ["GET"] * 6
    # Resource Graph was asked about both subscriptions; it returned c1 and c6 only
    assert [body["subscriptions"] for body in graph_bodies(r)] == [[SUB, SUB3]]
    assert all(body is None for m, _, body in r.requests if m == "GET")
    steps = sequence(r)
    assert sorted(steps[5:8]) == [("GET", "clusters 0"), ("GET", "clusters 3"), ("GET", "clusters 3 page 2")]
    assert steps[8] == ("GET", "bindings c7")  # only the cluster the index missed is read again
    out = r.json()
    assert out["deleted"] is False and out["clustersAddedFromArm"] == 1 and out["clustersScanned"] == 3
    assert out["bindings"] == [f"/subscriptions/{SUB3}/resourceGroups/rg7/providers/Microsoft.ContainerService/"
                               "managedClusters/c7/identityBindings/ib7"]
    assert "1 other binding(s) still use the identity" in out["reason"]
    assert ("Listed the clusters of 2 subscription(s) from ARM before deleting the credential (Resource Graph can "
            "lag behind a new cluster): 1 cluster(s) it had not returned were scanned too.") in r.err
    assert r.all_played


def test_cleanup_fic_keeps_it_when_a_subscription_cannot_be_read():
    r = az("cleanup_fic_subscription_unreadable", "cleanup-fic", "--managed-identity-resource-id", IDENTITY_ID,
           "--yes")
    assert r.exit_code == 1, r
    assert fic_deletes(r) == []
    out = r.json()
    assert out["deleted"] is False
    assert sorted(out["unreadableSubscriptions"]) == [SUB3, SUB4]
    assert f"Could not scan subscription '{SUB4}' (Old): the subscription is Disabled" in r.err
    assert f"Could not scan subscription '{SUB3}'" in r.err and "managedClusters/read" in r.err
    assert "2 subscription(s) could not be scanned" in r.err
    assert r.all_played


def test_confirm_prompt_says_what_cannot_be_scanned():
    from azext_identitybinding import custom
    asked = []
    with __import__("unittest").mock.patch("knack.prompting.prompt_y_n", side_effect=lambda q: asked.append(q)):
        custom.confirm_cleanup({"managed_identity_resource_id": IDENTITY_ID})
    assert "every subscription this login can see" in asked[0] and "cannot see cannot be scanned" in asked[0]


@pytest.mark.parametrize("args, message", [
    (["--all-subscriptions", "--subscription", SUB], "not both"),
    (["-g", RG, "--cluster-name", CLUSTER, "--subscription", SUB, SUB2], "at most one"),
    (["-g", RG, "--cluster-name", CLUSTER, "--all-subscriptions"], "at most one"),
    (["--subscription", "no-such-subscription-name"], "no subscription of that name"),
])
def test_bad_subscription_combinations_are_refused_before_any_request(args, message):
    r = az("no_requests", "list", "--managed-identity-resource-id", IDENTITY_ID, *args)
    assert r.exit_code == 2, r
    assert message in r.err and r.requests == []


def test_subscription_names_resolve_from_the_login_cache_and_only_guids_are_sent():
    from unittest import mock
    from azure.cli.core._profile import Profile
    cached = [{"id": SUB2, "name": "Team A"}, {"id": "../../evil", "name": "Evil"}]
    with mock.patch.object(Profile, "load_cached_subscriptions", lambda self, *a, **kw: cached):
        r = az("list_other_subscription", "list", "-g", RG, "--cluster-name", CLUSTER, "--subscription", "team a")
        assert r.exit_code == 0, r
        assert f"/subscriptions/{SUB2}/" in r.requests[0][1]
        r = az("no_requests", "list", "-g", RG, "--cluster-name", CLUSTER, "--subscription", "Evil")
        assert r.exit_code == 2 and r.requests == [], r  # a cached id that is not a GUID is never sent


@pytest.mark.parametrize("other, why", [(SUB2, "this login cannot see the subscription"),
                                        (SUB4, "the subscription is Disabled")])
def test_given_subscriptions_the_login_cannot_read_are_named_not_silently_empty(other, why):
    r = az("fleet_subscription_not_visible", "list", "--managed-identity-resource-id", IDENTITY_ID,
           "--subscription", SUB, other)
    assert r.exit_code == 1, r
    assert [b["name"] for b in r.json()] == ["ib1"]  # the partial answer is printed
    assert f"Could not scan subscription '{other}'" in r.err and why in r.err
    assert "1 subscription(s) could not be scanned" in r.err
    assert graph_bodies(r) == []  # one readable subscription left: ARM's own list


def test_a_truncated_resource_graph_answer_is_not_trusted():
    r = az("fleet_graph_truncated", "list", "--managed-identity-resource-id", IDENTITY_ID, "--all-subscriptions")
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["ib1", "ib6"]  # c6 was missing from the truncated answer
    assert "truncated" in r.err and "listing the clusters of each" in r.err
    assert r.all_played


class _FakeClient:
    progress = None

    def __init__(self, fail=None):
        self.queries, self.fail = [], fail

    def query_clusters(self, subscriptions):
        self.queries.append(list(subscriptions))
        if self.fail:
            raise self.fail
        return [{"id": f"/subscriptions/{s}/resourceGroups/rg/providers/Microsoft.ContainerService/"
                       f"managedClusters/c", "name": "c"} for s in subscriptions]

    def list_clusters(self, subscription_id, resource_group=None):
        return []


def test_resource_graph_is_asked_about_at_most_1000_subscriptions_at_a_time():
    from azext_identitybinding import fleet
    subs = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(2500)]
    client = _FakeClient()
    refs, unreadable, how = fleet.discover(client, subs)
    assert [len(q) for q in client.queries] == [1000, 1000, 500]
    assert sorted(s for q in client.queries for s in q) == sorted(subs)
    assert len(refs) == 2500 and unreadable == [] and how == fleet.ARG


@pytest.mark.parametrize("error", ["AzureInternalError", "ServiceRequestError"])
def test_any_resource_graph_failure_falls_back(error):
    from azure.cli.core import azclierror
    from azure.core import exceptions
    from azext_identitybinding import fleet
    failure = getattr(azclierror, error, None) or getattr(exceptions, error)
    client = _FakeClient(fail=failure("boom"))
    refs, unreadable, how = fleet.discover(client, [SUB, SUB2])
    assert how == fleet.PER_SUBSCRIPTION and refs == [] and unreadable == []


def test_fleet_view_of_a_missing_group_in_one_subscription_is_not_found():
    r = az("fleet_group_not_found", "list", "-g", "nogroup", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 3, r
    assert "Resource group 'nogroup' was not found" in r.err and r.all_played


def test_the_help_states_the_scan_time_limit_the_code_uses():
    from azext_identitybinding._help import HELP
    from azext_identitybinding.fleet import FLEET_TIME_LIMIT
    for command in ("list", "cleanup-fic"):
        text = " ".join(HELP[f"aks identity-binding {command}"].split())
        assert f"after {FLEET_TIME_LIMIT // 60} minutes" in text, command
        assert "cannot see cannot be" in text, command


def test_resource_graph_rows_are_kept_only_for_the_group_asked_for():
    # Resource Graph is asked for every cluster of the subscriptions; -g is applied to its rows.
    r = az("fleet_all_graph_group", "list", "--managed-identity-resource-id", IDENTITY_ID, "--all-subscriptions",
           "-g", "rg1")
    assert r.exit_code == 0, r
    read = sorted(u.split("/managedClusters/")[1].split("/")[0] for m, u, _ in r.requests if "/identityBindings" in u)
    assert read == ["c1", "c7"]  # not c2 (rg2) nor c6 (rg6); c7's group in another casing is the same group
    assert [b["name"] for b in r.json()] == ["ib1"]
    assert "Found 2 cluster(s) in 2 subscription(s) with Azure Resource Graph" in r.err
    assert r.all_played


class _RowsClient(_FakeClient):
    ROWS = [("rg1", "a"), ("RG1", "b"), ("rg2", "c"), ("rg10", "d")]

    def query_clusters(self, subscriptions):
        self.queries.append(list(subscriptions))
        return [{"id": f"/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/"
                       f"managedClusters/{c}"} for s in subscriptions for g, c in self.ROWS]


@pytest.mark.parametrize("group, clusters", [("rg1", ["a", "a", "b", "b"]), ("Rg2", ["c", "c"]), (None, None)])
def test_discover_filters_resource_graph_rows_by_group(group, clusters):
    from azext_identitybinding import fleet
    refs, _, how = fleet.discover(_RowsClient(), [SUB, SUB2], group)
    assert how == fleet.ARG
    assert sorted(r.cluster for r in refs) == (clusters or ["a", "a", "b", "b", "c", "c", "d", "d"])
