"""Analyse a folder of running videos: ``gaitcheck batch``.

Every video goes through the same per-video task, :func:`process_video`, a top-level
(picklable) function that runs what ``gaitcheck analyze`` runs and returns one row of
the batch table. The task writes its results into a hidden temporary folder beside the
final one and renames it into place at the end, with a ``done.json`` marker that records
the video's content hash and the hash of the options; a killed task therefore leaves no
half-written folder, and a later run skips every video whose marker matches.

Tasks run on a local process pool (one MediaPipe landmarker per worker process, created
for each video) or on a Dask distributed cluster; both give the same table. The parent
writes the batch table (``batch.csv`` and ``batch.parquet``, one row per video, sorted by
video path), a cohort page (``cohort.png``, ``cohort.pdf``) and appends to ``batch.log``.

Layout of ``OUT_DIR``::

    batch.csv, batch.parquet   the table (columns: see TABLE_COLUMNS)
    cohort.png, cohort.pdf     runners compared on the main markers
    batch.log                  what happened, run after run
    results/<path>/<clip>/     one folder per video, as `gaitcheck analyze` writes it,
                               plus done.json

Ctrl-C stops handing out videos and waits for the running ones (their folders are
finished); a second Ctrl-C stops them at once (their temporary folders are removed).
Either way the table is written with the rows done so far and the exit code is 130.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
import math
import multiprocessing
import os
import queue as queue_mod
import shutil
import signal
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import GaitcheckError, NoPersonError
from .io_utils import atomic_path, file_sha256

__all__ = [
    "BatchOptions",
    "BatchSummary",
    "STATUSES",
    "KEY_MARKERS",
    "COHORT_MARKERS",
    "TABLE_COLUMNS",
    "find_videos",
    "read_manifest",
    "output_folders",
    "config_hash",
    "process_video",
    "run_batch",
    "build_table",
    "write_table",
    "render_cohort",
]

log = logging.getLogger("gaitcheck.batch")

#: File suffixes taken for videos when no ``--glob`` is given (case-insensitive).
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".mts", ".3gp"})
#: Statuses of the table: analysed; refused by the running checks (with the reason);
#: the file could not be analysed (with the one-line error).
STATUSES: tuple[str, ...] = ("ok", "not_analysable", "error")
#: Outcomes a later run skips (an error is tried again).
FINISHED = frozenset({"ok", "not_analysable"})
RESULTS_DIR = "results"
TABLE_CSV = "batch.csv"
TABLE_PARQUET = "batch.parquet"
COHORT_PNG = "cohort.png"
COHORT_PDF = "cohort.pdf"
LOG_FILE = "batch.log"
DONE_FILE = "done.json"
LOCK_FILE = ".gaitcheck-batch.lock"
TMP_TAG = ".tmp-"
OLD_TAG = ".old-"
DONE_FORMAT = 1
#: Worker processes are replaced after this many videos (bounds any slow memory growth).
MAX_TASKS_PER_CHILD = 25
#: Refused clips listed in the summary (all of them are in the table).
MAX_REFUSED_LISTED = 20
#: Dask event topic the tasks report frame progress on.
DASK_TOPIC = "gaitcheck-batch-progress"

#: Markers in the table, one column per side (``<marker>_l``, ``<marker>_r``: the
#: per-side median over the valid strides; empty when the view cannot show it).
KEY_MARKERS: tuple[str, ...] = (
    "cadence_spm",
    "ground_contact_time_ms",
    "duty_factor_pct",
    "overstride_ic_pct_leg",
    "shank_angle_ic_deg",
    "knee_flexion_ic_deg",
    "knee_flexion_peak_stance_deg",
    "hip_extension_deg",
    "foot_strike_angle_deg",
    "trunk_lean_deg",
    "vertical_oscillation_pct_leg",
    "crossover_ic_pct_leg",
    "step_width_pct_leg",
    "pelvic_drop_deg",
    "hip_adduction_peak_deg",
)
#: Markers on the cohort page (panels without any value are left out).
COHORT_MARKERS: tuple[str, ...] = (
    "cadence_spm",
    "ground_contact_time_ms",
    "overstride_ic_pct_leg",
    "shank_angle_ic_deg",
    "knee_flexion_peak_stance_deg",
    "hip_extension_deg",
    "trunk_lean_deg",
    "vertical_oscillation_pct_leg",
    "crossover_ic_pct_leg",
    "pelvic_drop_deg",
)

_BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("video", "str"),
    ("folder", "str"),
    ("status", "str"),
    ("error", "str"),
    ("skipped", "bool"),
    ("runner_id", "str"),
    ("runner_name", "str"),
    ("height_cm", "float"),
    ("view_manifest", "str"),
    ("belt_speed_kmh", "float"),
    ("notes", "str"),
    ("view", "str"),
    ("view_confidence", "float"),
    ("direction", "int"),
    ("n_frames", "int"),
    ("fps", "float"),
    ("duration_s", "float"),
    ("pose_share", "float"),
    ("model", "str"),
    ("cadence_clip_spm", "float"),
    ("strides", "int"),
    ("valid_strides", "int"),
    ("valid_strides_l", "int"),
    ("valid_strides_r", "int"),
    ("alternation_share", "float"),
    ("n_flag", "int"),
    ("n_watch", "int"),
    ("findings", "str"),
    ("video_sha256", "str"),
    ("config_hash", "str"),
)
#: Columns of the batch table, in order, with their kind (str, float, int, bool).
TABLE_COLUMNS: tuple[tuple[str, str], ...] = _BASE_COLUMNS + tuple(
    (f"{m}_{side}", "float") for m in KEY_MARKERS for side in ("l", "r")
)
_MANIFEST_FIELDS = ("runner_id", "runner_name", "height_cm", "view_manifest", "belt_speed_kmh",
                    "notes")
_MANIFEST_ALIASES = {
    "video": "video", "file": "video", "path": "video", "clip": "video",
    "runner_id": "runner_id", "runner": "runner_id", "id": "runner_id",
    "runner_name": "runner_name", "name": "runner_name",
    "height_cm": "height_cm", "height": "height_cm",
    "view": "view_manifest",
    "belt_speed_kmh": "belt_speed_kmh", "belt_speed": "belt_speed_kmh",
    "speed_kmh": "belt_speed_kmh",
    "notes": "notes", "note": "notes", "comment": "notes",
}
#: Config keys that do not change the results (left out of the config hash).
_UNHASHED = frozenset({"use_cache", "render_jobs"})


# --------------------------------------------------------------------------------------
# inputs: videos, output folders, manifest, config


def find_videos(input_dir: str | os.PathLike[str], *, pattern: str | None = None,
                exclude: Sequence[str | os.PathLike[str]] = ()) -> list[Path]:
    """Return the videos under a folder, searched recursively, sorted by relative path.

    Parameters
    ----------
    input_dir : path-like
        Folder to search (subfolders included; hidden files and folders are not).
    pattern : str, optional
        A glob matched in every subfolder (``Path.rglob``), e.g. ``"*.MOV"``. Default:
        every file with a video suffix (:data:`VIDEO_SUFFIXES`).
    exclude : sequence of path-like
        Folders to leave out (the output folder when it lies inside ``input_dir``).

    Returns
    -------
    list of Path

    Raises
    ------
    GaitcheckError
        When ``input_dir`` is not a folder.
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise GaitcheckError(f"{root}: not a folder", hint="give the folder holding the videos")
    skip = [Path(e).resolve() for e in exclude]
    found = []
    for p in root.rglob(pattern or "*"):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        if pattern is None and p.suffix.lower() not in VIDEO_SUFFIXES:
            continue
        rp = p.resolve()
        if any(rp == s or s in rp.parents for s in skip):
            continue
        found.append(p)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def output_folders(videos: Sequence[Path], root: Path) -> dict[Path, str]:
    """Map each video to its results folder, relative to ``OUT_DIR/results``.

    The folder mirrors the video's path under ``root`` without the suffix
    (``sub/clip.mp4`` -> ``sub/clip``); videos that differ only by suffix get it appended
    (``clip_mp4``, ``clip_mov``).

    Parameters
    ----------
    videos : sequence of Path
        From :func:`find_videos`.
    root : Path
        The input folder.

    Returns
    -------
    dict
        Video path -> POSIX relative folder path.
    """
    rels = {v: v.relative_to(root) for v in videos}
    stems = Counter((r.parent, r.stem) for r in rels.values())
    used: set[str] = set()
    out = {}
    for v, r in rels.items():
        name = r.stem if stems[(r.parent, r.stem)] == 1 else f"{r.stem}_{r.suffix.lstrip('.')}"
        folder = (r.parent / name).as_posix()
        k = 2
        while folder in used:
            folder = (r.parent / f"{name}_{k}").as_posix()
            k += 1
        used.add(folder)
        out[v] = folder
    return out


def _opt_float(text: str, what: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise GaitcheckError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise GaitcheckError(f"{where}: {what} {text!r} is not a number")
    return value


def read_manifest(path: str | os.PathLike[str], videos: Sequence[Path], root: Path
                  ) -> tuple[dict[Path, dict[str, Any]], list[str]]:
    """Read a runners manifest (CSV) and match its rows to the videos.

    Columns (header names are case-insensitive; only ``video`` is required)::

        video           the video: path relative to INPUT_DIR, file name, or name
                        without suffix (a name must match exactly one video)
        runner_id       runner id (also: runner, id)
        runner_name     runner's name, shown in the report header (also: name)
        height_cm       runner's height; lengths are then also given in metres (also: height)
        view            the view filmed: side, rear or front (kept beside the detected one)
        belt_speed_kmh  treadmill belt speed (also: belt_speed, speed_kmh)
        notes           free text (also: note, comment)

    Parameters
    ----------
    path : path-like
        The CSV file (UTF-8, a byte-order mark is accepted).
    videos : sequence of Path
        The videos found.
    root : Path
        The input folder.

    Returns
    -------
    metadata : dict
        Video -> ``{runner_id, runner_name, height_cm, view_manifest, belt_speed_kmh,
        notes}`` for the videos the manifest names.
    unmatched : list of str
        Manifest ``video`` entries that match no video.

    Raises
    ------
    GaitcheckError
        Unreadable file, unknown column, missing ``video`` column, a bad height or
        speed, an entry matching several videos, or a video named twice.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GaitcheckError(f"{path}: cannot read the manifest ({exc})",
                             hint="give a UTF-8 CSV file with a header line") from exc
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise GaitcheckError(f"{path}: the manifest is empty",
                             hint="first line: video,runner_id,runner_name,height_cm,view,"
                                  "belt_speed_kmh,notes")
    cols = []
    for name in header:
        key = _MANIFEST_ALIASES.get(name.strip().lower().replace(" ", "_"))
        if key is None:
            raise GaitcheckError(
                f"{path}: unknown manifest column {name.strip()!r}",
                hint="known columns: video, runner_id, runner_name, height_cm, view, "
                     "belt_speed_kmh, notes")
        cols.append(key)
    if "video" not in cols:
        raise GaitcheckError(f"{path}: the manifest has no 'video' column",
                             hint="name each video (path relative to the input folder, or "
                                  "its file name) in a column called video")
    by_rel = {v.relative_to(root).as_posix(): v for v in videos}
    by_name: dict[str, list[Path]] = {}
    by_stem: dict[str, list[Path]] = {}
    for v in videos:
        by_name.setdefault(v.name, []).append(v)
        by_stem.setdefault(v.stem, []).append(v)
    meta: dict[Path, dict[str, Any]] = {}
    unmatched: list[str] = []
    for lineno, values in enumerate(reader, start=2):
        if not any(x.strip() for x in values):
            continue
        where = f"{path}, line {lineno}"
        rec = dict(zip(cols, (x.strip() for x in values), strict=False))
        name = rec.get("video", "").replace("\\", "/").removeprefix("./")
        if not name:
            raise GaitcheckError(f"{where}: no video named")
        cands = ([by_rel[name]] if name in by_rel
                 else by_name.get(name) or by_stem.get(name) or [])
        if len(cands) > 1:
            raise GaitcheckError(
                f"{where}: {name!r} matches {len(cands)} videos "
                f"({', '.join(c.relative_to(root).as_posix() for c in cands[:3])})",
                hint="give the path relative to the input folder")
        if not cands:
            unmatched.append(name)
            continue
        video = cands[0]
        if video in meta:
            raise GaitcheckError(f"{where}: {video.relative_to(root).as_posix()} is named "
                                 "twice in the manifest")
        height = _opt_float(rec.get("height_cm", ""), "height_cm", where)
        if height is not None and not 80 <= height <= 250:
            raise GaitcheckError(f"{where}: height_cm {height:g} is not a plausible height",
                                 hint="give the runner's height in centimetres, e.g. 178")
        speed = _opt_float(rec.get("belt_speed_kmh", ""), "belt_speed_kmh", where)
        view = rec.get("view_manifest", "").lower() or None
        if view is not None and view not in ("side", "rear", "front"):
            raise GaitcheckError(f"{where}: view {view!r} is not side, rear or front")
        meta[video] = {
            "runner_id": rec.get("runner_id") or None,
            "runner_name": rec.get("runner_name") or None,
            "height_cm": height,
            "view_manifest": view,
            "belt_speed_kmh": speed,
            "notes": rec.get("notes") or None,
        }
    return meta, unmatched


def config_hash(config: Mapping[str, Any]) -> str:
    """Return the hash of a task config, over the keys that change the results.

    Parameters
    ----------
    config : mapping
        The config given to :func:`process_video`.

    Returns
    -------
    str
        32 hexadecimal digits.
    """
    blob = {k: v for k, v in config.items() if k not in _UNHASHED}
    text = json.dumps(blob, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class BatchOptions:
    """Options of a batch run (the ``gaitcheck batch`` flags).

    Parameters
    ----------
    jobs : int or None
        Worker processes (local executor, or a Dask ``LocalCluster`` started when no
        scheduler is given). Default: the CPUs this process may use.
    executor : str
        ``local`` (a process pool) or ``dask``.
    scheduler : str or None
        Address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
    pattern : str or None
        Glob matched in every subfolder instead of the video suffixes.
    manifest : path-like or None
        Runners manifest (see :func:`read_manifest`).
    model : str
        Pose model name or ``.task`` path.
    num_poses : int or None
        People tracked per frame (None: decided per clip).
    use_cache : bool
        Use the landmark cache.
    cutoff_hz, capture_fps : float
        Analysis options, as for ``gaitcheck analyze``.
    bands : path-like or None
        TOML file overriding the marker bands.
    pdf, png, overlay, slowmo : bool
        What to render for each analysable clip, as for ``gaitcheck analyze``.
    progress : bool or None
        Progress bars; None: when stderr is a terminal.
    quiet : bool
        No bars and no per-video lines.
    """

    jobs: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    pattern: str | None = None
    manifest: str | os.PathLike[str] | None = None
    model: str = "full"
    num_poses: int | None = None
    use_cache: bool = True
    cutoff_hz: float = 10.0
    capture_fps: float | None = None
    bands: str | os.PathLike[str] | None = None
    pdf: bool = True
    png: bool = True
    overlay: bool = True
    slowmo: bool = False
    progress: bool | None = None
    quiet: bool = False


# --------------------------------------------------------------------------------------
# the per-video task (runs in a worker process or on a Dask worker)

_TASK_LOCK = threading.Lock()
_HOOK = threading.local()
_WORKER_QUEUE: Any = None


def _init_worker(progress_queue: Any, stderr_path: str | None = None) -> None:
    """Set up a pool worker.

    The parent handles Ctrl-C (the worker ignores it, so a running video finishes);
    progress goes to the queue; the worker's standard error (native MediaPipe/TFLite
    messages, a crash's traceback) is appended to the batch log rather than drawn across
    the progress bars.
    """
    global _WORKER_QUEUE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_QUEUE = progress_queue
    if stderr_path:
        try:
            fd = os.open(stderr_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            return
        sys.stderr.flush()
        os.dup2(fd, 2)
        os.close(fd)


class _QueueProgress:
    """Picklable progress reporter of the local pool (writes to the worker's queue)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, phase: str, done: int, total: int) -> None:
        if _WORKER_QUEUE is not None:
            _WORKER_QUEUE.put((self.key, phase, done, total))


class _DaskProgress:
    """Picklable progress reporter of the Dask executor (a worker event)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, phase: str, done: int, total: int) -> None:
        try:
            from distributed import get_worker

            get_worker().log_event(DASK_TOPIC, (self.key, phase, done, total))
        except Exception:  # noqa: BLE001 - progress is cosmetic; never fail the task for it
            pass


class _Throttle:
    """Forward ``(phase, done, total)`` at most every ``interval`` s (and every new phase)."""

    def __init__(self, sink: Callable[[str, int, int], None] | None, interval: float = 0.25):
        self.sink, self.interval = sink, interval
        self.phase: str | None = None
        self.last = 0.0

    def __call__(self, phase: str, done: int = 0, total: int = 0) -> None:
        if self.sink is None:
            return
        now = time.monotonic()
        if phase != self.phase or now - self.last >= self.interval or (total and done >= total):
            self.phase, self.last = phase, now
            try:
                self.sink(phase, int(done), int(total))
            except Exception:  # noqa: BLE001 - progress is cosmetic
                pass


def _install_frame_hook() -> None:
    """Let the pose stage report frames to the running task (thread-local callback).

    ``estimate_landmarks`` draws its own bar but takes no callback; it calls
    ``gaitcheck.pose.estimate_frames`` with an ``on_frame`` hook, so a wrapper around
    that function adds the task's callback. Installed once per process; idempotent.
    """
    from . import pose

    if getattr(pose.estimate_frames, "_gaitcheck_batch_hook", False):
        return
    original = pose.estimate_frames

    @functools.wraps(original)
    def estimate_frames(*args: Any, on_frame: Callable[[int], None] | None = None,
                        **kwargs: Any) -> Any:
        extra = getattr(_HOOK, "callback", None)
        if extra is None:
            return original(*args, on_frame=on_frame, **kwargs)
        meta = kwargs.get("meta")
        total = int(getattr(meta, "n_frames_reported", 0) or 0)
        inner = on_frame

        def both(done: int) -> None:
            if inner is not None:
                inner(done)
            extra(done, total)

        return original(*args, on_frame=both, **kwargs)

    estimate_frames._gaitcheck_batch_hook = True  # type: ignore[attr-defined]
    pose.estimate_frames = estimate_frames


@contextmanager
def _frames_to(callback: Callable[[int, int], None]) -> Iterator[None]:
    _install_frame_hook()
    _HOOK.callback = callback
    try:
        yield
    finally:
        _HOOK.callback = None


def _read_done(folder: Path) -> dict | None:
    try:
        doc = json.loads((folder / DONE_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != DONE_FORMAT \
            or not isinstance(doc.get("row"), dict):
        return None
    return doc


def _plain(v: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, NaN to None."""
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (AttributeError, ValueError):
            pass
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _one_line(err: BaseException, video: Path) -> str:
    """Return an error's message on one line, without the video path in front."""
    text = " ".join(str(err).split()) or type(err).__name__
    for prefix in (str(video), str(video.resolve())):
        if text.startswith(prefix + ": "):
            text = text[len(prefix) + 2:]
            break
    return text


def result_row(result: Any) -> dict[str, Any]:
    """Return the table fields of an analysis (status, counts, markers, findings).

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis of one clip.

    Returns
    -------
    dict
        JSON-safe values (None for a missing number).
    """
    s = result.summary()
    per_side = s["valid_strides_per_side"]
    row: dict[str, Any] = {
        "status": "ok" if result.analysable else "not_analysable",
        "error": None if result.analysable else result.reason,
        "view": s["view"],
        "view_confidence": s["view_confidence"],
        "direction": s["direction"],
        "n_frames": s["n_frames"],
        "fps": s["fps"],
        "duration_s": s["n_frames"] / s["fps"] if s["fps"] else None,
        "pose_share": s["pose_share"],
        "model": s["model"],
        "cadence_clip_spm": s["cadence_spm"],
        "strides": s["strides"],
        "valid_strides": s["valid_strides"],
        "valid_strides_l": per_side["l"],
        "valid_strides_r": per_side["r"],
        "alternation_share": s["alternation_share"],
    }
    summary = result.marker_summary
    for m in KEY_MARKERS:
        for side in ("l", "r"):
            value = None
            if summary is not None and (m, side) in summary.index:
                rec = summary.loc[(m, side)]
                if bool(rec["measurable"]):
                    value = rec["median"]
            row[f"{m}_{side}"] = value
    notable = [f for f in result.findings if f.level in ("flag", "watch")]
    row["n_flag"] = sum(f.level == "flag" for f in notable) if result.markers is not None \
        else None
    row["n_watch"] = sum(f.level == "watch" for f in notable) if result.markers is not None \
        else None
    row["findings"] = "; ".join(f"{f.marker}[{f.side}]={f.level}" for f in notable) or None
    return {k: _plain(v) for k, v in row.items()}


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Rename a finished temporary folder onto its final name (replacing an older one)."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}{OLD_TAG}{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _analyse_into(video: Path, folder: Path, cfg: Mapping[str, Any],
                  emit: _Throttle) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the analysis of one clip and write its files into ``folder``."""
    from .cli import write_analysis
    from .pipeline import AnalysisConfig, analyze_landmarks, estimate_landmarks
    from .pose import PoseSettings

    info: dict[str, Any] = {}
    emit("pose")
    t0 = time.perf_counter()
    try:
        with _frames_to(lambda done, total: emit("pose", done, total)):
            run = estimate_landmarks(video, model=cfg.get("model", "full"),
                                     settings=PoseSettings(num_poses=cfg.get("num_poses")),
                                     use_cache=cfg.get("use_cache", True), progress=False)
    except NoPersonError as err:  # a clip without a runner: refused, like a short clip
        info["pose_s"] = time.perf_counter() - t0
        return {"status": "not_analysable", "error": _one_line(err, video)}, info
    info["pose_s"] = time.perf_counter() - t0
    info["pose_from_cache"] = run.from_cache
    acfg = AnalysisConfig(height_cm=cfg.get("height_cm"), capture_fps=cfg.get("capture_fps"),
                          cutoff_hz=cfg.get("cutoff_hz", 10.0), bands_path=cfg.get("bands_path"))
    emit("analysis")
    t1 = time.perf_counter()
    result = analyze_landmarks(run.landmarks, config=acfg, pose=run)
    write_analysis(result, folder)
    info["analysis_s"] = time.perf_counter() - t1
    if result.analysable:
        t2 = time.perf_counter()
        if cfg.get("pdf", True) or cfg.get("png", True):
            from .report import render_report

            emit("report")
            render_report(result, folder, runner=cfg.get("runner"), pdf=cfg.get("pdf", True),
                          png=cfg.get("png", True), jobs=cfg.get("render_jobs"))
        if cfg.get("overlay", True):
            from .overlay import render_overlay

            emit("overlay")
            render_overlay(result, folder / "overlay.mp4", slowmo=cfg.get("slowmo", False),
                           progress=lambda done, total: emit("overlay", done, total))
        info["render_s"] = time.perf_counter() - t2
    return result_row(result), info


def process_video(video: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                  config: Mapping[str, Any],
                  progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Analyse one video into its results folder: the task of ``gaitcheck batch``.

    A pure top-level function (picklable, for process pools and Dask). When
    ``out_dir/done.json`` records the same video content hash and config hash, nothing is
    recomputed and the previous row is returned. Otherwise the results are written into
    a temporary sibling folder that is renamed onto ``out_dir`` at the end, so an
    interrupted task leaves no half-written folder. A file that cannot be analysed gives
    a row with status ``error`` and the one-line message (no folder is written, so a
    later run tries it again); a clip refused by the running checks gives
    ``not_analysable`` with the reason.

    Parameters
    ----------
    video : path-like
        The video file.
    out_dir : path-like
        Its results folder (created or replaced).
    config : mapping
        JSON-serialisable options: ``model``, ``num_poses``, ``use_cache``,
        ``cutoff_hz``, ``capture_fps``, ``height_cm``, ``bands_path``, ``runner``,
        ``pdf``, ``png``, ``overlay``, ``slowmo``, ``render_jobs``, plus anything else
        that should count in the config hash (model and bands hashes, version).
    progress : callable, optional
        Called as ``progress(phase, done, total)`` while the video runs (phases
        ``pose``, ``analysis``, ``report``, ``overlay``; frame counts where known).

    Returns
    -------
    dict
        The row: ``status``, ``error``, ``video_sha256``, ``config_hash`` and the result
        fields of :func:`result_row`; private keys starting with ``_`` (``_run``:
        ``processed`` or ``skipped``, ``_seconds``, ``_info``, ``_traceback``) are for
        the batch log.
    """
    with _TASK_LOCK:  # one video at a time per process (MediaPipe, matplotlib state)
        return _process(Path(video), Path(out_dir), dict(config), _Throttle(progress))


def _process(video: Path, final: Path, cfg: dict[str, Any], emit: _Throttle) -> dict[str, Any]:
    t0 = time.perf_counter()
    chash = config_hash(cfg)

    def finish(row: dict[str, Any], run: str, **extra: Any) -> dict[str, Any]:
        return {**row, "_run": run, "_seconds": round(time.perf_counter() - t0, 3), **extra}

    try:
        st = video.stat()
        sha = file_sha256(video)
    except OSError as exc:
        msg = f"cannot read the file ({exc.strerror or exc})"
        return finish({"status": "error", "error": msg, "config_hash": chash}, "processed")
    prev = _read_done(final)
    if (prev and prev.get("video_sha256") == sha and prev.get("config_hash") == chash
            and prev["row"].get("status") in FINISHED):
        if (prev.get("video_size"), prev.get("video_mtime_ns")) != (st.st_size, st.st_mtime_ns):
            prev.update(video_size=st.st_size, video_mtime_ns=st.st_mtime_ns)
            with atomic_path(final / DONE_FILE) as tmp_file:  # same content: note the new stat
                tmp_file.write_text(json.dumps(prev, indent=2))
        return finish(prev["row"], "skipped")

    made = [p for p in final.parents if not p.exists()]  # removed again if nothing lands
    tmp = final.parent / f".{final.name}{TMP_TAG}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        row, info = _analyse_into(video, tmp, cfg, emit)
        row = {**row, "video_sha256": sha, "config_hash": chash}
        done = {
            "format": DONE_FORMAT,
            "video": str(video),
            "video_sha256": sha,
            "video_size": st.st_size,
            "video_mtime_ns": st.st_mtime_ns,
            "config_hash": chash,
            "config": cfg,
            "row": row,
            "info": {k: _plain(v) for k, v in info.items()},
            "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / DONE_FILE).write_text(json.dumps(done, indent=2, default=str))
        _swap_into_place(tmp, final)
        return finish(row, "processed", _info=done["info"])
    except GaitcheckError as err:
        row = {"status": "error", "error": _one_line(err, video), "video_sha256": sha,
               "config_hash": chash}
        return finish(row, "processed")
    except Exception as exc:  # a bug or an unforeseen file: record it, keep the batch going
        row = {"status": "error", "video_sha256": sha, "config_hash": chash,
               "error": f"internal error: {type(exc).__name__}: {_one_line(exc, video)}"}
        return finish(row, "processed", _traceback=traceback.format_exc())
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        for p in made:  # deepest first: folders made for a video that failed
            try:
                p.rmdir()
            except OSError:
                break


# --------------------------------------------------------------------------------------
# the table and the cohort page


def build_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """Return the batch table: one row per video, sorted by video path.

    Parameters
    ----------
    rows : sequence of mapping
        Rows with (a subset of) the :data:`TABLE_COLUMNS` keys.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS` in order, with pandas' nullable dtypes (``string``,
        ``Int64``, ``boolean``) and ``float64``.
    """
    import pandas as pd

    names = [c for c, _ in TABLE_COLUMNS]
    data = {c: [r.get(c) for r in rows] for c in names}
    df = pd.DataFrame(data, columns=names)
    for col, kind in TABLE_COLUMNS:
        if kind == "float":
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        elif kind == "int":
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
        elif kind == "bool":
            df[col] = df[col].astype("boolean")
        else:
            df[col] = df[col].astype("string")
    return df.sort_values("video", kind="stable").reset_index(drop=True)


def write_table(table: Any, out_dir: Path) -> list[Path]:
    """Write the table as ``batch.csv`` and ``batch.parquet`` (each atomically).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`build_table`.
    out_dir : Path
        The batch output folder.

    Returns
    -------
    list of Path
    """
    csv_path, pq_path = out_dir / TABLE_CSV, out_dir / TABLE_PARQUET
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(pq_path) as tmp:
        table.to_parquet(tmp, index=False, engine="pyarrow")
    return [csv_path, pq_path]


_LEVEL_COLOURS = {"ok": "#4c9a5a", "watch": "#e0a030", "flag": "#d04040", None: "#808080"}


#: Units from the marker names (gaitcheck.markers is not imported: it pulls in SciPy).
_UNITS = (("_pct_leg", "%leg"), ("_spm", "steps/min"), ("_ms", "ms"), ("_deg", "deg"),
          ("_pct", "%"))


def _unit(marker: str) -> str:
    return next((u for suffix, u in _UNITS if marker.endswith(suffix)), "")


def _levels(findings: Any) -> dict[tuple[str, str], str]:
    out = {}
    if isinstance(findings, str):
        for item in findings.split(";"):
            key, _, level = item.strip().partition("=")
            marker, _, side = key.partition("[")
            out[(marker, side.rstrip("]"))] = level
    return out


def render_cohort(table: Any, png: Path | None, pdf: Path | None) -> list[Path]:
    """Draw the cohort page: every analysed video on the main markers, left and right.

    One panel per marker of :data:`COHORT_MARKERS` that has a value; a row per analysed
    video (runner name or id, and clip); a circle for the left side, a square for the
    right, coloured by the finding's level (green ok, amber watch, red flag).

    Parameters
    ----------
    table : pandas.DataFrame
        The batch table.
    png, pdf : Path or None
        Files to write (atomically).

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    ok = table[table["status"] == "ok"].reset_index(drop=True)
    labels = []
    for _, r in ok.iterrows():
        who = r["runner_name"] if not _isna(r["runner_name"]) else r["runner_id"]
        clip = Path(str(r["video"])).stem
        text = f"{who} · {clip}" if not _isna(who) else clip
        labels.append(text if len(text) <= 44 else text[:43] + "…")
    panels = [m for m in COHORT_MARKERS
              if len(ok) and ok[[f"{m}_l", f"{m}_r"]].notna().to_numpy().any()]
    n = len(ok)
    ncols = 2 if len(panels) > 1 else 1
    nrows = max(1, math.ceil(len(panels) / ncols))
    panel_h = 0.9 + 0.24 * max(n, 1)
    with matplotlib.rc_context({"font.size": 8, "axes.titlesize": 9}):
        fig = Figure(figsize=(11.7 if ncols == 2 else 8.3, 1.0 + nrows * panel_h))
        FigureCanvasAgg(fig)
        counts = table["status"].value_counts().to_dict()
        fig.suptitle(f"gaitcheck cohort: {n} analysed video(s) of {len(table)} "
                     f"({counts.get('not_analysable', 0)} not analysable, "
                     f"{counts.get('error', 0)} failed)", fontsize=11, x=0.02, ha="left")
        if not panels:
            fig.text(0.5, 0.5, "no analysed video with markers to compare", ha="center",
                     va="center", fontsize=11)
        else:
            axes = fig.subplots(nrows, ncols, squeeze=False)
            y = np.arange(n)
            levels = [_levels(f) for f in ok["findings"]]
            for k, ax in enumerate(axes.flat):
                if k >= len(panels):
                    ax.set_visible(False)
                    continue
                m = panels[k]
                unit = _unit(m)
                for side, marker, dy in (("l", "o", -0.12), ("r", "s", 0.12)):
                    vals = ok[f"{m}_{side}"].to_numpy(dtype=float)
                    cols = [_LEVEL_COLOURS.get(levels[i].get((m, side)) or "ok")
                            for i in range(n)]
                    keep = np.isfinite(vals)
                    ax.scatter(vals[keep], y[keep] + dy, marker=marker, s=22,
                               c=[c for c, kk in zip(cols, keep, strict=True) if kk],
                               edgecolors="black", linewidths=0.4, zorder=3)
                ax.set_yticks(y)
                ax.set_yticklabels(labels if k % ncols == 0 else [""] * n)
                ax.set_ylim(n - 0.5, -0.5)
                ax.grid(axis="x", color="0.88", zorder=0)
                ax.set_title(f"{m} ({unit})" if unit else m, loc="left")
            handles = [Line2D([], [], marker="o", ls="", color="0.5", label="left"),
                       Line2D([], [], marker="s", ls="", color="0.5", label="right")]
            handles += [Line2D([], [], marker="o", ls="", color=c, label=lv)
                        for lv, c in _LEVEL_COLOURS.items() if lv is not None]
            fig.legend(handles=handles, loc="upper right", ncol=5, frameon=False)
            fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
        written = []
        for path, fmt in ((png, "png"), (pdf, "pdf")):
            if path is None:
                continue
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=110)
            written.append(path)
    return written


def _isna(v: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------
# the parent: jobs, executors, progress, Ctrl-C


@dataclass
class _Job:
    video: Path
    rel: str
    folder: Path
    folder_rel: str
    config: dict[str, Any]
    meta: dict[str, Any]
    size: int = 0


@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes
    ----------
    table : pandas.DataFrame
        The batch table written (rows finished so far when interrupted).
    counts : dict
        Rows per status (``ok``, ``not_analysable``, ``error``).
    processed, skipped : int
        Videos analysed in this run, and videos whose previous results were kept.
    not_done : list of str
        Videos left unfinished by an interruption.
    failures : list of (str, str)
        ``(video, message)`` of every row with status ``error``.
    interrupted : bool
        The run was stopped by Ctrl-C (exit code 130).
    elapsed_s : float
        Wall time.
    files : list of Path
        Table, cohort page and log.
    unmatched_manifest : list of str
        Manifest entries that named no video.
    """

    table: Any
    counts: dict[str, int]
    processed: int
    skipped: int
    not_done: list[str]
    failures: list[tuple[str, str]]
    interrupted: bool
    elapsed_s: float
    files: list[Path] = field(default_factory=list)
    unmatched_manifest: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 2 when a video failed (status ``error``), else 0."""
        if self.interrupted:
            return 130
        return 2 if self.failures else 0

    def lines(self) -> list[str]:
        """Return the summary as text lines (counts, then the failures)."""
        c = self.counts
        total = len(self.table)
        head = (f"batch: {total} video(s) in the table: {c.get('ok', 0)} ok, "
                f"{c.get('not_analysable', 0)} not analysable, {c.get('error', 0)} failed; "
                f"{self.processed} processed, {self.skipped} skipped (already done) in "
                f"{_fmt_duration(self.elapsed_s)}")
        out = [head]
        if self.interrupted:
            out.append(f"interrupted: {len(self.not_done)} video(s) not done; run the same "
                       "command again to finish them")
        for video, msg in self.failures:
            out.append(f"  failed: {video}: {msg}")
        refused = self.table[self.table["status"] == "not_analysable"]
        for _, r in refused.head(MAX_REFUSED_LISTED).iterrows():
            out.append(f"  not analysable: {r['video']}: {r['error']}")
        if len(refused) > MAX_REFUSED_LISTED:
            out.append(f"  ... and {len(refused) - MAX_REFUSED_LISTED} more not analysable "
                       "(see the error column of the table)")
        for name in self.unmatched_manifest:
            out.append(f"  manifest entry without a video: {name}")
        if self.files:
            out.append("wrote " + ", ".join(str(p) for p in self.files))
        return out


def _fmt_duration(s: float) -> str:
    return f"{s:.1f} s" if s < 90 else f"{int(s // 60)} min {s % 60:.0f} s"


class _Stop:
    """Ctrl-C in the parent: the first press sets ``stop``; the second raises.

    The handler only sets a flag (no output from inside a signal handler); the loops call
    :meth:`check`, which says once that the batch is stopping.
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self.stop = False
        self.say = say
        self._announced = False
        self._saved: Any = None

    def check(self, running: int) -> bool:
        """Return ``stop``; the first time it is seen set, tell the user."""
        if self.stop and not self._announced:
            self._announced = True
            log.warning("interrupted: no new videos; %d running", running)
            if running:
                self.say(f"interrupted: no new videos; waiting for the {running} running "
                         "one(s) to finish (Ctrl-C again to stop them now)")
        return self.stop

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            self._saved = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            signal.signal(signal.SIGINT, self._saved)
            self._saved = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True


class _Progress:
    """One bar for the videos and one per running video (frames), on a terminal."""

    def __init__(self, total: int, initial: int, *, bars: bool, lines: bool) -> None:
        self.bars, self.lines = bars, lines
        self.total, self.count = total, initial
        self.frame_bars: dict[str, Any] = {}
        self.slots: dict[str, int] = {}
        self.main = None
        if bars:
            from tqdm.auto import tqdm

            self._tqdm = tqdm
            self.main = tqdm(total=total, initial=initial, unit="video", desc="videos",
                             position=0, file=sys.stderr, dynamic_ncols=True)

    def event(self, key: str, phase: str, done: int, total: int) -> None:
        if not self.bars:
            return
        bar = self.frame_bars.get(key)
        desc = f"{phase:<8} {Path(key).name[:28]}"
        if bar is not None and bar.desc.rstrip(": ") != desc:
            bar.close()  # a new phase: a new bar in the same place
            bar = None
        if bar is None:
            if key not in self.slots:
                used = set(self.slots.values())
                self.slots[key] = next(i for i in range(1, len(used) + 2) if i not in used)
            bar = self._tqdm(total=total or None, desc=desc, unit="frame",
                             position=self.slots[key], leave=False, file=sys.stderr,
                             dynamic_ncols=True)
            self.frame_bars[key] = bar
        if total and bar.total != total:
            bar.total = total
        if done < bar.n:  # the pass restarted (a second person was found): count again
            bar.reset(total=total or None)
        if done > bar.n:
            bar.update(done - bar.n)

    def drop(self, key: str) -> None:
        """Close the frame bar of a video that did not finish."""
        bar = self.frame_bars.pop(key, None)
        self.slots.pop(key, None)
        if bar is not None:
            bar.close()

    def finish(self, key: str, line: str | None) -> None:
        self.drop(key)
        self.count += 1
        if self.main is not None:
            self.main.update(1)
        if line and self.lines:
            self.say(f"[{self.count}/{self.total}] {line}")

    def say(self, text: str) -> None:
        """Print a line above the bars (output errors, e.g. a closed pipe, are ignored)."""
        try:
            if self.main is not None:
                self.main.write(text, file=sys.stderr)
            else:
                print(text, file=sys.stderr, flush=True)
        except (OSError, ValueError):  # stderr closed: the batch goes on, the log has it
            self.lines = False

    def close(self) -> None:
        for bar in self.frame_bars.values():
            bar.close()
        self.frame_bars.clear()
        if self.main is not None:
            self.main.close()


def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _default_context() -> str:
    # MediaPipe is not fork-safe once loaded: fresh interpreters for the workers
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _remove_temps(folder: Path) -> None:
    """Remove the temporary and replaced copies of one results folder."""
    parent = folder.parent
    if not parent.is_dir():
        return
    for p in parent.glob(f".{folder.name}.*"):
        if (TMP_TAG in p.name or OLD_TAG in p.name) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def _clean_stale(results: Path) -> int:
    """Remove temporary folders a killed run left under ``results`` (the batch is locked)."""
    n = 0
    if not results.is_dir():
        return 0
    for p in results.rglob(".*"):
        if p.is_dir() and (TMP_TAG in p.name or OLD_TAG in p.name):
            shutil.rmtree(p, ignore_errors=True)
            n += 1
    return n


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder (one batch writes to it at a time)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fh = open(out / LOCK_FILE, "a+")  # held for the whole block
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise GaitcheckError(f"{out}: another gaitcheck batch is writing to this folder",
                                 hint="wait for it to finish, or choose another -o") from None
        yield
    finally:
        fh.close()


@contextmanager
def _log_file(path: Path) -> Iterator[None]:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    saved = (log.level, log.propagate)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _table_row(job: _Job, row: Mapping[str, Any], skipped: bool) -> dict[str, Any]:
    has_folder = row.get("status") in FINISHED
    base = {"video": job.rel, "folder": f"{RESULTS_DIR}/{job.folder_rel}" if has_folder else None,
            "skipped": skipped, **job.meta}
    return {**base, **{k: v for k, v in row.items() if not k.startswith("_")}}


def _crash_row(job: _Job, what: str) -> dict[str, Any]:
    return {"status": "error", "config_hash": config_hash(job.config),
            "error": f"the worker process {what} while analysing this video (a crash in a "
                     "native library, or killed, e.g. out of memory); run again to retry"}


class _Collector:
    """Receives finished rows: keeps them, logs them, advances the progress."""

    def __init__(self, progress: _Progress) -> None:
        self.progress = progress
        self.rows: dict[str, dict[str, Any]] = {}
        self.processed = 0
        self.skipped = 0

    def add(self, job: _Job, row: Mapping[str, Any]) -> None:
        skipped = row.get("_run") == "skipped"
        self.rows[job.rel] = _table_row(job, row, skipped)
        status = row.get("status")
        secs = row.get("_seconds")
        info = row.get("_info") or {}
        if skipped:
            self.skipped += 1
            log.info("skipped %s (%s, already done)", job.rel, status)
            line = f"skipped {job.rel} (already done: {status})"
        else:
            self.processed += 1
            extra = ""
            if info:
                extra = "; pose " + ("from cache" if info.get("pose_from_cache") else
                                     f"{info.get('pose_s', 0):.1f} s")
            msg = f" - {row.get('error')}" if row.get("error") else ""
            log.log(logging.WARNING if status == "error" else logging.INFO,
                    "%s %s (%.1f s%s)%s", status, job.rel, secs or 0.0, extra, msg)
            if row.get("_traceback"):
                log.error("traceback of %s:\n%s", job.rel, row["_traceback"])
            took = f" ({secs:.1f} s)" if secs is not None else ""
            line = f"{status:<14} {job.rel}{took}{msg}"
        self.progress.finish(job.rel, line)


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    term = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if term is not None:
        term()
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():  # pragma: no cover
            p.kill()


def _run_local(jobs: list[_Job], n_jobs: int, task: Callable, collect: _Collector,
               stop: _Stop, mp_context: str | None, stderr_path: Path | None) -> list[_Job]:
    """Run the jobs on a process pool; return the jobs not done (interrupted)."""
    ctx = multiprocessing.get_context(mp_context or _default_context())
    progress_q = ctx.SimpleQueue()
    extra = {"max_tasks_per_child": MAX_TASKS_PER_CHILD} if sys.version_info >= (3, 11) else {}

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=_init_worker,
                                   initargs=(progress_q, str(stderr_path) if stderr_path else None),
                                   **extra)

    def drain() -> None:
        while not progress_q.empty():
            key, phase, done, total = progress_q.get()
            collect.progress.event(key, phase, done, total)

    todo = deque(jobs)
    running: dict[Future, _Job] = {}
    suspects: set[str] = set()  # in flight when a worker died: retried alone
    pool = new_pool()
    aborted = False
    try:
        while running or (todo and not stop.stop):
            while todo and not stop.stop and len(running) < n_jobs:
                nxt = todo[0]
                if running and (nxt.rel in suspects
                                or any(j.rel in suspects for j in running.values())):
                    break
                todo.popleft()
                fut = pool.submit(task, str(nxt.video), str(nxt.folder), nxt.config,
                                  progress=_QueueProgress(nxt.rel))
                running[fut] = nxt
            done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
            drain()
            stop.check(len(running) - len(done))
            crashed: list[_Job] = []
            for fut in done:
                job = running.pop(fut)
                exc = fut.exception()
                if exc is None:
                    collect.add(job, fut.result())
                elif isinstance(exc, BrokenProcessPool):
                    crashed.append(job)
                elif isinstance(exc, KeyboardInterrupt):
                    log.warning("interrupted inside the task of %s", job.rel)
                    _remove_temps(job.folder)
                    collect.progress.drop(job.rel)
                    todo.appendleft(job)
                    stop.stop = True
                else:
                    collect.add(job, {"status": "error", "config_hash": config_hash(job.config),
                                      "error": f"internal error: {type(exc).__name__}: {exc}"})
            if crashed:
                # every task in flight fails with the pool; wait for them all, start afresh
                for fut in list(running):
                    fut.exception()
                    crashed.append(running.pop(fut))
                pool.shutdown(wait=True, cancel_futures=True)
                for job in crashed:
                    _remove_temps(job.folder)
                    collect.progress.drop(job.rel)
                    if job.rel in suspects or len(crashed) == 1:
                        collect.add(job, _crash_row(job, "died"))
                    else:
                        suspects.add(job.rel)
                        todo.appendleft(job)
                        log.warning("a worker died with %s in flight: it will be run alone",
                                    job.rel)
                pool = new_pool()
    except KeyboardInterrupt:
        aborted = True
        log.warning("stopping %d running video(s) now", len(running))
        _terminate_pool(pool)
        for job in running.values():
            _remove_temps(job.folder)
            todo.appendleft(job)
    finally:
        pool.shutdown(wait=not aborted, cancel_futures=True)
    return list(todo)


def _run_dask(jobs: list[_Job], n_jobs: int, task: Callable, collect: _Collector,
              stop: _Stop, scheduler: str | None) -> list[_Job]:
    """Run the jobs on a Dask cluster; return the jobs not done (interrupted)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise GaitcheckError("the dask executor needs dask.distributed",
                             hint="pip install 'gaitcheck[dask]'") from None
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        try:
            client = Client(scheduler or cluster, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise GaitcheckError(f"cannot reach the Dask scheduler at {scheduler} ({exc})",
                                 hint="start one: dask scheduler; then dask worker "
                                      "ADDRESS --nthreads 1") from exc
        events: queue_mod.SimpleQueue = queue_mod.SimpleQueue()
        try:
            client.subscribe_topic(DASK_TOPIC, lambda ev: events.put(ev[1]))
        except Exception:  # noqa: BLE001 - progress is cosmetic
            pass
        todo = deque(jobs)
        pending: dict[Any, _Job] = {}
        try:
            for job in jobs:
                fut = client.submit(task, str(job.video), str(job.folder), job.config,
                                    progress=_DaskProgress(job.rel), pure=False)
                pending[fut] = job
            while pending:
                if stop.check(0):
                    collect.progress.say(f"interrupted: cancelling the {len(pending)} "
                                         "unfinished video(s)")
                    client.cancel(list(pending))
                    break
                time.sleep(0.2)
                while True:
                    try:
                        key, phase, done, total = events.get_nowait()
                    except queue_mod.Empty:
                        break
                    collect.progress.event(key, phase, done, total)
                for fut in [f for f in pending if f.done()]:
                    job = pending.pop(fut)
                    todo.remove(job)
                    if fut.status == "finished":
                        collect.add(job, fut.result())
                        continue
                    exc = fut.exception() if fut.status == "error" else None
                    if isinstance(exc, KeyboardInterrupt):
                        todo.append(job)
                        stop.stop = True
                        continue
                    what = (f"internal error: {type(exc).__name__}: {exc}"
                            if exc is not None else f"task {fut.status}")
                    if type(exc).__name__ == "KilledWorker":
                        collect.add(job, _crash_row(job, "died"))
                    else:
                        collect.add(job, {"status": "error", "error": what,
                                          "config_hash": config_hash(job.config)})
        except KeyboardInterrupt:
            client.cancel(list(pending))
        finally:
            client.close()
        return list(todo)
    finally:
        if cluster is not None:
            cluster.close()


def run_batch(input_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
              options: BatchOptions | None = None, *, task: Callable | None = None,
              mp_context: str | None = None) -> BatchSummary:
    """Analyse every video under ``input_dir`` into ``out_dir``.

    Parameters
    ----------
    input_dir : path-like
        Folder searched recursively for videos.
    out_dir : path-like
        Output folder (created).
    options : BatchOptions, optional
        The batch options.
    task : callable, optional
        The per-video task (:func:`process_video`); a top-level function with the same
        signature can be given (tests).
    mp_context : str, optional
        ``forkserver`` (default where available) or ``spawn``.

    Returns
    -------
    BatchSummary
        Its ``exit_code`` is 130 when interrupted, 2 when a video failed, else 0.

    Raises
    ------
    GaitcheckError
        For a problem with the inputs or the set-up (nothing is analysed).
    """
    from . import __version__
    from .models import resolve_model

    t_start = time.perf_counter()
    opts = options or BatchOptions()
    task = task or process_video
    root, out = Path(input_dir), Path(out_dir)
    if opts.executor not in ("local", "dask"):
        raise GaitcheckError(f"unknown executor {opts.executor!r}", hint="use local or dask")
    if opts.scheduler and opts.executor != "dask":
        raise GaitcheckError("--scheduler needs --executor dask")
    n_jobs = opts.jobs if opts.jobs is not None else _default_jobs()
    if n_jobs < 1:
        raise GaitcheckError(f"--jobs {n_jobs} must be at least 1")
    if opts.capture_fps is not None and not opts.capture_fps > 0:
        raise GaitcheckError(f"--capture-fps {opts.capture_fps:g} must be positive")
    videos = find_videos(root, pattern=opts.pattern, exclude=[out])
    if not videos:
        what = f"matching {opts.pattern!r}" if opts.pattern else \
            f"with a video suffix ({', '.join(sorted(VIDEO_SUFFIXES))})"
        raise GaitcheckError(f"{root}: no file {what} in this folder or below",
                             hint="check the folder, or pass --glob PATTERN")
    meta, unmatched = read_manifest(opts.manifest, videos, root) if opts.manifest else ({}, [])
    model = resolve_model(opts.model)  # a missing model stops here, before any work
    bands_path = bands_sha = None
    if opts.bands is not None:
        from .findings import load_bands

        load_bands(opts.bands)
        bands_path = str(Path(opts.bands).resolve())
        bands_sha = file_sha256(bands_path)
    base_cfg = {
        "gaitcheck": __version__,
        "model": opts.model,
        "model_sha256": model.sha256(),
        "num_poses": opts.num_poses,
        "use_cache": opts.use_cache,
        "cutoff_hz": float(opts.cutoff_hz),
        "capture_fps": opts.capture_fps,
        "bands_path": bands_path,
        "bands_sha256": bands_sha,
        "pdf": opts.pdf,
        "png": opts.png,
        "overlay": opts.overlay,
        "slowmo": opts.slowmo,
        # forking a PNG helper per worker would put more processes than cores to work
        "render_jobs": 1 if (n_jobs > 1 or opts.executor == "dask") else None,
    }
    folders = output_folders(videos, root)
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_DIR
    show_bars = (opts.progress if opts.progress is not None else _isatty()) and not opts.quiet

    with _locked(out), _log_file(out / LOG_FILE):
        stale = _clean_stale(results)
        jobs: list[_Job] = []
        for v in videos:
            m = {k: None for k in _MANIFEST_FIELDS} | meta.get(v, {})
            runner = m["runner_name"] or m["runner_id"]
            cfg = {**base_cfg, "height_cm": m["height_cm"], "runner": runner}
            jobs.append(_Job(video=v, rel=v.relative_to(root).as_posix(),
                             folder=results / folders[v], folder_rel=folders[v], config=cfg,
                             meta=m))
        # a video whose done.json matches (same config, same size and mtime) is not even
        # sent to a worker; otherwise the task compares the content hash
        todo: list[_Job] = []
        carried: list[tuple[_Job, dict]] = []
        for job in jobs:
            prev = _read_done(job.folder)
            try:
                st = job.video.stat()
                job.size = st.st_size
            except OSError:
                st = None
            if (prev is not None and st is not None
                    and prev.get("config_hash") == config_hash(job.config)
                    and (prev.get("video_size"), prev.get("video_mtime_ns"))
                    == (st.st_size, st.st_mtime_ns)
                    and prev["row"].get("status") in FINISHED):
                carried.append((job, prev["row"]))
            else:
                todo.append(job)
        todo.sort(key=lambda j: -j.size)  # largest first: the workers finish together
        n_workers = min(n_jobs, max(1, len(todo)))
        log.info("batch %s -> %s: %d video(s), %d already done, %d to do; executor %s%s, "
                 "%d worker(s); options %s", root, out, len(jobs), len(carried), len(todo),
                 opts.executor, f" ({opts.scheduler})" if opts.scheduler else "", n_workers,
                 json.dumps({k: v for k, v in base_cfg.items() if k != "model_sha256"}))
        if stale:
            log.info("removed %d temporary folder(s) left by an interrupted run", stale)
        for name in unmatched:
            log.warning("manifest entry %r matches no video", name)
        progress = _Progress(len(jobs), 0, bars=show_bars, lines=not opts.quiet)
        collect = _Collector(progress)
        if not opts.quiet:
            where = (f"the Dask cluster at {opts.scheduler}" if opts.scheduler else
                     f"{n_workers} {'Dask' if opts.executor == 'dask' else 'local'} worker(s)")
            progress.say(f"batch: {len(jobs)} video(s): {len(carried)} already done, "
                         f"{len(todo)} to do, on {where}")
        for job, row in carried:
            collect.add(job, {**row, "_run": "skipped"})
        left: list[_Job] = []
        interrupted = False
        try:
            with _Stop(progress.say) as stop:
                if todo:
                    if opts.executor == "dask":
                        left = _run_dask(todo, n_workers, task, collect, stop, opts.scheduler)
                    else:
                        left = _run_local(todo, n_workers, task, collect, stop, mp_context,
                                          out / LOG_FILE)
                interrupted = stop.stop or bool(left)
        finally:
            progress.close()
        table = build_table(list(collect.rows.values()))
        files = write_table(table, out)
        try:
            files += render_cohort(table, out / COHORT_PNG, out / COHORT_PDF)
        except Exception as exc:  # noqa: BLE001 - the table matters more than the page
            log.exception("cohort page failed: %s", exc)
            progress.say(f"cohort page not drawn: {type(exc).__name__}: {exc}")
        files.append(out / LOG_FILE)
        counts = {s: int((table["status"] == s).sum()) for s in STATUSES}
        failures = [(str(r["video"]), str(r["error"]))
                    for _, r in table[table["status"] == "error"].iterrows()]
        summary = BatchSummary(
            table=table, counts=counts, processed=collect.processed, skipped=collect.skipped,
            not_done=sorted(j.rel for j in left), failures=failures, interrupted=interrupted,
            elapsed_s=time.perf_counter() - t_start, files=files,
            unmatched_manifest=unmatched)
        for line in summary.lines():
            log.info("%s", line)
    return summary


def _isatty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
