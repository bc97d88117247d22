#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the whole test suite, lint included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
ruff check gaitcheck tests scripts notebooks
python -m pytest "$@"
