"""gaitcheck: running-form analysis from a video.

frames -> MediaPipe pose landmarks -> kinematics -> gait events -> per-stride markers
-> findings against cited bands -> corrective drills.
"""

from __future__ import annotations

from .errors import GaitcheckError, ModelError, NoPersonError, VideoError
from .landmarks import LM, Landmarks, load_landmarks

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "analyze_video",
    "analyze_landmarks",
    "AnalysisConfig",
    "AnalysisResult",
    "GaitcheckError",
    "ModelError",
    "NoPersonError",
    "VideoError",
    "LM",
    "Landmarks",
    "load_landmarks",
]


_LAZY = {"analyze_video", "analyze_landmarks", "AnalysisConfig", "AnalysisResult"}


def __getattr__(name: str) -> object:
    """Import the pipeline on first use (keeps ``import gaitcheck`` light)."""
    if name in _LAZY:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'gaitcheck' has no attribute {name!r}")
