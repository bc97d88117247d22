"""Figures and report pages (the only module that imports matplotlib).

Figures are built with the object-oriented API on an Agg canvas: no ``pyplot`` state,
no backend switching, nothing shown on screen.
"""

from __future__ import annotations

import os
from pathlib import Path

from .io_utils import atomic_path
from .landmarks import LM, Landmarks

__all__ = ["plot_landmark_traces"]

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
