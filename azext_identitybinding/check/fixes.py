"""The commands that fix what `check` finds: each spelled once, here.

Pure: strings only. `t` is the Target, `ident` the Identity (facts.py).
"""


def _binding_cmd(verb, t, name=None):
    named = f" -n {name}" if name else ""
    return f"az aks identity-binding {verb} -g {t.resource_group} --cluster-name {t.cluster}{named}"


def show(t, name):
    return _binding_cmd("show", t, name)


def create(t, ident):
    return (f"{_binding_cmd('create', t, ident.binding_name or '<binding-name>')} "
            f"--managed-identity-resource-id {ident.id or '<identity-id>'}")


def delete(t, name):
    return f"{_binding_cmd('delete', t, name or '<binding-name>')} --yes"


def recreate(t, ident):
    """Delete and create again: the binding re-creates its federated credential and takes the new client id."""
    return f"{delete(t, ident.binding_name)} && {create(t, ident)}"


def check_binding(t, name):
    return f"{_binding_cmd('check', t)} --service-account {t.service_account} -n {name}"


def generate_rbac(facts, include_sa=False):
    """The RBAC grant applied with kubectl; the source is the binding when it exists, else the identity."""
    t, ident = facts.target, facts.ident
    if facts.binding.ok:
        source = f"-g {t.resource_group} --cluster-name {t.cluster} -n {ident.binding_name}"
    elif ident.id:
        source = f"--managed-identity-resource-id {ident.id}"
    else:
        source = f"--client-id {ident.client_id}"
    sa = " --include-sa" if include_sa else ""
    return (f"az aks identity-binding generate-rbac {source} --service-account {t.service_account}{sa} "
            "-o yaml | kubectl apply -f -")


def annotate(t, key, value):
    return f"kubectl -n {t.namespace} annotate serviceaccount {t.sa_name} {key}={value} --overwrite"


def aks_update(t, flags):
    return f"az aks update -g {t.resource_group} -n {t.cluster} {flags}"


def get_credentials(t):
    return f"az aks get-credentials -g {t.resource_group} -n {t.cluster}"
