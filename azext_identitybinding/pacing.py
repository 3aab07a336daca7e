"""Read pacing for fleet scans: follow ARM's read budget per subscription instead of a fixed pace.

Pure (stdlib only, no az): the clock and the sleep are parameters, so tests drive it with a fake
clock. ARM throttles reads per subscription with a token bucket (new model: 250 reads, refilled at
25 a second; old model: 12,000 an hour) and reports what is left in
`x-ms-ratelimit-remaining-subscription-reads`; it answers 429 with Retry-After when the bucket is
empty. The pacer keeps a mirror of each subscription's bucket:

* start fast: until a subscription has reported its budget, reads go out at once (the worker pool
  is the only limit);
* each answer's remaining-reads header resets the mirror (less the reads still in flight, which may
  not have been charged yet); between answers the mirror refills at the refill rate learned from
  successive headers (DEFAULT_REFILL until learned) and loses one token per read let through. A read
  waits while the mirror is below RESERVE;
* a 429 blocks the subscription until Retry-After has passed (every worker of that subscription
  waits, not only the throttled one), lowers the refill estimate once per episode, and asks for the
  read to be sent again: a read never fails for throttling while time remains;
* 5xx/408 answers are retried too, at most TRANSIENT_RETRIES times, after Retry-After or a backoff;
* everything stops at the deadline (`limit_s` after the pacer was made): `wait` raises OutOfTime.

API:  pacer = Pacer(limit_s=..., clock=time.monotonic, sleep=time.sleep)
      pacer.wait(key)                               before each request (blocks; may raise OutOfTime)
      retry = pacer.observe(key, status, headers, attempt)   after each answer; True: send it again
                                                    (status None: no answer; call it for every wait)
Thread-safe: one pacer serves every worker of a scan.
"""
import math
import threading
import time

DEFAULT_REFILL = 25.0       # reads/s: ARM's documented refill, used until a subscription's headers teach better
RESERVE = 5                 # tokens kept back in the mirror: reads in flight are charged before they answer
BURST_WITHOUT_HEADER = 10   # after a 429 without budget headers, the mirror holds at most this many tokens
DEFAULT_RETRY_AFTER = 5.0   # seconds, when a 429/503 carries no (readable) Retry-After
MAX_RETRY_AFTER = 300.0     # a Retry-After beyond this is clamped (a bogus value must not stall the scan)
TRANSIENT_RETRIES = 3       # 5xx/408 retries per request (429 is retried for as long as time remains)
SAMPLE_SECONDS = 1.0        # refill is learned from header readings at least this far apart
MIN_REFILL, MAX_REFILL = 0.05, 1000.0
THROTTLED_REFILL_FACTOR = 0.7
REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
TRANSIENT = frozenset({408, 500, 502, 503, 504})


class OutOfTime(Exception):
    """The scan's time limit passed before a read could be sent."""


def parse_seconds(value):
    """Retry-After as seconds (a number; an HTTP date is not worth a parser here), else None."""
    try:
        seconds = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


def parse_duration(value):
    """Resource Graph's `x-ms-user-quota-resets-after` (hh:mm:ss, seconds may have a fraction) as
    seconds, clamped to MAX_RETRY_AFTER; None if it does not parse."""
    parts = str(value or "").strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    total = hours * 3600 + minutes * 60 + seconds
    if math.isnan(total) or total < 0 or hours < 0 or minutes < 0:
        return None
    return min(total, MAX_RETRY_AFTER)


def _header(headers, name):
    """A header by name, case-insensitively, from a dict or a case-insensitive mapping."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None and hasattr(headers, "items"):
        for key, found in headers.items():
            if str(key).lower() == name:
                return found
    return value


def _remaining(headers):
    value = _header(headers, REMAINING_READS)
    try:
        remaining = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return remaining if remaining >= 0 else None


class _Budget:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """The mirror of one subscription's read bucket: a record the Pacer updates under its lock (the
    fields are the state of one bucket; splitting them would only spread it)."""

    def __init__(self, now):
        self.tokens = None          # None: no reading yet (start fast)
        self.at = now               # when `tokens` was true
        self.cap = None             # most tokens ever reported (the bucket's size, as far as we know)
        self.refill = DEFAULT_REFILL
        self.blocked_until = now
        self.anchor = None          # (time, remaining, answered) of the last refill sample
        self.in_flight = 0          # reads let through and not answered yet
        self.answered = 0           # reads answered (not 429): each took a token
        self.throttled = 0          # 429s seen

    def level(self, now):
        if self.tokens is None:
            return None
        ceiling = max(self.cap or 0, BURST_WITHOUT_HEADER)  # a first reading of 0 is not the bucket's size
        return min(float(ceiling), self.tokens + self.refill * (now - self.at))


class Pacer:
    """Paces reads per key (a subscription id) until a deadline; see the module docstring."""

    def __init__(self, limit_s, clock=time.monotonic, sleep=time.sleep):
        self._clock, self._sleep = clock, sleep
        self.deadline = clock() + limit_s
        self._lock = threading.Lock()
        self._budgets = {}
        self._floor = float("-inf")  # the latest time a finished sleep was meant to reach (see _now)
        self.slept = 0.0  # seconds spent waiting, summed over workers (for the caller's log line)

    def _budget(self, key, now):
        key = str(key).lower()
        if key not in self._budgets:
            self._budgets[key] = _Budget(now)
        return self._budgets[key]

    def _now(self):
        """The clock, but never earlier than where a finished sleep was meant to wake: true of any
        real clock, and what keeps a fake sleep (one that returns at once) from spinning."""
        return max(self._clock(), self._floor)

    def time_left(self):
        return self.deadline - self._now()

    def wait(self, key):
        """Block until a read for `key` may be sent; raise OutOfTime once the deadline has passed."""
        while True:
            with self._lock:
                now = self._now()
                if now >= self.deadline:
                    raise OutOfTime()
                budget = self._budget(key, now)
                delay = budget.blocked_until - now
                if delay <= 0:
                    level = budget.level(now)
                    if level is None or level >= RESERVE:
                        if level is not None:
                            budget.tokens, budget.at = level - 1, now
                        budget.in_flight += 1
                        return
                    delay = (RESERVE - level) / budget.refill
                delay = max(min(delay, self.deadline - now), 0.001)
            self._sleep(delay)
            with self._lock:
                self.slept += delay
                self._floor = max(self._floor, now + delay)

    def observe(self, key, status, headers=None, attempt=1):
        """Record the answer to a read `wait` let through for `key` (status None: it got no answer, e.g.
        the connection failed); True if the read should be sent again (after `wait`)."""
        with self._lock:
            now = self._now()
            budget = self._budget(key, now)
            budget.in_flight = max(0, budget.in_flight - 1)
            if status is None:
                return False
            if status != 429:
                budget.answered += 1
            remaining = _remaining(headers)
            if remaining is not None:
                self._learn(budget, now, remaining)
            if status == 429:
                budget.throttled += 1
                pause = parse_seconds(_header(headers, "retry-after"))
                pause = DEFAULT_RETRY_AFTER if pause is None else pause
                if now >= budget.blocked_until:  # a new episode (the reads in flight get their 429s too)
                    budget.refill = max(MIN_REFILL, budget.refill * THROTTLED_REFILL_FACTOR)
                budget.blocked_until = max(budget.blocked_until, now + pause)
                # Retry-After is when the service expects to take reads again: the first may go then,
                # the rest at the refill rate (lowered: the mirror let the real bucket run dry).
                budget.tokens, budget.at = float(RESERVE), budget.blocked_until
                budget.anchor = None
                return now + pause < self.deadline
            if status in TRANSIENT:
                if attempt > TRANSIENT_RETRIES:
                    return False
                pause = parse_seconds(_header(headers, "retry-after"))
                pause = min(2.0 ** (attempt - 1), 30.0) if pause is None else pause
                budget.blocked_until = max(budget.blocked_until, now + pause)
                return now + pause < self.deadline
            return False

    @staticmethod
    def _learn(budget, now, remaining):
        """A budget reading: reset the mirror to it, and learn the refill rate from readings apart in
        time taken while the bucket was below its cap (a full bucket does not show its refill)."""
        budget.cap = remaining if budget.cap is None else max(budget.cap, remaining)
        # The reads still in flight may not have been charged when this answer's count was taken:
        # assume they were not (at worst the mirror runs a few tokens behind the real bucket).
        budget.tokens, budget.at = float(remaining - budget.in_flight), now
        below_cap = remaining < 0.9 * budget.cap
        if budget.anchor is None or not below_cap:
            budget.anchor = (now, remaining, budget.answered) if below_cap else None
            return
        then, was, answered_then = budget.anchor
        if now - then < SAMPLE_SECONDS:
            return
        sample = (remaining - was + (budget.answered - answered_then)) / (now - then)
        if sample > 0:
            budget.refill = min(MAX_REFILL, max(MIN_REFILL, 0.5 * budget.refill + 0.5 * sample))
        budget.anchor = (now, remaining, budget.answered)

    def throttled(self):
        """{key: number of 429 answers} for the keys that were throttled."""
        with self._lock:
            return {k: b.throttled for k, b in self._budgets.items() if b.throttled}
