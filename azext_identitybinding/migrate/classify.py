"""Which federated identity credentials (FICs) of an identity a binding replaces.

Pure (standard library, ids, rbac, constants): values from the service are checked here, field by
field, before anything uses them. A FIC whose name could not be sent back in a URL (the API's own
pattern), or whose issuer or subject is not text of a sane length, is reported, never used.

Kinds (issue 18):
  workload      (a) issuer exactly a visible cluster's oidcIssuerProfile.issuerURL, subject
                    system:serviceaccount:NS:SA: a binding of that cluster replaces it
  never-worked  (b) issuer equal to a cluster's but for a trailing '/' or case: Entra compares exactly,
                    so it never matched a token (reported, not migrated silently)
  unknown-aks   (c) an AKS-looking issuer no visible cluster reports (deleted, or not visible)
  other         (d) any other issuer (GitHub Actions, other Kubernetes, other clouds): left alone
  binding       (e) aks-identity-binding itself: AKS manages it
  not-a-service-account  a visible cluster's issuer with a subject that is not one service account
  unusable      a FIC the service returned in a shape that cannot be used safely
"""
import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from azext_identitybinding import ids
from azext_identitybinding.constants import FIC_NAME

# The FIC name pattern of the Managed Identity API (arm-api.md §6): also what keeps a name safe as a
# URL segment and as a file name (letters, digits, '-', '_' only; no dot, no slash).
FIC_NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}")
MAX_ISSUER = 600    # Entra's limit on a FIC's issuer
MAX_SUBJECT = 600   # and on its subject
MAX_AUDIENCES = 8   # Entra allows exactly one; a few more are reported, a list of thousands is refused
SA_PREFIX = "system:serviceaccount:"
CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
# Host names of AKS's OIDC issuers (migration.md §2): https://REGION.oic.prod-aks.azure.com/TENANT/GUID/
# and the older https://oidc.prod-aks.azure.com/GUID/. Sovereign clouds use other hosts, so an issuer on
# the host of any visible cluster's issuer counts as AKS-looking too.
_AKS_HOST_RE = re.compile(r"(.+\.)?(oic|oidc)\.prod-aks\.[a-z0-9.-]+")

WORKLOAD, NEVER_WORKED, UNKNOWN_AKS, OTHER, BINDING = "workload", "never-worked", "unknown-aks", "other", "binding"
NOT_SA, UNUSABLE = "not-a-service-account", "unusable"


@dataclass(frozen=True)
class Cluster:  # pylint: disable=too-many-instance-attributes  # the fields of one Resource Graph row
    id: str
    subscription: str
    resource_group: str
    name: str
    issuer: str
    oidc_issuer: bool
    workload_identity: bool
    vnet_integration: bool

    @property
    def key(self):
        return self.id.lower()


@dataclass(frozen=True)
class Credential:
    name: str
    issuer: str
    subject: str
    audiences: tuple


@dataclass(frozen=True)
class Entry:
    """One FIC and what it is. `credential` is None for an unusable FIC (then `shown` names it)."""
    kind: str
    shown: str
    reason: str = ""
    credential: Optional[Credential] = None
    cluster: Optional[Cluster] = None
    service_account: str = ""  # NAMESPACE/NAME for a workload FIC


def row_from_arm(cluster):
    """A cluster from ARM's per-subscription list, as CLUSTER_ISSUERS_QUERY projects it in Resource Graph."""
    if not isinstance(cluster, dict):
        return {"id": ""}
    props = cluster.get("properties") if isinstance(cluster.get("properties"), dict) else {}

    def sub(obj, key):
        found = obj.get(key) if isinstance(obj, dict) else None
        return found if isinstance(found, dict) else {}
    return {"id": cluster.get("id") if isinstance(cluster.get("id"), str) else "",
            "name": cluster.get("name"),
            "issuer": sub(props, "oidcIssuerProfile").get("issuerURL"),
            "oidcIssuerEnabled": sub(props, "oidcIssuerProfile").get("enabled"),
            "workloadIdentityEnabled": sub(sub(props, "securityProfile"), "workloadIdentity").get("enabled"),
            "vnetIntegration": sub(props, "apiServerAccessProfile").get("enableVnetIntegration")}


def cluster_of(row):
    """A Cluster from a Resource Graph row (or row_from_arm), or (None, why it cannot be used)."""
    raw = row.get("id") if isinstance(row, dict) else None
    try:
        rid = ids.parse(raw, "cluster id")
        if rid.resource_group is None or rid.type.lower() != CLUSTER_TYPE.lower() or len(rid.types) != 1:
            raise ids.IdError(f"{ids.show(raw, 120)} is not the id of a managed cluster.")
        if not ids.is_guid(rid.subscription):
            raise ids.IdError(f"the subscription of {ids.show(raw, 120)} is not a GUID.")
        ids.resource_group_name(rid.resource_group)
        ids.cluster_name(rid.name)
    except ids.IdError as ex:
        return None, str(ex)
    issuer = row.get("issuer")
    issuer = issuer if isinstance(issuer, str) and len(issuer) <= MAX_ISSUER else ""
    return Cluster(str(rid), rid.subscription.lower(), rid.resource_group, rid.name, issuer,
                   row.get("oidcIssuerEnabled") is True, row.get("workloadIdentityEnabled") is True,
                   row.get("vnetIntegration") is True), ""


def credential_of(item):
    """A Credential from a FIC as the service returned it, or (None, what is wrong with it)."""
    if not isinstance(item, dict):
        return None, f"an entry of the list is a {type(item).__name__}, not a credential"
    name = item.get("name")
    if not isinstance(name, str) or not FIC_NAME_RE.fullmatch(name):
        return None, (f"its name {ids.show(name)} is not a federated credential name (3-120 letters, digits, '-' "
                      "and '_', starting with a letter or digit); it cannot be read, moved or deleted safely")
    props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
    issuer, subject, audiences = props.get("issuer"), props.get("subject"), props.get("audiences")
    if not isinstance(issuer, str) or not issuer or len(issuer) > MAX_ISSUER:
        return None, f"its issuer {ids.show(issuer)} is not a URL of at most {MAX_ISSUER} characters"
    if not isinstance(subject, str) or len(subject) > MAX_SUBJECT:
        return None, f"its subject {ids.show(subject)} is not text of at most {MAX_SUBJECT} characters"
    if not isinstance(audiences, list) or len(audiences) > MAX_AUDIENCES or \
            not all(isinstance(a, str) and len(a) <= MAX_ISSUER for a in audiences):
        return None, f"its audiences {ids.show(audiences)} are not a short list of text"
    return Credential(name, issuer, subject, tuple(audiences)), ""


def service_account_of(subject):
    """'NAMESPACE/NAME' of a subject system:serviceaccount:NAMESPACE:NAME (both valid Kubernetes names),
    or (None, why not)."""
    from azext_identitybinding import rbac
    if not subject.startswith(SA_PREFIX):
        return None, f"its subject {ids.show(subject, 80)} does not name a Kubernetes service account"
    parts = subject[len(SA_PREFIX):].split(":")
    if len(parts) != 2:
        return None, (f"its subject {ids.show(subject, 80)} is not system:serviceaccount:NAMESPACE:NAME "
                      f"({len(parts)} parts after the prefix)")
    try:
        namespace = rbac.validate_namespace(parts[0], "namespace")
        name = rbac.validate_object_name(parts[1], "service account")
    except rbac.RbacInputError as ex:
        return None, f"its subject {ids.show(subject, 80)} names no valid service account: {ex}"
    if namespace != parts[0] or name != parts[1]:  # white space around a name: never matched a token
        return None, f"its subject {ids.show(subject, 80)} has white space around a name"
    return f"{namespace}/{name}", ""


def _norm(issuer):
    return issuer.rstrip("/").lower()


def _host(url):
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def classify(fics, clusters):
    """[Entry] for the identity's FICs (as listed), against the visible `clusters` ([Cluster]).

    Clusters are matched by the exact issuer their ARM resource reports; when two report the same
    issuer (it should not happen), the first by id is taken."""
    exact, folded = {}, {}
    for c in sorted(clusters, key=lambda c: c.key):
        if c.issuer:
            exact.setdefault(c.issuer, c)
            folded.setdefault(_norm(c.issuer), c)
    hosts = {_host(c.issuer) for c in clusters if c.issuer} - {""}
    entries = []
    for item in fics:
        credential, problem = credential_of(item)
        if credential is None:
            raw = item.get("name") if isinstance(item, dict) else None
            entries.append(Entry(UNUSABLE, ids.show(raw, 80) if not isinstance(raw, str) or len(raw) > 120
                                 or not FIC_NAME_RE.fullmatch(raw) else raw, problem))
            continue
        entries.append(_classify_one(credential, exact, folded, hosts))
    return entries


def _classify_one(cred, exact, folded, hosts):
    if cred.name == FIC_NAME:
        return Entry(BINDING, cred.name, "the identity binding credential AKS manages", cred)
    cluster = exact.get(cred.issuer)
    if cluster is not None:
        account, problem = service_account_of(cred.subject)
        if account is None:
            return Entry(NOT_SA, cred.name, f"the issuer of cluster '{cluster.id}', but {problem}: a binding "
                                            "authorizes service accounts only", cred, cluster)
        return Entry(WORKLOAD, cred.name, "", cred, cluster, account)
    near = folded.get(_norm(cred.issuer))
    if near is not None:
        return Entry(NEVER_WORKED, cred.name,
                     f"its issuer {ids.show(cred.issuer, 120)} differs from the issuer of cluster '{near.id}' "
                     f"({near.issuer}) only by a trailing '/' or letter case; Entra compares issuers exactly, "
                     "so it never matched a token. It is not migrated; delete it once you have checked",
                     cred, near)
    host = _host(cred.issuer)
    if host and (host in hosts or _AKS_HOST_RE.fullmatch(host)):
        return Entry(UNKNOWN_AKS, cred.name,
                     "an AKS OIDC issuer that no cluster in the scanned subscriptions reports: its cluster was "
                     "deleted (then the credential is unused), or it is in a subscription or resource group "
                     "this scan did not cover or this login cannot see (try --all-subscriptions)", cred)
    return Entry(OTHER, cred.name, f"not an AKS cluster's issuer ({ids.show(cred.issuer, 120)}): left alone", cred)
