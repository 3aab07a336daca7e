"""The thin ARM layer: the only module that builds URLs, sends requests or reads HTTP.

Handlers get plain dicts in the ARM resource shape back, or an azclierror that says what went
wrong and what to do. A raw REST client on azure-core's ARM pipeline (rather than the bundled
azure-mgmt-containerservice) keeps start-up cheap and lets preview fields such as
`allowedSubjects` be sent by switching the api-version, with no vendored SDK.
"""
import time
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from knack.log import get_logger

from azext_identitybinding.constants import BINDINGS_API_VERSION, CLUSTERS_API_VERSION, FIC_NAME, IDENTITY_API_VERSION

logger = get_logger(__name__)

FLEET_WORKERS = 32                 # concurrent cluster reads in a fleet scan (and HTTP connections)

DEFAULT_POLL_SECONDS = 5      # when the service sends no Retry-After
MAX_POLL_SECONDS = 60         # cap on a Retry-After we honour
LRO_TIMEOUT_SECONDS = 30 * 60
RETRY_TOTAL = 3               # transport retries (429/5xx/connection, honouring Retry-After), then fail

_TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}


class ArmClient:
    """ARM requests for one subscription, on the CLI's own pipeline settings.

    The constructor signature is what `get_mgmt_service_client` expects of a track-2 client,
    so the CLI supplies credential, user agent, telemetry headers, proxy and logging policies.
    """

    def __init__(self, credential, subscription_id, base_url, **kwargs):
        from azure.core.pipeline import policies
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

        self.subscription_id = subscription_id
        self._host = urlsplit(base_url).netloc.lower()
        self.progress = None  # optional object with add(message=...) and end(), set by the factory
        kwargs.setdefault("retry_total", RETRY_TOTAL)
        pipeline = [
            policies.RequestIdPolicy(**kwargs),
            policies.HeadersPolicy(**kwargs),
            kwargs.get("user_agent_policy") or policies.UserAgentPolicy(**kwargs),
            policies.ProxyPolicy(**kwargs),
            policies.ContentDecodePolicy(**kwargs),
            policies.RedirectPolicy(**kwargs),
            policies.RetryPolicy(**kwargs),
            kwargs.get("authentication_policy")
            or ARMChallengeAuthenticationPolicy(credential, *kwargs.get("credential_scopes", [])),
            kwargs.get("custom_hook_policy") or policies.CustomHookPolicy(**kwargs),
            kwargs.get("logging_policy") or policies.NetworkTraceLoggingPolicy(**kwargs),
            policies.DistributedTracingPolicy(**kwargs),
            kwargs.get("http_logging_policy") or ARMHttpLoggingPolicy(**kwargs),
        ]
        kwargs.setdefault("transport", _transport(**kwargs))
        self._client = ARMPipelineClient(base_url=base_url, policies=pipeline, **kwargs)

    # -- identity bindings -------------------------------------------------------------------

    def get_binding(self, ref, missing_ok=False, api_version=BINDINGS_API_VERSION):
        """The binding; None if missing_ok and the binding (but not its cluster) does not exist."""
        response = self._send("GET", ref.url(), api_version=api_version)
        if missing_ok and response.status_code == 404 and _missing(response, ref) == "binding":
            return None
        _check(response, ref, "read")
        return _json(response)

    def list_bindings(self, ref):
        return self._list(ref.url(collection=True), ref, BINDINGS_API_VERSION)

    def put_binding(self, ref, body, wait=True, api_version=BINDINGS_API_VERSION, if_match=None):
        """Create or replace. With if_match, a 412 (someone else changed it) raises PreconditionFailed."""
        headers = {"If-Match": if_match} if if_match else None
        response = self._send_change("PUT", ref, "update" if if_match else "create", body=body,
                                     api_version=api_version, headers=headers)
        if response.status_code == 412:
            raise PreconditionFailed(_error(response))
        _check(response, ref, "update" if if_match else "create")
        if not wait:
            return None
        return self._finish_put(response, ref, api_version)

    # -- clusters ------------------------------------------------------------------------------

    def list_clusters(self, subscription_id, resource_group=None):
        """Managed clusters of a subscription, or of one resource group in it."""
        scope = ["subscriptions", subscription_id] + (["resourceGroups", resource_group] if resource_group else [])
        ref = BindingRef(subscription_id, resource_group or "", None)
        return self._list(url_path(*scope, "providers", "Microsoft.ContainerService", "managedClusters"), ref,
                          CLUSTERS_API_VERSION)

    def delete_binding(self, ref, wait=True):
        """Delete; True if something was deleted, False if the binding did not exist."""
        response = self._send_change("DELETE", ref, "delete")
        if response.status_code == 204:
            return False
        if response.status_code == 404 and _missing(response, ref) == "binding":
            return False
        _check(response, ref, "delete")
        if wait and response.status_code == 202:
            self._wait(response, ref, "delete")
        return True

    # -- user-assigned identities --------------------------------------------------------------

    def get_identity(self, identity_id):
        """The identity resource (properties.clientId, tenantId, principalId) by its resource id."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        response = self._send("GET", _identity_url(identity_id), api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            code, message = _error(response)
            raise ResourceNotFoundError(
                f"Managed identity '{identity_id}' was not found. Check the id with `az identity list "
                f"-o table` (and the subscription in the id). The service said: ({code}) {message}")
        _check(response, IdentityRef(identity_id), "read")
        return _json(response)

    def get_fic(self, identity_id, name=FIC_NAME):
        """A federated identity credential of the identity, or None if it does not exist."""
        response = self._send("GET", _fic_url(identity_id, name), api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            return None
        _check(response, IdentityRef(identity_id), "read")
        return _json(response)

    def delete_fic(self, identity_id, name=FIC_NAME):
        response = self._send("DELETE", _fic_url(identity_id, name), api_version=IDENTITY_API_VERSION)
        if response.status_code != 404:
            _check(response, IdentityRef(identity_id), "delete")

    def list_fics(self, identity_id):
        """Every federated identity credential of the identity (all pages)."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        ref = IdentityRef(identity_id)
        response = self._send("GET", _identity_url(identity_id, "federatedIdentityCredentials"),
                              api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            raise ResourceNotFoundError(f"Managed identity '{identity_id}' was not found. The service said: "
                                        f"({_error(response)[0]}) {_error(response)[1]}")
        _check(response, ref, "list")
        page = _json(response)
        rest = self._list(page["nextLink"], ref, IDENTITY_API_VERSION) if page.get("nextLink") else []
        return (page.get("value") or []) + rest

    # -- one cluster ---------------------------------------------------------------------------

    def get_cluster(self, ref):
        """The managed cluster of a BindingRef (its name need not be set)."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        response = self._send("GET", _cluster_url(ref), api_version=CLUSTERS_API_VERSION)
        if response.status_code == 404:
            missing = "group" if _error(response)[0] == "ResourceGroupNotFound" else "cluster"
            what = (f"Resource group '{ref.resource_group}'" if missing == "group"
                    else f"Cluster '{ref.cluster}' in resource group '{ref.resource_group}'")
            raise ResourceNotFoundError(f"{what} was not found. The service said: ({_error(response)[0]}) "
                                        f"{_error(response)[1]}")
        _check(response, ref, "read")
        return _json(response)

    # -- plumbing ----------------------------------------------------------------------------

    def _list(self, url, ref, api_version):
        items = []
        while url:
            response = self._send("GET", url, api_version=api_version)
            _check(response, ref, "list")
            page = _json(response)
            items.extend(page.get("value") or [])
            url = page.get("nextLink")
        return items

    def _send(self, method, url, body=None, api_version=BINDINGS_API_VERSION, headers=None):
        """Send to a path built by url_path(), or to a link the service gave (nextLink, operation URLs)."""
        from azure.core.rest import HttpRequest
        checked = isinstance(url, SafePath)
        if not checked:
            self._check_link(url)
        if "api-version=" not in url:
            url += ("&" if "?" in url else "?") + "api-version=" + api_version
        if checked:
            url = self._client.format_url(url)
        request = HttpRequest(method, url, json=body, headers=headers)
        return self._client.send_request(request)

    def _check_link(self, url):
        """A link from a response must stay on the ARM host we logged in to: our token goes with it."""
        from azure.cli.core.azclierror import AzureResponseError, CLIInternalError
        if not isinstance(url, str) or not url.lower().startswith("https://"):
            raise CLIInternalError(f"Refused to send a request to {url!r}: not a checked ARM path or an https "
                                   "link. Nothing was sent; please report this.")
        if urlsplit(url).netloc.lower() != self._host:
            raise AzureResponseError(f"Azure answered with a link to another host ({urlsplit(url).netloc}, not "
                                     f"{self._host}); it was not followed, so that your token is not sent there.")

    def _send_change(self, method, ref, action, **kwargs):
        """PUT/DELETE of a binding: a connection lost after sending may hide an accepted request."""
        from azure.core.exceptions import ServiceRequestError, ServiceResponseError
        from azure.cli.core.azclierror import AzureConnectionError
        try:
            return self._send(method, ref.url(), **kwargs)
        except (ServiceRequestError, ServiceResponseError) as ex:
            raise AzureConnectionError(
                f"The connection to Azure failed while sending the {action} request for identity binding "
                f"{ref.describe()} ({ex}). The request may have been accepted: check with "
                f"`{ref.show_command()}` before you run {action} again.") from ex

    def _finish_put(self, response, ref, api_version):
        properties = (_json(response, missing_ok=True) or {}).get("properties") or {}
        state = properties.get("provisioningState", "Succeeded")
        if response.status_code == 201 or _operation_url(response) or state.lower() not in _TERMINAL:
            self._wait(response, ref, "create")
            from azure.core.exceptions import AzureError
            from azure.cli.core.azclierror import AzCLIError, AzureResponseError
            try:
                final = self._send("GET", ref.url(), api_version=api_version)
                _check(final, ref, "read")
                resource = _json(final)
            except (AzCLIError, AzureError) as ex:
                cls = type(ex) if isinstance(ex, AzCLIError) else AzureResponseError
                raise cls(f"The create of identity binding {ref.describe()} succeeded, but reading the binding "
                          f"afterwards failed: {ex} Check it with `{ref.show_command()}`.") from ex
        else:
            resource = _json(response)
        state = (resource.get("properties") or {}).get("provisioningState", "")
        if state.lower() in ("failed", "canceled"):
            from azure.cli.core.azclierror import AzureResponseError
            raise AzureResponseError(f"Identity binding {ref.describe()} ended in state {state}. "
                                     f"Inspect it with `{ref.show_command()}`, fix the cause and "
                                     "run create again.")
        return resource

    def _wait(self, response, ref, action):
        """Poll a long-running operation to its end, whichever header the service sent."""
        from azure.core.exceptions import AzureError
        from azure.cli.core.azclierror import AzCLIError, AzureResponseError
        try:
            status, response = self._poll(response, ref, action)
        except (AzCLIError, AzureError) as ex:
            # Never leave a half-done operation unreported: the request was accepted.
            cls = type(ex) if isinstance(ex, AzCLIError) else AzureResponseError
            raise cls(f"The {action} of identity binding {ref.describe()} was accepted, but following it "
                      f"failed: {ex} The service may still be working on it; check with "
                      f"`{ref.show_command()}`.") from ex
        finally:
            if self.progress:
                self.progress.end()
        if status.lower() != "succeeded":
            error = (_json(response, missing_ok=True) or {}).get("error") or {}
            raise AzureResponseError(
                f"The {action} of identity binding {ref.describe()} ended {status}: "
                f"({error.get('code', 'NoErrorCode')}) {error.get('message', 'the service gave no message')} "
                f"Check the binding with `{ref.show_command()}`.")

    def _poll(self, response, ref, action):
        started = time.monotonic()
        status_url = response.headers.get("Azure-AsyncOperation")
        location_url = response.headers.get("Location")
        while True:
            self._sleep(response, started, ref, action)
            if status_url:
                response = self._send("GET", status_url)
                _check(response, ref, action)
                status = (_json(response) or {}).get("status", "")
            elif location_url:
                response = self._send("GET", location_url)
                if response.status_code == 202:
                    continue
                if response.status_code != 404:  # 404 on the Location URL: the resource is gone
                    _check(response, ref, action)
                return "Succeeded", response
            else:  # no operation header: watch the resource itself
                response = self._send("GET", ref.url())
                if response.status_code == 404 and action == "delete":
                    return "Succeeded", response
                _check(response, ref, "read")
                status = ((_json(response) or {}).get("properties") or {}).get("provisioningState", "")
            if status.lower() in _TERMINAL:
                return status, response

    def _sleep(self, response, started, ref, action):
        from azure.cli.core.azclierror import AzureResponseError
        if time.monotonic() - started > LRO_TIMEOUT_SECONDS:
            raise AzureResponseError(f"The {action} of identity binding {ref.describe()} is still running "
                                     f"after {LRO_TIMEOUT_SECONDS // 60} minutes; check later with "
                                     f"`{ref.show_command()}`.")
        if self.progress:
            self.progress.add(message=f"Waiting for {action}")
        time.sleep(_retry_after(response))


class BindingRef:
    """Where a binding lives; also knows how to describe itself in messages."""

    def __init__(self, subscription_id, resource_group, cluster, name=None):
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.cluster = cluster
        self.name = name

    def url(self, collection=False):
        return url_path(*_cluster_segments(self), "identityBindings", *([] if collection else [self.name]))

    def describe(self):
        return f"'{self.name}' on cluster '{self.cluster}' (resource group '{self.resource_group}')"

    def show_command(self):
        return f"az aks identity-binding show -g {self.resource_group} --cluster-name {self.cluster} -n {self.name}"

    def list_command(self):
        return f"az aks identity-binding list -g {self.resource_group} --cluster-name {self.cluster}"


class PreconditionFailed(Exception):
    """A conditional write (If-Match) lost a race: the resource changed since it was read."""

    def __init__(self, error):
        super().__init__(f"({error[0]}) {error[1]}")


def _transport(**kwargs):
    """requests keeps 10 connections per host by default; a fleet scan runs more at once."""
    import requests
    from requests.adapters import HTTPAdapter
    from azure.core.pipeline.transport import RequestsTransport
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=FLEET_WORKERS)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True, **kwargs)


class SafePath(str):
    """A URL path whose every segment was checked by ids.path(): the only kind of path _send takes."""


def url_path(*segments):
    """The one way this layer builds a URL path: a segment that would re-target the request is refused
    (an internal error: the argument checks refuse such values first), never sent."""
    from azext_identitybinding import ids
    try:
        return SafePath(ids.path(*segments))
    except ids.IdError as ex:
        raise _refused(ex) from None


def _refused(ex):
    from azure.cli.core.azclierror import CLIInternalError
    return CLIInternalError(f"Refused to build a request URL: {ex} Nothing was sent; please report this.")


def _cluster_segments(ref):
    return ["subscriptions", ref.subscription_id, "resourceGroups", ref.resource_group, "providers",
            "Microsoft.ContainerService", "managedClusters", ref.cluster]


def _cluster_url(ref):
    return url_path(*_cluster_segments(ref))


def _identity_url(identity_id, *children):
    from azext_identitybinding import ids
    try:
        segments = ids.parse_identity_id(identity_id).segments()
    except ids.IdError as ex:
        raise _refused(ex) from None
    return url_path(*segments, *children)


def _fic_url(identity_id, name):
    return _identity_url(identity_id, "federatedIdentityCredentials", name)


@dataclass
class IdentityRef:
    """A user-assigned identity, described the way error messages need it."""

    read_hint: ClassVar[str] = ("Reading a user-assigned identity needs "
                                "'Microsoft.ManagedIdentity/userAssignedIdentities/read' on the identity (for "
                                "example the 'Managed Identity Operator' role).")
    identity_id: str

    def describe(self):
        return f"'{self.identity_id}'"


def _retry_after(response):
    value = response.headers.get("Retry-After")
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return DEFAULT_POLL_SECONDS
    return min(max(seconds, 0), MAX_POLL_SECONDS)


def _json(response, missing_ok=False):
    """The JSON body of a 2xx answer; an azclierror, not a stack trace, if it is not JSON."""
    try:
        return response.json()
    except ValueError:
        if missing_ok:
            return None
        from azure.cli.core.azclierror import AzureResponseError
        text = " ".join((response.text() or "").split())[:300]
        raise AzureResponseError(
            f"Azure answered HTTP {response.status_code} with a body that is not JSON "
            f"({response.headers.get('Content-Type') or 'no content type'}); a proxy or gateway in between "
            f"may have answered instead: {text!r}") from None


def _operation_url(response):
    return response.headers.get("Azure-AsyncOperation") or response.headers.get("Location")


def _error(response):
    """(code, message) from an ARM error body, tolerant of non-JSON bodies."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error.get("code") or "NoErrorCode", error.get("message") or ""
    return f"HTTP{response.status_code}", (response.text() or "").strip()[:500]


def _missing(response, ref):
    """Which part of the path a 404 is about: 'group', 'cluster' or 'binding'."""
    code, message = _error(response)
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


_FORBIDDEN_HINT = {
    "create": ("Creating an identity binding needs "
               "'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write' on the "
               "identity and 'Microsoft.ContainerService/managedClusters/write' on the cluster (for example "
               "the 'Managed Identity Contributor' role on the identity and 'Azure Kubernetes Service "
               "Contributor Role' on the cluster)."),
    "delete": "Deleting an identity binding needs 'Microsoft.ContainerService/managedClusters/write' on the cluster.",
}
_READ_HINT = "Reading identity bindings needs 'Microsoft.ContainerService/managedClusters/read' on the cluster."


def _check(response, ref, action):
    """Raise the azclierror that fits a failed response; return quietly on 2xx."""
    from azure.cli.core import azclierror as err
    status = response.status_code
    if 200 <= status < 300:
        return
    code, message = _error(response)
    service = f"The service said: ({code}) {message}"
    if status == 404:
        missing = _missing(response, ref)
        if missing == "group":
            text = f"Resource group '{ref.resource_group}' was not found. Check the name and the subscription."
        elif missing == "cluster":
            text = (f"Cluster '{ref.cluster}' was not found in resource group '{ref.resource_group}'. "
                    f"Check the name with `az aks list -g {ref.resource_group} -o table`.")
        else:
            text = (f"Identity binding '{ref.name}' was not found on cluster '{ref.cluster}' (resource group "
                    f"'{ref.resource_group}'). See the bindings with `{ref.list_command()}`.")
        raise err.ResourceNotFoundError(f"{text} {service}")
    if status == 400:
        raise err.BadRequestError(f"The service rejected the {action} request. {service}")
    if status == 401:
        raise err.UnauthorizedError(f"Not authenticated for this request. {service} Run `az login` and retry.")
    if status == 403:
        hint = _FORBIDDEN_HINT.get(action, getattr(ref, "read_hint", _READ_HINT))
        raise err.ForbiddenError(f"Permission denied. {hint} {service}")
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
