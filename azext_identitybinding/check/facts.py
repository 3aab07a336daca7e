"""The vocabulary of `az aks identity-binding check`: the target, the facts, the identity, check items.

Pure: no Azure or Kubernetes calls and no az imports. gather.py fills a Facts (each fact a Got: a
value, or why it could not be had); the rules (rules.py) judge it; fixes.py spells the fix commands.
"""
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from azext_identitybinding.constants import API_GROUP, VAULT_TYPE, VERB
from azext_identitybinding.ids import fleet_profile, parse, part, service_account_parts


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
    target_resource: Optional[str] = None  # --target-resource: the resource the workload reads (checked id)
    target_permission: Optional[str] = None  # --target-permission: secrets | keys | certificates (vaults)

    def __post_init__(self):
        self.namespace, self.sa_name = service_account_parts(self.service_account)
        self.pod_files = list(self.pod_files)

    @property
    def target_is_vault(self):
        return bool(self.target_resource) and parse(self.target_resource).type.lower() == VAULT_TYPE.lower()

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
        binding = facts.binding.value if facts.binding.ok else {}
        mi = ((binding or {}).get("properties") or {}).get("managedIdentity") or {}
        resource = (facts.identity.value or {}) if facts.identity.ok else {}
        props = resource.get("properties") or {}
        self.id = mi.get("resourceId") or facts.target.identity_id or resource.get("id") or ""
        self.client_id = (mi.get("clientId") or props.get("clientId") or "").lower()
        self.tenant_id = (mi.get("tenantId") or props.get("tenantId") or "").lower()
        self.object_id = (mi.get("objectId") or props.get("principalId") or "").lower()
        self.issuer = (((binding or {}).get("properties") or {}).get("oidcIssuer") or {}).get("oidcIssuerUrl", "")
        self.binding_name = (binding or {}).get("name") or facts.target.binding_name
        # the AKS Fleet Manager identity binding profile that manages the binding (managedBy), or None
        self.fleet_profile = fleet_profile((binding or {}).get("managedBy"))

    @property
    def name(self):
        return part(self.id, "userAssignedIdentities")

    @property
    def resource_group(self):
        return part(self.id, "resourceGroups") or "<group>"


def vault_uses_rbac(vault):
    """Azure RBAC decides a vault's data-plane access exactly when enableRbacAuthorization is true;
    otherwise (false, or absent as on vaults made before the property) its access policies do."""
    props = vault.get("properties") if isinstance(vault, dict) else None
    return isinstance(props, dict) and props.get("enableRbacAuthorization") is True


def why_not(got, what):
    return f"{what} could not be read: {got.error}" if got.error else f"{what} does not exist"


@dataclass
class Access:
    """How the cluster's API server was reached, or why it was not (then the cluster rules skip)."""

    context: str = ""
    server: str = ""
    skip: str = ""  # why the cluster is not checked; empty when it is
    fix: str = ""  # the command that would give access


# One field per fact the rules read: many by nature, and each declared here rather than as dict keys.
@dataclass
class Facts:  # pylint: disable=too-many-instance-attributes
    """Everything `check` judges. A fact never read (not needed, or no cluster access) is Got(): no
    value and no error."""

    target: Target
    # Azure, through arm.py
    cluster: Got = field(default_factory=Got)  # the managed cluster
    binding: Got = field(default_factory=Got)  # the binding checked: named, else the identity's, else the only one
    binding_note: str = ""  # how the binding was picked when none was named
    binding_choices: tuple = ()  # the cluster's binding names, when none was named and there are several
    identity: Got = field(default_factory=Got)  # the managed identity resource (given, or the binding's)
    fics: Got = field(default_factory=Got)  # the identity's federated credentials
    # --target-resource, through arm/access.py
    vault: Got = field(default_factory=Got)  # the target Key Vault (read only when the target is one)
    role_assignments: Got = field(default_factory=Got)  # the principal's, at, above and below the target
    role_definitions: dict = field(default_factory=dict)  # lower-case roleDefinitionId -> Got(definition)
    # the cluster, through kube.py
    kube: Access = field(default_factory=Access)
    sa: Got = field(default_factory=Got)  # the service account
    sar: Got = field(default_factory=Got)  # cluster-scope SubjectAccessReview: may the SA use the client id?
    sar_ns: Optional[Got] = None  # the same review in the namespace; asked only when `sar` was denied
    crbs: Got = field(default_factory=Got)  # ClusterRoleBindings (a list object)
    crs: Got = field(default_factory=Got)  # ClusterRoles (a list object)
    webhook: Got = field(default_factory=Got)  # the workload identity webhook's Deployments (a list object)
    webhook_config: Got = field(default_factory=Got)  # the webhook's ConfigMap
    root_ca: Got = field(default_factory=Got)  # the namespace's kube-root-ca.crt ConfigMap
    pods: Got = field(default_factory=Got)  # pods running as the service account (a list object)

    @cached_property
    def ident(self):
        """The identity, worked out once, on first use: after the Azure facts are in, as gather.py uses it."""
        return Identity(self)
