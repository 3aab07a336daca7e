"""Long-running operations, polled as the live service behaves: PUT answers 201 with only
Azure-AsyncOperation, DELETE 202 with only Location (202 until 204); Retry-After is honoured, 5 s
when absent, capped at 60 s; 30 minutes at most. An operation that was accepted but could not be
followed is always reported as such, with the command that shows where it stands.

Why not azure-mgmt-core's LROPoller/ARMPolling: it would poll the same headers, but its errors are
azure-core exceptions without the binding, the action and the next command in them, it has no
notion of "accepted, then lost" (the fault matrix checks that message), and without Retry-After it
sleeps 30 s between polls (azure-core's default) where the live service finishes in about a minute.
"""
import time

from azext_identitybinding.arm import errors, versions

DEFAULT_POLL_SECONDS = 5      # when the service sends no Retry-After
MAX_POLL_SECONDS = 60         # cap on a Retry-After we honour
LRO_TIMEOUT_SECONDS = 30 * 60
TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}


def operation_url(response):
    return response.headers.get("Azure-AsyncOperation") or response.headers.get("Location")


def retry_after(response):
    value = response.headers.get("Retry-After")
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return DEFAULT_POLL_SECONDS
    return min(max(seconds, 0), MAX_POLL_SECONDS)


def finish_put(client, response, ref, api_version):
    """The binding once a PUT is done: waited for if the service is still working on it, then read."""
    properties = (errors.body(response, missing_ok=True) or {}).get("properties") or {}
    state = properties.get("provisioningState", "Succeeded")
    if response.status_code == 201 or operation_url(response) or state.lower() not in TERMINAL:
        wait(client, response, ref, "create")
        from azure.core.exceptions import AzureError
        from azure.cli.core.azclierror import AzCLIError, AzureResponseError
        try:
            final = client.send("GET", ref.url(), api_version=api_version)
            errors.check(final, ref, "read")
            resource = errors.body(final)
        except (AzCLIError, AzureError) as ex:
            cls = type(ex) if isinstance(ex, AzCLIError) else AzureResponseError
            raise cls(f"The create of identity binding {ref.describe()} succeeded, but reading the binding "
                      f"afterwards failed: {ex} Check it with `{ref.show_command()}`.") from ex
    else:
        resource = errors.body(response)
    state = (resource.get("properties") or {}).get("provisioningState", "")
    if state.lower() in ("failed", "canceled"):
        from azure.cli.core.azclierror import AzureResponseError
        raise AzureResponseError(f"Identity binding {ref.describe()} ended in state {state}. "
                                 f"Inspect it with `{ref.show_command()}`, fix the cause and "
                                 "run create again.")
    return resource


def wait(client, response, ref, action):
    """Poll a long-running operation to its end, whichever header the service sent."""
    from azure.core.exceptions import AzureError
    from azure.cli.core.azclierror import AzCLIError, AzureResponseError
    try:
        status, response = _poll(client, response, ref, action)
    except (AzCLIError, AzureError) as ex:
        # Never leave a half-done operation unreported: the request was accepted.
        cls = type(ex) if isinstance(ex, AzCLIError) else AzureResponseError
        raise cls(f"The {action} of identity binding {ref.describe()} was accepted, but following it "
                  f"failed: {ex} The service may still be working on it; check with "
                  f"`{ref.show_command()}`.") from ex
    finally:
        if client.progress:
            client.progress.end()
    if status.lower() != "succeeded":
        error = (errors.body(response, missing_ok=True) or {}).get("error") or {}
        raise AzureResponseError(
            f"The {action} of identity binding {ref.describe()} ended {status}: "
            f"({error.get('code', 'NoErrorCode')}) {error.get('message', 'the service gave no message')} "
            f"Check the binding with `{ref.show_command()}`.")


def _poll(client, response, ref, action):
    started = time.monotonic()
    status_url = response.headers.get("Azure-AsyncOperation")
    location_url = response.headers.get("Location")
    while True:
        _sleep(client, response, started, ref, action)
        if status_url:
            response = client.send("GET", status_url)
            errors.check(response, ref, action)
            status = (errors.body(response) or {}).get("status", "")
        elif location_url:
            response = client.send("GET", location_url)
            if response.status_code == 202:
                continue
            if response.status_code != 404:  # 404 on the Location URL: the resource is gone
                errors.check(response, ref, action)
            return "Succeeded", response
        else:  # no operation header: watch the resource itself
            response = client.send("GET", ref.url(), api_version=versions.BINDINGS)
            if response.status_code == 404 and action == "delete":
                return "Succeeded", response
            errors.check(response, ref, "read")
            status = ((errors.body(response) or {}).get("properties") or {}).get("provisioningState", "")
        if status.lower() in TERMINAL:
            return status, response


def _sleep(client, response, started, ref, action):
    from azure.cli.core.azclierror import AzureResponseError
    if time.monotonic() - started > LRO_TIMEOUT_SECONDS:
        raise AzureResponseError(f"The {action} of identity binding {ref.describe()} is still running "
                                 f"after {LRO_TIMEOUT_SECONDS // 60} minutes; check later with "
                                 f"`{ref.show_command()}`.")
    if client.progress:
        client.progress.add(message=f"Waiting for {action}")
    time.sleep(retry_after(response))
