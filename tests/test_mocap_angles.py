"""gaitcheck's 2D sagittal angle markers against the authors' 3D joint angles (Fukuchi 2017).

The comparison lives in ``scripts/compare_mocap_angles.py`` (loaded with importlib) so the
printed table and these bars use the same rules; its docstring says how each value is read.
Data: Fukuchi, Fukuchi & Duarte (2017), PeerJ 5:e3298, CC BY 4.0, subject RBDS001 at
2.5 m/s, in ``$GAITCHECK_TEST_DATA/mocap/fukuchi2017`` (default ``<repo>/../shared``); the
tests that need it skip with the reason when it is absent.

Bars (150 Hz landmarks without noise, the only rate run here, a few seconds):

* Knee flexion at IC and at its stance peak within 5 deg of the authors' on each side. A
  side camera square to a treadmill runner sees the knee's flexion plane almost face-on, so
  the 2D angle should match a 3D flexion angle closely (measured: -0.5..+1.8 deg at IC,
  -0.4..+0.3 deg at the peak); 5 deg leaves room for the segment definitions (trochanter
  vs hip-joint-centre thigh line, measured 1.5-2.3 deg) and event timing, not for a wrong
  angle.
* Hip: gaitcheck's hip extension is the thigh against the vertical, the authors' the thigh
  against the pelvis, so their difference must be the pelvis's forward tilt, measured here
  from the pelvis markers (mid-PSIS -> mid-ASIS line below the horizontal, mean over the
  force-plate cycles: 16.2 deg). Measured differences 13.9 (L) and 14.9 (R) deg, i.e. the
  tilt within 2.3 deg; the remainder is mostly the thigh-line term (trochanter vs regression
  hip joint centre, -1.5 / -2.3 deg), and with it the difference is matched within 1.1 deg.
  The tolerance is not tighter because the two peaks are at different instants (the
  pelvis-relative angle peaks near toe-off, the thigh-vs-vertical angle ~40 ms later, after
  the end of gaitcheck's window) while the tilt swings 12-19 deg over the cycle; averaged
  over the whole cycle the identity holds within 0.7 deg.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import load_script, shared_path

FILES = ("RBDS001runT25markers.txt", "RBDS001runT25forces.txt", "RBDS001static.txt",
         "RBDS001processed.txt", "RBDSinfo.txt")


cma = load_script("compare_mocap_angles")


# --------------------------------------------------------------------------------------
# reading rules (no shared data needed)


def _fake_processed() -> pd.DataFrame:
    pct = np.arange(101)
    cols: dict[str, np.ndarray] = {}
    for s in "RL":
        knee = (10.0 + 30.0 * np.exp(-(((pct - 17) / 8.0) ** 2))
                + 70.0 * np.exp(-(((pct - 75) / 12.0) ** 2)))
        hip = 35.0 - 36.0 * np.exp(-((pct - 42) / 15.0) ** 2)
        grf = np.where(pct < 40, 20.0, np.nan)
        cols[f"{s}kneeAngZ25"], cols[f"{s}hipAngZ25"], cols[f"{s}grfY25"] = knee, hip, grf
        cols[f"{s}ankleAngZ25"] = np.zeros(101)
    return pd.DataFrame(cols, index=pd.Index(pct, name="PercGcycle"))


def test_authors_values_follow_the_stated_reading_rules():
    p = _fake_processed()
    a = cma.authors_values(p, "r")
    assert a["toe_off_pct"] == 40.0  # first NaN GRF row
    assert a["knee_flexion_ic_deg"] == pytest.approx(p["RkneeAngZ25"].iloc[0])
    # the stance peak ignores the larger swing peak
    assert a["knee_peak_pct"] == 17.0 and a["knee_flexion_peak_stance_deg"] < 45.0
    assert a["hip_ext_pct"] == 42.0 and a["hip_extension_deg"] == pytest.approx(1.0)
    assert a["hip_extension_whole_cycle_deg"] == pytest.approx(a["hip_extension_deg"])


def test_curve_values_read_the_mean_curve_like_the_authors():
    p = _fake_processed()
    cv = cma.curve_values(p["RkneeAngZ25"].to_numpy(), p["RhipAngZ25"].to_numpy(), 40.0)
    a = cma.authors_values(p, "r")
    for k in ("knee_flexion_ic_deg", "knee_flexion_peak_stance_deg", "hip_extension_deg"):
        assert cv[k] == pytest.approx(a[k])


def test_help_runs():
    with pytest.raises(SystemExit) as e:
        cma.main(["--help"])
    assert e.value.code == 0


# --------------------------------------------------------------------------------------
# the comparison on the force-plate run


@pytest.fixture(scope="module")
def comparison() -> dict[str, Any]:
    data = shared_path("mocap", "fukuchi2017")
    for f in FILES:
        shared_path("mocap", "fukuchi2017", f)
    return cma.run(data, fps_list=(150.0,), verbose=False)


def _side(comparison: dict[str, Any], side: str) -> dict[str, Any]:
    return comparison["by_fps"]["150"]["sides"][side]


@pytest.mark.parametrize("side", ["l", "r"])
@pytest.mark.parametrize("marker", ["knee_flexion_ic_deg", "knee_flexion_peak_stance_deg"])
def test_knee_flexion_matches_the_authors_3d_knee_angle(comparison, side, marker):
    d = _side(comparison, side)
    assert d["n_strides"] >= 30  # the 30 s trial has ~38 strides per side
    gc = d["gaitcheck"][marker]["median"]
    assert abs(gc - d["authors"][marker]) <= 5.0, (side, marker, gc, d["authors"][marker])


@pytest.mark.parametrize("side", ["l", "r"])
def test_projection_is_closer_to_the_authors_than_the_unprojected_3d_angle(comparison, side):
    """The side view removes out-of-plane motion: the 2D projected knee angle at IC is
    nearer the authors' Cardan flexion than the same three points' 3D included angle."""
    d = _side(comparison, side)
    dec, auth = d["decomposition"], d["authors"]["knee_flexion_ic_deg"]
    assert abs(dec["knee_included2d_ic_deg"] - auth) < abs(dec["knee_included3d_ic_deg"] - auth)


@pytest.mark.parametrize("side", ["l", "r"])
def test_hip_extension_difference_is_the_pelvic_tilt(comparison, side):
    d = _side(comparison, side)
    dec = d["decomposition"]
    diff = d["gaitcheck"]["hip_extension_deg"]["median"] - d["authors"]["hip_extension_deg"]
    assert diff == pytest.approx(dec["gc_minus_authors_hip_ext_deg"])
    tilt = dec["pelvic_tilt_cycle_mean_deg"]  # from the pelvis markers, not from the authors
    assert 10.0 < tilt < 25.0  # a marker pelvis frame is tilted forward (11.6 deg standing)
    # the pelvis alone: within 3 deg (measured 1.3-2.3; the thigh-line term is the rest)
    assert abs(diff - tilt) <= 3.0, (side, diff, tilt)
    # pelvis + thigh line (trochanter vs regression hip centre) explains the offset of the
    # curves over the cycle (test below). At the peak, gaitcheck now reads the thigh's own
    # peak, ~40 ms after toe-off (window to TO + 60 ms), whereas the pelvis-relative angle
    # peaks at toe-off, so the peak difference is larger than the cycle-mean offset by that
    # timing term: 1.4-1.8 deg here (measured by the script as "true peak thigh extension
    # 6 frames after TO"); the bound below covers it plus the 1.1 deg of the earlier window.
    assert abs(diff - dec["tilt_plus_axis_cycle_mean_deg"]) <= 3.0
    # over the whole cycle the curves differ by the same amount (measured within 0.7 deg)
    offset = d["curve_fp"]["hip_offset_mean_deg"]
    assert abs(offset - dec["tilt_plus_axis_cycle_mean_deg"]) <= 1.5


@pytest.mark.parametrize("side", ["l", "r"])
def test_3d_recomputation_follows_the_authors_hip_curve(comparison, side):
    """Thigh vs an ASIS/PSIS pelvis frame (Cardan, regression hip centre) reproduces the
    authors' hip angle on average (measured +0.4/+0.7 deg): the explanation accounts for
    the 14-15 deg, not a fitted constant."""
    dec = _side(comparison, side)["decomposition"]
    assert abs(dec["hip3d_curve_mean_diff_vs_authors_deg"]) <= 1.5
