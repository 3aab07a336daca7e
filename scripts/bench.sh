#!/usr/bin/env bash
# Benchmark: this extension's `az aks identity-binding` vs azure-cli's built-in commands, against the
# loopback ARM stand-in (no Azure, no network). Sets up the venv if needed, then runs bench/run.py:
# >= 10 interleaved runs per command and side, prints the table and saves bench/results.md.
# Extra arguments go to bench/run.py (--runs N, --latency-ms MS, --out FILE|-, --only KEYS, --strict).
# Takes about 3 minutes on 2 cores; run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
exec .venv/bin/python bench/run.py "$@"
