"""ARM's throttling, as token buckets per subscription (shared/reference/access-and-scale.md §5):
a bucket holds up to `capacity` requests and refills at `refill` per second; every GET on a resource of
a subscription takes one read token (a cluster, a binding list, an identity, a federated credential
...); with none left ARM answers 429 with `Retry-After` (whole seconds) and does not carry the request
out. Every answer says what is left in `x-ms-ratelimit-remaining-subscription-reads`. Writes
(PUT/PATCH/POST) and deletes have buckets of their own (200 / 10 per second, `...-writes`,
`...-deletes`), metered only when `write_throttling` is on. No HTTP here: httpd.py asks
`ReadBuckets.take`.

The clock is injectable, so the arithmetic is tested without sleeping (tests/test_standin_scale.py).
"""
import math
import re
import threading
import time

REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
REMAINING_WRITES = "x-ms-ratelimit-remaining-subscription-writes"
REMAINING_DELETES = "x-ms-ratelimit-remaining-subscription-deletes"
REMAINING = {"read": REMAINING_READS, "write": REMAINING_WRITES, "delete": REMAINING_DELETES}
THROTTLED_CODE = "SubscriptionRequestsThrottled"

# A read of something in a subscription: GET/HEAD below /subscriptions/<id>/ (not the subscription
# list, nor the subscription itself, which ARM meters per tenant).
_METERED = re.compile(r"^/subscriptions/([^/]+)/.+", re.IGNORECASE)


class Taken:
    """What one request got: `ok` (a token was taken), the reads `remaining` after it (whole tokens),
    and, if refused, `retry_after`: the whole seconds until a token is there again (at least 1)."""

    __slots__ = ("ok", "remaining", "retry_after", "subscription", "kind")

    def __init__(self, ok, remaining, retry_after, subscription, kind="read"):
        self.ok, self.remaining, self.retry_after, self.subscription = ok, remaining, retry_after, subscription
        self.kind = kind   # "read", "write" or "delete"

    @property
    def header(self):
        """The x-ms-ratelimit-remaining-subscription-* header this answer carries."""
        return REMAINING[self.kind]

    def __repr__(self):
        return f"Taken(ok={self.ok}, remaining={self.remaining}, retry_after={self.retry_after})"


class TokenBucket:
    """One subscription's reads. Starts full; `tokens` is fractional between refills."""

    def __init__(self, capacity, refill, now):
        self.capacity, self.refill = float(capacity), float(refill)
        self.tokens = float(capacity)
        self.stamp = now

    def _refill(self, now, capacity, refill):
        if now > self.stamp:
            self.tokens = min(capacity, self.tokens + (now - self.stamp) * refill)
        else:
            self.tokens = min(capacity, self.tokens)
        self.stamp = max(self.stamp, now)
        self.capacity, self.refill = capacity, refill

    def take(self, now, capacity=None, refill=None):
        """Take one token at time `now`; (ok, remaining, retry_after). capacity/refill may change
        between calls (the stand-in's settings can); a smaller capacity trims the tokens."""
        self._refill(now, float(self.capacity if capacity is None else capacity),
                     float(self.refill if refill is None else refill))
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, int(self.tokens), 0
        if self.refill <= 0:
            return False, 0, 3600  # never refills: a long wait, as ARM's hourly model would say
        wait = (1.0 - self.tokens) / self.refill
        return False, 0, max(1, math.ceil(wait - 1e-9))


class ReadBuckets:
    """A TokenBucket per subscription and kind (made full on its first request), thread-safe.

    `settings` is read on every request: `read_throttling` (off: no read is metered), and
    `read_bucket_capacity` / `read_bucket_refill`; `write_throttling` (off: no write or delete is
    metered), `write_bucket_*` and `delete_bucket_*`. `throttled` counts the 429s of reads (the
    benchmarks' figure), `throttled_changes` those of writes and deletes.
    """

    def __init__(self, settings, clock=time.monotonic):
        self.settings, self.clock = settings, clock
        self._buckets = {}     # (kind, subscription) -> TokenBucket
        self._lock = threading.Lock()
        self.throttled = {}  # subscription -> 429s answered to reads
        self.throttled_changes = {}  # (kind, subscription) -> 429s answered to writes / deletes

    @staticmethod
    def subscription_of(method, path):
        """The subscription a request reads from, or None if it is not a metered read."""
        if method not in ("GET", "HEAD"):
            return None
        match = _METERED.match(path)
        return match.group(1).lower() if match else None

    @staticmethod
    def kind_of(method):
        return {"GET": "read", "HEAD": "read", "DELETE": "delete", "PUT": "write", "PATCH": "write",
                "POST": "write"}.get(method)

    def take(self, method, path):
        """None if the request is not metered (its kind's throttling off, not under a subscription);
        else a Taken."""
        settings, kind = self.settings, self.kind_of(method)
        switch = "read_throttling" if kind == "read" else "write_throttling"
        if kind is None or not getattr(settings, switch, False):
            return None
        match = _METERED.match(path)
        if match is None:
            return None
        sub = match.group(1).lower()
        capacity = getattr(settings, f"{kind}_bucket_capacity", 200)
        refill = getattr(settings, f"{kind}_bucket_refill", 10.0)
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get((kind, sub))
            if bucket is None:
                bucket = self._buckets[(kind, sub)] = TokenBucket(capacity, refill, now)
            ok, remaining, retry_after = bucket.take(now, capacity, refill)
            if not ok and kind == "read":
                self.throttled[sub] = self.throttled.get(sub, 0) + 1
            elif not ok:
                self.throttled_changes[(kind, sub)] = self.throttled_changes.get((kind, sub), 0) + 1
        return Taken(ok, remaining, retry_after, sub, kind)

    def refill_all(self):
        """Every bucket full again, and the 429 counts back to zero (between benchmark runs)."""
        with self._lock:
            self._buckets.clear()
            self.throttled.clear()
            self.throttled_changes.clear()

    def stats(self):
        """{"remaining": {sub: reads left}, "throttled": {sub: 429s to reads}, and for writes and deletes
        "remaining_writes", "remaining_deletes" and "throttled_changes": {"kind/sub": 429s}}."""
        with self._lock:
            now = self.clock()
            level = {"read": {}, "write": {}, "delete": {}}
            for (kind, sub), bucket in self._buckets.items():
                bucket._refill(now, bucket.capacity, bucket.refill)
                level[kind][sub] = int(bucket.tokens)
            return {"remaining": level["read"], "throttled": dict(self.throttled),
                    "remaining_writes": level["write"], "remaining_deletes": level["delete"],
                    "throttled_changes": {f"{k}/{s}": n for (k, s), n in self.throttled_changes.items()}}


def throttled_body(subscription, retry_after, kind="read"):
    """ARM's error for an empty bucket (the wording of the live service, with our values)."""
    return {"error": {"code": THROTTLED_CODE,
                      "message": f"Number of '{kind}' requests for subscription '{subscription}' actor "
                                 f"'{SP_OBJECT_PLACEHOLDER}' exceeded. Please try again after '{retry_after}' "
                                 "seconds after additional tokens are available. Refer to "
                                 "https://aka.ms/arm-throttling"}}


SP_OBJECT_PLACEHOLDER = "33333333-3333-3333-3333-333333333333"
