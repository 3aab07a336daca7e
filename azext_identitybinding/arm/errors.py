"""ARM answers turned into what a user can act on: the azclierror class that fits (and so the exit
code), what went wrong, and what to do. Tolerant of bodies that are not ARM's error shape (a proxy
or gateway may answer instead of ARM).
"""
from azure.cli.core.azclierror import AzureResponseError  # loaded by az's parser already: free here

_FORBIDDEN_HINT = {
    "create": ("Creating an identity binding needs "
               "'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write' on the "
               "identity and 'Microsoft.ContainerService/managedClusters/write' on the cluster (for example "
               "the 'Managed Identity Contributor' role on the identity and 'Azure Kubernetes Service "
               "Contributor Role' on the cluster)."),
    "delete": "Deleting an identity binding needs 'Microsoft.ContainerService/managedClusters/write' on the cluster.",
}


class PreconditionFailed(Exception):
    """A conditional write (If-Match) lost a race: the resource changed since it was read."""

    def __init__(self, code_and_message):
        super().__init__(f"({code_and_message[0]}) {code_and_message[1]}")


class ApiVersionNotOffered(AzureResponseError):
    """No api-version this region or cloud offers carries what the request needs (exit 1)."""

    def __init__(self, need, refused, offered):
        self.need, self.offered = need, offered
        from azext_identitybinding.arm.versions import KIND_NAMES
        super().__init__(
            f"This region or cloud does not offer what the request needs: {need.describe()}. Azure refused "
            f"api-version {refused} and offers {', '.join(offered)} for {KIND_NAMES[need.kind]}. Leave out the "
            "option that needs it (--show-managed-by needs managedBy; allowed subjects need allowedSubjects), or "
            "run the command where such a version is offered.")


def body(response, missing_ok=False):
    """The JSON body of a 2xx answer; an azclierror, not a stack trace, if it is not JSON."""
    try:
        return response.json()
    except ValueError:
        if missing_ok:
            return None
        text = " ".join((response.text() or "").split())[:300]
        raise AzureResponseError(
            f"Azure answered HTTP {response.status_code} with a body that is not JSON "
            f"({response.headers.get('Content-Type') or 'no content type'}); a proxy or gateway in between "
            f"may have answered instead: {text!r}") from None


def page(response):
    """One page of a list: a JSON object whose `value` is a list (and `nextLink`, if any, a string)."""
    found = body(response)
    if isinstance(found, dict) and isinstance(found.get("value"), (list, type(None))) and \
            isinstance(found.get("nextLink"), (str, type(None))):
        return found
    raise AzureResponseError(f"Azure answered HTTP {response.status_code} with a body that is not a page of a "
                             f"list (an object with a 'value' list): {str(found)[:200]!r}")


def error(response):
    """(code, message) from an ARM error body, tolerant of non-JSON bodies."""
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    found = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(found, dict):
        return found.get("code") or "NoErrorCode", found.get("message") or ""
    return f"HTTP{response.status_code}", (response.text() or "").strip()[:500]


def missing(response, ref):
    """Which part of the path a 404 is about: 'group', 'cluster' or 'binding'."""
    code, message = error(response)
    text = message.lower()
    if code == "ResourceGroupNotFound":
        return "group"
    if code == "ParentResourceNotFound":
        return "cluster"
    if "identitybindings" in text or ref.name is None:
        return "binding" if ref.name is not None else "cluster"
    if "managedclusters" in text:
        return "cluster"
    return "binding"


def _not_found_text(response, ref):
    what = missing(response, ref)
    if what == "group":
        return f"Resource group '{ref.resource_group}' was not found. Check the name and the subscription."
    if ref.cluster is None:  # a scope of clusters, not one cluster
        return f"Azure found nothing at {ref.describe()}. Check the subscription and the group."
    if what == "cluster":
        from azext_identitybinding import commandline
        return (f"Cluster '{ref.cluster}' was not found in resource group '{ref.resource_group}'. "
                f"Check the name with `{commandline.az('aks', 'list', g=ref.resource_group, o='table')}`.")
    return (f"Identity binding '{ref.name}' was not found on cluster '{ref.cluster}' (resource group "
            f"'{ref.resource_group}'). See the bindings with `{ref.list_command()}`.")


def check(response, ref, action):
    """Raise the azclierror that fits a failed response; return quietly on 2xx."""
    from azure.cli.core import azclierror as err
    status = response.status_code
    if 200 <= status < 300:
        return
    code, message = error(response)
    service = f"The service said: ({code}) {message}"
    if status == 404:
        raise err.ResourceNotFoundError(f"{_not_found_text(response, ref)} {service}")
    if status == 400:
        raise err.BadRequestError(f"The service rejected the {action} request. {service}")
    if status == 401:
        raise err.UnauthorizedError(f"Not authenticated for this request. {service} Run `az login` and retry.")
    if status == 403:
        raise err.ForbiddenError(f"Permission denied. {_FORBIDDEN_HINT.get(action, ref.read_hint)} {service}")
    if status == 409:
        raise err.AzureResponseError(f"The request conflicts with the current state of {ref.describe()}. "
                                     f"{service} If another operation is running on the cluster, wait for "
                                     "it to finish and retry.")
    if status == 429:
        raise err.AzureResponseError(f"Azure is throttling requests and retries did not get through. {service} "
                                     "Wait a minute and retry.")
    if status >= 500:
        raise err.AzureInternalError(f"Azure returned HTTP {status}. {service} Retry later.")
    raise err.AzureResponseError(f"Unexpected HTTP {status} for the {action} request. {service}")
