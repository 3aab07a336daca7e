"""The Azure side of `check`: the cluster, the binding, the identity and its federated credential.

Pure: each rule takes the Facts and returns its check item (in a list, as every rule does); every
fail carries the az command that fixes it.
"""
from azext_identitybinding.check import fixes
from azext_identitybinding.check.facts import item, why_not
from azext_identitybinding.check.rules import rule
from azext_identitybinding.constants import FIC_LIMIT, FIC_NAME


@rule("cluster", side="azure")
def check_cluster(facts):
    t, got = facts.target, facts.cluster
    if got.missing:
        return [item("cluster", "fail", f"cluster '{t.cluster}' was not found in resource group '{t.resource_group}'",
                     fixes.list_clusters(t))]
    if not got.ok:
        return [item("cluster", "skip", why_not(got, f"cluster '{t.cluster}'"))]
    props = got.value.get("properties") or {}
    return [item("cluster", "pass", f"cluster '{t.cluster}' ({got.value.get('location', '?')}, Kubernetes "
                                    f"{props.get('currentKubernetesVersion') or props.get('kubernetesVersion', '?')})")]


@rule("workload-identity", side="azure")
def check_workload_identity(facts):
    t, got = facts.target, facts.cluster
    if not got.ok:
        return [item("workload-identity", "skip", "needs the cluster")]
    props = got.value.get("properties") or {}
    wi = ((props.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled")
    oidc = (props.get("oidcIssuerProfile") or {}).get("enabled")
    if wi and oidc:
        return [item("workload-identity", "pass", "workload identity and the OIDC issuer are enabled")]
    off = " and ".join(x for x, on in (("workload identity", wi), ("the OIDC issuer", oidc)) if not on)
    return [item("workload-identity", "fail", f"{off} not enabled on the cluster: no webhook mutates pods",
                 fixes.aks_update(t, "--enable-oidc-issuer --enable-workload-identity"))]


@rule("vnet-integration", side="azure")
def check_vnet_integration(facts):
    got = facts.cluster
    if not got.ok:
        return [item("vnet-integration", "skip", "needs the cluster")]
    profile = (got.value.get("properties") or {}).get("apiServerAccessProfile") or {}
    if profile.get("enableVnetIntegration"):
        return [item("vnet-integration", "fail",
                     "the cluster uses API server VNet integration, which identity bindings do not support (and which "
                     "cannot be turned off)",
                     "bind the identity on a cluster without it; list those: az aks list --query "
                     "\"[?apiServerAccessProfile.enableVnetIntegration!=`true`].{name:name, group:resourceGroup}\" "
                     "-o table")]
    return [item("vnet-integration", "pass", "API server VNet integration is not used")]


@rule("binding", side="azure")
def check_binding(facts):
    t, got, ident = facts.target, facts.binding, facts.ident
    choices = facts.binding_choices
    if choices:
        return [item("binding", "fail",
                     f"the cluster has {len(choices)} identity bindings ({', '.join(choices)}) and none was named",
                     fixes.check_binding(t, choices[0]))]
    if not facts.cluster.ok and not got.ok:
        return [item("binding", "skip", "needs the cluster")]
    if got.error and not got.missing:
        return [item("binding", "skip", got.error)]
    if got.missing:
        detail = got.error or (f"no identity binding '{t.binding_name}' on cluster '{t.cluster}'" if t.binding_name
                               else f"no identity binding of '{ident.id}' on cluster '{t.cluster}'")
        return [item("binding", "fail", detail, fixes.create(t, ident))]
    return [_binding_state(facts, got.value, ident)]


def _binding_state(facts, binding, ident):
    """The binding exists: its provisioning state decides."""
    t = facts.target
    state = (binding.get("properties") or {}).get("provisioningState", "")
    name = f"binding '{binding.get('name')}'"
    if state.lower() == "succeeded":
        return item("binding", "pass", f"{name} binds client id {ident.client_id}, state Succeeded"
                                       f"{facts.binding_note}")
    if state.lower() in ("creating", "updating"):
        return item("binding", "warn", f"{name} is {state}: tokens work once it is Succeeded",
                    fixes.show(t, binding.get('name')))
    return item("binding", "fail", f"{name} is in state {state or 'unknown'}", fixes.create(t, ident))


@rule("identity", side="azure")
def check_identity(facts):
    t, got, ident = facts.target, facts.identity, facts.ident
    if got.value is None and not got.error and not got.missing:
        return [item("identity", "skip", "the identity is not known (no binding to take it from)")]
    if got.missing:
        fix = (f"{fixes.delete(t, ident.binding_name)}, then bind an existing identity" if facts.binding.ok
               else "az identity list -o table (and pass the right --managed-identity-resource-id)")
        return [item("identity", "fail", f"managed identity '{ident.id}' does not exist", fix)]
    if not got.ok:
        return [item("identity", "skip", why_not(got, "the identity"))]
    client_id = ((got.value.get("properties") or {}).get("clientId") or "").lower()
    if facts.binding.ok and client_id != ident.client_id:
        return [item("identity", "fail", f"the identity's client id is now {client_id}, but the binding holds "
                                         f"{ident.client_id}: the identity was deleted and re-created",
                     fixes.recreate(t, ident))]
    return [item("identity", "pass", f"identity '{ident.name}' exists (client id {client_id})")]


@rule("federated-credential", side="azure")
def check_fic(facts):
    t, got, ident = facts.target, facts.fics, facts.ident
    if got.value is None and not got.error and not got.missing:
        return [item("federated-credential", "skip", "the identity is not known")]
    if facts.identity.missing:
        return [item("federated-credential", "skip", "the identity does not exist")]
    if not got.ok:
        return [item("federated-credential", "skip", why_not(got, "the identity's federated credentials"))]
    fics = got.value
    used = f"the identity uses {len(fics)} of its {FIC_LIMIT} federated credentials"
    fic = next((f for f in fics if (f.get("name") or "").lower() == FIC_NAME), None)
    listing = fixes.list_fics(ident)
    recreate = fixes.recreate(t, ident)
    if fic is None:
        full = f"; no slot is free: remove an unused one first ({listing})" if len(fics) >= FIC_LIMIT else ""
        return [item("federated-credential", "fail", f"credential '{FIC_NAME}' is missing (deleted?); {used}{full}",
                     recreate)]
    issuer = (fic.get("properties") or {}).get("issuer", "")
    if ident.issuer and issuer.rstrip("/") != ident.issuer.rstrip("/"):
        return [item("federated-credential", "fail", f"credential '{FIC_NAME}' trusts issuer {issuer}, not the "
                                                     f"binding's {ident.issuer} (it was edited); {used}", recreate)]
    status = "warn" if len(fics) >= FIC_LIMIT - 2 else "pass"
    return [item("federated-credential", status, f"credential '{FIC_NAME}' trusts {issuer}; {used}",
                 listing)]
