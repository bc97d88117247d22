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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import GaitcheckError, NoPersonError
from .io_utils import file_sha256
from .landmarks import Landmarks, load_landmarks
from .models import DEFAULT_MODEL, ModelInfo, resolve_model
from .video import VideoMeta, probe_video

__all__ = [
    "PoseRun",
    "AnalysisConfig",
    "AnalysisResult",
    "estimate_landmarks",
    "analyze_landmarks",
    "analyze_video",
    "retime_landmarks",
    "load_result",
    "landmark_cache_dir",
    "cache_key",
]

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
            # the cache is keyed by content: name the file analysed now, not the first one
            lm = replace(lm, source=Path(video).name)
            return PoseRun(lm, meta, info, cpath, True, video_hash)

    from .models import verify_bundle
    from .pose import estimate_frames

    # a clear message for a damaged file; MediaPipe loads it next
    verify_bundle(info.path, load=False, check_crc=False)
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


# --------------------------------------------------------------------------------------
# analysis: kinematics and events


class NotAnalysableError(GaitcheckError):
    """The clip went through pose estimation but cannot be analysed as running."""


#: Below this cadence a clip is not treated as running (walking, or slow motion).
MIN_RUNNING_CADENCE_SPM = 130.0
#: Below this leg-cycle rate (found before event detection) the clip is taken for slow
#: motion: phones' 120 and 240 fps slow motion played at 30 fps puts a 170 steps/min runner
#: at about 42 and 21. A 2x slow motion (about 85) is caught by the cadence check instead.
MIN_PLAUSIBLE_STEP_RATE_SPM = 60.0
#: Fewest valid strides (both feet together) for an analysis.
MIN_VALID_STRIDES = 4
#: Least share of strides with strict left/right alternation.
MIN_ALTERNATION_SHARE = 0.9
#: Least share of strides that pass the stride checks.
MIN_VALID_SHARE = 0.6
#: Least share of frames with a pose.
MIN_POSE_SHARE = 0.3


@dataclass(frozen=True)
class AnalysisConfig:
    """Options of the analysis after pose estimation.

    Parameters
    ----------
    cutoff_hz : float
        Low-pass cutoff of the landmark filter, Hz (see
        :func:`gaitcheck.kinematics.compute_kinematics`).
    min_visibility : float
        Landmarks below this visibility are dropped.
    height_cm : float or None
        Runner's height; lengths are then also given in metres.
    capture_fps : float or None
        True capture rate of a slow-motion clip whose file plays slower (e.g. 240 for a
        clip filmed at 240 fps and stored at 30 fps). All times are rescaled.
    events : gaitcheck.events.EventSettings or None
        Event-detector options (defaults when None).
    require_running : bool
        When False, markers, findings and drills are computed even for a clip that fails
        the checks of :func:`assess_clip` (as long as it has a valid stride); the result
        still says ``analysable=False`` and why.
    bands_path : str or None
        A TOML file whose bands override the built-in ones field by field
        (see ``gaitcheck/bands.toml``).
    """

    cutoff_hz: float = 10.0
    min_visibility: float = 0.3
    height_cm: float | None = None
    capture_fps: float | None = None
    events: Any = None
    require_running: bool = True
    bands_path: str | None = None


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything the later stages (markers, reports) need about one clip.

    Parameters
    ----------
    landmarks : Landmarks
        Pose landmarks (re-timed when ``capture_fps`` was given).
    kinematics : gaitcheck.kinematics.Kinematics
        Cleaned trajectories and angles.
    events : gaitcheck.events.GaitEvents
        Contacts, events and strides.
    analysable : bool
        False when the clip fails a check of :func:`assess_clip`; ``reason`` says why.
    reason : str or None
        Why the clip is not analysable.
    config : AnalysisConfig
        The options used.
    pose : PoseRun or None
        How the landmarks were obtained (None when analysing given landmarks).
    provenance : dict
        Versions and inputs.
    markers : pandas.DataFrame
        Per-stride markers of the valid strides (:func:`gaitcheck.markers.compute_markers`).
    marker_summary : pandas.DataFrame
        Per-side summary (:func:`gaitcheck.markers.summarize_markers`).
    findings : tuple of Finding
        Markers judged against their bands.
    recommendations : tuple of Recommendation
        The drill plan.
    """

    landmarks: Landmarks
    kinematics: Any
    events: Any
    analysable: bool
    reason: str | None
    config: AnalysisConfig
    pose: PoseRun | None = None
    provenance: dict = field(default_factory=dict)
    markers: Any = None
    marker_summary: Any = None
    findings: tuple = ()
    recommendations: tuple = ()

    def summary(self) -> dict:
        """Return the headline figures as a JSON-serialisable dict."""
        kin, ev, lm = self.kinematics, self.events, self.landmarks
        st = ev.strides
        return {
            "source": lm.source,
            "fps": lm.fps,
            "file_fps": lm.info.get("file_fps", lm.fps),
            "n_frames": lm.n_frames,
            "pose_share": lm.detected_share,
            "model": lm.model,
            "view": kin.view,
            "view_confidence": kin.view_confidence,
            "direction": kin.direction,
            "near_side": kin.info.get("near_side"),
            "leg_length_px": kin.leg_length_px,
            "swap_frames_corrected": kin.info.get("swap_frames_corrected"),
            "contacts": ev.info.get("contacts"),
            "contacts_relabelled": ev.info.get("contacts_relabelled"),
            "strides": int(len(st)),
            "valid_strides": int(st["valid"].sum()) if len(st) else 0,
            "valid_strides_per_side": {
                side: int(st.loc[st["side"] == side, "valid"].sum()) for side in ("l", "r")
            },
            "alternation_share": alternation_share(st),
            "cadence_spm": ev.cadence_spm,
            "analysable": self.analysable,
            "reason": self.reason,
        }


def alternation_share(strides) -> float:  # noqa: ANN001 - DataFrame
    """Return the share of strides whose contacts strictly alternate left/right."""
    if not len(strides):
        return float("nan")
    broken = strides["invalid_reason"].astype(str).eq("broken alternation")
    return float(1.0 - broken.mean())


def retime_landmarks(lm: Landmarks, capture_fps: float) -> Landmarks:
    """Give a slow-motion clip its true time base.

    Parameters
    ----------
    lm : Landmarks
        Landmarks timed by the file's frame rate.
    capture_fps : float
        The rate the clip was filmed at.

    Returns
    -------
    Landmarks
        Same frames, ``fps = capture_fps`` and times scaled by ``file_fps / capture_fps``.
    """
    if not capture_fps > 0:
        raise GaitcheckError(f"--capture-fps {capture_fps} must be positive")
    factor = lm.fps / capture_fps
    info = {**lm.info, "file_fps": lm.fps, "capture_fps": capture_fps}
    return replace(lm, fps=float(capture_fps), time_s=lm.time_s * factor, info=info)


def assess_clip(lm: Landmarks, kin, ev) -> str | None:  # noqa: ANN001
    """Say why a clip cannot be analysed as running, or return None when it can.

    Checks, in order: enough frames with a pose; enough valid strides; a running
    cadence (a slow-motion clip stored at a normal rate, or walking, fails here);
    strict left/right alternation of the contacts.
    """
    if lm.detected_share < MIN_POSE_SHARE:
        return (f"a runner was found in only {100 * lm.detected_share:.0f} % of the frames: "
                "film the whole body in view for at least 10 s")
    from .events import step_rate_spm

    rate = step_rate_spm(kin)
    if np.isfinite(rate) and rate < MIN_PLAUSIBLE_STEP_RATE_SPM:
        return (f"the legs cycle at {rate:.0f} steps/min at the file's {lm.fps:.4g} fps, far too "
                "slow for running or walking: a slow-motion clip? pass the rate it was filmed "
                f"at, e.g. --capture-fps {_guess_capture_fps(rate, lm.fps)}")
    st = ev.strides
    n_valid = int(st["valid"].sum()) if len(st) else 0
    cad = ev.cadence_spm
    if np.isfinite(cad) and cad < MIN_RUNNING_CADENCE_SPM:
        return (f"the feet land {cad:.0f} times a minute at the file's {lm.fps:.3g} fps, too "
                "slow for running: a slow-motion clip? pass its capture rate, e.g. "
                "--capture-fps 240 (or this is walking, which gaitcheck does not analyse)")
    if n_valid < MIN_VALID_STRIDES:
        if kin.view in ("rear", "front") and "frontal" in ev.info:
            return _frontal_too_few_strides(lm, kin, ev, n_valid)
        return (f"too few strides: {n_valid} valid stride(s) found (at least "
                f"{MIN_VALID_STRIDES} needed, 6 per side recommended): film at least 10 s of "
                "steady running, side-on")
    if not np.isfinite(cad):
        return ("no steady run of alternating steps was found: the feet are not tracked "
                "reliably (camera angle, occlusion, too short a clip)")
    if np.isfinite(rate) and abs(cad - rate) > 0.1 * rate:
        return (f"the foot contacts ({cad:.0f} steps/min) disagree with the legs' rhythm "
                f"({rate:.0f} steps/min): the feet are not tracked reliably (camera angle, "
                "occlusion)")
    if n_valid < MIN_VALID_SHARE * len(st):
        return (f"only {n_valid} of {len(st)} strides passed the checks: the feet are not "
                "tracked reliably (camera angle, occlusion)")
    alt = alternation_share(st)
    if alt < MIN_ALTERNATION_SHARE:
        return (f"left and right foot contacts alternate in only {100 * alt:.0f} % of the "
                "strides: the legs are not tracked reliably (occlusion, camera angle)")
    return None


#: A rear/front clip whose image scale changes more than this (leg length in pixels, start
#: to end of its usable part) is said to have the runner moving along the camera axis.
FRONTAL_SCALE_CHANGE = 1.3


def _frontal_too_few_strides(lm: Landmarks, kin, ev, n_valid: int) -> str:  # noqa: ANN001
    """Say why a rear/front clip has too few strides: what is wrong and what to film.

    Uses what the frontal event detector measured (``ev.info['frontal']``): how long the
    whole leg is tracked, how the image scale changes (the runner moving away from or
    towards the camera), and how many foot contacts were found.
    """
    fr = ev.info["frontal"]
    duration = lm.n_frames / lm.fps if lm.fps > 0 else float("nan")
    segs = fr.get("usable_segments") or []
    n_contacts = int(ev.info.get("contacts") or 0)
    what = []
    longest = 0.0
    if not segs:
        what.append("the whole leg (hips to toes) is not tracked in any stretch of frames")
    else:
        a, b = max(segs, key=lambda ab: ab[1] - ab[0])
        longest = (b - a) / lm.fps
        if longest < 0.9 * duration:
            what.append(f"the whole leg (hips to toes) is tracked for only {longest:.1f} s of "
                        f"the {duration:.1f} s clip (frames {a}-{b - 1}; in the other frames "
                        "the runner is partly out of frame or not found)")
        scale = fr.get("leg_px_start_end") or []
        if len(scale) == 2 and min(scale) > 0:
            s0, s1 = scale
            if max(s0, s1) / min(s0, s1) > FRONTAL_SCALE_CHANGE:
                where, size = ("away from", "shrink") if s1 < s0 else ("towards", "grow")
                what.append(f"the runner moves {where} the camera (leg length {s0:.0f} -> "
                            f"{s1:.0f} px), so the feet {size} in the image")
    contacts = f"{n_contacts} foot contact(s) could be timed"
    if longest >= 8.0:  # long enough: the feet themselves are not tracked
        contacts += (f" in {longest:.0f} s: the swinging foot is not seen rising above the "
                     "standing one (camera too high or too far, feet hidden or blurred)")
    what.append(contacts)
    side = "behind" if kin.view == "rear" else "the front"
    return (f"too few strides: {n_valid} valid stride(s) found (at least {MIN_VALID_STRIDES} "
            f"needed, 6 per side recommended). {kin.view.capitalize()} view: "
            + "; ".join(what)
            + f". Film at least 10 s of steady running from {side}, the whole body in view "
            "at a constant distance (a treadmill is ideal), camera still at hip height, "
            "60 fps if possible")


def _guess_capture_fps(rate_spm: float, fps: float) -> int:
    """Suggest the common capture rate that brings the step rate nearest 170 steps/min."""
    rates = (60, 120, 240, 480, 960)
    return min(rates, key=lambda r: abs(np.log(rate_spm * r / fps / 170.0)))


def analyze_landmarks(
    landmarks: Landmarks, *, config: AnalysisConfig | None = None, pose: PoseRun | None = None
) -> AnalysisResult:
    """Run kinematics and gait-event detection on landmarks.

    Parameters
    ----------
    landmarks : Landmarks
        Pose-stage output (or landmarks from another source, e.g. mocap).
    config : AnalysisConfig, optional
        Options.
    pose : PoseRun, optional
        The pose run the landmarks came from (kept for provenance).

    Returns
    -------
    AnalysisResult
        With ``analysable`` False and a ``reason`` when the clip fails a check.
    """
    from .events import detect_events
    from .kinematics import compute_kinematics

    cfg = config or AnalysisConfig()
    lm = landmarks
    if cfg.capture_fps is not None:
        lm = retime_landmarks(lm, cfg.capture_fps)
    kin = compute_kinematics(lm, cutoff_hz=cfg.cutoff_hz, min_visibility=cfg.min_visibility,
                             height_cm=cfg.height_cm)
    ev = detect_events(kin, settings=cfg.events)
    reason = assess_clip(lm, kin, ev)
    prov = _provenance(lm, cfg, pose)
    per_stride = summary = None
    findings: tuple = ()
    recs: tuple = ()
    if reason is None or (not cfg.require_running and int(ev.strides["valid"].sum()
                                                           if len(ev.strides) else 0) > 0):
        from .findings import assess, load_bands
        from .markers import compute_markers, summarize_markers

        per_stride = compute_markers(kin, ev)
        summary = summarize_markers(per_stride, kin)
        findings = tuple(assess(summary, bands=load_bands(cfg.bands_path)))
        recs = _recommend(findings)
    return AnalysisResult(landmarks=lm, kinematics=kin, events=ev, analysable=reason is None,
                          reason=reason, config=cfg, pose=pose, provenance=prov,
                          markers=per_stride, marker_summary=summary, findings=findings,
                          recommendations=recs)


def _recommend(findings: tuple) -> tuple:
    try:
        from .drills import recommend
    except ImportError:  # pragma: no cover - the drill stage is optional while it is built
        return ()
    return tuple(recommend(list(findings)))


def analyze_video(
    video: str | os.PathLike[str],
    *,
    config: AnalysisConfig | None = None,
    model: str | os.PathLike[str] = DEFAULT_MODEL,
    pose_settings=None,  # noqa: ANN001
    use_cache: bool = True,
    progress: bool | None = None,
) -> AnalysisResult:
    """Analyse a running video: pose, kinematics, gait events.

    Parameters
    ----------
    video : path-like
        The clip.
    config : AnalysisConfig, optional
        Analysis options.
    model : str or path-like, optional
        Pose model name or bundle path.
    pose_settings : gaitcheck.pose.PoseSettings, optional
        Pose options.
    use_cache : bool, optional
        Use the landmark cache.
    progress : bool or None, optional
        Progress bar (default: when stderr is a terminal).

    Returns
    -------
    AnalysisResult
    """
    run = estimate_landmarks(video, model=model, settings=pose_settings, use_cache=use_cache,
                             progress=progress)
    return analyze_landmarks(run.landmarks, config=config, pose=run)


def _provenance(lm: Landmarks, cfg: AnalysisConfig, pose: PoseRun | None) -> dict:
    import platform
    from dataclasses import asdict
    from datetime import datetime, timezone
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    cfg_d = asdict(cfg)
    return {
        "video": str(pose.video.path.resolve()) if pose else None,
        "gaitcheck": ver("gaitcheck"),
        "mediapipe": ver("mediapipe"),
        "numpy": ver("numpy"),
        "scipy": ver("scipy"),
        "python": platform.python_version(),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": lm.source,
        "model": lm.model,
        "model_path": str(pose.model.path) if pose else None,
        "video_sha256": pose.video_sha256 if pose else None,
        "config": cfg_d,
        "pose_info": lm.info,
    }


def load_result(out_dir: str | os.PathLike[str]) -> AnalysisResult:
    """Rebuild the analysis of a results folder written by ``gaitcheck analyze``.

    Pose estimation is not re-run: the saved landmarks (``landmarks.npz``) go through the
    same deterministic kinematics, events, markers, findings and drills with the config
    recorded in ``provenance.json`` (well under a second).

    Parameters
    ----------
    out_dir : path-like
        A folder holding ``landmarks.npz`` and ``provenance.json``.

    Returns
    -------
    AnalysisResult
        With ``provenance['video']`` pointing at the analysed clip (for overlays).

    Raises
    ------
    GaitcheckError
        When the folder is not a gaitcheck results folder.
    """
    import json

    from .events import EventSettings

    out = Path(out_dir)
    lm_path, prov_path = out / "landmarks.npz", out / "provenance.json"
    if not lm_path.is_file() or not prov_path.is_file():
        raise GaitcheckError(f"{out}: not a gaitcheck results folder (no landmarks.npz or "
                             "provenance.json)", hint="run: gaitcheck analyze VIDEO -o FOLDER")
    try:
        prov = json.loads(prov_path.read_text())
        lm = load_landmarks(lm_path)
    except (OSError, ValueError, KeyError) as exc:
        raise GaitcheckError(f"{out}: damaged results ({exc})",
                             hint="re-run gaitcheck analyze") from exc
    cfg_d = dict(prov.get("config") or {})
    ev = cfg_d.pop("events", None)
    known = {f for f in AnalysisConfig.__dataclass_fields__}
    cfg = AnalysisConfig(**{k: v for k, v in cfg_d.items() if k in known},
                         events=EventSettings(**ev) if isinstance(ev, dict) else None)
    cfg = replace(cfg, capture_fps=None)  # the saved landmarks are already re-timed
    res = analyze_landmarks(lm, config=cfg)
    prov2 = {**res.provenance, **{k: prov[k] for k in ("video", "video_sha256", "model_path",
                                                        "created_utc") if k in prov}}
    return replace(res, provenance=prov2, config=replace(cfg, capture_fps=cfg_d.get(
        "capture_fps")))
