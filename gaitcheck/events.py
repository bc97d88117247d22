"""Gait events (initial contact, midstance, toe-off) and the stride table.

Method
------
The detector works on :class:`~gaitcheck.kinematics.Kinematics` (cleaned points in leg
lengths, ``y`` up) and is vectorised over the whole clip.

1. **Floor line per foot point.** For each side, the heights of the heel and of the toe
   (MediaPipe's ``foot_index``) are measured from their own floor: a rolling low
   percentile of that point's height (``floor_percentile`` over ``floor_window_s``).
   A per-side, per-point floor absorbs the camera's perspective (the far foot lands
   higher in the image than the near foot) and the offset of each point above the
   sole; a rolling one follows a slowly tilting or zooming camera.
2. **Contact** is where the lower of the two heights is within ``contact_band_leg`` of
   its floor. The band is a physical allowance, not a noise threshold: at the instant
   of touch-down and of toe-off the foot is inclined, so its end points sit about 2 cm
   above the level they reach with the foot flat. On the Fukuchi et al. (2017)
   force-plate run (``scripts/validate_events_mocap.py``) the heel/toe points at the
   force-plate contact instants were 0.019-0.025 leg lengths above their flat level,
   so the default band is 0.022 leg lengths (about 2 cm for a 0.9 m leg). The band is
   widened when the foot signal is noisier than that (``noise_k`` x its robust noise).
3. **Sub-frame times.** IC and TO times are the linearly interpolated crossings of the
   band; the IC *frame* is the first frame in contact and the TO frame the last frame in
   contact (the labelling convention of hand-annotated clips).
4. **Clean-up.** Gaps in contact shorter than ``merge_gap_s`` are bridged, contacts
   shorter than ``min_contact_s`` dropped, and a contact during which the foot does not
   travel backwards relative to the pelvis (by ``min_backward_leg``) is rejected: in
   stance the foot moves back under the body at running speed on a treadmill and
   overground alike.
5. **Alternation.** Contacts must alternate left, right, left... Where two consecutive
   contacts carry the same side and giving one of them the other side restores the
   alternation without overlapping a contact of that side, the label is corrected
   (pose models swap legs, mostly the far one in side views); the count is reported.
6. **Midstance** is the middle of the contact (50 % of contact time), a definition
   independent of where the pelvis is, so that "pelvis behind the foot at midstance"
   is not zero by construction.

Rear and front views
--------------------
When the view has no running direction (``Kinematics.direction == 0``: a rear or front
view) steps 1-4 are replaced; the side-view path above is untouched.

* **Only tracked frames.** Contacts are sought only inside ``Kinematics.segments`` (runs
  of at least 16 frames where hips, knees, ankles, heels and toes are all present), so a
  stretch where the runner is partly out of frame (e.g. too close to the camera) or not
  found cannot produce contacts; ``info['frontal']`` lists the segments used and their
  length in seconds.
* **Height above the other foot.** Each foot's height is the mean image height of heel
  and toe above the mid-hip, in that frame's leg length (:func:`frontal_foot_heights`),
  so it does not drift as the runner moves towards or away from the camera. The two
  feet are then compared in the same frame: the lower foot is the one on the ground,
  and a foot is in contact while it is at most the contact band above the other one
  (``contact_band_leg``, widened to ``noise_k`` x the robust noise of the difference).
  Comparing the feet cancels what moves both (the pelvis's vertical oscillation, camera
  tilt); in a rear view the swinging heel rises well above the standing one.
* **Swings.** Gaps in one foot's contact shorter than ``min_swing_s`` are bridged, and a
  contact counts only when the foot is seen off the ground for ``min_swing_s`` before
  its IC and after its TO (this drops contacts cut by untracked frames or the clip's ends
  and "swings" that are a few frames of tracking noise). The backward-travel check and
  the template refinement of the side view do not apply.

Limits: the lower-foot rule cannot see the flight phase, so it is shared between the two
feet: IC comes about half a flight early and TO half a flight late (on a synthetic rear-view
runner at 170 steps/min with 71 ms of flight per step, IC 40 ms early and TO 40 ms late,
``tests/test_events.py``). Contact times from a rear or front view are therefore too long
by about one flight time and flight times near zero (on the rendered rear-view runner of
:mod:`gaitcheck.synth`, 151 ms of flight per step: IC about 60 ms early, TO about 105 ms
late), so :mod:`gaitcheck.markers` reports contact time, flight time and duty factor as
not measurable from these views. Cadence is unaffected (every IC moves by the same
amount); the frontal markers, read at IC or over the contact, are read about half a
flight (1 frame at 30 fps) earlier or later than the true events.

Toe-off and where ``foot_index`` sits
-------------------------------------
The side-view band was tuned with the toe point on the metatarsal heads, which are
already about 2 cm up when the foot leaves the belt (the foot tips over the toes at the
end). A toe point further forward rises later, so the detected toe-off moves with where
the pose model puts ``foot_index`` on the shoe. On the force-plate run
(``scripts/validate_events_mocap.py``, toe-point sweep) moving the point 20, 40 and 60 mm
forward of the metatarsal heads (60 mm is about the toe tip) delays toe-off by a median
21, 32 and 41 ms and leaves initial contact alone (it is found from the heel). On the
hand-labelled real clip MediaPipe's ``foot_index`` behaves like the metatarsal heads
(toe-off median -1 to -8 ms against the middle of the labelled frame, 30 fps); on the
synthetic runner of :mod:`gaitcheck.synth`, whose shoe has a sharp, high-contrast toe,
it sits at the tip and toe-off comes about 40 ms late. The pose model matters too: on the
same real clip MediaPipe ``heavy`` places the point nearer the tip than ``full`` and its
toe-offs come a median 22 ms late. ``scripts/toe_off_profiles.py`` prints the heights of
the toe point and the heel around toe-off for each of these sources: the toe point is
about 2 % of the leg up at toe-off on the metatarsal heads and with ``full`` on the real
clip, and near 0 at the toe tip and on the synthetic shoe. Contact time, flight time, duty
factor and the midstance instant (half the contact) inherit this uncertainty; initial
contacts and cadence do not.

Strides
-------
A stride runs from one initial contact of a foot to its next one. It is ``valid`` when
exactly one contact of the other foot lies between (strict alternation), its duration is
within ``stride_tolerance`` of the clip's median stride, its contact is shorter than the
stride and within ``contact_tolerance`` of the clip's median contact time, and at most
``max_missing_share`` of its frames lack the foot points; otherwise ``invalid_reason``
says why.

References
----------
Fukuchi, R. K., Fukuchi, C. A., & Duarte, M. (2017). A public dataset of running
biomechanics and the effects of running speed on lower extremity kinematics and kinetics.
PeerJ, 5, e3298. (force-plate validation data)

Zeni, J. A., Richards, J. G., & Higginson, J. S. (2008). Two simple methods for
determining gait events during treadmill and overground walking using kinematic data.
Gait & Posture, 27(4), 710-714. (foot-minus-pelvis coordinates)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .kinematics import Kinematics

__all__ = [
    "EventSettings",
    "GaitEvents",
    "STRIDE_COLUMNS",
    "detect_events",
    "cadence_from_contacts",
    "step_rate_spm",
    "frontal_foot_heights",
    "usable_frames",
]

SIDES = ("l", "r")

#: Columns of :attr:`GaitEvents.strides` (index ``stride_id``).
STRIDE_COLUMNS: tuple[str, ...] = (
    "side", "limb", "ic_frame", "ms_frame", "to_frame", "ic_next_frame",
    "ic_time_s", "ms_time_s", "to_time_s", "ic_next_time_s",
    "contact_time_ms", "stride_time_ms", "valid", "invalid_reason",
)  # fmt: skip


@dataclass(frozen=True)
class EventSettings:
    """Options of the event detector (see the module docstring for the method).

    Parameters
    ----------
    contact_band_leg : float
        Height above the foot point's floor counted as contact, leg lengths.
    noise_k : float
        The band is at least ``noise_k`` x the robust noise of the foot height.
    floor_percentile : float
        Percentile of a foot point's height taken as its floor.
    floor_window_s : float
        Window of the rolling floor, seconds.
    merge_gap_s : float
        Gaps in contact up to this long are bridged, seconds (at least one frame). Far
        shorter than a swing (0.3 s and more), so two contacts of one foot never merge.
    min_contact_s : float
        Shorter contacts are dropped, seconds.
    max_contact_s : float
        Longer contacts are dropped (standing, walking turn), seconds.
    min_backward_leg : float
        The foot must move at least this far backwards relative to the pelvis during a
        contact, leg lengths.
    stride_tolerance : float
        Valid strides last within this fraction of the median stride time.
    contact_tolerance : float
        Valid strides have a contact time within this fraction of the clip's median
        contact time (both feet): a contact far shorter or longer than the others is
        usually a tracking error (a leg mislocated for a few frames).
    max_missing_share : float
        Most share of a stride's frames that may lack the foot points.
    ic_speed_fraction : float
        In a side view, initial contact is when the foot's backward speed relative to
        the pelvis reaches this fraction of its stance speed.
    refine : bool
        Refine each IC and TO by matching its neighbourhood to the side's average event
        waveform (see :func:`_refine_with_templates`).
    template_window_s : float
        Half-width of the event neighbourhood used for matching, seconds.
    template_iterations : int
        Align-and-average rounds used to build the templates.
    min_swing_s : float
        Rear and front views only: the shortest swing, seconds. Shorter gaps between two
        contacts of a foot are bridged, and a contact counts only when the foot is seen
        off the ground for this long before its IC and after its TO. A running swing
        lasts 0.3 s and more, so this only removes tracking noise.
    """

    contact_band_leg: float = 0.022
    noise_k: float = 3.0
    floor_percentile: float = 10.0
    floor_window_s: float = 3.0
    merge_gap_s: float = 0.07
    min_contact_s: float = 0.06
    max_contact_s: float = 1.0
    min_backward_leg: float = 0.1
    stride_tolerance: float = 0.3
    contact_tolerance: float = 0.4
    max_missing_share: float = 0.2
    ic_speed_fraction: float = 0.5
    refine: bool = True
    template_window_s: float = 0.15
    template_iterations: int = 3
    min_swing_s: float = 0.12


@dataclass(frozen=True, eq=False)
class GaitEvents:
    """Detected events and the strides built from them.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per event, sorted by time: ``side`` ('l'/'r'), ``event`` ('ic', 'ms',
        'to'), ``frame``, ``time_s`` (sub-frame for IC and TO), ``contact_id``.
    contacts : pandas.DataFrame
        One row per foot contact (index ``contact_id``): ``side``, ``ic_frame``,
        ``ms_frame``, ``to_frame``, ``ic_time_s``, ``ms_time_s``, ``to_time_s``,
        ``contact_time_ms``, ``relabelled`` (side corrected by the alternation check).
    strides : pandas.DataFrame
        One row per stride (index ``stride_id``), columns :data:`STRIDE_COLUMNS`.
    cadence_spm : float
        Steps per minute from the contact times (see :func:`cadence_from_contacts`);
        NaN with fewer than four alternating contacts.
    info : dict
        Band, floors, counts of dropped and relabelled contacts, alternation share.
    """

    events: pd.DataFrame
    contacts: pd.DataFrame
    strides: pd.DataFrame
    cadence_spm: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def valid_strides(self) -> pd.DataFrame:
        """The strides flagged valid."""
        return self.strides[self.strides["valid"]]


# --------------------------------------------------------------------------------------
# signal helpers (pure NumPy)


def _runs(mask: np.ndarray) -> np.ndarray:
    """``[start, stop)`` of the runs of True in a 1-D mask, shape (k, 2)."""
    d = np.diff(np.concatenate(([False], mask, [False])).astype(np.int8))
    return np.column_stack((np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _bridge_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Set to True the False runs of at most ``max_gap`` samples lying between True runs."""
    if max_gap <= 0 or not mask.any():
        return mask
    out = mask.copy()
    gaps = _runs(~mask)
    inner = (gaps[:, 0] > 0) & (gaps[:, 1] < mask.size) & (gaps[:, 1] - gaps[:, 0] <= max_gap)
    for a, b in gaps[inner]:  # loop over gaps, not frames
        out[a:b] = True
    return out


def _rolling_floor(h: np.ndarray, *, window: int, pct: float) -> np.ndarray:
    """Return the rolling low percentile of a height signal (NaN-aware), same length."""
    s = pd.Series(h)
    floor = s.rolling(window, center=True, min_periods=max(3, window // 4)).quantile(pct / 100.0)
    floor = floor.ffill().bfill()
    if floor.isna().all():
        return np.full_like(h, np.nanpercentile(h, pct) if np.isfinite(h).any() else np.nan)
    return floor.to_numpy()


def _robust_noise(h: np.ndarray) -> float:
    """Robust SD of the white-noise part of a signal from its second differences."""
    d2 = np.diff(h, 2)
    d2 = d2[np.isfinite(d2)]
    if d2.size < 10:
        return 0.0
    mad = np.median(np.abs(d2 - np.median(d2)))
    return float(1.4826 * mad / np.sqrt(6.0))


def _crossing_time(t: np.ndarray, h: np.ndarray, band: np.ndarray, i_out: np.ndarray,
                   i_in: np.ndarray) -> np.ndarray:
    """Linearly interpolated time where ``h`` crosses ``band`` between two frames.

    ``i_out`` is the frame outside contact, ``i_in`` the adjacent one inside. Where the
    outside frame has no value, the inside frame's time is returned.
    """
    h_out, h_in = h[i_out], h[i_in]
    b = 0.5 * (band[i_out] + band[i_in])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (h_out - b) / (h_out - h_in)  # 0 at the outside frame, 1 at the inside one
    frac = np.where(np.isfinite(frac), np.clip(frac, 0.0, 1.0), 1.0)
    return t[i_out] + frac * (t[i_in] - t[i_out])


# --------------------------------------------------------------------------------------
# contacts


def _merge_overlaps(
    ic: np.ndarray, to: np.ndarray, *, min_gap_s: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Merge contacts of one foot that overlap or nearly touch (pieces of one contact).

    Returns the merged IC and TO times (sorted) and the number of merges.
    """
    order = np.argsort(ic, kind="stable")
    ic, to = ic[order], to[order]
    if ic.size < 2:
        return ic, to, 0
    # a new group starts where the contact begins after every earlier one has ended
    new = np.concatenate(([True], ic[1:] > np.maximum.accumulate(to)[:-1] + min_gap_s))
    group = np.cumsum(new) - 1
    m_ic = np.minimum.reduceat(ic, np.flatnonzero(new))
    m_to = np.maximum.reduceat(to, np.flatnonzero(new))
    del group
    return m_ic, m_to, int(ic.size - m_ic.size)


def _side_contacts(kin: Kinematics, side: str, s: EventSettings) -> tuple[pd.DataFrame, dict]:
    """Contacts of one foot in a side view (steps 1-4 of the module docstring)."""
    a = kin.angles
    fps = kin.fps
    t = kin.time_s.astype(np.float64)
    n = t.size
    window = max(5, int(round(s.floor_window_s * fps)))
    heel = a[f"heel_y_{side}_leg"].to_numpy(np.float64)
    toe = a[f"toe_y_{side}_leg"].to_numpy(np.float64)
    heel_h = heel - _rolling_floor(heel, window=window, pct=s.floor_percentile)
    toe_h = toe - _rolling_floor(toe, window=window, pct=s.floor_percentile)
    h = np.fmin(heel_h, toe_h)  # the lower point; NaN only where both are missing
    noise = _robust_noise(h)
    band_value = max(s.contact_band_leg, s.noise_k * noise)
    band = np.full(n, band_value)
    inside = np.isfinite(h) & (h <= band)
    inside = _bridge_gaps(inside, max(1, int(round(s.merge_gap_s * fps))))
    runs = _runs(inside)
    dur = (runs[:, 1] - runs[:, 0]) / fps if runs.size else np.zeros(0)
    keep = (dur >= s.min_contact_s) & (dur <= s.max_contact_s)
    # runs cut by the clip's ends or by missing data have no trustworthy IC/TO
    if runs.size:
        first, last = runs[:, 0], runs[:, 1] - 1
        before, after = np.maximum(first - 1, 0), np.minimum(last + 1, n - 1)
        keep &= (first > 0) & (last < n - 1) & np.isfinite(h[before]) & np.isfinite(h[after])
    # in stance the foot travels backwards relative to the pelvis
    rel = a[f"ankle_x_{side}_leg"].to_numpy(np.float64) - a["pelvis_x_leg"].to_numpy(np.float64)
    if runs.size:
        travel = rel[runs[:, 1] - 1] - rel[runs[:, 0]]
        backward_ok = ~(travel > -s.min_backward_leg)  # NaN travel: not judged here
        n_not_backward = int(np.sum(keep & ~backward_ok))
        keep &= backward_ok
    else:
        n_not_backward = 0
    runs = runs[keep] if runs.size else runs.reshape(0, 2)
    ic_f, to_f = runs[:, 0], runs[:, 1] - 1
    ic_t = _crossing_time(t, h, band, ic_f - 1, ic_f)
    to_t = _crossing_time(t, h, band, to_f + 1, to_f)
    refine_info: dict = {}
    if s.refine and runs.shape[0] >= 4:
        # Noise drags a low percentile below the true flat-foot level; the stride-averaged
        # waveform is nearly noise-free, so its lowest point re-levels each floor.
        phase = np.linspace(0.0, 1.0, 60, endpoint=False)
        q = ic_t[:-1, None] + phase[None, :] * np.diff(ic_t)[:, None]
        level = {}
        for name, hh in (("heel", heel_h), ("toe", toe_h)):
            tmpl = np.nanmean(_sample(t, hh, q), axis=0)
            level[name] = float(np.nanmin(tmpl)) if np.isfinite(tmpl).any() else 0.0
        sig = {"heel": heel_h - level["heel"], "toe": toe_h - level["toe"], "rel_x": rel}
        refine_info["floor_correction_leg"] = level
        band_phys = s.contact_band_leg  # the template is averaged: no noise allowance
        speed = None
        v = np.gradient(rel, t)
        mid = np.concatenate([np.arange(a + (b - a) // 4, b - (b - a) // 4)
                              for a, b in runs]) if runs.size else np.zeros(0, int)
        v_stance = float(np.nanmedian(v[mid])) if mid.size else float("nan")
        if np.isfinite(v_stance) and v_stance < 0:
            speed = s.ic_speed_fraction * v_stance
            refine_info["stance_speed_leg_per_s"] = -v_stance
        ic_t, refine_info["ic"] = _refine_with_templates(kin, ic_t, sig, band_phys, s,
                                                         rising=False, speed_threshold=speed)
        to_t, refine_info["to"] = _refine_with_templates(kin, to_t, sig, band_phys, s,
                                                         rising=True)
        ic_t, to_t, n_merged = _merge_overlaps(ic_t, to_t, min_gap_s=s.merge_gap_s)
        refine_info["merged_after_refinement"] = n_merged
        ic_f = np.clip(np.searchsorted(t, ic_t, side="left"), 0, n - 1)
        to_f = np.clip(np.searchsorted(t, to_t, side="right") - 1, 0, n - 1)
    df = pd.DataFrame({
        "side": side,
        "ic_frame": ic_f.astype(int),
        "to_frame": to_f.astype(int),
        "ic_time_s": ic_t,
        "to_time_s": to_t,
    })
    info = {"band_leg": band_value, "noise_leg": noise, "runs_dropped": int((~keep).sum()),
            "not_backward": n_not_backward, "refinement": refine_info}
    return df, info


def usable_frames(kin: Kinematics) -> np.ndarray:
    """Frames inside :attr:`Kinematics.segments` (the whole leg tracked), bool per frame."""
    ok = np.zeros(kin.n_frames, dtype=bool)
    for a0, b0 in kin.segments:
        ok[a0:b0] = True
    return ok


def frontal_foot_heights(kin: Kinematics) -> dict[str, np.ndarray]:
    """Foot heights above the mid-hip in each frame's leg length (rear or front view).

    Each foot is the mean image height of its heel and toe (MediaPipe ``foot_index``),
    measured upwards from the mid-hip and divided by that frame's leg length in pixels, so
    that the height does not drift as the runner moves towards or away from the camera.
    NaN outside :func:`usable_frames`.

    Returns
    -------
    dict
        ``'l'`` and ``'r'``: arrays of shape (n_frames,), leg lengths (about -1 with the
        foot on the ground, higher in swing).
    """
    from .landmarks import LM

    px = kin.points_px
    leg_px = kin.angles["leg_length_px"].to_numpy(np.float64)
    usable = usable_frames(kin)
    hip_y = 0.5 * (px[:, LM.LEFT_HIP, 1] + px[:, LM.RIGHT_HIP, 1])
    out = {}
    for side, (heel, toe) in (("l", (LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX)),
                              ("r", (LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX))):
        foot_y = 0.5 * (px[:, heel, 1] + px[:, toe, 1])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[side] = np.where(usable, (hip_y - foot_y) / leg_px, np.nan)
    return out


def _frontal_contacts(kin: Kinematics, s: EventSettings) -> tuple[list[pd.DataFrame], dict]:
    """Contacts of both feet in a rear or front view (see "Rear and front views")."""
    fps = kin.fps
    t = kin.time_s.astype(np.float64)
    n = t.size
    usable = usable_frames(kin)
    height = frontal_foot_heights(kin)
    diff = height["l"] - height["r"]  # > 0: the left foot is higher in the image
    noise = _robust_noise(diff)
    band_value = max(s.contact_band_leg, s.noise_k * noise)
    band = np.full(n, band_value)
    # a swing is at least min_swing frames long: shorter gaps in contact are noise
    min_swing = max(1, int(np.ceil(s.min_swing_s * fps)))
    max_gap = max(1, int(round(s.merge_gap_s * fps)), min_swing - 1)
    frame = np.arange(n)
    parts, side_info = [], {}
    for side, sign in (("l", 1.0), ("r", -1.0)):
        h = sign * diff  # this foot's height above the other foot
        inside = np.isfinite(h) & (h <= band)
        inside = _bridge_gaps(inside, max_gap) & usable  # never bridge untracked frames
        runs = _runs(inside)
        dur = (runs[:, 1] - runs[:, 0]) / fps if runs.size else np.zeros(0)
        keep = (dur >= s.min_contact_s) & (dur <= s.max_contact_s)
        if runs.size:
            # the foot must be seen in the air for a whole min_swing before the IC and after
            # the TO: this drops contacts cut by the clip's ends or by untracked frames, and
            # those whose "swing" is a few frames of tracking noise at a segment's edge
            blocked = inside | ~usable
            prev_blocked = np.maximum.accumulate(np.where(blocked, frame, -1))
            next_blocked = np.minimum.accumulate(np.where(blocked, frame, n)[::-1])[::-1]
            first, last = runs[:, 0], runs[:, 1] - 1
            air_before = np.where(first > 0, first - 1 - prev_blocked[np.maximum(first - 1, 0)],
                                  0)
            air_after = np.where(last < n - 1,
                                 next_blocked[np.minimum(last + 1, n - 1)] - last - 1, 0)
            keep &= (air_before >= min_swing) & (air_after >= min_swing)
        kept = runs[keep] if runs.size else runs.reshape(0, 2)
        ic_f, to_f = kept[:, 0], kept[:, 1] - 1
        parts.append(pd.DataFrame({
            "side": side,
            "ic_frame": ic_f.astype(int),
            "to_frame": to_f.astype(int),
            "ic_time_s": _crossing_time(t, h, band, ic_f - 1, ic_f),
            "to_time_s": _crossing_time(t, h, band, to_f + 1, to_f),
        }))
        swing = np.isfinite(h) & ~inside
        side_info[side] = {
            "band_leg": band_value, "noise_leg": noise, "runs_dropped": int((~keep).sum()),
            "not_backward": 0, "refinement": {},
            "median_swing_lift_leg": float(np.median(h[swing])) if swing.any() else float("nan"),
        }
    seg = np.asarray(kin.segments, dtype=int).reshape(-1, 2)
    leg_px = kin.angles["leg_length_px"].to_numpy(np.float64)
    longest = seg[np.argmax(seg[:, 1] - seg[:, 0])] if seg.size else None
    frontal = {
        "method": "frontal: each foot's height above the other foot (the lower foot is on "
                  "the ground); no template refinement",
        "usable_segments": seg.tolist(),
        "usable_frames": int(usable.sum()),
        "usable_s": float(usable.sum() / fps) if fps > 0 else float("nan"),
        "longest_usable_s": float((longest[1] - longest[0]) / fps) if longest is not None
        else 0.0,
        # image scale at the start and end of the longest usable run: < 1 when the runner
        # moves away from the camera, > 1 towards it
        "leg_px_start_end": ([float(leg_px[longest[0]]), float(leg_px[longest[1] - 1])]
                             if longest is not None else []),
    }
    return parts, {"per_side": side_info, "frontal": frontal}


def _interp_index(t: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(i0, frac, inside)`` for linear interpolation at query times ``q``.

    Uniformly sampled clips (the usual case) use index arithmetic instead of a search.
    """
    n = t.size
    dt = (t[-1] - t[0]) / (n - 1)
    if dt > 0 and np.allclose(np.diff(t), dt, rtol=1e-3, atol=0.0):
        pos = (q - t[0]) / dt
    else:
        i = np.clip(np.searchsorted(t, q, side="right") - 1, 0, n - 2)
        pos = i + (q - t[i]) / (t[i + 1] - t[i])
    inside = (pos >= 0) & (pos <= n - 1)
    pos = np.where(inside, pos, 0.0)
    i0 = np.minimum(pos.astype(np.intp), n - 2)
    return i0, pos - i0, inside


def _gather(x: np.ndarray, idx: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    i0, frac, inside = idx
    out = x[i0] * (1.0 - frac) + x[i0 + 1] * frac
    out[~inside] = np.nan
    return out


def _sample(t: np.ndarray, x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``x(t)`` at query times ``q`` (any shape).

    Interpolates only between adjacent frames: NaN where either neighbour is missing
    or ``q`` lies outside ``t``.
    """
    if t.size < 2:
        return np.full(q.shape, np.nan)
    return _gather(x, _interp_index(t, q))


def _refine_with_templates(
    kin: Kinematics, times: np.ndarray, sig: dict[str, np.ndarray], band: float,
    s: EventSettings, *, rising: bool, speed_threshold: float | None = None,
) -> tuple[np.ndarray, dict]:
    """Refine the event times of one side and one event type by template matching.

    The neighbourhoods (``+-template_window_s``) of all events of the same kind are
    averaged into a template (heel height, toe height and foot-minus-pelvis x), each
    event is re-aligned to it by the sub-frame shift that minimises the squared
    difference of the mean-removed waveforms, and the template is rebuilt; after
    ``template_iterations`` rounds the event time is the aligned anchor plus the time
    at which the *template* crosses the contact band (or, with ``speed_threshold``,
    at which its foot-minus-pelvis velocity reaches that value). Averaging N strides divides the
    landmark noise by about sqrt(N); removing the window means makes the match blind to
    slow landmark drift. Per-stride differences in timing are kept (each event gets
    its own shift).
    """
    t = kin.time_s.astype(np.float64)
    dt = 1.0 / kin.fps
    step = dt / 4.0
    half = max(s.template_window_s, 3 * dt)
    tau = np.arange(-half, half + step / 2, step)
    max_shift = max(1.5 * dt, 0.04)
    shifts = np.arange(-max_shift, max_shift + step / 2, step)
    chans = [sig[c] for c in ("heel", "toe", "rel_x")]
    anchors = times.astype(np.float64).copy()
    rows = np.arange(anchors.size)
    for _ in range(max(1, s.template_iterations)):
        idx_w = _interp_index(t, anchors[:, None] + tau[None, :])
        idx_c = _interp_index(t, anchors[:, None, None] + shifts[None, :, None]
                              + tau[None, None, :])
        err = np.zeros((anchors.size, shifts.size))
        for x in chans:  # three channels; everything else is vectorised
            template = np.nanmean(_gather(x, idx_w), axis=0)  # (tau,)
            tm = template - np.nanmean(template)
            cand = _gather(x, idx_c)  # (events, shifts, tau)
            cand -= np.nanmean(cand, axis=2, keepdims=True)
            cand -= tm
            err += np.nanmean(cand * cand, axis=2)
        err = np.where(np.isfinite(err), err, np.inf)
        best = np.argmin(err, axis=1)
        # parabolic sub-step refinement
        i = np.clip(best, 1, shifts.size - 2)
        e0, e1, e2 = (err[rows, i + k] for k in (-1, 0, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            off = 0.5 * (e0 - e2) / (e0 - 2 * e1 + e2)
        off = np.where(np.isfinite(off) & (np.abs(off) <= 1), off, 0.0)
        found = np.isfinite(err[rows, best])
        anchors = np.where(found, anchors + shifts[i] + off * step, anchors)
    idx_w = _interp_index(t, anchors[:, None] + tau[None, :])
    template = np.stack([np.nanmean(_gather(x, idx_w), axis=0) for x in chans])  # (3, tau)
    if speed_threshold is not None:
        # the foot's velocity relative to the pelvis reaches the threshold (negative)
        crit = np.gradient(template[2], step) - speed_threshold
        method = "speed"
    else:
        crit = np.fmin(template[0], template[1]) - band
        method = "height"
    tau_star = _centre_crossing(tau, crit, rising=rising)
    if tau_star is None:
        return times, {"refined": False}
    return anchors + tau_star, {"refined": True, "criterion": method,
                                "template_offset_s": float(tau_star)}


def _centre_crossing(tau: np.ndarray, crit: np.ndarray, *, rising: bool) -> float | None:
    """Time where ``crit`` changes sign nearest to ``tau = 0``, linearly interpolated.

    ``rising=False`` looks for a change from positive to non-positive (entering
    contact), ``rising=True`` for the reverse (leaving it).
    """
    if not np.isfinite(crit).all():
        return None
    inside = crit <= 0
    cross = np.flatnonzero(np.diff(inside.astype(np.int8)) == (-1 if rising else 1))
    if cross.size == 0:
        return None
    k = cross[np.argmin(np.abs(tau[cross]))]
    c0, c1 = crit[k], crit[k + 1]
    frac = c0 / (c0 - c1) if c0 != c1 else 0.5
    return float(tau[k] + np.clip(frac, 0.0, 1.0) * (tau[k + 1] - tau[k]))


def _fix_alternation(c: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Relabel single contacts that break the L/R alternation when that restores it."""
    c = c.sort_values("ic_time_s", kind="stable").reset_index(drop=True)
    c["relabelled"] = False
    side = c["side"].to_numpy().copy()
    ic, to = c["ic_time_s"].to_numpy(), c["to_time_s"].to_numpy()
    fixed = 0
    for i in range(1, len(side) - 1):  # loop over contacts (a few per second), not frames
        if side[i] == side[i - 1] or side[i] == side[i + 1]:
            other = "r" if side[i] == "l" else "l"
            ok_prev = side[i - 1] != other
            ok_next = side[i + 1] != other
            if ok_prev and ok_next:
                # must not overlap in time with a contact of the other side
                same = np.flatnonzero(side == other)
                overlaps = np.any((ic[same] < to[i]) & (to[same] > ic[i]))
                if not overlaps:
                    side[i] = other
                    c.loc[i, "relabelled"] = True
                    fixed += 1
    c["side"] = side
    return c, fixed


def cadence_from_contacts(ic_time_s: np.ndarray, sides: np.ndarray) -> float:
    """Return steps per minute from the times of alternating initial contacts.

    The step time is the slope of a least-squares line through the IC times against
    the step number, over the longest run of strictly alternating contacts: unlike a
    median of frame-quantised step times, the slope is not biased by the frame grid.

    Parameters
    ----------
    ic_time_s : ndarray of shape (k,)
        Initial-contact times, seconds, sorted.
    sides : ndarray of shape (k,)
        'l' or 'r' for each contact.

    Returns
    -------
    float
        Cadence in steps per minute (``cadence_spm``); NaN with fewer than 4 contacts in
        the longest alternating run.
    """
    ic_time_s = np.asarray(ic_time_s, dtype=float)
    sides = np.asarray(sides)
    if ic_time_s.size < 4:
        return float("nan")
    steps = np.diff(ic_time_s)
    med = np.median(steps)
    good = (sides[1:] != sides[:-1]) & (np.abs(steps - med) <= 0.35 * med)
    runs = _runs(good)
    if not runs.size:
        return float("nan")
    a, b = runs[np.argmax(runs[:, 1] - runs[:, 0])]
    times = ic_time_s[a : b + 1]
    if times.size < 4:
        return float("nan")
    slope = np.polyfit(np.arange(times.size), times, 1)[0]
    return float(60.0 / slope)


def step_rate_spm(
    kin: Kinematics, *, min_hz: float = 0.05, max_hz: float = 5.0, min_duration_s: float = 3.0,
    return_strength: bool = False,
) -> float | tuple[float, float]:
    """Return the dominant step rate of the legs' motion, in steps per minute.

    An event-free estimate: the feet swap places once per step, so the difference
    between the left and right ankle (horizontal and vertical, in leg lengths)
    oscillates at the stride frequency; steps/min = 2 x 60 x that frequency. Found from
    the power spectrum (zero-padded FFT) over the longest run of frames where both ankles
    are present. Used to recognise slow-motion clips stored at a normal frame
    rate before event detection, whose duration limits assume real time.

    Parameters
    ----------
    kin : Kinematics
        Cleaned kinematics.
    min_hz, max_hz : float
        Search band of the stride frequency, Hz.
    min_duration_s : float
        Shortest usable run of frames, seconds (at the clip's frame rate).
    return_strength : bool
        Also return the share of the band's power within 15 % of the peak (0..1): near 1
        for a clean rhythm, low when the legs are tracked poorly.

    Returns
    -------
    float
        Steps per minute at the clip's frame rate; NaN with too little data.
    """
    from scipy.signal import detrend

    a = kin.angles
    fps = kin.fps
    power = None
    longest = 0.0
    for q in ("ankle_x", "ankle_y"):
        d = a[f"{q}_l_leg"].to_numpy(np.float64) - a[f"{q}_r_leg"].to_numpy(np.float64)
        runs = _runs(np.isfinite(d))
        if not runs.size:
            continue
        a0, b0 = runs[np.argmax(runs[:, 1] - runs[:, 0])]  # longest run without gaps
        if b0 - a0 < max(32, int(min_duration_s * fps)):
            continue
        x = detrend(d[a0:b0])  # an overground runner's perspective drifts slowly
        x = x * np.hanning(x.size)
        longest = max(longest, (b0 - a0) / fps)
        nfft = int(2 ** np.ceil(np.log2(max(8 * x.size, 4096))))
        p = np.abs(np.fft.rfft(x, nfft)) ** 2
        p /= p.sum() or 1.0
        power = p if power is None else power + p
    if power is None:
        return (float("nan"), 0.0) if return_strength else float("nan")
    freq = np.fft.rfftfreq(nfft, d=1.0 / fps)
    # at least four whole strides must fit in the run for a frequency to count: on short
    # clips, slow perspective changes otherwise pass for a slow rhythm
    band = (freq >= max(min_hz, 4.0 / longest)) & (freq <= max_hz)
    if not band.any():
        return (float("nan"), 0.0) if return_strength else float("nan")
    f = freq[band][np.argmax(power[band])]
    if return_strength:
        near = band & (np.abs(freq - f) <= 0.15 * f)
        return float(2.0 * 60.0 * f), float(power[near].sum() / power[band].sum())
    return float(2.0 * 60.0 * f)


def _strides(c: pd.DataFrame, kin: Kinematics, s: EventSettings, near: str | None) -> pd.DataFrame:
    n = kin.n_frames
    fps = kin.fps
    rows: list[pd.DataFrame] = []
    order_side = c["side"].to_numpy()
    for side in SIDES:
        idx = np.flatnonzero(order_side == side)
        if idx.size < 2:
            continue
        this, nxt = idx[:-1], idx[1:]
        # exactly one contact of the other foot between two contacts of this foot
        between = nxt - this - 1
        alt_ok = between == 1
        if alt_ok.any():
            mid = np.where(alt_ok, this + 1, this)
            alt_ok &= order_side[mid] != side
        cc = c.iloc[this]
        cn = c.iloc[nxt]
        df = pd.DataFrame({
            "side": side,
            "limb": (None if near is None else ("near" if side == near else "far")),
            "ic_frame": cc["ic_frame"].to_numpy(),
            "ms_frame": cc["ms_frame"].to_numpy(),
            "to_frame": cc["to_frame"].to_numpy(),
            "ic_next_frame": cn["ic_frame"].to_numpy(),
            "ic_time_s": cc["ic_time_s"].to_numpy(),
            "ms_time_s": cc["ms_time_s"].to_numpy(),
            "to_time_s": cc["to_time_s"].to_numpy(),
            "ic_next_time_s": cn["ic_time_s"].to_numpy(),
        })
        df["contact_time_ms"] = 1000.0 * (df["to_time_s"] - df["ic_time_s"])
        df["stride_time_ms"] = 1000.0 * (df["ic_next_time_s"] - df["ic_time_s"])
        df["_alt"] = alt_ok
        rows.append(df)
    if not rows:
        out = pd.DataFrame(columns=list(STRIDE_COLUMNS))
        out.index.name = "stride_id"
        return out
    st = pd.concat(rows, ignore_index=True).sort_values("ic_time_s", kind="stable")
    st = st.reset_index(drop=True)
    # missing foot data within each stride (cumulative sums: no per-frame loop)
    a = kin.angles
    miss = np.zeros(n, dtype=bool)
    for side in SIDES:
        miss |= ~np.isfinite(a[f"foot_y_{side}_leg"].to_numpy(np.float64))
    cum = np.concatenate(([0], np.cumsum(miss)))
    f0, f1 = st["ic_frame"].to_numpy(int), st["ic_next_frame"].to_numpy(int)
    missing_share = (cum[f1] - cum[f0]) / np.maximum(f1 - f0, 1)
    med = float(np.median(st.loc[st["_alt"], "stride_time_ms"])) if st["_alt"].any() else np.nan
    reasons = np.full(len(st), "", dtype=object)
    dur_bad = ~(np.abs(st["stride_time_ms"].to_numpy() - med) <= s.stride_tolerance * med)
    ct = st["contact_time_ms"].to_numpy()
    ct_bad = ~(ct < st["stride_time_ms"].to_numpy())
    ct_med = float(np.median(ct[st["_alt"].to_numpy()])) if st["_alt"].any() else np.nan
    ct_odd = ~(np.abs(ct - ct_med) <= s.contact_tolerance * ct_med)
    for mask, why in (
        (missing_share > s.max_missing_share, "too much missing data"),
        (ct_bad, "contact longer than stride"),
        (ct_odd, "implausible contact time"),
        (dur_bad, "implausible stride duration"),
        (~st["_alt"].to_numpy(), "broken alternation"),
    ):
        reasons = np.where(mask & (reasons == ""), why, reasons)
    st["valid"] = reasons == ""
    st["invalid_reason"] = np.where(reasons == "", None, reasons)
    st = st.drop(columns="_alt")[list(STRIDE_COLUMNS)]
    st.index = pd.RangeIndex(len(st), name="stride_id")
    del fps
    return st


def detect_events(kin: Kinematics, *, settings: EventSettings | None = None) -> GaitEvents:
    """Detect initial contact, midstance and toe-off of each foot, and build strides.

    Parameters
    ----------
    kin : Kinematics
        Output of :func:`gaitcheck.kinematics.compute_kinematics`.
    settings : EventSettings, optional
        Detector options.

    Returns
    -------
    GaitEvents
    """
    s = settings or EventSettings()
    frontal_info = None
    if kin.direction == 0:  # rear or front view (no running direction in the image)
        parts, fr = _frontal_contacts(kin, s)
        side_info, frontal_info = fr["per_side"], fr["frontal"]
    else:
        parts, side_info = [], {}
        for side in SIDES:
            df, info = _side_contacts(kin, side, s)
            parts.append(df)
            side_info[side] = info
    c = pd.concat(parts, ignore_index=True)
    c, relabelled = _fix_alternation(c)
    ms_t = 0.5 * (c["ic_time_s"] + c["to_time_s"])
    c["ms_time_s"] = ms_t
    t = kin.time_s
    c["ms_frame"] = np.clip(np.searchsorted(t, ms_t.to_numpy()), 0, max(kin.n_frames - 1, 0))
    c["contact_time_ms"] = 1000.0 * (c["to_time_s"] - c["ic_time_s"])
    c.index.name = "contact_id"
    near = kin.info.get("near_side") if kin.view == "side" else None
    strides = _strides(c, kin, s, near)
    ev = pd.concat([
        pd.DataFrame({"side": c["side"], "event": name, "frame": c[f"{name}_frame"],
                      "time_s": c[f"{name}_time_s"], "contact_id": c.index})
        for name in ("ic", "ms", "to")
    ], ignore_index=True).sort_values(["time_s", "event"], kind="stable").reset_index(drop=True)
    cadence = cadence_from_contacts(c["ic_time_s"].to_numpy(), c["side"].to_numpy())
    alt = c["side"].to_numpy()
    alt_share = float(np.mean(alt[1:] != alt[:-1])) if alt.size > 1 else float("nan")
    info = {
        "settings": asdict(s),
        "per_side": side_info,
        "contacts": int(len(c)),
        "contacts_relabelled": int(relabelled),
        "alternation_share": alt_share,
        "strides": int(len(strides)),
        "valid_strides": int(strides["valid"].sum()) if len(strides) else 0,
        "midstance_definition": "50 % of contact time",
    }
    if frontal_info is not None:
        info["frontal"] = frontal_info
    return GaitEvents(events=ev, contacts=c, strides=strides, cadence_spm=cadence, info=info)
