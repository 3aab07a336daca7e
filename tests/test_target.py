"""`check --target-resource`: may the bound identity read what the workload reads (issue 12)?

Playback of the Microsoft.KeyVault and Microsoft.Authorization reads (tests/recordings, section
"check --target-resource" of build_cassettes.py), asserting the URLs and the $filter sent; the pure
matcher of Azure RBAC action patterns, with properties; hostile ids refused before any request.
"""
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings, strategies as st

from azext_identitybinding.check import target_rules
from azext_identitybinding.check.facts import Facts, Got, Target
from azext_identitybinding.check.target_rules import action_matches, role_grants
from azext_identitybinding.ids import IdError, parse_target_id, role_definition_path, scope_relation
from playback import RG, SUB, TENANT, run
from test_check import BINDING, OBJECT_ID, SA, assert_only_failure, check

VAULT_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/kv1"
STORAGE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/st1"
GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
FILTER = f"principalId eq '{OBJECT_ID}'"
ROLE_FIX = (f"az role assignment create --assignee-object-id {OBJECT_ID} --assignee-principal-type ServicePrincipal "
            f"--role 'Key Vault Secrets User' --scope {VAULT_ID}")


def target(cassette, resource=VAULT_ID, *extra):
    return check(cassette, *BINDING, *SA, "--skip-cluster", "--target-resource", resource, *extra)


def target_reads(c):
    """(path, query) of every request sent for --target-resource, in order."""
    found = []
    for method, url, _ in c.r.requests:
        parts = urlsplit(url)
        if "Microsoft.KeyVault" in parts.path or "Microsoft.Authorization" in parts.path or "Storage" in parts.path:
            assert method == "GET"
            found.append((parts.path, parse_qs(parts.query)))
    return found


def assignment_reads(c, scope=VAULT_ID):
    return [q for path, q in target_reads(c) if path == f"{scope}/providers/Microsoft.Authorization/roleAssignments"]


# -- Key Vault with Azure RBAC ---------------------------------------------------------------------

def test_rbac_vault_with_the_role_at_the_vault_passes_after_following_next_link():
    c = target("check_target_rbac_pass")
    assert c.r.exit_code == 0, c.r
    item = c.by["target-access"]
    assert item["status"] == "pass", item
    assert f"'Key Vault Secrets User' at the vault grants {GET_SECRET}" in item["detail"]
    pages = assignment_reads(c)
    assert [p["$filter"] for p in pages] == [[FILTER], [FILTER]]
    assert [p.get("$skipToken") for p in pages] == [None, ["cGFnZ2"]]  # the second page: from nextLink
    assert all(p["api-version"] == ["2022-04-01"] for p in pages)
    paths = [path for path, _ in target_reads(c)]
    assert paths[0] == VAULT_ID
    assert sorted(p.rsplit("/", 1)[-1] for p in paths if "roleDefinitions" in p) == [
        "4633458b-17de-408a-b874-0445c86b69e6", "acdd72a7-3385-48ef-bd42-f606fba81ae7"]  # each once
    assert [i["check"] for i in c.items].index("target-access") == [i["check"] for i in c.items].index(
        "federated-credential") + 1  # right after the identity checks
    assert c.r.all_played


def test_rbac_vault_without_a_role_that_reads_secrets_fails_with_the_role_assignment():
    c = target("check_target_rbac_missing")
    assert_only_failure(c, "target-access")
    item = c.by["target-access"]
    assert "uses Azure RBAC, and no role assigned to object id" in item["detail"]
    assert "it holds 'Key Vault Reader' at the vault, none of which grants it" in item["detail"]
    assert "groups the identity is a member of are not listed" in item["detail"]
    assert item["fix"] == ROLE_FIX
    assert c.r.all_played


def test_key_vault_reader_is_enough_for_keys_through_its_wildcard():
    """Key Vault Reader's dataActions hold Microsoft.KeyVault/vaults/*/read, which covers keys/read."""
    c = target("check_target_rbac_missing", VAULT_ID, "--target-permission", "keys")
    assert c.r.exit_code == 0, c.r
    assert c.status("target-access") == "pass"
    assert "grants Microsoft.KeyVault/vaults/keys/read" in c.by["target-access"]["detail"]


def test_role_granted_at_the_subscription_is_inherited():
    c = target("check_target_rbac_subscription")
    assert c.r.exit_code == 0, c.r
    assert f"'Key Vault Secrets User' at subscription '{SUB}'" in c.by["target-access"]["detail"]


def test_custom_role_with_a_wildcard_data_action_at_the_group_passes():
    c = target("check_target_custom_wildcard")
    assert c.r.exit_code == 0, c.r
    assert f"'kv-data-all' at resource group '{RG}' grants {GET_SECRET}" in c.by["target-access"]["detail"]


def test_not_data_actions_take_the_wildcard_back():
    c = target("check_target_not_data_actions")
    assert_only_failure(c, "target-access")
    assert f"it holds 'kv-data-no-secrets' at resource group '{RG}'" in c.by["target-access"]["detail"]
    assert c.by["target-access"]["fix"] == ROLE_FIX


def test_forbidden_role_assignment_read_is_a_skip_and_exit_0():
    c = target("check_target_assignments_forbidden")
    assert c.r.exit_code == 0, c.r
    item = c.by["target-access"]
    assert item["status"] == "skip"
    assert "AuthorizationFailed" in item["detail"] and "Microsoft.Authorization/roleAssignments/read" in item["detail"]
    assert [p["$filter"] for p in assignment_reads(c)] == [[FILTER]]
    assert c.r.all_played  # and no role definition was asked for


# -- Key Vault with access policies ----------------------------------------------------------------

def test_access_policy_with_get_passes_whatever_its_casing_and_reads_no_role_assignment():
    c = target("check_target_policy_pass")
    assert c.r.exit_code == 0, c.r
    assert "uses access policies" in c.by["target-access"]["detail"]
    assert "allows secrets: get, list" in c.by["target-access"]["detail"]
    assert [path for path, _ in target_reads(c)] == [VAULT_ID]
    assert c.r.all_played


def test_access_policy_without_get_fails_with_set_policy_keeping_what_it_has():
    c = target("check_target_policy_fail")
    assert_only_failure(c, "target-access")
    item = c.by["target-access"]
    assert "allows secrets: list, not 'get'" in item["detail"]
    assert item["fix"] == (f"az keyvault set-policy -n kv1 -g {RG} --object-id {OBJECT_ID} "
                           "--secret-permissions get list")


def test_access_policy_for_keys_reads_the_keys_permissions():
    c = target("check_target_policy_fail", VAULT_ID, "--target-permission", "keys")
    assert c.r.exit_code == 0, c.r
    assert "allows keys: get" in c.by["target-access"]["detail"]


def test_missing_vault_fails_with_the_listing():
    c = target("check_target_vault_missing")
    assert_only_failure(c, "target-access")
    assert "does not exist" in c.by["target-access"]["detail"]
    assert c.by["target-access"]["fix"] == f"az keyvault list -g {RG} -o table"


# -- any other resource -------------------------------------------------------------------------------

def test_other_resource_with_a_role_assigned_passes_and_names_it():
    c = target("check_target_other_pass", STORAGE_ID)
    assert c.r.exit_code == 0, c.r
    assert "'Storage Blob Data Reader' at the resource" in c.by["target-access"]["detail"]
    assert [p["$filter"] for p in assignment_reads(c, STORAGE_ID)] == [[FILTER]]
    assert STORAGE_ID not in [path for path, _ in target_reads(c)]  # its own api-version is not known: not read
    assert c.r.all_played


def test_other_resource_without_a_role_is_a_warning_not_a_failure():
    c = target("check_target_other_none", STORAGE_ID)
    assert c.r.exit_code == 0, c.r
    item = c.by["target-access"]
    assert item["status"] == "warn"
    assert item["fix"] == (f"az role assignment create --assignee-object-id {OBJECT_ID} --assignee-principal-type "
                           f"ServicePrincipal --role ROLE_NAME --scope {STORAGE_ID}")


def test_without_target_resource_there_is_no_target_item():
    c = check("check_arm_green", *BINDING, *SA, "--skip-cluster")
    assert "target-access" not in c.by and c.r.all_played


# -- bad input: exit 2, nothing sent ------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--target-resource", VAULT_ID + "/.."], "dot segment"),
    (["--target-resource", VAULT_ID + "?api-version=1"], "contains '?'"),
    (["--target-resource", VAULT_ID.replace("kv1", "kv1%2F..%2F")], "contains '%'"),
    (["--target-resource", VAULT_ID.replace("kv1", "kv1#x")], "contains '#'"),
    (["--target-resource", VAULT_ID.replace("kv1", "kv\n1")], "control character"),
    (["--target-resource", VAULT_ID + "/secrets/s1"], "give the vault's id"),
    (["--target-resource", "kv1"], "not a resource id"),
    (["--target-resource", "/subscriptions/not-a-guid/resourceGroups/rg1"], "is not a GUID"),
    (["--target-resource", "/subscriptions/" + SUB + "/resourceGroups/" + "g" * 10_000], "characters long"),
    (["--target-permission", "secrets"], "add --target-resource VAULT_ID"),
    (["--target-resource", STORAGE_ID, "--target-permission", "keys"], "applies to a Key Vault"),
    (["--target-resource", VAULT_ID, "--target-permission", "blobs"], "Allowed values: secrets, keys, certificates"),
])
def test_bad_target_arguments_are_refused_before_any_request(args, message):
    r = run("no_requests", "aks", "identity-binding", "check", *BINDING, *SA, *args)
    assert r.exit_code == 2, r
    assert message in r.err, r
    assert r.requests == []


def test_target_resource_is_refused_by_the_offline_lint(tmp_path):
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: b}]\n")
    r = run("no_requests", "aks", "identity-binding", "check", "--pod-file", str(path), "--target-resource", VAULT_ID)
    assert r.exit_code == 2, r
    assert "the offline --pod-file lint sends no request" in r.err
    assert r.requests == []


def test_a_hostile_role_definition_id_from_the_service_is_never_requested():
    for bad in ["/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/..",
                f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Authorization/roleDefinitions/"
                "4633458b-17de-408a-b874-0445c86b69e6",
                "/providers/Microsoft.Authorization/roleDefinitions/not-a-guid", "https://evil.example/x", None, 7]:
        with pytest.raises(IdError):
            role_definition_path(bad)
    assert role_definition_path("/providers/Microsoft.Management/managementGroups/mg1/providers/"
                                "Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")


# -- the pure parts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, action, expected", [
    ("Microsoft.KeyVault/vaults/secrets/getSecret/action", GET_SECRET, True),
    ("microsoft.keyvault/VAULTS/secrets/getsecret/action", GET_SECRET, True),
    ("Microsoft.KeyVault/vaults/*", GET_SECRET, True),
    ("Microsoft.KeyVault/*/action", GET_SECRET, True),
    ("*", GET_SECRET, True),
    ("Microsoft.KeyVault/vaults/*/read", GET_SECRET, False),
    ("Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/keys/read", True),
    ("Microsoft.KeyVault/vaults/secrets/getSecret", GET_SECRET, False),  # no implicit prefix match
    ("Microsoft.KeyVault/vaults/secrets/getSecret/action/x", GET_SECRET, False),
    ("Microsoft.KeyVault/vaults/secrets/?etSecret/action", GET_SECRET, False),  # only `*` is a wildcard
    ("", GET_SECRET, False),
    (None, GET_SECRET, False),
])
def test_action_patterns(pattern, action, expected):
    assert action_matches(pattern, action) is expected


def test_a_hostile_pattern_does_not_backtrack_for_ever():
    assert not action_matches("*a" * 5000 + "b", "a" * 60)


def _glob(pattern, action):
    """The reference: `*` is any run of characters, the rest literal, case-insensitive."""
    import re
    regex = ".*".join(re.escape(part) for part in pattern.lower().split("*"))
    return re.fullmatch(regex, action.lower(), re.DOTALL) is not None


ALPHABET = st.sampled_from("ab/*.")


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=12), st.text(st.sampled_from("aB/."), max_size=12))
def test_matcher_agrees_with_the_glob_reference(pattern, action):
    assert action_matches(pattern, action) == _glob(pattern, action)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("abc/"), min_size=1, max_size=20), st.integers(0, 20), st.integers(0, 20))
def test_any_action_is_matched_by_itself_and_by_a_star_in_place_of_any_part(action, start, length):
    assert action_matches(action, action) and action_matches(action.upper(), action)
    start = min(start, len(action))
    assert action_matches(action[:start] + "*" + action[start + length:], action)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=8), max_size=3), st.lists(st.text(ALPHABET, max_size=8), max_size=3),
       st.text(st.sampled_from("ab/."), max_size=8))
def test_not_data_actions_only_ever_take_away(data_actions, not_data_actions, action):
    granted = role_grants(_definition(data_actions, not_data_actions), action)
    assert granted == (any(_glob(p, action) for p in data_actions) and not any(_glob(p, action)
                                                                               for p in not_data_actions))
    assert granted <= role_grants(_definition(data_actions, []), action)


def _definition(data_actions, not_data_actions, *more):
    return {"properties": {"permissions": [{"dataActions": data_actions, "notDataActions": not_data_actions},
                                           *more]}}


def test_not_data_actions_apply_to_their_own_permission_block_only():
    blocks = _definition(["Microsoft.KeyVault/vaults/*"], [GET_SECRET], {"dataActions": [GET_SECRET]})
    assert role_grants(blocks, GET_SECRET)
    assert not role_grants(_definition(["Microsoft.KeyVault/vaults/*"], [GET_SECRET]), GET_SECRET)


@pytest.mark.parametrize("hostile", [None, [], "x", {"properties": None}, {"properties": {"permissions": "x"}},
                                     {"properties": {"permissions": [None, 3, {"dataActions": "*"}]}},
                                     {"properties": {"permissions": [{"dataActions": [None, 3, ["*"]]}]}}])
def test_malformed_role_definitions_grant_nothing(hostile):
    assert role_grants(hostile, GET_SECRET) is False


@pytest.mark.parametrize("scope, expected", [
    (VAULT_ID, "at"),
    (VAULT_ID.upper() + "/", "at"),
    (f"/subscriptions/{SUB}/resourcegroups/RG1", "above"),
    (f"/subscriptions/{SUB}", "above"),
    ("/providers/Microsoft.Management/managementGroups/mg1", "above"),
    ("/", "above"),
    (f"/subscriptions/{SUB}/resourceGroups/rg10", None),  # a prefix of the text, not of the path
    (VAULT_ID + "1", None),
    (VAULT_ID + "/secrets/s1", "below"),
    (f"/subscriptions/{SUB}/resourceGroups/rg2", None),
    (None, None),
])
def test_scope_relations(scope, expected):
    assert scope_relation(scope, VAULT_ID) == expected


def _facts(vault=None, assignments=None, definitions=None, permission=None, object_id=OBJECT_ID):
    binding = {"name": "identitybinding1", "properties": {"managedIdentity": {
        "resourceId": "x", "objectId": object_id, "tenantId": TENANT}}}
    return Facts(Target(RG, "cluster1", "demo/workload", binding_name="identitybinding1", target_resource=VAULT_ID,
                        target_permission=permission),
                 binding=Got(binding), vault=vault or Got(), role_assignments=assignments or Got(),
                 role_definitions=definitions or {})


def _rbac_vault():
    return Got({"properties": {"enableRbacAuthorization": True}})


def _assignment(scope, guid="4633458b-17de-408a-b874-0445c86b69e6", condition=None):
    return {"properties": {"scope": scope, "condition": condition,
                           "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                                               f"roleDefinitions/{guid}"}}


SECRETS_USER = {"/subscriptions/00000000-0000-0000-0000-000000000000/providers/microsoft.authorization/"
                "roledefinitions/4633458b-17de-408a-b874-0445c86b69e6": Got(
                    {"properties": {"roleName": "Key Vault Secrets User",
                                    "permissions": [{"dataActions": [GET_SECRET]}]}})}


def test_a_grant_on_one_secret_only_is_a_warning():
    [found] = target_rules.check_target_access(_facts(_rbac_vault(), Got([_assignment(VAULT_ID + "/secrets/s1")]),
                                                      SECRETS_USER))
    assert found["status"] == "warn" and "granted only on objects inside it" in found["detail"]


def test_a_grant_under_a_condition_is_a_warning():
    [found] = target_rules.check_target_access(_facts(_rbac_vault(), Got([_assignment(
        VAULT_ID, condition="@Resource[Microsoft.KeyVault/vaults/secrets:name] StringEquals 'db'")]), SECRETS_USER))
    assert found["status"] == "warn" and "only under a condition" in found["detail"]


def test_an_unrelated_scope_does_not_count():
    [found] = target_rules.check_target_access(_facts(_rbac_vault(), Got([_assignment(
        f"/subscriptions/{SUB}/resourceGroups/rg10")]), SECRETS_USER))
    assert found["status"] == "fail"


def test_an_unreadable_role_definition_is_a_skip():
    [found] = target_rules.check_target_access(_facts(_rbac_vault(), Got([_assignment(VAULT_ID)]), {
        next(iter(SECRETS_USER)): Got(error="(AuthorizationFailed) no roleDefinitions/read")}))
    assert found["status"] == "skip" and "AuthorizationFailed" in found["detail"]


def test_an_unknown_object_id_is_a_skip():
    [found] = target_rules.check_target_access(_facts(_rbac_vault(), object_id=""))
    assert found["status"] == "skip" and "object (principal) id is not known" in found["detail"]


@pytest.mark.parametrize("policies", [None, "x", [None, 3, {"objectId": None}],
                                      [{"objectId": OBJECT_ID, "tenantId": TENANT, "permissions": "all"}],
                                      [{"objectId": OBJECT_ID, "tenantId": TENANT, "permissions": {"secrets": "get"}}]])
def test_malformed_access_policies_grant_nothing(policies):
    vault = Got({"properties": {"enableRbacAuthorization": False, "accessPolicies": policies}})
    [found] = target_rules.check_target_access(_facts(vault))
    assert found["status"] == "fail"


def test_access_policy_of_another_tenant_or_a_compound_entry_does_not_count():
    for entry, said in (({"tenantId": "22222222-2222-2222-2222-222222222222"}, "another tenant"),
                        ({"tenantId": TENANT, "applicationId": "33333333-3333-3333-3333-333333333333"}, "compound")):
        vault = Got({"properties": {"accessPolicies": [{"objectId": OBJECT_ID.upper(), **entry,
                                                        "permissions": {"secrets": ["get"]}}]}})
        [found] = target_rules.check_target_access(_facts(vault))
        assert found["status"] == "fail" and said in found["detail"]


def test_parse_target_id_keeps_names_and_canonical_keys():
    rid = parse_target_id(f"/SUBSCRIPTIONS/{SUB}/resourcegroups/My.RG//providers/Microsoft.Storage/"
                          "storageAccounts/St1/")
    assert str(rid) == f"/subscriptions/{SUB}/resourceGroups/My.RG/providers/Microsoft.Storage/storageAccounts/St1"


def test_a_target_that_is_not_there_fails_with_its_group_listing():
    facts = _facts(assignments=Got(error="not found", missing=True))
    facts.target.target_resource = STORAGE_ID
    [found] = target_rules.check_target_access(facts)
    assert found["status"] == "fail" and "does not exist" in found["detail"]
    assert found["fix"] == f"az resource list -g {RG} -o table"


# -- gather: what is read, and when -------------------------------------------------------------------

class _FakeClient:
    """Records the target reads; role definitions wait on a barrier, so they pass only when all are in
    flight at once."""

    def __init__(self, assignments, barrier=None):
        self.assignments, self.barrier, self.calls = assignments, barrier, []

    def list_role_assignments(self, scope, principal):
        self.calls.append(("assignments", scope, principal))
        return self.assignments

    def get_role_definition(self, definition_id):
        self.calls.append(("definition", definition_id))
        if self.barrier:
            self.barrier.wait()
        return {"id": definition_id}


def test_each_distinct_role_definition_is_read_once_and_all_at_once():
    import threading
    from azext_identitybinding.check.gather import gather_target
    other = "21090545-7ca7-4776-b22c-e363652d74d2"
    assignments = [_assignment(VAULT_ID), _assignment(f"/subscriptions/{SUB}"), _assignment(VAULT_ID, other),
                   _assignment(VAULT_ID.upper() + "/secrets/s1")]
    assignments[1]["properties"]["roleDefinitionId"] = assignments[1]["properties"]["roleDefinitionId"].upper()
    client = _FakeClient(assignments, threading.Barrier(2, timeout=5))
    found = gather_target(client, _facts(_rbac_vault()))
    assert client.calls[0] == ("assignments", VAULT_ID, OBJECT_ID)
    assert sorted(c[1].rsplit("/", 1)[-1] for c in client.calls[1:]) == [other, "4633458b-17de-408a-b874-0445c86b69e6"]
    assert all(g.ok for g in found["role_definitions"].values()) and len(found["role_definitions"]) == 2


@pytest.mark.parametrize("vault, object_id", [
    (Got({"properties": {"enableRbacAuthorization": False}}), OBJECT_ID),  # access policies: the vault says it all
    (Got({"properties": {}}), OBJECT_ID),  # absent: access policies, as on older vaults
    (Got(error="(AuthorizationFailed) no vaults/read"), OBJECT_ID),
    (Got(missing=True), OBJECT_ID),
    (_rbac_vault(), ""),  # no principal to ask about
    (_rbac_vault(), "not-a-guid"),
])
def test_no_role_assignment_is_read_when_it_cannot_decide_anything(vault, object_id):
    from azext_identitybinding.check.gather import gather_target
    client = _FakeClient([])
    assert gather_target(client, _facts(vault, object_id=object_id)) == {}
    assert client.calls == []


@pytest.mark.parametrize("body", [[1], "text", 3, {"value": "x"}, {"value": {}}, {"value": [], "nextLink": 3}])
def test_a_page_that_is_not_a_page_is_an_error_not_a_traceback(body):
    from unittest import mock
    from azure.cli.core.azclierror import AzureResponseError
    from azext_identitybinding.arm import errors
    response = mock.Mock(status_code=200)
    response.json.return_value = body
    with pytest.raises(AzureResponseError, match="not a page of a list"):
        errors.page(response)
    response.json.return_value = {"value": None}
    assert errors.page(response) == {"value": None}


def test_vault_that_cannot_be_read_is_a_skip():
    c = target("check_target_vault_forbidden")
    assert c.r.exit_code == 0, c.r
    assert c.by["target-access"]["status"] == "skip"
    assert "Key Vault 'kv1'" in c.by["target-access"]["detail"]
    assert assignment_reads(c) == [] and c.r.all_played


def test_other_resource_without_a_known_principal_is_a_skip_and_reads_nothing():
    c = target("check_target_principal_unknown", STORAGE_ID)
    assert c.by["target-access"]["status"] == "skip", c.items
    assert "object (principal) id is not known" in c.by["target-access"]["detail"]
    assert target_reads(c) == [] and c.r.all_played


def test_other_resource_whose_role_assignments_cannot_be_read_is_a_skip():
    c = target("check_target_other_forbidden", STORAGE_ID)
    assert c.r.exit_code == 0, c.r
    assert c.by["target-access"]["status"] == "skip"
    assert f"the role assignments of object id {OBJECT_ID}" in c.by["target-access"]["detail"]
    assert c.r.all_played
