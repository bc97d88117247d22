#!/usr/bin/env bash
# Set up gaitcheck in ./.venv: install the package with its test tools, then the pose models.
# Models come from ../shared/models when that folder exists (no internet needed), otherwise
# they are downloaded from MediaPipe's public model storage.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[dev]"
SHARED=${GAITCHECK_TEST_DATA:-../shared}
if [ -d "$SHARED/models" ]; then
  gaitcheck models install --from "$SHARED/models" --dest models
else
  gaitcheck models install --dest models
fi
