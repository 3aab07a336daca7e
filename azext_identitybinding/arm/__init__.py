"""The thin ARM layer: the only code that builds URLs, sends requests or reads HTTP.

Handlers get plain dicts in the ARM resource shape back, or an azclierror that says what went
wrong and what to do. A raw REST client on azure-core's ARM pipeline (rather than the bundled
azure-mgmt-containerservice) keeps start-up cheap and lets preview fields such as
`allowedSubjects` be sent by switching the api-version, with no vendored SDK.

  client.py  ArmClient: the resources (bindings, clusters, identities, credentials), paging, the
             api-version choice, and the host check on every link the service gives
  refs.py    the one builder of request paths (checked segments) and the refs messages name
  lro.py     long-running operations: polling, Retry-After, time-out, "accepted, then lost"
  errors.py  HTTP answers -> azclierror classes (exit codes) with what to do
"""
from azext_identitybinding.arm.client import FLEET_WORKERS, ArmClient, bindings_api_version
from azext_identitybinding.arm.errors import PreconditionFailed
from azext_identitybinding.arm.refs import BindingRef, IdentityRef, SafePath, url_path

__all__ = ["ArmClient", "BindingRef", "FLEET_WORKERS", "IdentityRef", "PreconditionFailed", "SafePath",
           "bindings_api_version", "url_path"]
