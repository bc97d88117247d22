"""The runner's report: pages, files, text, and drawing from a saved result.

Integration on the zzzhushi treadmill clip (real MediaPipe landmarks, session-cached); a
synthetic rear-view runner (from ``test_markers``) and the layout helpers without
MediaPipe. The PDF is checked without a PDF library: pages are counted from its page objects and the
text is read from its (deflated) content streams, where matplotlib writes each line as
literal strings inside ``TJ`` arrays.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_markers import rear_runner

from gaitcheck.pipeline import analyze_landmarks
from gaitcheck.report import (
    PAGE_SIZE_IN,
    _clear_spot,
    _spread_ticks,
    render_report,
    report_pages,
)

CLIP = "zzzhushi_treadmill_side_portrait_male_side.mp4"

integration = pytest.mark.integration


# ---- reading the PDF back ----------------------------------------------------------


def pdf_page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


_LITERAL = re.compile(rb"\((?:\\.|[^\\()])*\)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(lit: bytes) -> bytes:
    body = lit[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b"\\" and i + 1 < len(body):
            nxt = body[i + 1:i + 2]
            if nxt.isdigit():
                m = re.match(rb"[0-7]{1,3}", body[i + 1:])
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
                continue
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += c
        i += 1
    return bytes(out)


def pdf_text(data: bytes) -> str:
    """Text of every BT...ET block of every deflated stream, one block per line."""
    lines = []
    view = memoryview(data)
    for m in re.finditer(rb">>\s*stream\r?\n", data):
        try:  # inflate from the stream's start; zlib stops at the end of its own data
            content = zlib.decompressobj().decompress(view[m.end():])
        except zlib.error:
            continue
        for block in re.findall(rb"BT(.*?)ET", content, re.S):
            parts = [_unescape(s) for s in _LITERAL.findall(block)]
            lines.append(b"".join(parts).decode("latin-1"))
    return "\n".join(lines)


# ---- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result(pose_of):
    run = pose_of(CLIP)
    res = analyze_landmarks(run.landmarks, pose=run)
    assert res.analysable, res.reason
    return res


@pytest.fixture(scope="module")
def rendered(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    (out / "report-99.png").write_bytes(b"stale page of an older, longer report")
    files = render_report(result, out, runner="Runner 007")
    return out, files


# ---- tests ---------------------------------------------------------------------------


@integration
def test_report_has_the_expected_pages_and_files(result, rendered):
    out, files = rendered
    titles = report_pages(result, runner="Runner 007")
    n = len(titles)
    # fixed pages first, methods last; findings and drills in between (as many as the
    # text needs: at least one page each with this clip's findings and 8-drill plan)
    assert titles[:4] == ["Summary and scorecard", "Key frames of a representative stride",
                          "Joint angles over the gait cycle", "Markers stride by stride"]
    assert titles[4].startswith("Findings")
    assert any("Drill plan" in t for t in titles)
    assert titles[-1].startswith("Methods and limitations")
    assert len(result.recommendations) > 0
    assert n >= 7

    pdf = out / "report.pdf"
    assert files[0] == pdf and pdf.is_file()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and pdf_page_count(data) == n

    pngs = sorted(out.glob("report-*.png"), key=lambda p: int(p.stem.split("-")[1]))
    assert [p.name for p in pngs] == [f"report-{k}.png" for k in range(1, n + 1)]
    assert files[1:] == pngs  # the stale report-99.png is gone
    assert not list(out.glob(".*.part"))  # no temporary file left behind

    from PIL import Image

    for p in pngs:
        with Image.open(p) as im:
            w, h = im.size
        assert abs(w / h - PAGE_SIZE_IN[0] / PAGE_SIZE_IN[1]) < 0.01 and w >= 1000


@integration
def test_report_text_says_what_a_reader_needs(result, rendered):
    out, _ = rendered
    text = pdf_text((out / "report.pdf").read_bytes())
    assert "not a diagnosis" in text
    assert "Runner 007" in text
    assert CLIP in text
    for title in report_pages(result):
        assert title in text  # every page title, in order of the plan
    assert "Strength of evidence" in text
    assert "Timing resolution at 30 fps" in text
    assert "one frame = 33.3 ms" in text
    for rec in result.recommendations:
        assert rec.name in text
        assert "article" in text
    flags = [f for f in result.findings if f.level == "flag"]
    assert flags and "FLAG" in text


@integration
def test_stills_from_the_landmarks_when_the_video_has_moved(result, tmp_path):
    files = render_report(result, tmp_path, png=False, video=tmp_path / "moved.mp4")
    assert files == [tmp_path / "report.pdf"]
    text = pdf_text(files[0].read_bytes())
    assert "was not found" in text and "landmarks only" in text


@integration
def test_page_count_follows_the_drill_plan(result):
    full = report_pages(result)
    one = report_pages(replace(result, recommendations=result.recommendations[:1]))
    none = report_pages(replace(result, recommendations=()))
    assert len(none) <= len(one) <= len(full)
    assert any("Drill plan" in t for t in one)


@integration
def test_a_clip_that_could_not_be_analysed_gets_summary_and_methods(result, tmp_path):
    bad = replace(result, analysable=False, reason="too few strides (test)", markers=None,
                  marker_summary=None, findings=(), recommendations=())
    titles = report_pages(bad)
    assert titles[0] == "Summary"
    assert all(t.startswith(("Summary", "Methods")) for t in titles[1:])
    files = render_report(bad, tmp_path, png=False)
    data = files[0].read_bytes()
    assert pdf_page_count(data) == len(titles)
    assert "too few strides (test)" in pdf_text(data)


@integration
def test_matplotlib_is_not_imported_with_the_module():
    code = "import sys, gaitcheck.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


# ---- without MediaPipe ---------------------------------------------------------------


def test_rear_view_report_has_no_side_view_text(tmp_path):
    res = analyze_landmarks(rear_runner(n=420, cross_px=8.0))
    assert res.analysable and res.kinematics.view == "rear"
    files = render_report(res, tmp_path, png=False)
    text = pdf_text(files[0].read_bytes())
    assert "Hip adduction (thigh vs pelvis)" in text  # the frontal curves
    assert "square behind or in" in text  # their note is the rear view's
    assert "only in a side view" not in text
    assert "In a side view the far leg" not in text
    assert "In a rear or front view the legs pass" in text


def test_band_threshold_labels_are_kept_when_they_fit():
    # a narrow watch zone (14 to 17 on a 1.78 in strip from 12 to 32): both labels fit
    assert _spread_ticks([14.0, 17.0], 12.0, 32.3, 1.78) == [14.0, 17.0]
    assert _spread_ticks([164.0, 168.0], 163.3, 170.6, 1.78) == [164.0, 168.0]
    # labels that would overlap: the second is dropped; outside the axis: not shown
    assert _spread_ticks([14.0, 14.5, 40.0], 12.0, 32.3, 1.78) == [14.0]


def test_keyframe_label_keeps_off_the_runner():
    leg = 200.0
    box = (0.0, 400.0, 0.0, 700.0)  # x0, x1, y0, y1 of the still, in pixels
    t = np.linspace(0, 1, 30)[:, None]
    legs = np.vstack([np.array([200.0, 250.0]) + t * np.array([0.0, 400.0]),  # a vertical leg
                      np.array([230.0, 250.0]) + t * np.array([-80.0, 300.0])])
    anchor = np.array([210.0, 450.0])  # on the legs
    hw, hh = 50.0, 10.0
    x, y = _clear_spot(anchor, (hw, hh), legs, box, leg)
    dx = np.clip(np.abs(legs[:, 0] - x) - hw, 0, None)
    dy = np.clip(np.abs(legs[:, 1] - y) - hh, 0, None)
    assert np.hypot(dx, dy).min() >= 0.07 * leg  # clear of both legs
    assert box[0] <= x - hw and x + hw <= box[1] and box[2] <= y - hh and y + hh <= box[3]
    assert np.hypot(x - anchor[0], y - anchor[1]) < 0.8 * leg  # and still near its anchor
