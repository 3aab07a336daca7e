"""ARM's read throttling, as a token bucket per subscription (shared/reference/access-and-scale.md §5):
a bucket holds up to `capacity` reads and refills at `refill` per second; every GET on a resource of
a subscription takes one token; with none left ARM answers 429 with `Retry-After` (whole seconds) and
does not carry the request out. Every answer says what is left in
`x-ms-ratelimit-remaining-subscription-reads`. No HTTP here: httpd.py asks `ReadBuckets.take`.

The clock is injectable, so the arithmetic is tested without sleeping (tests/test_standin_scale.py).
"""
import math
import re
import threading
import time

REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
THROTTLED_CODE = "SubscriptionRequestsThrottled"

# A read of something in a subscription: GET/HEAD below /subscriptions/<id>/ (not the subscription
# list, nor the subscription itself, which ARM meters per tenant).
_METERED = re.compile(r"^/subscriptions/([^/]+)/.+", re.IGNORECASE)


class Taken:
    """What one request got: `ok` (a token was taken), the reads `remaining` after it (whole tokens),
    and, if refused, `retry_after`: the whole seconds until a token is there again (at least 1)."""

    __slots__ = ("ok", "remaining", "retry_after", "subscription")

    def __init__(self, ok, remaining, retry_after, subscription):
        self.ok, self.remaining, self.retry_after, self.subscription = ok, remaining, retry_after, subscription

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
    """A TokenBucket per subscription (made full on its first read), thread-safe.

    `settings` is read on every request: `read_throttling` (off: nothing is metered), and
    `read_bucket_capacity` / `read_bucket_refill`.
    """

    def __init__(self, settings, clock=time.monotonic):
        self.settings, self.clock = settings, clock
        self._buckets = {}
        self._lock = threading.Lock()
        self.throttled = {}  # subscription -> 429s answered

    @staticmethod
    def subscription_of(method, path):
        """The subscription a request reads from, or None if it is not a metered read."""
        if method not in ("GET", "HEAD"):
            return None
        match = _METERED.match(path)
        return match.group(1).lower() if match else None

    def take(self, method, path):
        """None if the request is not metered (throttling off, not a read); else a Taken."""
        settings = self.settings
        if not getattr(settings, "read_throttling", False):
            return None
        sub = self.subscription_of(method, path)
        if sub is None:
            return None
        capacity, refill = settings.read_bucket_capacity, settings.read_bucket_refill
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(sub)
            if bucket is None:
                bucket = self._buckets[sub] = TokenBucket(capacity, refill, now)
            ok, remaining, retry_after = bucket.take(now, capacity, refill)
            if not ok:
                self.throttled[sub] = self.throttled.get(sub, 0) + 1
        return Taken(ok, remaining, retry_after, sub)

    def refill_all(self):
        """Every bucket full again, and the 429 counts back to zero (between benchmark runs)."""
        with self._lock:
            self._buckets.clear()
            self.throttled.clear()

    def stats(self):
        with self._lock:
            now = self.clock()
            level = {}
            for sub, bucket in self._buckets.items():
                bucket._refill(now, bucket.capacity, bucket.refill)
                level[sub] = int(bucket.tokens)
            return {"remaining": level, "throttled": dict(self.throttled)}


def throttled_body(subscription, retry_after):
    """ARM's error for an empty read bucket (the wording of the live service, with our values)."""
    return {"error": {"code": THROTTLED_CODE,
                      "message": f"Number of 'read' requests for subscription '{subscription}' actor "
                                 f"'{SP_OBJECT_PLACEHOLDER}' exceeded. Please try again after '{retry_after}' "
                                 "seconds after additional tokens are available. Refer to "
                                 "https://aka.ms/arm-throttling"}}


SP_OBJECT_PLACEHOLDER = "33333333-3333-3333-3333-333333333333"
