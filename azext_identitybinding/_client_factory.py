"""Builds the ARM client with the CLI's login, cloud and pipeline settings."""
import sys


def cf_arm(cli_ctx, subscription_id=None):
    from azure.cli.core.commands.client_factory import get_mgmt_service_client
    from azext_identitybinding.arm import ArmClient
    client = get_mgmt_service_client(cli_ctx, ArmClient, subscription_id=subscription_id)
    # A spinner while long-running operations are polled, only where someone watches it.
    quiet = (getattr(cli_ctx, "only_show_errors", False)
             or cli_ctx.config.getboolean("core", "disable_progress_bar", fallback=False))
    if not quiet and sys.stderr.isatty():
        client.progress = cli_ctx.get_progress_controller(det=False)
    return client
