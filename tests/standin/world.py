"""The cloud the stand-in serves: subscriptions (a Cloud of Worlds), and in each its resource groups,
clusters, identities, their federated credentials, identity bindings and long-running operations. No
HTTP here; routes read and change a World. A binding in one subscription may bind an identity of
another (as across a real tenant): a World finds the identity's World through its Cloud."""
import time
import uuid
from datetime import datetime, timezone


SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
LOCATION = "eastus2"

_RP = "Microsoft.ContainerService"
_MI = "Microsoft.ManagedIdentity"
AKS_FIC_NAME = "aks-identity-binding"


def _now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def subscription_id(number):
    """The id of the stand-in's subscription `number` (1, 2, ...); 0 is SUBSCRIPTION, the default one."""
    if number == 0:
        return SUBSCRIPTION
    return f"{number:08d}-5b5c-4000-8000-{number:012d}"


def _guid(*parts):
    """A stable GUID for a name, so ids are the same in every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "standin:" + "/".join(p.lower() for p in parts)))


class ArmError(Exception):
    """An ARM error answer; `body_extra` goes into its "error" object (e.g. Resource Graph's "details")."""

    def __init__(self, status, code, message, headers=None, body_extra=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.body_extra = body_extra or {}


class Operation:
    def __init__(self, kind, key, path, outcome="Succeeded", error=None):
        self.id = str(uuid.uuid4())
        self.kind = kind          # "create" or "delete"
        self.key = key            # (rg, cluster, name), lower-case
        self.path = path          # the binding's path as the client sent it
        self.subscription = path.strip("/").split("/")[1].lower()  # whose World holds it
        self.outcome = outcome    # "Succeeded", "Failed" or "Canceled"
        self.error = error
        self.started = time.monotonic()
        self.start_time = _now_iso()
        self.end_time = None
        self.polls = 0
        self.applied = False


class World:
    """The resources the stand-in serves. Keys are lower-case; resources keep the caller's casing."""

    def __init__(self, subscription=SUBSCRIPTION, tenant=TENANT, cloud=None, display_name="Stand-in subscription"):
        self.subscription, self.tenant = subscription.lower(), tenant
        self.cloud = cloud            # the Cloud this subscription is part of (None: alone)
        self.display_name = display_name
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

    def add_cluster(self, resource_group, name, location=LOCATION, *, oidc_issuer=True, workload_identity=True,
                    vnet_integration=False, issuer=None):
        """A managed cluster. Its OIDC issuer, as AKS reports it in `oidcIssuerProfile.issuerURL`, is
        `https://<location>.oic.prod-aks.azure.com/<tenant>/<guid>/` (with the trailing `/`), or `issuer`;
        a cluster without the issuer reports `{"enabled": false}` and no URL. `vnet_integration`: API
        server VNet integration, with which identity bindings are not supported (migration.md §3)."""
        self.add_group(resource_group)
        rid = (f"/subscriptions/{self.subscription}/resourcegroups/{resource_group}/providers/{_RP}"
               f"/managedClusters/{name}")
        oidc = {"enabled": False}
        if oidc_issuer:
            oidc = {"enabled": True,
                    "issuerURL": issuer or f"https://{location}.oic.prod-aks.azure.com/{self.tenant}/{_guid(name)}/"}
        self.clusters[(resource_group.lower(), name.lower())] = {
            "id": rid, "location": location, "name": name, "type": f"{_RP}/ManagedClusters",
            "sku": {"name": "Base", "tier": "Free"},
            "identity": {"type": "SystemAssigned", "principalId": _guid("cluster-principal", resource_group, name),
                         "tenantId": self.tenant},
            "properties": {
                "provisioningState": "Succeeded", "powerState": {"code": "Running"},
                "kubernetesVersion": "1.33.3", "currentKubernetesVersion": "1.33.3",
                "dnsPrefix": f"{name}-dns", "fqdn": f"{name}-dns-{_guid(name)[:8]}.hcp.{location}.azmk8s.io",
                "oidcIssuerProfile": oidc,
                "securityProfile": {"workloadIdentity": {"enabled": bool(workload_identity)}},
                "apiServerAccessProfile": {"enablePrivateCluster": False,
                                           "enableVnetIntegration": bool(vnet_integration)},
                "nodeResourceGroup": f"MC_{resource_group}_{name}_{location}",
            },
        }
        self.bindings.setdefault((resource_group.lower(), name.lower()), {})
        return self.clusters[(resource_group.lower(), name.lower())]

    def issuer_of(self, resource_group, name):
        """The cluster's OIDC issuer URL, exactly as it reports it (None without one)."""
        return self.clusters[(resource_group.lower(), name.lower())]["properties"]["oidcIssuerProfile"].get("issuerURL")

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
        """A federated identity credential, stored as given: no check, so that tests can seed what the
        service might hold or send (a hostile name or subject); the PUT route checks what clients send."""
        fic = {
            "id": (f"/subscriptions/{self.subscription}/resourcegroups/{resource_group}/providers/{_MI}"
                   f"/userAssignedIdentities/{identity}/federatedIdentityCredentials/{name}"),
            "name": name, "type": f"{_MI}/userAssignedIdentities/federatedIdentityCredentials",
            "properties": {"issuer": issuer, "subject": subject, "audiences": list(audiences)},
        }
        self.fics[(resource_group.lower(), identity.lower())][name.lower()] = fic
        return fic

    def fic(self, resource_group, identity, name):
        """The stored credential or None."""
        return self.fics.get((resource_group.lower(), identity.lower()), {}).get(name.lower())

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

    # -- lookups ----------------------------------------------------------------------------------

    def identity_by_id(self, identity_id):
        """The identity (in this subscription or, through the Cloud, in another one) or None."""
        parts = identity_id.strip("/").split("/")
        if len(parts) != 8 or parts[0].lower() != "subscriptions":
            return None
        home = self._world_of(parts[1])
        return home.identities.get((parts[3].lower(), parts[7].lower())) if home else None

    def _world_of(self, subscription):
        if subscription.lower() == self.subscription:
            return self
        return self.cloud.world(subscription) if self.cloud is not None else None

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
        _, sub, _, rg, _, _, _, name = identity["id"].strip("/").split("/")
        home = self._world_of(sub)  # the credential lives with the identity, wherever the binding is
        if AKS_FIC_NAME not in home.fics[(rg.lower(), name.lower())]:
            props = identity["properties"]
            # Issuer/subject of the AKS-managed credential are not documented (arm-api.md §9):
            # the per-identity issuer is used here, the subject is a placeholder.
            home.add_fic(rg, name, AKS_FIC_NAME,
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


class Cloud:
    """Every subscription of the test tenant, one World each (keys lower-case), in the order they
    were added; the first is the default SUBSCRIPTION, which `az login` picks."""

    def __init__(self, tenant=TENANT):
        self.tenant = tenant
        self.worlds = {}

    def add_subscription(self, subscription, display_name=None):
        """The World of `subscription`, made if new."""
        world = self.worlds.get(subscription.lower())
        if world is None:
            number = len(self.worlds)
            world = World(subscription, self.tenant, cloud=self,
                          display_name=display_name or ("Stand-in subscription" if number == 0
                                                        else f"Stand-in subscription {number}"))
            self.worlds[world.subscription] = world
        return world

    def world(self, subscription):
        return self.worlds.get(str(subscription).lower())

    def ensure_subscriptions(self, count):
        """At least `count` subscriptions (the default one and subscription_id(1), (2), ...); their Worlds."""
        return [self.add_subscription(subscription_id(k)) for k in range(count)]

    def seed_fleet(self, count, groups=5, prefix="fleet", subscriptions=1):
        """`count` clusters over `subscriptions` subscriptions (cluster i in subscription i % subscriptions)
        and `groups` resource groups; names are unique over the whole cloud."""
        worlds = self.ensure_subscriptions(max(1, subscriptions))
        for i in range(count):
            worlds[i % len(worlds)].add_cluster(f"{prefix}-rg{i % groups}", f"{prefix}-cluster{i:04d}")

    def clusters(self, subscriptions=None):
        """(World, cluster resource) of every cluster, by subscription then (group, name); only those of
        `subscriptions` (ids, any case) if given."""
        wanted = None if subscriptions is None else {s.lower() for s in subscriptions}
        for sub, world in self.worlds.items():
            if wanted is None or sub in wanted:
                for _, cluster in sorted(world.clusters.items()):
                    yield world, cluster

    def identities(self, subscriptions=None):
        """(World, identity resource) of every user-assigned identity, as clusters() does."""
        wanted = None if subscriptions is None else {s.lower() for s in subscriptions}
        for sub, world in self.worlds.items():
            if wanted is None or sub in wanted:
                for _, identity in sorted(world.identities.items()):
                    yield world, identity

    def operation(self, op_id):
        for world in self.worlds.values():
            op = world.operations.get(op_id.lower())
            if op is not None:
                return op
        return None

    def advance(self, settings):
        for world in self.worlds.values():
            if world.operations:
                world.advance(settings)
