"""How the ``foot_index`` and heel points move around toe-off, on four kinds of landmarks.

The contact rule of :mod:`gaitcheck.events` calls toe-off when ``foot_index`` has risen a
band (2.2 % of the leg) above its floor. Whether that comes on time depends on where on
the shoe the point sits: a point behind the last part of the sole to leave the belt is
already up at toe-off, a point at the toe tip is not. This script prints, for each source,
the median height of ``foot_index`` and of the heel above their own floor (the 97th
percentile of the point's image y over the clip, i.e. its lowest position) in %leg, and
the heel-to-``foot_index`` pitch (deg, negative = heel up), at fixed times around the
reference toe-off, how far the toe point rose over the 67 ms before toe-off, and the
median toe-off error of the rule on those landmarks.

Sources and their toe-off reference:

* **force plates** -- Fukuchi et al. 2017 (PeerJ 5:e3298) RBDS001 at 2.5 m/s, markers at
  150 Hz projected to a side camera; ``foot_index`` = the metatarsal-head markers, and the
  same moved 60 mm forward (about the toe tip). Reference: vertical force < 50 N.
* **real clip** -- ``zzzhushi_treadmill_side_portrait_male_side`` (30 fps) through
  MediaPipe ``full`` and ``heavy``. Reference: the hand label (the last frame with the
  toe on the belt) plus half a frame.
* **synthetic runner** -- ``gaitcheck synth`` side view, fault-free, 8 s at 60 fps:
  MediaPipe ``full`` on the rendered clip, and the rendered joints themselves. Reference:
  the prescribed toe-off.

Usage::

    python scripts/toe_off_profiles.py [--data ../shared] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from gaitcheck.events import detect_events
from gaitcheck.kinematics import compute_kinematics
from gaitcheck.landmarks import LM, Landmarks
from gaitcheck.validation import match_events

REPO = Path(__file__).resolve().parents[1]
CLIP = "zzzhushi_treadmill_side_portrait_male_side"
OFFSETS_MS = np.array([-67.0, -33.0, -17.0, 0.0, 17.0, 33.0])
#: foot points per side: (heel, foot_index)
FOOT = {"l": (LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX), "r": (LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX)}


def leg_px(px: np.ndarray) -> float:
    """Median hip-knee + knee-ankle length (px) over both sides."""
    out = []
    for hip, knee, ank in ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE),
                           (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE)):
        out.append(np.linalg.norm(px[:, hip] - px[:, knee], axis=1)
                   + np.linalg.norm(px[:, knee] - px[:, ank], axis=1))
    return float(np.nanmedian(np.concatenate(out)))


def profiles(lm: Landmarks, to_times: pd.DataFrame) -> dict[str, np.ndarray]:
    """Median toe height, heel height (%leg) and pitch (deg) at ``OFFSETS_MS`` around TO.

    ``to_times`` has columns ``side`` ('l'/'r') and ``t`` (s, on the landmarks' clock).
    """
    px = lm.pixels()[..., :2]
    leg = leg_px(px)
    t = lm.time_s
    rows = {"toe": [], "heel": [], "pitch": []}
    for side, (heel, toe) in FOOT.items():
        sel = to_times.loc[to_times["side"] == side, "t"].to_numpy(np.float64)
        times = sel[:, None] + OFFSETS_MS[None, :] / 1000.0
        times = times[(times[:, 0] >= t[0]) & (times[:, -1] <= t[-1])]
        if not len(times):
            continue
        y = {k: np.interp(times, t, px[:, k, 1]) for k in (heel, toe)}
        x = {k: np.interp(times, t, px[:, k, 0]) for k in (heel, toe)}
        floor = {k: np.nanpercentile(px[:, k, 1], 97) for k in (heel, toe)}
        rows["toe"].append((floor[toe] - y[toe]) / leg * 100)
        rows["heel"].append((floor[heel] - y[heel]) / leg * 100)
        rows["pitch"].append(np.degrees(np.arctan2(y[heel] - y[toe], np.abs(x[toe] - x[heel]))))
    return {k: np.nanmedian(np.concatenate(v), axis=0) for k, v in rows.items()}


def to_error_ms(lm: Landmarks, to_times: pd.DataFrame, *, tol_s: float = 0.1) -> float:
    """Median error (ms) of the rule's toe-offs against ``to_times`` (same foot)."""
    det = detect_events(compute_kinematics(lm)).contacts
    de = det.rename(columns={"to_time_s": "t"})[["side", "t"]]
    m = match_events(de, to_times[["side", "t"]], key="t", tolerance=tol_s)
    return float(1000 * m["error"].median())


def _print(name: str, prof: dict[str, np.ndarray], err: float) -> None:
    rise = prof["toe"][OFFSETS_MS == 0.0][0] - prof["toe"][0]
    print(f"\n{name}\n  rule's TO error: median {err:+.0f} ms; the toe point rose "
          f"{rise:+.1f} %leg over the {-OFFSETS_MS[0]:.0f} ms before toe-off")
    for k, unit in (("toe", "%leg"), ("heel", "%leg"), ("pitch", "deg")):
        print(f"  {k + ' ' + unit:12}" + "".join(f"{v:8.1f}" for v in prof[k]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path,
                    default=Path(os.environ.get("GAITCHECK_TEST_DATA", REPO.parent / "shared")))
    ap.add_argument("--out", type=Path, default=Path("toe-off-profiles"),
                    help="folder for the rendered synthetic clip")
    args = ap.parse_args()
    print("time from toe-off (ms)" + "".join(f"{v:+8.0f}" for v in OFFSETS_MS))

    from gaitcheck.mocap import contacts_in_landmark_time, fukuchi_contacts, fukuchi_side_landmarks
    fdir = args.data / "mocap" / "fukuchi2017"
    raw = fukuchi_contacts(fdir)
    for off in (0.0, 60.0):
        lm = fukuchi_side_landmarks(fdir, toe_offset_mm=off)
        c = contacts_in_landmark_time(raw, lm)
        tt = pd.DataFrame({"side": c["side"].str[0], "t": c["to_time_s"]})
        where = "metatarsal heads" if off == 0 else f"{off:g} mm forward (about the toe tip)"
        _print(f"force plates, 150 Hz, foot_index = {where}", profiles(lm, tt),
               to_error_ms(lm, tt))

    from gaitcheck.pipeline import estimate_landmarks
    video = args.data / "videos" / f"{CLIP}.mp4"
    lab = pd.read_csv(args.data / "groundtruth" / f"{CLIP}.events.csv")
    lab = lab[lab["event"].str.upper() == "TO"]
    for model in ("full", "heavy"):
        lm = estimate_landmarks(video, model=model, progress=False).landmarks
        tt = pd.DataFrame({"side": lab["foot_side"].str[0].to_numpy(),
                           "t": (lab["frame"].to_numpy() + 0.5) / lm.fps})
        _print(f"real clip, 30 fps, MediaPipe {model} (TO = label + half a frame)",
               profiles(lm, tt), to_error_ms(lm, tt))

    from gaitcheck.synth_render import SynthSpec, render_clip
    args.out.mkdir(parents=True, exist_ok=True)
    clip = args.out / "synth_side_none_60fps.mp4"
    if not clip.exists() or not clip.with_suffix(".json").exists():
        render_clip(SynthSpec(view="side", fault="none", seconds=8.0, fps=60.0), clip)
    truth = json.loads(clip.with_suffix(".json").read_text())
    ev = pd.DataFrame(truth["events"])
    tt = ev.loc[ev["event"] == "to", ["side", "time_s"]].rename(columns={"time_s": "t"})
    lm = estimate_landmarks(clip, model="full", progress=False).landmarks
    _print("synthetic runner, 60 fps, MediaPipe full", profiles(lm, tt), to_error_ms(lm, tt))
    from validate_synth import exact_landmarks  # scripts/ is on sys.path when run

    exact = exact_landmarks(truth)
    _print("synthetic runner, 60 fps, the rendered joints (exact)", profiles(exact, tt),
           to_error_ms(exact, tt))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
