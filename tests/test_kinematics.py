"""Tests of gaitcheck.kinematics on synthetic signals and stick figures with known answers."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from gaitcheck.kinematics import (
    ANGLE_CONVENTIONS,
    LEG_LENGTH_PER_HEIGHT,
    SIGNAL_DESCRIPTIONS,
    _rolling_median,
    butterworth_nan_runs,
    compute_angles,
    compute_kinematics,
    detect_label_collapses,
    detect_leg_swaps,
    detect_view,
    hampel,
    interpolate_gaps,
    swap_legs,
    true_runs,
)
from gaitcheck.landmarks import LM, N_LANDMARKS, Landmarks

THIGH = SHANK = 200.0  # px
W, H = 1200, 1200


# --------------------------------------------------------------------------- synthetic runner


def _unit(deg):
    a = np.radians(deg)
    return np.sin(a), np.cos(a)


def _runner_side(n=240, fps=60.0, direction=1, stride_hz=1.4, lean_deg=8.0, seed=0, noise_px=0.5):
    """A 2-D running stick figure seen from the side, in pixels (y down).

    Returns the pixel array (n, 33, 2) and the true angles. Analysis-frame
    construction: x forward, y up, then mapped to the image with ``direction``.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    P = np.zeros((n, N_LANDMARKS, 2))  # analysis frame (x fwd, y up), px, hip-centred
    truth = {}
    hip_y = 0.02 * 400 * np.sin(2 * 2 * np.pi * stride_hz * t)
    for side, hip, knee, ankle, heel, toe, phase, dx in (
        (
            "r",
            LM.RIGHT_HIP,
            LM.RIGHT_KNEE,
            LM.RIGHT_ANKLE,
            LM.RIGHT_HEEL,
            LM.RIGHT_FOOT_INDEX,
            0.0,
            4.0,
        ),
        (
            "l",
            LM.LEFT_HIP,
            LM.LEFT_KNEE,
            LM.LEFT_ANKLE,
            LM.LEFT_HEEL,
            LM.LEFT_FOOT_INDEX,
            np.pi,
            -4.0,
        ),
    ):
        ph = 2 * np.pi * stride_hz * t + phase
        thigh = 10 + 25 * np.sin(ph)
        kflex = 45 - 35 * np.cos(ph + 0.5)
        shank = thigh - kflex
        foot = 10 * np.sin(ph)
        P[:, hip] = np.column_stack((np.full(n, dx), hip_y))
        sx, sy = _unit(thigh)
        P[:, knee] = P[:, hip] + THIGH * np.column_stack((sx, -sy))
        sx, sy = _unit(shank)
        P[:, ankle] = P[:, knee] + SHANK * np.column_stack((sx, -sy))
        ux, uy = np.cos(np.radians(foot)), np.sin(np.radians(foot))
        u = np.column_stack((ux, uy))
        normal = np.column_stack((-uy, ux))
        P[:, heel] = P[:, ankle] - 15 * u - 20 * normal
        P[:, toe] = P[:, heel] + 70 * u
        truth[side] = {"thigh": thigh, "knee": kflex, "shank": shank, "foot": foot}
    mid_hip = 0.5 * (P[:, LM.LEFT_HIP] + P[:, LM.RIGHT_HIP])
    lx, ly = _unit(lean_deg)
    msh = mid_hip + 300 * np.array([lx, ly])
    P[:, LM.LEFT_SHOULDER] = msh + [-6, 0]
    P[:, LM.RIGHT_SHOULDER] = msh + [6, 0]
    P[:, LM.NOSE] = msh + [45, 75]
    P[:, LM.LEFT_EAR] = msh + [2, 80]
    P[:, LM.RIGHT_EAR] = msh + [8, 80]
    for i in (1, 2, 3, 4, 5, 6, 9, 10):
        P[:, i] = msh + [35, 80]
    for i, off in ((13, -20), (14, 20), (15, 10), (16, 40)):
        P[:, i] = msh + [off, -150]
    for i in range(17, 23):
        P[:, i] = P[:, 15 + (i % 2)] + [5, -10]
    truth["lean"] = np.full(n, lean_deg)
    img = np.empty_like(P)
    img[..., 0] = W / 2 + direction * P[..., 0]
    img[..., 1] = 450 - P[..., 1]
    img += rng.normal(0, noise_px, img.shape)
    return img, truth


def _landmarks(px, fps, *, vis=None, z=None):
    n = px.shape[0]
    xyzv = np.zeros((n, N_LANDMARKS, 4), dtype=np.float32)
    xyzv[..., 0] = px[..., 0] / W
    xyzv[..., 1] = px[..., 1] / H
    if z is not None:
        xyzv[..., 2] = z
    xyzv[..., 3] = 0.99 if vis is None else vis
    return Landmarks(
        xyzv=xyzv,
        world=None,
        fps=fps,
        time_s=np.arange(n) / fps,
        image_size=(W, H),
        model="synthetic",
        source="synthetic",
    )


def _runner_frontal(
    n=240, fps=60.0, *, rear=True, stride_hz=1.4, seed=1, obliquity_deg=0.0, knee_medial_deg=0.0
):
    """A runner seen from behind (``rear``) or from the front; pixels (y down) and z."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    px = np.zeros((n, N_LANDMARKS, 2))
    z = np.zeros((n, N_LANDMARKS))
    cx, cy = W / 2, 450.0
    s_left = -1.0 if rear else 1.0  # image-x sign of the runner's left side
    half = 60 * np.tan(np.radians(obliquity_deg))
    for _side, hip, knee, ankle, heel, toe, phase, sgn, dy in (
        (
            "l",
            LM.LEFT_HIP,
            LM.LEFT_KNEE,
            LM.LEFT_ANKLE,
            LM.LEFT_HEEL,
            LM.LEFT_FOOT_INDEX,
            np.pi,
            s_left,
            +half,
        ),
        (
            "r",
            LM.RIGHT_HIP,
            LM.RIGHT_KNEE,
            LM.RIGHT_ANKLE,
            LM.RIGHT_HEEL,
            LM.RIGHT_FOOT_INDEX,
            0.0,
            -s_left,
            -half,
        ),
    ):
        ph = 2 * np.pi * stride_hz * t + phase
        thigh = 10 + 25 * np.sin(ph)
        shank = thigh - (45 - 35 * np.cos(ph + 0.5))
        px[:, hip] = np.column_stack((np.full(n, cx + sgn * 60), np.full(n, cy + dy)))
        medial = -sgn  # image-x direction towards the midline
        a = np.radians(knee_medial_deg)
        px[:, knee] = px[:, hip] + np.column_stack(
            (np.full(n, medial * THIGH * np.sin(a)), THIGH * np.cos(np.radians(thigh)) * np.cos(a))
        )
        px[:, ankle] = px[:, knee] + np.column_stack(
            (np.zeros(n), SHANK * np.cos(np.radians(shank)))
        )
        px[:, heel] = px[:, ankle] + [0, 20]
        px[:, toe] = px[:, ankle] + [sgn * 5, 28]
    msh = np.array([cx, cy - 300])
    px[:, LM.LEFT_SHOULDER] = msh + [s_left * 110, 0]
    px[:, LM.RIGHT_SHOULDER] = msh + [-s_left * 110, 0]
    px[:, LM.NOSE] = msh + [0, -80]
    px[:, LM.LEFT_EAR] = msh + [s_left * 30, -85]
    px[:, LM.RIGHT_EAR] = msh + [-s_left * 30, -85]
    for i in (1, 2, 3, 4, 5, 6, 9, 10):
        px[:, i] = msh + [0, -90]
    for i in range(13, 23):
        sgn = s_left if i % 2 else -s_left
        px[:, i] = msh + [sgn * 130, 150]
    z[:, LM.NOSE] = 0.2 if rear else -0.2
    px += rng.normal(0, 0.5, px.shape)
    return px, z


# --------------------------------------------------------------------------- helpers


def test_true_runs():
    runs = true_runs(np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool))
    assert runs.tolist() == [[1, 3], [5, 6], [7, 10]]
    assert true_runs(np.zeros(4, dtype=bool)).shape == (0, 2)


def test_interpolate_gaps_fills_short_gaps_only():
    x = np.arange(20, dtype=float) * 2.0
    x[[0]] = np.nan  # leading gap: stays
    x[5:7] = np.nan  # 2 samples: filled
    x[10:15] = np.nan  # 5 samples: stays with max_gap=3
    x[19] = np.nan  # trailing: stays
    y = interpolate_gaps(x, max_gap=3)
    assert np.isnan(y[0]) and np.isnan(y[19])
    assert np.allclose(y[5:7], [10.0, 12.0])
    assert np.isnan(y[10:15]).all()
    assert np.isnan(x[5])  # input untouched


def test_interpolate_gaps_channels_independent():
    x = np.tile(np.arange(10, dtype=float)[:, None, None], (1, 2, 2))
    x[3, 0, :] = np.nan
    x[2:8, 1, :] = np.nan
    y = interpolate_gaps(x, max_gap=2)
    assert np.allclose(y[3, 0], 3.0)
    assert np.isnan(y[2:8, 1]).all()


@pytest.mark.parametrize("width", [3, 5, 7, 9, 13, 25, 49])
def test_rolling_median_network_matches_numpy(width):
    rng = np.random.default_rng(310 + width)
    a = rng.normal(size=(width, 50, 3))
    assert np.array_equal(_rolling_median(list(a)), np.median(a, axis=0))


def test_hampel_flags_spike_not_signal():
    fps = 60.0
    t = np.arange(300) / fps
    rng = np.random.default_rng(7)
    clean = 20 * np.sin(2 * np.pi * 1.4 * t) + rng.normal(0, 0.5, t.size)
    x = clean.copy()
    x[[0, 50, 51, 200, 299]] += [-60.0, 60.0, 55.0, -80.0, 70.0]
    x[120:123] = np.nan
    out = hampel(x, half_width=3, nsigma=3.0, min_scale=1.0)
    assert set(np.flatnonzero(out)) == {50, 51, 200}  # ends (0, 299) are never flagged
    assert not hampel(clean, half_width=3, nsigma=3.0, min_scale=1.0).any()
    # channels are independent
    both = hampel(np.column_stack((x, clean)), half_width=3, nsigma=3.0, min_scale=1.0)
    assert np.array_equal(both[:, 0], out) and not both[:, 1].any()


def test_hampel_min_scale_stops_flagging_jitter_on_flat_signal():
    rng = np.random.default_rng(8)
    x = 500 + rng.normal(0, 0.3, 400)
    assert not hampel(x, half_width=3, nsigma=3.0, min_scale=2.0).any()


def test_butterworth_keeps_slow_sine_and_removes_fast_noise():
    fps = 60.0
    t = np.arange(600) / fps
    slow = 50 * np.sin(2 * np.pi * 1.5 * t)
    fast = 10 * np.sin(2 * np.pi * 22.0 * t)
    y = butterworth_nan_runs(slow + fast, fps, cutoff_hz=8.0, order=4)
    core = slice(60, -60)
    assert np.max(np.abs(y[core] - slow[core])) < 0.5  # < 1 % of the amplitude
    # the residual fast component is strongly attenuated
    assert np.std(y[core] - slow[core]) < 0.02 * np.std(fast)


def test_butterworth_filters_each_run_separately():
    fps = 60.0
    rng = np.random.default_rng(11)
    x = np.cumsum(rng.normal(size=(300, 2)), axis=0)
    x[100:140] = np.nan
    y = butterworth_nan_runs(x, fps, cutoff_hz=6.0, order=4)
    assert np.isnan(y[100:140]).all() and not np.isnan(y[:100]).any()
    sos = signal.butter(4, 6.0, fs=fps, output="sos")
    assert np.allclose(y[:100], signal.sosfiltfilt(sos, x[:100], axis=0))
    assert np.allclose(y[140:], signal.sosfiltfilt(sos, x[140:], axis=0))
    # nothing smears across the gap: changing the far side leaves the near side identical
    x2 = x.copy()
    x2[140:] += 1000.0
    y2 = butterworth_nan_runs(x2, fps, cutoff_hz=6.0, order=4)
    assert np.array_equal(y2[:100], y[:100])


def test_butterworth_short_runs_untouched_and_near_nyquist_noop():
    x = np.r_[np.arange(10.0) ** 2, np.nan, np.arange(100.0) % 7]
    y = butterworth_nan_runs(x, 30.0, cutoff_hz=5.0, order=4)
    assert np.array_equal(y[:10], x[:10])  # 10 samples <= padlen 15
    assert not np.allclose(y[11:], x[11:])
    assert np.array_equal(butterworth_nan_runs(x, 20.0, cutoff_hz=10.0), x, equal_nan=True)


def test_swap_legs_exchanges_pairs_in_selected_frames():
    a = np.arange(4 * N_LANDMARKS, dtype=float).reshape(4, N_LANDMARKS)
    mask = np.array([False, True, False, True])
    b = swap_legs(a, mask, landmarks=[LM.LEFT_ANKLE])
    assert b[1, LM.LEFT_ANKLE] == a[1, LM.RIGHT_ANKLE]
    assert b[1, LM.RIGHT_ANKLE] == a[1, LM.LEFT_ANKLE]
    assert b[0, LM.LEFT_ANKLE] == a[0, LM.LEFT_ANKLE]
    assert b[1, LM.LEFT_KNEE] == a[1, LM.LEFT_KNEE]
    c = swap_legs(a, mask)  # every bilateral pair
    assert c[3, LM.LEFT_SHOULDER] == a[3, LM.RIGHT_SHOULDER]
    assert c[3, LM.NOSE] == a[3, LM.NOSE]


# --------------------------------------------------------------------------- angles


def _pose(hip=(0.0, 0.0), thigh=0.0, shank=0.0, foot=0.0, lean=0.0, n=1):
    """Both legs in the same pose, analysis frame (x forward, y up), leg lengths."""
    p = np.full((n, N_LANDMARKS, 2), np.nan)
    h = np.array(hip)
    sides = (
        (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
        (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
    )
    for hi, ki, ai, he, to in sides:
        p[:, hi] = h
        sx, sy = _unit(thigh)
        p[:, ki] = h + 0.5 * np.array([sx, -sy])
        sx, sy = _unit(shank)
        p[:, ai] = p[:, ki] + 0.5 * np.array([sx, -sy])
        p[:, he] = p[:, ai] + [-0.05, -0.05]
        p[:, to] = p[:, he] + 0.2 * np.array([np.cos(np.radians(foot)), np.sin(np.radians(foot))])
    lx, ly = _unit(lean)
    p[:, LM.LEFT_SHOULDER] = p[:, LM.RIGHT_SHOULDER] = h + 0.7 * np.array([lx, ly])
    return p


def test_sagittal_angles_from_known_geometry():
    a = compute_angles(_pose(thigh=30.0, shank=-10.0, foot=15.0, lean=6.0))
    for s in ("l", "r"):
        assert a[f"hip_flex_{s}_deg"][0] == pytest.approx(30.0)
        assert a[f"knee_flex_{s}_deg"][0] == pytest.approx(40.0)
        assert a[f"shank_{s}_deg"][0] == pytest.approx(-10.0)
        assert a[f"foot_{s}_deg"][0] == pytest.approx(15.0)
        assert a[f"ankle_{s}_deg"][0] == pytest.approx(25.0)  # toes up + tibia forward
        assert a[f"hip_flex_trunk_{s}_deg"][0] == pytest.approx(36.0)
    assert a["trunk_lean_deg"][0] == pytest.approx(6.0)


def test_knee_flexion_equals_180_minus_included_angle():
    rng = np.random.default_rng(5)
    thigh, shank = rng.uniform(-30, 40, 50), rng.uniform(-100, 20, 50)
    p = np.concatenate([_pose(thigh=a, shank=b) for a, b in zip(thigh, shank, strict=True)])
    a = compute_angles(p)["knee_flex_r_deg"]
    u = p[:, LM.RIGHT_HIP] - p[:, LM.RIGHT_KNEE]
    v = p[:, LM.RIGHT_ANKLE] - p[:, LM.RIGHT_KNEE]
    cos = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    included = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    assert np.allclose(np.abs(a), 180.0 - included)
    assert np.allclose(a, thigh - shank)


def test_extension_and_backward_lean_are_negative():
    a = compute_angles(_pose(thigh=-15.0, shank=-15.0, lean=-4.0))
    assert a["hip_flex_l_deg"][0] == pytest.approx(-15.0)
    assert a["knee_flex_l_deg"][0] == pytest.approx(0.0, abs=1e-9)
    assert a["trunk_lean_deg"][0] == pytest.approx(-4.0)


@pytest.mark.parametrize("direction", [1, -1])
def test_static_pose_angles_do_not_depend_on_image_direction(direction):
    p = _pose(thigh=30.0, shank=0.0, foot=10.0, lean=10.0, n=60)
    img = np.empty_like(p)
    img[..., 0] = W / 2 + direction * 400 * p[..., 0]
    img[..., 1] = 500 - 400 * p[..., 1]
    # a face pointing forward, for the nose/ear direction cue
    img[:, LM.NOSE] = img[:, LM.LEFT_SHOULDER] + [direction * 40, -60]
    img[:, LM.LEFT_EAR] = img[:, LM.RIGHT_EAR] = img[:, LM.LEFT_SHOULDER] + [0, -65]
    img = np.nan_to_num(img, nan=W / 2)
    kin = compute_kinematics(_landmarks(img, 30.0))
    assert kin.direction == direction
    mid = kin.angles.iloc[30]
    assert mid["hip_flex_r_deg"] == pytest.approx(30.0, abs=0.01)
    assert mid["knee_flex_l_deg"] == pytest.approx(30.0, abs=0.01)
    assert mid["trunk_lean_deg"] == pytest.approx(10.0, abs=0.01)
    assert mid["foot_r_deg"] == pytest.approx(10.0, abs=0.01)
    # analysis frame: toes ahead of heels, shoulders above hips
    pts = kin.points[30]
    assert pts[LM.RIGHT_FOOT_INDEX, 0] > pts[LM.RIGHT_HEEL, 0]
    assert pts[LM.LEFT_SHOULDER, 1] > pts[LM.LEFT_HIP, 1]


@pytest.mark.parametrize("rear", [True, False])
def test_pelvic_obliquity_sign_right_hip_higher(rear):
    px, z = _runner_frontal(n=60, rear=rear, obliquity_deg=5.0)
    kin = compute_kinematics(_landmarks(px, 60.0, z=z))
    assert kin.angles["pelvic_obliquity_deg"].iloc[10:50].mean() == pytest.approx(5.0, abs=0.3)


@pytest.mark.parametrize("rear", [True, False])
def test_hip_adduction_positive_towards_midline(rear):
    px, z = _runner_frontal(n=60, rear=rear, knee_medial_deg=6.0)
    a = compute_kinematics(_landmarks(px, 60.0, z=z)).angles.iloc[10:50]
    for s in ("l", "r"):
        assert a[f"femoral_adduction_{s}_deg"].median() == pytest.approx(6.0, abs=1.0)
        assert a[f"hip_adduction_{s}_deg"].median() == pytest.approx(6.0, abs=1.0)
    px, z = _runner_frontal(n=60, rear=rear, knee_medial_deg=-4.0)
    a = compute_kinematics(_landmarks(px, 60.0, z=z)).angles.iloc[10:50]
    assert a["hip_adduction_l_deg"].median() == pytest.approx(-4.0, abs=1.0)


# --------------------------------------------------------------------------- whole stage


@pytest.mark.parametrize("direction", [1, -1])
@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_side_view_run(direction, fps):
    n = int(4 * fps)
    px, truth = _runner_side(n=n, fps=fps, direction=direction)
    z = np.zeros((n, N_LANDMARKS))
    z[:, [m for m in LM if m.name.startswith("RIGHT_")]] = 0.2  # left side nearer
    kin = compute_kinematics(_landmarks(px, fps, z=z), height_cm=180.0)
    assert kin.view == "side" and kin.view_confidence > 0.8
    assert kin.direction == direction
    assert kin.info["near_side"] == "l"
    assert kin.leg_length_px == pytest.approx(THIGH + SHANK, rel=0.01)
    assert kin.m_per_leg == pytest.approx(LEG_LENGTH_PER_HEIGHT * 1.8)
    assert kin.segments == ((0, n),)
    assert kin.info["swap_frames_corrected"] == 0  # the ankles cross twice per stride
    assert not kin.swapped.any()
    inner = slice(int(0.3 * fps), n - int(0.3 * fps))
    a = kin.angles.iloc[inner]
    for s in ("l", "r"):
        tol = 1.5 if fps == 30 else 0.7  # 10 Hz low-pass on a 1.4 Hz gait
        assert np.max(np.abs(a[f"hip_flex_{s}_deg"] - truth[s]["thigh"][inner])) < tol
        assert np.max(np.abs(a[f"knee_flex_{s}_deg"] - truth[s]["knee"][inner])) < tol
        assert np.max(np.abs(a[f"foot_{s}_deg"] - truth[s]["foot"][inner])) < 2 * tol
    assert np.max(np.abs(a["trunk_lean_deg"] - 8.0)) < 0.5
    # analysis frame: origin at the median mid-hip, feet below it, toes ahead of heels
    assert np.nanmedian(kin.angles["pelvis_x_leg"]) == pytest.approx(0.0, abs=0.01)
    assert (kin.angles["foot_y_r_leg"] < -0.5).all()
    assert (kin.angles["toe_x_l_leg"] > kin.angles["heel_x_l_leg"]).all()


def test_kinematics_record_shapes_and_columns():
    px, _ = _runner_side(n=120)
    kin = compute_kinematics(_landmarks(px, 60.0))
    assert kin.points.shape == kin.points_px.shape == (120, N_LANDMARKS, 2)
    assert kin.points.dtype == np.float64
    assert kin.visibility.shape == (120, N_LANDMARKS)
    assert kin.swapped.dtype == bool and kin.swapped.shape == (120,)
    assert isinstance(kin.angles, pd.DataFrame) and kin.angles.index.name == "frame"
    assert set(kin.angles.columns) == set(ANGLE_CONVENTIONS) | set(SIGNAL_DESCRIPTIONS)
    assert np.allclose(kin.angles["time_s"], np.arange(120) / 60.0)
    assert kin.m_per_leg is None
    json.dumps(kin.info)  # provenance must be serialisable
    with pytest.raises(dataclasses.FrozenInstanceError):
        kin.view = "rear"  # type: ignore[misc]


def test_visibility_mask_gap_filling_and_segments():
    fps = 60.0
    px, _ = _runner_side(n=300, fps=fps)
    vis = np.full((300, N_LANDMARKS), 0.99, dtype=np.float32)
    vis[100:104, LM.LEFT_ANKLE] = 0.05  # 4 frames <= 6-frame gap limit: filled
    vis[200:230, LM.RIGHT_HEEL] = 0.1  # 30 frames: stays missing, splits the segments
    kin = compute_kinematics(_landmarks(px, fps, vis=vis))
    assert np.isfinite(kin.points[100:104, LM.LEFT_ANKLE]).all()
    assert np.allclose(
        kin.points_px[100:104, LM.LEFT_ANKLE], px[100:104, LM.LEFT_ANKLE], atol=10.0
    )  # linear interpolation of a curved path, 2.5 % of a leg
    assert np.isnan(kin.points[200:230, LM.RIGHT_HEEL]).all()
    assert kin.segments == ((0, 200), (230, 300))
    assert kin.segment_share == pytest.approx(270 / 300)
    assert np.isnan(kin.angles["foot_r_deg"].iloc[200:230]).all()
    # a stricter visibility threshold removes the points too
    vis2 = vis.copy()
    vis2[:, LM.LEFT_KNEE] = 0.45
    lenient = compute_kinematics(_landmarks(px, fps, vis=vis2))
    assert np.isfinite(lenient.points[:, LM.LEFT_KNEE]).all()
    strict = compute_kinematics(_landmarks(px, fps, vis=vis2), min_visibility=0.5)
    assert np.isnan(strict.points[:, LM.LEFT_KNEE]).all() and strict.segments == ()


def test_no_person_gives_nan_not_error():
    xyzv = np.full((50, N_LANDMARKS, 4), np.nan, dtype=np.float32)
    lm = Landmarks(
        xyzv=xyzv,
        world=None,
        fps=30.0,
        time_s=np.arange(50) / 30.0,
        image_size=(W, H),
        model="synthetic",
        source="empty",
    )
    kin = compute_kinematics(lm)
    assert kin.view == "unknown" and kin.direction == 0
    assert np.isnan(kin.leg_length_px) and kin.segments == ()
    assert np.isnan(kin.points).all()


# --------------------------------------------------------------------------- swaps


@pytest.mark.parametrize("fps", [30.0, 60.0])
@pytest.mark.parametrize("start,length", [(50, 4), (80, 1), (100, 8)])
def test_synthetic_swap_is_detected_and_corrected(fps, start, length):
    n = int(4 * fps)
    px, _ = _runner_side(n=n, fps=fps, seed=3)
    mask = np.zeros(n, dtype=bool)
    # swap during a phase where the legs are apart (mid-stance/mid-swing excluded)
    mask[start : start + length] = True
    legs = [LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX]
    sep = np.linalg.norm(px[mask, LM.LEFT_ANKLE] - px[mask, LM.RIGHT_ANKLE], axis=-1)
    assert sep.min() > 0.2 * (THIGH + SHANK)  # a real swap, not a crossing
    bad = swap_legs(px, mask, landmarks=legs)
    kin = compute_kinematics(_landmarks(bad, fps))
    assert np.array_equal(kin.swapped, mask)
    assert kin.info["swap_frames_corrected"] == length
    clean = compute_kinematics(_landmarks(px, fps))
    assert np.allclose(kin.points_px, clean.points_px, atol=2.0, equal_nan=True)
    assert not compute_kinematics(_landmarks(bad, fps), correct_swaps=False).swapped.any()


def test_knee_only_swap():
    fps = 60.0
    px, _ = _runner_side(n=240, fps=fps, seed=4)
    mask = np.zeros(240, dtype=bool)
    mask[60:63] = True
    bad = swap_legs(px, mask, landmarks=[LM.LEFT_KNEE])
    swaps = detect_leg_swaps(bad, scale=THIGH + SHANK, max_swap_frames=20)
    knee_sep = np.linalg.norm(px[60:63, LM.LEFT_KNEE] - px[60:63, LM.RIGHT_KNEE], axis=-1)
    assert knee_sep.min() > 0.1 * (THIGH + SHANK)
    assert np.array_equal(swaps["knee"], mask)
    assert not swaps["leg"].any()


def test_foot_only_swap_leaves_knees_right():
    fps = 60.0
    px, _ = _runner_side(n=240, fps=fps, seed=4)
    mask = np.zeros(240, dtype=bool)
    mask[60:63] = True
    bad = swap_legs(px, mask, landmarks=[LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX])
    kin = compute_kinematics(_landmarks(bad, fps))
    clean = compute_kinematics(_landmarks(px, fps))
    assert np.array_equal(kin.swapped, mask)
    assert np.allclose(kin.points_px, clean.points_px, atol=2.0, equal_nan=True)


@pytest.mark.parametrize("seed", range(4))
def test_no_swaps_on_clean_noisy_gait(seed):
    fps = 30.0
    px, _ = _runner_side(n=300, fps=fps, seed=seed, noise_px=3.0)
    swaps = detect_leg_swaps(px, scale=THIGH + SHANK, max_swap_frames=10)
    assert not any(m.any() for m in swaps.values())
    flags = detect_label_collapses(px, scale=THIGH + SHANK, max_frames=10)
    assert not any(f.any() for f in flags.values())


def test_swap_at_the_start_of_a_run_is_left_alone():
    fps = 30.0
    px, _ = _runner_side(n=240, fps=fps, seed=5)
    vis = np.full((240, N_LANDMARKS), 0.99, dtype=np.float32)
    vis[:40] = 0.0  # the runner is found at frame 40
    mask = np.zeros(240, dtype=bool)
    mask[40:43] = True
    sep = np.linalg.norm(px[mask, LM.LEFT_ANKLE] - px[mask, LM.RIGHT_ANKLE], axis=-1)
    assert sep.min() > 0.2 * (THIGH + SHANK)
    bad = swap_legs(
        px, mask, landmarks=[LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX]
    )
    kin = compute_kinematics(_landmarks(bad, fps, vis=vis))
    assert not kin.swapped.any()  # one-sided evidence: not corrected
    mask2 = np.zeros(240, dtype=bool)
    mask2[60:63] = True  # the same kind of swap inside the run is corrected
    bad2 = swap_legs(
        px, mask2, landmarks=[LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX]
    )
    assert np.array_equal(compute_kinematics(_landmarks(bad2, fps, vis=vis)).swapped, mask2)


def test_swap_longer_than_limit_is_left_alone():
    fps = 30.0
    px, _ = _runner_side(n=240, fps=fps, seed=5)
    mask = np.zeros(240, dtype=bool)
    mask[60:90] = True  # 1 s: longer than the 0.35 s limit
    bad = swap_legs(
        px, mask, landmarks=[LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX]
    )
    assert not compute_kinematics(_landmarks(bad, fps)).swapped.any()


def test_collapsed_foot_is_removed_and_filled():
    fps = 30.0
    px, _ = _runner_side(n=150, fps=fps, seed=6)
    feet = [
        (LM.LEFT_ANKLE, LM.RIGHT_ANKLE),
        (LM.LEFT_HEEL, LM.RIGHT_HEEL),
        (LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX),
    ]
    sep = np.linalg.norm(px[:, LM.LEFT_ANKLE] - px[:, LM.RIGHT_ANKLE], axis=-1)
    f0 = int(np.argmax(sep[20:130])) + 20  # legs far apart
    bad = px.copy()
    for li, ri in feet:  # the left foot labels jump onto the right foot for 2 frames
        bad[f0 : f0 + 2, li] = px[f0 : f0 + 2, ri] + 2.0
    flags = detect_label_collapses(bad, scale=THIGH + SHANK, max_frames=10)
    assert np.flatnonzero(flags["foot"][:, 0]).tolist() == [f0, f0 + 1]
    assert not flags["foot"][:, 1].any() and not flags["knee"].any()
    kin = compute_kinematics(_landmarks(bad, fps))
    assert kin.info["collapsed_points_removed"] == 6
    err = np.linalg.norm(
        kin.points_px[f0 : f0 + 2, LM.LEFT_ANKLE] - px[f0 : f0 + 2, LM.LEFT_ANKLE], axis=-1
    )
    assert err.max() < 0.1 * (THIGH + SHANK)  # interpolated back onto its own track


# --------------------------------------------------------------------------- view


def test_view_side_rear_front():
    px, _ = _runner_side(n=240, fps=60.0)
    assert detect_view(px).view == "side"
    for rear, name in ((True, "rear"), (False, "front")):
        fpx, z = _runner_frontal(n=240, rear=rear)
        v = detect_view(fpx, z)
        assert v.view == name, v.features
        assert v.confidence > 0.5
        assert v.direction == 0
        kin = compute_kinematics(_landmarks(fpx, 60.0, z=z))
        assert kin.view == name and kin.direction == 0


def test_rear_front_from_shoulder_order_alone():
    for rear, name in ((True, "rear"), (False, "front")):
        fpx, _ = _runner_frontal(n=120, rear=rear)
        assert detect_view(fpx).view == name


def test_direction_cues_disagreeing_lower_the_confidence():
    px, _ = _runner_side(n=240, fps=60.0, direction=1)
    flipped = px.copy()
    # face pointing backwards: nose behind the ears
    flipped[:, LM.NOSE, 0] = px[:, LM.LEFT_EAR, 0] - 40
    agree, disagree = detect_view(px), detect_view(flipped)
    assert agree.direction == 1 and agree.direction_confidence > 0.9
    assert disagree.direction_confidence < agree.direction_confidence


def test_unknown_view_with_too_little_data():
    px = np.full((10, N_LANDMARKS, 2), np.nan)
    v = detect_view(px)
    assert v.view == "unknown" and v.confidence == 0.0 and v.direction == 0
