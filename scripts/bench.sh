#!/usr/bin/env bash
# Benchmark: this extension's `az aks identity-binding` vs azure-cli's built-in commands, against the
# loopback ARM stand-in (no Azure, no network). Sets up the venv if needed, then runs bench/run.py:
# >= 10 interleaved runs per command and side, then the fleet view over 50 and 200 clusters vs a serial
# loop of built-in commands; prints the tables and saves its section of bench/results.md.
# Extra arguments go to bench/run.py (--runs N, --latency-ms MS, --out FILE|-, --only KEYS, --fleet SIZE:LOOP_RUNS,..., --strict).
# Takes about 12 minutes on 2 cores (most of it the serial loops of built-in commands that the fleet
# rows compare against: --fleet 50:5,200:3); run it on an otherwise idle machine.
#
# --suite tenant: the tenant-scale suite instead (bench/tenant.py: 2,000 clusters under ARM's read
# bucket, 2,000 over 20 subscriptions, and 100 ... 10,000 clusters against today's per-subscription
# scan, built from an older commit), about 15 minutes on 2 cores; it also draws bench/fleet-scaling.png
# with matplotlib from its own pinned venv, .venv-bench (made here; never .venv).
#
# --suite migrate: `migrate audit` of 1,000 identities x 10 credentials over 10 subscriptions and
# `migrate plan` over 2,000 clusters, each against the bare client's floor (bench/migrate.py,
# bench/bare.py), about 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
case " $* " in
  *" --suite tenant "*|*" --suite=tenant "*)
    # shellcheck source=scripts/pinned_venv.sh
    source scripts/pinned_venv.sh
    pinned_venv .venv-bench "the benchmark plot" matplotlib==3.11.2 ;;
esac
exec .venv/bin/python bench/run.py "$@"
