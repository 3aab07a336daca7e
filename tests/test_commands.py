"""`az aks identity-binding create/show/list/delete` run in-process against recorded ARM traffic."""
import json

import pytest
import yaml

from playback import CLUSTER, IDENTITY_ID, RECORDINGS, RG, run

NAME = "identitybinding1"
BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", NAME]
ITEM_PATH = (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{RG}/providers/"
             f"Microsoft.ContainerService/managedClusters/{CLUSTER}/identityBindings/{NAME}")


def az(cassette, *args):
    return run(cassette, "aks", "identity-binding", *args)


def recorded(cassette):
    return yaml.safe_load((RECORDINGS / f"{cassette}.yaml").read_text())["interactions"]


def assert_no_traceback(result):
    assert "Traceback" not in result.err, result


# -- create ------------------------------------------------------------------------------------

def test_create_waits_for_the_operation_and_returns_the_final_resource():
    r = az("create_lro", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "PUT", "GET", "GET", "GET", "GET"]
    method, url, body = r.requests[1]
    assert url.endswith(f"{ITEM_PATH}?api-version=2026-06-01")
    assert body == {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}}}
    assert "/operations/" in r.requests[2][1]  # polled the Azure-AsyncOperation URL as given
    assert r.requests[-1][1] == r.requests[0][1]  # then read the resource itself
    out = r.json()
    assert out["properties"]["provisioningState"] == "Succeeded"
    final = json.loads(recorded("create_lro")[-1]["response"]["body"]["string"])
    assert out["eTag"] == final["eTag"]  # the final GET's resource, not the PUT's "Creating" one
    identity = out["properties"]["managedIdentity"]
    assert identity["resourceId"] == IDENTITY_ID
    assert set(identity) >= {"clientId", "objectId", "tenantId"}
    assert out["properties"]["oidcIssuer"]["oidcIssuerUrl"].endswith(f"/{identity['tenantId']}/{identity['clientId']}")
    assert r.sleeps == [5, 5, 5]  # no Retry-After was sent: the default interval between polls
    assert r.all_played


def test_create_on_a_terminal_shows_progress_and_the_same_result(monkeypatch):
    import azure.cli.core.commands.progress as progress
    shown = []
    monkeypatch.setattr(progress.ProgressHook, "add", lambda hook, **kw: shown.append(kw.get("message")))
    monkeypatch.setattr(progress.ProgressHook, "end", lambda hook, **kw: shown.append("end"))
    monkeypatch.delenv("AZURE_CORE_DISABLE_PROGRESS_BAR")
    r = run("create_lro", "aks", "identity-binding", "create", *BINDING, "--managed-identity-resource-id",
            IDENTITY_ID, tty=True)
    assert r.exit_code == 0, r
    assert shown == ["Waiting for create"] * 3 + ["end"]
    assert r.json()["properties"]["provisioningState"] == "Succeeded"


def test_create_no_wait_returns_after_the_put():
    r = az("create_no_wait", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID, "--no-wait")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "PUT"]
    assert r.out == ""
    assert r.all_played


def test_create_is_idempotent_for_the_same_identity():
    r = az("create_exists_same_identity", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert r.methods() == ["GET"]  # nothing re-sent
    assert r.json()["name"] == NAME


def test_create_refuses_to_rebind_to_another_identity():
    r = az("create_exists_other_identity", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 1, r
    assert r.methods() == ["GET"]  # no PUT: nothing changed
    assert "already exists and is bound to identity" in r.err
    assert "identity2" in r.err and "cannot be changed" in r.err
    assert "az aks identity-binding delete" in r.err
    assert_no_traceback(r)


def test_create_forbidden_names_the_permissions_needed():
    r = az("create_forbidden", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 1, r
    assert "federatedIdentityCredentials/write" in r.err
    assert "Microsoft.ContainerService/managedClusters/write" in r.err
    assert "AuthorizationFailed" in r.err
    assert r.all_played
    assert_no_traceback(r)


def test_create_shows_the_service_message_for_a_name_it_rejects():
    r = run("create_bad_name", "aks", "identity-binding", "create", "-g", RG, "--cluster-name", CLUSTER,
            "-n", "my-binding", "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 1, r
    assert r.methods() == ["GET", "PUT"]  # the hyphen was not refused client-side
    assert "InvalidParameter" in r.err and "^[a-z][a-z0-9]{0,63}$" in r.err
    assert_no_traceback(r)


def test_create_reports_a_failed_operation_with_the_service_error():
    r = az("create_lro_failed", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 1, r
    assert "ended Failed" in r.err
    assert "TooManyFederatedIdentityCredentials" in r.err
    assert "maximum of 20 federated identity credentials" in r.err
    assert "az aks identity-binding show" in r.err
    assert r.all_played
    assert_no_traceback(r)


def test_create_on_a_missing_cluster_is_not_found():
    r = az("create_cluster_not_found", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 3, r
    assert f"Cluster '{CLUSTER}' was not found" in r.err
    assert r.methods() == ["GET"]


# -- show --------------------------------------------------------------------------------------

def test_show_returns_the_arm_resource():
    r = az("show", "show", *BINDING)
    assert r.exit_code == 0, r
    out = r.json()
    assert {"id", "name", "type", "eTag", "properties"} <= set(out)
    assert out["type"] == "Microsoft.ContainerService/managedClusters/identityBindings"
    assert out["id"] == ITEM_PATH
    assert r.methods() == ["GET"]


def test_show_table_has_the_useful_columns():
    r = az("show", "show", *BINDING, "-o", "table")
    assert r.exit_code == 0, r
    header, _, row = r.out.splitlines()[:3]
    assert header.split() == ["Name", "ResourceGroup", "Cluster", "Identity", "ClientId", "ProvisioningState",
                              "OidcIssuerUrl"]
    assert row.split()[:4] == [NAME, RG, CLUSTER, "identity1"]
    assert row.split()[5] == "Succeeded"


def test_show_query_and_tsv():
    r = az("show", "show", *BINDING, "--query", "properties.managedIdentity.clientId", "-o", "tsv")
    assert r.exit_code == 0, r
    assert r.out.strip() == "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"


def test_show_yaml():
    r = az("show", "show", *BINDING, "-o", "yaml")
    assert r.exit_code == 0, r
    assert yaml.safe_load(r.out)["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("cassette, expected", [
    ("show_binding_not_found", f"Identity binding '{NAME}' was not found on cluster '{CLUSTER}'"),
    ("show_cluster_not_found", f"Cluster '{CLUSTER}' was not found in resource group '{RG}'"),
    ("show_group_not_found", f"Resource group '{RG}' was not found"),
])
def test_show_not_found_exits_3_naming_what_is_missing(cassette, expected):
    r = az(cassette, "show", *BINDING)
    assert r.exit_code == 3, r
    assert expected in r.err
    assert "The service said:" in r.err
    assert_no_traceback(r)


def test_show_retries_a_503_after_the_time_the_service_asks_for():
    r = az("show_retry_after_503", "show", *BINDING)
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "GET"]
    assert r.sleeps == [7]
    assert r.all_played


def test_show_gives_up_on_repeated_server_errors():
    r = az("show_server_error", "show", *BINDING)
    assert r.exit_code == 1, r
    assert len(r.requests) == 4  # first try + 3 retries, bounded
    assert "HTTP 500" in r.err and "InternalServerError" in r.err
    assert_no_traceback(r)


# -- list --------------------------------------------------------------------------------------

def test_list_follows_next_link():
    r = az("list_paged", "list", "-g", RG, "--cluster-name", CLUSTER)
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["identitybinding1", "identitybinding2", "identitybinding3"]
    assert "$skipToken=" in r.requests[1][1]
    assert r.all_played


def test_list_table():
    r = az("list_paged", "list", "-g", RG, "--cluster-name", CLUSTER, "-o", "table")
    assert r.exit_code == 0, r
    rows = r.out.splitlines()[2:]
    assert [row.split()[3] for row in rows] == ["identity1", "identity1", "identity2"]


def test_list_empty_is_an_empty_array():
    r = az("list_empty", "list", "-g", RG, "--cluster-name", CLUSTER)
    assert r.exit_code == 0, r
    assert r.json() == []


def test_list_on_a_missing_cluster_is_not_found():
    r = az("list_cluster_not_found", "list", "-g", RG, "--cluster-name", CLUSTER)
    assert r.exit_code == 3, r
    assert f"Cluster '{CLUSTER}' was not found" in r.err


# -- delete ------------------------------------------------------------------------------------

def test_delete_reads_managed_by_then_polls_location_until_204():
    r = az("delete_lro", "delete", *BINDING, "--yes")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "DELETE", "GET", "GET"]
    assert "api-version=2026-08-02-preview" in r.requests[0][1]  # the api-version that returns managedBy
    assert "/operationresults/" in r.requests[2][1]
    assert [body for _, _, body in r.requests] == [None] * 4  # DELETE and polls carry no body
    assert r.out == ""
    assert r.sleeps == [5, 5]
    assert r.all_played


def test_delete_no_wait():
    r = az("delete_no_wait", "delete", *BINDING, "--yes", "--no-wait")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "DELETE"]


def test_delete_of_a_missing_binding_succeeds_with_a_warning():
    r = az("delete_missing", "delete", *BINDING, "-y")
    assert r.exit_code == 0, r
    assert "does not exist; nothing to delete" in r.err
    assert r.methods() == ["GET"]  # read as missing: no DELETE is sent


def test_delete_of_a_missing_binding_with_override_fleet_sends_the_delete_unread():
    r = az("delete_missing_override_fleet", "delete", *BINDING, "-y", "--override-fleet")
    assert r.exit_code == 0, r
    assert "does not exist; nothing to delete" in r.err
    assert r.methods() == ["DELETE"]


def test_delete_conflict_says_to_wait_and_retry():
    r = az("delete_conflict", "delete", *BINDING, "--yes")
    assert r.exit_code == 1, r
    assert "OperationNotAllowed" in r.err and "wait for it to finish and retry" in r.err
    assert_no_traceback(r)


def test_delete_on_a_missing_cluster_is_not_found():
    r = az("delete_cluster_not_found", "delete", *BINDING, "--yes")
    assert r.exit_code == 3, r
    assert f"Cluster '{CLUSTER}' was not found" in r.err


def test_delete_without_a_terminal_and_without_yes_refuses_and_sends_nothing():
    r = az("no_requests", "delete", *BINDING)
    assert r.exit_code == 1, r
    assert r.requests == []
    assert "Add --yes to confirm" in r.err
    assert_no_traceback(r)


def test_delete_asks_on_a_terminal_and_stops_on_no(monkeypatch):
    import knack.prompting
    asked = []
    monkeypatch.setattr(knack.prompting, "prompt_y_n", lambda msg, **kw: asked.append(msg) or False)
    r = az("no_requests", "delete", *BINDING)
    assert r.exit_code == 1, r
    assert r.requests == []
    assert NAME in asked[0] and CLUSTER in asked[0]


def test_delete_asks_on_a_terminal_and_deletes_on_yes(monkeypatch):
    import knack.prompting
    monkeypatch.setattr(knack.prompting, "prompt_y_n", lambda msg, **kw: True)
    r = az("delete_lro", "delete", *BINDING)
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "DELETE", "GET", "GET"]


@pytest.mark.parametrize("command", ["create", "show", "list", "delete", "update", "cleanup-fic", "generate-rbac"])
def test_help_has_our_text_and_two_examples(capsys, command):
    r = az("no_requests", command, "-h")
    assert r.exit_code == 0, r
    text = capsys.readouterr().out
    examples = text.split("Examples", 1)[1]
    assert examples.count("az aks identity-binding") >= 2
    if command in ("show", "delete"):  # our --name help, not core's
        assert "lowercase letters and digits always work" in " ".join(text.split())
