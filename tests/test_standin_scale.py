"""The stand-in itself at tenant scale (fast, no az): ARM's read token bucket (throttle.py), many
subscriptions (the paged subscription list, a binding in one subscription binding an identity of
another), and Azure Resource Graph's cluster query (arg_routes.py: paging, quota, 403, bad queries).
The arithmetic is checked on a fake clock; the HTTP answers against a real in-process StandIn."""
import base64
import json

import pytest
import requests

from standin import SUBSCRIPTION, StandIn
from standin.arg_routes import UserQuota, hms, parse_query
from standin.login import SP_CLIENT_ID
from standin.throttle import REMAINING_READS, ReadBuckets, TokenBucket
from standin.world import ArmError, Cloud, subscription_id

ARG = "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
CLUSTER_QUERY = ("Resources | where type =~ 'microsoft.containerservice/managedclusters' "
                 "| project id, name, resourceGroup, subscriptionId, location")
CLUSTERS_API = "2025-10-01"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Knobs:
    read_throttling = True
    read_bucket_capacity = 250
    read_bucket_refill = 25.0


# -- the bucket's arithmetic ----------------------------------------------------------------------

def test_a_full_bucket_gives_its_capacity_then_refuses_with_retry_after():
    bucket = TokenBucket(250, 25, now=0.0)
    got = [bucket.take(0.0) for _ in range(250)]
    assert all(ok for ok, _, _ in got)
    assert [remaining for _, remaining, _ in got] == list(range(249, -1, -1))
    assert bucket.take(0.0) == (False, 0, 1)       # 1 token comes in 0.04 s: whole seconds, at least 1


def test_the_bucket_refills_at_its_rate_and_never_above_its_capacity():
    bucket = TokenBucket(250, 25, now=0.0)
    for _ in range(250):
        bucket.take(0.0)
    assert bucket.take(0.039)[0] is False          # 0.975 tokens
    assert bucket.take(0.041)[:2] == (True, 0)      # 1.025 tokens: one read
    assert bucket.take(0.2) == (True, 3, 0)          # 0.025 + 0.159 * 25 = 4 tokens, minus this one
    assert bucket.take(1000.0) == (True, 249, 0)   # refilled to 250, not 25,000
    # the floor of the benchmark: 2,000 reads need (2,000 - 250) / 25 = 70 s, the last one at t = 70 s
    bucket, ok = TokenBucket(250, 25, now=0.0), 0
    for second in range(71):
        while bucket.take(float(second))[0]:
            ok += 1
        assert ok == 250 + 25 * second
    assert ok == 2000


@pytest.mark.parametrize("refill, taken_before, retry_after", [(0.5, 0, 2), (0.3, 0, 4), (25, 0, 1), (2, 0, 1)])
def test_retry_after_is_the_whole_seconds_until_the_next_token(refill, taken_before, retry_after):
    bucket = TokenBucket(1, refill, now=0.0)
    assert bucket.take(0.0)[0]
    assert bucket.take(0.0) == (False, 0, retry_after)


def test_a_smaller_capacity_trims_and_a_refused_read_costs_nothing():
    bucket = TokenBucket(10, 1, now=0.0)
    assert bucket.take(0.0, capacity=3, refill=1) == (True, 2, 0)
    for _ in range(2):
        bucket.take(0.0, capacity=3, refill=1)
    for _ in range(5):
        assert bucket.take(0.5)[0] is False       # 0.5 tokens; refusals take none
    assert bucket.take(1.0)[:2] == (True, 0)


def test_read_buckets_meter_reads_per_subscription_only():
    clock, knobs = FakeClock(), Knobs()
    knobs.read_bucket_capacity, knobs.read_bucket_refill = 2, 1.0
    buckets = ReadBuckets(knobs, clock)
    a = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters"
    b = f"/subscriptions/{subscription_id(1)}/providers/Microsoft.ContainerService/managedClusters"
    assert [buckets.take("GET", a).ok for _ in range(3)] == [True, True, False]
    assert buckets.take("GET", b).ok                       # another subscription has its own bucket
    assert buckets.take("PUT", a) is None                  # writes are not reads
    assert buckets.take("POST", ARG.split("?")[0]) is None  # Resource Graph has its own quota
    assert buckets.take("GET", "/subscriptions") is None
    assert buckets.take("GET", f"/subscriptions/{SUBSCRIPTION}") is None
    assert buckets.stats()["throttled"] == {SUBSCRIPTION: 1}
    clock.now += 1.0
    assert buckets.take("GET", a).ok
    buckets.refill_all()
    assert buckets.take("GET", a).remaining == 1
    knobs.read_throttling = False
    assert buckets.take("GET", a) is None


def test_the_arg_quota_is_a_window_per_user():
    clock = FakeClock()
    quota = UserQuota(clock)
    assert [quota.take(3, 5.0)[:2] for _ in range(4)] == [(True, 2), (True, 1), (True, 0), (False, 0)]
    clock.now += 4.2
    assert quota.take(3, 5.0) == (False, 0, pytest.approx(0.8))
    clock.now += 0.8
    assert quota.take(3, 5.0)[:2] == (True, 2)
    assert (hms(0.8), hms(5), hms(3725)) == ("00:00:01", "00:00:05", "01:02:05")


@pytest.mark.parametrize("query", [
    "resources | where type =~ 'microsoft.containerservice/managedclusters'",
    "Resources\n| where type == \"microsoft.containerservice/managedclusters\"\n| project id, name, subscriptionId",
    "resources | where type =~ 'Microsoft.ContainerService/managedClusters' | project id | order by id asc",
])
def test_the_cluster_query_is_matched_loosely(query):
    parsed = parse_query(query)
    assert parsed.type == "microsoft.containerservice/managedclusters" and "id" in parsed.names


@pytest.mark.parametrize("query", [
    "resources", "resources | where type =~ 'microsoft.compute/virtualmachines'",
    "resources | where type =~ 'microsoft.containerservice/managedclusters' | project secret",
    "resources | where type =~ 'microsoft.containerservice/managedclusters' | summarize count()",
    "resources | where type =~ 'microsoft.containerservice/managedclusters' | project id | order by nope",
    "x" * 10000, "", None, 42, ["resources"],
])
def test_other_queries_are_refused_like_arg(query):
    with pytest.raises(ArmError) as info:
        parse_query(query)
    assert info.value.status == 400 and info.value.code == "BadRequest"
    assert info.value.body_extra["details"][0]["code"] == "InvalidQuery"


def test_a_binding_may_bind_an_identity_of_another_subscription():
    cloud = Cloud()
    home = cloud.add_subscription(SUBSCRIPTION)
    identity = home.add_identity("identity-rg", "shared")
    third = cloud.ensure_subscriptions(3)[2]
    third.add_cluster("rg-c", "far")
    third.add_binding("rg-c", "far", "ib", identity["id"])
    assert "aks-identity-binding" in home.fics[("identity-rg", "shared")]   # with the identity, not the cluster
    assert third.fics == {}
    assert [w.subscription for w in cloud.worlds.values()] == [SUBSCRIPTION, subscription_id(1), subscription_id(2)]
    cloud.seed_fleet(7, groups=2, subscriptions=3)
    assert [len(w.clusters) for w in cloud.worlds.values()] == [3, 2, 2 + 1]


# -- over HTTP ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def arm():
    with StandIn(lifetime=120, page_size=2) as standin:
        yield standin


@pytest.fixture
def fresh(arm):
    arm.reset(seed=True)
    arm.configure(page_size=2)
    return arm


@pytest.fixture(scope="module")
def session(arm):
    with requests.Session() as http:
        http.trust_env = False
        http.verify = arm.ca_path
        token = http.post(f"{arm.url}/adfs/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": SP_CLIENT_ID, "client_secret": arm.sp_secret}).json()
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield http


def _clusters_url(arm, sub):
    return f"{arm.url}/subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters?api-version={CLUSTERS_API}"


def test_http_reads_debit_their_subscriptions_bucket(fresh, session):
    fresh.cloud.ensure_subscriptions(2)
    fresh.configure(read_throttling=True, read_bucket_capacity=3, read_bucket_refill=0.5)
    answers = [session.get(_clusters_url(fresh, SUBSCRIPTION)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers[REMAINING_READS] for a in answers] == ["2", "1", "0", "0"]
    throttled = answers[-1]
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert f"subscription '{SUBSCRIPTION}'" in throttled.json()["error"]["message"]
    other = session.get(_clusters_url(fresh, subscription_id(1)))
    assert other.status_code == 200 and other.headers[REMAINING_READS] == "2"
    arg = session.post(fresh.url + ARG, json={"query": CLUSTER_QUERY})
    assert arg.status_code == 200 and REMAINING_READS not in arg.headers
    recorded = [(r["status"], r.get("throttled", False)) for r in fresh.requests() if r["route"] == "clusters_sub"]
    assert recorded == [(200, False)] * 3 + [(429, True), (200, False)]
    assert fresh.read_buckets.stats()["throttled"] == {SUBSCRIPTION: 1}
    fresh.read_buckets.refill_all()
    assert session.get(_clusters_url(fresh, SUBSCRIPTION)).status_code == 200


def test_http_without_throttling_nothing_is_metered(fresh, session):
    answer = session.get(_clusters_url(fresh, SUBSCRIPTION))
    assert answer.status_code == 200 and REMAINING_READS not in answer.headers


def test_http_the_subscription_list_is_paged_default_first(fresh, session):
    fresh.cloud.ensure_subscriptions(5)
    url, seen, pages = f"{fresh.url}/subscriptions?api-version=2022-12-01", [], 0
    while url:
        page = session.get(url).json()
        seen += [s["subscriptionId"] for s in page["value"]]
        url, pages = page.get("nextLink"), pages + 1
    assert pages == 3
    assert seen == [SUBSCRIPTION] + [subscription_id(k) for k in range(1, 5)]
    one = session.get(f"{fresh.url}/subscriptions/{subscription_id(4)}?api-version=2022-12-01").json()
    assert one["displayName"] == "Stand-in subscription 4"
    assert session.get(f"{fresh.url}/subscriptions/{subscription_id(9)}?api-version=2022-12-01").status_code == 404


def _arg_pages(session, arm, body):
    pages, token = [], None
    while True:
        options = {**body.get("options", {}), **({"$skipToken": token} if token else {})}
        answer = session.post(arm.url + ARG, json={**body, "options": options})
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        token = pages[-1].get("$skipToken")
        if not token:
            return pages


def test_http_arg_pages_every_cluster_of_every_subscription(fresh, session):
    fresh.world.clusters.clear()
    fresh.cloud.seed_fleet(14, groups=3, subscriptions=2)
    fresh.configure(arg_max_rows=5, arg_quota=100)
    pages = _arg_pages(session, fresh, {"query": CLUSTER_QUERY, "options": {"$top": 1000, "resultFormat": "objectArray"}})
    assert [p["count"] for p in pages] == [5, 5, 4]
    assert {p["totalRecords"] for p in pages} == {14} and {p["resultTruncated"] for p in pages} == {"false"}
    rows = [row for p in pages for row in p["data"]]
    assert len({row["id"] for row in rows}) == 14
    assert set(rows[0]) == {"id", "name", "resourceGroup", "subscriptionId", "location"}
    assert {row["subscriptionId"] for row in rows} == {SUBSCRIPTION, subscription_id(1)}
    assert all(row["resourceGroup"] == row["resourceGroup"].lower() for row in rows)
    # $top smaller than the page cap; a subscription filter
    only = _arg_pages(session, fresh, {"query": CLUSTER_QUERY, "subscriptions": [subscription_id(1).upper()],
                                       "options": {"$top": 3}})
    assert [p["count"] for p in only] == [3, 3, 1]
    assert {row["subscriptionId"] for p in only for row in p["data"]} == {subscription_id(1)}
    # ARG's requests are not ARM reads: no bucket header, and they are recorded with their bodies
    arg = [r for r in fresh.requests() if r["route"] == "arg"]
    assert len(arg) == 6 and arg[1]["body"]["options"]["$skipToken"] == pages[0]["$skipToken"]


def test_http_arg_without_id_cannot_page_and_table_format(fresh, session):
    fresh.configure(arg_max_rows=1, arg_quota=100)
    fresh.world.add_cluster("rg2", "cluster2")
    by_name = "resources | where type =~ 'microsoft.containerservice/managedclusters' | project name"
    page = session.post(fresh.url + ARG, json={"query": by_name}).json()
    assert (page["count"], page["totalRecords"], page["resultTruncated"]) == (1, 2, "true")
    assert "$skipToken" not in page
    table = session.post(fresh.url + ARG, json={"query": CLUSTER_QUERY, "options": {"resultFormat": "table"}}).json()
    assert [c["name"] for c in table["data"]["columns"]] == ["id", "name", "resourceGroup", "subscriptionId", "location"]
    assert len(table["data"]["rows"]) == 1 and table["$skipToken"]


@pytest.mark.parametrize("body, why", [
    ({"query": "resources | take 5"}, "InvalidQuery"),
    ({"query": CLUSTER_QUERY, "options": {"$top": 1001}}, "between 1 and 1000"),
    ({"query": CLUSTER_QUERY, "options": {"$top": "10"}}, "integer"),
    ({"query": CLUSTER_QUERY, "options": {"$skipToken": "not-a-token"}}, "$skipToken is invalid"),
    ({"query": CLUSTER_QUERY, "options": {"$skipToken": base64.b64encode(json.dumps({"o": 1, "q": "x"}).encode())
                                          .decode()}}, "$skipToken is invalid"),
    ({"query": CLUSTER_QUERY, "subscriptions": "all"}, "list of ids"),
    ({"query": CLUSTER_QUERY, "options": {"resultFormat": "csv"}}, "resultFormat"),
    ("resources", "JSON object"),
])
def test_http_arg_refuses_what_it_does_not_understand(fresh, session, body, why):
    answer = session.post(fresh.url + ARG, json=body)
    assert answer.status_code == 400, answer.text
    assert why in answer.text
    assert answer.headers["x-ms-user-quota-remaining"].isdigit()


def test_http_arg_quota_headers_then_429(fresh, session):
    fresh.configure(arg_quota=2, arg_quota_window=60.0)
    answers = [session.post(fresh.url + ARG, json={"query": CLUSTER_QUERY}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-ms-user-quota-remaining"] for a in answers] == ["1", "0", "0"]
    assert all(a.headers["x-ms-user-quota-resets-after"] in ("00:01:00", "00:00:59") for a in answers)
    assert answers[2].json()["error"]["code"] == "RateLimiting"


def test_http_arg_forbidden_switch(fresh, session):
    fresh.configure(arg_forbidden=True)
    answer = session.post(fresh.url + ARG, json={"query": CLUSTER_QUERY})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "AuthorizationFailed"
    assert "Microsoft.ResourceGraph/resources/read" in answer.json()["error"]["message"]
    assert session.get(fresh.url + ARG).status_code == 405


def test_http_a_binding_in_another_subscription_has_its_own_operation(fresh, session):
    fresh.configure(lro_in_progress_polls=0)
    other = fresh.cloud.ensure_subscriptions(2)[1]
    other.add_cluster("rg-b", "cluster-b")
    identity = fresh.world.identities[("identity-rg", "identity1")]["id"]
    url = (f"{fresh.url}/subscriptions/{other.subscription}/resourceGroups/rg-b/providers/Microsoft.ContainerService/"
           "managedClusters/cluster-b/identityBindings/ib?api-version=2026-04-01")
    put = session.put(url, json={"properties": {"managedIdentity": {"resourceId": identity}}})
    assert put.status_code == 201, put.text
    status_url = put.headers["Azure-AsyncOperation"]
    assert f"/subscriptions/{other.subscription}/" in status_url
    assert session.get(status_url).json()["status"] == "Succeeded"
    assert fresh.binding("rg-b", "cluster-b", "ib", subscription=other.subscription)["properties"][
        "provisioningState"] == "Succeeded"
    fic = (f"{fresh.url}{identity}/federatedIdentityCredentials/aks-identity-binding?api-version=2023-01-31")
    assert session.get(fic).status_code == 200
