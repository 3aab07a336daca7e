"""Where things live in ARM: the only builder of request paths, and the refs that describe a
resource in messages. Every path segment goes through ids.path(), so a value that would re-target
a request is refused here (an internal error: the argument checks refuse such values first).
"""
from dataclasses import dataclass
from typing import ClassVar, Optional

_READ_HINT = "Reading identity bindings needs 'Microsoft.ContainerService/managedClusters/read' on the cluster."


class SafePath(str):
    """A URL path whose every segment was checked by ids.path(): the only kind of path the client sends."""


def url_path(*segments):
    from azext_identitybinding import ids
    try:
        return SafePath(ids.path(*segments))
    except ids.IdError as ex:
        raise refused(ex) from None


def refused(ex):
    from azure.cli.core.azclierror import CLIInternalError
    return CLIInternalError(f"Refused to build a request URL: {ex} Nothing was sent; please report this.")


def cluster_segments(ref):
    return ["subscriptions", ref.subscription_id, "resourceGroups", ref.resource_group, "providers",
            "Microsoft.ContainerService", "managedClusters", ref.cluster]


def cluster_url(ref):
    return url_path(*cluster_segments(ref))


def identity_url(identity_id, *children):
    from azext_identitybinding import ids
    try:
        segments = ids.parse_identity_id(identity_id).segments()
    except ids.IdError as ex:
        raise refused(ex) from None
    return url_path(*segments, *children)


def fic_url(identity_id, name):
    return identity_url(identity_id, "federatedIdentityCredentials", name)


class BindingRef:
    """Where a binding lives (its name may be unset: the cluster's collection); also how messages name it."""

    read_hint: ClassVar[str] = _READ_HINT

    def __init__(self, subscription_id, resource_group, cluster, name=None):
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.cluster = cluster
        self.name = name

    def url(self, collection=False):
        return url_path(*cluster_segments(self), "identityBindings", *([] if collection else [self.name]))

    def describe(self):
        return f"'{self.name}' on cluster '{self.cluster}' (resource group '{self.resource_group}')"

    def show_command(self):
        from azext_identitybinding import commandline
        return commandline.show(self.resource_group, self.cluster, self.name)

    def list_command(self):
        from azext_identitybinding import commandline
        return commandline.list_bindings(self.resource_group, self.cluster)


@dataclass
class _ScopedListRef:
    """The resources of one type in a subscription, or in one resource group of it (subclasses name the
    type and what reading them needs)."""

    provider: ClassVar[str] = ""
    resource_type: ClassVar[str] = ""
    what: ClassVar[str] = ""
    read_hint: ClassVar[str] = ""
    subscription_id: str
    resource_group: Optional[str] = None
    cluster = None
    name = None

    def url(self):
        scope = ["subscriptions", self.subscription_id]
        if self.resource_group:
            scope += ["resourceGroups", self.resource_group]
        return url_path(*scope, "providers", self.provider, self.resource_type)

    def describe(self):
        group = f" in resource group '{self.resource_group}'" if self.resource_group else ""
        return f"the {self.what} of subscription '{self.subscription_id}'{group}"


@dataclass
class ClustersRef(_ScopedListRef):
    """The managed clusters of a subscription, or of one resource group in it."""

    provider: ClassVar[str] = "Microsoft.ContainerService"
    resource_type: ClassVar[str] = "managedClusters"
    what: ClassVar[str] = "clusters"
    read_hint: ClassVar[str] = ("Listing clusters needs 'Microsoft.ContainerService/managedClusters/read' on the "
                                "subscription or resource group.")


@dataclass
class IdentityRef:
    """A user-assigned identity, described the way error messages need it."""

    read_hint: ClassVar[str] = ("Reading a user-assigned identity needs "
                                "'Microsoft.ManagedIdentity/userAssignedIdentities/read' on the identity (for "
                                "example the 'Managed Identity Operator' role).")
    identity_id: str

    @property
    def subscription_id(self):
        """The identity's subscription: whose read budget a paced read of it spends."""
        from azext_identitybinding.ids import part
        return part(self.identity_id, "subscriptions").lower()

    def describe(self):
        return f"'{self.identity_id}'"


@dataclass
class IdentitiesRef(_ScopedListRef):
    """The user-assigned identities of a subscription, or of one resource group in it."""

    provider: ClassVar[str] = "Microsoft.ManagedIdentity"
    resource_type: ClassVar[str] = "userAssignedIdentities"
    what: ClassVar[str] = "user-assigned identities"
    read_hint: ClassVar[str] = ("Listing identities needs 'Microsoft.ManagedIdentity/userAssignedIdentities/read' on "
                                "the subscription or resource group (for example the 'Reader' role).")


@dataclass
class SubscriptionsRef:
    """The subscriptions the login can see (GET /subscriptions), as messages name them."""

    read_hint: ClassVar[str] = "Listing subscriptions needs a login that can see at least one subscription."
    resource_group = cluster = name = None

    def describe(self):
        return "the subscriptions of the login"


@dataclass
class GraphRef:
    """An Azure Resource Graph query, as messages name it."""

    read_hint: ClassVar[str] = "Querying Azure Resource Graph needs read access on the subscriptions queried."
    resource_group = cluster = name = None

    def describe(self):
        return "an Azure Resource Graph query"


# -- `check --target-resource`: the target, its role assignments and their role definitions ----------

@dataclass
class ScopeRef:
    """A resource (or scope) read for `check --target-resource`, described the way error messages need it."""

    scope: str
    read_hint: str
    cluster = None
    name = None

    def describe(self):
        return f"'{self.scope}'"


def resource_url(resource_id, *children):
    """The path of a resource by its id (any provider), through ids.parse_target_id."""
    from azext_identitybinding import ids
    try:
        segments = ids.parse_target_id(str(resource_id)).segments()
    except ids.IdError as ex:
        raise refused(ex) from None
    return url_path(*segments, *children)


def role_assignments_url(scope, principal_id):
    """The role assignments of one principal at, above and below a scope (ARM's `principalId eq` filter)."""
    from urllib.parse import quote
    from azext_identitybinding import ids
    if not ids.is_guid(principal_id):
        raise refused(ids.IdError(f"the principal id {ids.show(principal_id)} is not a GUID."))
    path = resource_url(scope, "providers", "Microsoft.Authorization", "roleAssignments")
    query = quote(f"principalId eq '{principal_id}'", safe="")
    return SafePath(f"{path}?$filter={query}")


def role_definition_url(role_definition_id):
    from azext_identitybinding import ids
    try:
        return url_path(*ids.role_definition_path(role_definition_id))
    except ids.IdError as ex:
        raise refused(ex) from None
