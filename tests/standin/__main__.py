"""Run the stand-in as its own process (used by the benchmark):

    PYTHONPATH=tests python -m standin [--lifetime S] [--latency-ms MS] [--lro-retry-after N] ...

Prints one JSON line on stdout ({"url", "port", "ca", "sp_client_id", "sp_secret", "admin_key",
"pid"}) once it is listening, then serves until the lifetime ends, SIGTERM/SIGINT, POST
/_standin/stop, or its stdin reaches end of file (so it dies with a parent that started it with
stdin=PIPE). Other processes configure it over HTTPS at /_standin/* with the header
`X-Standin-Admin: <admin_key>` (settings, faults, requests, seed, reset, buckets, stop).
"""
import argparse
import json
import os
import signal
import sys
import threading

from .server import SP_CLIENT_ID, StandIn


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m standin", description=__doc__.splitlines()[0])
    parser.add_argument("--lifetime", type=float, default=900.0, help="seconds before it stops by itself")
    parser.add_argument("--state-dir", help="where to write the certificates (default: a temp dir)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--lro-retry-after", type=int, default=None,
                        help="Retry-After on LRO responses (default: none, as observed live)")
    parser.add_argument("--lro-duration", type=float, default=0.0, help="seconds an operation stays InProgress")
    parser.add_argument("--lro-in-progress-polls", type=int, default=1,
                        help="status polls answered InProgress (0: time only)")
    parser.add_argument("--bindings", type=int, default=0, help="pre-existing bindings on rg1/cluster1")
    parser.add_argument("--fleet", type=int, default=0, help="extra clusters fleet-rg*/fleet-cluster*")
    parser.add_argument("--subscriptions", type=int, default=1,
                        help="subscriptions the fleet is spread over (the default one, then subscription_id(1)...)")
    parser.add_argument("--read-throttling", action="store_true",
                        help="ARM's per-subscription read bucket (429 + Retry-After when empty)")
    parser.add_argument("--read-capacity", type=int, default=250, help="reads a full bucket holds")
    parser.add_argument("--read-refill", type=float, default=25.0, help="reads per second added back")
    parser.add_argument("--arg-forbidden", action="store_true", help="Resource Graph answers 403")
    parser.add_argument("--login-style", choices=("adfs", "aad"), default="adfs",
                        help="the login endpoint /metadata/endpoints advertises (both are served)")
    parser.add_argument("--no-stdin-watch", action="store_true", help="do not stop when stdin closes")
    args = parser.parse_args(argv)

    standin = StandIn(lifetime=args.lifetime, state_dir=args.state_dir, login_style=args.login_style,
                      latency=args.latency_ms / 1000.0,
                      page_size=args.page_size, lro_retry_after=args.lro_retry_after,
                      lro_duration=args.lro_duration, lro_in_progress_polls=args.lro_in_progress_polls,
                      read_throttling=args.read_throttling, read_bucket_capacity=args.read_capacity,
                      read_bucket_refill=args.read_refill, arg_forbidden=args.arg_forbidden)
    world = standin.world
    identity_id = world.identities[("identity-rg", "identity1")]["id"]
    for i in range(args.bindings):
        world.add_binding("rg1", "cluster1", f"existing{i:03d}", identity_id)
    if args.fleet:
        standin.cloud.seed_fleet(args.fleet, subscriptions=args.subscriptions)
    elif args.subscriptions > 1:
        standin.cloud.ensure_subscriptions(args.subscriptions)
    standin.start()

    signal.signal(signal.SIGTERM, lambda *_: standin.stop())
    signal.signal(signal.SIGINT, lambda *_: standin.stop())
    if not args.no_stdin_watch:
        def watch_stdin():
            try:  # os.read, not sys.stdin: no buffered-reader lock held at interpreter shutdown
                while os.read(sys.stdin.fileno(), 4096):
                    pass
            except (OSError, ValueError):
                pass
            standin.stop()
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(json.dumps({"url": standin.url, "port": standin.port, "ca": standin.ca_path, "sp_client_id": SP_CLIENT_ID,
                      "sp_secret": standin.sp_secret, "admin_key": standin.admin_key, "pid": os.getpid()}),
          flush=True)
    standin.stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
