"""The reads of `migrate`: through arm/ and the fleet scan of fleet.py (subscription scope, Resource
Graph discovery with per-subscription fallback, paced reads, unreadable parts named, never dropped).

plan reads the identity's FICs and, concurrently, the clusters with their issuers (one Resource Graph
query, or ARM's list of each subscription), then the bindings of only the clusters that have workload
FICs of the identity. audit reads the identities and the clusters the same way, then each identity's
FICs, paced by each subscription's read budget.
"""
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from knack.log import get_logger

from azext_identitybinding import fleet
from azext_identitybinding.migrate import classify, plan

logger = get_logger(__name__)

ISSUERS = fleet.Source("cluster", "query_cluster_issuers", "list_clusters", classify.row_from_arm)


def _identity_row(identity):
    return {"id": identity.get("id") if isinstance(identity, dict) and isinstance(identity.get("id"), str) else ""}


IDENTITIES = fleet.Source("identity", "query_identities", "list_identities", _identity_row)


@dataclass
class Reading:
    """What plan, apply and retire start from: the plan, and the classified FICs behind it."""
    plan: dict
    entries: list
    gaps: list = field(default_factory=list)  # what could not be read, one sentence each


def _both(first, second):
    """Two independent reads at once (one after the other where the fleet scan runs one worker)."""
    from azext_identitybinding.arm.client import FLEET_WORKERS
    with ThreadPoolExecutor(max_workers=max(1, min(2, FLEET_WORKERS))) as pool:
        a, b = pool.submit(first), pool.submit(second)
        return a.result(), b.result()


def _clusters(rows):
    """[Cluster] of the rows found; a row that cannot be used is named and becomes a gap."""
    clusters, gaps = [], []
    for row in rows:
        found, why = classify.cluster_of(row)
        if found is None:
            logger.warning("A cluster listed by Azure cannot be used: %s", why)
            gaps.append(f"a listed cluster could not be used ({why})")
        else:
            clusters.append(found)
    return clusters, gaps


def _scope(client, subscriptions):
    """The subscriptions to read: the given ones (checked against what the login sees when several),
    every visible one (None), or the current one ([])."""
    return fleet.scope_subscriptions(client, subscriptions if subscriptions is None or subscriptions else
                                     [client.subscription_id])


def read_plan(client, identity_id, subscriptions, resource_group=None):
    """A Reading for one identity over the scope; its gaps make the answer incomplete (exit 1)."""
    from azext_identitybinding.arm import BindingRef

    def scope_and_clusters():
        subs, unreadable_subs = _scope(client, subscriptions)
        return (subs, unreadable_subs, *fleet.discover_rows(client, subs, resource_group, ISSUERS))

    # the FICs, and (at the same time) the scope and its clusters
    fics, (subs, unreadable_subs, rows, unlisted, how) = _both(lambda: client.list_fics(identity_id),
                                                               scope_and_clusters)
    unreadable_subs += unlisted
    clusters, gaps = _clusters(rows)
    entries = classify.classify(fics, clusters)
    wanted = {e.cluster.key: e.cluster for e in entries if e.kind == classify.WORKLOAD}
    refs = {c.key: BindingRef(c.subscription, c.resource_group, c.name) for c in wanted.values()}
    pacer = fleet.new_pacer()
    scan = fleet.scan(client, list(refs.values()), None, pacer=pacer)
    unreadable = {fleet.cluster_key(BindingRef(u["subscription"], u["resourceGroup"], u["cluster"])): u["error"]
                  for u in scan.unreadable}
    by_key = {key: fleet.cluster_key(ref) for key, ref in refs.items()}
    the_plan = plan.build(identity_id, entries,
                          {key: scan.by_cluster.get(k, []) for key, k in by_key.items()},
                          {key: unreadable[k] for key, k in by_key.items() if k in unreadable})
    fleet.warn_unreadable(unreadable_subs, scan.unreadable, len(subs) > 1, pacer)
    gaps += [f"subscription '{u['subscription']}' could not be scanned" for u in unreadable_subs]
    gaps += [f"the bindings of cluster '{u['cluster']}' could not be read" for u in scan.unreadable]
    the_plan["scope"] = {"subscriptions": len(subs) - len(unlisted), "clusters": len(clusters), "discovery": how}
    if gaps:
        the_plan["incomplete"] = gaps
    return Reading(the_plan, entries, gaps)


def read_audit(client, subscriptions, resource_group=None, count_bindings=False):
    """(rows, [{"identity", "error"}] not read, gaps) over the scope, rows sorted by FICs used. With
    count_bindings, the bindings of every cluster in scope are read too (one more paced read per cluster)."""
    subs, unreadable_subs = _scope(client, subscriptions)
    (identity_rows, unlisted, _), (cluster_rows, unlisted_clusters, _) = _both(
        lambda: fleet.discover_rows(client, subs, resource_group, IDENTITIES),
        lambda: fleet.discover_rows(client, subs, None, ISSUERS))
    unreadable_subs += unlisted + [u for u in unlisted_clusters if u["subscription"] not in
                                   {x["subscription"] for x in unlisted}]
    clusters, gaps = _clusters(cluster_rows)
    identities, failed = _identities(identity_rows)
    pacer = fleet.new_pacer()
    counts, unreadable_clusters = None, []
    if count_bindings:
        from azext_identitybinding.arm import BindingRef
        scan = fleet.scan(client, [BindingRef(c.subscription, c.resource_group, c.name) for c in clusters], None,
                          pacer=pacer)
        counts, unreadable_clusters = plan.count_bindings(scan.bindings), scan.unreadable
        gaps += [f"the bindings of cluster '{u['cluster']}' could not be read" for u in unreadable_clusters]
    rows, unread = _audit_rows(client, identities, clusters, pacer, counts)
    failed = sorted(failed + unread, key=lambda f: f["identity"].lower())
    fleet.warn_unreadable(unreadable_subs, unreadable_clusters, len(subs) > 1, pacer)
    for item in failed:
        logger.warning("Could not read the federated credentials of identity %s: %s", item["identity"], item["error"])
    gaps += [f"subscription '{u['subscription']}' could not be scanned" for u in unreadable_subs]
    gaps += [f"{len(failed)} identit{'y' if len(failed) == 1 else 'ies'} could not be read"] if failed else []
    return rows, failed, gaps


def _identities(rows):
    """(checked identity ids, each once; [{"identity", "error"}] of rows whose id cannot be used)."""
    from azext_identitybinding import ids
    found, failed = [], []
    for row in rows:
        try:
            found.append(str(ids.parse_identity_id(row.get("id"))))
        except ids.IdError as ex:
            failed.append({"identity": ids.show(row.get("id"), 120), "error": f"not usable: {ex}"})
    unique = {}
    for identity in found:  # ids compare case-insensitively: each identity once, its first spelling
        unique.setdefault(identity.lower(), identity)
    return list(unique.values()), failed


def _audit_rows(client, identities, clusters, pacer, counts=None):
    """Each identity's FICs, read concurrently and paced: (audit rows by use, [{"identity", "error"}])."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    from azext_identitybinding.arm.client import FLEET_WORKERS
    from azext_identitybinding.arm import IdentityRef
    rows, failed = [], []
    # round-robin over subscriptions (their read budgets are separate): workers held by one throttled
    # subscription leave the others' reads going
    ordered = [ref.identity_id for ref in fleet.interleaved([IdentityRef(i) for i in identities])]
    with ThreadPoolExecutor(max_workers=max(1, min(FLEET_WORKERS, len(identities)))) as pool:
        futures = {pool.submit(client.list_fics, i, pacer=pacer): i for i in ordered}
        for future in as_completed(futures):
            identity = futures[future]
            try:
                rows.append(plan.audit_row(identity, classify.classify(future.result(), clusters), counts))
            except (AzCLIError, AzureError) as ex:
                failed.append({"identity": identity, "error": str(ex)})
    rows.sort(key=lambda r: (-r["used"], r["identity"].lower()))
    return rows, failed
