"""Run synthetic runner clips through the whole pipeline (real MediaPipe) against their truth.

For each fault (and the fault-free runner) the clip is rendered in the view the fault is
seen from (clean runner: both views), analysed with ``gaitcheck.analyze_video``, and
compared with the ground truth written beside it:

* share of frames with a pose; median landmark error (px) of hip, knee, ankle, heel and
  toe against the rendered joints (and the same after gaitcheck's cleaning);
* initial contacts and toe-offs within one frame of the truth, from MediaPipe's landmarks
  and from the exact landmarks (the rendered joints fed to the same analysis: what the
  event rules do with perfect landmarks);
* each marker's per-side median against its exact value and against the tolerance the
  clip's own landmark error allows (:func:`tolerances`), and the findings: the fault's
  own marker must be flagged, the clean runner must have no flag.

Usage::

    python scripts/validate_synth.py [--out DIR] [--seconds 8] [--fps 60] [--faults a,b]
                                     [--model full] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from gaitcheck.landmarks import LM, Landmarks
from gaitcheck.pipeline import analyze_landmarks, analyze_video
from gaitcheck.synth import FAULT_MARKERS, FAULT_VIEW
from gaitcheck.synth_render import SynthSpec, render_clip
from gaitcheck.validation import match_events

JOINTS = ("SHOULDER", "HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")

#: How each marker is built from the landmarks, for its tolerance (see :func:`tolerances`):
#: ("pos", joints) a distance between two points in %leg; ("ang", segments) an angle of
#: one or more segments (:data:`SEGMENT_JOINTS`), deg; ("time", n_events) a duration
#: between events, ms; ("duty", 2) a duration over a stride, %; ("rate",) cadence.
MARKER_BUILD: dict[str, tuple] = {
    "cadence_spm": ("rate",),
    "ground_contact_time_ms": ("time", 2),
    "flight_time_ms": ("time", 2),
    "duty_factor_pct": ("duty", 2),
    "overstride_ic_pct_leg": ("pos", ("heel", "hip")),
    "pelvis_behind_foot_ms_pct_leg": ("pos", ("ankle", "hip")),
    "crossover_ic_pct_leg": ("pos", ("heel", "hip")),
    "step_width_pct_leg": ("pos", ("heel", "heel")),
    "vertical_oscillation_pct_leg": ("pos", ("hip", "hip")),
    "shank_angle_ic_deg": ("ang", ("shank",)),
    "hip_extension_deg": ("ang", ("thigh",)),
    "trunk_lean_deg": ("ang", ("trunk",)),
    "foot_strike_angle_deg": ("ang", ("foot",)),
    "pelvic_drop_deg": ("ang", ("pelvis",)),
    "knee_flexion_ic_deg": ("ang", ("thigh", "shank")),
    "knee_flexion_peak_stance_deg": ("ang", ("thigh", "shank")),
    "knee_flexion_excursion_deg": ("ang", ("thigh", "shank") * 2),
}

#: The two landmarks that make each segment.
SEGMENT_JOINTS = {"thigh": ("hip", "knee"), "shank": ("knee", "ankle"),
                  "trunk": ("shoulder", "hip"), "foot": ("heel", "foot_index"),
                  "pelvis": ("hip", "hip")}


def segment_lengths_px(truth: np.ndarray) -> dict[str, float]:
    """Median image length (px) of the body segments in the truth landmarks (both sides)."""
    def seg(a: str, b: str) -> float:
        d = [np.linalg.norm(truth[:, LM[f"{s}_{a}"]] - truth[:, LM[f"{s}_{b}"]], axis=-1)
             for s in ("LEFT", "RIGHT")]
        return float(np.nanmedian(np.concatenate(d)))
    mid = lambda n: 0.5 * (truth[:, LM[f"LEFT_{n}"]] + truth[:, LM[f"RIGHT_{n}"]])  # noqa: E731
    out = {name: seg(*(j.upper() for j in SEGMENT_JOINTS[name]))
           for name in ("thigh", "shank", "foot")}
    out |= {"trunk": float(np.nanmedian(np.linalg.norm(mid("SHOULDER") - mid("HIP"), axis=-1))),
           "pelvis": float(np.nanmedian(np.linalg.norm(
               truth[:, LM["LEFT_HIP"]] - truth[:, LM["RIGHT_HIP"]], axis=-1)))}
    out["leg"] = out["thigh"] + out["shank"]
    return out


def tolerances(err_px: dict[str, float], seg_px: dict[str, float], *, fps: float,
               cadence_spm: float) -> dict[str, float]:
    """The error each marker can have given the clip's landmark error ("what it allows").

    A marker built from two points each off by their median error ``e1``, ``e2`` (px) can
    be off by ``sqrt(e1^2 + e2^2)``: in %leg for a distance (over the image leg length),
    and as ``atan(that / segment length)`` for a segment's angle (summed over the
    segments of an angle between segments). A duration between two events can be off by
    one frame per event (the events bar), a duty factor by that over a stride, and the
    cadence by 1 %. These are a yardstick for the figures, not a proof: MediaPipe's
    errors are partly a bias shared by neighbouring joints (which cancels) and partly not.
    """
    out: dict[str, float] = {}
    stride_ms = 2 * 60000.0 / cadence_spm
    for name, build in MARKER_BUILD.items():
        kind = build[0]
        if kind == "rate":
            out[name] = 0.01 * cadence_spm
        elif kind == "time":
            out[name] = build[1] * 1000.0 / fps
        elif kind == "duty":
            out[name] = 100.0 * build[1] * 1000.0 / fps / stride_ms
        elif kind == "pos":
            out[name] = 100.0 * float(np.hypot(*(err_px[j] for j in build[1]))) / seg_px["leg"]
        else:
            out[name] = float(sum(
                np.degrees(np.arctan(np.hypot(*(err_px[j] for j in SEGMENT_JOINTS[sg]))
                                     / seg_px[sg])) for sg in build[1]))
    return out


def landmark_errors(px: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Median pixel distance per joint, both sides pooled."""
    out = {}
    for name in JOINTS:
        idx = [LM[f"LEFT_{name}"], LM[f"RIGHT_{name}"]]
        err = np.linalg.norm(px[:, idx, :2] - truth[:, idx], axis=-1)
        out[name.lower()] = float(np.nanmedian(err))
    return out


def event_scores(contacts: pd.DataFrame, truth_events: list[dict], fps: float) -> dict:
    """Share of true IC / TO with a detected event of the same foot within one frame."""
    truth = pd.DataFrame(truth_events)
    out = {}
    for kind, col in (("ic", "ic_time_s"), ("to", "to_time_s")):
        tr = truth[truth["event"] == kind].rename(columns={"time_s": "t"})[["side", "t"]]
        de = contacts.rename(columns={col: "t"})[["side", "t"]]
        m = match_events(de, tr, key="t", tolerance=0.15)
        within = (m["error"].abs() <= 1.0 / fps + 1e-9)
        out[kind] = {"n": int(len(m)), "within_1_frame": float(within.mean()) if len(m) else 0.0,
                     "median_error_ms": float(1000 * m["error"].median()),
                     "extra": int(m.attrs["extra"])}
    return out


def exact_landmarks(truth: dict) -> Landmarks:
    """The clip's rendered joint positions as a :class:`Landmarks` (visibility 1)."""
    pts = np.asarray(truth["landmarks_px"], dtype=np.float64)
    w, h = truth["image_size"]
    n = pts.shape[0]
    xyzv = np.ones((n, pts.shape[1], 4), np.float32)
    xyzv[..., 0] = pts[..., 0] / w
    xyzv[..., 1] = pts[..., 1] / h
    xyzv[..., 2] = np.asarray(truth["landmark_depth_m"]) / 3.0  # about MediaPipe's scale
    fps = float(truth["fps"])
    return Landmarks(xyzv=xyzv, world=None, fps=fps, time_s=np.arange(n) / fps,
                     image_size=(w, h), model="exact", source="rendered joints")


def run_one(fault: str, view: str, out_dir: Path, *, seconds: float, fps: float,
            model: str) -> dict:
    """Render, analyse and score one clip."""
    spec = SynthSpec(view=view, fault=fault, seconds=seconds, fps=fps)
    video = out_dir / f"synth_{view}_{fault}_{fps:g}fps.mp4"
    if not video.exists() or not video.with_suffix(".json").exists():
        render_clip(spec, video)
    truth = json.loads(video.with_suffix(".json").read_text())
    res = analyze_video(video, model=model, progress=False)
    lm = res.landmarks
    row: dict = {"fault": fault, "view": view, "fps": fps,
                 "pose_share": lm.detected_share, "analysable": res.analysable,
                 "reason": res.reason}
    tr = np.asarray(truth["landmarks_px"])
    row["landmark_error_px"] = landmark_errors(lm.pixels(), tr)
    if res.kinematics is not None:
        row["landmark_error_clean_px"] = landmark_errors(res.kinematics.points_px, tr)
    if not res.analysable:
        return row
    row["events"] = event_scores(res.events.contacts, truth["events"], fps)
    exact = analyze_landmarks(exact_landmarks(truth))
    if exact.analysable:
        row["events_exact_landmarks"] = event_scores(exact.events.contacts, truth["events"],
                                                     fps)
    summ = res.marker_summary
    if "marker" not in summ.columns:
        summ = summ.reset_index()
    both = summ[summ["side"] == "both"].set_index("marker")
    tol = tolerances(row["landmark_error_px"], segment_lengths_px(tr), fps=fps,
                     cadence_spm=float(truth["params"]["cadence_spm"]))
    markers = {}
    for name, value in truth["markers"].items():
        if name in both.index:
            if not bool(both.loc[name, "measurable"]):  # e.g. contact time from a rear view
                markers[name] = {"truth": value, "not_measured": str(both.loc[name, "reason"])}
                continue
            med = float(both.loc[name, "median"])
            markers[name] = {"truth": value, "measured": med, "error": med - value,
                             "tolerance": tol.get(name, float("nan")),
                             "within": bool(abs(med - value) <= tol.get(name, -1.0))}
    row["markers"] = markers
    flags = sorted({f.marker for f in res.findings if f.level == "flag"})
    watch = sorted({f.marker for f in res.findings if f.level == "watch"})
    row["flagged"] = flags
    row["watch"] = watch
    want = FAULT_MARKERS[fault]
    row["fault_flagged"] = all(m in flags for m in want) if want else not flags
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("synth-validation"))
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--faults", default=",".join(FAULT_MARKERS))
    ap.add_argument("--model", default="full")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for fault in args.faults.split(","):
        views = ("side", "rear") if fault == "none" else (FAULT_VIEW.get(fault, "side"),)
        for view in views:
            row = run_one(fault, view, args.out, seconds=args.seconds, fps=args.fps,
                          model=args.model)
            rows.append(row)
            err = row["landmark_error_px"]
            print(f"\n== {fault} ({view}, {args.fps:g} fps): pose in {100 * row['pose_share']:.1f} % "
                  f"of frames; median landmark error px: "
                  + ", ".join(f"{k} {v:.1f}" for k, v in err.items()))
            if not row["analysable"]:
                print("   not analysable:", row["reason"])
                continue
            ev = row["events"]
            print(f"   events within 1 frame: IC {100 * ev['ic']['within_1_frame']:.0f} % "
                  f"(median {ev['ic']['median_error_ms']:+.0f} ms), TO "
                  f"{100 * ev['to']['within_1_frame']:.0f} % (median "
                  f"{ev['to']['median_error_ms']:+.0f} ms), extra {ev['ic']['extra']}")
            ex = row.get("events_exact_landmarks")
            if ex:
                print(f"   ...from the exact landmarks: IC {100 * ex['ic']['within_1_frame']:.0f} % "
                      f"(median {ex['ic']['median_error_ms']:+.0f} ms), TO "
                      f"{100 * ex['to']['within_1_frame']:.0f} % (median "
                      f"{ex['to']['median_error_ms']:+.0f} ms)")
            for name, m in row["markers"].items():
                if "not_measured" in m:
                    print(f"   {name:34s} truth {m['truth']:8.2f}  {m['not_measured']}")
                    continue
                print(f"   {name:34s} truth {m['truth']:8.2f}  measured {m['measured']:8.2f}  "
                      f"error {m['error']:+6.2f}  tolerance {m['tolerance']:5.1f}  "
                      f"{'within' if m['within'] else 'OUTSIDE'}")
            print(f"   flagged: {', '.join(row['flagged']) or '-'}; watch: "
                  f"{', '.join(row['watch']) or '-'}; "
                  f"{'OK' if row['fault_flagged'] else 'MISS'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
