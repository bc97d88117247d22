"""Gait events from real MediaPipe landmarks against hand-labelled frames of a real clip.

The scoring lives in ``scripts/validate_events_video.py`` (loaded here with importlib) so
the script's table and these acceptance bars use the same rules; its docstring explains
them (pairing, misses, extras, window edges). The synthetic tests below pin the scorer
itself so that a lenient scorer cannot make the integration test pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_script, shared_path

from gaitcheck.models import DEFAULT_MODEL

CLIP = "zzzhushi_treadmill_side_portrait_male_side"


vev = load_script("validate_events_video")


# --------------------------------------------------------------------------------------
# the scorer on synthetic labels (no shared data needed)


def _labels() -> pd.DataFrame:
    """Two contacts per foot, alternating, near = left; the first TO is cut (no IC)."""
    rows = [(3, "to", "l"), (6, "ic", "r"), (13, "to", "r"), (16, "ic", "l"),
            (24, "to", "l"), (27, "ic", "r"), (34, "to", "r"), (38, "ic", "l")]
    lab = pd.DataFrame(rows, columns=["frame", "event", "side"])
    lab["near_far"] = np.where(lab["side"] == "l", "near", "far")
    return lab


def _contacts(pairs: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["side", "ic_frame", "to_frame"])


WINDOW = (0, 40)


def test_scorer_perfect_detection_scores_full_marks():
    c = _contacts([("r", 6, 13), ("l", 16, 24), ("r", 27, 34), ("l", 38, 46)])
    s = vev.score_contacts(c, _labels(), window=WINDOW)
    assert s["ic"]["summary"]["all"] == {"n": 4, "within_1": 1.0, "within_2": 1.0,
                                         "missed": 0, "extra": 0, "swap": 0}
    # the TO at frame 3 belongs to a contact begun before the clip: nothing detects it
    to = s["to"]["summary"]["all"]
    assert to["missed"] == 1 and to["within_1"] == 0.75 and to["extra"] == 0
    # TO at 46 lies after the window: neither scored nor an extra
    assert s["to"]["unpaired"].empty


def test_scorer_counts_two_frame_errors_outside_one_frame():
    c = _contacts([("r", 8, 13), ("l", 14, 24), ("r", 27, 34), ("l", 38, 46)])
    s = vev.score_contacts(c, _labels(), window=WINDOW)["ic"]
    assert s["summary"]["all"]["within_1"] == 0.5 and s["summary"]["all"]["within_2"] == 1.0
    assert list(s["labels"]["error"]) == [2.0, -2.0, 0.0, 0.0]
    c = _contacts([("r", 9, 13), ("l", 16, 24), ("r", 27, 34), ("l", 38, 46)])
    s = vev.score_contacts(c, _labels(), window=WINDOW)["ic"]
    # three frames off: a miss *and* an extra
    assert s["summary"]["all"]["missed"] == 1 and s["summary"]["all"]["extra"] == 1
    assert s["summary"]["far"]["missed"] == 1 and s["summary"]["near"]["missed"] == 0


def test_scorer_wrong_foot_is_a_miss_and_a_swap():
    c = _contacts([("r", 6, 13), ("r", 16, 24), ("r", 27, 34), ("l", 38, 46)])
    s = vev.score_contacts(c, _labels(), window=WINDOW)
    ic = s["ic"]["summary"]
    assert ic["all"]["missed"] == 1 and ic["all"]["swap"] == 1 and ic["all"]["extra"] == 0
    assert ic["near"]["within_1"] == 0.5


def test_scorer_extras_and_duplicates_inside_the_window_only():
    c = _contacts([("r", 6, 13), ("l", 16, 24), ("l", 16, 25), ("r", 27, 34),
                   ("l", 38, 46), ("r", 20, 21), ("r", 45, 50)])
    s = vev.score_contacts(c, _labels(), window=WINDOW)
    assert s["ic"]["summary"]["all"]["extra"] == 2  # duplicate at 16, spurious at 20
    assert s["to"]["summary"]["all"]["extra"] == 2  # 21 and the duplicate's 25
    assert s["ic"]["summary"]["all"]["within_1"] == 1.0  # extras do not hide in the share
    # frame 45 and 50 lie after the labelled window
    assert 45 not in set(s["ic"]["unpaired"]["frame"])


def test_scorer_pairs_an_edge_label_with_a_detection_just_outside():
    lab = _labels()
    c = _contacts([("r", 6, 13), ("l", 16, 24), ("r", 27, 34), ("l", 39, 46)])
    s = vev.score_contacts(c, lab, window=(0, 38))
    assert s["ic"]["summary"]["all"]["within_1"] == 1.0
    assert s["ic"]["summary"]["all"]["extra"] == 0


def test_load_labels_marks_cut_contacts():
    path = shared_path("groundtruth", f"{CLIP}.events.csv")
    lab = vev.load_labels(path)
    assert len(lab) == 40 and (lab["event"] == "ic").sum() == 20
    assert lab.loc[lab["cut"], ["frame", "event", "side"]].values.tolist() == [
        [3, "to", "l"], [209, "ic", "l"]]
    assert set(lab.loc[lab["side"] == "l", "near_far"]) == {"near"}


# --------------------------------------------------------------------------------------
# acceptance on the real clip with the default model


@pytest.mark.integration
def test_default_model_events_match_hand_labels(pose_of):
    assert DEFAULT_MODEL == "full"
    labels = vev.load_labels(shared_path("groundtruth", f"{CLIP}.events.csv"))
    truth, _ = vev.load_cadence_truth(shared_path("groundtruth", f"{CLIP}.groundtruth.json"))
    run = pose_of(f"{CLIP}.mp4", DEFAULT_MODEL)
    res = vev.evaluate_landmarks(run.landmarks, labels)
    msgs = []
    for ev in ("ic", "to"):
        sc = res["scores"][ev]
        s = sc["summary"]["all"]
        lab = sc["labels"]
        errs = {int(f): (None if np.isnan(e) else int(e))
                for f, e in zip(lab["frame"], lab["error"], strict=True)}
        msgs.append(f"{ev}: {s}; errors by label frame {errs}")
        assert s["within_1"] >= 0.85, msgs[-1]
        assert s["extra"] + s["swap"] <= 0.10 * s["n"], msgs[-1]
    assert abs(res["cadence_spm"] - truth) <= 1.0, f"cadence {res['cadence_spm']:.2f} spm"


def test_script_help_runs():
    with pytest.raises(SystemExit) as e:
        vev.main(["--help"])
    assert e.value.code == 0
