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
    "GaitcheckError",
    "ModelError",
    "NoPersonError",
    "VideoError",
    "LM",
    "Landmarks",
    "load_landmarks",
]
