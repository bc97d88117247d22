"""Benchmark the overlay renderer on a 720p clip (decode + draw + encode, and draw + encode).

Usage: python scripts/bench_overlay.py [VIDEO] [--preset ultrafast] [--repeat 2]

The default clip is zzzhushi (720x1280 portrait, 360 frames) from the shared test material;
its landmarks come from the landmark cache (pose estimation runs once if they are not
cached). Prints frames/s of the full render and of drawing + encoding alone (frames decoded
beforehand), and of drawing alone. Target: >= 100 frames/s for the full render on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gaitcheck.overlay import (  # noqa: E402
    OverlayOptions,
    _Plan,
    render_overlay,
    video_rate,
)
from gaitcheck.pipeline import analyze_video  # noqa: E402
from gaitcheck.video import H264Writer, iter_frames  # noqa: E402

SHARED = Path(os.environ.get("GAITCHECK_TEST_DATA", REPO.parent / "shared"))
DEFAULT = SHARED / "videos" / "zzzhushi_treadmill_side_portrait_male_side.mp4"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(DEFAULT))
    ap.add_argument("--preset", default=OverlayOptions.preset)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each measurement (best kept)")
    args = ap.parse_args()
    video = Path(args.video)
    if not video.is_file():
        sys.exit(f"{video}: no such clip (set GAITCHECK_TEST_DATA or pass a path)")
    res = analyze_video(video, progress=False)
    opts = OverlayOptions(preset=args.preset)
    w, h = res.landmarks.image_size
    n = res.landmarks.n_frames
    print(f"{video.name}: {w}x{h}, {n} frames, {os.cpu_count()} CPU(s), preset {args.preset}")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "overlay.mp4"
        best = min(_timed(lambda: render_overlay(res, out, video=video, options=opts))
                   for _ in range(args.repeat))
        size = out.stat().st_size / 1e6
        print(f"full render (decode + draw + encode): {n / best:7.1f} frames/s "
              f"({best:.2f} s, {size:.1f} MB)")

        frames = [f.rgb for f in iter_frames(video)]
        plan = _Plan(res, video_rate(video), opts)

        def draw_encode() -> None:
            with H264Writer(Path(tmp) / "b.mp4", plan.out_size, plan.rate,
                            preset=opts.preset, crf=opts.crf) as enc:
                for i, rgb in enumerate(frames):
                    img = rgb.copy()
                    plan.draw(img, i)
                    enc.write(img)

        def draw_only() -> None:
            for i, rgb in enumerate(frames):
                plan.draw(rgb.copy(), i)

        best = min(_timed(draw_encode) for _ in range(args.repeat))
        print(f"draw + encode:                        {n / best:7.1f} frames/s")
        best = min(_timed(draw_only) for _ in range(args.repeat))
        print(f"draw only (incl. a frame copy):       {n / best:7.1f} frames/s")
        t = _timed(lambda: _Plan(res, video_rate(video), opts))
        print(f"per-clip precomputation:              {1000 * t:7.1f} ms")


def _timed(fn) -> float:  # noqa: ANN001
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
