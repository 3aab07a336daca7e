"""Argument checks that need no network.

They are argparse `type=` callables: argparse runs them while parsing, before the delete
confirmation and before any request, and reports a failure as `argument --x: <message>` with
exit code 2, the CLI's code for bad arguments.
"""
import re
from argparse import ArgumentTypeError

# Limits from the ARM specs: resource group 1-90, managed cluster 1-63, identity binding 1-63,
# user-assigned identity 3-128.
_RG_RE = re.compile(r"^[-\w._()]{1,90}$")
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Characters that would change the meaning of a URL path segment, or that no ARM name allows.
_UNSAFE_RE = re.compile(r"[/\\?#%&:*<>\"'\s\x00-\x1f]")

_IDENTITY_ID_HELP = ("expected /subscriptions/<subscription-id>/resourceGroups/<group>/providers/"
                     "Microsoft.ManagedIdentity/userAssignedIdentities/<name>, the 'id' printed by "
                     "`az identity show -g <group> -n <name>`")


def _name(value, what, max_len):
    value = (value or "").strip()
    if not value:
        raise ArgumentTypeError(f"the {what} must not be empty.")
    if len(value) > max_len:
        raise ArgumentTypeError(f"the {what} {value[:20]!r}... is {len(value)} characters long; "
                                f"the limit is {max_len}.")
    bad = _UNSAFE_RE.search(value)
    if bad:
        raise ArgumentTypeError(f"the {what} {value!r} contains {bad.group()!r}, which no Azure "
                                f"resource name may contain.")
    return value


def resource_group_name(value):
    value = _name(value, "resource group name", 90)
    if not _RG_RE.match(value) or value.endswith("."):
        raise ArgumentTypeError(f"{value!r} is not a valid resource group name: use letters, digits, "
                                "'-', '_', '.', '(' and ')', not ending in '.'.")
    return value


def cluster_name(value):
    return _name(value, "cluster name", 63)


def binding_name(value):
    # The REST spec documents ^[a-z][a-z0-9]{0,63}$, but the service's own docs use hyphens:
    # beyond length and URL safety we let the service decide and show its message.
    return _name(value, "identity binding name", 63)


def parse_identity_id(value):
    """Split a user-assigned identity resource id into (subscription, group, name), or None."""
    parts = value.strip().strip("/").split("/")
    if len(parts) != 8:
        return None
    keys = [p.lower() for p in parts[0::2]]
    if keys != ["subscriptions", "resourcegroups", "providers", "userassignedidentities"]:
        return None
    if parts[5].lower() != "microsoft.managedidentity":
        return None
    return parts[1], parts[3], parts[7]


def identity_resource_id(value):
    raw = value
    value = (value or "").strip()
    if not value:
        raise ArgumentTypeError(f"the managed identity resource id must not be empty; {_IDENTITY_ID_HELP}.")
    if _GUID_RE.match(value):
        raise ArgumentTypeError(f"{value!r} is a GUID (a client or object id), not a resource id; "
                                f"{_IDENTITY_ID_HELP}.")
    if not value.startswith("/"):
        raise ArgumentTypeError(f"{raw!r} is not a resource id; {_IDENTITY_ID_HELP}.")
    parsed = parse_identity_id(value)
    if parsed is None:
        raise ArgumentTypeError(f"{raw!r} is not the resource id of a user-assigned managed identity; "
                                f"{_IDENTITY_ID_HELP}.")
    subscription, group, name = parsed
    if not _GUID_RE.match(subscription):
        raise ArgumentTypeError(f"the subscription {subscription!r} in {raw!r} is not a GUID; "
                                f"{_IDENTITY_ID_HELP}.")
    try:
        resource_group_name(group)
        _name(name, "identity name", 128)
    except ArgumentTypeError as ex:
        raise ArgumentTypeError(f"{raw!r}: {ex}") from None
    return value.rstrip("/")


def rbac_type(check):
    """Adapt a pure check from rbac.py into an argparse type (its message, exit code 2)."""
    def convert(value):
        from azext_identitybinding.rbac import RbacInputError
        try:
            result = check(value)
        except RbacInputError as ex:
            message = str(ex)  # argparse already names the flag: don't say it twice
            if ex.argument and message.startswith(ex.argument + " "):
                message = message[len(ex.argument) + 1:]
            raise ArgumentTypeError(message) from None
        # parse_service_account returns (namespace, name); generate() takes the checked text.
        return value.strip() if isinstance(result, tuple) else result
    convert.__name__ = check.__name__
    return convert


def validate_generate_rbac(namespace):
    """Cross-argument rules of generate-rbac. Raising a non-CLI error here makes az print it and
    exit 2, the same as any other bad argument, before any request."""
    from azext_identitybinding.rbac import RbacInputError
    ns = namespace
    binding_source = bool(ns.cluster_name or ns.binding_name)
    arm_sources = [flag for flag, given in (("--managed-identity-resource-id", ns.managed_identity_resource_id),
                                            ("-g/--cluster-name/-n", binding_source)) if given]
    if len(arm_sources) > 1:
        raise RbacInputError(arm_sources[0], None, "give exactly one identity source: --client-id, "
                             "--managed-identity-resource-id, or -g/--cluster-name/-n for a binding, not "
                             f"{' and '.join(arm_sources)}.")
    if not arm_sources and not ns.client_id:
        raise RbacInputError("--client-id", None, "give the identity: --client-id GUID (offline), "
                             "--managed-identity-resource-id ID, or -g RG --cluster-name C -n BINDING.")
    if binding_source and not (ns.resource_group_name and ns.cluster_name and ns.binding_name):
        raise RbacInputError("-n", None, "reading the identity from a binding needs all of -g, --cluster-name "
                             "and -n (the binding name).")
    if not ns.service_accounts and not ns.namespaces:
        raise RbacInputError("--service-account", None, "give at least one subject: --service-account "
                             "NAMESPACE/NAME or --namespace NAMESPACE.")
    if ns.include_service_accounts and not ns.service_accounts:
        raise RbacInputError("--include-service-accounts", True, "--include-service-accounts emits the "
                             "ServiceAccounts named with --service-account; none were given.")
    if ns.include_service_accounts and not arm_sources and not ns.tenant_id:
        raise RbacInputError("--tenant-id", None, "--include-service-accounts with --client-id needs "
                             "--tenant-id for the 'azure.workload.identity/tenant-id' annotation "
                             "(the tenantId printed by `az identity show`).")


class BadArguments(ValueError):
    """A combination of arguments that cannot work. Raised from a command validator, az prints
    it and exits with code 2 before any request (CLI errors there would exit 1)."""


def allowed_subjects_file(path):
    from azext_identitybinding import subjects
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as ex:
        raise ArgumentTypeError(f"cannot read {path!r}: {ex.strerror}.") from None
    try:
        return subjects.load(text, repr(path))
    except subjects.SubjectsError as ex:
        raise ArgumentTypeError(str(ex)) from None


def service_account_label(value):
    from azext_identitybinding import subjects
    try:
        return subjects.check_label(value.strip(), "label")
    except subjects.SubjectsError as ex:
        raise ArgumentTypeError(str(ex)) from None


def validate_list(namespace):
    if not namespace.cluster_name and not namespace.managed_identity_resource_id:
        raise BadArguments("give -g and --cluster-name to list the bindings of a cluster, or "
                           "--managed-identity-resource-id (optionally with -g) to find every binding of an "
                           "identity across the subscription.")
    if namespace.cluster_name and not namespace.resource_group_name:
        raise BadArguments("--cluster-name needs -g/--resource-group.")


def validate_delete(namespace):
    if namespace.cleanup_fic and namespace.no_wait:
        raise BadArguments("--cleanup-fic cannot be combined with --no-wait: the credential can only be "
                           "checked once the binding is gone.")


def validate_update(namespace):
    if namespace.allow_service_account_labels and not namespace.allow_namespaces:
        raise BadArguments("--allow-service-account-label narrows --allow-namespace; give --allow-namespace too.")
    given = [flag for flag, value in (("--allowed-subjects-from-file", namespace.allowed_subjects_from_file),
                                      ("--allow-namespace", namespace.allow_namespaces)) if value is not None]
    if len(given) != 1:
        raise BadArguments(("choose one of " if given else "give the new allowed subjects with ") +
                           "--allowed-subjects-from-file FILE or --allow-namespace NAMESPACE [...] (optionally "
                           "with --allow-service-account-label KEY=VALUE).")


def kubeconfig_path(value):
    import os
    path = (value or "").strip()
    if not path:
        raise ArgumentTypeError("the kubeconfig path must not be empty.")
    missing = [p for p in path.split(os.pathsep) if p and not os.path.isfile(os.path.expanduser(p))]
    if missing:
        raise ArgumentTypeError(f"no kubeconfig file at {missing[0]!r}.")
    return path


def kube_context(value):
    value = (value or "").strip()
    if not value:
        raise ArgumentTypeError("the context name must not be empty.")
    return value


def pod_file(path):
    """(path, documents) of a workload manifest; refused unless it holds at least one pod template."""
    import yaml
    from azext_identitybinding.workload import workloads
    try:
        with open(path, encoding="utf-8-sig") as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
    except OSError as ex:
        raise ArgumentTypeError(f"cannot read {path!r}: {ex.strerror}.") from None
    except yaml.YAMLError as ex:
        raise ArgumentTypeError(f"{path!r} is not valid YAML or JSON: {ex}".rstrip(".") + ".") from None
    if not workloads(documents, "default"):
        kinds = sorted({str(d.get("kind")) for d in documents if isinstance(d, dict)}) or ["nothing"]
        raise ArgumentTypeError(f"{path!r} holds {', '.join(kinds)}; expected a Pod, Deployment, StatefulSet, "
                                "DaemonSet, ReplicaSet, Job or CronJob.")
    return path, documents


def validate_check(namespace):
    if namespace.name and namespace.managed_identity_resource_id:
        raise BadArguments("give the identity one way: -n BINDING or --managed-identity-resource-id ID, not both.")
    if namespace.skip_cluster and (namespace.kubeconfig or namespace.context):
        raise BadArguments("--skip-cluster reads no kubeconfig; drop --kubeconfig/--context, or --skip-cluster.")
