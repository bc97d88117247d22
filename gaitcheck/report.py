"""Figures and report pages (the only module that imports matplotlib).

Figures are built with the object-oriented API on an Agg canvas: no ``pyplot`` state,
no backend switching, nothing shown on screen. Matplotlib is imported inside the
functions, never at import time.

The runner's report (:func:`render_report`) is drawn from a finished
:class:`~gaitcheck.pipeline.AnalysisResult` (for instance one rebuilt by
:func:`gaitcheck.pipeline.load_result`), in a pass separate from the analysis: no pose
estimation, only three video frames decoded for the key-frame stills. It is an A4
portrait PDF (``report.pdf``) and one PNG per page (``report-1.png``...), with these
pages:

1. summary: runner, date, clip, view, frame rate, model, strides, data quality, and the
   scorecard of the markers with their bands, left against right, and level;
2. key frames: initial contact, midstance and toe-off of a representative stride with
   the measurements drawn on them, and the foot contacts over the clip;
3. joint angles over the gait cycle (0-100 %, mean and SD per side, events marked);
4. every marker stride by stride (drift and outlier strides show);
5. findings in plain language with the strength of evidence, then the drill plan (as
   many pages as the text needs);
6. methods and limitations (definitions, timing resolution, 2D limits, not a diagnosis).

:func:`report_pages` gives the page titles without drawing (the page count varies with
the number of findings and drills). Colours: the runner's left side blue and right side
red everywhere (:data:`SIDE_COLOURS`, with circle and square markers); levels green /
amber / red (:data:`LEVEL_COLOURS`), always with their word (OK, WATCH, FLAG) so that
colour is never the only cue.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .io_utils import atomic_path
from .landmarks import LM, Landmarks

__all__ = [
    "SIDE_COLOURS",
    "LEVEL_COLOURS",
    "PAGE_SIZE_IN",
    "plot_landmark_traces",
    "plot_events",
    "render_report",
    "report_pages",
    "read_frames",
]

_TRACE_POINTS = (
    ("hip", LM.LEFT_HIP, LM.RIGHT_HIP),
    ("knee", LM.LEFT_KNEE, LM.RIGHT_KNEE),
    ("ankle", LM.LEFT_ANKLE, LM.RIGHT_ANKLE),
    ("heel", LM.LEFT_HEEL, LM.RIGHT_HEEL),
    ("toe", LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX),
)

#: Colours used for the runner's left and right side everywhere in gaitcheck.
SIDE_COLOURS = {"l": "#1f77b4", "r": "#d62728"}


def _figure(width_in: float, height_in: float):  # noqa: ANN202
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_landmark_traces(landmarks: Landmarks, path: str | os.PathLike[str]) -> Path:
    """Draw raw hip, knee, ankle, heel and toe positions over time, and save a PNG.

    One row per landmark; the left column shows horizontal and the right column
    vertical image position, in pixels (vertical axis flipped so that up is up). Left
    side in blue, right side in red; grey bands mark frames without a pose.

    Parameters
    ----------
    landmarks : Landmarks
        Pose-stage output.
    path : path-like
        PNG file to write (atomically).

    Returns
    -------
    Path
        The file written.
    """
    px = landmarks.pixels()
    t = landmarks.time_s
    missing = ~landmarks.detected
    fig = _figure(11, 9)
    axes = fig.subplots(len(_TRACE_POINTS), 2, sharex=True, squeeze=False)
    for row, (name, li, ri) in enumerate(_TRACE_POINTS):
        for col, (coord, label) in enumerate(((0, "x"), (1, "y"))):
            ax = axes[row, col]
            for side, idx in (("l", li), ("r", ri)):
                ax.plot(t, px[:, idx, coord], color=SIDE_COLOURS[side], lw=1.0,
                        label=f"{'left' if side == 'l' else 'right'} {name}")
            if missing.any():
                ax.fill_between(t, 0, 1, where=missing, transform=ax.get_xaxis_transform(),
                                color="0.85", step="mid", lw=0)
            if coord == 1:
                ax.invert_yaxis()
            ax.set_ylabel(f"{name} {label} (px)")
            ax.grid(alpha=0.3)
            if row == 0:
                ax.set_title(
                    "horizontal position (px, to image right)" if coord == 0
                    else "vertical position (px, up = up)", fontsize=10,
                )
        axes[row, 0].legend(loc="upper right", fontsize=7, ncol=2, framealpha=0.7)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    w, h = landmarks.image_size
    fig.suptitle(
        f"{landmarks.source} - raw landmarks ({landmarks.model} model, {landmarks.fps:.3f} fps, "
        f"{w}x{h}, pose in {100 * landmarks.detected_share:.0f} % of frames; grey = no pose)",
        fontsize=10,
    )
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    return out


def plot_events(result, path: str | os.PathLike[str]) -> Path:  # noqa: ANN001
    """Draw foot heights with the detected contacts and events, and save a PNG.

    One panel per foot: heel and toe height (leg lengths above the clip's lowest level,
    up = up), the foot-minus-pelvis horizontal position (thin grey, right axis), shaded
    contacts from initial contact (triangle) to toe-off (square), midstance ticks.
    Strides flagged invalid are hatched. A person can check by eye whether each contact
    starts where the foot lands and ends where it leaves the ground.

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis.
    path : path-like
        PNG file to write (atomically).

    Returns
    -------
    Path
        The file written.
    """
    kin, ev = result.kinematics, result.events
    a = kin.angles
    t = kin.time_s
    fig = _figure(12, 6.5)
    axes = fig.subplots(2, 1, sharex=True, squeeze=False)[:, 0]
    names = {"l": "left", "r": "right"}
    near = kin.info.get("near_side")
    invalid_ic = set(
        ev.strides.loc[~ev.strides["valid"], "ic_frame"].astype(int).tolist()
    ) if len(ev.strides) else set()
    for ax, side in zip(axes, ("l", "r"), strict=True):
        col = SIDE_COLOURS[side]
        heel = a[f"heel_y_{side}_leg"].to_numpy()
        toe = a[f"toe_y_{side}_leg"].to_numpy()
        base = np.nanmin(np.fmin(heel, toe)) if np.isfinite(np.fmin(heel, toe)).any() else 0.0
        ax.plot(t, heel - base, color=col, lw=1.2, label="heel height")
        ax.plot(t, toe - base, color=col, lw=1.0, ls="--", label="toe height")
        c = ev.contacts[ev.contacts["side"] == side]
        for row in c.itertuples():
            bad = int(row.ic_frame) in invalid_ic
            ax.axvspan(row.ic_time_s, row.to_time_s, color=col, alpha=0.12 if not bad else 0.05,
                       hatch="//" if bad else None, lw=0)
        ax.plot(c["ic_time_s"], np.zeros(len(c)), "v", color="k", ms=6, label="initial contact")
        ax.plot(c["to_time_s"], np.zeros(len(c)), "s", color="k", ms=4, mfc="white",
                label="toe-off")
        ax.plot(c["ms_time_s"], np.zeros(len(c)), "|", color="k", ms=10, label="midstance")
        ax2 = ax.twinx()
        rel = a[f"ankle_x_{side}_leg"].to_numpy() - a["pelvis_x_leg"].to_numpy()
        ax2.plot(t, rel, color="0.55", lw=0.7)
        ax2.set_ylabel("ankle - pelvis, forward (leg)", color="0.45", fontsize=8)
        ax2.tick_params(axis="y", labelsize=7, colors="0.45")
        limb = "" if near is None or kin.view != "side" else (
            " (near the camera)" if side == near else " (far from the camera)")
        ax.set_title(f"{names[side]} foot{limb}: {len(c)} contacts", fontsize=10, loc="left")
        ax.set_ylabel("height (leg lengths)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7, ncol=5, framealpha=0.8)
    axes[-1].set_xlabel("time (s)")
    s = result.summary()
    cad = "n/a" if not np.isfinite(s["cadence_spm"]) else f"{s['cadence_spm']:.1f} steps/min"
    status = "analysable" if result.analysable else f"NOT analysable: {result.reason}"
    fig.suptitle(
        f"{s['source']} - gait events ({s['view']} view, {s['fps']:.4g} fps): cadence {cad}, "
        f"{s['valid_strides']}/{s['strides']} strides valid; {status}",
        fontsize=9, wrap=True,
    )
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    return out


# ======================================================================================
# the runner's report
# ======================================================================================

#: A4 portrait, inches.
PAGE_SIZE_IN: tuple[float, float] = (8.27, 11.69)

#: Colours of the finding levels (colour-blind-safe hues; the word is always printed too).
LEVEL_COLOURS = {"ok": "#1a9850", "watch": "#e8a202", "flag": "#c0392b", "info": "#bdbdbd"}

_LEVEL_TINTS = {"ok": "#d3ebd9", "watch": "#fbe6b8", "flag": "#f4cdc8"}
_LEVEL_WORDS = {"ok": "OK", "watch": "WATCH", "flag": "FLAG", "info": "info"}
_BADGE_FG = {"ok": "white", "watch": "black", "flag": "white", "info": "black"}
_SIDE_WORDS = {"l": "left", "r": "right", "both": "both feet"}
_SIDE_MARKERS = {"l": "o", "r": "s", "both": "D"}
_BOTH_COLOUR = "0.2"
_MEASURE_COLOUR = "#ffd21f"
_GREY = "0.35"
_UNIT_WORDS = {"%leg": "% of leg length", "deg": "degrees", "ms": "ms", "%": "%",
               "steps/min": "steps/min", "score": "score"}
_UNIT_SHORT = {"%leg": " %leg", "deg": "°", "ms": " ms", "%": " %", "steps/min": " steps/min",
               "score": ""}

_EVENT_WORDS = {"ic": "at initial contact", "ms": "at midstance", "to": "at toe-off",
                "stance": "over the stance", "late stance": "in late stance",
                "stride": "over the stride"}

_W, _H = PAGE_SIZE_IN
_LEFT = 0.55                 # left margin, in
_RIGHT = _W - 0.5            # right edge of the content, in
_TEXT_W = _RIGHT - _LEFT     # content width, in
_TOP = 1.0                   # top of the content (below the page title), in from the top
_BOTTOM = _H - 0.62          # bottom of the content, in from the top
_BLOCK_GAP = 0.07            # space between flow blocks, in
_BADGE_W = 0.62              # room kept for a level badge before a line of text, in
_LINE_SPACING = 1.36         # line height / font size

#: The sentence printed at the foot of every page.
DISCLAIMER_LINE = ("gaitcheck describes what the video shows and what it is consistent with: "
                   "a screening aid, not a diagnosis or medical advice.")

#: Matplotlib settings used while a report is drawn (restored afterwards).
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "text.parse_math": False,
    "text.hinting": "no_hinting",  # Agg renders glyphs one by one; unhinted is ~25 % faster
    "pdf.compression": 6,
    "savefig.facecolor": "white",
}

#: Body landmarks used to frame the key-frame stills.
_FRAME_POINTS = (0, 7, 8, *range(11, 17), *range(23, 33))

_BONES: tuple[tuple[int, int, str], ...] = (
    (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, "c"), (LM.LEFT_HIP, LM.RIGHT_HIP, "c"),
    (LM.LEFT_SHOULDER, LM.LEFT_HIP, "l"), (LM.RIGHT_SHOULDER, LM.RIGHT_HIP, "r"),
    (LM.LEFT_SHOULDER, LM.LEFT_ELBOW, "l"), (LM.LEFT_ELBOW, LM.LEFT_WRIST, "l"),
    (LM.RIGHT_SHOULDER, LM.RIGHT_ELBOW, "r"), (LM.RIGHT_ELBOW, LM.RIGHT_WRIST, "r"),
    (LM.LEFT_HIP, LM.LEFT_KNEE, "l"), (LM.LEFT_KNEE, LM.LEFT_ANKLE, "l"),
    (LM.LEFT_ANKLE, LM.LEFT_HEEL, "l"), (LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX, "l"),
    (LM.LEFT_ANKLE, LM.LEFT_FOOT_INDEX, "l"),
    (LM.RIGHT_HIP, LM.RIGHT_KNEE, "r"), (LM.RIGHT_KNEE, LM.RIGHT_ANKLE, "r"),
    (LM.RIGHT_ANKLE, LM.RIGHT_HEEL, "r"), (LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX, "r"),
    (LM.RIGHT_ANKLE, LM.RIGHT_FOOT_INDEX, "r"),
    (LM.LEFT_EAR, LM.NOSE, "l"), (LM.RIGHT_EAR, LM.NOSE, "r"),
)  # fmt: skip

_SIDE_LM = {
    "l": {"hip": LM.LEFT_HIP, "knee": LM.LEFT_KNEE, "ankle": LM.LEFT_ANKLE,
          "heel": LM.LEFT_HEEL, "toe": LM.LEFT_FOOT_INDEX, "shoulder": LM.LEFT_SHOULDER},
    "r": {"hip": LM.RIGHT_HIP, "knee": LM.RIGHT_KNEE, "ankle": LM.RIGHT_ANKLE,
          "heel": LM.RIGHT_HEEL, "toe": LM.RIGHT_FOOT_INDEX, "shoulder": LM.RIGHT_SHOULDER},
}

#: Angle curves over the gait cycle: (column template, title, sign note).
_SIDE_CURVES = (
    ("hip_flex_{s}_deg", "Hip flexion (thigh vs vertical)", "+ = knee ahead of the hip"),
    ("knee_flex_{s}_deg", "Knee flexion", "+ = flexed, 0 = straight"),
    ("ankle_{s}_deg", "Ankle (foot vs shank, uncalibrated)", "+ = dorsiflexion"),
    ("trunk_lean_deg", "Trunk lean (whole body)", "+ = leaning forward"),
    ("shank_{s}_deg", "Shank angle (vs vertical)", "+ = ankle ahead of the knee"),
    ("foot_{s}_deg", "Foot angle (vs horizontal, uncalibrated)", "+ = toes up"),
)
_FRONTAL_CURVES = (
    ("hip_adduction_{s}_deg", "Hip adduction (thigh vs pelvis)", "+ = knee towards the midline"),
    ("femoral_adduction_{s}_deg", "Thigh vs vertical (frontal)", "+ = knee towards the midline"),
    ("pelvic_obliquity_deg", "Pelvic obliquity, stance-signed", "+ = swing side lower"),
)


# --------------------------------------------------------------------------------------
# small helpers


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _nanmedian(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def _fmt(v: Any, unit: str = "") -> str:
    """Format a marker value as printed (no unit)."""
    if not _finite(v):
        return "n/a"
    v = float(v)
    if unit == "ms":
        return f"{v:.0f}"
    if unit == "score":
        return f"{v:.2f}"
    if unit == "steps/min":
        return f"{v:.1f}"
    return f"{v:.1f}"


def _with_unit(v: Any, unit: str) -> str:
    return f"{_fmt(v, unit)}{_UNIT_SHORT.get(unit, ' ' + unit) if _finite(v) else ''}"


def _fy(y_in: float) -> float:
    """Figure fraction of a height given in inches from the top of the page."""
    return 1.0 - y_in / _H


def _fx(x_in: float) -> float:
    return x_in / _W


def _line_h(size: float) -> float:
    return size * _LINE_SPACING / 72.0


@lru_cache(maxsize=8192)
def _char_w(ch: str, bold: bool) -> float:
    """Advance width of a character at 10 pt, in points (DejaVu Sans)."""
    from matplotlib.font_manager import FontProperties, findfont, get_font
    from matplotlib.ft2font import LoadFlags

    font = get_font(findfont(FontProperties(family="DejaVu Sans",
                                            weight="bold" if bold else "normal")))
    font.set_size(10.0, 72)  # the font object is shared: set its size every time
    try:
        glyph = font.load_char(ord(ch), flags=LoadFlags.NO_HINTING)
    except (RuntimeError, ValueError):  # pragma: no cover - a glyph the font lacks
        return 6.0
    return glyph.linearHoriAdvance / 65536.0


def _text_w(text: str, size: float, bold: bool = False) -> float:
    """Width of a one-line text in inches (3 % margin for hinting and kerning)."""
    return 1.03 * sum(_char_w(c, bold) for c in text) * size / 10.0 / 72.0


def _wrap(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to a width in inches, measured with the font's advance widths."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        words = para.split()
        cur = ""
        for word in words:
            cand = f"{cur} {word}" if cur else word
            if _text_w(cand, size, bold) <= width_in:
                cur = cand
                continue
            if cur:
                lines.append(cur)
            while _text_w(word, size, bold) > width_in and len(word) > 1:  # very long token
                k = len(word)
                while k > 1 and _text_w(word[:k], size, bold) > width_in:
                    k -= 1
                lines.append(word[:k])
                word = word[k:]
            cur = word
        lines.append(cur)
    return lines


def _text(fig, x_in: float, y_in: float, s: str, *, size: float = 9.0, bold: bool = False,
          colour: str = "black", ha: str = "left", va: str = "top", **kw: Any):  # noqa: ANN202
    return fig.text(_fx(x_in), _fy(y_in), s, fontsize=size,
                    fontweight="bold" if bold else "normal", color=colour, ha=ha, va=va,
                    parse_math=False, **kw)


def _badge(fig, x_in: float, y_in: float, kind: str, *, size: float = 8.0) -> None:
    """Draw a level label in its colour, top-left at (x, y) inches; at most ``_BADGE_W`` wide."""
    _text(fig, x_in + 0.04, y_in + 0.015, _LEVEL_WORDS[kind], size=size, bold=True,
          colour=_BADGE_FG[kind],
          bbox={"boxstyle": "round,pad=0.22", "fc": LEVEL_COLOURS[kind], "ec": "none"})


def _badge_w(kind: str, size: float = 8.0) -> float:
    """Width of a level badge in inches (text plus the box's padding)."""
    return _text_w(_LEVEL_WORDS[kind], size, True) + 0.04 + 2 * 0.22 * size / 72


def _badge_kind(f: Any) -> str:
    """'info' for a finding on an informational band, else its level."""
    if f is None:
        return "info"
    if (f.band or {}).get("direction") == "info":
        return "info"
    return f.level if f.level in LEVEL_COLOURS else "info"


def _hrule(fig, y_in: float, *, colour: str = "0.75", lw: float = 0.6) -> None:
    from matplotlib.lines import Line2D

    fig.add_artist(Line2D([_fx(_LEFT), _fx(_RIGHT)], [_fy(y_in)] * 2, color=colour, lw=lw))


def _rect(fig, x_in: float, y_in: float, w_in: float, h_in: float, colour: str,
          **kw: Any) -> None:
    from matplotlib.patches import Rectangle

    fig.add_artist(Rectangle((_fx(x_in), _fy(y_in + h_in)), w_in / _W, h_in / _H,
                             transform=fig.transFigure, fc=colour, ec="none", zorder=0, **kw))


def _axes_in(fig, x_in: float, y_in: float, w_in: float, h_in: float):  # noqa: ANN202
    """Axes placed in inches, (x, y) its top-left corner measured from the page's top-left."""
    return fig.add_axes((_fx(x_in), _fy(y_in + h_in), w_in / _W, h_in / _H))


def _zones(band: dict) -> list[tuple[float, float, str]]:
    """Band zones (lo, hi, level) on the marker's axis, from the dead-band-shifted thresholds."""
    d = (band or {}).get("direction")
    w, f = (band or {}).get("effective_watch"), (band or {}).get("effective_flag")
    inf = math.inf
    try:
        if d == "high":
            return [(-inf, float(w), "ok"), (float(w), float(f), "watch"), (float(f), inf, "flag")]
        if d == "low":
            return [(-inf, float(f), "flag"), (float(f), float(w), "watch"), (float(w), inf, "ok")]
        if d == "both":
            return [(-inf, float(f[0]), "flag"), (float(f[0]), float(w[0]), "watch"),
                    (float(w[0]), float(w[1]), "ok"), (float(w[1]), float(f[1]), "watch"),
                    (float(f[1]), inf, "flag")]
    except (TypeError, ValueError, IndexError):
        return []
    return []


def _thresholds(band: dict) -> list[float]:
    out: list[float] = []
    for key in ("effective_flag", "effective_watch"):
        t = (band or {}).get(key)
        for v in (t if isinstance(t, list | tuple) else [t]):
            if _finite(v):
                out.append(float(v))
    return sorted(set(out))


# --------------------------------------------------------------------------------------
# video frames


def read_frames(path: str | os.PathLike[str], indices: Iterable[int], *,
                times_s: Iterable[float] | None = None) -> dict[int, np.ndarray]:
    """Decode a few frames of a video by index, without decoding the whole clip.

    Frames are counted in decoding order, as :func:`gaitcheck.video.iter_frames` counts
    them (the index of the pose stage), and only the requested ones are converted to RGB.
    With ``times_s`` the reader seeks to the key frame before each requested frame and
    decodes forward to it, checking that the frame it lands on has the expected time;
    if any check fails (variable or broken timestamps) it falls back to one forward pass
    from the start, which stops after the last requested frame.

    Parameters
    ----------
    path : path-like
        The video.
    indices : iterable of int
        0-based frame indices.
    times_s : iterable of float, optional
        The frames' presentation times in seconds from the first frame, in the file's own
        time base (as ``iter_frames`` gives them), one per index.

    Returns
    -------
    dict of int to ndarray
        Upright, C-contiguous RGB frames by index; indices past the end are missing.

    Raises
    ------
    gaitcheck.errors.VideoError
        When the file cannot be opened as a video.
    """
    idx = [int(i) for i in indices]
    if times_s is not None:
        times = [float(t) for t in times_s]
        if len(times) == len(idx) and all(math.isfinite(t) for t in times):
            got = _read_frames_seek(Path(path), dict(zip(idx, times, strict=True)))
            if got is not None:
                return got
    return _read_frames_forward(Path(path), idx)


def _to_rgb(frame) -> np.ndarray:  # noqa: ANN001 - an av.VideoFrame
    from .video import _rotation_of

    rgb = frame.to_ndarray(format="rgb24")
    rot = _rotation_of(frame)
    if rot:
        rgb = np.rot90(rgb, k=rot // 90)
    return np.ascontiguousarray(rgb)


def _read_frames_forward(path: Path, indices: list[int]) -> dict[int, np.ndarray]:
    import av

    from .video import _open

    wanted = sorted({i for i in indices if i >= 0})
    out: dict[int, np.ndarray] = {}
    if not wanted:
        return out
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        want = set(wanted)
        for i, frame in enumerate(container.decode(stream)):
            if i in want:
                out[i] = _to_rgb(frame)
            if i >= wanted[-1]:
                break
    except (av.error.FFmpegError, OSError):
        pass  # a damaged tail: keep what was decoded
    finally:
        container.close()
    return out


def _read_frames_seek(path: Path, targets: dict[int, float]) -> dict[int, np.ndarray] | None:
    """Seek-and-decode; None when a frame's time does not match (then decode forward)."""
    import av

    from .video import _fps_of, _open

    container = _open(path)
    out: dict[int, np.ndarray] = {}
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.time_base is None:
            return None
        tb = float(stream.time_base)
        half = 0.5 / _fps_of(stream)
        decoder = container.decode(stream)
        first = next(decoder, None)
        if first is None or first.pts is None:
            return None
        t0 = first.pts * tb
        pos = 0.0  # time of the last decoded frame, from the first frame
        for i, t in sorted(targets.items(), key=lambda kv: kv[1]):
            if i == 0:
                out[i] = _to_rgb(first)
                continue
            if not (pos < t - half and t - pos < 2.0):  # far or behind: seek
                container.seek(int((t0 + t) / tb), stream=stream, backward=True)
                decoder = container.decode(stream)
            frame = None
            for cand in decoder:
                if cand.pts is None:
                    return None
                pos = cand.pts * tb - t0
                if pos >= t - half:
                    frame = cand
                    break
            if frame is None or abs(pos - t) > half:
                return None
            out[i] = _to_rgb(frame)
    except (av.error.FFmpegError, OSError, StopIteration):
        return None
    finally:
        container.close()
    return out


# --------------------------------------------------------------------------------------
# what the report is drawn from


@dataclass
class _Row:
    """One scorecard row."""

    marker: str
    label: str
    unit: str
    values: dict[str, float]             # side -> median
    iqr: dict[str, tuple[float, float]]  # side -> (q1, q3)
    n: dict[str, int]
    findings: dict[str, Any]             # side -> Finding
    whole: bool                          # judged once for the whole clip (cadence, composite)
    asym: float = math.nan
    asym_finding: Any = None
    band: dict = field(default_factory=dict)
    evidence: str = ""


@dataclass
class _Ctx:
    result: Any
    runner: str | None
    video: Path | None
    summary: dict
    findings: dict[tuple[str, str], Any]
    rows: list[_Row]
    unmeasurable: list[tuple[str, str]]
    analysed: str
    rendered: str

    @property
    def analysable(self) -> bool:
        r = self.result
        return bool(r.analysable) and r.markers is not None and r.marker_summary is not None

    @property
    def clip(self) -> str:
        return str(self.summary.get("source") or "clip")

    @property
    def who(self) -> str:
        return self.runner or "runner not named"


def _context(result: Any, runner: str | None, video: str | os.PathLike[str] | None) -> _Ctx:
    s = result.summary()
    prov = result.provenance or {}
    vid = video if video is not None else prov.get("video")
    findings = {(f.marker, f.side): f for f in result.findings}
    created = str(prov.get("created_utc") or "")
    analysed = created[:10] if created else "unknown"
    rendered = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    rows, unmeasurable = _score_rows(result, findings)
    return _Ctx(result=result, runner=(str(runner).strip() or None) if runner else None,
                video=Path(vid) if vid else None, summary=s, findings=findings, rows=rows,
                unmeasurable=unmeasurable, analysed=analysed, rendered=rendered)


def _score_rows(result: Any, findings: dict) -> tuple[list[_Row], list[tuple[str, str]]]:
    from .markers import MARKERS

    summ = result.marker_summary
    rows: list[_Row] = []
    unmeasurable: list[tuple[str, str]] = []
    if summ is None or result.markers is None:
        return rows, unmeasurable

    def get(marker: str, side: str, col: str) -> Any:
        key = (marker, side)
        return summ.loc[key, col] if key in summ.index else None

    for name, spec in MARKERS.items():
        meas = {sd: bool(get(name, sd, "measurable")) for sd in ("l", "r", "both")}
        if not any(meas.values()):
            reason = str(get(name, "l", "reason") or get(name, "both", "reason") or "")
            unmeasurable.append((spec.label, reason))
            continue
        whole = (name, "both") in findings and not ((name, "l") in findings
                                                     or (name, "r") in findings)
        sides = ("both",) if whole else ("l", "r")
        vals = {sd: float(get(name, sd, "median")) for sd in ("l", "r", "both")
                if _finite(get(name, sd, "median"))}
        iqr = {sd: (float(get(name, sd, "q1")), float(get(name, sd, "q3")))
               for sd in ("l", "r", "both") if _finite(get(name, sd, "q1"))}
        n = {sd: int(get(name, sd, "n_strides") or 0) for sd in ("l", "r", "both")}
        fs = {sd: findings.get((name, sd)) for sd in sides if (name, sd) in findings}
        band = next((f.band for f in fs.values() if f.band), {})
        akey = f"{name}_asymmetry_pct"
        rows.append(_Row(
            marker=name, label=spec.label, unit=spec.unit, values=vals, iqr=iqr, n=n,
            findings=fs, whole=whole,
            asym=float(get(akey, "both", "median")) if _finite(get(akey, "both", "median"))
            else math.nan,
            asym_finding=findings.get((akey, "both")), band=band,
            evidence=str(band.get("evidence", "")) if band else "",
        ))
    pod = [f for (m, _), f in findings.items() if m == "push_off_deficit"]
    if pod:
        f = pod[0]
        rows.append(_Row(marker="push_off_deficit", label="Push-off deficit (composite)",
            unit="score",
            values={f.side: float(f.value)}, iqr={}, n={}, findings={f.side: f}, whole=True,
            band=f.band or {}, evidence=f.evidence))
    return rows, unmeasurable


# --------------------------------------------------------------------------------------
# flowing text (findings, drills, methods)


@dataclass
class _Line:
    text: str
    size: float = 9.0
    bold: bool = False
    colour: str = "black"
    indent: float = 0.0
    badge: str | None = None
    space_before: float = 0.0
    label: str | None = None   # bold label drawn at ``label_x`` before the text
    label_x: float = 0.0

    @property
    def height(self) -> float:
        return self.space_before + _line_h(self.size)


@dataclass
class _Block:
    lines: list[_Line]
    section: str
    new_page: bool = False
    keep_with_next: bool = False
    min_space: float = 0.0  # start a new page unless this much room (in) is left

    @property
    def height(self) -> float:
        return sum(ln.height for ln in self.lines)


def _para(text: str, *, size: float = 9.0, bold: bool = False, colour: str = "black",
          indent: float = 0.0, badge: str | None = None, space_before: float = 0.0,
          first_indent: float | None = None) -> list[_Line]:
    """Wrap a paragraph into lines; a badge sits before the first line (hanging indent)."""
    x = indent + (_BADGE_W if badge else 0.0)
    width = _TEXT_W - x
    lines = _wrap(text, width, size, bold)
    out = [_Line(t, size, bold, colour, x, None, 0.0) for t in lines]
    if out:
        out[0].badge = badge
        out[0].space_before = space_before
    return out


def _field(label: str, text: str, *, size: float = 8.5, indent: float = 0.22,
           label_w: float = 0.72, colour: str = "black") -> list[_Line]:
    """Wrap a paragraph with a bold label in a column to its left (hanging indent)."""
    lines = _para(text, size=size, indent=indent + label_w, colour=colour)
    if lines:
        lines[0].label, lines[0].label_x = label, indent
    return lines


def _bullets(items: Iterable[str], *, size: float = 8.5, indent: float = 0.2) -> list[_Line]:
    out: list[_Line] = []
    for item in items:
        lines = _wrap(item, _TEXT_W - indent - 0.16, size)
        for k, t in enumerate(lines):
            out.append(_Line(("•  " if k == 0 else "") + t, size, indent=indent + (
                0.0 if k == 0 else 0.16)))
    return out


def _heading(text: str, section: str, *, new_page: bool = False, size: float = 12.0,
             space_before: float = 0.08) -> _Block:
    return _Block([_Line(text, size, True, "black", 0.0, None, space_before)], section,
                  new_page=new_page, keep_with_next=True)


def _paginate(blocks: Sequence[_Block], avail: float) -> list[list[_Block]]:
    """Lay blocks onto pages: headings stay with what follows, tall blocks are split."""
    merged: list[_Block] = []
    pending: _Block | None = None
    for b in blocks:
        if pending is not None:
            b = _Block(pending.lines + b.lines, pending.section, pending.new_page or b.new_page,
                       b.keep_with_next, max(pending.min_space, b.min_space))
            pending = None
        if b.keep_with_next:
            pending = b
            continue
        merged.append(b)
    if pending is not None:
        merged.append(pending)
    split: list[_Block] = []
    for b in merged:
        if b.height <= avail:
            split.append(b)
            continue
        b.min_space = 0.0
        chunk: list[_Line] = []
        first = True
        for ln in b.lines:
            if chunk and sum(x.height for x in chunk) + ln.height > avail:
                split.append(_Block(chunk, b.section, b.new_page and first))
                chunk, first = [], False
            chunk.append(ln)
        if chunk:
            split.append(_Block(chunk, b.section, b.new_page and first))
    pages: list[list[_Block]] = []
    used = 0.0
    for b in split:
        if not pages or (pages[-1] and (b.new_page or used + b.height > avail
                                        or avail - used < b.min_space)):
            pages.append([])
            used = 0.0
        pages[-1].append(b)
        used += b.height + _BLOCK_GAP
    return [p for p in pages if p]


def _flow_titles(pages: list[list[_Block]]) -> list[str]:
    titles: list[str] = []
    seen: set[str] = set()
    for page in pages:
        names: list[str] = []
        for b in page:
            if b.section not in names:
                names.append(b.section)
        title = " · ".join(names)
        if names[0] in seen:
            title = f"{names[0]} (continued)" + ("".join(f" · {n}" for n in names[1:]))
        seen.update(names)
        titles.append(title)
    return titles


def _draw_flow(fig, blocks: list[_Block]) -> None:
    y = _TOP
    for b in blocks:
        for ln in b.lines:
            y += ln.space_before
            if ln.badge:
                _badge(fig, _LEFT + ln.indent - _BADGE_W, y + 0.005, ln.badge,
                       size=min(ln.size, 8.0))
            if ln.label:
                _text(fig, _LEFT + ln.label_x, y, ln.label, size=ln.size, bold=True,
                      colour=ln.colour)
            if ln.text:
                _text(fig, _LEFT + ln.indent, y, ln.text, size=ln.size, bold=ln.bold,
                      colour=ln.colour)
            y += _line_h(ln.size)
        y += _BLOCK_GAP


# --------------------------------------------------------------------------------------
# text of the findings, drill plan and methods


def _sentences(text: str) -> list[str]:
    return [x for x in re.split(r"(?<=[.;])\s+", str(text).strip()) if x]


def _side_value(f: Any) -> str:
    """'left 29.6 %leg', or '168.9 steps/min (both feet)' for a whole-clip value."""
    if f.side in ("l", "r"):
        return f"{_SIDE_WORDS[f.side]} {_with_unit(f.value, f.unit)}"
    return f"{_with_unit(f.value, f.unit)} ({_SIDE_WORDS.get(f.side, f.side)})"


def _findings_blocks(ctx: _Ctx) -> list[_Block]:
    from .findings import ASYMMETRY_SUFFIX, MARKER_LABELS

    sec = "Findings"
    blocks = [_heading("What the video shows", sec),
              _Block(_para(
                  "Each marker is the median over the valid strides of each side, judged "
                  "against a band: OK = within the usual band, WATCH = slightly outside, "
                  "FLAG = well outside (each threshold already includes the measurement "
                  "margin). 'Strength of evidence' says how strong the research behind the "
                  "band is (strong, moderate, limited, expert opinion); 'confidence' says how "
                  "well this video shows the marker (view, frame rate, visibility, number of "
                  "strides), from 0 to 1. A finding says what the movement is consistent with, "
                  "never what causes pain.", size=8.5, colour=_GREY), sec, keep_with_next=True)]
    notable = [f for f in ctx.result.findings if f.level in ("flag", "watch")
               and _badge_kind(f) != "info"]
    if not notable:
        blocks.append(_Block(_para("Nothing was flagged or marked for watching: every judged "
                                   "marker is within its usual band.", size=9.5, bold=True),
                             sec))
    groups: dict[tuple[str, str], list[Any]] = {}
    for f in notable:  # the left and right findings of a marker at one level, together
        groups.setdefault((f.marker, _badge_kind(f)), []).append(f)
    for (marker, kind), fs in groups.items():
        first = fs[0]
        title = (f"{MARKER_LABELS.get(marker, marker)}: "
                 + ", ".join(_side_value(f) for f in fs))
        lines = _para(title, size=10.0, bold=True, badge=kind, space_before=0.04)

        def per_side(key: str, fs: list[Any] = fs) -> str:
            vals = [(f.side, (f.band or {}).get(key) if key == "n_strides" else f.confidence)
                    for f in fs]
            if len(vals) == 1:
                return _fmt(vals[0][1], "score") if key != "n_strides" else str(vals[0][1])
            return ", ".join(f"{_SIDE_WORDS.get(sd, sd)} "
                             f"{_fmt(v, 'score') if key != 'n_strides' else v}"
                             for sd, v in vals)

        meta = (f"Strength of evidence: {first.evidence} (threshold: "
                f"{(first.band or {}).get('basis', 'n/a')}) · confidence in the measurement "
                f"{per_side('confidence')}")
        if all((f.band or {}).get("n_strides") for f in fs):
            meta += f" · strides {per_side('n_strides')}"
        lines += _para(meta, size=8.5, colour=_GREY, indent=_BADGE_W)
        lines += _para(first.text, size=9.0, indent=_BADGE_W)
        said = set(_sentences(first.text))
        for f in fs[1:]:  # what the other side's text adds (its own value is in the title)
            extra = [x for x in _sentences(f.text)[1:] if x not in said]
            if extra:
                lines += _para(f"{_SIDE_WORDS.get(f.side, f.side).capitalize()}: "
                               + " ".join(extra), size=9.0, indent=_BADGE_W)
        refs = list(dict.fromkeys(r for f in fs for r in f.references))
        if refs:
            lines += _para("References: " + "; ".join(refs), size=8.0, colour=_GREY,
                           indent=_BADGE_W)
        blocks.append(_Block(lines, sec))

    # the rest, one line per marker
    rest: dict[str, list[Any]] = {}
    for f in ctx.result.findings:
        if f in notable or f.marker.endswith(ASYMMETRY_SUFFIX):
            continue
        rest.setdefault(f.marker, []).append(f)
    if rest:
        blocks.append(_heading("Within the usual band, or shown for information", sec,
                               size=10.5, space_before=0.1))
        order = {m: i for i, m in enumerate(MARKER_LABELS)}
        for marker in sorted(rest, key=lambda m: order.get(m, 999)):
            fs = sorted(rest[marker], key=lambda f: {"l": 0, "r": 1}.get(f.side, 2))
            vals = ", ".join(_side_value(f) for f in fs)
            kind = "info" if all(_badge_kind(f) == "info" for f in fs) else fs[0].level
            text = f"{MARKER_LABELS.get(marker, marker)}: {vals} (evidence: {fs[0].evidence})"
            lines = _para(text, size=8.5, badge=kind)
            limit = (fs[0].band or {}).get("limit")
            if limit:  # a limit of the measurement matters most when nothing was found
                lines += _para(limit, size=8.0, colour=_GREY, indent=_BADGE_W)
            blocks.append(_Block(lines, sec))
    asym = [f for f in ctx.result.findings if f.marker.endswith(ASYMMETRY_SUFFIX)
            and f not in notable]
    if asym:
        parts = [f"{MARKER_LABELS.get(f.marker[:-len(ASYMMETRY_SUFFIX)], f.marker)} "
                 f"{_fmt(f.value, '%')} %" for f in asym]
        blocks.append(_Block(_para(
            "Left-right differences (|left - right| / mean x 100; small differences are "
            "normal and were not linked to injury): " + "; ".join(parts) + ".",
            size=8.5, colour=_GREY, space_before=0.04), sec))
    return blocks


#: The drill plan's own "Answers <marker> (<sides>)." sentences, shown as a field instead.
_ANSWERS_RE = re.compile(r"Answers [^.]*?\((?:left|right|both)[^)]*\)\.\s*")


def _answers(rec: Any) -> str:
    from .findings import MARKER_LABELS

    if not rec.because:
        return "no finding (part of a short maintenance plan)."
    by: dict[str, list[str]] = {}
    for f in rec.because:
        by.setdefault(f.marker, []).append(f"{_side_value(f)} ({_LEVEL_WORDS[_badge_kind(f)]})")
    return "; ".join(f"{MARKER_LABELS.get(m, m)}: {', '.join(v)}" for m, v in by.items()) + "."


def _why(why: str, number: int, shown: dict[str, int]) -> str:
    """Shorten a drill's 'why' for the plan.

    The "Answers ..." sentences go (the plan shows them as a field), and the article's
    reasoning about a finding is printed only with the first drill that gives it.
    """
    m = re.search(r"\bThis drill \(article [^)]*\):", why)
    head, tail = (why[:m.start()], why[m.start():]) if m else (why, "")
    parts = []
    earlier: list[int] = []
    for chunk in _ANSWERS_RE.split(head):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk in shown:
            earlier.append(shown[chunk])
            continue
        shown[chunk] = number
        parts.append(chunk)
    if earlier:
        nums = ", ".join(str(n) for n in sorted(set(earlier)))
        parts.insert(0, f"(The article's reasoning about the finding: see drill {nums}.)")
    return " ".join(parts + ([tail.strip()] if tail.strip() else [])).strip()


def _drill_blocks(ctx: _Ctx) -> list[_Block]:
    sec = "Drill plan"
    recs = sorted(ctx.result.recommendations, key=lambda r: r.priority)
    blocks = [_heading("Drill plan", sec, space_before=0.12),
              _Block(_para(
                  "Drills prescribed by the five source articles (coaches' and clinicians' "
                  "articles on plantar fasciitis), ranked, each with the finding it answers "
                  "and the article it comes from; the cues are gaitcheck's own words. These "
                  "are training suggestions, not treatment: stop a drill that causes pain, and "
                  "see a clinician for pain that persists.", size=8.5, colour=_GREY), sec,
                  keep_with_next=True, min_space=5.0)]
    if not recs:
        blocks.append(_Block(_para("No drill is suggested for this clip.", size=9.5), sec))
    shown: dict[str, int] = {}
    for r in recs:
        lines = _para(f"{r.priority}. {r.name}", size=10.5, bold=True, space_before=0.05)
        lines += _field("Answers", _answers(r), size=8.5)
        lines += _field("Dose", r.dose or "none given in the article; start easy and build "
                                          "up gradually.", size=8.5)
        if r.phase:
            lines += _field("Phase", r.phase, size=8.5)
        if r.cues:
            cues = _bullets(r.cues, size=8.5, indent=0.22 + 0.72)
            cues[0].label, cues[0].label_x = "Cues", 0.22
            lines += cues
        why = _why(r.why or "", r.priority, shown)
        if why:
            lines += _field("Why", why, size=8.5, colour="0.15")
        if r.source:
            lines += _field("Source", f"article {r.source}", size=8.0, colour=_GREY)
        blocks.append(_Block(lines, sec))
    return blocks


def _methods_blocks(ctx: _Ctx) -> list[_Block]:
    from .markers import MARKERS

    res = ctx.result
    s = ctx.summary
    kin = res.kinematics
    info = kin.info or {}
    sec = "Methods and limitations"
    fps = float(s.get("fps") or kin.fps)
    frame_ms = 1000.0 / fps
    near = s.get("near_side")
    far = {"l": "r", "r": "l"}.get(near or "", None)
    blocks: list[_Block] = [
        _heading("Not a diagnosis", sec, new_page=True, size=11.5, space_before=0.0),
        _Block(_para(
            "This report describes what one video shows (the positions and angles of the body "
            "that the camera sees) and what they are consistent with according to the cited "
            "research, with the strength of that evidence. It is not a diagnosis and not "
            "medical advice: it cannot tell what causes pain. Pain that is severe, gets worse "
            "with the drills, or comes with swelling, numbness or tingling needs a clinician. "
            "Most bands are heuristics: published cut-offs of running kinematics that predict "
            "injury largely do not exist (Souza 2016).", size=9.0), sec),
    ]
    cfg = res.config
    model = s.get("model") or "?"
    leg = s.get("leg_length_px")
    how = (
        f"Pose: MediaPipe Pose Landmarker ('{model}' model), one person, every frame. "
        f"Cleaning: landmarks below visibility {getattr(cfg, 'min_visibility', 0.3):g} "
        "dropped, left/right label swaps corrected, outliers removed (Hampel filter), gaps up "
        f"to {info.get('max_gap_frames', '?')} frames filled, zero-lag low-pass filter at "
        f"{getattr(cfg, 'cutoff_hz', 10.0):g} Hz. Scale: the leg length (hip to knee plus knee "
        f"to ankle, median {_fmt(leg)} px); lengths are in % of leg length"
        + ("; metres from the height given" if getattr(cfg, "height_cm", None) else "")
        + ". Events: initial contact and toe-off from each foot's height above its floor and "
        "its speed relative to the pelvis, interpolated between frames; midstance is the "
        "middle of the contact. A stride runs from one initial contact to the next of the same "
        "foot; strides with broken left/right alternation, an unusual duration or missing "
        "foot points are left out. Each marker is the median of the valid strides of a side; "
        "its level comes from the band, whose thresholds are moved by a measurement margin "
        "(dead band) towards leniency.")
    blocks += [_heading("How it was measured", sec, size=10.5), _Block(_para(how, size=8.5), sec)]

    gct = res.marker_summary.loc[("ground_contact_time_ms", "both"), "median"] if (
        res.marker_summary is not None
        and ("ground_contact_time_ms", "both") in res.marker_summary.index) else math.nan
    cap = (res.landmarks.info or {}).get("capture_fps")
    timing = (
        f"At {fps:.4g} fps one frame lasts {frame_ms:.1f} ms"
        + (f" (slow-motion clip filmed at {cap:g} fps; times rescaled from the file's "
           f"{float(s.get('file_fps') or fps):.4g} fps)" if cap else "")
        + ". Initial contact and toe-off are interpolated between frames, but each event "
        f"remains uncertain by about half a frame to a frame ({frame_ms / 2:.0f}-"
        f"{frame_ms:.0f} ms), so ground contact time"
        + (f" ({_fmt(gct, 'ms')} ms here)" if _finite(gct) else "")
        + " and flight time carry an error of that order per step; the median over strides "
        "reduces the random part only. Pose models add 10-14 ms (Young et al. 2023). "
        + ("The contact rules were validated with the 'full' pose model; with 'heavy', used "
           "here, toe-offs came a median 22 ms late on gaitcheck's hand-labelled clip, so "
           "contact times read long. " if model == "heavy" else "")
        + ("Film at 120-240 fps for reliable timing markers; their confidence is scaled by "
           "fps / 60." if fps < 100 else "This frame rate is adequate for the timing markers."))
    blocks += [_heading(f"Timing resolution at {fps:.4g} fps", sec, size=10.5),
               _Block(_para(timing, size=8.5), sec)]

    lim = [
        "Angles and distances are measured in the image plane. They are right only when the "
        "camera is level, at about hip height and square to the running direction; a camera "
        "at an angle shortens distances and distorts angles. A side view shows the sagittal "
        "markers only, a rear or front view the frontal ones.",
        ("In a side view the far leg is partly hidden behind the near one: its landmarks are "
         "less accurate and its markers carry a lower confidence"
         + (f" (here the far leg is the {_SIDE_WORDS[far]})." if far else "."))
        if s.get("view") == "side" else
        ("In a rear or front view the legs pass in front of each other around midstance, "
         "where a landmark of one leg can be taken for the other; foot placement and step "
         "width are read at initial contacts, not while the legs pass."),
        "Pose estimation errs by several degrees in a single frame (hip 5-6°, knee about "
        "8° RMSE, Van Hooren et al. 2023); the median over strides averages out the random "
        "part, not a systematic one.",
        ("Foot and ankle angles are not corrected for the standing foot angle (no standing "
         "trial); the mid-hip stands in for the centre of mass." if s.get("view") == "side"
         else "The mid-hip stands in for the centre of mass and the body midline."),
        "Rotation of the thigh or shank, foot pronation and forces cannot be seen in 2D; loose "
        "clothing, poor light and motion blur degrade the landmarks.",
        "One clip shows one session at one speed; form changes with speed, fatigue, shoes and "
        "surface (treadmill or overground).",
    ]
    blocks += [_heading("Limits of a 2D video", sec, size=10.5),
               _Block(_bullets(lim, size=8.5, indent=0.05), sec)]

    blocks.append(_heading("Definitions", sec, size=10.5))
    blocks.append(_Block(_para(
        "Levels: OK = within the band, WATCH = beyond the watch threshold, FLAG = beyond the "
        "flag threshold; 'info' = shown without a band. Strength of evidence: strong, "
        "moderate, limited or expert opinion. %leg = percentage of the runner's leg length. "
        "IC = initial contact, MS = midstance, TO = toe-off.", size=8.5), sec))
    for row in ctx.rows:
        spec = MARKERS.get(row.marker)
        if spec is None:
            params = (row.band or {}).get("params") or {}
            text = ("A composite from the per-side medians: for one side, the smaller of its "
                    "hip-extension shortfall against the other side (in units of "
                    f"{params.get('hip_gap_deg', 5):g}°) and the other leg's extra heel reach "
                    f"at contact (in units of {params.get('overstride_gap_pct_leg', 3):g} %leg); "
                    "0 when either is absent, 1 when both reach one unit.")
            lines = _para(f"{row.label} (score)", size=8.5, bold=True)
        else:
            text = f"{spec.definition} Sign: {spec.sign}."
            lines = _para(f"{spec.label} ({_UNIT_WORDS.get(spec.unit, spec.unit)}; "
                          f"{_EVENT_WORDS.get(spec.event, spec.event)})", size=8.5, bold=True)
        lines += _para(text, size=8.0, indent=0.18, colour="0.15")
        blocks.append(_Block(lines, sec))
    if ctx.unmeasurable:
        names = ", ".join(lab for lab, _ in ctx.unmeasurable)
        blocks.append(_Block(_para(f"Not measurable from this {s.get('view')} view: {names}.",
                                   size=8.5, colour=_GREY), sec))

    prov = res.provenance or {}
    pv = [f"gaitcheck {prov.get('gaitcheck') or '?'}", f"mediapipe {prov.get('mediapipe') or '?'}",
          f"numpy {prov.get('numpy') or '?'}", f"Python {prov.get('python') or '?'}"]
    ptxt = (f"Clip: {prov.get('video') or ctx.clip}"
            + (f" (SHA-256 {str(prov['video_sha256'])[:16]}...)" if prov.get("video_sha256")
               else "")
            + f". Analysed {prov.get('created_utc') or 'n/a'}; report drawn {ctx.rendered} "
            f"from the saved result. Versions: {', '.join(pv)}. Settings: low-pass "
            f"{getattr(cfg, 'cutoff_hz', 10.0):g} Hz, min. visibility "
            f"{getattr(cfg, 'min_visibility', 0.3):g}"
            + (f", capture fps {cap:g}" if cap else "")
            + (f", height {cfg.height_cm:g} cm" if getattr(cfg, "height_cm", None) else "")
            + (f", bands file {cfg.bands_path}" if getattr(cfg, "bands_path", None) else "")
            + ".")
    blocks += [_heading("Provenance", sec, size=10.5),
               _Block(_para(ptxt, size=8.0, colour=_GREY), sec)]
    return blocks


# --------------------------------------------------------------------------------------
# page plan


@dataclass
class _Page:
    title: str
    draw: Callable[[Any, _Ctx], None]


def _plan(ctx: _Ctx) -> list[_Page]:
    avail = _BOTTOM - _TOP
    pages = [_Page("Summary and scorecard" if ctx.analysable else "Summary", _draw_summary)]
    flow: list[_Block] = []
    if ctx.analysable:
        pages.append(_Page("Key frames of a representative stride", _draw_keyframes))
        pages.append(_Page("Joint angles over the gait cycle", _draw_curves))
        markers = _stride_markers(ctx)
        per_page = 18
        chunks = [markers[i:i + per_page] for i in range(0, len(markers), per_page)]
        for k, chunk in enumerate(chunks):
            title = "Markers stride by stride" + (" (continued)" if k else "")
            pages.append(_Page(title, lambda fig, c, chunk=chunk: _draw_strides(fig, c, chunk)))
        flow += _findings_blocks(ctx) + _drill_blocks(ctx)
    methods = _methods_blocks(ctx)
    for blocks in (flow, methods):
        if not blocks:
            continue
        laid = _paginate(blocks, avail)
        for title, page_blocks in zip(_flow_titles(laid), laid, strict=True):
            first = page_blocks[0]
            if first.lines and first.lines[0].text == title:  # the page title says it
                page_blocks = [replace(first, lines=first.lines[1:]), *page_blocks[1:]]
            pages.append(_Page(title, lambda fig, c, b=page_blocks: _draw_flow(fig, b)))
    return pages


def report_pages(result: Any, *, runner: str | None = None) -> list[str]:
    """Return the titles of the pages :func:`render_report` draws for a result, in order.

    Nothing is drawn and no video is read; the count depends on the number of findings
    and drills (their text is laid out the same way as in the report).

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis.
    runner : str, optional
        Runner's name or id (as given to :func:`render_report`).

    Returns
    -------
    list of str
        One title per page.
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        return [p.title for p in _plan(_context(result, runner, None))]


def _new_page(ctx: _Ctx, title: str, number: int, total: int):  # noqa: ANN202
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=PAGE_SIZE_IN, dpi=100)
    FigureCanvasAgg(fig)
    head = f"gaitcheck running-form report · {ctx.who} · {ctx.clip}"
    head = _wrap(head, _TEXT_W - 1.0, 8.0)[0]
    _text(fig, _LEFT, 0.32, head, size=8.0, colour=_GREY)
    _text(fig, _RIGHT, 0.32, f"page {number} of {total}", size=8.0, colour=_GREY, ha="right")
    _text(fig, _LEFT, 0.52, title, size=14.0, bold=True)
    _hrule(fig, 0.86, colour="0.6", lw=0.8)
    _hrule(fig, _H - 0.5, colour="0.8")
    for k, line in enumerate(_wrap(DISCLAIMER_LINE, _TEXT_W, 8.0)):
        _text(fig, _W / 2, _H - 0.45 + k * _line_h(8.0), line, size=8.0, colour=_GREY,
              ha="center")
    return fig


# --------------------------------------------------------------------------------------
# page 1: summary and scorecard


def _header_items(ctx: _Ctx) -> list[tuple[str, str]]:
    s = ctx.summary
    res = ctx.result
    prov = res.provenance or {}
    fps = float(s.get("fps") or res.kinematics.fps)
    cap = (res.landmarks.info or {}).get("capture_fps")
    fps_txt = f"{fps:.4g} fps (one frame = {1000 / fps:.1f} ms)"
    if cap:
        fps_txt += (f"; slow-motion clip filmed at {cap:g} fps, file plays at "
                    f"{float(s.get('file_fps') or fps):.4g} fps")
    view = str(s.get("view"))
    view_txt = f"{view} (confidence {_fmt(s.get('view_confidence'), 'score')})"
    d = s.get("direction")
    if view == "side" and d in (1, -1):
        view_txt += f", running towards the image {'right' if d == 1 else 'left'}"
    side = s.get("valid_strides_per_side") or {}
    strides = (f"{s.get('valid_strides', 0)} valid of {s.get('strides', 0)} strides "
               f"(left {side.get('l', 0)}, right {side.get('r', 0)})")
    if _finite(s.get("cadence_spm")):
        strides += (f"; cadence over all contacts {_fmt(s['cadence_spm'], 'steps/min')} "
                    "steps/min")
    if any(int(side.get(k, 0)) < 6 for k in ("l", "r")):
        strides += "; fewer than 6 strides on a side: weak estimates"
    near = s.get("near_side")
    if view == "side" and near in ("l", "r"):
        limb = (f"near limb {_SIDE_WORDS[near]}, far limb "
                f"{_SIDE_WORDS['r' if near == 'l' else 'l']} (partly hidden, lower confidence)")
    else:
        limb = "near/far limb: n/a in this view"
    swaps = s.get("swap_frames_corrected")
    quality = (f"pose found in {100 * float(s.get('pose_share') or 0):.0f} % of frames; "
               f"{swaps if swaps is not None else 'n/a'} frame(s) with swapped leg labels "
               f"corrected; {s.get('contacts_relabelled') or 0} contact(s) relabelled; {limb}")
    model = f"MediaPipe Pose Landmarker, '{s.get('model')}' model"
    if prov.get("mediapipe"):
        model += f" (mediapipe {prov['mediapipe']})"
    clip = ctx.clip
    if ctx.video is not None and ctx.video.name != clip:
        clip += f" ({ctx.video.name})"
    date = f"analysed {ctx.analysed}; report drawn {ctx.rendered}"
    items = [("Runner", ctx.runner or "not given"), ("Date", date), ("Clip", clip),
             ("View", view_txt), ("Frame rate", fps_txt), ("Model", model),
             ("Strides used", strides), ("Data quality", quality)]
    if not ctx.analysable:
        items.append(("Not analysable", str(res.reason or "no markers were computed")))
    return items


def _draw_summary(fig, ctx: _Ctx) -> None:
    y = _TOP
    key_w = 1.15
    for key, value in _header_items(ctx):
        _text(fig, _LEFT, y, key, size=9.0, bold=True)
        lines = _wrap(value, _TEXT_W - key_w, 9.0)
        for k, line in enumerate(lines):
            _text(fig, _LEFT + key_w, y + k * _line_h(9.0), line, size=9.0)
        y += len(lines) * _line_h(9.0) + 0.015
    y += 0.08
    _hrule(fig, y)
    y += 0.1
    if not ctx.analysable:
        _text(fig, _LEFT, y, "No scorecard: the clip could not be analysed as running.",
              size=11.0, bold=True)
        y += 0.3
        for line in _wrap(f"Reason: {ctx.result.reason}", _TEXT_W, 9.5):
            _text(fig, _LEFT, y, line, size=9.5)
            y += _line_h(9.5)
        return
    # the scorecard keeps rows of at least _MIN_ROW_H; the glance list gets what is left
    card = _scorecard_height(ctx, _MIN_ROW_H)
    y = _draw_glance(fig, ctx, y, _BOTTOM - y - card - 0.08)
    _draw_scorecard(fig, ctx, y + 0.08)


def _draw_glance(fig, ctx: _Ctx, y: float, room: float) -> float:
    from .findings import MARKER_LABELS

    y_end = y + room - _line_h(8.5)  # keep a line for "... and N more"
    fs = ctx.result.findings
    kinds = [_badge_kind(f) for f in fs]
    n = {k: kinds.count(k) for k in ("flag", "watch", "ok", "info")}
    _text(fig, _LEFT, y, "At a glance", size=11.0, bold=True)
    counts = (f"{n['flag']} flag(s), {n['watch']} to watch, {n['ok']} within the usual band; "
              f"{n['info']} more values shown for information (not judged).")
    recs = sorted(ctx.result.recommendations, key=lambda r: r.priority)
    if recs:
        counts += f" Drill plan: {len(recs)} drill(s), starting with '{recs[0].name}'."
    y += 0.24
    for line in _wrap(counts, _TEXT_W, 9.0):
        _text(fig, _LEFT, y, line, size=9.0)
        y += _line_h(9.0)
    by: dict[tuple[str, str], list[Any]] = {}
    for f in fs:
        k = _badge_kind(f)
        if k in ("flag", "watch"):
            by.setdefault((f.marker, k), []).append(f)
    items = sorted(by.items(), key=lambda kv: kv[0][1] != "flag")
    shown = []
    for (marker, kind), group in items[:4]:
        vals = ", ".join(_side_value(f) for f in sorted(group, key=lambda f: f.side))
        text = f"{MARKER_LABELS.get(marker, marker)}: {vals}"
        lines = _wrap(text, _TEXT_W - _BADGE_W, 9.0)[:2]
        if y + 0.03 + len(lines) * _line_h(9.0) > y_end and shown:
            break
        shown.append(marker)
        y += 0.03
        _badge(fig, _LEFT, y, kind)
        for line in lines:
            _text(fig, _LEFT + _BADGE_W, y, line, size=9.0)
            y += _line_h(9.0)
    if len(items) > len(shown):
        _text(fig, _LEFT + _BADGE_W, y, f"... and {len(items) - len(shown)} more: see Findings",
              size=8.5, colour=_GREY)
        y += _line_h(8.5)
    return y


_COL = {"label": _LEFT, "l": _LEFT + 2.62, "r": _LEFT + 3.6, "strip": _LEFT + 4.62,
        "asym": _LEFT + 6.6}
_STRIP_W = 1.78


_MIN_ROW_H = 0.31  # a label line (8.5 pt) and its grey line (8 pt)
_CARD_HEAD_H = 0.52  # title line and column heads


def _scorecard_foot(ctx: _Ctx) -> list[str]:
    rows = ctx.rows
    foot_lines: list[str] = []
    if any(min(r.n.get("l", 99), r.n.get("r", 99)) < 6 and not r.whole for r in rows):
        foot_lines += ["* fewer than 6 strides on that side: a weak estimate."]
    if ctx.unmeasurable:
        foot_lines += [f"Not measurable from this {ctx.summary.get('view')} view: "
                       + ", ".join(lab for lab, _ in ctx.unmeasurable)
                       + " (" + _needs(ctx.unmeasurable) + ")."]
    foot_lines += ["Values: median over the valid strides of each side; bars: interquartile "
                   "range. L-R diff.: |left - right| / mean x 100, for information."]
    return [ln for t in foot_lines for ln in _wrap(t, _TEXT_W, 8.0)]


def _scorecard_height(ctx: _Ctx, row_h: float) -> float:
    rows_h = sum(_row_height(r, _row_label(r), row_h) for r in ctx.rows)
    return _CARD_HEAD_H + rows_h + 0.06 + len(_scorecard_foot(ctx)) * _line_h(8.0)


def _draw_scorecard(fig, ctx: _Ctx, y: float) -> None:
    rows = ctx.rows
    foot = _scorecard_foot(ctx)
    foot_h = len(foot) * _line_h(8.0) + 0.06
    _text(fig, _LEFT, y, "Scorecard", size=11.0, bold=True)
    _legend_line(fig, _LEFT + 1.05, y + 0.03)
    y += 0.3
    head_h = _CARD_HEAD_H - 0.3
    avail = _BOTTOM - y - head_h - foot_h
    labels = [_row_label(r) for r in rows]
    row_h = max(0.26, min(0.4, avail / max(1, len(rows))))
    for _ in range(3):  # rows with a second label line or an L-R badge need more room
        extra = sum(_row_height(r, lab, row_h) - row_h for r, lab in zip(rows, labels,
                                                                         strict=True))
        # _MIN_ROW_H when it fits; tighter only if the page cannot hold the rows otherwise
        row_h = max(0.26, min(0.4, (avail - extra) / max(1, len(rows))))
    for key, text in (("label", "Marker"), ("l", "Left"), ("r", "Right"),
                      ("strip", "Band and values"), ("asym", "L-R diff.")):
        _text(fig, _COL[key], y, text, size=8.5, bold=True)
    y += head_h
    _hrule(fig, y - 0.04, colour="0.5")
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        h = _row_height(row, label, row_h)
        if i % 2 == 0:
            _rect(fig, _LEFT - 0.05, y - 0.02, _TEXT_W + 0.1, h, "0.95")
        _score_row(fig, row, y, row_h, label)
        y += h
    y += 0.06
    for line in foot:
        _text(fig, _LEFT, y, line, size=8.0, colour=_GREY)
        y += _line_h(8.0)


def _needs(unmeasurable: list[tuple[str, str]]) -> str:
    reasons = {r.split("needs ", 1)[1] for _, r in unmeasurable if "needs " in r}
    return "needs " + " or ".join(sorted(reasons)) if reasons else "not measurable"


def _legend_line(fig, x: float, y: float) -> None:
    _text(fig, x, y, "●", size=8.5, colour=SIDE_COLOURS["l"])
    _text(fig, x + 0.14, y, "left", size=8.0)
    _text(fig, x + 0.48, y, "■", size=8.5, colour=SIDE_COLOURS["r"])
    _text(fig, x + 0.62, y, "right", size=8.0)
    _text(fig, x + 1.02, y, "◆", size=8.5, colour=_BOTH_COLOUR)
    _text(fig, x + 1.16, y, "both feet", size=8.0)
    xx = x + 1.85
    for kind, word in (("ok", "ok"), ("watch", "watch"), ("flag", "flag")):
        _rect(fig, xx, y + 0.01, 0.22, 0.12, _LEVEL_TINTS[kind])
        _text(fig, xx + 0.26, y, word, size=8.0)
        xx += 0.26 + _text_w(word, 8.0) + 0.14
    _text(fig, xx, y, "zones of the band", size=8.0, colour=_GREY)


_LABEL_W = 2.5


def _row_height(row: _Row, label: tuple[list[str], float], row_h: float) -> float:
    h = row_h + (len(label[0]) - 1) * _line_h(8.0)
    if row.asym_finding is not None and _badge_kind(row.asym_finding) != "info":
        h = max(h, 0.37)  # the L-R badge sits on a second line
    return h


def _row_label(row: _Row) -> tuple[list[str], float]:
    """Label lines and font size of a scorecard row: one line at 8.5 or 8 pt, else two."""
    for size in (8.5, 8.0):
        lines = _wrap(row.label, _LABEL_W, size, True)
        if len(lines) == 1:
            return lines, size
    return _wrap(row.label, _LABEL_W, 8.0, True)[:2], 8.0


def _score_row(fig, row: _Row, y: float, row_h: float, label: tuple[list[str], float]
               ) -> None:
    lines, size = label
    yy = y
    for line in lines:
        _text(fig, _COL["label"], yy, line, size=size, bold=True)
        yy += _line_h(size)
    sub = f"{_UNIT_WORDS.get(row.unit, row.unit)} · evidence: {row.evidence or 'no band'}"
    _text(fig, _COL["label"], yy, _wrap(sub, _LABEL_W, 8.0)[0], size=8.0, colour=_GREY)
    if row.whole:
        side, f = next(iter(row.findings.items())) if row.findings else ("both", None)
        v = row.values.get(side, row.values.get("both", math.nan))
        if row.marker == "push_off_deficit":
            txt = (f"{_fmt(v, 'score')}, {_SIDE_WORDS[side]} weaker" if side in ("l", "r")
                   else f"{_fmt(v, 'score')} (neither side)")
        else:
            txt = f"{_fmt(v, row.unit)} ({_SIDE_WORDS.get(side, side)})"
        _text(fig, _COL["l"], y + 0.02, txt, size=9.0)
        if f is not None:
            x = _COL["l"] + _text_w(txt, 9.0) + 0.06
            if x + _badge_w(_badge_kind(f)) > _COL["strip"] - 0.05:  # no room: below it
                _badge(fig, _COL["l"], y + 0.02 + _line_h(9.0), _badge_kind(f))
            else:
                _badge(fig, x, y + 0.02, _badge_kind(f))
    else:
        for side in ("l", "r"):
            v = row.values.get(side, math.nan)
            txt = _fmt(v, row.unit) + ("*" if 0 < row.n.get(side, 0) < 6 else "")
            x = _COL[side]
            _text(fig, x + 0.42, y + 0.02, txt, size=9.0, ha="right")
            f = row.findings.get(side)
            if f is not None:
                _badge(fig, x + 0.46, y + 0.02, _badge_kind(f))
            elif _finite(v):
                _text(fig, x + 0.5, y + 0.02, "no band", size=8.0, colour=_GREY)
    if _finite(row.asym):
        _text(fig, _COL["asym"], y + 0.02, f"{_fmt(row.asym, '%')} %", size=8.5)
        k = _badge_kind(row.asym_finding)
        if row.asym_finding is not None and k != "info":
            _badge(fig, _COL["asym"], y + 0.02 + _line_h(8.5), k)
    else:
        _text(fig, _COL["asym"], y + 0.02, "-", size=8.5, colour=_GREY)
    _strip(fig, row, y, row_h)


def _strip(fig, row: _Row, y: float, row_h: float) -> None:
    """Draw the band as coloured zones with the runner's values on it.

    Drawn with figure-level artists rather than an Axes: 18 small Axes with their tick
    machinery cost about a second per report.
    """
    from matplotlib.lines import Line2D

    h = min(0.15, 0.42 * row_h)
    x0, y0 = _COL["strip"], y + 0.02
    pts: list[float] = []
    for side, v in row.values.items():
        if row.whole and side not in row.findings and side != "both":
            continue
        pts.append(v)
    if not row.whole:  # a whole-body row draws no IQR bars: they must not stretch the axis
        for q1, q3 in row.iqr.values():
            pts += [q1, q3]
    th = _thresholds(row.band)
    pts = [p for p in pts + th if _finite(p)]
    if not pts:
        return
    lo, hi = min(pts), max(pts)
    span = hi - lo if hi > lo else max(1.0, abs(hi) * 0.2)
    lo, hi = lo - 0.12 * span, hi + 0.12 * span

    def xin(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * _STRIP_W

    zones = _zones(row.band) or [(lo, hi, "")]
    for a, b, kind in zones:
        a, b = max(a, lo), min(b, hi)
        if b > a:
            _rect(fig, xin(a), y0, xin(b) - xin(a), h, _LEVEL_TINTS.get(kind, "0.9"))
    fig.add_artist(Line2D([_fx(x0), _fx(x0 + _STRIP_W)], [_fy(y0 + h)] * 2, color="0.6",
                          lw=0.6))
    if row.whole:
        items = [(side, 0.5) for side in row.findings] or [("both", 0.5)]
    else:
        items = [("l", 0.7), ("r", 0.3)]
    for side, frac in items:
        v = row.values.get(side, math.nan)
        if not _finite(v):
            continue
        colour = SIDE_COLOURS.get(side, _BOTH_COLOUR) if not (
            row.whole and row.marker != "push_off_deficit") else _BOTH_COLOUR
        marker = _SIDE_MARKERS.get(side, "D") if colour != _BOTH_COLOUR else "D"
        yy = _fy(y0 + (1.0 - frac) * h)
        if side in row.iqr and not row.whole:
            q1, q3 = row.iqr[side]
            fig.add_artist(Line2D([_fx(xin(q1)), _fx(xin(q3))], [yy, yy], color=colour, lw=1.4,
                                  solid_capstyle="butt"))
        fig.add_artist(Line2D([_fx(xin(v))], [yy], marker=marker, color=colour, mec="black",
                              mew=0.5, ms=5.5, ls="none"))
    ticks = _spread_ticks(th, lo, hi, _STRIP_W) if th else _nice_ticks(lo, hi)
    step = min((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=1.0)
    for t in ticks:
        fig.add_artist(Line2D([_fx(xin(t))] * 2, [_fy(y0 + h), _fy(y0 + h + 0.025)],
                              color="0.4", lw=0.6))
        _text(fig, xin(t), y0 + h + 0.045, _tick_label(t, step), size=8.0, colour="0.25",
              ha="center")


def _tick_label(t: float, step: float = 1.0) -> str:
    """Format a tick value with as many decimals as the tick spacing needs (at most 2)."""
    dec = 0 if step >= 1 else min(2, int(math.ceil(-math.log10(step) - 1e-9)))
    if dec == 0 and abs(t - round(t)) > 1e-9 and abs(t) < 100:
        dec = 1
    return f"{t:.{dec}f}"


def _spread_ticks(ticks: list[float], lo: float, hi: float, width_in: float,
                  size: float = 8.0) -> list[float]:
    """Drop tick positions whose labels would print on top of each other.

    Two labels clash when the distance between their centres is less than half their
    widths summed plus a small gap (both thresholds of a narrow watch zone, such as 14
    and 17, fit side by side and are both kept).
    """
    inside = sorted(t for t in ticks if lo <= t <= hi)
    step = min((b - a for a, b in zip(inside, inside[1:], strict=False)), default=1.0)
    out: list[float] = []
    half_prev = 0.0
    for t in inside:
        half = 0.5 * _text_w(_tick_label(t, step), size)
        if out and (t - out[-1]) / (hi - lo) * width_in < half_prev + half + 0.04:
            continue
        out.append(t)
        half_prev = half
    return out


def _nice_ticks(lo: float, hi: float) -> list[float]:
    from matplotlib.ticker import MaxNLocator

    return [t for t in MaxNLocator(4).tick_values(lo, hi) if lo <= t <= hi]


# --------------------------------------------------------------------------------------
# page 2: key frames


def _representative_stride(ctx: _Ctx) -> Any:
    """Pick the valid stride of the best-seen side whose markers lie nearest its medians."""
    res = ctx.result
    st = res.events.strides
    st = st[st["valid"]] if len(st) else st
    m = res.markers
    if not len(st) or m is None or not len(m):
        return None
    near = ctx.summary.get("near_side")
    counts = st["side"].value_counts()
    order = ([near] if near in ("l", "r") else []) + list(counts.index)
    from .markers import MARKERS

    cols = [c for c in MARKERS if c in m.columns]
    for side in order:
        cand = m[m["side"] == side]
        if not len(cand):
            continue
        vals = cand[cols].astype(float)
        med = vals.median()
        spread = (vals.quantile(0.75) - vals.quantile(0.25)).replace(0.0, np.nan)
        spread = spread.fillna(vals.std()).replace(0.0, np.nan).fillna(1.0)
        score = ((vals - med).abs() / spread).sum(axis=1, skipna=True)
        best = score.idxmin()
        return st.loc[best]
    return None


def _frame_box(pts: np.ndarray, img_w: int, img_h: int, aspect: float) -> tuple[float, ...]:
    """Crop box (x0, x1, y0, y1) in pixels around the points, with the panel's aspect w/h.

    The box is slid back inside the image as far as it can go without cutting off a point;
    where the points themselves reach beyond the image, the box does too (blank margin).
    """
    good = pts[np.isfinite(pts).all(axis=1)]
    if not len(good):
        return 0.0, float(img_w), 0.0, float(img_h)
    px0, py0 = good.min(axis=0)
    px1, py1 = good.max(axis=0)
    h = (py1 - py0) * 1.1 + 1.0
    w = (px1 - px0) * 1.25 + 1.0
    cx, cy = (px0 + px1) / 2, (py0 + py1) / 2
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    out = []
    for c, half, p0, p1, size in ((cx, w / 2, px0, px1, img_w), (cy, h / 2, py0, py1, img_h)):
        lo, hi = c - half, c + half
        if lo < 0:
            shift = min(-lo, max(0.0, p0 - lo))
            lo, hi = lo + shift, hi + shift
        if hi > size:
            shift = min(hi - size, max(0.0, hi - p1))
            lo, hi = lo - shift, hi - shift
        out += [lo, hi]
    return tuple(out)


def _draw_keyframes(fig, ctx: _Ctx) -> None:
    res = ctx.result
    kin = res.kinematics
    stride = _representative_stride(ctx)
    if stride is None:
        _text(fig, _LEFT, _TOP, "No valid stride to show.", size=10)
        return
    side = str(stride["side"])
    frames = [int(stride["ic_frame"]), int(stride["ms_frame"]), int(stride["to_frame"])]
    img_w, img_h = res.landmarks.image_size
    images, note = _stills(ctx, frames, (img_w, img_h))
    px = kin.points_px
    pane_w, pane_h, gap = 2.28, 4.1, 0.16
    aspect = pane_w / pane_h
    pts = px[frames][:, list(_FRAME_POINTS)].reshape(-1, 2)
    leg = float(kin.leg_length_px) if _finite(kin.leg_length_px) else 0.0
    low = pts[np.isfinite(pts).all(axis=1)]
    if len(low) and leg > 0:  # room under the feet for the distance arrows and labels
        below = np.array([[low[:, 0].mean(), low[:, 1].max() + 0.42 * leg]])
        pts = np.vstack([pts, below])
    box = _frame_box(pts, img_w, img_h, aspect)
    names = ("Initial contact (IC)", "Midstance (MS)", "Toe-off (TO)")
    y_img = _TOP + 0.42
    captions: list[list[str]] = []
    for k, (fr, name) in enumerate(zip(frames, names, strict=True)):
        x = _LEFT + k * (pane_w + gap)
        _text(fig, x, _TOP, name, size=10.0, bold=True)
        t = float(kin.time_s[fr]) if fr < len(kin.time_s) else math.nan
        _text(fig, x, _TOP + 0.19, f"frame {fr}, {t:.2f} s", size=8.0, colour=_GREY)
        ax = _axes_in(fig, x, y_img, pane_w, pane_h)
        _still(ax, images.get(fr) if images else None, box, (img_w, img_h))
        if not images:
            ax.text(0.03, 0.985, "landmarks only (no video)", transform=ax.transAxes,
                    fontsize=8, color=_GREY, ha="left", va="top")
        _skeleton(ax, px[fr], on_video=bool(images), stance=side)
        captions.append(_measure(ax, ctx, k, fr, side, stride, box))
    # captions under the stills
    y = y_img + pane_h + 0.1
    y_end = y
    for k, cap in enumerate(captions):
        x = _LEFT + k * (pane_w + gap)
        yy = y
        for item in cap:
            for line in _wrap(item, pane_w, 8.0):
                _text(fig, x, yy, line, size=8.0)
                yy += _line_h(8.0)
            yy += 0.04
        y_end = max(y_end, yy)
    y = y_end + 0.12
    _timeline(fig, ctx, stride, y)
    y += 1.75
    text = (f"The stride shown is the {_SIDE_WORDS[side]} stride from "
            f"{float(stride['ic_time_s']):.2f} s "
            "whose markers lie nearest the medians of that side"
            + (", on the leg nearer the camera" if ctx.summary.get("near_side") == side else "")
            + ". Yellow lines show what is measured; the numbers are this stride's, the medians "
            "in brackets are the runner's over all valid strides of each side. Skeleton: left "
            "side blue, right side red; the stance leg is drawn thicker.")
    if note:
        text += " " + note
    for line in _wrap(text, _TEXT_W, 8.5):
        _text(fig, _LEFT, y, line, size=8.5, colour="0.2")
        y += _line_h(8.5)
    if _BOTTOM - y > 1.75:
        _stride_detail(fig, ctx, stride, y + 0.12, _BOTTOM - y - 0.12)


def _stride_detail(fig, ctx: _Ctx, stride: Any, y: float, height: float) -> None:
    """Hip and knee angles of the stance leg through the stride shown, events marked."""
    res = ctx.result
    kin = res.kinematics
    side = str(stride["side"])
    frontal = kin.view != "side"
    what = "hip and pelvis (frontal plane)" if frontal else "hip and knee"
    _text(fig, _LEFT, y, f"The stride above: {_SIDE_WORDS[side]} {what}", size=10.0, bold=True)
    h = max(0.7, min(1.9, height - 0.95))
    ax = _axes_in(fig, _LEFT + 0.45, y + 0.55, _TEXT_W - 0.5, h)
    t0, t1 = float(stride["ic_time_s"]), float(stride["ic_next_time_s"])
    t = kin.time_s
    sel = (t >= t0 - 0.05) & (t <= t1 + 0.05)
    ms = 1000.0 * (t[sel] - t0)
    a = kin.angles
    colour = SIDE_COLOURS[side]
    if frontal:
        ob = a["pelvic_obliquity_deg"].to_numpy(float)
        ob = (ob - _nanmedian(ob)) * (1.0 if side == "r" else -1.0)
        series = ((a[f"hip_adduction_{side}_deg"].to_numpy(float), "-",
                   "hip adduction (+ = knee inwards)"),
                  (ob, "--", "pelvic obliquity (+ = swing side lower)"))
    else:
        series = ((a[f"knee_flex_{side}_deg"].to_numpy(float), "-", "knee flexion"),
                  (a[f"hip_flex_{side}_deg"].to_numpy(float), "--",
                   "hip flexion (thigh vs vertical)"))
    for vals, ls, lab in series:
        ax.plot(ms, vals[sel], color=colour, ls=ls, lw=1.5, label=lab)
    ax.axvspan(0.0, 1000.0 * (float(stride["to_time_s"]) - t0), color="0.9", lw=0, zorder=0,
               label="foot on the ground")
    for key, lab in (("ic_time_s", "IC"), ("ms_time_s", "MS"), ("to_time_s", "TO"),
                     ("ic_next_time_s", "next IC")):
        x = 1000.0 * (float(stride[key]) - t0)
        ax.axvline(x, color="0.3", lw=0.8, ls=":")
        ax.text(x, 1.02, lab, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=8, color="0.25")
    ax.set_xlim(ms.min() if len(ms) else 0.0, ms.max() if len(ms) else 1.0)
    ax.set_xlabel("time from initial contact (ms)", labelpad=1)
    ax.set_ylabel("degrees")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(_fx(_LEFT), _fy(y + 0.2)),
               fontsize=8, ncol=3, frameon=False, borderaxespad=0, handlelength=2.2)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)


#: Videos up to this size are hashed to check they are the analysed clip (~0.1 s per 50 MB).
_HASH_MAX_BYTES = 300_000_000


def _stills(ctx: _Ctx, frames: list[int], size: tuple[int, int]
            ) -> tuple[dict[int, np.ndarray] | None, str]:
    """Read the video frames, or return None and a note saying why they are drawings."""
    from .errors import GaitcheckError

    vid = ctx.video
    if vid is None:
        return None, ("The video's location was not recorded, so the stills are drawn from "
                      "the landmarks only (skeleton on a blank background).")
    if not vid.is_file():
        return None, (f"The video was not found at {vid} (moved?), so the stills are drawn "
                      "from the landmarks only (skeleton on a blank background).")
    want = (ctx.result.provenance or {}).get("video_sha256")
    if want and vid.stat().st_size < _HASH_MAX_BYTES:
        from .io_utils import file_sha256

        if file_sha256(vid) != want:
            return None, (f"The video at {vid} is not the analysed clip (its content differs), "
                          "so the stills are drawn from the landmarks only.")
    lm = ctx.result.landmarks
    file_fps = float((lm.info or {}).get("file_fps") or lm.fps)
    times = [float(lm.time_s[f]) * lm.fps / file_fps for f in frames]  # undo a re-timing
    try:
        imgs = read_frames(vid, frames, times_s=times)
    except GaitcheckError:
        imgs = {}
    ok = len(imgs) == len(set(frames)) and all(
        im.shape[1] == size[0] and im.shape[0] == size[1] for im in imgs.values())
    if not ok:
        return None, (f"The video at {vid} could not be read or does not match the analysed "
                      "clip, so the stills are drawn from the landmarks only.")
    return imgs, ""


#: Most pixels down a key-frame crop (the panels are 4.1 in tall: about 200 dpi).
_STILL_PX = 800


def _still(ax, img: np.ndarray | None, box: tuple[float, ...], size: tuple[int, int]) -> None:
    x0, x1, y0, y1 = box
    w, h = size
    if img is not None:
        c0, c1 = max(0, int(math.floor(x0))), min(w, int(math.ceil(x1)))
        r0, r1 = max(0, int(math.floor(y0))), min(h, int(math.ceil(y1)))
        crop = img[r0:r1, c0:c1]
        if crop.shape[0] > _STILL_PX:  # about 250 dpi on the page: enough for print
            from PIL import Image

            k = _STILL_PX / crop.shape[0]
            crop = np.asarray(Image.fromarray(crop).resize(
                (max(1, round(crop.shape[1] * k)), _STILL_PX), Image.Resampling.BILINEAR))
        ax.imshow(crop, extent=(c0, c1, r1, r0), interpolation="bilinear", zorder=0)
        ax.set_facecolor("0.85")
    else:
        ax.set_facecolor("#f4f4f4")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("0.5")


def _skeleton(ax, p: np.ndarray, *, on_video: bool, stance: str) -> None:
    import matplotlib.patheffects as pe

    fx = [pe.Stroke(linewidth=3.4, foreground="black", alpha=0.6), pe.Normal()] if on_video else []
    centre = "white" if on_video else "0.45"
    stance_ids = set(int(v) for v in _SIDE_LM[stance].values())
    for a, b, sd in sorted(_BONES, key=lambda t: t[2] == stance):
        pa, pb = p[int(a)], p[int(b)]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        colour = centre if sd == "c" else SIDE_COLOURS[sd]
        lw = 2.6 if (int(a) in stance_ids and int(b) in stance_ids) else 1.6
        ax.plot([pa[0], pb[0]], [pa[1], pb[1]], color=colour, lw=lw, solid_capstyle="round",
                path_effects=fx, zorder=3)
    for sd in ("l", "r"):
        ids = [int(LM.LEFT_HIP if sd == "l" else LM.RIGHT_HIP), *[int(v) for v in (
            _SIDE_LM[sd]["knee"], _SIDE_LM[sd]["ankle"], _SIDE_LM[sd]["heel"],
            _SIDE_LM[sd]["toe"])]]
        q = p[ids]
        ax.plot(q[:, 0], q[:, 1], _SIDE_MARKERS[sd], color=SIDE_COLOURS[sd], ms=3.2,
                mec="white" if on_video else "black", mew=0.5, ls="none", zorder=4)


def _mid(p: np.ndarray, a: int, b: int) -> np.ndarray:
    return 0.5 * (p[a] + p[b])


def _label(ax, x: float, y: float, s: str, *, ha: str = "center", va: str = "center") -> None:
    ax.text(x, y, s, fontsize=8.0, ha=ha, va=va, zorder=8, parse_math=False, clip_on=True,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.3", "lw": 0.5,
                  "alpha": 0.9})


def _label_half_px(ax, s: str, box: tuple[float, ...]) -> tuple[float, float]:
    """Half width and half height of a :func:`_label` box, in image pixels of the still."""
    px_per_in = (box[1] - box[0]) / max(ax.get_position().width * _W, 1e-9)
    pad = 2 * 0.2 * 8.0 / 72.0  # the bbox pad on both sides, in
    return (0.5 * (_text_w(s, 8.0) + pad) * px_per_in,
            0.5 * (8.0 * 1.2 / 72.0 + pad) * px_per_in)


def _segment_points(a: np.ndarray, b: np.ndarray, n: int = 12) -> np.ndarray:
    """``n`` points evenly along the segment a-b (none when an end is missing)."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return np.zeros((0, 2))
    t = np.linspace(0.0, 1.0, n)[:, None]
    return a[None, :] + t * (b - a)[None, :]


def _body_points(p: np.ndarray, leg: float) -> np.ndarray:
    """Points covering the drawn skeleton and the torso, for labels to keep clear of.

    The torso is filled on a grid and widened by 0.08 leg lengths on each side: the body
    is wider than the line between the shoulder (or hip) landmarks, a side view's torso
    especially.
    """
    parts = [_segment_points(p[int(a)], p[int(b)]) for a, b, _ in _BONES]
    sh = p[[int(LM.LEFT_SHOULDER), int(LM.RIGHT_SHOULDER)]]
    hp = p[[int(LM.LEFT_HIP), int(LM.RIGHT_HIP)]]
    if np.isfinite(sh).all() and np.isfinite(hp).all():
        sh, hp = sh[np.argsort(sh[:, 0])], hp[np.argsort(hp[:, 0])]
        wide = np.array([[-0.08 * leg, 0.0], [0.08 * leg, 0.0]])
        sh, hp = sh + wide, hp + wide
        u, v = np.meshgrid(np.linspace(0, 1, 6), np.linspace(0, 1, 7))
        u, v = u.ravel()[:, None], v.ravel()[:, None]
        top = sh[0] + u * (sh[1] - sh[0])
        bottom = hp[0] + u * (hp[1] - hp[0])
        parts.append(top + v * (bottom - top))
    return np.vstack(parts)


def _clear_spot(anchor: np.ndarray, half: tuple[float, float], avoid: np.ndarray,
                box: tuple[float, ...], leg: float) -> tuple[float, float]:
    """Centre for a label near ``anchor`` that keeps clear of the points ``avoid``.

    Candidates on rings round the anchor are scored at once: a label must lie inside the
    still and at least about a limb's half-width (0.07 leg lengths) from every point to
    avoid; among those, the nearest to the anchor wins (else the clearest spot).
    """
    hw, hh = half
    r = leg * np.linspace(0.0, 1.2, 13)
    ang = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    c = anchor[None, None, :] + r[:, None, None] * np.stack(
        [np.cos(ang), np.sin(ang)], axis=-1)[None, :, :]
    c = c.reshape(-1, 2)
    edge = 0.25 * hh
    inside = ((c[:, 0] - hw >= box[0] + edge) & (c[:, 0] + hw <= box[1] - edge)
              & (c[:, 1] - hh >= box[2] + edge) & (c[:, 1] + hh <= box[3] - edge))
    pts = avoid[np.isfinite(avoid).all(axis=1)]
    if len(pts):
        dx = np.clip(np.abs(pts[None, :, 0] - c[:, None, 0]) - hw, 0.0, None)
        dy = np.clip(np.abs(pts[None, :, 1] - c[:, None, 1]) - hh, 0.0, None)
        clear = np.hypot(dx, dy).min(axis=1)
    else:
        clear = np.full(len(c), np.inf)
    dist = np.hypot(*(c - anchor[None, :]).T)
    ok = inside & (clear >= 0.07 * leg)
    if ok.any():
        j = int(np.argmin(np.where(ok, dist, np.inf)))
    else:
        j = int(np.argmax(np.where(inside, clear, -np.inf) if inside.any() else clear))
    return float(c[j, 0]), float(c[j, 1])


def _free_label(ax, s: str, anchor: np.ndarray, avoid: list[np.ndarray],
                box: tuple[float, ...], leg: float) -> None:
    """Draw a :func:`_label` near ``anchor`` but off the runner and the other drawings."""
    if not np.isfinite(anchor).all():
        return
    anchor = np.asarray(anchor, float)
    hw, hh = _label_half_px(ax, s, box)
    x, y = _clear_spot(anchor, (hw, hh), np.vstack(avoid), box, leg)
    # a leader line to what the label names when it had to move away from it
    ex, ey = np.clip(anchor[0], x - hw, x + hw), np.clip(anchor[1], y - hh, y + hh)
    if math.hypot(anchor[0] - ex, anchor[1] - ey) > 0.12 * leg:
        ax.plot([ex, anchor[0]], [ey, anchor[1]], color="0.25", lw=0.6, zorder=7)
    _label(ax, x, y, s)


def _seg(ax, a: np.ndarray, b: np.ndarray, *, lw: float = 2.2, ls: str = "-") -> None:
    import matplotlib.patheffects as pe

    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return
    ax.plot([a[0], b[0]], [a[1], b[1]], color=_MEASURE_COLOUR, lw=lw, ls=ls, zorder=6,
            solid_capstyle="round",
            path_effects=[pe.Stroke(linewidth=lw + 1.4, foreground="black"), pe.Normal()])


def _arc(ax, c: np.ndarray, v1: np.ndarray, v2: np.ndarray, r: float) -> None:
    from matplotlib.patches import Arc

    if not (np.isfinite(c).all() and np.isfinite(v1).all() and np.isfinite(v2).all()):
        return
    a1 = math.degrees(math.atan2(v1[1], v1[0]))
    a2 = math.degrees(math.atan2(v2[1], v2[0]))
    if (a2 - a1) % 360 > 180:
        a1, a2 = a2, a1
    ax.add_patch(Arc(tuple(c), 2 * r, 2 * r, theta1=a1, theta2=a2, color=_MEASURE_COLOUR,
                     lw=1.6, zorder=6))


def _hdist(ax, xa: float, xb: float, yy: float, text: str, box: tuple[float, ...],
           above: bool) -> np.ndarray:
    """Draw a horizontal distance: a labelled double arrow between two x positions.

    Returns points covering the arrow and its label (for other labels to avoid).
    """
    import matplotlib.patheffects as pe

    if not (_finite(xa) and _finite(xb) and _finite(yy)):
        return np.zeros((0, 2))
    ax.annotate("", xy=(xb, yy), xytext=(xa, yy), zorder=7,
                arrowprops={"arrowstyle": "<->", "color": _MEASURE_COLOUR, "lw": 1.6,
                            "shrinkA": 0, "shrinkB": 0,
                            "path_effects": [pe.Stroke(linewidth=3.0, foreground="black"),
                                             pe.Normal()]})
    h = box[3] - box[2]
    ly = yy + (-0.045 if above else 0.045) * h
    _label(ax, 0.5 * (xa + xb), ly, text, va="bottom" if above else "top")
    hw, hh = _label_half_px(ax, text, box)
    cy = ly + (-hh if above else hh)
    gx, gy = np.meshgrid(np.linspace(-hw, hw, 7), np.linspace(-hh, hh, 3))
    label_pts = np.column_stack([0.5 * (xa + xb) + gx.ravel(), cy + gy.ravel()])
    return np.vstack([_segment_points(np.array([xa, yy]), np.array([xb, yy])), label_pts])


def _vline(ax, x: float, y_a: float, y_b: float) -> None:
    _seg(ax, np.array([x, y_a]), np.array([x, y_b]), lw=1.2, ls="--")


def _stride_value(ctx: _Ctx, stride: Any, marker: str) -> float:
    m = ctx.result.markers
    if m is None or marker not in m.columns or stride.name not in m.index:
        return math.nan
    return float(m.loc[stride.name, marker])


def _medians(ctx: _Ctx, marker: str, unit: str) -> str:
    summ = ctx.result.marker_summary
    parts = []
    for sd in ("l", "r"):
        key = (marker, sd)
        if summ is not None and key in summ.index and _finite(summ.loc[key, "median"]):
            parts.append(f"{_SIDE_WORDS[sd][0].upper()} {_fmt(summ.loc[key, 'median'], unit)}")
    return f" (median {', '.join(parts)})" if parts else ""


def _measure(ax, ctx: _Ctx, k: int, fr: int, side: str, stride: Any, box: tuple[float, ...]
             ) -> list[str]:
    """Draw the measurement of still ``k`` (0 IC, 1 MS, 2 TO); return its caption."""
    kin = ctx.result.kinematics
    p = kin.points_px[fr]
    ids = _SIDE_LM[side]
    hip_mid = _mid(p, LM.LEFT_HIP, LM.RIGHT_HIP)
    sh_mid = _mid(p, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
    leg = float(kin.leg_length_px) if _finite(kin.leg_length_px) else (box[3] - box[2]) / 2.5
    a = kin.angles
    caps: list[str] = []
    avoid = [_body_points(p, leg)]  # labels keep off the runner and the measurement drawings
    if kin.view != "side":
        if k == 0:
            foot = _mid(p, ids["heel"], ids["toe"])
            _vline(ax, hip_mid[0], hip_mid[1], foot[1] + 0.05 * leg)
            v = _stride_value(ctx, stride, "crossover_ic_pct_leg")
            _hdist(ax, hip_mid[0], foot[0], foot[1] + 0.08 * leg, f"{_fmt(v)} %leg", box, False)
            caps.append(f"Foot placement vs the midline: {_fmt(v)} %leg in this stride"
                        + _medians(ctx, "crossover_ic_pct_leg", "%leg")
                        + "; positive = across the midline.")
        elif k == 1:
            _seg(ax, p[LM.LEFT_HIP], p[LM.RIGHT_HIP])
            ob = float(a["pelvic_obliquity_deg"].iloc[fr])
            _free_label(ax, f"pelvis {_fmt(ob)}°", hip_mid, avoid, box, leg)
            caps.append(f"Pelvis line vs horizontal: {_fmt(ob)}° in this frame (+ = right hip "
                        "higher); peak pelvic drop" + _medians(ctx, "pelvic_drop_deg", "deg")
                        + ".")
        else:
            caps.append("Toe-off: the foot leaves the ground; the contact ends here.")
        return caps
    if k == 0:
        heel = p[ids["heel"]]
        foot_y = np.nanmax([heel[1], p[ids["toe"]][1]])
        _vline(ax, hip_mid[0], hip_mid[1], foot_y + 0.1 * leg)
        _vline(ax, heel[0], heel[1] - 0.15 * leg, foot_y + 0.1 * leg)
        v = _stride_value(ctx, stride, "overstride_ic_pct_leg")
        avoid.append(_hdist(ax, hip_mid[0], heel[0], foot_y + 0.1 * leg, f"{_fmt(v)} %leg",
                            box, False))
        avoid += [_segment_points(hip_mid, np.array([hip_mid[0], foot_y + 0.1 * leg]))]
        knee, ankle = p[ids["knee"]], p[ids["ankle"]]
        _seg(ax, knee, ankle)
        _seg(ax, knee, knee + np.array([0.0, 0.45 * leg]), lw=1.2, ls="--")
        _arc(ax, knee, ankle - knee, np.array([0.0, 1.0]), 0.2 * leg)
        avoid.append(_segment_points(knee, knee + np.array([0.0, 0.45 * leg])))
        sh = _stride_value(ctx, stride, "shank_angle_ic_deg")
        _free_label(ax, f"shank {_fmt(sh)}°", 0.5 * (knee + ankle), avoid, box, leg)
        caps.append(f"Heel ahead of the hip: {_fmt(v)} % of leg length"
                    + _medians(ctx, "overstride_ic_pct_leg", "%leg") + ".")
        caps.append(f"Shank angle: {_fmt(sh)}° (+ = ankle ahead of the knee)"
                    + _medians(ctx, "shank_angle_ic_deg", "deg") + ".")
    elif k == 1:
        foot = _mid(p, ids["heel"], ids["toe"])
        foot_y = np.nanmax([p[ids["heel"]][1], p[ids["toe"]][1]])
        _vline(ax, hip_mid[0], hip_mid[1], foot_y + 0.1 * leg)
        _vline(ax, foot[0], foot_y - 0.15 * leg, foot_y + 0.1 * leg)
        v = _stride_value(ctx, stride, "pelvis_behind_foot_ms_pct_leg")
        avoid.append(_hdist(ax, foot[0], hip_mid[0], foot_y + 0.1 * leg, f"{_fmt(v)} %leg",
                            box, False))
        avoid += [_segment_points(hip_mid, np.array([hip_mid[0], foot_y + 0.1 * leg]))]
        _seg(ax, hip_mid, sh_mid)
        _seg(ax, hip_mid, hip_mid + np.array([0.0, -0.6 * leg]), lw=1.2, ls="--")
        _arc(ax, hip_mid, sh_mid - hip_mid, np.array([0.0, -1.0]), 0.3 * leg)
        tr = _stride_value(ctx, stride, "trunk_lean_deg")
        _free_label(ax, f"trunk {_fmt(tr)}°", 0.5 * (hip_mid + sh_mid), avoid, box, leg)
        caps.append(f"Pelvis vs the stance foot: {_fmt(v)} % of leg length (negative = "
                    "pelvis behind the foot)" + _medians(ctx, "pelvis_behind_foot_ms_pct_leg",
                                                         "%leg") + ".")
        caps.append(f"Trunk lean: {_fmt(tr)}° (+ = forward)"
                    + _medians(ctx, "trunk_lean_deg", "deg") + ".")
    else:
        hip, knee = p[ids["hip"]], p[ids["knee"]]
        _seg(ax, hip, knee)
        _seg(ax, hip, hip + np.array([0.0, 0.6 * leg]), lw=1.2, ls="--")
        _arc(ax, hip, knee - hip, np.array([0.0, 1.0]), 0.25 * leg)
        avoid.append(_segment_points(hip, hip + np.array([0.0, 0.6 * leg])))
        col = f"hip_flex_{side}_deg"
        ext = -float(a[col].iloc[fr]) if col in a else math.nan
        _free_label(ax, f"thigh {_fmt(ext)}°", 0.5 * (hip + knee), avoid, box, leg)
        pk = _stride_value(ctx, stride, "hip_extension_deg")
        caps.append(f"Thigh {_fmt(ext)}° behind vertical at toe-off; peak hip extension in this "
                    f"stride {_fmt(pk)}°" + _medians(ctx, "hip_extension_deg", "deg") + ".")
        gct = _stride_value(ctx, stride, "ground_contact_time_ms")
        caps.append(f"Ground contact: {_fmt(gct, 'ms')} ms"
                    + _medians(ctx, "ground_contact_time_ms", "ms") + ".")
    return caps


def _timeline(fig, ctx: _Ctx, stride: Any, y: float) -> None:
    """Foot contacts over the clip: one row per foot, the stride shown outlined."""
    res = ctx.result
    ev = res.events
    kin = res.kinematics
    _text(fig, _LEFT, y, "Foot contacts over the clip", size=10.0, bold=True)
    note = ("Bars: foot on the ground; hatched: a stride left out of the analysis; black "
            "outline with IC / MS / TO marks: the stride above.")
    if kin.direction == 0:  # rear or front view: the lower-foot rule cannot see flight
        note += (" From behind or in front the airborne phase is not seen, so the bars run "
                 "into each other: they show the rhythm, not the contact times.")
    lines = _wrap(note, _TEXT_W, 8.0)
    for i, line in enumerate(lines):
        _text(fig, _LEFT, y + 0.2 + 0.14 * i, line, size=8.0, colour=_GREY)
    extra = 0.14 * (len(lines) - 1)  # taken from the plot's height, so the page keeps its layout
    ax = _axes_in(fig, _LEFT + 0.45, y + 0.42 + extra, _TEXT_W - 0.5, 0.85 - extra)
    st = ev.strides
    invalid_ic = set(st.loc[~st["valid"], "ic_frame"].astype(int)) if len(st) else set()
    for row_y, side in ((1.0, "l"), (0.0, "r")):
        c = ev.contacts[ev.contacts["side"] == side]
        for r in c.itertuples():
            bad = int(r.ic_frame) in invalid_ic
            ax.broken_barh([(r.ic_time_s, r.to_time_s - r.ic_time_s)], (row_y - 0.3, 0.6),
                           facecolors=SIDE_COLOURS[side], alpha=0.35 if bad else 0.8,
                           hatch="///" if bad else None, edgecolor="white", lw=0.3)
    t0, t1 = float(stride["ic_time_s"]), float(stride["ic_next_time_s"])
    ry = 1.0 if stride["side"] == "l" else 0.0
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((t0, ry - 0.42), t1 - t0, 0.84, fill=False, ec="black", lw=1.4,
                           zorder=5))
    for key, mk in (("ic_time_s", "v"), ("ms_time_s", "|"), ("to_time_s", "s")):
        ax.plot([float(stride[key])], [ry + 0.62], mk, color="black", ms=5, mfc="white",
                clip_on=False, zorder=6)
    ax.set_yticks([1.0, 0.0])
    ax.set_yticklabels(["left", "right"])
    ax.set_ylim(-0.55, 1.8)
    tt = kin.time_s
    ax.set_xlim(float(tt[0]), float(tt[-1]) if len(tt) > 1 else 1.0)
    ax.set_xlabel("time (s)", labelpad=1)
    ax.grid(axis="x", alpha=0.3)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)


# --------------------------------------------------------------------------------------
# page 3: curves over the gait cycle


def _cycle(ctx: _Ctx, template: str, side: str, n: int = 101) -> np.ndarray:
    """Angle over each valid stride of a side, resampled 0-100 % (rows = strides)."""
    res = ctx.result
    st = res.events.strides
    st = st[st["valid"] & (st["side"] == side)] if len(st) else st
    a = res.kinematics.angles
    col = template.format(s=side)
    if col not in a or not len(st):
        return np.zeros((0, n))
    y = a[col].to_numpy(np.float64)
    if template == "pelvic_obliquity_deg":
        y = (y - _nanmedian(y)) * (1.0 if side == "r" else -1.0)
    t = res.kinematics.time_s
    grid = np.linspace(0.0, 1.0, n)
    rows = []
    for t0, t1 in zip(st["ic_time_s"].to_numpy(float), st["ic_next_time_s"].to_numpy(float),
                      strict=True):
        if not (np.isfinite(t0) and np.isfinite(t1) and t1 > t0):
            continue
        rows.append(np.interp(t0 + grid * (t1 - t0), t, y))
    return np.array(rows) if rows else np.zeros((0, n))


def _event_pct(ctx: _Ctx, side: str, key: str) -> float:
    st = ctx.result.events.strides
    st = st[st["valid"] & (st["side"] == side)] if len(st) else st
    if not len(st):
        return math.nan
    v = (st[key] - st["ic_time_s"]) / (st["ic_next_time_s"] - st["ic_time_s"]) * 100.0
    v = v.to_numpy(float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def _draw_curves(fig, ctx: _Ctx) -> None:
    view = ctx.summary.get("view")
    curves = _SIDE_CURVES if view == "side" else _FRONTAL_CURVES
    ncols = 2
    nrows = math.ceil(len(curves) / ncols)
    top, bottom = _TOP + 0.85, _BOTTOM - 1.35
    # the grid of the side view's three rows, so a rear view's two rows keep the same
    # panel size and spacing (not stretched to the page with a gap between them)
    rows, hspace = max(nrows, 3), 0.7
    gs = fig.add_gridspec(rows, ncols, left=_fx(_LEFT + 0.45), right=_fx(_RIGHT),
                          top=_fy(top), bottom=_fy(bottom), hspace=hspace, wspace=0.28)
    cell = (bottom - top) / (rows + (rows - 1) * hspace)
    bottom = top + nrows * cell + (nrows - 1) * hspace * cell
    _legend_curves(fig, _LEFT, _TOP)
    to_pct = {sd: _event_pct(ctx, sd, "to_time_s") for sd in ("l", "r")}
    ms_pct = {sd: _event_pct(ctx, sd, "ms_time_s") for sd in ("l", "r")}
    grid = np.linspace(0, 100, 101)
    for i, (template, title, sign) in enumerate(curves):
        ax = fig.add_subplot(gs[i // ncols, i % ncols])
        any_data = False
        for sd in ("l", "r"):
            cyc = _cycle(ctx, template, sd)
            if not len(cyc) or not np.isfinite(cyc).any():
                continue
            any_data = True
            with warnings.catch_warnings():  # all-NaN columns (a gap in every stride)
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(cyc, axis=0)
                sd_ = np.nanstd(cyc, axis=0)
            colour = SIDE_COLOURS[sd]
            ax.fill_between(grid, mean - sd_, mean + sd_, color=colour, alpha=0.18, lw=0)
            ax.plot(grid, mean, color=colour, lw=1.5,
                    ls="-" if sd == "l" else (0, (5, 1.5)))
        if not any_data:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center",
                    color=_GREY)
        ylo, yhi = ax.get_ylim()
        for sd in ("l", "r"):
            for pct, ls in ((to_pct[sd], "--"), (ms_pct[sd], ":")):
                if _finite(pct):
                    ax.axvline(pct, color=SIDE_COLOURS[sd], ls=ls, lw=1.0, alpha=0.9)
        # event names once, above the axes
        for lab, pcts in (("TO", to_pct), ("MS", ms_pct)):
            vals = [v for v in pcts.values() if _finite(v)]
            if vals:
                ax.text(float(np.mean(vals)), 1.01, lab, transform=ax.get_xaxis_transform(),
                        ha="center", va="bottom", fontsize=8, color="0.25")
        ax.set_ylim(ylo, yhi)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.grid(alpha=0.3)
        ax.set_title(f"{title}\n{sign}", fontsize=8.5, loc="left", pad=14)
        ax.set_ylabel("degrees")
        if i // ncols == nrows - 1 or i + ncols >= len(curves):
            ax.set_xlabel("% of stride (0 = initial contact)")
    n = {sd: int(((ctx.result.events.strides["side"] == sd)
                  & ctx.result.events.strides["valid"]).sum()) for sd in ("l", "r")}
    note = ("Each curve is the mean over the valid strides of one side (left "
            f"{n['l']}, right {n['r']}), time-normalised from initial contact (0 %) to the next "
            "initial contact of the same foot (100 %); the band is ± 1 standard deviation. "
            "Vertical lines: mean toe-off (dashed, TO) and midstance (dotted, MS) of each side, "
            "in its colour. Angles are measured in the image plane: "
            + ("they mean what they say only in a side view with the camera square to the "
               "runner; foot and ankle angles are not corrected for the standing angle."
               if view == "side" else
               "they mean what they say only with the camera level and square behind or in "
               "front of the runner; thigh and pelvis angles mix in any rotation of the "
               "hips, which a 2D view cannot separate."))
    y = bottom + 0.55
    for line in _wrap(note, _TEXT_W, 8.5):
        _text(fig, _LEFT, y, line, size=8.5, colour="0.2")
        y += _line_h(8.5)


def _legend_curves(fig, x: float, y: float) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=SIDE_COLOURS["l"], lw=1.5, label="left, mean ± SD"),
               Line2D([], [], color=SIDE_COLOURS["r"], lw=1.5, ls=(0, (5, 1.5)),
                      label="right, mean ± SD"),
               Line2D([], [], color="0.3", lw=1.0, ls="--", label="toe-off (TO)"),
               Line2D([], [], color="0.3", lw=1.0, ls=":", label="midstance (MS)")]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(_fx(x), _fy(y - 0.04)),
               ncol=4, frameon=False, fontsize=8.5, handlelength=2.6, borderaxespad=0)


# --------------------------------------------------------------------------------------
# page 4: markers stride by stride


def _stride_markers(ctx: _Ctx) -> list[_Row]:
    m = ctx.result.markers
    if m is None:
        return []
    return [r for r in ctx.rows if r.marker in m.columns]


def _draw_strides(fig, ctx: _Ctx, rows: list[_Row]) -> None:
    from matplotlib.lines import Line2D

    res = ctx.result
    m = res.markers
    st = res.events.strides
    ncols = 3
    nrows = max(1, math.ceil(len(rows) / ncols))
    note = ("One point per valid stride, at the time of its initial contact: a trend shows "
            "drift over the clip (fatigue, a changing speed or camera), a point far from its "
            "side's median an unusual stride. Shading: the band's zones (thresholds include the "
            "measurement margin).")
    note_lines = _wrap(note, _TEXT_W, 8.5)
    top = _TOP + 0.45
    bottom = _BOTTOM - len(note_lines) * _line_h(8.5) - 0.65
    slot = (bottom - top) / 6.0  # keep the panel size when a page holds fewer rows
    gs = fig.add_gridspec(nrows, ncols, left=_fx(_LEFT + 0.42), right=_fx(_RIGHT),
                          top=_fy(top), bottom=_fy(top + slot * nrows), hspace=0.95,
                          wspace=0.38)
    handles = [Line2D([], [], color=SIDE_COLOURS["l"], marker="o", ms=4, lw=0.7, label="left"),
               Line2D([], [], color=SIDE_COLOURS["r"], marker="s", ms=4, lw=0.7, label="right"),
               Line2D([], [], color="0.3", lw=1.0, ls="--", label="median of the side")]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(_fx(_LEFT), _fy(_TOP - 0.04)),
               ncol=3, frameon=False, fontsize=8.5, borderaxespad=0)
    xx = _LEFT + 4.1
    for kind in ("ok", "watch", "flag"):
        _rect(fig, xx, _TOP + 0.02, 0.22, 0.12, _LEVEL_TINTS[kind])
        _text(fig, xx + 0.26, _TOP + 0.01, kind, size=8.0)
        xx += 0.26 + _text_w(kind, 8.0) + 0.14
    _text(fig, xx, _TOP + 0.01, "band zones", size=8.0, colour=_GREY)
    t_ic = st["ic_time_s"] if len(st) else None
    first_ax = None
    for i, row in enumerate(rows):
        ax = fig.add_subplot(gs[i // ncols, i % ncols], sharex=first_ax)
        first_ax = first_ax or ax
        vals_all = []
        for sd in ("l", "r"):
            sel = m[m["side"] == sd]
            if not len(sel):
                continue
            x = t_ic.reindex(sel.index).to_numpy(float)
            y = sel[row.marker].to_numpy(float)
            ok = np.isfinite(x) & np.isfinite(y)
            vals_all += list(y[ok])
            ax.plot(x[ok], y[ok], marker=_SIDE_MARKERS[sd], color=SIDE_COLOURS[sd], ms=3.6,
                    lw=0.7, mec="black", mew=0.3)
            med = row.values.get(sd, math.nan)
            if _finite(med):
                ax.axhline(med, color=SIDE_COLOURS[sd], ls="--", lw=0.9)
        if vals_all:
            lo, hi = min(vals_all), max(vals_all)
            span = max(hi - lo, 0.02 * max(abs(lo), abs(hi)), 1e-3)
            mid = 0.5 * (lo + hi)
            lo, hi = mid - 0.75 * span, mid + 0.75 * span
            ax.set_ylim(lo, hi)
            for a, b, kind in _zones(row.band):
                a, b = max(a, lo), min(b, hi)
                if b > a:
                    ax.axhspan(a, b, color=_LEVEL_TINTS[kind], lw=0, zorder=0)
        else:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center",
                    color=_GREY)
        title = _wrap(f"{row.label} ({_UNIT_SHORT.get(row.unit, row.unit).strip() or row.unit})",
                      1.95, 8.5, True)[:2]
        ax.set_title("\n".join(title), fontsize=8.5, fontweight="bold", loc="left", pad=3)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(labelsize=8)
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.ticklabel_format(axis="y", useOffset=False)
        if i + ncols >= len(rows):
            ax.set_xlabel("time of initial contact (s)", fontsize=8)
        else:
            ax.tick_params(labelbottom=False)
    y = top + slot * nrows + 0.5
    for line in note_lines:
        _text(fig, _LEFT, y, line, size=8.5, colour="0.2")
        y += _line_h(8.5)


# --------------------------------------------------------------------------------------
# rendering


def _save_png(fig, path: Path, dpi: int) -> None:
    """Save a page as an RGB PNG with light compression.

    Several times faster to encode than matplotlib's default (RGBA, level 6), for files
    about 15 % larger.
    """
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=dpi)
    w, h = (int(v * dpi) for v in fig.get_size_inches())
    data = buf.getvalue()
    if len(data) != w * h * 4:  # pragma: no cover - an unexpected raster size
        fig.savefig(path, format="png", dpi=dpi)
        return
    img = Image.frombuffer("RGBA", (w, h), data, "raw", "RGBA", 0, 1).convert("RGB")
    img.save(path, format="png", compress_level=1, dpi=(dpi, dpi))


def _no_ligatures(fig) -> None:
    """Turn ligatures off ('fl' stays two letters), so the PDF's text can be searched."""
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        t.set_fontfeatures(["-liga"])


def _can_fork() -> bool:
    """Say whether a forked helper process is cheap and safe here.

    Linux, two or more CPUs for this process, and no other Python thread (a fork copies
    only the calling thread).
    """
    import sys
    import threading

    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        ncpu = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover
        ncpu = os.cpu_count() or 1
    return ncpu >= 2 and threading.active_count() == 1


def _write_pngs(figs: list, pages: Iterable[int], out: Path, dpi: int) -> None:
    for k in pages:
        with atomic_path(out / f"report-{k}.png") as tmp:
            _save_png(figs[k - 1], tmp, dpi)


def render_report(
    result: Any,
    out_dir: str | os.PathLike[str],
    *,
    runner: str | None = None,
    pdf: bool = True,
    png: bool = True,
    video: str | os.PathLike[str] | None = None,
    dpi: int = 130,
    jobs: int | None = None,
) -> list[Path]:
    """Draw the runner's report from a finished analysis: an A4 PDF and one PNG per page.

    Nothing is estimated again: the pages are drawn from ``result`` (for instance
    :func:`gaitcheck.pipeline.load_result` of a results folder), plus three frames of the
    video for the key-frame stills. When the video cannot be found (moved) or does not
    match the analysed clip, the stills are drawn from the landmarks alone and the page
    says so.

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis.
    out_dir : path-like
        Folder to write into (created if missing).
    runner : str, optional
        Runner's name or id for the header.
    pdf : bool, optional
        Write ``report.pdf``.
    png : bool, optional
        Write ``report-1.png``, ``report-2.png``... (one per page; older ``report-N.png``
        beyond the new page count are removed).
    video : path-like, optional
        The clip, when it is no longer where ``result.provenance['video']`` says.
    dpi : int, optional
        Resolution of the PNGs.
    jobs : int, optional
        1: draw everything in this process. 2: once the pages are built, a forked child
        process writes most PNGs while this one writes the PDF (matplotlib draws text
        glyph by glyph in Python, so the two formats take seconds; this halves the wall
        time). Default: 2 where forking is safe (Linux, two or more CPUs, a single Python
        thread), else 1. If the child fails, its PNGs are drawn here.

    Returns
    -------
    list of Path
        The files written (each atomically: under a temporary name, then renamed), PDF
        first.
    """
    import matplotlib

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not (pdf or png):
        return []
    with matplotlib.rc_context(_RC):
        ctx = _context(result, runner, video)
        pages = _plan(ctx)
        figs = []
        for k, page in enumerate(pages, 1):
            fig = _new_page(ctx, page.title, k, len(pages))
            page.draw(fig, ctx)
            _no_ligatures(fig)
            figs.append(fig)
        n = len(figs)
        # the child takes the PNGs of the first pages, this process the PDF and the rest:
        # a page's PDF costs about 0.75 of its PNG, so 7/8 of the PNGs balance the load
        child: list[int] = []
        if png and n > 1 and (jobs if jobs is not None else (2 if _can_fork() else 1)) > 1:
            child = list(range(1, (max(1, min(n - 1, round(n * 7 / 8))) if pdf else n // 2)
                               + 1))
        pid, child_ok = 0, True
        if child:
            if pdf:
                from matplotlib.backends import backend_pdf  # noqa: F401 - import before fork
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child process
                code = 1
                try:
                    _write_pngs(figs, child, out, dpi)
                    code = 0
                finally:
                    os._exit(code)
        try:
            if pdf:
                from matplotlib.backends.backend_pdf import PdfPages

                meta = {"Title": f"gaitcheck running-form report: {ctx.who}, {ctx.clip}",
                        "Author": "gaitcheck", "Subject": DISCLAIMER_LINE,
                        "Creator": "gaitcheck (matplotlib)"}
                with atomic_path(out / "report.pdf") as tmp:
                    with PdfPages(tmp, metadata=meta) as pp:
                        for fig in figs:
                            pp.savefig(fig)
            if png:
                _write_pngs(figs, [k for k in range(1, n + 1) if k not in child], out, dpi)
        finally:
            if pid:
                child_ok = os.waitpid(pid, 0)[1] == 0
        if not child_ok:  # the child failed: draw its pages here
            _write_pngs(figs, child, out, dpi)
        if png:
            for old in out.glob("report-*.png"):
                mt = re.fullmatch(r"report-(\d+)\.png", old.name)
                if mt and int(mt.group(1)) > n:
                    old.unlink(missing_ok=True)
    written = [out / "report.pdf"] if pdf else []
    return written + ([out / f"report-{k}.png" for k in range(1, n + 1)] if png else [])
