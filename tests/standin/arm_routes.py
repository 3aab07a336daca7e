"""The ARM routes of StandIn: managed clusters, identity bindings (with their long-running
operations), identities and federated identity credentials, as arm-api.md describes the service.
Each request is answered from the World of the subscription in its path (StandIn.cloud)."""
import base64
import copy
import re
from urllib.parse import quote

from .response import _Response
from .world import ArmError, LOCATION, _MI, Operation, _RP


# api-versions the service accepts for identity bindings (arm-api.md §1); anything else is a 400.
BINDINGS_API_VERSIONS = frozenset([
    "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01",
    "2025-06-02-preview", "2025-07-02-preview", "2025-08-02-preview", "2025-09-02-preview",
    "2025-10-02-preview", "2026-01-02-preview", "2026-02-02-preview", "2026-03-02-preview",
    "2026-04-02-preview", "2026-05-02-preview", "2026-06-02-preview", "2026-07-02-preview",
    "2026-08-02-preview",
])
# managed clusters' GA versions from before identity bindings (a lagging region still offers these)
OLDER_CLUSTERS_API_VERSIONS = ("2025-10-01", "2026-01-01", "2026-02-01", "2026-03-01")
OPERATION_API_VERSION = "2016-03-30"
_API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
# Federated identity credentials (arm-api.md §6): the name pattern, and at most 20 per identity.
_FIC_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$")
FIC_LIMIT = 20


class ArmRoutes:
    """The ARM routes of StandIn (a mixin: it reads the StandIn's cloud, settings and locks)."""

    def _only(self, method, *allowed):
        if method not in allowed:
            raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method "
                                                    f"'{method}'.")

    def _check_subscription(self, sub):
        """The World of subscription `sub`."""
        world = self.cloud.world(sub)
        if world is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        return world

    def _check_group(self, sub, rg):
        world = self._check_subscription(sub)
        if rg.lower() not in world.groups:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        return world

    def _check_cluster(self, sub, rg, cluster):
        world = self._check_group(sub, rg)
        if (rg.lower(), cluster.lower()) not in world.clusters:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{_RP}/managedClusters/{cluster}' under "
                                                    f"resource group '{rg}' was not found. For more details "
                                                    f"please go to https://aka.ms/ARMResourceNotFoundFix")
        return world

    def _check_bindings_api_version(self, query):
        offered = self.settings.offered_api_versions
        self._check_offered(query, "managedClusters/identityBindings",
                            BINDINGS_API_VERSIONS if offered is None else frozenset(offered))

    def _check_clusters_api_version(self, query):
        self._check_api_version(query)
        offered = self.settings.offered_api_versions
        if offered is not None:
            ga = {v for v in offered if not v.endswith("-preview")}
            self._check_offered(query, "managedClusters", frozenset(ga | set(OLDER_CLUSTERS_API_VERSIONS)))

    @staticmethod
    def _check_offered(query, resource_type, offered):
        version = query["api-version"]
        if version not in offered:
            raise ArmError(400, "NoRegisteredProviderFound",
                           f"No registered resource provider found for location '{LOCATION}' and API version "
                           f"'{version}' for type '{resource_type}'. The supported api-versions "
                           f"are '{', '.join(sorted(offered))}'. The supported locations are '{LOCATION}'.")

    def _check_api_version(self, query):
        if not _API_VERSION_RE.match(query["api-version"]):
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{query['api-version']}' is invalid.")

    def _page(self, items, query, path, size=None):
        """One page of `items` and the nextLink to the rest (ARM style, $skipToken). The page holds
        `$top` items if the client asked, else `size` (a route's own), else settings.page_size."""
        token = query.get("$skipToken") or query.get("$skiptoken")
        try:
            start = int(base64.b64decode(token).decode()) if token else 0
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.") from None
        if "$top" in query:
            size = max(1, int(query["$top"]))
        else:
            size = max(1, int(size or self.settings.page_size))
        page = {"value": [copy.deepcopy(i) for i in items[start:start + size]]}
        if start + size < len(items):
            skip = quote(base64.b64encode(str(start + size).encode()).decode(), safe="")
            page["nextLink"] = f"{self.url}{path}?api-version={query['api-version']}&$skipToken={skip}"
        return _Response(200, page)

    # -- ARM: clusters ----------------------------------------------------------------------------

    def _do_cluster(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_clusters_api_version(query)
        sub, rg, name = args
        world = self._check_cluster(sub, rg, name)
        return _Response(200, copy.deepcopy(world.clusters[(rg.lower(), name.lower())]))

    def _do_clusters(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_clusters_api_version(query)
        sub, rg = args
        world = self._check_group(sub, rg)
        items = [c for (g, _), c in sorted(world.clusters.items()) if g == rg.lower()]
        return self._page(items, query, f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_RP}/managedClusters")

    def _do_clusters_sub(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_clusters_api_version(query)
        (sub,) = args
        world = self._check_subscription(sub)
        items = [c for _, c in sorted(world.clusters.items())]
        return self._page(items, query, f"/subscriptions/{sub}/providers/{_RP}/managedClusters")

    # -- ARM: identity bindings -------------------------------------------------------------------

    def _do_bindings(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_bindings_api_version(query)
        sub, rg, cluster = args
        world = self._check_cluster(sub, rg, cluster)
        items = [b for _, b in sorted(world.bindings[(rg.lower(), cluster.lower())].items())]
        return self._page(items, query, f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_RP}/managedClusters/"
                                        f"{cluster}/identityBindings")

    def _do_binding(self, method, args, query, body, fault):
        self._only(method, "GET", "PUT", "DELETE")
        self._check_bindings_api_version(query)
        sub, rg, cluster, name = args
        world = self._check_cluster(sub, rg, cluster)
        bindings = world.bindings[(rg.lower(), cluster.lower())]
        existing = bindings.get(name.lower())
        if method == "GET":
            if existing is None:
                raise ArmError(404, "ResourceNotFound", f"The Resource '{_RP}/managedClusters/{cluster}/"
                                                        f"identityBindings/{name}' under resource group '{rg}' was "
                                                        f"not found. For more details please go to "
                                                        f"https://aka.ms/ARMResourceNotFoundFix")
            return _Response(200, copy.deepcopy(existing))
        if method == "PUT":
            return self._put_binding(world, rg, cluster, name, existing, body, fault)
        return self._delete_binding(world, rg, cluster, name, existing, fault)

    def _new_operation(self, world, kind, key, fault):
        rg, cluster, name = key
        path = (f"/subscriptions/{world.subscription}/resourceGroups/{rg}/providers/{_RP}/managedClusters/"
                f"{cluster}/identityBindings/{name}")
        if fault is not None and fault.kind == "lro_fail":
            outcome = fault.status if fault.status in ("Failed", "Canceled") else "Failed"
            error = {"code": fault.code or "InternalOperationError",
                     "message": fault.message or "The operation failed."}
            op = Operation(kind, key, path, outcome, error)
        else:
            op = Operation(kind, key, path)
        world.operations[op.id] = op
        return op

    def _put_binding(self, world, rg, cluster, name, existing, body, fault):
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                         "deserialized: the body must be a JSON object.")
        identity_id = ((body.get("properties") or {}).get("managedIdentity") or {}).get("resourceId")
        if not identity_id:
            raise ArmError(400, "InvalidParameter", "Required parameter 'properties.managedIdentity.resourceId' "
                                                    "is missing (null).")
        identity = world.identity_by_id(identity_id)
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
            existing["eTag"] = world.next_etag()
            op = self._new_operation(world, "create", key, fault)
            return _Response(200, copy.deepcopy(existing),
                             self._lro_headers(op, self._lro_style(rg, cluster, "put_lro_headers")))
        binding = world._binding_resource(rg, cluster, name, identity_id, identity, "Creating")
        world.bindings[(rg.lower(), cluster.lower())][name.lower()] = binding
        op = self._new_operation(world, "create", key, fault)
        return _Response(201, copy.deepcopy(binding),
                         self._lro_headers(op, self._lro_style(rg, cluster, "put_lro_headers")))

    def _delete_binding(self, world, rg, cluster, name, existing, fault):
        if existing is None:
            return _Response(204)
        state = existing["properties"]["provisioningState"]
        if state in ("Creating", "Updating"):
            raise ArmError(409, "OperationNotAllowed", f"Operation is not allowed: identity binding '{name}' is in "
                                                       f"provisioning state '{state}'.")
        existing["properties"]["provisioningState"] = "Deleting"
        existing["eTag"] = world.next_etag()
        op = self._new_operation(world, "delete", (rg.lower(), cluster.lower(), name.lower()), fault)
        return _Response(202, copy.deepcopy(existing),
                         self._lro_headers(op, self._lro_style(rg, cluster, "delete_lro_headers")))

    def _operation(self, args, query):
        sub, _location, op_id = args
        world = self._check_subscription(sub)
        op = world.operations.get(op_id.lower())
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        if query.get("s") != self._sign(op.id) or query.get("api-version") != OPERATION_API_VERSION:
            raise ArmError(401, "InvalidOperationSignature",
                           "The operation URL was changed: use it exactly as returned by the service.")
        return world, op

    def _do_operation(self, method, args, query, body, fault):
        self._only(method, "GET")
        world, op = self._operation(args, query)
        op.polls += 1
        world.advance(self.settings)
        status = {"id": f"/subscriptions/{world.subscription}/providers/{_RP}/locations/{LOCATION}/"
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
        world, op = self._operation(args, query)
        op.polls += 1
        world.advance(self.settings)
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
        return _Response(200, copy.deepcopy(world.bindings[(rg, cluster)][name]))

    # -- ARM: identities and federated identity credentials -------------------------------------

    def _identity_key(self, sub, rg, name):
        """(World, key) of an identity."""
        world = self._check_group(sub, rg)
        key = (rg.lower(), name.lower())
        if key not in world.identities:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{_MI}/userAssignedIdentities/{name}' under "
                                                    f"resource group '{rg}' was not found. For more details please "
                                                    f"go to https://aka.ms/ARMResourceNotFoundFix")
        return world, key

    def _do_identity(self, method, args, query, body, fault):
        self._only(method, "GET")
        self._check_api_version(query)
        world, key = self._identity_key(*args)
        return _Response(200, copy.deepcopy(world.identities[key]))

    def _do_identities(self, method, args, query, body, fault):
        """UserAssignedIdentities_ListByResourceGroup (paged)."""
        self._only(method, "GET")
        self._check_api_version(query)
        sub, rg = args
        world = self._check_group(sub, rg)
        items = [i for (g, _), i in sorted(world.identities.items()) if g == rg.lower()]
        return self._page(items, query, f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_MI}/"
                                        "userAssignedIdentities")

    def _do_identities_sub(self, method, args, query, body, fault):
        """UserAssignedIdentities_ListBySubscription (paged)."""
        self._only(method, "GET")
        self._check_api_version(query)
        (sub,) = args
        world = self._check_subscription(sub)
        items = [i for _, i in sorted(world.identities.items())]
        return self._page(items, query, f"/subscriptions/{sub}/providers/{_MI}/userAssignedIdentities")

    def _do_fics(self, method, args, query, body, fault):
        """FederatedIdentityCredentials_List: paged by nextLink with $skipToken (page size:
        settings.fic_page_size, else page_size; `$top` when the client sends it)."""
        self._only(method, "GET")
        self._check_api_version(query)
        sub, rg, name = args
        world, key = self._identity_key(sub, rg, name)
        items = [f for _, f in sorted(world.fics[key].items())]
        return self._page(items, query, self._fics_path(sub, rg, name), size=self.settings.fic_page_size)

    @staticmethod
    def _fics_path(sub, rg, name):
        return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{_MI}/userAssignedIdentities/{name}/" \
               "federatedIdentityCredentials"

    def _do_fic(self, method, args, query, body, fault):
        """FederatedIdentityCredentials_Get / _CreateOrUpdate / _Delete: all synchronous (arm-api.md §6)."""
        self._only(method, "GET", "PUT", "DELETE")
        self._check_api_version(query)
        sub, rg, identity, name = args
        world, key = self._identity_key(sub, rg, identity)
        fics = world.fics[key]
        if method == "DELETE":  # synchronous: 200 if it existed, 204 if not
            return _Response(200 if fics.pop(name.lower(), None) else 204)
        if method == "PUT":
            return self._put_fic(world, rg, identity, name, fics, body)
        if name.lower() not in fics:
            raise ArmError(404, "NotFound", f"Federated identity credential '{name}' was not found.")
        return _Response(200, copy.deepcopy(fics[name.lower()]))

    def _put_fic(self, world, rg, identity, name, fics, body):
        """Create (201) or replace (200) a credential, with the service's checks: the name pattern,
        issuer/subject/audiences present (stable api-versions), one audience, at most FIC_LIMIT per
        identity, issuer+subject unique. (The error codes and wording of the last three are not
        documented: arm-api.md §6 gives the rules only; these are the stand-in's.)"""
        if not _FIC_NAME.match(name):
            raise ArmError(400, "InvalidResourceName", f"The resource name '{name[:200]}' is invalid. It must match "
                                                       f"'{_FIC_NAME.pattern}'.")
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                         "deserialized: 'properties' must be an object.")
        issuer, subject, audiences = props.get("issuer"), props.get("subject"), props.get("audiences")
        for field, value in (("issuer", issuer), ("subject", subject)):
            if not isinstance(value, str) or not value:
                raise ArmError(400, "BadRequest", f"Required property '{field}' is missing or not a string.")
        if not issuer.startswith("https://") or len(issuer) > 600:
            raise ArmError(400, "BadRequest", "The issuer must be an https URL of at most 600 characters.")
        if not (isinstance(audiences, list) and len(audiences) == 1 and isinstance(audiences[0], str)):
            raise ArmError(400, "BadRequest", "Exactly one audience is supported in 'audiences'.")
        existing = fics.get(name.lower())
        for other_name, other in fics.items():
            if other_name != name.lower() and (other["properties"]["issuer"], other["properties"]["subject"]) == \
                    (issuer, subject):
                raise ArmError(409, "Conflict", f"A federated identity credential with the same issuer and subject "
                                                f"already exists: '{other['name']}'.")
        if existing is None and len(fics) >= FIC_LIMIT:
            raise ArmError(400, "BadRequest", f"The user-assigned identity '{identity}' already has the maximum "
                                              f"of {FIC_LIMIT} federated identity credentials.")
        stored = world.add_fic(rg, identity, existing["name"] if existing else name, issuer, subject, audiences)
        return _Response(200 if existing else 201, copy.deepcopy(stored))
