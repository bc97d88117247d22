"""Figures and report pages (the only module that imports matplotlib).

Figures are built with the object-oriented API on an Agg canvas: no ``pyplot`` state,
no backend switching, nothing shown on screen.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .io_utils import atomic_path
from .landmarks import LM, Landmarks

__all__ = ["plot_landmark_traces", "plot_events"]

_TRACE_POINTS = (
    ("hip", LM.LEFT_HIP, LM.RIGHT_HIP),
    ("knee", LM.LEFT_KNEE, LM.RIGHT_KNEE),
    ("ankle", LM.LEFT_ANKLE, LM.RIGHT_ANKLE),
    ("heel", LM.LEFT_HEEL, LM.RIGHT_HEEL),
    ("toe", LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX),
)

#: Colours used for the runner's left and right side everywhere in gaitcheck.
SIDE_COLOURS = {"l": "#1f77b4", "r": "#d62728"}


def _figure(width_in: float, height_in: float):  # noqa: ANN202
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_landmark_traces(landmarks: Landmarks, path: str | os.PathLike[str]) -> Path:
    """Draw raw hip, knee, ankle, heel and toe positions over time, and save a PNG.

    One row per landmark; the left column shows horizontal and the right column
    vertical image position, in pixels (vertical axis flipped so that up is up). Left
    side in blue, right side in red; grey bands mark frames without a pose.

    Parameters
    ----------
    landmarks : Landmarks
        Pose-stage output.
    path : path-like
        PNG file to write (atomically).

    Returns
    -------
    Path
        The file written.
    """
    px = landmarks.pixels()
    t = landmarks.time_s
    missing = ~landmarks.detected
    fig = _figure(11, 9)
    axes = fig.subplots(len(_TRACE_POINTS), 2, sharex=True, squeeze=False)
    for row, (name, li, ri) in enumerate(_TRACE_POINTS):
        for col, (coord, label) in enumerate(((0, "x"), (1, "y"))):
            ax = axes[row, col]
            for side, idx in (("l", li), ("r", ri)):
                ax.plot(t, px[:, idx, coord], color=SIDE_COLOURS[side], lw=1.0,
                        label=f"{'left' if side == 'l' else 'right'} {name}")
            if missing.any():
                ax.fill_between(t, 0, 1, where=missing, transform=ax.get_xaxis_transform(),
                                color="0.85", step="mid", lw=0)
            if coord == 1:
                ax.invert_yaxis()
            ax.set_ylabel(f"{name} {label} (px)")
            ax.grid(alpha=0.3)
            if row == 0:
                ax.set_title(
                    "horizontal position (px, to image right)" if coord == 0
                    else "vertical position (px, up = up)", fontsize=10,
                )
        axes[row, 0].legend(loc="upper right", fontsize=7, ncol=2, framealpha=0.7)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    w, h = landmarks.image_size
    fig.suptitle(
        f"{landmarks.source} - raw landmarks ({landmarks.model} model, {landmarks.fps:.3f} fps, "
        f"{w}x{h}, pose in {100 * landmarks.detected_share:.0f} % of frames; grey = no pose)",
        fontsize=10,
    )
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    return out


def plot_events(result, path: str | os.PathLike[str]) -> Path:  # noqa: ANN001
    """Draw foot heights with the detected contacts and events, and save a PNG.

    One panel per foot: heel and toe height (leg lengths above the clip's lowest level,
    up = up), the foot-minus-pelvis horizontal position (thin grey, right axis), shaded
    contacts from initial contact (triangle) to toe-off (square), midstance ticks.
    Strides flagged invalid are hatched. A person can check by eye whether each contact
    starts where the foot lands and ends where it leaves the ground.

    Parameters
    ----------
    result : gaitcheck.pipeline.AnalysisResult
        The analysis.
    path : path-like
        PNG file to write (atomically).

    Returns
    -------
    Path
        The file written.
    """
    kin, ev = result.kinematics, result.events
    a = kin.angles
    t = kin.time_s
    fig = _figure(12, 6.5)
    axes = fig.subplots(2, 1, sharex=True, squeeze=False)[:, 0]
    names = {"l": "left", "r": "right"}
    near = kin.info.get("near_side")
    invalid_ic = set(
        ev.strides.loc[~ev.strides["valid"], "ic_frame"].astype(int).tolist()
    ) if len(ev.strides) else set()
    for ax, side in zip(axes, ("l", "r"), strict=True):
        col = SIDE_COLOURS[side]
        heel = a[f"heel_y_{side}_leg"].to_numpy()
        toe = a[f"toe_y_{side}_leg"].to_numpy()
        base = np.nanmin(np.fmin(heel, toe)) if np.isfinite(np.fmin(heel, toe)).any() else 0.0
        ax.plot(t, heel - base, color=col, lw=1.2, label="heel height")
        ax.plot(t, toe - base, color=col, lw=1.0, ls="--", label="toe height")
        c = ev.contacts[ev.contacts["side"] == side]
        for row in c.itertuples():
            bad = int(row.ic_frame) in invalid_ic
            ax.axvspan(row.ic_time_s, row.to_time_s, color=col, alpha=0.12 if not bad else 0.05,
                       hatch="//" if bad else None, lw=0)
        ax.plot(c["ic_time_s"], np.zeros(len(c)), "v", color="k", ms=6, label="initial contact")
        ax.plot(c["to_time_s"], np.zeros(len(c)), "s", color="k", ms=4, mfc="white",
                label="toe-off")
        ax.plot(c["ms_time_s"], np.zeros(len(c)), "|", color="k", ms=10, label="midstance")
        ax2 = ax.twinx()
        rel = a[f"ankle_x_{side}_leg"].to_numpy() - a["pelvis_x_leg"].to_numpy()
        ax2.plot(t, rel, color="0.55", lw=0.7)
        ax2.set_ylabel("ankle - pelvis, forward (leg)", color="0.45", fontsize=8)
        ax2.tick_params(axis="y", labelsize=7, colors="0.45")
        limb = "" if near is None or kin.view != "side" else (
            " (near the camera)" if side == near else " (far from the camera)")
        ax.set_title(f"{names[side]} foot{limb}: {len(c)} contacts", fontsize=10, loc="left")
        ax.set_ylabel("height (leg lengths)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7, ncol=5, framealpha=0.8)
    axes[-1].set_xlabel("time (s)")
    s = result.summary()
    cad = "n/a" if not np.isfinite(s["cadence_spm"]) else f"{s['cadence_spm']:.1f} steps/min"
    status = "analysable" if result.analysable else f"NOT analysable: {result.reason}"
    fig.suptitle(
        f"{s['source']} - gait events ({s['view']} view, {s['fps']:.4g} fps): cadence {cad}, "
        f"{s['valid_strides']}/{s['strides']} strides valid; {status}",
        fontsize=9, wrap=True,
    )
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    return out
