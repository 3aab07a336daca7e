#!/usr/bin/env bash
# The demo: set up if needed, then run the extension's commands with the real az against a local
# stand-in for Azure (offline; see scripts/demo.py). Takes about 20 s after set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Setting up (the first time takes a few minutes; later runs skip what is already done) ..."
bash scripts/setup.sh >/dev/null
# The stand-in is a thread of this Python process: it ends with it, on any signal, with no trap needed.
exec .venv/bin/python scripts/demo.py "$@"
