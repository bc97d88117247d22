"""Markers on synthetic runners of known geometry, and on real clips.

The synthetic runners are built from key poses (initial contact, midstance, toe-off,
mid-swing) blended smoothly, with rigid segments so the leg length is known exactly.
Events are given (a hand-made stride table), so each marker is checked against the value
the geometry defines at that frame: recovered within 1 deg or 1 %leg.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaitcheck.events import STRIDE_COLUMNS, GaitEvents
from gaitcheck.kinematics import compute_kinematics
from gaitcheck.landmarks import LM, N_LANDMARKS, Landmarks
from gaitcheck.markers import MARKERS, compute_markers, summarize_markers

FPS = 60.0
STRIDE = 42  # frames: 171 steps/min
IC, MS, TO, SW = 0, 7, 14, 28  # key frames within a stride
THIGH = SHANK = 150.0  # px: leg length 300 px
W, H = 1280, 960

CLEAN = {"ic": dict(thigh=18.0, knee=14.0, foot=8.0), "ms": dict(thigh=2.0, knee=38.0, foot=0.0),
         "to": dict(thigh=-22.0, knee=18.0, foot=-35.0), "sw": dict(thigh=30.0, knee=95.0,
                                                                      foot=0.0)}


def _blend(keys: dict[str, dict], name: str, n: int, offset: int) -> np.ndarray:
    """Cosine blend of a key-pose parameter through the stride (periodic), held +-1 frame."""
    kf = np.array([IC, MS, TO, SW, STRIDE], float)
    kv = np.array([keys[k][name] for k in ("ic", "ms", "to", "sw", "ic")])
    ph = (np.arange(n) - offset) % STRIDE
    j = np.clip(np.searchsorted(kf, ph, side="right") - 1, 0, 3)
    a, b = kf[j] + 1, kf[j + 1] - 1  # hold one frame on each side of a key frame
    u = np.clip((ph - a) / np.maximum(b - a, 1), 0, 1)
    u = 0.5 - 0.5 * np.cos(np.pi * u)
    return kv[j] + (kv[j + 1] - kv[j]) * u


def side_runner(keys=CLEAN, *, lean=6.0, n=420, direction=1):
    """Pixels (n, 33, 2) of a side-view runner; returns (Landmarks, geometry dict)."""
    P = np.full((n, N_LANDMARKS, 2), np.nan)
    hip = np.zeros((n, 2))
    geo = {}
    for side, off in (("l", 0), ("r", STRIDE // 2)):
        th, kn, ft = (_blend(keys, q, n, off) for q in ("thigh", "knee", "foot"))
        ids = ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX)
               if side == "l" else
               (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX))
        knee = hip + THIGH * np.column_stack([np.sin(np.radians(th)), -np.cos(np.radians(th))])
        sh = np.radians(th - kn)
        ankle = knee + SHANK * np.column_stack([np.sin(sh), -np.cos(sh)])
        u = np.column_stack([np.cos(np.radians(ft)), np.sin(np.radians(ft))])
        heel = ankle - 20 * u + 15 * np.column_stack([u[:, 1], -u[:, 0]])
        toe = heel + 80 * u
        for i, p in zip(ids, (hip, knee, ankle, heel, toe), strict=True):
            P[:, i] = p
        geo[side] = dict(thigh=th, knee=kn, foot=ft, heel=heel, toe=toe, ankle=ankle)
    sx, sy = np.sin(np.radians(lean)), np.cos(np.radians(lean))
    msh = hip + 320 * np.array([sx, sy])
    P[:, LM.LEFT_SHOULDER] = msh + [-5, 0]
    P[:, LM.RIGHT_SHOULDER] = msh + [5, 0]
    P[:, LM.NOSE] = msh + [40, 70]
    P[:, LM.LEFT_EAR] = msh + [0, 75]
    P[:, LM.RIGHT_EAR] = msh + [6, 75]
    img = np.empty_like(P)
    img[..., 0] = W / 2 + direction * P[..., 0]
    img[..., 1] = 380 - P[..., 1]
    xyzv = np.zeros((n, N_LANDMARKS, 4), np.float32)
    xyzv[..., 0] = img[..., 0] / W
    xyzv[..., 1] = img[..., 1] / H
    xyzv[..., 3] = 0.95
    xyzv[:, [LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL,
             LM.RIGHT_FOOT_INDEX], 2] = 0.2  # right leg further from the camera
    xyzv[np.isnan(img[..., 0])] = np.nan
    lm = Landmarks(xyzv=xyzv, world=None, fps=FPS, time_s=np.arange(n) / FPS,
                   image_size=(W, H), model="synthetic", source="synthetic")
    geo["lean"] = lean
    return lm, geo


def stride_events(n: int, *, contact=(IC, TO)) -> GaitEvents:
    """Hand-made events: every stride of both feet, all valid."""
    rows = []
    for side, off in (("l", 0), ("r", STRIDE // 2)):
        for k in range(0, n // STRIDE):
            ic = off + k * STRIDE + contact[0]
            nxt = ic + STRIDE
            if ic < 2 or nxt >= n - 2:
                continue
            rows.append(dict(side=side, limb=None, ic_frame=ic, ms_frame=ic + MS,
                             to_frame=ic + TO, ic_next_frame=nxt, ic_time_s=ic / FPS,
                             ms_time_s=(ic + MS) / FPS, to_time_s=(ic + TO) / FPS,
                             ic_next_time_s=nxt / FPS, contact_time_ms=1000 * TO / FPS,
                             stride_time_ms=1000 * STRIDE / FPS, valid=True,
                             invalid_reason=None))
    st = pd.DataFrame(rows).sort_values("ic_frame").reset_index(drop=True)[list(STRIDE_COLUMNS)]
    st.index.name = "stride_id"
    contacts = st[["side", "ic_frame", "ms_frame", "to_frame", "ic_time_s", "ms_time_s",
                   "to_time_s"]].copy()
    return GaitEvents(events=pd.DataFrame(), contacts=contacts, strides=st,
                      cadence_spm=120 * FPS / STRIDE)


def _truth_side(geo, keys):
    """Marker values the geometry defines (per side), in %leg and degrees."""
    leg = THIGH + SHANK
    out = {}
    for side, off in (("l", 0), ("r", STRIDE // 2)):
        g = geo[side]
        f_ic, f_ms = off + 2 * STRIDE + IC, off + 2 * STRIDE + MS
        mid_ms = 0.5 * (g["heel"][f_ms, 0] + g["toe"][f_ms, 0])
        out[side] = {
            "overstride_ic_pct_leg": 100 * g["heel"][f_ic, 0] / leg,
            "pelvis_behind_foot_ms_pct_leg": -100 * mid_ms / leg,
            "shank_angle_ic_deg": keys["ic"]["thigh"] - keys["ic"]["knee"],
            "hip_extension_deg": -keys["to"]["thigh"],
            "hip_extension_trunk_deg": -keys["to"]["thigh"] - geo["lean"],
            "knee_flexion_ic_deg": keys["ic"]["knee"],
            "knee_flexion_peak_stance_deg": keys["ms"]["knee"],
            "knee_flexion_excursion_deg": keys["ms"]["knee"] - keys["ic"]["knee"],
            "foot_strike_angle_deg": keys["ic"]["foot"],
            "trunk_lean_deg": geo["lean"],
            "hip_flexion_ms_deg": keys["ms"]["thigh"],
        }
    return out


@pytest.mark.parametrize("case,cutoff,tol", [
    # no low-pass: the marker arithmetic itself, within 1 deg / 1 %leg
    ("clean", 0.0, 1.0), ("overstride", 0.0, 1.0), ("sitting", 0.0, 1.0),
    ("deflating", 0.0, 1.0),
    # the default 10 Hz low-pass blunts these key poses (7 frames = 117 ms apart at 60 fps,
    # blended with kinks): up to 2.3 deg on the clean runner and ~3 deg/%leg on the most
    # extreme faults. Measured and stated here, not hidden; see the markers docstring.
    ("clean", 10.0, 2.5),
])
@pytest.mark.parametrize("direction", [1, -1])
def test_sagittal_markers_recover_the_geometry(case, direction, cutoff, tol):
    keys = {k: dict(v) for k, v in CLEAN.items()}
    lean = 6.0
    if case == "overstride":
        keys["ic"].update(thigh=32.0, knee=6.0, foot=22.0)
    elif case == "sitting":  # pelvis behind the foot, little hip extension, upright trunk
        keys["ms"].update(thigh=18.0, knee=45.0)
        keys["to"].update(thigh=-4.0)
        lean = -2.0
    elif case == "deflating":
        keys["ms"].update(knee=62.0)
    lm, geo = side_runner(keys, lean=lean, direction=direction)
    kin = compute_kinematics(lm, cutoff_hz=cutoff)
    assert kin.view == "side" and kin.direction == direction
    assert kin.leg_length_px == pytest.approx(THIGH + SHANK, rel=1e-3)
    per_stride = compute_markers(kin, stride_events(lm.n_frames))
    summary = summarize_markers(per_stride, kin)
    truth = _truth_side(geo, keys)
    for side in ("l", "r"):
        for name, exp in truth[side].items():
            got = summary.loc[(name, side), "median"]
            assert got == pytest.approx(exp, abs=tol), (case, side, name, got, exp)


def test_timing_markers_from_the_stride_table():
    lm, _ = side_runner()
    kin = compute_kinematics(lm)
    per_stride = compute_markers(kin, stride_events(lm.n_frames))
    assert per_stride["cadence_spm"].to_numpy() == pytest.approx(120 * FPS / STRIDE)
    assert per_stride["ground_contact_time_ms"].to_numpy() == pytest.approx(1000 * TO / FPS)
    # the other foot lands half a stride after this one: flight = 21 - 14 frames
    np.testing.assert_allclose(per_stride["flight_time_ms"].dropna(), 1000 * 7 / FPS)
    np.testing.assert_allclose(per_stride["duty_factor_pct"], 100 * TO / STRIDE)


def test_frontal_markers_are_not_computed_in_a_side_view():
    lm, _ = side_runner()
    kin = compute_kinematics(lm)
    per_stride = compute_markers(kin, stride_events(lm.n_frames))
    assert "pelvic_drop_deg" not in per_stride and "crossover_ic_pct_leg" not in per_stride
    summary = summarize_markers(per_stride, kin)
    row = summary.loc[("pelvic_drop_deg", "l")]
    assert not row["measurable"] and np.isnan(row["median"])
    assert "not measurable from this view (side): needs a rear or front view" == row["reason"]


# ---- rear view ----------------------------------------------------------------------


def rear_runner(*, drop_deg=3.0, cross_px=0.0, n=420, rear=True):
    """A runner seen from behind: the swing-side hip drops by ``drop_deg`` in each stance;
    at initial contact the stance foot lands ``cross_px`` beyond the midline (crossover)."""
    P = np.full((n, N_LANDMARKS, 2), np.nan)
    s_left = -1.0 if rear else 1.0  # image-x side of the runner's left
    half = 60.0
    cx, cy = W / 2, 380.0
    # stance windows: left [0, TO], right [21, 21 + TO] in each stride; hold the drop
    ph = np.arange(n) % STRIDE
    left_stance = ph <= TO
    right_stance = (ph >= STRIDE // 2) & (ph <= STRIDE // 2 + TO)
    # the foot is placed during late swing: lateral placement from 5 frames before contact
    left_place = (ph <= TO) | (ph >= STRIDE - 5)
    right_place = (ph >= STRIDE // 2 - 5) & (ph <= STRIDE // 2 + TO)
    obliq = np.zeros(n)  # + = right hip higher
    bump = np.sin(np.pi * np.clip(ph / TO, 0, 1)) ** 2
    bump_r = np.sin(np.pi * np.clip((ph - STRIDE // 2) / TO, 0, 1)) ** 2
    obliq = np.where(right_stance, drop_deg * bump_r, 0.0) - np.where(left_stance,
                                                                        drop_deg * bump, 0.0)
    dy = half * np.tan(np.radians(obliq))  # right hip up by dy, left hip down by dy
    hips = {"l": np.column_stack([np.full(n, cx + s_left * half), cy + dy]),
            "r": np.column_stack([np.full(n, cx - s_left * half), cy - dy])}
    for side, stance, place in (("l", left_stance, left_place),
                                ("r", right_stance, right_place)):
        sgn = s_left if side == "l" else -s_left
        ids = ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX)
               if side == "l" else
               (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX))
        # lateral foot position: under the hip in swing, across the midline in stance
        lateral = np.where(place, -sgn * cross_px, sgn * half * 0.6)
        lateral = np.convolve(np.pad(lateral, 2, mode="edge"), np.ones(5) / 5, "valid")
        lift = np.where(stance, 0.0, 120.0)
        hip = hips[side]
        ankle = np.column_stack([cx + lateral, np.full(n, cy + 280.0) - lift])
        knee = 0.5 * (hip + ankle)
        heel = ankle + [0, 18]
        toe = ankle + np.column_stack([np.zeros(n), np.full(n, 26.0)])
        for i, p in zip(ids, (hip, knee, ankle, heel, toe), strict=True):
            P[:, i] = p
    msh = np.array([cx, cy - 320])
    P[:, LM.LEFT_SHOULDER] = msh + [s_left * 110, 0]
    P[:, LM.RIGHT_SHOULDER] = msh + [-s_left * 110, 0]
    P[:, LM.NOSE] = msh + [0, -80]
    P[:, LM.LEFT_EAR] = msh + [s_left * 30, -85]
    P[:, LM.RIGHT_EAR] = msh + [-s_left * 30, -85]
    xyzv = np.zeros((n, N_LANDMARKS, 4), np.float32)
    xyzv[..., 0] = P[..., 0] / W
    xyzv[..., 1] = P[..., 1] / H
    xyzv[..., 3] = 0.95
    xyzv[:, LM.NOSE, 2] = 0.2 if rear else -0.2
    xyzv[:, LM.NOSE, 3] = 0.3 if rear else 0.95
    xyzv[np.isnan(P[..., 0])] = np.nan
    return Landmarks(xyzv=xyzv, world=None, fps=FPS, time_s=np.arange(n) / FPS,
                     image_size=(W, H), model="synthetic", source="synthetic-rear")


@pytest.mark.parametrize("drop,cross", [(1.0, -20.0), (6.0, 25.0)])
def test_rear_view_pelvic_drop_and_crossover(drop, cross):
    lm = rear_runner(drop_deg=drop, cross_px=cross)
    kin = compute_kinematics(lm)
    assert kin.view == "rear"
    per_stride = compute_markers(kin, stride_events(lm.n_frames))
    summary = summarize_markers(per_stride, kin)
    leg = kin.angles["leg_length_px"].to_numpy()
    ev = stride_events(lm.n_frames)
    for side in ("l", "r"):
        assert summary.loc[("pelvic_drop_deg", side), "median"] == pytest.approx(drop, abs=1.0)
        ic = ev.strides.loc[ev.strides["side"] == side, "ic_frame"].to_numpy()
        expected = np.median(100 * cross / leg[ic])
        assert summary.loc[("crossover_ic_pct_leg", side), "median"] == pytest.approx(
            expected, abs=1.0)
        # sagittal markers say which view they need
        row = summary.loc[("overstride_ic_pct_leg", side)]
        assert not row["measurable"] and "needs a side view" in row["reason"]
    # step width: each foot at -cross from the midline, on the other side
    assert summary.loc[("step_width_pct_leg", "both"), "median"] == pytest.approx(
        -2 * 100 * cross / np.median(leg), abs=1.5)
    # a rear view sees the rhythm of the steps (cadence) but not the airborne phase:
    # contact time, flight time and duty factor are not measured, and say why
    assert summary.loc[("cadence_spm", "both"), "measurable"]
    for name in ("ground_contact_time_ms", "flight_time_ms", "duty_factor_pct",
                 "ground_contact_time_ms_asymmetry_pct"):
        row = summary.loc[(name, "both")]
        assert not row["measurable"] and "cannot see when a foot leaves" in row["reason"]
        assert not np.isfinite(row["median"])
    assert "ground_contact_time_ms" not in per_stride.columns


def test_every_marker_is_documented():
    for spec in MARKERS.values():
        assert spec.unit and spec.definition and spec.sign and spec.references, spec.name
        assert spec.view in ("side", "frontal", "any")
        unit_tag = {"%leg": "_pct_leg", "deg": "_deg", "ms": "_ms", "steps/min": "_spm",
                    "%": "_pct"}[spec.unit]
        assert spec.name.endswith(unit_tag), spec.name


# ---- findings on the synthetic runners ------------------------------------------------


def _findings_for(keys, lean, *, cutoff=10.0):
    from gaitcheck.findings import assess

    lm, _ = side_runner(keys, lean=lean)
    kin = compute_kinematics(lm, cutoff_hz=cutoff)
    summary = summarize_markers(compute_markers(kin, stride_events(lm.n_frames)), kin)
    return {(f.marker, f.side): f.level for f in assess(summary)}


def _keys(**changes):
    keys = {k: dict(v) for k, v in CLEAN.items()}
    for k, v in changes.items():
        keys[k].update(v)
    return keys


def test_clean_runner_has_no_flag_and_injected_faults_are_flagged():
    clean = _findings_for(CLEAN, 6.0)
    assert not [k for k, lev in clean.items() if lev == "flag"], clean
    faults = {
        "overstride_ic_pct_leg": (_keys(ic=dict(thigh=34.0, knee=4.0, foot=25.0)), 6.0),
        "pelvis_behind_foot_ms_pct_leg": (_keys(ms=dict(thigh=24.0, knee=45.0)), 6.0),
        "hip_extension_deg": (_keys(to=dict(thigh=3.0)), 6.0),
        "knee_flexion_excursion_deg": (_keys(ms=dict(knee=66.0)), 6.0),
        "trunk_lean_deg": (CLEAN, 22.0),
    }
    for marker, (keys, lean) in faults.items():
        levels = _findings_for(keys, lean)
        assert levels.get((marker, "l")) == "flag" and levels.get((marker, "r")) == "flag", (
            marker, {k: v for k, v in levels.items() if k[0] == marker})


def test_rear_view_faults_are_flagged_and_a_clean_rear_runner_is_not():
    from gaitcheck.findings import assess

    def levels(**kw):
        lm = rear_runner(**kw)
        kin = compute_kinematics(lm)
        summary = summarize_markers(compute_markers(kin, stride_events(lm.n_frames)), kin)
        return {(f.marker, f.side): f.level for f in assess(summary)}

    clean = levels(drop_deg=2.0, cross_px=-30.0)
    assert not [k for k, lev in clean.items() if lev == "flag"], clean
    faulty = levels(drop_deg=13.0, cross_px=20.0)
    for side in ("l", "r"):
        assert faulty[("pelvic_drop_deg", side)] == "flag"
        assert faulty[("crossover_ic_pct_leg", side)] == "flag"
