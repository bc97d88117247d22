"""Validate gait-event detection against force-plate contacts (Fukuchi et al. 2017).

Subject RBDS001, treadmill run at 2.5 m/s: marker trajectories (150 Hz) become the 2D
landmarks a side camera would see (``gaitcheck.mocap``), which go through the same
kinematics and event detection as video landmarks. Truth: contacts where the treadmill's
vertical force exceeds 50 N (300 Hz), each assigned to the foot on the ground.

Printed for the 150 Hz landmarks without noise, and for 120, 60 and 30 fps resamplings
with the MediaPipe-like noise model of ``gaitcheck.mocap.NoiseModel`` (random frame
phase; several seeds pooled): IC and TO error (median signed, median / mean / max
absolute, in ms and frames), share within one frame, contact-time error, cadence error,
missed and extra contacts.

Then the toe-point sweep: the same clean 150 Hz run with the ``foot_index`` point moved
forward along the heel-to-metatarsal line by 20, 40 and 60 mm (``toe_offset_mm``; 60 mm
is about the toe tip). The contact rule was tuned with the point on the metatarsal heads,
which are already about 2 cm up at toe-off; a point nearer the toe tip, which is the
last part of the foot to rise, crosses the same band later. The sweep prints the TO
(and IC) bias for each offset: it is the bias to expect when a pose model places
``foot_index`` further forward on the shoe than the metatarsal heads.

Reference: Fukuchi, R. K., Fukuchi, C. A., & Duarte, M. (2017). PeerJ 5:e3298.

Usage::

    python scripts/validate_events_mocap.py [--data DIR] [--seeds 5] [--start 0 --stop 30]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from gaitcheck.events import cadence_from_contacts, detect_events
from gaitcheck.kinematics import compute_kinematics
from gaitcheck.mocap import (
    NoiseModel,
    contacts_in_landmark_time,
    default_fukuchi_dir,
    fukuchi_contacts,
    fukuchi_side_landmarks,
    resample_landmarks,
)
from gaitcheck.validation import match_events, timing_summary


def evaluate(lm, raw_contacts: pd.DataFrame) -> dict:
    """Run kinematics + events on ``lm`` and score them against the force plate."""
    truth = contacts_in_landmark_time(raw_contacts, lm).copy()
    truth["side"] = truth["side"].str[0]
    t_end = float(lm.time_s[-1])
    # whole contacts with a frame of margin at each end of the clip
    margin = 2.0 / lm.fps
    truth = truth[(truth["ic_time_s"] > margin) & (truth["to_time_s"] < t_end - margin)]
    ev = detect_events(compute_kinematics(lm))
    det = ev.contacts
    # detections inside the span of the whole truth contacts (a contact cut by the clip's
    # start or end is in neither set)
    det = det[(det["ic_time_s"] > truth["ic_time_s"].min() - 0.1)
              & (det["to_time_s"] < truth["to_time_s"].max() + 0.1)]
    frame_s = 1.0 / lm.fps
    out = {"fps": lm.fps, "frames": lm.n_frames, "truth_contacts": int(len(truth)),
           "detected_contacts": int(len(det))}
    mic = match_events(det.rename(columns={"ic_time_s": "t"}),
                       truth.rename(columns={"ic_time_s": "t"}), key="t", tolerance=0.1)
    mto = match_events(det.rename(columns={"to_time_s": "t"}),
                       truth.rename(columns={"to_time_s": "t"}), key="t", tolerance=0.1)
    out["ic"] = timing_summary(mic, frame_s=frame_s)
    out["to"] = timing_summary(mto, frame_s=frame_s)
    both = mic["matched"].to_numpy() & mto["matched"].to_numpy()
    ct_err = (mto["error"].to_numpy() - mic["error"].to_numpy())[both] * 1000.0
    out["contact_time_mae_ms"] = float(np.mean(np.abs(ct_err))) if ct_err.size else float("nan")
    out["contact_time_bias_ms"] = float(np.mean(ct_err)) if ct_err.size else float("nan")
    true_cad = cadence_from_contacts(truth["ic_time_s"].to_numpy(), truth["side"].to_numpy())
    out["cadence_true_spm"] = true_cad
    out["cadence_spm"] = ev.cadence_spm
    out["cadence_error_spm"] = ev.cadence_spm - true_cad
    return out


def _pool(results: list[dict]) -> dict:
    """Average the per-seed figures (counts summed)."""
    keys_sum = ("n", "missed", "extra")
    pooled: dict = {"fps": results[0]["fps"], "seeds": len(results)}
    for ev in ("ic", "to"):
        pooled[ev] = {k: (sum(r[ev][k] for r in results) if k in keys_sum
                          else (max(r[ev][k] for r in results) if k.startswith("max")
                                else float(np.mean([r[ev][k] for r in results]))))
                      for k in results[0][ev]}
    for k in ("contact_time_mae_ms", "contact_time_bias_ms", "cadence_error_spm"):
        pooled[k] = float(np.mean([r[k] for r in results]))
    pooled["cadence_abs_error_max_spm"] = float(max(abs(r["cadence_error_spm"]) for r in results))
    return pooled


def _line(label: str, r: dict) -> str:
    ic, to = r["ic"], r["to"]
    fr = 1000.0 / r["fps"]
    return (f"{label:<26} IC: median {ic['median_ms']:+6.1f} ms | |err| median {ic['median_abs_ms']:5.1f} "
            f"mean {ic['mean_abs_ms']:5.1f} max {ic['max_abs_ms']:5.1f} ms "
            f"({ic['median_abs_ms'] / fr:.2f} fr) | within 1 frame {100 * ic['within_1_frame']:5.1f} %\n"
            f"{'':<26} TO: median {to['median_ms']:+6.1f} ms | |err| median {to['median_abs_ms']:5.1f} "
            f"mean {to['mean_abs_ms']:5.1f} max {to['max_abs_ms']:5.1f} ms "
            f"({to['median_abs_ms'] / fr:.2f} fr) | within 1 frame {100 * to['within_1_frame']:5.1f} %\n"
            f"{'':<26} contact time MAE {r['contact_time_mae_ms']:5.1f} ms "
            f"(bias {r['contact_time_bias_ms']:+5.1f}) | cadence error {r['cadence_error_spm']:+.2f} "
            f"steps/min | missed IC {ic['missed']} TO {to['missed']} | extra IC {ic['extra']} "
            f"TO {to['extra']} (of {ic['n']} contacts)")


def run(data: Path, *, seeds: int = 5, start_s: float | None = None,
        stop_s: float | None = None, fps_list=(120.0, 60.0, 30.0), verbose: bool = True,
        toe_offsets_mm=(20.0, 40.0, 60.0)) -> dict:
    """Run the whole validation; return the figures as a dict (and print them)."""
    lm150 = fukuchi_side_landmarks(data, start_s=start_s, stop_s=stop_s)
    raw = fukuchi_contacts(data)
    results = {"clean_150": evaluate(lm150, raw)}
    if verbose:
        print(f"Fukuchi 2017 RBDS001, 2.5 m/s treadmill, {lm150.n_frames} frames at 150 Hz "
              f"({lm150.time_s[-1]:.1f} s); truth: vertical force > 50 N")
        print("noise model (resampled runs):", NoiseModel())
        print(_line("150 Hz, no noise", results["clean_150"]))
    for fps in fps_list:
        per_seed = [evaluate(resample_landmarks(lm150, fps, noise=NoiseModel(), seed=seed), raw)
                    for seed in range(seeds)]
        results[f"noisy_{int(fps)}"] = _pool(per_seed)
        if verbose:
            print(_line(f"{fps:g} fps + noise ({seeds} seeds)", results[f"noisy_{int(fps)}"]))
    sweep = {}
    for off in toe_offsets_mm:
        r = evaluate(fukuchi_side_landmarks(data, start_s=start_s, stop_s=stop_s,
                                            toe_offset_mm=off), raw)
        sweep[str(off)] = {"ic_median_ms": r["ic"]["median_ms"],
                           "to_median_ms": r["to"]["median_ms"],
                           "contact_time_bias_ms": r["contact_time_bias_ms"]}
        if verbose:
            print(f"toe point {off:4.0f} mm forward of the metatarsal heads (150 Hz, no "
                  f"noise): IC median {r['ic']['median_ms']:+6.1f} ms, TO median "
                  f"{r['to']['median_ms']:+6.1f} ms, contact-time bias "
                  f"{r['contact_time_bias_ms']:+6.1f} ms")
    results["toe_offset_sweep"] = sweep
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="folder of the Fukuchi files")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--start", type=float, default=None, help="window start, s")
    ap.add_argument("--stop", type=float, default=None, help="window end, s")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    data = args.data or default_fukuchi_dir()
    if not Path(data).is_dir():
        print(f"mocap data not found: {data}", file=sys.stderr)
        return 2
    res = run(Path(data), seeds=args.seeds, start_s=args.start, stop_s=args.stop)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
