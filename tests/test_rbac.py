"""Unit tests for azext_identitybinding.rbac (the generate-rbac logic)."""
import copy
import json
import random

import pytest
import yaml

from azext_identitybinding import rbac

CID = "5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8"
CID_UPPER = CID.upper()
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RBAC_GROUP = "rbac.authorization.k8s.io"
MANAGED_BY = {"app.kubernetes.io/managed-by": "azext-identitybinding"}


def items_by_kind(result, kind):
    return [item for item in result["items"] if item["kind"] == kind]


def the_one(result, kind):
    found = items_by_kind(result, kind)
    assert len(found) == 1, found
    return found[0]


def walk(node):
    """Yield every dict key and every scalar in a nested structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)
    else:
        yield node


def sa_subject(ns, name):
    return {"kind": "ServiceAccount", "name": name, "namespace": ns}


def group_subject(ns):
    return {"kind": "Group", "apiGroup": RBAC_GROUP, "name": f"system:serviceaccounts:{ns}"}


# --- constants and the rule ---------------------------------------------------------------------

def test_public_constants():
    assert rbac.API_GROUP == "cid.wi.aks.azure.com"
    assert rbac.VERB == "use-managed-identity"
    assert rbac.MANAGED_BY == "azext-identitybinding"
    assert issubclass(rbac.RbacInputError, ValueError)


def test_cluster_role_has_exactly_the_one_rule():
    result = rbac.generate(CID, service_accounts=["demo/workload"])
    assert result["apiVersion"] == "v1"
    assert result["kind"] == "List"
    assert [item["kind"] for item in result["items"]] == ["ClusterRole", "ClusterRoleBinding"]
    role = the_one(result, "ClusterRole")
    assert role["apiVersion"] == "rbac.authorization.k8s.io/v1"
    assert role["metadata"] == {"name": f"use-mi-{CID}", "labels": MANAGED_BY}
    assert role["rules"] == [{
        "apiGroups": ["cid.wi.aks.azure.com"],
        "resources": [CID],
        "verbs": ["use-managed-identity"],
    }]
    assert set(role) == {"apiVersion", "kind", "metadata", "rules"}  # no aggregationRule


def test_cluster_role_binding_for_service_account():
    result = rbac.generate(CID, service_accounts=["demo/workload"])
    binding = the_one(result, "ClusterRoleBinding")
    assert binding["apiVersion"] == "rbac.authorization.k8s.io/v1"
    assert binding["metadata"] == {"name": f"use-mi-{CID}", "labels": MANAGED_BY}
    assert binding["roleRef"] == {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": f"use-mi-{CID}"}
    assert binding["subjects"] == [sa_subject("demo", "workload")]
    # ServiceAccount subjects are in the core group: no apiGroup key at all.
    assert "apiGroup" not in binding["subjects"][0]


def test_cluster_role_binding_for_namespace():
    binding = the_one(rbac.generate(CID, namespaces=["team-a"]), "ClusterRoleBinding")
    assert binding["subjects"] == [group_subject("team-a")]


def test_cluster_role_binding_mixed_subjects_are_ordered():
    result = rbac.generate(CID, service_accounts=["b/x", "a/z", "a/y"], namespaces=["c", "a"])
    assert the_one(result, "ClusterRoleBinding")["subjects"] == [
        sa_subject("a", "y"), sa_subject("a", "z"), sa_subject("b", "x"),
        group_subject("a"), group_subject("c"),
    ]


def test_uppercase_and_padded_client_id_is_lowercased_everywhere():
    result = rbac.generate(f"  {CID_UPPER}\n", service_accounts=["demo/workload"],
                           include_service_accounts=True, tenant_id=TENANT.upper())
    text = json.dumps(result)
    assert CID_UPPER not in text and TENANT.upper() not in text
    assert the_one(result, "ClusterRole")["rules"][0]["resources"] == [CID]
    assert the_one(result, "ClusterRole")["metadata"]["name"] == f"use-mi-{CID}"
    annotations = the_one(result, "ServiceAccount")["metadata"]["annotations"]
    assert annotations == {"azure.workload.identity/client-id": CID, "azure.workload.identity/tenant-id": TENANT}
    assert result == rbac.generate(CID, service_accounts=["demo/workload"],
                                   include_service_accounts=True, tenant_id=TENANT)


def test_normalizers_return_lowercase():
    assert rbac.normalize_client_id(CID_UPPER) == CID
    assert rbac.normalize_tenant_id(f" {TENANT.upper()} ") == TENANT


def test_default_name():
    assert rbac.default_name(CID) == f"use-mi-{CID}"
    assert rbac.default_name(CID_UPPER) == f"use-mi-{CID}"


def test_custom_name_is_used_for_role_binding_and_role_ref():
    result = rbac.generate(CID, service_accounts=["demo/workload"], name="payments.use-mi")
    assert the_one(result, "ClusterRole")["metadata"]["name"] == "payments.use-mi"
    binding = the_one(result, "ClusterRoleBinding")
    assert binding["metadata"]["name"] == "payments.use-mi"
    assert binding["roleRef"]["name"] == "payments.use-mi"


def test_parse_service_account_and_validators_accept_valid_values():
    assert rbac.parse_service_account("demo/workload") == ("demo", "workload")
    assert rbac.parse_service_account(" kube-system/my.sa-1 ") == ("kube-system", "my.sa-1")
    assert rbac.validate_namespace("a" * 63) == "a" * 63
    assert rbac.validate_namespace("0") == "0"
    assert rbac.validate_object_name("a." * 126 + "a") == "a." * 126 + "a"  # 253 characters
    assert rbac.parse_service_account("ns/" + "b" * 253) == ("ns", "b" * 253)


# --- de-duplication, ordering and determinism ---------------------------------------------------

def test_duplicates_are_removed():
    result = rbac.generate(CID, service_accounts=["demo/workload", "demo/workload", " demo/workload"],
                           namespaces=["demo", "demo"], include_service_accounts=True, tenant_id=TENANT)
    assert the_one(result, "ClusterRoleBinding")["subjects"] == [sa_subject("demo", "workload"),
                                                                 group_subject("demo")]
    assert len(items_by_kind(result, "ServiceAccount")) == 1


def test_single_string_is_not_split_into_characters():
    assert rbac.generate(CID, service_accounts="demo/workload") == rbac.generate(CID, ["demo/workload"])
    assert rbac.generate(CID, namespaces="demo") == rbac.generate(CID, namespaces=["demo"])


@pytest.mark.parametrize("seed", range(5))
def test_output_is_identical_for_shuffled_and_duplicated_input(seed):
    accounts = ["prod/api", "dev/api", "dev/worker", "a-b/c", "zz/x.y"]
    namespaces = ["zz", "dev", "monitoring"]
    kwargs = {"include_service_accounts": True, "tenant_id": TENANT}
    reference = rbac.generate(CID, accounts, namespaces, **kwargs)

    rng = random.Random(seed)
    shuffled_accounts = accounts * 2
    shuffled_namespaces = namespaces * 3
    rng.shuffle(shuffled_accounts)
    rng.shuffle(shuffled_namespaces)
    other = rbac.generate(CID_UPPER, tuple(shuffled_accounts), iter(shuffled_namespaces), **kwargs)

    assert json.dumps(other, sort_keys=True) == json.dumps(reference, sort_keys=True)
    assert json.dumps(other) == json.dumps(reference)  # key order is fixed too
    assert yaml.safe_dump(other).encode() == yaml.safe_dump(reference).encode()
    assert yaml.safe_dump(other, sort_keys=False) == yaml.safe_dump(reference, sort_keys=False)


def test_repeated_calls_give_equal_independent_objects():
    first = rbac.generate(CID, ["demo/workload"], include_service_accounts=True, tenant_id=TENANT)
    snapshot = copy.deepcopy(first)
    first["items"][0]["metadata"]["labels"]["tampered"] = "yes"
    first["items"][1]["subjects"].append({"kind": "Group", "name": "x"})
    second = rbac.generate(CID, ["demo/workload"], include_service_accounts=True, tenant_id=TENANT)
    assert second == snapshot


def test_service_accounts_are_ordered_by_namespace_then_name():
    result = rbac.generate(CID, ["b/a", "a/b", "a/a"], include_service_accounts=True, tenant_id=TENANT)
    assert [(sa["metadata"]["namespace"], sa["metadata"]["name"])
            for sa in items_by_kind(result, "ServiceAccount")] == [("a", "a"), ("a", "b"), ("b", "a")]
    assert [item["kind"] for item in result["items"]] == ["ClusterRole", "ClusterRoleBinding"] + \
        ["ServiceAccount"] * 3


def test_yaml_round_trip():
    result = rbac.generate(CID, ["demo/workload"], ["team-a"], include_service_accounts=True, tenant_id=TENANT)
    assert yaml.safe_load(yaml.safe_dump(result)) == result
    assert json.loads(json.dumps(result)) == result


# --- include_service_accounts -------------------------------------------------------------------

def test_include_service_accounts_output():
    result = rbac.generate(CID, ["demo/workload", "other/api"], ["team-a"], include_service_accounts=True,
                           tenant_id=TENANT)
    accounts = items_by_kind(result, "ServiceAccount")
    assert accounts == [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": MANAGED_BY,
                "annotations": {
                    "azure.workload.identity/client-id": CID,
                    "azure.workload.identity/tenant-id": TENANT,
                },
            },
        }
        for ns, name in [("demo", "workload"), ("other", "api")]
    ]
    # The namespace grant creates no ServiceAccount, and every created one is also a subject.
    subjects = the_one(result, "ClusterRoleBinding")["subjects"]
    for sa in accounts:
        assert sa_subject(sa["metadata"]["namespace"], sa["metadata"]["name"]) in subjects


def test_no_service_accounts_by_default():
    result = rbac.generate(CID, ["demo/workload"], tenant_id=TENANT)
    assert items_by_kind(result, "ServiceAccount") == []


# --- least privilege ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"service_accounts": ["demo/workload"]},
    {"namespaces": ["team-a", "team-b"]},
    {"service_accounts": ["a/b", "c/d"], "namespaces": ["e"], "include_service_accounts": True,
     "tenant_id": TENANT},
])
def test_nothing_broader_than_asked(kwargs):
    result = rbac.generate(CID_UPPER, **kwargs)
    assert {item["kind"] for item in result["items"]} <= {"ClusterRole", "ClusterRoleBinding", "ServiceAccount"}
    scalars_and_keys = list(walk(result))
    assert "resourceNames" not in scalars_and_keys
    assert "aggregationRule" not in scalars_and_keys
    for value in scalars_and_keys:
        if isinstance(value, str):
            assert "*" not in value
            assert not value.startswith("rbac.authorization.k8s.io/aggregate-to-")
    role = the_one(result, "ClusterRole")
    assert set(role["metadata"]["labels"]) == {"app.kubernetes.io/managed-by"}
    for subject in the_one(result, "ClusterRoleBinding")["subjects"]:
        assert subject["kind"] in {"ServiceAccount", "Group"}
        if subject["kind"] == "Group":
            assert subject["name"].startswith("system:serviceaccounts:")
            assert subject["name"] not in {"system:serviceaccounts", "system:authenticated",
                                           "system:unauthenticated", "system:serviceaccounts:"}
            assert len(subject["name"]) > len("system:serviceaccounts:")
        else:
            assert subject["namespace"] and subject["name"]


# --- validation errors --------------------------------------------------------------------------

def assert_input_error(excinfo, argument, value):
    err = excinfo.value
    assert type(err) is rbac.RbacInputError
    assert err.argument == argument
    message = str(err)
    assert message.startswith(argument)
    if value is not None:
        assert repr(value) in message, message
    assert "expected" in message or "give" in message or "required" in message or "needs" in message


BAD_GUIDS = [
    "",
    "   ",
    "not-a-guid",
    "5e3f1b2a-9c4d-4e8f-a1b2",                              # too short
    "5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b",                  # one digit short
    "5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b80",                # one digit long
    "{5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8}",               # braces
    "5e3f1b2a9c4d4e8fa1b2c3d4e5f6a7b8",                     # no dashes
    "5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7bz",                 # not hex
    "5e3f1b2a_9c4d_4e8f_a1b2_c3d4e5f6a7b8",
    "urn:uuid:5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8",
    "5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8\x00",
    "5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8/",
    "oid:5e3f1b2a-9c4d-4e8f-a1b2",                          # object-id-looking garbage
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/mi",
    "５e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8",                # full-width digit
]


@pytest.mark.parametrize("bad", BAD_GUIDS)
def test_bad_client_id(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.normalize_client_id(bad)
    assert_input_error(excinfo, "--client-id", bad)
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(bad, ["demo/workload"])
    assert_input_error(excinfo, "--client-id", bad)
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.default_name(bad)
    assert_input_error(excinfo, "--client-id", bad)


def test_client_id_error_hints():
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.normalize_client_id("{" + CID + "}")
    assert "braces" in str(excinfo.value)
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.normalize_client_id("/subscriptions/x/resourceGroups/y")
    assert "resource ID" in str(excinfo.value)


@pytest.mark.parametrize("bad", [None, 42, b"5e3f1b2a-9c4d-4e8f-a1b2-c3d4e5f6a7b8"])
def test_non_string_client_id(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.normalize_client_id(bad)
    assert_input_error(excinfo, "--client-id", bad)


@pytest.mark.parametrize("bad", BAD_GUIDS[:8])
def test_bad_tenant_id(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.normalize_tenant_id(bad)
    assert_input_error(excinfo, "--tenant-id", bad)
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, ["demo/workload"], include_service_accounts=True, tenant_id=bad)
    assert_input_error(excinfo, "--tenant-id", bad)


def test_custom_argument_name_is_reported():
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.normalize_client_id("x", argument="--identity-client-id")
    assert_input_error(excinfo, "--identity-client-id", "x")
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.validate_namespace("X", argument="--ns")
    assert_input_error(excinfo, "--ns", "X")


BAD_NAMESPACES = [
    "Demo",            # uppercase
    "a" * 64,          # too long
    "-demo",           # leading dash
    "demo-",           # trailing dash
    "my_ns",           # underscore
    "my.ns",           # dots are not allowed in a label
    "",
    "dé",
    "a/b",
]


@pytest.mark.parametrize("bad", BAD_NAMESPACES)
def test_bad_namespace(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.validate_namespace(bad)
    assert_input_error(excinfo, "--namespace", bad.strip())
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, namespaces=["ok", bad])
    assert_input_error(excinfo, "--namespace", bad.strip())


def test_namespace_length_is_explained():
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.validate_namespace("a" * 64)
    assert "64 characters" in str(excinfo.value) and "63" in str(excinfo.value)


@pytest.mark.parametrize("bad", [
    "demo",                # no '/'
    "demo\\workload",
    "a/b/c",               # two '/'
    "/workload",           # empty namespace
    "demo/",               # empty name
    "/",
    "",
    "Demo/workload",       # namespace uppercase
    "a" * 64 + "/x",       # namespace too long
    "-demo/workload",
    "my_ns/workload",
    "my.ns/workload",      # namespace must be a label, not a subdomain
    "demo/Workload",       # name uppercase
    "demo/" + "b" * 254,   # name too long
    "demo/work_load",
    "demo/-workload",
    "demo/workload.",
    "demo/a..b",
    "demo/work load",
])
def test_bad_service_account(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.parse_service_account(bad)
    assert_input_error(excinfo, "--service-account", bad)
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, service_accounts=["ok/ok", bad])
    assert_input_error(excinfo, "--service-account", bad)


def test_service_account_message_examples():
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.parse_service_account("demo")
    assert str(excinfo.value) == "--service-account 'demo': expected NAMESPACE/NAME, e.g. 'demo/workload'."
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.parse_service_account("demo/" + "b" * 254)
    assert "254 characters" in str(excinfo.value) and "253" in str(excinfo.value)


@pytest.mark.parametrize("bad", [None, 7, ["demo/workload"]])
def test_non_string_service_account(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.parse_service_account(bad)
    assert_input_error(excinfo, "--service-account", bad)


@pytest.mark.parametrize("bad", ["", "Use-MI", "use_mi", "-use-mi", "use-mi-", "a..b", ".a", "a" * 254, "a b"])
def test_bad_name(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.validate_object_name(bad)
    assert_input_error(excinfo, "--name", bad.strip())
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, ["demo/workload"], name=bad)
    assert_input_error(excinfo, "--name", bad.strip())


@pytest.mark.parametrize("kwargs", [{}, {"service_accounts": [], "namespaces": []},
                                    {"service_accounts": None, "namespaces": None}])
def test_no_subject(kwargs):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, **kwargs)
    assert excinfo.value.argument == "--service-account"
    message = str(excinfo.value)
    assert "--service-account NAMESPACE/NAME" in message and "--namespace NAMESPACE" in message


def test_include_service_accounts_needs_tenant():
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, ["demo/workload"], include_service_accounts=True)
    assert excinfo.value.argument == "--tenant-id"
    message = str(excinfo.value)
    assert "--include-sa" in message and "azure.workload.identity/tenant-id" in message


def test_include_service_accounts_needs_a_named_service_account():
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, namespaces=["team-a"], include_service_accounts=True, tenant_id=TENANT)
    assert excinfo.value.argument == "--include-sa"
    message = str(excinfo.value)
    assert "--service-account" in message and "'team-a'" in message


@pytest.mark.parametrize("bad", [5, object()])
def test_non_iterable_subject_lists(bad):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, service_accounts=bad)
    assert excinfo.value.argument == "--service-account"
    with pytest.raises(rbac.RbacInputError) as excinfo:
        rbac.generate(CID, namespaces=bad)
    assert excinfo.value.argument == "--namespace"


def test_module_is_pure():
    """rbac must stay importable without azure-cli or knack: only the standard library and our own
    modules that are themselves stdlib-only (constants, ids), followed transitively."""
    import ast
    import sys
    from pathlib import Path
    package = Path(rbac.__file__).parent
    seen, todo, outside = set(), ["rbac"], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        tree = ast.parse((package / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name.startswith("azext_identitybinding."):
                    todo.append(name.split(".", 1)[1])
                elif name.split(".")[0] not in sys.stdlib_module_names:
                    outside.add(f"{module}: {name}")
    assert not outside, outside
    assert seen == {"rbac", "constants", "ids"}, seen  # what it builds on, stated


# --- the Kubernetes API's own types, offline ------------------------------------------------------

TYPED = {"ClusterRole": "V1ClusterRole", "ClusterRoleBinding": "V1ClusterRoleBinding",
         "ServiceAccount": "V1ServiceAccount"}


class _Answer:  # pylint: disable=too-few-public-methods
    """What ApiClient.deserialize reads: an HTTP answer's body."""

    def __init__(self, document):
        self.data = json.dumps(document)


def _typed(document):
    """The document decoded into the Kubernetes Python client's model of its kind (the same OpenAPI
    types the API server decodes into; a required field missing raises), and encoded back."""
    from kubernetes.client import ApiClient
    client = ApiClient()
    model = client.deserialize(_Answer(document), TYPED[document["kind"]])
    return model, client.sanitize_for_serialization(model)


def test_generated_objects_decode_into_the_kubernetes_types_unchanged():
    """Parse the generated YAML, decode every item into its typed model and encode it back: an unknown
    or misspelled field is dropped, a wrong nesting fails or differs, so the round trip must be exact.
    (This replaces a kubectl-based check that could only skip on a machine without kubectl, like CI's.)"""
    result = rbac.generate(CID_UPPER, ["demo/workload", "other/api.v2"], ["team-a"],
                           include_service_accounts=True, tenant_id=TENANT)
    parsed = yaml.safe_load(yaml.safe_dump(result))
    assert parsed["apiVersion"] == "v1" and parsed["kind"] == "List"
    assert sorted(item["kind"] for item in parsed["items"]) == [
        "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "ServiceAccount"]
    for item in parsed["items"]:
        _, back = _typed(item)
        assert back == item, item["kind"]


def test_the_binding_equals_one_built_from_the_kubernetes_types():
    """The ClusterRoleBinding and ServiceAccounts, built independently from the client's typed models
    (what `kubectl create clusterrolebinding/serviceaccount` would build), are ours."""
    from kubernetes.client import (ApiClient, RbacV1Subject, V1ClusterRoleBinding, V1ObjectMeta, V1RoleRef,
                                   V1ServiceAccount)
    result = rbac.generate(CID_UPPER, ["demo/workload", "other/api.v2"], ["team-a"],
                           include_service_accounts=True, tenant_id=TENANT)
    binding = the_one(result, "ClusterRoleBinding")
    name = the_one(result, "ClusterRole")["metadata"]["name"]
    theirs = ApiClient().sanitize_for_serialization(V1ClusterRoleBinding(
        api_version="rbac.authorization.k8s.io/v1", kind="ClusterRoleBinding",
        role_ref=V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=name),
        subjects=[RbacV1Subject(kind="ServiceAccount", name="workload", namespace="demo"),
                  RbacV1Subject(kind="ServiceAccount", name="api.v2", namespace="other"),
                  RbacV1Subject(kind="Group", api_group="rbac.authorization.k8s.io",
                                name="system:serviceaccounts:team-a")]))
    assert theirs["roleRef"] == binding["roleRef"]
    canonical = sorted(json.dumps(subject, sort_keys=True) for subject in theirs["subjects"])
    assert canonical == sorted(json.dumps(subject, sort_keys=True) for subject in binding["subjects"])
    for sa in items_by_kind(result, "ServiceAccount"):
        meta = sa["metadata"]
        built = ApiClient().sanitize_for_serialization(V1ServiceAccount(
            api_version="v1", kind="ServiceAccount",
            metadata=V1ObjectMeta(name=meta["name"], namespace=meta["namespace"])))
        assert {k: sa[k] for k in ("apiVersion", "kind")} == {k: built[k] for k in ("apiVersion", "kind")}
        assert {k: meta[k] for k in ("name", "namespace")} == built["metadata"]


def test_a_field_the_types_do_not_know_does_not_survive_the_round_trip():
    # the check above can fail: a misspelled field is dropped by the typed decoding
    binding = the_one(rbac.generate(CID_UPPER, ["demo/workload"], []), "ClusterRoleBinding")
    broken = copy.deepcopy(binding)
    broken["subjects"][0]["namepsace"] = broken["subjects"][0].pop("namespace")
    assert _typed(broken)[1] != broken
    with pytest.raises(ValueError):  # a required field missing
        _typed({**binding, "roleRef": {"kind": "ClusterRole"}})
