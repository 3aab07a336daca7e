"""CPU of one ARM read, in one process: the pipeline as it was, as it is, and bare requests.

    .venv/bin/python bench/read_cpu.py [--reads 1000] [--rounds 5] [--out bench/results.md]

bench/scan_cpu.py measures whole az processes on 32 threads; on a shared machine its per-cluster
figure moves by about 0.05 ms between runs, as much as the changes it is meant to show. This one
isolates the read: one thread, the same GET of a cluster's identityBindings list against the
stand-in (its own process, so its CPU is not counted), `time.process_time()` per read, rounds
interleaved, the median round reported. Logging is set up as knack sets it (loggers at DEBUG,
console handlers at WARNING), so records nobody shows are still built, as in az.

    requests              a requests.Session (the environment read on every request, as by default)
    ArmClient, before     the CLI's network-trace policy in the pipeline, a plain requests.Session
    ArmClient, trace off  only the trace policy left out (what the client factory does without --debug)
    ArmClient, now        trace off, and the session that reads the environment once per host

Writes the section `read-cpu` of results.md, leaving the rest.
"""
import argparse
import datetime
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from standin import SP_CLIENT_ID, SUBSCRIPTION  # noqa: E402  pylint: disable=wrong-import-position
from standin.azcli import RemoteStandIn  # noqa: E402  pylint: disable=wrong-import-position
from tenant import write_section  # noqa: E402  pylint: disable=wrong-import-position

SECTION = "read-cpu"
TENANT = "11111111-1111-1111-1111-111111111111"


def knack_like_logging():
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    quiet = logging.StreamHandler()
    quiet.setLevel(logging.CRITICAL)
    root.addHandler(quiet)
    cli = logging.getLogger("cli")
    cli.setLevel(logging.DEBUG)
    cli.propagate = False
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    cli.addHandler(console)


def clients(standin, token):
    import requests
    from azure.core.credentials import AccessToken
    from azure.core.pipeline.policies import SansIOHTTPPolicy
    from azure.core.pipeline.transport import RequestsTransport
    from azure.cli.core.sdk.policies import RecordTelemetryUserAgentPolicy, SafeNetworkTraceLoggingPolicy
    from azext_identitybinding.arm import ArmClient, BindingRef
    from azext_identitybinding.arm.client import _session  # pylint: disable=protected-access

    class Credential:
        def get_token(self, *_, **__):
            return AccessToken(token, int(time.time()) + 3000)

    def arm(trace, session):
        # the keyword arguments the CLI's client factory gives a track-2 client
        return ArmClient(Credential(), SUBSCRIPTION, standin.url, connection_verify=standin.ca_path,
                         logging_policy=SafeNetworkTraceLoggingPolicy(), http_logging_policy=SansIOHTTPPolicy(),
                         user_agent_policy=RecordTelemetryUserAgentPolicy(user_agent="AZURECLI/2.91.0"),
                         credential_scopes=[standin.url + "/.default"], network_trace=trace,
                         transport=RequestsTransport(session=session, session_owner=True,
                                                     connection_verify=standin.ca_path))

    ref = BindingRef(SUBSCRIPTION, "rg1", "cluster1")
    url = f"{standin.url}{ref.url(collection=True)}?api-version=2026-06-01"
    session = requests.Session()
    headers = {"Authorization": "Bearer " + token}
    sides = {
        "requests": lambda: session.get(url, headers=headers, verify=standin.ca_path).json(),
        "ArmClient, before": arm(True, requests.Session()),
        "ArmClient, trace off": arm(False, requests.Session()),
        "ArmClient, now": arm(False, _session()),
    }
    return {name: (side if callable(side) else (lambda c=side: c.list_bindings(ref))) for name, side in sides.items()}


def main(argv=None):
    import requests
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1000, help="reads per side and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"), help="'-' to print only")
    args = parser.parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    standin = RemoteStandIn.start(lifetime=900)
    try:
        token = requests.post(f"{standin.url}/{TENANT}/oauth2/v2.0/token", verify=standin.ca_path, timeout=30,
                              data={"grant_type": "client_credentials", "client_id": SP_CLIENT_ID,
                                    "client_secret": standin.sp_secret, "scope": standin.url + "/.default"}
                              ).json()["access_token"]
        knack_like_logging()
        sides = clients(standin, token)
        per_read = {name: [] for name in sides}
        for read in sides.values():  # warm-up: connections, imports
            for _ in range(20):
                read()
        for round_no in range(args.rounds):
            names = list(sides)
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                read, began = sides[name], time.process_time()
                for _ in range(args.reads):
                    read()
                per_read[name].append((time.process_time() - began) / args.reads * 1000)
    finally:
        standin.stop()
    bare = statistics.median(per_read["requests"])
    before = statistics.median(per_read["ArmClient, before"])
    lines = [f"<!-- begin {SECTION} -->", "## One ARM read: CPU in one thread", "",
             f"One run of `.venv/bin/python bench/read_cpu.py --reads {args.reads} --rounds {args.rounds}`, "
             f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs (shared with other work), {platform.system()} "
             f"{platform.release()}, Python {platform.python_version()}: the GET of one cluster's identityBindings "
             "list against the stand-in, one thread, median of the rounds' CPU per read.", "",
             "| side | CPU per read (ms) | vs requests | vs before |", "|---|---:|---:|---:|"]
    for name, values in per_read.items():
        value = statistics.median(values)
        lines.append(f"| {name} | {value:.3f} | {value / bare:.2f}x | {value / before:.2f}x |")
    lines += ["", f"<!-- end {SECTION} -->", ""]
    text = "\n".join(lines)
    print(text)
    if args.out != "-":
        write_section(args.out, text, key=SECTION)


if __name__ == "__main__":
    main()
