"""Property tests of the trust boundary: hostile text never changes the shape of a request, and
hostile files never raise anything but the documented errors, or take long.

- URLs: a value put into an ARM or Kubernetes path either is refused (exactly when
  ids.segment_problem() names a problem) or, after everything the HTTP stack does to the URL
  (azure-core's format_url, urllib3's dot-segment removal, requests' requote), is still exactly one
  path segment that decodes back to the value.
- Resource ids: ids.parse() / ids.parse_identity_id() raise only IdError, and what they accept is
  canonical (re-parses to itself, no '//', no dot segments, every name a safe segment).
- Files: whatever the bytes, read_text / load_json / load_yaml_documents / check_documents /
  workloads / template_findings raise only InputFileError or ManifestError, in well under a second;
  the argparse adapters raise only ArgumentTypeError.

The `test_regression_*` tests at the end hold the minimal inputs of the bugs these properties
found (explicit YAML tags, lone surrogates, null containers, digit-like expirations, white space
around id parts), so that each stays fixed whatever examples hypothesis draws.
"""
import argparse
import contextlib
import itertools
import json
import os
import re
import tempfile
import time
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st

from azure.cli.core.azclierror import CLIInternalError
from azext_identitybinding import _validators, arm, files, ids, kube, manifests, subjects
from azext_identitybinding.arm import refs as arm_refs
from azext_identitybinding.check import workload
from azext_identitybinding.constants import FIC_NAME

# derandomize: the same examples on every run (CI is reproducible); database=None: leave no
# .hypothesis directory in the work tree; deadline=None: the file tests assert their own bound.
_COMMON = dict(deadline=None, database=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])
FAST = settings(max_examples=400, **_COMMON)
FILES = settings(max_examples=200, **_COMMON)

TIME_BOUND = 1.0   # seconds any one hostile input may take
SUB = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
SERVICE_ACCOUNT = "demo/workload"
ARM_HOST = "management.azure.com"
IDENTITY_PREFIX = (f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/"
                   "userAssignedIdentities/")
IDENTITY_ID = IDENTITY_PREFIX + "id1"
FILE_ERRORS = (files.InputFileError, manifests.ManifestError)


# --- strategies -------------------------------------------------------------------------------

TRICKY = [
    "..", ".", "...", "....", "%2e%2e", "%2E%2E", "%2F", "%2f", "..;", ".%2e", "%2e.", " ..", ".. ", "..\t",
    "..\\", "\\..", "/", "//", "\\", "?", "#", "%", "%00", "%25", "a/../b", "../x", "./", "?a=b", "#frag",
    "", " ", "\t", "\n", "\r\n", "\x00", "\x1f", "\x7f", "\x85", "\x9f", "\u00a0", "\u2028", "\u3000",
    "\ufeff", "\u202e", "\u200b..", "..\u200b", "\uff0e\uff0e", "\uff0f", "\u2215", "\u2024\u2024",
    "{}", "{x}", "{0}", "@", ":", ";", "a b", "a+b", "~", "*", "'", '"', "<>", "\u0130", "\u00e9", "\u01c5",
    "rg1", "c1", "id1", "identityBindings", "subscriptions", "a" * 300, "\U0001F600",
]
SEGMENT_CHARS = "./\\?#%;:@{}~ \t\n\x00\x1f\x7f\x85\x9f\u00a0\u2028\u3000\uff0e\uff0faA1\u00e9\U0001F600"

# st.text() excludes lone surrogates; they are a known bug (test_bug_lone_surrogate_*).
hostile_text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(),
    st.text(alphabet=SEGMENT_CHARS, max_size=8),
    st.builds(lambda a, b: a + b, st.sampled_from(TRICKY), st.text(alphabet=SEGMENT_CHARS, max_size=3)),
    st.builds(lambda a, b: a + b, st.text(alphabet=SEGMENT_CHARS, max_size=3), st.sampled_from(TRICKY)),
)
hostile_value = st.one_of(hostile_text, st.none(), st.integers(), st.just(b".."))

_CASED_KEYS = ["subscriptions", "resourceGroups", "providers", "Microsoft.ManagedIdentity",
               "userAssignedIdentities", "federatedIdentityCredentials", "Microsoft.ContainerService",
               "managedClusters", "identityBindings"]


@st.composite
def cased(draw, word):
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(word, flips))


def mostly(valid, odds=6):
    """`valid`, and one time in about `odds` a hostile text instead."""
    return st.integers(0, odds).flatmap(lambda i: hostile_text if i == odds else valid)


id_part = st.one_of(
    st.sampled_from(_CASED_KEYS).flatmap(cased),
    st.just(SUB), st.just("rg"), st.just("id1"),
    hostile_text,
)
id_texts = st.one_of(
    st.text(),
    st.builds(lambda pre, parts, post: pre + "/".join(parts) + post,
              st.sampled_from(["/", "//", " /", "/ ", "\t/", "", "\\"]),
              st.lists(id_part, max_size=10),
              st.sampled_from(["", "/", "//", " ", " /", "/ ", "\n", "?x", "#x"])),
    # the identity-id shape with each slot mostly valid (a name padded with whitespace counts as
    # valid here: the checks strip it), sometimes hostile
    st.builds(lambda sub, rg, ns, kind, name, tail:
              f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{kind}/{name}{tail}",
              mostly(st.one_of(st.just(SUB), st.just(SUB.upper()), st.uuids().map(str))),
              mostly(st.sampled_from(["rg", "my-rg", "rg(1)", "r.g", "\u00e9t\u00e9", "_", "r" * 90, " rg",
                                      "rg\u3000"])),
              mostly(st.just("Microsoft.ManagedIdentity").flatmap(cased)),
              mostly(st.just("userAssignedIdentities").flatmap(cased)),
              mostly(st.sampled_from(["id1", "my-identity", "a_b", "x" * 128, "0-0", " id1", "id1 "])),
              st.sampled_from(["", "/", "//", " ", "/federatedIdentityCredentials/f", "/x"])),
)


# --- what the HTTP stack actually sends -------------------------------------------------------

def _arm_client():
    from azure.core import PipelineClient
    return PipelineClient(base_url="https://" + ARM_HOST)


_ARM = _arm_client()


def _prepared(url):
    from requests.models import PreparedRequest
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)  # urllib3's parse_url (dot segments removed) + requests' requote
    return prepared.url


def arm_sent_segments(path):
    """The path segments of the request as requests puts it on the wire, both the way the brief
    states it (host + path) and the way ArmClient._send builds it (azure-core format_url)."""
    direct = _prepared("https://" + ARM_HOST + path + "?api-version=x")
    via_client = _prepared(_ARM.format_url(path + "?api-version=x"))
    assert direct == via_client
    parts = urlsplit(direct)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("https", ARM_HOST, "api-version=x", "")
    assert parts.path.startswith("/")
    return parts.path.split("/")[1:]


def kube_sent_segments(path):
    """As the kubernetes client sends it: configuration.host + path through urllib3."""
    from urllib3.util import parse_url
    url = parse_url("https://10.0.0.1:443" + path)
    assert (url.host, url.port, url.query, url.fragment) == ("10.0.0.1", 443, None, None)
    assert url.path.startswith("/")
    return url.path.split("/")[1:]


_ENCODED_PATH = re.compile(r"(/([A-Za-z0-9._~-]|%[0-9A-F]{2})+)+")


def assert_refused_exactly_when_unsafe(value, refused):
    problem = ids.segment_problem(value)
    assert refused == (problem is not None), (value, problem)


def assert_url(build, expected, value):
    """`build()` either refuses with CLIInternalError (exactly when some expected segment is unsafe)
    or returns a SafePath whose sent form has exactly the expected segments."""
    try:
        path = build()
    except CLIInternalError as ex:
        assert "Nothing was sent" in str(ex)
        assert any(ids.segment_problem(s) is not None for s in expected), (value, ex)
        assert ids.segment_problem(value) is not None
        return None
    assert all(ids.segment_problem(s) is None for s in expected), (value, path)
    assert isinstance(path, arm.SafePath)
    assert _ENCODED_PATH.fullmatch(path), path
    sent = arm_sent_segments(path)
    assert len(sent) == len(expected), (value, path, sent)
    assert [unquote(s) for s in sent] == expected, (value, path, sent)
    return sent


def _cluster_segments(sub, rg, cluster):
    return ["subscriptions", sub, "resourceGroups", rg, "providers", "Microsoft.ContainerService",
            "managedClusters", cluster]


# --- 1. URLs ------------------------------------------------------------------------------------

@FAST
@given(s=hostile_value, where=st.sampled_from(["name", "group", "cluster"]))
@example(s="..", where="name")
@example(s="%2e%2e", where="name")
@example(s="...", where="name")
@example(s="..", where="group")
@example(s="..", where="cluster")
def test_binding_url_keeps_its_shape(s, where):
    rg, cluster, name = (s if where == "group" else "rg1", s if where == "cluster" else "c1",
                         s if where == "name" else "b1")
    sent = assert_url(lambda: arm.BindingRef(SUB, rg, cluster, name).url(),
                      _cluster_segments(SUB, rg, cluster) + ["identityBindings", name], s)
    if sent is not None:
        index = {"group": 3, "cluster": 7, "name": 9}[where]
        assert len(sent) == 10 and sent[8] == "identityBindings" and unquote(sent[index]) == s


@FAST
@given(s=hostile_value, where=st.sampled_from(["subscription", "group", "cluster"]))
def test_collection_and_cluster_urls_keep_their_shape(s, where):
    sub, rg, cluster = (s if where == "subscription" else SUB, s if where == "group" else "rg1",
                        s if where == "cluster" else "c1")
    ref = arm.BindingRef(sub, rg, cluster)
    assert_url(lambda: ref.url(collection=True), _cluster_segments(sub, rg, cluster) + ["identityBindings"], s)
    assert_url(lambda: arm_refs.cluster_url(ref), _cluster_segments(sub, rg, cluster), s)


@FAST
@given(s=hostile_text)
@example(s="..")
@example(s="abc/")
@example(s="abc/..")
def test_identity_url_keeps_its_shape(s):
    text = IDENTITY_PREFIX + s
    try:
        path = arm_refs.identity_url(text)
    except CLIInternalError as ex:
        assert "Nothing was sent" in str(ex)
        return
    # Refused unless the name is safe; '/' in s is the id's own syntax ('//' and a trailing '/'
    # are normalised), so there the accepted name is the last non-empty part.
    if "/" not in s:  # (trailing whitespace, '\x85' included, goes with the strip of the whole id)
        assert ids.segment_problem(s.rstrip()) is None, s
    name = [p for p in text.strip().split("/") if p][-1]
    if "/" not in s:
        assert name == s.rstrip()  # the whole id is stripped, so s's trailing whitespace goes
    assert isinstance(path, arm.SafePath) and _ENCODED_PATH.fullmatch(path)
    sent = arm_sent_segments(path)
    assert len(sent) == 8 and sent[6] == "userAssignedIdentities", (s, sent)
    assert [unquote(p) for p in sent] == ["subscriptions", SUB, "resourceGroups", "rg", "providers",
                                          "Microsoft.ManagedIdentity", "userAssignedIdentities", name]
    assert ids.segment_problem(name) is None
    ids.identity_name(name)  # accepted only as a valid identity name (IdError would fail the test)
    fic = arm_sent_segments(arm_refs.fic_url(text, FIC_NAME))
    assert len(fic) == 10 and fic[:8] == sent and fic[8:] == ["federatedIdentityCredentials", FIC_NAME]


@FAST
@given(s=hostile_value)
def test_fic_name_url_keeps_its_shape(s):
    sent = assert_url(lambda: arm_refs.fic_url(IDENTITY_ID, s),
                      ["subscriptions", SUB, "resourceGroups", "rg", "providers", "Microsoft.ManagedIdentity",
                       "userAssignedIdentities", "id1", "federatedIdentityCredentials", s], s)
    if sent is not None:
        assert len(sent) == 10 and unquote(sent[9]) == s


@FAST
@given(segments=st.lists(hostile_value, min_size=1, max_size=5))
def test_ids_path_is_refused_or_keeps_every_segment(segments):
    try:
        path = ids.path(*segments)
    except ids.UnsafeSegment:
        assert any(ids.segment_problem(s) is not None for s in segments)
        return
    assert all(ids.segment_problem(s) is None for s in segments)
    assert _ENCODED_PATH.fullmatch(path), path
    for sent in (arm_sent_segments(path), kube_sent_segments(path)):
        assert len(sent) == len(segments), (segments, path, sent)
        assert [unquote(s) for s in sent] == segments


@FAST
@given(s=hostile_value)
def test_segment_refusal_is_the_documented_set(s):
    refused = not isinstance(s, str) or s in ("", ".", "..") or any(
        c in "/\\?#%" or ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in s)
    assert (ids.segment_problem(s) is not None) == refused
    try:
        ids.path(s)
    except ids.UnsafeSegment:
        assert refused
    else:
        assert not refused


@FAST
@given(s=hostile_value, position=st.sampled_from(["namespace", "name"]))
def test_kube_path_is_refused_or_keeps_its_shape(s, position):
    namespace, name = (s, "x") if position == "namespace" else ("demo", s)
    try:
        path = kube._path("api", "v1", "namespaces", namespace, "serviceaccounts", name)
    except kube.KubeError as ex:
        assert "Nothing was sent" in str(ex)
        assert_refused_exactly_when_unsafe(s, True)
        return
    assert_refused_exactly_when_unsafe(s, False)
    sent = kube_sent_segments(path)
    assert len(sent) == 6 and sent[:3] == ["api", "v1", "namespaces"] and sent[4] == "serviceaccounts"
    assert [unquote(p) for p in sent] == ["api", "v1", "namespaces", namespace, "serviceaccounts", name]


# --- 2. resource ids ----------------------------------------------------------------------------

def assert_canonical(rid):
    text = str(rid)
    assert text.startswith("/subscriptions/")
    assert "//" not in text
    assert not any(p in (".", "..") for p in text.split("/")[1:])
    for name in rid.segments():
        assert ids.segment_problem(name) is None, (text, name)
    again = ids.parse(text)
    assert again == rid and str(again) == text


@FAST
@given(text=st.one_of(id_texts, st.none(), st.integers(), st.binary(max_size=20)))
@example(text="/subscriptions/a//resourceGroups/b/")
@example(text="/subscriptions/a/resourceGroups/..")
def test_parse_raises_only_id_error_and_is_canonical(text):
    try:
        rid = ids.parse(text)
    except ids.IdError:
        return
    assert isinstance(text, str)
    assert_canonical(rid)


@FAST
@given(text=st.one_of(id_texts, st.none(), st.integers()))
@example(text=IDENTITY_ID)
@example(text=" " + IDENTITY_ID.upper() + "//")
def test_parse_identity_id_raises_only_id_error(text):
    try:
        rid = ids.parse_identity_id(text)
    except ids.IdError:
        return
    assert_canonical(rid)
    assert rid.type == ids.IDENTITY_TYPE and rid.resource_group is not None and ids.is_guid(rid.subscription)
    sent = arm_sent_segments(arm_refs.identity_url(text))
    assert len(sent) == 8 and [unquote(p) for p in sent] == rid.segments()


@FAST
@given(value=hostile_value, check=st.sampled_from([ids.resource_group_name, ids.cluster_name, ids.binding_name,
                                                  ids.identity_name]))
def test_name_checks_raise_only_id_error(value, check):
    try:
        name = check(value)
    except ids.IdError:
        return
    assert ids.segment_problem(name) is None and name == name.strip()


# --- 3. files: arbitrary bytes and structured documents -----------------------------------------

@contextlib.contextmanager
def temp_file(data):
    fd, path = tempfile.mkstemp(prefix="ib-hostile-")
    try:
        os.write(fd, data)
        os.close(fd)
        yield path
    finally:
        os.unlink(path)


def manifest_pipeline(text):
    """What `check --pod-file` does with a manifest; only FILE_ERRORS may escape."""
    docs = files.load_yaml_documents(text, "f")
    manifests.check_documents(docs, "f")
    for w in workload.workloads(docs, "default"):
        note("template_findings ran")
        for finding in workload.template_findings(w, SERVICE_ACCOUNT, CLIENT_ID):
            status, detail, fix = finding
            assert status in ("fail", "warn") and isinstance(detail, str) and isinstance(fix, str)


def note(label):
    """A hypothesis event (see --hypothesis-show-statistics), also usable outside @given."""
    if currently_in_test_context():
        event(label)


def only_documented(call, allowed):
    """Run call(); an exception outside `allowed` fails the test (with its traceback)."""
    start = time.monotonic()
    try:
        call()
    except allowed as ex:
        note(f"refused: {type(ex).__name__}")  # --hypothesis-show-statistics shows the mix
    else:
        note("accepted")
    elapsed = time.monotonic() - start
    assert elapsed < TIME_BOUND, f"took {elapsed:.2f}s"


YAMLISH = "-:[]{}&*!|>'\"#%@`,?<= \n\t\r\\01ab.~\u00e9\ufeff"
hostile_bytes = st.one_of(
    st.binary(max_size=4096),
    st.text(max_size=1024).map(lambda t: t.encode("utf-8")),
    st.text(alphabet=YAMLISH, max_size=1024).map(lambda t: t.encode("utf-8")),
    st.builds(lambda bom, body: bom + body, st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]),
              st.binary(max_size=256)),
)


@FILES
@given(data=hostile_bytes)
@example(data=b"")
@example(data=b"\xef\xbb\xbf")
@example(data=b"[" * 4096)
@example(data=b"\x80")
def test_file_parsers_on_arbitrary_bytes(data):
    with temp_file(data) as path:
        start = time.monotonic()
        try:
            text = files.read_text(path, "the file", 1 << 20)
        except files.InputFileError:
            return
        assert isinstance(text, str)
        only_documented(lambda: files.load_json(text, "f"), files.InputFileError)
        only_documented(lambda: manifest_pipeline(text), FILE_ERRORS)
        assert time.monotonic() - start < 2 * TIME_BOUND


# Structured documents: JSON-like values placed anywhere in a workload skeleton.
_KEYS = ["kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "template", "containers",
         "initContainers", "env", "value", "command", "args", "items", "serviceAccountName", "serviceAccount",
         "volumes", "projected", "sources", "serviceAccountToken", "path", "audience", "jobTemplate",
         workload.USE_LABEL, workload.USE_BINDING_ANNOTATION, workload.EXPIRATION_ANNOTATION, "AZURE_CLIENT_ID",
         "namespaceSelector", "serviceAccountSelector", "matchLabels", "matchExpressions", "key", "operator",
         "values"]
_LEAVES = ["true", "True", "false", "3600", "86400", "0", "-1", "\u00b2", "\u0663\u0666\u0660\u0660", "List",
           "Deployment", "Pod", "CronJob", "DeploymentList", "In", "NotIn", "Exists", "DoesNotExist", "a=b",
           "k=", "=v", "kubernetes.io/metadata.name=demo", "demo", "workload", "..", "%2e", "", "\x00",
           "/var/run/secrets/azure/tokens/azure-identity-token", CLIENT_ID, "{}", "[]", "null"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
              st.sampled_from(_LEAVES)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(_KEYS), st.text(max_size=8)), children, max_size=4)),
    max_leaves=20,
)


def _template(kind):
    return {
        "metadata": {"name": "workload", "labels": {workload.USE_LABEL: "true"},
                     "annotations": {workload.USE_BINDING_ANNOTATION: "true",
                                     workload.EXPIRATION_ANNOTATION: "3600"}},
        "spec": {"serviceAccountName": "workload",
                 "containers": [{"name": "app", "env": [{"name": "AZURE_CLIENT_ID", "value": CLIENT_ID}],
                                 "command": ["/app"], "args": ["--x"]}],
                 "initContainers": [{"name": "init"}],
                 "volumes": [{"projected": {"sources": [{"serviceAccountToken": {
                     "path": "azure-identity-token", "audience": "api://AKSIdentityBinding"}}]}}]},
    }


def skeleton(kind):
    """A workload of `kind` (its pod template where workload.TEMPLATE_PATHS says), or a List of one."""
    if kind.endswith("List"):
        return {"apiVersion": "v1", "kind": kind, "items": [skeleton("Deployment")]}
    doc = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "workload", "namespace": "demo",
                                                          "labels": {"app": "x"}, "annotations": {"a": "b"}}}
    path = workload.TEMPLATE_PATHS.get(kind, ("spec", "template"))
    if not path:
        doc.update(_template(kind))
        return doc
    holder = doc
    for key in path[:-1]:
        holder = holder.setdefault(key, {})
    holder[path[-1]] = _template(kind)
    return doc


_TEMPLATE_PLACES = [(), ("metadata",), ("metadata", "labels"), ("metadata", "labels", workload.USE_LABEL),
                    ("metadata", "annotations"), ("metadata", "annotations", workload.USE_BINDING_ANNOTATION),
                    ("metadata", "annotations", workload.EXPIRATION_ANNOTATION), ("spec",),
                    ("spec", "serviceAccountName"), ("spec", "serviceAccount"), ("spec", "containers"),
                    ("spec", "containers", 0), ("spec", "containers", 0, "name"), ("spec", "containers", 0, "env"),
                    ("spec", "containers", 0, "env", 0), ("spec", "containers", 0, "env", 0, "value"),
                    ("spec", "containers", 0, "env", 0, "name"), ("spec", "containers", 0, "command"),
                    ("spec", "containers", 0, "args", 0), ("spec", "initContainers"), ("spec", "volumes"),
                    ("spec", "volumes", 0, "projected", "sources", 0, "serviceAccountToken")]
_OBJECT_PLACES = [("kind",), ("metadata",), ("metadata", "name"), ("metadata", "namespace"),
                  ("metadata", "labels"), ("metadata", "annotations"), ("spec",), ("items",), ("items", 0),
                  ("items", 0, "kind"), ("items", 0, "spec", "template")]


def place(doc, path, value):
    """Set doc[path] = value where the containers on the way exist (else leave doc as it is)."""
    if not path:
        return value
    holder = doc
    for key in path[:-1]:
        try:
            holder = holder[key]
        except (KeyError, IndexError, TypeError):
            return doc
    if isinstance(holder, dict) or (isinstance(holder, list) and isinstance(path[-1], int)
                                    and path[-1] < len(holder)):
        holder[path[-1]] = value
    return doc


@st.composite
def workload_documents(draw):
    kind = draw(st.sampled_from(list(workload.TEMPLATE_PATHS) + ["List", "DeploymentList", "ConfigMap", ""]))
    doc = skeleton(kind)
    prefix = workload.TEMPLATE_PATHS.get(kind, ("spec", "template"))
    places = [prefix + p for p in _TEMPLATE_PLACES] + _OBJECT_PLACES
    for _ in range(draw(st.integers(1, 3))):
        doc = place(doc, draw(st.sampled_from(places)), draw(json_values))
    extra = draw(st.lists(st.one_of(json_values, st.sampled_from(["Pod", "Deployment"]).map(skeleton)), max_size=2))
    return [doc] + extra


def _dumps(docs, style):
    if style == "yaml":
        return yaml.safe_dump_all(docs)
    if style == "json":
        return json.dumps(docs[0])
    return "\n".join(json.dumps(d) for d in docs)  # a stream of JSON documents is not YAML; refused or read


@FILES
@given(docs=workload_documents(), style=st.sampled_from(["yaml", "json", "json-lines"]))
def test_structured_manifests_raise_only_documented_errors(docs, style):
    text = _dumps(docs, style)
    only_documented(lambda: manifest_pipeline(text), FILE_ERRORS)
    only_documented(lambda: subjects.check(docs), subjects.SubjectsError)  # a manifest given as subjects
    with temp_file(text.encode("utf-8")) as path:
        only_documented(lambda: _validators.pod_file(path), argparse.ArgumentTypeError)


def _subjects_skeleton():
    return [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=demo"],
                                   "matchExpressions": [{"key": "team", "operator": "In", "values": ["a", "b"]}]},
             "serviceAccountSelector": {"matchLabels": ["app=x"]}}]


_SUBJECT_PLACES = [(), (0,), (0, "namespaceSelector"), (0, "namespaceSelector", "matchLabels"),
                   (0, "namespaceSelector", "matchLabels", 0), (0, "namespaceSelector", "matchExpressions"),
                   (0, "namespaceSelector", "matchExpressions", 0),
                   (0, "namespaceSelector", "matchExpressions", 0, "key"),
                   (0, "namespaceSelector", "matchExpressions", 0, "operator"),
                   (0, "namespaceSelector", "matchExpressions", 0, "values"),
                   (0, "namespaceSelector", "matchExpressions", 0, "values", 0), (0, "serviceAccountSelector"),
                   (0, "serviceAccountSelector", "matchLabels", 0), (0, "extra"), (0, "namespaceSelector", "extra")]


subject_fragments = st.one_of(
    st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "a=b", "kubernetes.io/metadata.name=demo", "team",
                     "example.com/team", "a" * 63, "a" * 64, "-a", "a.b_c-d"]),
    st.lists(st.sampled_from(["a=b", "k=v", "x.io/y=z", "a=", "=b", "a=b=c"]), max_size=3),
    st.builds(lambda key, op, values: {"key": key, "operator": op, "values": values},
              st.sampled_from(["team", "x.io/y", "", "A"]), st.sampled_from(["In", "NotIn", "Exists", "in"]),
              st.lists(st.sampled_from(["a", "b", "", "-"]), max_size=2)),
)


@st.composite
def subject_documents(draw):
    doc = _subjects_skeleton()
    for _ in range(draw(st.integers(0, 2))):
        doc = place(doc, draw(st.sampled_from(_SUBJECT_PLACES)), draw(st.one_of(json_values, subject_fragments)))
    return doc


@FILES
@given(value=st.one_of(subject_documents(), json_values))
def test_allowed_subjects_raise_only_subjects_error(value):
    only_documented(lambda: subjects.check(value), subjects.SubjectsError)
    text = json.dumps(value)
    only_documented(lambda: subjects.check_in(files.load_json(text, "f"), "f"),
                    (files.InputFileError, subjects.SubjectsError))
    with temp_file(text.encode("utf-8")) as path:
        only_documented(lambda: _validators.allowed_subjects_file(path), argparse.ArgumentTypeError)


# --- 4. YAML aliases ----------------------------------------------------------------------------

anchors = st.sampled_from(["a", "b", "c"])
aliases = anchors.map(lambda a: f"*{a}")
# Most texts start with these definitions, so that most aliases resolve (unique_anchors() below
# renumbers every anchor named a, b or c: PyYAML refuses a duplicate anchor).
YAML_DEFS = ("x-defs:\n  - &a {name: app, labels: {k: v}, env: [{name: E, value: v}]}\n"
             "  - &b [*a, *a, *a]\n  - &c {<<: *a, args: [x]}\n")
yaml_keys = st.sampled_from(["k", "kind", "metadata", "spec", "template", "containers", "env", "name", "value",
                             "labels", "'q k'", "1", "~", "true"])
yaml_scalars = st.sampled_from(["x", "1", "~", "true", "'q'", '"d"', "-1.5", "2024-01-01", "!!str s", "!!null ''",
                                "!!binary aGk=", "{}", "[]", "''", "Pod", "Deployment", ".inf", "0x1F", "1_000",
                                "!!set {a, b}", "!!omap [a: 1]", "3600", "'\u00b2'", "!!str 3600"])
# refused by the parser or the constructor, each on its own (one per text keeps the rest readable)
yaml_bad_scalars = st.sampled_from(["!!binary ###", "!!python/name:os.system", "!custom x", "!!map [1]",
                                    "!!seq {a: 1}", "{? [x]: 1}", "*undefined", "&a *a", "!!int 0x",
                                    "!!float 1e", "!!omap {a: 1}", "2024-13-45", "!!timestamp 2024-13-45"])


def _yaml_collections(children):
    collection = st.one_of(
        st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(yaml_keys, children), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.builds(lambda a, v: "{<<: *%s, k: %s}" % (a, v), anchors, children),                 # merge key
        st.lists(anchors, min_size=1, max_size=3).map(lambda xs: "{<<: [" + ", ".join("*" + x for x in xs) + "]}"),
        st.builds(lambda b, n: "[" + ", ".join([f"*{b}"] * n) + "]", anchors, st.integers(1, 12)),  # fan-out
    )
    return st.one_of(collection, st.builds(lambda a, c: f"&{a} {c}", anchors, collection))


yaml_nodes = st.recursive(st.one_of(yaml_scalars, aliases), _yaml_collections, max_leaves=12)

_ANCHOR_TOKEN = re.compile(r"([&*])([abc])\b")


def unique_anchors(text):
    """PyYAML refuses a duplicate anchor, so number the grammar's anchors (a -> a1, a2 ...) and point
    each alias at the latest one already closed: an alias inside its own anchor's collection then
    means the earlier definition, not a recursion (the recursive texts below use other names)."""
    counter, current, pending, out, depth, i = itertools.count(1), {}, [], [], 0, 0
    while i < len(text):
        match = _ANCHOR_TOKEN.match(text, i)
        if match:
            sign, name = match.groups()
            if sign == "&":
                new = f"{name}{next(counter)}"
                if text[match.end():].lstrip(" ")[:1] in ("[", "{"):
                    pending.append((depth, name, new))
                else:
                    current[name] = new
                out.append("&" + new)
            else:
                out.append("*" + current.get(name, name))
            i = match.end()
            continue
        ch = text[i]
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            while pending and pending[-1][0] == depth:
                _, name, new = pending.pop()
                current[name] = new
        out.append(ch)
        i += 1
    return "".join(out)


def _deployment_around(node):
    return (f"{YAML_DEFS}kind: Deployment\nmetadata: {{name: w}}\nspec:\n  template:\n    metadata: {node}\n"
            f"    spec: {{containers: [{{name: app, env: {node}}}]}}\n")


yaml_texts = st.one_of(
    st.one_of(
        st.lists(yaml_nodes, min_size=1, max_size=3).map(
            lambda nodes: YAML_DEFS + "body: " + "\n---\n".join(nodes)),
        st.lists(yaml_nodes, min_size=1, max_size=3).map("\n---\n".join),  # no definitions: aliases may dangle
        yaml_nodes.map(_deployment_around),
        st.builds(lambda a, b: f"base: &a {a}\nmore: &b [*a, *a]\nderived:\n  <<: *a\n  y: {b}\n",
                  yaml_nodes, yaml_nodes),
        st.builds(lambda a, b: f"{YAML_DEFS}kind: Pod\nmetadata: &a {a}\nspec:\n"
                               f"  containers: &b [{{name: c, args: *a}}]\n"
                               f"  initContainers: *b\n  serviceAccountName: {b}\n", yaml_nodes, yaml_nodes),
        st.builds(lambda a, b: f"{YAML_DEFS}kind: Pod\nspec:\n  containers: [*a, *c, {a}]\n  volumes: {b}\n",
                  yaml_nodes, yaml_nodes),
        st.builds(lambda bad, node: f"{YAML_DEFS}kind: Pod\nmetadata: {{name: {bad}}}\nspec: {node}\n",
                  yaml_bad_scalars, yaml_nodes),
    ).map(unique_anchors),
    # Lists of aliased workloads (check_documents and workloads() open every List)
    st.builds(lambda n, node: f"{YAML_DEFS}x-pod: &p {{kind: Pod, spec: {{containers: [*a]}}}}\n"
                              f"x-list: &l {{kind: List, items: [*p, {node}]}}\nkind: List\n"
                              f"items: [" + ", ".join(["*l", "*p"] * n) + "]\n",
              st.integers(1, 20), yaml_nodes).map(unique_anchors),
    # recursion through an anchor that is still open (also where check_documents walks); a duplicate anchor
    st.builds(lambda node: f"kind: List\nitems: &r [{{kind: List, items: *r}}, {node}]\n",
              yaml_nodes.map(unique_anchors)),
    st.builds(lambda node: f"kind: Pod\nmetadata: &r {{name: n, labels: {{k: *r}}}}\nspec: {node}\n",
              yaml_nodes.map(unique_anchors)),
    st.builds(lambda node: f"{YAML_DEFS}x: &r [{node}, *r]\n", yaml_nodes.map(unique_anchors)),
    st.builds(lambda node: f"{YAML_DEFS}x: &r {{k: {node}, self: {{<<: *r}}}}\n", yaml_nodes.map(unique_anchors)),
    st.builds(lambda node: f"x: &r {node}\ny: &r {node}\nz: *r\n", yaml_nodes.map(unique_anchors)),
)


@FAST
@given(text=yaml_texts)
@example(text="&a [*a]")
@example(text="a: &a {b: *a}")
@example(text="a: &a {x: 1}\nb: {<<: *a, <<: *a}")
@example(text="*a")
@example(text="{? [x]: 1}")
@example(text="kind: List\nitems: &r [{kind: List, items: *r}]\n")
@example(text="kind: List\nitems: [&r {kind: List, items: [*r]}]\n")
def test_yaml_aliases_raise_only_documented_errors(text):
    only_documented(lambda: manifest_pipeline(text), FILE_ERRORS)


def _aliased_deployment(containers):
    """A Deployment whose `containers` are that many aliases of one container of 100 env entries
    (about 505 nodes each, once the aliases are expanded)."""
    return ("x-env: &env [" + ", ".join(["{name: E, value: v}"] * 100) + "]\n"
            "x-container: &k {name: app, env: *env, command: [/app], args: [--x]}\n"
            "kind: Deployment\nmetadata: {name: w, namespace: demo}\nspec:\n  template:\n"
            "    spec:\n      containers: [" + ", ".join(["*k"] * containers) + "]\n")


def test_aliases_just_under_the_limit_are_read_quickly():
    """~76,000 nodes through aliases (the limit is 100,000): read, checked and judged in < 1 s;
    ~111,000 are refused."""
    start = time.monotonic()
    manifest_pipeline(_aliased_deployment(150))
    assert time.monotonic() - start < TIME_BOUND
    with pytest.raises(files.InputFileError, match="aliases expand"):
        files.load_yaml_documents(_aliased_deployment(220), "f")


def test_list_bomb_is_refused_quickly():
    """Lists of Lists through aliases: 10**8 workloads for check_documents and workloads() to open."""
    lines = ["l0: &l0 {kind: Pod, spec: {containers: [{name: c}]}}"]
    lines += [f"l{i}: &l{i} {{kind: List, items: [" + ", ".join([f"*l{i - 1}"] * 10) + "]}" for i in range(1, 9)]
    text = "x-defs:\n" + "".join(f"  {line}\n" for line in lines) + "kind: List\nitems: [*l8]\n"
    start = time.monotonic()
    with pytest.raises(files.InputFileError, match="aliases expand"):
        manifest_pipeline(text)
    assert time.monotonic() - start < TIME_BOUND


def billion_laughs(levels=10, fan_out=10):
    lines = ['lol0: &lol0 [' + ", ".join(['"lol"'] * fan_out) + "]"]
    lines += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * fan_out) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly():
    text = billion_laughs()
    assert 700 < len(text.encode()) < 1400  # ~1 KB standing for 10**10 nodes
    start = time.monotonic()
    with pytest.raises(files.InputFileError, match="aliases expand"):
        files.load_yaml_documents(text, "f")
    assert time.monotonic() - start < TIME_BOUND
    with temp_file(text.encode()) as path:
        start = time.monotonic()
        with pytest.raises(argparse.ArgumentTypeError, match="aliases expand"):
            _validators.pod_file(path)
        assert time.monotonic() - start < TIME_BOUND


def test_deep_json_is_refused_quickly():
    start = time.monotonic()
    with pytest.raises(files.InputFileError, match="nests"):
        files.load_json("[" * 200_000, "f")
    with pytest.raises(files.InputFileError, match="nests"):
        files.load_json("[" * 65 + "]" * 65, "f")
    assert files.load_json("[" * 64 + "]" * 64, "f") is not None
    assert time.monotonic() - start < TIME_BOUND


def test_unterminated_escaped_json_string_is_refused_quickly():
    """'"' followed by many '\\"' made the old regex pre-scan of load_json quadratic (a 1 MiB
    allowed-subjects file ran for hours); this size took 11 s with it."""
    text = '"' + '\\"' * 20_000
    start = time.monotonic()
    with pytest.raises(files.InputFileError):
        files.load_json(text, "f")
    assert time.monotonic() - start < TIME_BOUND


# --- 5. argparse adapters -----------------------------------------------------------------------

@FILES
@given(data=hostile_bytes)
@example(data=b"kind: Pod\n")
@example(data=b"[]")
@example(data=b'[{"namespaceSelector": {"matchLabels": ["a=b"]}}]')
def test_argparse_adapters_raise_only_argument_type_error(data):
    with temp_file(data) as path:
        for adapter in (_validators.pod_file, _validators.allowed_subjects_file, _validators.kubeconfig_path):
            only_documented(lambda: adapter(path), argparse.ArgumentTypeError)


# --- once product bugs (found by the properties above, fixed; kept as regression tests) ------------

@pytest.mark.parametrize("build, refusal", [
    (lambda s: ids.path(s), ids.UnsafeSegment),
    (lambda s: arm.BindingRef(SUB, "rg1", "c1", s).url(), CLIInternalError),
    (lambda s: arm.BindingRef(SUB, s, "c1", "b1").url(), CLIInternalError),
    (lambda s: kube._path("api", "v1", "namespaces", s, "serviceaccounts", "x"), kube.KubeError),
], ids=["ids.path", "binding-name", "resource-group", "kube-namespace"])
def test_regression_lone_surrogate_is_refused_like_any_unsafe_segment(build, refusal):
    with pytest.raises(refusal):
        build("\udcff")


class _FleetClient:
    """list_clusters answers what a (hostile or garbled) ARM response could hold; list_bindings builds
    the URL as ArmClient.list_bindings does."""

    def __init__(self, name):
        self.name = name
        self.progress = None

    def list_clusters(self, subscription_id, resource_group=None):
        return [{"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/"
                       f"managedClusters/{self.name}", "name": self.name}]

    def list_bindings(self, ref, pacer=None, preview=False):  # ArmClient.list_bindings' signature
        ref.url(collection=True)
        return []


def _fleet_scan(client):
    """Discover the clusters of one subscription, then scan them (the fleet's two steps)."""
    from azext_identitybinding import fleet
    refs, _, _ = fleet.discover(client, [SUB])
    return fleet.scan(client, refs, IDENTITY_ID)


def test_fleet_scan_reports_a_cluster_with_an_unsafe_name_as_unreadable():
    result = _fleet_scan(_FleetClient(".."))
    assert [u["cluster"] for u in result.unreadable] == [".."]


def test_regression_fleet_scan_survives_a_surrogate_cluster_name():
    result = _fleet_scan(_FleetClient(json.loads('"c\\udcff"')))
    assert len(result.unreadable) == 1


BAD_TAGS = ["!!bool x", "!!int", "!!float", "!!timestamp x", "kind: Pod\nmetadata: {name: !!bool maybe}\n"]


@pytest.mark.parametrize("text", BAD_TAGS)
def test_regression_yaml_explicit_tags_raise_input_file_error(text):
    only_documented(lambda: manifest_pipeline(text), FILE_ERRORS)


@pytest.mark.parametrize("adapter", [_validators.pod_file, _validators.kubeconfig_path],
                         ids=["pod_file", "kubeconfig_path"])
def test_regression_yaml_explicit_tag_through_argparse_adapters(adapter):
    with temp_file(b"!!bool x\n") as path:
        only_documented(lambda: adapter(path), argparse.ArgumentTypeError)


@pytest.mark.parametrize("field", ["containers", "initContainers"])
def test_regression_null_container_is_refused_or_ignored(field):
    text = json.dumps({"kind": "Pod", "spec": {field: [None]}})
    only_documented(lambda: manifest_pipeline(text), FILE_ERRORS)


@pytest.mark.parametrize("value", ["\u00b2", "1" * 5000], ids=["superscript-two", "5000-digits"])
def test_regression_expiration_annotation_digit_like_values(value):
    text = json.dumps({"kind": "Pod", "metadata": {"annotations": {workload.EXPIRATION_ANNOTATION: value}}})
    only_documented(lambda: manifest_pipeline(text), FILE_ERRORS)


@pytest.mark.parametrize("text", [
    "/subscriptions/a /",
    IDENTITY_PREFIX + "id1 /",
    IDENTITY_PREFIX.replace("/rg/", "/rg /") + "id1",
    IDENTITY_PREFIX + "\u3000id1",
], ids=["parse-trailing", "identity-trailing", "group-trailing", "identity-leading"])
def test_regression_parse_keeps_whitespace_it_validated_away(text):
    parse = ids.parse if text.startswith("/subscriptions/a ") else ids.parse_identity_id
    try:
        rid = parse(text)
    except ids.IdError:
        return
    assert ids.parse(str(rid)) == rid
    assert all(name == name.strip() for name in rid.segments()), rid.segments()


# --- `check --target-resource`: the target id, its role assignments, role definition ids -----------

TARGET_PREFIX = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/"
PRINCIPAL = "7c1e5a9d-2b4f-4c8e-a6d3-9f0b1e2c3d4a"


@FAST
@given(text=st.one_of(id_texts, st.none(), st.integers(), st.builds(lambda s: TARGET_PREFIX + s, hostile_text)))
@example(text=TARGET_PREFIX + "kv1/..")
@example(text=TARGET_PREFIX + "kv1/secrets/s1")
def test_parse_target_id_raises_only_id_error_and_every_url_keeps_its_shape(text):
    try:
        rid = ids.parse_target_id(text)
    except ids.IdError:
        return
    assert_canonical(rid)
    assert ids.is_guid(rid.subscription)
    sent = arm_sent_segments(arm_refs.resource_url(text))
    assert [unquote(p) for p in sent] == rid.segments()
    # the role assignments below it: the same segments, then the fixed ones, and only $filter + api-version
    url = _prepared(_ARM.format_url(arm_refs.role_assignments_url(text, PRINCIPAL) + "&api-version=x"))
    parts = urlsplit(url)
    assert parts.netloc == ARM_HOST and parts.fragment == ""
    assert [unquote(p) for p in parts.path.split("/")[1:]] == rid.segments() + [
        "providers", "Microsoft.Authorization", "roleAssignments"]
    assert unquote(parts.query) == f"$filter=principalId eq '{PRINCIPAL}'&api-version=x"


@FAST
@given(principal=hostile_value)
def test_role_assignments_filter_takes_only_a_guid(principal):
    try:
        arm_refs.role_assignments_url(TARGET_PREFIX + "kv1", principal)
    except CLIInternalError as ex:
        assert "Nothing was sent" in str(ex)
        assert not ids.is_guid(principal)
        return
    assert ids.is_guid(principal)


@FAST
@given(text=st.one_of(id_texts, st.none(), st.integers(),
                      st.builds(lambda s: "/providers/Microsoft.Authorization/roleDefinitions/" + s, hostile_text)))
@example(text="/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")
@example(text="/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6/..")
def test_role_definition_ids_from_the_service_raise_only_id_error_or_stay_role_definitions(text):
    try:
        parts = ids.role_definition_path(text)
    except ids.IdError:
        return
    sent = [unquote(p) for p in arm_sent_segments(arm_refs.role_definition_url(text))]
    assert sent == parts and [p.lower() for p in sent[-4:-1]] == ["providers", "microsoft.authorization",
                                                                  "roledefinitions"]
    assert ids.is_guid(sent[-1])
