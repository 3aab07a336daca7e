"""A loopback HTTPS stand-in for Azure Resource Manager and the token endpoint of a test cloud.

Test-only. It behaves like the real services as described in shared/reference/arm-api.md:

* identity bindings: list (paged by nextLink/$skipToken), get, PUT -> 201 + Azure-AsyncOperation
  (status InProgress ... Succeeded, then the client GETs the resource), an unchanged PUT -> 200,
  DELETE -> 202 + Location (202 ... 204), DELETE of a missing binding -> 204;
* subscriptions: any number (a Cloud of Worlds, tenant-wide list paged), each with its own resources;
  a binding may bind an identity of another subscription;
* managed clusters: get; list per resource group and per subscription (paged), and Azure Resource
  Graph's cluster query across subscriptions (arg_routes.py: $skipToken pages, the user quota
  headers and 429, a 403 switch);
* ARM's read throttling, a token bucket per subscription (throttle.py; off unless
  `read_throttling`): 429 + Retry-After when empty, `x-ms-ratelimit-remaining-subscription-reads`
  (every GET: clusters, bindings, identities, credentials); writes and deletes have their own buckets
  (`write_throttling`);
* user-assigned identities: get, list per subscription and per resource group (paged); their federated
  identity credentials (arm-api.md §6, all synchronous): list (paged by nextLink/$skipToken,
  settings.fic_page_size), get (404 CloudError), PUT (201 created / 200 replaced, with the name pattern,
  the 20-per-identity limit and issuer+subject uniqueness), DELETE (200, or 204 if absent), including
  the `aks-identity-binding` credential AKS creates with an identity's first binding and leaves in
  place after its last one, until the credential itself is deleted (cleanup-fic);
* clusters with `oidcIssuerProfile {enabled, issuerURL}`, `securityProfile.workloadIdentity.enabled`
  and `apiServerAccessProfile.enableVnetIntegration`, and Resource Graph rows of clusters and of
  user-assigned identities; the seeded worlds of `migrate` are in scenarios.py;
* ARM error bodies ({"error": {"code", "message"}}), 401 without a valid bearer token, 400 for an
  unknown api-version, 404 ResourceGroupNotFound / ResourceNotFound as the live service words them;
* the cloud metadata (`/metadata/endpoints`), the OpenID configuration and the OAuth2 token
  endpoint of a test tenant, Entra-ID shaped (`/<tenant>/v2.0/...`) and AD FS shaped (`/adfs/...`,
  as on Azure Stack Hub), so that `az cloud register` and `az login --service-principal` work
  against it with a client secret that exists only here (see azcli.py for how az is set up).

Per-request latency and fault injection (`Fault`) are configurable, per route/path/method and
count; `after()` changes the world right after a given request (e.g. a credential edited between a
command's list and its delete). Every request is recorded (`StandIn.requests()`) so tests can assert what was sent.

It listens on 127.0.0.1 only, on a free port, with a certificate from a CA made at start-up
(clients trust it through REQUESTS_CA_BUNDLE), and stops by itself after `lifetime` seconds.
Standard library only, plus `cryptography` (shipped with azure-cli) for the certificate.

This module is StandIn itself (life cycle, test API, routing, auth, the admin API). The rest, by
concern: world.py (the resources), faults.py (Fault, Settings), login.py, arm_routes.py and
arg_routes.py (the routes, as mixins of StandIn), throttle.py (ARM's read buckets), response.py (an
answer and the ARM error shape), httpd.py (the server and handler), certs.py (the CA and certificate).
"""
import base64
import copy
import hashlib
import hmac
import re
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote

from . import scenarios
from .arg_routes import ArgRoutes, UserQuota
from .arm_routes import BINDINGS_API_VERSIONS, OPERATION_API_VERSION, ArmRoutes
from .certs import make_certificates
from .faults import FAULT_KINDS, Fault, Settings
from .httpd import _Handler, _Server
from .login import AUDIENCE, CLOUD_NAME, SP_CLIENT_ID, LoginRoutes
from .response import _Response
from .throttle import ReadBuckets
from .world import AKS_FIC_NAME, LOCATION, SUBSCRIPTION, TENANT, _MI, _RP, ArmError, Cloud, World, subscription_id

# The names users import from here, wherever they are defined now.
__all__ = ["AKS_FIC_NAME", "AUDIENCE", "BINDINGS_API_VERSIONS", "CLOUD_NAME", "FAULT_KINDS", "LOCATION",
           "OPERATION_API_VERSION", "SP_CLIENT_ID", "SUBSCRIPTION", "TENANT", "Cloud", "Fault", "Settings", "StandIn",
           "World", "subscription_id"]

# Routes: (name, regex over the path with the query removed). Matching is case-insensitive like ARM.
_SEG = r"([^/]+)"
_ROUTES = [
    ("metadata", r"/metadata/endpoints"),
    ("oidc", rf"/{_SEG}/v2\.0/\.well-known/openid-configuration"),   # Entra ID shaped: /<tenant>/v2.0/...
    ("token", rf"/{_SEG}/oauth2/v2\.0/token"),
    ("oidc", r"/(adfs)/\.well-known/openid-configuration"),              # AD FS shaped (Azure Stack Hub)
    ("token", r"/(adfs)/oauth2/token"),
    ("subscriptions", r"/subscriptions"),
    ("arg", r"/providers/Microsoft\.ResourceGraph/resources"),
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
    ("identities_sub", rf"/subscriptions/{_SEG}/providers/{_MI}/userAssignedIdentities"),
    ("identities", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities"),
    ("identity", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities/{_SEG}"),
    ("fics", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities/{_SEG}"
             r"/federatedIdentityCredentials"),
    ("fic", rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}/providers/{_MI}/userAssignedIdentities/{_SEG}"
            rf"/federatedIdentityCredentials/{_SEG}"),
]
_ROUTES = [(name, re.compile(f"^{pattern}/?$", re.IGNORECASE)) for name, pattern in _ROUTES]
_ARM_ROUTES_WITHOUT_AUTH = {"metadata", "oidc", "token"}


class StandIn(LoginRoutes, ArmRoutes, ArgRoutes):
    """The stand-in server. Use as a context manager, or start()/stop().

    `url` is the ARM endpoint (`https://127.0.0.1:<port>`), `ca_path` the CA to trust, and
    `sp_secret` the client secret of the test service principal `SP_CLIENT_ID`.
    """

    def __init__(self, lifetime=600.0, state_dir=None, seed=True, login_style="adfs", **settings):
        self._initial_settings = dict(settings)
        self.settings = Settings()
        self.settings.update(**settings)
        self._new_cloud(seed)
        self.lifetime = lifetime
        self.login_style = login_style  # what /metadata/endpoints advertises: "adfs" or "aad"
        self.sp_secret = "standin-" + secrets.token_urlsafe(24)
        self.admin_key = secrets.token_urlsafe(16)
        self._sign_key = secrets.token_bytes(16)
        self._tokens = {}
        self._faults = []
        self._hooks = []
        self._requests = []
        self.cluster_settings = {}  # (rg, cluster) lower-case -> {"put_lro_headers": ..., ...}
        self._lock = threading.RLock()
        self.read_buckets = ReadBuckets(self.settings)
        self.arg_quota = UserQuota()
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
            self._hooks.clear()

    def after(self, route, action, method="GET", path=None, times=1):
        """Change the world right after a request: `action(standin)` runs once each of the next `times`
        requests of `route` (and `method`, and `path` a regex searched in the path, case-insensitive)
        has been answered successfully (2xx), under the stand-in's lock. So a test makes "someone
        edits the credential between the command's list and its delete" happen at exactly that point.
        Cleared with the faults."""
        hook = {"route": route, "method": method.upper(), "path": path, "times": times, "action": action, "hits": 0}
        with self._lock:
            self._hooks.append(hook)
        return hook

    def _run_hooks(self, method, route, path, status):
        if not 200 <= status < 300:
            return
        for hook in list(self._hooks):
            if hook["route"] != route or hook["method"] not in ("*", method):
                continue
            if hook["path"] and not re.search(hook["path"], path, re.IGNORECASE):
                continue
            if hook["times"] is not None and hook["hits"] >= hook["times"]:
                continue
            hook["hits"] += 1
            hook["action"](self)

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

    def binding(self, resource_group, cluster, name, subscription=SUBSCRIPTION):
        """The stored binding (a copy) or None, after finishing any operation that is due."""
        with self._lock:
            self.cloud.advance(self.settings)
            world = self.cloud.world(subscription)
            found = world.bindings.get((resource_group.lower(), cluster.lower()), {}).get(name.lower())
            return copy.deepcopy(found)

    def _new_cloud(self, seed):
        """A Cloud with the default subscription (`world`, seeded with the playback placeholders if seed)."""
        self.cloud = Cloud()
        self.world = self.cloud.add_subscription(SUBSCRIPTION)
        if seed:
            self.world.seed_default()

    def reset(self, seed=True):
        """Back to the start: resources, faults, requests, settings, read buckets and the ARG quota
        (tokens stay valid)."""
        with self._lock:
            self._new_cloud(seed)
            self._faults.clear()
            self._hooks.clear()
            self._requests.clear()
            self.cluster_settings.clear()
            self.settings = Settings()
            self.settings.update(**self._initial_settings)
            self.read_buckets = ReadBuckets(self.settings)
            self.arg_quota = UserQuota()

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
                op = self.cloud.operation(path.rstrip("/").rsplit("/", 1)[-1])
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
        base = f"{self.url}/subscriptions/{op.subscription}/providers/{_RP}/locations/{LOCATION}"
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
            self.cloud.advance(self.settings)
            response = handler(method, args, query, body, fault)
            if self._hooks:
                self._run_hooks(method, route, path, response.status)
            return response

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
            # {"fleet": N, "groups": G, "subscriptions": S, "bindings": [{..., "subscription": id?}]}:
            # N clusters over S subscriptions (the default one and subscription_id(1..S-1)).
            with self._lock:
                body = body or {}
                if int(body.get("subscriptions", 1)) > 1:
                    self.cloud.ensure_subscriptions(int(body["subscriptions"]))
                if body.get("fleet"):
                    self.cloud.seed_fleet(int(body["fleet"]), int(body.get("groups", 5)),
                                          subscriptions=int(body.get("subscriptions", 1)))
                for item in body.get("bindings", []):
                    item = dict(item)
                    self.cloud.world(item.pop("subscription", SUBSCRIPTION)).add_binding(**item)
                # the migrate worlds (scenarios.py): {"audit_scale": {identities, fics, subscriptions}},
                # {"plan_scale": {clusters, fics, subscriptions}}, {"migration": true}
                extra = {}
                if body.get("audit_scale") is not None:
                    extra["fics"] = scenarios.seed_audit_scale(self.cloud, **body["audit_scale"])
                if body.get("plan_scale") is not None:
                    extra["identity"] = scenarios.seed_plan_scale(self.cloud, **body["plan_scale"])
                if body.get("migration"):
                    extra["identity"] = scenarios.seed_migration(self.cloud).identity
                return _Response(200, {"clusters": sum(len(w.clusters) for w in self.cloud.worlds.values()),
                                       "identities": sum(len(w.identities) for w in self.cloud.worlds.values()),
                                       "subscriptions": list(self.cloud.worlds), **extra})
        if path == "/_standin/buckets":
            # GET: each subscription's remaining reads and 429 count; DELETE: every bucket full again.
            if method == "DELETE":
                self.read_buckets.refill_all()
            return _Response(200, self.read_buckets.stats())
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
