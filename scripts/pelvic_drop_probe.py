"""What MediaPipe's rear-view hip line follows: the pelvis or the trunk?

The pelvic-drop marker (:mod:`gaitcheck.markers`, ``pelvic_drop_deg``) is the tilt of the
line through MediaPipe's two hip points. On the rendered runner of :mod:`gaitcheck.synth`
a 15 deg drop of the figure's pelvis reads as about 1 deg. This script asks why, by
rendering rear-view clips in which the pelvis and the trunk tilt sideways by set amounts
(``RunnerParams.pelvic_drop_deg`` and ``RunnerParams.trunk_side_tilt_deg``, both peaking
at midstance, towards the swing side) and measuring, with the real MediaPipe:

* gaitcheck's ``pelvic_drop_deg`` (median over the strides) for each clip;
* frame by frame, a least-squares fit of the tilt of MediaPipe's hip line on the true
  tilt of the pelvis (the rendered hip line) and of the trunk (the rendered shoulder
  line), pooled over all clips, each clip's median removed as the marker does: how many
  degrees of hip-line tilt one degree of each gives.

Usage::

    python scripts/pelvic_drop_probe.py [--out DIR] [--seconds 6] [--model full]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gaitcheck.landmarks import LM
from gaitcheck.pipeline import analyze_video
from gaitcheck.synth import runner_params
from gaitcheck.synth_render import SynthSpec, render_clip

#: (pelvic drop, trunk side tilt), peak degrees towards the swing side
CONFIGS: tuple[tuple[float, float], ...] = (
    (3.0, 0.0),     # the fault-free runner
    (15.0, 0.0),    # the pelvic-drop fault: the lumbar spine takes all of it
    (15.0, 7.5),    # the trunk follows half of the pelvic tilt
    (15.0, 15.0),   # the trunk rigid with the pelvis
    (3.0, 15.0),    # a trunk swaying sideways over a nearly level pelvis
)


def line_tilt_deg(px: np.ndarray, left: int, right: int) -> np.ndarray:
    """Tilt (deg) of the line from landmark ``left`` to ``right``, + = the left one lower.

    ``px`` holds pixel coordinates (y down), so the lower point has the larger y.
    """
    d = px[:, left, :2] - px[:, right, :2]
    return np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))


def run(pelvis_deg: float, trunk_deg: float, out_dir: Path, *, seconds: float,
        model: str) -> dict:
    """Render one rear clip, analyse it, return the readings and the frame-wise series."""
    params = runner_params("none", pelvic_drop_deg=pelvis_deg, trunk_side_tilt_deg=trunk_deg)
    spec = SynthSpec(view="rear", fault="none", seconds=seconds, fps=60.0)
    video = out_dir / f"rear_pelvis{pelvis_deg:g}_trunk{trunk_deg:g}.mp4"
    if not video.exists() or not video.with_suffix(".json").exists():
        render_clip(spec, video, params=params)
    truth = json.loads(video.with_suffix(".json").read_text())
    res = analyze_video(video, model=model, progress=False)
    summ = res.marker_summary
    if "marker" not in summ.columns:
        summ = summ.reset_index()
    row = summ[(summ["marker"] == "pelvic_drop_deg") & (summ["side"] == "both")]
    measured = float(row["median"].iloc[0]) if len(row) else float("nan")
    # the true tilts in the image (+ = left side lower): the rendered hip and shoulder lines
    true_px = np.asarray(truth["landmarks_px"], np.float64)
    series = {"pelvis": line_tilt_deg(true_px, LM.LEFT_HIP, LM.RIGHT_HIP),
              "trunk": line_tilt_deg(true_px, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER),
              "mediapipe": line_tilt_deg(res.landmarks.pixels(), LM.LEFT_HIP, LM.RIGHT_HIP)}
    return {"pelvis_deg": pelvis_deg, "trunk_deg": trunk_deg,
            "analysable": res.analysable, "reason": res.reason,
            "truth_pelvic_drop_deg": float(truth["markers"]["pelvic_drop_deg"]),
            "measured_pelvic_drop_deg": measured,
            "flags": sorted({f.marker for f in res.findings if f.level == "flag"}),
            "watch": sorted({f.marker for f in res.findings if f.level == "watch"}),
            "series": series}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("pelvic-drop-probe"))
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--model", default="full")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [run(p, tr, args.out, seconds=args.seconds, model=args.model) for p, tr in CONFIGS]
    print(f"MediaPipe {args.model}, rear view, 60 fps, {args.seconds:g} s per clip\n")
    print("pelvis tilt  trunk tilt   true pelvic_drop_deg   gaitcheck reads   findings")
    for r in rows:
        found = ", ".join([f"flag {m}" for m in r["flags"]] + [f"watch {m}" for m in r["watch"]])
        print(f"{r['pelvis_deg']:8.1f}    {r['trunk_deg']:8.1f}    {r['truth_pelvic_drop_deg']:14.1f}"
              f"        {r['measured_pelvic_drop_deg']:10.1f}       {found or '-'}")
    # pooled frame-wise fit: mediapipe ~ a * pelvis + b * trunk (each clip's median removed)
    cols = []
    for r in rows:
        s = r["series"]
        ok = np.isfinite(s["mediapipe"])
        cols.append(np.stack([s[k][ok] - np.median(s[k][ok])
                              for k in ("pelvis", "trunk", "mediapipe")], axis=1))
    x = np.concatenate(cols)
    coef, *_ = np.linalg.lstsq(x[:, :2], x[:, 2], rcond=None)
    resid = x[:, 2] - x[:, :2] @ coef
    r2 = 1.0 - float(np.sum(resid ** 2) / np.sum((x[:, 2] - x[:, 2].mean()) ** 2))
    print(f"\nframe by frame, all clips pooled ({x.shape[0]} frames): MediaPipe hip-line tilt = "
          f"{coef[0]:.2f} x pelvis tilt + {coef[1]:.2f} x trunk tilt  (R^2 {r2:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
