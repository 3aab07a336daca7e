"""ArmClient: the resources this extension reads and writes, on the CLI's own ARM pipeline.

It also chooses the api-version (versions.py): the GA one, unless a body carries (or a caller needs
to read) the preview-only fields `allowedSubjects` and `managedBy`; and, where a region or cloud does
not offer that version, the newest one it offers that carries what the request needs.
"""
from urllib.parse import urlsplit

from knack.log import get_logger

from azext_identitybinding.arm import errors, lro, versions
from azext_identitybinding.arm.access import AccessReads
from azext_identitybinding.arm.refs import (BindingRef, ClustersRef, GraphRef, IdentitiesRef, IdentityRef, SafePath,
                                            SubscriptionsRef, cluster_url, fic_url, identity_url, url_path)
from azext_identitybinding.constants import (ARG_QUOTA_REMAINING_HEADER, ARG_QUOTA_RESETS_HEADER,
                                             FIC_NAME, IDENTITY_API_VERSION,
                                             RESOURCE_GRAPH_API_VERSION, SUBSCRIPTIONS_API_VERSION)

logger = get_logger(__name__)

FLEET_WORKERS = 32   # concurrent cluster reads in a fleet scan (and HTTP connections)
RETRY_TOTAL = 3      # transport retries (429/5xx/connection, honouring Retry-After), then fail
GRAPH_PAGE = 1000    # rows per Resource Graph page (the service's maximum $top)
# Our query, never user input: every AKS cluster in scope, with what a BindingRef needs.
CLUSTERS_QUERY = ("resources | where type =~ 'microsoft.containerservice/managedclusters' "
                  "| project id, name, resourceGroup, subscriptionId | order by id asc")
# `migrate`: the clusters with their OIDC issuer and what decides whether a binding can be created there
# (a new query, so that CLUSTERS_QUERY stays exactly what the fleet scan sends).
CLUSTER_ISSUERS_QUERY = ("resources | where type =~ 'microsoft.containerservice/managedclusters' "
                         "| project id, name, resourceGroup, subscriptionId, "
                         "issuer = tostring(properties.oidcIssuerProfile.issuerURL), "
                         "oidcIssuerEnabled = tobool(properties.oidcIssuerProfile.enabled), "
                         "workloadIdentityEnabled = tobool(properties.securityProfile.workloadIdentity.enabled), "
                         "vnetIntegration = tobool(properties.apiServerAccessProfile.enableVnetIntegration) "
                         "| order by id asc")
# `migrate audit`: every user-assigned identity in scope.
IDENTITIES_QUERY = ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' "
                    "| project id, name, resourceGroup, subscriptionId, clientId = tostring(properties.clientId) "
                    "| order by id asc")


def bindings_api_version(body=None, preview=False):
    """What an identity binding request needs of its api-version: the preview exactly when preview
    fields are sent or must be read (preview=True: all of them, or a tuple naming them), else GA.
    `send` turns it into the version (ours, or the region's fallback)."""
    return versions.bindings(body, preview)


class ArmClient(AccessReads):
    """ARM requests for one subscription, on the CLI's own pipeline settings.

    The constructor signature is what `get_mgmt_service_client` expects of a track-2 client,
    so the CLI supplies credential, user agent, telemetry headers, proxy and logging policies.
    """

    def __init__(self, credential, subscription_id, base_url, **kwargs):
        from azure.core.pipeline import policies
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

        # network_trace=False (from the client factory: nothing would print them) leaves out the
        # per-request DEBUG records of the CLI's network-trace policy; auth, proxy, user agent and retries stay.
        trace = kwargs.pop("network_trace", True)
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
            (kwargs.get("logging_policy") or policies.NetworkTraceLoggingPolicy(**kwargs)) if trace
            else policies.SansIOHTTPPolicy(),
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

    def list_bindings(self, ref, preview=False, pacer=None):
        """Every binding of a cluster (with the preview fields if preview). With a pacing.Pacer, each
        page waits for the subscription's read budget and a throttled page is sent again (see _list)."""
        return self._list(ref.url(collection=True), ref, bindings_api_version(preview=preview), pacer=pacer)

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
        response = self._send_change("DELETE", ref, "delete", api_version=bindings_api_version())
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
        response = self.send("GET", cluster_url(ref), api_version=versions.CLUSTERS)
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
        return self._list(ref.url(), ref, versions.CLUSTERS)

    # -- subscriptions and Azure Resource Graph --------------------------------------------------

    def list_subscriptions(self):
        """Every subscription the login can see (all pages): ARM's objects, with subscriptionId,
        displayName and state. Which states can be scanned: constants.READABLE_SUBSCRIPTION_STATES."""
        ref = SubscriptionsRef()
        return self._list(url_path("subscriptions"), ref, SUBSCRIPTIONS_API_VERSION)

    def query_clusters(self, subscriptions=None):
        """Every managed cluster Resource Graph holds for the caller: rows {id, name, resourceGroup,
        subscriptionId}, all pages (see query_graph)."""
        return self.query_graph(CLUSTERS_QUERY, subscriptions, "clusters")

    def query_cluster_issuers(self, subscriptions=None):
        """Every managed cluster with its OIDC issuer and readiness for bindings (CLUSTER_ISSUERS_QUERY):
        rows {id, name, resourceGroup, subscriptionId, issuer, oidcIssuerEnabled, workloadIdentityEnabled,
        vnetIntegration}."""
        return self.query_graph(CLUSTER_ISSUERS_QUERY, subscriptions, "clusters")

    def query_identities(self, subscriptions=None):
        """Every user-assigned identity (IDENTITIES_QUERY): rows {id, name, resourceGroup, subscriptionId,
        clientId}."""
        return self.query_graph(IDENTITIES_QUERY, subscriptions, "identities")

    def query_graph(self, query, subscriptions=None, what="clusters"):
        """The rows of one of our Resource Graph queries, all pages (options.$skipToken). `subscriptions`:
        ids from ARM or validated GUIDs; None queries every subscription the caller can read. An answer
        Resource Graph marks truncated is an error, never a silently short list. Resource Graph's own
        per-user quota: when a page reports none left, the next page waits for it to reset; a 429 is
        retried by the transport (Retry-After), and then is an error (the caller falls back to ARM's
        per-subscription lists)."""
        import time
        from azure.cli.core.azclierror import AzureResponseError
        from azext_identitybinding.pacing import parse_duration
        ref, rows, token = GraphRef(), [], None
        while True:
            options = {"$top": GRAPH_PAGE, "resultFormat": "objectArray"}
            if token:
                options["$skipToken"] = token
            body = {"query": query, "options": options}
            if subscriptions is not None:
                body["subscriptions"] = list(subscriptions)
            response = self.send("POST", url_path("providers", "Microsoft.ResourceGraph", "resources"), body=body,
                                 api_version=RESOURCE_GRAPH_API_VERSION)
            errors.check(response, ref, "query")
            page = errors.body(response)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise AzureResponseError("Azure Resource Graph answered without a 'data' list of rows.")
            if str(page.get("resultTruncated", "false")).lower() == "true":
                raise AzureResponseError("Azure Resource Graph truncated its answer (resultTruncated), so the list "
                                         f"of {what} would be incomplete.")
            rows.extend(row for row in page["data"] if isinstance(row, dict))
            token = page.get("$skipToken")
            if not token:
                return rows
            if str(response.headers.get(ARG_QUOTA_REMAINING_HEADER, "")).strip() == "0":
                time.sleep(parse_duration(response.headers.get(ARG_QUOTA_RESETS_HEADER)) or 1.0)

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

    def list_identities(self, subscription_id, resource_group=None):
        """The user-assigned identities of a subscription, or of one resource group in it (all pages)."""
        ref = IdentitiesRef(subscription_id, resource_group)
        return self._list(ref.url(), ref, IDENTITY_API_VERSION)

    def list_fics(self, identity_id, pacer=None):
        """Every federated identity credential of the identity (all pages). With a pacing.Pacer, each page
        waits for the subscription's read budget (see _read)."""
        from azure.cli.core.azclierror import ResourceNotFoundError
        ref = IdentityRef(identity_id)
        url = identity_url(identity_id, "federatedIdentityCredentials")
        if pacer:
            response = self._read(url, IDENTITY_API_VERSION, pacer, ref)
        else:
            response = self.send("GET", url, api_version=IDENTITY_API_VERSION)
        if response.status_code == 404:
            code, message = errors.error(response)
            raise ResourceNotFoundError(f"Managed identity '{identity_id}' was not found. The service said: "
                                        f"({code}) {message}")
        errors.check(response, ref, "list")
        page = errors.page(response)
        rest = self._list(page["nextLink"], ref, IDENTITY_API_VERSION, pacer=pacer) if page.get("nextLink") else []
        return (page.get("value") or []) + rest

    # -- plumbing ----------------------------------------------------------------------------

    def _list(self, url, ref, api_version, pacer=None):
        items = []
        while url:
            if pacer:
                response = self._read(url, api_version, pacer, ref)
            else:
                response = self.send("GET", url, api_version=api_version)
            errors.check(response, ref, "list")
            page = errors.page(response)
            items.extend(page.get("value") or [])
            url = page.get("nextLink")
        return items

    def _read(self, url, api_version, pacer, ref):
        """A GET paced by the subscription's read budget: wait for it, send, tell the pacer the status
        and headers, and send again while it says so (429 while time remains, a few 5xx).

        The transport's own status retries (RETRY_TOTAL, policies.RetryPolicy) are switched off for
        these requests (retry_status=0): a transport retry sleeps one worker on its own and, after three,
        fails the read, while the other workers of the same subscription keep spending the empty
        budget. The pacer instead holds every worker of that subscription for Retry-After and retries
        until the scan's time limit. Connection errors are still retried by the transport. Ordinary
        commands pass no pacer and keep the transport's retries unchanged."""
        from azext_identitybinding.pacing import OutOfTime
        attempt = 0
        while True:
            attempt += 1
            try:
                pacer.wait(ref.subscription_id)
            except OutOfTime:
                from azure.cli.core.azclierror import AzureResponseError
                raise AzureResponseError("not read: the fleet scan's time limit was reached while waiting for "
                                         "ARM's read budget.") from None
            try:
                response = self.send("GET", url, api_version=api_version, retry_status=0)
            except BaseException:
                pacer.observe(ref.subscription_id, None)  # no answer: the read is no longer in flight
                raise
            if not pacer.observe(ref.subscription_id, response.status_code, response.headers, attempt):
                return response

    def send(self, method, url, body=None, api_version=versions.BINDINGS, headers=None, **options):
        """Send to a path built by refs.url_path(), or to a link the service gave (nextLink, operation URLs).
        `api_version`: a version string, or a versions.Need (identity bindings, clusters): then, if ARM
        answers that the version is not offered here, the newest offered one that serves the need is
        used instead, remembered for this process, said once on stderr, and the request sent again
        (a 400 means nothing was done, so even a PUT may be). A link that names its own api-version
        (nextLink) keeps it. `options` go to the pipeline for this request only (e.g. retry_status)."""
        if not isinstance(api_version, versions.Need):
            return self._send(method, url, body, api_version, headers, **options)
        need, version = api_version, versions.CHOICES.current(api_version)
        if version is None:  # this process already learnt that no offered version serves the need
            raise errors.ApiVersionNotOffered(need, need.preferred(), versions.CHOICES.offered(need.kind))
        self._using(need, version)
        response = self._send(method, url, body, version, headers, **options)
        if response.status_code != 400:
            return response
        offered = versions.offered(*errors.error(response))
        if offered is None:
            return response
        versions.CHOICES.learn(need.kind, offered)
        fallback = versions.newest_serving(need, offered, refused=version)
        if fallback is None:
            raise errors.ApiVersionNotOffered(need, version, offered)
        self._using(need, fallback)
        return self._send(method, url, body, fallback, headers, **options)

    @staticmethod
    def _using(need, version):
        """Say once per process which fallback a kind of request uses."""
        if version != need.preferred() and versions.CHOICES.remember(need, version):
            logger.warning("This region or cloud does not offer api-version %s for %s; using %s, the newest it "
                           "offers that serves this request.", need.preferred(), versions.KIND_NAMES[need.kind],
                           version)

    def _send(self, method, url, body, api_version, headers, **options):
        from azure.core.rest import HttpRequest
        checked = isinstance(url, SafePath)
        if not checked:
            self._check_link(url)
        if "api-version=" not in url:
            url += ("&" if "?" in url else "?") + "api-version=" + api_version
        if checked:
            url = self._client.format_url(url)
        request = HttpRequest(method, url, json=body, headers=headers)
        return self._client.send_request(request, **options)

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
    from requests.adapters import HTTPAdapter
    from azure.core.pipeline.transport import RequestsTransport
    session = _session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=FLEET_WORKERS)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True, **kwargs)


def _session():
    """A requests.Session that looks up the environment's proxy and CA bundle settings once per host.

    requests does it on every request (walking os.environ twice, for the proxies and for NO_PROXY):
    about a tenth of the CPU of a read in a fleet scan. The settings cannot change during one az
    command, so the first answer for a scheme and host is kept; what requests does with it (the
    proxies given explicitly win, then the session's own defaults) is unchanged."""
    import os
    import requests
    from requests.sessions import merge_setting
    from requests.utils import get_environ_proxies

    class Session(requests.Session):
        def __init__(self):
            super().__init__()
            self._environment = {}

        def merge_environment_settings(self, url, proxies, stream, verify, cert):
            if not self.trust_env:
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            given = dict(proxies or {})
            key = (tuple(urlsplit(url)[:2]), given.get("no_proxy"))
            if key not in self._environment:  # a race only computes the same answer twice
                self._environment[key] = (get_environ_proxies(url, no_proxy=given.get("no_proxy")),
                                          os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"))
            environ_proxies, ca_bundle = self._environment[key]
            if ca_bundle and verify in (True, None):
                verify = ca_bundle
            return {"proxies": merge_setting({**environ_proxies, **given}, self.proxies),
                    "stream": merge_setting(stream, self.stream), "verify": merge_setting(verify, self.verify),
                    "cert": merge_setting(cert, self.cert)}

    return Session()


__all__ = ["ArmClient", "BindingRef", "FLEET_WORKERS", "bindings_api_version"]
