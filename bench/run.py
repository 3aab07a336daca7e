"""Benchmark: our `az aks identity-binding` against azure-cli's built-in one, in the same run.

    .venv/bin/python bench/run.py [--runs 10] [--latency-ms 50] [--out bench/results.md]
    (or: bash scripts/bench.sh ...)
    .venv/bin/python bench/run.py --suite tenant ...   the tenant-scale suite: see bench/tenant.py
    .venv/bin/python bench/run.py --suite migrate ...  `migrate audit`/`plan` against a bare client: bench/migrate.py

Each suite writes its own section of results.md (between <!-- begin NAME --> / <!-- end NAME -->
markers) and leaves the other's as it is.

Both sides are the same `az` (the venv's azure-cli) logged in to the same ARM stand-in
(tests/standin, started as its own process; every request gets --latency-ms added). "ours" has the
extension installed from a freshly built wheel in its own AZURE_EXTENSION_DIR; "built-in" has an
empty AZURE_EXTENSION_DIR, so azure-cli's own `aks identity-binding` runs. Each side has its own
AZURE_CONFIG_DIR (so neither rebuilds the other's command index). Runs are interleaved (ours,
built-in, built-in, ours, ...), after one unmeasured warm-up run of every command on each side.

Wall time is the az process from spawn to exit; peak memory is that process's own max RSS
(os.wait4). Requests are counted by the stand-in, per run, through a tag in the User-Agent.

Long-running operations: the stand-in answers Retry-After: 1 on every LRO response and finishes an
operation --lro-duration seconds after it was accepted. Both pollers honour Retry-After (the
extension's default without it is 5 s, the SDK's 30 s, which would swamp everything else).
Retry-After: 0 is not used because the SDK poller treats 0 as "absent" and falls back to 30 s.

Fleet view (after the per-command cases, on the same stand-in, reset to a subscription that holds
only the fleet: N clusters fleet-cluster0000.. over 5 resource groups; every 10th binds identity1,
every 7th binds identity2 as a distractor). "ours" is one process:
    az aks identity-binding list --managed-identity-resource-id ID -o json
The baseline is what an admin does without the extension, as a shell loop would, with built-in az:
    az aks list --query "[].id" -o tsv                                         # enumerate the clusters
    az aks identity-binding list -g RG --cluster-name C -o json   # once per cluster, one after another
(then keep the bindings of ID). Its wall time runs from the first spawn to the last exit; its peak
RSS is the largest of its processes (they never overlap). Both must find the same bindings, or the
run fails. The fleet view gets --runs runs per size; the loop (about 0.5 s of az start-up per
cluster) gets fewer (--fleet SIZE:LOOP_RUNS,...), interleaved with them, after one warm-up of each.
"""
import argparse
import datetime
import importlib.metadata
import os
import platform
import random
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
from standin.azcli import AzState, RemoteStandIn, build_wheel  # noqa: E402

IDENTITY_ID = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/identity-rg/providers/"
               "Microsoft.ManagedIdentity/userAssignedIdentities/identity1")
ON_CLUSTER = ["-g", "rg1", "--cluster-name", "cluster1"]
CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
ARM_TARGET = 1.05     # each ARM command: ours <= 1.05 x built-in median
RBAC_TARGET = 3.0     # generate-rbac offline <= 3 x `az version`
FLEET_TARGET = 1.5    # seconds, fleet view over 200 clusters at 50 ms
FLEET_TARGET_SIZE = 200
FLEET_GROUPS = 5      # fleet clusters are spread over this many resource groups
FLEET_BIND_EVERY = 10  # every 10th cluster binds identity1 (the one asked about) ...
FLEET_OTHER_EVERY = 7  # ... and every 7th binds identity2 (must not be reported)
IDENTITY2_ID = IDENTITY_ID[:-1] + "2"
CLASSIC_SECTION = "classic"   # this suite's section of results.md


class Case:
    """A pair of commands measured against each other; `argv(side, i)` gives run i's arguments."""

    def __init__(self, key, title, ours, other, other_side, kind, target=None):
        self.key, self.title = key, title
        self.ours, self.other, self.other_side = ours, other, other_side   # callables i -> argv
        self.kind, self.target = kind, target                              # "arm", "rbac", "unrelated"
        self.samples = {"ours": [], "other": []}

    def record(self, which, result, requests):
        self.samples[which].append((result.seconds, result.maxrss_kb, requests))


def _group(*args):
    return ["aks", "identity-binding", *args]


def make_cases():
    return [
        Case("list-h", "`list -h`", lambda i: _group("list", "-h"), lambda i: _group("list", "-h"),
             "builtin", "arm", ARM_TARGET),
        Case("show", "`show`", lambda i: _group("show", *ON_CLUSTER, "-n", "existing000"),
             lambda i: _group("show", *ON_CLUSTER, "-n", "existing000"), "builtin", "arm", ARM_TARGET),
        Case("list", "`list` (5 bindings)", lambda i: _group("list", *ON_CLUSTER),
             lambda i: _group("list", *ON_CLUSTER), "builtin", "arm", ARM_TARGET),
        Case("create", "`create` (LRO)",
             lambda i: _group("create", *ON_CLUSTER, "-n", f"ours{i}", "--managed-identity-resource-id", IDENTITY_ID),
             lambda i: _group("create", *ON_CLUSTER, "-n", f"core{i}", "--managed-identity-resource-id", IDENTITY_ID),
             "builtin", "arm", ARM_TARGET),
        Case("delete", "`delete` (LRO)", lambda i: _group("delete", *ON_CLUSTER, "-n", f"ours{i}", "--yes"),
             lambda i: _group("delete", *ON_CLUSTER, "-n", f"core{i}", "--yes"), "builtin", "arm", ARM_TARGET),
        Case("rbac", "`generate-rbac` offline vs `az version`",
             lambda i: _group("generate-rbac", "--client-id", CLIENT_ID, "--service-account", "demo/workload"),
             lambda i: ["version"], "ours", "rbac", RBAC_TARGET),
        Case("version", "`az version`, extension installed vs not", lambda i: ["version"], lambda i: ["version"],
             "builtin", "unrelated"),
        Case("group-h", "`az group -h`, extension installed vs not", lambda i: ["group", "-h"],
             lambda i: ["group", "-h"], "builtin", "unrelated"),
    ]


def machine():
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    version = importlib.metadata.version("azure-cli")  # the az that runs: the one next to this Python

    def git(*args):
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30,
                                  check=False).stdout.strip()
        except OSError:
            return ""
    # Which extension code was measured: the wheel is built from the working tree, so say whether the
    # files that go into it differ from the commit (changes elsewhere, e.g. in bench/, do not matter).
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = sorted(set(git("diff", "--name-only", "HEAD").splitlines())
                     | set(git("ls-files", "--others", "--exclude-standard").splitlines()))
    shipped = ("azext_identitybinding/", "setup.py", "setup.cfg", "HISTORY", "README")
    in_wheel = [f for f in changed if f.startswith(shipped)]
    return {"nproc": os.cpu_count(), "cpu": cpu or platform.processor(), "python": platform.python_version(),
            "azure-cli": version, "os": f"{platform.system()} {platform.release()}", "commit": commit,
            "changed": changed, "changed_in_wheel": in_wheel}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="ib-bench-"))
        self.standin = None
        self.states = {}

    def start(self):
        print(f"building the wheel and starting the stand-in (work dir {self.work}) ...", flush=True)
        wheel = build_wheel(self.work / "wheel")
        self.standin = RemoteStandIn.start(
            "--latency-ms", str(self.args.latency_ms), "--lro-retry-after", "1",
            "--lro-duration", str(self.args.lro_duration), "--lro-in-progress-polls", "0", "--bindings", "5",
            "--page-size", str(self.args.page_size),
            lifetime=self.args.lifetime)
        self.states = {"ours": AzState(self.work / "ours", self.standin, wheel).setup(),
                       "builtin": AzState(self.work / "builtin", self.standin, None).setup()}

    def stop(self):
        if self.standin:
            self.standin.stop()
        shutil.rmtree(self.work, ignore_errors=True)  # az states (with the stand-in's test token cache)

    def run(self, side, argv, tag):
        result = self.states[side].az(*argv, env={"AZURE_HTTP_USER_AGENT": tag}, timeout=120)
        if result.returncode != 0 or "Traceback" in result.stderr:
            raise RuntimeError(f"[{side}] failed, so it cannot be timed: {result!r}")
        return result

    def measure(self, cases, runs):
        for case in cases:  # warm-up: first runs after install build command indexes and caches
            self.run("ours", case.ours("w"), "ibbench/warmup")
            self.run(case.other_side, case.other("w"), "ibbench/warmup")
        self.standin.admin("DELETE", "requests")
        for i in range(runs):
            print(f"  round {i + 1}/{runs}", flush=True)
            for case in cases:
                order = [("ours", "ours", case.ours), ("other", case.other_side, case.other)]
                if i % 2:
                    order.reverse()
                for which, side, argv in order:
                    tag = f"ibbench/{case.key}-{which}-{i}"
                    case.record(which, self.run(side, argv(i), tag), None)
            # count this round's requests per command (one admin call per round keeps overhead off the timings)
            log = self.standin.admin("GET", "requests")
            self.standin.admin("DELETE", "requests")
            for case in cases:
                for which in ("ours", "other"):
                    pattern = re.compile(rf"(^|\s)ibbench/{case.key}-{which}-{i}(\s|$)")
                    count = sum(1 for r in log if pattern.search(r["user_agent"]))
                    seconds, rss, _ = case.samples[which][-1]
                    case.samples[which][-1] = (seconds, rss, count)


class FleetCase:
    """The fleet view over `size` clusters vs the serial loop of built-in commands."""

    def __init__(self, size, loop_runs):
        self.size, self.loop_runs = size, loop_runs
        self.key = f"fleet{size}"
        self.bound = [i for i in range(size) if i % FLEET_BIND_EVERY == 0]
        self.samples = {"ours": [], "loop": []}   # (seconds, peak rss kB, requests)

    def clusters(self):
        return [(f"fleet-rg{i % FLEET_GROUPS}", f"fleet-cluster{i:04d}") for i in range(self.size)]

    def seed(self):
        bindings = []
        for i, (rg, cluster) in enumerate(self.clusters()):
            if i % FLEET_BIND_EVERY == 0:
                bindings.append({"resource_group": rg, "cluster": cluster, "name": f"fleet{i:04d}",
                                 "identity_id": IDENTITY_ID})
            if i % FLEET_OTHER_EVERY == 0:
                bindings.append({"resource_group": rg, "cluster": cluster, "name": f"other{i:04d}",
                                 "identity_id": IDENTITY2_ID})
        return {"fleet": self.size, "groups": FLEET_GROUPS, "bindings": bindings}

    def expected(self):
        return sorted(f"/subscriptions/{SUBSCRIPTION}/resourcegroups/{rg}/providers/microsoft.containerservice/"
                      f"managedclusters/{cluster}/identitybindings/fleet{i:04d}"
                      for i, (rg, cluster) in enumerate(self.clusters()) if i % FLEET_BIND_EVERY == 0)


def _of_identity(bindings):
    return sorted(b["id"].lower() for b in bindings
                  if ((b.get("properties") or {}).get("managedIdentity") or {}).get("resourceId", "").lower()
                  == IDENTITY_ID.lower())


def _id_part(resource_id, key):
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index(key) + 1]


class FleetBench:
    """The fleet rows, on the stand-in and az states of a started Bench."""

    def __init__(self, bench):
        self.bench = bench

    def fleet_view(self, tag):
        result = self.bench.run("ours", ["aks", "identity-binding", "list", "--managed-identity-resource-id",
                                         IDENTITY_ID, "-o", "json"], tag)
        return result.seconds, result.maxrss_kb, _of_identity(result.json())

    def serial_loop(self, tag):
        """What a shell loop over the built-in commands does; wall time first spawn -> last exit."""
        started = time.perf_counter()
        listed = self.bench.run("builtin", ["aks", "list", "--query", "[].id", "-o", "tsv"], tag)
        rss, found = listed.maxrss_kb, []
        for cluster_id in listed.stdout.split():
            one = self.bench.run("builtin", ["aks", "identity-binding", "list",
                                             "-g", _id_part(cluster_id, "resourcegroups"),
                                             "--cluster-name", _id_part(cluster_id, "managedclusters"), "-o", "json"],
                                 tag)
            rss = max(rss, one.maxrss_kb)
            found += _of_identity(one.json())
        return time.perf_counter() - started, rss, sorted(found)

    def measure(self, case, runs):
        standin = self.bench.standin
        standin.admin("POST", "reset", {"default_cluster": False})
        seeded = standin.admin("POST", "seed", case.seed())
        if seeded["clusters"] != case.size:
            raise RuntimeError(f"the stand-in holds {seeded['clusters']} clusters, not {case.size}")
        expected = case.expected()
        what = {"ours": self.fleet_view, "loop": self.serial_loop}
        # Warm-up, not measured: the fleet view, and the loop's first two commands (the per-cluster list
        # was warmed up with the per-command cases; a whole warm-up loop would cost minutes for nothing).
        self.fleet_view(f"ibbench/warmup-{case.key}")
        self.bench.run("builtin", ["aks", "list", "--query", "[].id", "-o", "tsv"], f"ibbench/warmup-{case.key}")
        rg, cluster = case.clusters()[0]
        self.bench.run("builtin", ["aks", "identity-binding", "list", "-g", rg, "--cluster-name", cluster, "-o", "json"],
                       f"ibbench/warmup-{case.key}")
        standin.admin("DELETE", "requests")
        loop_rounds = sorted({round(k * runs / case.loop_runs) for k in range(case.loop_runs)})
        for i in range(runs):
            order = ["ours", "loop"] if i in loop_rounds else ["ours"]
            if i in loop_rounds and loop_rounds.index(i) % 2:
                order.reverse()
            print(f"  {case.size} clusters, round {i + 1}/{runs}: {' + '.join(order)}", flush=True)
            tags = {}
            for which in order:
                tags[which] = f"ibbench/{case.key}-{which}-{i}"
                seconds, rss, found = what[which](tags[which])
                if found != expected:
                    raise RuntimeError(f"[{case.key} {which}] found {len(found)} bindings, expected {len(expected)}")
                case.samples[which].append([seconds, rss, None])
            log = standin.admin("GET", "requests")
            standin.admin("DELETE", "requests")
            for which, tag in tags.items():
                pattern = re.compile(rf"(^|\s){re.escape(tag)}(\s|$)")
                case.samples[which][-1][2] = sum(1 for r in log if pattern.search(r["user_agent"]))


def _median(values):
    return statistics.median(values)


def _bootstrap_ci(a, b, statistic, rounds=4000, seed=1):
    """95% bootstrap interval of statistic(median(a), median(b))."""
    rng = random.Random(seed)
    values = sorted(statistic(_median(rng.choices(a, k=len(a))), _median(rng.choices(b, k=len(b))))
                    for _ in range(rounds))
    return values[int(0.025 * rounds)], values[int(0.975 * rounds) - 1]


def summarize(cases):
    rows = []
    for case in cases:
        ours = [s for s, _, _ in case.samples["ours"]]
        other = [s for s, _, _ in case.samples["other"]]
        rss = (max(r for _, r, _ in case.samples["ours"]) / 1024, max(r for _, r, _ in case.samples["other"]) / 1024)
        requests = (_median([n for _, _, n in case.samples["ours"]]), _median([n for _, _, n in case.samples["other"]]))
        m_ours, m_other = _median(ours), _median(other)
        row = {"case": case, "ours": m_ours, "other": m_other, "ratio": m_ours / m_other, "rss": rss,
               "requests": requests, "n": len(ours)}
        if case.kind == "unrelated":
            low, high = _bootstrap_ci(ours, other, lambda x, y: x - y)
            row["delta_ms"] = (m_ours - m_other) * 1000
            row["ci_ms"] = (low * 1000, high * 1000)
            row["verdict"] = ("within noise" if low <= 0 <= high
                              else f"MISSED: +{(m_ours - m_other) * 1000:.0f} ms beyond noise" if low > 0
                              else "faster (beyond noise)")
        else:
            row["ratio_ci"] = _bootstrap_ci(ours, other, lambda x, y: x / y)
            row["verdict"] = "met" if row["ratio"] <= case.target else "MISSED"
        rows.append(row)
    return rows


def summarize_fleet(fleet_cases):
    rows = []
    for case in fleet_cases:
        ours = [s for s, _, _ in case.samples["ours"]]
        loop = [s for s, _, _ in case.samples["loop"]]
        row = {"case": case, "ours": _median(ours), "other": _median(loop), "n": (len(ours), len(loop)),
               "range": ((min(ours), max(ours)), (min(loop), max(loop))),
               "rss": tuple(max(r for _, r, _ in case.samples[w]) / 1024 for w in ("ours", "loop")),
               "requests": tuple(_median([n for _, _, n in case.samples[w]]) for w in ("ours", "loop"))}
        row["ratio"] = row["ours"] / row["other"]
        row["ratio_ci"] = _bootstrap_ci(ours, loop, lambda x, y: x / y)
        speedup = f"{row['other'] / row['ours']:.0f}× faster than the loop"
        if case.size == FLEET_TARGET_SIZE:
            row["verdict"] = (f"met ({row['ours']:.2f} s ≤ {FLEET_TARGET:g} s); {speedup}"
                              if row["ours"] <= FLEET_TARGET else
                              f"MISSED ({row['ours']:.2f} s > {FLEET_TARGET:g} s); {speedup}")
        else:
            row["verdict"] = f"no target; {speedup}"
        rows.append(row)
    return rows


def render(rows, info, args, started, elapsed, fleet_rows=()):
    def req(row):
        ours, other = row["requests"]
        return f"{ours:g} / {other:g}"

    lines = [
        "# Benchmark: `az aks identity-binding` (this extension) vs azure-cli's built-in commands",
        "",
        f"One run of `bash scripts/bench.sh` ({args.runs} interleaved runs per command and side, medians; "
        "the serial loop of the fleet rows has fewer, see below), "
        f"{started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} min in total.",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, "
        f"azure-cli {info['azure-cli']}. Extension: wheel built from the working tree at commit `{info['commit']}`"
        + (f", whose extension sources had uncommitted changes ({', '.join(info['changed_in_wheel'])})"
           if info["changed_in_wheel"] else ", with the extension's sources as committed")
        + (f" (uncommitted changes elsewhere: {', '.join(info['changed'])})." if info["changed"] else "."),
        "",
        f"ARM: the loopback stand-in (`tests/standin`, HTTPS, its own process) with {args.latency_ms:g} ms added to "
        "every request. Long-running operations: the stand-in sends `Retry-After: 1` on the PUT/DELETE answer and "
        f"on every poll and ends an operation {args.lro_duration:g} s after accepting it, so both pollers wait "
        "about 1 s (without Retry-After the extension polls every 5 s and the SDK every 30 s, which would hide "
        "everything else; `Retry-After: 0` is not used because the SDK treats 0 as absent). `create`/`delete` "
        "therefore measure the client's own overhead plus about one poll interval.",
        "",
        "\"ours\" = az with the extension installed from the wheel; \"built-in\" = the same az with an empty "
        "extension directory (azure-cli's own `aks identity-binding`, SDK azure-mgmt-containerservice). "
        "Peak RSS is the largest max-RSS of the az process over the runs; requests are counted by the stand-in "
        "(median per run, login excluded: the token comes from the MSAL cache).",
        "",
        "Ratio = median(ours) / median(other), with a 95% bootstrap interval; the target is checked on the "
        "median ratio.",
        "",
        "| command | ours (s) | built-in / baseline (s) | ratio [95% CI] | target | peak RSS ours / other (MB) "
        "| requests ours / other | result |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for row in rows:
        case = row["case"]
        if case.kind == "unrelated":
            continue
        target = f"≤ {case.target:g}×" + (" `az version`" if case.kind == "rbac" else " built-in")
        low, high = row["ratio_ci"]
        lines.append(f"| {case.title} | {row['ours']:.3f} | {row['other']:.3f} | {row['ratio']:.2f}× "
                     f"[{low:.2f}–{high:.2f}] | {target} "
                     f"| {row['rss'][0]:.0f} / {row['rss'][1]:.0f} | {req(row)} | {row['verdict']} |")
    for row in fleet_rows:
        case = row["case"]
        low, high = row["ratio_ci"]
        target = f"≤ {FLEET_TARGET:g} s" if case.size == FLEET_TARGET_SIZE else "–"
        lines.append(f"| fleet view, {case.size} clusters ({len(case.bound)} bind the identity) vs serial loop "
                     f"| {row['ours']:.3f} | {row['other']:.3f} | {row['ratio']:.3f}× [{low:.3f}–{high:.3f}] "
                     f"| {target} | {row['rss'][0]:.0f} / {row['rss'][1]:.0f} | {req(row)} | {row['verdict']} |")
    lines += [
        "",
        "Cost added to unrelated commands (extension installed vs not; target: 0 ms beyond noise):",
        "",
        "| command | installed (s) | not installed (s) | Δ median (ms) | 95% CI of Δ (ms) "
        "| peak RSS installed / not (MB) | result |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for row in rows:
        case = row["case"]
        if case.kind != "unrelated":
            continue
        low, high = row["ci_ms"]
        lines.append(f"| {case.title.split(',')[0]} | {row['ours']:.3f} | {row['other']:.3f} | {row['delta_ms']:+.0f} "
                     f"| {low:+.0f} … {high:+.0f} | {row['rss'][0]:.0f} / {row['rss'][1]:.0f} | {row['verdict']} |")
    if fleet_rows:
        lines += [
            "",
            f"Fleet rows ({args.latency_ms:g} ms per request, as above). The subscription holds only the fleet: N "
            f"clusters over {FLEET_GROUPS} resource groups, {page_note(args)}; every {FLEET_BIND_EVERY}th cluster "
            f"binds the identity asked about and every {FLEET_OTHER_EVERY}th binds another one (which must not be "
            "reported). \"ours\" = one process, `az aks identity-binding list --managed-identity-resource-id ID` "
            "(reads the cluster list, then the clusters' bindings concurrently). The serial loop = what an admin "
            "does without the extension, as a shell loop would, with built-in az (empty extension directory): "
            "`az aks list --query \"[].id\" -o tsv`, then `az aks identity-binding list -g RG --cluster-name C` "
            "once per cluster, one after another; its time runs from the first spawn to the last exit, its peak "
            "RSS is that of its largest process (they never overlap). Every run of both had to find exactly the "
            "seeded bindings. Ratio = median(ours) / median(loop); speed-up = its inverse.",
            "",
            "| clusters | runs ours / loop | ours median [min–max] (s) | loop median [min–max] (s) | speed-up "
            "| requests ours / loop |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in fleet_rows:
            (o_lo, o_hi), (l_lo, l_hi) = row["range"]
            lines.append(f"| {row['case'].size} | {row['n'][0]} / {row['n'][1]} | {row['ours']:.3f} "
                         f"[{o_lo:.3f}–{o_hi:.3f}] | {row['other']:.1f} [{l_lo:.1f}–{l_hi:.1f}] "
                         f"| {row['other'] / row['ours']:.0f}× | {req(row)} |")
        lines.append("")
        lines.append(f"The loop has fewer runs than the fleet view ({', '.join(str(r['n'][1]) for r in fleet_rows)}"
                     " against "
                     f"{fleet_rows[0]['n'][0]}) because each run starts az once per cluster (about 0.5 s each); its "
                     "runs are spread evenly among the fleet view's, alternating which goes first.")
    lines.append("")
    return "\n".join(lines)


def page_note(args):
    return f"listed {args.page_size} per page (nextLink)"


def main(argv=None):
    suite = argparse.ArgumentParser(add_help=False)
    suite.add_argument("--suite", choices=("classic", "tenant", "migrate"), default="classic")
    chosen, rest = suite.parse_known_args(argv)
    if chosen.suite == "tenant":
        import tenant  # bench/tenant.py  pylint: disable=import-outside-toplevel
        return tenant.main(rest)
    if chosen.suite == "migrate":
        import migrate  # bench/migrate.py  pylint: disable=import-outside-toplevel
        return migrate.main(rest)
    argv = rest
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="--suite tenant: the tenant-scale suite (bench/tenant.py --help); "
                                            "--suite migrate: migrate audit/plan (bench/migrate.py --help)")
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command and side (>= 10)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added by the stand-in to every request")
    parser.add_argument("--lro-duration", type=float, default=0.5, help="seconds until an operation ends")
    parser.add_argument("--lifetime", type=float, default=3600.0, help="stand-in stops by itself after this")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"), help="'-' to skip writing")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--only", help="comma-separated case keys (list-h,show,list,create,delete,rbac,version,"
                                       "group-h,fleet), for a quick look; the saved table should come from a full run")
    parser.add_argument("--fleet", default="50:5,200:3", type=_fleet_spec,
                        help="fleet sizes and how many serial-loop runs each gets, SIZE:LOOP_RUNS,... "
                             "(the fleet view itself gets --runs); '' for none")
    parser.add_argument("--page-size", type=int, default=100, help="the stand-in's list page size")
    args = parser.parse_args(argv)
    if args.runs < 10 and args.out != "-":
        parser.error("results.md needs >= 10 runs per command (use --out - for a quick look)")

    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.monotonic()
    cases = make_cases()
    fleet_cases = [FleetCase(size, loop_runs) for size, loop_runs in args.fleet]
    if args.only:
        keys = set(args.only.split(","))
        cases = [c for c in cases if c.key in keys]
        if "fleet" not in keys:
            fleet_cases = []
        if {"delete"} & keys and "create" not in keys:
            parser.error("delete needs create in the same run (it deletes what create made)")
    info = machine()
    bench = Bench(args)
    try:
        bench.start()
        bench.measure(cases, args.runs)
        fleet = FleetBench(bench)
        for case in fleet_cases:
            fleet.measure(case, args.runs)
    finally:
        bench.stop()
    rows = summarize(cases)
    fleet_rows = summarize_fleet(fleet_cases)
    text = render(rows, info, args, started, time.monotonic() - clock, fleet_rows)
    print()
    print(text)
    if args.out != "-":
        from tenant import write_section  # pylint: disable=import-outside-toplevel
        write_section(args.out, f"<!-- begin {CLASSIC_SECTION} -->\n{text}\n<!-- end {CLASSIC_SECTION} -->\n",
                      CLASSIC_SECTION)
        print(f"saved {args.out}")
    missed = [row["case"].key for row in rows + fleet_rows if row["verdict"].startswith("MISSED")]
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 1 if missed and args.strict else 0


def _fleet_spec(text):
    spec = []
    for item in filter(None, text.split(",")):
        size, _, loop_runs = item.partition(":")
        spec.append((int(size), int(loop_runs or 3)))
        if spec[-1][0] < 1 or spec[-1][1] < 1:
            raise argparse.ArgumentTypeError(f"bad fleet size/runs: {item!r}")
    return spec


if __name__ == "__main__":
    sys.exit(main())
