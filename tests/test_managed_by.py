"""Bindings that AKS Fleet Manager manages: shown on request, never changed by hand unless overridden."""
import json

import pytest
import yaml

from playback import CLUSTER, RECORDINGS, RG, run

ITEM = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]
PREVIEW = "api-version=2026-08-02-preview"


def az(cassette, *args):
    return run(cassette, "aks", "identity-binding", *args)


def recorded_profile():
    first = yaml.safe_load((RECORDINGS / "show_managed_by.yaml").read_text())["interactions"][0]
    return json.loads(first["response"]["body"]["string"])["managedBy"]


def test_show_managed_by_reads_the_preview_api_and_returns_the_profile():
    r = az("show_managed_by", "show", *ITEM, "--show-managed-by")
    assert r.exit_code == 0, r
    assert PREVIEW in r.requests[0][1]
    assert r.json()["managedBy"] == recorded_profile()


def test_show_without_the_flag_stays_on_the_ga_api():
    r = az("show", "show", *ITEM)
    assert r.exit_code == 0, r
    assert "preview" not in r.requests[0][1]
    assert "managedBy" not in r.json()


def test_list_managed_by_table_names_the_fleet_profile_and_marks_unmanaged_bindings():
    r = az("list_managed_by", "list", "-g", RG, "--cluster-name", CLUSTER, "--show-managed-by", "-o", "table")
    assert r.exit_code == 0, r
    header, _, *rows = r.out.splitlines()
    assert header.split()[-1] == "ManagedBy"
    assert rows[0].endswith("fleet fleet1/profile1") and rows[1].endswith(" -")


def test_list_managed_by_json_says_null_for_an_unmanaged_binding():
    r = az("list_managed_by", "list", "-g", RG, "--cluster-name", CLUSTER, "--show-managed-by")
    assert r.exit_code == 0, r
    assert [b["managedBy"] for b in r.json()] == [recorded_profile(), None]


# -- the fleet view (list --managed-identity-resource-id, no --cluster-name) with managedBy ----------

IDENTITY_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/identity-rg/providers/"
               "Microsoft.ManagedIdentity/userAssignedIdentities/identity1")
SUB_A, SUB_B = "00000000-0000-0000-0000-000000000000", "33333333-3333-3333-3333-333333333333"
PROFILE1 = (f"/subscriptions/{SUB_A}/resourceGroups/fleet-rg/providers/Microsoft.ContainerService/fleets/fleet1/"
            "identityBindingProfiles/profile1")
PROFILE2 = (f"/subscriptions/{SUB_B}/resourceGroups/fleet2-rg/providers/Microsoft.ContainerService/fleets/fleet2/"
            "identityBindingProfiles/profile2")
TWO_SUBS = ["list", "--managed-identity-resource-id", IDENTITY_ID, "--subscription", SUB_A, SUB_B]


def binding_reads(r):
    return [u for m, u, _ in r.requests if m == "GET" and "/identityBindings" in u]


def test_fleet_view_over_two_subscriptions_says_who_manages_each_binding():
    r = az("fleet_managed_by_two_subscriptions", *TWO_SUBS, "--show-managed-by")
    assert r.exit_code == 0, r
    assert len(binding_reads(r)) == 4 and all(u.endswith(PREVIEW) for u in binding_reads(r))
    got = [(b["subscriptionId"], b["name"], b["managedBy"]) for b in r.json()]
    assert got == [(SUB_A, "ib1", PROFILE1), (SUB_A, "ib2", None), (SUB_B, "ib6", PROFILE1), (SUB_B, "ib7", PROFILE2)]
    summary = [line for line in r.err.splitlines() if "managedBy:" in line]
    assert summary == [
        "WARNING: managedBy: 3 of 4 binding(s) managed (2 by profile 'profile1' of fleet 'fleet1' (resource group "
        f"'fleet-rg', subscription {SUB_A}); 1 by profile 'profile2' of fleet 'fleet2' (resource group 'fleet2-rg', "
        f"subscription {SUB_B})), 1 unmanaged."]
    assert r.all_played


def test_fleet_view_table_has_the_subscription_and_managed_by_columns():
    r = az("fleet_managed_by_two_subscriptions", *TWO_SUBS, "--show-managed-by", "-o", "table")
    assert r.exit_code == 0, r
    header, _, *rows = r.out.splitlines()
    assert header.split()[-2:] == ["Subscription", "ManagedBy"]
    wanted = [(SUB_A, "fleet fleet1/profile1"), (SUB_A, "-"), (SUB_B, "fleet fleet1/profile1"),
              (SUB_B, "fleet fleet2/profile2")]
    assert len(rows) == len(wanted)
    for row, (sub, manager) in zip(rows, wanted):
        assert row.rstrip().endswith(f"{sub}  {manager}"), row


def test_fleet_view_preview_read_without_managed_by_says_null_and_all_unmanaged():
    r = az("fleet_managed_by_none", "list", "--managed-identity-resource-id", IDENTITY_ID, "--show-managed-by")
    assert r.exit_code == 0, r
    assert [(b["name"], b["managedBy"]) for b in r.json()] == [("ib1", None), ("ib3", None)]
    assert all(u.endswith(PREVIEW) for u in binding_reads(r))
    assert "managedBy: 0 of 2 binding(s) managed, 2 unmanaged." in r.err
    assert "subscriptionId" not in r.json()[0]  # one subscription: as before


def test_fleet_view_with_managed_by_where_the_preview_is_not_offered_fails_once_not_per_cluster():
    r = az("fleet_managed_by_no_preview", "list", "--managed-identity-resource-id", IDENTITY_ID, "--show-managed-by")
    assert r.exit_code == 1, r
    assert len(binding_reads(r)) == 1  # the region's answer holds for every cluster: no other read is sent
    assert r.err.count("does not offer what the request needs") == 1
    assert "2026-04-01, 2026-05-01, 2026-06-01, 2026-07-01, 2026-08-01" in r.err and "Traceback" not in r.err


def test_fleet_view_without_the_flag_stays_on_the_ga_api_and_prints_no_summary():
    r = az("fleet_list", "list", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert binding_reads(r) and not any("preview" in u for u in binding_reads(r))
    assert "managedBy" not in r.json()[0] and "managedBy:" not in r.err


@pytest.mark.parametrize("value, shown", [
    (42, "1 by a int value"), ({"id": "x"}, "1 by a dict value"), ("a" * 10_000, "(10000 characters)"),
    ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Other/things/t", "1 by '/subscriptions"),
])
def test_the_summary_never_prints_a_hostile_manager_as_it_is(value, shown):
    from azext_identitybinding.fleet import managed_by_summary
    line = managed_by_summary([{"managedBy": value}, {"managedBy": None}, {}])
    assert shown in line and line.endswith("1 of 3 binding(s) managed (" + line.split(" managed (", 1)[1])
    assert line.endswith(", 2 unmanaged.") and len(line) < 400


def test_delete_of_a_fleet_managed_binding_is_refused_naming_the_profile():
    r = az("delete_fleet_managed", "delete", *ITEM, "--yes")
    assert r.exit_code == 1, r
    assert r.methods() == ["GET"]  # no DELETE was sent
    assert "profile 'profile1' of fleet 'fleet1' (resource group 'fleet-rg')" in r.err
    assert "az fleet identitybindingprofile apply" in r.err and "-f fleet1 -n profile1" in r.err
    assert "--override-fleet" in r.err
    assert "Traceback" not in r.err


def test_delete_with_override_fleet_deletes_without_reading():
    r = az("delete_override_fleet", "delete", *ITEM, "--yes", "--override-fleet")
    assert r.exit_code == 0, r
    assert r.methods() == ["DELETE", "GET"]


def test_update_of_a_fleet_managed_binding_is_refused_and_writes_nothing():
    r = az("update_fleet_managed", "update", *ITEM, "--allow-namespace", "team-b")
    assert r.exit_code == 1, r
    assert r.methods() == ["GET"]
    assert "Refusing to update" in r.err and "fleet 'fleet1'" in r.err


def test_update_with_override_fleet_keeps_managed_by_in_the_body(tmp_path):
    subjects = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-b"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}},
                {"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-c"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}}]
    path = tmp_path / "subjects.json"
    path.write_text(json.dumps(subjects))
    r = az("update_override_fleet", "update", *ITEM, "--allowed-subjects-from-file", str(path), "--override-fleet")
    assert r.exit_code == 0, r
    sent = r.requests[1][2]
    assert sent["managedBy"] == recorded_profile()  # create-only: resent as read, never dropped
    assert sent["properties"]["allowedSubjects"] == subjects


# -- the managedBy value comes from the service: parsed without trusting it ------------------------

def test_fleet_profile_is_read_from_a_fleet_identity_binding_profile_id():
    from azext_identitybinding.ids import fleet_profile
    p = fleet_profile("/subscriptions/s1/resourcegroups/RG/providers/microsoft.containerservice/Fleets/f/"
                      "identityBindingProfiles/p")
    assert (p.subscription, p.resource_group, p.fleet, p.profile) == ("s1", "RG", "f", "p")


@pytest.mark.parametrize("value", [
    None, 42, {"id": "x"}, "", "fleet1", "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Other/things/t",
    "/subscriptions/s1/providers/Microsoft.ContainerService/fleets/f/identityBindingProfiles/p",  # no group
    "/subscriptions/s1/resourceGroups/g/providers/Microsoft.ContainerService/fleets/../identityBindingProfiles/p",
    "/subscriptions/s1/resourceGroups/g/providers/Microsoft.ContainerService/fleets/f?x/identityBindingProfiles/p",
    "/subscriptions/" + "a" * 10_000,
])
def test_anything_else_is_not_a_fleet_profile_and_never_raises(value):
    from azext_identitybinding.ids import fleet_profile
    assert fleet_profile(value) is None


OTHER_MANAGER = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Other/things/t"


@pytest.mark.parametrize("value, shown", [(None, "-"), ("", "-"), (OTHER_MANAGER, OTHER_MANAGER), (7, "7")])
def test_the_table_column_shows_a_dash_or_the_manager_as_given(value, shown):
    from azext_identitybinding._format import binding_table
    assert binding_table({"name": "b", "managedBy": value})[0]["ManagedBy"] == shown
