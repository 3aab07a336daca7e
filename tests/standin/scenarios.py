"""Seeded worlds for `az aks identity-binding migrate` (issue 18; facts in shared/reference/migration.md):
plain workload identity as users run it today, with the credentials a migration must sort.

`seed_migration(cloud)` is the story of the issue: one shared identity holding 18 of its 20 federated
identity credentials (FICs) over 4 clusters in 2 subscriptions, one binding already made, and next to
the workload FICs the ones a migration must not touch or must report: a trailing-slash issuer and a
case-changed issuer (never matched a token), a deleted cluster's issuer, a GitHub Actions FIC, an EKS
FIC and `aks-identity-binding`. It returns a Migration: what a correct `plan` says about it, worked
out here from the seed, not from any command's output, so a test can compare the two.

`seed_audit(cloud)` adds identities in a third subscription (full, small, empty) for `migrate audit`;
`seed_audit_scale` and `seed_plan_scale` are the benchmark's worlds. No HTTP here.
"""
from .world import AKS_FIC_NAME, SUBSCRIPTION, _guid, subscription_id

FIC_LIMIT = 20
NEAR_FULL = 16
AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
EKS_ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/B6D5C2A94F0E4C1D8E7A3F5B9C0D1E2F"
IDENTITY_RG = "wi-rg"
IDENTITY_NAME = "shared-wi"


def subject(namespace, account):
    return f"system:serviceaccount:{namespace}:{account}"


def identity_id(subscription, resource_group, name):
    """An identity's id as a user types it (resourceGroups); the stand-in stores `resourcegroups`."""
    return (f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}")


def deleted_issuer(tenant, name="aks-retired", location="eastus"):
    """The issuer a deleted cluster had: AKS-shaped, but no visible cluster reports it."""
    return f"https://{location}.oic.prod-aks.azure.com/{tenant}/{_guid('deleted-cluster', name)}/"


class PlannedCluster:
    """A cluster of the plan: its ARM id, the workload FICs a binding replaces there, and the service
    accounts ("NS/SA") to authorize."""

    def __init__(self, world, resource_group, name, binding=None):
        self.subscription, self.resource_group, self.name = world.subscription, resource_group, name
        self.id = world.clusters[(resource_group.lower(), name.lower())]["id"]
        self.issuer = world.issuer_of(resource_group, name)
        self.binding = binding          # the name of the binding of the identity that exists, or None
        self.replaces, self.service_accounts = [], []


class Migration:
    """What `plan` must find in the seeded world."""

    def __init__(self, identity):
        self.identity = identity        # the identity's id (resourceGroups, as users write it)
        self.clusters = []              # [PlannedCluster]
        self.never_worked = []          # names of FICs whose issuer is a cluster's but for "/" or case
        self.deleted = []               # names of FICs with an AKS issuer no visible cluster has
        self.other = []                 # names of non-AKS FICs (GitHub, EKS)
        self.used = 0

    @property
    def replaced(self):
        return sorted(n for c in self.clusters for n in c.replaces)

    @property
    def after(self):
        """FICs after the migration: every FIC but the replaced ones, plus `aks-identity-binding` if it
        is not there yet (AKS creates it with the first binding; one for every binding of the identity)."""
        has_aks_fic = any(c.binding for c in self.clusters)
        return self.used - len(self.replaced) + (0 if has_aks_fic else 1)

    def cluster(self, name):
        return next(c for c in self.clusters if c.name == name)


def _workloads(world, identity, planned, accounts, prefix):
    for namespace, account in accounts:
        name = f"{prefix}-{namespace}-{account}"
        world_of_identity, rg, identity_name = identity
        world_of_identity.add_fic(rg, identity_name, name, planned.issuer, subject(namespace, account))
        planned.replaces.append(name)
        planned.service_accounts.append(f"{namespace}/{account}")
    planned.replaces.sort()
    planned.service_accounts.sort()


def seed_migration(cloud, not_ready=None):
    """The issue's identity: 18/20 FICs over 4 clusters in 2 subscriptions (the default one and
    subscription_id(1)); a binding exists on the third cluster. `not_ready`: a cluster name whose API
    server gets VNet integration (identity bindings unsupported: plan says not ready, apply skips it).
    Returns the Migration a correct plan describes."""
    home, second = cloud.ensure_subscriptions(2)[:2]
    tenant = home.tenant
    home.add_identity(IDENTITY_RG, IDENTITY_NAME)
    migration = Migration(identity_id(home.subscription, IDENTITY_RG, IDENTITY_NAME))
    owner = (home, IDENTITY_RG, IDENTITY_NAME)

    layout = [  # (world, group, cluster, location, service accounts)
        (home, "apps-rg", "aks-prod-east", "eastus",
         [("payments", "api"), ("payments", "worker"), ("orders", "api"), ("web", "frontend")]),
        (home, "apps-rg", "aks-prod-west", "westus2", [("payments", "api"), ("orders", "api"), ("batch", "runner")]),
        (second, "apps-rg", "aks-stage", "eastus", [("payments", "api"), ("orders", "api"), ("web", "frontend")]),
        (second, "tools-rg", "aks-tools", "northeurope", [("ci", "builder"), ("monitoring", "exporter")]),
    ]
    for world, group, name, location, accounts in layout:
        world.add_cluster(group, name, location, vnet_integration=(name == not_ready))
        planned = PlannedCluster(world, group, name)
        _workloads(world, owner, planned, accounts, name.replace("aks-", ""))
        migration.clusters.append(planned)
    # one binding exists already (AKS then made aks-identity-binding on the identity)
    stage = migration.cluster("aks-stage")
    second.add_binding("apps-rg", "aks-stage", "sharedwi", migration.identity)
    stage.binding = "sharedwi"
    # a cluster with no FIC of this identity (and API server VNet integration): not in the plan
    second.add_cluster("apps-rg", "aks-unrelated", "eastus", vnet_integration=True)

    east, west = migration.cluster("aks-prod-east"), migration.cluster("aks-prod-west")
    home.add_fic(IDENTITY_RG, IDENTITY_NAME, "prod-east-payments-reports", east.issuer.rstrip("/"),
                 subject("payments", "reports"))
    cased = west.issuer.replace(west.issuer.split("/")[-2], west.issuer.split("/")[-2].upper())
    home.add_fic(IDENTITY_RG, IDENTITY_NAME, "prod-west-orders-audit", cased, subject("orders", "audit"))
    migration.never_worked = ["prod-east-payments-reports", "prod-west-orders-audit"]
    home.add_fic(IDENTITY_RG, IDENTITY_NAME, "retired-payments-api", deleted_issuer(tenant), subject("payments", "api"))
    migration.deleted = ["retired-payments-api"]
    home.add_fic(IDENTITY_RG, IDENTITY_NAME, "github-deploy", GITHUB_ISSUER, "repo:contoso/payments:environment:prod")
    home.add_fic(IDENTITY_RG, IDENTITY_NAME, "eks-payments-api", EKS_ISSUER, subject("payments", "api"))
    migration.other = ["eks-payments-api", "github-deploy"]
    migration.used = len(home.fics[(IDENTITY_RG, IDENTITY_NAME)])
    assert migration.used == 18 and AKS_FIC_NAME in home.fics[(IDENTITY_RG, IDENTITY_NAME)], migration.used
    return migration


class AuditRow:
    """What `audit` must say of one identity."""

    def __init__(self, identity, used, workload, clusters, bindings, never_worked):
        self.identity, self.used, self.workload, self.clusters = identity, used, workload, clusters
        self.bindings, self.never_worked = bindings, never_worked

    @property
    def status(self):
        return "full" if self.used >= FIC_LIMIT else "near-full" if self.used >= NEAR_FULL else "ok"


def seed_audit(cloud, not_ready=None):
    """seed_migration plus a third subscription: `full-wi` (20 workload FICs on 2 clusters, in the
    second subscription's identity group), `small-wi` (a GitHub FIC and one workload) and `empty-wi`
    (none). Returns (Migration, {identity id lower-case: AuditRow})."""
    migration = seed_migration(cloud, not_ready)
    _, second, third = cloud.ensure_subscriptions(3)[:3]
    rows = {migration.identity.lower(): AuditRow(migration.identity, 18, 12, 4, 1, 2)}

    second.add_identity("team-rg", "full-wi")
    full = identity_id(second.subscription, "team-rg", "full-wi")
    tools = second.issuer_of("tools-rg", "aks-tools")
    stage = second.issuer_of("apps-rg", "aks-stage")
    for i in range(FIC_LIMIT):
        second.add_fic("team-rg", "full-wi", f"team-{i:02d}", tools if i % 2 else stage, subject(f"team{i}", "app"))
    rows[full.lower()] = AuditRow(full, 20, 20, 2, 0, 0)

    third.add_cluster("ops-rg", "aks-ops", "westeurope")
    third.add_identity("ops-rg", "small-wi")
    small = identity_id(third.subscription, "ops-rg", "small-wi")
    third.add_fic("ops-rg", "small-wi", "ops-github", GITHUB_ISSUER, "repo:contoso/ops:ref:refs/heads/main")
    third.add_fic("ops-rg", "small-wi", "ops-agent", third.issuer_of("ops-rg", "aks-ops"), subject("ops", "agent"))
    rows[small.lower()] = AuditRow(small, 2, 1, 1, 0, 0)

    third.add_identity("ops-rg", "empty-wi")
    empty = identity_id(third.subscription, "ops-rg", "empty-wi")
    rows[empty.lower()] = AuditRow(empty, 0, 0, 0, 0, 0)
    return migration, rows


# -- the benchmark's worlds ----------------------------------------------------------------------

def seed_audit_scale(cloud, identities=1000, fics=10, subscriptions=10, clusters_per_subscription=2):
    """`identities` identities spread over `subscriptions` subscriptions (identity i in subscription
    i % subscriptions), each with `fics` workload FICs on its subscription's clusters. Returns the
    number of FICs seeded."""
    worlds = cloud.ensure_subscriptions(subscriptions)
    issuers = []
    for k, world in enumerate(worlds):
        mine = []
        for c in range(clusters_per_subscription):
            world.add_cluster("audit-aks-rg", f"audit-s{k:02d}-c{c}")
            mine.append(world.issuer_of("audit-aks-rg", f"audit-s{k:02d}-c{c}"))
        issuers.append(mine)
    total = 0
    for i in range(identities):
        k = i % subscriptions
        world, name = worlds[k], f"audit-id{i:04d}"
        world.add_identity(f"audit-rg{i % 5}", name)
        for j in range(fics):
            world.add_fic(f"audit-rg{i % 5}", name, f"fic-{j:02d}", issuers[k][j % len(issuers[k])],
                          subject(f"ns{j}", f"sa{i}"))
            total += 1
    return total


def seed_plan_scale(cloud, clusters=2000, fics=20, subscriptions=10):
    """One identity (in the default subscription, `plan-rg/plan-wi`) with `fics` workload FICs, on
    `fics` distinct clusters among `clusters` visible ones over `subscriptions` subscriptions. Returns
    the identity's id."""
    worlds = cloud.ensure_subscriptions(subscriptions)
    for i in range(clusters):
        worlds[i % len(worlds)].add_cluster(f"plan-aks-rg{i % 5}", f"plan-cluster{i:04d}")
    home = cloud.world(SUBSCRIPTION)
    home.add_identity("plan-rg", "plan-wi")
    step = max(1, clusters // max(1, fics))
    for j in range(fics):
        i = (j * step) % clusters
        issuer = worlds[i % len(worlds)].issuer_of(f"plan-aks-rg{i % 5}", f"plan-cluster{i:04d}")
        home.add_fic("plan-rg", "plan-wi", f"plan-fic-{j:02d}", issuer, subject(f"ns{j}", "app"))
    return identity_id(SUBSCRIPTION, "plan-rg", "plan-wi")


__all__ = ["AuditRow", "Migration", "PlannedCluster", "deleted_issuer", "identity_id", "seed_audit",
           "seed_audit_scale", "seed_migration", "seed_plan_scale", "subject", "subscription_id"]
