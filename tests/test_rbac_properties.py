"""Property tests for azext_identitybinding.rbac.

Valid input must always give schema-valid Kubernetes objects with the exact rule; invalid input must
always raise RbacInputError and nothing else. The validity oracles here are written independently
of rbac.py (character checks instead of regular expressions).
"""
import json
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from azext_identitybinding import rbac

# Required, in both CI suites (requirements-dev.txt, scripts/min_version_check.sh): a missing validator
# fails this module at import instead of skipping the schema test.
import kubernetes_validate

# Schemas shipped by kubernetes-validate; 1.34 is a Kubernetes version AKS supports.
K8S_VERSION = "1.34"

# database=None: leave no .hypothesis directory in the work tree.
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

LOWER_ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdefABCDEF"
# Characters never allowed in a label or subdomain. No whitespace: surrounding whitespace is stripped.
BAD_CHARS = "ABCXYZ_/:*@+=~!,;é\u0131\u212a０"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


# --- independent oracles ------------------------------------------------------------------------

def is_dns_part(part):
    return (part != "" and all(c in LOWER_ALNUM + "-" for c in part)
            and part[0] in LOWER_ALNUM and part[-1] in LOWER_ALNUM)


def is_label(value):
    return len(value) <= 63 and is_dns_part(value)


def is_subdomain(value):
    return len(value) <= 253 and all(is_dns_part(part) for part in value.split("."))


def is_guid(value):
    if len(value) != 36:
        return False
    return all((c == "-") if i in (8, 13, 18, 23) else (c in HEX) for i, c in enumerate(value))


# --- strategies ---------------------------------------------------------------------------------

alnum = st.sampled_from(LOWER_ALNUM)
labels = st.one_of(
    alnum,
    st.builds(lambda first, middle, last: first + middle + last,
              alnum, st.text(LOWER_ALNUM + "-", max_size=61), alnum),
    st.just("a" * 63),
    st.just("a" + "-" * 61 + "0"),
)
subdomains = st.one_of(
    st.lists(labels, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 253),
    st.just(".".join(["a" * 63] * 3) + "." + "b" * 61),  # exactly 253
)


@st.composite
def guids(draw):
    value = str(draw(st.uuids()))
    flips = draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
    return "".join(c.upper() if flip else c for c, flip in zip(value, flips))


padding = st.sampled_from(["", " ", "\t", "\n", "  "])
padded_guids = st.builds(lambda before, guid, after: before + guid + after, padding, guids(), padding)


@st.composite
def broken_dns(draw, valid, max_len, dots_allowed):
    """A DNS name made invalid in one of several ways."""
    base = draw(valid)
    how = draw(st.sampled_from(["bad-char", "too-long", "dash-start", "dash-end", "empty", "dots"]))
    if how == "bad-char":
        at = draw(st.integers(0, len(base)))
        return base[:at] + draw(st.sampled_from(BAD_CHARS + ("" if dots_allowed else "."))) + base[at:]
    if how == "too-long":
        # Ends in "a", so length is the only fault.
        return (base + "a" * (max_len + 5))[: max_len + draw(st.integers(1, 5))]
    if how == "dash-start":
        return "-" + base
    if how == "dash-end":
        return base + "-"
    if how == "empty":
        return ""
    return base + draw(st.sampled_from([".", "..", ".-a"])) if dots_allowed else base + ".x"


bad_labels = broken_dns(labels, 63, False)
bad_subdomains = broken_dns(subdomains, 253, True)


@st.composite
def bad_guids(draw):
    guid = draw(guids())
    how = draw(st.sampled_from(["drop", "add", "non-hex", "braces", "no-dashes", "move-dash", "text"]))
    at = draw(st.integers(0, 35))
    if how == "drop":
        return guid[:at] + guid[at + 1:]
    if how == "add":
        return guid[:at] + draw(st.sampled_from(HEX + "-")) + guid[at:]
    if how == "non-hex":
        return guid[:at] + draw(st.sampled_from("gGzZ_ .:é０")) + guid[at + 1:]
    if how == "braces":
        return "{" + guid + "}"
    if how == "no-dashes":
        return guid.replace("-", "")
    if how == "move-dash":
        return guid.replace("-", "", 1)[:at] + "-" + guid.replace("-", "", 1)[at:]
    return draw(st.text(max_size=40))


@st.composite
def valid_requests(draw):
    accounts = draw(st.lists(st.tuples(labels, subdomains), max_size=3))
    namespaces = draw(st.lists(labels, max_size=3))
    if not accounts and not namespaces:
        accounts = [draw(st.tuples(labels, subdomains))]
    include = bool(accounts) and draw(st.booleans())
    return {
        "client_id": draw(padded_guids),
        "service_accounts": [f"{ns}/{name}" for ns, name in accounts],
        "namespaces": namespaces,
        "name": draw(st.one_of(st.none(), subdomains)),
        "include_service_accounts": include,
        "tenant_id": draw(guids()) if include or draw(st.booleans()) else None,
    }


# --- valid input --------------------------------------------------------------------------------

def check_structure(req, result):
    client_id = req["client_id"].strip().lower()
    name = req["name"] or f"use-mi-{client_id}"
    assert result["apiVersion"] == "v1" and result["kind"] == "List"
    kinds = [item["kind"] for item in result["items"]]
    assert kinds[:2] == ["ClusterRole", "ClusterRoleBinding"]
    assert set(kinds[2:]) <= {"ServiceAccount"}

    role, binding = result["items"][:2]
    assert role["metadata"]["name"] == binding["metadata"]["name"] == binding["roleRef"]["name"] == name
    assert role["rules"] == [{"apiGroups": [rbac.API_GROUP], "resources": [client_id], "verbs": [rbac.VERB]}]
    assert rbac.API_GROUP == "cid.wi.aks.azure.com" and rbac.VERB == "use-managed-identity"

    accounts = sorted({tuple(sa.split("/")) for sa in req["service_accounts"]})
    namespaces = sorted(set(req["namespaces"]))
    assert binding["subjects"] == (
        [{"kind": "ServiceAccount", "name": sa, "namespace": ns} for ns, sa in accounts]
        + [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": f"system:serviceaccounts:{ns}"}
           for ns in namespaces])

    created = result["items"][2:]
    if req["include_service_accounts"]:
        assert [(sa["metadata"]["namespace"], sa["metadata"]["name"]) for sa in created] == accounts
        for sa in created:
            assert sa["metadata"]["annotations"] == {
                "azure.workload.identity/client-id": client_id,
                "azure.workload.identity/tenant-id": req["tenant_id"].lower(),
            }
    else:
        assert created == []
    for item in result["items"]:
        assert item["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "azext-identitybinding"}


@SCHEMA
@given(valid_requests())
def test_valid_input_gives_exact_rule_and_expected_subjects(req):
    check_structure(req, rbac.generate(**req))


@SCHEMA
@given(valid_requests())
def test_valid_input_passes_kubernetes_schema(req):
    result = rbac.generate(**req)
    # kubernetes-validate has no schema for the `v1 List` wrapper, so each item is checked; strict
    # mode rejects unknown fields at every level.
    for item in result["items"]:
        assert kubernetes_validate.validate(item, K8S_VERSION, strict=True) == K8S_VERSION


@FAST
@given(valid_requests(), st.randoms(use_true_random=False))
def test_output_does_not_depend_on_order_or_duplicates(req, rng):
    expected = json.dumps(rbac.generate(**req), sort_keys=True)
    shuffled = dict(req)
    for key in ("service_accounts", "namespaces"):
        values = list(req[key]) * rng.randint(1, 3)
        rng.shuffle(values)
        shuffled[key] = values
    shuffled["client_id"] = shuffled["client_id"].swapcase()
    assert json.dumps(rbac.generate(**shuffled), sort_keys=True) == expected


@FAST
@given(padded_guids)
def test_guid_normalizers_lowercase_and_strip(value):
    assert rbac.normalize_client_id(value) == value.strip().lower()
    assert rbac.normalize_tenant_id(value) == value.strip().lower()
    assert rbac.default_name(value) == "use-mi-" + value.strip().lower()


@FAST
@given(labels, subdomains)
def test_valid_names_are_accepted(namespace, name):
    assert rbac.validate_namespace(namespace) == namespace
    assert rbac.validate_object_name(name) == name
    assert rbac.parse_service_account(f"{namespace}/{name}") == (namespace, name)


# --- invalid input ------------------------------------------------------------------------------

def expect_error(call, argument, value):
    with pytest.raises(rbac.RbacInputError) as excinfo:
        call()
    assert excinfo.value.argument == argument
    assert repr(value) in str(excinfo.value)


@FAST
@given(bad_guids())
def test_invalid_guids_are_rejected(value):
    assume(not is_guid(value.strip()))
    expect_error(lambda: rbac.normalize_client_id(value), "--client-id", value)
    expect_error(lambda: rbac.normalize_tenant_id(value), "--tenant-id", value)
    expect_error(lambda: rbac.generate(value, ["a/b"]), "--client-id", value)
    expect_error(lambda: rbac.generate(ZERO_GUID, ["a/b"],
                                       include_service_accounts=True, tenant_id=value), "--tenant-id", value)


@FAST
@given(bad_labels)
def test_invalid_namespaces_are_rejected(value):
    assert not is_label(value.strip())
    expect_error(lambda: rbac.validate_namespace(value), "--namespace", value.strip())
    expect_error(lambda: rbac.generate(ZERO_GUID, namespaces=["ok", value]),
                 "--namespace", value.strip())
    expect_error(lambda: rbac.parse_service_account(f"{value}/workload"), "--service-account",
                 f"{value}/workload")


@FAST
@given(bad_subdomains)
def test_invalid_object_names_are_rejected(value):
    assert not is_subdomain(value.strip())
    expect_error(lambda: rbac.validate_object_name(value), "--name", value.strip())
    expect_error(lambda: rbac.parse_service_account(f"demo/{value}"), "--service-account", f"demo/{value}")
    expect_error(lambda: rbac.generate(ZERO_GUID, ["a/b"], name=value),
                 "--name", value.strip())


@FAST
@given(st.one_of(
    st.text(alphabet=LOWER_ALNUM + "-.", max_size=30).filter(lambda s: "/" not in s),
    st.lists(labels, min_size=3, max_size=4).map("/".join),
    labels.map(lambda s: s + "/"),
    subdomains.map(lambda s: "/" + s),
))
def test_malformed_service_accounts_are_rejected(value):
    expect_error(lambda: rbac.parse_service_account(value), "--service-account", value)


# --- arbitrary input: only ever a result or RbacInputError ----------------------------------------

anything = st.one_of(st.text(max_size=80), st.none(), st.integers(), st.binary(max_size=20),
                     st.lists(st.text(max_size=5), max_size=2), st.floats(allow_nan=False))


@FAST
@given(anything)
def test_arbitrary_input_never_raises_anything_else(value):
    for function, oracle in [
        (rbac.normalize_client_id, is_guid),
        (rbac.normalize_tenant_id, is_guid),
        (rbac.validate_namespace, is_label),
        (rbac.validate_object_name, is_subdomain),
        (rbac.parse_service_account, lambda s: s.count("/") == 1 and is_label(s.split("/")[0])
         and is_subdomain(s.split("/")[1])),
    ]:
        valid = isinstance(value, str) and oracle(value.strip())
        try:
            function(value)
        except rbac.RbacInputError as err:
            assert not valid, (function.__name__, value, str(err))
            assert err.argument.startswith("--")
        else:
            assert valid, (function.__name__, value)


@FAST
@given(anything, st.one_of(anything, st.lists(anything, max_size=3)),
       st.one_of(anything, st.lists(anything, max_size=3)), st.one_of(st.none(), anything),
       st.booleans(), st.one_of(st.none(), anything, guids()))
def test_generate_never_raises_anything_else(client_id, accounts, namespaces, name, include, tenant):
    try:
        rbac.generate(client_id, accounts, namespaces, name=name, include_service_accounts=include, tenant_id=tenant)
    except rbac.RbacInputError as err:
        assert err.argument.startswith("--") and str(err)
