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
    res = mod.run(data, seeds=0, start_s=5.0, stop_s=15.0, fps_list=(), verbose=False,
                  toe_offsets_mm=())
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
    res = mod.run(data, seeds=3, fps_list=(60.0,), verbose=False, toe_offsets_mm=())
    noisy = res["noisy_60"]
    assert noisy["ic"]["within_1_frame"] >= 0.9 and noisy["to"]["within_1_frame"] >= 0.9
    assert noisy["ic"]["missed"] + noisy["ic"]["extra"] <= 0.02 * noisy["ic"]["n"]


def test_toe_off_bias_grows_as_the_toe_point_moves_to_the_tip():
    """The documented limit of the toe-off rule (events module, "Limits"), on force plates.

    Moving ``foot_index`` from the metatarsal heads towards the toe tip delays the
    detected toe-off (the tip is the last part of the foot to rise) and leaves the
    initial contact alone (it is found from the heel).
    """
    data = shared_path("mocap", "fukuchi2017")
    mod = load_script("validate_events_mocap")
    res = mod.run(data, seeds=0, start_s=5.0, stop_s=15.0, fps_list=(), verbose=False,
                  toe_offsets_mm=(0.0, 30.0, 60.0))
    sweep = res["toe_offset_sweep"]
    to = [sweep[k]["to_median_ms"] for k in ("0.0", "30.0", "60.0")]
    ic = [sweep[k]["ic_median_ms"] for k in ("0.0", "30.0", "60.0")]
    assert abs(to[0]) <= 7.0
    assert to[0] < to[1] < to[2] and to[2] >= 25.0
    assert max(ic) - min(ic) <= 3.0


def test_toe_point_height_at_toe_off_explains_the_bias():
    """``scripts/toe_off_profiles.py`` on the force plates: why the toe point matters.

    On the metatarsal heads the point is already up by about the contact band (2.2 %leg)
    when the force ends; at the toe tip it is still on its floor. The heel is the same
    marker in both runs, so its profile must not change.
    """
    from gaitcheck.mocap import contacts_in_landmark_time, fukuchi_contacts, fukuchi_side_landmarks

    data = shared_path("mocap", "fukuchi2017")
    mod = load_script("toe_off_profiles")
    raw = fukuchi_contacts(data)
    prof = {}
    for off in (0.0, 60.0):
        lm = fukuchi_side_landmarks(data, start_s=5.0, stop_s=15.0, toe_offset_mm=off)
        c = contacts_in_landmark_time(raw, lm)
        prof[off] = mod.profiles(lm, pd.DataFrame({"side": c["side"].str[0],
                                                   "t": c["to_time_s"]}))
    at_to = mod.OFFSETS_MS == 0.0
    assert 1.5 <= prof[0.0]["toe"][at_to][0] <= 3.0
    assert abs(prof[60.0]["toe"][at_to][0]) <= 0.5
    np.testing.assert_allclose(prof[0.0]["heel"], prof[60.0]["heel"])
    # the heel is rising through toe-off and the foot pitching heel-up
    assert np.all(np.diff(prof[0.0]["heel"]) > 0) and np.all(np.diff(prof[0.0]["pitch"]) < 0)


# ---- rear and front views (synthetic) ---------------------------------------------


def receding_rear_runner(*, fps=60.0, cadence_spm=170.0, duty=0.4, seconds=8.0, scale_end=0.5,
                         leg_px=300.0, noise_px=0.0, lost_s=0.0, seed=1):
    """A runner seen from behind, moving away from the camera, with exactly known contacts.

    The image scale falls linearly from 1 to ``scale_end`` (the runner recedes, so the feet
    rise in the image and shrink); the pelvis is lowest at each midstance (0.04 leg); in
    swing the heel rises 0.45 leg and the toe 0.3 leg. ``lost_s``: no pose in the first
    seconds (the runner out of frame). Returns landmarks and the true contacts.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    t = np.arange(n) / fps
    stride = 120.0 / cadence_spm
    w, h = 1280, 720
    k = np.linspace(1.0, scale_end, n)
    leg = leg_px * k
    cx, horizon = 640.0, 250.0  # camera at hip height: the hips stay on the horizon
    xyzv = np.full((n, N_LANDMARKS, 4), np.nan, np.float32)
    truth, phases, bob = [], {}, np.zeros(n)
    for side, phase0 in (("l", 0.0), ("r", 0.5)):
        ph = ((t / stride) + phase0) % 1.0  # 0 at initial contact
        phases[side] = ph
        bob += np.where(ph < duty, np.sin(np.pi * ph / duty), 0.0)
        for j in np.arange(np.ceil(-phase0), seconds / stride + 1):
            ic = (j - phase0) * stride
            if 0.1 < ic and ic + duty * stride < seconds - 0.1:
                truth.append((side, ic, ic + duty * stride))
    hip_y = horizon + 0.04 * leg * bob
    ground = horizon + 1.08 * leg
    for side, sgn in (("l", -1.0), ("r", 1.0)):  # from behind, the runner's left is image-left
        ph = phases[side]
        u = np.where(ph < duty, 0.0, (ph - duty) / (1 - duty))
        lift = np.where(ph < duty, 0.0, np.sin(np.pi * u) ** 1.5)
        x = cx + sgn * 0.12 * leg
        hip = np.column_stack([cx + sgn * 0.15 * leg, hip_y])
        ankle = np.column_stack([x, ground - 0.08 * leg - 0.45 * leg * lift])
        heel = np.column_stack([x, ground - 0.45 * leg * lift])
        toe = np.column_stack([x + sgn * 0.02 * leg, ground - 0.01 * leg - 0.3 * leg * lift])
        knee = 0.5 * (hip + ankle) - np.column_stack([np.zeros(n), 0.1 * leg * lift])
        ids = {"l": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
               "r": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL,
                     LM.RIGHT_FOOT_INDEX)}[side]
        for i, pts in zip(ids, (hip, knee, ankle, heel, toe), strict=True):
            xyzv[:, i] = np.column_stack([pts[:, 0] / w, pts[:, 1] / h, np.zeros(n),
                                          np.full(n, 0.95)])
    top = horizon - 1.05 * leg
    for i, dx, dy in ((LM.LEFT_SHOULDER, -0.37, 0.0), (LM.RIGHT_SHOULDER, 0.37, 0.0),
                      (LM.NOSE, 0.0, -0.27), (LM.LEFT_EAR, -0.1, -0.28),
                      (LM.RIGHT_EAR, 0.1, -0.28)):
        xyzv[:, i] = np.column_stack([(cx + dx * leg) / w, (top + dy * leg) / h, np.zeros(n),
                                      np.full(n, 0.95)])
    xyzv[:, LM.NOSE, 2:] = (0.2, 0.3)  # the face is turned away
    if noise_px:
        xyzv[:, :, :2] += rng.normal(0, noise_px, (n, N_LANDMARKS, 2)) * k[:, None, None] / (w, h)
    xyzv[: int(round(lost_s * fps))] = np.nan
    lm = Landmarks(xyzv=xyzv, world=None, fps=fps, time_s=t, image_size=(w, h), model="synthetic",
                   source="synthetic-rear")
    truth = pd.DataFrame(truth, columns=["side", "ic_time_s", "to_time_s"])
    return lm, truth.sort_values("ic_time_s").reset_index(drop=True)


@pytest.mark.parametrize("fps,noise_px", [(60.0, 0.0), (60.0, 2.0), (30.0, 2.0)])
def test_rear_view_runner_moving_away_events(fps, noise_px):
    lm, truth = receding_rear_runner(fps=fps, noise_px=noise_px)
    kin = compute_kinematics(lm)
    assert kin.view == "rear" and kin.direction == 0
    ev = detect_events(kin)
    assert len(ev.contacts) == len(truth)  # no missed or extra contacts
    sides = ev.contacts["side"].to_numpy()
    assert np.all(sides[1:] != sides[:-1]) and ev.info["contacts_relabelled"] == 0
    err = _match(ev, truth)
    # the lower-foot rule shares the flight between the feet (module docstring, "Limits"):
    # IC half a flight early, TO half a flight late, each within one frame of that
    half_flight = 0.5 * (60.0 / 170.0 - 0.4 * 120.0 / 170.0)
    frame = 1 / fps
    assert np.all(np.abs(err[:, 0] + half_flight) <= frame), err[:, 0]
    assert np.all(np.abs(err[:, 1] - half_flight) <= frame), err[:, 1]
    assert ev.cadence_spm == pytest.approx(170.0, abs=1.0)
    assert ev.strides["valid"].all()
    fr = ev.info["frontal"]
    assert fr["usable_segments"] == [[0, lm.n_frames]]
    assert fr["leg_px_start_end"][1] < 0.6 * fr["leg_px_start_end"][0]  # moving away
    res = analyze_landmarks(lm)
    assert res.analysable, res.reason
    summary = res.marker_summary
    for m in ("crossover_ic_pct_leg", "step_width_pct_leg", "pelvic_drop_deg"):
        assert summary.loc[(m, "both"), "measurable"], m


def test_rear_view_against_force_plates_keeps_the_rhythm_not_the_contact_lengths():
    """Fukuchi 2017 RBDS001 (2.5 m/s, 279 ms contacts) seen by a camera 2.5 m behind the
    treadmill, against the force plates. The lower-foot rule finds every contact and the
    cadence (156.4 steps/min on the plates), and initial contacts close to the plates
    (+15 ms at 150 Hz), but it cannot see the flight after toe-off: toe-offs come about
    130 ms late. This is the measurement behind reporting contact time, flight time and
    duty factor as not measurable from a rear view (their view_note in gaitcheck.markers): if
    a better rear-view rule brings toe-off within 40 ms, revisit that decision."""
    from gaitcheck.markers import compute_markers, summarize_markers
    from gaitcheck.mocap import contacts_in_landmark_time, fukuchi_contacts, fukuchi_rear_landmarks
    from gaitcheck.validation import match_events

    data = shared_path("mocap", "fukuchi2017")
    lm = fukuchi_rear_landmarks(data)
    kin = compute_kinematics(lm)
    assert kin.view == "rear" and kin.direction == 0
    ev = detect_events(kin)
    plates = contacts_in_landmark_time(fukuchi_contacts(data), lm)
    plates["side"] = plates["side"].str[0]
    errs = {}
    for key in ("ic_time_s", "to_time_s"):
        m = match_events(ev.contacts.rename(columns={key: "t"})[["side", "t"]],
                         plates.rename(columns={key: "t"})[["side", "t"]], key="t",
                         tolerance=0.15)
        assert len(m) >= 0.95 * len(plates) and m.attrs["extra"] <= 1, key
        errs[key] = 1000 * float(m["error"].median())
    assert -25.0 <= errs["ic_time_s"] <= 25.0, errs
    assert errs["to_time_s"] > 80.0, errs
    plate_cadence = 60.0 / float(np.median(np.diff(np.sort(plates["ic_time_s"]))))
    summary = summarize_markers(compute_markers(kin, ev), kin)
    assert summary.loc[("cadence_spm", "both"), "median"] == pytest.approx(plate_cadence,
                                                                             rel=0.01)
    for name in ("ground_contact_time_ms", "flight_time_ms", "duty_factor_pct"):
        assert not summary.loc[(name, "both"), "measurable"], name


def test_rear_view_ignores_frames_without_the_runner():
    lm, truth = receding_rear_runner(lost_s=1.0)
    ev = detect_events(compute_kinematics(lm))
    fr = ev.info["frontal"]
    assert fr["usable_segments"] == [[60, lm.n_frames]] and fr["usable_s"] == pytest.approx(7.0)
    # a contact needs the foot seen in the air for min_swing_s before its IC
    assert ev.contacts["ic_time_s"].min() >= 1.0 + EventSettings().min_swing_s
    seen = truth[truth["ic_time_s"] > 1.0 + EventSettings().min_swing_s + 0.1]
    assert len(ev.contacts) >= len(seen)


def test_rear_view_short_clip_is_refused_with_what_to_film():
    lm, _ = receding_rear_runner(seconds=1.6, scale_end=0.5)
    res = analyze_landmarks(lm)
    assert not res.analysable
    r = res.reason
    assert r.startswith("too few strides") and "Rear view" in r
    assert "moves away from the camera" in r and "from behind" in r and "side-on" not in r


def test_side_view_has_no_frontal_info():
    lm, _ = synthetic_runner(seconds=3.0)
    ev = detect_events(compute_kinematics(lm))
    assert "frontal" not in ev.info


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


# ---- rear and front views (real clips) --------------------------------------------

REAR_CLIP = "radluy_overground_rear_openpose_overlay_assembled.mp4"
#: Initial contacts of the rear clip, read by eye from crops of the feet (frames; +-2: the
#: feet are 20-40 px tall, blurred, and another tool's skeleton is drawn over them). The
#: runner's left foot is on image-left. Before frame 27 the runner is too close to the
#: ground-level camera (head and trunk above the top edge).
REAR_CLIP_IC = {"l": (34, 56, 78, 99.5), "r": (45.5, 66.5, 88)}


@pytest.mark.integration
def test_rear_clip_is_refused_with_the_evidence(pose_of):
    """The real rear clip cannot give four strides: the refusal says why and what to film.

    103 frames (3.4 s): the whole leg is tracked only in frames 27-102 (2.5 s) while the
    runner moves away (leg 293 -> 115 px); even by eye that holds at most five strides, and
    the full model loses most swings (the swinging foot is drawn near the ground).
    """
    res = analyze_landmarks(pose_of(REAR_CLIP).landmarks)
    kin, ev = res.kinematics, res.events
    assert kin.view == "rear" and kin.direction == 0
    fr = ev.info["frontal"]
    (a, b), = fr["usable_segments"]
    assert 20 <= a <= 30 and b == kin.n_frames and 2.0 <= fr["usable_s"] <= 2.8
    c = ev.contacts
    assert (c["ic_frame"] >= a + 3).all()  # nothing from the frames before the runner is in view
    assert not res.analysable and ev.info["valid_strides"] < 4
    r = res.reason
    assert r.startswith("too few strides") and "Rear view" in r
    assert f"frames {a}-{b - 1}" in r and "of the 3.4 s clip" in r
    assert "moves away from the camera" in r and "from behind" in r and "side-on" not in r


@pytest.mark.integration
def test_rear_clip_heavy_model_contacts_match_labels(pose_of):
    """With the heavy model the feet are tracked well enough to time five contacts, each
    within two frames of the labels; three strides are still too few to analyse."""
    res = analyze_landmarks(pose_of(REAR_CLIP, "heavy").landmarks)
    c = res.events.contacts
    assert len(c) >= 4
    sides = c["side"].to_numpy()
    assert np.all(sides[1:] != sides[:-1])
    for side, ic in zip(c["side"], c["ic_time_s"] * res.landmarks.fps, strict=True):
        assert np.min(np.abs(np.array(REAR_CLIP_IC[side]) - ic)) <= 2.0, (side, ic)
    assert not res.analysable and "too few strides" in res.reason


@pytest.mark.integration
def test_front_clip_contacts_alternate_at_the_legs_rhythm(pose_of):
    """The front-view stock clip: strictly alternating contacts whose cadence matches the
    legs' rhythm found without events; refused as slow motion (about 100 steps/min at the
    file's rate), not for its events."""
    res = analyze_landmarks(pose_of("divviarch_overground_front_approaching_istock_running.mp4"
                                    ).landmarks)
    ev = res.events
    assert res.kinematics.view == "front"
    sides = ev.contacts["side"].to_numpy()
    assert len(sides) >= 8 and np.all(sides[1:] != sides[:-1])
    assert ev.info["valid_strides"] >= 6
    assert ev.cadence_spm == pytest.approx(step_rate_spm(res.kinematics), rel=0.05)
    assert not res.analysable and "slow-motion" in res.reason


def test_event_settings_are_documented():
    import dataclasses

    doc = EventSettings.__doc__
    for f in dataclasses.fields(EventSettings):
        assert f"{f.name} :" in doc, f.name
