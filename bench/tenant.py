"""Tenant-scale benchmark: the fleet view over many subscriptions under ARM's read budget, against
today's per-subscription scan, in one run.

    .venv/bin/python bench/run.py --suite tenant [--quick] [--out bench/results.md]
    (or: bash scripts/bench.sh --suite tenant ...)

Both sides are the same `az` (the venv's azure-cli) logged in to one stand-in (tests/standin, its own
process) with --latency-ms (50) added to every request and ARM's read token bucket per subscription
on (250 reads, refilled at 25 per second: tests/standin/throttle.py). "ours" is the extension built
from the working tree; "today" is the extension built from --baseline-commit (main before the
tenant-scale work), each in its own AZURE_EXTENSION_DIR and AZURE_CONFIG_DIR.

    ours:  az aks identity-binding list --managed-identity-resource-id ID --all-subscriptions -o json
    today: az aks identity-binding list --managed-identity-resource-id ID --subscription S -o json
           once per subscription S, one after another (today's scan sees one subscription a run);
           its time runs from the first spawn to the last exit.

Every world holds only the fleet: N clusters fleet-cluster0000... over S subscriptions (cluster i in
subscription i % S) and 5 resource groups; every 10th cluster binds the identity asked about (in the
default subscription) and every 7th binds another identity (which must not be reported). Every run
of ours must find exactly the seeded bindings and exit 0; today's may fail reads (it then exits 1
with a partial answer): its failed reads are counted, not hidden. Before every measured run the
stand-in's buckets are full again (as after a quiet minute) and its request log is empty; requests,
429s and failed reads (clusters whose bindings list was never answered 200) are counted by the
stand-in through a tag in the User-Agent.

Cases: (a) N=2,000 in 1 subscription: bound by the bucket, whose floor is (N - 250) / 25 = 70 s
(target: ours <= 1.15 x the floor, zero failed reads); (b) N=2,000 over 20 subscriptions (target:
ours <= 5 s); (c) N = 100, 300, 1,000, 3,000, 10,000 at 100 clusters per subscription (1 ... 100
subscriptions; the way a tenant grows, and below each bucket), as a table and bench/fleet-scaling.png.
The plot is drawn by bench/plot.py in its own pinned venv (.venv-bench, matplotlib), if it exists.
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

from standin import SUBSCRIPTION  # noqa: E402  pylint: disable=wrong-import-position
from standin.azcli import AzState, RemoteStandIn, build_wheel, build_wheel_at  # noqa: E402
from standin.world import subscription_id  # noqa: E402

BASELINE_COMMIT = "ada0520"   # main before the tenant-scale work (issue 13)
IDENTITY_ID = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/identity-rg/providers/"
               "Microsoft.ManagedIdentity/userAssignedIdentities/identity1")
IDENTITY2_ID = IDENTITY_ID[:-1] + "2"
GROUPS = 5
BIND_EVERY, OTHER_EVERY = 10, 7
BUCKET_CAPACITY, BUCKET_REFILL = 250, 25.0
BUCKET_TARGET = 1.15          # (a): ours <= 1.15 x the bucket's floor
SPREAD_TARGET = 5.0           # (b): seconds
PER_SUBSCRIPTION = 100        # (c): clusters per subscription
SECTION = "tenant-scale"
PLOT = ROOT / "bench" / "fleet-scaling.png"
BENCH_VENV = ROOT / ".venv-bench"


class TenantCase:
    """N clusters over S subscriptions; `runs` = (ours, today) measured runs."""

    def __init__(self, key, title, size, subscriptions, runs, target=None):
        self.key, self.title, self.size, self.subscriptions = key, title, size, subscriptions
        self.runs, self.target = runs, target   # target: ("floor", 1.15) or ("seconds", 5.0) or None
        self.samples = {"ours": [], "today": []}

    @property
    def floor(self):
        """The bucket's floor for the busiest subscription: reads beyond a full bucket / refill."""
        busiest = -(-self.size // self.subscriptions)
        return max(0.0, (busiest - BUCKET_CAPACITY) / BUCKET_REFILL)

    def subscription_ids(self):
        return [subscription_id(k) for k in range(self.subscriptions)]

    def clusters(self):
        subs = self.subscription_ids()
        return [(subs[i % self.subscriptions], f"fleet-rg{i % GROUPS}", f"fleet-cluster{i:04d}")
                for i in range(self.size)]

    def seed(self):
        bindings = []
        for i, (sub, rg, cluster) in enumerate(self.clusters()):
            if i % BIND_EVERY == 0:
                bindings.append({"subscription": sub, "resource_group": rg, "cluster": cluster,
                                 "name": f"fleet{i:04d}", "identity_id": IDENTITY_ID})
            if i % OTHER_EVERY == 0:
                bindings.append({"subscription": sub, "resource_group": rg, "cluster": cluster,
                                 "name": f"other{i:04d}", "identity_id": IDENTITY2_ID})
        return {"fleet": self.size, "groups": GROUPS, "subscriptions": self.subscriptions, "bindings": bindings}

    def expected(self):
        return sorted(f"/subscriptions/{sub}/resourcegroups/{rg}/providers/microsoft.containerservice/"
                      f"managedclusters/{cluster}/identitybindings/fleet{i:04d}"
                      for i, (sub, rg, cluster) in enumerate(self.clusters()) if i % BIND_EVERY == 0)


def make_cases(quick=False):
    if quick:  # a look at the machinery in about a minute, not for results.md
        return [TenantCase("bucket", "(a) 300 clusters, 1 subscription, real bucket", 300, 1, (1, 1), ("floor", 1.15)),
                TenantCase("spread", "(b) 300 clusters over 20 subscriptions", 300, 20, (2, 1), ("seconds", 5.0)),
                *[TenantCase(f"scale{n}", f"{n} clusters", n, max(1, n // PER_SUBSCRIPTION), (1, 1))
                  for n in (100, 300)]]
    return [
        TenantCase("bucket", "(a) 2,000 clusters in 1 subscription, bucket 250 / 25 per s", 2000, 1, (2, 2),
                   ("floor", BUCKET_TARGET)),
        TenantCase("spread", "(b) 2,000 clusters over 20 subscriptions", 2000, 20, (5, 2), ("seconds", SPREAD_TARGET)),
        *[TenantCase(f"scale{n}", f"{n:,} clusters over {n // PER_SUBSCRIPTION} subscription(s)", n,
                     n // PER_SUBSCRIPTION, (3, today_runs))
          for n, today_runs in ((100, 3), (300, 3), (1000, 2), (3000, 1), (10000, 1))],
    ]


def bindings_in(output):
    """Binding ids (lower-case) of ID in a command's JSON output: a list of bindings, or an object
    holding one under "bindings"/"value"; each binding an ARM resource or a row with an "id"."""
    try:
        data = json.loads(output) if output.strip() else []
    except ValueError:
        return None
    if isinstance(data, dict):
        data = data.get("bindings") or data.get("value") or []
    found = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        identity = (((item.get("properties") or {}).get("managedIdentity") or {}).get("resourceId")
                    or item.get("managedIdentityResourceId") or IDENTITY_ID)
        if identity.lower() == IDENTITY_ID.lower() and item.get("id"):
            found.append(item["id"].lower())
    return sorted(found)


class TenantBench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="ib-tenant-bench-"))
        self.standin = None
        self.states = {}
        self.logged_in_subscriptions = 1

    def start(self):
        print(f"building the wheels (working tree, and {self.args.baseline_commit}) and starting the stand-in "
              f"(work dir {self.work}) ...", flush=True)
        ours = build_wheel(self.work / "wheel-ours")
        today = build_wheel_at(self.args.baseline_commit, self.work / "wheel-today")
        self.standin = RemoteStandIn.start("--latency-ms", str(self.args.latency_ms), "--read-throttling",
                                           "--read-capacity", str(BUCKET_CAPACITY),
                                           "--read-refill", str(BUCKET_REFILL), lifetime=self.args.lifetime)
        self.states = {"ours": AzState(self.work / "ours", self.standin, ours).setup(),
                       "today": AzState(self.work / "today", self.standin, today).setup()}

    def stop(self):
        if self.standin:
            self.standin.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def seed(self, case):
        standin = self.standin
        standin.admin("POST", "reset", {"default_cluster": False})
        standin.admin("POST", "settings", {"read_throttling": True, "read_bucket_capacity": BUCKET_CAPACITY,
                                           "read_bucket_refill": BUCKET_REFILL,
                                           "latency": self.args.latency_ms / 1000.0})
        seeded = standin.admin("POST", "seed", case.seed())
        if seeded["clusters"] != case.size or len(seeded["subscriptions"]) != case.subscriptions:
            raise RuntimeError(f"the stand-in holds {seeded['clusters']} clusters in {len(seeded['subscriptions'])} "
                               f"subscriptions, not {case.size} in {case.subscriptions}")
        if case.subscriptions > self.logged_in_subscriptions:
            for state in self.states.values():   # az learns of new subscriptions at login
                state.login()
            self.logged_in_subscriptions = case.subscriptions

    def _az(self, side, argv, tag, timeout):
        return self.states[side].az(*argv, env={"AZURE_HTTP_USER_AGENT": tag}, timeout=timeout)

    def ours(self, case, tag):
        result = self._az("ours", ["aks", "identity-binding", "list", "--managed-identity-resource-id", IDENTITY_ID,
                                   "--all-subscriptions", "-o", "json"], tag, timeout=self.args.timeout)
        return result.seconds, result.returncode, bindings_in(result.stdout), result.stderr

    def today(self, case, tag):
        started, codes, found, errors = time.perf_counter(), [], [], []
        for sub in case.subscription_ids():
            result = self._az("today", ["aks", "identity-binding", "list", "--managed-identity-resource-id",
                                        IDENTITY_ID, "--subscription", sub, "-o", "json"], tag,
                              timeout=self.args.timeout)
            codes.append(result.returncode)
            found += bindings_in(result.stdout) or []
            if result.returncode:
                errors.append(result.stderr[-2000:])
        return time.perf_counter() - started, max(codes), sorted(found), "\n".join(errors)

    def counts(self, case, tag):
        """What the stand-in saw of one run: requests, 429s, ARG queries, and failed reads."""
        log = self.standin.admin("GET", "requests")
        pattern = re.compile(rf"(^|\s){re.escape(tag)}(\s|$)")
        mine = [r for r in log if pattern.search(r["user_agent"])]
        read_ok = {r["path"].lower() for r in mine if r["route"] == "bindings" and r["status"] == 200}
        return {"requests": len(mine), "throttled": sum(1 for r in mine if r["status"] == 429),
                "arg": sum(1 for r in mine if r["route"] == "arg"),
                "failed_reads": case.size - len(read_ok)}

    def measure(self, case):
        print(f"{case.key}: {case.size} clusters over {case.subscriptions} subscription(s)", flush=True)
        self.seed(case)
        expected = case.expected()
        sides = {"ours": self.ours, "today": self.today}
        rounds = max(case.runs)
        for i in range(rounds):
            order = [s for s, n in zip(("ours", "today"), case.runs) if i < n]
            if i % 2:
                order.reverse()
            for side in order:
                self.standin.admin("DELETE", "buckets")
                self.standin.admin("DELETE", "requests")
                tag = f"ibtenant/{case.key}-{side}-{i}"
                seconds, code, found, stderr = sides[side](case, tag)
                counts = self.counts(case, tag)
                complete = found == expected
                if side == "ours" and (code != 0 or not complete):
                    raise RuntimeError(f"[{case.key} ours] rc={code}, found {len(found or [])} of {len(expected)} "
                                       f"bindings\n{stderr[-3000:]}")
                if side == "today" and not set(found) <= set(expected):
                    raise RuntimeError(f"[{case.key} today] reported bindings that were not seeded")
                sample = {"seconds": seconds, "rc": code, "found": len(found), "expected": len(expected),
                          "stderr_tail": stderr[-300:] if code else "", **counts}
                case.samples[side].append(sample)
                print(f"  {side:5} run {i + 1}: {seconds:7.2f} s, rc {code}, {counts['requests']} requests, "
                      f"{counts['throttled']} x 429, {counts['failed_reads']} failed reads, "
                      f"{len(found)}/{len(expected)} bindings", flush=True)


def summarize(case):
    row = {"case": case}
    for side in ("ours", "today"):
        samples = case.samples[side]
        seconds = [s["seconds"] for s in samples]
        row[side] = {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds),
                     "n": len(samples),
                     "requests": statistics.median(s["requests"] for s in samples),
                     "throttled": statistics.median(s["throttled"] for s in samples),
                     "arg": statistics.median(s["arg"] for s in samples),
                     "failed_reads": max(s["failed_reads"] for s in samples),
                     "incomplete": sum(1 for s in samples if s["rc"] or s["found"] != s["expected"])}
    ours = row["ours"]
    if case.target and case.target[0] == "floor":
        limit = case.target[1] * case.floor
        met = ours["median"] <= limit and ours["failed_reads"] == 0
        row["verdict"] = (f"{'met' if met else 'MISSED'}: {ours['median']:.1f} s = "
                          f"{ours['median'] / case.floor:.3f} × the {case.floor:.0f} s floor (target ≤ "
                          f"{case.target[1]:g}× = {limit:.1f} s), {ours['failed_reads']} failed reads")
    elif case.target:
        met = ours["median"] <= case.target[1] and ours["failed_reads"] == 0
        row["verdict"] = (f"{'met' if met else 'MISSED'}: {ours['median']:.2f} s (target ≤ {case.target[1]:g} s), "
                          f"{ours['failed_reads']} failed reads")
    else:
        row["verdict"] = "no target"
    return row


def render(rows, info, args, started, elapsed, plotted, load):
    def side(s):
        return f"{s['median']:.2f} [{s['min']:.2f}–{s['max']:.2f}]"

    lines = [
        f"<!-- begin {SECTION} -->",
        "## Tenant scale: the fleet view over many subscriptions, under ARM's read budget",
        "",
        f"One run of `bash scripts/bench.sh --suite tenant`, {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} min in "
        f"total. Machine: {info['nproc']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, azure-cli "
        f"{info['azure-cli']}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the "
        "start (the machine is shared: figures are of a busy machine). \"ours\" = the extension built from the "
        f"working tree at commit `{info['commit']}`"
        + (f" (extension sources changed since: {', '.join(info['changed_in_wheel'])})" if info["changed_in_wheel"]
           else "")
        + f"; \"today\" = the extension built from commit `{args.baseline_commit}` (main before this work).",
        "",
        f"ARM: the loopback stand-in with {args.latency_ms:g} ms added to every request and ARM's read token bucket "
        f"per subscription ({BUCKET_CAPACITY} reads, refilled at {BUCKET_REFILL:g} per second; an empty bucket "
        "answers 429 with `Retry-After`), full again before every run. Every world holds only the fleet: N clusters "
        f"over S subscriptions and {GROUPS} resource groups; every {BIND_EVERY}th cluster binds the identity asked "
        f"about and every {OTHER_EVERY}th another identity. \"ours\" = one process, `az aks identity-binding list "
        "--managed-identity-resource-id ID --all-subscriptions` (clusters found with Azure Resource Graph, then "
        "every cluster's bindings read, paced per subscription). \"today\" = today's scan, one subscription per "
        "process, so `... list --managed-identity-resource-id ID --subscription S` once per subscription, one after "
        "another (first spawn to last exit). Every run of ours had to exit 0 and find exactly the seeded bindings. "
        "A failed read = a cluster whose bindings were never read (never answered 200), counted by the stand-in; "
        "today's scan then exits 1 with a partial answer (\"incomplete runs\").",
        "",
        "Times in seconds, median [min–max] over the runs; requests, 429s and ARG queries are medians per run, "
        "failed reads the largest per run.",
        "",
        "| case | runs ours / today | ours (s) | today (s) | speed-up | requests ours / today | 429s ours / today "
        "| ARG queries | failed reads ours / today | incomplete runs today | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        case, ours, today = row["case"], row["ours"], row["today"]
        lines.append(
            f"| {case.title} | {ours['n']} / {today['n']} | {side(ours)} | {side(today)} "
            f"| {today['median'] / ours['median']:.1f}× | {ours['requests']:g} / {today['requests']:g} "
            f"| {ours['throttled']:g} / {today['throttled']:g} | {ours['arg']:g} | {ours['failed_reads']} / "
            f"{today['failed_reads']} | {today['incomplete']} of {today['n']} | {row['verdict']} |")
    scale = [r for r in rows if r["case"].key.startswith("scale")]
    if scale:
        lines += [
            "",
            f"Time against fleet size ((c): {PER_SUBSCRIPTION} clusters per subscription, so 1 to "
            f"{scale[-1]['case'].subscriptions} subscriptions, each below its bucket), "
            + (f"plotted in `bench/{PLOT.name}`:" if plotted else "(no plot: .venv-bench with matplotlib is missing):"),
            "",
            "| clusters | subscriptions | ours median (s) | today median (s) | speed-up | ours per 1,000 clusters (s) |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in scale:
            case, ours, today = row["case"], row["ours"], row["today"]
            lines.append(f"| {case.size:,} | {case.subscriptions} | {ours['median']:.2f} | {today['median']:.2f} "
                         f"| {today['median'] / ours['median']:.1f}× | {ours['median'] * 1000 / case.size:.2f} |")
        if plotted:
            lines += ["", f"![time against fleet size](./{PLOT.name})"]
    lines += ["", f"<!-- end {SECTION} -->", ""]
    return "\n".join(lines)


def write_section(path, text, key=SECTION):
    """Replace the section `key` of path (between its begin/end markers), or append it."""
    path = Path(path)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    begin, end = f"<!-- begin {key} -->", f"<!-- end {key} -->"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + text.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + text
    path.write_text(new, encoding="utf-8")


def plot(rows, out):
    """Draw the scaling series with bench/plot.py in .venv-bench; False if that venv is not there."""
    python = BENCH_VENV / "bin" / "python"
    scale = [r for r in rows if r["case"].key.startswith("scale")]
    if not python.is_file() or not scale:
        return False
    data = {"clusters": [r["case"].size for r in scale], "subscriptions": [r["case"].subscriptions for r in scale],
            "ours": [r["ours"]["median"] for r in scale], "today": [r["today"]["median"] for r in scale],
            "ours_range": [[r["ours"]["min"], r["ours"]["max"]] for r in scale],
            "today_range": [[r["today"]["min"], r["today"]["max"]] for r in scale]}
    proc = subprocess.run([str(python), str(ROOT / "bench" / "plot.py"), str(out)], input=json.dumps(data),
                          text=True, capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        print(f"the plot failed:\n{proc.stderr}", flush=True)
        return False
    return True


def main(argv=None):
    import run  # bench/run.py: the machine description  pylint: disable=import-outside-toplevel
    parser = argparse.ArgumentParser(prog="bench/run.py --suite tenant", description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added by the stand-in to every request")
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT, help="today's code, to compare against")
    parser.add_argument("--only", help="comma-separated case keys (bucket,spread,scale100,...,scale10000)")
    parser.add_argument("--quick", action="store_true", help="small worlds, one run each (not for results.md)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one az process may take")
    parser.add_argument("--lifetime", type=float, default=7200.0, help="stand-in stops by itself after this")
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
    bench = TenantBench(args)
    try:
        bench.start()
        for case in cases:
            bench.measure(case)
    finally:
        bench.stop()
    rows = [summarize(case) for case in cases]
    plotted = plot(rows, PLOT) if args.out != "-" else False
    text = render(rows, info, args, started, time.monotonic() - clock, plotted, load)
    print()
    print(text)
    if args.out != "-":
        write_section(args.out, text)
        print(f"saved {args.out}" + (f" and {PLOT}" if plotted else ""))
    missed = [row["case"].key for row in rows if row["verdict"].startswith("MISSED")]
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 1 if missed and args.strict else 0
