"""Pose estimation with MediaPipe Pose Landmarker (the only module that imports mediapipe).

The landmarker runs in VIDEO mode, so it tracks the person between frames and runs
its person detector only when tracking is lost. Timestamps passed to MediaPipe are the
frames' presentation times in milliseconds, forced to increase strictly; frames are
C-contiguous RGB arrays (see :mod:`gaitcheck.video`).

More than one person in view
----------------------------
With ``num_poses=1`` the tracker may lock onto a bystander (a coach in front of a
treadmill). Before the main pass a few frames spread over the clip are searched for
people in IMAGE mode. When two or more people are seen, the main pass asks MediaPipe
for two poses per frame, links detections over time into tracks by proximity, and
keeps the track of the *runner*: the one present in most frames whose legs move
cyclically (see :func:`select_runner_track`). Tracking two poses makes MediaPipe run
its detector on every frame, which costs about 60 % more time, so it is only paid on
clips where a second person was seen.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .landmarks import LM, N_LANDMARKS, Landmarks
from .video import Frame, VideoMeta, iter_frames, lower_thread_priority, prefetch, probe_video

__all__ = [
    "PoseSettings",
    "PoseEstimator",
    "check_model_loads",
    "mediapipe_version",
    "count_people",
    "select_runner_track",
    "estimate_frames",
]

log = logging.getLogger(__name__)

#: Bump when a change in this module changes the landmarks it produces (cache key).
POSE_ALGORITHM_VERSION = 1


@dataclass(frozen=True)
class PoseSettings:
    """Options of the pose stage (part of the landmark cache key).

    Parameters
    ----------
    num_poses : int or None
        Poses MediaPipe tracks per frame. ``None`` (default) decides per clip: 1, or 2
        when a scan finds more than one person in view.
    min_detection_confidence : float
        MediaPipe's minimum person-detector score (0..1).
    min_presence_confidence : float
        MediaPipe's minimum pose-presence score (0..1).
    min_tracking_confidence : float
        MediaPipe's minimum tracking score before it re-runs the detector (0..1).
    scan_frames : int
        Frames sampled for the multi-person scan.
    """

    num_poses: int | None = None
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    scan_frames: int = 12

    def as_dict(self) -> dict:
        """Return the settings as a plain dict (for provenance and cache keys)."""
        return asdict(self)


def mediapipe_version() -> str:
    """Return the installed MediaPipe version."""
    from importlib.metadata import version

    return version("mediapipe")


def _options(model_path: Path, *, video: bool, num_poses: int, settings: PoseSettings):  # noqa: ANN202
    from mediapipe.tasks.python import BaseOptions, vision

    return vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=(
            vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
        ),
        num_poses=num_poses,
        min_pose_detection_confidence=settings.min_detection_confidence,
        min_pose_presence_confidence=settings.min_presence_confidence,
        min_tracking_confidence=settings.min_tracking_confidence,
        output_segmentation_masks=False,
    )


_silence_lock = threading.Lock()
_silence_depth = 0
_saved_fd: int | None = None


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide the C++/TFLite start-up chatter MediaPipe writes straight to file descriptor 2.

    Thread-safe (nested and concurrent uses share one redirection). Set
    ``GAITCHECK_NATIVE_LOGS=1`` to see the messages (e.g. when reporting a MediaPipe bug).
    """
    global _silence_depth, _saved_fd
    if os.environ.get("GAITCHECK_NATIVE_LOGS") == "1":
        yield
        return
    with _silence_lock:
        if _silence_depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):  # no usable fd 2 (some notebook kernels)
                saved = None
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            _saved_fd = saved
        _silence_depth += 1
    try:
        yield
    finally:
        with _silence_lock:
            _silence_depth -= 1
            if _silence_depth == 0 and _saved_fd is not None:
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None


def _create(model_path: Path, options) -> object:  # noqa: ANN001
    from mediapipe.tasks.python import vision

    try:
        with _native_stderr_silenced():
            return vision.PoseLandmarker.create_from_options(options)
    except Exception as exc:  # MediaPipe raises RuntimeError/ValueError with long texts
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"{model_path}: MediaPipe cannot load this model bundle ({first[:160]})",
            hint="delete it and run: gaitcheck models install",
        ) from exc


def check_model_loads(model_path: str | os.PathLike[str]) -> None:
    """Load a bundle with MediaPipe and close it again.

    Raises
    ------
    ModelError
        When MediaPipe refuses the bundle.
    """
    path = Path(model_path)
    lm = _create(path, _options(path, video=False, num_poses=1, settings=PoseSettings()))
    lm.close()


def _to_mp_image(rgb: np.ndarray):  # noqa: ANN202
    import mediapipe as mp

    if not rgb.flags.c_contiguous:  # a strided view gives silently wrong landmarks
        rgb = np.ascontiguousarray(rgb)
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


def _poses_to_arrays(result) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Convert a PoseLandmarkerResult into (k, 33, 4) image and world arrays."""
    k = len(result.pose_landmarks)
    img = np.full((k, N_LANDMARKS, 4), np.nan, dtype=np.float32)
    wld = np.full((k, N_LANDMARKS, 4), np.nan, dtype=np.float32)
    for p, pose in enumerate(result.pose_landmarks):
        img[p] = [(q.x, q.y, q.z, q.visibility if q.visibility is not None else np.nan)
                  for q in pose]
    for p, pose in enumerate(result.pose_world_landmarks[:k]):
        wld[p] = [(q.x, q.y, q.z, q.visibility if q.visibility is not None else np.nan)
                  for q in pose]
    return img, wld


class PoseEstimator:
    """A MediaPipe Pose Landmarker in VIDEO mode, used as a context manager.

    One instance per process: MediaPipe's C library is not thread-safe, and the
    landmarker keeps tracking state between frames, so frames must come in order.

    Parameters
    ----------
    model_path : path-like
        Pose landmarker ``.task`` bundle.
    num_poses : int
        Poses to track per frame.
    settings : PoseSettings
        Confidence thresholds.
    """

    def __init__(
        self, model_path: str | os.PathLike[str], *, num_poses: int = 1,
        settings: PoseSettings | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.num_poses = num_poses
        self.settings = settings or PoseSettings()
        self._lm = None
        self._last_ms = -1
        self._calls = 0

    def __enter__(self) -> PoseEstimator:
        opts = _options(self.model_path, video=True, num_poses=self.num_poses,
                        settings=self.settings)
        self._lm = _create(self.model_path, opts)
        self._last_ms = -1
        self._calls = 0
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lm is not None:
            self._lm.close()
            self._lm = None

    def detect(self, rgb, time_s: float) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        """Run the landmarker on one frame.

        Parameters
        ----------
        rgb : ndarray of shape (h, w, 3), uint8, or mediapipe.Image
            The frame (made C-contiguous if it is not), or an image already wrapped by
            :func:`_to_mp_image` (e.g. in the decoding thread).
        time_s : float
            Presentation time; converted to milliseconds and forced to increase
            strictly, as VIDEO mode requires.

        Returns
        -------
        image, world : ndarray of shape (k, 33, 4), float32
            The ``k`` poses found (``k`` may be 0).
        """
        if self._lm is None:
            raise RuntimeError("use PoseEstimator as a context manager")
        ms = max(int(round(time_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        image = _to_mp_image(rgb) if isinstance(rgb, np.ndarray) else rgb
        if self._calls < 2:  # the graph logs warnings on its first frames
            with _native_stderr_silenced():
                result = self._lm.detect_for_video(image, ms)
        else:
            result = self._lm.detect_for_video(image, ms)
        self._calls += 1
        return _poses_to_arrays(result)


def count_people(
    model_path: str | os.PathLike[str], frames: Iterable[np.ndarray], *, max_people: int = 3,
    settings: PoseSettings | None = None,
) -> list[int]:
    """Count the people MediaPipe finds in each of a few still frames (IMAGE mode).

    Parameters
    ----------
    model_path : path-like
        Pose landmarker bundle.
    frames : iterable of ndarray
        RGB frames.
    max_people : int, optional
        Most people looked for per frame.
    settings : PoseSettings, optional
        Confidence thresholds.

    Returns
    -------
    list of int
        Number of poses found in each frame.
    """
    settings = settings or PoseSettings()
    path = Path(model_path)
    lm = _create(path, _options(path, video=False, num_poses=max_people, settings=settings))
    try:
        with _native_stderr_silenced():
            return [len(lm.detect(_to_mp_image(f)).pose_landmarks) for f in frames]
    finally:
        lm.close()


# --------------------------------------------------------------------------------------
# following one person among several


_LEG_POINTS = np.array([LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE, LM.RIGHT_KNEE,
                        LM.LEFT_ANKLE, LM.RIGHT_ANKLE])


def _centre_and_size(poses: np.ndarray, aspect: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre (mean of hips and shoulders) and body height of poses, in width units."""
    pts = poses[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP], :2]
    centre = pts.mean(axis=1) * np.array([1.0, aspect])
    ys = poses[:, :, 1] * aspect
    size = np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1)
    return centre, np.maximum(size, 1e-3)


def _link_tracks(
    cand: list[np.ndarray], *, aspect: float, max_jump: float = 0.5, max_gap: int = 15
) -> np.ndarray:
    """Link per-frame detections into tracks by proximity.

    Parameters
    ----------
    cand : list of ndarray of shape (k_i, 33, 4)
        Detections per frame.
    aspect : float
        Image height / width (so distances are isotropic).
    max_jump : float
        Largest centre displacement between linked detections, in body heights.
    max_gap : int
        Frames a track may go unseen and still be continued.

    Returns
    -------
    ndarray of shape (n_frames, k_max), int
        Track id of each detection (-1 where there is none).
    """
    n = len(cand)
    k_max = max((c.shape[0] for c in cand), default=0)
    ids = np.full((n, max(k_max, 1)), -1, dtype=int)
    last_pos: list[np.ndarray] = []
    last_size: list[float] = []
    last_seen: list[int] = []
    for i, c in enumerate(cand):  # sequential by nature: each link depends on the last
        if c.shape[0] == 0:
            continue
        centre, size = _centre_and_size(c, aspect)
        live = [t for t in range(len(last_pos)) if i - last_seen[t] <= max_gap]
        pairs = sorted(
            (float(np.linalg.norm(centre[d] - last_pos[t])) / max(last_size[t], size[d]), d, t)
            for d in range(c.shape[0]) for t in live
        )
        used_d: set[int] = set()
        used_t: set[int] = set()
        for dist, d, t in pairs:
            if dist > max_jump or d in used_d or t in used_t:
                continue
            ids[i, d] = t
            used_d.add(d)
            used_t.add(t)
        for d in range(c.shape[0]):
            if ids[i, d] < 0:
                ids[i, d] = len(last_pos)
                last_pos.append(centre[d])
                last_size.append(float(size[d]))
                last_seen.append(i)
            t = ids[i, d]
            last_pos[t] = centre[d]
            last_size[t] = float(size[d])
            last_seen[t] = i
    return ids


def _cyclicity(track: np.ndarray, fps: float) -> float:
    """Share of the variance of the ankle separation in the 1-4.5 Hz step band (0..1).

    A runner's ankles swap places at the step frequency (2.3-3.2 Hz); a standing
    person's barely move.
    """
    sep = track[:, LM.LEFT_ANKLE, 0] - track[:, LM.RIGHT_ANKLE, 0]
    ok = np.isfinite(sep)
    if ok.sum() < max(16, int(fps)):
        return 0.0
    x = np.interp(np.arange(sep.size), np.flatnonzero(ok), sep[ok])
    x = x - x.mean()
    power = np.abs(np.fft.rfft(x)) ** 2
    freq = np.fft.rfftfreq(x.size, d=1.0 / fps)
    total = power[1:].sum()
    if total <= 0:
        return 0.0
    band = (freq >= 1.0) & (freq <= 4.5)
    amplitude = float(np.nanstd(sep[ok]))
    # a still person has tiny separations; weight by amplitude relative to leg length
    leg = np.nanmedian(np.abs(track[:, LM.LEFT_HIP, 1] - track[:, LM.LEFT_ANKLE, 1]))
    scale = min(1.0, amplitude / (0.25 * leg)) if leg and np.isfinite(leg) else 0.0
    return float(power[band].sum() / total) * scale


def select_runner_track(
    cand_img: list[np.ndarray], *, fps: float, aspect: float
) -> tuple[np.ndarray, dict]:
    """Pick, among several people, the detections of the runner in each frame.

    Detections are linked into tracks (:func:`_link_tracks`); each track is scored by
    the share of frames it is present in times how cyclic its leg motion is
    (:func:`_cyclicity`). The best track is kept; tracks that never overlap it in time
    and start near where it ended (or end near where it starts) are joined to it, so a
    runner briefly lost by the detector is not dropped.

    Parameters
    ----------
    cand_img : list of ndarray of shape (k_i, 33, 4)
        Image landmarks of every pose found in each frame.
    fps : float
        Frame rate.
    aspect : float
        Image height / width.

    Returns
    -------
    choice : ndarray of shape (n_frames,), int
        Index of the runner's detection in each frame, -1 where the runner is not seen.
    info : dict
        ``n_tracks``, ``runner_track``, per-track ``scores``.
    """
    n = len(cand_img)
    ids = _link_tracks(cand_img, aspect=aspect)
    n_tracks = int(ids.max()) + 1 if ids.size else 0
    choice = np.full(n, -1, dtype=int)
    if n_tracks == 0:
        return choice, {"n_tracks": 0, "runner_track": None, "scores": []}
    tracks = np.full((n_tracks, n, N_LANDMARKS, 4), np.nan, dtype=np.float32)
    for i, c in enumerate(cand_img):
        for d in range(c.shape[0]):
            tracks[ids[i, d], i] = c[d]
    present = ~np.isnan(tracks[:, :, 0, 0])
    scores = [float(present[t].mean() * (0.2 + _cyclicity(tracks[t], fps)))
              for t in range(n_tracks)]
    best = int(np.argmax(scores))
    members = {best}
    # join non-overlapping fragments that continue the runner's path
    for _ in range(n_tracks):
        span = np.flatnonzero(present[list(members)].any(axis=0))
        joined = False
        for t in range(n_tracks):
            if t in members:
                continue
            f = np.flatnonzero(present[t])
            if (present[t] & present[list(members)].any(axis=0)).any() or f.size == 0:
                continue
            if f[0] > span[-1]:
                a_idx, b_idx = span[-1], f[0]
            elif f[-1] < span[0]:
                a_idx, b_idx = span[0], f[-1]
            else:
                continue
            owner = next(m for m in members if present[m, a_idx])
            ca, sa = _centre_and_size(tracks[owner, a_idx][None], aspect)
            cb, sb = _centre_and_size(tracks[t, b_idx][None], aspect)
            gap_s = abs(int(b_idx) - int(a_idx)) / fps
            if np.linalg.norm(ca[0] - cb[0]) / max(sa[0], sb[0]) < 0.5 + 1.0 * gap_s:
                members.add(t)
                joined = True
        if not joined:
            break
    for i in range(n):
        for d in range(cand_img[i].shape[0]):
            if ids[i, d] in members:
                choice[i] = d
    return choice, {
        "n_tracks": n_tracks,
        "runner_track": best,
        "runner_fragments": sorted(int(m) for m in members),
        "scores": [round(s, 4) for s in scores],
    }


# --------------------------------------------------------------------------------------
# the pose pass


def _scan_for_people(
    video: Path, meta: VideoMeta, model_path: Path, settings: PoseSettings
) -> list[int]:
    """Count people in a few frames spread over the clip (seek-based, IMAGE mode)."""
    from .video import sample_frames

    dur = meta.duration_s or (meta.n_frames_reported or 0) / meta.fps or 1.0
    k = max(1, settings.scan_frames)
    times = [dur * (i + 0.5) / k for i in range(k)]
    frames = sample_frames(video, times, rotation_deg=meta.rotation_deg)
    return count_people(model_path, frames, settings=settings) if frames else []


def _is_multi(counts: list[int]) -> bool:
    """Decide from the scan whether a second person is in view often enough to matter."""
    return bool(counts) and sum(c >= 2 for c in counts) >= max(1, len(counts) // 4)


class _Restart(Exception):
    """The scan found a second person while the single-pose pass was running."""


def _pose_pass(
    video: Path, meta: VideoMeta, model_path: Path, settings: PoseSettings, num_poses: int,
    *, on_frame: Callable[[int], None] | None, abort: Callable[[], bool] | None = None,
) -> tuple[list[float], list[np.ndarray], list[np.ndarray]]:
    times: list[float] = []
    cand_img: list[np.ndarray] = []
    cand_wld: list[np.ndarray] = []
    with PoseEstimator(model_path, num_poses=num_poses, settings=settings) as est:
        frame: Frame
        # wrapping frames for MediaPipe happens in the decoding thread too
        frames = ((f, _to_mp_image(f.rgb))
                  for f in iter_frames(video, rotation_deg=meta.rotation_deg))
        for frame, image in prefetch(frames):
            img, wld = est.detect(image, frame.time_s)
            times.append(frame.time_s)
            cand_img.append(img)
            cand_wld.append(wld)
            if on_frame is not None:
                on_frame(frame.index + 1)
            if abort is not None and abort():
                raise _Restart
    return times, cand_img, cand_wld


def estimate_frames(
    video: str | os.PathLike[str],
    *,
    model_path: str | os.PathLike[str],
    model_name: str,
    settings: PoseSettings | None = None,
    meta: VideoMeta | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> Landmarks:
    """Run pose estimation over every frame of a video.

    Decoding runs in a background thread so that it overlaps with inference. When
    ``settings.num_poses`` is None, a scan for a second person (a few seek-sampled frames
    in IMAGE mode) runs in another thread while the single-pose pass starts; if it finds
    one, the pass restarts with two poses per frame and the runner is selected with
    :func:`select_runner_track`.

    Parameters
    ----------
    video : path-like
        The video file.
    model_path : path-like
        Pose landmarker bundle.
    model_name : str
        Name recorded in the result (``full``, a file stem...).
    settings : PoseSettings, optional
        Pose options.
    meta : VideoMeta, optional
        Result of :func:`gaitcheck.video.probe_video`, if already known.
    on_frame : callable, optional
        Called with the number of frames processed so far (for progress bars).

    Returns
    -------
    Landmarks
        One row per decoded frame; an all-NaN row where the runner was not found.
    """
    settings = settings or PoseSettings()
    video = Path(video)
    model_path = Path(model_path)
    meta = meta or probe_video(video)
    aspect = meta.height / meta.width
    num_poses = settings.num_poses
    people_seen: list[int] = []
    if num_poses is not None:
        times, cand_img, cand_wld = _pose_pass(
            video, meta, model_path, settings, num_poses, on_frame=on_frame)
    else:
        scan: dict = {}

        def run_scan() -> None:
            lower_thread_priority()
            try:
                scan["counts"] = _scan_for_people(video, meta, model_path, settings)
            except BaseException as exc:  # noqa: BLE001 - reported in the main thread
                scan["error"] = exc

        scanner = threading.Thread(target=run_scan, name="gaitcheck-scan", daemon=True)
        scanner.start()
        try:
            times, cand_img, cand_wld = _pose_pass(
                video, meta, model_path, settings, 1, on_frame=on_frame,
                abort=lambda: _is_multi(scan.get("counts", [])),
            )
            num_poses = 1
        except _Restart:
            num_poses = 2
        scanner.join()
        if "error" in scan:
            raise scan["error"]
        people_seen = scan["counts"]
        if num_poses == 1 and _is_multi(people_seen):
            num_poses = 2
        if num_poses == 2:
            times, cand_img, cand_wld = _pose_pass(
                video, meta, model_path, settings, 2, on_frame=on_frame)
    n = len(times)
    xyzv = np.full((n, N_LANDMARKS, 4), np.nan, dtype=np.float32)
    world = np.full((n, N_LANDMARKS, 4), np.nan, dtype=np.float32)
    track_info: dict = {}
    if num_poses == 1:
        has = np.array([c.shape[0] > 0 for c in cand_img], dtype=bool)
        if has.any():
            xyzv[has] = np.stack([c[0] for c, h in zip(cand_img, has, strict=True) if h])
            world[has] = np.stack([c[0] for c, h in zip(cand_wld, has, strict=True) if h])
    else:
        choice, track_info = select_runner_track(cand_img, fps=meta.fps, aspect=aspect)
        sel = np.flatnonzero(choice >= 0)
        if sel.size:
            xyzv[sel] = np.stack([cand_img[i][choice[i]] for i in sel])
            world[sel] = np.stack([cand_wld[i][choice[i]] for i in sel])
    info = {
        "settings": settings.as_dict(),
        "num_poses_used": num_poses,
        "people_seen_in_scan": people_seen,
        "max_people_per_frame": int(max((c.shape[0] for c in cand_img), default=0)),
        "tracking": track_info,
        "video": {
            "codec": meta.codec,
            "rotation_deg": meta.rotation_deg,
            "n_frames_reported": meta.n_frames_reported,
            "n_frames_decoded": n,
        },
        "pose_algorithm_version": POSE_ALGORITHM_VERSION,
        "mediapipe_version": mediapipe_version(),
    }
    return Landmarks(
        xyzv=xyzv,
        world=world,
        fps=meta.fps,
        time_s=np.asarray(times, dtype=np.float64),
        image_size=(meta.width, meta.height),
        model=model_name,
        source=meta.path.name,
        info=info,
    )
