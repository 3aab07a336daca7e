"""Identifiers: URL path segments, Azure resource names and resource ids. Pure (standard library only).

This is the one checked place every user value passes through before it becomes part of a URL.
A segment that is empty, `.` or `..`, or that holds `/ \\ ? # %` or a control character, would
change which resource a request reaches (HTTP clients and servers resolve dot segments, and
`%2E%2E` is decoded back to `..` on the way), so it is refused here, never sent.

azure-mgmt-core's `parse_resource_id` is not used: it accepts `..` and `%2f` as names and does
not understand `//`, so it could not be the checked place (see docs/security.md).
"""
import re
from collections import namedtuple
from typing import NamedTuple
from urllib.parse import quote

from azext_identitybinding.constants import FLEET_PROFILE_TYPE, IDENTITY_TYPE

# Fixed keys of a resource id, in the spelling ARM documents; ids are compared case-insensitively.
_CANONICAL = {k.lower(): k for k in (
    "subscriptions", "resourceGroups", "providers", "Microsoft.ManagedIdentity", "userAssignedIdentities",
    "federatedIdentityCredentials", "Microsoft.ContainerService", "managedClusters", "identityBindings")}

# Used with fullmatch(), never match() + "$": "$" also matches before a trailing newline.
_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Azure's documented name rules (fullmatch): resource group 1-90 (unicode letters and digits,
# '-_.()', not ending in '.'); AKS cluster 1-63; user-assigned identity 3-128.
_GROUP_CHARS, _GROUP_RE = re.compile(r"[-\w.()]"), re.compile(r"[-\w.()]{0,89}[-\w()]")
_NAME_CHARS = re.compile(r"[-_A-Za-z0-9]")
_CLUSTER_RE = re.compile(r"[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?")
_IDENTITY_RE = re.compile(r"[A-Za-z0-9][-_A-Za-z0-9]{2,127}")
# Identity bindings: the spec says ^[a-z][a-z0-9]{0,63}$, the service's own docs use '-'; we accept
# ASCII letters, digits, '-' and '_' and let the service judge the rest.
_BINDING_RE = re.compile(r"[A-Za-z0-9][-_A-Za-z0-9]{0,62}")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~()-]+")  # characters _char_problem never refuses
_SHOWN = 40       # characters of a bad name repeated in a message
_SHOWN_ID = 300   # ... of a bad resource id


class IdError(ValueError):
    """A value that cannot be used as (part of) an Azure identifier; str() names it and says why."""


class UnsafeSegment(IdError):
    """A value that would change the shape of a URL if it were put into one."""


def show(value, limit=_SHOWN):
    """A bad value as a message shows it: quoted, control characters escaped, a long one cut."""
    if not isinstance(value, str) or len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


def segment_problem(value):
    """Why `value` cannot be one URL path segment, or None when it can."""
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not text"
    if not value:
        return "it is empty"
    if value in (".", ".."):
        return "it is a dot segment, which HTTP resolves to another URL ('..' is the parent resource)"
    if _PLAIN_SEGMENT.fullmatch(value):  # the usual case, at a fraction of the per-character cost below
        return None
    for ch in value:
        problem = _char_problem(ch)
        if problem:
            return problem
    return None


def _char_problem(ch):
    """Why one character cannot be in a URL path segment, or None when it can."""
    if ch in "/\\?#%":
        return f"it contains {ch!r}, which changes the shape of a URL"
    if ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f:
        return f"it contains the control character U+{ord(ch):04X}"
    if 0xd800 <= ord(ch) <= 0xdfff:  # cannot be encoded into a URL at all
        return f"it contains U+{ord(ch):04X}, a lone surrogate that is not text"
    return None


def check_segment(value, what):
    problem = segment_problem(value)
    if problem:
        raise UnsafeSegment(f"the {what} {show(value)} cannot be used: {problem}.")
    return value


def path(*segments):
    """'/a/b/c' from segments, each checked and percent-encoded: the only way a URL path is built."""
    return "".join("/" + quote(check_segment(s, "URL path segment"), safe="") for s in segments)


# -- names ----------------------------------------------------------------------------------------

# A kind of name: its length limit, the characters it may hold, its whole shape, and how to say it.
_NameRule = namedtuple("_NameRule", "what max_len chars pattern expected")
_GROUP = _NameRule("resource group name", 90, _GROUP_CHARS, _GROUP_RE,
                   "use letters, digits, '-', '_', '.', '(' and ')', not ending in '.'")
_CLUSTER = _NameRule("cluster name", 63, _NAME_CHARS, _CLUSTER_RE,
                     "use letters, digits, '-' and '_', starting and ending with a letter or digit")
_BINDING = _NameRule("identity binding name", 63, _NAME_CHARS, _BINDING_RE,
                     "use letters, digits, '-' and '_', starting with a letter or digit "
                     "(lowercase letters and digits always work)")
_IDENTITY = _NameRule("identity name", 128, _NAME_CHARS, _IDENTITY_RE,
                      "3-128 letters, digits, '-' and '_', starting with a letter or digit")


def _name(value, rule):
    what = rule.what
    value = value.strip() if isinstance(value, str) else value
    if value == "":
        raise IdError(f"the {what} must not be empty.")
    check_segment(value, what)
    if len(value) > rule.max_len:
        raise IdError(f"the {what} {show(value)} is {len(value)} characters long; the limit is {rule.max_len}.")
    bad = next((ch for ch in value if not rule.chars.fullmatch(ch)), None)
    if bad is not None:
        raise IdError(f"the {what} {show(value)} contains {bad!r}: {rule.expected}.")
    if not rule.pattern.fullmatch(value):
        raise IdError(f"the {what} {show(value)} is not valid: {rule.expected}.")
    return value


def resource_group_name(value):
    return _name(value, _GROUP)


def cluster_name(value):
    return _name(value, _CLUSTER)


def binding_name(value):
    return _name(value, _BINDING)


def identity_name(value):
    return _name(value, _IDENTITY)


def is_guid(value):
    return isinstance(value, str) and bool(_GUID_RE.fullmatch(value.strip()))


# -- Kubernetes names ----------------------------------------------------------------------------

# DNS-1123: a label (namespaces, container names: at most 63) and a subdomain ('.'-joined labels:
# object and service-account names, at most 253). Used with fullmatch().
DNS_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN_RE = re.compile(rf"{DNS_LABEL_RE.pattern}(\.{DNS_LABEL_RE.pattern})*")


def service_account_parts(ref):
    """(namespace, name) of a checked 'NAMESPACE/NAME' (rbac.parse_service_account checks it)."""
    namespace, _, name = ref.partition("/")
    return namespace, name


# -- resource ids ---------------------------------------------------------------------------------

class ResourceId:
    """A parsed ARM resource id: subscription, optional group, provider namespace and (type, name) pairs."""

    def __init__(self, subscription, resource_group=None, namespace=None, types=()):
        self.subscription, self.resource_group, self.namespace = subscription, resource_group, namespace
        self.types = tuple(types)

    @property
    def name(self):
        return self.types[-1][1] if self.types else (self.resource_group or self.subscription)

    @property
    def type(self):
        """'Microsoft.ManagedIdentity/userAssignedIdentities' (child types joined by '/')."""
        return "/".join([self.namespace or ""] + [t for t, _ in self.types]) if self.namespace else ""

    def segments(self):
        parts = ["subscriptions", self.subscription]
        if self.resource_group is not None:
            parts += ["resourceGroups", self.resource_group]
        if self.namespace:
            parts += ["providers", self.namespace]
            for kind, name in self.types:
                parts += [kind, name]
        return parts

    def __str__(self):
        return "/" + "/".join(self.segments())

    def __eq__(self, other):
        return isinstance(other, ResourceId) and str(self).lower() == str(other).lower()

    def __hash__(self):
        return hash(str(self).lower())


def parse(text, what="resource id"):
    """Parse an ARM resource id (or a subscription / resource group scope), normalising '//', a
    trailing '/' and the case of the fixed keys; names keep the caller's casing. Every name is
    checked as a URL segment. Raises IdError naming the value."""
    if not isinstance(text, str):
        raise IdError(f"the {what} {show(text, _SHOWN_ID)} is not text.")
    raw = text.strip()
    if not raw.startswith("/"):
        raise IdError(f"{show(text, _SHOWN_ID)} is not a resource id: a resource id starts with '/subscriptions/'.")
    parts = [p for p in raw.split("/") if p]
    for piece in parts:
        problem = segment_problem(piece) or ("it starts or ends with white space" if piece != piece.strip() else None)
        if problem:
            raise UnsafeSegment(f"the {what} {show(text, _SHOWN_ID)} cannot be used: its part {show(piece)} is "
                                f"unsafe ({problem}).")
    keys = [p.lower() for p in parts[0::2]]
    if len(parts) < 2 or keys[0] != "subscriptions":
        raise IdError(f"{show(text, _SHOWN_ID)} is not a {what}: it must start with /subscriptions/SUBSCRIPTION_ID.")
    subscription, group, namespace, types = parts[1], None, None, []
    rest = parts[2:]
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            raise IdError(f"{show(text, _SHOWN_ID)} is not a {what}: 'resourceGroups' has no name after it.")
        group, rest = rest[1], rest[2:]
    if rest:
        if rest[0].lower() != "providers" or len(rest) < 4 or len(rest) % 2:
            raise IdError(f"{show(text, _SHOWN_ID)} is not a {what}: expected "
                          ".../providers/NAMESPACE/TYPE/NAME[/TYPE/NAME...].")
        namespace = _CANONICAL.get(rest[1].lower(), rest[1])
        types = [(_CANONICAL.get(rest[i].lower(), rest[i]), rest[i + 1]) for i in range(2, len(rest), 2)]
    return ResourceId(subscription, group, namespace, types)


IDENTITY_ID_EXPECTED = ("expected /subscriptions/SUBSCRIPTION_ID/resourceGroups/GROUP/providers/"
                        "Microsoft.ManagedIdentity/userAssignedIdentities/NAME, the 'id' printed by "
                        "`az identity show -g GROUP -n NAME`")


def parse_identity_id(text):
    """A user-assigned identity's resource id, checked part by part; IdError says what is wrong."""
    if isinstance(text, str) and not text.strip():
        raise IdError(f"the managed identity resource id must not be empty; {IDENTITY_ID_EXPECTED}.")
    if is_guid(text):
        raise IdError(f"{show(text, _SHOWN_ID)} is a GUID (a client or object id), not a resource id; "
                      f"{IDENTITY_ID_EXPECTED}.")
    try:
        rid = parse(text, "managed identity resource id")
    except IdError as ex:
        raise IdError(f"{ex} {IDENTITY_ID_EXPECTED[0].upper()}{IDENTITY_ID_EXPECTED[1:]}.") from None
    if rid.resource_group is None or rid.type.lower() != IDENTITY_TYPE.lower():
        raise IdError(f"{show(text, _SHOWN_ID)} is not the resource id of a user-assigned managed identity; "
                      f"{IDENTITY_ID_EXPECTED}.")
    if not is_guid(rid.subscription):
        raise IdError(f"the subscription {show(rid.subscription)} in {show(text, _SHOWN_ID)} is not a GUID; "
                      f"{IDENTITY_ID_EXPECTED}.")
    try:
        resource_group_name(rid.resource_group)
        identity_name(rid.name)
    except IdError as ex:
        raise IdError(f"{show(text, _SHOWN_ID)}: {ex}") from None
    return rid


def part(resource_id, key):
    """The name after `key` (case-insensitive) in an id the service returned, or '' (never raises)."""
    parts = (resource_id or "").split("/") if isinstance(resource_id, str) else []
    lowered = [p.lower() for p in parts]
    key = key.lower()
    return parts[lowered.index(key) + 1] if key in lowered[:-1] else ""


def same_resource(a, b):
    """ARM ids compare case-insensitively, '//' and a trailing '/' aside (the service keeps each caller's casing)."""
    def norm(value):
        return "/".join(p for p in (value or "").lower().split("/") if p) if isinstance(value, str) else ""
    return norm(a) == norm(b)


class FleetProfile(NamedTuple):
    """The AKS Fleet Manager identity binding profile named by a binding's managedBy."""
    subscription: str
    resource_group: str
    fleet: str
    profile: str


def fleet_profile(managed_by):
    """The FleetProfile a managedBy value names, or None when it names something else (never raises:
    the value comes from the service, and an odd one must still be reported, not crash)."""
    try:
        rid = parse(managed_by, "managedBy resource id")
    except IdError:
        return None
    if rid.resource_group is None or rid.type.lower() != FLEET_PROFILE_TYPE.lower():
        return None
    return FleetProfile(rid.subscription, rid.resource_group, rid.types[0][1], rid.types[1][1])


# -- `check --target-resource`: the resource a workload reads, and the scopes of role assignments ---

TARGET_ID_EXPECTED = ("expected the 'id' of the resource the workload reads, e.g. /subscriptions/SUBSCRIPTION_ID/"
                      "resourceGroups/GROUP/providers/Microsoft.KeyVault/vaults/NAME (`az keyvault show -g GROUP "
                      "-n NAME --query id -o tsv`)")


def parse_target_id(text):
    """The resource id of `check --target-resource`: any resource (or resource group, or subscription),
    checked part by part; a Key Vault's secret, key or certificate is refused (access is judged on the
    vault). IdError says what is wrong."""
    if isinstance(text, str) and not text.strip():
        raise IdError(f"the target resource id must not be empty; {TARGET_ID_EXPECTED}.")
    try:
        rid = parse(text, "target resource id")
    except IdError as ex:
        raise IdError(f"{ex} {TARGET_ID_EXPECTED[0].upper()}{TARGET_ID_EXPECTED[1:]}.") from None
    if not is_guid(rid.subscription):
        raise IdError(f"the subscription {show(rid.subscription)} in {show(text, _SHOWN_ID)} is not a GUID; "
                      f"{TARGET_ID_EXPECTED}.")
    if rid.resource_group is not None:
        try:
            resource_group_name(rid.resource_group)
        except IdError as ex:
            raise IdError(f"{show(text, _SHOWN_ID)}: {ex}") from None
    if (rid.namespace or "").lower() == "microsoft.keyvault" and len(rid.types) > 1 and \
            rid.types[0][0].lower() == "vaults":
        vault = ResourceId(rid.subscription, rid.resource_group, rid.namespace, rid.types[:1])
        raise IdError(f"{show(text, _SHOWN_ID)} is an object inside a Key Vault; give the vault's id ({vault}): "
                      "who may read its secrets, keys or certificates is decided on the vault.")
    return rid


_ROLE_DEFINITION_TAIL = ("providers", "microsoft.authorization", "roledefinitions")


def role_definition_path(text):
    """The URL path segments of a roleDefinitionId that a role assignment names (the service gives it:
    /subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID, or the same under a
    management group or at the root), each checked as a segment; IdError for anything else."""
    if not isinstance(text, str) or not text.startswith("/"):
        raise IdError(f"the role definition id {show(text, _SHOWN_ID)} is not a resource id.")
    parts = [p for p in text.split("/") if p]
    for piece in parts:
        check_segment(piece, "part of a role definition id")
    head, tail, guid = parts[:-4], tuple(p.lower() for p in parts[-4:-1]), parts[-1] if parts else ""
    scope_ok = (not head or (len(head) == 2 and head[0].lower() == "subscriptions") or
                (len(head) == 4 and [p.lower() for p in head[:3]] ==
                 ["providers", "microsoft.management", "managementgroups"]))
    if len(parts) < 4 or tail != _ROLE_DEFINITION_TAIL or not is_guid(guid) or not scope_ok:
        raise IdError(f"{show(text, _SHOWN_ID)} is not a role definition id (expected .../providers/"
                      "Microsoft.Authorization/roleDefinitions/GUID).")
    return parts


def _scope_parts(scope):
    return [p for p in scope.lower().split("/") if p] if isinstance(scope, str) else None


def scope_relation(scope, resource_id):
    """How a role assignment's scope (as ARM reports it) stands to a resource: 'at' it, 'above' it (a
    parent: its group, its subscription, a management group, the root '/'), 'below' it (a child, e.g. one
    secret of a vault), or None (unrelated). Case-insensitive, on whole segments ('/rg1' is not above
    '/rg10'). A management group is taken as above: ARM lists only the ones the resource is under."""
    mine, theirs = _scope_parts(resource_id), _scope_parts(scope)
    if mine is None or theirs is None:
        return None
    if theirs == mine:
        return "at"
    if theirs == mine[:len(theirs)]:
        return "above"
    if theirs[:len(mine)] == mine:
        return "below"
    if len(theirs) == 4 and theirs[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return "above"
    return None
