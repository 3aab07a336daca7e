"""Migrate benchmark: `az aks identity-binding migrate audit` and `plan` against the bare client's
floor (bench/bare.py), in one run.

    .venv/bin/python bench/run.py --suite migrate [--quick] [--out bench/results.md]
    (or: bash scripts/bench.sh --suite migrate ...)

One stand-in (tests/standin, its own process) with --latency-ms (50) added to every request and ARM's
read token bucket per subscription on (250 reads, refilled at 25 per second), full again before every
run. "ours" is `az` with the extension built from the working tree; "bare" is bench/bare.py, a process
of its own that sends only the requests the command cannot do without, `--workers` (32, the
extension's own fleet concurrency) at once, waiting out every 429's Retry-After. Both are timed the
same way, from spawn to exit, and both must read everything (0 failed reads, every identity or every
credential found) or the run fails. Runs alternate, ours first then bare first.

Cases (the worlds are tests/standin/scenarios.py's seed_audit_scale / seed_plan_scale):
  audit   1,000 identities x 10 federated credentials over 10 subscriptions (100 identities each) and
          20 clusters: `migrate audit --all-subscriptions -o json`; bare: Resource Graph's identities
          and clusters, then 1,000 credential lists. The stand-in answers a credential list in one
          page, so a subscription sees about 100 reads: below its bucket of 250, whose floor is then 0;
          the floor is the bare client's time. Target: ours <= 1.15 x the floor, 0 failed reads.
  audit-paged  the same world with the credential list paged 2 at a time (5 pages an identity: 500
          reads a subscription), so that the bucket binds: its floor is (500 - 250) / 25 = 10 s. Target:
          ours <= 1.15 x max(that floor, the bare client's time), 0 failed reads.
  plan    one identity with 20 workload credentials over 2,000 visible clusters in 10 subscriptions:
          `migrate plan --managed-identity-resource-id ID --all-subscriptions -o json`; bare: one Resource
          Graph query of the clusters with their issuer (2 pages of 1,000) and the credential list.
          Target: ours <= 2 x bare (plan must not read every cluster's bindings). For information, also
          "bare+bindings": the same plus the binding lists of the clusters the credentials name.
Also measured, to read the ratios by: `az aks identity-binding migrate -h` (az's own start-up with
the extension, no request).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from standin.azcli import AzState, RemoteStandIn, build_wheel  # noqa: E402  pylint: disable=wrong-import-position
from standin.login import SP_CLIENT_ID  # noqa: E402  pylint: disable=wrong-import-position

BUCKET_CAPACITY, BUCKET_REFILL = 250, 25.0
AUDIT_TARGET = 1.15
PLAN_TARGET = 2.0
WORKERS = 32
SECTION = "migrate"
BARE = ROOT / "bench" / "bare.py"


class Case:
    def __init__(self, key, title, seed, runs, target, fic_page_size=None, mode="audit"):
        self.key, self.title, self.seed, self.runs, self.target = key, title, seed, runs, target
        self.fic_page_size, self.mode = fic_page_size, mode
        self.samples = {"ours": [], "bare": [], "bare+bindings": []}
        self.seeded = {}

    def bucket_floor(self):
        """(reads of the busiest subscription - a full bucket) / refill, for the audit cases."""
        if self.mode != "audit":
            return 0.0
        spec = self.seed["audit_scale"]
        per_sub = -(-spec["identities"] // spec["subscriptions"])
        pages = -(-spec["fics"] // self.fic_page_size) if self.fic_page_size else 1
        # the default subscription also holds the stand-in's identity1/identity2 (no credential: one page each)
        extra = max(0, self.seeded.get("identities", spec["identities"]) - spec["identities"])
        return max(0.0, (per_sub * pages + extra - BUCKET_CAPACITY) / BUCKET_REFILL)


def make_cases(quick=False):
    identities = 200 if quick else 1000
    runs = (1, 1) if quick else (3, 3)
    audit = {"audit_scale": {"identities": identities, "fics": 10, "subscriptions": 10}, "subscriptions": 10}
    plan = {"plan_scale": {"clusters": 400 if quick else 2000, "fics": 20, "subscriptions": 10}, "subscriptions": 10}
    return [
        Case("audit", f"audit: {identities:,} identities × 10 credentials over 10 subscriptions", audit, runs,
             ("floor", AUDIT_TARGET)),
        Case("audit-paged", f"audit, credentials listed 2 a page ({identities // 10 * 5} reads a subscription)",
             audit, (1, 1) if quick else (2, 2), ("floor", AUDIT_TARGET), fic_page_size=2),
        Case("plan", f"plan: 1 identity, 20 credentials, {plan['plan_scale']['clusters']:,} visible clusters over "
                     "10 subscriptions", plan, (1, 1) if quick else (5, 5), ("bare", PLAN_TARGET), mode="plan"),
    ]


class MigrateBench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="ib-migrate-bench-"))
        self.standin = None
        self.state = None
        self.token = None
        self.logged_in_subscriptions = 1
        self.startup = []

    def start(self):
        print(f"building the wheel and starting the stand-in (work dir {self.work}) ...", flush=True)
        wheel = build_wheel(self.work / "wheel")
        self.standin = RemoteStandIn.start("--latency-ms", str(self.args.latency_ms), "--read-throttling",
                                           "--read-capacity", str(BUCKET_CAPACITY),
                                           "--read-refill", str(BUCKET_REFILL), lifetime=self.args.lifetime)
        self.state = AzState(self.work / "ours", self.standin, wheel).setup()
        probe = self.state.az("aks", "identity-binding", "migrate", "-h", timeout=120)
        if probe.returncode != 0:
            raise RuntimeError("this build of the extension has no `migrate` command group "
                               f"(`az aks identity-binding migrate -h` exited {probe.returncode}): nothing to measure")

    def bare_token(self):
        import requests
        with requests.Session() as http:
            http.trust_env = False
            answer = http.post(f"{self.standin.url}/adfs/oauth2/token", verify=self.standin.ca_path, timeout=30,
                               data={"grant_type": "client_credentials", "client_id": SP_CLIENT_ID,
                                     "client_secret": self.standin.sp_secret})
        answer.raise_for_status()
        return answer.json()["access_token"]

    def stop(self):
        if self.standin:
            self.standin.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def seed(self, case):
        standin = self.standin
        standin.admin("POST", "reset", {"default_cluster": False})
        standin.admin("POST", "settings", {"read_throttling": True, "read_bucket_capacity": BUCKET_CAPACITY,
                                           "read_bucket_refill": BUCKET_REFILL, "fic_page_size": case.fic_page_size,
                                           "latency": self.args.latency_ms / 1000.0})
        case.seeded = standin.admin("POST", "seed", case.seed)
        subscriptions = len(case.seeded["subscriptions"])
        if subscriptions > self.logged_in_subscriptions:
            self.state.login()   # az learns of new subscriptions at login
            self.logged_in_subscriptions = subscriptions
        self.token = self.bare_token()

    def ours(self, case, tag):
        if case.mode == "audit":
            args = ["aks", "identity-binding", "migrate", "audit", "--all-subscriptions", "-o", "json"]
        else:
            args = ["aks", "identity-binding", "migrate", "plan", "--managed-identity-resource-id",
                    case.seeded["identity"], "--all-subscriptions", "-o", "json"]
        result = self.state.az(*args, env={"AZURE_HTTP_USER_AGENT": tag}, timeout=self.args.timeout)
        try:
            out = json.loads(result.stdout) if result.stdout.strip() else None
        except ValueError:
            out = None
        if case.mode == "audit":
            rows = (out.get("identities") if isinstance(out, dict) else out) or []
            found = {"identities": len(rows), "credentials": sum(r.get("used", 0) for r in rows)}
        else:
            found = {"identities": 1, "credentials": ((out or {}).get("credentials") or {}).get("used", 0)}
        return result.seconds, result.returncode, found, result.stderr

    def bare_bindings(self, case, tag):
        """plan's bare client plus the binding lists of the clusters the credentials name (information)."""
        return self.bare(case, tag, mode="plan-bindings")

    def bare(self, case, tag, mode=None):
        spec = {"mode": mode or case.mode, "url": self.standin.url, "ca": self.standin.ca_path, "token": self.token,
                "tag": tag, "workers": WORKERS, "identity": case.seeded.get("identity")}
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(BARE)], input=json.dumps(spec), capture_output=True, text=True,
                              timeout=self.args.timeout, env=env, check=False)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"the bare client failed:\n{proc.stderr[-3000:]}")
        out = json.loads(proc.stdout)
        found = {"identities": out["identities"], "credentials": out["credentials"]}
        return seconds, 0 if not out["failed"] else 1, found, ""

    def counts(self, case, tag):
        log = self.standin.admin("GET", "requests")
        pattern = re.compile(rf"(^|\s){re.escape(tag)}(\s|$)")
        mine = [r for r in log if pattern.search(r["user_agent"])]
        lists = [r for r in mine if r["route"] == "fics"]
        read = {r["path"].lower() for r in lists if r["status"] == 200}
        wanted = case.seeded.get("identities", 1) if case.mode == "audit" else 1
        return {"requests": len(mine), "throttled": sum(1 for r in mine if r["status"] == 429),
                "arg": sum(1 for r in mine if r["route"] == "arg"),
                "bindings": sum(1 for r in mine if r["route"] == "bindings"),
                "failed_reads": max(0, wanted - len(read))}

    def expected(self, case):
        if case.mode == "audit":
            return {"identities": case.seeded["identities"], "credentials": case.seeded["fics"]}
        return {"identities": 1, "credentials": case.seed["plan_scale"]["fics"]}

    def measure_startup(self, runs=3):
        for _ in range(runs):
            result = self.state.az("aks", "identity-binding", "migrate", "-h", timeout=120)
            self.startup.append(result.seconds)

    def measure(self, case):
        print(f"{case.key}: {case.title}", flush=True)
        self.seed(case)
        expected = self.expected(case)
        sides = {"ours": self.ours, "bare": self.bare, "bare+bindings": self.bare_bindings}
        names = ("ours", "bare", "bare+bindings") if case.mode == "plan" else ("ours", "bare")
        for i in range(max(case.runs)):
            order = [s for s, n in zip(names, case.runs + (case.runs[1],)) if i < n]
            if i % 2:
                order.reverse()
            for side in order:
                self.standin.admin("DELETE", "buckets")
                self.standin.admin("DELETE", "requests")
                tag = f"ibmigrate/{case.key}-{side}-{i}"
                seconds, code, found, stderr = sides[side](case, tag)
                counts = self.counts(case, tag)
                if code != 0 or found != expected:
                    raise RuntimeError(f"[{case.key} {side}] rc={code}, found {found}, expected {expected}\n"
                                       f"{stderr[-3000:]}")
                case.samples[side].append({"seconds": seconds, **counts})
                print(f"  {side:13} run {i + 1}: {seconds:7.2f} s, {counts['requests']} requests, "
                      f"{counts['throttled']} x 429, {counts['arg']} ARG, {counts['bindings']} binding lists, "
                      f"{counts['failed_reads']} failed reads", flush=True)


def summarize(case):
    row = {"case": case}
    for side in ("ours", "bare", "bare+bindings"):
        samples = case.samples[side]
        if not samples:
            continue
        seconds = [s["seconds"] for s in samples]
        row[side] = {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "n": len(samples),
                     **{k: statistics.median(s[k] for s in samples)
                        for k in ("requests", "throttled", "arg", "bindings")},
                     "failed_reads": max(s["failed_reads"] for s in samples)}
    ours, bare = row["ours"], row["bare"]
    kind, factor = case.target
    if kind == "floor":
        floor = max(case.bucket_floor(), bare["median"])
        what = (f"the {floor:.1f} s floor (bucket {case.bucket_floor():.1f} s, bare {bare['median']:.2f} s)")
    else:
        floor = bare["median"]
        what = f"the bare client's {floor:.2f} s"
    row["floor"] = floor
    met = ours["median"] <= factor * floor and ours["failed_reads"] == 0
    row["verdict"] = (f"{'met' if met else 'MISSED'}: {ours['median']:.2f} s = {ours['median'] / floor:.2f} × "
                      f"{what} (target ≤ {factor:g}×), {ours['failed_reads']} failed reads")
    return row


def render(rows, info, args, started, elapsed, load, startup):
    def side(s):
        return f"{s['median']:.2f} [{s['min']:.2f}–{s['max']:.2f}]"
    start = statistics.median(startup)

    lines = [
        f"<!-- begin {SECTION} -->",
        "## Migrate: `audit` and `plan` against the fewest requests they need",
        "",
        f"One run of `bash scripts/bench.sh --suite migrate`, {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} min in "
        f"total. Machine: {info['nproc']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, azure-cli "
        f"{info['azure-cli']}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the "
        "start (the machine is shared). \"ours\" = the extension built from the working tree at commit "
        f"`{info['commit']}`"
        + (f" (extension sources changed since: {', '.join(info['changed_in_wheel'])})" if info["changed_in_wheel"]
           else "") + ".",
        "",
        f"ARM: the loopback stand-in with {args.latency_ms:g} ms added to every request and ARM's read token bucket "
        f"per subscription ({BUCKET_CAPACITY} reads, refilled at {BUCKET_REFILL:g} per second), full again before "
        "every run. \"bare\" = `bench/bare.py`, its own process (Python and requests, no azure-cli), sending only the "
        f"requests the command cannot do without, {WORKERS} at once, waiting out each 429's Retry-After: for audit, "
        "Resource Graph's identities and clusters, then every identity's credential list; for plan, one Resource "
        "Graph query of the clusters with their issuer and the identity's credential list. Both timed from spawn to "
        "exit; every run of both had to read every credential (0 failed reads). The floor of an audit case is the "
        "larger of the bucket's ((reads of a subscription − 250) / 25 s) and the bare client's time. "
        f"az's own start-up with the extension (`az aks identity-binding migrate -h`, no request): "
        f"{start:.2f} s (median of {len(startup)}); the column \"ours − start-up\" takes it off ours, to show "
        "what the command itself adds to the floor.",
        "",
        "| case | runs ours / bare | ours (s) | bare (s) | ours − start-up (s) | requests ours / bare "
        "| 429s ours / bare | ARG queries ours | binding lists ours | failed reads | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        case, ours, bare = row["case"], row["ours"], row["bare"]
        net = ours["median"] - start
        lines.append(f"| {case.title} | {ours['n']} / {bare['n']} | {side(ours)} | {side(bare)} "
                     f"| {net:.2f} ({net / row['floor']:.2f}× the floor) | {ours['requests']:g} / {bare['requests']:g} | {ours['throttled']:g} / {bare['throttled']:g} "
                     f"| {ours['arg']:g} | {ours['bindings']:g} | {ours['failed_reads']} | {row['verdict']} |")
    extra = [r for r in rows if "bare+bindings" in r]
    for row in extra:
        with_bindings = row["bare+bindings"]
        lines += ["", f"For information ({row['case'].key}): plan also reads the identity bindings of the clusters "
                  "its credentials name, to say whether a binding exists; the bare client doing that too (one more "
                  f"round of {with_bindings['requests'] - row['bare']['requests']:g} concurrent reads) takes "
                  f"{side(with_bindings)} s, and ours is {row['ours']['median'] / with_bindings['median']:.2f} × that "
                  f"({(row['ours']['median'] - start) / with_bindings['median']:.2f} × without az's start-up)."]
    lines += ["", f"<!-- end {SECTION} -->", ""]
    return "\n".join(lines)


def main(argv=None):
    import run  # bench/run.py: the machine description  pylint: disable=import-outside-toplevel
    from tenant import write_section  # pylint: disable=import-outside-toplevel
    parser = argparse.ArgumentParser(prog="bench/run.py --suite migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added by the stand-in to every request")
    parser.add_argument("--only", help="comma-separated case keys (audit,audit-paged,plan)")
    parser.add_argument("--quick", action="store_true", help="small worlds, one run each (not for results.md)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one process may take")
    parser.add_argument("--lifetime", type=float, default=3600.0, help="stand-in stops by itself after this")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"), help="'-' to skip writing")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.quick and args.out != "-":
        parser.error("--quick figures do not go into results.md: add --out -")

    started = datetime.datetime.now(datetime.timezone.utc)
    clock, load = time.monotonic(), os.getloadavg()
    cases = make_cases(args.quick)
    if args.only:
        keys = set(args.only.split(","))
        cases = [c for c in cases if c.key in keys]
    info = run.machine()
    bench = MigrateBench(args)
    try:
        bench.start()
        bench.measure_startup()
        for case in cases:
            bench.measure(case)
    finally:
        bench.stop()
    rows = [summarize(case) for case in cases]
    text = render(rows, info, args, started, time.monotonic() - clock, load, bench.startup)
    print()
    print(text)
    if args.out != "-":
        write_section(args.out, text, SECTION)
        print(f"saved {args.out}")
    missed = [row["case"].key for row in rows if row["verdict"].startswith("MISSED")]
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 1 if missed and args.strict else 0
