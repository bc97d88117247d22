"""Benchmark: pose stage end to end vs a bare MediaPipe loop over frames in memory.

Acceptance (issue 2): on the zzzhushi treadmill clip with the full model, the pose
stage's end-to-end frames/s (decode + pose + bookkeeping, as ``gaitcheck pose`` runs
it, cache off) is >= 0.90 of a bare ``detect_for_video`` loop over the same frames,
already decoded in memory. Both are measured in the same run, alternating, because
these machines are shared and noisy; the median of the repeats is reported.

Also times a second call that hits the landmark cache (acceptance: < 5 % of the first).

Usage::

    python scripts/bench_pose.py [VIDEO] [--model full] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = (HERE.parent.parent / "shared" / "videos"
                 / "zzzhushi_treadmill_side_portrait_male_side.mp4")


def bare_loop(frames: list[np.ndarray], times_ms: list[int], model_path: Path) -> float:
    """Return frames/s of a plain detect_for_video loop (landmarker creation not timed)."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=vision.RunningMode.VIDEO, num_poses=1,
    )
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        t0 = time.perf_counter()
        for rgb, ms in zip(frames, times_ms, strict=True):
            lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)
        dt = time.perf_counter() - t0
    return len(frames) / dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--model", default="full")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not args.video.is_file():
        print(f"video not found: {args.video}", file=sys.stderr)
        return 2

    from gaitcheck.models import resolve_model
    from gaitcheck.pipeline import estimate_landmarks
    from gaitcheck.pose import _native_stderr_silenced
    from gaitcheck.video import iter_frames

    model = resolve_model(args.model)
    frames, times_ms = [], []
    for f in iter_frames(args.video):
        frames.append(f.rgb)
        times_ms.append(int(round(f.time_s * 1000)))
    print(f"clip: {args.video.name}, {len(frames)} frames, model {model.name} ({model.path})")

    bare, stage = [], []
    with tempfile.TemporaryDirectory() as cache:
        for r in range(args.repeats):
            with _native_stderr_silenced():
                bare.append(bare_loop(frames, times_ms, model.path))
            t0 = time.perf_counter()
            run = estimate_landmarks(args.video, model=args.model, use_cache=False, progress=False)
            dt = time.perf_counter() - t0
            stage.append(run.landmarks.n_frames / dt)
            print(f"  repeat {r + 1}: bare loop {bare[-1]:6.1f} frames/s | "
                  f"pose stage end to end {stage[-1]:6.1f} frames/s | "
                  f"ratio {stage[-1] / bare[-1]:.3f}")
        b, s = statistics.median(bare), statistics.median(stage)
        print(f"median: bare loop {b:.1f} frames/s, pose stage {s:.1f} frames/s, "
              f"ratio {s / b:.3f} (target >= 0.90)")
        ratios = [x / y for x, y in zip(stage, bare, strict=True)]
        print(f"per-repeat ratios: {', '.join(f'{x:.3f}' for x in ratios)}")

        # cache: first call fills it, second reads it
        t0 = time.perf_counter()
        estimate_landmarks(args.video, model=args.model, cache_dir=cache, progress=False)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        hit = estimate_landmarks(args.video, model=args.model, cache_dir=cache, progress=False)
        second = time.perf_counter() - t0
        assert hit.from_cache
        print(f"cache: first call {first:.2f} s, second call {second:.3f} s, "
              f"{100 * second / first:.1f} % of the first (target < 5 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
