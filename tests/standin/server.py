"""A loopback HTTPS stand-in for Azure Resource Manager and the token endpoint of a test cloud.

Test-only. It behaves like the real services as described in shared/reference/arm-api.md:

* identity bindings: list (paged by nextLink/$skipToken), get, PUT -> 201 + Azure-AsyncOperation
  (status InProgress ... Succeeded, then the client GETs the resource), an unchanged PUT -> 200,
  DELETE -> 202 + Location (202 ... 204), DELETE of a missing binding -> 204;
* managed clusters: get; list per resource group and per subscription (paged);
* user-assigned identities: get; their federated identity credentials: list (paged), get, delete,
  including the `aks-identity-binding` credential AKS creates with an identity's first binding and
  leaves in place after its last one, until the credential itself is deleted (cleanup-fic);
* ARM error bodies ({"error": {"code", "message"}}), 401 without a valid bearer token, 400 for an
  unknown api-version, 404 ResourceGroupNotFound / ResourceNotFound as the live service words them;
* the cloud metadata (`/metadata/endpoints`), the OpenID configuration and the OAuth2 token
  endpoint of a test tenant, Entra-ID shaped (`/<tenant>/v2.0/...`) and AD FS shaped (`/adfs/...`,
  as on Azure Stack Hub), so that `az cloud register` and `az login --service-principal` work
  against it with a client secret that exists only here (see azcli.py for how az is set up).

Per-request latency and fault injection (`Fault`) are configurable, per route/path/method and
count. Every request is recorded (`StandIn.requests()`) so tests can assert what was sent.

It listens on 127.0.0.1 only, on a free port, with a certificate from a CA made at start-up
(clients trust it through REQUESTS_CA_BUNDLE), and stops by itself after `lifetime` seconds.
Standard library only, plus `cryptography` (shipped with azure-cli) for the certificate.
"""
import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .certs import make_certificates

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
SP_CLIENT_ID = "22222222-2222-2222-2222-222222222222"   # the test service principal (exists only here)
LOCATION = "eastus2"
CLOUD_NAME = "IBStandIn"
AUDIENCE = "https://management.standin.invalid/"      # the ARM token audience of the test cloud

# api-versions the service accepts for identity bindings (arm-api.md §1); anything else is a 400.
BINDINGS_API_VERSIONS = frozenset([
    "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01",
    "2025-06-02-preview", "2025-07-02-preview", "2025-08-02-preview", "2025-09-02-preview",
    "2025-10-02-preview", "2026-01-02-preview", "2026-02-02-preview", "2026-03-02-preview",
    "2026-04-02-preview", "2026-05-02-preview", "2026-06-02-preview", "2026-07-02-preview",
    "2026-08-02-preview",
])
OPERATION_API_VERSION = "2016-03-30"
_API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")

_RP = "Microsoft.ContainerService"
_MI = "Microsoft.ManagedIdentity"
AKS_FIC_NAME = "aks-identity-binding"
# Routes: (name, regex over the path with the query removed). Matching is case-insensitive like ARM.
_SEG = r"([^/]+)"
_ROUTES = [
    ("metadata", r"/metadata/endpoints"),
    ("oidc", rf"/{_SEG}/v2\.0/\.well-known/openid-configuration"),   # Entra ID shaped: /<tenant>/v2.0/...
    ("token", rf"/{_SEG}/oauth2/v2\.0/token"),
    ("oidc", r"/(adfs)/\.well-known/openid-configuration"),              # AD FS shaped (Azure Stack Hub)
    ("token", r"/(adfs)/oauth2/token"),
    ("subscriptions", r"/subscriptions"),
    ("tenants", r"/tenants"),
    ("subscription", rf"/subscriptions/{_SEG}"),
    ("operation", rf"/subscriptions/{_SEG}/providers/{_RP}/locations/{_SEG}/operations/{_SEG}"),
    ("operationresult", rf"/subscriptions/{_SEG}/providers/{_RP}/locations/{_SEG}/operationresults/{_SEG}"),
    ("clusters_sub", rf"/subscriptions/{_SEG}/providers/{_RP}/managedClusters"),
    ("clusters", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_RP}/managedClusters"),
    ("cluster", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_RP}/managedClusters/{_SEG}"),
    ("bindings", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_RP}/managedClusters/{_SEG}"
                 r"/identityBindings"),
    ("binding", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_RP}/managedClusters/{_SEG}"
                rf"/identityBindings/{_SEG}"),
    ("identity", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities/{_SEG}"),
    ("fics", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities/{_SEG}"
             r"/federatedIdentityCredentials"),
    ("fic", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities/{_SEG}"
            rf"/federatedIdentityCredentials/{_SEG}"),
]
_ROUTES = [(name, re.compile(f"^{pattern}/?$", re.IGNORECASE)) for name, pattern in _ROUTES]
_ARM_ROUTES_WITHOUT_AUTH = {"metadata", "oidc", "token"}
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}

FAULT_KINDS = ("status", "reset", "reset_after", "delay", "lro_fail", "body")


def _now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _guid(*parts):
    """A stable GUID for a name, so ids are the same in every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "standin:" + "/".join(p.lower() for p in parts)))


class Fault:
    """An injected fault: which requests it hits, how many times, and what happens to them.

    kind:
      status       answer `status` with an ARM error body (`code`, `message`) and, if given, a
                   Retry-After header (`retry_after`): 429, 500, 503, 403, 409 ...
      reset        read the request, then reset the TCP connection without answering (nothing done)
      reset_after  carry the request out (state changes happen), then reset instead of answering
      delay        wait `seconds`, then answer normally (a slow response)
      lro_fail     the PUT/DELETE is accepted normally, but its long-running operation ends
                   `status` ("Failed" or "Canceled") with `code`/`message`
      body         answer `status` with a raw `body` and `content_type` (e.g. a gateway's HTML page)

    Which requests: `method` ("*" or GET/PUT/DELETE/POST), `route` (a route name such as
    "binding", "bindings", "operation", "operationresult", "identity", "token"; None = any) and
    `path` (a regex searched, case-insensitive, in the request path and, for operation status
    and result URLs, in the path of the binding the operation is about; None = any). The first
    `after` matching requests pass untouched; the next `times` are hit (None = every one after).
    """

    def __init__(self, kind, route=None, method="*", path=None, times=1, after=0, status=None,
                 retry_after=None, code=None, message=None, seconds=0.0, body="", content_type="text/html"):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        self.kind, self.route, self.method, self.path = kind, route, method.upper(), path
        self.times, self.after = times, after
        self.status = status if status is not None else {"status": 500, "body": 502}.get(kind)
        self.retry_after, self.code, self.message = retry_after, code, message
        self.seconds, self.body, self.content_type = float(seconds), body, content_type
        self.seen = 0   # matching requests so far
        self.hits = 0   # requests this fault was applied to

    @classmethod
    def from_dict(cls, data):
        return cls(**data)

    def to_dict(self):
        keys = ("kind", "route", "method", "path", "times", "after", "status", "retry_after", "code",
                "message", "seconds", "body", "content_type")
        return {**{k: getattr(self, k) for k in keys}, "seen": self.seen, "hits": self.hits}

    def matches(self, method, route, path, target):
        if self.method not in ("*", method):
            return False
        if self.route is not None and self.route != route:
            return False
        return self.path is None or any(re.search(self.path, p, re.IGNORECASE) for p in (path, target) if p)

    def take(self):
        """Count a matching request; True if the fault applies to it."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True

    def __repr__(self):
        return f"Fault({self.kind} {self.method} {self.route or self.path or '*'} hits={self.hits})"


class Settings:
    """Behaviour knobs; all can be changed while running."""

    def __init__(self):
        self.latency = 0.0                 # seconds added to every request (not to /_standin)
        self.page_size = 100               # items per list page before a nextLink
        self.lro_duration = 0.0            # seconds an operation stays InProgress at least ...
        self.lro_in_progress_polls = 1     # ... and how many status polls answer InProgress (0: time only)
        self.lro_retry_after = None        # Retry-After on LRO responses (None: no header, as observed live)
        self.put_lro_headers = "async"     # observed live: only Azure-AsyncOperation ("location", "both")
        self.delete_lro_headers = "location"  # observed live: only Location ("async", "both")
        self.failed_location_status = 400  # what a Location poll returns for a failed operation

    def update(self, **values):
        for key, value in values.items():
            if not hasattr(self, key):
                raise ValueError(f"unknown setting {key!r}")
            setattr(self, key, value)

    def to_dict(self):
        return dict(vars(self))


class ArmError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class Operation:
    def __init__(self, kind, key, path, outcome="Succeeded", error=None):
        self.id = str(uuid.uuid4())
        self.kind = kind          # "create" or "delete"
        self.key = key            # (rg, cluster, name), lower-case
        self.path = path          # the binding's path as the client sent it
        self.outcome = outcome    # "Succeeded", "Failed" or "Canceled"
        self.error = error
        self.started = time.monotonic()
        self.start_time = _now_iso()
        self.end_time = None
        self.polls = 0
        self.applied = False


class World:
    """The resources the stand-in serves. Keys are lower-case; resources keep the caller's casing."""

    def __init__(self, subscription=SUBSCRIPTION, tenant=TENANT):
        self.subscription, self.tenant = subscription, tenant
        self.groups = {}       # rg -> display name
        self.clusters = {}     # (rg, name) -> resource
        self.identities = {}   # (rg, name) -> resource
        self.fics = {}         # (rg, identity) -> {name -> resource}
        self.bindings = {}     # (rg, cluster) -> {name -> resource}
        self.operations = {}   # id -> Operation
        self._etag = 0

    # -- seeding ----------------------------------------------------------------------------------

    def add_group(self, name):
        self.groups.setdefault(name.lower(), name)

    def add_cluster(self, resource_group, name, location=LOCATION):
        self.add_group(resource_group)
        rid = (f"/subscriptions/{self.subscription}/resourcegroups/{resource_group}/providers/{_RP}"
               f"/managedClusters/{name}")
        self.clusters[(resource_group.lower(), name.lower())] = {
            "id": rid, "location": location, "name": name, "type": f"{_RP}/ManagedClusters",
            "sku": {"name": "Base", "tier": "Free"},
            "identity": {"type": "SystemAssigned", "principalId": _guid("cluster-principal", resource_group, name),
                         "tenantId": self.tenant},
            "properties": {
                "provisioningState": "Succeeded", "powerState": {"code": "Running"},
                "kubernetesVersion": "1.33.3", "currentKubernetesVersion": "1.33.3",
                "dnsPrefix": f"{name}-dns", "fqdn": f"{name}-dns-{_guid(name)[:8]}.hcp.{location}.azmk8s.io",
                "oidcIssuerProfile": {"enabled": True, "issuerURL":
                                      f"https://{location}.oic.prod-aks.azure.com/{self.tenant}/{_guid(name)}/"},
                "securityProfile": {"workloadIdentity": {"enabled": True}},
                "nodeResourceGroup": f"MC_{resource_group}_{name}_{location}",
            },
        }
        self.bindings.setdefault((resource_group.lower(), name.lower()), {})

    def add_identity(self, resource_group, name, location=LOCATION, client_id=None, principal_id=None):
        """A user-assigned identity; its ids derive from its name unless given (scripts/demo.py gives
        obviously fake ones, so that nothing it prints looks like a real id)."""
        self.add_group(resource_group)
        rid = (f"/subscriptions/{self.subscription}/resourcegroups/{resource_group}/providers/{_MI}"
               f"/userAssignedIdentities/{name}")
        identity = {
            "id": rid, "name": name, "type": f"{_MI}/userAssignedIdentities", "location": location, "tags": {},
            "properties": {"tenantId": self.tenant,
                           "principalId": principal_id or _guid("principal", resource_group, name),
                           "clientId": client_id or _guid("client", resource_group, name)},
        }
        self.identities[(resource_group.lower(), name.lower())] = identity
        self.fics.setdefault((resource_group.lower(), name.lower()), {})
        return identity

    def add_fic(self, resource_group, identity, name, issuer, subject, audiences=("api://AzureADTokenExchange",)):
        self.fics[(resource_group.lower(), identity.lower())][name.lower()] = {
            "id": (f"/subscriptions/{self.subscription}/resourcegroups/{resource_group}/providers/{_MI}"
                   f"/userAssignedIdentities/{identity}/federatedIdentityCredentials/{name}"),
            "name": name, "type": f"{_MI}/userAssignedIdentities/federatedIdentityCredentials",
            "properties": {"issuer": issuer, "subject": subject, "audiences": list(audiences)},
        }

    def add_binding(self, resource_group, cluster, name, identity_id, state="Succeeded"):
        """A binding that already exists (as if created earlier)."""
        identity = self.identity_by_id(identity_id)
        if identity is None:
            raise ValueError(f"no identity {identity_id}")
        binding = self._binding_resource(resource_group, cluster, name, identity_id, identity, state)
        self.bindings[(resource_group.lower(), cluster.lower())][name.lower()] = binding
        if state == "Succeeded":
            self._ensure_aks_fic(identity)
        return binding

    def seed_default(self):
        """The placeholders of the playback tests: rg1/cluster1, identity-rg/identity1 (+ identity2)."""
        self.add_cluster("rg1", "cluster1")
        self.add_identity("identity-rg", "identity1")
        self.add_identity("identity-rg", "identity2")

    def seed_fleet(self, count, groups=5, prefix="fleet"):
        """`count` clusters spread over `groups` resource groups (for fleet-scale views)."""
        for i in range(count):
            self.add_cluster(f"{prefix}-rg{i % groups}", f"{prefix}-cluster{i:04d}")

    # -- lookups ----------------------------------------------------------------------------------

    def identity_by_id(self, identity_id):
        parts = identity_id.strip("/").split("/")
        if len(parts) != 8 or parts[0].lower() != "subscriptions" or parts[1].lower() != self.subscription:
            return None
        return self.identities.get((parts[3].lower(), parts[7].lower()))

    def next_etag(self):
        self._etag += 1
        return f"a1b2c3d4-0000-4000-8000-{self._etag:012d}"

    def _binding_resource(self, resource_group, cluster, name, identity_id, identity, state):
        props = identity["properties"]
        cluster_id = self.clusters[(resource_group.lower(), cluster.lower())]["id"]
        return {
            "id": f"{cluster_id}/identityBindings/{name}", "name": name,
            "type": f"{_RP}/managedClusters/identityBindings", "eTag": self.next_etag(),
            "properties": {
                "managedIdentity": {"resourceId": identity_id, "clientId": props["clientId"],
                                    "objectId": props["principalId"], "tenantId": props["tenantId"]},
                "oidcIssuer": {"oidcIssuerUrl": f"https://ib.oic.prod-aks.azure.com/{props['tenantId']}/"
                                                f"{props['clientId']}"},
                "provisioningState": state,
            },
        }

    def _ensure_aks_fic(self, identity):
        _, _, _, rg, _, _, _, name = identity["id"].strip("/").split("/")
        if AKS_FIC_NAME not in self.fics[(rg.lower(), name.lower())]:
            props = identity["properties"]
            # Issuer/subject of the AKS-managed credential are not documented (arm-api.md §9):
            # the per-identity issuer is used here, the subject is a placeholder.
            self.add_fic(rg, name, AKS_FIC_NAME,
                         f"https://ib.oic.prod-aks.azure.com/{props['tenantId']}/{props['clientId']}",
                         "aks-identity-binding", audiences=("api://AKSIdentityBinding",))

    # -- operations -------------------------------------------------------------------------------

    def advance(self, settings):
        """Finish the operations that are due (time and polls), applying their effects."""
        for op in self.operations.values():
            if op.applied:
                continue
            if time.monotonic() - op.started < settings.lro_duration:
                continue
            if settings.lro_in_progress_polls and op.polls <= settings.lro_in_progress_polls:
                continue  # the first `lro_in_progress_polls` status polls answer InProgress
            op.applied, op.end_time = True, _now_iso()
            rg, cluster, name = op.key
            bindings = self.bindings.get((rg, cluster), {})
            binding = bindings.get(name)
            if binding is None:
                continue
            if op.outcome != "Succeeded":
                binding["properties"]["provisioningState"] = op.outcome
                binding["eTag"] = self.next_etag()
            elif op.kind == "create":
                binding["properties"]["provisioningState"] = "Succeeded"
                binding["eTag"] = self.next_etag()
                self._ensure_aks_fic(self.identity_by_id(binding["properties"]["managedIdentity"]["resourceId"]))
            else:
                # The identity keeps its aks-identity-binding credential: AKS does not remove it after
                # the last binding (shared/reference/in-cluster.md §3.2); cleanup-fic exists for that.
                del bindings[name]


class _Response:
    def __init__(self, status, body=None, headers=None, raw=None, content_type="application/json; charset=utf-8"):
        self.status, self.body, self.headers = status, body, dict(headers or {})
        self.raw, self.content_type = raw, content_type

    def payload(self):
        if self.raw is not None:
            return self.raw.encode() if isinstance(self.raw, str) else self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


def _arm_error(status, code, message, headers=None):
    return _Response(status, {"error": {"code": code, "message": message}}, headers)


class StandIn:
    """The stand-in server. Use as a context manager, or start()/stop().

    `url` is the ARM endpoint (`https://127.0.0.1:<port>`), `ca_path` the CA to trust, and
    `sp_secret` the client secret of the test service principal `SP_CLIENT_ID`.
    """

    def __init__(self, lifetime=600.0, state_dir=None, seed=True, login_style="adfs", **settings):
        self._initial_settings = dict(settings)
        self.settings = Settings()
        self.settings.update(**settings)
        self.world = World()
        if seed:
            self.world.seed_default()
        self.lifetime = lifetime
        self.login_style = login_style  # what /metadata/endpoints advertises: "adfs" or "aad"
        self.sp_secret = "standin-" + secrets.token_urlsafe(24)
        self.admin_key = secrets.token_urlsafe(16)
        self._sign_key = secrets.token_bytes(16)
        self._tokens = {}
        self._faults = []
        self._requests = []
        self.cluster_settings = {}  # (rg, cluster) lower-case -> {"put_lro_headers": ..., ...}
        self._lock = threading.RLock()
        self._own_state_dir = state_dir is None  # a temp dir of ours: removed (with the CA key) on stop
        self._state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="arm-standin-"))
        self._httpd = None
        self._thread = None
        self._timer = None
        self.stopped = threading.Event()
        self._stop_lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------------------

    def start(self):
        paths = make_certificates(self._state_dir)
        self.ca_path = str(paths["ca"])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(paths["cert"], paths["key"])
        self._httpd = _Server(("127.0.0.1", 0), _Handler, context, self)
        self.port = self._httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="arm-standin", daemon=True)
        self._thread.start()
        if self.lifetime:
            self._timer = threading.Timer(self.lifetime, self.stop)
            self._timer.daemon = True
            self._timer.start()
        return self

    def stop(self):
        if self._timer:
            self._timer.cancel()
        with self._stop_lock:
            if self._httpd is None or self.stopped.is_set():
                return
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._own_state_dir:
                shutil.rmtree(self._state_dir, ignore_errors=True)
            self.stopped.set()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- test API ---------------------------------------------------------------------------------

    def fault(self, kind, **kwargs):
        """Add a fault (see `Fault`); returns it, so tests can check `hits`."""
        fault = kind if isinstance(kind, Fault) else Fault(kind, **kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def configure(self, **values):
        with self._lock:
            self.settings.update(**values)

    def requests(self, arm_only=True):
        """Recorded requests (dicts), oldest first; without login traffic if arm_only."""
        with self._lock:
            items = list(self._requests)
        if arm_only:
            items = [r for r in items if r["route"] not in ("metadata", "oidc", "token")]
        return items

    def clear_requests(self):
        with self._lock:
            self._requests.clear()

    def binding(self, resource_group, cluster, name):
        """The stored binding (a copy) or None, after finishing any operation that is due."""
        with self._lock:
            self.world.advance(self.settings)
            found = self.world.bindings.get((resource_group.lower(), cluster.lower()), {}).get(name.lower())
            return copy.deepcopy(found)

    def reset(self, seed=True):
        """Back to the start: resources, faults, requests, settings (tokens stay valid)."""
        with self._lock:
            self.world = World()
            if seed:
                self.world.seed_default()
            self._faults.clear()
            self._requests.clear()
            self.cluster_settings.clear()
            self.settings = Settings()
            self.settings.update(**self._initial_settings)

    # -- request handling (called by _Handler) ----------------------------------------------------

    def _route(self, path):
        for name, pattern in _ROUTES:
            match = pattern.match(path)
            if match:
                return name, [unquote(g) for g in match.groups()]
        return None, []

    def configure_cluster(self, resource_group, cluster, **values):
        """Per-cluster LRO header style: put_lro_headers / delete_lro_headers ("async", "location", "both")."""
        unknown = set(values) - {"put_lro_headers", "delete_lro_headers"}
        if unknown:
            raise ValueError(f"not per-cluster settings: {sorted(unknown)}")
        with self._lock:
            self.cluster_settings.setdefault((resource_group.lower(), cluster.lower()), {}).update(values)

    def _lro_style(self, rg, cluster, key):
        return self.cluster_settings.get((rg.lower(), cluster.lower()), {}).get(key, getattr(self.settings, key))

    def _target(self, route, path):
        """The resource a request is about: its path, or for operation URLs the binding's path."""
        if route in ("operation", "operationresult"):
            with self._lock:
                op = self.world.operations.get(path.rstrip("/").rsplit("/", 1)[-1].lower())
            return op.path if op else path
        return path

    def _pick_fault(self, method, route, path, target):
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, route, path, target) and fault.take():
                    return fault
        return None

    def _record(self, entry):
        with self._lock:
            self._requests.append(entry)

    def _sign(self, op_id):
        return base64.urlsafe_b64encode(hmac.new(self._sign_key, op_id.encode(), hashlib.sha256)
                                        .digest()[:18]).decode().rstrip("=")

    def _operation_urls(self, op):
        query = (f"api-version={OPERATION_API_VERSION}&t={int(time.time())}&c=standin"
                 f"&s={self._sign(op.id)}&h={op.id[:8]}")
        base = f"{self.url}/subscriptions/{self.world.subscription}/providers/{_RP}/locations/{LOCATION}"
        return f"{base}/operations/{op.id}?{query}", f"{base}/operationresults/{op.id}?{query}"

    def _lro_headers(self, op, which):
        status_url, result_url = self._operation_urls(op)
        headers = {}
        if which in ("async", "both"):
            headers["Azure-AsyncOperation"] = status_url
        if which in ("location", "both"):
            headers["Location"] = result_url
        if self.settings.lro_retry_after is not None:
            headers["Retry-After"] = str(self.settings.lro_retry_after)
        return headers

    def handle(self, method, path, query, headers, body, fault):
        """Answer one request: a _Response. Raises ArmError for ARM errors."""
        route, args = self._route(path)
        if route is None:
            raise ArmError(404, "NotFound", f"No HTTP resource was found that matches the request URI "
                                            f"'{self.url}{path}'.")
        if route not in _ARM_ROUTES_WITHOUT_AUTH:
            self._authorize(headers)
            if "api-version" not in query:
                raise ArmError(400, "MissingApiVersionParameter",
                               "The api-version query parameter (?api-version=) is required for all requests.")
        handler = getattr(self, f"_do_{route}")
        with self._lock:
            self.world.advance(self.settings)
            return handler(method, args, query, body, fault)

    def _authorize(self, headers):
        value = headers.get("Authorization", "")
        challenge = {"WWW-Authenticate": f'Bearer authorization_uri="{self.url}/{self.world.tenant}", '
                                         f'error="invalid_token", error_description="The access token is invalid."'}
        if not value:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                           challenge)
        token = value.split(" ", 1)[-1]
        with self._lock:
            expiry = self._tokens.get(token)
        if not value.startswith("Bearer ") or expiry is None or expiry < time.time():
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", challenge)

    # -- login ------------------------------------------------------------------------------------

    def _do_metadata(self, method, args, query, body, fault):
        adfs = self.login_style == "adfs"
        return _Response(200, {
            "name": CLOUD_NAME, "portal": self.url + "/portal",
            "authentication": {"loginEndpoint": self.url + ("/adfs" if adfs else "/"), "audiences": [AUDIENCE],
                               "tenant": "adfs" if adfs else "common", "identityProvider": "ADFS" if adfs else "AAD"},
            "resourceManager": self.url + "/", "media": self.url + "/media/", "graphAudience": AUDIENCE + "graph/",
            "graph": self.url + "/graph/", "gallery": self.url + "/gallery/", "batch": AUDIENCE + "batch/",
            "sqlManagement": self.url + "/sql/", "vmImageAliasDoc": self.url + "/aliases.json",
            "microsoftGraphResourceId": AUDIENCE + "msgraph/",
            "suffixes": {"storage": "standin.invalid", "keyVaultDns": "vault.standin.invalid",
                         "sqlServerHostname": "database.standin.invalid",
                         "acrLoginServer": "azurecr.standin.invalid"},
            # the older (api-version 1.0/2015-01-01) shape, read by msrestazure in azure-cli < 2.5x
            "galleryEndpoint": self.url + "/gallery/", "graphEndpoint": AUDIENCE + "graph/",
            "portalEndpoint": self.url + "/portal/",
        })

    def _do_oidc(self, method, args, query, body, fault):
        tenant = args[0]
        base = f"{self.url}/{tenant}"
        oauth = f"{base}/oauth2" if tenant.lower() == "adfs" else f"{base}/oauth2/v2.0"
        return _Response(200, {
            "issuer": f"{self.url}/adfs" if tenant.lower() == "adfs" else f"{self.url}/{self.world.tenant}/v2.0",
            "authorization_endpoint": f"{oauth}/authorize",
            "token_endpoint": f"{oauth}/token",
            "device_authorization_endpoint": f"{oauth}/devicecode",
            "jwks_uri": f"{base}/discovery/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "NA",
        })

    def _do_token(self, method, args, query, body, fault):
        form = body if isinstance(body, dict) else {}
        if method != "POST" or form.get("grant_type") != "client_credentials":
            return _Response(400, {"error": "unsupported_grant_type", "error_description":
                                   "AADSTS70003: The stand-in supports only the client_credentials grant."})
        if form.get("client_id") != SP_CLIENT_ID or not hmac.compare_digest(
                form.get("client_secret", "").encode(), self.sp_secret.encode()):
            return _Response(401, {"error": "invalid_client", "error_description":
                                   "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]})
        now = int(time.time())
        claims = {"aud": AUDIENCE, "iss": f"{self.url}/{self.world.tenant}/", "iat": now, "nbf": now,
                  "exp": now + 3600, "appid": SP_CLIENT_ID, "oid": _guid("sp-object"), "sub": _guid("sp-object"),
                  "tid": self.world.tenant, "idtyp": "app", "ver": "1.0"}

        def b64(data):
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.{secrets.token_urlsafe(16)}"
        self._tokens[token] = now + 3600
        return _Response(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                               "access_token": token})

    def _do_subscriptions(self, method, args, query, body, fault):
        return _Response(200, {"value": [self._subscription()]})

    def _do_subscription(self, method, args, query, body, fault):
        if args[0].lower() != self.world.subscription:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{args[0]}' could not be found.")
        return _Response(200, self._subscription())

    def _subscription(self):
        sub = self.world.subscription
        return {"id": f"/subscriptions/{sub}", "authorizationSource": "RoleBased", "managedByTenants": [],
                "subscriptionId": sub, "tenantId": self.world.tenant, "displayName": "Stand-in subscription",
                "state": "Enabled", "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                             "quotaId": "PayAsYouGo_2014-09-01",
                                                             "spendingLimit": "Off"}}

    def _do_tenants(self, method, args, query, body, fault):
        return _Response(200, {"value": [{"id": f"/tenants/{self.world.tenant}", "tenantId": self.world.tenant,
                                          "displayName": "Stand-in tenant", "tenantCategory": "Home"}]})

    # -- ARM: common checks -----------------------------------------------------------------------

    def _only(self, method, *allowed):
        if method not in allowed:
            raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method "
                                                    f"'{method}'.")

    def _check_subscription(self, sub):
        if sub.lower() != self.world.subscription:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")

    def _check_group(self, sub, rg):
        self._check_subscription(sub)
        if rg.lower() not in self.world.groups:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")

    def _check_cluster(self, sub, rg, cluster):
        self._check_group(sub, rg)
        if (rg.lower(), cluster.lower()) not in self.world.clusters:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{_RP}/managedClusters/{cluster}' under "
                                                    f"resource group '{rg}' was not found. For more details "
                                                    f"please go to https://aka.ms/ARMResourceNotFoundFix")

    def _check_bindings_api_version(self, query):
        version = query["api-version"]
        if version not in BINDINGS_API_VERSIONS:
            raise ArmError(400, "NoRegisteredProviderFound",
                           f"No registered resource provider found for location '{LOCATION}' and API version "
                           f"'{version}' for type 'managedClusters/identityBindings'. The supported api-versions "
                           f"are '{', '.join(sorted(BINDINGS_API_VERSIONS))}'.")

    def _check_api_version(self, query):
        if not _API_VERSION_RE.match(query["api-version"]):
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{query['api-version']}' is invalid.")

    def _page(self, items, query, path):
        """One page of `items` and the nextLink to the rest (ARM style, $skipToken)."""
        token = query.get("$skipToken") or query.get("$skiptoken")
        try:
            start = int(base64.b64decode(token).decode()) if token else 0
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.") from None
        if "$top" in query:
            size = max(1, int(query["$top"]))
        else:
            size = max(1, int(self.settings.page_size))
        page = {"value": [copy.deepcopy(i) for i in items[start:start + size]]}
        if start + size < len(items):
            skip = quote(base64.b64encode(str(start + size).encode()).decode(), safe="")
            page["nextLink"] = f"{self.url}{path}?api-version={query['api-version']}&$skipToken={skip}"
        return _Response(200, page)

    # -- ARM: clusters ----------------------------------------------------------------------------

    def _do_cluster(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_api_version(query)
        sub, rg, name = args
        self._check_cluster(sub, rg, name)
        return _Response(200, copy.deepcopy(self.world.clusters[(rg.lower(), name.lower())]))

    def _do_clusters(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_api_version(query)
        sub, rg = args
        self._check_group(sub, rg)
        items = [c for (g, _), c in sorted(self.world.clusters.items()) if g == rg.lower()]
        return self._page(items, query, f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_RP}/managedClusters")

    def _do_clusters_sub(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_api_version(query)
        (sub,) = args
        self._check_subscription(sub)
        items = [c for _, c in sorted(self.world.clusters.items())]
        return self._page(items, query, f"/subscriptions/{sub}/providers/{_RP}/managedClusters")

    # -- ARM: identity bindings -------------------------------------------------------------------

    def _do_bindings(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_bindings_api_version(query)
        sub, rg, cluster = args
        self._check_cluster(sub, rg, cluster)
        items = [b for _, b in sorted(self.world.bindings[(rg.lower(), cluster.lower())].items())]
        return self._page(items, query, f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_RP}/managedClusters/"
                                        f"{cluster}/identityBindings")

    def _do_binding(self, method, args, query, body, fault):
        self._only(method, "GET", "PUT", "DELETE")
        self._check_bindings_api_version(query)
        sub, rg, cluster, name = args
        self._check_cluster(sub, rg, cluster)
        bindings = self.world.bindings[(rg.lower(), cluster.lower())]
        existing = bindings.get(name.lower())
        if method == "GET":
            if existing is None:
                raise ArmError(404, "ResourceNotFound", f"The Resource '{_RP}/managedClusters/{cluster}/"
                                                        f"identityBindings/{name}' under resource group '{rg}' was "
                                                        f"not found. For more details please go to "
                                                        f"https://aka.ms/ARMResourceNotFoundFix")
            return _Response(200, copy.deepcopy(existing))
        if method == "PUT":
            return self._put_binding(rg, cluster, name, existing, body, fault)
        return self._delete_binding(rg, cluster, name, existing, fault)

    def _new_operation(self, kind, key, fault):
        rg, cluster, name = key
        path = (f"/subscriptions/{self.world.subscription}/resourceGroups/{rg}/providers/{_RP}/managedClusters/"
                f"{cluster}/identityBindings/{name}")
        if fault is not None and fault.kind == "lro_fail":
            outcome = fault.status if fault.status in ("Failed", "Canceled") else "Failed"
            error = {"code": fault.code or "InternalOperationError",
                     "message": fault.message or "The operation failed."}
            op = Operation(kind, key, path, outcome, error)
        else:
            op = Operation(kind, key, path)
        self.world.operations[op.id] = op
        return op

    def _put_binding(self, rg, cluster, name, existing, body, fault):
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                         "deserialized: the body must be a JSON object.")
        identity_id = ((body.get("properties") or {}).get("managedIdentity") or {}).get("resourceId")
        if not identity_id:
            raise ArmError(400, "InvalidParameter", "Required parameter 'properties.managedIdentity.resourceId' "
                                                    "is missing (null).")
        identity = self.world.identity_by_id(identity_id)
        if identity is None:
            raise ArmError(400, "InvalidParameter", f"The managed identity '{identity_id}' was not found or the "
                                                    "cluster has no access to it.")
        key = (rg.lower(), cluster.lower(), name.lower())
        if existing is not None:
            state = existing["properties"]["provisioningState"]
            if state in ("Creating", "Updating", "Deleting"):
                raise ArmError(409, "OperationNotAllowed", f"Operation is not allowed: identity binding '{name}' "
                                                           f"is in provisioning state '{state}'.")
            bound = existing["properties"]["managedIdentity"]["resourceId"]
            if bound.lower() != identity_id.lower():
                raise ArmError(400, "PropertyChangeNotAllowed", "Changing property 'managedIdentity.resourceId' "
                                                                "is not allowed.")
            if state == "Succeeded" and (fault is None or fault.kind != "lro_fail"):
                return _Response(200, copy.deepcopy(existing))  # unchanged: synchronous 200
            existing["properties"]["provisioningState"] = "Updating"
            existing["eTag"] = self.world.next_etag()
            op = self._new_operation("create", key, fault)
            return _Response(200, copy.deepcopy(existing),
                             self._lro_headers(op, self._lro_style(rg, cluster, "put_lro_headers")))
        binding = self.world._binding_resource(rg, cluster, name, identity_id, identity, "Creating")
        self.world.bindings[(rg.lower(), cluster.lower())][name.lower()] = binding
        op = self._new_operation("create", key, fault)
        return _Response(201, copy.deepcopy(binding),
                         self._lro_headers(op, self._lro_style(rg, cluster, "put_lro_headers")))

    def _delete_binding(self, rg, cluster, name, existing, fault):
        if existing is None:
            return _Response(204)
        state = existing["properties"]["provisioningState"]
        if state in ("Creating", "Updating"):
            raise ArmError(409, "OperationNotAllowed", f"Operation is not allowed: identity binding '{name}' is in "
                                                       f"provisioning state '{state}'.")
        existing["properties"]["provisioningState"] = "Deleting"
        existing["eTag"] = self.world.next_etag()
        op = self._new_operation("delete", (rg.lower(), cluster.lower(), name.lower()), fault)
        return _Response(202, copy.deepcopy(existing),
                         self._lro_headers(op, self._lro_style(rg, cluster, "delete_lro_headers")))

    def _operation(self, args, query):
        sub, _location, op_id = args
        self._check_subscription(sub)
        op = self.world.operations.get(op_id.lower())
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        if query.get("s") != self._sign(op.id) or query.get("api-version") != OPERATION_API_VERSION:
            raise ArmError(401, "InvalidOperationSignature",
                           "The operation URL was changed: use it exactly as returned by the service.")
        return op

    def _do_operation(self, method, args, query, body, fault):
        self._only(method, "GET")
        op = self._operation(args, query)
        op.polls += 1
        self.world.advance(self.settings)
        status = {"id": f"/subscriptions/{self.world.subscription}/providers/{_RP}/locations/{LOCATION}/"
                        f"operations/{op.id}", "name": op.id, "startTime": op.start_time}
        if not op.applied:
            headers = {}
            if self.settings.lro_retry_after is not None:
                headers["Retry-After"] = str(self.settings.lro_retry_after)
            return _Response(200, {**status, "status": "InProgress"}, headers)
        status.update(status=op.outcome, endTime=op.end_time)
        if op.outcome != "Succeeded":
            status["error"] = op.error
        return _Response(200, status)

    def _do_operationresult(self, method, args, query, body, fault):
        self._only(method, "GET")
        op = self._operation(args, query)
        op.polls += 1
        self.world.advance(self.settings)
        if not op.applied:
            headers = {"Location": self._operation_urls(op)[1]}
            if self.settings.lro_retry_after is not None:
                headers["Retry-After"] = str(self.settings.lro_retry_after)
            return _Response(202, None, headers)
        if op.outcome != "Succeeded":
            return _Response(self.settings.failed_location_status, {"error": op.error})
        if op.kind == "delete":
            return _Response(204)
        rg, cluster, name = op.key
        return _Response(200, copy.deepcopy(self.world.bindings[(rg, cluster)][name]))

    # -- ARM: identities and federated identity credentials -------------------------------------

    def _identity_key(self, sub, rg, name):
        self._check_group(sub, rg)
        key = (rg.lower(), name.lower())
        if key not in self.world.identities:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{_MI}/userAssignedIdentities/{name}' under "
                                                    f"resource group '{rg}' was not found. For more details please "
                                                    f"go to https://aka.ms/ARMResourceNotFoundFix")
        return key

    def _do_identity(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_api_version(query)
        key = self._identity_key(*args)
        return _Response(200, copy.deepcopy(self.world.identities[key]))

    def _do_fics(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_api_version(query)
        sub, rg, name = args
        key = self._identity_key(sub, rg, name)
        items = [f for _, f in sorted(self.world.fics[key].items())]
        return self._page(items, query, f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_MI}/"
                                        f"userAssignedIdentities/{name}/federatedIdentityCredentials")

    def _do_fic(self, method, args, query, body, fault):
        self._only(method, "GET", "DELETE")
        self._check_api_version(query)
        sub, rg, identity, name = args
        fics = self.world.fics[self._identity_key(sub, rg, identity)]
        if method == "DELETE":  # synchronous: 200 if it existed, 204 if not
            return _Response(200 if fics.pop(name.lower(), None) else 204)
        if name.lower() not in fics:
            raise ArmError(404, "NotFound", f"Federated identity credential '{name}' was not found.")
        return _Response(200, copy.deepcopy(fics[name.lower()]))

    # -- admin (for a stand-in in another process) ------------------------------------------------

    def admin(self, method, path, body):
        if path == "/_standin/health":
            return _Response(200, {"ok": True, "port": self.port})
        if path == "/_standin/settings":
            if method == "POST":
                self.configure(**(body or {}))
            return _Response(200, self.settings.to_dict())
        if path == "/_standin/faults":
            if method == "POST":
                for item in body if isinstance(body, list) else [body]:
                    self.fault(Fault.from_dict(item))
            elif method == "DELETE":
                self.clear_faults()
            with self._lock:
                return _Response(200, [f.to_dict() for f in self._faults])
        if path == "/_standin/requests":
            if method == "DELETE":
                self.clear_requests()
            return _Response(200, self.requests(arm_only=False))
        if path == "/_standin/seed" and method == "POST":
            with self._lock:
                body = body or {}
                if body.get("fleet"):
                    self.world.seed_fleet(int(body["fleet"]), int(body.get("groups", 5)))
                for item in body.get("bindings", []):
                    self.world.add_binding(**item)
            return _Response(200, {"clusters": len(self.world.clusters)})
        if path == "/_standin/reset" and method == "POST":
            # Back to the start (see reset(); tokens stay valid, so logged-in az states keep working).
            # {"default_cluster": false} also drops the seeded rg1/cluster1, so that a fleet seeded
            # next is the only thing the subscription holds (the benchmark's 50/200-cluster fleets).
            body = body or {}
            self.reset(seed=True)
            if body.get("default_cluster") is False:
                with self._lock:
                    self.world.clusters.pop(("rg1", "cluster1"), None)
                    self.world.bindings.pop(("rg1", "cluster1"), None)
            return _Response(200, {"clusters": len(self.world.clusters)})
        if path == "/_standin/stop" and method == "POST":
            threading.Thread(target=self.stop, daemon=True).start()
            return _Response(200, {"stopping": True})
        return _Response(404, {"error": {"code": "NotFound", "message": path}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 64

    def __init__(self, address, handler, context, standin):
        self.context, self.standin = context, standin
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # TLS handshake in the connection's own thread, so a stuck client cannot block accept().
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # a client that went away is not our problem; tests see the failure on their side


class _Reset(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arm-standin/1.0"

    def version_string(self):
        return self.server_version

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._serve()

    do_PUT = do_DELETE = do_POST = do_PATCH = do_HEAD = do_GET

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except _Reset:
            self.close_connection = True
        except (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout):
            self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def _reset(self):
        """Drop the connection with a TCP RST and without any answer."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw = socket.socket(fileno=self.connection.detach())
            raw.close()
        except OSError:
            pass
        raise _Reset()

    def _serve(self):
        standin = self.server.standin
        parts = urlsplit(self.path)
        path = re.sub(r"/{2,}", "/", unquote(parts.path)) or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = _parse_body(raw, self.headers.get("Content-Type", ""))

        if path.startswith("/_standin/"):
            if self.headers.get("X-Standin-Admin") != standin.admin_key:
                return self._send(_Response(403, {"error": {"code": "Forbidden", "message": "admin key"}}))
            return self._send(standin.admin(self.command, path, body))

        route, _ = standin._route(path)
        target = standin._target(route, path)
        entry = {"method": self.command, "path": path, "query": query, "route": route, "target": target,
                 "body": _redact(body), "time": time.time(), "fault": None,
                 "authorization": bool(self.headers.get("Authorization")),
                 "client_request_id": self.headers.get("x-ms-client-request-id"),
                 "user_agent": self.headers.get("User-Agent", "")}
        if standin.settings.latency:
            time.sleep(standin.settings.latency)
        fault = standin._pick_fault(self.command, route, path, target)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "reset":
                entry["status"] = "reset"
                standin._record(entry)
                self._reset()
            elif fault.kind == "status":
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                code = fault.code or {429: "TooManyRequests", 500: "InternalServerError",
                                      503: "ServiceUnavailable"}.get(fault.status, f"HTTP{fault.status}")
                message = fault.message or {
                    429: "The request is being throttled as the limit has been reached for operation type.",
                    500: "An unexpected error occurred while processing the request.",
                    503: "The service is temporarily unavailable. Please retry later."}.get(fault.status, code)
                entry["status"] = fault.status
                standin._record(entry)
                return self._send(_arm_error(fault.status, code, message, headers))
            elif fault.kind == "body":
                entry["status"] = fault.status
                standin._record(entry)
                return self._send(_Response(fault.status, raw=fault.body, content_type=fault.content_type))
        try:
            response = standin.handle(self.command, path, query, self.headers, body, fault)
        except ArmError as ex:
            response = _arm_error(ex.status, ex.code, ex.message, ex.headers)
        except Exception as ex:  # a stand-in bug must show up as a readable 500, not a hang
            response = _arm_error(500, "StandInError", f"{type(ex).__name__}: {ex}")
        entry["status"] = response.status
        standin._record(entry)
        if fault is not None and fault.kind == "reset_after":
            entry["status"] = f"reset after {response.status}"
            self._reset()
        self._send(response)

    def _send(self, response):
        payload = response.payload()
        self.send_response(response.status, _REASONS.get(response.status))
        request_id = str(uuid.uuid4())
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", request_id)
        self.send_header("Cache-Control", "no-cache")
        if payload or response.status not in (204,):
            self.send_header("Content-Type", response.content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


def _parse_body(raw, content_type):
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except ValueError:
        return text


def _redact(body):
    if isinstance(body, dict) and "client_secret" in body:
        return {**body, "client_secret": "REDACTED"}
    return body
