"""Unit and property tests of placement.py, the AKS Fleet Manager ClusterResourcePlacement (pure, no az).

The placement is checked against the shape of its CRD (tests/schemas/clusterresourceplacement-v1.yaml,
our own fixture, with every undeclared field an error), its metadata against the Kubernetes schemas. The
oracles here (what a label key or value is, what a placement selects) are written apart from
placement.py: character checks and a plain walk over the List, no regular expressions.
"""
import copy
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

import jsonschema  # required (both CI suites install them): a missing validator fails the run, never skips
import kubernetes_validate

from azext_identitybinding import placement, rbac, secretstore

CLIENT = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
TENANT = "11111111-1111-1111-1111-111111111111"
ROLE = f"use-mi-{CLIENT}"
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "clusterresourceplacement-v1.yaml"
ALNUM = string.ascii_letters + string.digits
NAME_CHARS = ALNUM + "-_."


def manifests(accounts=("demo/web",), namespaces=(), vault=None):
    return secretstore.generate(CLIENT, list(accounts), list(namespaces), tenant_id=TENANT, keyvault_name=vault,
                                secrets=["db"] if vault else ())


def crp_of(result):
    [crp] = [i for i in result["items"] if i["kind"] == "ClusterResourcePlacement"]
    return crp


# --- what is placed ---------------------------------------------------------------------------------

def test_rbac_and_the_service_account_namespace_on_every_member():
    result, placed = placement.with_placement(manifests(), "ib-web")
    crp = crp_of(result)
    assert result["items"][:-1] == manifests()["items"]  # the usual List, then the placement, last
    assert crp["apiVersion"] == "placement.kubernetes-fleet.io/v1"
    assert crp["metadata"] == {"name": "ib-web", "labels": {"app.kubernetes.io/managed-by": "azext-identitybinding"}}
    assert crp["spec"] == {
        "resourceSelectors": [
            {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole", "name": ROLE},
            {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRoleBinding", "name": ROLE},
            {"group": "", "version": "v1", "kind": "Namespace", "name": "demo"}],
        "policy": {"placementType": "PickAll"}}  # no affinity: every joined member
    assert placed == ["demo"]


def test_member_selector_is_a_required_cluster_affinity_with_the_same_pairs():
    selector = placement.parse_member_selector(["region=eu,env=prod", "team=payments"])
    result, _ = placement.with_placement(manifests(), "ib-web", selector)
    assert crp_of(result)["spec"]["policy"] == {
        "placementType": "PickAll",
        "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {
                "env": "prod", "region": "eu", "team": "payments"}}}]}}}}


def test_rbac_only_places_no_namespace():
    result, placed = placement.with_placement(manifests(["a/x", "b/y"], vault="myVault"), "p", rbac_only=True)
    kinds = [s["kind"] for s in crp_of(result)["spec"]["resourceSelectors"]]
    assert kinds == ["ClusterRole", "ClusterRoleBinding"] and placed == []
    assert placement.left_behind(result["items"]) == ["a", "b"]


def test_generate_rbac_alone_places_only_the_cluster_scoped_objects():
    """Without --include-sa nothing namespaced is generated, so no namespace is taken."""
    result, placed = placement.with_placement(rbac.generate(CLIENT, ["demo/web"], ["team-a"]), "p")
    assert [s["kind"] for s in crp_of(result)["spec"]["resourceSelectors"]] == ["ClusterRole", "ClusterRoleBinding"]
    assert placed == []


def test_the_input_list_is_not_changed():
    original = manifests()
    kept = copy.deepcopy(original)
    placement.with_placement(original, "p", {"env": "prod"})
    assert original == kept


def test_byte_stable_whatever_the_order_of_the_input():
    one = placement.with_placement(manifests(["b/y", "a/x"], ["c"]), "p", placement.parse_member_selector(
        ["z=1", "a=2"]))
    two = placement.with_placement(manifests(["a/x", "b/y", "a/x"], ["c"]), "p", placement.parse_member_selector(
        ["a=2,z=1"]))
    assert yaml.safe_dump(one[0], sort_keys=False) == yaml.safe_dump(two[0], sort_keys=False)


@pytest.mark.parametrize("name", ["", "..", "Ib", "a_b", "a.b", "-a", "a" * 64, "ü", "a/b", None])
def test_placement_name_is_a_dns_label(name):
    with pytest.raises(rbac.RbacInputError) as err:
        placement.validate_placement_name(name)
    assert err.value.argument == "--fleet-placement"


# --- the member selector -------------------------------------------------------------------------

@pytest.mark.parametrize("value, why", [
    ("..", "expected KEY=VALUE"), ("", "expected KEY=VALUE"), ("a" * 10_000, "10000 characters"),
    ("a=b=c", "'b=c' is not valid"), ("ü=1", "is not valid"), ("env=prüd", "is not valid"),
    ("env=", "the value is empty"), ("=prod", "expected KEY=VALUE"), ("env!=prod", "'!=' is not supported"),
    ("env in (a)", "expected KEY=VALUE"), ("a=b,,c=d", "expected KEY=VALUE"), ("Example.com/x=1", "prefix"),
    ("/x=1", "prefix before '/' is empty"), ("x/=1", "name is empty"), ("a/b/c=1", "prefix"),
    ("env=prod,env=dev", "given twice"), ("k=" + "v" * 64, "is not valid"), ("-a=1", "is not valid"),
    ("a=1\n", None), ("a=b\nc=d", "is not valid"), ("a=b;c", "is not valid"), ("a=$(id)", "is not valid"),
])
def test_hostile_member_selectors_are_refused(value, why):
    if why is None:  # surrounding whitespace is tolerated, as for every other flag
        assert placement.parse_member_selector([value]) == {"a": "1"}
        return
    with pytest.raises(placement.PlacementInputError) as err:
        placement.parse_member_selector([value])
    assert err.value.argument == "--member-selector" and why in str(err.value)
    assert len(str(err.value)) < 500  # a long value is cut, not echoed


def is_name(text, most=63):
    """Independent oracle: a label name or value (1-63 alphanumerics, '-', '_', '.'; alphanumeric ends)."""
    return (0 < len(text) <= most and all(c in NAME_CHARS for c in text)
            and text[0] in ALNUM and text[-1] in ALNUM)


def is_prefix(text):
    parts = text.split(".")
    return 0 < len(text) <= 253 and all(
        p and all(c in string.ascii_lowercase + string.digits + "-" for c in p) and p[0] != "-" and p[-1] != "-"
        for p in parts)


def is_key(text):
    if "/" in text:
        prefix, _, name = text.rpartition("/")
        return is_prefix(prefix) and is_name(name)
    return is_name(text)


names = st.text(NAME_CHARS, min_size=1, max_size=63).filter(lambda t: t[0] in ALNUM and t[-1] in ALNUM)
prefixes = st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10), min_size=1,
                    max_size=3).map(".".join)
keys = st.one_of(names, st.builds(lambda p, n: f"{p}/{n}", prefixes, names))
selectors = st.dictionaries(keys, names, min_size=1, max_size=6)


@FAST
@given(selectors)
def test_member_selector_round_trips(labels):
    text = placement.format_member_selector(labels)
    assert placement.parse_member_selector([text]) == labels  # as one comma-separated value
    assert placement.parse_member_selector(text.split(",")) == labels  # as repeated KEY=VALUE arguments
    assert placement.format_member_selector(placement.parse_member_selector([text])) == text
    result, _ = placement.with_placement(manifests(), "p", labels)
    [term] = crp_of(result)["spec"]["policy"]["affinity"]["clusterAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["clusterSelectorTerms"]
    assert term == {"labelSelector": {"matchLabels": labels}}


@FAST
@given(st.one_of(st.text(max_size=80), st.text(NAME_CHARS + "=/,!. \n", max_size=80)))
@example("a=b=c")
@example("..=..")
def test_a_pair_is_accepted_exactly_when_key_and_value_follow_label_syntax(text):
    key, equals, value = text.strip().partition("=")
    valid = bool(equals) and is_key(key.strip()) and is_name(value.strip()) and "," not in text
    try:
        parsed = placement.parse_selector_pair(text)
    except placement.PlacementInputError as err:
        assert not valid, (text, str(err))
    else:
        assert valid, text
        assert parsed == (key.strip(), value.strip())


# --- the placement selects exactly what was generated ------------------------------------------------

accounts = st.lists(st.builds(lambda ns, n: f"{ns}/{n}", st.sampled_from(["a", "b", "team-c"]),
                              st.sampled_from(["web", "api"])), min_size=1, max_size=4)
spaces = st.lists(st.sampled_from(["a", "d", "e"]), max_size=2)


def selected(crp):
    return {(s["group"], s["version"], s["kind"], s["name"]) for s in crp["spec"]["resourceSelectors"]}


@FAST
@given(accounts, spaces, st.booleans(), st.booleans(), st.one_of(st.none(), selectors))
def test_selectors_match_exactly_the_generated_objects(sas, nss, vault, rbac_only, labels):
    generated = manifests(sas, nss, "myVault" if vault else None)
    result, placed = placement.with_placement(generated, "p", labels, rbac_only)
    crp = crp_of(result)
    cluster_scoped = {(i["apiVersion"].rpartition("/")[0], i["apiVersion"].rpartition("/")[2], i["kind"],
                       i["metadata"]["name"]) for i in generated["items"] if not i["metadata"].get("namespace")}
    namespaces = {i["metadata"]["namespace"] for i in generated["items"] if i["metadata"].get("namespace")}
    wanted = cluster_scoped | (set() if rbac_only else {("", "v1", "Namespace", ns) for ns in namespaces})
    assert selected(crp) == wanted
    assert len(crp["spec"]["resourceSelectors"]) == len(wanted)  # each once
    assert placed == ([] if rbac_only else sorted(namespaces))
    assert {("rbac.authorization.k8s.io", "v1", "ClusterRole", ROLE),
            ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", ROLE)} <= selected(crp)


# --- the CRD-shape fixture ---------------------------------------------------------------------------

def strict(schema):
    """The fixture's schema with pruning made an error: no undeclared field anywhere."""
    schema = copy.deepcopy(schema)

    def visit(node):
        if isinstance(node, dict):
            if "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)
    visit(schema)
    return schema


@pytest.fixture(scope="module")
def crd():
    data = yaml.safe_load(SCHEMA_FILE.read_text())
    return strict({**data["openAPIV3Schema"], "definitions": data["definitions"]})


def assert_valid(crp, schema):
    jsonschema.validate(crp, schema)
    # ObjectMeta, with the Kubernetes schemas
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": crp["metadata"]},
                                 "1.34", strict=True)


def test_schema_fixture_refuses_what_it_should(crd):
    crp = crp_of(placement.with_placement(manifests(), "p", {"env": "prod"})[0])
    spec = crp["spec"]
    broken = [
        {**crp, "spec": {**spec, "resourceSelector": spec["resourceSelectors"]}},  # misspelt: pruned
        {**crp, "spec": {**spec, "resourceSelectors": []}},
        {**crp, "spec": {**spec, "resourceSelectors": [{"kind": "ClusterRole", "name": "x"}]}},  # no group/version
        {**crp, "spec": {**spec, "policy": {"placementType": "PickSome"}}},
        {**crp, "spec": {**spec, "policy": {"placementType": "PickAll", "affinity": {"clusterAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [
                {"labelSelector": {"matchLabels": {"env": 1}}}]}}}}}},
        {**crp, "apiVersion": "placement.kubernetes-fleet.io/v1beta1"},
    ]
    for bad in broken:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, crd)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts, spaces, st.booleans(), st.booleans(), st.one_of(st.none(), selectors))
def test_every_generated_placement_passes_the_crd_shape(sas, nss, vault, rbac_only, labels):
    data = yaml.safe_load(SCHEMA_FILE.read_text())
    schema = strict({**data["openAPIV3Schema"], "definitions": data["definitions"]})
    result, _ = placement.with_placement(manifests(sas, nss, "myVault" if vault else None), "p", labels, rbac_only)
    assert_valid(crp_of(result), schema)
