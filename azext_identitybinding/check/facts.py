"""The vocabulary of `az aks identity-binding check`: facts, targets, check items, fix commands.

Pure: no Azure or Kubernetes calls and no az imports. gather.py fills the facts (each a Got: a
value, or why it could not be had); azure_rules.py and cluster_rules.py judge them; check/__init__.py runs the
rules in order.
"""
from dataclasses import dataclass
from typing import Any, Optional

from azext_identitybinding.constants import API_GROUP, VERB
from azext_identitybinding.ids import part


@dataclass
class Got:
    """One fact: its value, or the reason it could not be had (missing: the thing does not exist)."""

    value: Any = None
    error: Optional[str] = None
    missing: bool = False

    @property
    def ok(self):
        return self.error is None and not self.missing


# One field per argument of `check` (and the service account's two halves): many by nature.
@dataclass
class Target:  # pylint: disable=too-many-instance-attributes
    """What the user asked to check."""

    resource_group: str
    cluster: str
    service_account: str  # NAMESPACE/NAME
    binding_name: Optional[str] = None
    identity_id: Optional[str] = None
    kubeconfig: Optional[str] = None
    context: Optional[str] = None
    skip_cluster: bool = False
    pod_files: Any = ()  # [(path, [documents])]

    def __post_init__(self):
        self.namespace, self.sa_name = self.service_account.split("/")
        self.pod_files = list(self.pod_files)

    @property
    def user(self):
        return f"system:serviceaccount:{self.namespace}:{self.sa_name}"


def item(check, status, detail, fix=""):
    """A check item; a passing check carries no fix."""
    return {"check": check, "status": status, "detail": detail, "fix": fix if status != "pass" else ""}


def sar_spec(target, client_id, namespace=None):
    """The SubjectAccessReview the identity-binding proxy is understood to make for a pod's token."""
    attributes = {"group": API_GROUP, "resource": client_id, "verb": VERB}
    if namespace:
        attributes["namespace"] = namespace
    return {"user": target.user,
            "groups": ["system:serviceaccounts", f"system:serviceaccounts:{target.namespace}", "system:authenticated"],
            "resourceAttributes": attributes}


# -- what the facts say about the identity -------------------------------------------------------

class Identity:
    """Client, tenant and object id of the identity, from the binding or the identity resource."""

    def __init__(self, facts):
        binding = facts["binding"].value if facts["binding"].ok else {}
        mi = ((binding or {}).get("properties") or {}).get("managedIdentity") or {}
        resource = (facts["identity"].value or {}) if facts["identity"].ok else {}
        props = resource.get("properties") or {}
        self.id = mi.get("resourceId") or facts["target"].identity_id or resource.get("id") or ""
        self.client_id = (mi.get("clientId") or props.get("clientId") or "").lower()
        self.tenant_id = (mi.get("tenantId") or props.get("tenantId") or "").lower()
        self.object_id = (mi.get("objectId") or props.get("principalId") or "").lower()
        self.issuer = (((binding or {}).get("properties") or {}).get("oidcIssuer") or {}).get("oidcIssuerUrl", "")
        self.binding_name = (binding or {}).get("name") or facts["target"].binding_name

    @property
    def name(self):
        return part(self.id, "userAssignedIdentities")

    @property
    def resource_group(self):
        return part(self.id, "resourceGroups") or "<group>"


def create_cmd(t, ident):
    return (f"az aks identity-binding create -g {t.resource_group} --cluster-name {t.cluster} "
            f"-n {ident.binding_name or '<binding-name>'} --managed-identity-resource-id {ident.id or '<identity-id>'}")


def rbac_cmd(t, ident, facts):
    if facts["binding"].ok:
        source = f"-g {t.resource_group} --cluster-name {t.cluster} -n {ident.binding_name}"
    elif ident.id:
        source = f"--managed-identity-resource-id {ident.id}"
    else:
        source = f"--client-id {ident.client_id}"
    return (f"az aks identity-binding generate-rbac {source} --service-account {t.service_account} "
            "-o yaml | kubectl apply -f -")


def annotate_cmd(t, key, value):
    return f"kubectl -n {t.namespace} annotate serviceaccount {t.sa_name} {key}={value} --overwrite"


def why_not(got, what):
    return f"{what} could not be read: {got.error}" if got.error else f"{what} does not exist"
