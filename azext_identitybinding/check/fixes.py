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


def generate_rbac(facts, include_sa=False):
    """The RBAC grant applied with kubectl; the source is the binding when it exists, else the identity."""
    t, ident = facts.target, facts.ident
    if facts.binding.ok:
        source = {"g": t.resource_group, "cluster_name": t.cluster, "n": ident.binding_name}
    elif ident.id:
        source = {"managed_identity_resource_id": ident.id}
    else:
        source = {"client_id": ident.client_id}
    grant = commandline.generate_rbac(**source, service_account=t.service_account, include_sa=include_sa)
    return f"{grant} -o yaml | kubectl apply -f -"


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
