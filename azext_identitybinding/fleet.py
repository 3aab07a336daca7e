"""Fleet scans: which clusters bind an identity.

Reads the clusters of a subscription (or resource group) and lists the bindings of each,
concurrently with a bounded pool. A cluster that cannot be read is recorded, never skipped
silently: callers must treat a scan with `unreadable` entries as an incomplete answer.
"""
from concurrent.futures import ThreadPoolExecutor, as_completed


class ScanResult:
    def __init__(self, bindings, unreadable, clusters):
        self.bindings = bindings      # ARM binding resources of the identity, sorted by id
        self.unreadable = unreadable  # [{"cluster", "resourceGroup", "error"}], sorted
        self.clusters = clusters      # how many clusters were looked at

    @property
    def complete(self):
        return not self.unreadable


def _id_part(resource_id, key):
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index(key) + 1] if key in lowered[:-1] else ""


def same_resource(a, b):
    """ARM ids compare case-insensitively (the service keeps each caller's casing)."""
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def scan(client, subscription_id, identity_id, resource_group=None, workers=None, on_progress=None):
    """Every binding of identity_id on the clusters in scope, and the clusters that could not be read."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    from azext_identitybinding.arm import FLEET_WORKERS, BindingRef

    clusters = client.list_clusters(subscription_id, resource_group)
    refs = [BindingRef(subscription_id, _id_part(c["id"], "resourcegroups"), c["name"]) for c in clusters]
    bindings, unreadable, done = [], [], 0

    def read(ref):
        return ref, client.list_bindings(ref)

    with ThreadPoolExecutor(max_workers=max(1, min(workers or FLEET_WORKERS, len(refs) or 1))) as pool:
        futures = {pool.submit(read, ref): ref for ref in refs}
        for future in as_completed(futures):
            ref = futures[future]
            try:
                _, found = future.result()
            except (AzCLIError, AzureError) as ex:
                unreadable.append({"cluster": ref.cluster, "resourceGroup": ref.resource_group, "error": str(ex)})
            else:
                bindings.extend(b for b in found
                                if same_resource(((b.get("properties") or {}).get("managedIdentity") or {})
                                                 .get("resourceId"), identity_id))
            done += 1
            if on_progress:
                on_progress(done, len(refs))
    bindings.sort(key=lambda b: b.get("id", "").lower())
    unreadable.sort(key=lambda u: (u["resourceGroup"].lower(), u["cluster"].lower()))
    return ScanResult(bindings, unreadable, len(refs))
