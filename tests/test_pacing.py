"""pacing.py against a simulated ARM read bucket on a fake clock: start fast, slow down to the
refill rate, honour Retry-After, never give up a read for throttling while time remains."""
import math
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from azext_identitybinding import pacing
from azext_identitybinding.pacing import OutOfTime, Pacer, parse_duration, parse_seconds

SUB = "00000000-0000-0000-0000-000000000000"


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


class Bucket:
    """ARM's per-subscription read bucket: `cap` reads, refilled at `refill` a second; 429 with an
    integer Retry-After when empty; the remaining reads in a header on every answer."""

    def __init__(self, clock, cap=250, refill=25.0, header=True):
        self.clock, self.cap, self.refill, self.header = clock, cap, refill, header
        self.tokens, self.at, self.throttled = float(cap), clock(), 0

    def read(self):
        now = self.clock()
        self.tokens = min(self.cap, self.tokens + self.refill * (now - self.at))
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 200, ({pacing.REMAINING_READS: str(int(self.tokens))} if self.header else {})
        self.throttled += 1
        headers = {"Retry-After": str(max(1, math.ceil((1 - self.tokens) / self.refill)))}
        if self.header:
            headers[pacing.REMAINING_READS] = "0"
        return 429, headers


def drive(pacer, bucket, reads, key=SUB, latency=0.0, clock=None):
    """Send `reads` reads one after another through the pacer; (failed reads, requests sent)."""
    failed = sent = 0
    for _ in range(reads):
        attempt = 0
        while True:
            attempt += 1
            try:
                pacer.wait(key)
            except OutOfTime:
                failed += 1
                break
            sent += 1
            status, headers = bucket.read()
            if clock and latency:
                clock.now += latency
            if not pacer.observe(key, status, headers, attempt):
                failed += status != 200
                break
    return failed, sent


def test_a_fresh_subscription_is_read_at_once():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, cap=12_000, refill=12_000 / 3600)  # the older model: 12,000 reads an hour
    assert drive(pacer, bucket, 2000) == (0, 2000)
    assert clock.sleeps == [] and bucket.throttled == 0


def test_2000_reads_of_one_subscription_take_the_bucket_floor_and_none_fails():
    clock = Clock()
    start = clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock)
    failed, sent = drive(pacer, bucket, 2000)
    floor = (2000 - 250) / 25
    assert failed == 0
    assert clock() - start <= 1.15 * floor, clock() - start
    assert sent - 2000 == bucket.throttled <= 3  # the mirror keeps the real bucket from running dry


def test_without_budget_headers_429s_are_waited_out_and_the_pace_drops():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, cap=50, refill=5.0, header=False)
    failed, _ = drive(pacer, bucket, 300)
    assert failed == 0
    assert bucket.throttled < 60  # each 429 lowers the pace: not one 429 per read
    assert pacer.throttled() == {SUB: bucket.throttled}


def test_a_429_holds_its_subscription_for_retry_after_and_not_the_others():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    pacer.wait(SUB)
    assert pacer.observe(SUB, 429, {"Retry-After": "7"}) is True
    pacer.wait("other")
    assert clock.sleeps == []  # another subscription's budget is its own
    pacer.wait(SUB.upper())  # keys are case-insensitive
    assert clock.sleeps == [7.0]


def test_retry_after_in_any_header_casing_is_honoured():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    pacer.observe(SUB, 429, {"RETRY-AFTER": "4"})
    pacer.wait(SUB)
    assert clock.sleeps == [4.0]


def test_throttling_past_the_time_limit_gives_up_instead_of_waiting():
    clock = Clock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    assert pacer.observe(SUB, 429, {"Retry-After": "60"}) is False  # would end after the limit
    with pytest.raises(OutOfTime):
        pacer.wait(SUB)
    assert sum(clock.sleeps) <= 10


def test_transient_errors_are_retried_a_few_times_then_reported():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    assert [pacer.observe(SUB, 503, {}, attempt) for attempt in (1, 2, 3, 4)] == [True, True, True, False]
    assert pacer.observe(SUB, 404, {}) is False and pacer.observe(SUB, 200, {}) is False


@pytest.mark.parametrize("value, seconds", [("2", 2.0), (" 1.5 ", 1.5), ("0", 0.0), ("-1", None), ("nan", None),
                                            ("inf", pacing.MAX_RETRY_AFTER), ("soon", None), (None, None),
                                            ("9" * 400, pacing.MAX_RETRY_AFTER),
                                            ("Wed, 21 Oct 2026 07:28:00 GMT", None)])
def test_retry_after_values(value, seconds):
    assert parse_seconds(value) == seconds


@pytest.mark.parametrize("value, seconds", [("00:00:03", 3.0), ("00:01:00.5", 60.5), ("01:00:00", 300.0),
                                            ("3", None), ("a:b:c", None), ("-1:00:00", None), ("", None),
                                            (None, None), ("00:00:nan", None)])
def test_quota_reset_values(value, seconds):
    assert parse_duration(value) == seconds


@settings(max_examples=40, deadline=None)
@given(cap=st.integers(20, 600), refill=st.floats(1.0, 60.0), reads=st.integers(1, 1500),
       header=st.booleans(), latency=st.sampled_from([0.0, 0.02, 0.2]))
def test_no_read_fails_for_throttling_while_time_remains(cap, refill, reads, header, latency):
    clock = Clock()
    start = clock()
    pacer = Pacer(3600, clock=clock, sleep=clock.sleep)
    bucket = Bucket(clock, cap=cap, refill=refill, header=header)
    failed, sent = drive(pacer, bucket, reads, latency=latency, clock=clock)
    assert failed == 0
    floor = max(0.0, (reads - cap) / refill)
    if header:  # the budget headers let the pacer follow the bucket closely
        assert clock() - start <= 1.3 * floor + reads * latency + 5, (clock() - start, floor)
        assert bucket.throttled <= 3 + reads // 100
    assert sent == reads + bucket.throttled


def test_threads_share_one_pacer():
    """Real threads and clock: 8 workers, a small fast bucket; every read gets through."""
    bucket_lock = threading.Lock()
    bucket = Bucket(time.monotonic, cap=20, refill=400.0)
    pacer = Pacer(30)
    failures = []

    def read():
        with bucket_lock:
            return bucket.read()

    def worker():
        for _ in range(40):
            attempt = 0
            while True:
                attempt += 1
                pacer.wait(SUB)
                status, headers = read()
                if not pacer.observe(SUB, status, headers, attempt):
                    if status != 200:
                        failures.append(status)
                    break

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == [] and not any(t.is_alive() for t in threads)


def test_32_threads_with_latency_follow_the_bucket_without_running_it_dry():
    """Real threads and clock, scaled down from the benchmark (2,000 reads, 250/25 per second, 50 ms):
    a bucket of 50 refilled at 250 a second, 550 reads by 32 workers with 10 ms latency. The reads in
    flight must be counted against the mirror: without that, the 32 workers run the bucket dry again
    and again (tens of 429s, and the pace collapses)."""
    lock = threading.Lock()
    bucket = Bucket(time.monotonic, cap=50, refill=250.0)
    pacer = Pacer(60)
    failures = []

    def read(_):
        attempt = 0
        while True:
            attempt += 1
            pacer.wait(SUB)
            time.sleep(0.005)
            with lock:
                status, headers = bucket.read()
            time.sleep(0.005)
            if not pacer.observe(SUB, status, headers, attempt):
                if status != 200:
                    failures.append(status)
                return

    from concurrent.futures import ThreadPoolExecutor
    start = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(read, range(550)))
    took = time.monotonic() - start
    assert failures == []
    assert bucket.throttled <= 5, bucket.throttled
    assert took < 3 * (500 / 250), took  # the floor is 2 s; generous for a loaded machine


def test_a_read_without_an_answer_is_no_longer_in_flight():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.wait(SUB)
        assert pacer.observe(SUB, None) is False
    pacer.wait(SUB)
    pacer.observe(SUB, 200, {pacing.REMAINING_READS: "100"})
    budget = pacer._budgets[SUB]  # pylint: disable=protected-access
    assert budget.in_flight == 0 and budget.tokens == 100


# -- the tuning, pinned exactly (issue 21: each of these survived a one-line mutation) ---------------

def _immediate_reads(pacer, clock, key=SUB, most=100):
    """How many reads `wait` lets through before it first has to sleep (the clock does not move)."""
    before = len(clock.sleeps)
    for n in range(most):
        pacer.wait(key)
        if len(clock.sleeps) > before:
            return n
    return most


def test_reads_in_flight_are_held_back_from_the_reported_budget():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    for _ in range(11):  # no budget known yet: all go at once
        pacer.wait(SUB)
    assert clock.sleeps == []
    # One answers, reporting 20 reads left; the other 10 are still in flight and may not be charged yet.
    pacer.observe(SUB, 200, {pacing.REMAINING_READS: "20"})
    # The mirror holds 20 - 10 = 10; reads go while it holds at least RESERVE (5): 10, 9, 8, 7, 6, 5.
    assert pacing.RESERVE == 5
    assert _immediate_reads(pacer, clock) == 6


def test_without_reads_in_flight_the_whole_reported_budget_above_the_reserve_is_used():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    pacer.wait(SUB)
    pacer.observe(SUB, 200, {pacing.REMAINING_READS: "20"})
    assert _immediate_reads(pacer, clock) == 16  # 20 down to 5


def _gap_after_episode(pacer, clock, throttled_reads, retry_after=2):
    """`throttled_reads` reads in flight all answered 429 at the same moment (one throttling episode);
    the time between the first two reads let through afterwards: 1 / the refill rate then assumed."""
    for _ in range(throttled_reads):
        pacer.wait(SUB)
    for _ in range(throttled_reads):
        assert pacer.observe(SUB, 429, {"Retry-After": str(retry_after), pacing.REMAINING_READS: "0"})
    pacer.wait(SUB)
    first = clock()
    pacer.wait(SUB)
    second = clock()
    pacer.observe(SUB, 200)
    pacer.observe(SUB, 200)
    return second - first


def test_the_pace_drops_once_per_throttling_episode_not_once_per_429():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    factor = pacing.THROTTLED_REFILL_FACTOR
    # Four 429s of one episode: the refill estimate is lowered once (25 * 0.7), not four times. (A sleep
    # is at least 1 ms, so the measured gap may be up to 1 ms longer.)
    assert _gap_after_episode(pacer, clock, 4) == pytest.approx(1 / (pacing.DEFAULT_REFILL * factor), abs=0.0015)
    # A later episode lowers it again, once.
    assert _gap_after_episode(pacer, clock, 3) == pytest.approx(1 / (pacing.DEFAULT_REFILL * factor ** 2),
                                                                abs=0.0015)
    assert factor == 0.7 and pacing.DEFAULT_REFILL == 25.0


def _pause_after(status, headers, attempt=1):
    """Seconds `wait` holds the subscription after one answer (the fake clock does not move otherwise)."""
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    pacer.wait(SUB)
    again = pacer.observe(SUB, status, headers, attempt)
    start = clock()
    pacer.wait(SUB)
    return again, round(clock() - start, 3), pacer


@pytest.mark.parametrize("status, headers, attempt, pause", [
    (429, {}, 1, pacing.DEFAULT_RETRY_AFTER),            # no Retry-After: the default
    (429, {"Retry-After": "2"}, 1, 2.0),
    (503, {}, 1, 1.0), (503, {}, 2, 2.0), (503, {}, 3, 4.0),  # backoff 1, 2, 4 s
    (500, {"retry-after": "7"}, 1, 7.0),                # a 5xx's own Retry-After wins
    (408, {}, 3, 4.0),
])
def test_the_pause_after_each_kind_of_answer(status, headers, attempt, pause):
    again, waited, _ = _pause_after(status, headers, attempt)
    assert again is True and waited == pytest.approx(pause, abs=0.002)


def test_transient_backoff_is_capped_and_then_given_up():
    assert _pause_after(502, {}, 3)[1] == pytest.approx(4.0, abs=0.002)
    assert _pause_after(502, {}, pacing.TRANSIENT_RETRIES + 1)[0] is False


def test_a_throttled_read_is_not_counted_as_answered_and_time_is_summed():
    clock = Clock()
    pacer = Pacer(600, clock=clock, sleep=clock.sleep)
    pacer.wait(SUB)
    pacer.observe(SUB, 429, {"Retry-After": "1"})
    pacer.wait(SUB)
    pacer.observe(SUB, 429, {"Retry-After": "2"})
    pacer.wait(SUB)
    assert pacer.slept == pytest.approx(3.0, abs=0.01) and pacer.throttled() == {SUB: 2}
    budget = pacer._budgets[SUB]  # pylint: disable=protected-access
    assert budget.answered == 0
    pacer.observe(SUB, 200, {pacing.REMAINING_READS: "100"})
    assert budget.answered == 1
