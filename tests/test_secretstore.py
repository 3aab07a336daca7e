"""Unit and property tests of secretstore.py, the generate-manifests generator (pure, no az).

The objects are checked against the Kubernetes schemas (kubernetes-validate, as test_rbac_properties.py
does) and the SecretProviderClass against the shape of its CRD (tests/schemas/secretproviderclass-v1.yaml,
with jsonschema). The validity oracles here are written apart from secretstore.py: character checks,
no regular expressions.
"""
import copy
import json
import string
from pathlib import Path

# jsonschema and kubernetes_validate are required, in both CI suites (requirements-dev.txt,
# scripts/min_version_check.sh): a missing validator fails this module at import, never a skip.
import jsonschema
import kubernetes_validate
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from azext_identitybinding import rbac, secretstore
from azext_identitybinding.check.workload import template_patch


K8S_VERSION = "1.34"
CLIENT = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
TENANT = "11111111-1111-1111-1111-111111111111"
VERSION = "0123456789abcdef0123456789abcdef"
SPC = f"kv-myvault-{CLIENT}"
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "secretproviderclass-v1.yaml"
OBJECT_CHARS = string.ascii_letters + string.digits + "-"
ALIAS_CHARS = OBJECT_CHARS + "._"


def gen(**kwargs):
    base = {"client_id": CLIENT, "service_accounts": ["demo/web"], "tenant_id": TENANT, "keyvault_name": "myVault",
            "secrets": ["db-password"]}
    base.update(kwargs)
    return secretstore.generate(base.pop("client_id"), base.pop("service_accounts"), **base)


def spcs(result):
    return [i for i in result["items"] if i["kind"] == "SecretProviderClass"]


def objects_of(spc):
    """The objects parameter read back as the provider reads it: `array` of YAML documents."""
    outer = yaml.safe_load(spc["spec"]["parameters"]["objects"])
    assert set(outer) == {"array"} and all(isinstance(doc, str) for doc in outer["array"])
    return [yaml.safe_load(doc) for doc in outer["array"]]


# --- the List -----------------------------------------------------------------------------------

def test_one_service_account_one_secret():
    result = gen()
    assert result["apiVersion"] == "v1" and result["kind"] == "List"
    assert [i["kind"] for i in result["items"]] == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount",
                                                    "SecretProviderClass"]
    spc = result["items"][-1]
    assert spc == {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
        "metadata": {"name": SPC, "namespace": "demo", "labels": {"app.kubernetes.io/managed-by": "azext-identitybinding"}},
        "spec": {"provider": "azure", "parameters": {
            "useAzureTokenProxy": "true", "clientID": CLIENT, "tenantID": TENANT, "keyvaultName": "myVault",
            "objects": 'array:\n  - |\n    objectName: "db-password"\n    objectType: "secret"\n'
                       '    objectVersion: ""\n'}},
    }


def test_the_rbac_is_exactly_generate_rbacs_with_include_sa():
    result = gen(service_accounts=["b/x", "demo/web"], namespaces=["team-a"], role_name="r1")
    expected = rbac.generate(CLIENT, ["demo/web", "b/x"], ["team-a"], name="r1", include_service_accounts=True,
                             tenant_id=TENANT)
    assert result["items"][:len(expected["items"])] == expected["items"]


def test_one_secret_provider_class_per_namespace_of_the_subjects_by_namespace():
    result = gen(service_accounts=["zeta/a", "alpha/b", "alpha/c"], namespaces=["mid"])
    assert [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in spcs(result)] == [
        ("alpha", SPC), ("mid", SPC), ("zeta", SPC)]
    assert len({json.dumps(s["spec"], sort_keys=True) for s in spcs(result)}) == 1


def test_without_a_vault_only_rbac_and_service_accounts():
    result = gen(keyvault_name=None, secrets=())
    assert [i["kind"] for i in result["items"]] == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount"]


def test_objects_versions_and_files_sorted_and_deduplicated():
    result = gen(secrets=["b", f"a/{VERSION}=a.txt", "b"], keys=["signing"], certificates=["tls=tls.pem"])
    assert objects_of(spcs(result)[0]) == [
        {"objectName": "tls", "objectType": "cert", "objectVersion": "", "objectAlias": "tls.pem"},
        {"objectName": "signing", "objectType": "key", "objectVersion": ""},
        {"objectName": "a", "objectType": "secret", "objectVersion": VERSION, "objectAlias": "a.txt"},
        {"objectName": "b", "objectType": "secret", "objectVersion": ""},
    ]


def test_spc_name_and_ids_normalised():
    result = gen(client_id=" " + CLIENT.upper(), tenant_id=TENANT.upper(), spc_name="team-vault")
    spc = spcs(result)[0]
    assert spc["metadata"]["name"] == "team-vault"
    assert spc["spec"]["parameters"]["clientID"] == CLIENT and spc["spec"]["parameters"]["tenantID"] == TENANT


@pytest.mark.parametrize("kwargs, argument, shown", [
    ({"service_accounts": []}, "--service-account", "at least one --service-account"),
    ({"tenant_id": None}, "--tenant-id", "--tenant-id is required"),
    ({"keyvault_name": None}, "--keyvault-name", "--secret needs --keyvault-name"),
    ({"keyvault_name": None, "secrets": (), "spc_name": "x"}, "--keyvault-name", "--spc-name needs --keyvault-name"),
    ({"secrets": ()}, "--keyvault-name", "needs at least one object"),
    ({"secrets": ["a", "b=a"]}, "--secret", "is written to the file 'a' of the mount, and so is secret 'a'"),
    ({"secrets": ["a"], "keys": ["a"]}, "--secret", "file 'a'"),
    ({"spc_name": "Bad_Name"}, "--spc-name", "'Bad_Name'"),
    ({"keyvault_name": ".."}, "--keyvault-name", "'..'"),
    ({"client_id": "nope"}, "--client-id", "'nope'"),
])
def test_bad_input_names_the_flag(kwargs, argument, shown):
    with pytest.raises(rbac.RbacInputError) as info:
        gen(**kwargs)
    assert info.value.argument == argument and shown in str(info.value), str(info.value)


# --- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("db-password", ("db-password", "", "")),
    (f"db-password/{VERSION}", ("db-password", VERSION, "")),
    ("db-password=db.txt", ("db-password", "", "db.txt")),
    (f" A-1/{VERSION.upper()}=.env ", ("A-1", VERSION.upper(), ".env")),
    ("a" * 127, ("a" * 127, "", "")),
])
def test_objects_accepted(value, expected):
    assert secretstore.parse_object(value) == expected


@pytest.mark.parametrize("value, shown", [
    ("", "the name is empty"), ("a" * 128, "128 characters long"), ("a_b", "contains '_'"),
    ("..", "contains '.'"), ("a\nb", "contains '\\n'"), ("é", "contains 'é'"), ("a=b=c", "at most one"),
    ("a/b", "not 32 hexadecimal"), ("a/", "not 32 hexadecimal"), (f"a/{VERSION}0", "not 32 hexadecimal"),
    (f"a/{VERSION}/x", "at most one"), ("a=", "the file name ''"), ("a=..", "the file name '..'"),
    ("a=.", "the file name '.'"), ("a=..data", "starting with '..'"), ("a=x/y", "the file name 'x/y'"),
    ("a=" + "f" * 254, "is not valid"), ("a=x y", "is not valid"), ('a"b', "contains '\"'"), ("a: b", "contains ':'"),
    ("a" * 10_000, "(10000 characters)"),
])
def test_objects_refused(value, shown):
    with pytest.raises(secretstore.SecretStoreInputError) as info:
        secretstore.parse_object(value, "--key")
    assert info.value.argument == "--key" and shown in str(info.value), str(info.value)
    assert len(str(info.value)) < 1000


@pytest.mark.parametrize("value", ["myVault", "abc", "a-b-c", "a" * 24, "V1x"])
def test_vault_names_accepted(value):
    assert secretstore.validate_vault_name(f" {value} ") == value


@pytest.mark.parametrize("value, shown", [
    ("ab", "2 characters"), ("a" * 25, "25 characters"), ("1abc", "starts with a letter"),
    ("abc-", "ends with a letter or digit"), ("a--b", "contains '--'"), ("a_b", "contains '_'"),
    ("..", "contains '.'"), ("my.vault", "contains '.'"), ("a" * 10_000, "(10000 characters)"), (None, "as text"),
])
def test_vault_names_refused(value, shown):
    with pytest.raises(secretstore.SecretStoreInputError) as info:
        secretstore.validate_vault_name(value)
    assert shown in str(info.value), str(info.value)


@pytest.mark.parametrize("value, expected", [
    ("deployment/web", ("Deployment", "web")), ("deploy/web", ("Deployment", "web")),
    ("StatefulSet/db", ("StatefulSet", "db")), ("ds/agent", ("DaemonSet", "agent")),
    ("cj/nightly", ("CronJob", "nightly")), ("rs/x.y", ("ReplicaSet", "x.y")),
])
def test_workloads_accepted(value, expected):
    assert secretstore.parse_workload(value) == expected


@pytest.mark.parametrize("value, shown", [
    ("web", "expected KIND/NAME"), ("a/b/c", "expected KIND/NAME"), ("job/x", "Job or a Pod cannot be changed"),
    ("pod/x", "cannot be changed"), ("service/x", "the kind 'service'"), ("deployment/Web", "uppercase"),
    ("deployment/..", "empty part"), ("deployment/a;b", "contains ';'"), ("deployment/", "empty"),
])
def test_workloads_refused(value, shown):
    with pytest.raises(rbac.RbacInputError) as info:
        secretstore.parse_workload(value)
    assert info.value.argument == "--workload" and shown in str(info.value), str(info.value)


# --- the kubectl patch --------------------------------------------------------------------------

LABELS = '"metadata":{"annotations":{"azure.workload.identity/use-identity-binding":"true"},' \
         '"labels":{"azure.workload.identity/use":"true"}}'


def test_one_patch_sets_label_annotation_and_service_account():
    assert secretstore.workload_patches(["demo/web"], ("Deployment", "web")) == [
        "kubectl -n demo patch deployment web --type merge -p "
        f"'{{\"spec\":{{\"template\":{{{LABELS},\"spec\":{{\"serviceAccountName\":\"web\"}}}}}}}}'"]


def test_cronjob_patch_reaches_the_job_template():
    [patch] = secretstore.workload_patches(["demo/web"], ("CronJob", "nightly"))
    body = json.loads(patch.split(" -p ", 1)[1].strip("'"))
    assert body["spec"]["jobTemplate"]["spec"]["template"]["spec"] == {"serviceAccountName": "web"}
    assert patch.startswith("kubectl -n demo patch cronjob nightly --type merge -p '")


def test_without_workload_one_placeholder_patch_per_service_account():
    patches = secretstore.workload_patches(["z/b", "a/c", "z/b"])
    assert [p.split(" --type")[0] for p in patches] == ["kubectl -n a patch WORKLOAD", "kubectl -n z patch WORKLOAD"]
    assert '"serviceAccountName":"c"' in patches[0] and '"serviceAccountName":"b"' in patches[1]


def test_workload_with_two_service_accounts_is_refused():
    with pytest.raises(secretstore.SecretStoreInputError):
        secretstore.workload_patches(["a/b", "c/d"], ("Deployment", "web"))


def test_checks_fix_and_the_generated_patch_are_the_same_spelling():
    """check's label fix is template_patch with one label: one builder for both."""
    from azext_identitybinding.check.workload import Workload, label_findings
    w = Workload("Deployment", "web", "demo", {}, {"metadata": {"annotations": {
        "azure.workload.identity/use-identity-binding": "true"}}, "spec": {}})
    [(_, _, fix)] = label_findings(w)
    assert fix == template_patch("demo", "Deployment", "web", labels={"azure.workload.identity/use": "true"})


# --- schemas ------------------------------------------------------------------------------------

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
    return strict(data["openAPIV3Schema"]), strict(data["keyVaultObject"])


def assert_valid(result, crd_schemas):
    spc_schema, object_schema = crd_schemas
    for item in result["items"]:
        if item["kind"] == "SecretProviderClass":
            jsonschema.validate(item, spc_schema)
            for entry in objects_of(item):
                jsonschema.validate(entry, object_schema)
            meta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": item["metadata"]}  # ObjectMeta, checked
            if kubernetes_validate is not None:
                kubernetes_validate.validate(meta, K8S_VERSION, strict=True)
        elif kubernetes_validate is not None:
            assert kubernetes_validate.validate(item, K8S_VERSION, strict=True) == K8S_VERSION


def test_schema_fixture_refuses_what_it_should(crd):
    spc = spcs(gen())[0]
    for broken in ({**spc, "spec": {**spc["spec"], "parameter": {}}},
                   {**spc, "spec": {**spc["spec"], "parameters": {"useAzureTokenProxy": True}}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, crd[0])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"objectName": "a", "objectType": "certificate"}, crd[1])


def test_a_full_list_is_valid(crd):
    assert_valid(gen(service_accounts=["a/b", "c/d"], namespaces=["e"], secrets=[f"s/{VERSION}=s.txt"],
                     keys=["k"], certificates=["c"]), crd)


# --- properties ---------------------------------------------------------------------------------

labels = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=20)
object_names = st.one_of(st.text(OBJECT_CHARS, min_size=1, max_size=127),
                         st.sampled_from(["true", "null", "1e3", "0x1F", "-", "no", "on", "123", "-1", "y"]))
versions = st.one_of(st.just(""), st.text("0123456789abcdef", min_size=32, max_size=32))
aliases = st.one_of(st.just(""), st.text(ALIAS_CHARS, min_size=1, max_size=40).filter(
    lambda a: a not in (".", "..") and not a.startswith("..")))


def spelled(name, version, alias):
    return name + (f"/{version}" if version else "") + (f"={alias}" if alias else "")


@st.composite
def requests(draw):
    entries = draw(st.lists(st.tuples(st.sampled_from(["secrets", "keys", "certificates"]), object_names, versions,
                                      aliases), min_size=1, max_size=6, unique_by=lambda e: e[3] or e[1]))
    objects = {"secrets": [], "keys": [], "certificates": []}
    for flag, name, version, alias in entries:
        objects[flag].append(spelled(name, version, alias))
    return {"client_id": CLIENT, "service_accounts": [f"{a}/{b}" for a, b in draw(
        st.lists(st.tuples(labels, labels), min_size=1, max_size=3))],
        "namespaces": draw(st.lists(labels, max_size=2)), "tenant_id": TENANT,
        "keyvault_name": draw(st.text(string.ascii_letters, min_size=3, max_size=24)), **objects}, entries


@FAST
@given(requests(), st.randoms(use_true_random=False))
def test_same_input_in_any_order_gives_the_same_bytes(request, rng):
    req, _ = request
    expected = json.dumps(gen(**req), sort_keys=True)
    shuffled = dict(req)
    for key in ("service_accounts", "namespaces", "secrets", "keys", "certificates"):
        values = list(req[key]) * rng.randint(1, 2)
        rng.shuffle(values)
        shuffled[key] = values
    shuffled["client_id"] = CLIENT.upper()
    assert json.dumps(gen(**shuffled), sort_keys=True) == expected


@FAST
@given(requests())
def test_every_object_reads_back_exactly_as_given(request):
    req, entries = request
    kinds = {"secrets": "secret", "keys": "key", "certificates": "cert"}
    wanted = sorted((kinds[flag], name, version, alias) for flag, name, version, alias in entries)
    for spc in spcs(gen(**req)):
        got = objects_of(spc)
        assert [(o["objectType"], o["objectName"], o["objectVersion"], o.get("objectAlias", "")) for o in got] == wanted
        assert all(isinstance(v, str) for o in got for v in o.values())


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_generated_lists_pass_the_schemas(request):
    data = yaml.safe_load(SCHEMA_FILE.read_text())
    assert_valid(gen(**request[0]), (strict(data["openAPIV3Schema"]), strict(data["keyVaultObject"])))


def is_object(value):
    """Independent oracle of NAME[/VERSION][=FILE], on the stripped value."""
    text = value.strip()
    if text.count("=") > 1 or text.count("/") > 1:
        return False
    head, _, alias = text.partition("=")
    name, _, version = head.partition("/")
    ok_name = 1 <= len(name) <= 127 and all(c in OBJECT_CHARS for c in name)
    ok_version = "/" not in head or (len(version) == 32 and all(c in "0123456789abcdefABCDEF" for c in version))
    ok_alias = "=" not in text or (1 <= len(alias) <= 253 and all(c in ALIAS_CHARS for c in alias)
                                   and not alias.startswith("..") and alias != ".")
    return ok_name and ok_version and ok_alias


@FAST
@given(st.one_of(st.text(max_size=60), st.text(OBJECT_CHARS + "/=.\n:\"' #", max_size=60),
                 st.builds(lambda a, b: a + b, object_names, st.sampled_from(["\n", "\nobjectType: key", "=", ": x",
                                                                              "#", " x", "\"", "\u2028", "\x00"]))))
@example("a\n  - |\n    objectName: other")
def test_object_values_are_accepted_exactly_when_valid(value):
    try:
        parsed = secretstore.parse_object(value)
    except secretstore.SecretStoreInputError as err:
        assert not is_object(value), (value, str(err))
        assert err.argument == "--secret"
    else:
        assert is_object(value), value
        assert "\n" not in "".join(parsed) and '"' not in "".join(parsed)


anything = st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.text(max_size=8), max_size=2),
                     st.binary(max_size=8))


@FAST
@given(anything, anything, anything, anything, anything, anything)
def test_generate_raises_only_its_input_error(accounts, vault, secrets, keys, certificates, spc_name):
    try:
        secretstore.generate(CLIENT, accounts, tenant_id=TENANT, keyvault_name=vault, secrets=secrets, keys=keys,
                             certificates=certificates, spc_name=spc_name)
    except rbac.RbacInputError as err:
        assert err.argument.startswith("--") and str(err)
