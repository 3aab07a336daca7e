"""Command handlers: they orchestrate the ARM layer and return plain data for az to format."""
# az makes one CLI argument of each handler parameter and passes them all by keyword, so the count
# of positional parameters says nothing here: the reason azdev's ext_pylintrc disables pylint's
# too-many-arguments, which pylint 3.3 split in two after that rc was written.
# pylint: disable=too-many-positional-arguments
from knack.log import get_logger

from azext_identitybinding import commandline

logger = get_logger(__name__)


def _client_and_ref(cmd, resource_group_name, cluster_name, name=None):
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding.arm import BindingRef
    client = cf_arm(cmd.cli_ctx)
    return client, BindingRef(client.subscription_id, resource_group_name, cluster_name, name)


def create_identity_binding(cmd, resource_group_name, cluster_name, name, managed_identity_resource_id,
                            no_wait=False, allowed_subjects_from_file=None):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    # allowedSubjects are read (to compare them) only when they are asked for
    existing = client.get_binding(ref, missing_ok=True, preview=allowed_subjects_from_file is not None)
    if existing is not None:
        from azext_identitybinding.fleet import identity_of
        from azext_identitybinding.ids import same_resource
        bound = identity_of(existing)
        if not same_resource(bound, managed_identity_resource_id):
            from azure.cli.core.azclierror import InvalidArgumentValueError
            raise InvalidArgumentValueError(
                f"Identity binding {ref.describe()} already exists and is bound to identity '{bound}'. "
                "The identity of a binding cannot be changed, so nothing was modified. To bind "
                f"'{managed_identity_resource_id}', use another binding name, or delete this binding first "
                f"with `{commandline.delete(resource_group_name, cluster_name, name)}`.")
        current_subjects = (existing.get("properties") or {}).get("allowedSubjects") or []
        if allowed_subjects_from_file is not None and current_subjects != allowed_subjects_from_file:
            from azure.cli.core.azclierror import InvalidArgumentValueError
            raise InvalidArgumentValueError(
                f"Identity binding {ref.describe()} already exists with other allowed subjects; nothing was "
                "modified. To replace them, run `" + commandline.update(
                    resource_group_name, cluster_name, name, allowed_subjects_from_file=commandline.FILE) + "`.")
        state = (existing.get("properties") or {}).get("provisioningState", "")
        if state.lower() not in ("failed", "canceled"):
            if state.lower() != "succeeded":
                logger.warning("Identity binding %s already exists and is %s.", ref.describe(), state)
            return existing
        logger.warning("Identity binding %s exists in state %s; sending it again.", ref.describe(), state)
    body = {"properties": {"managedIdentity": {"resourceId": managed_identity_resource_id}}}
    if allowed_subjects_from_file is not None:
        body["properties"]["allowedSubjects"] = allowed_subjects_from_file
    return client.put_binding(ref, body, wait=not no_wait)


def show_identity_binding(cmd, resource_group_name, cluster_name, name, show_managed_by=False):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    return _with_managed_by(client.get_binding(ref, preview=show_managed_by), show_managed_by)


def _with_managed_by(binding, shown):
    """managedBy read (preview api-version): present as null when nothing manages the binding, so the
    answer says "not managed" rather than "not asked", and -o table shows the column."""
    if shown and isinstance(binding, dict):
        binding.setdefault("managedBy", None)
    return binding


def _refuse_if_managed(binding, ref, action):
    """A binding that another resource manages (AKS Fleet Manager's identity binding profiles) is
    changed there: a change by hand is drift that the manager undoes or fights on its next apply."""
    manager = binding.get("managedBy")
    if not manager:
        return
    from azure.cli.core.azclierror import UnclassifiedUserFault
    from azext_identitybinding.ids import fleet_profile
    profile = fleet_profile(manager)
    if profile is None:
        where = f"resource '{manager}'. Change it through that resource"
    else:
        where = (f"AKS Fleet Manager identity binding profile '{profile.profile}' of fleet '{profile.fleet}' "
                 f"(resource group '{profile.resource_group}'). Change the profile and apply it to the fleet's "
                 f"members instead: `{commandline.fleet_profile_show(profile)}`, then "
                 f"`{commandline.fleet_profile_apply(profile)}`")
    raise UnclassifiedUserFault(
        f"Refusing to {action} identity binding {ref.describe()}: it is managed by {where}. Nothing was "
        f"changed. To {action} it by hand anyway (the manager may undo it), add --override-fleet.")


def wait_identity_binding(cmd, resource_group_name, cluster_name, name):
    """The getter az's wait loop (`az aks identity-binding wait`) polls: the same read as `show`.

    That loop treats only an azure-core HttpResponseError with status 404 as "not there": --deleted
    ends, --created/--exists/--custom keep polling, --updated fails (exit 3). So a missing BINDING is
    raised as one. A missing cluster or resource group stays our ResourceNotFoundError, which the loop
    does not catch: every condition, --deleted included, ends at once with exit 3 naming what is
    missing, so that a mistyped -g or --cluster-name is never reported as a deleted binding."""
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    binding = client.get_binding(ref, missing_ok=True)
    if binding is None:
        from azure.core.exceptions import ResourceNotFoundError as NotFound
        gone = NotFound(f"Identity binding {ref.describe()} was not found. See the bindings with "
                        f"`{ref.list_command()}`.")
        gone.status_code = 404
        raise gone
    return binding


def wait_timed_out(result):
    """`transform` of `wait`. az's wait loop *returns* (does not raise) its "timed-out" CLIError, which
    would print `{}` and exit 0 as if the condition had been met; make it the error it is (exit 1)."""
    from knack.util import CLIError
    if isinstance(result, CLIError):
        from azure.cli.core.azclierror import UnclassifiedUserFault
        raise UnclassifiedUserFault(f"{result}: the identity binding did not reach the condition in time. See "
                                    f"its current state with `{commandline.GROUP} show`, or wait longer "
                                    "with a larger --timeout.")
    return result


def list_identity_bindings(cmd, resource_group_name=None, cluster_name=None, managed_identity_resource_id=None,
                           subscriptions=None, all_subscriptions=False, show_managed_by=False):
    from azext_identitybinding.fleet import bindings_of
    if not cluster_name:
        return _fleet_list(cmd, resource_group_name, managed_identity_resource_id, subscriptions, all_subscriptions)
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding.arm import BindingRef
    # `list` declares --subscription itself (repeatable, see _params.py); one value means what az's global
    # --subscription means: the subscription of the cluster.
    client = cf_arm(cmd.cli_ctx)
    subscription = (subscriptions or [client.subscription_id])[0]
    bindings = client.list_bindings(BindingRef(subscription, resource_group_name, cluster_name),
                                    preview=show_managed_by)
    if managed_identity_resource_id:
        bindings = bindings_of(bindings, managed_identity_resource_id)
    return [_with_managed_by(b, show_managed_by) for b in bindings]


def _fleet_list(cmd, resource_group_name, identity_id, subscriptions=None, all_subscriptions=False):
    from azure.cli.core.azclierror import AzureResponseError
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding.ids import part
    client = cf_arm(cmd.cli_ctx)
    from azext_identitybinding import fleet
    scope = None if all_subscriptions else (subscriptions or [client.subscription_id])
    result = fleet.scan_subscriptions(client, scope, identity_id, resource_group_name)
    if not result.complete:
        _fail_after_output(cmd.cli_ctx, AzureResponseError(
            f"Incomplete answer: {fleet.describe_gaps(result)} (see the warnings above); the bindings printed "
            "come from the others. Get read access to them, or retry if they were throttled."))
    if all_subscriptions or len(set(scope or [])) > 1:  # each binding with its subscription
        return [{**b, "subscriptionId": part(b.get("id"), "subscriptions").lower()} for b in result.bindings]
    return result.bindings


def _fail_after_output(cli_ctx, error):
    """Fail the command after az has printed its result, so a partial answer is not lost."""
    from knack.events import EVENT_CLI_SUCCESSFUL_EXECUTE

    def fail(_cli_ctx, **_):
        raise error
    cli_ctx.register_event(EVENT_CLI_SUCCESSFUL_EXECUTE, fail)


def delete_identity_binding(cmd, resource_group_name, cluster_name, name, no_wait=False, cleanup_fic=False,
                            override_fleet=False):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    binding = None
    if not override_fleet:  # managedBy is read with the preview api-version; --override-fleet skips it
        binding = client.get_binding(ref, missing_ok=True, preview=True)
        if binding is not None:
            _refuse_if_managed(binding, ref, "delete")
    elif cleanup_fic:
        binding = client.get_binding(ref, missing_ok=True)
    known_missing = binding is None and not override_fleet  # read just now: no DELETE to send
    if known_missing or not client.delete_binding(ref, wait=not no_wait):
        logger.warning("Identity binding %s does not exist; nothing to delete.", ref.describe())
    if not cleanup_fic:
        return None
    if binding is None:
        logger.warning("The identity of binding %s is unknown because the binding did not exist, so its "
                       "federated credential was left alone. Use `%s`.", ref.describe(), commandline.cleanup_fic(None))
        return None
    from azure.cli.core.azclierror import ResourceNotFoundError
    from azext_identitybinding import fleet
    try:
        report = fleet.cleanup_fic(client, fleet.identity_of(binding), deleted_binding_id=binding.get("id"))
    except ResourceNotFoundError:  # the binding is gone, and so is its identity: nothing is left to clean
        logger.warning("Identity binding %s was deleted. Its identity '%s' no longer exists, so it has no "
                       "federated credential left to clean up.", ref.describe(), fleet.identity_of(binding))
        return None
    _report_cleanup(cmd.cli_ctx, report, f"Identity binding {ref.describe()} was deleted; its ", has_output=False)
    return None


def cleanup_federated_credential(cmd, managed_identity_resource_id):
    """`cleanup-fic` (named apart from delete's `cleanup_fic` argument)."""
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding import fleet
    report = fleet.cleanup_fic(cf_arm(cmd.cli_ctx), managed_identity_resource_id)
    _report_cleanup(cmd.cli_ctx, report, "The ", has_output=True)
    return report


def _report_cleanup(cli_ctx, report, prefix, has_output):
    """Deleted, or rightly kept: a warning. Kept out of doubt: an error (exit 1), after any output."""
    text = (f"{prefix}federated credential '{report['federatedIdentityCredential']}' of identity "
            f"'{report['managedIdentityResourceId']}' was {'deleted' if report['deleted'] else 'kept'}: "
            f"{report['reason']}")
    if not report.pop("doubt", False):
        logger.warning("%s", text)
        return
    from azure.cli.core.azclierror import AzureResponseError
    if not has_output:
        raise AzureResponseError(text)
    _fail_after_output(cli_ctx, AzureResponseError(text))


def update_identity_binding(cmd, resource_group_name, cluster_name, name, allowed_subjects_from_file=None,
                            allow_namespaces=None, allow_service_account_labels=None, no_wait=False,
                            override_fleet=False):
    """Replace allowedSubjects; written with If-Match so a concurrent change is never overwritten."""
    import json
    from azure.cli.core.azclierror import AzureResponseError
    from azext_identitybinding import arm, fleet
    del allow_namespaces, allow_service_account_labels  # validate_update built allowed_subjects_from_file from them
    wanted = allowed_subjects_from_file
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    current = client.get_binding(ref, preview=True)
    if not override_fleet:
        _refuse_if_managed(current, ref, "update")
    body = {"properties": {"managedIdentity": {"resourceId": fleet.identity_of(current)},  # immutable: as read
                           "allowedSubjects": wanted}}
    if current.get("managedBy"):
        body["managedBy"] = current["managedBy"]
    try:
        return client.put_binding(ref, body, wait=not no_wait, if_match=current.get("eTag"))
    except arm.PreconditionFailed:
        latest = client.get_binding(ref, preview=True)
        now = (latest.get("properties") or {}).get("allowedSubjects") or []
        raise AzureResponseError(
            f"Identity binding {ref.describe()} was changed by someone else after it was read (eTag "
            f"{current.get('eTag')} is now {latest.get('eTag')}); nothing was written. Its allowed subjects are "
            f"now: {json.dumps(now)}. Re-run the update if you still want to replace them.") from None


def _confirm(what, question):
    """Ask on a terminal; without one, refuse clearly instead of guessing (exit 1, nothing sent)."""
    from knack.prompting import prompt_y_n, NoTTYException
    from azure.cli.core.azclierror import NoTTYError
    try:
        return prompt_y_n(question)
    except NoTTYException:
        raise NoTTYError(f"Refusing to delete {what} without confirmation: there is no terminal to ask on. "
                         "Add --yes to confirm.") from None


def confirm_delete(command_args):
    what = (f"identity binding '{command_args.get('name')}' on cluster '{command_args.get('cluster_name')}' "
            f"(resource group '{command_args.get('resource_group_name')}')")
    if command_args.get("cleanup_fic"):
        what += (", then its identity's federated credential 'aks-identity-binding' if no other binding "
                 "uses it in any subscription this login can see (subscriptions it cannot see cannot be scanned)")
    return _confirm(what, f"Delete {what}? Pods that use it will stop getting tokens for its identity.")


def confirm_cleanup(command_args):
    what = f"the federated credential 'aks-identity-binding' of '{command_args.get('managed_identity_resource_id')}'"
    return _confirm(what, f"Delete {what} if no binding of the identity is found on the clusters of every "
                          "subscription this login can see? Subscriptions it cannot see cannot be scanned: a "
                          "binding there would lose its credential.")


def generate_rbac(cmd, service_accounts=None, namespaces=None, client_id=None, managed_identity_resource_id=None,
                  resource_group_name=None, cluster_name=None, name=None, role_name=None,
                  include_service_accounts=False, tenant_id=None):
    """`name` is the identity binding to read the identity from; `role_name` names the generated objects."""
    from azext_identitybinding import rbac
    if managed_identity_resource_id or cluster_name:
        client_id, tenant_id = _identity_from_arm(cmd, client_id=client_id, tenant_id=tenant_id,
                                                  identity_id=managed_identity_resource_id,
                                                  resource_group_name=resource_group_name,
                                                  cluster_name=cluster_name, binding_name=name)
    for namespace in sorted(set(namespaces or [])):
        logger.warning("Granting every service account in namespace '%s' (group "
                       "system:serviceaccounts:%s), including ones created later. Prefer --service-account "
                       "NAMESPACE/NAME where you can.", namespace, namespace)
    try:
        return rbac.generate(client_id, service_accounts or (), namespaces or (), name=role_name,
                             include_service_accounts=include_service_accounts, tenant_id=tenant_id)
    except rbac.RbacInputError as ex:  # the validators catch these first; kept as a safety net
        from azure.cli.core.azclierror import InvalidArgumentValueError
        raise InvalidArgumentValueError(str(ex)) from None


def generate_manifests(cmd, service_accounts=None, namespaces=None, client_id=None, tenant_id=None,
                       managed_identity_resource_id=None, resource_group_name=None, cluster_name=None, name=None,
                       role_name=None, keyvault_name=None, secrets=None, keys=None, certificates=None, spc_name=None,
                       workload=None):
    """The RBAC, the annotated service accounts and a SecretProviderClass as one List; on stderr, the
    `kubectl patch` of the workload's pod template (secretstore.py builds both)."""
    from azext_identitybinding import rbac, secretstore
    if managed_identity_resource_id or cluster_name:
        client_id, tenant_id = _identity_from_arm(cmd, client_id=client_id, tenant_id=tenant_id,
                                                  identity_id=managed_identity_resource_id,
                                                  resource_group_name=resource_group_name,
                                                  cluster_name=cluster_name, binding_name=name)
    try:
        result = secretstore.generate(client_id, service_accounts or (), namespaces or (), tenant_id=tenant_id or None,
                                      role_name=role_name, keyvault_name=keyvault_name, secrets=secrets or (),
                                      keys=keys or (), certificates=certificates or (), spc_name=spc_name)
        patches = secretstore.workload_patches(
            service_accounts or (), secretstore.parse_workload(workload) if workload else None)
    except rbac.RbacInputError as ex:  # the validators catch these first; kept as a safety net
        from azure.cli.core.azclierror import InvalidArgumentValueError
        raise InvalidArgumentValueError(str(ex)) from None
    for namespace in sorted(set(namespaces or [])):
        logger.warning("Granting every service account in namespace '%s' (group system:serviceaccounts:%s), "
                       "including ones created later.", namespace, namespace)
    fill_in = "" if workload else " (replace WORKLOAD with its KIND/NAME, e.g. deployment/web, or pass --workload)"
    logger.warning("Then label and annotate the workload's pod template for the identity binding and run it as "
                   "its service account%s:\n%s", fill_in, "\n".join(patches))
    return result


def _identity_from_arm(cmd, *, client_id, tenant_id, identity_id, resource_group_name, cluster_name, binding_name):
    """(client id, tenant id) read from the identity or the binding; cross-checks a given --client-id."""
    from azure.cli.core.azclierror import InvalidArgumentValueError
    if identity_id:
        from azext_identitybinding._client_factory import cf_arm
        props = cf_arm(cmd.cli_ctx).get_identity(identity_id).get("properties") or {}
        source, object_id = f"identity '{identity_id}'", props.get("principalId", "")
    else:
        client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, binding_name)
        props = (client.get_binding(ref).get("properties") or {}).get("managedIdentity") or {}
        source, object_id = f"identity binding {ref.describe()}", props.get("objectId", "")
    arm_client_id = (props.get("clientId") or "").lower()
    if client_id and client_id.lower() != arm_client_id:
        what = ("is the identity's object (principal) id" if client_id.lower() == object_id.lower()
                else "does not match the identity")
        raise InvalidArgumentValueError(f"--client-id '{client_id}' {what}; the client id of {source} is "
                                        f"'{arm_client_id}'. Drop --client-id or pass that value.")
    arm_tenant_id = props.get("tenantId") or ""
    if tenant_id and arm_tenant_id and tenant_id.lower() != arm_tenant_id.lower():
        raise InvalidArgumentValueError(f"--tenant-id '{tenant_id}' does not match the tenant of {source} "
                                        f"('{arm_tenant_id}'). Drop --tenant-id or pass that value.")
    return arm_client_id, tenant_id or arm_tenant_id


def check_identity_binding(cmd, resource_group_name=None, cluster_name=None, service_account=None, name=None,
                           managed_identity_resource_id=None, kubeconfig=None, context=None, skip_cluster=False,
                           pod_files=None, client_id=None, target_resource=None, target_permission=None):
    """Diagnose the whole chain for one workload; exit code 1 (after the list) when a check fails.
    Without --cluster-name only the --pod-file manifests are checked: no login, no request."""
    from azure.cli.core.azclierror import UnclassifiedUserFault
    from azext_identitybinding import check
    if cluster_name is None:
        items = check.lint(pod_files, service_account, client_id)
    else:
        from azext_identitybinding._client_factory import cf_arm
        from azext_identitybinding.check.facts import Target
        from azext_identitybinding.check.gather import gather
        target = Target(resource_group_name, cluster_name, service_account, binding_name=name,
                        identity_id=managed_identity_resource_id, kubeconfig=kubeconfig,
                        context=context, skip_cluster=skip_cluster, pod_files=pod_files or [],
                        target_resource=target_resource, target_permission=target_permission)
        items = check.evaluate(gather(cf_arm(cmd.cli_ctx), target))
    failed = check.failed(items)
    if failed:
        _fail_after_output(cmd.cli_ctx, UnclassifiedUserFault(
            f"{len(failed)} check(s) failed: {', '.join(failed)}. Each has a fix in the list above."))
    return items


# -- migrate: from workload identity credentials to identity bindings (migrate/) -----------------------

def _migrate_reading(cmd, identity_id, resource_group_name, subscriptions, all_subscriptions):
    """(client, Reading) of the identity over the scope: every visible subscription, the given ones, or
    the current one."""
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding.migrate import reads
    client = cf_arm(cmd.cli_ctx)
    scope = None if all_subscriptions else list(subscriptions or [])
    return client, reads.read_plan(client, identity_id, scope, resource_group_name)


def _fail_if_incomplete(cli_ctx, gaps, what):
    if gaps:
        from azure.cli.core.azclierror import AzureResponseError
        _fail_after_output(cli_ctx, AzureResponseError(
            f"Incomplete answer: {'; '.join(gaps[:5])}{' ...' if len(gaps) > 5 else ''} (see the warnings above). "
            f"{what} Get read access to them, or retry if they were throttled."))


def migrate_plan(cmd, managed_identity_resource_id, resource_group_name=None, subscriptions=None,
                 all_subscriptions=False, manifests_dir=None, overwrite=False):
    """Read-only: the plan of moving the identity's workload FICs to bindings (and, with --manifests-dir,
    each cluster's RBAC)."""
    from azext_identitybinding.migrate import run
    client, reading = _migrate_reading(cmd, managed_identity_resource_id, resource_group_name, subscriptions,
                                       all_subscriptions)
    if manifests_dir and reading.plan["clusters"]:
        client_id = _checked_client_id(client.get_identity(managed_identity_resource_id), managed_identity_resource_id)
        reading.plan["manifests"] = run.write_manifests(reading.plan, client_id, manifests_dir, overwrite)
    elif manifests_dir:
        logger.warning("No cluster in scope has workload credentials of the identity, so no manifest was written.")
    logger.warning("Federated credentials of the identity: %s.", reading.plan["summary"])
    _fail_if_incomplete(cmd.cli_ctx, reading.gaps, "The plan may miss clusters or bindings.")
    return reading.plan


def _checked_client_id(identity, identity_id):
    from azure.cli.core.azclierror import AzureResponseError
    from azext_identitybinding import rbac
    props = identity.get("properties") if isinstance(identity, dict) else None
    try:
        return rbac.normalize_client_id((props or {}).get("clientId"), "clientId")
    except rbac.RbacInputError:
        raise AzureResponseError(f"Azure returned identity '{identity_id}' without a client id that is a GUID, "
                                 "so no RBAC can name it; nothing was written. Check it with `az identity show`.") \
            from None


def migrate_apply(cmd, managed_identity_resource_id, resource_group_name=None, subscriptions=None,
                  all_subscriptions=False, no_wait=False):
    """Create the plan's missing bindings on the ready clusters; exit 1 when a cluster was skipped or failed."""
    from azure.cli.core.azclierror import AzureResponseError
    from azext_identitybinding.migrate import run
    client, reading = _migrate_reading(cmd, managed_identity_resource_id, resource_group_name, subscriptions,
                                       all_subscriptions)
    results = run.apply(client, reading.plan, managed_identity_resource_id, no_wait=no_wait)
    from azext_identitybinding.ids import part
    for r in results:
        if r["result"] == "accepted":  # --no-wait: az prints no result, so say what to wait for
            logger.warning("Sent the creation of binding '%s' on cluster '%s'; wait for it with `%s`.", r["binding"],
                           r["cluster"], commandline.binding(
                               "wait", part(r["cluster"], "resourceGroups"), part(r["cluster"], "managedClusters"),
                               r["binding"], created=True, subscription=part(r["cluster"], "subscriptions")))
        if r["result"] in ("failed", "not-ready"):
            logger.warning("No binding was created on cluster '%s' (%s): %s", r["cluster"], r["result"], r["detail"])
    logger.warning("%s", run.next_steps(managed_identity_resource_id))
    bad = [r["cluster"] for r in results if r["result"] in ("failed", "not-ready")]
    if bad:
        _fail_after_output(cmd.cli_ctx, AzureResponseError(
            f"{len(bad)} cluster(s) got no binding: {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''} (why: see "
            "above). Fix them and run apply again; it creates only what is missing."))
    else:
        _fail_if_incomplete(cmd.cli_ctx, reading.gaps, "Clusters that could not be read got no binding.")
    return {"identity": managed_identity_resource_id, "summary": reading.plan["summary"], "clusters": results}


def migrate_retire(cmd, managed_identity_resource_id, resource_group_name=None, subscriptions=None,
                   all_subscriptions=False, cluster_name=None, credentials=None, kubeconfig=None, context=None,
                   backup_dir=None, yes=False):
    """Delete the FICs a Succeeded binding made redundant, with proof (pods) or by name; back each up first."""
    from azure.cli.core.azclierror import AzureResponseError
    from azext_identitybinding.migrate import plan, run
    client, reading = _migrate_reading(cmd, managed_identity_resource_id, resource_group_name, subscriptions,
                                       all_subscriptions)
    keys = _retire_clusters(reading.plan, cluster_name, managed_identity_resource_id, kubeconfig or context)
    proof = run.evidence(reading.plan, keys, kubeconfig, context) if (kubeconfig or context) else None
    chosen, kept = plan.retire_choice(reading.plan, reading.entries, credentials or (), proof, keys)
    for k in kept:
        logger.warning("Kept '%s': %s", k["credential"], k["reason"])
    report = {"identity": managed_identity_resource_id, "deleted": [], "kept": kept, "refused": []}
    if chosen:
        names = ", ".join(e.credential.name for e in chosen)
        if not yes and not _confirm(
                f"{len(chosen)} federated credential(s) of '{managed_identity_resource_id}' ({names})",
                f"Delete {len(chosen)} federated credential(s) of the identity ({names})? Each is backed up first; "
                "a workload still using one would stop getting tokens."):
            logger.warning("Nothing was deleted.")
            return report
        directory = backup_dir or run.default_backup_dir()
        logger.warning("Backing up each credential before it is deleted, in %s", directory)
        report["backupDir"] = directory
        report["deleted"], report["refused"] = run.retire(client, managed_identity_resource_id, chosen, directory)
    if report["refused"]:
        _fail_after_output(cmd.cli_ctx, AzureResponseError(
            f"{len(report['refused'])} credential(s) were not deleted: "
            + "; ".join(f"{r['credential']}: {r['reason']}" for r in report["refused"][:5])))
    else:
        _fail_if_incomplete(cmd.cli_ctx, reading.gaps, "Credentials of clusters that could not be read were kept.")
    return report


def _retire_clusters(the_plan, cluster_name, identity_id, kube_evidence):
    """The keys of the clusters --cluster-name selects (None: all); with kube evidence, exactly one."""
    from azure.cli.core.azclierror import InvalidArgumentValueError, ResourceNotFoundError
    if not cluster_name:
        return None
    keys = {c["id"].lower() for c in the_plan["clusters"] if c["name"].lower() == cluster_name.lower()}
    if not keys:
        raise ResourceNotFoundError(f"No cluster named '{cluster_name}' has workload credentials of the identity in "
                                    f"the plan; see them with `{commandline.migrate('plan', identity_id)}`.")
    if kube_evidence and len(keys) > 1:
        raise InvalidArgumentValueError(
            f"--cluster-name '{cluster_name}' matches {len(keys)} clusters ({', '.join(sorted(keys))}), and "
            "--kubeconfig/--context reach one of them: add -g GROUP (and --subscription ID) to name it. Nothing "
            "was deleted.")
    return keys


def migrate_audit(cmd, resource_group_name=None, subscriptions=None, all_subscriptions=False, count_bindings=False):
    """The FIC budget of every user-assigned identity in scope, fullest first."""
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding.migrate import reads
    scope = None if all_subscriptions else list(subscriptions or [])
    rows, _, gaps = reads.read_audit(cf_arm(cmd.cli_ctx), scope, resource_group_name, count_bindings)
    _fail_if_incomplete(cmd.cli_ctx, gaps, "Identities that could not be read are not in the list.")
    return rows
