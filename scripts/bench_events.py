"""Benchmark: kinematics + gait events on 10,000 frames of real landmarks.

Acceptance (issue 3): kinematics + events on 10,000 frames in < 0.2 s. The landmarks
are MediaPipe's output on the zzzhushi treadmill clip (360 frames, 30 fps), tiled to
10,000 frames with continuous timestamps. Best of several runs is printed (the machines
are shared and noisy), together with each stage's share.

Usage::

    python scripts/bench_events.py [VIDEO] [--frames 10000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = (HERE.parent.parent / "shared" / "videos"
                 / "zzzhushi_treadmill_side_portrait_male_side.mp4")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    from gaitcheck.events import detect_events
    from gaitcheck.kinematics import compute_kinematics
    from gaitcheck.pipeline import estimate_landmarks

    lm = estimate_landmarks(args.video, progress=False).landmarks
    reps = int(np.ceil(args.frames / lm.n_frames))
    xyzv = np.tile(lm.xyzv, (reps, 1, 1))[: args.frames]
    t = np.arange(args.frames) / lm.fps
    big = replace(lm, xyzv=xyzv, world=None, time_s=t)
    kin_t, ev_t = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        kin = compute_kinematics(big)
        t1 = time.perf_counter()
        ev = detect_events(kin)
        t2 = time.perf_counter()
        kin_t.append(t1 - t0)
        ev_t.append(t2 - t1)
    tot = [a + b for a, b in zip(kin_t, ev_t, strict=True)]
    i = int(np.argmin(tot))
    print(f"{args.frames} frames ({lm.source} tiled x{reps}), best of {args.repeats}: "
          f"kinematics {1000 * kin_t[i]:.1f} ms + events {1000 * ev_t[i]:.1f} ms = "
          f"{1000 * tot[i]:.1f} ms (target < 200 ms); median total "
          f"{1000 * float(np.median(tot)):.1f} ms; {len(ev.contacts)} contacts, "
          f"{int(ev.strides['valid'].sum())} valid strides")
    return 0


if __name__ == "__main__":
    sys.exit(main())
