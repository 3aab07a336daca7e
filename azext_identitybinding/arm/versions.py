"""Which api-version a request is sent with, and what to use when a region or cloud does not offer it.

Every identity binding and managed cluster request names what it needs (a `Need`): the base model,
or the preview-only fields it sends or reads. It goes out with our pinned version; when ARM answers
that this version is not offered for the resource type (and names the ones that are), the newest
offered version that carries what the call needs is chosen, remembered for this process only (a new
`az` process asks again: regions gain versions), and the request is sent once more.

Stdlib only: no az import, so it is unit-tested alone.
"""
import re
import threading
from dataclasses import dataclass

from azext_identitybinding.constants import (BINDINGS_API_VERSION, BINDINGS_PREVIEW_API_VERSION,
                                             CLUSTERS_API_VERSION)

# ARM's codes for "this api-version is not offered for this resource type (here)".
NOT_OFFERED_CODES = frozenset(["NoRegisteredProviderFound", "InvalidApiVersionParameter", "InvalidResourceType"])
# The list ARM names in those answers: "The supported api-versions are '2026-04-01, 2026-05-01'." (or
# "supported versions are '...'"); only that quoted list, never "The supported locations are '...'".
_OFFERED_LIST = re.compile(r"supported (?:api-)?versions are '([^']*)'", re.IGNORECASE)
_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")

# What each kind of resource needs of a version: (preview?, first date that has it). The preview
# fields of identity bindings came in these previews (arm-api.md §1) and stayed in every later one;
# no GA version carries them. The base model: any GA version since the first GA of the type.
_FIRST = {
    ("bindings", None): (False, "2026-04-01"),
    ("bindings", "allowedSubjects"): (True, "2026-05-02"),
    ("bindings", "managedBy"): (True, "2026-07-02"),
    # the cluster fields we read (OIDC issuer, workload identity, API server VNet integration) are GA
    # long before this date; any GA version of the last years serves
    ("clusters", None): (False, "2023-01-01"),
}
_PREFERRED = {"bindings": BINDINGS_API_VERSION, "clusters": CLUSTERS_API_VERSION}
_WHAT = {"allowedSubjects": "allowed subjects (allowedSubjects)",
         "managedBy": "AKS Fleet Manager management (managedBy)"}
KIND_NAMES = {"bindings": "identity bindings", "clusters": "managed clusters"}


@dataclass(frozen=True)
class Need:
    """What a request needs of its api-version: the kind of resource, and the preview-only fields it
    sends or reads (none: the GA base model)."""
    kind: str
    fields: tuple = ()

    def preferred(self):
        return BINDINGS_PREVIEW_API_VERSION if self.fields else _PREFERRED[self.kind]

    def serves(self, version):
        """True if `version` carries everything this need asks for."""
        found = _VERSION.match(version or "")
        if not found:
            return False
        date, is_preview = found.group(1), bool(found.group(2))
        for field in self.fields or (None,):
            wants_preview, first = _FIRST[(self.kind, field)]
            if is_preview != wants_preview or date < first:
                return False
        return True

    def describe(self):
        """What a version must carry, in words, for messages."""
        if not self.fields:
            return f"a GA api-version of {KIND_NAMES[self.kind]} from {_FIRST[(self.kind, None)][1]} on"
        first = max(_FIRST[(self.kind, f)][1] for f in self.fields)
        return (" and ".join(_WHAT.get(f, f) for f in self.fields)
                + f", which needs api-version {first}-preview or a later preview")


def bindings(body=None, preview=False):
    """The Need of an identity binding request: the preview fields the body carries, plus the ones the
    caller reads (preview=True: all of them; or a tuple naming them)."""
    body = body or {}
    wanted = set(_WHAT) if preview is True else set(preview or ())
    wanted |= {f for f in _WHAT if f in body or f in (body.get("properties") or {})}
    return Need("bindings", tuple(sorted(wanted)))


BINDINGS = Need("bindings")
CLUSTERS = Need("clusters")


def offered(code, message):
    """The api-versions ARM says it offers, when its answer is "this version is not offered"; else None."""
    if code not in NOT_OFFERED_CODES:
        return None
    found = _OFFERED_LIST.search(message or "")
    if not found:
        return None
    versions = [v.strip() for v in found.group(1).split(",")]
    return [v for v in versions if _VERSION.match(v)] or None


def newest_serving(need, versions, refused=None):
    """The newest of `versions` that serves `need` (never the one just refused); None if none does."""
    fits = [v for v in versions if v != refused and need.serves(v)]
    # a preview sorts after the GA version of the same date: its date is the later release
    return max(fits, key=lambda v: (v[:10], v.endswith("-preview")), default=None)


class Choices:
    """What this process learnt: the versions each kind of resource is offered in (from ARM's answers)
    and the version chosen for each Need. Thread-safe: fleet scans read concurrently."""

    def __init__(self):
        self._lock = threading.Lock()
        self._chosen = {}
        self._offered = {}

    def current(self, need):
        """The version to send `need` with: the one chosen before, else ours while nothing says it is not
        offered, else the newest offered one that serves it; None when the region offers none that does."""
        with self._lock:
            if need in self._chosen:
                return self._chosen[need]
            known = self._offered.get(need.kind)
            if known is None or need.preferred() in known:
                return need.preferred()
            return newest_serving(need, known)

    def offered(self, kind):
        with self._lock:
            return list(self._offered.get(kind) or [])

    def learn(self, kind, offered_versions):
        with self._lock:
            self._offered[kind] = list(offered_versions)

    def remember(self, need, version):
        """Remember a fallback; True the first time it is chosen (so it is said once)."""
        with self._lock:
            first = self._chosen.get(need) != version
            self._chosen[need] = version
            return first

    def forget(self):
        with self._lock:
            self._chosen.clear()
            self._offered.clear()


CHOICES = Choices()
