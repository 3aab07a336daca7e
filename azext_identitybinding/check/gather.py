"""Gathers the facts `az aks identity-binding check` judges: ARM resources through arm/ (independent
reads concurrently) and Kubernetes objects through kube.py.

Returns a facts.Facts, each fact a Got: the value, or why it could not be had. A read that fails
never stops the others; the rules decide what each outcome means. Judges nothing.
"""
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from azext_identitybinding.check import fixes
from azext_identitybinding.check.facts import Access, Facts, Got, sar_spec, vault_uses_rbac
from azext_identitybinding.constants import ROOT_CA, WEBHOOK_CONFIG, WEBHOOK_NAMESPACE, WEBHOOK_SELECTOR

MAX_READS = 16  # concurrent reads: a principal may hold many role assignments, each naming a role definition


def _got(read):
    from azure.cli.core.azclierror import AzCLIError, ResourceNotFoundError
    from azure.core.exceptions import AzureError
    from azext_identitybinding import kube
    try:
        return Got(read())
    except (ResourceNotFoundError, kube.NotFound) as ex:
        return Got(error=str(ex), missing=True)
    except (AzCLIError, AzureError, kube.KubeError) as ex:
        return Got(error=str(ex))


def _concurrently(reads):
    """{key: read} -> {key: Got}, all reads at once (at most MAX_READS at a time)."""
    if not reads:
        return {}
    with ThreadPoolExecutor(max_workers=min(len(reads), MAX_READS)) as pool:
        futures = {key: pool.submit(_got, read) for key, read in reads.items()}
    return {key: future.result() for key, future in futures.items()}


def gather(client, target):
    facts = Facts(target, **gather_arm(client, target))
    for name, got in {**gather_target(client, facts), **gather_kube(facts)}.items():
        setattr(facts, name, got)
    return facts


def gather_arm(client, t):
    """The Azure facts, by name (Facts' fields)."""
    from azext_identitybinding.arm import BindingRef
    ref = BindingRef(client.subscription_id, t.resource_group, t.cluster, t.binding_name)
    reads = {"cluster": lambda: client.get_cluster(ref)}
    if t.binding_name:
        reads["binding"] = lambda: _with_manager(client.get_binding, ref, missing_ok=True)
    else:
        reads["bindings"] = lambda: _with_manager(client.list_bindings, ref)
    if t.identity_id:
        reads.update(_identity_reads(client, t.identity_id))
    if t.target_is_vault:  # needs no identity: read with the first batch
        reads["vault"] = lambda: client.get_vault(t.target_resource)
    facts = _concurrently(reads)
    if t.binding_name:
        if facts["binding"].ok and facts["binding"].value is None:
            facts["binding"] = Got(missing=True)
    else:
        facts.update(_pick_binding(facts.pop("bindings"), t.identity_id))
    if not t.identity_id:
        found = ((facts["binding"].value or {}).get("properties") or {}).get("managedIdentity", {}).get("resourceId") \
            if facts["binding"].ok else None
        facts.update(_concurrently(_identity_reads(client, found)) if found else {"identity": Got(), "fics": Got()})
    return facts


def _with_manager(read, ref, **options):
    """The binding(s) with managedBy (the preview api-version), so that a fix can name the Fleet placement;
    where the region offers no version with it, the GA read: every check still runs, and the fix is the
    per-cluster one."""
    from azext_identitybinding.arm.errors import ApiVersionNotOffered
    try:
        return read(ref, preview=("managedBy",), **options)
    except ApiVersionNotOffered:
        return read(ref, **options)


def gather_target(client, facts):
    """--target-resource: the principal's role assignments there (and, concurrently, each distinct role
    definition they name), unless the target is a vault that uses access policies (its own read says it
    all) or could not be read. Nothing when the identity's object id is not known: the rule says why."""
    from azext_identitybinding.ids import is_guid
    t = facts.target
    if not t.target_resource:
        return {}
    if t.target_is_vault and not (facts.vault.ok and vault_uses_rbac(facts.vault.value)):
        return {}
    principal = facts.ident.object_id
    if not is_guid(principal):
        return {}
    assignments = _got(lambda: client.list_role_assignments(t.target_resource, principal))
    if not assignments.ok:
        return {"role_assignments": assignments}
    wanted = {}
    for a in assignments.value if isinstance(assignments.value, list) else []:
        definition = ((a if isinstance(a, dict) else {}).get("properties") or {}).get("roleDefinitionId")
        if isinstance(definition, str):
            wanted.setdefault(definition.lower(), definition)
    definitions = _concurrently({key: (lambda d=d: client.get_role_definition(d)) for key, d in wanted.items()})
    return {"role_assignments": assignments, "role_definitions": definitions}


def _identity_reads(client, identity_id):
    return {"identity": lambda: client.get_identity(identity_id), "fics": lambda: client.list_fics(identity_id)}


def _pick_binding(listed, identity_id):
    """The binding to check when none was named: the identity's, or the cluster's only one."""
    if not listed.ok:
        return {"binding": listed}
    bindings = listed.value
    if identity_id:
        from azext_identitybinding.fleet import bindings_of
        mine = bindings_of(bindings, identity_id)
        if mine:
            return {"binding": Got(mine[0]), "binding_note": " (found among the cluster's bindings)"}
        return {"binding": Got(missing=True)}
    if len(bindings) == 1:
        return {"binding": Got(bindings[0]), "binding_note": " (the cluster's only binding)"}
    if not bindings:
        return {"binding": Got(missing=True, error="the cluster has no identity binding")}
    return {"binding": Got(error="ambiguous"), "binding_choices": tuple(sorted(b.get("name", "?") for b in bindings))}


def gather_kube(facts):
    """The cluster's facts, by name; without access only `kube`, saying why (the others stay unread)."""
    from azext_identitybinding import kube
    t = facts.target
    credentials = fixes.get_credentials(t)
    if t.skip_cluster:
        return {"kube": Access(skip="--skip-cluster was given")}
    try:
        cluster = kube.Cluster(t.kubeconfig, t.context)
    except kube.KubeConfigError as ex:
        return {"kube": Access(skip=str(ex), fix=credentials)}
    host = (urlparse(cluster.server).hostname or "").lower()
    names = _api_server_names(facts.cluster)
    if names and host not in names:
        return {"kube": Access(skip=f"kubeconfig context '{cluster.context}' points to {host}, not to cluster "
                                    f"'{t.cluster}' ({', '.join(sorted(names))})",
                               fix=f"{credentials} (or pass --context)")}
    try:  # the first read also tells whether the API server answers at all
        sa = Got(cluster.service_account(t.namespace, t.sa_name))
    except kube.Unreachable as ex:
        return {"kube": Access(skip=str(ex), fix=f"kubectl --context {cluster.context} get --raw /readyz")}
    except kube.NotFound as ex:
        sa = Got(error=str(ex), missing=True)
    except kube.KubeError as ex:
        sa = Got(error=str(ex))
    client_id = facts.ident.client_id
    reads = {
        "crbs": cluster.cluster_role_bindings,
        "crs": cluster.cluster_roles,
        "webhook": lambda: cluster.deployments(WEBHOOK_NAMESPACE, WEBHOOK_SELECTOR),
        "webhook_config": lambda: cluster.config_map(WEBHOOK_NAMESPACE, WEBHOOK_CONFIG),
        "root_ca": lambda: cluster.config_map(t.namespace, ROOT_CA),
        "pods": lambda: cluster.pods(t.namespace, f"spec.serviceAccountName={t.sa_name}"),
    }
    if client_id:
        reads["sar"] = lambda: cluster.subject_access_review(sar_spec(t, client_id))
    # One after the other: a handful of quick reads of one API server, in a fixed order.
    found = {"sar": Got(), **{key: _got(read) for key, read in reads.items()}}
    sar = found["sar"]  # unread (no value) when the client id is not known: no review to ask about
    if client_id and sar.ok and not (sar.value.get("status") or {}).get("allowed"):
        # Denied at cluster scope: would a namespaced check (a RoleBinding) allow it?
        found["sar_ns"] = _got(lambda: cluster.subject_access_review(sar_spec(t, client_id, t.namespace)))
    return {"kube": Access(context=cluster.context, server=cluster.server), "sa": sa, **found}


def _api_server_names(cluster):
    if not cluster.ok:
        return set()
    props = cluster.value.get("properties") or {}
    return {props[k].lower() for k in ("fqdn", "privateFQDN") if props.get(k)}
