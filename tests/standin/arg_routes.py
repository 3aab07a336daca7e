"""Azure Resource Graph for the stand-in (shared/reference/access-and-scale.md §4):

    POST /providers/Microsoft.ResourceGraph/resources?api-version=...
    {"query": "...", "subscriptions": [...]?, "options": {"$top", "$skip", "$skipToken", "resultFormat"}}
    -> {"totalRecords", "count", "data", "facets", "resultTruncated", "$skipToken"?}

Its resources table holds the Cloud's managed clusters and user-assigned identities (with ARM's
properties: a cluster's oidcIssuerProfile, securityProfile ..., an identity's clientId, principalId).
It reads the small part of KQL a client's discovery query uses (see _Parser: where on the type and
properties, extend/project with tostring()/tobool(), order by, take), with KQL's semantics where they
matter (`==` is case-sensitive and ARG's `type` is lower-case; keys inside `properties` are
case-sensitive; tostring(null) is ""), for example

    resources | where type =~ 'microsoft.containerservice/managedclusters'
    | project id, name, subscriptionId, issuer = tostring(properties.oidcIssuerProfile.issuerURL)

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
IDENTITY_TYPE = "microsoft.managedidentity/userassignedidentities"
TYPES = (ARG_TYPE, IDENTITY_TYPE)     # the resource types the stand-in's resources table holds
QUOTA_REMAINING = "x-ms-user-quota-remaining"
QUOTA_RESETS_AFTER = "x-ms-user-quota-resets-after"
MAX_TOP = 1000
DEFAULT_TOP = 100

# The columns of ARG's resources table (the ones a query may name).
COLUMNS = ("id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
           "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation")
_COLUMN_TYPES = {"sku": "object", "plan": "object", "properties": "object", "tags": "object",
                 "identity": "object", "zones": "object", "extendedLocation": "object"}
_FUNCTIONS = ("tostring", "tobool", "tolower", "toupper", "toint")

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>\d+)|(?P<op>=~|==|!=|!~|in~|\bin\b|[|(),.=\[\]])|(?P<word>[A-Za-z_][\w-]*))""",
                    re.DOTALL)


class Query:
    """A parsed query: the row type, the row filter, the output columns [(name, expression)] (None:
    every column), computed columns, the sort [(column, descending)] and a row limit."""

    def __init__(self):
        self.type = None
        self.filters = []      # callables row -> bool
        self.columns = None    # [(name, expr)], expr: callable row -> value
        self.order = []
        self.limit = None

    @property
    def names(self):
        return [name for name, _ in self.columns] if self.columns is not None else list(COLUMNS)

    def run(self, rows):
        out = []
        for row in rows:
            if all(f(row) for f in self.filters):
                out.append({name: expr(row) for name, expr in self.columns} if self.columns is not None
                           else {c: row[c] for c in COLUMNS})
        for column, descending in reversed(self.order):
            out.sort(key=lambda r, c=column: _sort_key(r.get(c)), reverse=descending)
        return out[:self.limit] if self.limit is not None else out


def _sort_key(value):
    return (value is None, str(value).lower() if not isinstance(value, (int, float)) else f"{value:020}")


def _tokens(text):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _invalid_query(f"unexpected text at {pos}: {text[pos:pos + 20]!r}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = value[1:-1].replace("\\'", "'").replace('\\"', '"')
        out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    """A recursive-descent reader of the KQL the stand-in understands:

        resources
        | where COND [and COND ...]          COND: EXPR OP 'text' | EXPR in~ ('a', ...) | isnotempty(PATH)
                                                   | isnotnull(PATH) | isempty(PATH)      OP: =~ == != !~
        | extend NAME = EXPR, ...            EXPR: PATH | tostring(PATH) | tobool(PATH) | tolower(PATH) ...
        | project NAME | NAME = EXPR, ...    PATH: column(.key | ['key'])*  (keys are case-sensitive, as
        | order by NAME [asc|desc], ...            in KQL's dynamic values; column names are not)
        | take N | limit N

    The first `where` must name the row type (`type =~ '...'`, or `==` with ARG's lower-case type)."""

    def __init__(self, text):
        self.tokens, self.i = _tokens(text), 0
        self.query = Query()
        self.known = {c.lower(): c for c in COLUMNS}   # columns a stage may name, lower-case -> name
        self._source = None   # after project/extend: name -> expression over the table's row

    def peek(self, offset=0):
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else (None, None)

    def next(self):
        token = self.peek()
        if token[0] is None:
            raise _invalid_query("the query ends too early")
        self.i += 1
        return token

    def expect(self, value):
        kind, got = self.next()
        if str(got).lower() != value:
            raise _invalid_query(f"expected {value!r}, not {got!r}")

    def word(self):
        kind, value = self.next()
        if kind != "word":
            raise _invalid_query(f"expected a name, not {value!r}")
        return value

    def parse(self):
        if str(self.word()).lower() != "resources":
            raise _invalid_query("the stand-in's Resource Graph has only the 'resources' table")
        while self.peek()[0] is not None:
            self.expect("|")
            stage = self.word().lower()
            if stage == "where":
                self.where()
            elif stage in ("project", "extend"):
                self.project(stage)
            elif stage in ("order", "sort"):
                self.expect("by")
                self.order()
            elif stage in ("take", "limit"):
                kind, value = self.next()
                if kind != "num":
                    raise _invalid_query(f"{stage} needs a number")
                self.query.limit = int(value)
            else:
                raise _invalid_query(f"the stand-in does not know the operator {stage!r}")
        if self.query.type is None:
            raise _invalid_query("the stand-in's Resource Graph answers only queries of one type "
                                 f"(resources | where type =~ '{ARG_TYPE}' or '{IDENTITY_TYPE}' ...)")
        return self.query

    # -- stages ------------------------------------------------------------------------------------

    def where(self):
        while True:
            self.query.filters.append(self.condition())
            if str(self.peek()[1]).lower() != "and":
                return
            self.next()

    def condition(self):
        kind, value = self.peek()
        if kind == "word" and value.lower() in ("isnotempty", "isempty", "isnotnull", "isnull") \
                and self.peek(1)[1] == "(":
            self.next()
            self.expect("(")
            expr = self.path()
            self.expect(")")
            test = {"isnotempty": lambda v: v not in (None, ""), "isempty": lambda v: v in (None, ""),
                    "isnotnull": lambda v: v is not None, "isnull": lambda v: v is None}[value.lower()]
            return lambda row: test(expr(row))
        start = self.i
        expr = self.expression()
        is_type = str(self.tokens[start][1]).lower() == "type" and self.i == start + 1
        kind, op = self.next()
        if op in ("in~", "in"):
            self.expect("(")
            values = [self.string()]
            while self.peek()[1] == ",":
                self.next()
                values.append(self.string())
            self.expect(")")
            if is_type:
                self._set_type(values)
            fold = (lambda v: v.lower()) if op == "in~" else (lambda v: v)
            wanted = {fold(v) for v in values}
            return lambda row: isinstance(expr(row), str) and fold(expr(row)) in wanted
        if op not in ("=~", "==", "!=", "!~"):
            raise _invalid_query(f"the stand-in does not know the comparison {op!r}")
        value = self.string()
        if is_type:
            self._set_type([value])
        if op == "=~":
            return lambda row: _text(expr(row)).lower() == value.lower()
        if op == "!~":
            return lambda row: _text(expr(row)).lower() != value.lower()
        if op == "==":
            return lambda row: _text(expr(row)) == value
        return lambda row: _text(expr(row)) != value

    def _set_type(self, values):
        known = {v.lower() for v in values} & set(TYPES)
        if len(known) != 1 or len(values) != 1 or self.query.type is not None:
            raise _invalid_query(f"the stand-in's Resource Graph holds only {', '.join(TYPES)}; one type a query")
        self.query.type = known.pop()

    def string(self):
        kind, value = self.next()
        if kind != "str":
            raise _invalid_query(f"expected a quoted string, not {value!r}")
        return value

    def project(self, stage):
        columns = [] if stage == "project" else list(self.query.columns or [(c, _column(c)) for c in COLUMNS])
        while True:
            name = self.word()
            if self.peek()[1] == "=":
                self.next()
                expr = self.expression()
            else:
                self.i -= 1
                expr = self.path()
                name = self.known.get(name.lower(), name)
            columns = [(n, e) for n, e in columns if n != name] + [(name, expr)]
            if self.peek()[1] != ",":
                break
            self.next()
        # later stages name the output columns (only these after a project), each computed from the row
        self.query.columns = columns
        self._source = dict(columns)
        self.known = {n.lower(): n for n in self._source}

    def order(self):
        while True:
            name = self.word()
            column = self.known.get(name.lower())
            if column is None:
                raise _invalid_query(f"order by an unknown column {name!r}")
            descending = False
            if str(self.peek()[1]).lower() in ("asc", "desc"):
                descending = self.next()[1].lower() == "desc"
            self.query.order.append((column, descending))
            if self.peek()[1] != ",":
                return
            self.next()

    # -- expressions ------------------------------------------------------------------------------

    def expression(self):
        kind, value = self.peek()
        if kind == "word" and value.lower() in _FUNCTIONS and self.peek(1)[1] == "(":
            self.next()
            self.expect("(")
            inner = self.path()
            self.expect(")")
            convert = {"tostring": _text, "tolower": lambda v: _text(v).lower(),
                       "toupper": lambda v: _text(v).upper(), "tobool": _bool, "toint": _int}[value.lower()]
            return lambda row: convert(inner(row))
        return self.path()

    def path(self):
        name = self.word()
        column = self.known.get(name.lower())
        if column is None:
            raise _invalid_query(f"unknown column {name!r}")
        source = self._source
        keys = []
        while self.peek()[1] in (".", "["):
            if self.next()[1] == ".":
                keys.append(self.word())
            else:
                keys.append(self.string())
                self.expect("]")
        base = source[column] if source is not None else _column(column)

        def value(row):
            found = base(row)
            for key in keys:
                found = found.get(key) if isinstance(found, dict) else None
            return found
        return value


def _column(name):
    return lambda row: row.get(name)


def _text(value):
    """KQL tostring(): null is "", a bag or array its JSON, a bool true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _int(value):
    try:
        return int(value) if not isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def parse_query(query):
    """The Query of a query text the stand-in understands, or ArmError 400 (ARG's InvalidQuery)."""
    if not isinstance(query, str) or not query.strip() or len(query) > 5000:
        raise _invalid_query("the query must be a text the stand-in understands")
    return _Parser(query).parse()


def _invalid_query(why):
    return ArmError(400, "BadRequest", "Please provide below info when asking for support: timestamp = "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}, correlationId = standin.",
                    body_extra={"details": [{"code": "InvalidQuery", "message": "Query is invalid. Please refer "
                                             "to the documentation for the Azure Resource Graph service and fix "
                                             "the error prior to retrying."},
                                            {"code": "ParserFailure", "message": why}]})


def _row(world, resource, arg_type):
    rid = resource["id"]
    parts = rid.strip("/").split("/")
    return {"id": rid, "name": resource["name"], "type": arg_type, "tenantId": world.tenant, "kind": "",
            "location": resource["location"], "resourceGroup": parts[3].lower(), "subscriptionId": world.subscription,
            "managedBy": "", "sku": resource.get("sku"), "plan": None, "properties": resource.get("properties"),
            "tags": resource.get("tags") or {}, "identity": resource.get("identity"), "zones": None,
            "extendedLocation": None}


def cluster_row(world, cluster):
    """A cluster as a row of ARG's resources table."""
    return _row(world, cluster, ARG_TYPE)


def identity_row(world, identity):
    """A user-assigned identity as a row of ARG's resources table (properties: clientId, principalId,
    tenantId, as ARM returns them)."""
    return _row(world, identity, IDENTITY_TYPE)


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
        parsed = parse_query(body.get("query"))
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
        if parsed.type == ARG_TYPE:  # a cluster Resource Graph has not indexed yet is not among the rows
            source = [cluster_row(world, cluster) for world, cluster in self.cloud.clusters(subscriptions)
                      if cluster["name"].lower() not in unindexed]
        else:
            source = [identity_row(world, identity) for world, identity in self.cloud.identities(subscriptions)]
        rows = parsed.run(source)
        fingerprint = hashlib.sha256(json.dumps([body.get("query"), sorted(s.lower() for s in subscriptions or [])])
                                     .encode()).hexdigest()[:16]
        if options.get("$skipToken"):
            start = _decode_token(options["$skipToken"], fingerprint)
        else:
            start = _int_option(options, "$skip", 0)
        size = max(1, min(top, int(self.settings.arg_max_rows), MAX_TOP))
        chosen = parsed.names
        can_page = "id" in chosen
        chunk = rows[start:start + size]
        more = start + len(chunk) < len(rows)
        if fmt == "table":
            data = {"columns": [{"name": c, "type": _COLUMN_TYPES.get(c, _type_of(chunk, c))} for c in chosen],
                    "rows": [[row[c] for c in chosen] for row in chunk]}
        else:
            data = chunk
        page = {"totalRecords": len(rows), "count": len(chunk), "data": data, "facets": [],
                "resultTruncated": "true" if more and not can_page else "false"}
        if more and can_page:
            page["$skipToken"] = base64.b64encode(json.dumps({"o": start + len(chunk), "q": fingerprint})
                                                  .encode()).decode()
        return page


def _type_of(rows, column):
    values = [r[column] for r in rows if r.get(column) is not None]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, (dict, list)) for v in values):
        return "object"
    return "string"


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
