"""Real MediaPipe on real clips from ../shared (skipped when absent)."""

import json
import time

import av
import numpy as np
import pytest
from conftest import all_videos, video, write_test_clip

from gaitcheck.cli import main
from gaitcheck.landmarks import LM, load_landmarks
from gaitcheck.pipeline import estimate_landmarks

pytestmark = pytest.mark.integration


def _decodable(path):
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_treadmill_clip_full_detection(pose_of):
    run = pose_of("zzzhushi_treadmill_side_portrait_male_side.mp4")
    lm = run.landmarks
    assert lm.n_frames == 360 and lm.fps == 30.0
    assert lm.xyzv.dtype == np.float32 and lm.xyzv.shape == (360, 33, 4)
    assert lm.world is not None and lm.world.shape == (360, 33, 4)
    assert lm.detected_share == 1.0
    assert np.all(np.diff(lm.time_s) > 0)
    assert lm.image_size == (720, 1280)  # portrait, as decoded
    # the person is upright in the portrait frame: head above hips above feet
    y = lm.xyzv[:, :, 1]
    assert np.mean(y[:, LM.NOSE] < y[:, LM.LEFT_HIP]) > 0.99
    assert np.mean(y[:, LM.LEFT_HIP] < y[:, LM.LEFT_ANKLE]) > 0.99


def test_overground_50fps_has_nan_rows_where_runner_is_out_of_frame(pose_of):
    name = "cezaraandreea_overground_side_1080p50_run_test6.mp4"
    lm = pose_of(name).landmarks
    assert lm.fps == 50.0 and lm.n_frames == 272  # metadata says 276
    det = lm.detected
    assert not det[:10].any() and not det[-10:].any()  # empty frame at start and end
    assert 0.4 < det.mean() < 0.8
    assert np.isnan(lm.xyzv[~det]).all()  # a missing pose is a whole NaN row
    assert np.isfinite(lm.xyzv[det, :, :2]).all()


def test_handheld_portrait_clip_orientation(pose_of):
    lm = pose_of("cezaraandreea_overground_handheld_portrait_run_test2.mp4").landmarks
    assert lm.image_size == (406, 720)
    det = lm.detected
    y = lm.xyzv[det][:, :, 1]
    assert np.mean(y[:, LM.NOSE] < y[:, LM.LEFT_ANKLE]) > 0.95  # upright


def test_bystander_clip_follows_the_runner_in_every_frame(pose_of):
    lm = pose_of("cezaraandreea_treadmill_side_with_bystander_run_test1.mp4").landmarks
    assert lm.info["num_poses_used"] == 2  # the scan saw the coach
    assert lm.n_frames == 402 and lm.detected.all()
    hip_x = np.nanmean(lm.xyzv[:, [LM.LEFT_HIP, LM.RIGHT_HIP], 0], axis=1)
    # the runner stays on the treadmill (image x < 0.62); the coach stands at x ~ 0.75
    assert hip_x.max() < 0.62, hip_x.max()
    # no jump to another person between frames (hip moves < 5 % of the width per frame)
    assert np.abs(np.diff(hip_x)).max() < 0.05
    # and the followed person runs: the ankles swap places over and over
    sep = lm.xyzv[:, LM.LEFT_ANKLE, 0] - lm.xyzv[:, LM.RIGHT_ANKLE, 0]
    assert np.count_nonzero(np.diff(np.sign(sep[60:360])) != 0) >= 20


def test_single_person_clip_does_not_pay_for_two_poses(pose_of):
    lm = pose_of("zzzhushi_treadmill_side_portrait_male_side.mp4").landmarks
    assert lm.info["num_poses_used"] == 1


def test_cache_second_run_is_fast_and_identical(tmp_path, model_dir):
    clip = video("sports2d_overground_side_short_demo3.mp4")
    t0 = time.perf_counter()
    first = estimate_landmarks(clip, cache_dir=tmp_path, progress=False)
    t1 = time.perf_counter()
    second = estimate_landmarks(clip, cache_dir=tmp_path, progress=False)
    t2 = time.perf_counter()
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(first.landmarks.xyzv, second.landmarks.xyzv)
    assert t2 - t1 < t1 - t0  # the ratio itself is measured in scripts/bench_pose.py
    # a different model is a different cache entry
    third = estimate_landmarks(clip, cache_dir=tmp_path, model="lite", progress=False)
    assert not third.from_cache and third.landmarks.model == "lite"


@pytest.mark.parametrize("clip", all_videos(), ids=lambda p: p.name[:40])
def test_pose_cli_on_every_clip(clip, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["pose", str(clip), "-o", str(out), "-q"]) == 0
    lm = load_landmarks(out / "landmarks.npz")
    assert lm.n_frames == _decodable(clip)
    assert (out / "landmarks.csv").stat().st_size > 0
    print(f"{clip.name}: {lm.n_frames} frames, pose in {100 * lm.detected_share:.1f} %")


def test_analyze_writes_tables_and_pngs(tmp_path):
    clip = video("zzzhushi_treadmill_side_portrait_male_side.mp4")
    out = tmp_path / "res"
    assert main(["analyze", str(clip), "-o", str(out), "-q"]) == 0
    png = out / "landmark_traces.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    doc = json.loads((out / "analysis.json").read_text())
    assert doc["summary"]["n_frames"] == 360 and doc["summary"]["fps"] == 30.0
    assert doc["summary"]["analysable"] is True
    for name in ("kinematics.csv", "events.csv", "strides.csv", "events.png", "landmarks.npz"):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.parametrize("content", [b"", b"hello, I am a text file\n" * 10])
def test_bad_video_cli_one_line_nothing_written(tmp_path, capsys, content):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(content)
    out = tmp_path / "out"
    for cmd in ("pose", "analyze"):
        assert main([cmd, str(bad), "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("gaitcheck: error:") and "clip.mp4" in err[0]
        assert not out.exists()


def test_broken_model_cli_one_line_nothing_written(tmp_path, capsys):
    from conftest import shared_path

    clip = video("sports2d_overground_side_short_demo3.mp4")
    out = tmp_path / "out"
    broken = shared_path("models", "broken", "error_page_saved_as.task")
    assert main(["pose", str(clip), "-o", str(out), "--model", str(broken), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error_page_saved_as.task" in err[0]
    assert not out.exists()


def test_slow_motion_clip_is_refused_with_what_to_do(tmp_path, capsys):
    clip = video("mhuang24_treadmill_side_lab_480p_slow.mp4")
    out = tmp_path / "out"
    assert main(["analyze", str(clip), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--capture-fps" in err[0] and "slow-motion" in err[0]
    assert not out.exists()
    assert main(["analyze", str(clip), "-o", str(out), "-q", "--capture-fps", "240"]) == 0
    assert (out / "strides.csv").exists()


def test_clip_without_a_person_is_one_line_and_writes_nothing(tmp_path, capsys, model_dir):
    clip = tmp_path / "empty_room.mp4"
    # a plain, slowly brightening wall
    write_test_clip(clip, (np.full((240, 320, 3), 40 + i, np.uint8) for i in range(30)))
    dest = tmp_path / "out"
    assert main(["analyze", str(clip), "-o", str(dest), "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gaitcheck: error:") and "no person found" in err[0]
    assert not dest.exists()
