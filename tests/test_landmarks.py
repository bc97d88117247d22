import numpy as np
import pandas as pd
import pytest

from gaitcheck.landmarks import LM, N_LANDMARKS, Landmarks, load_landmarks


def _lm(n=5, nan_rows=(1,)):
    rng = np.random.default_rng(20261121)
    xyzv = rng.random((n, N_LANDMARKS, 4)).astype(np.float32)
    xyzv[list(nan_rows)] = np.nan
    return Landmarks(xyzv=xyzv, world=xyzv.copy(), fps=29.97002997,
                     time_s=np.arange(n) / 29.97002997, image_size=(640, 480),
                     model="full", source="x.mp4", info={"a": 1})


def test_enum_matches_mediapipe_indices():
    assert LM.LEFT_HIP == 23 and LM.RIGHT_HIP == 24
    assert LM.LEFT_HEEL == 29 and LM.RIGHT_FOOT_INDEX == 32
    assert len(LM) == N_LANDMARKS


def test_detected_mask_and_share():
    lm = _lm(n=4, nan_rows=(1, 3))
    assert lm.detected.tolist() == [True, False, True, False]
    assert lm.detected_share == 0.5


def test_pixels_scale_by_image_size():
    lm = _lm()
    px = lm.pixels()
    assert np.allclose(px[0, :, 0], lm.xyzv[0, :, 0] * 640, rtol=1e-6)
    assert np.allclose(px[0, :, 1], lm.xyzv[0, :, 1] * 480, rtol=1e-6)


def test_save_load_roundtrip_keeps_fps_unrounded(tmp_path):
    lm = _lm()
    path = lm.save(tmp_path / "lm.npz")
    back = load_landmarks(path)
    assert back.fps == 29.97002997
    np.testing.assert_array_equal(back.xyzv, lm.xyzv)
    np.testing.assert_array_equal(back.world, lm.world)
    assert back.image_size == (640, 480) and back.info == {"a": 1}
    assert not list(tmp_path.glob("*.part"))  # atomic write left no temp file


def test_csv_equals_tidy_frame(tmp_path):
    lm = _lm(n=3, nan_rows=(1,))
    lm.write_csv(tmp_path / "t.csv")
    got = pd.read_csv(tmp_path / "t.csv")
    exp = lm.to_frame()
    assert list(got.columns) == ["frame", "time_s", "landmark", "x", "y", "z", "visibility"]
    assert len(got) == 3 * N_LANDMARKS
    assert (got.landmark.to_numpy() == exp.landmark.astype(str).to_numpy()).all()
    np.testing.assert_allclose(got.x.to_numpy(), exp.x.to_numpy(), rtol=1e-5)
    assert got.loc[got.frame == 1, ["x", "y", "z", "visibility"]].isna().all().all()


def test_shape_is_validated():
    with pytest.raises(ValueError):
        Landmarks(xyzv=np.zeros((2, 17, 4), np.float32), world=None, fps=30.0,
                  time_s=np.zeros(2), image_size=(1, 1), model="m", source="s")
