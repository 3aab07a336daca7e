"""Fleet scans: which clusters bind an identity, and whether its federated credential may go.

Reads the clusters of a subscription (or resource group) and lists the bindings of each,
concurrently with a bounded pool. A cluster that cannot be read is recorded, never skipped
silently: a scan with `unreadable` entries is an incomplete answer, and the credential clean-up
treats it as a reason to keep the credential.
"""
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from knack.log import get_logger

from azext_identitybinding.constants import FIC_NAME
from azext_identitybinding.ids import part, same_resource

logger = get_logger(__name__)


@dataclass
class ScanResult:
    bindings: list    # ARM binding resources of the identity, sorted by id
    unreadable: list  # [{"cluster", "resourceGroup", "error"}], sorted
    clusters: int     # how many clusters were looked at

    @property
    def complete(self):
        return not self.unreadable


def identity_of(binding):
    """The resource id of the identity a binding binds."""
    return ((binding.get("properties") or {}).get("managedIdentity") or {}).get("resourceId", "")


def bindings_of(bindings, identity_id):
    """The bindings (ARM resources) that bind identity_id."""
    return [b for b in bindings if same_resource(identity_of(b), identity_id)]


def scan(client, subscription_id, identity_id, *, resource_group=None, on_progress=None):
    """Every binding of identity_id on the clusters in scope, and the clusters that could not be read."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    from azext_identitybinding.arm import BindingRef
    from azext_identitybinding.arm.client import FLEET_WORKERS

    clusters = client.list_clusters(subscription_id, resource_group)
    refs = [BindingRef(subscription_id, part(c["id"], "resourceGroups"), c["name"]) for c in clusters]
    bindings, unreadable, done = [], [], 0

    def read(ref):
        return ref, client.list_bindings(ref)

    with ThreadPoolExecutor(max_workers=max(1, min(FLEET_WORKERS, len(refs)))) as pool:
        futures = {pool.submit(read, ref): ref for ref in refs}
        for future in as_completed(futures):
            ref = futures[future]
            try:
                _, found = future.result()
            except (AzCLIError, AzureError) as ex:
                unreadable.append({"cluster": ref.cluster, "resourceGroup": ref.resource_group, "error": str(ex)})
            else:
                bindings.extend(bindings_of(found, identity_id))
            done += 1
            if on_progress:
                on_progress(done, len(refs))
    bindings.sort(key=lambda b: b.get("id", "").lower())
    unreadable.sort(key=lambda u: (u["resourceGroup"].lower(), u["cluster"].lower()))
    return ScanResult(bindings, unreadable, len(refs))


def scan_subscriptions(client, subscription_ids, identity_id, resource_group_name=None):
    """Scan each subscription; warn about every cluster that could not be read."""
    def progress(done, total):
        if client.progress and total >= 10:
            client.progress.add(message=f"Scanned {done}/{total} clusters")

    results = [scan(client, sub, identity_id, resource_group=resource_group_name, on_progress=progress)
               for sub in dict.fromkeys(s.lower() for s in subscription_ids)]
    if client.progress:
        client.progress.end()
    merged = ScanResult([b for r in results for b in r.bindings], [u for r in results for u in r.unreadable],
                        sum(r.clusters for r in results))
    for item in merged.unreadable:
        logger.warning("Could not read cluster '%s' (resource group '%s'): %s", item["cluster"],
                       item["resourceGroup"], item["error"])
    return merged


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
    subscriptions = [client.subscription_id, ids.parse(identity_id).subscription]
    result = scan_subscriptions(client, subscriptions, identity_id)
    report["clustersScanned"] = result.clusters
    others = [b["id"] for b in result.bindings if not same_resource(b.get("id"), deleted_binding_id)]
    report["bindings"] = others
    if others:
        report["reason"] = (f"{len(others)} other binding(s) still use the identity: {', '.join(others)}. "
                            "The credential stays.")
        return report
    if not result.complete:
        report["doubt"] = True
        report["reason"] = (f"{len(result.unreadable)} of {result.clusters} clusters could not be read, so another "
                            "binding may still use the identity. The credential stays; retry when they can be read.")
        return report
    if client.get_fic(identity_id) != before:
        report["doubt"] = True
        report["reason"] = ("the credential changed while the clusters were scanned (a new binding may have been "
                            "created). It stays; run cleanup-fic again to re-check.")
        return report
    client.delete_fic(identity_id)
    report["deleted"] = True
    report["reason"] = (f"no binding of the identity was found on the {result.clusters} clusters of subscription(s) "
                        f"{', '.join(dict.fromkeys(s.lower() for s in subscriptions))}.")
    return report
