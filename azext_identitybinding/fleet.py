"""Fleet scans: which clusters bind an identity, and whether its federated credential may go.

Discovery: the clusters of one subscription come from ARM's own list (one request per page, no index
lag). Over several subscriptions (`--subscription A B`, `--all-subscriptions`, the credential clean-up)
Azure Resource Graph finds them in one paged query; when Resource Graph cannot be used (forbidden,
unavailable, throttled, truncated) each subscription's clusters are listed from ARM instead. Which one
was used is said on stderr. Then the bindings of each cluster are read, concurrently with a bounded
pool, paced by each subscription's ARM read budget (pacing.py) within FLEET_TIME_LIMIT.

A cluster or subscription that cannot be read is recorded, never skipped silently: a scan with
`unreadable` or `unreadable_subscriptions` entries is an incomplete answer, and the credential
clean-up treats it as a reason to keep the credential.

Resource Graph is an index: it shows a new cluster seconds to minutes after ARM has it. That is fine
for a view, not for a destructive decision, so before the credential clean-up deletes anything, each
scanned subscription's clusters are listed from ARM itself and those the index missed are scanned too
(add_unindexed_clusters).
"""
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from knack.log import get_logger

from azext_identitybinding.constants import FIC_NAME, READABLE_SUBSCRIPTION_STATES
from azext_identitybinding.ids import part, same_resource

logger = get_logger(__name__)

# Seconds a whole scan may spend (most of it waiting for ARM's read budget: 2,000 clusters in one
# subscription need about 70 s at the documented 25 reads/s); a read not sent by then is "unreadable".
FLEET_TIME_LIMIT = 20 * 60
GRAPH_SUBSCRIPTION_BATCH = 1000  # Resource Graph takes at most 1,000 subscriptions a query
ARG = "Azure Resource Graph"
PER_SUBSCRIPTION = "per-subscription listing"
LIST_WORKERS = 8                 # subscriptions whose clusters are listed from ARM at the same time


@dataclass
class ScanResult:
    bindings: list    # ARM binding resources of the identity, sorted by id, each once
    unreadable: list  # [{"subscription", "cluster", "resourceGroup", "error"}], sorted
    clusters: int     # how many clusters were looked at
    unreadable_subscriptions: list = field(default_factory=list)  # [{"subscription", "name", "error"}]
    subscriptions: list = field(default_factory=list)             # the subscription ids scanned
    discovery: str = PER_SUBSCRIPTION
    by_cluster: dict = field(default_factory=dict)  # cluster_key(ref) -> every binding listed on it

    @property
    def cluster_keys(self):
        """cluster_key of every cluster looked at: those read, and those that could not be."""
        return set(self.by_cluster) | {f"{u['subscription']}/{u['resourceGroup']}/{u['cluster']}".lower()
                                       for u in self.unreadable}

    @property
    def complete(self):
        return not self.unreadable and not self.unreadable_subscriptions


def identity_of(binding):
    """The resource id of the identity a binding binds."""
    return ((binding.get("properties") or {}).get("managedIdentity") or {}).get("resourceId", "")


def bindings_of(bindings, identity_id):
    """The bindings (ARM resources) that bind identity_id."""
    return [b for b in bindings if same_resource(identity_of(b), identity_id)]


def visible_subscriptions(client):
    """(ids that can be scanned, [{"subscription", "name", "error"}] that cannot) of the login.

    Scannable: the states in READABLE_SUBSCRIPTION_STATES (Enabled, Warned, PastDue). A Disabled or
    Deleted subscription (or a state Azure adds later) cannot be read: it is named, never dropped."""
    from azext_identitybinding.ids import is_guid
    scannable, unreadable = [], []
    for sub in client.list_subscriptions():
        sid, name, state = (str(sub.get("subscriptionId") or ""), str(sub.get("displayName") or ""),
                            str(sub.get("state") or "unknown"))
        if not is_guid(sid):
            unreadable.append({"subscription": sid[:80], "name": name[:80],
                               "error": "Azure listed it with an id that is not a GUID; it was not scanned."})
        elif state not in READABLE_SUBSCRIPTION_STATES:
            unreadable.append({"subscription": sid.lower(), "name": name[:80],
                               "error": f"the subscription is {state[:40]}: its clusters cannot be read."})
        else:
            scannable.append(sid.lower())
    return list(dict.fromkeys(scannable)), unreadable


def _ref_of(cluster_id, subscription=None):
    from azext_identitybinding.arm import BindingRef
    return BindingRef(subscription or part(cluster_id, "subscriptions").lower(), part(cluster_id, "resourceGroups"),
                      part(cluster_id, "managedClusters"))


def _cluster_row(cluster):
    """A cluster from ARM's per-subscription list, as the fleet's Resource Graph query projects it."""
    return {"id": str(cluster.get("id") or "")} if isinstance(cluster, dict) else {"id": ""}


@dataclass
class Source:
    """Where discover() finds one kind of resource: the ArmClient methods of a Resource Graph query over
    many subscriptions (query(subscription ids) -> rows) and of ARM's list of one subscription
    (list_one(subscription, resource group) -> ARM objects, each turned into a row by row())."""

    what: str
    query: str
    list_one: str
    row: object = _cluster_row


CLUSTERS = Source("cluster", "query_clusters", "list_clusters")


def discover_rows(client, subscriptions, resource_group=None, source=None):
    """(rows, unreadable subscriptions, how they were found) of a Source in the given subscriptions:
    Resource Graph over several (falling back to ARM's list of each), ARM's list for one. Each row
    has at least "id"; rows of other subscriptions, or outside -g, are dropped."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    source = source or CLUSTERS
    query, list_one = getattr(client, source.query, None), getattr(client, source.list_one)
    wanted = set(subscriptions)

    def keep(row):  # a Resource Graph row of a wanted subscription (and of -g)
        rid = row.get("id")
        group = part(rid, "resourceGroups")
        return (part(rid, "subscriptions").lower() in wanted and bool(group) and
                (not resource_group or group.lower() == resource_group.lower()))

    if len(wanted) > 1:
        ordered = sorted(wanted)
        try:
            rows = [row for start in range(0, len(ordered), GRAPH_SUBSCRIPTION_BATCH)
                    for row in query(ordered[start:start + GRAPH_SUBSCRIPTION_BATCH])]
        except (AzCLIError, AzureError) as ex:
            logger.warning("Azure Resource Graph could not be used (%s); listing the %ss of each of the "
                           "%d subscriptions from ARM instead.", ex, source.what, len(wanted))
        else:
            rows = [r for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str) and keep(r)]
            logger.warning("Found %d %s(s) in %d subscription(s) with Azure Resource Graph.", len(rows),
                           source.what, len(wanted))
            return rows, [], ARG
    if len(wanted) == 1:  # one subscription: its errors are the command's (a missing -g is exit 3, as before)
        sub = next(iter(wanted))
        return [{**source.row(c), "subscriptionId": sub} for c in list_one(sub, resource_group)], [], \
            PER_SUBSCRIPTION
    rows, unreadable = list_each(client, subscriptions, resource_group, source)
    if len(wanted) > 1:
        logger.warning("Listed the %ss of %d subscription(s) from ARM, one subscription at a time.",
                       source.what, len(wanted))
    return rows, unreadable, PER_SUBSCRIPTION


def list_each(client, subscriptions, resource_group=None, source=None):
    """(rows, unreadable subscriptions) from ARM's own list of each subscription (all pages), the
    subscriptions listed concurrently; rows in the order of `subscriptions`."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    source = source or CLUSTERS
    list_one = getattr(client, source.list_one)

    def listed(sub):
        try:
            return [{**source.row(c), "subscriptionId": sub} for c in list_one(sub, resource_group)], None
        except (AzCLIError, AzureError) as ex:
            return [], {"subscription": sub, "name": "", "error": f"its {source.what}s could not be listed: {ex}"}

    if not subscriptions:
        return [], []
    with ThreadPoolExecutor(max_workers=min(LIST_WORKERS, len(subscriptions))) as pool:
        answers = list(pool.map(listed, subscriptions))
    return [row for rows, _ in answers for row in rows], [failed for _, failed in answers if failed]


def discover(client, subscriptions, resource_group=None):
    """(cluster refs, unreadable subscriptions, how they were found) in the given subscriptions."""
    rows, unreadable, how = discover_rows(client, subscriptions, resource_group)
    if how == ARG:
        refs = [_ref_of(str(r.get("id") or "")) for r in rows]
        return [r for r in refs if r.cluster and r.resource_group], unreadable, how
    return [_ref_of(r["id"], r["subscriptionId"]) for r in rows], unreadable, how


def interleaved(refs):
    """Round-robin over subscriptions, so that workers held by one throttled subscription leave the
    others' reads going."""
    by_sub = {}
    for ref in refs:
        by_sub.setdefault(ref.subscription_id, []).append(ref)
    queues = list(by_sub.values())
    return [q[i] for i in range(max((len(q) for q in queues), default=0)) for q in queues if i < len(q)]


def cluster_key(ref):
    """A cluster's key in a scan: subscription/group/name, case-folded (ARM compares names that way)."""
    return f"{ref.subscription_id}/{ref.resource_group}/{ref.cluster}".lower()


def scan(client, refs, identity_id, *, pacer=None, on_progress=None, preview=False):
    """Every binding of identity_id (None: of any identity) on the clusters `refs`, and the clusters that
    could not be read. `preview`: read with the preview api-version, whose bindings carry managedBy."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    from azext_identitybinding.arm.client import FLEET_WORKERS
    from azext_identitybinding.arm.errors import ApiVersionNotOffered

    unique = {}
    for ref in refs:  # each cluster once: the first spelling of its id
        unique.setdefault(cluster_key(ref), ref)
    refs = interleaved(list(unique.values()))
    found_by_id, unreadable, done, by_cluster = {}, [], 0, {}

    def read(ref):
        return ref, client.list_bindings(ref, pacer=pacer, preview=preview)

    with ThreadPoolExecutor(max_workers=max(1, min(FLEET_WORKERS, len(refs)))) as pool:
        futures = {pool.submit(read, ref): ref for ref in refs}
        for future in as_completed(futures):
            ref = futures[future]
            try:
                _, found = future.result()
            except ApiVersionNotOffered:  # the same for every cluster: one error, not one per cluster
                for pending in futures:
                    pending.cancel()
                raise
            except (AzCLIError, AzureError) as ex:
                unreadable.append({"subscription": ref.subscription_id, "cluster": ref.cluster,
                                   "resourceGroup": ref.resource_group, "error": str(ex)})
            else:
                by_cluster[cluster_key(ref)] = found
                for b in (found if identity_id is None else bindings_of(found, identity_id)):
                    found_by_id.setdefault(str(b.get("id", "")).lower(), b)  # each binding once
            done += 1
            if on_progress:
                on_progress(done, len(refs))
    bindings = sorted(found_by_id.values(), key=lambda b: b.get("id", "").lower())
    unreadable.sort(key=lambda u: (u["subscription"], u["resourceGroup"].lower(), u["cluster"].lower()))
    return ScanResult(bindings, unreadable, len(refs), by_cluster=by_cluster)


def _sleep(seconds):
    """time.sleep, looked up at each call, so that a patched sleep (the playback tests) is the one used."""
    import time
    time.sleep(seconds)


def new_pacer():
    """The pacer of one scan: every subscription's read budget, within FLEET_TIME_LIMIT."""
    import time
    from azext_identitybinding.pacing import Pacer
    return Pacer(FLEET_TIME_LIMIT, clock=time.monotonic, sleep=_sleep)


def scope_subscriptions(client, subscription_ids, also=()):
    """(subscription ids to scan, [{"subscription", "name", "error"}] that cannot be) for a scope: None
    is every subscription visible to the login, plus `also` unless it is among those that cannot be
    scanned; several given ids are checked against what the login can see."""
    unreadable_subs = []
    if subscription_ids is None:
        subscriptions, unreadable_subs = visible_subscriptions(client)
        named = {u["subscription"] for u in unreadable_subs}
        subscriptions += [s for s in dict.fromkeys(a.lower() for a in also if a) if s not in subscriptions
                          and s not in named]
    else:
        subscriptions = list(dict.fromkeys(s.lower() for s in subscription_ids))
        if len(subscriptions) > 1:
            # Resource Graph answers for a subscription the login cannot read with no rows, as for one
            # without clusters: check the given ids against what the login can see, and name the others.
            visible, unreadable_visible = visible_subscriptions(client)
            states = {u["subscription"]: u for u in unreadable_visible}
            unreadable_subs = [states.get(s) or {"subscription": s, "name": "", "error": "this login cannot see "
                                                 "the subscription (check the id, and `az account list`)."}
                               for s in subscriptions if s not in visible]
            subscriptions = [s for s in subscriptions if s in visible]
    return subscriptions, unreadable_subs


def warn_unreadable(unreadable_subs, unreadable_clusters=(), several=True, pacer=None):
    """One warning per throttled subscription, per subscription and per cluster that could not be read."""
    for sub, count in sorted((pacer.throttled() if pacer else {}).items()):
        logger.warning("ARM throttled %d read(s) in subscription '%s'; they were sent again after Retry-After.",
                       count, sub)
    for item in unreadable_subs:
        named = f" ({item['name']})" if item.get("name") else ""
        logger.warning("Could not scan subscription '%s'%s: %s", item["subscription"], named, item["error"])
    for item in unreadable_clusters:
        where = f" in subscription '{item['subscription']}'" if several else ""
        logger.warning("Could not read cluster '%s' (resource group '%s')%s: %s", item["cluster"],
                       item["resourceGroup"], where, item["error"])


def scan_subscriptions(client, subscription_ids, identity_id, resource_group_name=None, also=(), *, preview=False):
    """Scan the given subscriptions (None: every subscription visible to the login, plus `also` unless
    it is among those that cannot be scanned); warn about every subscription and cluster that could
    not be read. `preview`: the bindings are read with their managedBy (see scan)."""
    def progress(done, total):
        if client.progress and total >= 10:
            client.progress.add(message=f"Scanned {done}/{total} clusters")

    subscriptions, unreadable_subs = scope_subscriptions(client, subscription_ids, also)
    refs, unlisted, how = discover(client, subscriptions, resource_group_name)
    unreadable_subs += unlisted
    pacer = new_pacer()
    result = scan(client, refs, identity_id, pacer=pacer, on_progress=progress, preview=preview)
    if client.progress:
        client.progress.end()
    result.unreadable_subscriptions = unreadable_subs
    result.subscriptions = [s for s in subscriptions if s not in {u["subscription"] for u in unlisted}]
    result.discovery = how
    warn_unreadable(unreadable_subs, result.unreadable, len(subscriptions) > 1, pacer)
    return result


def add_unindexed_clusters(client, result, identity_id):
    """Before a destructive step: list the clusters of every subscription `result` scanned from ARM itself
    (one paged list each: authoritative, no index lag), scan those Resource Graph did not return, and add
    what that finds (bindings, unreadable clusters and subscriptions) to `result`. How many clusters it
    added; 0 without a request when the clusters already came from ARM's lists."""
    if result.discovery != ARG or not result.subscriptions:
        return 0
    rows, unlisted = list_each(client, result.subscriptions)
    missed = [ref for ref in (_ref_of(r["id"], r["subscriptionId"]) for r in rows)
              if cluster_key(ref) not in result.cluster_keys]
    pacer = new_pacer()
    extra = scan(client, missed, identity_id, pacer=pacer)
    found = {str(b.get("id", "")).lower(): b for b in result.bindings + extra.bindings}
    result.bindings = sorted(found.values(), key=lambda b: b.get("id", "").lower())
    result.unreadable = sorted(result.unreadable + extra.unreadable,
                               key=lambda u: (u["subscription"], u["resourceGroup"].lower(), u["cluster"].lower()))
    result.unreadable_subscriptions += unlisted
    result.clusters += extra.clusters
    result.by_cluster.update(extra.by_cluster)
    logger.warning("Listed the clusters of %d subscription(s) from ARM before deleting the credential (Resource "
                   "Graph can lag behind a new cluster): %d cluster(s) it had not returned were scanned too.",
                   len(result.subscriptions), extra.clusters)
    warn_unreadable(unlisted, extra.unreadable, several=True, pacer=pacer)
    return extra.clusters


def managed_by_summary(bindings):
    """One line: how many of `bindings` each manager (an AKS Fleet Manager identity binding profile, or
    another resource) manages, and how many nothing manages. managedBy comes from the service: a value
    that is not text is counted under its type, never printed as it is."""
    from azext_identitybinding.ids import fleet_profile, show
    counts, unmanaged = {}, 0
    for binding in bindings:
        manager = binding.get("managedBy")
        if not manager:
            unmanaged += 1
            continue
        profile = fleet_profile(manager)
        if profile is not None:
            label = (f"profile '{profile.profile}' of fleet '{profile.fleet}' (resource group "
                     f"'{profile.resource_group}', subscription {profile.subscription})")
        else:
            label = show(manager, 120) if isinstance(manager, str) else f"a {type(manager).__name__} value"
        counts[label] = counts.get(label, 0) + 1
    parts = [f"{n} by {label}" for label, n in sorted(counts.items())]
    managed = sum(counts.values())
    text = f"managedBy: {managed} of {len(bindings)} binding(s) managed"
    text += (" (" + "; ".join(parts) + ")") if parts else ""
    return f"{text}, {unmanaged} unmanaged."


def describe_gaps(result):
    """What an incomplete scan could not read, in one sentence for a message."""
    parts = []
    if result.unreadable_subscriptions:
        parts.append(f"{len(result.unreadable_subscriptions)} subscription(s) could not be scanned ("
                     + ", ".join(u["subscription"] for u in result.unreadable_subscriptions[:10])
                     + (", ..." if len(result.unreadable_subscriptions) > 10 else "") + ")")
    if result.unreadable:
        parts.append(f"{len(result.unreadable)} of {result.clusters} clusters could not be read")
    return " and ".join(parts)


def cleanup_fic(client, identity_id, deleted_binding_id=None):
    """Delete the identity's 'aks-identity-binding' credential only when nothing can still need it."""
    from azext_identitybinding import ids
    report = {"managedIdentityResourceId": identity_id, "federatedIdentityCredential": FIC_NAME,
              "deleted": False, "reason": "", "clustersScanned": 0, "bindings": []}
    before = client.get_fic(identity_id)
    if before is None:
        client.get_identity(identity_id)  # a missing identity is "not found" (exit 3), not "nothing to do"
        report["reason"] = f"the identity has no federated credential '{FIC_NAME}'; nothing to clean up."
        return report
    # every subscription the login can see, and (as before) the current one and the identity's own
    result = scan_subscriptions(client, None, identity_id,
                                also=[client.subscription_id, ids.parse(identity_id).subscription])
    if result.complete and not _others(result, deleted_binding_id):
        # about to delete: the clusters an index had not shown yet count too
        report["clustersAddedFromArm"] = add_unindexed_clusters(client, result, identity_id)
    report["clustersScanned"] = result.clusters
    report["subscriptionsScanned"] = len(result.subscriptions)
    report["discovery"] = result.discovery
    if not result.complete:
        report["unreadableSubscriptions"] = [u["subscription"] for u in result.unreadable_subscriptions]
        report["unreadableClusters"] = [f"/subscriptions/{u['subscription']}/resourceGroups/{u['resourceGroup']}/"
                                        f"providers/Microsoft.ContainerService/managedClusters/{u['cluster']}"
                                        for u in result.unreadable]
    others = _others(result, deleted_binding_id)
    report["bindings"] = others
    if others:
        report["reason"] = (f"{len(others)} other binding(s) still use the identity: {', '.join(others)}. "
                            "The credential stays.")
        return report
    if not result.complete:
        report["doubt"] = True
        report["reason"] = (f"{describe_gaps(result)}, so another binding may still use the identity. The "
                            "credential stays; retry when they can be read.")
        return report
    if client.get_fic(identity_id) != before:
        report["doubt"] = True
        report["reason"] = ("the credential changed while the clusters were scanned (a new binding may have been "
                            "created). It stays; run cleanup-fic again to re-check.")
        return report
    client.delete_fic(identity_id)
    report["deleted"] = True
    found_with = result.discovery + (" and ARM's list of each subscription" if result.discovery == ARG else "")
    report["reason"] = (f"no binding of the identity was found on the {result.clusters} clusters of the "
                        f"{len(result.subscriptions)} subscription(s) visible to this login (found with "
                        f"{found_with}). Subscriptions this login cannot see could not be scanned.")
    return report


def _others(result, deleted_binding_id):
    """The ids of the bindings found, except the one just deleted."""
    return [b["id"] for b in result.bindings if not same_resource(b.get("id"), deleted_binding_id)]
