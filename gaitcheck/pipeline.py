"""The stages in order, with the landmark cache; no maths here.

``estimate_landmarks`` is the pose stage as users see it: it checks the video and the
model, returns cached landmarks when the same clip was already analysed with the same
model and settings, and otherwise runs MediaPipe over every frame.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import NoPersonError
from .io_utils import file_sha256
from .landmarks import Landmarks, load_landmarks
from .models import DEFAULT_MODEL, ModelInfo, resolve_model
from .video import VideoMeta, probe_video

__all__ = ["PoseRun", "estimate_landmarks", "landmark_cache_dir", "cache_key"]

#: Clips shorter than this (seconds) get no progress bar.
PROGRESS_MIN_DURATION_S = 4.0


@dataclass(frozen=True)
class PoseRun:
    """What the pose stage returns: landmarks plus how they were obtained.

    Parameters
    ----------
    landmarks : Landmarks
        The runner's landmarks, one row per decoded frame.
    video : VideoMeta
        The probed video.
    model : ModelInfo
        The model bundle used.
    cache_path : Path or None
        Where the landmarks are cached (None when caching is off).
    from_cache : bool
        True when pose estimation was skipped because the cache had the result.
    video_sha256 : str
        Content hash of the video file.
    """

    landmarks: Landmarks
    video: VideoMeta
    model: ModelInfo
    cache_path: Path | None
    from_cache: bool
    video_sha256: str


def landmark_cache_dir() -> Path:
    """Return the landmark cache folder (``GAITCHECK_CACHE_DIR`` or the user cache)."""
    env = os.environ.get("GAITCHECK_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gaitcheck")) / "landmarks"


def cache_key(video_sha256: str, model_sha256: str, settings: dict) -> str:
    """Return the cache key of a pose run.

    Parameters
    ----------
    video_sha256, model_sha256 : str
        Content hashes of the video and the model bundle.
    settings : dict
        Pose settings (JSON-serialisable) including the pose algorithm version.
    """
    blob = json.dumps(
        {"video": video_sha256, "model": model_sha256, "settings": settings}, sort_keys=True
    ).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def _want_progress(progress: bool | None, duration_s: float | None) -> bool:
    if progress is not None:
        return progress
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and (duration_s or 0.0) >= PROGRESS_MIN_DURATION_S


def estimate_landmarks(
    video: str | os.PathLike[str],
    *,
    model: str | os.PathLike[str] = DEFAULT_MODEL,
    settings=None,  # noqa: ANN001 - PoseSettings; imported lazily (keeps cache hits light)
    use_cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    require_person: bool = True,
) -> PoseRun:
    """Run (or load from the cache) MediaPipe pose estimation on every frame of a video.

    Parameters
    ----------
    video : path-like
        The video file.
    model : str or path-like, optional
        ``lite``, ``full`` (default) or ``heavy``, or the path of a ``.task`` bundle.
    settings : gaitcheck.pose.PoseSettings, optional
        Pose options (default settings when omitted).
    use_cache : bool, optional
        Read and write the landmark cache.
    cache_dir : path-like, optional
        Cache folder; :func:`landmark_cache_dir` by default.
    progress : bool or None, optional
        Show a progress bar on stderr. ``None`` (default): only when stderr is a
        terminal and the clip is longer than a few seconds.
    require_person : bool, optional
        Raise :class:`~gaitcheck.errors.NoPersonError` when no frame has a person.

    Returns
    -------
    PoseRun

    Raises
    ------
    VideoError, ModelError, NoPersonError
        With a one-line message that says what to do.
    """
    from .pose import POSE_ALGORITHM_VERSION, PoseSettings, mediapipe_version

    settings = settings or PoseSettings()
    meta = probe_video(video)
    info = resolve_model(model)
    video_hash = file_sha256(meta.path)
    key_settings = {
        **settings.as_dict(),
        "pose_algorithm_version": POSE_ALGORITHM_VERSION,
        "mediapipe": mediapipe_version(),
    }
    cdir = Path(cache_dir) if cache_dir is not None else landmark_cache_dir()
    key = cache_key(video_hash, info.sha256(), key_settings)
    cpath = cdir / f"{key}.npz" if use_cache else None
    if cpath is not None and cpath.is_file():
        try:
            lm = load_landmarks(cpath)
        except (OSError, ValueError, KeyError):
            cpath.unlink(missing_ok=True)  # a damaged cache entry: recompute
        else:
            _check_person(lm, meta, require_person)
            return PoseRun(lm, meta, info, cpath, True, video_hash)

    from .models import verify_bundle
    from .pose import estimate_frames

    # a clear message for a damaged file; MediaPipe loads it next
    verify_bundle(info.path, load=False)
    show = _want_progress(progress, meta.duration_s)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=meta.n_frames_reported, unit="frame", desc=f"pose {meta.path.name[:30]}",
            file=sys.stderr, leave=False,
        )

    def _tick(done: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    try:
        lm = estimate_frames(
            meta.path, model_path=info.path, model_name=info.name, settings=settings,
            meta=meta, on_frame=_tick,
        )
    finally:
        if bar is not None:
            bar.close()
    if cpath is not None:
        cdir.mkdir(parents=True, exist_ok=True)
        lm.save(cpath)
    _check_person(lm, meta, require_person)
    return PoseRun(lm, meta, info, cpath, False, video_hash)


def _check_person(lm: Landmarks, meta: VideoMeta, require: bool) -> None:
    if require and not lm.detected.any():
        raise NoPersonError(
            f"{meta.path}: no person found in any of its {lm.n_frames} frames",
            hint="film the whole runner, side-on or from behind, in good light",
        )
