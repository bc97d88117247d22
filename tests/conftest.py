"""Shared fixtures: where the third-party test material lives, models, a landmark cache.

The real clips, models and mocap live in ``../shared`` beside the repository (or in the
folder named by ``GAITCHECK_TEST_DATA``) and are never committed. Tests that need them
skip with the reason when they are absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GAITCHECK_TEST_DATA", REPO.parent / "shared")).resolve()
VIDEOS = SHARED / "videos"
NO_SHARED = f"third-party test material not found at {SHARED} (set GAITCHECK_TEST_DATA)"


def shared_path(*parts: str) -> Path:
    """Return a path inside the shared test material, or skip the test if it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{NO_SHARED}: missing {p.name}")
    return p


def load_script(name: str):  # noqa: ANN201 - a module
    """Import ``scripts/<name>.py`` as a module (scripts are not a package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def write_test_clip(path: Path, frames, *, rate=30, pix_fmt: str = "yuv420p",  # noqa: ANN001
                    rotation: float | None = None, preset: str | None = None) -> Path:
    """Encode RGB frames (an iterable of ``(h, w, 3)`` uint8 arrays) to an H.264 test clip.

    Written with PyAV directly, not with gaitcheck's own writer, so the clips that feed
    the tests do not depend on the code under test. ``rotation`` sets the display-rotation
    metadata phones write; ``yuv444p`` allows odd frame sizes.
    """
    import av

    out = av.open(str(path), "w")
    s = None
    for a in frames:
        if s is None:
            s = out.add_stream("libx264", rate=rate)
            s.height, s.width = a.shape[:2]
            s.pix_fmt = pix_fmt
            if preset:
                s.options = {"preset": preset}
            if rotation is not None:
                s.set_display_rotation(rotation)
        for p in s.encode(av.VideoFrame.from_ndarray(a, format="rgb24")):
            out.mux(p)
    if s is not None:
        for p in s.encode():
            out.mux(p)
    out.close()
    return path


def video(name: str) -> Path:
    """Return a shared clip by file name (skips when absent)."""
    return shared_path("videos", name)


def all_videos() -> list[Path]:
    """Every clip in the shared videos folder (empty list when absent)."""
    return sorted(p for p in VIDEOS.glob("*") if p.is_file()) if VIDEOS.is_dir() else []


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """A folder holding pose_landmarker_{lite,full,heavy}.task."""
    for cand in (REPO / "models", SHARED / "models"):
        if (cand / "pose_landmarker_full.task").is_file():
            return cand
    pytest.skip("no pose model bundles: run `gaitcheck models install` "
                "(or --from ../shared/models)")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """Point gaitcheck's model lookup and landmark cache at test-owned folders.

    The cache is shared by the whole test session so each real clip goes through
    MediaPipe once; tests that check caching use their own cache folder.
    """
    saved = {k: os.environ.get(k) for k in ("GAITCHECK_CACHE_DIR", "GAITCHECK_MODEL_DIR")}
    os.environ["GAITCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("landmark-cache"))
    for cand in (REPO / "models", SHARED / "models"):
        if (cand / "pose_landmarker_full.task").is_file():
            os.environ["GAITCHECK_MODEL_DIR"] = str(cand)
            break
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


_RUNS: dict[tuple[str, str], object] = {}


@pytest.fixture(scope="session")
def pose_of(model_dir: Path):
    """Return a function giving the (session-cached) pose run of a shared clip."""
    from gaitcheck.pipeline import estimate_landmarks

    def get(name: str, model: str = "full"):
        key = (name, model)
        if key not in _RUNS:
            _RUNS[key] = estimate_landmarks(video(name), model=model, progress=False,
                                            require_person=False)
        return _RUNS[key]

    return get
