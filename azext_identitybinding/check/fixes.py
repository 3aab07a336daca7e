"""The commands that fix what `check` finds, from its Target `t` and Identity `ident` (facts.py).

Pure: strings only. The az command lines themselves are spelled in commandline.py.
"""
from azext_identitybinding import commandline


def show(t, name):
    return commandline.show(t.resource_group, t.cluster, name)


def create(t, ident):
    return commandline.create(t.resource_group, t.cluster, ident.binding_name, ident.id)


def delete(t, name):
    return commandline.delete(t.resource_group, t.cluster, name)


def recreate(t, ident):
    """Delete and create again: the binding re-creates its federated credential and takes the new client id."""
    return f"{delete(t, ident.binding_name)} && {create(t, ident)}"


def check_binding(t, name):
    return commandline.binding("check", t.resource_group, t.cluster, name, service_account=t.service_account)


def _identity_source(facts):
    t, ident = facts.target, facts.ident
    if facts.binding.ok:
        return {"g": t.resource_group, "cluster_name": t.cluster, "n": ident.binding_name}
    if ident.id:
        return {"managed_identity_resource_id": ident.id}
    return {"client_id": ident.client_id}


def generate_rbac(facts, include_sa=False):
    """The RBAC grant applied with kubectl; the source is the binding when it exists, else the identity.
    On a binding that an AKS Fleet Manager profile manages, the grant is placed from the fleet's hub
    instead (fleet_placement): a grant applied to one member by hand is missing on the profile's others."""
    profile = facts.ident.fleet_profile
    if profile is not None:
        return fleet_placement(facts, profile)
    grant = commandline.generate_rbac(**_identity_source(facts), service_account=facts.target.service_account,
                                      include_sa=include_sa)
    return f"{grant} -o yaml | kubectl apply -f -"


def fleet_placement(facts, profile):
    """generate-manifests' List with a ClusterResourcePlacement, applied on the hub of the profile's fleet
    (whose kubeconfig context `az fleet get-credentials` makes the current one): Fleet then puts the RBAC
    and the annotated service account on the members. The identity is the same on every member, so it is
    read from the identity itself where known, not from this member's binding."""
    from azext_identitybinding.ids import is_guid
    from azext_identitybinding.rbac import default_name
    ident = facts.ident
    source = ({"managed_identity_resource_id": ident.id} if ident.id else _identity_source(facts))
    hub = commandline.fleet_get_credentials(profile.resource_group, profile.fleet, profile.subscription)
    # named as the ClusterRole it places; a binding the service returned without a client id gets a placeholder
    name = default_name(ident.client_id) if is_guid(ident.client_id) else commandline.PLACEMENT_NAME
    place = commandline.generate_manifests(**source, service_account=facts.target.service_account,
                                           fleet_placement=name)
    return f"{hub} && {place} -o yaml | kubectl apply -f -"


def annotate(t, key, value):
    return f"kubectl -n {t.namespace} annotate serviceaccount {t.sa_name} {key}={value} --overwrite"


def aks_update(t, flags):
    return f"{commandline.az('aks', 'update', g=t.resource_group, n=t.cluster)} {flags}"


def get_credentials(t):
    return commandline.az("aks", "get-credentials", g=t.resource_group, n=t.cluster)


def list_clusters(t):
    return commandline.az("aks", "list", g=t.resource_group, o="table")


def list_fics(ident):
    return commandline.az("identity", "federated-credential", "list", g=ident.resource_group,
                          identity_name=ident.name, o="table")


def get_upgrades(t):
    return commandline.az("aks", "get-upgrades", g=t.resource_group, n=t.cluster, o="table")


def fleet_note(profile):
    """Why a fleet-managed member's RBAC fix is a placement, and where the profile's member selector is."""
    return (f"; the binding is managed by AKS Fleet Manager identity binding profile '{profile.profile}' of fleet "
            f"'{profile.fleet}', which binds the identity on every member it selects: place the grant from the "
            "fleet's hub so that each of them gets it (add --member-selector with the profile's member selector, "
            f"as `{commandline.fleet_profile_show(profile)}` shows it, to place it only there)")
