"""Azure Resource Graph for the stand-in (shared/reference/access-and-scale.md §4):

    POST /providers/Microsoft.ResourceGraph/resources?api-version=...
    {"query": "...", "subscriptions": [...]?, "options": {"$top", "$skip", "$skipToken", "resultFormat"}}
    -> {"totalRecords", "count", "data", "facets", "resultTruncated", "$skipToken"?}

It understands one query shape, the cluster discovery a client sends (matched loosely: any case and
spacing, `=~` or `==`, an optional `project` of known columns and `order by`):

    resources | where type =~ 'microsoft.containerservice/managedclusters' | project id, name, ...

and answers any other query with ARG's 400 (BadRequest / InvalidQuery). Pages hold at most
min($top, settings.arg_max_rows, 1000) rows (ARG may return fewer rows than $top: a client must page
while `$skipToken` is present); without `id` in the projection ARG cannot page, so it says
resultTruncated "true" and gives no $skipToken. Rows come from every subscription of the Cloud, or
from those in `subscriptions`; `resourceGroup` is lower-case, as ARG returns it.

The caller's quota: `settings.arg_quota` queries per `settings.arg_quota_window` seconds, reported on
every answer in `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after` (hh:mm:ss); past it, 429
RateLimiting. `settings.arg_forbidden` makes every query a 403 (a caller without ARG access, e.g. a
policy), so that a client's fallback to per-subscription listing is exercised. `settings.arg_unindexed`
names clusters ARG leaves out, as its index does for a cluster created seconds to minutes ago.
"""
import base64
import binascii
import hashlib
import json
import math
import re
import threading
import time

from .response import _Response
from .world import ArmError

ARG_TYPE = "microsoft.containerservice/managedclusters"
QUOTA_REMAINING = "x-ms-user-quota-remaining"
QUOTA_RESETS_AFTER = "x-ms-user-quota-resets-after"
MAX_TOP = 1000
DEFAULT_TOP = 100

# The columns a cluster row has (ARG's resources table, the ones a cluster query may project).
COLUMNS = ("id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
           "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation")
_COLUMN_TYPES = {"sku": "object", "plan": "object", "properties": "object", "tags": "object",
                 "identity": "object", "zones": "object", "extendedLocation": "object"}

_QUERY = re.compile(
    r"^\s*resources\s*"
    r"\|\s*where\s+type\s*(?:=~|==)\s*(['\"])microsoft\.containerservice/managedclusters\1\s*"
    r"(?:\|\s*project\s+(?P<columns>[A-Za-z_][\w\s,]*?)\s*)?"
    r"(?:\|\s*(?:order|sort)\s+by\s+(?P<order>[A-Za-z_]\w*)(?:\s+(?P<dir>asc|desc))?\s*)?$",
    re.IGNORECASE | re.DOTALL)


def parse_query(query):
    """The projected columns (in order; None = all) and the sort (column, descending) of a cluster
    query, or ArmError 400 for anything else."""
    match = _QUERY.match(query or "") if isinstance(query, str) else None
    if match is None:
        raise _invalid_query("the stand-in's Resource Graph answers only the cluster discovery query "
                             f"(resources | where type =~ '{ARG_TYPE}' | project ...)")
    columns = None
    if match.group("columns"):
        columns = [c.strip() for c in match.group("columns").split(",")]
        by_lower = {c.lower(): c for c in COLUMNS}
        if not all(columns) or any(c.lower() not in by_lower for c in columns):
            raise _invalid_query(f"unknown column in project: {match.group('columns')!r}")
        columns = [by_lower[c.lower()] for c in columns]
    order = None
    if match.group("order"):
        key = {c.lower(): c for c in (columns or COLUMNS)}.get(match.group("order").lower())
        if key is None:
            raise _invalid_query(f"order by an unknown column {match.group('order')!r}")
        order = (key, (match.group("dir") or "asc").lower() == "desc")
    return columns, order


def _invalid_query(why):
    return ArmError(400, "BadRequest", "Please provide below info when asking for support: timestamp = "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}, correlationId = standin.",
                    body_extra={"details": [{"code": "InvalidQuery", "message": "Query is invalid. Please refer "
                                             "to the documentation for the Azure Resource Graph service and fix "
                                             "the error prior to retrying."},
                                            {"code": "ParserFailure", "message": why}]})


def cluster_row(world, cluster):
    """A cluster as a row of ARG's resources table."""
    rid = cluster["id"]
    parts = rid.strip("/").split("/")
    return {"id": rid, "name": cluster["name"], "type": ARG_TYPE, "tenantId": world.tenant, "kind": "",
            "location": cluster["location"], "resourceGroup": parts[3].lower(), "subscriptionId": world.subscription,
            "managedBy": "", "sku": cluster.get("sku"), "plan": None, "properties": cluster.get("properties"),
            "tags": cluster.get("tags") or {}, "identity": cluster.get("identity"), "zones": None,
            "extendedLocation": None}


class UserQuota:
    """ARG's per-user quota: `limit` queries per fixed window of `window` seconds from the first one."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.start = None
        self.used = 0
        self._lock = threading.Lock()

    def take(self, limit, window):
        """(ok, remaining, seconds until the window resets)."""
        with self._lock:
            now = self.clock()
            if self.start is None or now - self.start >= window:
                self.start, self.used = now, 0
            resets = max(0.0, window - (now - self.start))
            if self.used >= limit:
                return False, 0, resets
            self.used += 1
            return True, limit - self.used, resets


def hms(seconds):
    seconds = max(0, math.ceil(seconds))
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ArgRoutes:
    """The Resource Graph route of StandIn (a mixin: it reads the Cloud, settings and arg_quota)."""

    def _do_arg(self, method, args, query, body, fault):
        self._only(method, "POST")
        self._check_api_version(query)
        settings = self.settings
        ok, remaining, resets = self.arg_quota.take(settings.arg_quota, settings.arg_quota_window)
        headers = {QUOTA_REMAINING: str(remaining), QUOTA_RESETS_AFTER: hms(resets)}
        if not ok:
            raise ArmError(429, "RateLimiting", "Please provide below info when asking for support: the user "
                           "quota of Azure Resource Graph queries is used up; retry after "
                           f"{hms(resets)} (x-ms-user-quota-resets-after).", headers)
        if settings.arg_forbidden:
            raise ArmError(403, "AuthorizationFailed", "The client 'standin-sp' with object id "
                           "'33333333-3333-3333-3333-333333333333' does not have authorization to perform action "
                           "'Microsoft.ResourceGraph/resources/read' over scope '/providers/Microsoft.ResourceGraph' "
                           "or the scope is invalid. If access was recently granted, please refresh your "
                           "credentials.", headers)
        try:
            page = self._arg_page(body)
        except ArmError as ex:
            ex.headers = {**headers, **ex.headers}
            raise
        return _Response(200, page, headers)

    def _arg_page(self, body):
        if not isinstance(body, dict):
            raise ArmError(400, "BadRequest", "The request body must be a JSON object with a 'query'.")
        columns, order = parse_query(body.get("query"))
        options = body.get("options") or {}
        subscriptions = body.get("subscriptions")
        if not isinstance(options, dict) or (subscriptions is not None and not (
                isinstance(subscriptions, list) and all(isinstance(s, str) for s in subscriptions))):
            raise ArmError(400, "BadRequest", "'options' must be an object and 'subscriptions' a list of ids.")
        top = _int_option(options, "$top", DEFAULT_TOP)
        if not 1 <= top <= MAX_TOP:
            raise ArmError(400, "BadRequest", f"The $top option must be between 1 and {MAX_TOP}, not {top}.")
        fmt = options.get("resultFormat", "objectArray")
        if fmt not in ("objectArray", "table"):
            raise ArmError(400, "BadRequest", f"Unknown resultFormat {fmt!r}: 'objectArray' or 'table'.")

        unindexed = {str(name).lower() for name in self.settings.arg_unindexed or ()}
        rows = [cluster_row(world, cluster) for world, cluster in self.cloud.clusters(subscriptions)
                if cluster["name"].lower() not in unindexed]
        if order is not None:
            rows.sort(key=lambda r: str(r.get(order[0]) or "").lower(), reverse=order[1])
        fingerprint = hashlib.sha256(json.dumps([body.get("query"), sorted(s.lower() for s in subscriptions or [])])
                                     .encode()).hexdigest()[:16]
        if options.get("$skipToken"):
            start = _decode_token(options["$skipToken"], fingerprint)
        else:
            start = _int_option(options, "$skip", 0)
        size = max(1, min(top, int(self.settings.arg_max_rows), MAX_TOP))
        can_page = columns is None or "id" in columns
        chunk = rows[start:start + size]
        more = start + len(chunk) < len(rows)
        chosen = columns or list(COLUMNS)
        if fmt == "table":
            data = {"columns": [{"name": c, "type": _COLUMN_TYPES.get(c, "string")} for c in chosen],
                    "rows": [[row[c] for c in chosen] for row in chunk]}
        else:
            data = [{c: row[c] for c in chosen} for row in chunk]
        page = {"totalRecords": len(rows), "count": len(chunk), "data": data, "facets": [],
                "resultTruncated": "true" if more and not can_page else "false"}
        if more and can_page:
            page["$skipToken"] = base64.b64encode(json.dumps({"o": start + len(chunk), "q": fingerprint})
                                                  .encode()).decode()
        return page


def _int_option(options, key, default):
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArmError(400, "BadRequest", f"The option {key} must be an integer.")
    if value < 0:
        raise ArmError(400, "BadRequest", f"The option {key} must not be negative.")
    return value


def _decode_token(token, fingerprint):
    try:
        data = json.loads(base64.b64decode(str(token), validate=True).decode())
        offset = data["o"]
        if data["q"] != fingerprint or not isinstance(offset, int) or offset < 0:
            raise ValueError("not this query's token")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ArmError(400, "BadRequest", "The $skipToken is invalid for this query: send the token of the "
                       "previous page with the same query and subscriptions.") from None
    return offset
