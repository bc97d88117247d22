"""Findings: bands from the TOML file, the dead-band rule and the wording, on hand-built
summaries of a clean runner and of runners with one injected fault each."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pandas as pd
import pytest

from gaitcheck.errors import GaitcheckError
from gaitcheck.findings import (
    DISCLAIMER,
    MARKER_LABELS,
    MIN_STRIDES,
    Band,
    assess,
    classify,
    findings_to_json,
    load_bands,
)
from gaitcheck.types import EVIDENCE_LEVELS, LEVELS

# A clean runner: every value well inside its band (per side, or the whole clip for cadence).
CLEAN: dict[str, float] = {
    "cadence_spm": 172.0,
    "ground_contact_time_ms": 250.0,
    "flight_time_ms": 100.0,
    "duty_factor_pct": 36.0,
    "pelvis_behind_foot_ms_pct_leg": 12.0,
    "hip_flexion_ms_deg": 10.0,
    "overstride_ic_pct_leg": 10.0,
    "shank_angle_ic_deg": 5.0,
    "hip_extension_deg": 16.0,
    "hip_extension_trunk_deg": 8.0,
    "knee_flexion_ic_deg": 14.0,
    "knee_flexion_peak_stance_deg": 42.0,
    "knee_flexion_excursion_deg": 28.0,
    "ankle_dorsiflexion_excursion_deg": 25.0,
    "foot_strike_angle_deg": 6.0,
    "trunk_lean_deg": 7.0,
    "vertical_oscillation_pct_leg": 10.0,
    "crossover_ic_pct_leg": -4.0,
    "step_width_pct_leg": 7.0,
    "pelvic_drop_deg": 4.0,
    "hip_adduction_peak_deg": 8.0,
}
WHOLE_CLIP = {"cadence_spm"}
FORBIDDEN = ("you have", "you suffer", "your injury", "diagnosed", "you are injured",
             "pathology", "disease")


def unit_of(marker: str) -> str:
    for suffix, unit in (("_pct_leg", "%leg"), ("_deg", "deg"), ("_ms", "ms"),
                         ("_spm", "steps/min"), ("_pct", "%")):
        if marker.endswith(suffix):
            return unit
    return ""


def make_summary(values: dict[str, float] | None = None, *, left: dict | None = None,
                 right: dict | None = None, n: int = 10, conf: float = 0.9,
                 both_rows: bool = True, asymmetry: bool = True) -> pd.DataFrame:
    """A summary like gaitcheck.markers.summarize_markers: l, r, both and asymmetry rows."""
    values = dict(CLEAN if values is None else values)
    left, right = left or {}, right or {}
    rows = []

    def add(marker, side, med, unit, nn=n, measurable=True, reason=None):
        rows.append({"marker": marker, "side": side, "median": med, "q1": med - 1.0,
                     "q3": med + 1.0, "iqr": 2.0, "n_strides": nn, "unit": unit,
                     "confidence": conf if measurable else 0.0, "measurable": measurable,
                     "reason": reason})

    for marker, v in values.items():
        unit = unit_of(marker)
        vl, vr = left.get(marker, v), right.get(marker, v)
        add(marker, "l", vl, unit)
        add(marker, "r", vr, unit)
        if both_rows:
            add(marker, "both", 0.5 * (vl + vr), unit, nn=2 * n)
        if asymmetry:
            denom = 0.5 * (abs(vl) + abs(vr))
            add(f"{marker}_asymmetry_pct", "both",
                100.0 * abs(vl - vr) / denom if denom else np.nan, "%",
                measurable=bool(denom))
    return pd.DataFrame(rows).set_index(["marker", "side"])


def judged(findings, marker, side):
    hits = [f for f in findings if f.marker == marker and f.side == side]
    assert len(hits) == 1, f"{marker}/{side}: {len(hits)} findings"
    return hits[0]


@pytest.fixture(scope="module")
def bands():
    return load_bands()


# --------------------------------------------------------------------------------------
# the bands file


def test_every_band_is_cited_and_complete(bands):
    assert bands, "no bands loaded"
    for name, b in bands.items():
        assert isinstance(b, Band)
        assert b.evidence in EVIDENCE_LEVELS, name
        assert b.references and all(r.strip() for r in b.references), name
        assert b.consistent_with.strip(), name
        assert b.dead_band_source.strip(), name
        assert b.article.strip(), name
        assert b.dead_band >= 0, name
        if b.direction == "info":
            assert b.basis == "informational" and b.watch is None and b.flag is None, name
        else:
            # no band resting on a heuristic (or unverified number) claims strong/moderate
            if b.basis == "heuristic":
                assert b.evidence in ("limited", "expert opinion"), name
        if b.direction == "both":
            assert b.consistent_with_low.strip(), name


def test_every_marker_has_a_label_and_a_band(bands):
    markers = pytest.importorskip("gaitcheck.markers")
    for name in markers.MARKERS:
        assert name in MARKER_LABELS, f"no label for {name}"
        assert name in bands, f"no band for {name}"
        assert f"{name}_asymmetry_pct" in MARKER_LABELS
    assert MIN_STRIDES == markers.MIN_STRIDES_PER_SIDE
    for name in ("push_off_deficit", *CLEAN):
        assert name in MARKER_LABELS and name in bands


def test_cadence_band_is_low_only_with_the_published_cut_point(bands):
    b = bands["cadence_spm"]
    assert b.direction == "low" and b.flag == 166.0 and b.basis == "published"
    assert classify(230.0, b) == ("ok", None)  # high cadence is never flagged


@pytest.mark.parametrize("name", ["ground_contact_time_ms", "flight_time_ms",
                                  "duty_factor_pct"])
def test_timing_markers_are_informational(bands, name):
    assert bands[name].direction == "info"
    assert classify(1e6, bands[name]) == ("ok", None)
    assert classify(-1e6, bands[name]) == ("ok", None)


# --------------------------------------------------------------------------------------
# the clean runner and the injected faults


def test_clean_runner_has_no_watch_or_flag(bands):
    findings = assess(make_summary(), bands=bands)
    assert findings
    bad = [(f.marker, f.side, f.level, f.value) for f in findings if f.level != "ok"]
    assert bad == []
    for marker in CLEAN:  # every marker is judged, per side (cadence: whole clip)
        sides = ("both",) if marker in WHOLE_CLIP else ("l", "r")
        for side in sides:
            judged(findings, marker, side)
    # per-leg markers are not judged a second time on their 'both' row
    assert not [f for f in findings if f.side == "both" and f.marker in CLEAN
                and f.marker not in WHOLE_CLIP]
    judged(findings, "push_off_deficit", "both")


FAULTS = [
    # marker, injected left value, expected wording in the text
    ("overstride_ic_pct_leg", 22.0, "landing ahead of the body"),
    ("shank_angle_ic_deg", 24.0, "reaching forward"),
    ("pelvis_behind_foot_ms_pct_leg", -8.0, "behind the stance foot"),
    ("hip_extension_deg", 0.0, "limited hip extension"),
    ("trunk_lean_deg", 21.0, "forward-flexed trunk"),
    ("trunk_lean_deg", -4.0, "upright or backward-leaning trunk"),
    ("knee_flexion_excursion_deg", 46.0, "deflating"),
    ("knee_flexion_ic_deg", 0.0, "straight-kneed landing"),
    ("knee_flexion_peak_stance_deg", 65.0, "deep knee bend"),
    ("crossover_ic_pct_leg", 5.0, "crossover landing"),
    ("step_width_pct_leg", -4.0, "narrow base of support"),
    ("pelvic_drop_deg", 13.0, "swing-side hip dropping"),
]


@pytest.mark.parametrize(("marker", "value", "words"), FAULTS)
def test_each_injected_fault_is_flagged_on_its_side_only(bands, marker, value, words):
    findings = assess(make_summary(left={marker: value}), bands=bands)
    f = judged(findings, marker, "l")
    assert f.level == "flag", f.text
    assert words in f.text
    assert "Consistent with" in f.text and f"strength of evidence: {f.evidence}" in f.text
    assert judged(findings, marker, "r").level == "ok"
    # nothing else is raised by this one fault (push-off needs two markers)
    others = [(g.marker, g.side) for g in findings if g.level != "ok" and g.marker != marker]
    assert others == []
    assert findings[0] is f  # flags come first


def test_low_cadence_is_flagged(bands):
    f = judged(assess(make_summary({**CLEAN, "cadence_spm": 158.0}), bands=bands),
               "cadence_spm", "both")
    assert f.level == "flag" and f.unit == "steps/min"
    assert "moderate" in f.text and "158 steps/min" in f.text


def test_push_off_deficit_on_one_side_with_overreach_on_the_other(bands):
    # right hip extends 10 deg less; the left heel lands 6 %leg further ahead
    s = make_summary(left={"overstride_ic_pct_leg": 13.0},
                     right={"hip_extension_deg": 6.0, "overstride_ic_pct_leg": 7.0})
    findings = assess(s, bands=bands)
    f = judged(findings, "push_off_deficit", "r")
    assert f.value == pytest.approx(min(10.0 / 5.0, 6.0 / 3.0))
    assert f.level == "flag"
    assert "right hip extends 10.0° less than the left" in f.text
    assert f.band["components"] == pytest.approx({"hip_gap_deg": 10.0,
                                                  "overstride_gap_pct_leg": 6.0})


def test_push_off_deficit_needs_both_parts(bands):
    # weaker right hip extension alone (no overreach by the left leg) scores 0
    s = make_summary(right={"hip_extension_deg": 6.0})
    f = judged(assess(s, bands=bands), "push_off_deficit", "both")
    assert f.value == 0.0 and f.level == "ok"


def test_contact_time_asymmetry_is_judged_other_asymmetries_are_informational(bands):
    s = make_summary(left={"ground_contact_time_ms": 230.0, "knee_flexion_ic_deg": 8.0},
                     right={"ground_contact_time_ms": 280.0, "knee_flexion_ic_deg": 16.0})
    findings = assess(s, bands=bands)
    gct = judged(findings, "ground_contact_time_ms_asymmetry_pct", "both")
    assert gct.level == "flag" and "Left 230 ms, right 280 ms" in gct.text
    knee = judged(findings, "knee_flexion_ic_deg_asymmetry_pct", "both")
    assert knee.level == "ok" and "information" in knee.text
    assert knee.band["direction"] == "info"


# --------------------------------------------------------------------------------------
# the dead-band rule


def _judged_bands():
    return [(name, b) for name, b in load_bands().items() if b.direction != "info"]


@pytest.mark.parametrize(("name", "band"), _judged_bands(), ids=lambda x: getattr(x, "marker",
                                                                                      x))
def test_dead_band_edges(name, band):
    d = band.dead_band
    pairs = []
    if band.direction == "both":
        pairs = [(+1, band.watch[1], band.flag[1]), (-1, band.watch[0], band.flag[0])]
    else:
        pairs = [(+1 if band.direction == "high" else -1, band.watch, band.flag)]
    eps = 1e-6
    for sign, watch, flag in pairs:
        on_flag, on_watch = round(flag + sign * d, 9), round(watch + sign * d, 9)
        # exactly on a shifted threshold stays at the lower level; just beyond moves up
        assert classify(on_flag, band)[0] == ("watch" if flag != watch else "ok")
        assert classify(on_flag + sign * eps, band)[0] == "flag"
        assert classify(on_watch, band)[0] == "ok"
        assert classify(on_watch + sign * eps, band)[0] in ("watch", "flag")
        if d > 0:  # beyond the flag threshold but inside its dead band: not a flag
            assert classify(flag + sign * 0.5 * d, band)[0] != "flag"


def test_value_just_inside_the_dead_band_stays_at_the_lower_level(bands):
    b = bands["overstride_ic_pct_leg"]  # watch 12, flag 15, dead band 2
    assert (b.watch, b.flag, b.dead_band) == (12.0, 15.0, 2.0)
    assert classify(16.9, b)[0] == "watch"  # beyond 15 but within its dead band
    assert classify(17.0, b)[0] == "watch"
    assert classify(17.01, b)[0] == "flag"
    assert classify(13.9, b)[0] == "ok"
    c = bands["cadence_spm"]  # flag 166, dead band 2
    assert classify(165.0, c)[0] == "watch"
    assert classify(163.9, c)[0] == "flag"
    k = bands["knee_flexion_ic_deg"]  # flag 5 - 3.8 = 1.2 exactly, not 1.2000000000000002
    assert classify(1.2, k)[0] == "watch"
    f = judged(assess(make_summary(left={"overstride_ic_pct_leg": 16.5}), bands=bands),
               "overstride_ic_pct_leg", "l")
    assert f.level == "watch" and "slightly outside" in f.text
    assert "measurement margin of 2.0 % of leg length" in f.text


# --------------------------------------------------------------------------------------
# user bands


def test_override_file_changes_one_field_and_keeps_the_rest(tmp_path):
    p = tmp_path / "my_bands.toml"
    p.write_text("[band.cadence_spm]\nwatch = 175.0\n", encoding="utf-8")
    mine = load_bands(p)
    base = load_bands()
    assert mine["cadence_spm"].watch == 175.0
    assert mine["cadence_spm"].flag == base["cadence_spm"].flag
    assert mine["cadence_spm"].references == base["cadence_spm"].references
    assert mine["overstride_ic_pct_leg"] == base["overstride_ic_pct_leg"]
    s = make_summary()
    assert judged(assess(s, bands=base), "cadence_spm", "both").level == "ok"
    assert judged(assess(s, bands=mine), "cadence_spm", "both").level == "watch"


def test_overrides_mapping_and_params_merge():
    b = load_bands(overrides={"pelvic_drop_deg": {"flag": 7.0, "dead_band": 0.0},
                              "push_off_deficit": {"params": {"hip_gap_deg": 4.0}}})
    assert b["pelvic_drop_deg"].flag == 7.0 and b["pelvic_drop_deg"].watch == 6.0
    assert b["push_off_deficit"].param("hip_gap_deg") == 4.0
    assert b["push_off_deficit"].param("overstride_gap_pct_leg") == 3.0


def test_user_file_can_add_a_band_for_an_asymmetry_row(tmp_path):
    p = tmp_path / "asym.toml"
    p.write_text(
        '[band.hip_extension_deg_asymmetry_pct]\ndirection = "high"\nwatch = 20.0\n'
        'flag = 40.0\ndead_band = 5.0\ndead_band_source = "mine"\n'
        'evidence = "expert opinion"\nbasis = "heuristic"\nreferences = ["Me 2026"]\n'
        'consistent_with = "one hip extending less"\narticle = "004"\n', encoding="utf-8")
    b = load_bands(p)
    s = make_summary(right={"hip_extension_deg": 9.0})  # |16 - 9| / 12.5 = 56 %
    assert judged(assess(s, bands=b), "hip_extension_deg_asymmetry_pct", "both").level \
        == "flag"


@pytest.mark.parametrize(("text", "needle"), [
    ("[band.cadence_spm]\nwach = 170.0\n", "unknown key 'wach' in [band.cadence_spm]"),
    ("[band.overstrid_ic_pct_leg]\nwatch = 1.0\n", "unknown marker 'overstrid_ic_pct_leg'"),
    ("[bands.cadence_spm]\nwatch = 1.0\n", "unknown key 'bands'"),
    ("[band.push_off_deficit.params]\nhip_gap = 4.0\n",
     "unknown key 'hip_gap' in [band.push_off_deficit.params]"),
    ("[band.cadence_spm]\ndirection = 'sideways'\n", "direction must be one of"),
    ("[band.cadence_spm]\nevidence = 'certain'\n", "evidence must be one of"),
    ("[band.cadence_spm]\nflag = 180.0\n", "flag must be <= watch"),
    ("[band.trunk_lean_deg]\nwatch = 5.0\n", "watch must be [low, high]"),
    ("[band.cadence_spm]\ndead_band = -1.0\n", "dead_band must be a number >= 0"),
    ("[band.cadence_spm]\nreferences = []\n", "references must be a non-empty list"),
    ("[band.hip_extension_deg_asymmetry_pct]\nwatch = 1.0\n", "direction is missing"),
    ("[band.cadence_spm\nwatch = 1\n", "not valid TOML"),
])
def test_bad_user_file_is_a_one_line_error_naming_file_and_key(tmp_path, text, needle):
    p = tmp_path / "bad_bands.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(GaitcheckError) as err:
        load_bands(p)
    msg = str(err.value)
    assert needle in msg
    assert str(p) in msg
    assert "\n" not in msg


def test_missing_user_file_is_an_error(tmp_path):
    with pytest.raises(GaitcheckError, match="nope.toml"):
        load_bands(tmp_path / "nope.toml")


# --------------------------------------------------------------------------------------
# rows that cannot be judged, few strides, wording, order, JSON


def test_non_measurable_rows_give_no_finding(bands):
    s = make_summary()
    for side in ("l", "r", "both"):
        s.loc[("pelvic_drop_deg", side), ["measurable", "median", "confidence"]] = [
            False, np.nan, 0.0]
        s.loc[("pelvic_drop_deg", side), "reason"] = "not measurable from this view (side)"
    s.loc[("crossover_ic_pct_leg", "l"), "median"] = np.nan  # measurable but no value
    findings = assess(s, bands=bands)
    assert not [f for f in findings if f.marker == "pelvic_drop_deg"]
    assert not [f for f in findings if f.marker == "crossover_ic_pct_leg" and f.side == "l"]
    judged(findings, "crossover_ic_pct_leg", "r")


def test_markers_without_a_band_are_skipped(bands):
    s = make_summary({**CLEAN, "step_length_pct_leg": 120.0})
    assert not [f for f in assess(s, bands=bands) if f.marker.startswith("step_length")]


def test_few_strides_still_judged_with_reduced_confidence(bands):
    s = make_summary(left={"overstride_ic_pct_leg": 25.0}, n=3, conf=0.9)
    f = judged(assess(s, bands=bands), "overstride_ic_pct_leg", "l")
    assert f.level == "flag"
    assert "only 3 strides" in f.text and "confidence is reduced" in f.text
    assert f.confidence == pytest.approx(3 / MIN_STRIDES)
    g = judged(assess(make_summary(n=MIN_STRIDES, conf=0.9), bands=bands),
               "overstride_ic_pct_leg", "l")
    assert g.confidence == pytest.approx(0.9) and "strides" not in g.text


def test_every_text_is_plain_and_never_a_diagnosis(bands):
    summaries = [make_summary()] + [make_summary(left={m: v}) for m, v, _ in FAULTS]
    summaries.append(make_summary(left={"overstride_ic_pct_leg": 13.0},
                                  right={"hip_extension_deg": 6.0,
                                         "overstride_ic_pct_leg": 7.0}, n=2))
    n = 0
    for s in summaries:
        for f in assess(s, bands=bands):
            n += 1
            assert f.text.endswith(DISCLAIMER), f.text
            low = f.text.lower()
            for word in FORBIDDEN:
                assert word not in low, (word, f.text)
            assert f.level in LEVELS and 0.0 <= f.confidence <= 1.0
            assert f.references and f.evidence in EVIDENCE_LEVELS
            label = MARKER_LABELS[f.marker]
            assert f.text.startswith(label)
            if f.level != "ok":
                assert "Consistent with" in f.text
            else:
                assert "Consistent with" not in f.text
    assert n > 100


def test_a_measurement_limit_is_shown_with_every_reading_ok_included(bands, tmp_path):
    """The pelvic-drop band carries a limit of the pose model's hips (measured on the
    synthetic runner); it must reach the reader when the pelvis reads level, where a caveat
    (shown only outside the band) would not."""
    limit = bands["pelvic_drop_deg"].limit
    assert "15°" in limit and "does not rule out" in limit
    for value, level in ((2.0, "ok"), (9.5, "watch"), (13.0, "flag")):
        f = judged(assess(make_summary(left={"pelvic_drop_deg": value}), bands=bands),
                   "pelvic_drop_deg", "l")
        assert f.level == level
        assert limit in f.text and f.text.endswith(DISCLAIMER)
    ok = judged(assess(make_summary(), bands=bands), "overstride_ic_pct_leg", "l")
    assert ok.level == "ok" and bands["overstride_ic_pct_leg"].caveat not in ok.text
    p = tmp_path / "limit.toml"
    p.write_text("[band.cadence_spm]\nlimit = 3\n", encoding="utf-8")
    with pytest.raises(GaitcheckError, match="limit must be a string"):
        load_bands(p)


def test_order_is_deterministic_flags_first(bands):
    s = make_summary(left={"overstride_ic_pct_leg": 30.0, "pelvic_drop_deg": 9.5,
                           "hip_extension_deg": -2.0})
    a = assess(s, bands=bands)
    rows = list(s.index)
    random.Random(1).shuffle(rows)
    b = assess(s.loc[rows], bands=bands)
    assert [(f.marker, f.side) for f in a] == [(f.marker, f.side) for f in b]
    ranks = [LEVELS.index(f.level) for f in a]
    assert ranks == sorted(ranks, reverse=True)
    assert [(f.marker, f.level) for f in a[:3]] == [
        ("overstride_ic_pct_leg", "flag"), ("hip_extension_deg", "flag"),
        ("pelvic_drop_deg", "watch")]


def test_findings_to_json_round_trips(bands):
    findings = assess(make_summary(left={"trunk_lean_deg": 20.0}), bands=bands)
    data = findings_to_json(findings)
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert len(back) == len(findings)
    first = back[0]
    assert first["marker"] == "trunk_lean_deg" and first["level"] == "flag"
    assert first["band"]["watch"] == [3.7, 10.9]
    assert first["band"]["effective_flag"] == [-1.0, 18.0]
    assert first["band"]["left_band_on"] == "high"
    assert isinstance(first["references"], list)
    assert all(math.isfinite(d["value"]) for d in back)


def test_summary_without_the_expected_shape_is_rejected(bands):
    with pytest.raises(ValueError, match="MultiIndex"):
        assess(pd.DataFrame({"median": [1.0]}), bands=bands)
    with pytest.raises(ValueError, match="confidence"):
        assess(make_summary().drop(columns="confidence"), bands=bands)


def test_healthy_force_plate_runner_is_flagged_only_for_its_slow_jog_cadence(bands):
    """Fukuchi et al. 2017 RBDS001 (healthy, treadmill 2.5 m/s) through the real markers.

    No side-view marker is flagged. Its cadence (about 157 steps/min at a slow 2.5 m/s
    jog) falls under the published <= 166 cut-point: the band's caveat tells the reader that
    cadence depends on speed and is best judged at the runner's usual easy pace. Its
    overstride (14.0 / 14.3 %leg, read at the sub-frame contact time) sits at the edge of
    the heuristic watch band (12 + 2 dead-band), so 'watch' is allowed there, not 'flag'.
    """
    from conftest import shared_path

    from gaitcheck.events import detect_events
    from gaitcheck.kinematics import compute_kinematics
    from gaitcheck.markers import compute_markers, summarize_markers
    from gaitcheck.mocap import fukuchi_side_landmarks

    folder = shared_path("mocap", "fukuchi2017")
    lm = fukuchi_side_landmarks(folder, trunk_lean_deg=6.0)  # mocap has no shoulders
    kin = compute_kinematics(lm)
    summary = summarize_markers(compute_markers(kin, detect_events(kin)), kin)
    findings = assess(summary, bands=bands)
    raised = {(f.marker, f.side): f for f in findings if f.level != "ok"}
    flagged = {k for k, f in raised.items() if f.level == "flag"}
    assert flagged == {("cadence_spm", "both")}
    assert set(raised) - {("cadence_spm", "both")} <= {("overstride_ic_pct_leg", "l"),
                                                       ("overstride_ic_pct_leg", "r")}
    assert "usual easy pace" in raised[("cadence_spm", "both")].text
    judged(findings, "overstride_ic_pct_leg", "l")  # side-view markers were judged
    assert not [f for f in findings if f.marker == "pelvic_drop_deg"]  # rear view only
