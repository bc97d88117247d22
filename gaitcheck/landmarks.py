"""The MediaPipe landmark set and the :class:`Landmarks` container passed between stages.

Coordinates follow MediaPipe: ``x`` and ``y`` are normalised to the image width and
height (0..1, ``y`` grows downwards), ``z`` is MediaPipe's relative depth (about the
scale of ``x``, smaller = nearer the camera), and the fourth channel is the landmark's
visibility (0..1). Left and right are the *runner's* anatomical sides, not image sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LM", "N_LANDMARKS", "Landmarks", "load_landmarks"]

N_LANDMARKS = 33

#: Version of the landmark file layout written by :meth:`Landmarks.save`.
FILE_FORMAT_VERSION = 1


class LM(IntEnum):
    """Indices of the 33 BlazePose landmarks (the runner's left/right)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Lower-case landmark names in index order, as used in tidy tables.
LANDMARK_NAMES: tuple[str, ...] = tuple(m.name.lower() for m in LM)


@dataclass(frozen=True, eq=False)
class Landmarks:
    """Per-frame pose landmarks of one runner in one video.

    A frame in which no person was found is an all-NaN row, so ``n_frames`` always
    equals the number of frames decoded from the video.

    Parameters
    ----------
    xyzv : ndarray of shape (n_frames, 33, 4), float32
        Normalised image ``x``, ``y`` (0..1 of width and height, ``y`` down), relative
        depth ``z`` and visibility (0..1) for each landmark.
    world : ndarray of shape (n_frames, 33, 4), float32, or None
        MediaPipe world landmarks: metres, origin at the hip centre; fourth channel is
        visibility. ``None`` when the source has none (e.g. mocap-derived landmarks).
    fps : float
        Frame rate from the container's timing, never rounded.
    time_s : ndarray of shape (n_frames,), float64
        Presentation time of each frame in seconds, 0 at the first decoded frame.
    image_size : tuple of int
        ``(width, height)`` in pixels of the frames the pose model saw (after rotation).
    model : str
        Name of the pose model (``"full"``, a bundle file name, or a description of a
        non-video source).
    source : str
        File name of the video (or other source) the landmarks come from.
    info : dict
        Free-form provenance: pose settings, number of people seen, etc. JSON-serialisable.
    """

    xyzv: np.ndarray
    world: np.ndarray | None
    fps: float
    time_s: np.ndarray
    image_size: tuple[int, int]
    model: str
    source: str
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.xyzv.ndim != 3 or self.xyzv.shape[1:] != (N_LANDMARKS, 4):
            raise ValueError(f"xyzv must have shape (n, 33, 4), got {self.xyzv.shape}")
        if self.time_s.shape != (self.xyzv.shape[0],):
            raise ValueError("time_s must have one entry per frame")
        if self.world is not None and self.world.shape != self.xyzv.shape:
            raise ValueError("world must have the same shape as xyzv")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def n_frames(self) -> int:
        """Number of frames (rows), including frames without a person."""
        return int(self.xyzv.shape[0])

    @property
    def detected(self) -> np.ndarray:
        """Boolean mask of shape (n_frames,): True where a pose was found."""
        return ~np.isnan(self.xyzv[:, :, 0]).all(axis=1)

    @property
    def detected_share(self) -> float:
        """Share of frames (0..1) in which a pose was found."""
        return float(self.detected.mean()) if self.n_frames else 0.0

    def pixels(self) -> np.ndarray:
        """Return image coordinates in pixels.

        Returns
        -------
        ndarray of shape (n_frames, 33, 2), float64
            ``x`` and ``y`` in pixels (``y`` down), NaN where no pose was found.
        """
        w, h = self.image_size
        return self.xyzv[:, :, :2].astype(np.float64) * np.array([w, h], dtype=np.float64)

    def to_frame(self) -> Any:
        """Return a tidy table with one row per frame and landmark.

        Returns
        -------
        pandas.DataFrame
            Columns ``frame, time_s, landmark, x, y, z, visibility``; ``x`` and ``y`` are
            normalised image coordinates (see the module docstring).
        """
        import pandas as pd

        n = self.n_frames
        flat = self.xyzv.reshape(n * N_LANDMARKS, 4)
        return pd.DataFrame(
            {
                "frame": np.repeat(np.arange(n), N_LANDMARKS),
                "time_s": np.repeat(self.time_s, N_LANDMARKS),
                "landmark": pd.Categorical.from_codes(
                    np.tile(np.arange(N_LANDMARKS), n), categories=list(LANDMARK_NAMES)
                ),
                "x": flat[:, 0],
                "y": flat[:, 1],
                "z": flat[:, 2],
                "visibility": flat[:, 3],
            }
        )

    def write_csv(self, path: str | Path) -> Path:
        """Write the tidy table of :meth:`to_frame` as CSV, atomically (empty = NaN).

        Written without pandas, so that re-exporting cached landmarks stays fast.

        Parameters
        ----------
        path : str or Path
            Destination ``.csv`` file.

        Returns
        -------
        Path
            The path written.
        """
        from .io_utils import atomic_path

        path = Path(path)
        n = self.n_frames
        flat = self.xyzv.reshape(n * N_LANDMARKS, 4).astype(np.float64).tolist()
        frames = np.repeat(np.arange(n), N_LANDMARKS).tolist()
        times = np.repeat(self.time_s, N_LANDMARKS).tolist()
        names = LANDMARK_NAMES * n

        body = "".join(
            [
                f"{f},{t:.6f},{nm},{x:.6g},{y:.6g},{z:.6g},{vis:.6g}\n"
                for f, t, nm, (x, y, z, vis) in zip(frames, times, names, flat, strict=True)
            ]
        ).replace(",nan", ",")
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write("frame,time_s,landmark,x,y,z,visibility\n")
                fh.write(body)
        return path

    def save(self, path: str | Path) -> Path:
        """Write the landmarks to a compressed ``.npz`` file, atomically.

        Parameters
        ----------
        path : str or Path
            Destination; a ``.npz`` suffix is expected.

        Returns
        -------
        Path
            The path written.
        """
        from .io_utils import atomic_path

        path = Path(path)
        meta = {
            "format_version": FILE_FORMAT_VERSION,
            "fps": self.fps,
            "image_size": list(self.image_size),
            "model": self.model,
            "source": self.source,
            "info": self.info,
        }
        arrays: dict[str, np.ndarray] = {
            "xyzv": self.xyzv,
            "time_s": self.time_s,
            "meta_json": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        }
        if self.world is not None:
            arrays["world"] = self.world
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        return path


def load_landmarks(path: str | Path) -> Landmarks:
    """Read landmarks written by :meth:`Landmarks.save`.

    Parameters
    ----------
    path : str or Path
        A ``.npz`` file written by gaitcheck.

    Returns
    -------
    Landmarks
    """
    with np.load(Path(path), allow_pickle=False) as z:
        meta = json.loads(bytes(z["meta_json"]).decode())
        world = z["world"] if "world" in z.files else None
        return Landmarks(
            xyzv=z["xyzv"],
            world=world,
            fps=float(meta["fps"]),
            time_s=z["time_s"],
            image_size=(int(meta["image_size"][0]), int(meta["image_size"][1])),
            model=str(meta["model"]),
            source=str(meta["source"]),
            info=dict(meta.get("info", {})),
        )
