"""The stand-in's world for `migrate` (fast, no az): user-assigned identities and their federated
identity credentials as ARM serves them (arm-api.md §6: list paged by nextLink/$skipToken, get, PUT
201/200, DELETE 200/204, 404 CloudError), clusters with their OIDC issuer and readiness, Resource
Graph over identities and clusters, the read/delete buckets, and the seeded scenarios
(tests/standin/scenarios.py), whose expectations are checked against the seed itself here."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from standin import AKS_FIC_NAME, SUBSCRIPTION, StandIn
from standin import scenarios
from standin.arg_routes import parse_query
from standin.login import SP_CLIENT_ID
from standin.throttle import REMAINING_DELETES, REMAINING_READS
from standin.world import ArmError, Cloud, subscription_id

MI_API = "2024-11-30"
ARG = "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
IDENTITY_QUERY = ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' "
                  "| project id, name, subscriptionId, clientId = tostring(properties.clientId) | order by id asc")
ISSUER_QUERY = ("resources | where type =~ 'microsoft.containerservice/managedclusters' "
                "| project id, name, subscriptionId, issuer = tostring(properties.oidcIssuerProfile.issuerURL)")


# -- the seeded scenario, without HTTP ------------------------------------------------------------

def test_the_migration_scenario_is_the_issues_identity():
    cloud = Cloud()
    migration = scenarios.seed_migration(cloud)
    home = cloud.world(SUBSCRIPTION)
    fics = home.fics[(scenarios.IDENTITY_RG, scenarios.IDENTITY_NAME)]
    assert len(fics) == migration.used == 18
    assert len(migration.clusters) == 4
    assert {c.subscription for c in migration.clusters} == {SUBSCRIPTION, subscription_id(1)}
    assert len(migration.replaced) == 12 and migration.after == 6       # "18/20 -> 6/20"
    # every workload FIC carries its cluster's issuer exactly and a service-account subject
    for cluster in migration.clusters:
        for name in cluster.replaces:
            props = fics[name]["properties"]
            assert props["issuer"] == cluster.issuer and props["issuer"].endswith("/")
            assert props["subject"].startswith("system:serviceaccount:")
            assert props["subject"].split(":", 2)[2].replace(":", "/") in cluster.service_accounts
    issuers = {c.issuer for c in migration.clusters}
    slash, cased = (fics[n]["properties"]["issuer"] for n in migration.never_worked)
    assert slash + "/" in issuers and slash not in issuers
    assert cased not in issuers and cased.lower() in {i.lower() for i in issuers}
    all_issuers = {c["properties"]["oidcIssuerProfile"].get("issuerURL") for _, c in cloud.clusters()}
    assert fics[migration.deleted[0]]["properties"]["issuer"] not in all_issuers
    assert fics[migration.deleted[0]]["properties"]["issuer"].startswith("https://eastus.oic.prod-aks.azure.com/")
    others = {fics[n]["properties"]["issuer"] for n in migration.other}
    assert others == {scenarios.GITHUB_ISSUER, scenarios.EKS_ISSUER}
    assert AKS_FIC_NAME in fics and migration.cluster("aks-stage").binding == "sharedwi"
    every = set(migration.replaced) | set(migration.never_worked) | set(migration.deleted) | set(migration.other)
    assert every | {AKS_FIC_NAME} == set(fics)


def test_the_audit_scenario_spans_three_subscriptions():
    cloud = Cloud()
    _, rows = scenarios.seed_audit(cloud)
    assert {r.identity.split("/")[2] for r in rows.values()} == {subscription_id(k) for k in range(3)}
    used = sorted((r.used, r.status) for r in rows.values())
    assert used == [(0, "ok"), (2, "ok"), (18, "near-full"), (20, "full")]
    for row in rows.values():
        parts = row.identity.split("/")
        world = cloud.world(parts[2])
        assert len(world.fics[(parts[4].lower(), parts[8].lower())]) == row.used


def test_not_ready_clusters_carry_their_reason():
    cloud = Cloud()
    scenarios.seed_migration(cloud, not_ready="aks-tools")
    tools = cloud.world(subscription_id(1)).clusters[("tools-rg", "aks-tools")]["properties"]
    assert tools["apiServerAccessProfile"]["enableVnetIntegration"] is True
    plain = cloud.world(SUBSCRIPTION)
    plain.add_cluster("x-rg", "no-oidc", oidc_issuer=False, workload_identity=False)
    props = plain.clusters[("x-rg", "no-oidc")]["properties"]
    assert props["oidcIssuerProfile"] == {"enabled": False}
    assert props["securityProfile"]["workloadIdentity"]["enabled"] is False


def test_the_benchmark_worlds():
    cloud = Cloud()
    assert scenarios.seed_audit_scale(cloud, identities=50, fics=10, subscriptions=10) == 500
    assert sum(len(w.identities) for w in cloud.worlds.values()) == 50
    assert {len(w.identities) for w in cloud.worlds.values()} == {5}
    cloud = Cloud()
    identity = scenarios.seed_plan_scale(cloud, clusters=200, fics=20, subscriptions=4)
    fics = cloud.world(SUBSCRIPTION).fics[("plan-rg", "plan-wi")]
    issuers = {c["properties"]["oidcIssuerProfile"]["issuerURL"] for _, c in cloud.clusters()}
    assert len(fics) == 20 and len({f["properties"]["issuer"] for f in fics.values()}) == 20
    assert {f["properties"]["issuer"] for f in fics.values()} <= issuers
    assert identity.endswith("/plan-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/plan-wi")


# -- Resource Graph's KQL subset --------------------------------------------------------------------

@pytest.mark.parametrize("query, error", [
    ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' | project secret", "unknown column"),
    ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' | summarize count()", "operator"),
    ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' or name == 'x'", "expected"),
    ("resources | where name =~ 'x'", "only queries of one type"),
    ("resources | where type in~ ('microsoft.managedidentity/userassignedidentities', "
     "'microsoft.containerservice/managedclusters')", "one type a query"),
    ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' | project id, "
     "x = tostring(properties.clientId) | order by clientId", "order by an unknown column"),
])
def test_queries_the_stand_in_does_not_understand_are_refused(query, error):
    with pytest.raises(ArmError) as info:
        parse_query(query)
    assert info.value.status == 400 and error in info.value.body_extra["details"][1]["message"]


def test_kql_semantics_that_a_client_could_get_wrong():
    cloud = Cloud()
    scenarios.seed_migration(cloud)
    from standin.arg_routes import cluster_row
    rows = [cluster_row(w, c) for w, c in cloud.clusters()]

    def run(query):
        return parse_query(query).run(rows)
    # property keys inside a dynamic value are case-sensitive: issuerUrl (az's spelling) is not there
    wrong = run("resources | where type =~ 'microsoft.containerservice/managedclusters' "
                "| project id, issuer = tostring(properties.oidcIssuerProfile.issuerUrl)")
    assert len(wrong) == 5 and {r["issuer"] for r in wrong} == {""}
    right = run(ISSUER_QUERY + " | order by issuer desc")
    assert [r["issuer"] for r in right] == sorted((r["issuer"] for r in right), key=str.lower, reverse=True)
    # == compares exactly, and ARG's type is lower-case
    assert run("resources | where type == 'Microsoft.ContainerService/managedClusters'") == []
    assert len(run("resources | where type == 'microsoft.containerservice/managedclusters'")) == 5
    ready = run("resources | where type =~ 'microsoft.containerservice/managedclusters' "
                "and tobool(properties.apiServerAccessProfile.enableVnetIntegration) == 'false' "
                "| extend wi = tobool(properties.securityProfile.workloadIdentity.enabled) "
                "| where isnotempty(properties.oidcIssuerProfile.issuerURL) | project id, wi | take 3")
    assert len(ready) == 3 and all(r["wi"] is True for r in ready)
    assert run("resources | where type =~ 'microsoft.containerservice/managedclusters' and "
               "properties['oidcIssuerProfile']['issuerURL'] in~ ('NOPE') | project id") == []


# -- over HTTP --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def arm():
    with StandIn(lifetime=120) as standin:
        yield standin


@pytest.fixture
def migration(arm):
    arm.reset(seed=True)
    return scenarios.seed_migration(arm.cloud)


@pytest.fixture(scope="module")
def session(arm):
    with requests.Session() as http:
        http.trust_env = False
        http.verify = arm.ca_path
        token = http.post(f"{arm.url}/adfs/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": SP_CLIENT_ID, "client_secret": arm.sp_secret}).json()
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield http


def _fics_url(arm, identity, name=None, top=None):
    url = f"{arm.url}{identity}/federatedIdentityCredentials" + (f"/{name}" if name else "")
    return url + f"?api-version={MI_API}" + (f"&$top={top}" if top else "")


def _all(session, url):
    pages, items = [], []
    while url:
        answer = session.get(url)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page)
        items += page["value"]
        url = page.get("nextLink")
    return pages, items


def test_http_fic_list_is_paged_by_nextlink_with_skiptoken(arm, migration, session):
    arm.configure(fic_page_size=5)
    pages, items = _all(session, _fics_url(arm, migration.identity))
    assert [len(p["value"]) for p in pages] == [5, 5, 5, 3]
    assert len({i["name"] for i in items}) == 18
    for page in pages[:-1]:
        link = urlsplit(page["nextLink"])
        assert f"{link.scheme}://{link.netloc}" == arm.url          # same host, absolute
        assert link.path.endswith("/federatedIdentityCredentials")
        assert set(parse_qs(link.query)) == {"api-version", "$skipToken"}
    assert "nextLink" not in pages[-1]
    first = items[0]
    assert set(first) == {"id", "name", "type", "properties"}
    assert first["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    assert set(first["properties"]) == {"issuer", "subject", "audiences"}
    # the client's $top wins over the stand-in's page size
    assert len(session.get(_fics_url(arm, migration.identity, top=20)).json()["value"]) == 18


def test_http_fic_get_put_delete_as_arm_answers(arm, migration, session):
    identity = migration.identity
    one = session.get(_fics_url(arm, identity, "github-deploy"))
    assert one.status_code == 200 and one.json()["properties"]["issuer"] == scenarios.GITHUB_ISSUER
    missing = session.get(_fics_url(arm, identity, "nope-nope"))
    assert missing.status_code == 404 and set(missing.json()["error"]) == {"code", "message"}
    body = {"properties": {"issuer": "https://token.actions.githubusercontent.com",
                           "subject": "repo:contoso/other:ref:refs/heads/main",
                           "audiences": ["api://AzureADTokenExchange"]}}
    created = session.put(_fics_url(arm, identity, "gh-other"), json=body)
    assert created.status_code == 201, created.text
    assert created.json()["properties"] == body["properties"]
    assert session.put(_fics_url(arm, identity, "gh-other"), json=body).status_code == 200   # replaced
    # 20 is the limit: the 20th is accepted, the 21st refused
    body2 = {"properties": {**body["properties"], "subject": "repo:contoso/third:ref:refs/heads/main"}}
    assert session.put(_fics_url(arm, identity, "gh-third"), json=body2).status_code == 201
    body3 = {"properties": {**body["properties"], "subject": "repo:contoso/fourth:ref:refs/heads/main"}}
    full = session.put(_fics_url(arm, identity, "gh-fourth"), json=body3)
    assert full.status_code == 400 and "maximum of 20" in full.json()["error"]["message"]
    # issuer + subject are unique per identity; names follow the pattern
    assert session.put(_fics_url(arm, identity, "github-deploy"), json=body).status_code == 409
    assert session.put(_fics_url(arm, identity, "x"), json=body).status_code == 400
    assert session.put(_fics_url(arm, identity, "gh-bad"), json={"properties": {"issuer": "https://a"}}
                       ).status_code == 400
    # delete: 200, then 204 for a credential that is not there
    assert session.delete(_fics_url(arm, identity, "gh-other")).status_code == 200
    assert session.delete(_fics_url(arm, identity, "gh-other")).status_code == 204
    assert arm.world.fic(scenarios.IDENTITY_RG, scenarios.IDENTITY_NAME, "gh-other") is None
    gone = session.get(f"{arm.url}{identity[:-1]}x/federatedIdentityCredentials?api-version={MI_API}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"


def test_http_identities_are_listed_per_subscription_and_group(arm, session):
    arm.reset(seed=True)
    _, rows = scenarios.seed_audit(arm.cloud)
    arm.configure(page_size=2)
    try:
        for k, expected in ((0, 3), (1, 1), (2, 2)):   # the default identity1/identity2 + shared-wi ...
            _, items = _all(session, f"{arm.url}/subscriptions/{subscription_id(k)}/providers/"
                                     f"Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MI_API}")
            assert len(items) == expected
            assert all(set(i["properties"]) == {"tenantId", "principalId", "clientId"} for i in items)
        _, items = _all(session, f"{arm.url}/subscriptions/{subscription_id(2)}/resourceGroups/ops-rg/providers/"
                                 f"Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MI_API}")
        assert sorted(i["name"] for i in items) == ["empty-wi", "small-wi"]
    finally:
        arm.configure(page_size=100)
    identity = session.get(f"{arm.url}{scenarios.identity_id(SUBSCRIPTION, 'wi-rg', 'shared-wi')}"
                           f"?api-version={MI_API}").json()
    assert identity["properties"]["clientId"] and identity["properties"]["tenantId"] == arm.world.tenant


def test_http_resource_graph_answers_identities_and_issuers(arm, session):
    arm.reset(seed=True)
    arm.configure(arg_max_rows=3, arg_quota=100)
    _, rows = scenarios.seed_audit(arm.cloud)
    token, found = None, []
    while True:
        options = {"$top": 1000, **({"$skipToken": token} if token else {})}
        page = session.post(arm.url + ARG, json={"query": IDENTITY_QUERY, "options": options}).json()
        found += page["data"]
        token = page.get("$skipToken")
        if not token:
            break
    # identity1, identity2 of the default seed and the four of the scenario
    assert len(found) == 6 and {r["id"].lower() for r in found} >= set(rows)
    assert all(r["clientId"] for r in found) and set(found[0]) == {"id", "name", "subscriptionId", "clientId"}
    arm.configure(arg_max_rows=1000)
    issuers = session.post(arm.url + ARG, json={"query": ISSUER_QUERY,
                                                "subscriptions": [subscription_id(1)]}).json()["data"]
    assert sorted(r["name"] for r in issuers) == ["aks-stage", "aks-tools", "aks-unrelated"]
    assert all(r["issuer"].startswith("https://") and r["issuer"].endswith("/") for r in issuers)


def test_http_credential_reads_and_deletes_take_from_the_subscriptions_buckets(arm, migration, session):
    arm.configure(read_throttling=True, read_bucket_capacity=3, read_bucket_refill=0.5,
                  write_throttling=True, delete_bucket_capacity=1, delete_bucket_refill=0.5)
    try:
        reads = [session.get(_fics_url(arm, migration.identity, "github-deploy")) for _ in range(4)]
        assert [r.status_code for r in reads] == [200, 200, 200, 429]
        assert [r.headers[REMAINING_READS] for r in reads] == ["2", "1", "0", "0"]
        deletes = [session.delete(_fics_url(arm, migration.identity, n)) for n in ("github-deploy", "eks-payments-api")]
        assert [d.status_code for d in deletes] == [200, 429]
        assert deletes[0].headers[REMAINING_DELETES] == "0" and deletes[1].headers["Retry-After"] == "2"
        assert "'delete' requests" in deletes[1].json()["error"]["message"]
        assert arm.world.fic("wi-rg", "shared-wi", "eks-payments-api") is not None   # refused: not carried out
        stats = arm.read_buckets.stats()
        assert stats["throttled"] == {SUBSCRIPTION: 1}
        assert stats["throttled_changes"] == {f"delete/{SUBSCRIPTION}": 1}
    finally:
        arm.configure(read_throttling=False, write_throttling=False)


def test_http_a_credential_changed_right_after_the_list(arm, migration, session):
    """after(): the world changes between a client's list and its next request."""
    def edit(standin):
        standin.world.fic("wi-rg", "shared-wi", "prod-east-payments-api")["properties"]["subject"] = \
            "system:serviceaccount:payments:other"
    hook = arm.after("fics", edit)
    _, listed = _all(session, _fics_url(arm, migration.identity))
    before = next(f for f in listed if f["name"] == "prod-east-payments-api")
    assert before["properties"]["subject"] == "system:serviceaccount:payments:api"
    now = session.get(_fics_url(arm, migration.identity, "prod-east-payments-api")).json()
    assert now["properties"]["subject"] == "system:serviceaccount:payments:other"
    assert hook["hits"] == 1
    _all(session, _fics_url(arm, migration.identity))
    assert hook["hits"] == 1                       # once only


def test_admin_seed_builds_the_benchmark_worlds(arm):
    arm.reset(seed=False)
    answer = arm.admin("POST", "/_standin/seed", {"subscriptions": 10,
                                                  "audit_scale": {"identities": 30, "fics": 10, "subscriptions": 10}})
    assert answer.status == 200 and answer.body["fics"] == 300 and answer.body["identities"] == 30
    arm.reset(seed=False)
    answer = arm.admin("POST", "/_standin/seed", {"plan_scale": {"clusters": 100, "fics": 20, "subscriptions": 2}})
    assert answer.body["clusters"] == 100 and answer.body["identity"].endswith("/plan-wi")


@pytest.mark.parametrize("name", ["CLUSTERS_QUERY", "CLUSTER_ISSUERS_QUERY", "IDENTITIES_QUERY"])
def test_the_extensions_own_queries_are_answered(name):
    """The stand-in reads exactly what arm/client.py sends (not a look-alike), with the values a client
    needs: the issuer as the cluster reports it, readiness as booleans, each identity's client id."""
    from azext_identitybinding.arm import client
    query = getattr(client, name)
    cloud = Cloud()
    migration, rows = scenarios.seed_audit(cloud, not_ready="aks-tools")
    from standin.arg_routes import cluster_row, identity_row
    parsed = parse_query(query)
    if parsed.type == "microsoft.managedidentity/userassignedidentities":
        out = parsed.run([identity_row(w, i) for w, i in cloud.identities()])
        assert {r["id"].lower() for r in out} == set(rows)
        assert all(r.get("clientId", "x") for r in out)
        return
    out = parsed.run([cluster_row(w, c) for w, c in cloud.clusters()])
    assert len(out) == 6 and [r["id"] for r in out] == sorted((r["id"] for r in out), key=str.lower)
    if "issuer" in parsed.names:
        by_name = {r["name"]: r for r in out}
        for cluster in migration.clusters:
            assert by_name[cluster.name]["issuer"] == cluster.issuer
        tools = by_name["aks-tools"]
        assert tools["vnetIntegration"] is True and tools["workloadIdentityEnabled"] is True
        assert tools["oidcIssuerEnabled"] is True
