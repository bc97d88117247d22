"""Benchmark: `gaitcheck batch --jobs 2` against `--jobs 1` on the same clips.

Acceptance (issue 6): on at least 4 clips, the wall time of ``--jobs 1`` divided by that
of ``--jobs 2`` is >= 1.7 (on the 2-core machines of this project).

Each run is the real command line (``python -m gaitcheck batch``, worker start-up
included) into a fresh output folder with a fresh, empty landmark cache, so MediaPipe
really runs on every clip (pose estimation is most of the work). Rendering is off by
default (``--no-overlay --no-pdf --no-png``); ``--render`` turns it on. With
``--repeats`` > 1 the order alternates (1, 2, then 2, 1...) and the medians are compared.

Usage::

    python scripts/bench_batch.py [--clips A.mp4 B.mp4 ...] [--repeats 1] [--render]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GAITCHECK_TEST_DATA", REPO.parent / "shared"))
DEFAULT_CLIPS = [
    "zzzhushi_treadmill_side_portrait_male_side.mp4",
    "sports2d_sprint_track_far_watermark_demo2.mp4",
    "mwfan_overground_side_panning_stockwatermark_running.mp4",
    "sports2d_walking_side_demo4.mp4",
]
TARGET = 1.7


def _busy_seconds() -> float:
    """CPU seconds the machine has spent busy since boot (all cores; /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_once(clips: list[Path], jobs: int, render: bool, model: str) -> tuple[float, float]:
    """Time one batch run with a fresh cache and output folder.

    Returns the wall time (s) and the CPU time (s) the whole machine spent busy meanwhile
    (from ``/proc/stat``: the batch and its worker processes, plus anything else running,
    so run it on an otherwise quiet machine).
    """
    with tempfile.TemporaryDirectory(prefix="gc-bench-batch-") as tmp:
        tmp = Path(tmp)
        src = tmp / "in"
        src.mkdir()
        for c in clips:
            (src / c.name).symlink_to(c.resolve())
        env = {**os.environ, "GAITCHECK_CACHE_DIR": str(tmp / "cache")}
        cmd = [sys.executable, "-m", "gaitcheck", "batch", str(src), "-o", str(tmp / "out"),
               "--jobs", str(jobs), "--model", model, "-q"]
        if not render:
            cmd += ["--no-overlay", "--no-pdf", "--no-png"]
        b0 = _busy_seconds()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        cpu = _busy_seconds() - b0
        if proc.returncode not in (0, 2):
            sys.exit(f"batch failed (exit {proc.returncode}):\n{proc.stderr}")
        if proc.returncode == 2:
            print(f"  (jobs={jobs}: some clips failed: {proc.stderr.strip()})")
        return dt, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=DEFAULT_CLIPS,
                    help="clip file names in the shared videos folder, or paths")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--render", action="store_true", help="also write reports and overlays")
    ap.add_argument("--model", default="full")
    args = ap.parse_args()
    clips = [Path(c) if Path(c).is_file() else SHARED / "videos" / c for c in args.clips]
    missing = [str(c) for c in clips if not c.is_file()]
    if missing:
        print(f"clips not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(f"{len(clips)} clips, model {args.model}, "
          f"{'with' if args.render else 'without'} rendering, fresh landmark cache per run, "
          f"{os.cpu_count()} CPUs")
    times: dict[int, list[float]] = {1: [], 2: []}
    cores: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.repeats):
        for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
            dt, cpu = run_once(clips, jobs, args.render, args.model)
            times[jobs].append(dt)
            cores[jobs].append(cpu / dt)
            print(f"  run {r + 1}: --jobs {jobs}: {dt:.1f} s wall, {cpu:.1f} s CPU "
                  f"({cpu / dt:.2f} cores busy on average)")
    t1, t2 = statistics.median(times[1]), statistics.median(times[2])
    ratio = t1 / t2
    c1 = statistics.median(cores[1])
    ncpu = os.cpu_count() or 1
    print(f"--jobs 1: {t1:.1f} s ({c1:.2f} cores busy: one video already uses more than one "
          f"core, so {ncpu} cores allow at most {ncpu / c1:.2f}x)")
    print(f"--jobs 2: {t2:.1f} s ({statistics.median(cores[2]):.2f} cores busy)")
    print(f"speed-up: {ratio:.2f}x (target >= {TARGET}x): {'PASS' if ratio >= TARGET else 'FAIL'}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
