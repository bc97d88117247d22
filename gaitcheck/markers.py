"""Per-stride running-form markers, their registry, and the per-side summary.

Every marker is registered once (:data:`MARKERS`) with its name (unit in the name), unit,
the view it needs, the gait event it is read at, its sign convention, definition and
references, so that tables, reports and docs all read from one source. Computation is
vectorised over strides: each marker function receives the whole stride table and
returns one value per stride.

Conventions: ``%leg`` is a percentage of the runner's leg length (hip-knee + knee-ankle,
median over the clip); lengths are also given in metres/centimetres when the runner's
height is known. Horizontal positions in a side view are positive in the running
direction. Angle conventions are those of :mod:`gaitcheck.kinematics`.

Filtering: markers are read from the low-passed kinematics (10 Hz by default). On a
synthetic runner whose key poses are 117 ms apart, the filter blunts peaks by up to about
2-3 deg or %leg (``tests/test_markers.py``); with the filter off the markers reproduce the
geometry exactly. ``gaitcheck analyze --cutoff-hz`` sets it.

Views: sagittal markers need a side view, frontal markers a rear or front view. A marker
the view cannot show is reported as "not measurable from this view" with the view it
needs, never computed on the wrong view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .events import GaitEvents
from .kinematics import Kinematics

__all__ = [
    "MarkerSpec",
    "MARKERS",
    "SIDE_VIEW",
    "FRONTAL_VIEW",
    "MIN_STRIDES_PER_SIDE",
    "compute_markers",
    "summarize_markers",
    "marker_table_doc",
    "hip_extension_window_end",
]

SIDE_VIEW = "side"
FRONTAL_VIEW = "frontal"  # rear or front
ANY_VIEW = "any"

#: Fewer valid strides per side than this is reported as a weak estimate
#: (Dingenen et al. 2018: about 7 steps for a stable mean of 2D angles).
MIN_STRIDES_PER_SIDE = 6


@dataclass(frozen=True)
class MarkerSpec:
    """Definition of one per-stride marker.

    Parameters
    ----------
    name : str
        Column name, with the unit in it (``overstride_ic_pct_leg``).
    unit : str
        Unit as shown to users (``%leg``, ``deg``, ``ms``, ``steps/min``...).
    view : str
        ``'side'``, ``'frontal'`` (rear or front) or ``'any'``.
    event : str
        When it is read: ``'ic'``, ``'ms'``, ``'to'``, ``'stance'``, ``'late stance'``,
        ``'stride'``.
    sign : str
        Sign convention.
    definition : str
        How it is computed from the landmarks.
    references : tuple of str
        Where the definition comes from.
    label : str
        Short human label.
    kind : str
        ``'timing'`` (needs fine timing: confidence grows with fps), ``'angle'``,
        ``'length'``.
    func : callable
        ``func(ctx) -> ndarray`` with one value per stride.
    view_note : str
        Why the other view cannot show the marker, when that is not obvious; it goes into
        the "not measurable" reason.
    """

    name: str
    unit: str
    view: str
    event: str
    sign: str
    definition: str
    references: tuple[str, ...]
    label: str
    kind: str
    func: Callable[[_Context], np.ndarray]
    view_note: str = ""


#: Every registered marker, by name, in report order.
MARKERS: dict[str, MarkerSpec] = {}


def register(**kw: object) -> Callable:
    """Register a marker function under ``name`` (decorator)."""

    def deco(func: Callable) -> Callable:
        spec = MarkerSpec(func=func, **kw)  # type: ignore[arg-type]
        if spec.name in MARKERS:
            raise ValueError(f"marker {spec.name} registered twice")
        MARKERS[spec.name] = spec
        return func

    return deco


class _Context:
    """Per-stride access to the kinematic signals at gait events (vectorised)."""

    def __init__(self, kin: Kinematics, ev: GaitEvents, strides: pd.DataFrame) -> None:
        self.kin = kin
        self.ev = ev
        self.st = strides
        self.a = kin.angles
        self.n = kin.n_frames
        self.side = strides["side"].to_numpy()
        self.ic = strides["ic_frame"].to_numpy(int)
        self.ms = strides["ms_frame"].to_numpy(int)
        self.to = strides["to_frame"].to_numpy(int)
        self.nxt = strides["ic_next_frame"].to_numpy(int)
        self.ic_t = strides["ic_time_s"].to_numpy(np.float64)
        self.ms_t = strides["ms_time_s"].to_numpy(np.float64)

    def sided(self, template: str) -> np.ndarray:
        """Return an (n_frames, n_strides)-free view: the per-frame signal of each stride's side.

        ``template`` contains ``{s}``; returns shape (2, n_frames) stacked l, r, indexed by
        :meth:`at`.
        """
        return np.stack([self.a[template.format(s=s)].to_numpy(np.float64) for s in "lr"])

    def at_time(self, signal: np.ndarray, times: np.ndarray, *, sided: bool = False
                ) -> np.ndarray:
        """Value of a signal at a sub-frame time per stride (linear between frames).

        Reading at the event's own time rather than at the first frame after it removes a
        bias of up to half a frame of motion (the knee flexes about 0.25 deg/ms just after
        contact: 2-3 deg at 30 fps on the force-plate data).
        """
        t = self.kin.time_s
        pos = np.interp(times, t, np.arange(t.size, dtype=np.float64))
        i0 = np.clip(np.floor(pos).astype(int), 0, self.n - 1)
        i1 = np.clip(i0 + 1, 0, self.n - 1)
        frac = pos - i0
        a = self.at(signal, i0, sided=sided)
        b = self.at(signal, i1, sided=sided)
        out = a + (b - a) * frac
        return np.where(np.isfinite(out), out, a)

    def at(self, signal: np.ndarray, frames: np.ndarray, *, sided: bool = False) -> np.ndarray:
        """Value of a signal at one frame per stride (the stride's own side if ``sided``)."""
        f = np.clip(frames, 0, self.n - 1)
        if sided:
            return signal[(self.side == "r").astype(int), f]
        return signal[f]

    def window_reduce(self, signal: np.ndarray, start: np.ndarray, stop: np.ndarray,
                      how: str, *, sided: bool = False) -> np.ndarray:
        """Reduce a signal over ``[start, stop]`` (inclusive) of every stride, vectorised.

        Uses a padded (n_strides, max_len) index grid: no loop over frames or strides.
        """
        start = np.clip(start, 0, self.n - 1)
        stop = np.clip(np.maximum(stop, start), 0, self.n - 1)
        length = stop - start + 1
        width = int(length.max()) if length.size else 1
        idx = start[:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < length[:, None]
        idx = np.minimum(idx, self.n - 1)
        if sided:
            rows = (self.side == "r").astype(int)[:, None]
            vals = signal[rows, idx]
        else:
            vals = signal[idx]
        vals = np.where(valid, vals, np.nan)
        with np.errstate(all="ignore"), _quiet_nan():
            if how == "max":
                return np.nanmax(vals, axis=1)
            if how == "min":
                return np.nanmin(vals, axis=1)
            if how == "argmax":
                filled = np.where(np.isfinite(vals), vals, -np.inf)
                return start + np.argmax(filled, axis=1)
            if how == "range":
                return np.nanmax(vals, axis=1) - np.nanmin(vals, axis=1)
        raise ValueError(how)


class _quiet_nan:
    """Silence numpy's all-NaN-slice warnings inside a block."""

    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


# --------------------------------------------------------------------------------------
# timing (any view)

_EVENTS_REF = ("gaitcheck events: IC/TO from foot height and foot-pelvis speed, "
               "validated on Fukuchi et al. 2017 force plates",)


@register(name="cadence_spm", unit="steps/min", view=ANY_VIEW, event="stride",
          sign="higher = more steps per minute",
          definition="Steps per minute from the stride: 2 steps x 60 / stride time (IC to the "
                     "next IC of the same foot). The clip's cadence is also fitted over all "
                     "contacts (gaitcheck.events.cadence_from_contacts).",
          references=("Heiderscheit et al. 2011, MSSE 43:296", "Luedke et al. 2016, MSSE 48:1244"),
          label="Cadence", kind="timing")
def _cadence(ctx: _Context) -> np.ndarray:
    return 120000.0 / ctx.st["stride_time_ms"].to_numpy(np.float64)


#: Contact time, flight time and duty factor need the moment a foot leaves the ground, which
#: a rear or front view does not show: on gaitcheck's rendered runner (true contact 202 ms)
#: they read 361-383 ms and a negative flight time (initial contact ~60 ms early, toe-off
#: ~105 ms late; see gaitcheck.events), and on the force plates seen from behind toe-off
#: came 131 ms late (tests/test_events.py). They are side-view markers.
_NO_FLIGHT_SEEN = "a rear or front view cannot see when a foot leaves the ground"


@register(name="ground_contact_time_ms", unit="ms", view=SIDE_VIEW, event="stance",
          sign="higher = longer on the ground",
          definition="Toe-off minus initial contact of the same foot (sub-frame times).",
          references=_EVENTS_REF, label="Ground contact time", kind="timing",
          view_note=_NO_FLIGHT_SEEN)
def _gct(ctx: _Context) -> np.ndarray:
    return ctx.st["contact_time_ms"].to_numpy(np.float64)


@register(name="flight_time_ms", unit="ms", view=SIDE_VIEW, event="stride",
          sign="higher = longer airborne",
          definition="Initial contact of the other foot minus this foot's toe-off; NaN when "
                     "the other foot's contact is missing.",
          references=_EVENTS_REF, label="Flight time", kind="timing",
          view_note=_NO_FLIGHT_SEEN)
def _flight(ctx: _Context) -> np.ndarray:
    c = ctx.ev.contacts
    out = np.full(len(ctx.st), np.nan)
    to_t = ctx.st["to_time_s"].to_numpy(np.float64)
    nxt_t = ctx.st["ic_next_time_s"].to_numpy(np.float64)
    for side in "lr":
        other = "r" if side == "l" else "l"
        ics = np.sort(c.loc[c["side"] == other, "ic_time_s"].to_numpy(np.float64))
        m = ctx.side == side
        if not ics.size or not m.any():
            continue
        j = np.searchsorted(ics, to_t[m] - 0.05)  # the other foot lands after this toe-off
        ok = j < ics.size
        t_other = np.where(ok, ics[np.minimum(j, ics.size - 1)], np.nan)
        t_other = np.where(t_other < nxt_t[m], t_other, np.nan)
        out[m] = 1000.0 * (t_other - to_t[m])
    return out


@register(name="duty_factor_pct", unit="%", view=SIDE_VIEW, event="stride",
          sign="higher = larger share of the stride on the ground",
          definition="Ground contact time / stride time x 100.",
          references=("Lussiana et al. 2019, J Exp Biol jeb192047",), label="Duty factor",
          kind="timing",
          view_note=_NO_FLIGHT_SEEN)
def _duty(ctx: _Context) -> np.ndarray:
    return 100.0 * ctx.st["contact_time_ms"].to_numpy(np.float64) / ctx.st[
        "stride_time_ms"].to_numpy(np.float64)


# --------------------------------------------------------------------------------------
# sagittal (side view)


def _midfoot_x(ctx: _Context) -> np.ndarray:
    return 0.5 * (ctx.sided("heel_x_{s}_leg") + ctx.sided("toe_x_{s}_leg"))


@register(name="pelvis_behind_foot_ms_pct_leg", unit="%leg", view=SIDE_VIEW, event="ms",
          sign="negative = pelvis behind the stance foot, positive = ahead of it",
          definition="At midstance (50 % of contact), horizontal position of the mid-hip minus "
                     "that of the stance midfoot (mean of heel and toe), in the running "
                     "direction, x 100 / leg length. Reported with trunk lean and hip flexion at "
                     "the same frame (trunk_lean_deg, hip_flexion_ms_deg).",
          references=("Seed article 001 (pelvis over the foot at midstance)",),
          label="Pelvis vs stance foot at midstance", kind="length")
def _pelvis_behind(ctx: _Context) -> np.ndarray:
    pel = ctx.a["pelvis_x_leg"].to_numpy(np.float64)
    return 100.0 * (ctx.at(pel, ctx.ms) - ctx.at(_midfoot_x(ctx), ctx.ms, sided=True))


@register(name="hip_flexion_ms_deg", unit="deg", view=SIDE_VIEW, event="ms",
          sign="positive = thigh ahead of vertical (flexion)",
          definition="Stance thigh against vertical at midstance (hip_flex of kinematics).",
          references=("Seed article 001",), label="Stance hip flexion at midstance",
          kind="angle")
def _hip_ms(ctx: _Context) -> np.ndarray:
    return ctx.at(ctx.sided("hip_flex_{s}_deg"), ctx.ms, sided=True)


@register(name="overstride_ic_pct_leg", unit="%leg", view=SIDE_VIEW, event="ic",
          sign="positive = heel lands ahead of the hip",
          definition="At initial contact, horizontal heel position minus mid-hip position in the "
                     "running direction, x 100 / leg length (heel-to-COM distance with the "
                     "mid-hip as the COM proxy).",
          references=("Wille et al. 2014, JOSPT 44:825", "Lieberman et al. 2015, J Exp Biol "
                      "218:3406", "Seed article 004 (overstride)"),
          label="Heel ahead of hip at contact", kind="length")
def _overstride(ctx: _Context) -> np.ndarray:
    pel = ctx.a["pelvis_x_leg"].to_numpy(np.float64)
    heel = ctx.sided("heel_x_{s}_leg")
    return 100.0 * (ctx.at_time(heel, ctx.ic_t, sided=True) - ctx.at_time(pel, ctx.ic_t))


@register(name="shank_angle_ic_deg", unit="deg", view=SIDE_VIEW, event="ic",
          sign="positive = ankle ahead of the knee (shank reaching forward)",
          definition="Shank (knee to ankle) against vertical at initial contact.",
          references=("Souza 2016, Phys Med Rehabil Clin N Am 27:217",
                      "Dingenen et al. 2020, Phys Ther Sport 44:99"),
          label="Shank angle at contact", kind="angle")
def _shank_ic(ctx: _Context) -> np.ndarray:
    return ctx.at_time(ctx.sided("shank_{s}_deg"), ctx.ic_t, sided=True)


def hip_extension_window_end(to_frame, next_ic_frame, fps: float):  # noqa: ANN001, ANN201
    """Return the last frame of the hip-extension window: 60 ms after toe-off.

    At least one frame after toe-off, and before the next initial contact. Works on
    scalars or arrays (the overlay draws the marker at the same frame it is measured).
    """
    extra = max(1, int(round(0.06 * fps)))
    return np.minimum(np.asarray(to_frame) + extra, np.asarray(next_ic_frame) - 1)


def _late_stance_end(ctx: _Context) -> np.ndarray:
    return hip_extension_window_end(ctx.to, ctx.nxt, ctx.kin.fps)


@register(name="hip_extension_deg", unit="deg", view=SIDE_VIEW, event="late stance",
          sign="positive = thigh behind vertical (extension)",
          definition="Peak thigh extension against vertical from midstance to 60 ms after "
                     "toe-off (the thigh keeps extending for about 40 ms after the foot leaves "
                     "the ground; force-plate data): max of -hip_flex.",
          references=("Seed articles 001 and 004 (loss of hip extension)",),
          label="Peak hip extension (thigh vs vertical)", kind="angle")
def _hip_ext(ctx: _Context) -> np.ndarray:
    sig = -ctx.sided("hip_flex_{s}_deg")
    return ctx.window_reduce(sig, ctx.ms, _late_stance_end(ctx), "max", sided=True)


@register(name="hip_extension_trunk_deg", unit="deg", view=SIDE_VIEW, event="late stance",
          sign="positive = thigh behind the trunk line (extension)",
          definition="Peak thigh extension against the trunk line (mid-shoulder to mid-hip) from "
                     "midstance to 60 ms after toe-off: max of -hip_flex_trunk.",
          references=("Seed articles 001 and 004",),
          label="Peak hip extension (thigh vs trunk)", kind="angle")
def _hip_ext_trunk(ctx: _Context) -> np.ndarray:
    sig = -ctx.sided("hip_flex_trunk_{s}_deg")
    return ctx.window_reduce(sig, ctx.ms, _late_stance_end(ctx), "max", sided=True)


@register(name="knee_flexion_ic_deg", unit="deg", view=SIDE_VIEW, event="ic",
          sign="positive = flexed",
          definition="Knee flexion (180 deg minus the hip-knee-ankle angle) at initial contact, "
                     "read at the sub-frame contact time (linear between frames).",
          references=("Bramah et al. 2018, AJSM 46:3023", "Wille et al. 2014"),
          label="Knee flexion at contact", kind="angle")
def _knee_ic(ctx: _Context) -> np.ndarray:
    return ctx.at_time(ctx.sided("knee_flex_{s}_deg"), ctx.ic_t, sided=True)


@register(name="knee_flexion_peak_stance_deg", unit="deg", view=SIDE_VIEW, event="stance",
          sign="positive = flexed",
          definition="Largest knee flexion between initial contact and toe-off.",
          references=("Heiderscheit et al. 2011", "Wille et al. 2014"),
          label="Peak knee flexion in stance", kind="angle")
def _knee_peak(ctx: _Context) -> np.ndarray:
    return ctx.window_reduce(ctx.sided("knee_flex_{s}_deg"), ctx.ic, ctx.to, "max", sided=True)


@register(name="knee_flexion_excursion_deg", unit="deg", view=SIDE_VIEW, event="stance",
          sign="positive = the knee bends after landing",
          definition="Peak stance knee flexion minus knee flexion at initial contact (the knee's "
                     "yield from contact to midstance; 'deflating' when large).",
          references=("Seed article 004 (deflating at midstance)", "Wille et al. 2014"),
          label="Knee flexion contact to midstance", kind="angle")
def _knee_exc(ctx: _Context) -> np.ndarray:
    return _knee_peak(ctx) - _knee_ic(ctx)


@register(name="ankle_dorsiflexion_excursion_deg", unit="deg", view=SIDE_VIEW, event="stance",
          sign="positive = the ankle dorsiflexes after landing",
          definition="Peak stance ankle angle (foot minus shank, uncalibrated) minus its value at "
                     "initial contact; with the knee excursion it describes 'deflating'.",
          references=("Seed article 004 (deflating at midstance)",),
          label="Ankle dorsiflexion contact to midstance", kind="angle")
def _ankle_exc(ctx: _Context) -> np.ndarray:
    ank = ctx.sided("ankle_{s}_deg")
    return ctx.window_reduce(ank, ctx.ic, ctx.to, "max", sided=True) - ctx.at_time(
        ank, ctx.ic_t, sided=True)


@register(name="foot_strike_angle_deg", unit="deg", view=SIDE_VIEW, event="ic",
          sign="positive = toes up (heel first), negative = toes down (forefoot first)",
          definition="Foot (heel to toe) against the horizontal at initial contact, not "
                     "corrected for the standing foot angle (no standing trial).",
          references=("Altman & Davis 2012, Gait Posture 35:298", "Murray et al. 2019, Sports "
                      "7:8 (typical error 2.5 deg)"),
          label="Foot strike angle", kind="angle")
def _fsa(ctx: _Context) -> np.ndarray:
    return ctx.at_time(ctx.sided("foot_{s}_deg"), ctx.ic_t, sided=True)


@register(name="trunk_lean_deg", unit="deg", view=SIDE_VIEW, event="ms",
          sign="positive = leaning forward",
          definition="Mid-hip to mid-shoulder against vertical at midstance.",
          references=("Seed articles 001 and 004 (posture)", "Teng & Powers 2014, JOSPT 44:785"),
          label="Trunk forward lean", kind="angle")
def _trunk(ctx: _Context) -> np.ndarray:
    return ctx.at(ctx.a["trunk_lean_deg"].to_numpy(np.float64), ctx.ms)


@register(name="vertical_oscillation_pct_leg", unit="%leg", view=SIDE_VIEW, event="stride",
          sign="higher = more bounce",
          definition="Range (max - min) of the mid-hip height over the stride, x 100 / leg "
                     "length (pelvis as the COM proxy; includes any camera shake).",
          references=("Folland et al. 2017, MSSE 49:1412",),
          label="Vertical oscillation", kind="length")
def _vo(ctx: _Context) -> np.ndarray:
    pel = ctx.a["pelvis_y_leg"].to_numpy(np.float64)
    return 100.0 * ctx.window_reduce(pel, ctx.ic, ctx.nxt - 1, "range")


# --------------------------------------------------------------------------------------
# frontal (rear or front view)


def _frontal_px(ctx: _Context) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Image x of mid-hip, of each foot's contact point (l, r), per-frame leg length, outward."""
    from .landmarks import LM

    p = ctx.kin.points_px
    mid = 0.5 * (p[:, LM.LEFT_HIP, 0] + p[:, LM.RIGHT_HIP, 0])
    foot = np.stack([
        0.5 * (p[:, LM.LEFT_HEEL, 0] + p[:, LM.LEFT_FOOT_INDEX, 0]),
        0.5 * (p[:, LM.RIGHT_HEEL, 0] + p[:, LM.RIGHT_FOOT_INDEX, 0]),
    ])
    leg = ctx.a["leg_length_px"].to_numpy(np.float64)
    # which image direction is the runner's left: +1 when the left hip is on image right
    with _quiet_nan():
        left_dir = np.sign(np.nanmedian(p[:, LM.LEFT_HIP, 0] - p[:, LM.RIGHT_HIP, 0]))
    return mid, foot, leg, np.array([left_dir, -left_dir])


@register(name="crossover_ic_pct_leg", unit="%leg", view=FRONTAL_VIEW, event="ic",
          sign="positive = the foot lands across the body midline (crossover), negative = on "
               "its own side",
          definition="At initial contact, lateral position of the stance foot (mean of heel and "
                     "toe) relative to the mid-hip, towards the other side, x 100 / the leg "
                     "length in pixels at that frame (rear or front view; the scale follows the "
                     "runner towards or away from the camera).",
          references=("Seed article 004 (crossover landing)",),
          label="Foot placement across the midline", kind="length")
def _crossover(ctx: _Context) -> np.ndarray:
    mid, foot, leg, outward = _frontal_px(ctx)
    rows = (ctx.side == "r").astype(int)
    lateral = (ctx.at(foot, ctx.ic, sided=True) - ctx.at(mid, ctx.ic)) * outward[rows]
    return -100.0 * lateral / ctx.at(leg, ctx.ic)


@register(name="step_width_pct_leg", unit="%leg", view=FRONTAL_VIEW, event="ic",
          sign="higher = feet land further apart",
          definition="Lateral distance between this foot's contact point at its initial contact "
                     "and the other foot's at its next initial contact, x 100 / leg length in "
                     "pixels (negative when the feet cross).",
          references=("Seed article 004 (narrow / crossover landing)",),
          label="Step width", kind="length")
def _step_width(ctx: _Context) -> np.ndarray:
    mid, foot, leg, outward = _frontal_px(ctx)
    c = ctx.ev.contacts
    out = np.full(len(ctx.st), np.nan)
    for side, row in (("l", 0), ("r", 1)):
        other = 1 - row
        ics = np.sort(c.loc[c["side"] == ("r" if side == "l" else "l"), "ic_frame"].to_numpy(int))
        m = ctx.side == side
        if not ics.size or not m.any():
            continue
        j = np.searchsorted(ics, ctx.ic[m])
        ok = j < ics.size
        f_other = ics[np.minimum(j, ics.size - 1)]
        here = ctx.at(foot[row], ctx.ic[m])
        there = foot[other][np.clip(f_other, 0, ctx.n - 1)]
        # positive when each foot is on its own side of the other
        width = (here - there) * outward[row]
        scale = 0.5 * (ctx.at(leg, ctx.ic[m]) + leg[np.clip(f_other, 0, ctx.n - 1)])
        out[m] = np.where(ok, 100.0 * width / scale, np.nan)
    return out


@register(name="pelvic_drop_deg", unit="deg", view=FRONTAL_VIEW, event="stance",
          sign="positive = the swing-side hip drops below the stance-side hip",
          definition="Peak contralateral pelvic drop in stance: pelvic obliquity (hip-hip line vs "
                     "horizontal) relative to its median over the clip (removes camera roll and a "
                     "static offset), signed so that the swing side dropping is positive.",
          references=("Bramah et al. 2018, AJSM 46:3023", "Dingenen et al. 2018, Phys Ther "
                      "Sport", "Seed article 000 (weak glute medius)"),
          label="Contralateral pelvic drop", kind="angle")
def _pelvic_drop(ctx: _Context) -> np.ndarray:
    ob = ctx.a["pelvic_obliquity_deg"].to_numpy(np.float64)
    with _quiet_nan():
        ob = ob - np.nanmedian(ob)
    # right stance: left (swing) side drops -> right hip higher -> positive obliquity
    sig = np.stack([-ob, ob])
    return ctx.window_reduce(sig, ctx.ic, ctx.to, "max", sided=True)


@register(name="hip_adduction_peak_deg", unit="deg", view=FRONTAL_VIEW, event="stance",
          sign="positive = knee towards the midline",
          definition="Peak hip adduction proxy (thigh vs the perpendicular to the hip-hip line) "
                     "in stance.",
          references=("Dingenen et al. 2018, Phys Ther Sport",),
          label="Peak hip adduction in stance", kind="angle")
def _hip_add(ctx: _Context) -> np.ndarray:
    return ctx.window_reduce(ctx.sided("hip_adduction_{s}_deg"), ctx.ic, ctx.to, "max",
                             sided=True)


# --------------------------------------------------------------------------------------
# computing and summarising


def _view_kind(view: str) -> str:
    return SIDE_VIEW if view == "side" else FRONTAL_VIEW if view in ("rear", "front") else ""


def compute_markers(kin: Kinematics, ev: GaitEvents, *, valid_only: bool = True) -> pd.DataFrame:
    """Compute every marker the view can show, for every stride.

    Parameters
    ----------
    kin : Kinematics
        Cleaned kinematics.
    ev : GaitEvents
        Events and strides.
    valid_only : bool, optional
        Keep only valid strides (default).

    Returns
    -------
    pandas.DataFrame
        Index ``stride_id`` (as in the stride table); columns ``side``, ``limb``, then one
        column per measurable marker (names from :data:`MARKERS`), ``foot_strike_pattern``
        (side view), and metre/centimetre versions of lengths when the height is known.
        Markers the view cannot show are absent (see :func:`summarize_markers`).
    """
    st = ev.strides
    if valid_only and len(st):
        st = st[st["valid"]]
    out = pd.DataFrame(index=st.index)
    out["side"] = st["side"]
    out["limb"] = st["limb"]
    if not len(st):
        return out
    ctx = _Context(kin, ev, st)
    view = _view_kind(kin.view)
    for spec in MARKERS.values():
        if spec.view in (ANY_VIEW, view):
            out[spec.name] = spec.func(ctx)
    if "foot_strike_angle_deg" in out:
        fsa = out["foot_strike_angle_deg"].to_numpy()
        # Altman & Davis 2012 classes (uncalibrated angle here): informational only
        out["foot_strike_pattern"] = np.select(
            [fsa > 8.0, fsa < -1.6], ["heel", "forefoot"], "midfoot").astype(object)
        out.loc[~np.isfinite(fsa), "foot_strike_pattern"] = None
    if kin.m_per_leg:
        if "overstride_ic_pct_leg" in out:
            out["overstride_ic_m"] = out["overstride_ic_pct_leg"] / 100.0 * kin.m_per_leg
        if "vertical_oscillation_pct_leg" in out:
            out["vertical_oscillation_cm"] = out["vertical_oscillation_pct_leg"] * kin.m_per_leg
    return out


def _confidence(spec: MarkerSpec, kin: Kinematics, side: str, n: int, vis: float) -> float:
    """Confidence 0..1 = view x timing x visibility x limb x stride count (documented)."""
    view_ok = spec.view == ANY_VIEW or spec.view == _view_kind(kin.view)
    c = float(kin.view_confidence) if view_ok else 0.0
    if spec.kind == "timing":
        c *= min(1.0, kin.fps / 60.0)  # one frame = 16.7 ms at 60 fps, the per-step LoA
    else:
        c *= min(1.0, kin.fps / 30.0) ** 0.5
    c *= float(np.clip((vis - 0.3) / 0.5, 0.0, 1.0)) if np.isfinite(vis) else 0.5
    near = kin.info.get("near_side")
    if kin.view == "side" and near in ("l", "r") and side in ("l", "r") and side != near:
        c *= 0.8  # the far leg is partly hidden (Young et al. 2023)
    c *= min(1.0, n / MIN_STRIDES_PER_SIDE)
    return round(c, 3)


def summarize_markers(per_stride: pd.DataFrame, kin: Kinematics) -> pd.DataFrame:
    """Per-side summary of every registered marker, with confidence and measurability.

    Parameters
    ----------
    per_stride : pandas.DataFrame
        Output of :func:`compute_markers`.
    kin : Kinematics
        The kinematics (view, fps, visibility, near side).

    Returns
    -------
    pandas.DataFrame
        MultiIndex ``(marker, side)`` with side ``l``, ``r`` and ``both`` (all strides;
        and ``<marker>_asymmetry_pct`` rows, side ``both``: ``|median_l - median_r| /
        mean(|median_l|, |median_r|) x 100``); columns ``median``, ``q1``, ``q3``,
        ``iqr``, ``n_strides``, ``unit``, ``confidence``, ``measurable``, ``reason``.
        A marker the view cannot show has ``measurable`` False and ``reason`` "not
        measurable from this view (<view>): [<its view_note>; ]needs a <side|rear or
        front> view" (contact time, flight time and duty factor name the airborne phase a
        rear view cannot see).

    Notes
    -----
    Confidence (0..1) is the product of: the view detection's confidence (0 for a marker
    the view cannot show); for timing markers ``min(1, fps / 60)``, else
    ``sqrt(min(1, fps / 30))``; mean hip/knee/ankle visibility mapped from 0.3..0.8 to
    0..1; 0.8 for the far leg in a side view; ``min(1, strides / 6)``. Asymmetry rows
    take the weaker side's confidence.
    """
    from .landmarks import LM

    view = _view_kind(kin.view)
    vis_all = np.nanmean(kin.visibility[:, [LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE,
                                            LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE,
                                            LM.LEFT_HEEL, LM.RIGHT_HEEL]], axis=0)
    vis_side = {"l": float(np.nanmean(vis_all[0::2])), "r": float(np.nanmean(vis_all[1::2]))}
    vis_side["both"] = float(np.nanmean(vis_all))
    rows = []
    for spec in MARKERS.values():
        needs = {SIDE_VIEW: "a side", FRONTAL_VIEW: "a rear or front"}.get(spec.view)
        measurable = spec.view == ANY_VIEW or spec.view == view
        why_not = (f"not measurable from this view ({kin.view}): "
                   + (f"{spec.view_note}; " if spec.view_note and view else "")
                   + f"needs {needs} view")
        medians = {}
        for side in ("l", "r", "both"):
            if measurable and spec.name in per_stride:
                sel = per_stride if side == "both" else per_stride[per_stride["side"] == side]
                v = sel[spec.name].to_numpy(np.float64)
                v = v[np.isfinite(v)]
            else:
                v = np.zeros(0)
            n = int(v.size)
            if n:
                q1, med, q3 = np.percentile(v, [25, 50, 75])
            else:
                q1 = med = q3 = np.nan
            medians[side] = med
            reason = None
            if not measurable:
                reason = why_not
            elif n == 0:
                reason = "no valid stride with this marker"
            elif side != "both" and n < MIN_STRIDES_PER_SIDE:
                reason = (f"only {n} valid stride(s) on this side; at least "
                          f"{MIN_STRIDES_PER_SIDE} are needed for a stable estimate")
            rows.append({
                "marker": spec.name, "side": side, "median": med, "q1": q1, "q3": q3,
                "iqr": q3 - q1, "n_strides": n, "unit": spec.unit,
                "confidence": _confidence(spec, kin, side, n if side != "both" else n // 2,
                                          vis_side[side]) if measurable and n else 0.0,
                "measurable": bool(measurable and n > 0), "reason": reason,
            })
        if spec.view != ANY_VIEW or spec.kind == "timing":
            ml, mr = medians["l"], medians["r"]
            denom = 0.5 * (abs(ml) + abs(mr))
            asym = 100.0 * abs(ml - mr) / denom if np.isfinite(ml + mr) and denom > 0 else np.nan
            n = int(min((per_stride["side"] == s).sum() for s in "lr")) if measurable else 0
            rows.append({
                "marker": f"{spec.name}_asymmetry_pct", "side": "both", "median": asym,
                "q1": np.nan, "q3": np.nan, "iqr": np.nan, "n_strides": n, "unit": "%",
                "confidence": 0.0, "measurable": bool(np.isfinite(asym)),
                "reason": None if np.isfinite(asym) else (
                    why_not if not measurable else "needs valid strides on both sides"),
            })
    df = pd.DataFrame(rows).set_index(["marker", "side"])
    # asymmetry confidence: the weaker side's
    for m in MARKERS:
        key = (f"{m}_asymmetry_pct", "both")
        if key in df.index and df.loc[key, "measurable"]:
            df.loc[key, "confidence"] = float(min(df.loc[(m, "l"), "confidence"],
                                                  df.loc[(m, "r"), "confidence"]))
    return df


def marker_table_doc() -> str:
    """Return a Markdown table of every marker (name, unit, view, event, sign, definition)."""
    lines = ["| marker | unit | view | event | sign convention | definition | references |",
             "|---|---|---|---|---|---|---|"]
    for s in MARKERS.values():
        lines.append(f"| `{s.name}` | {s.unit} | {s.view} | {s.event} | {s.sign} | "
                     f"{s.definition} | {'; '.join(s.references)} |")
    return "\n".join(lines)
