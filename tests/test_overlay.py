"""Overlay video: codec, frame count and exact frame rate, drawing, atomic writes.

Synthetic runners (from ``test_markers``) drawn over a plain synthetic clip check the
drawing and the file format without MediaPipe; one integration test renders a real
portrait clip.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import video, write_test_clip
from test_markers import rear_runner, side_runner, stride_events

from gaitcheck.errors import GaitcheckError
from gaitcheck.kinematics import compute_kinematics
from gaitcheck.markers import compute_markers
from gaitcheck.overlay import (
    _ACCENT,
    SIDE_RGB,
    OverlayOptions,
    _Plan,
    render_overlay,
    video_rate,
)
from gaitcheck.pipeline import AnalysisConfig, AnalysisResult, analyze_landmarks

ODD_W, ODD_H = 641, 481  # odd on purpose: the overlay pads to even sides for yuv420p
RATE = Fraction(60000, 1001)  # 59.94: must be kept exactly, not rounded to 60
N = 130  # three strides per side


def synthetic_result(view: str, clip) -> AnalysisResult:
    """A side- or rear-view synthetic runner, analysed, pointing at ``clip``."""
    lm = side_runner(n=N)[0] if view == "side" else rear_runner(n=N)
    lm = replace(lm, image_size=(ODD_W, ODD_H))  # same normalised pose, scaled to the clip
    kin = compute_kinematics(lm)
    assert kin.view == view
    ev = stride_events(N)
    return AnalysisResult(landmarks=lm, kinematics=kin, events=ev, analysable=True, reason=None,
                          config=AnalysisConfig(), markers=compute_markers(kin, ev),
                          provenance={"video": str(clip)})


def write_clip(path, *, w=ODD_W, h=ODD_H, n=N, rate=RATE):
    base = np.full((h, w, 3), 110, np.uint8)

    def frames():
        for i in range(n):
            a = base.copy()
            a[:8, : 4 * (i % 100) + 4] = 200  # something that changes
            yield a

    # 4:4:4 allows odd sizes
    return write_test_clip(path, frames(), rate=rate, pix_fmt="yuv444p", preset="ultrafast")


def probe(path, keep=()):
    """Codec, pixel format, rate, size, decoded frame count and the frames in ``keep``."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n, frames = 0, {}
        for f in c.decode(s):
            if n in keep:
                frames[n] = f.to_ndarray(format="rgb24")
            n += 1
        return dict(codec=s.codec_context.name, pix_fmt=s.codec_context.pix_fmt,
                    rate=s.average_rate, width=s.width, height=s.height, n=n, frames=frames)


def near(img, rgb, tol=45) -> int:
    """Pixels within ``tol`` of a colour (after YUV 4:2:0 compression)."""
    return int((np.abs(img.astype(int) - np.array(rgb)).max(-1) < tol).sum())


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("overlay") / "synthetic.mp4")


@pytest.mark.parametrize("view", ["side", "rear"])
def test_synthetic_overlay_keeps_frames_and_exact_rate(tmp_path, clip, view):
    res = synthetic_result(view, clip)
    calls = []
    out = render_overlay(res, tmp_path / "overlay.mp4",
                         progress=lambda done, total: calls.append((done, total)))
    st = res.events.strides
    ic = int(st.loc[st["side"] == "l", "ic_frame"].iloc[0])
    info = probe(out, keep={ic})
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["n"] == N
    assert info["rate"] == RATE == video_rate(clip)
    assert (info["width"], info["height"]) == (ODD_W + 1, ODD_H + 1)
    assert calls and calls[-1] == (N, N)
    assert [p.name for p in tmp_path.iterdir()] == ["overlay.mp4"]  # no temporary file left
    # at a valid stride's initial contact: both side colours, and a marker in the accent colour
    frame = info["frames"][ic]
    assert near(frame, SIDE_RGB["l"]) > 50 and near(frame, SIDE_RGB["r"]) > 50
    assert near(frame, _ACCENT) > 20
    # the source was uniform grey below its top rows: the overlay drew the runner
    assert np.abs(frame[20:].astype(int) - 110).max() > 100


@pytest.mark.parametrize("view", ["side", "rear"])
def test_every_marker_kind_is_drawn_and_labels_avoid_the_legs(clip, view):
    res = synthetic_result(view, clip)
    plan = _Plan(res, RATE, OverlayOptions())
    kinds = {k for side in "lr" for _, k, _ in plan.inst[side]}
    assert kinds == ({"overstride", "pelvis", "hipext"} if view == "side"
                     else {"crossover", "drop"})
    blank = np.full((ODD_H, ODD_W, 3), 110, np.uint8)
    n_labels = 0
    for i in range(N):  # every frame draws without error; the panels stay off the legs
        plan.draw(blank.copy(), i)
        legs = plan.leg_box[i]
        for r in plan.layouts[plan.layout_of[i]]:
            assert not (r[0] < legs[2] and legs[0] < r[2] and r[1] < legs[3] and legs[1] < r[3])
        n_labels += len(plan.last_rects)
        for r in plan.last_rects:  # flag and marker labels
            assert not (r[0] < legs[2] and legs[0] < r[2] and r[1] < legs[3] and legs[1] < r[3])
    assert n_labels > N  # flags and marker values on most frames


def test_rear_view_holds_the_crossover_beside_the_pelvic_drop(clip):
    # the drop peaks during the contact (often at its first frame): it must not replace
    # the contact's crossover, the marker a rear view is filmed for
    res = synthetic_result("rear", clip)
    plan = _Plan(res, RATE, OverlayOptions())
    both = 0
    for side in "lr":
        inst = plan.inst[side]
        cross = [(j, f) for j, (f, kind, _) in enumerate(inst) if kind == "crossover"]
        drops = [f for f, kind, _ in inst if kind == "drop"]
        assert cross and drops
        for k, (j, f) in enumerate(cross):
            assert any(f <= d < f + plan.hold for d in drops)  # the case that hid it
            nxt = cross[k + 1][1] if k + 1 < len(cross) else plan.n
            for i in range(f, min(f + plan.hold, nxt, plan.n)):
                shown = plan.inst_active[side][:, i]
                assert j in shown, (side, f, i)
                both += {inst[m][1] for m in shown if m >= 0} == {"crossover", "drop"}
    assert both > 0


def test_slowmo_appends_one_stride_slowed_down(tmp_path, clip):
    res = synthetic_result("side", clip)
    opts = OverlayOptions()
    plan = _Plan(res, RATE, opts)
    sid, a, b = plan.slowmo_stride()
    assert bool(res.events.strides.loc[sid, "valid"])
    k = plan.slowmo_factor((sid, a, b))
    assert k >= 2
    out = render_overlay(res, tmp_path / "slow.mp4", slowmo=True, options=opts)
    info = probe(out, keep=set(range(N, N + k + 1)))
    assert info["n"] == N + (b - a + 1) * k
    assert info["rate"] == RATE
    # each slowed frame is written k times (equal up to the lossy coding), then the next one
    def diff(i, j):
        return np.abs(info["frames"][i].astype(int) - info["frames"][j].astype(int)).mean()

    assert diff(N, N + k - 1) < 1.0 < diff(N + k - 1, N + k)


def test_wrong_video_fails_and_writes_nothing(tmp_path, clip):
    other = write_clip(tmp_path / "other.mp4", w=320, h=240, n=5, rate=30)
    res = synthetic_result("side", clip)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(GaitcheckError, match="analysis was made on 641x481"):
        render_overlay(res, out_dir / "overlay.mp4", video=other)
    assert list(out_dir.iterdir()) == []
    with pytest.raises(GaitcheckError, match="does not record its video"):
        render_overlay(replace(res, provenance={}), out_dir / "overlay.mp4")


@pytest.mark.integration
def test_portrait_clip_overlay_is_browser_h264_with_the_input_timing(pose_of, tmp_path):
    name = "zzzhushi_treadmill_side_portrait_male_side.mp4"
    src = video(name)
    run = pose_of(name)
    res = analyze_landmarks(run.landmarks, pose=run)
    assert res.analysable
    out = render_overlay(res, tmp_path / "overlay.mp4")
    info = probe(out)
    with av.open(str(src)) as c:
        rate_in = c.streams.video[0].average_rate
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["n"] == 360 == res.landmarks.n_frames
    assert info["rate"] == rate_in == 30
    assert (info["width"], info["height"]) == (720, 1280)
    # no panel or label on the legs in any frame
    plan = _Plan(res, info["rate"], OverlayOptions())
    blank = np.zeros((1280, 720, 3), np.uint8)
    for i in range(plan.n):
        plan.draw(blank, i)  # the same buffer each time: only the placement is checked
        legs = plan.leg_box[i]
        if np.isfinite(legs).all():
            for r in [*plan.layouts[plan.layout_of[i]], *plan.last_rects]:
                assert not (r[0] < legs[2] and legs[0] < r[2] and r[1] < legs[3]
                            and legs[1] < r[3]), (i, r, legs)
