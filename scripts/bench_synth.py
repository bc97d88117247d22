"""Benchmark the synthetic runner renderer at 720p (target: >= 60 frames/s, render + encode).

Usage: python scripts/bench_synth.py [--seconds 5] [--repeat 2] [--size 1280x720]

Prints, for the side and the rear view, frames/s of the whole ``render_clip`` (model,
rasterising, H.264 encoding, truth JSON) and of rasterising alone (frames drawn and
dropped), best of ``--repeat`` runs, measured back to back in one process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gaitcheck.synth_render import SynthSpec, render_clip, render_frames  # noqa: E402


def _timed(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--size", default="1280x720")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        for view in ("side", "rear"):
            spec = SynthSpec(view=view, seconds=args.seconds, width=w, height=h)
            n = int(round(spec.seconds * spec.fps))
            full = min(_timed(lambda spec=spec: render_clip(spec, Path(tmp) / "b.mp4"))
                       for _ in range(args.repeat))
            draw = min(_timed(lambda spec=spec: [None for _ in render_frames(spec)])
                       for _ in range(args.repeat))
            size = (Path(tmp) / "b.mp4").stat().st_size / 1e6
            print(f"{view:4s} {w}x{h}: render + encode {n / full:6.1f} frames/s "
                  f"({full:.2f} s for {n} frames, {size:.2f} MB); rasterise only "
                  f"{n / draw:6.1f} frames/s")


if __name__ == "__main__":
    main()
