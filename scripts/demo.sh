#!/usr/bin/env bash
# Set up (scripts/setup.sh), then analyse a clip and say where the results are.
# Usage: bash scripts/demo.sh [VIDEO]
# Without VIDEO it analyses the bundled sample: a synthetic runner rendered by
# `gaitcheck synth` (sample_videos/synthetic_runner_side_overstride.mp4, with its exact
# ground truth beside it), built to land with the heel far ahead of the hip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
VIDEO=${1:-sample_videos/synthetic_runner_side_overstride.mp4}
if [ ! -f "$VIDEO" ]; then
  echo "No such video: $VIDEO (run 'bash scripts/demo.sh YOUR_VIDEO.mp4' with a clip of a runner)" >&2
  exit 2
fi
OUT=gaitcheck-results/$(basename "${VIDEO%.*}")
gaitcheck analyze "$VIDEO" -o "$OUT"
echo "Done. Results for $VIDEO are in $OUT/ (report.pdf, report-*.png, overlay.mp4, tables)"
