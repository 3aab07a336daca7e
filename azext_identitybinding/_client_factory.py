"""Builds the ARM client with the CLI's login, cloud and pipeline settings."""
import sys


def cf_arm(cli_ctx, subscription_id=None):
    from azure.cli.core.commands.client_factory import get_mgmt_service_client
    from azext_identitybinding.arm import ArmClient
    client = get_mgmt_service_client(cli_ctx, ArmClient, subscription_id=subscription_id,
                                     network_trace=network_trace_shown())
    # A spinner while long-running operations are polled, only where someone watches it.
    quiet = (getattr(cli_ctx, "only_show_errors", False)
             or cli_ctx.config.getboolean("core", "disable_progress_bar", fallback=False))
    if not quiet and sys.stderr.isatty():
        client.progress = cli_ctx.get_progress_controller(det=False)
    return client


def network_trace_shown(logger=None):
    """Whether a DEBUG record of az's network-trace policy reaches any handler (--debug, or a log file).

    knack sets its loggers to DEBUG and filters in the handlers, so the policy always finds DEBUG
    enabled and builds ~22 records per request (URL, every header, the body) that, without --debug,
    every handler drops: in a fleet scan that is a sixth of the CPU of a read. The client leaves the
    policy out when nothing would show them; everything else in the pipeline stays."""
    import logging
    from knack.log import get_logger
    logger = logger or get_logger("azure.cli.core.sdk.policies")  # the policy's own logger
    while logger is not None:
        if any(handler.level <= logging.DEBUG for handler in logger.handlers):
            return True
        logger = logger.parent if logger.propagate else None
    return False
