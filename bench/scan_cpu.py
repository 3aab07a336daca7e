"""CPU per scanned cluster of the fleet scan, against a bare `requests.Session` client, in one run.

    .venv/bin/python bench/scan_cpu.py [--clusters 2000] [--subscriptions 20] [--runs 3]
                                       [--baseline COMMIT] [--out bench/results.md]

One stand-in (tests/standin, its own process, --latency-ms added to every request, no read
throttling: the scan is bound by CPU once latency is covered). Sides, all as their own processes:

    ours      az aks identity-binding list --managed-identity-resource-id ID --all-subscriptions -o json
              (the extension built from the working tree)
    baseline  the same, with the extension built from --baseline
    requests  a bare client: one requests.Session on 32 threads, GET of each cluster's
              identityBindings list with the bearer token az holds (the reads alone: no discovery)

CPU is the process's own user + system time (os.wait4). Every side runs at --clusters and at
--small clusters (the same subscriptions), so that start-up, login and discovery cancel out:
CPU per cluster = (median CPU at N - median CPU at the small size) / (N - small). Runs are
interleaved in rounds after a warm-up. The ratio of each az side to `requests` is the figure the
goal is stated in (<= 1.2x).

Writes the section `scan-cpu` of results.md, leaving the rest.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from standin.azcli import AZ, AzState, RemoteStandIn, build_wheel, build_wheel_at  # noqa: E402  pylint: disable=wrong-import-position
from tenant import IDENTITY_ID, TenantCase, write_section  # noqa: E402  pylint: disable=wrong-import-position

SECTION = "scan-cpu"
TARGET = 1.2
API = "2026-06-01"
BARE = r'''
import json, sys, threading
from concurrent.futures import ThreadPoolExecutor
import requests
url, ca, token, paths = sys.argv[1], sys.argv[2], sys.argv[3], json.load(sys.stdin)
session = requests.Session()
session.trust_env = False
session.mount("https://", requests.adapters.HTTPAdapter(pool_connections=32, pool_maxsize=32))
headers = {"Authorization": "Bearer " + token}
def read(path):
    response = session.get(url + path, headers=headers, verify=ca, timeout=60)
    response.raise_for_status()
    return len(response.json()["value"])
with ThreadPoolExecutor(32) as pool:
    found = sum(pool.map(read, paths))
print(found)
'''


def cpu_of(argv, env, stdin=None):
    """(CPU seconds, wall seconds, stdout) of one process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.DEVNULL)
        if stdin is not None:
            process.stdin.write(stdin.encode())
            process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{argv[:4]} ... exited {os.waitstatus_to_exitcode(status)}")
        out.seek(0)
        return usage.ru_utime + usage.ru_stime, time.perf_counter() - started, out.read().decode()


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="ib-scan-cpu-"))
        self.standin = self.states = None

    def start(self):
        wheels = {"ours": build_wheel(self.work / "wheel-ours")}
        if self.args.baseline:
            wheels[f"baseline {self.args.baseline[:7]}"] = build_wheel_at(self.args.baseline, self.work / "wheel-base")
        self.standin = RemoteStandIn.start("--latency-ms", str(self.args.latency_ms), lifetime=3600)
        self.seed(TenantCase("warm", "", self.args.small, self.args.subscriptions, (1, 1)))
        self.states = {name: AzState(self.work / name.split()[0], self.standin, wheel).setup()
                       for name, wheel in wheels.items()}

    def seed(self, case):
        self.standin.admin("POST", "reset", {"default_cluster": False})
        self.standin.admin("POST", "settings", {"latency": self.args.latency_ms / 1000.0})
        self.standin.admin("POST", "seed", case.seed())
        return case

    def az(self, name, case):
        cpu, wall, out = cpu_of([str(AZ), "aks", "identity-binding", "list", "--managed-identity-resource-id",
                                 IDENTITY_ID, "--all-subscriptions", "-o", "json", "--only-show-errors"],
                                self.states[name].env)
        if sorted(b["id"].lower() for b in json.loads(out)) != case.expected():
            raise SystemExit(f"{name} did not find the seeded bindings")
        return cpu, wall

    def bare(self, case):
        state = next(iter(self.states.values()))
        token = subprocess.run([str(AZ), "account", "get-access-token", "--query", "accessToken", "-o", "tsv"],
                               env=state.env, capture_output=True, text=True, timeout=120, check=True).stdout.strip()
        paths = [f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/"
                 f"{cluster}/identityBindings?api-version={API}" for sub, rg, cluster in case.clusters()]
        cpu, wall, out = cpu_of([sys.executable, "-c", BARE, self.standin.url, str(self.standin.ca_path), token],
                                {**state.env, "PYTHONPATH": ""}, stdin=json.dumps(paths))
        if int(out) != sum(1 for _ in case.seed()["bindings"]):
            raise SystemExit("the bare client did not read every binding")
        return cpu, wall

    def measure(self):
        sizes = {"N": TenantCase("big", "", self.args.clusters, self.args.subscriptions, (1, 1)),
                 "small": TenantCase("small", "", self.args.small, self.args.subscriptions, (1, 1))}
        sides = [*self.states, "requests"]
        samples = {(side, size): [] for side in sides for size in sizes}
        for size, case in sizes.items():   # warm-up at each size
            self.seed(case)
            for side in sides:
                self.run(side, case)
        for round_no in range(self.args.runs):
            for size, case in sizes.items():
                self.seed(case)
                shift = round_no % len(sides)
                for side in sides[shift:] + sides[:shift]:
                    samples[(side, size)].append(self.run(side, case))
        return sides, samples

    def run(self, side, case):
        return self.bare(case) if side == "requests" else self.az(side, case)

    def stop(self):
        if self.standin:
            self.standin.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def render(args, sides, samples, started):
    n = args.clusters - args.small

    def per_cluster(side):
        big = statistics.median(cpu for cpu, _ in samples[(side, "N")])
        small = statistics.median(cpu for cpu, _ in samples[(side, "small")])
        return (big - small) / n

    bare = per_cluster("requests")
    lines = [f"<!-- begin {SECTION} -->", "## Fleet scan: CPU per scanned cluster", "",
             f"One run of `.venv/bin/python bench/scan_cpu.py --clusters {args.clusters} --subscriptions "
             f"{args.subscriptions} --small {args.small} --runs {args.runs}"
             + (f" --baseline {args.baseline}" if args.baseline else "") + f"`, {started:%Y-%m-%d %H:%M} UTC, "
             f"{os.cpu_count()} CPUs (shared with other work), {platform.system()} {platform.release()}, Python "
             f"{platform.python_version()}; stand-in with {args.latency_ms:g} ms per request, no read throttling. "
             f"CPU per cluster = (median CPU at {args.clusters:,} clusters - median at {args.small:,}) / {n:,}, "
             "the process's own user + system time.", "",
             f"| side | CPU at {args.clusters:,} (s) | CPU at {args.small:,} (s) | wall at {args.clusters:,} (s) | "
             "CPU per cluster (ms) | ratio to requests | target |", "|---|---:|---:|---:|---:|---:|---|"]
    for side in sides:
        big = [cpu for cpu, _ in samples[(side, "N")]]
        small = [cpu for cpu, _ in samples[(side, "small")]]
        wall = [w for _, w in samples[(side, "N")]]
        ratio = per_cluster(side) / bare if bare > 0 else float("nan")
        target = "" if side == "requests" else f"<= {TARGET}x: {'met' if ratio <= TARGET else 'missed'}"
        lines.append(f"| {side} | {statistics.median(big):.2f} | {statistics.median(small):.2f} | "
                     f"{statistics.median(wall):.2f} | {per_cluster(side) * 1000:.2f} | {ratio:.2f}x | {target} |")
    lines += ["", f"<!-- end {SECTION} -->", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=2000)
    parser.add_argument("--small", type=int, default=100, help="the size whose CPU is subtracted")
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--baseline", help="a commit whose wheel is measured too")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"), help="'-' to print only")
    args = parser.parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    bench = Bench(args)
    try:
        bench.start()
        sides, samples = bench.measure()
    finally:
        bench.stop()
    text = render(args, sides, samples, started)
    print(text)
    if args.out != "-":
        write_section(args.out, text, key=SECTION)


if __name__ == "__main__":
    main()
