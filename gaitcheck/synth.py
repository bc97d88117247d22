"""A parametric running model with exact ground truth, for synthetic test videos.

The model moves a 3D articulated runner on a treadmill. Nothing here is fitted to a
video: every joint position is a closed-form (or spline) function of time, so the
gait events and the value of every marker are known exactly. :mod:`gaitcheck.synth_render`
draws the runner; ``gaitcheck synth`` writes the video and a ground-truth JSON beside it.

How the motion is built
-----------------------
World axes: ``x`` = running direction, ``y`` = up, ``z`` = the runner's right; metres and
seconds. The treadmill belt is the plane ``y = 0`` and moves at ``-speed_mps`` along ``x``;
the runner's hip centre stays at ``x = 0``.

* **Stance** is built from the foot's contact with the belt, so the foot never slides:
  the heel lands ``heel_ahead_pct_leg`` ahead of the hip with the sole at
  ``strike_deg`` (toes up), the foot rolls down about the heel to flat, stays flat, and
  from heel-off rolls about the toe, which leaves the belt ``toe_behind_pct_leg`` behind
  the hip with the sole at ``toe_off_foot_deg``. The contact time follows from the belt
  speed and these positions. The knee comes from two-segment inverse kinematics.
* **Hip height** is a cosine at step frequency with its lowest point at midstance
  (amplitude ``hip_drop_m``), set so that the knee is flexed ``knee_ic_deg`` at initial
  contact. The pelvis tilts in the frontal plane (``pelvic_drop_deg``), the swing-side hip
  dropping, about the stance hip. The trunk stays upright in the frontal plane by default
  (the lumbar spine takes up the pelvic tilt); ``trunk_side_tilt_deg`` tilts it, shoulder
  line included, towards the swing side with the same timing.
* **Swing** is a clamped cubic spline of the ankle position through via-points (heel
  recovery behind, knee drive in front) that leaves the stance path with its velocity at
  toe-off and lands with a downward, backward velocity; the ankle angle follows a spline.
* Trunk lean, arm swing (opposite to the legs) and elbow flexion are sinusoids.

Default values are shaped on published running kinematics at 3 m/s: knee flexion about
20 deg at contact and 40 deg at midstance, peak swing knee flexion about 100 deg, thigh
flexion peak about 40 deg, thigh extension about 20 deg at toe-off, contact time about
0.25 s at 170 steps/min, vertical oscillation 7-8 cm (Novacheck 1998, Gait Posture 7:77;
Fukuchi et al. 2017, PeerJ 5:e3298; Heiderscheit et al. 2011, MSSE 43:296; Folland et
al. 2017, MSSE 49:1412). What the fault-free defaults give (170 steps/min, 1.75 m
runner): knee 16 deg at contact and 38 deg at its stance peak, 109 deg peak in swing,
thigh from 49 deg flexion to 18 deg extension, contact 0.20 s, and a pelvis that rises
and falls 4.9 cm (5.7 % of the leg) - less than the published 7-8 cm, and less than the
force-plate mocap's hip at 2.5 m/s (about 12 % of the leg). A 7.2 cm oscillation
(``hip_drop_m`` 0.036) was measured and not kept: it brought the stance knee peak to 43
deg, but through MediaPipe initial contacts within a frame fell from 61 to 35 % on the
deflating clip and from 43 to 35 % on the rear crossover clip, and the clean side clip
gained a contact-time asymmetry "watch" (``scripts/validate_synth.py``, 8 s at 60 fps).
Segment lengths are fractions of body height from Winter 2009
(Biomechanics and Motor Control of Human Movement, table 4.1; Drillis & Contini 1966).

Faults
------
Each fault of :data:`FAULTS` changes a few parameters, chosen to move one marker well past
its ``flag`` band in ``bands.toml`` (see :data:`FAULT_MARKERS`). A fault can move other
markers too where the body couples them (a runner sitting back also lands further ahead).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from .landmarks import LM, N_LANDMARKS

__all__ = [
    "FAULTS",
    "FAULT_MARKERS",
    "VIEWS",
    "Camera",
    "GaitModel",
    "RunnerParams",
    "camera_for_view",
    "runner_params",
    "truth_events",
    "truth_landmarks",
    "truth_markers",
]

VIEWS = ("side", "rear")

#: Fault name -> the marker it is built to push past its flag band.
FAULT_MARKERS: dict[str, tuple[str, ...]] = {
    "none": (),
    "overstride": ("overstride_ic_pct_leg",),
    "low-hip-extension": ("hip_extension_deg",),
    "pelvis-behind": ("pelvis_behind_foot_ms_pct_leg",),
    "crossover": ("crossover_ic_pct_leg", "step_width_pct_leg"),
    "pelvic-drop": ("pelvic_drop_deg",),
    "deflating": ("knee_flexion_excursion_deg",),
}

#: The view a fault is seen from.
FAULT_VIEW = {"crossover": "rear", "pelvic-drop": "rear"}


@dataclass(frozen=True)
class RunnerParams:
    """Parameters of the running model (see the module docstring for how they act).

    Lengths in ``%leg`` are percent of the leg length (thigh + shank, hip joint to ankle
    joint); angles in degrees.
    """

    body_height_m: float = 1.75
    speed_mps: float = 3.0
    cadence_spm: float = 170.0
    heel_ahead_pct_leg: float = 8.0      # heel ahead of the hip at initial contact
    toe_behind_pct_leg: float = 33.0     # toe behind the hip at toe-off
    strike_deg: float = 8.0              # sole vs belt at initial contact, toes up
    toe_off_foot_deg: float = -60.0      # rear-foot sole vs belt at toe-off (heel up = -)
    toe_tip_deg: float = -20.0           # toes vs belt at toe-off (they tip at the very end)
    ball_share: float = 0.72             # ball of the foot (toe joints) along heel -> toe
    toe_rocker_share: float = 0.2        # last share of contact spent rolling over the toes
    foot_flat_share: float = 0.18        # share of contact when the sole becomes flat
    heel_off_share: float = 0.50         # share of contact when the heel lifts
    knee_ic_deg: float = 16.0
    hip_drop_m: float = 0.022            # half the range of the hip height over a step
    midstance_sink_m: float = 0.0        # extra hip dip in stance only ("deflating")
    trunk_lean_deg: float = 7.0          # forward, hip to shoulder vs vertical
    foot_lateral_m: float = 0.055        # foot contact point from the midline (own side +)
    pelvic_drop_deg: float = 3.0         # peak frontal pelvic tilt, swing side down
    trunk_side_tilt_deg: float = 0.0     # peak sideways trunk tilt in stance, towards the
    #                                      swing side (same timing as the pelvic tilt)
    # ankle via-points of the swing: (share of swing, x in leg lengths from the hip, y in m
    # above the belt): leaving, heel recovery behind (peak knee flexion), knee drive, reach
    # The first via-point is relative to the ankle at toe-off (it keeps moving back and
    # up), the last to the ankle at the next contact (the foot reaches a little further
    # forward and higher, then is pulled back onto the belt); the others are absolute.
    swing_via: tuple[tuple[float, float, float], ...] = (
        (0.12, -0.07, 0.08), (0.40, -0.29, 0.45), (0.72, 0.15, 0.22), (0.90, 0.03, 0.035))
    # ankle velocity at contact, relative to the hip: backwards at this share of the belt
    # speed, and downwards (force-plate mocap of Fukuchi 2017 RBDS001 at 2.5 m/s: heel at
    # 0.6 x its stance speed and 0.35 leg/s downwards at contact, still moving forward
    # 40 ms before it)
    landing_speed_share: float = 0.6
    landing_drop_mps: float = 0.35
    arm_swing_deg: float = 32.0
    elbow_flexion_deg: float = 85.0
    fault: str = "none"


def runner_params(fault: str = "none", **overrides: Any) -> RunnerParams:
    """Return the model parameters of a clean runner or of one with ``fault``.

    Parameters
    ----------
    fault : str
        One of :data:`FAULTS`.
    **overrides
        Any :class:`RunnerParams` field, applied after the fault's changes.
    """
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
    p = dataclasses.replace(RunnerParams(), fault=fault, **FAULTS[fault])
    return dataclasses.replace(p, **overrides) if overrides else p


#: Parameter changes per fault (see :data:`FAULT_MARKERS` for the marker each one moves).
FAULTS: dict[str, dict[str, Any]] = {
    "none": {},
    # the heel lands far ahead of the hip on a straighter knee, shank reaching forward
    "overstride": {"heel_ahead_pct_leg": 30.0, "knee_ic_deg": 10.0, "strike_deg": 16.0,
                   "toe_behind_pct_leg": 36.0, "hip_drop_m": 0.012},
    # the foot leaves the belt nearly under the hip: the thigh barely passes vertical
    "low-hip-extension": {"toe_behind_pct_leg": 16.0, "heel_ahead_pct_leg": 10.0,
                          "toe_off_foot_deg": -45.0},
    # sitting back: the whole contact happens ahead of the pelvis
    "pelvis-behind": {"heel_ahead_pct_leg": 30.0, "toe_behind_pct_leg": 4.0,
                      "knee_ic_deg": 15.0, "hip_drop_m": 0.015, "trunk_lean_deg": 3.0,
                      "toe_off_foot_deg": -45.0},
    # each foot lands across the body's midline
    "crossover": {"foot_lateral_m": -0.04},
    # the swing-side hip drops in stance (weak hip abductors)
    "pelvic-drop": {"pelvic_drop_deg": 15.0},
    # the runner sinks at midstance: much more knee flexion after contact
    "deflating": {"midstance_sink_m": 0.10, "knee_ic_deg": 10.0},
}


# --------------------------------------------------------------------------------------
# segment lengths


@dataclass(frozen=True)
class Body:
    """Segment lengths and offsets (metres) of a runner of the given height."""

    thigh: float
    shank: float
    foot_len: float          # heel to toe along the sole
    ankle: tuple[float, float]   # ankle joint from the heel: forward, up
    heel_lm: tuple[float, float]  # MediaPipe heel landmark from the sole heel point
    toe_lm: tuple[float, float]   # MediaPipe foot-index landmark from the sole heel point
    hip_half: float          # half the distance between the hip joint centres
    trunk: float             # hip centre to shoulder centre
    shoulder_half: float
    upper_arm: float
    forearm: float
    head_up: float           # shoulder centre to head centre
    head_r: float

    @property
    def leg(self) -> float:
        """Leg length: thigh + shank (hip joint to ankle joint)."""
        return self.thigh + self.shank


def body_of(height_m: float) -> Body:
    """Segment lengths as fractions of height (Winter 2009, table 4.1)."""
    h = height_m
    return Body(thigh=0.245 * h, shank=0.246 * h, foot_len=0.145 * h,
                ankle=(0.034 * h, 0.049 * h), heel_lm=(0.004 * h, 0.018 * h),
                toe_lm=(0.140 * h, 0.014 * h), hip_half=0.052 * h, trunk=0.288 * h,
                shoulder_half=0.10 * h, upper_arm=0.186 * h, forearm=0.146 * h,
                head_up=0.118 * h, head_r=0.056 * h)


# --------------------------------------------------------------------------------------
# small vector helpers (vectorised over time)


def _rot2(v: np.ndarray, ang: np.ndarray) -> np.ndarray:
    """Rotate 2D vectors ``v`` (..., 2) counter-clockwise (x forward, y up) by ``ang`` rad."""
    c, s = np.cos(ang), np.sin(ang)
    return np.stack([v[..., 0] * c - v[..., 1] * s, v[..., 0] * s + v[..., 1] * c], axis=-1)


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def two_bone_ik(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float,
                pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knee position of a two-segment leg, bending towards ``pole``.

    Parameters
    ----------
    hip, ankle : ndarray, shape (n, 3)
    l1, l2 : float
        Thigh and shank length.
    pole : ndarray, shape (3,)
        Direction the knee points to (forward for a human knee).

    Returns
    -------
    knee : ndarray, shape (n, 3)
    reach : ndarray, shape (n,)
        Hip-ankle distance over ``l1 + l2`` (> 1 means the pose is impossible).
    """
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=1)
    reach = d / (l1 + l2)
    dc = np.clip(d, 1e-9, (l1 + l2) * (1 - 1e-9))
    u = d_vec / dc[:, None]
    a = (l1 * l1 - l2 * l2 + dc * dc) / (2 * dc)
    h = np.sqrt(np.clip(l1 * l1 - a * a, 0.0, None))
    w = pole[None, :] - (u @ pole)[:, None] * u
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    return hip + a[:, None] * u + h[:, None] * w, reach


# --------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class Contact:
    """Timing of one foot's cycle (seconds): first initial contact and contact time."""

    ic0_s: float
    contact_s: float


class GaitModel:
    """The running model: joint positions at any time, and its exact events.

    Parameters
    ----------
    params : RunnerParams
    phase_s : float
        Time of the right foot's first initial contact (may be negative).
    """

    def __init__(self, params: RunnerParams, *, phase_s: float = 0.1) -> None:
        self.p = p = params
        self.body = b = body_of(p.body_height_m)
        self.stride_s = 120.0 / p.cadence_spm
        self.step_s = self.stride_s / 2
        v = p.speed_mps
        leg = b.leg
        self.heel_ic_x = p.heel_ahead_pct_leg / 100 * leg
        toe_to_x = -p.toe_behind_pct_leg / 100 * leg
        # contact time: from heel landing to toe leaving, the belt carries the foot
        # from heel_ic_x to toe_to_x - foot_len (the toe sits foot_len ahead of the heel)
        self.contact_s = (self.heel_ic_x + b.foot_len - toe_to_x) / v
        if not 0.08 < self.contact_s < 0.95 * self.stride_s:
            raise ValueError(f"contact time {self.contact_s:.3f} s does not fit a "
                             f"{self.stride_s:.3f} s stride")
        self.phase_s = phase_s
        self.ic0 = {"r": phase_s, "l": phase_s + self.step_s}
        # hip height: lowest at midstance; the cosine's mean is set by the knee at contact
        foot_ic = self._stance_foot(np.zeros(1))
        ank = foot_ic["ankle"][0]
        k = math.radians(p.knee_ic_deg)
        d = math.sqrt(b.thigh ** 2 + b.shank ** 2 + 2 * b.thigh * b.shank * math.cos(k))
        dz = p.foot_lateral_m - b.hip_half
        dx = ank[0]
        if d * d <= dx * dx + dz * dz:
            raise ValueError("the heel lands further from the hip than the leg reaches")
        hip_y_ic = ank[1] + math.sqrt(d * d - dx * dx - dz * dz)
        ms_phase = 2 * math.pi * (0.0 - self.contact_s / 2) / self.step_s
        self.hip_base = hip_y_ic + p.hip_drop_m * math.cos(ms_phase)
        self._build_swing()

    # ---------------------------------------------------------------- timing

    def phase_of(self, t: np.ndarray, side: str) -> np.ndarray:
        """Time since the foot's latest initial contact (0 <= phase < stride)."""
        return np.mod(np.asarray(t, dtype=np.float64) - self.ic0[side], self.stride_s)

    def events(self, t_start: float, t_end: float) -> dict[str, dict[str, np.ndarray]]:
        """Return the initial contact and toe-off times (s) of each foot in ``[t_start, t_end]``."""
        out = {}
        for s in ("l", "r"):
            k0 = math.floor((t_start - self.ic0[s]) / self.stride_s) - 1
            k1 = math.ceil((t_end - self.ic0[s]) / self.stride_s) + 1
            ic = self.ic0[s] + self.stride_s * np.arange(k0, k1 + 1)
            to = ic + self.contact_s
            out[s] = {"ic": ic[(ic >= t_start) & (ic <= t_end)],
                      "to": to[(to >= t_start) & (to <= t_end)]}
        return out

    # ---------------------------------------------------------------- stance

    def _foot_points(self) -> dict[str, np.ndarray]:
        b = self.body
        return {"heel_sole": np.array([0.0, 0.0]),
                "ball_sole": np.array([self.p.ball_share * b.foot_len, 0.0]),
                "toe_sole": np.array([b.foot_len, 0.0]),
                "ankle": np.array(b.ankle), "heel": np.array(b.heel_lm),
                "toe": np.array(b.toe_lm)}

    #: foot points carried by the toes (the rest move with the rear foot)
    _TOE_POINTS = ("toe_sole", "toe")

    def _place_foot(self, ball: np.ndarray, rear: np.ndarray, toes: np.ndarray
                    ) -> dict[str, np.ndarray]:
        """Foot points from the ball's position and the rear-foot and toe angles (rad)."""
        fp = self._foot_points()
        b_loc = fp["ball_sole"]
        out = {}
        for name, pt in fp.items():
            ang = toes if name in self._TOE_POINTS else rear
            out[name] = ball + _rot2(pt[None, :] - b_loc, ang)
        out["phi"] = rear
        out["mtp"] = toes - rear
        return out

    def _stance_foot(self, tau: np.ndarray) -> dict[str, np.ndarray]:
        """Sagittal (x, y) of the foot points at times ``tau`` (s) after initial contact.

        Heel rocker to foot flat, flat, then the rear foot rolls over the ball of the foot
        (heel rising, toes flat on the belt), and in the last ``toe_rocker_share`` of the
        contact the whole foot tips over the toe tip, which leaves the belt at toe-off.
        """
        p, b = self.p, self.body
        ct, v = self.contact_s, p.speed_mps
        t1, t2 = p.foot_flat_share * ct, p.heel_off_share * ct
        t3 = (1.0 - p.toe_rocker_share) * ct
        tau = np.asarray(tau, dtype=np.float64)
        zero = np.zeros_like(tau)
        ball_loc = p.ball_share * b.foot_len
        phi_ball = math.radians(p.toe_off_foot_deg - p.toe_tip_deg)
        # A: heel rocker and flat foot (rigid foot, pivot on the heel)
        phi_a = np.where(tau < t1, math.radians(p.strike_deg) * (1 - _smoothstep(tau / t1)),
                         0.0)
        heel = np.stack([self.heel_ic_x - v * tau, zero], axis=1)
        ball_a = heel + _rot2(np.array([[ball_loc, 0.0]]), phi_a)
        # B: rear foot rolls over the ball, toes flat
        ball_b = np.stack([self.heel_ic_x + ball_loc - v * tau, zero], axis=1)
        phi_b = phi_ball * _smoothstep((tau - t2) / (t3 - t2))
        # C: the whole foot tips over the toe tip
        delta = math.radians(p.toe_tip_deg) * _smoothstep((tau - t3) / (ct - t3))
        tip = np.stack([self.heel_ic_x + b.foot_len - v * tau, zero], axis=1)
        ball_c = tip + _rot2(np.array([[ball_loc - b.foot_len, 0.0]]), delta)
        in_a, in_b = tau < t2, (tau >= t2) & (tau < t3)
        ball = np.where(in_a[:, None], ball_a, np.where(in_b[:, None], ball_b, ball_c))
        rear = np.where(in_a, phi_a, np.where(in_b, phi_b, phi_ball + delta))
        toes = np.where(in_a, phi_a, np.where(in_b, 0.0, delta))
        return self._place_foot(ball, rear, toes)

    # ---------------------------------------------------------------- swing

    def _build_swing(self) -> None:
        p, b = self.p, self.body
        ct, swing = self.contact_s, self.stride_s - self.contact_s
        eps = 1e-4
        a_to = self._stance_foot(np.array([ct - eps, ct]))["ankle"]
        v_to = (a_to[1] - a_to[0]) / eps
        a_ic = self._stance_foot(np.array([0.0, eps]))["ankle"]
        v_ic = np.array([-p.landing_speed_share * p.speed_mps, -p.landing_drop_mps])
        leg = b.leg
        via = np.array(p.swing_via, dtype=np.float64).reshape(-1, 3)
        knots = np.concatenate([[0.0], via[:, 0], [1.0]])
        xs = np.concatenate([[a_to[1, 0]], via[:, 1] * leg, [a_ic[0, 0]]])
        ys = np.concatenate([[a_to[1, 1]], via[:, 2], [a_ic[0, 1]]])
        xs[1] += a_to[1, 0]
        ys[1] += a_to[1, 1]
        xs[-2] += a_ic[0, 0]
        ys[-2] += a_ic[0, 1]
        self._swing_x = CubicSpline(knots, xs, bc_type=((1, v_to[0] * swing),
                                                          (1, v_ic[0] * swing)))
        self._swing_y = CubicSpline(knots, ys, bc_type=((1, v_to[1] * swing),
                                                          (1, v_ic[1] * swing)))
        self._mtp_to = -math.radians(p.toe_off_foot_deg - p.toe_tip_deg)
        # ankle angle (rear foot vs the shank's perpendicular) through the swing
        beta_to = self._stance_beta(np.array([ct]))[0]
        beta_ic = self._stance_beta(np.array([0.0]))[0]
        self._swing_beta = CubicSpline(
            np.array([0.0, 0.35, 0.75, 1.0]),
            np.array([beta_to, math.radians(-12.0), math.radians(4.0), beta_ic]),
            bc_type="natural")

    def _stance_beta(self, tau: np.ndarray) -> np.ndarray:
        """Ankle angle in stance (rad): foot direction minus the shank's perpendicular."""
        t = self.ic0["r"] + np.asarray(tau)
        j = self.joints(t, _beta_only=True)
        shank = j["r_ankle"] - j["r_knee"]
        foot = j["r_ball_sole"] - j["r_heel_sole"]
        a_shank = np.arctan2(shank[:, 1], shank[:, 0])
        a_foot = np.arctan2(foot[:, 1], foot[:, 0])
        return np.mod(a_foot - a_shank - math.pi / 2 + math.pi, 2 * math.pi) - math.pi

    # ---------------------------------------------------------------- pelvis and trunk

    def hip_height(self, t: np.ndarray) -> np.ndarray:
        """Height of the stance-side hip joint (m): lowest at each midstance."""
        tau = np.mod(np.asarray(t) - self.ic0["r"] - self.contact_s / 2, self.step_s)
        y = self.hip_base - self.p.hip_drop_m * np.cos(2 * math.pi * tau / self.step_s)
        if self.p.midstance_sink_m:
            since_ic = np.mod(np.asarray(t) - self.ic0["r"], self.step_s)
            bump = np.where(since_ic < self.contact_s,
                            np.sin(math.pi * since_ic / self.contact_s) ** 2, 0.0)
            y = y - self.p.midstance_sink_m * bump
        return y

    def _stance_bumps(self, t: np.ndarray) -> np.ndarray:
        """Return a half sine over each contact: + in right stance, - in left, 0 in flight."""
        out = np.zeros(np.shape(t))
        for side, sign in (("r", 1.0), ("l", -1.0)):
            tau = self.phase_of(t, side)
            bump = np.where(tau < self.contact_s, np.sin(math.pi * tau / self.contact_s), 0.0)
            out = out + sign * bump
        return out

    def pelvic_obliquity(self, t: np.ndarray) -> np.ndarray:
        """Frontal pelvic tilt (rad), positive = left hip below right (right stance)."""
        return math.radians(self.p.pelvic_drop_deg) * self._stance_bumps(t)

    def trunk_side_tilt(self, t: np.ndarray) -> np.ndarray:
        """Sideways trunk tilt (rad), positive = shoulders towards the left (right stance).

        With the default 0 the trunk stays upright in the frontal plane and the lumbar
        spine takes up the whole pelvic tilt; equal to the pelvic tilt, the trunk is rigid
        with the pelvis.
        """
        return math.radians(self.p.trunk_side_tilt_deg) * self._stance_bumps(t)

    # ---------------------------------------------------------------- all joints

    def joints(self, t: np.ndarray, *, _beta_only: bool = False) -> dict[str, np.ndarray]:
        """3D positions (n, 3) of the joints and body points at times ``t`` (s).

        Keys: ``pelvis``, ``{l,r}_hip``, ``{l,r}_knee``, ``{l,r}_ankle``, ``{l,r}_heel``,
        ``{l,r}_toe`` (MediaPipe heel / foot-index landmark points), ``{l,r}_heel_sole``,
        ``{l,r}_toe_sole``, ``neck`` (shoulder centre), ``{l,r}_shoulder``, ``{l,r}_elbow``,
        ``{l,r}_wrist``, ``head`` (centre), ``face_fwd``/``face_up`` (unit vectors), and
        the scalars-per-frame ``trunk_lean`` and ``trunk_side_tilt`` (rad).
        """
        p, b = self.p, self.body
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        n = t.size
        ob = self.pelvic_obliquity(t)
        stance_hip_y = self.hip_height(t)
        # the pelvis tilts about the stance hip: the centre is lower by half_width*sin|ob|
        centre_y = stance_hip_y - b.hip_half * np.abs(np.sin(ob))
        pelvis = np.stack([np.zeros(n), centre_y, np.zeros(n)], axis=1)
        hips = {
            "r": pelvis + np.stack([np.zeros(n), b.hip_half * np.sin(ob),
                                    b.hip_half * np.cos(ob)], axis=1),
            "l": pelvis + np.stack([np.zeros(n), -b.hip_half * np.sin(ob),
                                    -b.hip_half * np.cos(ob)], axis=1),
        }
        out: dict[str, np.ndarray] = {"pelvis": pelvis}
        pole = np.array([1.0, 0.0, 0.0])
        swing_s = self.stride_s - self.contact_s
        for side, zsign in (("r", 1.0), ("l", -1.0)):
            tau = self.phase_of(t, side)
            stance = tau < self.contact_s
            st = self._stance_foot(np.minimum(tau, self.contact_s) if _beta_only
                                   else np.where(stance, tau, 0.0))
            z_contact = zsign * p.foot_lateral_m
            if _beta_only:
                ank2 = st["ankle"]
                z = np.full(n, z_contact)
            else:
                s = np.clip((tau - self.contact_s) / swing_s, 0.0, 1.0)
                sw = np.stack([self._swing_x(s), self._swing_y(s)], axis=1)
                ank2 = np.where(stance[:, None], st["ankle"], sw)
                # the swinging foot passes outside the stance foot
                z_out = zsign * max(b.hip_half, abs(p.foot_lateral_m) + 0.03)
                z = np.where(stance, z_contact,
                             z_contact + (z_out - z_contact) * np.sin(math.pi * s) ** 2)
            ankle = np.stack([ank2[:, 0], ank2[:, 1], z], axis=1)
            knee, reach = two_bone_ik(hips[side], ankle, b.thigh, b.shank, pole)
            out[f"{side}_reach"] = reach
            keys = ("heel_sole", "ball_sole", "toe_sole", "heel", "toe")
            if _beta_only:
                feet = {k: st[k] for k in keys}
            else:
                shank2 = ankle[:, :2] - knee[:, :2]
                a_shank = np.arctan2(shank2[:, 1], shank2[:, 0])
                beta = self._swing_beta(s)
                phi_sw = a_shank + math.pi / 2 + beta
                fp = self._foot_points()
                ball_sw = ank2 + _rot2((fp["ball_sole"] - fp["ankle"])[None, :], phi_sw)
                # the toes, bent up at toe-off, straighten early in the swing
                mtp = self._mtp_to * (1.0 - _smoothstep(s / 0.25))
                sw = self._place_foot(ball_sw, phi_sw, phi_sw + mtp)
                feet = {k: np.where(stance[:, None], st[k], sw[k]) for k in keys}
            for k, v in feet.items():
                out[f"{side}_{k}"] = np.stack([v[:, 0], v[:, 1], z], axis=1)
            out[f"{side}_hip"] = hips[side]
            out[f"{side}_knee"] = knee
            out[f"{side}_ankle"] = ankle
            out[f"{side}_stance"] = stance
        if _beta_only:
            return out
        # trunk, head and arms
        step_phase = 2 * math.pi * np.mod(t - self.ic0["r"] - self.contact_s / 2,
                                          self.step_s) / self.step_s
        lean = math.radians(p.trunk_lean_deg) + math.radians(1.5) * np.cos(step_phase)
        side_tilt = self.trunk_side_tilt(t)
        # sagittal lean, then the sideways tilt (top towards -z, the left, when positive)
        up = np.stack([np.sin(lean) * np.cos(side_tilt), np.cos(lean) * np.cos(side_tilt),
                       -np.sin(side_tilt)], axis=1)
        # the shoulder line turns with the sideways tilt (right shoulder up when positive)
        across = np.stack([np.zeros(n), np.sin(side_tilt), np.cos(side_tilt)], axis=1)
        up_frontal = np.stack([np.zeros(n), np.cos(side_tilt), -np.sin(side_tilt)], axis=1)
        neck = pelvis + b.trunk * up
        out["neck"] = neck
        out["trunk_lean"] = lean
        out["trunk_side_tilt"] = side_tilt
        head_tilt = lean * 0.35
        head_up = np.stack([np.sin(head_tilt), np.cos(head_tilt), np.zeros(n)], axis=1)
        out["head"] = neck + b.head_up * head_up + np.array([0.012, 0, 0]) * b.leg
        out["face_up"] = head_up
        out["face_fwd"] = np.stack([np.cos(head_tilt), -np.sin(head_tilt), np.zeros(n)], axis=1)
        stride_phase = 2 * math.pi * np.mod(t - self.ic0["r"], self.stride_s) / self.stride_s
        for side, zsign, shift in (("r", 1.0, math.pi), ("l", -1.0, 0.0)):
            sh = neck - 0.02 * b.leg * up_frontal + zsign * b.shoulder_half * across
            swing = np.cos(stride_phase - shift)  # +1 = arm most forward
            a_up = math.radians(-8.0) + math.radians(p.arm_swing_deg) * swing + lean * 0.5
            elbow_f = math.radians(p.elbow_flexion_deg) + math.radians(12.0) * swing
            abd = 0.12
            ua = np.stack([np.sin(a_up), -np.cos(a_up), np.full(n, zsign * abd)], axis=1)
            ua /= np.linalg.norm(ua, axis=1, keepdims=True)
            fa_ang = a_up + elbow_f
            fa = np.stack([np.sin(fa_ang), -np.cos(fa_ang), np.full(n, -zsign * 0.15)], axis=1)
            fa /= np.linalg.norm(fa, axis=1, keepdims=True)
            elbow = sh + b.upper_arm * ua
            wrist = elbow + b.forearm * fa
            out[f"{side}_shoulder"] = sh
            out[f"{side}_elbow"] = elbow
            out[f"{side}_wrist"] = wrist
            out[f"{side}_hand_dir"] = fa
        return out

    # ---------------------------------------------------------------- checks

    def check(self) -> dict[str, float]:
        """Feasibility figures over one stride: max reach, lowest swing heel/toe height."""
        t = self.ic0["r"] + np.linspace(0, self.stride_s, 600, endpoint=False)
        j = self.joints(t)
        swing = ~j["r_stance"]
        return {
            "max_reach": float(max(j["r_reach"].max(), j["l_reach"].max())),
            "min_swing_heel_m": float(j["r_heel_sole"][swing, 1].min()),
            "min_swing_toe_m": float(j["r_toe_sole"][swing, 1].min()),
        }


# --------------------------------------------------------------------------------------
# camera


@dataclass(frozen=True)
class Camera:
    """Pinhole camera: world points -> pixels (``y`` down).

    Parameters
    ----------
    position : tuple of float
        Camera centre in world coordinates (m).
    forward, up : tuple of float
        Viewing direction and the world direction that appears up in the image.
    focal_px : float
        Focal length in pixels.
    width, height : int
        Image size in pixels; the principal point is the image centre.
    """

    position: tuple[float, float, float]
    forward: tuple[float, float, float]
    up: tuple[float, float, float]
    focal_px: float
    width: int
    height: int
    axes: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        f = np.asarray(self.forward, dtype=np.float64)
        f /= np.linalg.norm(f)
        right = np.cross(f, np.asarray(self.up, dtype=np.float64))
        right /= np.linalg.norm(right)
        down = np.cross(f, right)
        object.__setattr__(self, "axes", np.stack([right, down, f]))

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> camera coordinates (x right, y down, z depth)."""
        return (np.asarray(pts) - np.asarray(self.position)) @ self.axes.T

    def project(self, pts: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> pixel coordinates (..., 2)."""
        c = self.to_camera(pts)
        uv = self.focal_px * c[..., :2] / c[..., 2:3]
        return uv + np.array([self.width / 2.0, self.height / 2.0])


def camera_for_view(view: str, width: int = 1280, height: int = 720, *,
                    distance_m: float = 2.5) -> Camera:
    """Return the camera of a synthetic clip: side (on the runner's right) or rear.

    A phone on a tripod ``distance_m`` from the runner at hip height, tilted slightly
    down, with the focal length set so the runner fills about three quarters of the
    image height (a wide lens at 2.5 m, as for filming on a treadmill). MediaPipe places
    the feet much better with this perspective than from 3.8 m with a longer lens
    (far foot p90 error 25 vs 90 px at 720p), as on real phone clips where the far
    leg looks smaller and is partly hidden.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    focal = 0.74 * min(width, height) * distance_m / 1.85
    if view == "side":
        return Camera(position=(0.0, 0.95, distance_m), forward=(0.0, -0.02, -1.0),
                      up=(0.0, 1.0, 0.0), focal_px=focal, width=width, height=height)
    return Camera(position=(-distance_m, 0.95, 0.0), forward=(1.0, -0.02, 0.0),
                  up=(0.0, 1.0, 0.0), focal_px=focal, width=width, height=height)


# --------------------------------------------------------------------------------------
# ground truth


_FACE = {
    # MediaPipe face landmarks relative to the head centre: (forward, up, right) in head radii
    LM.NOSE: (1.08, -0.18, 0.0),
    LM.LEFT_EYE_INNER: (0.90, 0.14, -0.17), LM.LEFT_EYE: (0.86, 0.15, -0.33),
    LM.LEFT_EYE_OUTER: (0.78, 0.15, -0.48),
    LM.RIGHT_EYE_INNER: (0.90, 0.14, 0.17), LM.RIGHT_EYE: (0.86, 0.15, 0.33),
    LM.RIGHT_EYE_OUTER: (0.78, 0.15, 0.48),
    LM.LEFT_EAR: (0.0, 0.0, -1.0), LM.RIGHT_EAR: (0.0, 0.0, 1.0),
    LM.MOUTH_LEFT: (0.88, -0.52, -0.24), LM.MOUTH_RIGHT: (0.88, -0.52, 0.24),
}


def face_point(j: dict[str, np.ndarray], rel: tuple[float, float, float], r: float
               ) -> np.ndarray:
    """Return a point on the head given (forward, up, right) offsets in head radii."""
    right = np.array([0.0, 0.0, 1.0])
    return j["head"] + r * (rel[0] * j["face_fwd"] + rel[1] * j["face_up"] + rel[2] * right)


def world_landmarks(model: GaitModel, t: np.ndarray) -> np.ndarray:
    """Return the 33 MediaPipe landmarks of the model as world points, shape (n, 33, 3)."""
    j = model.joints(t)
    n = np.atleast_1d(t).size
    out = np.zeros((n, N_LANDMARKS, 3))
    for lm, rel in _FACE.items():
        out[:, lm] = face_point(j, rel, model.body.head_r)
    for side, name in (("l", "LEFT"), ("r", "RIGHT")):
        for key, part in (("shoulder", "SHOULDER"), ("elbow", "ELBOW"), ("wrist", "WRIST"),
                          ("hip", "HIP"), ("knee", "KNEE"), ("ankle", "ANKLE"),
                          ("heel", "HEEL"), ("toe", "FOOT_INDEX")):
            out[:, LM[f"{name}_{part}"]] = j[f"{side}_{key}"]
        hand = j[f"{side}_wrist"] + 0.06 * j[f"{side}_hand_dir"]
        for part in ("PINKY", "INDEX", "THUMB"):
            out[:, LM[f"{name}_{part}"]] = hand
    return out


def truth_landmarks(model: GaitModel, camera: Camera, t: np.ndarray) -> np.ndarray:
    """Pixel positions (n, 33, 2) of the 33 landmarks seen by ``camera`` at times ``t``."""
    return camera.project(world_landmarks(model, t))


def truth_events(model: GaitModel, t_start: float, t_end: float, fps: float
                 ) -> list[dict[str, Any]]:
    """Return the initial contacts and toe-offs inside a clip, with times and nearest frames.

    Frame ``i`` is taken at ``t_start + i / fps``.
    """
    rows = []
    for side, ev in model.events(t_start, t_end).items():
        for kind, key in (("ic", "ic"), ("to", "to")):
            for tt in ev[key]:
                rows.append({"side": side, "event": kind, "time_s": float(tt - t_start),
                             "frame": int(round((tt - t_start) * fps))})
    rows.sort(key=lambda r: r["time_s"])
    return rows


def _angle_from_vertical(v: np.ndarray, forward_sign: float) -> np.ndarray:
    """Angle (deg) of image vectors (..., 2) from straight down; positive = forward."""
    return np.degrees(np.arctan2(forward_sign * v[..., 0], v[..., 1]))


def truth_markers(model: GaitModel, camera: Camera, view: str) -> dict[str, float]:
    """Return the exact value of each marker as gaitcheck defines it (projected model).

    Computed here independently of :mod:`gaitcheck.markers`, at the exact event times and
    on a dense time grid (500 samples per stride), from the 2D projections of the
    landmarks. Both sides are pooled (the model is symmetric) and the mean over strides
    is returned (every stride of the model is identical). Units as in the marker names.
    """
    m, T, ct = model, model.stride_s, model.contact_s
    out: dict[str, float] = {"cadence_spm": model.p.cadence_spm,
                             "ground_contact_time_ms": 1000 * ct,
                             "flight_time_ms": 1000 * (T / 2 - ct),
                             "duty_factor_pct": 100 * ct / T}

    def px(times: np.ndarray) -> np.ndarray:
        return truth_landmarks(m, camera, times)

    def leg_px(p: np.ndarray) -> np.ndarray:
        ls = []
        for s in ("LEFT", "RIGHT"):
            h, k, a = (p[..., LM[f"{s}_{x}"], :] for x in ("HIP", "KNEE", "ANKLE"))
            ls.append(np.linalg.norm(k - h, axis=-1) + np.linalg.norm(a - k, axis=-1))
        return 0.5 * (ls[0] + ls[1])

    values: dict[str, list[float]] = {}
    for side, name in (("r", "RIGHT"), ("l", "LEFT")):
        other = "LEFT" if name == "RIGHT" else "RIGHT"
        ic = m.ic0[side]
        grid = ic + np.linspace(0.0, T, 501)
        p_grid = px(grid)
        leg = float(np.median(leg_px(p_grid)))
        p_ic = px(np.array([ic]))[0]
        mid = 0.5 * (p_ic[LM.LEFT_HIP] + p_ic[LM.RIGHT_HIP])
        hip, knee, ankle = (p_ic[LM[f"{name}_{x}"]] for x in ("HIP", "KNEE", "ANKLE"))
        heel, toe = p_ic[LM[f"{name}_HEEL"]], p_ic[LM[f"{name}_FOOT_INDEX"]]
        vals: dict[str, float] = {}
        if view == "side":
            fwd = float(np.sign(camera.project(np.array([1.0, 0.9, 0]))[0]
                                - camera.project(np.array([0.0, 0.9, 0]))[0]))
            vals["overstride_ic_pct_leg"] = 100 * fwd * (heel[0] - mid[0]) / leg
            vals["shank_angle_ic_deg"] = float(_angle_from_vertical(ankle - knee, fwd))

            def knee_flex(p: np.ndarray, name: str = name) -> np.ndarray:
                th = p[..., LM[f"{name}_KNEE"], :] - p[..., LM[f"{name}_HIP"], :]
                sh = p[..., LM[f"{name}_ANKLE"], :] - p[..., LM[f"{name}_KNEE"], :]
                cos = (th * sh).sum(-1) / (np.linalg.norm(th, axis=-1)
                                           * np.linalg.norm(sh, axis=-1))
                return np.degrees(np.arccos(np.clip(cos, -1, 1)))

            stance = grid <= ic + ct
            vals["knee_flexion_ic_deg"] = float(knee_flex(p_ic))
            vals["knee_flexion_peak_stance_deg"] = float(knee_flex(p_grid[stance]).max())
            vals["knee_flexion_excursion_deg"] = (vals["knee_flexion_peak_stance_deg"]
                                                  - vals["knee_flexion_ic_deg"])
            vals["foot_strike_angle_deg"] = float(np.degrees(np.arctan2(
                -(toe[1] - heel[1]), fwd * (toe[0] - heel[0]))))
            p_ms = px(np.array([ic + ct / 2]))[0]
            mid_ms = 0.5 * (p_ms[LM.LEFT_HIP] + p_ms[LM.RIGHT_HIP])
            foot_ms = 0.5 * (p_ms[LM[f"{name}_HEEL"]] + p_ms[LM[f"{name}_FOOT_INDEX"]])
            vals["pelvis_behind_foot_ms_pct_leg"] = 100 * fwd * (mid_ms[0] - foot_ms[0]) / leg
            sh_ms = 0.5 * (p_ms[LM.LEFT_SHOULDER] + p_ms[LM.RIGHT_SHOULDER])
            vals["trunk_lean_deg"] = float(np.degrees(np.arctan2(
                fwd * (sh_ms[0] - mid_ms[0]), -(sh_ms[1] - mid_ms[1]))))
            win = (grid >= ic + ct / 2) & (grid <= ic + ct + 0.06)
            thigh = p_grid[win, LM[f"{name}_KNEE"]] - p_grid[win, LM[f"{name}_HIP"]]
            vals["hip_extension_deg"] = float((-_angle_from_vertical(thigh, fwd)).max())
            midy = 0.5 * (p_grid[:, LM.LEFT_HIP, 1] + p_grid[:, LM.RIGHT_HIP, 1])
            vals["vertical_oscillation_pct_leg"] = 100 * float(np.ptp(midy)) / leg
        else:
            # rear view: the runner's left is on the image left
            outward = float(np.sign(p_ic[LM[f"{name}_HIP"], 0] - p_ic[LM[f"{other}_HIP"], 0]))
            foot = 0.5 * (heel + toe)
            vals["crossover_ic_pct_leg"] = -100 * outward * (foot[0] - mid[0]) / leg
            p_next = px(np.array([ic + T / 2]))[0]
            foot_o = 0.5 * (p_next[LM[f"{other}_HEEL"]] + p_next[LM[f"{other}_FOOT_INDEX"]])
            vals["step_width_pct_leg"] = 100 * outward * (foot[0] - foot_o[0]) / leg
            ob_grid = px(ic + np.linspace(0.0, T, 501))
            d = ob_grid[:, LM.LEFT_HIP] - ob_grid[:, LM.RIGHT_HIP]
            # obliquity as gaitcheck.kinematics: positive = right hip higher (image y up)
            ob = np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))
            ob -= np.median(ob)
            sign = 1.0 if side == "r" else -1.0
            stance = np.linspace(0.0, T, 501) <= ct
            vals["pelvic_drop_deg"] = float((sign * ob[stance]).max())
        for k, v in vals.items():
            values.setdefault(k, []).append(float(v))
    out.update({k: float(np.mean(v)) for k, v in values.items()})
    return out
