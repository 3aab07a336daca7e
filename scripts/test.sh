#!/usr/bin/env bash
# The test command: set up if needed, then run the whole suite offline (playback, unit,
# property and installed-wheel smoke tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
exec .venv/bin/python -m pytest -q "$@"
