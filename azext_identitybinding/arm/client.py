"""ArmClient: the resources this extension reads and writes, on the CLI's own ARM pipeline.

It also chooses the api-version: the GA one, unless a body carries (or a caller needs to read)
the preview-only fields `allowedSubjects` and `managedBy`.
"""
from urllib.parse import urlsplit

from azext_identitybinding.arm import errors, lro
from azext_identitybinding.arm.access import AccessReads
from azext_identitybinding.arm.refs import (BindingRef, ClustersRef, IdentityRef, SafePath, cluster_url, fic_url,
                                            identity_url)
from azext_identitybinding.constants import (BINDINGS_API_VERSION, BINDINGS_PREVIEW_API_VERSION,
                                             CLUSTERS_API_VERSION, FIC_NAME, IDENTITY_API_VERSION)

FLEET_WORKERS = 32   # concurrent cluster reads in a fleet scan (and HTTP connections)
RETRY_TOTAL = 3      # transport retries (429/5xx/connection, honouring Retry-After), then fail
PREVIEW_FIELDS = ("allowedSubjects", "managedBy")


def bindings_api_version(body=None, preview=False):
    """The preview api-version exactly when preview fields are sent or must be read."""
    body = body or {}
    sends_preview = any(k in (body.get("properties") or {}) or k in body for k in PREVIEW_FIELDS)
    return BINDINGS_PREVIEW_API_VERSION if preview or sends_preview else BINDINGS_API_VERSION


class ArmClient(AccessReads):
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

    def get_binding(self, ref, missing_ok=False, preview=False):
        """The binding (with its preview fields if preview); None if missing_ok and the binding (but
        not its cluster) does not exist."""
        response = self.send("GET", ref.url(), api_version=bindings_api_version(preview=preview))
        if missing_ok and response.status_code == 404 and errors.missing(response, ref) == "binding":
            return None
        errors.check(response, ref, "read")
        return errors.body(response)

    def list_bindings(self, ref):
        return self._list(ref.url(collection=True), ref, BINDINGS_API_VERSION)

    def put_binding(self, ref, body, wait=True, if_match=None):
        """Create or replace. With if_match, a 412 (someone else changed it) raises PreconditionFailed."""
        api_version = bindings_api_version(body)
        action = "update" if if_match else "create"
        headers = {"If-Match": if_match} if if_match else None
        response = self._send_change("PUT", ref, action, body=body, api_version=api_version, headers=headers)
        if response.status_code == 412:
            raise errors.PreconditionFailed(errors.error(response))
        errors.check(response, ref, action)
        if not wait:
            return None
        return lro.finish_put(self, response, ref, api_version)

    def delete_binding(self, ref, wait=True):
        """Delete; True if something was deleted, False if the binding did not exist."""
        response = self._send_change("DELETE", ref, "delete")
        if response.status_code == 204:
            return False
        if response.status_code == 404 and errors.missing(response, ref) == "binding":
            return False
        errors.check(response, ref, "delete")
        if wait and response.status_code == 202:
            lro.wait(self, response, ref, "delete")
        return True

    # -- clusters ------------------------------------------------------------------------------

    def get_cluster(self, ref):
        """The managed cluster of a BindingRef (its name need not be set)."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        response = self.send("GET", cluster_url(ref), api_version=CLUSTERS_API_VERSION)
        if response.status_code == 404:
            code, message = errors.error(response)
            what = (f"Resource group '{ref.resource_group}'" if code == "ResourceGroupNotFound"
                    else f"Cluster '{ref.cluster}' in resource group '{ref.resource_group}'")
            raise ResourceNotFoundError(f"{what} was not found. The service said: ({code}) {message}")
        errors.check(response, ref, "read")
        return errors.body(response)

    def list_clusters(self, subscription_id, resource_group=None):
        """Managed clusters of a subscription, or of one resource group in it."""
        ref = ClustersRef(subscription_id, resource_group)
        return self._list(ref.url(), ref, CLUSTERS_API_VERSION)

    # -- user-assigned identities and their federated credentials ------------------------------

    def get_identity(self, identity_id):
        """The identity resource (properties.clientId, tenantId, principalId) by its resource id."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        response = self.send("GET", identity_url(identity_id), api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            code, message = errors.error(response)
            raise ResourceNotFoundError(
                f"Managed identity '{identity_id}' was not found. Check the id with `az identity list "
                f"-o table` (and the subscription in the id). The service said: ({code}) {message}")
        errors.check(response, IdentityRef(identity_id), "read")
        return errors.body(response)

    def get_fic(self, identity_id, name=FIC_NAME):
        """A federated identity credential of the identity, or None if it does not exist."""
        response = self.send("GET", fic_url(identity_id, name), api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            return None
        errors.check(response, IdentityRef(identity_id), "read")
        return errors.body(response)

    def delete_fic(self, identity_id, name=FIC_NAME):
        response = self.send("DELETE", fic_url(identity_id, name), api_version=IDENTITY_API_VERSION)
        if response.status_code != 404:
            errors.check(response, IdentityRef(identity_id), "delete")

    def list_fics(self, identity_id):
        """Every federated identity credential of the identity (all pages)."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        ref = IdentityRef(identity_id)
        response = self.send("GET", identity_url(identity_id, "federatedIdentityCredentials"),
                             api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            code, message = errors.error(response)
            raise ResourceNotFoundError(f"Managed identity '{identity_id}' was not found. The service said: "
                                        f"({code}) {message}")
        errors.check(response, ref, "list")
        page = errors.body(response)
        rest = self._list(page["nextLink"], ref, IDENTITY_API_VERSION) if page.get("nextLink") else []
        return (page.get("value") or []) + rest

    # -- plumbing ----------------------------------------------------------------------------

    def _list(self, url, ref, api_version):
        items = []
        while url:
            response = self.send("GET", url, api_version=api_version)
            errors.check(response, ref, "list")
            page = errors.page(response)
            items.extend(page.get("value") or [])
            url = page.get("nextLink")
        return items

    def send(self, method, url, body=None, api_version=BINDINGS_API_VERSION, headers=None):
        """Send to a path built by refs.url_path(), or to a link the service gave (nextLink, operation URLs)."""
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
            return self.send(method, ref.url(), **kwargs)
        except (ServiceRequestError, ServiceResponseError) as ex:
            raise AzureConnectionError(
                f"The connection to Azure failed while sending the {action} request for identity binding "
                f"{ref.describe()} ({ex}). The request may have been accepted: check with "
                f"`{ref.show_command()}` before you run {action} again.") from ex


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


__all__ = ["ArmClient", "BindingRef", "FLEET_WORKERS", "bindings_api_version"]
