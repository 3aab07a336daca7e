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
