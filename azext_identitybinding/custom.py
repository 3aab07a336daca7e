"""Command handlers: they orchestrate the ARM layer and return plain data for az to format."""
from knack.log import get_logger

logger = get_logger(__name__)


def _client_and_ref(cmd, resource_group_name, cluster_name, name=None):
    from azext_identitybinding._client_factory import cf_arm
    from azext_identitybinding.arm import BindingRef
    client = cf_arm(cmd.cli_ctx)
    return client, BindingRef(client.subscription_id, resource_group_name, cluster_name, name)


def create_identity_binding(cmd, resource_group_name, cluster_name, name, managed_identity_resource_id,
                            no_wait=False):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    existing = client.get_binding(ref, missing_ok=True)
    if existing is not None:
        bound = ((existing.get("properties") or {}).get("managedIdentity") or {}).get("resourceId", "")
        if bound.rstrip("/").lower() != managed_identity_resource_id.lower():
            from azure.cli.core.azclierror import InvalidArgumentValueError
            raise InvalidArgumentValueError(
                f"Identity binding {ref.describe()} already exists and is bound to identity '{bound}'. "
                "The identity of a binding cannot be changed, so nothing was modified. To bind "
                f"'{managed_identity_resource_id}', use another binding name, or delete this binding first "
                f"with `az aks identity-binding delete -g {resource_group_name} --cluster-name {cluster_name} "
                f"-n {name}`.")
        state = (existing.get("properties") or {}).get("provisioningState", "")
        if state.lower() not in ("failed", "canceled"):
            if state.lower() != "succeeded":
                logger.warning("Identity binding %s already exists and is %s.", ref.describe(), state)
            return existing
        logger.warning("Identity binding %s exists in state %s; sending it again.", ref.describe(), state)
    body = {"properties": {"managedIdentity": {"resourceId": managed_identity_resource_id}}}
    return client.put_binding(ref, body, wait=not no_wait)


def show_identity_binding(cmd, resource_group_name, cluster_name, name):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    return client.get_binding(ref)


def list_identity_bindings(cmd, resource_group_name, cluster_name):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name)
    return client.list_bindings(ref)


def delete_identity_binding(cmd, resource_group_name, cluster_name, name, no_wait=False):
    client, ref = _client_and_ref(cmd, resource_group_name, cluster_name, name)
    if not client.delete_binding(ref, wait=not no_wait):
        logger.warning("Identity binding %s does not exist; nothing to delete.", ref.describe())


def confirm_delete(command_args):
    """Prompt naming what is deleted; without a terminal, refuse clearly instead of guessing."""
    from knack.prompting import prompt_y_n, NoTTYException
    from azure.cli.core.azclierror import NoTTYError
    what = (f"identity binding '{command_args.get('name')}' on cluster '{command_args.get('cluster_name')}' "
            f"(resource group '{command_args.get('resource_group_name')}')")
    try:
        return prompt_y_n(f"Delete {what}? Pods that use it will stop getting tokens for its identity.")
    except NoTTYException:
        raise NoTTYError(f"Refusing to delete {what} without confirmation: there is no terminal to ask on. "
                         "Add --yes to confirm.") from None


def generate_rbac(cmd, service_accounts=None, namespaces=None, client_id=None, managed_identity_resource_id=None,
                  resource_group_name=None, cluster_name=None, binding_name=None, name=None,
                  include_service_accounts=False, tenant_id=None):
    from azext_identitybinding import rbac
    if managed_identity_resource_id or cluster_name:
        client_id, tenant_id = _identity_from_arm(cmd, client_id, tenant_id, managed_identity_resource_id,
                                                  resource_group_name, cluster_name, binding_name)
    for namespace in sorted(set(namespaces or [])):
        logger.warning("Granting every service account in namespace '%s' (group "
                       "system:serviceaccounts:%s), including ones created later. Prefer --service-account "
                       "NAMESPACE/NAME where you can.", namespace, namespace)
    try:
        return rbac.generate(client_id, service_accounts or (), namespaces or (), name=name,
                             include_service_accounts=include_service_accounts, tenant_id=tenant_id)
    except rbac.RbacInputError as ex:  # the validators catch these first; kept as a safety net
        from azure.cli.core.azclierror import InvalidArgumentValueError
        raise InvalidArgumentValueError(str(ex)) from None


def _identity_from_arm(cmd, client_id, tenant_id, identity_id, resource_group_name, cluster_name, binding_name):
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
