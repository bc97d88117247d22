"""Overlay video: the analysis drawn over the runner's clip, as an MP4 that plays in browsers.

:func:`render_overlay` reads a saved :class:`~gaitcheck.pipeline.AnalysisResult` (from
:func:`~gaitcheck.pipeline.load_result` or :func:`~gaitcheck.pipeline.analyze_video`) and
the clip it was made from, and writes an H.264 (``yuv420p``) MP4 with the input's frame
count and exact frame rate. Nothing is re-analysed: every number drawn comes from the
result, and the drawing is a separate pass.

What is drawn on each frame
---------------------------
* The skeleton from the cleaned landmarks (``Kinematics.points_px``, i.e. after the
  left/right swap correction), the runner's left and right side in the colours of
  :data:`gaitcheck.report.SIDE_COLOURS`; in a side view the far leg is drawn thinner.
* IC / MS / TO flags on the foot that made the event (from ``events.contacts``), held
  for ``hold_s`` or until that foot's next event.
* Each marker of a valid stride, at the frame it is measured and frozen there for
  ``hold_s`` or until the foot's next marker: hip-to-heel distance at IC and pelvis
  against the stance foot at midstance (a plumb line from the mid-hip), the thigh angle at
  its peak extension around toe-off (side view); the body midline and the foot placement
  at IC, the pelvis line and the pelvic drop at its peak (rear/front view; these two are
  held independently, so a drop peaking at the contact does not hide its crossover). The
  value printed is the one in ``result.markers``.
* A panel with the time, a stride counter per side and live angles (knee, hip
  extension, shank, trunk lean; pelvic obliquity and hip adduction in a rear/front view),
  and a small legend.

Placement and sizes
-------------------
Sizes scale with ``min(width, height)``. The two text panels are stacked on the side of
the frame away from the runner: for each candidate layout the overlap with the runner's
leg box (and, less heavily, body box) is computed for every frame from the landmarks,
and the layout sequence that minimises overlap plus a penalty per move is chosen
(dynamic programming), so the panels stay put unless the runner would run under them.
Flags and marker values are placed per frame outside the leg box (below the feet, else
beside the legs), with a leader line to what they label.

Performance
-----------
Decoding runs in a background thread (:func:`gaitcheck.video.prefetch`); everything
per frame is precomputed as arrays, so the frame loop only draws; the RGB to YUV 4:2:0
conversion is done by OpenCV and the encoder is libx264 (``ultrafast`` by default, see
``scripts/bench_overlay.py``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .errors import GaitcheckError, VideoError
from .io_utils import atomic_path
from .landmarks import LM
from .markers import hip_extension_window_end
from .report import SIDE_COLOURS
from .video import H264Writer, iter_frames, prefetch

__all__ = ["OverlayOptions", "render_overlay", "video_rate"]

FONT = cv2.FONT_HERSHEY_SIMPLEX
AA = cv2.LINE_AA
#: Fractional bits of the pixel coordinates handed to OpenCV (sub-pixel drawing).
SHIFT = 4
_ONE = 1 << SHIFT

_SIDES = ("l", "r")
_MID_SHOULDER, _MID_HIP = 33, 34  # extra points appended to the 33 landmarks


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


#: Side colours as RGB (frames are drawn in RGB, then converted to YUV).
SIDE_RGB: dict[str, tuple[int, int, int]] = {s: _hex_rgb(c) for s, c in SIDE_COLOURS.items()}
_WHITE = (245, 245, 245)
_DARK = (16, 16, 16)
_ACCENT = (255, 205, 0)  # measurement segments
_MUTED = (160, 160, 160)
_LEADER = (215, 215, 215)

#: OpenCV 5 draws UTF-8 text (a degree sign); 4.x's Hershey fonts only ASCII.
_DEG = "\u00b0" if int(cv2.__version__.split(".")[0]) >= 5 else " deg"


@dataclass(frozen=True)
class _Label:
    lines: tuple[str, ...]
    fill: tuple[int, int, int]
    fg: tuple[int, int, int]
    border: tuple[int, int, int]
    anchor: tuple[float, float]
    key: tuple | None = None  # frozen markers keep their place while they are shown

_SIDE_LM = {
    side: {
        key: int(LM[f"{prefix}_{name}"])
        for key, name in (("sh", "SHOULDER"), ("el", "ELBOW"), ("wr", "WRIST"), ("hip", "HIP"),
                          ("knee", "KNEE"), ("ank", "ANKLE"), ("heel", "HEEL"),
                          ("toe", "FOOT_INDEX"))
    }
    for side, prefix in (("l", "LEFT"), ("r", "RIGHT"))
}
_LEG_KEYS = ("hip", "knee", "ank", "heel", "toe")
_LEG_LM = np.array([_SIDE_LM[s][k] for s in _SIDES for k in _LEG_KEYS])
_BODY_LM = np.array([int(LM.NOSE), int(LM.LEFT_EAR), int(LM.RIGHT_EAR),
                     *range(11, 17), *range(23, 33)])


@dataclass(frozen=True)
class OverlayOptions:
    """Options of :func:`render_overlay`.

    Parameters
    ----------
    preset : str
        libx264 preset. ``ultrafast`` (default) renders a 720p clip at about 150
        frames/s on two cores (about 5 Mbit/s); ``veryfast`` gives files about 2.4x
        smaller at half the speed (``scripts/bench_overlay.py``).
    crf : int
        libx264 constant rate factor (lower = better quality, larger file).
    hold_s : float
        How long (seconds of the file's playback) an event flag or a marker stays on
        screen, unless the same foot's next event replaces it earlier.
    slowmo_seconds : float
        Target playback duration of the slow-motion stride; the slow-down factor is
        rounded to an integer (each frame repeated).
    max_slowmo_factor : int
        Largest slow-down factor.
    text_scale : float
        Multiplies the automatic text size.
    """

    preset: str = "ultrafast"
    crf: int = 23
    hold_s: float = 0.3
    slowmo_seconds: float = 3.0
    max_slowmo_factor: int = 8
    text_scale: float = 1.0


# --------------------------------------------------------------------------------------
# public API


def video_rate(path: str | os.PathLike[str]) -> Fraction:
    """Return a video's exact average frame rate as a fraction (e.g. 30000/1001).

    Parameters
    ----------
    path : path-like
        Video file.

    Returns
    -------
    fractions.Fraction
        The stream's average rate, else its guessed rate.

    Raises
    ------
    VideoError
        When the file cannot be opened or has no frame rate.
    """
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise VideoError(f"{path}: not a readable video ({exc})") from exc
    try:
        if not container.streams.video:
            raise VideoError(f"{path}: has no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    finally:
        container.close()
    if not rate or rate <= 0:
        raise VideoError(f"{path}: the video stream has no frame rate")
    return Fraction(rate.numerator, rate.denominator)


def render_overlay(
    result: Any,
    out_path: str | os.PathLike[str],
    *,
    video: str | os.PathLike[str] | None = None,
    slowmo: bool = False,
    progress: Callable[[int, int], None] | None = None,
    options: OverlayOptions | None = None,
) -> Path:
    """Draw an analysis over its clip and write an H.264 MP4 that plays in browsers.

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis (markers are drawn only when it has them, i.e. when analysable or
        analysed with ``require_running=False``).
    out_path : path-like
        The MP4 to write (atomically: a temporary file beside it is renamed on success).
    video : path-like, optional
        The analysed clip; ``result.provenance['video']`` by default.
    slowmo : bool, optional
        Append a section that repeats one representative valid stride slowed down (each
        frame repeated; nothing is appended when the clip has no stride).
    progress : callable, optional
        Called as ``progress(done, total)`` with frame counts while rendering.
    options : OverlayOptions, optional
        Encoder, timing and size options.

    Returns
    -------
    Path
        The file written. Without ``slowmo`` it has exactly the input's frame count and
        frame rate (the input stream's average rate, e.g. 30000/1001, never rounded).

    Raises
    ------
    GaitcheckError
        When no video is given or recorded, or the video does not match the analysis.
    VideoError
        When the video cannot be read.
    """
    opts = options or OverlayOptions()
    src = _video_path(result, video)
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise GaitcheckError(f"{out_path.parent}: no such folder",
                             hint="create it or choose another output path")
    rate = video_rate(src)
    plan = _Plan(result, rate, opts)
    stride = plan.slowmo_stride() if slowmo else None
    n_main = plan.n
    factor = plan.slowmo_factor(stride) if stride is not None else 0
    n_slow = (stride[2] - stride[1] + 1) * factor if stride is not None else 0
    total = n_main + n_slow
    done = 0
    with atomic_path(out_path) as tmp, H264Writer(tmp, plan.out_size, rate,
                                                  preset=opts.preset, crf=opts.crf) as enc:
        frames = prefetch(iter_frames(src), maxsize=6)
        try:
            for fr in frames:
                img = plan.check_frame(fr.rgb, fr.index)
                plan.draw(img, fr.index)
                enc.write(img)
                done += 1
                if progress is not None and done % 16 == 0:
                    progress(done, max(total, done))
        finally:
            frames.close()
        if done == 0:
            raise VideoError(f"{src}: no frame could be decoded")
        if stride is not None:
            done = _render_slowmo(plan, src, stride, factor, enc, progress, done, total)
    if progress is not None:
        progress(done, done)
    return out_path


def _video_path(result: Any, video: str | os.PathLike[str] | None) -> Path:
    if video is None:
        video = (getattr(result, "provenance", None) or {}).get("video")
    if not video:
        raise GaitcheckError("the analysis does not record its video",
                             hint="pass the clip: render_overlay(result, out, video=PATH)")
    path = Path(video)
    if not path.is_file():
        raise VideoError(f"{path}: no such video (the analysed clip was moved?)",
                         hint="pass the clip's current path")
    return path


def _render_slowmo(plan: _Plan, src: Path, stride: tuple[int, int, int], factor: int,
                   enc: H264Writer, progress: Callable[[int, int], None] | None, done: int,
                   total: int) -> int:
    """Decode the stride's frames again and write each one ``factor`` times."""
    _, a, b = stride
    frames = iter_frames(src)
    try:
        for fr in frames:
            if fr.index < a:
                continue
            if fr.index > b:
                break
            img = plan.check_frame(fr.rgb, fr.index)
            plan.draw(img, fr.index, slow=factor)
            for _ in range(factor):
                enc.write(img)
            done += factor
            if progress is not None:
                progress(done, max(total, done))
    finally:
        frames.close()
    return done


# --------------------------------------------------------------------------------------
# encoding


# --------------------------------------------------------------------------------------
# geometry helpers (vectorised over frames)


def _boxes(pts: np.ndarray, idx: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """Per-frame bounding box (n, 4: x0, y0, x1, y1) of the given points, NaN if none.

    ``pad`` is (left, top, right, bottom) in pixels.
    """
    sub = pts[:, idx]
    ok = np.isfinite(sub).all(-1)
    any_ok = ok.any(1)
    x = np.where(ok, sub[..., 0], np.nan)
    y = np.where(ok, sub[..., 1], np.nan)
    out = np.full((pts.shape[0], 4), np.nan)
    if any_ok.any():
        xs, ys = x[any_ok], y[any_ok]
        out[any_ok] = np.column_stack([
            np.fmin.reduce(xs, axis=1) - pad[0], np.fmin.reduce(ys, axis=1) - pad[1],
            np.fmax.reduce(xs, axis=1) + pad[2], np.fmax.reduce(ys, axis=1) + pad[3],
        ])
    return out


def _overlap(rects: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection area of each rect (k, 4) with each box (n, 4): (k, n), 0 for NaN boxes."""
    r = rects[:, None, :]
    b = boxes[None, :, :]
    iw = np.minimum(r[..., 2], b[..., 2]) - np.maximum(r[..., 0], b[..., 0])
    ih = np.minimum(r[..., 3], b[..., 3]) - np.maximum(r[..., 1], b[..., 1])
    area = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    return np.nan_to_num(area, nan=0.0)


def _hits(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _viterbi(cost: np.ndarray, switch: float) -> np.ndarray:
    """Cheapest state per frame for per-frame costs (n, k) and a cost per state change."""
    n, k = cost.shape
    back = np.empty((n, k), dtype=np.int32)
    acc = cost[0].copy()
    states = np.arange(k)
    for i in range(1, n):  # a loop over frames of O(k) array work: placement only
        j = int(np.argmin(acc))
        moved = acc[j] + switch
        stay = acc <= moved
        back[i] = np.where(stay, states, j)
        acc = np.where(stay, acc, moved) + cost[i]
    path = np.empty(n, dtype=np.int32)
    path[-1] = int(np.argmin(acc))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _latest(event_frames: np.ndarray, n: int, hold: int) -> np.ndarray:
    """Index into sorted ``event_frames`` of the event shown at each frame (-1: none).

    An event is shown from its frame for ``hold`` frames, or until the next event.
    """
    i = np.arange(n)
    if not event_frames.size:
        return np.full(n, -1)
    j = np.searchsorted(event_frames, i, side="right") - 1
    jj = np.maximum(j, 0)
    active = (j >= 0) & (i - event_frames[jj] < hold)
    return np.where(active, j, -1)


# --------------------------------------------------------------------------------------
# style


@dataclass(frozen=True)
class _Style:
    fs: float  # font scale
    tt: int  # text thickness
    lt: int  # skeleton line thickness
    jr: int  # joint radius
    pad: int  # padding inside boxes
    gap: int  # gap between boxes
    text_h: int  # cap height
    base: int  # baseline below text
    line_h: int  # row pitch in panels
    margin: int  # distance from the frame edge

    @classmethod
    def for_size(cls, w: int, h: int, scale: float) -> _Style:
        u = min(w, h)
        fs = max(0.42, u / 950.0) * scale
        tt = max(1, int(round(fs * 1.7)))
        (_, th), base = cv2.getTextSize("Hg", FONT, fs, tt)
        pad = max(3, int(round(th * 0.35)))
        return cls(fs=fs, tt=tt, lt=max(2, int(round(u / 240))), jr=max(2, int(round(u / 200))),
                   pad=pad, gap=max(3, int(round(th * 0.4))), text_h=th, base=base,
                   line_h=th + base + max(2, int(round(th * 0.35))),
                   margin=max(4, int(round(u * 0.015))))

    def size(self, text: str) -> tuple[int, int]:
        (tw, _), _ = cv2.getTextSize(text, FONT, self.fs, self.tt)
        return tw, self.text_h


# --------------------------------------------------------------------------------------
# the per-clip plan and the per-frame drawing


@dataclass
class _Panel:
    w: int
    h: int
    patch: np.ndarray  # static content (RGB), drawn on black
    mask: np.ndarray  # (h, w, 1) bool: where the patch has content


class _Plan:
    """Everything about a clip precomputed as per-frame arrays; :meth:`draw` draws frame i."""

    def __init__(self, result: Any, rate: Fraction, opts: OverlayOptions) -> None:
        kin, ev, lm = result.kinematics, result.events, result.landmarks
        self.result, self.opts = result, opts
        self.kin, self.ev = kin, ev
        self.w, self.h = (int(v) for v in lm.image_size)
        self.out_size = (self.w + self.w % 2, self.h + self.h % 2)
        self.n = int(kin.n_frames)
        self.rate = rate
        self.time_s = np.asarray(lm.time_s, dtype=np.float64)
        self.hold = max(2, int(round(opts.hold_s * float(rate))))
        self.view = kin.view
        self.frontal = kin.view in ("rear", "front")
        self.near = kin.info.get("near_side") if kin.view == "side" else None
        self.st = _Style.for_size(self.w, self.h, opts.text_scale)
        leg = float(kin.leg_length_px) if np.isfinite(kin.leg_length_px) else 0.45 * self.h
        self.leg_px = leg

        p = np.asarray(kin.points_px, dtype=np.float64)
        mid_sh = 0.5 * (p[:, LM.LEFT_SHOULDER] + p[:, LM.RIGHT_SHOULDER])
        mid_hip = 0.5 * (p[:, LM.LEFT_HIP] + p[:, LM.RIGHT_HIP])
        self.P = np.concatenate([p, mid_sh[:, None], mid_hip[:, None]], axis=1)
        self.ok = np.isfinite(self.P).all(-1)
        self.Pi = np.where(self.ok[..., None], np.rint(self.P * _ONE), 0).astype(np.int32)
        self.swapped = np.asarray(kin.swapped, dtype=bool)
        self.has_swaps = bool(self.swapped.any())

        lp = 0.05 * leg
        self.leg_box = _boxes(self.P, _LEG_LM, np.array([lp, lp, lp, lp]))
        self.body_box = _boxes(self.P, _BODY_LM,
                               np.array([0.1 * leg, 0.3 * leg, 0.1 * leg, 0.05 * leg]))
        self._placed: dict = {}
        self._skeleton()
        self._angles()
        self._strides()
        self._flags()
        self._markers()
        self._panels()

    # ---- precomputation --------------------------------------------------------------

    def _skeleton(self) -> None:
        segs: list[tuple[int, int]] = []
        groups: dict[str, list[int]] = {"c": [], "l": [], "r": []}
        chain = (("sh", "el"), ("el", "wr"), ("sh", "hip"), ("hip", "knee"), ("knee", "ank"),
                 ("ank", "heel"), ("heel", "toe"), ("toe", "ank"))
        for side in _SIDES:
            for a, b in chain:
                groups[side].append(len(segs))
                segs.append((_SIDE_LM[side][a], _SIDE_LM[side][b]))
        for a, b in ((LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER), (LM.LEFT_HIP, LM.RIGHT_HIP),
                     (_MID_SHOULDER, LM.NOSE)):
            groups["c"].append(len(segs))
            segs.append((int(a), int(b)))
        idx = np.array(segs)
        self.seg = self.Pi[:, idx]  # (n, S, 2, 2)
        self.seg_ok = self.ok[:, idx].all(-1)  # (n, S)
        lt = self.st.lt
        far = ({"l": "r", "r": "l"}[self.near]) if self.near in _SIDES else None
        thin = max(1, int(round(lt * 0.6)))
        order = [far, "c", "l" if far == "r" else "r" if far == "l" else None]
        if far is None:
            order = ["c", "l", "r"]
        self.seg_groups = []
        for key in order:
            if key is None:
                continue
            colour = _WHITE if key == "c" else SIDE_RGB[key]
            self.seg_groups.append((np.array(groups[key]), colour, thin if key == far else lt))
        joints = []
        for side in _SIDES:
            r = self.st.jr if side != far else max(1, int(round(self.st.jr * 0.7)))
            for k in ("sh", "el", "wr", "hip", "knee", "ank", "heel", "toe"):
                joints.append((_SIDE_LM[side][k], SIDE_RGB[side], r))
        joints.append((int(LM.NOSE), _WHITE, self.st.jr))
        self.joints = joints

    def _angles(self) -> None:
        a = self.kin.angles

        def col(name: str, sign: float = 1.0) -> np.ndarray:
            if name in a:
                return sign * a[name].to_numpy(np.float64)
            return np.full(self.n, np.nan)

        if self.frontal:
            rows = [("pelvis tilt", col("pelvic_obliquity_deg"), None),
                    ("hip add.", col("hip_adduction_l_deg"), col("hip_adduction_r_deg"))]
        else:
            rows = [("knee", col("knee_flex_l_deg"), col("knee_flex_r_deg")),
                    ("hip ext.", col("hip_flex_l_deg", -1.0), col("hip_flex_r_deg", -1.0)),
                    ("shank", col("shank_l_deg"), col("shank_r_deg")),
                    ("trunk lean", col("trunk_lean_deg"), None)]
        self.angle_rows = rows

    def _strides(self) -> None:
        st = self.ev.strides
        i = np.arange(self.n)
        self.stride_count: dict[str, np.ndarray] = {}
        self.stride_total: dict[str, int] = {}
        self.stride_valid: dict[str, np.ndarray] = {}
        for side in _SIDES:
            s = st[st["side"] == side].sort_values("ic_frame") if len(st) else st
            ic = s["ic_frame"].to_numpy(int) if len(s) else np.zeros(0, int)
            valid = s["valid"].to_numpy(bool) if len(s) else np.zeros(0, bool)
            cnt = np.searchsorted(ic, i, side="right")
            nxt = s["ic_next_frame"].to_numpy(int) if len(s) else np.zeros(0, int)
            cur = np.maximum(cnt - 1, 0)
            inside = (cnt > 0) & (i < nxt[cur]) if len(s) else np.zeros(self.n, bool)
            self.stride_count[side] = np.where(inside, cnt, 0) if len(s) else cnt
            self.stride_valid[side] = inside & valid[cur] if len(s) else inside
            self.stride_total[side] = int(len(s))

    def _flags(self) -> None:
        c = self.ev.contacts
        self.flag_frames: dict[str, np.ndarray] = {}
        self.flag_kind: dict[str, np.ndarray] = {}
        self.flag_active: dict[str, np.ndarray] = {}
        for side in _SIDES:
            cs = c[c["side"] == side] if len(c) else c
            if len(cs):
                f = np.concatenate([cs[k].to_numpy(int) for k in ("ic_frame", "ms_frame",
                                                                   "to_frame")])
                kind = np.repeat(np.arange(3), len(cs))
                order = np.lexsort((kind, f))
                f, kind = f[order], kind[order]
            else:
                f, kind = np.zeros(0, int), np.zeros(0, int)
            self.flag_frames[side], self.flag_kind[side] = f, kind
            self.flag_active[side] = _latest(f, self.n, self.hold)

    def _markers(self) -> None:
        """Marker instances per side: (frame, kind, value), frozen at the measured frame."""
        mk = self.result.markers
        st = self.ev.strides
        self.inst: dict[str, list[tuple[int, str, float]]] = {"l": [], "r": []}
        if mk is not None and len(mk) and len(st):
            a = self.kin.angles
            rows = st.loc[st.index.intersection(mk.index)]
            for sid, row in rows.iterrows():  # a loop over strides, not frames
                side = str(row["side"])
                ic, ms, to = int(row["ic_frame"]), int(row["ms_frame"]), int(row["to_frame"])
                nxt = int(row["ic_next_frame"])
                m = mk.loc[sid]
                out = self.inst[side]
                if self.frontal:
                    if "crossover_ic_pct_leg" in m:
                        out.append((ic, "crossover", float(m["crossover_ic_pct_leg"])))
                    if "pelvic_drop_deg" in m and "pelvic_obliquity_deg" in a:
                        ob = a["pelvic_obliquity_deg"].to_numpy(np.float64)
                        ob = ob - np.nanmedian(ob) if np.isfinite(ob).any() else ob
                        sig = ob if side == "r" else -ob
                        f = _argmax_in(sig, ic, to)
                        out.append((f, "drop", float(m["pelvic_drop_deg"])))
                else:
                    if "overstride_ic_pct_leg" in m:
                        out.append((ic, "overstride", float(m["overstride_ic_pct_leg"])))
                    if "pelvis_behind_foot_ms_pct_leg" in m:
                        out.append((ms, "pelvis", float(m["pelvis_behind_foot_ms_pct_leg"])))
                    col = f"hip_flex_{side}_deg"
                    if "hip_extension_deg" in m and col in a:
                        sig = -a[col].to_numpy(np.float64)
                        end = int(hip_extension_window_end(to, nxt, self.kin.fps))
                        f = _argmax_in(sig, ms, end)
                        out.append((f, "hipext", float(m["hip_extension_deg"])))
        # In a side view the markers of a foot share the plumb line and replace each other;
        # in a rear/front view the midline (crossover) and the pelvis line (drop) are apart,
        # so each kind is held on its own: a drop peaking at the contact frame must not hide
        # that contact's crossover.
        groups = ("crossover", "drop") if self.frontal else ("",)
        self.inst_frames: dict[str, np.ndarray] = {}
        self.inst_active: dict[str, np.ndarray] = {}
        for side in _SIDES:
            lst = sorted((x for x in self.inst[side] if np.isfinite(x[2])), key=lambda x: x[0])
            self.inst[side] = lst
            fr = np.array([x[0] for x in lst], dtype=int)
            kind = np.array([x[1] if self.frontal else "" for x in lst], dtype=object)
            active = np.full((len(groups), self.n), -1)
            for g, name in enumerate(groups):
                sel = np.flatnonzero(kind == name)
                j = _latest(fr[sel], self.n, self.hold)
                if sel.size:
                    active[g] = np.where(j >= 0, sel[np.maximum(j, 0)], -1)
            self.inst_frames[side] = fr
            self.inst_active[side] = active  # (groups, frames): index into inst[side], -1

    def _panels(self) -> None:
        st = self.st
        # live panel: title row, header, strides, angle rows, optional swap note
        labels = ["strides"] + [r[0] for r in self.angle_rows]
        lab_w = max(st.size(t)[0] for t in labels)
        val_w = max(st.size(t)[0] for t in ("-188", "88/88", " L "))
        cgap = st.gap * 2
        rows = 2 + len(labels) + (1 if self.has_swaps else 0)
        title_w = max(st.size(t)[0] for t in ("t 888.88 s", "slow motion x8",
                                               "L/R swap fixed"))
        w1 = 2 * st.pad + max(lab_w + 2 * (cgap + val_w), title_w)
        h1 = 2 * st.pad + rows * st.line_h - (st.line_h - st.text_h - st.base)
        self.col_x = (st.pad + lab_w + cgap, st.pad + lab_w + 2 * cgap + val_w)
        self.val_w = val_w
        live = _Panel(w1, h1, np.zeros((h1, w1, 3), np.uint8), np.zeros((h1, w1, 1), bool))
        y = self._row_y(1)
        for side, x in zip(_SIDES, self.col_x, strict=True):
            cv2.rectangle(live.patch, (x, y - st.text_h - 2), (x + val_w, y + st.base),
                          SIDE_RGB[side], -1)
            tw, _ = st.size(side.upper())
            cv2.putText(live.patch, side.upper(), (x + (val_w - tw) // 2, y), FONT, st.fs,
                        _WHITE, st.tt, AA)
        for k, text in enumerate(labels):
            cv2.putText(live.patch, text, (st.pad, self._row_y(2 + k)), FONT, st.fs, _MUTED,
                        st.tt, AA)
        live.mask[:] = (live.patch.max(-1, keepdims=True) > 0)

        # legend
        sw = int(st.text_h * 2.2)
        if self.frontal:
            ref = "body midline"
        else:
            ref = "hip plumb line"
        lines = [("left", "right"), ("IC", "MS", "TO"), (ref,), ("angles in deg",),
                 ("%leg: % of leg length",)]
        sym_w = st.text_h + st.gap
        w_rows = [
            2 * (sw + st.gap + st.size("right")[0]) + cgap,
            3 * (sym_w + st.size("MS")[0]) + 2 * cgap,
            sw + st.gap + st.size(ref)[0],
            st.size(lines[3][0])[0],
            st.size(lines[4][0])[0],
        ]
        w2 = 2 * st.pad + max(w_rows)
        h2 = 2 * st.pad + len(lines) * st.line_h - (st.line_h - st.text_h - st.base)
        leg = _Panel(w2, h2, np.zeros((h2, w2, 3), np.uint8), np.zeros((h2, w2, 1), bool))
        img = leg.patch
        y = self._row_y(0)
        x = st.pad
        for side, text in zip(_SIDES, lines[0], strict=True):
            yc = y - st.text_h // 2
            cv2.line(img, (x, yc), (x + sw, yc), SIDE_RGB[side], st.lt, AA)
            x += sw + st.gap
            cv2.putText(img, text, (x, y), FONT, st.fs, _WHITE, st.tt, AA)
            x += st.size(text)[0] + cgap
        y = self._row_y(1)
        x = st.pad
        for k, text in enumerate(lines[1]):
            _event_symbol(img, k, (x + st.text_h // 2, y - st.text_h // 2), st.text_h // 2,
                          _WHITE)
            x += sym_w
            cv2.putText(img, text, (x, y), FONT, st.fs, _WHITE, st.tt, AA)
            x += st.size(text)[0] + cgap
        y = self._row_y(2)
        _dashed(img, (st.pad, y - st.text_h // 2), (st.pad + sw, y - st.text_h // 2), _WHITE,
                max(1, st.lt // 2), max(2, sw // 5))
        cv2.putText(img, ref, (st.pad + sw + st.gap, y), FONT, st.fs, _WHITE, st.tt, AA)
        for k in (3, 4):
            cv2.putText(img, lines[k][0], (st.pad, self._row_y(k)), FONT, st.fs, _MUTED,
                        st.tt, AA)
        leg.mask[:] = (img.max(-1, keepdims=True) > 0)
        self.panels = (live, leg)
        self._layout()

    def _row_y(self, k: int) -> int:
        """Baseline of row ``k`` inside a panel."""
        return self.st.pad + self.st.text_h + k * self.st.line_h

    def _layout(self) -> None:
        """Choose per frame where the two panels go (stacked, away from the runner)."""
        st, w, h = self.st, self.w, self.h
        (p1, p2), m, g = self.panels, st.margin, st.gap
        layouts = []
        for ax in (0.0, 1.0, 0.5):
            for ay in (0.0, 1.0, 0.5):
                for stack in ("v", "h"):
                    if stack == "v":
                        bw, bh = max(p1.w, p2.w), p1.h + g + p2.h
                    else:
                        bw, bh = p1.w + g + p2.w, max(p1.h, p2.h)
                    if bw > w - 2 * m or bh > h - 2 * m:
                        continue
                    x0 = m + ax * (w - 2 * m - bw)
                    y0 = m + ay * (h - 2 * m - bh)
                    if stack == "v":
                        # the live panel nearest the frame edge
                        first_top = ay < 1.0
                        xa = x0 if ax < 1.0 else x0 + bw - p1.w
                        xb = x0 if ax < 1.0 else x0 + bw - p2.w
                        if first_top:
                            r1 = (xa, y0, xa + p1.w, y0 + p1.h)
                            r2 = (xb, y0 + p1.h + g, xb + p2.w, y0 + p1.h + g + p2.h)
                        else:
                            r2 = (xb, y0, xb + p2.w, y0 + p2.h)
                            r1 = (xa, y0 + p2.h + g, xa + p1.w, y0 + p2.h + g + p1.h)
                    else:
                        first_left = ax < 1.0
                        ya = y0 if ay < 1.0 else y0 + bh - p1.h
                        yb = y0 if ay < 1.0 else y0 + bh - p2.h
                        if first_left:
                            r1 = (x0, ya, x0 + p1.w, ya + p1.h)
                            r2 = (x0 + p1.w + g, yb, x0 + p1.w + g + p2.w, yb + p2.h)
                        else:
                            r2 = (x0, yb, x0 + p2.w, yb + p2.h)
                            r1 = (x0 + p2.w + g, ya, x0 + p2.w + g + p1.w, ya + p1.h)
                    layouts.append((r1, r2))
        if not layouts:  # a frame too small for the panels: top-left, clipped
            layouts = [((0, 0, p1.w, p1.h), (0, p1.h, p2.w, p1.h + p2.h))]
        rects = np.array(layouts, dtype=np.float64)  # (k, 2, 4)
        k = len(layouts)
        area = np.array([p1.w * p1.h, p2.w * p2.h], dtype=np.float64)
        cost = np.zeros((k, self.n))
        for j in range(2):
            leg = _overlap(rects[:, j], self.leg_box) / area[j]
            body = _overlap(rects[:, j], self.body_box) / area[j]
            cost += 10.0 * leg + 1000.0 * (leg > 0) + body  # the legs: (almost) never
        # tie-break: away from the runner's usual place, live panel at the top
        with np.errstate(all="ignore"):
            cx = np.nanmedian(0.5 * (self.body_box[:, 0] + self.body_box[:, 2]))
            cy = np.nanmedian(0.5 * (self.body_box[:, 1] + self.body_box[:, 3]))
        if not np.isfinite(cx):
            cx, cy = w / 2, h / 2
        centre = 0.5 * (rects[:, :, :2] + rects[:, :, 2:]).mean(1)
        dist = np.hypot((centre[:, 0] - cx) / w, (centre[:, 1] - cy) / h)
        static = 0.02 * (1.0 - dist / max(dist.max(), 1e-9)) + 0.005 * (rects[:, 0, 1] / h)
        fps = float(self.rate)
        if self.n:
            path = _viterbi(cost.T + static[None, :], switch=3.0 * fps)
        else:
            path = np.array([int(np.argmin(static))], dtype=np.int32)
        self.layouts = rects.astype(int)
        self.layout_of = path

    # ---- slow motion -----------------------------------------------------------------

    def slowmo_stride(self) -> tuple[int, int, int] | None:
        """Pick a representative stride: ``(stride_id, first_frame, last_frame)``.

        Among the valid strides (of the near leg in a side view, when it has any), the one
        whose markers lie closest to their medians (in IQR units); without valid strides,
        the stride whose duration is the median.
        """
        st = self.ev.strides
        if not len(st):
            return None
        mk = self.result.markers
        cand = st[st["valid"]] if st["valid"].any() else st
        if self.near in _SIDES and (cand["side"] == self.near).any():
            cand = cand[cand["side"] == self.near]
        cols = (["crossover_ic_pct_leg", "pelvic_drop_deg"] if self.frontal else
                ["overstride_ic_pct_leg", "pelvis_behind_foot_ms_pct_leg", "hip_extension_deg"])
        score = np.zeros(len(cand))
        t = cand["stride_time_ms"].to_numpy(np.float64)
        score += np.abs(t - np.nanmedian(t)) / max(float(np.nanstd(t)), 1.0)
        if mk is not None and len(mk):
            sub = mk.reindex(cand.index)
            for c in cols:
                if c in sub:
                    v = sub[c].to_numpy(np.float64)
                    if np.isfinite(v).sum() >= 2:
                        q1, med, q3 = np.nanpercentile(v, [25, 50, 75])
                        z = np.abs(v - med) / max(q3 - q1, 1e-6)
                        score += np.where(np.isfinite(z), z, 10.0)
        best = cand.index[int(np.argmin(score))]
        row = st.loc[best]
        a = max(0, int(row["ic_frame"]) - 1)
        b = min(self.n - 1, int(row["ic_next_frame"]) + 1)
        return int(best), a, b

    def slowmo_factor(self, stride: tuple[int, int, int]) -> int:
        """Repetitions of each frame so the stride plays for about ``slowmo_seconds``."""
        dur = (stride[2] - stride[1] + 1) / float(self.rate)
        k = int(round(self.opts.slowmo_seconds / max(dur, 1e-6)))
        return int(min(max(k, 1), self.opts.max_slowmo_factor))

    # ---- per frame -------------------------------------------------------------------

    def check_frame(self, rgb: np.ndarray, index: int) -> np.ndarray:
        """Return a writable frame of the output size (padded to even sides)."""
        if rgb.shape[1] != self.w or rgb.shape[0] != self.h:
            raise GaitcheckError(
                f"the video's frames are {rgb.shape[1]}x{rgb.shape[0]} but the analysis was "
                f"made on {self.w}x{self.h} frames (frame {index})",
                hint="pass the clip that was analysed")
        if self.out_size != (self.w, self.h):
            return cv2.copyMakeBorder(rgb, 0, self.out_size[1] - self.h, 0,
                                      self.out_size[0] - self.w, cv2.BORDER_REPLICATE)
        if not rgb.flags.writeable:
            rgb = rgb.copy()
        return rgb

    def draw(self, img: np.ndarray, i: int, *, slow: int = 0) -> None:
        """Draw frame ``i``'s overlay on ``img`` (RGB, in place)."""
        labels: list[_Label] = []
        if 0 <= i < self.n:
            if self.frontal:
                self._pelvis_line(img, i)
            for side in _SIDES:  # marker geometry under the live skeleton
                for j in self.inst_active[side][:, i]:
                    if j < 0:
                        continue
                    f, kind, value = self.inst[side][j]
                    lab = self._draw_marker(img, side, f, kind, value)
                    if lab is not None:
                        labels.append(_Label(lab[0], _DARK, _WHITE, SIDE_RGB[side], lab[1],
                                             (side, f, kind)))
            self._draw_skeleton(img, i)
            for side in _SIDES:
                j = self.flag_active[side][i]
                if j >= 0:
                    kind = int(self.flag_kind[side][j])
                    anchor = self._foot_point(i, side, kind)
                    if anchor is not None:
                        _event_symbol(img, kind, (int(anchor[0]), int(anchor[1])),
                                      int(self.st.jr * 2.2), SIDE_RGB[side], outline=_DARK)
                        text = f"{('IC', 'MS', 'TO')[kind]} {side.upper()}"
                        labels.insert(0, _Label((text,), SIDE_RGB[side], _WHITE, _DARK, anchor))
        taken = self._draw_panels(img, i, slow)
        self._draw_labels(img, i, labels, taken)

    def _draw_skeleton(self, img: np.ndarray, i: int) -> None:
        seg, ok = self.seg[i], self.seg_ok[i]
        parts = []
        for idx, colour, th in self.seg_groups:
            sel = idx[ok[idx]]
            if sel.size:
                parts.append((list(seg[sel]), colour, th))
        for lines, _, th in parts:
            cv2.polylines(img, lines, False, _DARK, th + 2, AA, SHIFT)
        for lines, colour, th in parts:
            cv2.polylines(img, lines, False, colour, th, AA, SHIFT)
        pts, okf = self.Pi[i], self.ok[i]
        for k, colour, r in self.joints:
            if okf[k]:
                c = (int(pts[k, 0]), int(pts[k, 1]))
                cv2.circle(img, c, (r + 1) * _ONE, _DARK, -1, AA, SHIFT)
                cv2.circle(img, c, r * _ONE, colour, -1, AA, SHIFT)

    def _foot_point(self, i: int, side: str, kind: int) -> tuple[float, float] | None:
        d = _SIDE_LM[side]
        heel, toe = self.P[i, d["heel"]], self.P[i, d["toe"]]
        if kind == 0:
            p = heel if np.isfinite(heel).all() else self.P[i, d["ank"]]
        elif kind == 2:
            p = toe if np.isfinite(toe).all() else self.P[i, d["ank"]]
        else:
            p = 0.5 * (heel + toe)
            if not np.isfinite(p).all():
                p = self.P[i, d["ank"]]
        if not np.isfinite(p).all():
            return None
        return float(p[0]), float(p[1])

    def _pelvis_line(self, img: np.ndarray, i: int) -> None:
        lh, rh = self.P[i, LM.LEFT_HIP], self.P[i, LM.RIGHT_HIP]
        if not (np.isfinite(lh).all() and np.isfinite(rh).all()):
            return
        d = rh - lh
        a, b = lh - 0.35 * d, rh + 0.35 * d
        _line(img, a, b, _ACCENT, max(1, self.st.lt // 2 + 1))

    def _draw_marker(self, img: np.ndarray, side: str, f: int, kind: str, value: float
                     ) -> tuple[tuple[str, ...], tuple[float, float]] | None:
        """Draw a marker's geometry frozen at frame ``f``; return its text and anchor."""
        P, d, st = self.P[f], _SIDE_LM[side], self.st
        lt = max(2, st.lt)
        hip = P[_MID_HIP]
        heel, toe = P[d["heel"]], P[d["toe"]]
        dash = max(4, int(self.leg_px * 0.04))
        if kind in ("overstride", "pelvis", "crossover"):
            if not (np.isfinite(hip).all() and np.isfinite(heel).all()
                    and np.isfinite(toe).all()):
                return None
            ground = min(max(heel[1], toe[1]) + 0.04 * self.leg_px, self.h - 2 * lt - 2)
            top = P[_MID_SHOULDER] if kind == "crossover" else hip
            if not np.isfinite(top).all():
                top = hip
            _dashed(img, (top[0], top[1]), (hip[0], ground), _WHITE, max(1, lt - 1), dash,
                    outline=_DARK)
            target = heel[0] if kind == "overstride" else 0.5 * (heel[0] + toe[0])
            foot_pt = heel if kind == "overstride" else 0.5 * (heel + toe)
            _line(img, (target, foot_pt[1]), (target, ground), _ACCENT, max(1, lt - 1))
            _line(img, (hip[0], ground), (target, ground), _ACCENT, lt, arrow=True)
            anchor = (0.5 * (hip[0] + target), ground)
            v = f"{_num(abs(value))} %leg"
            where = "ahead of" if value >= 0 else "behind"
            if kind == "overstride":
                text = (f"heel {where} hip", v)
            elif kind == "pelvis":
                text = (f"pelvis {where} foot", v)
            else:
                text = (("foot across midline", v) if value >= 0.5 else
                        ("foot wide of midline", v) if value <= -0.5 else ("foot on midline", v))
            return text, anchor
        if kind == "hipext":
            hp, kn = P[d["hip"]], P[d["knee"]]
            if not (np.isfinite(hp).all() and np.isfinite(kn).all()):
                return None
            length = float(np.hypot(*(kn - hp)))
            _dashed(img, (hp[0], hp[1]), (hp[0], hp[1] + 1.15 * length), _WHITE, max(1, lt - 1),
                    dash, outline=_DARK)
            ghost = [P[d[k]] for k in ("knee", "ank", "heel", "toe")]
            for a_, b_ in zip(ghost[:-1], ghost[1:], strict=True):
                if np.isfinite(a_).all() and np.isfinite(b_).all():
                    _line(img, a_, b_, _ACCENT, 1)
            _line(img, hp, kn, _ACCENT, 2 * lt + 2)  # a halo round the thigh when they coincide
            ang = math.degrees(math.atan2(kn[1] - hp[1], kn[0] - hp[0]))
            r = 0.6 * length
            a0, a1 = sorted((90.0, ang))
            c = (int(round(hp[0] * _ONE)), int(round(hp[1] * _ONE)))
            ax = (int(round(r * _ONE)), int(round(r * _ONE)))
            cv2.ellipse(img, c, ax, 0, a0, a1, _DARK, lt + 3, AA, SHIFT)
            cv2.ellipse(img, c, ax, 0, a0, a1, _ACCENT, lt + 1, AA, SHIFT)
            mid = math.radians(0.5 * (a0 + a1))
            anchor = (hp[0] + r * math.cos(mid), hp[1] + r * math.sin(mid))
            return ("hip extension", f"{_num(value)}{_DEG}"), anchor
        if kind == "drop":
            lh, rh = P[LM.LEFT_HIP], P[LM.RIGHT_HIP]
            if not (np.isfinite(lh).all() and np.isfinite(rh).all()):
                return None
            stance = lh if side == "l" else rh
            span = abs(rh[0] - lh[0]) * 1.7 + 1
            _dashed(img, (stance[0] - span, stance[1]), (stance[0] + span, stance[1]), _WHITE,
                    max(1, lt - 1), dash, outline=_DARK)
            dvec = rh - lh
            _line(img, lh - 0.7 * dvec, rh + 0.7 * dvec, _ACCENT, lt)
            anchor = (float(hip[0]), float(min(lh[1], rh[1])))
            return ("pelvic drop", f"{_num(value)}{_DEG}"), anchor
        return None

    def _draw_panels(self, img: np.ndarray, i: int, slow: int) -> list[tuple]:
        st = self.st
        li = int(self.layout_of[min(max(i, 0), len(self.layout_of) - 1)])
        rects = self.layouts[li]
        H, W = img.shape[:2]
        taken = []
        for panel, r in zip(self.panels, rects, strict=True):
            x0, y0 = int(r[0]), int(r[1])
            x1, y1 = min(x0 + panel.w, W), min(y0 + panel.h, H)
            roi = img[y0:y1, x0:x1]
            cv2.addWeighted(roi, 0.35, roi, 0.0, 0.0, dst=roi)
            np.copyto(roi, panel.patch[: y1 - y0, : x1 - x0],
                      where=panel.mask[: y1 - y0, : x1 - x0])
            taken.append((x0, y0, x1, y1))
        # dynamic text of the live panel
        x0, y0 = int(rects[0][0]), int(rects[0][1])
        if slow:
            title = f"slow motion x{slow}"
            colour = _ACCENT
        else:
            t = self.time_s[i] if 0 <= i < self.n else float("nan")
            title = f"t {t:.2f} s" if np.isfinite(t) else ""
            colour = _WHITE
        _put(img, title, (x0 + st.pad, y0 + self._row_y(0)), st, colour)
        if 0 <= i < self.n:
            for side, cx in zip(_SIDES, self.col_x, strict=True):
                cnt = int(self.stride_count[side][i])
                text = f"{cnt}/{self.stride_total[side]}" if cnt else "-"
                colour = _WHITE if self.stride_valid[side][i] or not cnt else _MUTED
                self._put_val(img, text, x0 + cx, y0 + self._row_y(2), colour)
            for k, (_, vl, vr) in enumerate(self.angle_rows):
                y = y0 + self._row_y(3 + k)
                if vr is None:
                    v = vl[i]
                    text = _num(v)
                    # one value for the body: centred across both columns
                    span = self.col_x[1] + self.val_w - self.col_x[0]
                    tw, _ = st.size(text)
                    _put(img, text, (x0 + self.col_x[0] + (span - tw) // 2, y), st, _WHITE)
                else:
                    for v, cx in ((vl[i], self.col_x[0]), (vr[i], self.col_x[1])):
                        self._put_val(img, _num(v), x0 + cx, y, _WHITE)
            if self.has_swaps and self.swapped[i]:
                y = y0 + self._row_y(3 + len(self.angle_rows))
                _put(img, "L/R swap fixed", (x0 + st.pad, y), st, _ACCENT)
        return taken

    def _put_val(self, img: np.ndarray, text: str, x: int, y: int,
                 colour: tuple[int, int, int]) -> None:
        tw, _ = self.st.size(text)
        _put(img, text, (x + self.val_w - tw, y), self.st, colour)  # right-aligned

    def _draw_labels(self, img: np.ndarray, i: int, labels: list[_Label],
                     taken: list[tuple]) -> None:
        st = self.st
        H, W = img.shape[:2]
        box = self.leg_box[i] if 0 <= i < self.n else np.full(4, np.nan)
        # whole pixels, rounded outwards: a label is never placed a fraction onto the legs
        legs = np.concatenate([np.floor(box[:2]), np.ceil(box[2:])]) if np.isfinite(
            box).all() else None
        body = self.body_box[i] if 0 <= i < self.n else np.full(4, np.nan)
        body = body if np.isfinite(body).all() else None
        keep = {}
        self.last_rects: list[tuple[int, int, int, int]] = []
        for lab in labels:
            widths = [st.size(t)[0] for t in lab.lines]
            bw = max(widths) + 2 * st.pad
            bh = len(lab.lines) * st.line_h - (st.line_h - st.text_h - st.base) + 2 * st.pad
            pos = self._placed.get(lab.key) if lab.key is not None else None
            if pos is not None:
                rect = (pos[0], pos[1], pos[0] + bw, pos[1] + bh)
                if (legs is not None and _hits(rect, tuple(legs))) or any(
                        _hits(rect, t) for t in taken):
                    pos = None
            if pos is None:
                pos = self._place(bw, bh, lab.anchor, legs, body, taken, W, H)
            if lab.key is not None:
                keep[lab.key] = pos
            x, y = pos
            taken.append((x, y, x + bw, y + bh))
            self.last_rects.append((x, y, x + bw, y + bh))
            # leader line from the box to the anchor, then the box
            ax, ay = lab.anchor
            cx, cy = min(max(ax, x), x + bw), min(max(ay, y), y + bh)
            if math.hypot(cx - ax, cy - ay) > st.gap:
                _line(img, (cx, cy), (ax, ay), _LEADER, 1)
            cv2.rectangle(img, (x, y), (x + bw - 1, y + bh - 1), lab.fill, -1)
            cv2.rectangle(img, (x, y), (x + bw - 1, y + bh - 1), lab.border, max(1, st.tt - 1))
            for k, text in enumerate(lab.lines):
                _put(img, text, (x + st.pad, y + st.pad + st.text_h + k * st.line_h), st, lab.fg)
        self._placed = keep

    def _place(self, bw: int, bh: int, anchor: tuple[float, float], legs: np.ndarray | None,
               body: np.ndarray | None, taken: list[tuple], W: int, H: int) -> tuple[int, int]:
        """Best spot for a ``bw x bh`` box: off the legs and the other boxes, near ``anchor``.

        Candidates on a grid (beside and below the legs, beside the body, around the anchor)
        are scored at once: distance to the anchor plus a cost for covering the body.
        """
        g, m = self.st.gap, self.st.margin
        ax, ay = anchor
        step = max(4, (bh + g) // 2)
        xs = [ax - bw / 2, ax + g, ax - g - bw]
        ys = list(ay - bh / 2 + step * np.arange(-(H // step) - 1, H // step + 2))
        for box in (legs, body):
            if box is not None:
                xs += [box[2] + g, box[0] - g - bw]
                ys += [box[3] + g, box[1] - g - bh]
        X, Y = np.meshgrid(np.clip(xs, m, max(m, W - m - bw)),
                           np.clip(ys, m, max(m, H - m - bh)))
        X, Y = X.ravel(), Y.ravel()
        R = np.column_stack([X, Y, X + bw, Y + bh])
        bad = np.zeros(len(R), bool)
        for t in ([legs] if legs is not None else []) + list(taken):
            bad |= (R[:, 0] < t[2]) & (t[0] < R[:, 2]) & (R[:, 1] < t[3]) & (t[1] < R[:, 3])
        cx, cy = np.clip(ax, R[:, 0], R[:, 2]), np.clip(ay, R[:, 1], R[:, 3])
        cost = np.hypot(cx - ax, cy - ay)
        if body is not None:
            cost = cost + 4.0 * _overlap(R, body[None, :])[:, 0] / (bw * bh) * self.leg_px
        cost = np.where(bad, cost + 1e9, cost)
        j = int(np.argmin(cost))
        return int(round(X[j])), int(round(Y[j]))


# --------------------------------------------------------------------------------------
# small drawing helpers


def _argmax_in(sig: np.ndarray, a: int, b: int) -> int:
    a = max(0, a)
    b = min(len(sig) - 1, max(a, b))
    w = sig[a:b + 1]
    if not np.isfinite(w).any():
        return a
    return a + int(np.nanargmax(w))


def _num(v: float) -> str:
    """Whole number without a minus zero; ``-`` for NaN."""
    return str(int(np.rint(v))) if np.isfinite(v) else "-"


def _put(img: np.ndarray, text: str, org: tuple[int, int], st: _Style,
         colour: tuple[int, int, int]) -> None:
    if text:
        cv2.putText(img, text, (int(org[0]), int(org[1])), FONT, st.fs, colour, st.tt, AA)


def _fx(p: Any) -> tuple[int, int]:
    return int(round(float(p[0]) * _ONE)), int(round(float(p[1]) * _ONE))


def _line(img: np.ndarray, a: Any, b: Any, colour: tuple[int, int, int], th: int, *,
          arrow: bool = False) -> None:
    """Draw a line with a dark outline (readable on light and dark backgrounds)."""
    if arrow:
        length = math.hypot(float(b[0]) - float(a[0]), float(b[1]) - float(a[1]))
        tip = min(0.4, 12.0 * th / max(length, 1.0))
        cv2.arrowedLine(img, _fx(a), _fx(b), _DARK, th + 2, AA, SHIFT, tip)
        cv2.arrowedLine(img, _fx(a), _fx(b), colour, th, AA, SHIFT, tip)
        return
    cv2.line(img, _fx(a), _fx(b), _DARK, th + 2, AA, SHIFT)
    cv2.line(img, _fx(a), _fx(b), colour, th, AA, SHIFT)


def _dashed(img: np.ndarray, a: Any, b: Any, colour: tuple[int, int, int], th: int,
            dash: int, *, outline: tuple[int, int, int] | None = None) -> None:
    ax, ay, bx, by = float(a[0]), float(a[1]), float(b[0]), float(b[1])
    length = math.hypot(bx - ax, by - ay)
    k = max(1, int(length // (2 * dash)))
    t0 = np.arange(k) / k
    t1 = t0 + 0.5 / k
    for colour_, th_ in (((outline, th + 2),) if outline else ()) + ((colour, th),):
        for u, v in zip(t0, t1, strict=True):
            cv2.line(img, _fx((ax + u * (bx - ax), ay + u * (by - ay))),
                     _fx((ax + v * (bx - ax), ay + v * (by - ay))), colour_, th_, AA, SHIFT)


def _event_symbol(img: np.ndarray, kind: int, c: tuple[int, int], r: int,
                  colour: tuple[int, int, int], *, outline: tuple[int, int, int] | None = None
                  ) -> None:
    """IC: triangle pointing down; MS: disc; TO: triangle pointing up."""
    x, y = c
    r = max(2, r)
    if kind == 1:
        if outline:
            cv2.circle(img, (x, y), r + 1, outline, -1, AA)
        cv2.circle(img, (x, y), r, colour, -1, AA)
        return
    s = 1 if kind == 0 else -1
    pts = np.array([[x - r, y - s * r], [x + r, y - s * r], [x, y + s * r]], np.int32)
    if outline:
        cv2.polylines(img, [pts], True, outline, 3, AA)
    cv2.fillConvexPoly(img, pts, colour, AA)

