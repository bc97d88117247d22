#!/usr/bin/env bash
# Set up (scripts/setup.sh), then analyse a sample clip and say where the results are.
# Usage: bash scripts/demo.sh [VIDEO]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
VIDEO=${1:-}
if [ -z "$VIDEO" ]; then
  VIDEO=$(ls sample_videos/*.mp4 2>/dev/null | head -n 1 || true)
fi
if [ -z "$VIDEO" ]; then
  # The sample is a third-party clip (MIT licence) kept outside git; copy it if present.
  SRC=${GAITCHECK_TEST_DATA:-../shared}/videos/zzzhushi_treadmill_side_portrait_male_side.mp4
  if [ -f "$SRC" ]; then
    cp "$SRC" sample_videos/
    VIDEO=sample_videos/$(basename "$SRC")
  else
    echo "No sample video here: run 'bash scripts/demo.sh YOUR_VIDEO.mp4' with a clip of a runner." >&2
    exit 2
  fi
fi
OUT=gaitcheck-results/$(basename "${VIDEO%.*}")
gaitcheck analyze "$VIDEO" -o "$OUT"
echo "Done. Results for $VIDEO are in $OUT/"
