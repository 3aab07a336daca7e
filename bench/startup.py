"""Start-up benchmark: what the extension adds to `az aks identity-binding list -h`, as ratios in one run.

    .venv/bin/python bench/startup.py [--pairs 20] [--baseline COMMIT] [--out bench/results.md]

Three sides, the same az (the venv's azure-cli), each with its own AZURE_EXTENSION_DIR and
AZURE_CONFIG_DIR: "built-in" (no extension: azure-cli's own `aks identity-binding`), "ours" (the
wheel built from the working tree) and, with --baseline, "baseline" (the wheel built from that
commit). No login and no request: `-h` only loads the command table and the arguments of `list`.

Runs are interleaved in rounds, each side once per round in an order that rotates (so that a slow
moment of the shared machine hits every side alike), after one unmeasured warm-up of each side.
Wall time is the process from spawn to exit; CPU time is the process's own user + system time
(os.wait4), which other work on a shared machine disturbs far less than wall time. Ratio =
median(side) / median(built-in), with a 95% bootstrap interval over the rounds. Then `python -X
importtime` of the same command, --imports runs per side (the median of each module), attributes
the difference: the self time of the modules only the extension's side imports.

Writes the section `startup` of results.md (between its begin/end markers), leaving the rest.
"""
import argparse
import datetime
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
sys.path.insert(0, str(ROOT / "bench"))

from standin.azcli import AZ, az_env, build_wheel, build_wheel_at  # noqa: E402  pylint: disable=wrong-import-position
from azenv import pip_env  # noqa: E402  pylint: disable=wrong-import-position
from tenant import write_section  # noqa: E402  pylint: disable=wrong-import-position

SECTION = "startup"
COMMAND = ["aks", "identity-binding", "list", "-h"]
TARGET = 1.05
_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


class Side:
    def __init__(self, name, work, wheel=None):
        self.name, self.times, self.cpu = name, [], []
        self.env = az_env(work / name)
        self.env["AZURE_CORE_COLLECT_TELEMETRY"] = "false"
        if wheel is not None:
            install = {**self.env, **pip_env()}
            done = subprocess.run([str(AZ), "extension", "add", "--source", str(wheel), "--yes", "--only-show-errors"],
                                  env=install, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise SystemExit(f"installing {wheel} for {name} failed:\n{done.stderr}")

    def run(self):
        """(wall seconds, CPU seconds) of one az process."""
        started = time.perf_counter()
        process = subprocess.Popen([str(AZ), *COMMAND], env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{self.name}: az {' '.join(COMMAND)} exited {process.returncode}")
        return wall, usage.ru_utime + usage.ru_stime

    def measure(self):
        wall, cpu = self.run()
        self.times.append(wall)
        self.cpu.append(cpu)

    def imports(self, runs):
        """{module: median self microseconds} over `runs` runs of `python -X importtime` of the command."""
        seen = {}
        for _ in range(runs):
            done = subprocess.run([sys.executable, "-X", "importtime", "-m", "azure.cli", *COMMAND], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                                  check=False)
            for m in filter(None, map(_IMPORT.match, done.stderr.splitlines())):
                seen.setdefault(m.group(4), []).append(int(m.group(1)))
        return {module: statistics.median(values) for module, values in seen.items()}


def bootstrap(a, b, rounds=4000, seed=1):
    rng = random.Random(seed)
    ratios = sorted(statistics.median(rng.choices(a, k=len(a))) / statistics.median(rng.choices(b, k=len(b)))
                    for _ in range(rounds))
    return ratios[int(0.025 * rounds)], ratios[int(0.975 * rounds)]


def render(sides, imports, args, started):
    core = sides[0]
    lines = [f"<!-- begin {SECTION} -->", "## Start-up: `az aks identity-binding list -h`", "",
             f"One run of `.venv/bin/python bench/startup.py --pairs {args.pairs}"
             + (f" --baseline {args.baseline}" if args.baseline else "") + f"`, {started:%Y-%m-%d %H:%M} UTC: "
             f"{args.pairs} rounds, every side once a round in rotating order, after a warm-up. Machine: "
             f"{os.cpu_count()} CPUs (shared with other work), {platform.system()} {platform.release()}, "
             f"Python {platform.python_version()}. Ratio = median / median of built-in, 95% bootstrap interval.",
             "", "| side | wall median (s) | wall ratio [95% CI] | CPU median (s) | CPU ratio [95% CI] | target (wall) |",
             "|---|---:|---:|---:|---:|---|"]
    for side in sides:
        if side is core:
            lines.append(f"| {side.name} | {statistics.median(side.times):.3f} | 1 | {statistics.median(side.cpu):.3f} "
                         "| 1 | |")
            continue
        cells = []
        for mine, theirs in ((side.times, core.times), (side.cpu, core.cpu)):
            low, high = bootstrap(mine, theirs)
            cells += [f"{statistics.median(mine):.3f}",
                      f"{statistics.median(mine) / statistics.median(theirs):.3f}x [{low:.3f}-{high:.3f}]"]
        ratio = statistics.median(side.times) / statistics.median(core.times)
        verdict = "met" if ratio <= TARGET else "missed"
        lines.append(f"| {side.name} | {' | '.join(cells)} | <= {TARGET}x: {verdict} |")
    lines += ["", f"Modules only the extension's side imports (`python -X importtime`, self time, median of "
              f"{args.imports} runs):", "",
              "| side | extension modules (ms) | others only on that side (ms) | largest |", "|---|---:|---:|---|"]
    base = imports[core.name]
    for side in sides[1:]:
        extra = {m: us for m, us in imports[side.name].items() if m not in base}
        ours = {m: us for m, us in extra.items() if m.startswith("azext_identitybinding")}
        largest = ", ".join(f"{m.replace('azext_identitybinding', 'azext')} {us / 1000:.1f}"
                            for m, us in sorted(ours.items(), key=lambda kv: -kv[1])[:4])
        lines.append(f"| {side.name} | {sum(ours.values()) / 1000:.1f} | "
                     f"{(sum(extra.values()) - sum(ours.values())) / 1000:.1f} | {largest} |")
    lines += ["", f"<!-- end {SECTION} -->", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20, help="measured rounds (>= 20 for the target)")
    parser.add_argument("--baseline", help="a commit whose wheel is measured too")
    parser.add_argument("--imports", type=int, default=5, help="python -X importtime runs per side")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"), help="'-' to print only")
    args = parser.parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="ib-startup-"))
    try:
        sides = [Side("built-in", work), Side("ours", work, build_wheel(work / "wheel-ours"))]
        if args.baseline:
            sides.append(Side(f"baseline {args.baseline[:7]}", work, build_wheel_at(args.baseline, work / "wheel-base")))
        for side in sides:
            side.run()  # warm-up: command index, .pyc files
        for round_no in range(args.pairs):
            shift = round_no % len(sides)
            for side in sides[shift:] + sides[:shift]:
                side.measure()
        imports = {side.name: side.imports(args.imports) for side in sides}
        text = render(sides, imports, args, started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(text)
    if args.out != "-":
        write_section(args.out, text, key=SECTION)


if __name__ == "__main__":
    main()
