"""`az aks identity-binding generate-rbac` through az: offline, and with the identity read from ARM."""
import json

import pytest
import yaml

from playback import CLUSTER, IDENTITY_ID, RG, TENANT, run

CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"   # as recorded for identity1
OBJECT_ID = "7c1e5a9d-2b4f-4c8e-a6d3-9f0b1e2c3d4a"
FROM_BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", "identitybinding1"]


def gen(cassette, *args):
    return run(cassette, "aks", "identity-binding", "generate-rbac", *args)


def items_by_kind(result_list):
    assert result_list["apiVersion"] == "v1" and result_list["kind"] == "List"
    kinds = {}
    for item in result_list["items"]:
        kinds.setdefault(item["kind"], []).append(item)
    return kinds


def test_offline_with_client_id_sends_nothing_and_prints_valid_yaml():
    r = gen("no_requests", "--client-id", CLIENT_ID.upper(), "--service-account", "demo/demo", "-o", "yaml")
    assert r.exit_code == 0, r
    assert r.requests == []
    kinds = items_by_kind(yaml.safe_load(r.out))
    assert kinds["ClusterRole"][0]["rules"] == [
        {"apiGroups": ["cid.wi.aks.azure.com"], "resources": [CLIENT_ID], "verbs": ["use-managed-identity"]}]
    assert kinds["ClusterRoleBinding"][0]["subjects"] == [{"kind": "ServiceAccount", "name": "demo",
                                                           "namespace": "demo"}]
    assert kinds["ClusterRole"][0]["metadata"]["name"] == f"use-mi-{CLIENT_ID}"


def test_output_is_byte_stable_whatever_the_argument_order():
    a = gen("no_requests", "--client-id", CLIENT_ID, "--service-account", "b/x", "a/y", "--namespace", "c", "-o", "json")
    b = gen("no_requests", "--client-id", CLIENT_ID.upper(), "--namespace", "c", "--service-account", "a/y",
            "--service-account", "b/x", "a/y", "-o", "json")
    assert a.exit_code == b.exit_code == 0, (a, b)
    assert a.out == b.out


def test_namespace_subject_warns_that_it_is_broader():
    r = gen("no_requests", "--client-id", CLIENT_ID, "--namespace", "team-a")
    assert r.exit_code == 0, r
    assert "every service account in namespace 'team-a'" in r.err
    subjects = items_by_kind(r.json())["ClusterRoleBinding"][0]["subjects"]
    assert subjects == [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                         "name": "system:serviceaccounts:team-a"}]


def test_identity_read_from_a_binding_with_annotated_service_accounts():
    r = gen("rbac_from_binding", *FROM_BINDING, "--service-account", "demo/app", "--include-service-accounts")
    assert r.exit_code == 0, r
    assert r.methods() == ["GET"] and "/identityBindings/identitybinding1" in r.requests[0][1]
    kinds = items_by_kind(r.json())
    assert kinds["ClusterRole"][0]["rules"][0]["resources"] == [CLIENT_ID]
    annotations = kinds["ServiceAccount"][0]["metadata"]["annotations"]
    assert annotations == {"azure.workload.identity/client-id": CLIENT_ID, "azure.workload.identity/tenant-id": TENANT}


def test_include_sa_and_its_long_spelling_are_the_same_option():
    # --include-service-accounts shipped in 0.1.0; --include-sa is the short primary spelling.
    offline = ["--client-id", CLIENT_ID, "--tenant-id", TENANT, "--service-account", "demo/app", "-o", "json"]
    short = gen("no_requests", *offline, "--include-sa")
    long = gen("no_requests", *offline, "--include-service-accounts")
    assert short.exit_code == long.exit_code == 0, (short, long)
    assert short.out == long.out
    assert [a["metadata"]["name"] for a in items_by_kind(short.json())["ServiceAccount"]] == ["app"]


def test_identity_read_by_resource_id():
    r = gen("rbac_from_identity", "--managed-identity-resource-id", IDENTITY_ID, "--service-account", "demo/app")
    assert r.exit_code == 0, r
    assert r.requests[0][1].endswith(f"{IDENTITY_ID}?api-version=2024-11-30")
    assert items_by_kind(r.json())["ClusterRole"][0]["rules"][0]["resources"] == [CLIENT_ID]


def test_object_id_given_as_client_id_is_caught_when_azure_can_tell():
    r = gen("rbac_from_identity", "--managed-identity-resource-id", IDENTITY_ID, "--client-id", OBJECT_ID,
            "--service-account", "demo/app")
    assert r.exit_code == 1, r
    assert "object (principal) id" in r.err and CLIENT_ID in r.err
    assert r.out == ""


def test_binding_not_found_is_exit_3():
    r = gen("show_binding_not_found", *FROM_BINDING, "--service-account", "demo/app")
    assert r.exit_code == 3, r
    assert "Identity binding 'identitybinding1' was not found" in r.err


def test_identity_not_found_is_exit_3():
    r = gen("rbac_identity_not_found", "--managed-identity-resource-id", IDENTITY_ID, "--service-account", "demo/app")
    assert r.exit_code == 3, r
    assert "Managed identity" in r.err and "was not found" in r.err
    assert "Traceback" not in r.err


@pytest.mark.parametrize("args, message", [
    (["--client-id", "not-a-guid", "--service-account", "demo/demo"], "'not-a-guid'"),
    (["--client-id", CLIENT_ID, "--service-account", "demo"], "expected NAMESPACE/NAME"),
    (["--client-id", CLIENT_ID, "--service-account", "Demo/x"], "'Demo'"),
    (["--client-id", CLIENT_ID, "--namespace", "a" * 64], "63"),
    (["--client-id", CLIENT_ID, "--service-account", "demo/" + "a" * 254], "253"),
    (["--client-id", CLIENT_ID], "at least one subject"),
    (["--service-account", "demo/demo"], "give the identity"),
    (["--client-id", CLIENT_ID, "--service-account", "demo/demo", "--role-name", "Bad_Name"],
     "argument --role-name: 'Bad_Name': not a valid Kubernetes object name"),
    (["--client-id", CLIENT_ID, "--service-account", "demo/demo", "--name", ".."], "argument --name/-n"),
    # the old meaning of --name (the objects' name) is pointed to --role-name
    (["--client-id", CLIENT_ID, "--service-account", "demo/demo", "--name", "myrole"],
     "To name the generated ClusterRole and ClusterRoleBinding, use --role-name"),
    (["--managed-identity-resource-id", IDENTITY_ID, "--service-account", "demo/demo", "--name", "myrole"],
     "use --role-name; -n/--name names the identity binding"),
    (["--client-id", CLIENT_ID, "--service-account", "demo/demo", "--binding-name", "bad/name"],
     "argument --name/-n"),
    (["--managed-identity-resource-id", IDENTITY_ID, *FROM_BINDING, "--service-account", "demo/demo"],
     "exactly one identity source"),
    (["--cluster-name", CLUSTER, "--service-account", "demo/demo"], "needs all of -g, --cluster-name and -n"),
    (["--client-id", CLIENT_ID, "--service-account", "demo/demo", "--include-service-accounts"], "--tenant-id"),
    (["--client-id", CLIENT_ID, "--namespace", "demo", "--include-service-accounts"], "none were given"),
])
def test_bad_arguments_exit_2_before_any_request(args, message):
    r = gen("no_requests", *args)
    assert r.exit_code == 2, r
    assert message in r.err, r
    assert r.requests == []
    assert "Traceback" not in r.err


def test_json_output_round_trips():
    r = gen("no_requests", "--client-id", CLIENT_ID, "--service-account", "demo/demo", "-o", "json")
    y = gen("no_requests", "--client-id", CLIENT_ID, "--service-account", "demo/demo", "-o", "yaml")
    assert json.loads(r.out) == yaml.safe_load(y.out)


# -- -n/--name is the binding, --role-name the objects, --binding-name deprecated ------------------

def object_names(result_list):
    kinds = items_by_kind(result_list)
    return {kinds["ClusterRole"][0]["metadata"]["name"], kinds["ClusterRoleBinding"][0]["metadata"]["name"],
            kinds["ClusterRoleBinding"][0]["roleRef"]["name"]}


BINDING_URL_END = "/identityBindings/identitybinding1?api-version=2026-06-01"


@pytest.mark.parametrize("flag", ["--name", "-n"])
def test_name_names_the_binding_to_read_the_identity_from(flag):
    r = gen("rbac_from_binding", "-g", RG, "--cluster-name", CLUSTER, flag, "identitybinding1",
            "--service-account", "demo/app")
    assert r.exit_code == 0, r
    assert [(m, u.endswith(BINDING_URL_END)) for m, u, _ in r.requests] == [("GET", True)]
    assert r.all_played
    assert object_names(r.json()) == {f"use-mi-{CLIENT_ID}"}  # the default object name
    assert "deprecated" not in r.err


def test_role_name_names_the_cluster_role_and_its_binding():
    r = gen("rbac_from_binding", *FROM_BINDING, "--service-account", "demo/app", "--role-name", "team-a-storage")
    assert r.exit_code == 0, r
    assert object_names(r.json()) == {"team-a-storage"}
    assert r.requests[0][1].endswith(BINDING_URL_END)  # -n still named the binding


def test_role_name_offline():
    r = gen("no_requests", "--client-id", CLIENT_ID, "--service-account", "demo/app", "--role-name", "use-storage")
    assert r.exit_code == 0, r
    assert r.requests == []
    assert object_names(r.json()) == {"use-storage"}


def test_binding_name_still_works_and_warns_that_it_is_deprecated():
    r = gen("rbac_from_binding", "-g", RG, "--cluster-name", CLUSTER, "--binding-name", "identitybinding1",
            "--service-account", "demo/app")
    assert r.exit_code == 0, r
    assert r.requests[0][1].endswith(BINDING_URL_END)
    assert r.all_played
    assert ("WARNING: Option '--binding-name' has been deprecated and will be removed in a future release. "
            "Use '--name' instead.") in r.err
    assert items_by_kind(r.json())["ClusterRole"][0]["rules"][0]["resources"] == [CLIENT_ID]


def test_help_names_the_binding_with_name_and_hides_binding_name(capsys):
    r = gen("no_requests", "-h")
    assert r.exit_code == 0, r
    text = " ".join(capsys.readouterr().out.split())
    assert "--name -n : Name of the identity binding to read the identity from" in text
    assert "--role-name : Name of the generated ClusterRole and ClusterRoleBinding" in text
    assert "--binding-name" not in text
    assert "-o yaml or -o json is what `kubectl apply -f -` takes" in text
    assert "<" not in text


# -- -o table / -o tsv ------------------------------------------------------------------------------

MULTI = ["--client-id", CLIENT_ID, "--tenant-id", TENANT, "--service-account", "demo/workload", "b/x",
         "--namespace", "team-a", "--include-service-accounts"]
ROLE = f"use-mi-{CLIENT_ID}"


def test_table_has_one_row_per_object_with_what_it_grants():
    r = gen("no_requests", *MULTI, "-o", "table")
    assert r.exit_code == 0, r
    header, rule, *rows = r.out.splitlines()
    assert header.split() == ["Kind", "Name", "Namespace", "Grants"]
    assert set(rule) == {"-", " "}
    starts = [header.index(column) for column in ("Name", "Namespace", "Grants")]

    def cells(row):
        return [row[:starts[0]].strip(), row[starts[0]:starts[1]].strip(), row[starts[1]:starts[2]].strip(),
                row[starts[2]:].strip()]
    assert [cells(row) for row in rows] == [
        ["ClusterRole", ROLE, "", f"use-managed-identity on cid.wi.aks.azure.com/{CLIENT_ID}"],
        ["ClusterRoleBinding", ROLE, "",
         f"ClusterRole {ROLE} to ServiceAccount b/x, ServiceAccount demo/workload, Group system:serviceaccounts:team-a"],
        ["ServiceAccount", "x", "b", f"client-id {CLIENT_ID}, tenant-id {TENANT}"],
        ["ServiceAccount", "workload", "demo", f"client-id {CLIENT_ID}, tenant-id {TENANT}"],
    ]


def test_table_from_a_binding_with_a_role_name():
    r = gen("rbac_from_binding", *FROM_BINDING, "--service-account", "demo/app", "--role-name", "team-a-storage",
            "-o", "table")
    assert r.exit_code == 0, r
    rows = [row.split(None, 2) for row in r.out.splitlines()[2:]]
    assert rows == [["ClusterRole", "team-a-storage", f"use-managed-identity on cid.wi.aks.azure.com/{CLIENT_ID}"],
                    ["ClusterRoleBinding", "team-a-storage", "ClusterRole team-a-storage to ServiceAccount demo/app"]]


def test_tsv_is_az_standard_flattening_and_rows_come_from_query():
    """az's tsv ignores table transformers and prints only top-level scalars (a list prints as its length):
    the List's apiVersion, item count and kind. One line per object takes --query."""
    r = gen("no_requests", *MULTI, "-o", "tsv")
    assert r.exit_code == 0, r
    assert r.out == "v1\t4\tList\n"
    q = gen("no_requests", *MULTI, "--query", "items[].[kind, metadata.name, metadata.namespace]", "-o", "tsv")
    assert q.exit_code == 0, q
    assert q.out.splitlines() == [f"ClusterRole\t{ROLE}\tNone", f"ClusterRoleBinding\t{ROLE}\tNone",
                                  "ServiceAccount\tx\tb", "ServiceAccount\tworkload\tdemo"]


def test_yaml_and_json_are_unchanged_by_the_table_transformer():
    y = gen("no_requests", *MULTI, "-o", "yaml")
    j = gen("no_requests", *MULTI, "-o", "json")
    assert yaml.safe_load(y.out) == json.loads(j.out)
    assert [i["kind"] for i in json.loads(j.out)["items"]] == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount",
                                                               "ServiceAccount"]


def test_table_transformer_tolerates_odd_shapes():
    from azext_identitybinding._format import rbac_table
    assert rbac_table(None) == [] and rbac_table({}) == [] and rbac_table([]) == []
    rows = rbac_table({"items": [{"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "y"}}, "junk",
                                 {"kind": "ClusterRoleBinding", "roleRef": {"kind": "ClusterRole", "name": "r"},
                                  "subjects": [{"kind": "User", "name": "alice"}]}]})
    assert [list(r.values()) for r in rows] == [["ConfigMap", "x", "y", ""],
                                                ["ClusterRoleBinding", "", "", "ClusterRole r to User alice"]]
