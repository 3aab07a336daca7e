"""Argument checks that need no network.

They are argparse `type=` callables: argparse runs them while parsing, before the delete
confirmation and before any request, and reports a failure as `argument --x: <message>` with
exit code 2, the CLI's code for bad arguments.
"""
from argparse import ArgumentTypeError

# Size limits of the files a user names (a message states them).
MAX_SUBJECTS_FILE_BYTES = 1024 * 1024       # 100 entries of allowedSubjects fit in a few KB
MAX_MANIFEST_FILE_BYTES = 4 * 1024 * 1024   # a rendered chart; the API server takes ~1.5 MB per object
WAIT_MAX_INTERVAL = 3600          # seconds between reads in `wait`
WAIT_MAX_TIMEOUT = 7 * 24 * 3600  # a week; the clock's limits are far beyond (time.sleep overflows ~9e9 s)


def _checked(check, value):
    """Run a check from ids.py as an argparse type: its message, exit code 2, no request."""
    from azext_identitybinding import ids
    try:
        return check(value)
    except ids.IdError as ex:
        raise ArgumentTypeError(str(ex)) from None


def resource_group_name(value):
    from azext_identitybinding import ids
    return _checked(ids.resource_group_name, value)


def cluster_name(value):
    from azext_identitybinding import ids
    return _checked(ids.cluster_name, value)


def binding_name(value):
    from azext_identitybinding import ids
    return _checked(ids.binding_name, value)


def identity_resource_id(value):
    """The identity's resource id in canonical form ('//', a trailing '/' and key casing normalised)."""
    from azext_identitybinding import ids
    return str(_checked(ids.parse_identity_id, value))


def rbac_type(check):
    """Adapt a pure check into an argparse type (its message, exit code 2): a function, or the name of
    one in rbac.py. By name (in _params.py), rbac.py and ids.py are imported when a value is checked,
    not when az loads the arguments of a command (its help, too)."""
    def convert(value):
        from azext_identitybinding import rbac
        try:
            result = (getattr(rbac, check) if isinstance(check, str) else check)(value)
        except rbac.RbacInputError as ex:
            message = str(ex)  # argparse already names the flag: don't say it twice
            if ex.argument and message.startswith(ex.argument + " "):
                message = message[len(ex.argument) + 1:]
            raise ArgumentTypeError(message) from None
        # parse_service_account returns (namespace, name); generate() takes the checked text.
        return value.strip() if isinstance(result, tuple) else result
    convert.__name__ = check if isinstance(check, str) else check.__name__
    return convert


def validate_generate_rbac(namespace):
    """Cross-argument rules of generate-rbac. Raising a non-CLI error here makes az print it and
    exit 2, the same as any other bad argument, before any request."""
    from azext_identitybinding.rbac import RbacInputError
    ns = namespace
    arm_sources = _identity_sources(ns)
    if not ns.service_accounts and not ns.namespaces:
        raise RbacInputError("--service-account", None, "give at least one subject: --service-account "
                             "NAMESPACE/NAME or --namespace NAMESPACE.")
    if ns.include_service_accounts and not ns.service_accounts:
        raise RbacInputError("--include-sa", True, "--include-sa emits the "
                             "ServiceAccounts named with --service-account; none were given.")
    if ns.include_service_accounts and not arm_sources and not ns.tenant_id:
        raise RbacInputError("--tenant-id", None, "--include-sa with --client-id needs "
                             "--tenant-id for the 'azure.workload.identity/tenant-id' annotation "
                             "(the tenantId printed by `az identity show`).")
    _validate_placement(ns)


def placement_name(value):
    from azext_identitybinding import placement
    return _store_type(placement.validate_placement_name, "--fleet-placement")(value)


def member_selector(value):
    """One --member-selector value: KEY=VALUE, or several comma-separated; checked, returned stripped."""
    from azext_identitybinding import placement

    def check(text, flag):
        placement.parse_member_selector([text], flag)
        return text.strip()
    check.__name__ = "member_selector"
    return _store_type(check, "--member-selector")(value)


def _validate_placement(ns):
    """--member-selector and --placement-rbac-only shape the --fleet-placement; the selector's pairs become
    one {key: value} (a key given twice with two values is refused: no member would match)."""
    from azext_identitybinding import placement
    selector, rbac_only = getattr(ns, "member_selector", None), getattr(ns, "placement_rbac_only", False)
    if not getattr(ns, "fleet_placement", None):
        given = [flag for flag, value in (("--member-selector", selector), ("--placement-rbac-only", rbac_only))
                 if value]
        if given:
            verb, them = ("shapes", "it") if len(given) == 1 else ("shape", "them")
            raise BadArguments(f"{' and '.join(given)} {verb} the AKS Fleet Manager placement: add --fleet-placement "
                               f"NAME, or drop {them}.")
        return
    try:
        ns.member_selector = placement.parse_member_selector(selector or [])
    except placement.PlacementInputError as ex:
        raise BadArguments(str(ex)) from None


def _identity_sources(ns):
    """generate-rbac's and generate-manifests' identity: --client-id alone (offline), or one ARM source;
    returns the ARM sources given ([] offline)."""
    from azext_identitybinding.rbac import RbacInputError
    binding_source = bool(ns.cluster_name or ns.name)
    hint = ""
    if ns.name and not ns.cluster_name:  # most likely the old meaning of --name
        hint = (" To name the generated ClusterRole and ClusterRoleBinding, use --role-name; -n/--name names "
                "the identity binding.")
    arm_sources = [flag for flag, given in (("--managed-identity-resource-id", ns.managed_identity_resource_id),
                                            ("-g/--cluster-name/-n", binding_source)) if given]
    if len(arm_sources) > 1:
        raise RbacInputError(arm_sources[0], None, "give exactly one identity source: --client-id, "
                             "--managed-identity-resource-id, or -g/--cluster-name/-n for a binding, not "
                             f"{' and '.join(arm_sources)}.{hint}")
    if not arm_sources and not ns.client_id:
        raise RbacInputError("--client-id", None, "give the identity: --client-id GUID (offline), "
                             "--managed-identity-resource-id ID, or -g RG --cluster-name C -n BINDING.")
    if binding_source and not (ns.resource_group_name and ns.cluster_name and ns.name):
        raise RbacInputError("-n", None, "reading the identity from a binding needs all of -g, --cluster-name "
                             f"and -n/--name (the binding name).{hint}")
    return arm_sources


class BadArguments(ValueError):
    """A combination of arguments that cannot work. Raised from a command validator, az prints
    it and exits with code 2 before any request (CLI errors there would exit 1)."""


def allowed_subjects_file(path):
    from azext_identitybinding import files, subjects
    try:
        text = files.read_text(path, "the allowed-subjects file", MAX_SUBJECTS_FILE_BYTES)
        return subjects.check_in(files.load_json(text, repr(path)), repr(path))
    except (files.InputFileError, subjects.SubjectsError) as ex:
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
    subs = getattr(namespace, "subscriptions", None)
    if getattr(namespace, "all_subscriptions", False) and subs:
        raise BadArguments("give --all-subscriptions or --subscription ID [ID ...], not both.")
    if namespace.cluster_name and (getattr(namespace, "all_subscriptions", False) or len(subs or []) > 1):
        raise BadArguments("--cluster-name lists one cluster, in one subscription: give at most one "
                           "--subscription, and no --all-subscriptions.")
    if subs:
        namespace.subscriptions = _resolve_subscriptions(namespace, subs)


MAX_SUBSCRIPTION_NAME = 128


def subscription_value(value):
    """`list --subscription`: a subscription id (GUID, returned lower-case) or the display name of a
    subscription `az account list` knows (resolved to its id by validate_list, from the login's cache,
    no request). Only ids ever become part of a request."""
    from azext_identitybinding import ids
    text = value.strip() if isinstance(value, str) else ""
    if ids.is_guid(text):
        return text.lower()
    if not text or len(text) > MAX_SUBSCRIPTION_NAME or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ArgumentTypeError(f"{ids.show(value)} is not a subscription id (a GUID) or name.")
    return _SubscriptionName(text)


class _SubscriptionName(str):
    """A --subscription value that is not a GUID: a name to look up in the login's subscriptions."""


def _resolve_subscriptions(namespace, values):
    names = [v for v in values if isinstance(v, _SubscriptionName)]
    known = {}
    if names:
        from azure.cli.core._profile import Profile
        cached = Profile(cli_ctx=namespace._cmd.cli_ctx).load_cached_subscriptions()  # pylint: disable=protected-access
        for sub in cached:
            known.setdefault(str(sub.get("name", "")).lower(), str(sub.get("id", "")).lower())
    resolved = []
    for value in values:
        if isinstance(value, _SubscriptionName):
            from azext_identitybinding import ids
            found = known.get(value.lower())
            if not found or not ids.is_guid(found):
                raise BadArguments(f"--subscription {ids.show(str(value))} is not a subscription id (a GUID) and no "
                                   "subscription of that name is known to this login; see `az account list -o "
                                   "table`.")
            value = found
        resolved.append(str(value))
    return list(dict.fromkeys(resolved))


def validate_delete(namespace):
    if namespace.cleanup_fic and namespace.no_wait:
        raise BadArguments("--cleanup-fic cannot be combined with --no-wait: the credential can only be "
                           "checked once the binding is gone.")


def validate_update(namespace):
    if namespace.allow_service_account_labels and not namespace.allow_namespaces:
        raise BadArguments("--allow-sa-label narrows --allow-namespace; give --allow-namespace too.")
    given = [flag for flag, value in (("--allowed-subjects-from-file", namespace.allowed_subjects_from_file),
                                      ("--allow-namespace", namespace.allow_namespaces)) if value is not None]
    if len(given) != 1:
        raise BadArguments(("choose one of " if given else "give the new allowed subjects with ") +
                           "--allowed-subjects-from-file FILE or --allow-namespace NAMESPACE [...] (optionally "
                           "with --allow-sa-label KEY=VALUE).")
    if namespace.allow_namespaces:
        from azext_identitybinding import subjects
        try:  # built (and its limits checked) here, before any request; the handler writes what it gets
            namespace.allowed_subjects_from_file = subjects.from_namespaces(
                namespace.allow_namespaces, namespace.allow_service_account_labels or [])
        except subjects.SubjectsError as ex:
            raise BadArguments(f"--allow-namespace: {ex}") from None


def kubeconfig_path(value):
    from azext_identitybinding import kube
    path = (value or "").strip()
    if not path:
        raise ArgumentTypeError("the kubeconfig path must not be empty.")
    try:
        kube.check_kubeconfig(path)
    except kube.KubeConfigError as ex:
        raise ArgumentTypeError(str(ex)) from None
    return path


def kube_context(value):
    value = (value or "").strip()
    if not value:
        raise ArgumentTypeError("the context name must not be empty.")
    return value


def pod_file(path):
    """(path, documents) of a workload manifest; refused unless it holds at least one pod template."""
    from azext_identitybinding import files, manifests
    from azext_identitybinding.check.workload import workloads
    try:
        text = files.read_text(path, "the manifest", MAX_MANIFEST_FILE_BYTES)
        documents = manifests.check_documents(files.load_yaml_documents(text, repr(path)), repr(path))
    except (files.InputFileError, manifests.ManifestError) as ex:
        raise ArgumentTypeError(str(ex)) from None
    if not workloads(documents, "default"):
        kinds = sorted({d.get("kind") or "no kind" for d in documents}) or ["nothing"]
        raise ArgumentTypeError(f"{path!r} holds {', '.join(kinds)}; expected a Pod, Deployment, StatefulSet, "
                                "DaemonSet, ReplicaSet, Job or CronJob.")
    return files.source_name(path), documents


def validate_check(namespace):
    """Two modes: with --cluster-name, the whole chain (needs -g and --service-account); without it, the
    offline manifest lint (needs --pod-file; whatever would need Azure or the cluster is refused)."""
    if namespace.cluster_name is None:
        _validate_lint(namespace)
        return
    if not namespace.resource_group_name:
        raise BadArguments("--resource-group/-g is required with --cluster-name: the cluster's resource group.")
    if not namespace.service_account:
        raise BadArguments("--service-account NAMESPACE/NAME is required with --cluster-name: the service "
                           "account of the workload to check.")
    if namespace.client_id:
        raise BadArguments("--client-id is for the offline manifest check (without -g/--cluster-name). With a "
                           "cluster, the client id is read from the binding or the identity: drop --client-id.")
    if namespace.name and namespace.managed_identity_resource_id:
        raise BadArguments("give the identity one way: -n BINDING or --managed-identity-resource-id ID, not both.")
    if namespace.skip_cluster and (namespace.kubeconfig or namespace.context):
        raise BadArguments("--skip-cluster reads no kubeconfig; drop --kubeconfig/--context, or --skip-cluster.")
    _validate_target(namespace)


def target_resource_id(value):
    """check --target-resource: a resource id in canonical form, every part checked as a URL segment."""
    from azext_identitybinding import ids
    return str(_checked(ids.parse_target_id, value))


def _validate_target(namespace):
    target, permission = getattr(namespace, "target_resource", None), getattr(namespace, "target_permission", None)
    if permission and not target:
        raise BadArguments("--target-permission says what the workload reads from the Key Vault given with "
                           "--target-resource; add --target-resource VAULT_ID, or drop --target-permission.")
    if permission:
        from azext_identitybinding import ids
        from azext_identitybinding.constants import VAULT_TYPE
        if ids.parse(target).type.lower() != VAULT_TYPE.lower():
            raise BadArguments(f"--target-permission applies to a Key Vault ({VAULT_TYPE}) only; for "
                               f"'{target}' drop it: any role assigned there is reported.")


def _validate_lint(namespace):
    if getattr(namespace, "target_resource", None) or getattr(namespace, "target_permission", None):
        raise BadArguments("--target-resource/--target-permission read role assignments in Azure, and the "
                           "identity's object id from the binding: add -g GROUP --cluster-name CLUSTER "
                           "--service-account NAMESPACE/NAME (the offline --pod-file lint sends no request).")
    if not namespace.pod_files:
        raise BadArguments("give -g GROUP --cluster-name CLUSTER --service-account NAMESPACE/NAME to check a "
                           "workload's binding, or --pod-file FILE (alone) to check manifests offline.")
    given = (("-n/--name", namespace.name), ("--managed-identity-resource-id", namespace.managed_identity_resource_id),
             ("--kubeconfig", namespace.kubeconfig), ("--context", namespace.context))
    needs_cluster = [flag for flag, value in given if value]
    if needs_cluster:
        verb = "needs" if len(needs_cluster) == 1 else "need"
        raise BadArguments(f"{', '.join(needs_cluster)} {verb} the cluster: add -g GROUP --cluster-name CLUSTER "
                           "--service-account NAMESPACE/NAME, or drop it to check the --pod-file manifests offline.")


def validate_wait(namespace):
    """`wait`: a condition, a positive --interval and --timeout, and a --custom that parses, checked
    before the first request (az's own loop would fail on the first two only after reading, and on an
    --interval of 0 with a traceback)."""
    conditions = ("created", "updated", "deleted", "exists", "custom")
    if not any(getattr(namespace, c, None) for c in conditions):
        raise BadArguments("give the condition to wait for: --created, --updated, --deleted, --exists or "
                           "--custom JMESPATH.")
    for flag, most in (("interval", WAIT_MAX_INTERVAL), ("timeout", WAIT_MAX_TIMEOUT)):
        value = getattr(namespace, flag, None)
        if value is not None and not 1 <= value <= most:
            raise BadArguments(f"--{flag} is in seconds and must be from 1 to {most}, not {value}.")
    if namespace.custom:
        import jmespath
        from jmespath.exceptions import JMESPathError
        try:
            jmespath.compile(namespace.custom)
        except JMESPathError as ex:
            raise BadArguments(f"--custom {namespace.custom!r} is not a JMESPath expression: {ex}") from None


def role_name(value):
    """generate-rbac --role-name: a Kubernetes object name (DNS-1123 subdomain), named as --role-name."""
    from azext_identitybinding import rbac

    def validate_object_name(text):
        return rbac.validate_object_name(text, "--role-name")
    return rbac_type(validate_object_name)(value)


# -- generate-manifests ----------------------------------------------------------------------------

def _store_type(check, flag):
    """A check of secretstore.py (or rbac.py) as the argparse type of `flag`, its messages naming `flag`."""
    def convert(value):
        return check(value, flag)
    convert.__name__ = check.__name__
    return rbac_type(convert)


def keyvault_name(value):
    from azext_identitybinding import secretstore
    return _store_type(secretstore.validate_vault_name, "--keyvault-name")(value)


def keyvault_object(flag):
    """The type of --secret/--key/--certificate: NAME[/VERSION][=FILE], checked."""
    def convert(value):
        from azext_identitybinding import secretstore
        return _store_type(secretstore.parse_object, flag)(value)
    convert.__name__ = "keyvault_object"
    return convert


def spc_name(value):
    from azext_identitybinding import rbac
    return _store_type(rbac.validate_object_name, "--spc-name")(value)


def workload(value):
    """--workload KIND/NAME, e.g. deployment/web: (Kind, name)."""
    from azext_identitybinding import secretstore
    return _store_type(secretstore.parse_workload, "--workload")(value)


def validate_generate_manifests(namespace):
    """Cross-argument rules of generate-manifests (exit 2, before any request)."""
    from azext_identitybinding import secretstore
    ns = namespace
    arm_sources = _identity_sources(ns)
    accounts = ns.service_accounts or []
    if not accounts:
        raise BadArguments("give at least one --service-account NAMESPACE/NAME: the service account the workload "
                           "runs as (it is emitted annotated with the identity).")
    if not arm_sources and not ns.tenant_id:
        raise BadArguments("--client-id needs --tenant-id: the tenant is written to the service account annotation "
                           "'azure.workload.identity/tenant-id' and to the SecretProviderClass (the tenantId printed "
                           "by `az identity show`). Or read both from Azure with --managed-identity-resource-id.")
    objects = {"--secret": ns.secrets, "--key": ns.keys, "--certificate": ns.certificates}
    given = [flag for flag, values in objects.items() if values]
    if not ns.keyvault_name and (given or ns.spc_name):
        raise BadArguments(f"{(given or ['--spc-name'])[0]} needs --keyvault-name NAME: the vault to read from.")
    if ns.keyvault_name and not given:
        raise BadArguments(f"--keyvault-name needs at least one object to mount: --secret, --key or --certificate "
                           f"{secretstore.OBJECT_SYNTAX}.")
    try:
        secretstore.object_entries(objects)  # two objects written to one file
    except secretstore.SecretStoreInputError as ex:
        raise BadArguments(str(ex)) from None
    _validate_placement(ns)
    if ns.workload and len(set(accounts)) != 1:
        raise BadArguments(f"--workload names the workload of one service account, but {len(set(accounts))} were "
                           "given; drop --workload to get one patch per service account, with WORKLOAD to fill in.")


# -- migrate ---------------------------------------------------------------------------------------

def validate_scope(namespace):
    """migrate: --subscription A B or --all-subscriptions, not both; names resolved to ids (no request)."""
    subs = getattr(namespace, "subscriptions", None)
    if getattr(namespace, "all_subscriptions", False) and subs:
        raise BadArguments("give --all-subscriptions or --subscription ID [ID ...], not both.")
    if subs:
        namespace.subscriptions = _resolve_subscriptions(namespace, subs)


def validate_retire(namespace):
    validate_scope(namespace)
    if (namespace.kubeconfig or namespace.context) and not namespace.cluster_name:
        raise BadArguments("--kubeconfig/--context read the pods of one cluster: add --cluster-name NAME (the "
                           "cluster they reach), so its evidence is not taken for another cluster's.")


def credential_name(value):
    """retire --credential: a federated credential name (the API's pattern; safe in a URL and a file name)."""
    from azext_identitybinding import ids
    from azext_identitybinding.migrate.classify import FIC_NAME_RE
    text = value.strip() if isinstance(value, str) else ""
    if not FIC_NAME_RE.fullmatch(text):
        raise ArgumentTypeError(f"{ids.show(value)} is not a federated credential name: 3-120 letters, digits, '-' "
                                "and '_', starting with a letter or digit (see `az identity federated-credential "
                                "list`).")
    return text


def output_dir(value):
    """--manifests-dir/--backup-dir: a directory we may write into, or a new one in an existing directory.
    Refused before any request: a file, a symbolic link (it may lead anywhere), an unwritable directory."""
    import os
    path = os.path.expanduser(value.strip()) if isinstance(value, str) else ""
    if not path:
        raise ArgumentTypeError("the directory must not be empty.")
    if os.path.islink(path.rstrip(os.sep) or path):
        raise ArgumentTypeError(f"{path!r} is a symbolic link; give the directory it points to, or another one "
                                "(files are written only into a real directory).")
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ArgumentTypeError(f"{path!r} is a file, not a directory.")
        if not _can_write_in(path):
            raise ArgumentTypeError(f"the directory {path!r} is not writable.")
        return path
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.islink(parent):
        raise ArgumentTypeError(f"{path!r} would be created in {parent!r}, a symbolic link; give a path in a real "
                                "directory.")
    if not os.path.isdir(parent) or not _can_write_in(parent):
        raise ArgumentTypeError(f"{path!r} does not exist and cannot be created: its parent {parent!r} is not a "
                                "writable directory.")
    return path


def _can_write_in(directory):
    """Whether a file can be created in `directory`: tried (and removed at once), since permission bits
    say nothing for root, a read-only mount or an ACL."""
    import os
    import tempfile
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".ib-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True
