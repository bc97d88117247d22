"""Benchmark: the runner's report drawn from a saved result, without pose estimation.

Acceptance (issue 5): ``load_result(folder)`` + ``render_report(...)`` (PDF and one PNG per
page) in < 5 s per runner. The folder is one written by ``gaitcheck analyze VIDEO -o
FOLDER``; without one, the zzzhushi treadmill clip is analysed into a temporary folder
first (pose estimation is cached, and not timed).

Printed per folder: the first run in this process (it includes importing the analysis and
plotting modules, as a fresh ``gaitcheck report`` would) and the best and median of the
following runs (the machines are shared and noisy), split into loading and drawing, with
the page count.

Usage::

    python scripts/bench_report.py [FOLDER ...] [--repeats 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_VIDEO = (HERE.parent.parent / "shared" / "videos"
                 / "zzzhushi_treadmill_side_portrait_male_side.mp4")
TARGET_S = 5.0


def _make_folder(video: Path, out: Path) -> Path:
    """Analyse a clip into a results folder, as ``gaitcheck analyze VIDEO -o OUT`` does."""
    from gaitcheck.cli import write_analysis
    from gaitcheck.pipeline import analyze_landmarks, estimate_landmarks

    run = estimate_landmarks(video, progress=False)
    result = analyze_landmarks(run.landmarks, pose=run)
    out.mkdir(parents=True, exist_ok=True)
    write_analysis(result, out)
    return out


def _one(folder: Path, out: Path, jobs: int | None) -> tuple[float, float, int]:
    from gaitcheck.pipeline import load_result
    from gaitcheck.report import render_report

    t0 = time.perf_counter()
    result = load_result(folder)
    t1 = time.perf_counter()
    files = render_report(result, out, runner="bench", jobs=jobs)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sum(p.suffix == ".png" for p in files)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None,
                    help="processes for drawing (default: render_report's choice)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaitcheck-bench-report-") as tmp:
        tmp_path = Path(tmp)
        folders = list(args.folders)
        if not folders:
            if not DEFAULT_VIDEO.is_file():
                print(f"no folder given and {DEFAULT_VIDEO} not found", file=sys.stderr)
                return 2
            print(f"analysing {DEFAULT_VIDEO.name} into a temporary folder (not timed)...")
            folders = [_make_folder(DEFAULT_VIDEO, tmp_path / "results")]
        worst = 0.0
        for i, folder in enumerate(folders):
            out = tmp_path / f"report-{i}"
            load0, draw0, pages = _one(folder, out, args.jobs)
            runs = [_one(folder, out, args.jobs) for _ in range(max(1, args.repeats))]
            totals = [a + b for a, b, _ in runs]
            best = min(range(len(runs)), key=lambda k: totals[k])
            worst = max(worst, totals[best])
            print(f"{folder}: {pages} pages")
            print(f"  first run (with imports): load {load0:.2f} s + draw {draw0:.2f} s = "
                  f"{load0 + draw0:.2f} s")
            print(f"  best of {len(runs)}: load {runs[best][0]:.2f} s + draw "
                  f"{runs[best][1]:.2f} s = {totals[best]:.2f} s "
                  f"(median {statistics.median(totals):.2f} s)")
        verdict = "PASS" if worst < TARGET_S else "FAIL"
        print(f"{verdict}: best load + draw per runner {worst:.2f} s (target < {TARGET_S:.0f} s)")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
