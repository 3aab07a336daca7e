"""The thin Kubernetes layer: the only module that reads a kubeconfig or talks to an API server.

It uses the official `kubernetes` client, imported inside functions only (az start-up must not pay
for it). Every call returns the object exactly as the API server sent it (a plain dict in the
JSON shape of the Kubernetes API, like arm/ returns ARM dicts), or raises a KubeError subclass
whose message says what went wrong in words a user can act on. Nothing here decides what a
result means; the check package does.
"""
import json
import os

CONNECT_TIMEOUT = 5   # seconds to open a connection to the API server
READ_TIMEOUT = 15     # seconds to wait for an answer
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024


class KubeError(Exception):
    """A Kubernetes request (or the kubeconfig) failed; str() is a user-facing reason."""


class KubeConfigError(KubeError):
    """No usable kubeconfig or context."""


class Unreachable(KubeError):
    """The API server could not be reached (DNS, refused, TLS, timeout): no other call will work."""


class Forbidden(KubeError):
    """401/403: the caller may not do this one thing; other calls may still work."""


class NotFound(KubeError):
    """404: the object does not exist."""


def check_kubeconfig(kubeconfig):
    """Refuse a kubeconfig the Kubernetes client should not be given: a missing path, a device or FIFO,
    a huge file, or YAML that nests too deeply or expands aliases without bound."""
    from azext_identitybinding import files
    for path in [p for p in kubeconfig.split(os.pathsep) if p]:
        if not os.path.exists(os.path.expanduser(path)):
            raise KubeConfigError(f"no kubeconfig file at {path!r}.")
        try:
            # not streams: the Kubernetes client reads the file again by its path, so a pipe would be empty
            text = files.read_text(path, "the kubeconfig", MAX_KUBECONFIG_BYTES, streams=False)
            files.load_yaml_documents(text, repr(path))
        except files.InputFileError as ex:
            raise KubeConfigError(str(ex)) from None


def default_kubeconfig():
    """What kubectl would read: $KUBECONFIG (possibly several paths joined by ':'), else ~/.kube/config."""
    return os.environ.get("KUBECONFIG") or os.path.join("~", ".kube", "config")


class Cluster:
    """One API server, as a kubeconfig context describes it."""

    def __init__(self, kubeconfig=None, context=None):
        try:
            from kubernetes import client, config
        except ImportError as ex:  # installed without its dependencies (e.g. copied, not `az extension add`)
            raise KubeConfigError(f"the Python package 'kubernetes' is missing ({ex}); reinstall the extension "
                                  "with `az extension add`") from None
        self.kubeconfig = kubeconfig or default_kubeconfig()
        paths = [p for p in self.kubeconfig.split(os.pathsep) if p]
        if not any(os.path.isfile(os.path.expanduser(p)) for p in paths):
            raise KubeConfigError(f"no kubeconfig at {self.kubeconfig}")
        check_kubeconfig(os.pathsep.join(p for p in paths if os.path.exists(os.path.expanduser(p))))
        configuration = client.Configuration()
        try:
            contexts, current = config.list_kube_config_contexts(self.kubeconfig)
            self.context = context or (current or {}).get("name")
            if context and context not in [c.get("name") for c in contexts or []]:
                raise KubeConfigError(f"the kubeconfig {self.kubeconfig} has no context '{context}'")
            config.load_kube_config(config_file=self.kubeconfig, context=context,
                                    client_configuration=configuration, persist_config=False)
        except KubeConfigError:
            raise
        except Exception as ex:  # ConfigException, YAML errors, a failing exec credential plugin ...
            raise KubeConfigError(f"cannot use the kubeconfig {self.kubeconfig}"
                                  f"{' context ' + repr(context) if context else ''}: {ex}") from None
        configuration.retries = 0  # a dead server must cost one timeout, not four
        self.server = configuration.host
        self._api = client.ApiClient(configuration)

    # -- reads and reviews ---------------------------------------------------------------------

    def service_account(self, namespace, name):
        return self._call("GET", _path("api", "v1", "namespaces", namespace, "serviceaccounts", name))

    def subject_access_review(self, spec):
        """POST a SubjectAccessReview; the answer's status says whether the subject is allowed."""
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
        return self._call("POST", _path("apis", "authorization.k8s.io", "v1", "subjectaccessreviews"), body=body)

    def cluster_role_bindings(self):
        return self._call("GET", _path("apis", "rbac.authorization.k8s.io", "v1", "clusterrolebindings"))

    def cluster_roles(self):
        return self._call("GET", _path("apis", "rbac.authorization.k8s.io", "v1", "clusterroles"))

    def deployments(self, namespace, label_selector):
        return self._call("GET", _path("apis", "apps", "v1", "namespaces", namespace, "deployments"),
                          query={"labelSelector": label_selector})

    def config_map(self, namespace, name):
        return self._call("GET", _path("api", "v1", "namespaces", namespace, "configmaps", name))

    def pods(self, namespace, field_selector):
        return self._call("GET", _path("api", "v1", "namespaces", namespace, "pods"),
                          query={"fieldSelector": field_selector})

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, method, path, query=None, body=None):
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError
        what = f"{method} {path}"
        try:
            response = self._api.call_api(
                path, method, query_params=list((query or {}).items()), body=body,
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                auth_settings=["BearerToken"], _preload_content=False,
                _request_timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), _return_http_data_only=True)
        except ApiException as ex:
            raise _api_error(ex, what) from None
        except HTTPError as ex:  # MaxRetryError (refused, DNS, TLS), timeouts, protocol errors
            raise Unreachable(f"the API server {self.server} did not answer: {_root_cause(ex)}") from None
        except OSError as ex:
            raise Unreachable(f"the API server {self.server} could not be reached: {ex}") from None
        try:
            return json.loads(response.data or b"{}")
        except ValueError:
            raise KubeError(f"{what}: the API server sent an answer that is not JSON") from None


def _path(*segments):
    """Every API path is built here from checked segments (ids.path): an unsafe one is never sent."""
    from azext_identitybinding import ids
    try:
        return ids.path(*segments)
    except ids.IdError as ex:
        raise KubeError(f"refused to build a Kubernetes API path: {ex} Nothing was sent; please report this.") from None


def _api_error(ex, what):
    message = ""
    try:
        message = (json.loads(ex.body or "{}") or {}).get("message", "")
    except (ValueError, AttributeError):
        pass
    message = message or (ex.reason or "").strip() or f"HTTP {ex.status}"
    if ex.status in (401, 403):
        return Forbidden(f"not allowed: {message}")
    if ex.status == 404:
        return NotFound(message)
    return KubeError(f"{what} failed with HTTP {ex.status}: {message}")


def _root_cause(ex):
    reason = getattr(ex, "reason", None)
    return str(reason or ex)
