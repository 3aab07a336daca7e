"""The bare client of the migrate benchmark: the fewest requests a command needs, sent as fast as the
service allows, by a small process of its own (Python and `requests`, no azure-cli), so that what
`az ... migrate` adds on top of them can be measured in the same run.

    python bench/bare.py < spec.json     (spec: {"mode": "audit" | "plan", "url", "ca", "token", "tag",
                                           "workers", "identity"?})
    prints {"seconds", "requests", "throttled", "failed", "identities", "credentials", "clusters"}

audit: Resource Graph's identities (all pages) and, at the same time, its clusters with their issuer
       (all pages); then every identity's federated credentials (all pages of the list), `workers` at
       once, taking the subscriptions in turn. A 429 holds every worker of that subscription for its Retry-After (the bucket refills for
       all of them), then the read is sent again; a read that still fails after 20 tries is failed.
plan:  one Resource Graph query of the clusters with their issuer (all pages) and, at the same time,
       the identity's credential list (all pages).
plan-bindings: plan, then the identity bindings of the clusters whose issuer a credential names, all at
       once (what plan also needs to say whether a binding exists: for the benchmark's information).
Its time runs from its own start (interpreter and imports included) to its last answer: the floor a
client process can reach, which the benchmark compares `az` with.
"""
import time

STARTED = time.perf_counter()

# pylint: disable=wrong-import-position
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import requests  # noqa: E402

ARG_API = "2022-10-01"
MI_API = "2024-11-30"
BINDINGS_API = "2026-06-01"
IDENTITIES = ("resources | where type =~ 'microsoft.managedidentity/userassignedidentities' "
              "| project id | order by id asc")
CLUSTERS = ("resources | where type =~ 'microsoft.containerservice/managedclusters' "
            "| project id, issuer = tostring(properties.oidcIssuerProfile.issuerURL) | order by id asc")
TRIES = 20


class Bare:
    def __init__(self, spec):
        self.spec = spec
        self.local = threading.local()
        self.lock = threading.Lock()
        self.requests = self.throttled = 0
        self.hold = {}   # subscription -> monotonic time until which its reads wait

    def session(self):
        http = getattr(self.local, "http", None)
        if http is None:
            http = self.local.http = requests.Session()
            http.trust_env = False
            http.verify = self.spec["ca"]
            http.headers.update({"Authorization": f"Bearer {self.spec['token']}", "User-Agent": self.spec["tag"]})
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1)
            http.mount("https://", adapter)
        return http

    def send(self, method, url, subscription=None, **kwargs):
        for _ in range(TRIES):
            if subscription:
                with self.lock:
                    until = self.hold.get(subscription, 0.0)
                if until > time.monotonic():
                    time.sleep(until - time.monotonic())
            answer = self.session().request(method, url, timeout=120, **kwargs)
            with self.lock:
                self.requests += 1
            if answer.status_code != 429:
                return answer
            wait = float(answer.headers.get("Retry-After") or 1)
            with self.lock:
                self.throttled += 1
                if subscription:
                    self.hold[subscription] = max(self.hold.get(subscription, 0.0), time.monotonic() + wait)
            if not subscription:
                time.sleep(wait)
        return answer

    def graph(self, query):
        rows, token = [], None
        while True:
            options = {"$top": 1000, **({"$skipToken": token} if token else {})}
            answer = self.send("POST", f"{self.spec['url']}/providers/Microsoft.ResourceGraph/resources"
                                       f"?api-version={ARG_API}", json={"query": query, "options": options})
            answer.raise_for_status()
            page = answer.json()
            rows += page["data"]
            token = page.get("$skipToken")
            if not token:
                return rows

    def fics(self, identity):
        """All pages of an identity's credential list, or None if a page could not be read."""
        subscription = identity.split("/")[2].lower()
        url, items = f"{self.spec['url']}{identity}/federatedIdentityCredentials?api-version={MI_API}", []
        while url:
            answer = self.send("GET", url, subscription)
            if answer.status_code != 200:
                return None
            page = answer.json()
            items += page["value"]
            url = page.get("nextLink")
        return items

    def audit(self):
        with ThreadPoolExecutor(max_workers=2) as pool:
            identities, clusters = pool.submit(self.graph, IDENTITIES), pool.submit(self.graph, CLUSTERS)
            identities, clusters = [r["id"] for r in identities.result()], clusters.result()
        identities = interleave(identities)
        with ThreadPoolExecutor(max_workers=self.spec.get("workers", 32)) as pool:
            found = list(pool.map(self.fics, identities))
        return {"identities": len(identities), "clusters": len(clusters),
                "failed": sum(1 for f in found if f is None),
                "credentials": sum(len(f) for f in found if f is not None)}

    def plan(self, bindings=False):
        with ThreadPoolExecutor(max_workers=2) as pool:
            clusters, fics = pool.submit(self.graph, CLUSTERS), pool.submit(self.fics, self.spec["identity"])
            clusters, fics = clusters.result(), fics.result()
        failed = int(fics is None)
        if bindings and fics:
            issuers = {f["properties"]["issuer"] for f in fics}
            wanted = [c["id"] for c in clusters if c["issuer"] in issuers]
            with ThreadPoolExecutor(max_workers=max(1, min(len(wanted), self.spec.get("workers", 32)))) as pool:
                answers = list(pool.map(lambda cid: self.send(
                    "GET", f"{self.spec['url']}{cid}/identityBindings?api-version={BINDINGS_API}",
                    cid.split("/")[2].lower()), wanted))
            failed += sum(1 for a in answers if a.status_code != 200)
        return {"identities": 1, "clusters": len(clusters), "failed": failed, "credentials": len(fics or [])}


def interleave(identities):
    """Round robin over the subscriptions: each has its own read bucket, so the workers spread over all
    of them rather than queueing on the first one's (Resource Graph returns them ordered by id)."""
    by_subscription = {}
    for identity in identities:
        by_subscription.setdefault(identity.split("/")[2].lower(), []).append(identity)
    queues, out = list(by_subscription.values()), []
    for i in range(max((len(q) for q in queues), default=0)):
        out += [q[i] for q in queues if i < len(q)]
    return out


def main():
    spec = json.load(sys.stdin)
    bare = Bare(spec)
    result = bare.audit() if spec["mode"] == "audit" else bare.plan(bindings=spec["mode"] == "plan-bindings")
    result.update(seconds=time.perf_counter() - STARTED, requests=bare.requests, throttled=bare.throttled)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
