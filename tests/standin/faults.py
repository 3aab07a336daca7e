"""What a test can change about the stand-in while it runs: injected faults and behaviour knobs."""
import re


FAULT_KINDS = ("status", "reset", "reset_after", "delay", "lro_fail", "body")


class Fault:
    """An injected fault: which requests it hits, how many times, and what happens to them.

    kind:
      status       answer `status` with an ARM error body (`code`, `message`) and, if given, a
                   Retry-After header (`retry_after`): 429, 500, 503, 403, 409 ...
      reset        read the request, then reset the TCP connection without answering (nothing done)
      reset_after  carry the request out (state changes happen), then reset instead of answering
      delay        wait `seconds`, then answer normally (a slow response)
      lro_fail     the PUT/DELETE is accepted normally, but its long-running operation ends
                   `status` ("Failed" or "Canceled") with `code`/`message`
      body         answer `status` with a raw `body` and `content_type` (e.g. a gateway's HTML page)

    Which requests: `method` ("*" or GET/PUT/DELETE/POST), `route` (a route name such as
    "binding", "bindings", "operation", "operationresult", "identity", "token"; None = any) and
    `path` (a regex searched, case-insensitive, in the request path and, for operation status
    and result URLs, in the path of the binding the operation is about; None = any). The first
    `after` matching requests pass untouched; the next `times` are hit (None = every one after).
    """

    def __init__(self, kind, route=None, method="*", path=None, times=1, after=0, status=None,
                 retry_after=None, code=None, message=None, seconds=0.0, body="", content_type="text/html"):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        self.kind, self.route, self.method, self.path = kind, route, method.upper(), path
        self.times, self.after = times, after
        self.status = status if status is not None else {"status": 500, "body": 502}.get(kind)
        self.retry_after, self.code, self.message = retry_after, code, message
        self.seconds, self.body, self.content_type = float(seconds), body, content_type
        self.seen = 0   # matching requests so far
        self.hits = 0   # requests this fault was applied to

    @classmethod
    def from_dict(cls, data):
        return cls(**data)

    def to_dict(self):
        keys = ("kind", "route", "method", "path", "times", "after", "status", "retry_after", "code",
                "message", "seconds", "body", "content_type")
        return {**{k: getattr(self, k) for k in keys}, "seen": self.seen, "hits": self.hits}

    def matches(self, method, route, path, target):
        if self.method not in ("*", method):
            return False
        if self.route is not None and self.route != route:
            return False
        return self.path is None or any(re.search(self.path, p, re.IGNORECASE) for p in (path, target) if p)

    def take(self):
        """Count a matching request; True if the fault applies to it."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True

    def __repr__(self):
        return f"Fault({self.kind} {self.method} {self.route or self.path or '*'} hits={self.hits})"


class Settings:
    """Behaviour knobs; all can be changed while running."""

    def __init__(self):
        self.latency = 0.0                 # seconds added to every request (not to /_standin)
        self.page_size = 100               # items per list page before a nextLink
        self.fic_page_size = None          # federated identity credentials per page (None: page_size)
        self.lro_duration = 0.0            # seconds an operation stays InProgress at least ...
        self.lro_in_progress_polls = 1     # ... and how many status polls answer InProgress (0: time only)
        self.lro_retry_after = None        # Retry-After on LRO responses (None: no header, as observed live)
        self.put_lro_headers = "async"     # observed live: only Azure-AsyncOperation ("location", "both")
        self.delete_lro_headers = "location"  # observed live: only Location ("async", "both")
        self.failed_location_status = 400  # what a Location poll returns for a failed operation
        # ARM's read throttling per subscription (throttle.py): off unless asked for, so that tests
        # and benchmarks that do not model it see no 429s; when on, the live service's bucket.
        self.read_throttling = False
        self.read_bucket_capacity = 250    # reads a full bucket holds
        self.read_bucket_refill = 25.0     # reads per second added back
        # api-versions of identity bindings this "region" offers (None: every one the service has), as a
        # sovereign cloud the preview has not reached, or one that lags behind the newest GA; managed
        # clusters are then offered the GA ones of these plus the older GA versions (arm_routes.py)
        self.offered_api_versions = None
        # ARM's write and delete buckets per subscription (PUT/PATCH/POST, DELETE): off unless asked for
        self.write_throttling = False
        self.write_bucket_capacity = 200
        self.write_bucket_refill = 10.0
        self.delete_bucket_capacity = 200
        self.delete_bucket_refill = 10.0
        # Azure Resource Graph (arg_routes.py)
        self.arg_forbidden = False         # every query answers 403 AuthorizationFailed
        self.arg_max_rows = 1000           # rows per page at most (ARG's own limit is 1000)
        self.arg_unindexed = ()            # names of clusters ARG has not indexed yet (created seconds ago)
        self.arg_quota = 15                # queries per window and user ...
        self.arg_quota_window = 5.0        # ... of this many seconds

    def update(self, **values):
        for key, value in values.items():
            if not hasattr(self, key):
                raise ValueError(f"unknown setting {key!r}")
            setattr(self, key, value)

    def to_dict(self):
        return dict(vars(self))
