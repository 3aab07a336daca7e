"""AKS Fleet Manager: a ClusterResourcePlacement that puts what generate-rbac/generate-manifests made on
the fleet's member clusters.

Pure and deterministic: standard library only, no Azure calls, no clock. The placement is built from the
generated List itself, so that it selects exactly those objects: each cluster-scoped object (the
ClusterRole and the ClusterRoleBinding) by group, version, kind and name, and each namespace that holds
a generated namespaced object (the annotated ServiceAccounts, the SecretProviderClasses). A placement
can select namespaced objects only through their namespace, and then takes the namespace whole: the
caller says so on stderr, and `rbac_only` leaves the namespaces out.

The member selector is the `KEY=VALUE` pairs that `az fleet identitybindingprofile create
--member-selector` takes (an equality-only Kubernetes label selector, e.g. `env=prod,region=eu`): the
placement's cluster affinity requires the same labels, so the RBAC lands on the members that get the
bindings.
"""
import re

from azext_identitybinding import rbac
from azext_identitybinding.constants import (MANAGED_BY, MANAGED_BY_LABEL, PLACEMENT_API_VERSION, PLACEMENT_KIND,
                                             PLACEMENT_TYPE)
from azext_identitybinding.ids import show

# Kubernetes label syntax (apimachinery's IsQualifiedName / IsValidLabelValue), ASCII only, with fullmatch.
_NAME_RE = re.compile(r"[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?")
_PREFIX_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_PREFIX_MAX = 253
_NAME_MAX = 63
SELECTOR_SYNTAX = "KEY=VALUE"
_KEY_RULE = ("a label key is an optional DNS subdomain prefix (at most 253 characters) and '/', then a name of "
             "1-63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
_VALUE_RULE = "a label value has 1-63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"


class PlacementInputError(rbac.RbacInputError):
    """Bad input for the placement; `.argument` is the flag, str() the whole message."""


def _fail(argument, value, detail):
    raise PlacementInputError(argument, value, f"{argument} {show(value)}: {detail}.")


def validate_placement_name(value, argument="--fleet-placement"):
    """The ClusterResourcePlacement's name: a DNS-1123 label (at most 63 characters; Fleet also writes the
    name into labels of what it creates, where 63 is the limit)."""
    return rbac.validate_dns_label(value, argument, "placement name")


def label_key_problem(key):
    """What is wrong with `key` as a Kubernetes label key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "its prefix before '/' is empty"
    if slash and (len(prefix) > _PREFIX_MAX or not _PREFIX_RE.fullmatch(prefix)):
        return f"its prefix {show(prefix)} is not a lowercase DNS subdomain"
    if not name:
        return "its name is empty"
    if len(name) > _NAME_MAX or not _NAME_RE.fullmatch(name):
        return f"its name {show(name)} is not valid"
    return None


def label_value_problem(value):
    """What is wrong with `value` as a label value here, or None (an empty value is refused: a pair
    without a value selects nothing the profile's selector would)."""
    if not value:
        return "the value is empty"
    if len(value) > _NAME_MAX or not _NAME_RE.fullmatch(value):
        return f"the value {show(value)} is not valid"
    return None


def parse_selector_pair(text, argument="--member-selector"):
    """One `KEY=VALUE` -> (key, value), both checked."""
    if not isinstance(text, str):
        _fail(argument, text, f"expected {SELECTOR_SYNTAX}, as text")
    pair = text.strip()
    key, equals, value = pair.partition("=")
    key, value = key.strip(), value.strip()
    if not equals or not key:
        _fail(argument, text, f"expected {SELECTOR_SYNTAX}, e.g. env=prod (only equality: no '!=', 'in' or "
                              "'notin')")
    if key.endswith("!"):
        _fail(argument, text, "'!=' is not supported: the member selector takes KEY=VALUE pairs, all required")
    problem = label_key_problem(key)
    if problem:
        _fail(argument, text, f"{problem}; {_KEY_RULE}")
    problem = label_value_problem(value)
    if problem:
        _fail(argument, text, f"{problem}; {_VALUE_RULE}")
    return key, value


def parse_member_selector(values, argument="--member-selector"):
    """`KEY=VALUE` arguments (each may also be a comma-separated list, as the profile's selector is
    written) -> {key: value}. A key given twice with two values is refused: a member has one value per
    label, so such a selector would select nothing."""
    labels = {}
    for value in rbac.as_list(values, argument):
        if not isinstance(value, str):
            _fail(argument, value, f"expected {SELECTOR_SYNTAX}, as text")
        for text in value.split(","):
            key, label = parse_selector_pair(text, argument)
            if labels.get(key, label) != label:
                _fail(argument, value, f"the key {show(key)} is given twice, as {show(labels[key])} and {show(label)}; "
                                       "a member has one value per label, so no member would match")
            labels[key] = label
    return dict(sorted(labels.items()))


def format_member_selector(labels):
    """{key: value} -> 'k1=v1,k2=v2' (sorted): the selector as `--member-selector` takes it."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def _group_version(api_version):
    group, _, version = api_version.rpartition("/")
    return group, version


def selectors_for(items, rbac_only=False):
    """(resourceSelectors, namespaces placed whole) for the generated `items`: each cluster-scoped object
    by name; each namespace of a namespaced object (none with rbac_only)."""
    selectors, namespaces = [], set()
    for item in items:
        metadata = item.get("metadata") or {}
        if metadata.get("namespace"):
            namespaces.add(metadata["namespace"])
            continue
        group, version = _group_version(item["apiVersion"])
        selectors.append({"group": group, "version": version, "kind": item["kind"], "name": metadata["name"]})
    placed = [] if rbac_only else sorted(namespaces)
    selectors += [{"group": "", "version": "v1", "kind": "Namespace", "name": ns} for ns in placed]
    return selectors, placed


def cluster_resource_placement(name, items, member_selector=None, rbac_only=False):
    """The ClusterResourcePlacement for the fleet hub that places `items` (see selectors_for) on every
    joined member (PickAll), or, with `member_selector` ({key: value}), on the members with all those
    labels. Returns (placement, namespaces placed whole)."""
    name = validate_placement_name(name)
    selectors, placed = selectors_for(items, rbac_only)
    if not selectors:
        raise PlacementInputError("--fleet-placement", name, "--fleet-placement: nothing to place.")
    policy = {"placementType": PLACEMENT_TYPE}
    if member_selector:
        labels = parse_member_selector([format_member_selector(member_selector)])
        policy["affinity"] = {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "clusterSelectorTerms": [{"labelSelector": {"matchLabels": labels}}]}}}
    placement = {
        "apiVersion": PLACEMENT_API_VERSION,
        "kind": PLACEMENT_KIND,
        "metadata": {"name": name, "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
        "spec": {"resourceSelectors": selectors, "policy": policy},
    }
    return placement, placed


def with_placement(result, name, member_selector=None, rbac_only=False):
    """The generated List with its ClusterResourcePlacement appended (a new List; `result` is unchanged),
    and the namespaces the placement takes whole."""
    items = list(result["items"])
    placement, placed = cluster_resource_placement(name, items, member_selector, rbac_only)
    return {**result, "items": items + [placement]}, placed


def left_behind(items):
    """Namespaces of generated namespaced objects (sorted): what --placement-rbac-only does not place."""
    return sorted({(i.get("metadata") or {}).get("namespace") for i in items} - {None, ""})
