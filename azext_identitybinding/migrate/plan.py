"""The plan of one identity, the audit row of an identity, and the rules of `retire`. Pure: they take
what classify.py made of the service's answers and return plain data (the JSON the commands print).
"""
import hashlib
import re

from azext_identitybinding import ids
from azext_identitybinding.constants import FIC_LIMIT, FIC_NAME, TOKEN_PROXY_ENV, USE_BINDING_ANNOTATION
from azext_identitybinding.migrate.classify import (BINDING, NEVER_WORKED, NOT_SA, OTHER, UNKNOWN_AKS, UNUSABLE,
                                                    WORKLOAD)

NEAR_FULL = 16  # FICs used from which an identity is reported near-full (of FIC_LIMIT)
# The identity binding name pattern of the API (arm-api.md §2): what a generated name always matches.
BINDING_NAME_RE = re.compile(r"[a-z][a-z0-9]{0,63}")
SUCCEEDED = "Succeeded"


def binding_name(identity_id):
    """The binding name `migrate` gives an identity on every cluster: 'mig', the identity's name in
    lowercase letters and digits, and 8 hex digits of its (case-folded) id, so that two identities of
    the same name never share one. Deterministic: re-running plan or apply names the same binding."""
    name = re.sub(r"[^a-z0-9]", "", ids.part(identity_id, "userAssignedIdentities").lower())[:40]
    canonical = "/".join(p for p in str(identity_id).lower().split("/") if p)
    return f"mig{name}{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"


def readiness(cluster):
    """What stops a binding on the cluster, from its ARM resource ([] when it is ready)."""
    problems = []
    if not cluster.oidc_issuer:
        problems.append("the OIDC issuer is not enabled (az aks update --enable-oidc-issuer)")
    if not cluster.workload_identity:
        problems.append("workload identity is not enabled (az aks update --enable-workload-identity)")
    if cluster.vnet_integration:
        problems.append("the cluster uses API server VNet integration, which identity bindings do not support")
    return problems


def _identity_of(binding):
    props = binding.get("properties") if isinstance(binding.get("properties"), dict) else {}
    managed = props.get("managedIdentity") if isinstance(props.get("managedIdentity"), dict) else {}
    return managed.get("resourceId") if isinstance(managed.get("resourceId"), str) else ""


def _binding_of(bindings, identity_id):
    """(this identity's binding on the cluster or None, names taken by other identities' bindings)."""
    mine, taken = [], set()
    for b in bindings:
        if not isinstance(b, dict) or not isinstance(b.get("name"), str):
            continue
        if ids.same_resource(_identity_of(b), identity_id):
            mine.append(b)
        else:
            taken.add(b["name"].lower())
    mine.sort(key=lambda b: b["name"])
    return (mine[0] if mine else None), taken


def _cluster_plan(cluster, entries, identity_id, bindings, unreadable):
    name = binding_name(identity_id)
    problems = readiness(cluster)
    binding = {"name": name, "exists": False}
    if unreadable is not None:
        problems.append(f"its identity bindings could not be read: {unreadable}")
    else:
        mine, taken = _binding_of(bindings, identity_id)
        if mine is not None:
            state = (mine.get("properties") or {}).get("provisioningState") if isinstance(
                mine.get("properties"), dict) else None
            binding = {"name": mine["name"], "exists": True, "provisioningState": state if isinstance(state, str)
                       else "unknown"}
            if binding["provisioningState"] != SUCCEEDED:
                problems.append(f"its binding '{mine['name']}' is {binding['provisioningState']}, not {SUCCEEDED}")
        elif name in taken:
            problems.append(f"a binding named '{name}' of another identity exists on it; create one by hand with "
                            "another name")
    if binding["exists"]:  # an existing binding is used whatever the readiness: nothing is created
        problems = [p for p in problems if p.startswith("its binding")]
    return {"id": cluster.id, "name": cluster.name, "resourceGroup": cluster.resource_group,
            "subscription": cluster.subscription, "binding": binding,
            "serviceAccounts": sorted({e.service_account for e in entries}),
            "replaces": sorted(e.credential.name for e in entries),
            "ready": not problems, "problems": problems}


def build(identity_id, entries, bindings_by_cluster=None, unreadable_by_cluster=None):
    """The plan: the contract of `migrate plan` (issue 18), plus a one-line summary.

    `bindings_by_cluster`: {cluster key: [binding resources]} of the clusters with workload FICs;
    `unreadable_by_cluster`: {cluster key: why its bindings could not be read}."""
    bindings_by_cluster, unreadable_by_cluster = bindings_by_cluster or {}, unreadable_by_cluster or {}
    by_cluster = {}
    for e in entries:
        if e.kind == WORKLOAD:
            by_cluster.setdefault(e.cluster.key, (e.cluster, []))[1].append(e)
    clusters = [_cluster_plan(c, found, identity_id, bindings_by_cluster.get(key, []), unreadable_by_cluster.get(key))
                for key, (c, found) in sorted(by_cluster.items())]
    used = len(entries)
    has_binding_fic = any(e.kind == BINDING for e in entries)

    def after_with(bound):  # the credentials left once the clusters `bound` have their binding
        return used - sum(len(c["replaces"]) for c in bound) + (1 if bound and not has_binding_fic else 0)
    # what apply and retire reach now: a cluster that is not ready gets no binding, so its FICs stay
    after = after_with([c for c in clusters if c["ready"]])
    if_all_ready = after_with(clusters)
    left = [{"name": e.shown, "issuer": e.credential.issuer, "reason": e.reason}
            for e in entries if e.kind in (NEVER_WORKED, UNKNOWN_AKS, OTHER, BINDING, NOT_SA)]
    findings = [{"credential": e.shown, "problem": e.reason} for e in entries
                if e.kind in (NEVER_WORKED, NOT_SA, UNUSABLE)]
    if clusters and not has_binding_fic and used >= FIC_LIMIT:
        findings.append({"credential": FIC_NAME, "problem": f"the identity holds {used} credentials: AKS cannot add "
                         f"{FIC_NAME} for the first binding. Delete one first (one that never worked, or one of a "
                         "deleted cluster, once checked)"})
    return {"identity": identity_id,
            "credentials": {"used": used, "limit": FIC_LIMIT, "afterMigration": after,
                            "afterIfAllReady": if_all_ready},
            "summary": f"{used}/{FIC_LIMIT} -> {after}/{FIC_LIMIT}" + (
                f" ({if_all_ready}/{FIC_LIMIT} once the {sum(not c['ready'] for c in clusters)} cluster(s) not "
                "ready are)" if if_all_ready != after else ""),
            "clusters": clusters, "leftAlone": left, "findings": findings}


def status(used):
    return "full" if used >= FIC_LIMIT else "near-full" if used >= NEAR_FULL else "ok"


def _norm_id(resource_id):
    return "/".join(p for p in resource_id.lower().split("/") if p) if isinstance(resource_id, str) else ""


def count_bindings(bindings):
    """{normalised identity id: how many of `bindings` (ARM resources, any identity) bind it}."""
    counts = {}
    for b in bindings:
        if isinstance(b, dict):
            key = _norm_id(_identity_of(b))
            if key:
                counts[key] = counts.get(key, 0) + 1
    return counts


def audit_row(identity, entries, binding_counts=None):
    """One identity's FIC budget: `identity` is its checked id; entries from classify(); `binding_counts`
    from count_bindings() when every cluster's bindings were read (else the row's bindings is None)."""
    used = len(entries)
    workload = [e for e in entries if e.kind == WORKLOAD]
    return {"identity": identity, "name": ids.part(identity, "userAssignedIdentities"),
            "resourceGroup": ids.part(identity, "resourceGroups"),
            "subscription": ids.part(identity, "subscriptions").lower(),
            "used": used, "limit": FIC_LIMIT, "replaceable": len(workload),
            "clusters": len({e.cluster.key for e in workload}),
            "bindingCredential": any(e.kind == BINDING for e in entries),
            "neverWorked": sum(e.kind == NEVER_WORKED for e in entries),
            "unusable": sum(e.kind == UNUSABLE for e in entries), "status": status(used),
            "bindings": None if binding_counts is None else binding_counts.get(_norm_id(identity), 0)}


# -- manifests -----------------------------------------------------------------------------------

def manifest_file_name(cluster_id):
    """A file name for a cluster's manifests: its group and name with anything but letters, digits, '-'
    and '_' replaced (no dot, no separator can get in), lowercase, and 8 hex digits of its id, so that
    clusters whose names fold together still get a file each."""
    def safe(text):
        return re.sub(r"[^a-z0-9_-]", "_", text.lower())[:60]
    digest = hashlib.sha256(cluster_id.lower().encode()).hexdigest()[:8]
    group, cluster = ids.part(cluster_id, "resourceGroups"), ids.part(cluster_id, "managedClusters")
    return f"{safe(group)}_{safe(cluster)}_{digest}.yaml"


def manifest(cluster_plan, client_id):
    """(the v1 List of RBAC generate-rbac emits for the cluster's service accounts, the workload patches)."""
    from azext_identitybinding import rbac, secretstore
    accounts = cluster_plan["serviceAccounts"]
    return rbac.generate(client_id, accounts), secretstore.workload_patches(accounts)


# -- retire ----------------------------------------------------------------------------------------

def pod_evidence(pod_list):
    """(True, what was seen) when the service account's running pods all run in identity-binding mode:
    the pod annotation and the AZURE_KUBERNETES_TOKEN_PROXY the webhook injects; else (False, why not)."""
    items = pod_list.get("items") if isinstance(pod_list, dict) else None
    if not isinstance(items, list):
        return False, "the API server's pod list has no items"
    running = [p for p in items if isinstance(p, dict) and isinstance(p.get("status"), dict)
               and p["status"].get("phase") == "Running"]
    if not running:
        return False, "no pod of the service account is running, so nothing shows it uses the binding"
    old = [_pod_name(p) for p in running if not _binding_mode(p)]
    if old:
        return False, (f"{len(old)} of {len(running)} running pod(s) do not run in identity-binding mode (the "
                       f"{USE_BINDING_ANNOTATION} annotation and {TOKEN_PROXY_ENV}): {', '.join(old[:5])}")
    return True, f"{len(running)} running pod(s) in identity-binding mode"


def _pod_name(pod):
    name = (pod.get("metadata") or {}).get("name") if isinstance(pod.get("metadata"), dict) else None
    return ids.show(name, 60) if isinstance(name, str) else "a pod"


def _binding_mode(pod):
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    if annotations.get(USE_BINDING_ANNOTATION) != "true":
        return False
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    containers = [c for key in ("containers", "initContainers") for c in (spec.get(key) or [])
                  if isinstance(c, dict)] if isinstance(spec.get("containers"), list) else []
    return any(isinstance(e, dict) and e.get("name") == TOKEN_PROXY_ENV
               for c in containers for e in (c.get("env") if isinstance(c.get("env"), list) else []))


def retire_choice(the_plan, entries, named=(), evidence=None, cluster_ids=None):
    """(entries to delete, [{"credential", "reason"}] kept) by retire's rules.

    A FIC may go only when its cluster's binding exists and is Succeeded, and then only with proof that
    its service account's pods moved (`evidence`: {cluster key: {"NS/SA": (ok, why)}} from the cluster's
    pods), or when the user names it (`named`, --credential). `cluster_ids`: only these clusters (keys).
    Never a left-alone FIC, never aks-identity-binding."""
    named = set(named)
    by_name = {e.credential.name: e for e in entries if e.kind == WORKLOAD}
    delete, kept, seen = [], [], set()
    for c in the_plan["clusters"]:
        key = c["id"].lower()
        if cluster_ids is not None and key not in cluster_ids:
            continue
        binding = c["binding"]
        for name in c["replaces"]:
            seen.add(name)
            entry = by_name[name]
            if not binding["exists"] or binding.get("provisioningState") != SUCCEEDED:
                state = binding.get("provisioningState") if binding["exists"] else "missing"
                kept.append({"credential": name, "reason": f"the binding of cluster '{c['id']}' is {state}: "
                                                           "run `migrate apply` first"})
                continue
            if name in named:
                delete.append(entry)
                continue
            proof = (evidence or {}).get(key, {}).get(entry.service_account)
            if proof and proof[0]:
                delete.append(entry)
            else:
                why = proof[1] if proof else ("no evidence that its pods moved: give --kubeconfig/--context of the "
                                              "cluster with --cluster-name, or name it with --credential once its "
                                              "app owner confirmed")
                kept.append({"credential": name, "reason": f"{entry.service_account} on '{c['id']}': {why}"})
    for name in sorted(named - seen):
        found = next((e for e in entries if e.shown == name), None)
        what = ("is not a workload credential a binding replaces: " + found.reason) if found and found.reason else \
            "is not a workload credential of a cluster in this plan" if found or name in by_name else \
            "is not a credential of the identity"
        kept.append({"credential": name, "reason": f"--credential {name} {what}; it is never deleted by retire"})
    return delete, kept
