"""Synthetic runner: the model's exact truth, the renderer, the CLI, and end to end.

The end-to-end tests run the real MediaPipe (full model) on rendered clips; the truth
beside each clip is exact, so these are the only tests where every landmark, event and
marker value is known. They check what the synthetic clips can prove today (the figure
is found in every frame, joints land within a stated pixel error, the clip is analysed,
cadence is right, each fault's marker is flagged and the clean runner's are not) and
leave the figures of merit to ``scripts/validate_synth.py``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from gaitcheck.findings import classify, load_bands
from gaitcheck.landmarks import LM
from gaitcheck.synth import (
    FAULT_MARKERS,
    FAULT_VIEW,
    FAULTS,
    GaitModel,
    camera_for_view,
    runner_params,
    truth_events,
    truth_markers,
)
from gaitcheck.synth_render import SynthSpec, render_clip, render_frames, truth_document

SIDE_BAND_MARKERS = (
    "overstride_ic_pct_leg", "shank_angle_ic_deg", "hip_extension_deg", "knee_flexion_ic_deg",
    "knee_flexion_peak_stance_deg", "knee_flexion_excursion_deg", "trunk_lean_deg",
    "pelvis_behind_foot_ms_pct_leg", "cadence_spm",
)
REAR_BAND_MARKERS = ("crossover_ic_pct_leg", "step_width_pct_leg", "pelvic_drop_deg")


# --------------------------------------------------------------------------------------
# the model (no rendering)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_model_is_physically_consistent(fault: str) -> None:
    m = GaitModel(runner_params(fault))
    c = m.check()
    assert c["max_reach"] <= 1.0 + 1e-3, "the leg would have to stretch"
    assert c["min_swing_heel_m"] > -0.005 and c["min_swing_toe_m"] > -0.005, "foot in the belt"
    # in stance the contact point rides the belt: on y = 0 and moving at -speed
    tau = np.linspace(0.0, m.contact_s, 200)[1:-1]
    t = m.ic0["r"] + tau
    j = m.joints(t)
    heel_on = tau < m.p.heel_off_share * m.contact_s
    pivot = np.where(heel_on[:, None], j["r_heel_sole"], j["r_toe_sole"])
    assert np.abs(pivot[:, 1]).max() < 1e-9
    vx = np.gradient(pivot[:, 0], t)
    inner = np.abs(tau - m.p.heel_off_share * m.contact_s) > 2 * (tau[1] - tau[0])
    np.testing.assert_allclose(vx[inner][1:-1], -m.p.speed_mps, rtol=1e-6)
    # both sides are the same runner half a stride apart
    jl = m.joints(m.ic0["l"] + tau)
    np.testing.assert_allclose(jl["l_heel_sole"][:, :2], j["r_heel_sole"][:, :2], atol=1e-9)


def test_truth_events_alternate_at_the_cadence() -> None:
    m = GaitModel(runner_params("none", cadence_spm=176.0), phase_s=0.2)
    ev = truth_events(m, 0.0, 10.0, 60.0)
    ics = [e for e in ev if e["event"] == "ic"]
    sides = [e["side"] for e in ics]
    assert all(a != b for a, b in zip(sides, sides[1:], strict=False))
    steps = np.diff([e["time_s"] for e in ics])
    np.testing.assert_allclose(steps, 60.0 / 176.0, atol=1e-9)
    for e in ev:
        assert e["frame"] == round(e["time_s"] * 60.0)
    # each toe-off follows its foot's contact by the contact time
    for e in ics:
        to = [x for x in ev if x["event"] == "to" and x["side"] == e["side"]
              and 0 < x["time_s"] - e["time_s"] < m.stride_s]
        if to:
            assert to[0]["time_s"] - e["time_s"] == pytest.approx(m.contact_s)


def test_clean_runner_is_ok_and_every_fault_crosses_its_flag_band() -> None:
    bands = load_bands()
    clean_side = truth_markers(GaitModel(runner_params("none")), camera_for_view("side"), "side")
    clean_rear = truth_markers(GaitModel(runner_params("none")), camera_for_view("rear"), "rear")
    for name in SIDE_BAND_MARKERS:
        assert classify(clean_side[name], bands[name])[0] == "ok", name
    for name in REAR_BAND_MARKERS:
        assert classify(clean_rear[name], bands[name])[0] == "ok", name
    for fault, wanted in FAULT_MARKERS.items():
        if not wanted:
            continue
        view = FAULT_VIEW.get(fault, "side")
        tm = truth_markers(GaitModel(runner_params(fault)), camera_for_view(view), view)
        for name in wanted:
            band = bands[name]
            assert classify(tm[name], band)[0] == "flag", (fault, name, tm[name])
            # ...and with room to spare: past the flag threshold by at least 5 units
            # (%leg or deg), more than the marker's measurement error on the clips
            flag = band.flag if not isinstance(band.flag, tuple) else band.flag[1]
            margin = (tm[name] - flag) if band.direction == "high" else (flag - tm[name])
            assert margin >= 5.0, (fault, name, tm[name], flag)


def test_default_runner_gives_what_the_module_docstring_says() -> None:
    """gaitcheck.synth states what the fault-free defaults produce (and that the bounce is
    below the published 7-8 cm); this keeps those sentences true if a default changes."""
    m = GaitModel(runner_params("none"))
    t = np.linspace(0.0, 2 * m.stride_s, 4001)
    j = m.joints(t)

    def from_down(a: str, b: str) -> np.ndarray:
        v = j[b] - j[a]
        return np.degrees(np.arctan2(v[:, 0], -v[:, 1]))

    thigh = from_down("r_hip", "r_knee")
    knee = thigh - from_down("r_knee", "r_ankle")
    tm = truth_markers(m, camera_for_view("side"), "side")
    assert tm["knee_flexion_ic_deg"] == pytest.approx(16.0, abs=0.5)
    assert tm["knee_flexion_peak_stance_deg"] == pytest.approx(38.0, abs=0.5)
    assert knee.max() == pytest.approx(109.0, abs=1.0)
    assert thigh.max() == pytest.approx(49.0, abs=1.0)
    assert thigh.min() == pytest.approx(-18.0, abs=1.0)
    assert m.contact_s == pytest.approx(0.20, abs=0.005)
    pelvis_y = j["pelvis"][:, 1]
    assert pelvis_y.max() - pelvis_y.min() == pytest.approx(0.049, abs=0.001)
    assert tm["vertical_oscillation_pct_leg"] == pytest.approx(5.7, abs=0.1)


def test_truth_markers_follow_the_model_parameters() -> None:
    # overstride in %leg is what the model was told (the side camera barely distorts it)
    for pct in (5.0, 20.0, 30.0):
        m = GaitModel(runner_params("none", heel_ahead_pct_leg=pct, knee_ic_deg=10.0))
        tm = truth_markers(m, camera_for_view("side"), "side")
        assert tm["overstride_ic_pct_leg"] == pytest.approx(pct, abs=1.0)
    m = GaitModel(runner_params("none", pelvic_drop_deg=12.0))
    assert truth_markers(m, camera_for_view("rear"), "rear")["pelvic_drop_deg"] == \
        pytest.approx(12.0, abs=0.5)
    m = GaitModel(runner_params("none", knee_ic_deg=20.0))
    assert truth_markers(m, camera_for_view("side"), "side")["knee_flexion_ic_deg"] == \
        pytest.approx(20.0, abs=0.5)
    with pytest.raises(ValueError, match="fit"):
        GaitModel(runner_params("none", cadence_spm=100.0, speed_mps=0.5))


def test_trunk_side_tilt_turns_the_shoulder_line_and_leaves_the_pelvis() -> None:
    m0 = GaitModel(runner_params("none"))
    m12 = GaitModel(runner_params("none", trunk_side_tilt_deg=12.0))
    t = np.array([m0.ic0["r"] + m0.contact_s / 2])  # right midstance: the tilts peak

    def shoulder_tilt(j: dict) -> float:  # + = right shoulder higher
        d = j["r_shoulder"][0] - j["l_shoulder"][0]
        return math.degrees(math.atan2(d[1], d[2]))

    upright, tilted = m0.joints(t), m12.joints(t)
    assert shoulder_tilt(upright) == pytest.approx(0.0, abs=1e-9)
    assert shoulder_tilt(tilted) == pytest.approx(12.0, abs=1e-6)
    # the neck swings towards the left (-z) on a trunk of unchanged length
    b = m0.body
    assert tilted["neck"][0, 2] == pytest.approx(-b.trunk * math.sin(math.radians(12.0)),
                                                 rel=1e-3)
    assert np.linalg.norm(tilted["neck"][0] - tilted["pelvis"][0]) == pytest.approx(b.trunk)
    # the pelvis, hips and legs do not move
    for k in ("pelvis", "l_hip", "r_hip", "l_ankle", "r_knee"):
        np.testing.assert_allclose(tilted[k], upright[k])
    # in left stance the tilt goes the other way
    assert shoulder_tilt(m12.joints(t + m0.step_s)) == pytest.approx(-12.0, abs=1e-6)


# --------------------------------------------------------------------------------------
# the renderer


def test_frames_show_the_runner_where_the_truth_says() -> None:
    spec = SynthSpec(view="side", seconds=0.25, fps=30.0, width=640, height=360)
    doc = truth_document(spec)
    frames = [f.copy() for _, f in render_frames(spec)]
    assert len(frames) == doc["n_frames"] == 8
    assert frames[0].shape == (360, 640, 3) and frames[0].dtype == np.uint8
    pts = np.asarray(doc["landmarks_px"])
    wall = frames[0][5, 5].astype(int)
    for i, img in enumerate(frames):
        for lm in (LM.NOSE, LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.LEFT_KNEE):
            x, y = np.round(pts[i, lm]).astype(int)
            assert np.abs(img[y, x].astype(int) - wall).sum() > 40, (i, lm.name)
    # the shoes tell left (red) from right (blue)
    i = 0
    for side, want_red in (("LEFT", True), ("RIGHT", False)):
        heel, toe = pts[i, LM[f"{side}_HEEL"]], pts[i, LM[f"{side}_FOOT_INDEX"]]
        x, y = np.round(0.5 * (heel + toe) + np.array([0.0, -2.0])).astype(int)
        r, g, b = frames[i][y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(0)
        assert (r > 1.6 * b) == want_red and (b > 1.6 * r) != want_red, (side, r, g, b)


def test_render_clip_writes_h264_and_truth(tmp_path) -> None:
    import av

    spec = SynthSpec(view="rear", seconds=0.5, fps=50.0, width=480, height=360)
    video, truth = render_clip(spec, tmp_path / "r.mp4")
    with av.open(str(video)) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264"
        assert st.codec_context.pix_fmt == "yuv420p"
        assert float(st.average_rate) == 50.0
        assert sum(1 for _ in c.decode(st)) == 25
    doc = json.loads(truth.read_text())
    assert doc["n_frames"] == 25 and doc["image_size"] == [480, 360]
    assert np.asarray(doc["landmarks_px"]).shape == (25, 33, 2)
    assert {"crossover_ic_pct_leg", "step_width_pct_leg", "pelvic_drop_deg"} <= set(
        doc["markers"])
    assert not list(tmp_path.glob("*.part"))


def test_cli_synth_and_its_errors(tmp_path) -> None:
    out = tmp_path / "clip.mp4"
    cmd = [sys.executable, "-m", "gaitcheck", "synth", "-o", str(out), "--seconds", "0.3",
           "--size", "320x240", "--fps", "20", "-q"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.exists() and out.with_suffix(".json").exists()
    for bad, says in ((["--cadence", "20"], "cadence"), (["--size", "big"], "--size"),
                      (["--seconds", "0"], "seconds")):
        target = tmp_path / "bad.mp4"
        r = subprocess.run(cmd[:5] + [str(target)] + cmd[6:] + bad, capture_output=True,
                           text=True)
        assert r.returncode == 2
        assert says in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert not target.exists() and not target.with_suffix(".json").exists()


# --------------------------------------------------------------------------------------
# end to end: the real MediaPipe on rendered clips


@pytest.fixture(scope="module")
def clips(tmp_path_factory, model_dir):  # noqa: ANN001, ANN201
    """Render the clips once for the module (6 s at 60 fps, 720p)."""
    folder = tmp_path_factory.mktemp("synth")
    cache: dict[tuple[str, str], object] = {}

    def get(fault: str, view: str):  # noqa: ANN202
        if (fault, view) not in cache:
            from gaitcheck.pipeline import analyze_video

            spec = SynthSpec(view=view, fault=fault, seconds=6.0)
            video, truth = render_clip(spec, folder / f"{view}_{fault}.mp4")
            cache[(fault, view)] = (analyze_video(video, progress=False),
                                    json.loads(truth.read_text()))
        return cache[(fault, view)]

    return get


def _flags(result) -> set[str]:  # noqa: ANN001
    return {f.marker for f in result.findings if f.level == "flag"}


def test_mediapipe_finds_the_figure_and_places_its_joints(clips) -> None:  # noqa: ANN001
    from conftest import load_script

    for view in ("side", "rear"):
        res, truth = clips("none", view)
        lm = res.landmarks
        assert lm.detected_share >= 0.99, view
        tr = np.asarray(truth["landmarks_px"])
        # measured: side hip 9, knee 6, ankle 13, heel 13, toe 10 px; rear 5-16 px (720p,
        # runner about 530 px tall); a figure MediaPipe misread would be far off
        err = load_script("validate_synth").landmark_errors(lm.pixels(), tr)
        for name in ("hip", "knee", "ankle", "heel", "foot_index"):
            assert err[name] < 20.0, (view, name)


def test_clean_runner_is_analysed_with_the_true_cadence(clips) -> None:  # noqa: ANN001
    res, truth = clips("none", "side")
    assert res.analysable, res.reason
    assert res.events.cadence_spm == pytest.approx(truth["spec"]["cadence_spm"], abs=1.0)
    flags = _flags(res)
    for name in SIDE_BAND_MARKERS:
        assert name not in flags, name
    summ = res.marker_summary
    summ = summ.reset_index() if "marker" not in summ.columns else summ
    both = summ[summ["side"] == "both"].set_index("marker")["median"]
    # markers the figure's landmarks measure well (errors measured by validate_synth.py
    # are within these)
    for name, tol in (("overstride_ic_pct_leg", 4.0), ("knee_flexion_ic_deg", 5.0),
                      ("hip_extension_deg", 5.0), ("shank_angle_ic_deg", 5.0)):
        assert both[name] == pytest.approx(truth["markers"][name], abs=tol), name


def test_clean_side_markers_within_what_the_landmark_error_allows(clips) -> None:  # noqa: ANN001
    """Every side-view position and angle marker is within the tolerance that the clip's
    own landmark error allows (``validate_synth.tolerances``), except pelvis-behind-the-foot:
    it is read at half the contact, and the contact ends late (the toe-off miss below)."""
    from conftest import load_script

    vs = load_script("validate_synth")
    res, truth = clips("none", "side")
    tr = np.asarray(truth["landmarks_px"])
    tol = vs.tolerances(vs.landmark_errors(res.landmarks.pixels(), tr),
                        vs.segment_lengths_px(tr), fps=truth["fps"],
                        cadence_spm=truth["params"]["cadence_spm"])
    summ = res.marker_summary
    summ = summ.reset_index() if "marker" not in summ.columns else summ
    both = summ[summ["side"] == "both"].set_index("marker")["median"]
    checked = [n for n, b in vs.MARKER_BUILD.items()
               if b[0] in ("pos", "ang") and n in truth["markers"] and n in both.index
               and n != "pelvis_behind_foot_ms_pct_leg"]
    assert len(checked) >= 8
    for name in checked:
        assert abs(both[name] - truth["markers"][name]) <= tol[name], (name, both[name],
                                                                        truth["markers"][name])


def test_tolerances_arithmetic() -> None:
    from conftest import load_script

    vs = load_script("validate_synth")
    err = {"hip": 3.0, "heel": 4.0, "knee": 3.0, "ankle": 4.0, "shoulder": 0.0,
           "foot_index": 0.0}
    seg = {"leg": 100.0, "thigh": 50.0, "shank": 50.0, "trunk": 80.0, "foot": 20.0,
           "pelvis": 30.0}
    tol = vs.tolerances(err, seg, fps=50.0, cadence_spm=180.0)
    assert tol["overstride_ic_pct_leg"] == pytest.approx(5.0)  # hypot(4, 3) px of 100 px
    assert tol["shank_angle_ic_deg"] == pytest.approx(math.degrees(math.atan(5 / 50)))
    # thigh: hypot(3, 3) over 50 px; shank: hypot(3, 4) over 50 px
    assert tol["knee_flexion_ic_deg"] == pytest.approx(
        math.degrees(math.atan(math.hypot(3, 3) / 50) + math.atan(5 / 50)))
    assert tol["ground_contact_time_ms"] == pytest.approx(40.0)  # two events, 20 ms frames
    assert tol["cadence_spm"] == pytest.approx(1.8)


_KNOWN_MISSES = {
    # measured with scripts/validate_synth.py (8 s, 60 fps, full model)
    "pelvic-drop": "MediaPipe's hip line follows the trunk's sideways tilt, not the "
                   "pelvis's: a 15 deg drop under an upright trunk reads about 1 deg "
                   "(scripts/pelvic_drop_probe.py; test_hip_line_follows_the_trunk)",
}


@pytest.mark.parametrize("fault", [
    "overstride", "low-hip-extension", "pelvis-behind", "crossover", "deflating",
    *(pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=why))
      for f, why in _KNOWN_MISSES.items()),
])
def test_each_fault_is_flagged(clips, fault: str) -> None:  # noqa: ANN001
    view = FAULT_VIEW.get(fault, "side")
    res, _ = clips(fault, view)
    assert res.analysable, res.reason
    flags = _flags(res)
    for name in FAULT_MARKERS[fault]:
        assert name in flags, (fault, sorted(flags))


def _within_one_frame(result, truth: dict, kind: str) -> float:  # noqa: ANN001
    from conftest import load_script

    scores = load_script("validate_synth").event_scores(result.events.contacts,
                                                        truth["events"], truth["fps"])
    return scores[kind]["within_1_frame"]


def test_initial_contacts_within_one_frame(clips) -> None:  # noqa: ANN001
    # measured 96 % at 60 fps (median +10 ms); the bar is 90 %
    res, truth = clips("none", "side")
    assert _within_one_frame(res, truth, "ic") >= 0.9


@pytest.mark.xfail(strict=True, reason="toe-off is found 35-55 ms late on the rendered runner "
                   "(24-37 ms even from the exact landmarks): the rendered foot_index is the "
                   "toe tip, the last point to rise; on the force plates a toe point there "
                   "makes toe-off 41 ms late too (test_events, toe-point sweep), while the "
                   "rule is unbiased with the point on the metatarsal heads and on real "
                   "MediaPipe video")
def test_toe_offs_within_one_frame(clips) -> None:  # noqa: ANN001
    res, truth = clips("none", "side")
    assert _within_one_frame(res, truth, "to") >= 0.9


def test_hip_line_follows_the_trunk(tmp_path, model_dir) -> None:  # noqa: ANN001
    """What the pelvic-drop limit in bands.toml says: the hip line follows the trunk.

    Two rear clips: a 15 deg pelvic drop under an upright trunk, and a trunk swaying 15 deg
    over a pelvis tilting 3 deg. ``scripts/pelvic_drop_probe.py`` (6 s clips) measured
    1.1 and 9.5 deg. If MediaPipe ever reads the pelvis instead, this fails and the
    limit, the README and the pelvic-drop xfail must be revisited.
    """
    from conftest import load_script

    probe = load_script("pelvic_drop_probe")
    read = {}
    for pelvis, trunk in ((15.0, 0.0), (3.0, 15.0)):
        r = probe.run(pelvis, trunk, tmp_path, seconds=5.0, model="full")
        assert r["analysable"], r["reason"]
        read[(pelvis, trunk)] = r["measured_pelvic_drop_deg"]
    assert read[(15.0, 0.0)] < 4.0, read      # the pelvis alone barely shows
    assert read[(3.0, 15.0)] > 6.0, read      # the trunk alone reads as a drop
    assert read[(3.0, 15.0)] - read[(15.0, 0.0)] > 4.0, read


def test_clean_rear_runner_has_no_frontal_flag(clips) -> None:  # noqa: ANN001
    res, truth = clips("none", "rear")
    assert res.analysable, res.reason
    assert not (_flags(res) & set(REAR_BAND_MARKERS))
    assert math.isfinite(truth["markers"]["pelvic_drop_deg"])


def test_bundled_sample_is_analysed_and_its_overstride_flagged(model_dir) -> None:  # noqa: ANN001
    """The README's demo clip: analysable, the over-stride it was built with is flagged."""
    from pathlib import Path

    from gaitcheck.pipeline import analyze_video

    sample = Path(__file__).resolve().parents[1] / "sample_videos" / \
        "synthetic_runner_side_overstride.mp4"
    truth = json.loads(sample.with_suffix(".json").read_text())
    assert truth["spec"]["fault"] == "overstride"
    assert sample.stat().st_size < 2_000_000
    res = analyze_video(sample, progress=False)
    assert res.analysable, res.reason
    assert res.landmarks.n_frames == truth["n_frames"]
    assert "overstride_ic_pct_leg" in _flags(res)
    assert res.events.cadence_spm == pytest.approx(truth["spec"]["cadence_spm"], abs=1.0)
