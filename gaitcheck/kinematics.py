"""Kinematics: cleaned landmark trajectories, camera view, running direction, scale and angles.

:func:`compute_kinematics` turns MediaPipe :class:`~gaitcheck.landmarks.Landmarks` into a
:class:`Kinematics` record. Everything is vectorised over the whole clip; Python loops run
only over landmarks, leg sides and NaN-free runs, never over frames.

Cleaning (in pixel space: ``x * width``, ``y * height``, which is isotropic)
----------------------------------------------------------------------------
1. **Visibility and frame.** Points with visibility below ``min_visibility``, or more
   than :data:`OUT_OF_FRAME_MARGIN` outside the image, become NaN. The default is 0.3,
   not 0.5: in side views MediaPipe gives the *far* leg a visibility that hovers around
   0.45-0.6 while its position is still usable (real treadmill clip: the far knee was
   below 0.5 in 12 % of frames, in runs of up to 13 frames, so a 0.5 cut leaves gaps too
   long to interpolate and cut the analysable share from 98 % to 80 %), whereas points
   far outside the image get visibility < 0.1.
2. **Leg-label repair** (when ``correct_swaps``), before the outlier filter so that a
   short label swap is put right instead of being deleted as an outlier and a longer one
   does not bias the rolling medians: short left/right swaps are exchanged back
   (:func:`detect_leg_swaps`), then points of a leg whose labels jumped onto the other
   leg for a few frames ("collapsed" labels, :func:`detect_label_collapses`; in side
   views MediaPipe often puts the far foot on the near stance foot) become NaN.
3. **Hampel filter** (:func:`hampel`): a point whose ``x`` or ``y`` lies more than
   ``hampel_nsigma`` robust standard deviations (1.4826 x the local MAD, floored at 1 %
   of the leg length) from the centred rolling median becomes NaN.
4. **Gap filling** (:func:`interpolate_gaps`): linear interpolation across gaps of at most
   ``max_gap_s``; longer gaps stay NaN.
5. **Zero-lag low-pass** (:func:`butterworth_nan_runs`): Butterworth ``order`` applied
   forwards and backwards (same result as ``scipy.signal.sosfiltfilt`` with its default
   odd padding) to each NaN-free run separately,
   so nothing is smeared across a gap. Runs no longer than the filter's pad length
   (15 samples for order 4) are kept unfiltered. The two passes square the magnitude
   response: the -3 dB point of the combined filter lies below ``cutoff_hz`` (no
   Winter-style correction is applied).

Steps 3 and 5 apply to :data:`BODY_LANDMARKS` only (nose, ears, shoulders, elbows,
wrists, legs); the eye, mouth and finger landmarks are only visibility-masked and
gap-filled.

Analysis frame
--------------
``Kinematics.points`` are in leg lengths with ``x`` positive in the running direction,
``y`` positive up and the origin at the median mid-hip position of the clip. In a rear or
front view, or whenever ``direction == 0``, ``x`` keeps the image direction (positive =
image right).

Angle conventions (degrees)
---------------------------
Sagittal angles are computed in every view but only mean something in a side view;
frontal angles only in a rear or front view. ``{s}`` is ``l`` or ``r`` (the runner's side).

* ``knee_flex_{s}_deg`` - thigh angle minus shank angle (both from straight down); equals
  180 deg minus the included hip-knee-ankle angle. 0 = straight, positive = flexed
  (ankle behind the thigh line), negative = hyperextended.
* ``hip_flex_{s}_deg`` - thigh (hip to knee) against straight down; positive when the knee
  is ahead of the hip (flexion), negative behind (extension). Segment-to-vertical, so it
  mixes hip motion with pelvic tilt.
* ``hip_flex_trunk_{s}_deg`` - thigh against the trunk line (mid-shoulder to mid-hip,
  extended downwards); positive = flexion. Equals ``hip_flex + trunk_lean``.
* ``shank_{s}_deg`` - shank (knee to ankle) against straight down; positive when the
  ankle is ahead of the knee.
* ``foot_{s}_deg`` - foot (heel to foot index) against the horizontal; positive = toes up.
  Not corrected for the standing foot angle.
* ``ankle_{s}_deg`` - angle between knee-to-ankle and heel-to-toe minus 90 deg
  (``foot - shank``); positive = dorsiflexion. Not corrected for the standing angle.
* ``trunk_lean_deg`` - mid-hip to mid-shoulder against straight up; positive = leaning
  forward (in the running direction).
* ``pelvic_obliquity_deg`` - line from the left to the right hip against the horizontal,
  positive when the runner's RIGHT hip is higher. Contralateral pelvic drop is therefore
  ``+pelvic_obliquity`` during right stance and ``-pelvic_obliquity`` during left stance.
* ``hip_adduction_{s}_deg`` - thigh against the perpendicular to the pelvis line (pointing
  down); positive = knee towards the midline (adduction).
* ``femoral_adduction_{s}_deg`` - thigh against straight down; positive = knee towards the
  midline.

See :data:`ANGLE_CONVENTIONS` and :data:`SIGNAL_DESCRIPTIONS` for every column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import signal

from .landmarks import LM, N_LANDMARKS, Landmarks

__all__ = [
    "ANGLE_CONVENTIONS",
    "BODY_LANDMARKS",
    "COLLAPSE_GROUPS",
    "CORE_LANDMARKS",
    "LEFT_RIGHT_PAIRS",
    "LEG_LENGTH_PER_HEIGHT",
    "MAX_SWAP_S",
    "OUT_OF_FRAME_MARGIN",
    "SIGNAL_DESCRIPTIONS",
    "SWAP_GROUPS",
    "Kinematics",
    "ViewEstimate",
    "butterworth_nan_runs",
    "compute_angles",
    "compute_kinematics",
    "detect_label_collapses",
    "detect_leg_swaps",
    "detect_view",
    "hampel",
    "interpolate_gaps",
    "swap_legs",
    "true_runs",
]

#: Hip-joint-to-ankle length as a fraction of standing height H: greater-trochanter
#: height 0.530 H minus lateral-malleolus height 0.039 H (thigh 0.245 H + shank 0.246 H),
#: from the Drillis & Contini proportions reproduced in Winter, *Biomechanics and Motor
#: Control of Human Movement* (4th ed., 2009), Fig. 4.1. The often quoted "leg = 0.53 H"
#: is floor-to-trochanter, i.e. it includes the ankle height, which the landmark-based
#: leg length (hip-knee + knee-ankle) does not.
LEG_LENGTH_PER_HEIGHT = 0.491

#: Points farther than this (fraction of the image size) outside the image are dropped:
#: MediaPipe extrapolates them (a real front-view clip had 38 % of its foot points with
#: visibility 0.3-0.5 below the bottom edge).
OUT_OF_FRAME_MARGIN = 0.02

#: Longest label swap (seconds) that :func:`compute_kinematics` corrects.
MAX_SWAP_S = 0.35

#: ``(left, right)`` landmark index pairs of every bilateral landmark.
LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (int(m), int(LM[m.name.replace("LEFT_", "RIGHT_")])) for m in LM if m.name.startswith("LEFT_")
)

#: Left-side landmarks checked for left/right swaps, in the order the passes run: first
#: the whole leg below the hip (knee, ankle, heel, foot index) decided together, then the
#: knee alone (MediaPipe sometimes swaps only the knees, and a foot-only swap makes the
#: first pass exchange knees that were right, which the second pass undoes when the knees
#: are clearly apart).
SWAP_GROUPS: dict[str, tuple[int, ...]] = {
    "leg": (int(LM.LEFT_KNEE), int(LM.LEFT_ANKLE), int(LM.LEFT_HEEL), int(LM.LEFT_FOOT_INDEX)),
    "knee": (int(LM.LEFT_KNEE),),
}

#: Plausible foot angles (deg, heel-to-toe vs horizontal, toes up positive) in a side view.
FOOT_ANGLE_RANGE_DEG = (-120.0, 80.0)

#: Left-side landmarks checked for collapsed labels (both sides on one limb), per group.
COLLAPSE_GROUPS: dict[str, tuple[int, ...]] = {
    "knee": (int(LM.LEFT_KNEE),),
    "foot": (int(LM.LEFT_ANKLE), int(LM.LEFT_HEEL), int(LM.LEFT_FOOT_INDEX)),
}

#: Landmarks that get the full cleaning (outlier rejection and low-pass filter): nose,
#: ears, shoulders, elbows, wrists and the legs. The face details and fingers (eyes, mouth,
#: pinky, index, thumb) are only visibility-masked and gap-filled: nothing downstream
#: uses them, and skipping them keeps the stage fast.
BODY_LANDMARKS: tuple[int, ...] = (0, 7, 8, *range(11, 17), *range(23, 33))

#: Landmarks that must all be present for a frame to be in :attr:`Kinematics.segments`.
CORE_LANDMARKS: tuple[int, ...] = tuple(
    int(m)
    for m in (
        LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE,
        LM.RIGHT_ANKLE, LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX,
    )
)  # fmt: skip

_BILATERAL_ANGLES = {
    "knee_flex": "Knee flexion: thigh angle minus shank angle (both from straight down), "
    "= 180 deg minus the included hip-knee-ankle angle; 0 = straight, positive = flexed, "
    "negative = hyperextended. Side view only.",
    "hip_flex": "Thigh (hip to knee) against straight down; positive = knee ahead of the hip "
    "(flexion), negative = behind (extension). Side view only.",
    "hip_flex_trunk": "Thigh against the trunk line (mid-shoulder to mid-hip, extended); "
    "positive = flexion. Side view only.",
    "shank": "Shank (knee to ankle) against straight down; positive = ankle ahead of the "
    "knee. Side view only.",
    "foot": "Foot (heel to foot index) against the horizontal; positive = toes up. Not "
    "corrected for the standing foot angle. NaN outside -120..80 deg (the toe behind the "
    "heel: swapped or misplaced heel/toe labels, not a foot position). Side view only.",
    "ankle": "Angle between knee-to-ankle and heel-to-toe minus 90 deg (foot minus shank "
    "angle); positive = dorsiflexion. Not corrected for the standing angle. NaN where the "
    "foot angle is. Side view only.",
    "hip_adduction": "Thigh against the perpendicular to the pelvis (hip-hip) line, pointing "
    "down; positive = knee towards the midline. Rear/front view only.",
    "femoral_adduction": "Thigh against straight down; positive = knee towards the midline. "
    "Rear/front view only.",
}

#: Column name -> sign convention of every angle column of :attr:`Kinematics.angles`.
ANGLE_CONVENTIONS: dict[str, str] = {
    **{f"{q}_{s}_deg": text for q, text in _BILATERAL_ANGLES.items() for s in ("l", "r")},
    "trunk_lean_deg": "Mid-hip to mid-shoulder against straight up; positive = forward lean "
    "(in the running direction). Side view only.",
    "pelvic_obliquity_deg": "Left-hip to right-hip line against the horizontal; positive = "
    "the runner's RIGHT hip higher. Contralateral pelvic drop = +value in right stance, "
    "-value in left stance. Rear/front view only.",
}

_BILATERAL_SIGNALS = {
    "heel_x": "Heel x (analysis frame, positive forward), leg lengths.",
    "heel_y": "Heel height (y up), leg lengths.",
    "toe_x": "Foot-index x (analysis frame), leg lengths.",
    "toe_y": "Foot-index height (y up), leg lengths.",
    "ankle_x": "Ankle x (analysis frame), leg lengths.",
    "ankle_y": "Ankle height (y up), leg lengths.",
    "knee_x": "Knee x (analysis frame), leg lengths.",
    "foot_y": "Lower of heel and foot-index height (y up), leg lengths; NaN if either is missing.",
}

#: Column name -> meaning of every non-angle column of :attr:`Kinematics.angles`.
SIGNAL_DESCRIPTIONS: dict[str, str] = {
    "time_s": "Presentation time of the frame, seconds.",
    **{f"{q}_{s}_leg": text for q, text in _BILATERAL_SIGNALS.items() for s in ("l", "r")},
    "pelvis_x_leg": "Mid-hip x (analysis frame), leg lengths.",
    "pelvis_y_leg": "Mid-hip height (y up), leg lengths.",
    "leg_length_px": "Per-frame leg length (hip-knee + knee-ankle, mean of the sides), "
    "rolling median over about 1 s, pixels. Shows scale drift when the runner approaches "
    "or leaves the camera.",
}


@dataclass(frozen=True, eq=False)
class ViewEstimate:
    """Camera view and running direction estimated from the landmarks.

    Parameters
    ----------
    view : str
        ``'side'``, ``'rear'``, ``'front'`` or ``'unknown'``.
    confidence : float
        Confidence in ``view``, 0..1.
    direction : int
        +1 when the runner faces/moves towards image +x, -1 towards image -x, 0 when
        undetermined (always 0 in rear and front views).
    direction_confidence : float
        Agreement of the direction cues, 0..1.
    near_side : str or None
        ``'l'`` or ``'r'``: the runner's side nearer the camera (from MediaPipe's relative
        depth), in a side view; ``None`` otherwise.
    features : dict
        The numbers the decision was made from (JSON-serialisable floats).
    """

    view: str
    confidence: float
    direction: int
    direction_confidence: float
    near_side: str | None
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Kinematics:
    """Cleaned trajectories, view, scale and per-frame angles of one runner in one clip.

    Parameters
    ----------
    points : ndarray of shape (n_frames, 33, 2), float64
        Cleaned landmarks in the analysis frame, in leg lengths: ``x`` positive in the
        running direction (image direction when ``direction == 0``), ``y`` positive up,
        origin at the median mid-hip of the clip. NaN where missing after cleaning.
    points_px : ndarray of shape (n_frames, 33, 2), float64
        The same cleaned points in image pixels (``x`` right, ``y`` down), for overlays.
    visibility : ndarray of shape (n_frames, 33), float32
        MediaPipe visibility, with the left/right values exchanged wherever the swap
        correction exchanged the points.
    fps : float
        Frame rate.
    time_s : ndarray of shape (n_frames,)
        Presentation time of each frame, seconds.
    direction : int
        +1 if the runner moves/faces towards image +x, -1 towards image -x, 0 when
        undetermined (rear and front views).
    view : str
        ``'side'``, ``'rear'``, ``'front'`` or ``'unknown'``.
    view_confidence : float
        Confidence in ``view``, 0..1.
    leg_length_px : float
        Median over frames of ``|hip-knee| + |knee-ankle|`` in pixels, both sides pooled,
        frames with both segments present. NaN when no such frame exists.
    m_per_leg : float or None
        Metres per leg length, ``LEG_LENGTH_PER_HEIGHT * height`` (0.491 x stature, see
        :data:`LEG_LENGTH_PER_HEIGHT`), when the runner's height was given.
    swapped : ndarray of shape (n_frames,), bool
        Frames where left/right leg labels were exchanged back by the swap correction.
    segments : tuple of (int, int)
        ``[start, stop)`` frame ranges where all :data:`CORE_LANDMARKS` are present, at
        least ``info['min_segment_frames']`` long (the filter's pad length + 1, i.e. 16
        frames for order 4; shorter runs are not low-pass filtered).
    angles : pandas.DataFrame
        One row per frame (index ``frame``): ``time_s``, the angles of
        :data:`ANGLE_CONVENTIONS` and the signals of :data:`SIGNAL_DESCRIPTIONS`.
    info : dict
        Cleaning statistics and the settings used (JSON-serialisable).
    """

    points: np.ndarray
    points_px: np.ndarray
    visibility: np.ndarray
    fps: float
    time_s: np.ndarray
    direction: int
    view: str
    view_confidence: float
    leg_length_px: float
    m_per_leg: float | None
    swapped: np.ndarray
    segments: tuple[tuple[int, int], ...]
    angles: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.points.shape[0])

    @property
    def segment_share(self) -> float:
        """Share of frames (0..1) that lie inside :attr:`segments`."""
        if not self.n_frames:
            return 0.0
        return sum(b - a for a, b in self.segments) / self.n_frames


# --------------------------------------------------------------------------- helpers


def true_runs(mask: np.ndarray) -> np.ndarray:
    """Return the runs of True values in a 1-D boolean mask.

    Parameters
    ----------
    mask : array_like of shape (n,), bool
        The mask.

    Returns
    -------
    ndarray of shape (k, 2), int
        ``[start, stop)`` of each run, in order.
    """
    m = np.asarray(mask, dtype=bool).ravel()
    d = np.diff(np.concatenate(([False], m, [False])).astype(np.int8))
    return np.column_stack((np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _prev_next_valid(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the previous and next valid row of a 2-D mask (-1 / n when none)."""
    n = valid.shape[0]
    idx = np.arange(n, dtype=np.int32)[:, None]
    prev = np.where(valid, idx, np.int32(-1))
    np.maximum.accumulate(prev, axis=0, out=prev)
    nxt = np.where(valid[::-1], idx[::-1], np.int32(n))
    np.minimum.accumulate(nxt, axis=0, out=nxt)
    return prev, nxt[::-1]


def _interpolate_inplace(x: np.ndarray, max_gap: int) -> None:
    """Fill short gaps of ``x`` (n, m, d) in place; a sample is missing when its [..., 0] is NaN."""
    n = x.shape[0]
    nan = np.isnan(x[..., 0])
    cols = np.flatnonzero(nan.any(axis=0) & ~nan.all(axis=0))
    if n == 0 or max_gap < 1 or cols.size == 0:
        return
    prev, nxt = _prev_next_valid(~nan[:, cols])
    rows, cc = np.nonzero(nan[:, cols])
    p, q = prev[rows, cc], nxt[rows, cc]
    ok = (p >= 0) & (q < n) & (q - p - 1 <= max_gap)
    rows, p, q, c = rows[ok], p[ok], q[ok], cols[cc[ok]]
    w = ((rows - p) / (q - p))[:, None]
    x[rows, c] = x[p, c] + w * (x[q, c] - x[p, c])


def interpolate_gaps(x: np.ndarray, *, max_gap: int) -> np.ndarray:
    """Fill short NaN gaps by linear interpolation along axis 0.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
        Samples along axis 0; every other axis is an independent channel.
    max_gap : int
        Longest gap (consecutive NaN samples) that is filled. Gaps at the start or end,
        and longer gaps, stay NaN.

    Returns
    -------
    ndarray of shape (n, ...), float64
        A copy with the short gaps filled.
    """
    out = np.array(x, dtype=np.float64)
    if out.shape[0]:
        _interpolate_inplace(out.reshape(out.shape[0], -1, 1), max_gap)
    return out


def _fill_all(flat: np.ndarray) -> np.ndarray:
    """Fill every NaN of a 2-D array (float32 copy): linear inside, nearest at the ends."""
    out = np.array(flat, dtype=np.float32)
    n = out.shape[0]
    cols = np.flatnonzero(np.isnan(out).any(axis=0))
    if cols.size == 0:
        return out
    sub = out[:, cols]
    valid = ~np.isnan(sub)
    prev, nxt = _prev_next_valid(valid)
    rows, cc = np.nonzero(~valid)
    p, q = prev[rows, cc], nxt[rows, cc]
    inner = (p >= 0) & (q < n)
    src = np.where(p >= 0, p, q)
    ok = src < n
    vals = np.zeros(rows.size, dtype=np.float32)
    vals[ok] = sub[src[ok], cc[ok]]
    pi, qi, ri, ci = p[inner], q[inner], rows[inner], cc[inner]
    vals[inner] += (ri - pi) / (qi - pi) * (sub[qi, ci] - sub[pi, ci])
    sub[rows, cc] = vals
    out[:, cols] = sub
    return out


@lru_cache(maxsize=64)
def _median_network(width: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """Build a Batcher odd-even merge sort network pruned to the median output.

    Each entry is ``(i, j, keep_min, keep_max)``: put ``min`` into slot ``i`` (when
    ``keep_min``) and ``max`` into slot ``j`` (when ``keep_max``). After all comparators,
    slot ``width // 2`` holds the median of an odd number of inputs.
    """
    size = 1
    while size < width:
        size *= 2
    pairs: list[tuple[int, int]] = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    # slots >= width hold +inf: comparators touching them are no-ops
    pairs = [(a, b) for a, b in pairs if b < width]
    needed = {width // 2}
    kept: list[tuple[int, int, bool, bool]] = []
    for a, b in reversed(pairs):
        need_a, need_b = a in needed, b in needed
        if need_a or need_b:
            kept.append((a, b, need_a, need_b))
            needed |= {a, b}
    return tuple(reversed(kept))


def _rolling_median(slots: list[np.ndarray]) -> np.ndarray:
    """Element-wise median of an odd number of equally shaped arrays (no NaN)."""
    vals = list(slots)
    for a, b, keep_min, keep_max in _median_network(len(vals)):
        va, vb = vals[a], vals[b]
        if keep_min:
            vals[a] = np.minimum(va, vb)
        if keep_max:
            vals[b] = np.maximum(va, vb)
    return vals[len(vals) // 2]


def hampel(
    x: np.ndarray,
    *,
    half_width: int,
    nsigma: float = 3.0,
    min_scale: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Flag outliers with a Hampel identifier (rolling median and MAD) along axis 0.

    For each sample ``i`` the window holds samples ``i - half_width .. i + half_width``.
    With ``m_i`` the window median and ``MAD_i`` the median of
    ``|x_j - m_i|`` over the window, a sample is an outlier when
    ``|x_i - m_i| > nsigma * max(1.4826 * MAD_i, min_scale)``. NaN samples are bridged by
    linear interpolation for the window statistics and are never flagged. The medians
    come from a sorting network of element-wise minimum/maximum over the whole array, so
    the cost grows with the window but not with Python-level loops over samples. The
    first and last ``half_width`` samples have no centred window and are never flagged
    (an off-centre window flags genuine fast motion near a turning point).

    The MAD measures the spread of the whole window, motion included: on a fast-moving
    point (a swinging foot filmed at 30 fps) only spikes larger than the motion within
    the window are caught. Leg-label errors are handled by :func:`detect_leg_swaps` and
    :func:`detect_label_collapses` instead.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
        Samples along axis 0; every other axis is an independent channel.
    half_width : int
        Samples on each side of the centre (window = ``2 * half_width + 1``).
    nsigma : float
        Threshold in robust standard deviations.
    min_scale : float or ndarray
        Floor of the robust standard deviation (same unit as ``x``; broadcast against
        one sample), which stops flat stretches (MAD near 0) from flagging jitter.

    Returns
    -------
    ndarray of shape (n, ...), bool
        True for outliers.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    k = int(min(half_width, (n - 1) // 2)) if n else 0
    if k < 1:
        return np.zeros(x.shape, dtype=bool)
    flat = x.reshape(n, -1)
    filled = _fill_all(flat)  # float32: half the memory traffic, ample precision here
    floor = np.broadcast_to(np.asarray(min_scale, dtype=np.float64), x.shape[1:]).reshape(-1)
    width = 2 * k + 1
    centres = n - 2 * k  # windows that fit entirely inside the data
    med = np.empty((centres, flat.shape[1]), dtype=np.float32)
    chunk = max(256, (1 << 15) // max(1, flat.shape[1]))  # rows per cache-sized block
    for a in range(0, centres, chunk):
        b = min(centres, a + chunk)
        med[a:b] = _rolling_median([filled[a + o : b + o] for o in range(width)])
    with np.errstate(invalid="ignore"):
        dev = np.abs(flat[k : n - k] - med)
        # only samples beyond the floor can be outliers: the MAD is needed just for them
        rows, cols = np.nonzero(dev > nsigma * floor)
    out = np.zeros(flat.shape, dtype=bool)  # the first/last k samples are never flagged
    if rows.size:
        win = filled[rows[:, None] + np.arange(width), cols[:, None]]
        mad = np.partition(np.abs(win - med[rows, cols][:, None]), k, axis=1)[:, k]
        scale = np.maximum(1.4826 * mad, floor[cols])
        hit = dev[rows, cols] > nsigma * scale
        out[rows[hit] + k, cols[hit]] = True
    return out.reshape(x.shape)


def _butter_sos(fps: float, cutoff_hz: float, order: int) -> np.ndarray | None:
    """Second-order sections of the low-pass, or None when the cutoff is too near Nyquist."""
    if not cutoff_hz > 0 or cutoff_hz >= 0.95 * fps / 2:
        return None
    return signal.butter(order, cutoff_hz, btype="lowpass", fs=fps, output="sos")


def _padlen(sos: np.ndarray) -> int:
    """Default pad length of :func:`scipy.signal.sosfiltfilt` for these sections."""
    ntaps = 2 * len(sos) + 1
    ntaps -= min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def _filtfilt_cols(sos: np.ndarray, zi: np.ndarray, x: np.ndarray, padlen: int) -> np.ndarray:
    """Forward-backward filter each column of ``x`` like ``sosfiltfilt`` (odd padding)."""
    ext = np.concatenate(
        (2 * x[:1] - x[padlen:0:-1], x, 2 * x[-1:] - x[-2 : -padlen - 2 : -1]), axis=0
    )
    y, _ = signal.sosfilt(sos, ext, axis=0, zi=zi[:, :, None] * ext[0])
    y = y[::-1]
    y, _ = signal.sosfilt(sos, y, axis=0, zi=zi[:, :, None] * y[0])
    return y[::-1][padlen:-padlen]


def _filter_runs(flat: np.ndarray, sos: np.ndarray) -> int:
    """Filter each NaN-free run of each column of a 2-D float64 array in place.

    Columns sharing a run (same start and stop) are filtered together in one call.
    Returns the number of (column, run) pairs left unfiltered because they were short.
    """
    n = flat.shape[0]
    padlen = _padlen(sos)
    zi = signal.sosfilt_zi(sos)
    valid = ~np.isnan(flat)
    runs: dict[tuple[int, int], list[int]] = {}
    if valid.all():
        runs[(0, n)] = list(range(flat.shape[1]))
    else:
        for c in range(flat.shape[1]):
            for a, b in true_runs(valid[:, c]).tolist():
                runs.setdefault((a, b), []).append(c)
    short = 0
    for (a, b), chans in runs.items():
        if b - a <= padlen:
            short += len(chans)
            continue
        if len(chans) == flat.shape[1]:
            flat[a:b] = _filtfilt_cols(sos, zi, flat[a:b], padlen)
        else:
            flat[a:b, chans] = _filtfilt_cols(sos, zi, flat[a:b, chans], padlen)
    return short


def butterworth_nan_runs(
    x: np.ndarray, fps: float, *, cutoff_hz: float, order: int = 4
) -> np.ndarray:
    """Zero-lag Butterworth low-pass applied to each NaN-free run separately.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
        Samples along axis 0; every other axis is an independent channel.
    fps : float
        Sampling rate, Hz.
    cutoff_hz : float
        Cutoff of the single-pass filter, Hz. When it is not below 0.95 x Nyquist the
        data are returned unfiltered.
    order : int
        Filter order of one pass (applied forwards and backwards).

    Returns
    -------
    ndarray of shape (n, ...), float64
        Filtered copy. NaN stays NaN; runs no longer than the filter's pad length
        (``3 * (2 * n_sections + 1)`` samples, 15 for order 4) are left unfiltered.
    """
    out = np.array(x, dtype=np.float64)
    sos = _butter_sos(fps, cutoff_hz, order)
    if sos is not None and out.shape[0]:
        _filter_runs(out.reshape(out.shape[0], -1), sos)
    return out


def swap_legs(
    array: np.ndarray, mask: np.ndarray, *, landmarks: Sequence[int] | None = None
) -> np.ndarray:
    """Exchange left and right landmarks in the selected frames.

    Parameters
    ----------
    array : ndarray of shape (n_frames, 33, ...)
        Any per-landmark array (coordinates, visibility...).
    mask : ndarray of shape (n_frames,), bool
        Frames to change.
    landmarks : sequence of int, optional
        LEFT landmark indices whose pairs are exchanged; all bilateral landmarks
        (:data:`LEFT_RIGHT_PAIRS`) by default.

    Returns
    -------
    ndarray
        A copy with the pairs exchanged where ``mask`` is True.
    """
    out = np.array(array, copy=True)
    mask = np.asarray(mask, dtype=bool)
    pairs = dict(LEFT_RIGHT_PAIRS)
    left = list(pairs) if landmarks is None else [int(i) for i in landmarks]
    right = [pairs[i] for i in left]
    if mask.any():
        rows = np.flatnonzero(mask)[:, None]
        out[rows, left] = array[rows, right]
        out[rows, right] = array[rows, left]
    return out


def _nanmean_last(a: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN (NaN when all are NaN), without warnings."""
    ok = ~np.isnan(a)
    cnt = ok.sum(axis=-1)
    tot = np.where(ok, a, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _swap_segments(flip: np.ndarray, valid: np.ndarray, max_swap_frames: int) -> np.ndarray:
    """Turn flip transitions into a swapped-frame mask (see :func:`detect_leg_swaps`)."""
    n = flip.shape[0]
    swapped = np.zeros(n, dtype=bool)
    # frame t joins frame t-1's run when the transition t is valid
    new_run = ~valid
    if n:
        new_run[0] = True
    starts = np.flatnonzero(new_run)
    stops = np.r_[starts[1:], n]
    run_of = np.cumsum(new_run) - 1
    for r in np.unique(run_of[np.flatnonzero(flip)]):
        s, e = int(starts[r]), int(stops[r])
        f = np.flatnonzero(flip[s + 1 : e]) + s + 1
        bounds = np.r_[s, f, e]
        lens = np.diff(bounds)
        m = lens.size
        idx = np.arange(m)
        parity = idx % 2
        long = lens > max_swap_frames
        if not long.any():
            continue
        left = np.maximum.accumulate(np.where(long, idx, -1))
        right = np.minimum.accumulate(np.where(long, idx, m)[::-1])[::-1]
        has_l, has_r = left >= 0, right < m
        pl = parity[np.clip(left, 0, m - 1)]
        pr = parity[np.clip(right, 0, m - 1)]
        # only segments enclosed by agreeing longer segments: a short stretch at the
        # start or end of a run (e.g. after a scene cut) has one-sided evidence
        seg_swapped = ~long & has_l & has_r & (pl == pr) & (parity != pl)
        swapped[s:e] = np.repeat(seg_swapped, lens)
    return swapped


def detect_leg_swaps(
    points: np.ndarray,
    *,
    scale: float,
    max_swap_frames: int = 10,
    max_ratio: float = 0.5,
    min_gain: float = 0.15,
    groups: dict[str, tuple[int, ...]] | None = None,
) -> dict[str, np.ndarray]:
    """Find frames where MediaPipe exchanged the left and right leg labels.

    For every frame transition ``t-1 -> t`` and every group of leg landmarks the cost of
    keeping the labels (``|L_t - L'| + |R_t - R'|``) is compared with the cost of
    exchanging them (``|L_t - R'| + |R_t - L'|``), where ``L'``, ``R'`` are predictions
    from the previous frames: the previous position and a constant-velocity
    extrapolation from the two previous frames; each assignment takes its better
    prediction. A transition is a *flip* only with a clear margin: exchanged cost below
    ``max_ratio`` x kept cost **and** at least ``min_gain * scale`` lower. When the legs
    genuinely cross (twice per stride in a side view) both assignments are about equally
    good, so no flip is declared.

    The groups are processed in order, each on the points as corrected by the groups
    before it (apply the returned masks in the same order).

    Flips split each run of frames (where both legs of the group are present) into
    segments. A segment no longer than ``max_swap_frames`` whose label parity differs
    from that of the nearest longer segments on both sides is marked swapped. Nothing is
    changed when those longer segments disagree (a missed or spurious flip) or when the
    short segment lies at the start or end of a run (one-sided evidence, e.g. a scene
    cut or the first frames after the runner is found).

    Parameters
    ----------
    points : ndarray of shape (n_frames, 33, 2)
        Landmark positions (pixels, any isotropic unit), NaN where missing.
    scale : float
        Length unit for ``min_gain``, e.g. the leg length in the same unit as ``points``.
    max_swap_frames : int
        Longest swap corrected, frames.
    max_ratio : float
        Exchanged cost must be below this fraction of the kept cost.
    min_gain : float
        ...and lower by at least this many ``scale`` units (summed over both legs,
        averaged over the group's landmarks).
    groups : dict of str to tuple of int, optional
        Group name -> LEFT landmark indices decided together; :data:`SWAP_GROUPS` by
        default.

    Returns
    -------
    dict of str to ndarray of shape (n_frames,), bool
        For each group, the frames whose labels should be exchanged.
    """
    groups = SWAP_GROUPS if groups is None else groups
    pairs = dict(LEFT_RIGHT_PAIRS)
    n = points.shape[0]
    out: dict[str, np.ndarray] = {}
    work = np.asarray(points, dtype=np.float64)[..., :2]
    for name, left in groups.items():
        if n < 2:
            out[name] = np.zeros(n, dtype=bool)
            continue
        right = [pairs[i] for i in left]
        # complex x + iy: a distance is one subtraction and one abs
        lz = work[:, list(left), 0] + 1j * work[:, list(left), 1]
        rz = work[:, right, 0] + 1j * work[:, right, 1]
        cur_l, cur_r = lz[1:], rz[1:]
        prev_l, prev_r = lz[:-1], rz[:-1]
        same0 = _nanmean_last(np.abs(cur_l - prev_l) + np.abs(cur_r - prev_r))
        cross0 = _nanmean_last(np.abs(cur_l - prev_r) + np.abs(cur_r - prev_l))
        # constant-velocity prediction from t-2, t-1 (NaN for the first transition)
        vel_l = np.full_like(prev_l, np.nan)
        vel_r = np.full_like(prev_r, np.nan)
        vel_l[1:] = 2 * lz[1:-1] - lz[:-2]
        vel_r[1:] = 2 * rz[1:-1] - rz[:-2]
        same1 = _nanmean_last(np.abs(cur_l - vel_l) + np.abs(cur_r - vel_r))
        cross1 = _nanmean_last(np.abs(cur_l - vel_r) + np.abs(cur_r - vel_l))
        same = np.fmin(same0, same1)
        cross = np.fmin(cross0, cross1)
        with np.errstate(invalid="ignore"):
            flip_t = (cross < max_ratio * same) & (same - cross > min_gain * scale)
        valid = np.r_[False, np.isfinite(same0)]
        flip = np.r_[False, flip_t & np.isfinite(same0)]
        out[name] = _swap_segments(flip, valid, max_swap_frames)
        if out[name].any():
            work = swap_legs(work, out[name], landmarks=left)
    return out


def detect_label_collapses(
    points: np.ndarray,
    *,
    scale: float,
    max_frames: int = 10,
    merge_tol: float = 0.1,
    min_dev: float = 0.2,
    groups: dict[str, tuple[int, ...]] | None = None,
) -> dict[str, np.ndarray]:
    """Find frames where both leg labels sit on the same leg ("collapsed" labels).

    MediaPipe sometimes puts the left and the right foot (or knee) on the same limb for a
    few frames, e.g. the swinging near foot jumps onto the far stance foot. That is not a
    swap, and a Hampel filter misses it when the foot moves fast (the window's MAD is
    large). Here a run of frames where the two legs of a group are closer than
    ``2 * merge_tol * scale`` (mean over the group's landmarks), at most ``max_frames``
    long and closer than ``merge_tol * scale`` in at least one frame, is compared for
    each side with the straight line between the side's positions just before and just
    after the run. The side that leaves its own track by more than
    ``min_dev * scale`` on average, while the other side deviates less than half as much,
    is flagged. Legs that genuinely pass each other stay on their tracks and are not
    flagged.

    Parameters
    ----------
    points : ndarray of shape (n_frames, 33, 2)
        Landmark positions (pixels, any isotropic unit), NaN where missing.
    scale : float
        Length unit for the tolerances, e.g. the leg length in the unit of ``points``.
    max_frames : int
        Longest collapse considered, frames.
    merge_tol : float
        Legs closer than this (in ``scale`` units) count as merged.
    min_dev : float
        Mean deviation from the own track (in ``scale`` units) that marks the wrong side.
    groups : dict of str to tuple of int, optional
        Group name -> LEFT landmark indices; :data:`COLLAPSE_GROUPS` by default.

    Returns
    -------
    dict of str to ndarray of shape (n_frames, 2), bool
        For each group, column 0 flags frames where the LEFT labels are wrong and column 1
        frames where the RIGHT labels are wrong.
    """
    groups = COLLAPSE_GROUPS if groups is None else groups
    pairs = dict(LEFT_RIGHT_PAIRS)
    n = points.shape[0]
    out: dict[str, np.ndarray] = {}
    for name, left in groups.items():
        flags = np.zeros((n, 2), dtype=bool)
        out[name] = flags
        right = [pairs[i] for i in left]
        sides = (  # complex x + iy
            points[:, list(left), 0] + 1j * points[:, list(left), 1],
            points[:, right, 0] + 1j * points[:, right, 1],
        )
        sep = _nanmean_last(np.abs(sides[0] - sides[1]))
        with np.errstate(invalid="ignore"):
            merged = sep < merge_tol * scale
            near = sep < 2 * merge_tol * scale  # hysteresis: extend runs to near frames
        ends = np.isfinite(sep)
        runs = true_runs(near)
        start, stop = runs[:, 0], runs[:, 1]
        keep = (stop - start <= max_frames) & (start >= 1) & (stop < n)
        start, stop = start[keep], stop[keep]
        cum = np.concatenate(([0], np.cumsum(merged)))
        keep = ends[start - 1] & ends[stop] & (cum[stop] > cum[start])
        start, stop = start[keep], stop[keep]
        if start.size == 0:
            continue
        lens = stop - start
        run = np.repeat(np.arange(start.size), lens)
        t = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens) + start[run]
        w = ((t - start[run] + 1) / (lens[run] + 1))[:, None]
        dev = []
        for side in sides:
            p0, p1 = side[start[run] - 1], side[stop[run]]
            d = _nanmean_last(np.abs(side[t] - (p0 + w * (p1 - p0))))
            ok = np.isfinite(d)
            tot = np.bincount(run, weights=np.where(ok, d, 0.0), minlength=start.size)
            cnt = np.bincount(run, weights=ok.astype(float), minlength=start.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                dev.append(np.where(cnt > 0, tot / cnt, np.nan))
        worst = (dev[1] > dev[0]).astype(int)
        hi = np.where(worst == 1, dev[1], dev[0])
        lo = np.where(worst == 1, dev[0], dev[1])
        with np.errstate(invalid="ignore"):
            bad = (hi > min_dev * scale) & (lo < 0.5 * hi)
        sel = bad[run]
        flags[t[sel], worst[run][sel]] = True
    return out


# --------------------------------------------------------------------------- view


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between, clipped (works for ``lo > hi`` too)."""
    if not np.isfinite(x):
        return float("nan")
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def _nanmedian(a: np.ndarray) -> float:
    """Median ignoring NaN; NaN (without a warning) when there is no finite value."""
    a = np.asarray(a, dtype=np.float64).ravel()
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else float("nan")


def detect_view(
    points_px: np.ndarray, z: np.ndarray | None = None, *, min_frames: int = 5
) -> ViewEstimate:
    """Estimate the camera view (side/rear/front) and the running direction.

    Side versus frontal uses two cues, each mapped to a 0..1 "side" score and averaged:

    * shoulder width in ``x`` over torso length (median): about 0.1-0.2 in side views,
      0.6-0.7 in rear/front views (score 1 at <= 0.2, 0 at >= 0.5);
    * fore-aft over vertical range (5-95 %) of the ankles relative to the mid-hip,
      normalised per frame by the torso length: about 1.5-2.5 in side views, 0.3-0.5 in
      rear/front views (score 0 at <= 0.6, 1 at >= 1.2).

    Rear versus front uses the image order of the shoulders (runner's left shoulder on
    image left = rear) and, when ``z`` is given, MediaPipe's depth of the nose relative
    to the shoulders (nose farther = rear). MediaPipe's nose visibility stays high in
    rear views, so it is not used. Both cues come from MediaPipe's own left/right and
    depth estimates: if it took a runner seen from behind for one facing the camera, both
    flip together and the view is reported as ``'front'``.

    The direction in a side view is the sign of the median heel-to-toe ``x`` vector,
    cross-checked with nose ``x`` minus mean ear ``x``; it is also given for an
    ``'unknown'`` view when the cues are clear, and is 0 for rear and front views.

    Parameters
    ----------
    points_px : ndarray of shape (n_frames, 33, 2)
        Landmarks in pixels (``y`` down), NaN where missing.
    z : ndarray of shape (n_frames, 33), optional
        MediaPipe relative depth (smaller = nearer the camera).
    min_frames : int
        Fewest frames with shoulders and hips present needed for a decision.

    Returns
    -------
    ViewEstimate
    """
    p = np.asarray(points_px, dtype=np.float64)
    lsh, rsh = p[:, LM.LEFT_SHOULDER], p[:, LM.RIGHT_SHOULDER]
    msh = 0.5 * (lsh + rsh)
    mhip = 0.5 * (p[:, LM.LEFT_HIP] + p[:, LM.RIGHT_HIP])
    torso = np.hypot(*(msh - mhip).T)
    torso[~(torso > 0)] = np.nan
    feats: dict[str, float] = {}
    n_ok = int(np.isfinite(torso).sum())
    feats["frames_with_torso"] = float(n_ok)
    if n_ok < min_frames:
        return ViewEstimate("unknown", 0.0, 0, 0.0, None, feats)

    shoulder_ratio = _nanmedian(np.abs(rsh[:, 0] - lsh[:, 0]) / torso)
    rel = (p[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE]] - mhip[:, None]) / torso[:, None, None]
    rx, ry = [], []
    for s in range(2):
        for axis, acc in ((0, rx), (1, ry)):
            v = rel[:, s, axis]
            v = v[np.isfinite(v)]
            if v.size >= min_frames:
                lo, hi = np.percentile(v, [5, 95])
                acc.append(hi - lo)
    foot_ratio = float(np.mean(rx) / np.mean(ry)) if rx and ry and np.mean(ry) > 0 else np.nan
    feats.update(shoulder_width_ratio=shoulder_ratio, foot_motion_ratio=foot_ratio)
    scores = [_ramp(shoulder_ratio, 0.5, 0.2), _ramp(foot_ratio, 0.6, 1.2)]
    scores = [s for s in scores if np.isfinite(s)]
    side_score = float(np.mean(scores)) if scores else 0.5
    feats["side_score"] = side_score

    # rear vs front
    order = np.sign(rsh[:, 0] - lsh[:, 0])
    order = order[np.isfinite(order) & (order != 0)]
    rear_cues = []
    if order.size:
        rear_cues.append(float(np.mean(order > 0)))
        feats["rear_shoulder_order"] = rear_cues[-1]
    if z is not None:
        zz = np.asarray(z, dtype=np.float64)
        dz = zz[:, LM.NOSE] - 0.5 * (zz[:, LM.LEFT_SHOULDER] + zz[:, LM.RIGHT_SHOULDER])
        dz = dz[np.isfinite(dz) & np.isfinite(p[:, LM.NOSE, 0])]
        if dz.size >= min_frames:
            rear_cues.append(float(np.mean(dz > 0)))
            feats["rear_nose_depth"] = rear_cues[-1]
    rear_score = float(np.mean(rear_cues)) if rear_cues else 0.5
    feats["rear_score"] = rear_score

    # direction cues
    heel = p[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL]]
    toe = p[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]]
    foot = toe - heel
    foot_len = _nanmedian(np.hypot(foot[..., 0], foot[..., 1]))
    foot_cue = _nanmedian(foot[..., 0]) / foot_len if foot_len > 0 else np.nan
    ears_x = 0.5 * (p[:, LM.LEFT_EAR, 0] + p[:, LM.RIGHT_EAR, 0])
    nose_dx = p[:, LM.NOSE, 0] - ears_x
    nose_dx = nose_dx[np.isfinite(nose_dx)]
    nose_cue = float(np.mean(np.sign(nose_dx))) if nose_dx.size >= min_frames else np.nan
    feats.update(foot_direction_cue=float(foot_cue), nose_direction_cue=nose_cue)
    cues = [c for c in (float(np.clip(2 * foot_cue, -1, 1)), nose_cue) if np.isfinite(c)]
    combined = float(np.mean(cues)) if cues else 0.0
    feats["direction_score"] = combined

    side_conf = abs(2 * side_score - 1)
    if side_score >= 0.5:
        view = "side" if side_conf >= 0.2 else "unknown"
        confidence = side_conf
    else:
        rear_conf = abs(2 * rear_score - 1)
        view = "rear" if rear_score > 0.5 else "front"
        if side_conf < 0.2 or rear_conf < 0.2:
            view = "unknown"
        confidence = min(side_conf, rear_conf)

    direction, direction_conf = 0, 0.0
    if view in ("side", "unknown") and abs(combined) >= 0.2:
        direction = 1 if combined > 0 else -1
        direction_conf = min(1.0, abs(combined))
        if len(cues) == 2 and np.sign(cues[0]) != np.sign(cues[1]):
            direction_conf *= 0.5

    near = None
    if view == "side" and z is not None:
        zz = np.asarray(z, dtype=np.float64)
        sides = ([LM.LEFT_SHOULDER, LM.LEFT_HIP], [LM.RIGHT_SHOULDER, LM.RIGHT_HIP])
        zl, zr = (_nanmedian(zz[:, idx].mean(axis=1)) for idx in sides)
        if np.isfinite(zl) and np.isfinite(zr) and zl != zr:
            near = "l" if zl < zr else "r"
    return ViewEstimate(view, float(confidence), direction, float(direction_conf), near, feats)


# --------------------------------------------------------------------------- angles


def _deg_from_down(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Angle (deg) of a vector from straight down, positive towards +x (y up)."""
    return np.degrees(np.arctan2(dx, -dy))


def _wrap(a: np.ndarray) -> np.ndarray:
    """Wrap angles in degrees to [-180, 180)."""
    return (a + 180.0) % 360.0 - 180.0


def compute_angles(points: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame joint and segment angles and event signals from analysis-frame points.

    Parameters
    ----------
    points : ndarray of shape (n_frames, 33, 2)
        Landmarks in the analysis frame (``x`` positive in the running direction, ``y``
        up), e.g. :attr:`Kinematics.points`.

    Returns
    -------
    dict of str to ndarray of shape (n_frames,)
        The angle columns of :data:`ANGLE_CONVENTIONS` (degrees) and the position columns
        of :data:`SIGNAL_DESCRIPTIONS` ending in ``_leg`` (in the unit of ``points``).
    """
    p = np.asarray(points, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    mhx = 0.5 * (x[:, LM.LEFT_HIP] + x[:, LM.RIGHT_HIP])
    mhy = 0.5 * (y[:, LM.LEFT_HIP] + y[:, LM.RIGHT_HIP])
    msx = 0.5 * (x[:, LM.LEFT_SHOULDER] + x[:, LM.RIGHT_SHOULDER])
    msy = 0.5 * (y[:, LM.LEFT_SHOULDER] + y[:, LM.RIGHT_SHOULDER])
    cols: dict[str, np.ndarray] = {}
    lean = np.degrees(np.arctan2(msx - mhx, msy - mhy))
    sides = {
        "l": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX,
              LM.RIGHT_HIP),
        "r": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX,
              LM.LEFT_HIP),
    }  # fmt: skip
    sagittal: dict[str, dict[str, np.ndarray]] = {}
    frontal: dict[str, dict[str, np.ndarray]] = {}
    for s, (hip, knee, ankle, heel, toe, other_hip) in sides.items():
        tdx, tdy = x[:, knee] - x[:, hip], y[:, knee] - y[:, hip]
        thigh = _deg_from_down(tdx, tdy)
        shank = _deg_from_down(x[:, ankle] - x[:, knee], y[:, ankle] - y[:, knee])
        foot = np.degrees(np.arctan2(y[:, toe] - y[:, heel], x[:, toe] - x[:, heel]))
        # a running foot points forward: from toes-up at contact (< 40 deg) to pointing
        # down in the swing (about -90 deg); beyond that the heel/toe labels are wrong
        foot = np.where((foot >= FOOT_ANGLE_RANGE_DEG[0]) & (foot <= FOOT_ANGLE_RANGE_DEG[1]),
                        foot, np.nan)
        sagittal[s] = {
            "knee_flex": _wrap(thigh - shank),
            "hip_flex": thigh,
            "hip_flex_trunk": _wrap(thigh + lean),
            "shank": shank,
            "foot": foot,
            "ankle": _wrap(foot - shank),
        }
        # frontal: u = unit vector from this hip towards the other (medial)
        ux, uy = x[:, other_hip] - x[:, hip], y[:, other_hip] - y[:, hip]
        un = np.hypot(ux, uy)
        with np.errstate(invalid="ignore", divide="ignore"):
            ux, uy = ux / un, uy / un
        flip = np.where(ux >= 0, 1.0, -1.0)  # perpendicular pointing down
        px_, py_ = flip * uy, -flip * ux
        frontal[s] = {
            "hip_adduction": np.degrees(np.arctan2(tdx * ux + tdy * uy, tdx * px_ + tdy * py_)),
            "femoral_adduction": _deg_from_down(np.sign(ux) * tdx, tdy),
        }
    for q in ("knee_flex", "hip_flex", "hip_flex_trunk", "shank", "foot", "ankle"):
        for s in ("l", "r"):
            cols[f"{q}_{s}_deg"] = sagittal[s][q]
    cols["trunk_lean_deg"] = lean
    lhx, lhy = x[:, LM.LEFT_HIP], y[:, LM.LEFT_HIP]
    rhx, rhy = x[:, LM.RIGHT_HIP], y[:, LM.RIGHT_HIP]
    cols["pelvic_obliquity_deg"] = np.degrees(np.arctan2(rhy - lhy, np.abs(rhx - lhx)))
    for q in ("hip_adduction", "femoral_adduction"):
        for s in ("l", "r"):
            cols[f"{q}_{s}_deg"] = frontal[s][q]
    pts = {
        "heel": (LM.LEFT_HEEL, LM.RIGHT_HEEL),
        "toe": (LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX),
        "ankle": (LM.LEFT_ANKLE, LM.RIGHT_ANKLE),
    }
    for name, (li, ri) in pts.items():
        for s, i in (("l", li), ("r", ri)):
            cols[f"{name}_x_{s}_leg"] = x[:, i]
            cols[f"{name}_y_{s}_leg"] = y[:, i]
    for s, i in (("l", LM.LEFT_KNEE), ("r", LM.RIGHT_KNEE)):
        cols[f"knee_x_{s}_leg"] = x[:, i]
    for s in ("l", "r"):
        cols[f"foot_y_{s}_leg"] = np.minimum(cols[f"heel_y_{s}_leg"], cols[f"toe_y_{s}_leg"])
    cols["pelvis_x_leg"] = mhx
    cols["pelvis_y_leg"] = mhy
    return cols


# --------------------------------------------------------------------------- main


def _leg_lengths(p: np.ndarray) -> np.ndarray:
    """Per-frame hip-knee + knee-ankle length of each leg, shape (n, 2)."""
    out = []
    for hip, knee, ankle in (
        (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE),
        (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE),
    ):
        thigh = np.hypot(*(p[:, knee] - p[:, hip]).T)
        shank = np.hypot(*(p[:, ankle] - p[:, knee]).T)
        out.append(thigh + shank)
    return np.column_stack(out)


def compute_kinematics(
    landmarks: Landmarks,
    *,
    min_visibility: float = 0.3,
    max_gap_s: float = 0.1,
    cutoff_hz: float = 10.0,
    order: int = 4,
    hampel_window_s: float = 0.1,
    hampel_nsigma: float = 3.0,
    height_cm: float | None = None,
    correct_swaps: bool = True,
) -> Kinematics:
    """Clean the landmarks and compute view, direction, scale and per-frame angles.

    Parameters
    ----------
    landmarks : Landmarks
        Output of the pose stage.
    min_visibility : float
        Points below this visibility become NaN. 0.3 keeps MediaPipe's occluded far leg
        in side views (visibility about 0.45-0.6) and drops points far out of the frame
        (< 0.1); see the module docstring. Points outside the image by more than
        :data:`OUT_OF_FRAME_MARGIN` are dropped whatever their visibility.
    max_gap_s : float
        Longest gap filled by linear interpolation, seconds
        (``round(max_gap_s * fps)`` frames).
    cutoff_hz : float
        Low-pass cutoff of one pass of the zero-lag Butterworth filter, Hz. 6-10 Hz is
        usual for running (Sports2D 6 Hz, Pose2Sim events 10 Hz); not applied when it is
        at or above 0.95 x Nyquist.
    order : int
        Order of one pass of the Butterworth filter.
    hampel_window_s : float
        Half-width of the Hampel window, seconds (``max(2, round(hampel_window_s *
        fps))`` frames each side).
    hampel_nsigma : float
        Hampel threshold in robust standard deviations.
    height_cm : float, optional
        Runner's standing height; sets :attr:`Kinematics.m_per_leg`.
    correct_swaps : bool
        Correct short left/right leg-label swaps (:func:`detect_leg_swaps`).

    Returns
    -------
    Kinematics
        Cleaned points, view, direction, scale, swap mask, analysable segments and the
        per-frame angle/signal table; ``info`` records what the cleaning did.

    Notes
    -----
    The steps and their order are described in the module docstring. A clip without any
    person gives NaN points, ``view == 'unknown'`` and no segments rather than an error.
    """
    fps = float(landmarks.fps)
    n = landmarks.n_frames
    xyzv = landmarks.xyzv
    vis = np.array(xyzv[:, :, 3], dtype=np.float32)
    w, h = landmarks.image_size
    px = xyzv[:, :, :2] * np.array([w, h], dtype=np.float64)  # = landmarks.pixels()
    z = xyzv[:, :, 2].astype(np.float64)
    info: dict[str, Any] = {
        "n_frames": n,
        "frames_detected": int(landmarks.detected.sum()),
        "min_visibility": float(min_visibility),
    }

    present0 = ~np.isnan(px[..., 0])
    low = present0 & ~(vis >= min_visibility)
    margin = OUT_OF_FRAME_MARGIN
    xy = xyzv[..., :2]
    outside = present0 & ~low & ((xy < -margin) | (xy > 1 + margin)).any(axis=-1)
    px[low | outside] = np.nan
    info["points_low_visibility"] = int(low.sum())
    info["core_points_low_visibility"] = int(low[:, list(CORE_LANDMARKS)].sum())
    info["points_out_of_frame"] = int(outside.sum())

    rough_leg = _nanmedian(_leg_lengths(px))
    if not rough_leg > 0:
        rough_leg = 0.25 * float(landmarks.image_size[1])

    swapped = np.zeros(n, dtype=bool)
    max_swap = max(1, int(round(MAX_SWAP_S * fps)))
    info["max_swap_frames"] = max_swap
    info["swap_frames_by_group"] = {}
    collapsed = 0
    if correct_swaps and n > 2:
        masks = detect_leg_swaps(px, scale=rough_leg, max_swap_frames=max_swap)
        for name, m in masks.items():
            info["swap_frames_by_group"][name] = int(m.sum())
            if m.any():
                px = swap_legs(px, m, landmarks=SWAP_GROUPS[name])
                vis = swap_legs(vis, m, landmarks=SWAP_GROUPS[name])
                z = swap_legs(z, m, landmarks=SWAP_GROUPS[name])
            swapped |= m
        pairs = dict(LEFT_RIGHT_PAIRS)
        flags = detect_label_collapses(px, scale=rough_leg, max_frames=max_swap)
        for name, f in flags.items():
            left = list(COLLAPSE_GROUPS[name])
            for col, idx in ((0, left), (1, [pairs[i] for i in left])):
                rows = np.flatnonzero(f[:, col])
                px[rows[:, None], idx] = np.nan
                collapsed += rows.size * len(idx)
    info["swap_frames_corrected"] = int(swapped.sum())
    info["collapsed_points_removed"] = collapsed

    body = list(BODY_LANDMARKS)
    half = max(2, int(round(hampel_window_s * fps)))
    out = hampel(px[:, body], half_width=half, nsigma=hampel_nsigma, min_scale=0.01 * rough_leg)
    outlier = np.zeros((n, N_LANDMARKS), dtype=bool)
    outlier[:, body] = out.any(axis=-1)
    outlier &= ~np.isnan(px[..., 0])
    px[outlier] = np.nan
    info["hampel_half_width_frames"] = half
    info["outliers_rejected"] = int(outlier.sum())

    max_gap = int(round(max_gap_s * fps))
    before = np.isnan(px[..., 0])
    _interpolate_inplace(px, max_gap)  # x and y share their gaps
    info["max_gap_frames"] = max_gap
    info["points_interpolated"] = int((before & ~np.isnan(px[..., 0])).sum())

    sos = _butter_sos(fps, cutoff_hz, order)
    if sos is not None:
        sub = px[:, body].reshape(n, -1)
        short = _filter_runs(sub, sos)
        px[:, body] = sub.reshape(n, len(body), 2)
        info["cutoff_hz"] = float(cutoff_hz)
        info["filter_padlen"] = _padlen(sos)
        info["short_runs_unfiltered"] = int(short // 2)
    else:
        info["cutoff_hz"] = None
    info["order"] = int(order)

    legs = _leg_lengths(px)
    leg_px = _nanmedian(legs)
    info["leg_length_px_by_side"] = {"l": _nanmedian(legs[:, 0]), "r": _nanmedian(legs[:, 1])}
    per_frame = _nanmean_last(legs)
    win = max(3, int(round(fps)))
    rolling = pd.Series(per_frame).rolling(win, center=True, min_periods=1).median().to_numpy()
    finite = rolling[np.isfinite(rolling)]
    info["scale_drift"] = float(finite.max() / finite.min()) if finite.size else float("nan")

    view = detect_view(px, z)
    info["view_features"] = view.features
    info["direction_confidence"] = view.direction_confidence
    info["near_side"] = view.near_side
    d = view.direction if view.direction != 0 else 1

    mid_hip = 0.5 * (px[:, LM.LEFT_HIP] + px[:, LM.RIGHT_HIP])
    ok = np.isfinite(mid_hip).all(axis=1)
    origin = np.median(mid_hip[ok], axis=0) if ok.any() else np.zeros(2)
    points = px - origin
    with np.errstate(invalid="ignore", divide="ignore"):
        points *= np.array([d, -1.0]) / leg_px

    core = np.isfinite(points[:, list(CORE_LANDMARKS), 0]).all(axis=1)
    min_seg = _padlen(sos) + 1 if sos is not None else 2
    segments = tuple((int(a), int(b)) for a, b in true_runs(core) if b - a >= min_seg)
    info["min_segment_frames"] = min_seg
    info["segment_share"] = sum(b - a for a, b in segments) / n if n else 0.0

    cols = {"time_s": np.asarray(landmarks.time_s, dtype=np.float64)}
    cols.update(compute_angles(points))
    cols["leg_length_px"] = rolling
    angles = pd.DataFrame(cols, index=pd.RangeIndex(n, name="frame"))

    m_per_leg = None if height_cm is None else LEG_LENGTH_PER_HEIGHT * float(height_cm) / 100.0
    return Kinematics(
        points=points,
        points_px=px,
        visibility=vis,
        fps=fps,
        time_s=np.asarray(landmarks.time_s),
        direction=int(view.direction),
        view=view.view,
        view_confidence=float(view.confidence),
        leg_length_px=float(leg_px),
        m_per_leg=m_per_leg,
        swapped=swapped,
        segments=segments,
        angles=angles,
        info=info,
    )
