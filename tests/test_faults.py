"""Fault injection: the installed extension, run as a real `az` process, against the ARM stand-in.

Each case injects one fault into one command and checks that the fault is either survived
(retried, exit 0, correct output) or reported (non-zero exit, the service's message, nothing on
stdout), that no command leaves a half-done state unreported (an accepted PUT/DELETE that could
not be followed must say so and how to check), that no stack trace is printed, and exactly which
requests reached the stand-in and in which state the binding is afterwards.

How it runs (see tests/standin/): the wheel is built and added with `az extension add` into a
temporary extension dir (pip may fetch the wheel's dependencies from the package index: the
only step that may leave the machine); az is logged in to a test-only cloud whose ARM and token
endpoints are the stand-in (https://127.0.0.1:<port>, trusted through REQUESTS_CA_BUNDLE). Every
case has its own cluster and identity (`caseNN`), its faults are scoped to their paths, and its
az process tags its requests with AZURE_HTTP_USER_AGENT, so the cases run two at a time (the
file takes ~40 s on 2 cores) and still see only their own requests. LROs answer
`Retry-After: 0` (one InProgress poll, then the end); faults use Retry-After 1 s.

A case that fails because of a bug in the extension stays here as `xfail(strict=True)` naming the
bug: fixing the bug turns it into an unexpected pass, which fails the run until the mark goes.
"""
import concurrent.futures
import json
import re

import pytest

from standin import SUBSCRIPTION, StandIn
from standin.azcli import AZ, AzState, build_wheel

pytestmark = pytest.mark.subprocess

RG = "rg1"
IDENTITY_RG = "identity-rg"
BINDING = "ib1"
CONCURRENCY = 2
AZ_TIMEOUT = 60


def identity_id(name):
    return (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{IDENTITY_RG}/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}")


class Case:
    """One command under one fault.

    `args` may use {cluster}, {identity_id}; `faults` are Fault keyword dicts (their `path` is set
    to this case's cluster/identity); `world` is None, "binding" (ib1 exists, Succeeded) or
    "bindings" (5 bindings, listed in pages of 2); `requests` the exact (method, route, status)
    sequence expected; `state` the provisioningState of ib1 afterwards (None: absent); `stderr`
    phrases that must appear (whitespace-normalised); `absent` phrases that must not.
    """

    def __init__(self, id, command, args, faults=(), world=None, rc=0, stderr=(), absent=(), requests=(),
                 state="unchecked", min_seconds=0.0, output=None, cluster_settings=None, xfail=None):
        self.id, self.command, self.args, self.faults, self.world = id, command, args, faults, world
        self.rc, self.stderr, self.absent, self.requests, self.state = rc, stderr, absent, list(requests), state
        self.min_seconds, self.output, self.cluster_settings, self.xfail = min_seconds, output, cluster_settings, xfail
        self.name = None  # caseNN: its cluster and identity

    def argv(self):
        values = {"cluster": self.name, "identity_id": identity_id(self.name), "rg": RG, "binding": BINDING}
        return ["aks", "identity-binding", self.command, *[a.format(**values) for a in self.args]]

    def scope(self):
        return rf"/(managedClusters|userAssignedIdentities)/{self.name}(/|$)"

    def show_hint(self):
        return f"az aks identity-binding show -g {RG} --cluster-name {self.name} -n {BINDING}"


ON_BINDING = ("-g", "{rg}", "--cluster-name", "{cluster}", "-n", "{binding}")
CREATE = (*ON_BINDING, "--managed-identity-resource-id", "{identity_id}")
DELETE = (*ON_BINDING, "--yes")
LIST = ("-g", "{rg}", "--cluster-name", "{cluster}")
RBAC_FROM_IDENTITY = ("--managed-identity-resource-id", "{identity_id}", "--service-account", "demo/workload")
RBAC_FROM_BINDING = (*ON_BINDING, "--service-account", "demo/workload")

GET_B, PUT_B, DEL_B = ("GET", "binding"), ("PUT", "binding"), ("DELETE", "binding")
OP, RESULT, PAGE, IDENT = ("GET", "operation"), ("GET", "operationresult"), ("GET", "bindings"), ("GET", "identity")


def r(pair, status):
    return (*pair, status)


def T429(**kw):
    return dict(kind="status", status=429, retry_after=1, **kw)


def T503(**kw):
    return dict(kind="status", status=503, retry_after=1, **kw)


CREATED = [r(GET_B, 404), r(PUT_B, 201), r(OP, 200), r(OP, 200), r(GET_B, 200)]   # the happy create
DELETED = [r(DEL_B, 202), r(RESULT, 202), r(RESULT, 204)]                         # the happy delete
READ_B = r(GET_B, 200)  # delete reads the binding first (managedBy, preview api-version)
SERVICE_UNAVAILABLE = "(ServiceUnavailable) The service is temporarily unavailable. Please retry later."

CASES = [
    # -- show --------------------------------------------------------------------------------
    Case("show-429-retry-after", "show", ON_BINDING, [T429(route="binding")], world="binding",
         requests=[r(GET_B, 429), r(GET_B, 200)], state="Succeeded", min_seconds=1.0, output="binding"),
    Case("show-503-once", "show", ON_BINDING, [T503(route="binding")], world="binding",
         requests=[r(GET_B, 503), r(GET_B, 200)], min_seconds=1.0, output="binding"),
    Case("show-500-persistent", "show", ON_BINDING, [dict(kind="status", route="binding", status=500, times=None)],
         world="binding", rc=1,
         stderr=["Azure returned HTTP 500", "(InternalServerError) An unexpected error occurred while processing"],
         requests=[r(GET_B, 500)] * 4),
    Case("show-reset-once", "show", ON_BINDING, [dict(kind="reset", route="binding")], world="binding",
         requests=[r(GET_B, "reset"), r(GET_B, 200)], output="binding"),
    Case("show-slow-response", "show", ON_BINDING, [dict(kind="delay", route="binding", seconds=1.5)],
         world="binding", requests=[r(GET_B, 200)], min_seconds=1.5, output="binding"),
    Case("show-401-token-rejected", "show", ON_BINDING,
         [dict(kind="status", route="binding", status=401, code="InvalidAuthenticationToken",
               message="The access token is invalid.")], world="binding", rc=1,
         stderr=["(InvalidAuthenticationToken) The access token is invalid.", "az login"], requests=[r(GET_B, 401)]),
    Case("show-200-not-json", "show", ON_BINDING,
         [dict(kind="body", route="binding", status=200, body="<html>proxy sign-in page</html>")],
         world="binding", rc=1, stderr=["proxy sign-in page"], requests=[r(GET_B, 200)]),
    # -- list (5 bindings, pages of 2) -------------------------------------------------------
    Case("list-429-on-page-2", "list", LIST, [T429(route="bindings", after=1)], world="bindings",
         requests=[r(PAGE, 200), r(PAGE, 429), r(PAGE, 200), r(PAGE, 200)], min_seconds=1.0, output="list5"),
    Case("list-503-persistent-on-page-2", "list", LIST, [T503(route="bindings", after=1, times=None)],
         world="bindings", rc=1, stderr=["Azure returned HTTP 503", SERVICE_UNAVAILABLE],
         requests=[r(PAGE, 200)] + [r(PAGE, 503)] * 4),
    Case("list-reset-on-page-1", "list", LIST, [dict(kind="reset", route="bindings")], world="bindings",
         requests=[r(PAGE, "reset"), r(PAGE, 200), r(PAGE, 200), r(PAGE, 200)], output="list5"),
    # -- create ------------------------------------------------------------------------------
    Case("create-429-on-existence-check", "create", CREATE, [T429(route="binding", method="GET")],
         requests=[r(GET_B, 429)] + CREATED, state="Succeeded", min_seconds=1.0, output="binding"),
    Case("create-429-on-put", "create", CREATE, [T429(route="binding", method="PUT")],
         requests=[r(GET_B, 404), r(PUT_B, 429)] + CREATED[1:], state="Succeeded", min_seconds=1.0,
         output="binding"),
    Case("create-reset-before-put-arrives", "create", CREATE, [dict(kind="reset", route="binding", method="PUT")],
         requests=[r(GET_B, 404), r(PUT_B, "reset")] + CREATED[1:], state="Succeeded", output="binding"),
    Case("create-reset-after-put-accepted-once", "create", CREATE,
         [dict(kind="reset_after", route="binding", method="PUT")], rc=1,
         stderr=["(OperationNotAllowed)", "is in provisioning state 'Creating'"],
         requests=[r(GET_B, 404), r(PUT_B, "reset after 201"), r(PUT_B, 409)], state="Creating"),
    Case("create-500-on-status-poll-once", "create", CREATE,
         [dict(kind="status", route="operation", status=500)],
         requests=[r(GET_B, 404), r(PUT_B, 201), r(OP, 500), r(OP, 200), r(OP, 200), r(GET_B, 200)],
         state="Succeeded", output="binding"),
    Case("create-503-persistent-on-status-poll", "create", CREATE, [T503(route="operation", times=None)], rc=1,
         stderr=["was accepted", SERVICE_UNAVAILABLE, "{show}"],
         requests=[r(GET_B, 404), r(PUT_B, 201)] + [r(OP, 503)] * 4, state="Creating"),
    Case("create-lro-ends-failed", "create", CREATE,
         [dict(kind="lro_fail", route="binding", method="PUT", code="TooManyFederatedIdentityCredentials",
               message="The identity already has 20 federated identity credentials.")], rc=1,
         stderr=["ended Failed", "(TooManyFederatedIdentityCredentials) The identity already has 20", "{show}"],
         requests=CREATED[:4], state="Failed"),
    Case("create-lro-canceled-location-polling", "create", CREATE,
         [dict(kind="lro_fail", route="binding", method="PUT", status="Canceled", code="OperationCanceled",
               message="The operation was canceled by a newer operation on the cluster.")], rc=1,
         cluster_settings={"put_lro_headers": "location"},
         stderr=["(OperationCanceled) The operation was canceled by a newer operation", "{show}"],
         requests=[r(GET_B, 404), r(PUT_B, 201), r(RESULT, 202), r(RESULT, 400)], state="Canceled"),
    Case("create-slow-status-poll", "create", CREATE, [dict(kind="delay", route="operation", seconds=1.0)],
         requests=CREATED, state="Succeeded", min_seconds=1.0, output="binding"),
    Case("create-403-on-put", "create", CREATE,
         [dict(kind="status", route="binding", method="PUT", status=403, code="AuthorizationFailed",
               message="The client 'admin@example.com' does not have authorization to perform action "
                       "'Microsoft.ContainerService/managedClusters/identityBindings/write'.")], rc=1,
         stderr=["Permission denied", "federatedIdentityCredentials/write",
                 "(AuthorizationFailed) The client 'admin@example.com' does not have authorization"],
         requests=[r(GET_B, 404), r(PUT_B, 403)], state=None),
    Case("create-503-persistent-on-final-get", "create", CREATE,
         [T503(route="binding", method="GET", after=1, times=None)], rc=1,
         stderr=["succeeded", SERVICE_UNAVAILABLE, "{show}"],
         requests=CREATED[:4] + [r(GET_B, 503)] * 4, state="Succeeded"),
    Case("create-reset-after-put-accepted-persistent", "create", CREATE,
         [dict(kind="reset_after", route="binding", method="PUT", times=None)], rc=1,
         stderr=["accepted", "{show}"],
         requests=[r(GET_B, 404), r(PUT_B, "reset after 201")] + [r(PUT_B, "reset after 409")] * 3,
         state="Creating"),
    Case("create-status-poll-not-json", "create", CREATE,
         [dict(kind="body", route="operation", status=200, body="<html>gateway page</html>")], rc=1,
         stderr=["was accepted", "{show}"], requests=[r(GET_B, 404), r(PUT_B, 201), r(OP, 200)],
         state="Creating"),
    # -- delete (ib1 exists) -----------------------------------------------------------------
    Case("delete-429-on-delete", "delete", DELETE, [T429(route="binding", method="DELETE")], world="binding",
         requests=[READ_B, r(DEL_B, 429)] + DELETED, state=None, min_seconds=1.0),
    Case("delete-reset-after-delete-accepted-once", "delete", DELETE,
         [dict(kind="reset_after", route="binding", method="DELETE")], world="binding",
         requests=[READ_B, r(DEL_B, "reset after 202")] + DELETED, state=None),
    Case("delete-503-persistent-on-location-poll", "delete", DELETE, [T503(route="operationresult", times=None)],
         world="binding", rc=1, stderr=["was accepted", SERVICE_UNAVAILABLE, "{show}"],
         requests=[READ_B, r(DEL_B, 202)] + [r(RESULT, 503)] * 4, state="Deleting"),
    Case("delete-lro-ends-failed-async-polling", "delete", DELETE,
         [dict(kind="lro_fail", route="binding", method="DELETE", code="DeleteFederatedCredentialFailed",
               message="Could not remove the federated identity credential from the identity.")],
         world="binding", rc=1, cluster_settings={"delete_lro_headers": "async"},
         stderr=["ended Failed", "(DeleteFederatedCredentialFailed) Could not remove", "{show}"],
         requests=[READ_B, r(DEL_B, 202), r(OP, 200), r(OP, 200)], state="Failed"),
    Case("delete-reset-after-delete-accepted-persistent", "delete", DELETE,
         [dict(kind="reset_after", route="binding", method="DELETE", times=None)], world="binding", rc=1,
         stderr=["accepted", "{show}"], requests=[READ_B] + [r(DEL_B, "reset after 202")] * 4, state="Deleting"),
    # -- generate-rbac -----------------------------------------------------------------------
    Case("rbac-identity-429", "generate-rbac", RBAC_FROM_IDENTITY, [T429(route="identity")],
         requests=[r(IDENT, 429), r(IDENT, 200)], min_seconds=1.0, output="rbac"),
    Case("rbac-identity-reset-once", "generate-rbac", RBAC_FROM_IDENTITY, [dict(kind="reset", route="identity")],
         requests=[r(IDENT, "reset"), r(IDENT, 200)], output="rbac"),
    Case("rbac-binding-503-persistent", "generate-rbac", RBAC_FROM_BINDING, [T503(route="binding", times=None)],
         world="binding", rc=1, stderr=["Azure returned HTTP 503", SERVICE_UNAVAILABLE],
         requests=[r(GET_B, 503)] * 4),
    Case("rbac-offline-sends-nothing", "generate-rbac",
         ("--client-id", "3F2B8C4E-9A1D-4E6F-8B7A-2C5D9E0F1A3B", "--service-account", "demo/workload"),
         [dict(kind="status", route=None, status=500, times=None)], requests=[], output="rbac-offline"),
    Case("rbac-identity-403-hint", "generate-rbac", RBAC_FROM_IDENTITY,
         [dict(kind="status", route="identity", status=403, code="AuthorizationFailed",
               message="The client 'admin@example.com' does not have authorization to perform action "
                       "'Microsoft.ManagedIdentity/userAssignedIdentities/read'.")], rc=1,
         stderr=["(AuthorizationFailed)"], absent=["managedClusters/read", "Reading identity bindings"],
         requests=[r(IDENT, 403)]),
]
for number, _case in enumerate(CASES, 1):
    _case.name = f"case{number:02d}"
assert len({c.id for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def arm(tmp_path_factory):
    with StandIn(lifetime=600, state_dir=tmp_path_factory.mktemp("standin"), lro_retry_after=0,
                 lro_in_progress_polls=1, page_size=2) as standin:
        yield standin


@pytest.fixture(scope="module")
def az_state(arm, tmp_path_factory):
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ})")
    work = tmp_path_factory.mktemp("faults")
    return AzState(work / "az", arm, build_wheel(work / "wheel")).setup()


def _arrange(arm, case):
    world = arm.world
    world.add_cluster(RG, case.name)
    identity = world.add_identity(IDENTITY_RG, case.name)
    if case.world == "binding":
        world.add_binding(RG, case.name, BINDING, identity_id(case.name))
    elif case.world == "bindings":
        for i in range(5):
            world.add_binding(RG, case.name, f"ib{i}", identity_id(case.name))
    if case.cluster_settings:
        arm.configure_cluster(RG, case.name, **case.cluster_settings)
    for fault in case.faults:
        arm.fault(**{**fault, "path": case.scope()})
    return identity


@pytest.fixture(scope="module")
def results(request, arm, az_state):
    """Run the selected cases, two at a time; {case id: (AzResult, requests, binding, identity)}."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")}
    cases = [c for c in CASES if c.id in selected]
    identities = {c.id: _arrange(arm, c) for c in cases}

    def run(case):
        tag = {"AZURE_HTTP_USER_AGENT": f"ibfault/{case.id}"}
        return case.id, az_state.az(*case.argv(), timeout=AZ_TIMEOUT, env=tag)

    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        runs = dict(pool.map(run, cases))
    out = {}
    for case in cases:
        tag = re.compile(rf"(^|\s)ibfault/{re.escape(case.id)}(\s|$)")
        sent = [(q["method"], q["route"], q["status"]) for q in arm.requests() if tag.search(q["user_agent"])]
        out[case.id] = (runs[case.id], sent, arm.binding(RG, case.name, BINDING), identities[case.id])
    return out


def _check_output(case, result, identity):
    client_id = identity["properties"]["clientId"]
    if case.output == "binding":
        binding = result.json()
        assert binding["name"] == BINDING and binding["properties"]["provisioningState"] == "Succeeded", binding
        assert binding["properties"]["managedIdentity"]["clientId"] == client_id, binding
    elif case.output == "list5":
        assert sorted(b["name"] for b in result.json()) == [f"ib{i}" for i in range(5)], result.stdout
    elif case.output in ("rbac", "rbac-offline"):
        expected = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b" if case.output == "rbac-offline" else client_id
        items = result.json()["items"]
        kinds = sorted(item["kind"] for item in items)
        assert kinds == ["ClusterRole", "ClusterRoleBinding"], result.stdout
        role = next(item for item in items if item["kind"] == "ClusterRole")
        assert role["rules"][0]["resources"] == [expected], role


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)]
                                               if c.xfail else []) for c in CASES])
def test_fault(case, results):
    result, sent, binding, identity = results[case.id]
    report = f"{result!r}\nrequests seen: {sent}"
    assert "Traceback" not in result.stderr + result.stdout, report
    assert "failed with an unexpected error" not in result.words, report  # az's words for a crash
    assert result.returncode == case.rc, report
    for phrase in case.stderr:
        phrase = phrase.replace("{show}", case.show_hint())
        assert phrase in result.words, f"{phrase!r} not in stderr\n{report}"
    for phrase in case.absent:
        assert phrase not in result.words, f"{phrase!r} in stderr\n{report}"
    if case.rc:
        assert result.stdout == "", f"a failed command printed a (partial) result\n{report}"
    else:
        _check_output(case, result, identity)
    assert sent == case.requests, report
    if case.state != "unchecked":
        state = binding["properties"]["provisioningState"] if binding else None
        assert state == case.state, f"binding afterwards: {json.dumps(binding)}\n{report}"
    assert result.seconds >= case.min_seconds, f"Retry-After/slow answer not waited for\n{report}"


def test_the_matrix_is_large_enough():
    commands = {c.command for c in CASES}
    assert commands == {"create", "show", "list", "delete", "generate-rbac"}
    assert len(CASES) >= 20
