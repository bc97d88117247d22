"""Video input: probe a file and decode its frames in order, with their timestamps.

Decoding uses PyAV (FFmpeg). Frames are returned as C-contiguous RGB arrays, turned
upright according to the container's rotation metadata (portrait phone clips), because
the pose model expects an upright person and a non-contiguous array silently gives
wrong landmarks in MediaPipe.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import VideoError

__all__ = [
    "VideoMeta",
    "probe_video",
    "iter_frames",
    "sample_frames",
    "prefetch",
    "lower_thread_priority",
    "Frame",
    "H264Writer",
]


@dataclass(frozen=True)
class VideoMeta:
    """What the container says about a video, plus what decoding its first frame showed.

    Parameters
    ----------
    path : Path
        The video file.
    fps : float
        Average frame rate from the container's timing (e.g. 29.97002997), never rounded.
    n_frames_reported : int or None
        Frame count from the container's metadata, or estimated from its duration. It
        can overstate the decodable frames: the pose stage counts the frames it decodes.
    width, height : int
        Size in pixels of the upright frames (after applying ``rotation_deg``).
    rotation_deg : int
        Counter-clockwise rotation (0, 90, 180 or 270) applied to the stored frames to
        show them upright, from the container's display matrix.
    codec : str
        FFmpeg's name of the video codec (``h264``, ``mpeg4``, ``vp9``...).
    duration_s : float or None
        Duration from the container, if known.
    """

    path: Path
    fps: float
    n_frames_reported: int | None
    width: int
    height: int
    rotation_deg: int
    codec: str
    duration_s: float | None

    @property
    def portrait(self) -> bool:
        """True when the upright frame is taller than wide."""
        return self.height > self.width


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Parameters
    ----------
    index : int
        0-based index among the decoded frames.
    time_s : float
        Presentation time in seconds, 0 at the first decoded frame.
    rgb : ndarray of shape (height, width, 3), uint8
        Upright, C-contiguous RGB pixels.
    """

    index: int
    time_s: float
    rgb: np.ndarray


def _open(path: Path):  # noqa: ANN202 - returns an av container
    import av

    if not path.exists():
        raise VideoError(f"{path}: no such file", hint="check the path")
    if path.is_dir():
        raise VideoError(f"{path}: is a folder, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty (0 bytes)", hint="copy the video again")
    try:
        container = av.open(str(path), mode="r")
    except PermissionError as exc:
        raise VideoError(f"{path}: cannot be read (permission denied)") from exc
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(
            f"{path}: not a readable video ({_short(exc)})",
            hint="is it really a video? re-export it as MP4 (H.264)",
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: has no video stream", hint="pass a video file, not audio")
    return container


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _rotation_of(frame) -> int:  # noqa: ANN001
    rot = getattr(frame, "rotation", 0) or 0
    return int(round(float(rot) / 90.0)) % 4 * 90


def _fps_of(stream) -> float:  # noqa: ANN001
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and float(rate) > 0:
            return float(rate)
    raise VideoError("the video stream has no frame rate", hint="re-export it as MP4 (H.264)")


def probe_video(path: str | Path) -> VideoMeta:
    """Read a video's timing, size and orientation, and check that a frame decodes.

    Parameters
    ----------
    path : str or Path
        Video file (any container and codec FFmpeg can read: MP4, MOV, WebM; H.264,
        HEVC, MPEG-4 Part 2, VP9...).

    Returns
    -------
    VideoMeta

    Raises
    ------
    VideoError
        When the path does not exist, is empty, is not a video, has no video stream or
        no frame can be decoded.
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = _fps_of(stream)
        duration_s: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration_s = container.duration / 1_000_000
        n_reported: int | None = int(stream.frames) if stream.frames else None
        if n_reported is None and duration_s:
            n_reported = int(math.floor(duration_s * fps + 0.5))
        try:
            first = next(container.decode(stream), None)
        except (av.error.FFmpegError, OSError) as exc:
            raise VideoError(
                f"{path}: the video stream cannot be decoded ({_short(exc)})",
                hint="the file may be truncated or corrupt; re-export it",
            ) from exc
        if first is None:
            raise VideoError(f"{path}: the video stream holds no decodable frame")
        rot = _rotation_of(first)
        w, h = first.width, first.height
        if rot in (90, 270):
            w, h = h, w
        return VideoMeta(
            path=path,
            fps=fps,
            n_frames_reported=n_reported,
            width=int(w),
            height=int(h),
            rotation_deg=rot,
            codec=stream.codec_context.name,
            duration_s=duration_s,
        )
    finally:
        container.close()


def iter_frames(path: str | Path, *, rotation_deg: int | None = None) -> Iterator[Frame]:
    """Decode every frame of a video in presentation order.

    Parameters
    ----------
    path : str or Path
        Video file.
    rotation_deg : int, optional
        Counter-clockwise rotation applied to show frames upright. By default the
        rotation stored in each frame's display matrix is used.

    Yields
    ------
    Frame
        Upright, C-contiguous RGB frames with times in seconds from the first frame.
        Frames whose timestamp is missing get one extrapolated from the frame rate.

    Raises
    ------
    VideoError
        When the file cannot be opened or decoding fails before any frame.
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = _fps_of(stream)
        tb = float(stream.time_base) if stream.time_base is not None else None
        t0: float | None = None
        last_t = -math.inf
        index = 0
        decoder = container.decode(stream)
        while True:
            try:
                frame = next(decoder)
            except StopIteration:
                break
            except (av.error.FFmpegError, OSError) as exc:
                if index == 0:
                    raise VideoError(
                        f"{path}: the video stream cannot be decoded ({_short(exc)})",
                        hint="the file may be truncated or corrupt; re-export it",
                    ) from exc
                break  # a damaged tail: keep the frames decoded so far
            if frame.pts is not None and tb is not None:
                t = frame.pts * tb
                if t0 is None:
                    t0 = t
                t = t - t0
            else:
                t = index / fps
            if t <= last_t:  # repeated or backwards timestamps: keep time strictly increasing
                t = last_t + 1.0 / fps
            last_t = t
            rot = _rotation_of(frame) if rotation_deg is None else rotation_deg % 360
            rgb = frame.to_ndarray(format="rgb24")
            if rot:
                rgb = np.rot90(rgb, k=rot // 90)
            # PyAV pads rows for some widths, and rot90 returns a view: MediaPipe needs
            # C-contiguous memory or it silently reads the wrong pixels.
            yield Frame(index=index, time_s=float(t), rgb=np.ascontiguousarray(rgb))
            index += 1
    finally:
        container.close()


def sample_frames(
    path: str | Path, times_s: Iterable[float], *, rotation_deg: int | None = None
) -> list[np.ndarray]:
    """Decode one frame near each requested time, by seeking (cheap, approximate).

    Seeks to the key frame before each time and decodes forward to the first frame at
    or after it. Frame indices are not tracked, so this is for a quick look at a clip
    (e.g. counting the people in view), not for analysis.

    Parameters
    ----------
    path : str or Path
        Video file.
    times_s : iterable of float
        Times in seconds from the start.
    rotation_deg : int, optional
        Counter-clockwise rotation to apply; the frame's own metadata by default.

    Returns
    -------
    list of ndarray
        Upright, C-contiguous RGB frames (fewer than requested if seeking fails).
    """
    import av

    path = Path(path)
    out: list[np.ndarray] = []
    container = _open(path)
    try:
        stream = container.streams.video[0]
        tb = float(stream.time_base) if stream.time_base is not None else None
        start = stream.start_time or 0
        decoder = None
        pos = -math.inf  # time (s) of the last decoded frame
        for t in sorted(times_s):
            frame = None
            try:
                # seek only for far jumps: decoding forward within a GOP is cheaper
                if decoder is None or (tb and not pos <= t <= pos + 2.0):
                    if tb:
                        container.seek(int(start + t / tb), stream=stream, backward=True)
                    decoder = container.decode(stream)
                for cand in decoder:
                    frame = cand
                    pos = (cand.pts - start) * tb if (tb and cand.pts is not None) else t
                    if pos >= t:
                        break
            except (av.error.FFmpegError, OSError):
                decoder = None
                continue
            if frame is None:
                continue
            rot = _rotation_of(frame) if rotation_deg is None else rotation_deg % 360
            rgb = frame.to_ndarray(format="rgb24")
            if rot:
                rgb = np.rot90(rgb, k=rot // 90)
            out.append(np.ascontiguousarray(rgb))
    finally:
        container.close()
    return out


_END = object()


def lower_thread_priority(niceness: int = 10) -> None:
    """Lower the calling thread's CPU priority (Linux; silently does nothing elsewhere).

    Background work (decoding ahead, scanning for people) then yields the cores to pose
    inference, which sets the pace.
    """
    import os

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError, PermissionError):
        pass


def prefetch(items: Iterator, *, maxsize: int = 8) -> Iterator:
    """Run an iterator in a background thread and yield its items in order.

    Decoding (FFmpeg releases the GIL) then overlaps with pose inference on another
    core. Exceptions raised by the iterator are re-raised in the consumer; the worker
    stops when the consumer stops early.

    Parameters
    ----------
    items : iterator
        E.g. :func:`iter_frames`.
    maxsize : int, optional
        Items buffered ahead (bounded, to cap memory).
    """
    buf: queue.Queue = queue.Queue(maxsize=maxsize)
    stop = threading.Event()

    def work() -> None:
        lower_thread_priority()
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buf.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            buf.put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            buf.put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()

    worker = threading.Thread(target=work, name="gaitcheck-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = buf.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting on a full queue
            try:
                buf.get_nowait()
            except queue.Empty:
                pass
            worker.join(timeout=0.05)


class H264Writer:
    """Write RGB frames to a browser-playable MP4: libx264, ``yuv420p``, constant rate.

    Frame ``i`` gets the timestamp ``i / rate``. Use as a context manager; the encoder is
    flushed on a clean exit.

    Parameters
    ----------
    path : path-like
        Output file (written as MP4 whatever its suffix, with the index at the front).
    size : (int, int)
        Width and height in pixels (even numbers).
    rate : fractions.Fraction
        Frame rate.
    preset : str
        libx264 preset (``ultrafast`` ... ``veryslow``).
    crf : int
        libx264 constant rate factor (lower = better quality, larger file).
    """

    def __init__(self, path: str | Path, size: tuple[int, int], rate: Fraction, *,
                 preset: str = "ultrafast", crf: int = 23) -> None:
        import av
        import cv2  # noqa: F401 - fail early if the colour conversion is unavailable

        self.w, self.h = size
        self.container = av.open(str(path), mode="w", format="mp4",
                                 options={"movflags": "+faststart"})
        st = self.container.add_stream("libx264", rate=rate)
        st.width, st.height, st.pix_fmt = self.w, self.h, "yuv420p"
        st.codec_context.time_base = Fraction(rate.denominator, rate.numerator)
        st.options = {"preset": preset, "crf": str(int(crf))}
        cc = st.codec_context
        # OpenCV's RGB->I420 is BT.601 limited range: say so, so players decode it right
        cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = 6, 6, 6, 1
        self.stream = st
        self.pts = 0

    def __enter__(self) -> H264Writer:
        return self

    def write(self, rgb: np.ndarray) -> None:
        """Encode one RGB uint8 frame of the output size."""
        import av
        import cv2

        yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = self.pts
        self.pts += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                for packet in self.stream.encode():
                    self.container.mux(packet)
        finally:
            self.container.close()
