"""Playback pins the bodies sent: a request whose JSON body is not the recorded one is refused.

These tests change what the extension sends (the Resource Graph query, a PUT body, the
SubjectAccessReview) and show that playback refuses it loudly (BodyMismatch), even where the
command would turn the refusal into an ordinary error exit that a test expecting a failure might
accept. The structural test below shows every body-carrying interaction of every cassette records
the body it expects, so none is matched on its URL alone.
"""
import json
from unittest import mock

import pytest
import yaml

import playback
from playback import CLUSTER, IDENTITY_ID, RECORDINGS, RG, BodyMismatch, run

BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]


def az(cassette, *args):
    return run(cassette, "aks", "identity-binding", *args)


def _request(method, body):
    from vcr.request import Request
    return Request(method, "https://management.azure.com/x?api-version=1", body, {})


# -- the matcher itself --------------------------------------------------------------------------

def test_same_body_is_semantic_json_equality():
    sent = _request("PUT", json.dumps({"a": 1, "b": [1, 2]}))
    playback.same_body(sent, _request("PUT", '{"b": [1, 2],  "a": 1}'))  # key order, spacing: same
    for other in ('{"a": 1, "b": [2, 1]}', '{"a": "1", "b": [1, 2]}', '{"a": 1}', '{"a": 1, "b": [1, 2], "c": 0}',
                  None):
        with pytest.raises(AssertionError):
            playback.same_body(sent, _request("PUT", other))


@pytest.mark.parametrize("method", ["PUT", "POST", "PATCH"])
def test_a_body_carrying_method_must_match_the_recorded_body(method):
    with pytest.raises(AssertionError):
        playback.same_body(_request(method, '{"x": 1}'), _request(method, '{"x": 2}'))


def test_bodies_of_reads_and_deletes_are_not_compared():
    playback.same_body(_request("GET", None), _request("GET", '{"x": 2}'))
    playback.same_body(_request("DELETE", None), _request("DELETE", None))


def test_the_matcher_is_in_use():
    assert "body_json" in playback.MATCH_ON


# -- every cassette pins its bodies ---------------------------------------------------------------

def test_every_body_carrying_interaction_records_the_body_it_expects():
    missing = []
    for path in sorted(RECORDINGS.glob("*.yaml")):
        for i, interaction in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]):
            request = interaction["request"]
            if request["method"] in playback.BODY_METHODS and not request.get("body"):
                missing.append(f"{path.name}#{i} {request['method']} {request['uri']}")
    assert not missing, "record the body sent (hit(..., sent=...) in build_cassettes.py):\n" + "\n".join(missing)


def test_the_resource_graph_query_is_written_out_in_the_builder_not_imported():
    # A wrong query constant in arm/client.py must not regenerate into a matching cassette.
    text = (RECORDINGS / "build_cassettes.py").read_text(encoding="utf-8")
    assert "CLUSTERS_QUERY" not in text
    assert "resources | where type =~ 'microsoft.containerservice/managedclusters' " in text


# -- a changed body fails playback ---------------------------------------------------------------

ALL_SUBSCRIPTIONS = ("list", "--managed-identity-resource-id", IDENTITY_ID, "--all-subscriptions")


def test_the_recorded_resource_graph_query_plays_back():
    r = az("fleet_all_graph_paged", *ALL_SUBSCRIPTIONS)
    assert r.exit_code == 0, r
    assert r.all_played


@pytest.mark.parametrize("query", [
    # the audit's mutant: agent pools, not clusters (the real service returns no cluster for it)
    "resources | where type =~ 'microsoft.containerservice/managedclusters/agentpools' "
    "| project id, name, resourceGroup, subscriptionId | order by id asc",
    # no order: paging over an unordered query can skip or repeat rows
    "resources | where type =~ 'microsoft.containerservice/managedclusters' "
    "| project id, name, resourceGroup, subscriptionId",
])
def test_a_changed_resource_graph_query_is_refused(query):
    with mock.patch("azext_identitybinding.arm.client.CLUSTERS_QUERY", query):
        with pytest.raises(BodyMismatch, match="Microsoft.ResourceGraph"):
            az("fleet_all_graph_paged", *ALL_SUBSCRIPTIONS)


def test_a_changed_resource_graph_scope_is_refused():
    with mock.patch("azext_identitybinding.arm.client.GRAPH_PAGE", 100):
        with pytest.raises(BodyMismatch, match=r"\$top"):
            az("fleet_all_graph_paged", *ALL_SUBSCRIPTIONS)


def _changing_put(change):
    from azext_identitybinding.arm.client import ArmClient
    real = ArmClient.send

    def send(self, method, url, body=None, *args, **kwargs):
        if method == "PUT" and body is not None:
            body = change(json.loads(json.dumps(body)))
        return real(self, method, url, body, *args, **kwargs)
    return mock.patch.object(ArmClient, "send", send)


def test_the_recorded_put_body_plays_back():
    r = az("create_lro", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)
    assert r.exit_code == 0, r
    assert r.all_played


@pytest.mark.parametrize("cassette", ["create_lro", "create_forbidden"])
def test_a_changed_put_body_is_refused_even_where_the_command_is_expected_to_fail(cassette):
    # create_forbidden ends in exit 1 anyway: without BodyMismatch, a wrong body there would pass.
    def other_identity(body):
        body["properties"]["managedIdentity"]["resourceId"] = IDENTITY_ID.replace("identity1", "identity2")
        return body
    with _changing_put(other_identity):
        with pytest.raises(BodyMismatch, match="identity2"):
            az(cassette, "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)


def test_an_extra_field_in_a_put_body_is_refused():
    def extra(body):
        body["properties"]["allowedSubjects"] = []
        return body
    with _changing_put(extra):
        with pytest.raises(BodyMismatch, match="allowedSubjects"):
            az("create_lro", "create", *BINDING, "--managed-identity-resource-id", IDENTITY_ID)


def test_a_changed_subject_access_review_is_refused(tmp_path):
    # The Kubernetes side of a cassette is pinned too: a review for another verb is not the recorded one.
    # (Through test_check's runner, which opens the playback connections one at a time.)
    from test_check import KUBECONFIG, SA, SERVER, check
    from azext_identitybinding.kube import Cluster
    real = Cluster.subject_access_review

    def review(self, spec):
        spec = json.loads(json.dumps(spec))
        spec["resourceAttributes"]["verb"] = "*"
        return real(self, spec)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG.format(server=SERVER))
    with pytest.raises(BodyMismatch, match="subjectaccessreviews"):
        check("check_all_green", *BINDING, *SA, kubeconfig=str(kubeconfig),
              patches=[mock.patch.object(Cluster, "subject_access_review", review)])
