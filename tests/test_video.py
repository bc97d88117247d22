from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import video, write_test_clip

from gaitcheck.errors import VideoError
from gaitcheck.video import iter_frames, prefetch, probe_video


def _write_clip(path, *, w=64, h=32, n=6, rotation=None, fps=30):
    def frames():
        for i in range(n):
            a = np.zeros((h, w, 3), np.uint8)
            a[:, : w // 4] = 255  # a white band on the stored frame's left edge
            a[0, 0] = i
            yield a

    return write_test_clip(path, frames(), rate=fps, rotation=rotation)


def test_rotation_metadata_turns_frames_upright(tmp_path):
    # phones store portrait clips as landscape frames plus a display rotation
    clip = _write_clip(tmp_path / "rot.mp4", rotation=-90)  # shown rotated 90 deg clockwise
    meta = probe_video(clip)
    assert meta.rotation_deg == 270
    assert (meta.width, meta.height) == (32, 64) and meta.portrait
    frames = list(iter_frames(clip))
    assert len(frames) == 6
    f = frames[0].rgb
    assert f.shape == (64, 32, 3) and f.flags.c_contiguous
    # rotated clockwise, the stored left band ends up along the top edge
    assert f[:8, :, 0].mean() > 200 and f[-8:, :, 0].mean() < 50


def test_timestamps_and_fps_are_exact(tmp_path):
    clip = _write_clip(tmp_path / "ntsc.mp4", fps=Fraction(30000, 1001), n=10)
    meta = probe_video(clip)
    assert isinstance(meta.fps, float)
    assert meta.fps == pytest.approx(30000 / 1001, abs=1e-9)  # 29.97..., never 30
    t = np.array([f.time_s for f in iter_frames(clip)])
    assert t[0] == 0.0 and np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), 1001 / 30000, rtol=1e-6)


@pytest.mark.parametrize("content,what", [
    (b"", "empty"),
    (b"this is not a video, just text\n" * 20, "not a readable video"),
])
def test_bad_files_raise_one_line_errors(tmp_path, content, what):
    p = tmp_path / "bad.mp4"
    p.write_bytes(content)
    with pytest.raises(VideoError) as ei:
        probe_video(p)
    msg = str(ei.value)
    assert what in msg and str(p) in msg and "\n" not in msg


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        probe_video(tmp_path / "nope.mp4")
    with pytest.raises(VideoError, match="folder"):
        probe_video(tmp_path)


def test_audio_only_file_has_no_video_stream(tmp_path):
    p = tmp_path / "audio.mp4"
    out = av.open(str(p), "w")
    s = out.add_stream("aac", rate=16000)
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                       layout="mono")
    frame.sample_rate = 16000
    for pk in s.encode(frame):
        out.mux(pk)
    for pk in s.encode():
        out.mux(pk)
    out.close()
    with pytest.raises(VideoError, match="no video stream"):
        probe_video(p)


def test_prefetch_keeps_order_and_propagates_errors():
    assert list(prefetch(iter(range(100)), maxsize=3)) == list(range(100))

    def boom():
        yield 1
        raise RuntimeError("decoder broke")

    it = prefetch(boom())
    assert next(it) == 1
    with pytest.raises(RuntimeError, match="decoder broke"):
        next(it)


def test_prefetch_consumer_can_stop_early():
    it = prefetch(iter(range(10_000)), maxsize=2)
    assert next(it) == 0
    it.close()  # must not hang


# ---- real clips -------------------------------------------------------------------

def test_probe_real_clips_fps_is_not_rounded():
    meta = probe_video(video("mhuang24_treadmill_side_lab_480p_slow.mp4"))
    assert meta.fps == pytest.approx(30000 / 1001, abs=1e-9)
    assert (meta.width, meta.height) == (480, 360)


def test_portrait_clip_keeps_portrait_size():
    meta = probe_video(video("zzzhushi_treadmill_side_portrait_male_side.mp4"))
    assert (meta.width, meta.height) == (720, 1280) and meta.portrait


@pytest.mark.parametrize("name,decodable", [
    ("cezaraandreea_treadmill_side_with_bystander_run_test1.mp4", 402),  # metadata says 405
    ("cezaraandreea_overground_side_1080p50_run_test6.mp4", 272),  # metadata says 276
])
def test_frame_count_is_what_decodes(name, decodable):
    frames = [f.index for f in iter_frames(video(name))]
    assert len(frames) == decodable and frames == list(range(decodable))


def test_mpeg4_part2_and_vp9_decode():
    for name, codec in [("radluy_overground_rear_openpose_overlay_assembled.mp4", "mpeg4"),
                        ("sports2d_walking_multiperson_vp9_demo.mp4", "vp9")]:
        meta = probe_video(video(name))
        assert meta.codec == codec
        first = next(iter_frames(video(name)))
        assert first.rgb.shape == (meta.height, meta.width, 3)
