"""api-versions a region or cloud does not offer (arm/versions.py and ArmClient.send): the choice of a
fallback (unit), and every command through az against ARM's 400 answers (playback)."""
import json

import pytest
import yaml

from azext_identitybinding.arm import versions
from azext_identitybinding.constants import BINDINGS_API_VERSION, BINDINGS_PREVIEW_API_VERSION
from playback import CLUSTER, IDENTITY_ID, RECORDINGS, RG, run

GA = ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01"]
ITEM = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]
SUBJECTS = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-a"]}}]


def az(cassette, *args):
    return run(cassette, "aks", "identity-binding", *args)


def versions_sent(result):
    return [url.split("api-version=")[1].split("&")[0] for _, url, _ in result.requests]


# -- unit: reading ARM's answer and choosing -------------------------------------------------------

NRPF = ("No registered resource provider found for location 'chinanorth3' and API version '2026-08-02-preview' "
        "for type 'managedClusters/identityBindings'. The supported api-versions are '2026-04-01, 2026-05-01'. "
        "The supported locations are 'chinanorth3, chinaeast3'.")


@pytest.mark.parametrize("code, message, expected", [
    ("NoRegisteredProviderFound", NRPF, ["2026-04-01", "2026-05-01"]),
    ("InvalidApiVersionParameter", "The api-version '2026-06-01' is invalid. The supported versions are "
                                   "'2026-04-01,2025-10-02-preview'.", ["2026-04-01", "2025-10-02-preview"]),
    ("InvalidResourceType", "The resource type 'managedClusters/identityBindings' could not be found in the namespace "
                            "'Microsoft.ContainerService' for api version '2025-01-01'. The supported api-versions are "
                            "'2026-04-01'.", ["2026-04-01"]),
    # not an api-version answer, or no list named: the service's answer stands (no retry)
    ("InvalidParameter", NRPF, None),
    ("NoRegisteredProviderFound", "No registered resource provider found for location 'x'.", None),
    ("NoRegisteredProviderFound", "The supported api-versions are 'not-a-version, ../x'.", None),
    (None, None, None),
])
def test_offered_reads_only_the_versions_list_of_a_not_offered_answer(code, message, expected):
    assert versions.offered(code, message) == expected


def test_the_locations_list_is_never_taken_for_versions():
    assert "chinaeast3" not in versions.offered("NoRegisteredProviderFound", NRPF)


@pytest.mark.parametrize("need, offered, expected", [
    (versions.BINDINGS, GA, "2026-08-01"),                                       # newest GA
    (versions.BINDINGS, ["2026-04-01", "2025-10-02-preview"], "2026-04-01"),    # a preview never serves GA
    (versions.BINDINGS, ["2025-10-01", "2026-01-01"], None),                    # GA before identity bindings
    (versions.bindings(preview=True), GA, None),                                # no preview: managedBy missing
    (versions.bindings(preview=True), GA + ["2026-06-02-preview"], None),       # allowedSubjects only
    (versions.bindings(preview=True), GA + ["2026-07-02-preview", "2026-06-02-preview"], "2026-07-02-preview"),
    (versions.bindings(preview=("allowedSubjects",)), GA + ["2026-04-02-preview", "2026-06-02-preview"],
     "2026-06-02-preview"),
    (versions.bindings(preview=("allowedSubjects",)), GA + ["2026-04-02-preview"], None),
    (versions.bindings(preview=("managedBy",)), ["2026-10-02-preview", "2026-07-02-preview"], "2026-10-02-preview"),
    (versions.CLUSTERS, ["2024-05-01", "2026-04-01", "2026-05-02-preview"], "2026-04-01"),
])
def test_the_newest_offered_version_that_serves_the_need(need, offered, expected):
    assert versions.newest_serving(need, offered) == expected


def test_the_refused_version_is_never_chosen_again():
    assert versions.newest_serving(versions.BINDINGS, ["2026-06-01"], refused="2026-06-01") is None


def test_a_body_with_preview_fields_needs_exactly_those():
    assert versions.bindings({"properties": {"allowedSubjects": []}}).fields == ("allowedSubjects",)
    assert versions.bindings({"managedBy": "x", "properties": {}}).fields == ("managedBy",)
    assert versions.bindings({"properties": {"managedIdentity": {}}}) == versions.BINDINGS
    assert versions.BINDINGS.preferred() == BINDINGS_API_VERSION
    assert versions.bindings(preview=True).preferred() == BINDINGS_PREVIEW_API_VERSION


def test_choices_are_remembered_and_said_once():
    choices = versions.Choices()
    assert choices.current(versions.BINDINGS) == BINDINGS_API_VERSION
    assert choices.remember(versions.BINDINGS, "2026-04-01") is True
    assert choices.remember(versions.BINDINGS, "2026-04-01") is False
    assert choices.current(versions.BINDINGS) == "2026-04-01"
    assert choices.current(versions.bindings(preview=True)) == BINDINGS_PREVIEW_API_VERSION  # per need
    choices.forget()
    assert choices.current(versions.BINDINGS) == BINDINGS_API_VERSION


# -- through az: each command where the preview, or our pinned GA version, is not offered ---------

def test_delete_without_the_preview_reads_with_ga_warns_and_deletes():
    r = az("delete_no_preview", "delete", *ITEM, "--yes")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "GET", "DELETE", "GET"]
    assert versions_sent(r)[:3] == [BINDINGS_PREVIEW_API_VERSION, BINDINGS_API_VERSION, BINDINGS_API_VERSION]
    assert "Could not check whether AKS Fleet Manager manages" in r.err
    assert "2026-04-01, 2026-05-01, 2026-06-01, 2026-07-01, 2026-08-01" in r.err  # what the region offers


def test_delete_in_a_cloud_with_only_the_first_ga_version():
    r = az("delete_lagging_cloud", "delete", *ITEM, "--yes")
    assert r.exit_code == 0, r
    # ARM named what it offers in its first answer: no request is sent with a version it does not offer
    assert versions_sent(r)[:3] == [BINDINGS_PREVIEW_API_VERSION, "2026-04-01", "2026-04-01"]
    assert r.err.count(f"does not offer api-version {BINDINGS_API_VERSION}") == 1  # said once, not per request
    assert "using 2026-04-01" in r.err


def test_create_in_a_lagging_cloud_sends_the_same_body_with_the_offered_version():
    r = az("create_lagging_cloud", "create", *ITEM, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert r.methods() == ["GET", "GET", "PUT", "GET", "GET"]
    assert versions_sent(r) == [BINDINGS_API_VERSION, "2026-04-01", "2026-04-01", "2016-03-30", "2026-04-01"]
    assert r.requests[2][2] == {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}}}
    assert r.json()["properties"]["provisioningState"] == "Succeeded"


def test_list_falls_back_and_follows_the_next_link_as_given():
    r = az("list_lagging_cloud", "list", "-g", RG, "--cluster-name", CLUSTER)
    assert r.exit_code == 0, r
    assert [b["name"] for b in r.json()] == ["identitybinding1", "identitybinding2"]
    assert versions_sent(r) == [BINDINGS_API_VERSION, "2026-04-01", "2026-04-01"]


def test_show_managed_by_without_the_preview_fails_naming_what_is_offered_and_missing():
    r = az("show_managed_by_no_preview", "show", *ITEM, "--show-managed-by")
    assert r.exit_code == 1, r
    assert len(r.requests) == 1  # no version the region offers has managedBy: nothing else is tried
    assert "managedBy" in r.err and "2026-07-02-preview or a later preview" in r.err
    assert "2026-04-01, 2026-05-01, 2026-06-01, 2026-07-01, 2026-08-01" in r.err
    assert "Traceback" not in r.err


def test_update_without_the_preview_fails_and_writes_nothing():
    r = az("update_no_preview", "update", *ITEM, "--allow-namespace", "team-a")
    assert r.exit_code == 1, r
    assert r.methods() == ["GET"]  # what the region offers is known after one answer: nothing else is sent
    assert "allowedSubjects" in r.err and "offers 2026-04-01" in r.err
    assert "Going on to update" not in r.err


def test_allowed_subjects_use_an_older_preview_that_has_them(tmp_path):
    path = tmp_path / "subjects.json"
    path.write_text(json.dumps(SUBJECTS))
    r = az("create_subjects_older_preview", "create", *ITEM, "--managed-identity-resource-id", IDENTITY_ID,
           "--allowed-subjects-from-file", str(path))
    assert r.exit_code == 0, r
    assert versions_sent(r) == [BINDINGS_PREVIEW_API_VERSION, "2026-06-02-preview", "2026-06-02-preview",
                                "2016-03-30", "2026-06-02-preview"]
    assert r.requests[2][2]["properties"]["allowedSubjects"] == SUBJECTS


def test_a_400_that_names_no_versions_is_not_retried():
    r = az("show_bad_request_no_versions", "show", *ITEM)
    assert r.exit_code == 1, r
    assert len(r.requests) == 1 and "InvalidParameter" in r.err


def test_the_cassettes_answer_as_arm_does():
    """The 400s carry ARM's error shape and name the versions in ARM's words."""
    for name in ("delete_no_preview", "delete_lagging_cloud", "create_lagging_cloud", "show_managed_by_no_preview"):
        first = yaml.safe_load((RECORDINGS / f"{name}.yaml").read_text())["interactions"][0]["response"]
        error = json.loads(first["body"]["string"])["error"]
        assert first["status"]["code"] == 400
        assert error["code"] in versions.NOT_OFFERED_CODES and versions.offered(error["code"], error["message"])


def test_update_where_only_an_allowed_subjects_preview_is_offered_warns_and_updates():
    r = az("update_subjects_only_preview", "update", *ITEM, "--allow-namespace", "team-c", "team-b",
           "--allow-sa-label", "app=api")
    assert r.exit_code == 0, r
    assert versions_sent(r) == [BINDINGS_PREVIEW_API_VERSION, "2026-06-02-preview", "2026-06-02-preview"]
    assert "Could not check whether AKS Fleet Manager manages" in r.err
    put = r.requests[2][2]
    assert put["properties"]["managedIdentity"] == {"resourceId": IDENTITY_ID} and "managedBy" not in put
    read = yaml.safe_load((RECORDINGS / "update_subjects_only_preview.yaml").read_text())["interactions"][1]
    assert r.headers[2]["If-Match"] == json.loads(read["response"]["body"]["string"])["eTag"]  # still conditional
