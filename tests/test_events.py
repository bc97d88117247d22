"""Gait events: synthetic runners with known events, force plates, real clips."""


import numpy as np
import pandas as pd
import pytest
from conftest import all_videos, load_script, shared_path

from gaitcheck.events import (
    EventSettings,
    _fix_alternation,
    cadence_from_contacts,
    detect_events,
    step_rate_spm,
)
from gaitcheck.kinematics import compute_kinematics
from gaitcheck.landmarks import LM, N_LANDMARKS, Landmarks
from gaitcheck.pipeline import MIN_ALTERNATION_SHARE, AnalysisConfig, analyze_landmarks


def synthetic_runner(*, fps=60.0, cadence_spm=170.0, duty=0.36, seconds=10.0, direction=1,
                     leg_px=300.0, noise_px=0.0, seed=1):
    """A treadmill runner seen side-on, with exactly known contacts.

    Pelvis fixed; each foot is on the belt (moving backwards at constant speed) for
    ``duty`` of its stride and swings forward in an arc otherwise. Returns landmarks and
    the true contacts (side, ic_time_s, to_time_s).
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    t = np.arange(n) / fps
    stride = 120.0 / cadence_spm
    w, h = 1280, 720
    hip = np.array([640.0, 300.0])
    floor = hip[1] + leg_px
    xyzv = np.full((n, N_LANDMARKS, 4), np.nan, np.float32)
    truth = []
    for side, phase0 in (("l", 0.0), ("r", 0.5)):
        ph = ((t / stride) + phase0) % 1.0  # 0 at initial contact
        stance = ph < duty
        reach = 0.35 * leg_px
        # stance: from +reach to -reach (forward = +x * direction), on the floor
        u = np.where(stance, ph / duty, (ph - duty) / (1 - duty))
        swing_x = -reach + 2 * reach * (0.5 - 0.5 * np.cos(np.pi * u))
        fx = np.where(stance, reach - 2 * reach * u, swing_x)
        lift = np.where(stance, 0.0, 0.45 * leg_px * np.sin(np.pi * u) ** 1.5)
        ankle = np.column_stack([hip[0] + direction * fx, floor - 0.08 * leg_px - lift])
        heel = ankle + np.array([-direction * 0.06 * leg_px, 0.07 * leg_px])
        toe = ankle + np.array([direction * 0.2 * leg_px, 0.08 * leg_px])
        knee = 0.5 * (np.array(hip) + ankle) + np.array([direction * 0.12 * leg_px, 0.0])
        idx = {"l": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
               "r": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL,
                     LM.RIGHT_FOOT_INDEX)}[side]
        for i, pts in zip(idx, (np.tile(hip, (n, 1)), knee, ankle, heel, toe), strict=True):
            xyzv[:, i, 0] = pts[:, 0] / w
            xyzv[:, i, 1] = pts[:, 1] / h
            xyzv[:, i, 2] = 0.0 if side == "l" else 0.1
            xyzv[:, i, 3] = 1.0
        k0 = np.ceil(-phase0)
        for k in np.arange(k0, seconds / stride + 1):
            ic = (k - phase0) * stride
            to = ic + duty * stride
            if 0.1 < ic and to < seconds - 0.1:
                truth.append((side, ic, to))
    for i, dx in ((LM.LEFT_SHOULDER, 0), (LM.RIGHT_SHOULDER, 0), (LM.NOSE, 40)):
        xyzv[:, i, 0] = (hip[0] + direction * (dx + 0.05 * leg_px)) / w
        xyzv[:, i, 1] = (hip[1] - 0.9 * leg_px) / h
        xyzv[:, i, 2] = 0.0
        xyzv[:, i, 3] = 1.0
    xyzv[:, LM.LEFT_EAR, :] = xyzv[:, LM.NOSE, :] - np.array([direction * 30 / w, 0, 0, 0])
    xyzv[:, LM.RIGHT_EAR, :] = xyzv[:, LM.LEFT_EAR, :]
    if noise_px:
        xyzv[:, :, 0] += rng.normal(0, noise_px / w, xyzv.shape[:2])
        xyzv[:, :, 1] += rng.normal(0, noise_px / h, xyzv.shape[:2])
    lm = Landmarks(xyzv=xyzv, world=None, fps=fps, time_s=t, image_size=(w, h), model="synthetic",
                   source="synthetic")
    truth = pd.DataFrame(truth, columns=["side", "ic_time_s", "to_time_s"])
    return lm, truth.sort_values("ic_time_s").reset_index(drop=True)


def _match(ev, truth):
    c = ev.contacts
    out = []
    for r in truth.itertuples():
        same = c[c["side"] == r.side]
        j = np.argmin(np.abs(same["ic_time_s"].to_numpy() - r.ic_time_s))
        out.append((same["ic_time_s"].iloc[j] - r.ic_time_s,
                    same["to_time_s"].iloc[j] - r.to_time_s))
    return np.array(out)


@pytest.mark.parametrize("direction", [1, -1])
def test_synthetic_runner_events_and_cadence(direction):
    lm, truth = synthetic_runner(direction=direction)
    ev = detect_events(compute_kinematics(lm))
    assert len(ev.contacts) == len(truth)  # no missed or extra contacts
    err = _match(ev, truth)
    frame = 1 / lm.fps
    assert np.all(np.abs(err[:, 0]) <= frame), err[:, 0]  # IC within one frame
    assert np.all(np.abs(err[:, 1]) <= 1.5 * frame), err[:, 1]  # TO
    assert ev.cadence_spm == pytest.approx(170.0, abs=0.5)
    assert ev.strides["valid"].all()
    sides = ev.contacts["side"].to_numpy()
    assert np.all(sides[1:] != sides[:-1])  # strict alternation


def test_synthetic_runner_with_pixel_noise_still_within_a_frame():
    lm, truth = synthetic_runner(noise_px=2.0, fps=60.0)
    ev = detect_events(compute_kinematics(lm))
    err = _match(ev, truth)
    assert np.mean(np.abs(err[:, 0]) <= 1 / lm.fps) >= 0.9
    assert ev.cadence_spm == pytest.approx(170.0, abs=1.0)


def test_events_table_and_midstance():
    lm, _ = synthetic_runner()
    ev = detect_events(compute_kinematics(lm))
    assert set(ev.events["event"]) == {"ic", "ms", "to"}
    c = ev.contacts
    # midstance halfway through each contact, and frames ordered IC <= MS <= TO
    np.testing.assert_allclose(c["ms_time_s"], 0.5 * (c["ic_time_s"] + c["to_time_s"]))
    assert (c["ic_frame"] <= c["ms_frame"]).all() and (c["ms_frame"] <= c["to_frame"]).all()
    st = ev.strides
    assert st.index.name == "stride_id"
    assert (st["ic_next_frame"] > st["to_frame"]).all()
    np.testing.assert_allclose(st["stride_time_ms"], 1000 * 120 / 170, atol=1000 / lm.fps)


def test_relabel_restores_alternation():
    c = pd.DataFrame({"side": ["l", "r", "r", "r", "l"],
                      "ic_time_s": [0.0, 0.35, 0.70, 1.05, 1.40],
                      "to_time_s": [0.25, 0.60, 0.95, 1.30, 1.65],
                      "ic_frame": [0, 10, 21, 31, 42], "to_frame": [7, 18, 28, 39, 49]})
    fixed, n = _fix_alternation(c)
    assert n == 1 and fixed["side"].tolist() == ["l", "r", "l", "r", "l"]
    assert fixed["relabelled"].tolist() == [False, False, True, False, False]


def test_cadence_slope_is_not_biased_by_the_frame_grid():
    true_step = 60 / 168.9
    ic = np.arange(40) * true_step
    quantised = np.ceil(ic * 30) / 30  # frame-quantised at 30 fps
    sides = np.array(["l", "r"] * 20)
    assert cadence_from_contacts(quantised, sides) == pytest.approx(168.9, abs=0.3)


def test_slow_motion_is_recognised_and_capture_fps_fixes_it():
    lm, _ = synthetic_runner(fps=240.0, seconds=4.0)
    # the same frames stored at 30 fps: everything 8x slower
    slow = Landmarks(xyzv=lm.xyzv, world=None, fps=30.0, time_s=np.arange(lm.n_frames) / 30.0,
                     image_size=lm.image_size, model="synthetic", source="slow")
    res = analyze_landmarks(slow)
    assert not res.analysable and "slow-motion" in res.reason and "--capture-fps 240" in res.reason
    assert step_rate_spm(res.kinematics) == pytest.approx(170 / 8, rel=0.05)
    fixed = analyze_landmarks(slow, config=AnalysisConfig(capture_fps=240.0))
    assert fixed.analysable and fixed.events.cadence_spm == pytest.approx(170.0, abs=1.0)


def test_too_few_strides_is_said():
    lm, _ = synthetic_runner(seconds=1.2)
    res = analyze_landmarks(lm)
    assert not res.analysable and "too few strides" in res.reason


# ---- force plates -----------------------------------------------------------------

def test_force_plate_validation_short_window():
    """Acceptance bars on a 10 s window of the 150 Hz trial (no added noise)."""
    data = shared_path("mocap", "fukuchi2017")
    mod = load_script("validate_events_mocap")
    res = mod.run(data, seeds=0, start_s=5.0, stop_s=15.0, fps_list=(), verbose=False)
    clean = res["clean_150"]
    assert clean["truth_contacts"] >= 24
    assert clean["ic"]["missed"] == clean["to"]["missed"] == 0
    assert clean["ic"]["extra"] == clean["to"]["extra"] == 0
    assert clean["ic"]["median_abs_ms"] <= 7.0 and clean["to"]["median_abs_ms"] <= 7.0
    assert clean["contact_time_mae_ms"] <= 10.0
    assert abs(clean["cadence_error_spm"]) < 0.5


def test_force_plate_validation_60fps_with_noise():
    """The 60 fps bar (>= 90 % within one frame) on the whole 30 s trial, 3 noise seeds."""
    data = shared_path("mocap", "fukuchi2017")
    mod = load_script("validate_events_mocap")
    res = mod.run(data, seeds=3, fps_list=(60.0,), verbose=False)
    noisy = res["noisy_60"]
    assert noisy["ic"]["within_1_frame"] >= 0.9 and noisy["to"]["within_1_frame"] >= 0.9
    assert noisy["ic"]["missed"] + noisy["ic"]["extra"] <= 0.02 * noisy["ic"]["n"]


# ---- real clips -------------------------------------------------------------------

SIDE_VIEW_CLIPS = [p for p in all_videos() if "rear" not in p.name and "front" not in p.name]


@pytest.mark.integration
@pytest.mark.parametrize("clip", SIDE_VIEW_CLIPS, ids=lambda p: p.name[:40])
def test_side_clips_alternate_or_say_why(clip, pose_of):
    res = analyze_landmarks(pose_of(clip.name).landmarks)
    if res.analysable:
        from gaitcheck.pipeline import alternation_share

        assert alternation_share(res.events.strides) >= MIN_ALTERNATION_SHARE
        assert np.isfinite(res.events.cadence_spm)
    else:
        assert res.reason and len(res.reason) > 20
    print(f"{clip.name}: analysable={res.analysable} reason={res.reason}")


@pytest.mark.integration
def test_treadmill_clip_cadence_matches_measurement(pose_of):
    truth = 168.9  # ../shared/groundtruth: measured from raw pixels, +-0.5 steps/min
    res = analyze_landmarks(pose_of("zzzhushi_treadmill_side_portrait_male_side.mp4").landmarks)
    assert res.analysable
    assert res.events.cadence_spm == pytest.approx(truth, abs=1.0)
    assert res.kinematics.view == "side" and res.kinematics.direction == -1
    st = res.events.strides
    assert set(st.loc[st["side"] == "l", "limb"]) == {"near"}  # faces image-left: left is near


@pytest.mark.integration
def test_slow_motion_real_clip(pose_of):
    lm = pose_of("mhuang24_treadmill_side_lab_480p_slow.mp4").landmarks
    res = analyze_landmarks(lm)
    assert not res.analysable and "slow-motion" in res.reason
    fixed = analyze_landmarks(lm, config=AnalysisConfig(capture_fps=240.0))
    # ../shared/README: at 240 fps this runner would be at about 143 steps/min
    assert fixed.events.cadence_spm == pytest.approx(143, abs=6)


def test_event_settings_are_documented():
    import dataclasses

    doc = EventSettings.__doc__
    for f in dataclasses.fields(EventSettings):
        assert f"{f.name} :" in doc, f.name
