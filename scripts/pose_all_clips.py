"""Run ``gaitcheck pose`` on every clip of a folder and tabulate the acceptance figures.

For each clip: exit code, decodable frames (counted by decoding with PyAV), landmark
frames written, share of frames with a pose, people-tracking mode, wall time.

Usage::

    python scripts/pose_all_clips.py [VIDEO_DIR] [--model full]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE.parent.parent / "shared" / "videos"


def decodable_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--model", default="full")
    args = ap.parse_args()
    from gaitcheck.landmarks import load_landmarks

    clips = sorted(p for p in args.folder.iterdir() if p.is_file())
    print(f"{'clip':<58} {'exit':>4} {'decoded':>7} {'rows':>5} {'pose %':>6} "
          f"{'poses':>5} {'time s':>6}")
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            out = Path(tmp) / clip.stem
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "gaitcheck", "pose", str(clip), "-o", str(out), "-q",
                 "--model", args.model], capture_output=True, text=True)
            dt = time.perf_counter() - t0
            n_dec = decodable_frames(clip)
            if proc.returncode == 0:
                lm = load_landmarks(out / "landmarks.npz")
                rows, share, poses = lm.n_frames, 100 * lm.detected_share, lm.info["num_poses_used"]
            else:
                rows, share, poses = 0, 0.0, 0
                print(proc.stderr.strip().splitlines()[-1] if proc.stderr else "", file=sys.stderr)
            ok = proc.returncode == 0 and rows == n_dec
            bad += not ok
            print(f"{clip.name:<58} {proc.returncode:>4} {n_dec:>7} {rows:>5} {share:>6.1f} "
                  f"{poses:>5} {dt:>6.1f}{'' if ok else '  <-- FAIL'}")
    print(f"{len(clips) - bad}/{len(clips)} clips: exit 0 and one landmark row per decodable frame")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
