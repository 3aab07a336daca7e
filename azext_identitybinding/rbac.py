"""Least-privilege Kubernetes RBAC for using a managed identity through an AKS identity binding.

Pure and deterministic: standard library only, no Azure calls, no clock, no randomness. The
output is one `v1` List: a ClusterRole, a ClusterRoleBinding and, on request, ServiceAccounts.
"""
from collections import namedtuple

from azext_identitybinding.constants import (API_GROUP, CLIENT_ID_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL,
                                             TENANT_ID_ANNOTATION, VERB)
from azext_identitybinding.ids import DNS_LABEL_RE, is_guid

_RBAC_GROUP = "rbac.authorization.k8s.io"
_RBAC_API_VERSION = _RBAC_GROUP + "/v1"

_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253

_GUID_EXPECTED = "expected a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits)"
_LABEL_EXPECTED = ("expected a DNS-1123 label: at most 63 characters, only lowercase letters, digits "
                   "and '-', starting and ending with a letter or digit")
_SUBDOMAIN_EXPECTED = ("expected a DNS-1123 subdomain: at most 253 characters, only lowercase letters, "
                       "digits, '-' and '.', each '.'-separated part starting and ending with a letter "
                       "or digit")
_SA_EXAMPLE = "e.g. 'demo/workload'"
# The two kinds of Kubernetes names: a label (namespace) and a subdomain (most object names).
_DnsKind = namedtuple("_DnsKind", "max_len allow_dots expected")
_LABEL = _DnsKind(_LABEL_MAX, False, _LABEL_EXPECTED)
_SUBDOMAIN = _DnsKind(_SUBDOMAIN_MAX, True, _SUBDOMAIN_EXPECTED)


class RbacInputError(ValueError):
    """Bad input.

    `.argument` is the CLI flag the value came from (e.g. '--client-id'), `.value` the bad value;
    `str(e)` is a complete user-facing message naming the value and what is expected.
    """

    def __init__(self, argument, value, message):
        super().__init__(message)
        self.argument = argument
        self.value = value
        self.message = message


def _text(value, argument, expected):
    if not isinstance(value, str):
        raise RbacInputError(argument, value, f"{argument} {value!r}: {expected}.")
    return value.strip()


def _dns_problem(value, kind):
    """Say what is wrong with `value` as a DNS-1123 label/subdomain, or return None if it is valid."""
    if not value:
        return "it is empty"
    if len(value) > kind.max_len:
        return f"it is {len(value)} characters long"
    parts = value.split(".") if kind.allow_dots else [value]
    for part in parts:
        problem = _label_problem(part, dotted=len(parts) > 1)
        if problem:
            return problem
    return None


def _label_problem(part, dotted):
    """What is wrong with one '.'-separated part of a DNS-1123 name, or None."""
    if DNS_LABEL_RE.fullmatch(part):
        return None
    if not part:
        return "it has an empty part between dots" if dotted else "it is empty"
    if any("A" <= c <= "Z" for c in part):
        return "it contains uppercase letters"
    bad = next((c for c in part if not (c == "-" or "a" <= c <= "z" or "0" <= c <= "9")), None)
    return f"it contains {bad!r}" if bad is not None else "it starts or ends with '-'"


def _check_dns(part, argument, what, kind, whole=None):
    """Validate `part`; `whole` is the full flag value when `part` was cut out of it."""
    problem = _dns_problem(part, kind)
    if problem:
        if whole is None:
            detail = f"not a valid {what} ({problem}); {kind.expected}."
            whole = part
        else:
            detail = f"the {what} {part!r} is not valid ({problem}); {kind.expected}."
        raise RbacInputError(argument, whole, f"{argument} {whole!r}: {detail}")
    return part


def _normalize_guid(value, argument, what):
    text = _text(value, argument, f"{_GUID_EXPECTED}, the {what}")
    if is_guid(text):
        return text.lower()
    hint = ""
    if text.lower().startswith("/subscriptions/"):
        hint = " This looks like an Azure resource ID; pass the GUID itself."
    elif text.startswith("{") or text.endswith("}"):
        hint = " Leave out the braces."
    raise RbacInputError(argument, value, f"{argument} {value!r}: {_GUID_EXPECTED}, the {what}.{hint}")


def normalize_client_id(value, argument="--client-id"):
    """Return the client ID as a lowercase GUID (surrounding whitespace removed)."""
    # Lowercase because RBAC compares resource strings exactly and `az identity show` prints lowercase.
    return _normalize_guid(value, argument,
                           "managed identity's client ID (the clientId printed by 'az identity show')")


def normalize_tenant_id(value, argument="--tenant-id"):
    """Return the tenant ID as a lowercase GUID (surrounding whitespace removed)."""
    return _normalize_guid(value, argument,
                           "managed identity's tenant ID (the tenantId printed by 'az identity show')")


def validate_namespace(value, argument="--namespace"):
    """Return the namespace (whitespace-stripped) if it is a DNS-1123 label."""
    text = _text(value, argument, _LABEL_EXPECTED)
    return _check_dns(text, argument, "namespace", _LABEL)


def validate_dns_label(value, argument, what):
    """Return the name (whitespace-stripped) if it is a DNS-1123 label; messages call it `what`."""
    text = _text(value, argument, _LABEL_EXPECTED)
    return _check_dns(text, argument, what, _LABEL)


def validate_object_name(value, argument="--name"):
    """Return the object name (whitespace-stripped) if it is a DNS-1123 subdomain."""
    text = _text(value, argument, _SUBDOMAIN_EXPECTED)
    return _check_dns(text, argument, "Kubernetes object name", _SUBDOMAIN)


def parse_service_account(value):
    """Split 'NAMESPACE/NAME' into (namespace, name), both validated."""
    argument = "--service-account"
    text = _text(value, argument, f"expected NAMESPACE/NAME, {_SA_EXAMPLE}")
    slashes = text.count("/")
    if slashes == 0:
        raise RbacInputError(argument, value, f"{argument} {value!r}: expected NAMESPACE/NAME, {_SA_EXAMPLE}.")
    if slashes > 1:
        raise RbacInputError(argument, value,
                             f"{argument} {value!r}: expected exactly one '/' between NAMESPACE and NAME, "
                             f"{_SA_EXAMPLE}.")
    namespace, name = text.split("/")
    if not namespace or not name:
        empty = "NAMESPACE (before '/')" if not namespace else "NAME (after '/')"
        raise RbacInputError(argument, value,
                             f"{argument} {value!r}: {empty} is empty; expected NAMESPACE/NAME, {_SA_EXAMPLE}.")
    _check_dns(namespace, argument, "namespace", _LABEL, value)
    # ServiceAccount names follow the DNS-1123 subdomain rule, like most object names.
    _check_dns(name, argument, "service account name", _SUBDOMAIN, value)
    return namespace, name


def default_name(client_id):
    """Name of the ClusterRole and ClusterRoleBinding when --name is not given."""
    return "use-mi-" + normalize_client_id(client_id)


def as_list(values, argument):
    # A lone string would otherwise be iterated character by character.
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    try:
        return list(values)
    except TypeError:
        raise RbacInputError(argument, values,
                             f"{argument} {values!r}: expected a list of strings.") from None


def _labels():
    return {MANAGED_BY_LABEL: MANAGED_BY}


def generate(client_id, service_accounts=(), namespaces=(), *, name=None,
             include_service_accounts=False, tenant_id=None):
    """Build the RBAC objects that let the given subjects use the managed identity `client_id`.

    `service_accounts` are 'NAMESPACE/NAME' strings, `namespaces` namespace names (each grants every
    ServiceAccount in it). All input is validated here; bad input raises RbacInputError.

    Returns {"apiVersion": "v1", "kind": "List", "items": [ClusterRole, ClusterRoleBinding,
    ServiceAccount...]}. Subjects are de-duplicated and ordered: ServiceAccount subjects first, by
    namespace then name, then Group subjects, by namespace. ServiceAccounts (only with
    `include_service_accounts`) are ordered by namespace then name. Same input in any order, with
    or without duplicates, gives an equal result.
    """
    client_id = normalize_client_id(client_id)
    name = default_name(client_id) if name is None else validate_object_name(name)
    accounts = sorted({parse_service_account(sa)
                       for sa in as_list(service_accounts, "--service-account")})
    groups = sorted({validate_namespace(ns) for ns in as_list(namespaces, "--namespace")})
    if tenant_id is not None:
        tenant_id = normalize_tenant_id(tenant_id)

    if not accounts and not groups:
        raise RbacInputError("--service-account", None,
                             "No subject given: give at least one --service-account NAMESPACE/NAME "
                             f"({_SA_EXAMPLE}) or --namespace NAMESPACE.")
    if include_service_accounts:
        if not accounts:
            shown = ", ".join(repr(ns) for ns in groups)
            raise RbacInputError("--include-sa", True,
                                 "--include-sa creates the ServiceAccounts named by "
                                 "--service-account NAMESPACE/NAME, but only --namespace was given "
                                 f"({shown}); add --service-account or drop --include-sa.")
        if tenant_id is None:
            raise RbacInputError("--tenant-id", None,
                                 "--tenant-id is required with --include-sa: it is written to "
                                 f"the ServiceAccount annotation {TENANT_ID_ANNOTATION}; {_GUID_EXPECTED}, "
                                 "the managed identity's tenant ID (the tenantId printed by 'az identity show').")

    # No aggregation labels: they would fold this grant into admin/edit/view.
    cluster_role = {
        "apiVersion": _RBAC_API_VERSION,
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": _labels()},
        # No resourceNames: the check names no object, so a rule with resourceNames never matches.
        "rules": [{"apiGroups": [API_GROUP], "resources": [client_id], "verbs": [VERB]}],
    }
    # ServiceAccount subjects belong to the core group, so they carry no apiGroup.
    subjects = [{"kind": "ServiceAccount", "name": sa_name, "namespace": ns} for ns, sa_name in accounts]
    subjects += [{"kind": "Group", "apiGroup": _RBAC_GROUP, "name": "system:serviceaccounts:" + ns}
                 for ns in groups]
    # A ClusterRoleBinding, not a RoleBinding: the identity-binding check is cluster-scoped and
    # would most likely ignore RoleBindings.
    binding = {
        "apiVersion": _RBAC_API_VERSION,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name, "labels": _labels()},
        "roleRef": {"apiGroup": _RBAC_GROUP, "kind": "ClusterRole", "name": name},
        "subjects": subjects,
    }
    items = [cluster_role, binding]
    if include_service_accounts:
        items += [{
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": sa_name,
                "namespace": ns,
                "labels": _labels(),
                "annotations": {CLIENT_ID_ANNOTATION: client_id, TENANT_ID_ANNOTATION: tenant_id},
            },
        } for ns, sa_name in accounts]
    return {"apiVersion": "v1", "kind": "List", "items": items}
