"""Tests of gaitcheck.mocap on the Fukuchi et al. (2017) treadmill data (PeerJ 5:e3298).

The data set is third-party (CC BY 4.0) and lives outside the repository: in
``$GAITCHECK_TEST_DATA/mocap/fukuchi2017`` or ``../shared/mocap/fukuchi2017`` beside the repo.
Tests that need it skip with the reason when it is absent; the rest use synthetic input.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gaitcheck import mocap
from gaitcheck.landmarks import LM, Landmarks, load_landmarks

DATA_ROOT = Path(
    os.environ.get("GAITCHECK_TEST_DATA", Path(__file__).resolve().parents[1].parent / "shared")
)
FUKUCHI = DATA_ROOT / "mocap" / "fukuchi2017"
FILES = ("RBDS001runT25markers.txt", "RBDS001runT25forces.txt", "RBDS001static.txt",
         "RBDS001processed.txt", "RBDSinfo.txt")  # fmt: skip

SIMULATED = [f"{side}_{j}" for side in ("left", "right")
             for j in ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")]  # fmt: skip
SIM_IDX = np.array([LM[n.upper()] for n in SIMULATED])


@pytest.fixture(scope="module")
def data_dir() -> Path:
    missing = [f for f in FILES if not (FUKUCHI / f).is_file()]
    if missing:
        pytest.skip(
            f"Fukuchi 2017 mocap files not found in {FUKUCHI} ({', '.join(missing)}); "
            "set GAITCHECK_TEST_DATA to the shared test-data folder"
        )
    return FUKUCHI


@pytest.fixture(scope="module")
def trial(data_dir: Path) -> mocap.FukuchiTrial:
    return mocap.load_fukuchi_trial(data_dir)


@pytest.fixture(scope="module")
def skeleton(trial: mocap.FukuchiTrial) -> mocap.Skeleton3D:
    return mocap.reconstruct_skeleton(
        trial.markers, trial.static, trial.time_s, height_mm=trial.height_mm
    )


@pytest.fixture(scope="module")
def contacts(trial: mocap.FukuchiTrial):
    return mocap.force_plate_contacts(trial.forces, (trial.time_s, trial.markers))


@pytest.fixture(scope="module")
def lm150(data_dir: Path) -> Landmarks:
    return mocap.fukuchi_side_landmarks(data_dir)


# --- readers ---------------------------------------------------------------------------


def test_readers_shapes_and_clocks(trial: mocap.FukuchiTrial) -> None:
    assert trial.rate_hz == 150.0
    assert trial.time_s.shape == (4500,)
    assert trial.time_s[0] == 0.0
    np.testing.assert_allclose(np.diff(trial.time_s), 1 / 150)
    assert all(v.shape == (4500, 3) for v in trial.markers.values())
    f = trial.forces
    assert len(f) == 9000
    assert f["time_s"].iloc[0] == 0.0
    assert f["time_s"].iloc[-1] == pytest.approx(8999 / 300)
    # both clocks cover the same 30 s
    assert f["time_s"].iloc[-1] == pytest.approx(trial.time_s[-1] + 1 / 300)
    assert {"Fx", "Fy", "Fz", "COPx", "COPz", "Ty"} <= set(f.columns)
    assert trial.height_mm == 1810.0 and trial.mass_kg == 62.0


def test_marker_sets(trial: mocap.FukuchiTrial) -> None:
    run, static = set(trial.markers), set(trial.static)
    anatomical = {f"{s}.{m}" for s in "RL"
                  for m in ("GTR", "Knee", "Knee.Medial", "Ankle", "Ankle.Medial")}  # fmt: skip
    assert anatomical <= static
    assert not anatomical & run  # running trial: tracking clusters only
    assert {"R.Thigh.Top.Lateral", "L.Shank.Bottom.Medial", "R.MT1", "L.Heel.Bottom"} <= run
    assert run <= static


def test_processed_columns(data_dir: Path) -> None:
    p = mocap.read_fukuchi_processed(data_dir / "RBDS001processed.txt")
    assert list(p.index) == list(range(101))
    summ = mocap.processed_summary(p, side="R", speed="25")
    assert summ["toe_off_pct"] == 41.0
    assert summ["knee_flexion_ic_deg"] == pytest.approx(13.4, abs=0.1)
    assert 35 < summ["knee_flexion_peak_stance_deg"] < 50
    assert summ["ankle_dorsiflexion_ic_deg"] < 0  # forefoot striker lands plantarflexed


# --- rigid clusters and anatomical points ----------------------------------------------


def _random_rotations(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    return q


def test_fit_rigid_recovers_known_pose() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 50, (4, 3))
    rot = _random_rotations(rng, 20)
    trans = rng.normal(0, 500, (20, 3))
    moving = np.einsum("nij,kj->nki", rot, ref) + trans[:, None]
    moving[5, 2] = np.nan
    r, t, rms = mocap.fit_rigid(ref, moving)
    ok = np.arange(20) != 5
    np.testing.assert_allclose(r[ok], rot[ok], atol=1e-9)
    np.testing.assert_allclose(t[ok], trans[ok], atol=1e-6)
    assert np.all(rms[ok] < 1e-6)
    assert np.isnan(r[5]).all() and np.isnan(rms[5])


def test_fill_short_gaps() -> None:
    a = np.arange(10.0)[:, None].repeat(2, axis=1)
    a[2, 0] = np.nan
    a[4:9, 1] = np.nan
    out = mocap._fill_short_gaps(a, 2)
    assert out[2, 0] == 2.0
    assert np.isnan(out[4:9, 1]).all()  # a 5-sample gap is left alone


def test_reconstructed_points_are_rigid_with_clusters(
    trial: mocap.FukuchiTrial, skeleton: mocap.Skeleton3D
) -> None:
    for s, side in (("R", "right"), ("L", "left")):
        for point, seg in (("knee", "Thigh"), ("hip", "Thigh"), ("ankle", "Shank")):
            p = skeleton.points[f"{side}_{point}"]
            for m in ("Top.Lateral", "Bottom.Lateral", "Top.Medial", "Bottom.Medial"):
                d = np.linalg.norm(p - trial.markers[f"{s}.{seg}.{m}"], axis=1)
                assert np.nanstd(d) < 1.0, (side, point, m)  # mm; cluster deformation only
    for v in skeleton.info["cluster_rms_mm"].values():
        assert v < 6.0


def test_segment_lengths_plausible(skeleton: mocap.Skeleton3D) -> None:
    p = skeleton.points
    for side in ("right", "left"):
        thigh = np.linalg.norm(p[f"{side}_hip"] - p[f"{side}_knee"], axis=1)
        shank = np.linalg.norm(p[f"{side}_knee"] - p[f"{side}_ankle"], axis=1)
        # 181 cm runner: trochanter-epicondyle ~0.245 H, epicondyle-malleolus ~0.246 H
        assert 400 < thigh.mean() < 480
        assert 390 < shank.mean() < 470
        # knee and ankle come from different clusters: only soft-tissue artefact varies it
        assert shank.std() < 10
    assert np.isfinite(np.stack(list(p.values()))).all()


# --- contacts ----------------------------------------------------------------------------


def test_contacts_alternate_with_plausible_times(contacts) -> None:
    c = contacts
    assert 70 <= len(c) <= 80
    side = c["side"].to_numpy()
    assert set(side) == {"right", "left"}
    assert np.all(side[1:] != side[:-1])  # strictly alternating
    assert (c["side_cop"] == c["side"]).all()  # centre of pressure agrees with markers
    ct = c["contact_time_ms"]
    assert 250 < ct.mean() < 300  # forefoot striker at 2.5 m/s
    assert ct.between(200, 330).all()
    assert c["flight_before_ms"].iloc[1:].between(50, 160).all()
    stride_s = np.diff(c.loc[c["side"] == "right", "ic_time_s"]).mean()
    assert 0.65 < stride_s < 0.85
    assert len(c) == pytest.approx(2 * 30.0 / stride_s, abs=3)
    means = c.groupby("side")["contact_time_ms"].mean()
    assert abs(means["right"] - means["left"]) < 10


def test_threshold_crossings_are_subsample(trial: mocap.FukuchiTrial, contacts) -> None:
    f = trial.forces
    fy_at_ic = np.interp(contacts["ic_time_s"], f["time_s"], f["Fy"])
    np.testing.assert_allclose(fy_at_ic, 50.0, atol=1e-6)
    on_grid = np.isclose((contacts["ic_time_s"] * 300) % 1, 0)
    assert on_grid.mean() < 0.2


def test_force_and_marker_clocks_agree(trial: mocap.FukuchiTrial) -> None:
    r = mocap.force_marker_lag(trial.time_s, trial.markers, trial.forces, mass_kg=trial.mass_kg)
    assert r["correlation"] > 0.95
    assert abs(r["lag_s"]) < 1.5 / 150  # within about a marker frame
    assert r["mean_force_n"] == pytest.approx(r["weight_n"], rel=0.03)


# --- side-camera landmarks ------------------------------------------------------------------


def test_side_landmarks_shape_nans_and_geometry(lm150: Landmarks) -> None:
    lm = lm150
    assert lm.xyzv.shape == (4500, 33, 4) and lm.xyzv.dtype == np.float32
    assert lm.fps == 150.0 and lm.time_s[0] == 0.0 and lm.info["mocap_t0_s"] == 0.0
    assert lm.model == "mocap:fukuchi2017" and lm.source == "RBDS001runT25"
    assert lm.image_size == (1280, 720) and lm.world is None
    assert np.isfinite(lm.xyzv[:, SIM_IDX]).all()
    others = np.setdiff1d(np.arange(33), SIM_IDX)
    assert np.isnan(lm.xyzv[:, others]).all()
    assert lm.detected.all()
    xy = lm.xyzv[:, SIM_IDX, :2]
    assert (xy > 0).all() and (xy < 1).all()
    med = np.median(lm.pixels(), axis=0)
    for side in ("LEFT", "RIGHT"):
        ys = [med[LM[f"{side}_{j}"], 1] for j in ("SHOULDER", "HIP", "KNEE", "ANKLE")]
        assert ys == sorted(ys)  # y grows downwards
    # right side near camera: runner faces image-right, toe ahead of heel in stance
    assert lm.info["facing"] == 1
    px = lm.pixels()
    assert np.median(px[:, LM.RIGHT_FOOT_INDEX, 0] - px[:, LM.RIGHT_HEEL, 0]) > 20
    # runner's height ~70 % of the image height
    assert lm.info["scale_px_per_mm"] * 1810 == pytest.approx(0.7 * 720)
    assert px[:, LM.RIGHT_HEEL, 1].max() < 0.85 * 720  # heel marker above the belt line
    vis = lm.xyzv[0, :, 3]
    assert vis[LM.RIGHT_KNEE] == 1.0 and vis[LM.LEFT_KNEE] == pytest.approx(0.8)
    z = lm.xyzv[:, :, 2]
    assert np.mean(z[:, LM.RIGHT_ANKLE] < z[:, LM.LEFT_ANKLE]) > 0.95  # near = smaller z


def test_left_camera_slice_and_save(data_dir: Path, tmp_path: Path) -> None:
    lm = mocap.fukuchi_side_landmarks(data_dir, near_side="left", start_s=10.0, stop_s=13.0)
    assert lm.n_frames == 450
    assert lm.info["mocap_t0_s"] == pytest.approx(10.0)
    assert lm.info["facing"] == -1
    px = lm.pixels()
    assert np.median(px[:, LM.LEFT_FOOT_INDEX, 0] - px[:, LM.LEFT_HEEL, 0]) < -20
    assert lm.xyzv[0, LM.LEFT_ANKLE, 3] == 1.0 and lm.xyzv[0, LM.RIGHT_ANKLE, 3] < 1.0
    back = load_landmarks(lm.save(tmp_path / "lm.npz"))
    np.testing.assert_array_equal(back.xyzv, lm.xyzv)
    assert back.info["near_side"] == "left"
    with pytest.raises(ValueError):
        mocap.fukuchi_side_landmarks(data_dir, camera=mocap.SideCamera(), near_side="left")


def test_perspective_camera_magnifies_near_leg(skeleton: mocap.Skeleton3D) -> None:
    sk = mocap.Skeleton3D(
        time_s=skeleton.time_s[:300], points={k: v[:300] for k, v in skeleton.points.items()}
    )
    ortho = mocap.SideCamera().project(sk, height_mm=1810).pixels()
    persp = mocap.SideCamera(distance_m=3.0).project(sk, height_mm=1810).pixels()

    def spread(px: np.ndarray, i: int) -> float:
        return float(np.ptp(px[:, i, 0]))

    assert spread(persp, LM.RIGHT_ANKLE) > spread(ortho, LM.RIGHT_ANKLE)  # near leg larger
    assert spread(persp, LM.LEFT_ANKLE) < spread(ortho, LM.LEFT_ANKLE)


def test_rear_camera_sees_right_on_the_right_and_a_stance_foot_slide_down(
        skeleton: mocap.Skeleton3D) -> None:
    sk = mocap.Skeleton3D(
        time_s=skeleton.time_s[:300], points={k: v[:300] for k, v in skeleton.points.items()}
    )
    px = mocap.RearCamera().project(sk, height_mm=1810).pixels()
    assert np.all(px[:, LM.RIGHT_HIP, 0] > px[:, LM.LEFT_HIP, 0])  # seen from behind
    # the lowest heel samples are on the belt; there, nearer the camera (further back,
    # smaller lab X) means lower in the image
    x = sk.points["right_heel"][:, 0]
    y_lab = sk.points["right_heel"][:, 1]
    on_belt = y_lab <= np.nanpercentile(y_lab, 10)
    r = np.corrcoef(x[on_belt], px[on_belt, LM.RIGHT_HEEL, 1])[0, 1]
    assert r < -0.9
    with pytest.raises(ValueError, match="distance_m"):
        mocap.RearCamera(distance_m=0.0)


def test_2d_knee_angle_matches_authors_curves(data_dir: Path, lm150: Landmarks, contacts) -> None:
    px = lm150.pixels()
    u = px[:, LM.RIGHT_HIP] - px[:, LM.RIGHT_KNEE]
    v = px[:, LM.RIGHT_ANKLE] - px[:, LM.RIGHT_KNEE]
    cos = np.sum(u * v, axis=1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    flex = 180 - np.degrees(np.arccos(cos))
    right = contacts[contacts["side"] == "right"]
    t = lm150.time_s + lm150.info["mocap_t0_s"]
    at_ic = np.interp(right["ic_time_s"], t, flex).mean()
    stance = zip(right["ic_time_s"], right["to_time_s"], strict=True)
    peak = np.mean([flex[(t >= a) & (t <= b)].max() for a, b in stance])
    ref = mocap.processed_summary(mocap.read_fukuchi_processed(data_dir / "RBDS001processed.txt"))
    assert at_ic == pytest.approx(ref["knee_flexion_ic_deg"], abs=4)
    assert peak == pytest.approx(ref["knee_flexion_peak_stance_deg"], abs=4)


# --- resampling ---------------------------------------------------------------------------


def test_resample_frame_counts_and_clock(lm150: Landmarks, contacts) -> None:
    for fps, n in ((30, 900), (60, 1800), (120, 3600)):
        r = mocap.resample_landmarks(lm150, fps, seed=fps)
        assert n - 1 <= r.n_frames <= n
        phase = r.info["resample"]["phase_s"]
        assert 0 <= phase < 1 / fps
        assert r.info["mocap_t0_s"] == pytest.approx(phase)
        np.testing.assert_allclose(r.time_s, np.arange(r.n_frames) / fps)
        assert r.fps == fps
    c = mocap.contacts_in_landmark_time(contacts, r)
    assert len(c) >= len(contacts) - 1
    assert (c["ic_time_s"] >= 0).all()


def test_resample_hits_original_samples(lm150: Landmarks) -> None:
    r = mocap.resample_landmarks(lm150, 50.0, phase_s=0.0)
    every_third = lm150.xyzv[::3][: r.n_frames, SIM_IDX]
    np.testing.assert_allclose(r.xyzv[:, SIM_IDX], every_third, atol=1e-6)
    assert np.isnan(r.xyzv[:, LM.NOSE]).all()


# --- noise model (synthetic landmarks, no data needed) ---------------------------------------


def _still_landmarks(n: int = 6000, fps: float = 60.0, size=(1280, 720)) -> Landmarks:
    xyzv = np.full((n, 33, 4), np.nan, np.float32)
    xyzv[:, SIM_IDX, 0] = 0.5
    xyzv[:, SIM_IDX, 1] = 0.5
    xyzv[:, SIM_IDX, 2] = 0.0
    xyzv[:, SIM_IDX, 3] = 1.0
    return Landmarks(xyzv=xyzv, world=None, fps=fps, time_s=np.arange(n) / fps,
                     image_size=size, model="test", source="test",
                     info={"near_side": "right"})  # fmt: skip


def _noise_px(noisy: Landmarks, clean: Landmarks) -> np.ndarray:
    return noisy.pixels() - clean.pixels()


NEAR = np.array([LM[f"RIGHT_{j}"] for j in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")])
FAR = np.array([LM[f"LEFT_{j}"] for j in ("HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")])


def test_white_noise_sigma() -> None:
    clean = _still_landmarks()
    nm = mocap.NoiseModel(white_px=2.0, far_white_px=4.5, jitter_px=0.0, far_jitter_px=0.0)
    d = _noise_px(mocap.add_pose_noise(clean, nm, rng=1), clean)
    assert d[:, NEAR].std() == pytest.approx(2.0, rel=0.03)
    assert d[:, FAR].std() == pytest.approx(4.5, rel=0.03)
    lag1 = np.corrcoef(d[1:, NEAR].ravel(), d[:-1, NEAR].ravel())[0, 1]
    assert abs(lag1) < 0.03
    assert np.isnan(d[:, LM.NOSE]).all()
    # amplitudes are at 720 p and scale with the image height
    big = _still_landmarks(size=(1920, 1080))
    d_big = _noise_px(mocap.add_pose_noise(big, nm, rng=1), big)
    assert d_big[:, NEAR].std() == pytest.approx(3.0, rel=0.03)


def test_correlated_jitter_sigma_and_time_constant() -> None:
    clean = _still_landmarks()
    nm = mocap.NoiseModel(white_px=0.0, far_white_px=0.0, jitter_px=3.0, far_jitter_px=4.0,
                          jitter_tau_s=0.1)  # fmt: skip
    d = _noise_px(mocap.add_pose_noise(clean, nm, rng=2), clean)
    assert d[:, NEAR].std() == pytest.approx(3.0, rel=0.08)
    assert d[:, FAR].std() == pytest.approx(4.0, rel=0.08)
    lag1 = np.mean([np.corrcoef(d[1:, i, k], d[:-1, i, k])[0, 1] for i in NEAR for k in (0, 1)])
    assert lag1 == pytest.approx(np.exp(-1 / (60 * 0.1)), abs=0.03)


def test_default_noise_model_totals() -> None:
    clean = _still_landmarks()
    d = _noise_px(mocap.add_pose_noise(clean, mocap.NoiseModel(), rng=3), clean)
    assert d[:, NEAR].std() == pytest.approx(np.hypot(2.0, 3.0), rel=0.08)
    assert d[:, FAR].std() == pytest.approx(np.hypot(4.5, 4.0), rel=0.08)


def test_left_right_swaps() -> None:
    clean = _still_landmarks(n=3000)
    xyzv = clean.xyzv.copy()
    xyzv[:, FAR, 0] = 0.25  # far (left) leg drawn apart from the near one
    clean = Landmarks(xyzv=xyzv, world=None, fps=60.0, time_s=clean.time_s,
                      image_size=(1280, 720), model="t", source="t",
                      info={"near_side": "right"})  # fmt: skip
    assert mocap.add_pose_noise(clean, mocap.NoiseModel.none(), rng=0).info["swapped_frames"] == 0
    nm = mocap.NoiseModel(white_px=0, far_white_px=0, jitter_px=0, far_jitter_px=0,
                          swap_rate_hz=1.0, swap_frames=(2, 6))  # fmt: skip
    noisy = mocap.add_pose_noise(clean, nm, rng=4)
    swapped = noisy.xyzv[:, LM.LEFT_KNEE, 0] == 0.5
    assert swapped.sum() == noisy.info["swapped_frames"]
    assert 0.03 < swapped.mean() < 0.1  # ~1 event/s x 4 frames / 60 fps
    assert (noisy.xyzv[swapped, LM.RIGHT_KNEE, 0] == 0.25).all()
    assert (noisy.xyzv[:, LM.LEFT_HIP, 0] == 0.25).all()  # hips are not swapped


def test_resample_with_noise_is_reproducible(lm150: Landmarks) -> None:
    a = mocap.resample_landmarks(lm150, 60, noise=mocap.NoiseModel(), seed=7)
    b = mocap.resample_landmarks(lm150, 60, noise=mocap.NoiseModel(), seed=7)
    clean = mocap.resample_landmarks(lm150, 60, phase_s=a.info["resample"]["phase_s"])
    np.testing.assert_array_equal(a.xyzv, b.xyzv)
    d = a.pixels()[:, NEAR] - clean.pixels()[:, NEAR]
    assert d.std() == pytest.approx(np.hypot(2.0, 3.0), rel=0.1)
