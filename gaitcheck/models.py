"""Pose model bundles: where they come from, where gaitcheck looks for them, and checks.

A MediaPipe Pose Landmarker bundle (``.task``) is a zip archive holding two TFLite
models: ``pose_detector.tflite`` (finds a person) and ``pose_landmarks_detector.tflite``
(places the 33 landmarks). Three sizes exist: ``lite``, ``full`` (the default) and
``heavy``.

Lookup order for a model name (``lite``/``full``/``heavy``):

1. ``--model PATH`` (a path to a ``.task`` file is used as given);
2. the folder in the ``GAITCHECK_MODEL_DIR`` environment variable;
3. ``./models`` in the current folder;
4. the user cache folder (e.g. ``~/.cache/gaitcheck/models`` on Linux).
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError
from .io_utils import atomic_path, file_sha256

__all__ = [
    "MODEL_NAMES",
    "DEFAULT_MODEL",
    "OFFICIAL_URL_TEMPLATE",
    "ModelInfo",
    "bundle_filename",
    "search_dirs",
    "default_install_dir",
    "resolve_model",
    "verify_bundle",
    "install_models",
]

MODEL_NAMES: tuple[str, ...] = ("lite", "full", "heavy")
DEFAULT_MODEL = "full"

#: Public MediaPipe model storage address of the official bundles (as given in the
#: MediaPipe Pose Landmarker documentation). ``{name}`` is lite, full or heavy.
OFFICIAL_URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{name}/float16/latest/pose_landmarker_{name}.task"
)

#: The two members every pose landmarker bundle must hold.
REQUIRED_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

_INSTALL_CMD = "gaitcheck models install"


@dataclass(frozen=True)
class ModelInfo:
    """A resolved model bundle.

    Parameters
    ----------
    name : str
        ``lite``, ``full``, ``heavy``, or the file stem for a bundle given by path.
    path : Path
        The ``.task`` file.
    """

    name: str
    path: Path

    def sha256(self) -> str:
        """Return the SHA-256 of the bundle file."""
        return file_sha256(self.path)


def bundle_filename(name: str) -> str:
    """Return the file name of a named bundle, e.g. ``pose_landmarker_full.task``."""
    return f"pose_landmarker_{name}.task"


def _user_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gaitcheck")) / "models"


def search_dirs() -> list[Path]:
    """Return the folders searched for named bundles, in lookup order."""
    dirs: list[Path] = []
    env = os.environ.get("GAITCHECK_MODEL_DIR")
    if env:
        dirs.append(Path(env).expanduser())
    dirs.append(Path.cwd() / "models")
    dirs.append(_user_cache_dir())
    return dirs


def default_install_dir() -> Path:
    """Return where ``gaitcheck models install`` puts bundles by default.

    ``GAITCHECK_MODEL_DIR`` when set; else ``./models`` when that folder exists (a
    gaitcheck checkout); else the user cache folder.
    """
    env = os.environ.get("GAITCHECK_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / "models"
    if local.is_dir():
        return local
    return _user_cache_dir()


def resolve_model(model: str | os.PathLike[str] = DEFAULT_MODEL) -> ModelInfo:
    """Find the bundle for a model name or path.

    Parameters
    ----------
    model : str or path-like
        ``lite``, ``full`` or ``heavy``, or the path of a ``.task`` file.

    Returns
    -------
    ModelInfo

    Raises
    ------
    ModelError
        When the name is unknown or no bundle is found; the message names the command
        that installs it.
    """
    text = os.fspath(model)
    if text not in MODEL_NAMES:
        path = Path(text).expanduser()
        if path.suffix == ".task" or path.exists() or os.sep in text:
            if not path.is_file():
                raise ModelError(f"model file {path} does not exist")
            return ModelInfo(name=path.stem, path=path)
        raise ModelError(
            f"unknown model {text!r}", hint="use lite, full, heavy or the path of a .task file"
        )
    fname = bundle_filename(text)
    for d in search_dirs():
        cand = d / fname
        if cand.is_file():
            return ModelInfo(name=text, path=cand)
    looked = ", ".join(str(d) for d in search_dirs())
    raise ModelError(
        f"pose model {text!r} ({fname}) not found in {looked}",
        hint=f"run: {_INSTALL_CMD} {text}",
    )


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(512)


def verify_bundle(
    path: str | os.PathLike[str], *, load: bool = True, name: str | None = None,
    check_crc: bool = True,
) -> None:
    """Check that a file is a usable pose landmarker bundle.

    Parameters
    ----------
    path : str or path-like
        The ``.task`` file.
    load : bool, optional
        Also load it with MediaPipe (the final proof that it works).
    name : str, optional
        How to name the file in messages (e.g. the download address of a temporary file).
    check_crc : bool, optional
        Also decompress every member to check its CRC (reads the whole bundle).

    Raises
    ------
    ModelError
        With a one-line message naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        _verify(path, load=load, check_crc=check_crc)
    except ModelError as err:
        if name is None:
            raise
        raise ModelError(err.message.replace(str(path), name), hint=err.hint) from err


def _verify(path: Path, *, load: bool, check_crc: bool) -> None:
    if not path.is_file():
        raise ModelError(f"{path}: no such model file", hint=f"run: {_INSTALL_CMD}")
    size = path.stat().st_size
    if size == 0:
        raise ModelError(f"{path}: empty file (0 bytes), not a model bundle")
    head = _sniff(path)
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<?xml", b"<html", b"<!doctype", b"<")):
        raise ModelError(
            f"{path}: is an XML/HTML page ({size} bytes), not a model bundle "
            "- a failed download saved under a .task name",
            hint=f"delete it and run: {_INSTALL_CMD}",
        )
    if not zipfile.is_zipfile(path):
        what = (
            "a truncated zip archive (incomplete download?)"
            if b"PK\x03\x04" in head
            else "not a zip archive"
        )
        raise ModelError(
            f"{path}: is {what} ({size} bytes), not a usable model bundle",
            hint=f"delete it and run: {_INSTALL_CMD}",
        )
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in REQUIRED_MEMBERS if m not in names]
            if missing:
                raise ModelError(
                    f"{path}: zip archive lacks {', '.join(missing)}; "
                    "not a pose landmarker bundle"
                )
            bad = zf.testzip() if check_crc else None
            if bad is not None:
                raise ModelError(f"{path}: member {bad} is corrupt (CRC mismatch)")
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{path}: damaged zip archive ({exc})") from exc
    if load:
        from .pose import check_model_loads

        check_model_loads(path)


def _download(url: str, dest: Path, *, progress: bool, timeout_s: float = 60.0) -> None:
    from tqdm.auto import tqdm

    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310
            total = int(resp.headers.get("Content-Length") or 0) or None
            with (
                open(dest, "wb") as fh,
                tqdm(
                    total=total,
                    unit="B",
                    unit_scale=True,
                    desc=dest.name.split(".part")[0].lstrip("."),
                    disable=not progress,
                    leave=False,
                ) as bar,
            ):
                while True:
                    block = resp.read(1 << 16)
                    if not block:
                        break
                    fh.write(block)
                    bar.update(len(block))
            if total is not None and dest.stat().st_size != total:
                raise ModelError(
                    f"download of {url} stopped after {dest.stat().st_size} of {total} bytes",
                    hint="try again",
                )
    except urllib.error.HTTPError as exc:
        raise ModelError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(
            f"cannot download {url}: {reason}",
            hint=f"without internet, copy the bundles from a folder: {_INSTALL_CMD} --from DIR",
        ) from exc


def install_models(
    names: tuple[str, ...] | list[str] = MODEL_NAMES,
    *,
    dest: str | os.PathLike[str] | None = None,
    source_dir: str | os.PathLike[str] | None = None,
    url_template: str | None = None,
    force: bool = False,
    progress: bool = True,
    log=print,  # noqa: ANN001
) -> list[Path]:
    """Install pose landmarker bundles, by download or by copying from a folder.

    Every bundle is written to a temporary file beside its destination, verified
    (zip layout and MediaPipe load) and only then renamed into place, so an
    interrupted or failed install never leaves a damaged ``.task`` behind.

    Parameters
    ----------
    names : sequence of str, optional
        Which bundles (``lite``, ``full``, ``heavy``); all three by default.
    dest : path-like, optional
        Destination folder; :func:`default_install_dir` by default.
    source_dir : path-like, optional
        Copy ``pose_landmarker_<name>.task`` from this folder instead of downloading.
    url_template : str, optional
        Download address with ``{name}``; :data:`OFFICIAL_URL_TEMPLATE` by default
        (or the ``GAITCHECK_MODEL_URL`` environment variable when set).
    force : bool, optional
        Replace bundles that are already installed and valid.
    progress : bool, optional
        Show a download progress bar.
    log : callable, optional
        Receives one line of text per bundle.

    Returns
    -------
    list of Path
        The installed bundle paths.
    """
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise ModelError(f"unknown model name(s): {', '.join(unknown)}; use lite, full or heavy")
    dest_dir = Path(dest).expanduser() if dest is not None else default_install_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    template = url_template or os.environ.get("GAITCHECK_MODEL_URL") or OFFICIAL_URL_TEMPLATE
    done: list[Path] = []
    for name in names:
        final = dest_dir / bundle_filename(name)
        if final.exists() and not force:
            try:
                verify_bundle(final, load=False)
            except ModelError:
                log(f"{final}: damaged, replacing it")
            else:
                log(f"{name}: already installed at {final}")
                done.append(final)
                continue
        with atomic_path(final) as tmp:
            if source_dir is not None:
                src = Path(source_dir).expanduser() / bundle_filename(name)
                if not src.is_file():
                    raise ModelError(f"{src}: not found", hint="check the folder given to --from")
                shutil.copyfile(src, tmp)
                origin = str(src)
            else:
                url = template.format(name=name)
                _download(url, tmp, progress=progress)
                origin = url
            verify_bundle(tmp, name=origin)
        log(f"{name}: installed {final} ({final.stat().st_size / 1e6:.1f} MB) from {origin}")
        done.append(final)
    return done
