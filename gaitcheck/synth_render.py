"""Draw the runner of :mod:`gaitcheck.synth` on a treadmill and write the clip.

The figure is built from shaded, depth-tested capsules and spheres (head with a face,
hair, ears, neck, torso, shorts, arms with hands, legs, socks and shoes), drawn by a
small z-buffered rasteriser in NumPy: each primitive is filled on its bounding box,
with a per-pixel depth and a Lambert + Blinn-Phong shading from the capsule's normal.
The runner wears low running shoes that bend at the ball of the foot (white midsole,
red upper on the left foot, blue on the right, with matching sock stripes), so sides
stay distinguishable; limbs on the far side of a side view get less light. The
treadmill, wall and floor are drawn once; the belt's seams move at the belt speed.

Public API: :func:`render_clip`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .io_utils import atomic_path
from .landmarks import LM
from .synth import (
    FAULT_MARKERS,
    VIEWS,
    Camera,
    GaitModel,
    RunnerParams,
    camera_for_view,
    face_point,
    runner_params,
    truth_events,
    truth_markers,
    world_landmarks,
)
from .video import H264Writer, prefetch

__all__ = ["SynthSpec", "render_clip", "render_frames"]

TRUTH_FORMAT_VERSION = 1


@dataclass(frozen=True)
class SynthSpec:
    """What ``gaitcheck synth`` makes.

    Parameters
    ----------
    view : str
        ``"side"`` (camera on the runner's right) or ``"rear"``.
    fps : float
        Frame rate of the clip.
    cadence_spm : float
        Steps per minute.
    seconds : float
        Clip length.
    fault : str
        One of :data:`gaitcheck.synth.FAULTS`.
    seed : int
        Seeds the gait phase at the first frame and the sensor noise.
    width, height : int
        Frame size in pixels.
    crf : int
        libx264 quality (lower = better, larger).
    preset : str
        libx264 preset: ``ultrafast`` (default) is fastest; ``veryfast`` or slower make
        files about half the size.
    """

    view: str = "side"
    fps: float = 60.0
    cadence_spm: float = 170.0
    seconds: float = 8.0
    fault: str = "none"
    seed: int = 0
    width: int = 1280
    height: int = 720
    crf: int = 20
    preset: str = "ultrafast"

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {self.view!r}")
        if not (self.fps > 0 and math.isfinite(self.fps)):
            raise ValueError(f"fps must be a positive number, not {self.fps!r}")
        if not 100 <= self.cadence_spm <= 220:
            raise ValueError(f"cadence must be within 100-220 steps/min, not {self.cadence_spm}")
        if not 0 < self.seconds <= 600:
            raise ValueError(f"seconds must be within (0, 600], not {self.seconds}")
        if self.width < 160 or self.height < 120 or self.width % 2 or self.height % 2:
            raise ValueError("width and height must be even and at least 160x120")


# --------------------------------------------------------------------------------------
# colours (linear-ish RGB 0..1)

SKIN = np.array([0.86, 0.66, 0.52])
HAIR = np.array([0.20, 0.13, 0.08])
SHIRT = np.array([0.16, 0.42, 0.72])
SHORTS = np.array([0.13, 0.13, 0.16])
SOCK = np.array([0.93, 0.93, 0.92])
SHOE = {"l": np.array([0.86, 0.22, 0.16]), "r": np.array([0.15, 0.35, 0.85])}
STRIPE = {"l": np.array([0.86, 0.22, 0.16]), "r": np.array([0.10, 0.30, 0.85])}
SOLE = np.array([0.94, 0.94, 0.92])
EYE_WHITE = np.array([0.95, 0.95, 0.95])
PUPIL = np.array([0.10, 0.07, 0.05])
LIPS = np.array([0.66, 0.36, 0.36])
BROW = np.array([0.18, 0.12, 0.08])

FAR_DIM = 0.84  # the far-side limbs get less light (the body shades them)
_LIGHT = np.array([-0.45, -0.55, -0.70])  # camera coords (x right, y down, z depth)
_LIGHT = _LIGHT / np.linalg.norm(_LIGHT)
_HALF = _LIGHT + np.array([0.0, 0.0, -1.0])
_HALF = _HALF / np.linalg.norm(_HALF)


@dataclass
class _Prims:
    """A frame's primitives: capsules from p0 to p1 with radii r0, r1 (world, m)."""

    p0: list[np.ndarray]
    p1: list[np.ndarray]
    r0: list[float]
    r1: list[float]
    colour: list[np.ndarray]
    shine: list[float]

    @classmethod
    def empty(cls) -> _Prims:
        return cls([], [], [], [], [], [])

    def add(self, a: np.ndarray, b: np.ndarray, ra: float, rb: float, colour: np.ndarray,
            shine: float = 0.08) -> None:
        self.p0.append(np.asarray(a, dtype=np.float64))
        self.p1.append(np.asarray(b, dtype=np.float64))
        self.r0.append(float(ra))
        self.r1.append(float(rb))
        self.colour.append(colour)
        self.shine.append(shine)


def _lerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    return a + (b - a) * u


def _figure(j: dict[str, np.ndarray], i: int, model: GaitModel, view: str) -> _Prims:
    """Primitives of the runner at frame ``i`` of the joint arrays ``j``."""
    b = model.body
    s = b.leg / 0.859  # size scale
    pr = _Prims.empty()
    g = {k: v[i] for k, v in j.items() if isinstance(v, np.ndarray) and v.ndim == 2}
    far = "l" if view == "side" else None  # the side camera is on the runner's right
    for side in ("l", "r"):
        dim = FAR_DIM if side == far else 1.0
        hip, knee, ank = g[f"{side}_hip"], g[f"{side}_knee"], g[f"{side}_ankle"]
        heel, toe = g[f"{side}_heel_sole"], g[f"{side}_toe_sole"]
        # thigh (skin) with the shorts over its upper part; shank with a calf
        pr.add(hip, knee, 0.084 * s, 0.056 * s, SKIN * dim, 0.12)
        pr.add(hip + np.array([0, 0.02, 0]) * s, _lerp(hip, knee, 0.45), 0.096 * s, 0.084 * s,
               SHORTS * dim, 0.04)
        calf = _lerp(knee, ank, 0.32) - _bend_normal(hip, knee, ank) * 0.012 * s
        pr.add(knee, calf, 0.052 * s, 0.056 * s, SKIN * dim, 0.12)
        pr.add(calf, ank, 0.056 * s, 0.033 * s, SKIN * dim, 0.12)
        pr.add(_lerp(knee, ank, 0.64), ank, 0.041 * s, 0.037 * s, SOCK * dim, 0.03)
        pr.add(_lerp(knee, ank, 0.71), _lerp(knee, ank, 0.77), 0.0425 * s, 0.0405 * s,
               STRIPE[side] * dim, 0.03)
        # a low running shoe in two parts that bend at the ball of the foot: white
        # midsole, coloured upper, toe box on the toes, collar below the ankle bones
        ball = g[f"{side}_ball_sole"]
        rdir, rn = _sole_frame(heel, ball)
        tdir, tn = _sole_frame(ball, toe)
        shoe, sole = SHOE[side] * dim, SOLE * dim
        ball_top = ball + 0.5 * (rn + tn) * 0.045 * s
        pr.add(heel + rn * 0.020 * s + rdir * 0.022 * s, ball + rn * 0.017 * s, 0.021 * s,
               0.017 * s, sole, 0.05)
        pr.add(ball + tn * 0.016 * s, toe + tn * 0.013 * s - tdir * 0.014 * s, 0.016 * s,
               0.013 * s, sole, 0.05)
        heel_c = heel + rn * 0.050 * s + rdir * 0.040 * s
        pr.add(heel_c, ball_top, 0.036 * s, 0.031 * s, shoe, 0.25)
        pr.add(ball_top, toe + tn * 0.028 * s - tdir * 0.028 * s, 0.031 * s, 0.019 * s,
               shoe, 0.25)
        pr.add(heel_c, _lerp(heel_c, ank, 0.55), 0.037 * s, 0.036 * s, shoe, 0.2)
    # pelvis and torso
    lh, rh, pel, neck = g["l_hip"], g["r_hip"], g["pelvis"], g["neck"]
    lat = (rh - lh) / np.linalg.norm(rh - lh)
    trunk = (neck - pel) / np.linalg.norm(neck - pel)
    pr.add(lh - lat * 0.035 * s + trunk * 0.03 * s, rh + lat * 0.035 * s + trunk * 0.03 * s,
           0.105 * s, 0.105 * s, SHORTS, 0.04)
    waist = pel + trunk * 0.11 * s
    for sgn in (-1.0, 1.0):
        pr.add(pel + trunk * 0.10 * s + sgn * lat * 0.07 * s,
               neck - trunk * 0.07 * s + sgn * lat * 0.105 * s, 0.100 * s, 0.098 * s, SHIRT, 0.05)
    pr.add(waist, neck - trunk * 0.06 * s, 0.118 * s, 0.125 * s, SHIRT, 0.05)
    # neck and head
    head = g["head"]
    fwd, hup = g["face_fwd"], g["face_up"]
    r = b.head_r
    pr.add(neck + trunk * 0.0, head - hup * 0.6 * r + fwd * 0.05 * r, 0.050 * s, 0.046 * s,
           SKIN, 0.1)
    pr.add(head - hup * 0.22 * r + fwd * 0.06 * r, head + hup * 0.2 * r, 0.93 * r, 0.95 * r,
           SKIN, 0.15)
    pr.add(head - fwd * 0.16 * r + hup * 0.22 * r, head - fwd * 0.10 * r + hup * 0.30 * r,
           0.97 * r, 0.93 * r, HAIR, 0.1)
    # face: eyes, brows, nose, mouth, ears
    right = np.array([0.0, 0.0, 1.0])
    for sgn in (-1.0, 1.0):
        eye = face_point(g, (0.80, 0.15, 0.34 * sgn), r)
        pr.add(eye, eye, 0.16 * r, 0.16 * r, EYE_WHITE, 0.4)
        pup = eye + fwd * 0.10 * r
        pr.add(pup, pup, 0.085 * r, 0.085 * r, PUPIL, 0.5)
        b0 = face_point(g, (0.86, 0.36, 0.18 * sgn), r)
        b1 = face_point(g, (0.78, 0.38, 0.50 * sgn), r)
        pr.add(b0, b1, 0.045 * r, 0.035 * r, BROW, 0.05)
        ear = head + right * sgn * 0.93 * r - fwd * 0.05 * r
        pr.add(ear + hup * 0.12 * r, ear - hup * 0.18 * r, 0.16 * r, 0.14 * r, SKIN * 0.95, 0.1)
    n0 = face_point(g, (0.92, 0.10, 0.0), r)
    n1 = face_point(g, (1.10, -0.20, 0.0), r)
    pr.add(n0, n1, 0.09 * r, 0.14 * r, SKIN * 0.97, 0.2)
    m0 = face_point(g, (0.86, -0.50, -0.24), r)
    m1 = face_point(g, (0.86, -0.50, 0.24), r)
    pr.add(m0, m1, 0.06 * r, 0.06 * r, LIPS, 0.2)
    # arms: short sleeve, upper arm, forearm, fist
    for side in ("l", "r"):
        sh, el, wr = g[f"{side}_shoulder"], g[f"{side}_elbow"], g[f"{side}_wrist"]
        pr.add(sh, _lerp(sh, el, 0.45), 0.060 * s, 0.052 * s, SHIRT, 0.05)
        pr.add(sh, el, 0.044 * s, 0.036 * s, SKIN, 0.12)
        pr.add(el, wr, 0.034 * s, 0.026 * s, SKIN, 0.12)
        hand = wr + g[f"{side}_hand_dir"] * 0.045 * s
        pr.add(wr + g[f"{side}_hand_dir"] * 0.015 * s, hand, 0.032 * s, 0.036 * s, SKIN, 0.12)
    return pr


def _sole_frame(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the unit direction from ``a`` to ``b`` and the normal above it (sagittal)."""
    d = (b - a) / np.linalg.norm(b - a)
    n = np.cross(np.cross(d, np.array([0.0, 1.0, 0.0])), d)
    return d, n / max(float(np.linalg.norm(n)), 1e-9)


def _bend_normal(hip: np.ndarray, knee: np.ndarray, ank: np.ndarray) -> np.ndarray:
    """Return the unit vector in the leg's plane, normal to the shank, towards the knee's front."""
    shank = ank - knee
    shank = shank / np.linalg.norm(shank)
    thigh = knee - hip
    v = thigh - (thigh @ shank) * shank
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else np.array([1.0, 0.0, 0.0])


# --------------------------------------------------------------------------------------
# rasteriser


def _raster(img: np.ndarray, zbuf: np.ndarray, pr: _Prims, cam: Camera,
            origin: tuple[int, int] = (0, 0)) -> None:
    """Draw capsules into ``img`` (float32 h x w x 3, 0..1) with a depth test on ``zbuf``.

    ``img`` and ``zbuf`` may be a crop of the frame whose top-left pixel is ``origin``.
    """
    p0 = cam.to_camera(np.array(pr.p0))
    p1 = cam.to_camera(np.array(pr.p1))
    f = cam.focal_px
    cx, cy = cam.width / 2.0 - origin[0], cam.height / 2.0 - origin[1]
    u0 = f * p0[:, :2] / p0[:, 2:3] + (cx, cy)
    u1 = f * p1[:, :2] / p1[:, 2:3] + (cx, cy)
    r0w, r1w = np.array(pr.r0), np.array(pr.r1)
    r0 = f * r0w / p0[:, 2]
    r1 = f * r1w / p1[:, 2]
    rmax = np.maximum(r0, r1) + 1.0
    lo = np.floor(np.minimum(u0, u1) - rmax[:, None]).astype(int)
    hi = np.ceil(np.maximum(u0, u1) + rmax[:, None]).astype(int)
    h, w = zbuf.shape
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, (w, h))
    maximum, minimum, sqrt = np.maximum, np.minimum, np.sqrt
    for k in range(len(pr.p0)):
        x0, y0 = lo[k]
        x1, y1 = hi[k]
        if x1 <= x0 or y1 <= y0:
            continue
        gx = np.arange(x0, x1, dtype=np.float32)[None, :] + np.float32(0.5)
        gy = np.arange(y0, y1, dtype=np.float32)[:, None] + np.float32(0.5)
        ax, ay = np.float32(u0[k, 0]), np.float32(u0[k, 1])
        dx, dy = np.float32(u1[k, 0] - ax), np.float32(u1[k, 1] - ay)
        ll = dx * dx + dy * dy
        if ll > 1e-6:
            t = minimum(maximum(((gx - ax) * (dx / ll) + (gy - ay) * (dy / ll)), 0.0), 1.0)
        else:
            t = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
        qx = gx - (ax + t * dx)
        qy = gy - (ay + t * dy)
        rad = np.float32(r0[k]) + t * np.float32(r1[k] - r0[k])
        inside = qx * qx + qy * qy < rad * rad
        iy, ix = np.nonzero(inside)
        if not iy.size:
            continue
        tt = t[iy, ix]
        rr = rad[iy, ix]
        nx = qx[iy, ix] / rr
        ny = qy[iy, ix] / rr
        nz = -sqrt(maximum(1.0 - nx * nx - ny * ny, 0.0))
        depth = (p0[k, 2] + tt * (p1[k, 2] - p0[k, 2])
                 + (r0w[k] + tt * (r1w[k] - r0w[k])) * nz)
        sub = zbuf[y0:y1, x0:x1]
        front = depth < sub[iy, ix]
        if not front.all():
            iy, ix, depth = iy[front], ix[front], depth[front]
            nx, ny, nz = nx[front], ny[front], nz[front]
            if not iy.size:
                continue
        sub[iy, ix] = depth
        lam = maximum(nx * _LIGHT[0] + ny * _LIGHT[1] + nz * _LIGHT[2], 0.0)
        spec = maximum(nx * _HALF[0] + ny * _HALF[1] + nz * _HALF[2], 0.0) ** 24
        shade = 0.20 + 0.72 * lam - 0.18 * nz  # nz is -1 facing the camera: rim darker
        col = pr.colour[k][None, :] * shade[:, None] + (pr.shine[k] * spec)[:, None]
        img[y0 + iy, x0 + ix] = col


# --------------------------------------------------------------------------------------
# scene


def _fill_quad(img: np.ndarray, cam: Camera, pts: np.ndarray, colour: np.ndarray) -> None:
    uv = cam.project(pts)
    col = colour * 255 if img.dtype == np.uint8 else colour
    cv2.fillConvexPoly(img, np.round(uv * 16).astype(np.int32), col.tolist(),
                       lineType=cv2.LINE_AA, shift=4)


def _background(cam: Camera, view: str) -> np.ndarray:
    """Wall, floor and treadmill (float32 RGB 0..1)."""
    h, w = cam.height, cam.width
    img = np.empty((h, w, 3), np.float32)
    # wall with a vertical gradient, floor below the horizon of the floor plane
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    wall = np.array([0.80, 0.80, 0.78], np.float32) - 0.10 * rows
    img[:] = wall[:, None, :]
    far = 3.5
    near = 0.4  # keep every polygon in front of the camera
    if view == "side":
        zc = cam.position[2] - near
        floor = np.array([[-20, -0.25, -far], [20, -0.25, -far], [20, -0.25, zc],
                          [-20, -0.25, zc]], float)
    else:
        xc = cam.position[0] + near
        floor = np.array([[xc, -0.25, -20], [far, -0.25, -20], [far, -0.25, 20],
                          [xc, -0.25, 20]], float)
    _fill_quad(img, cam, floor, np.array([0.52, 0.47, 0.42]))
    # skirting line
    if view == "side":
        _fill_quad(img, cam, np.array([[-20, -0.25, -far], [20, -0.25, -far], [20, -0.13, -far],
                                       [-20, -0.13, -far]], float), np.array([0.6, 0.6, 0.6]))
    # treadmill: body box below the belt, belt on top, console in front
    L0, L1, half = -0.95, 0.95, 0.36
    body = np.array([0.30, 0.31, 0.33])
    side_z = half + 0.07
    _fill_quad(img, cam, np.array([[L0 - 0.1, -0.25, side_z], [L1 + 0.1, -0.25, side_z],
                                   [L1 + 0.1, 0.0, side_z], [L0 - 0.1, 0.0, side_z]]), body)
    _fill_quad(img, cam, np.array([[L0 - 0.1, -0.25, -side_z], [L1 + 0.1, -0.25, -side_z],
                                   [L1 + 0.1, 0.0, -side_z], [L0 - 0.1, 0.0, -side_z]]),
               body * 0.8)
    _fill_quad(img, cam, np.array([[L0 - 0.1, -0.25, -side_z], [L0 - 0.1, -0.25, side_z],
                                   [L0 - 0.1, 0.0, side_z], [L0 - 0.1, 0.0, -side_z]]),
               body * 0.9)
    for z0, z1 in ((half, side_z), (-side_z, -half)):
        _fill_quad(img, cam, np.array([[L0 - 0.1, 0.0, z0], [L1 + 0.1, 0.0, z0],
                                       [L1 + 0.1, 0.0, z1], [L0 - 0.1, 0.0, z1]]),
                   np.array([0.45, 0.46, 0.48]))
    _fill_quad(img, cam, np.array([[L0, 0.0, -half], [L1, 0.0, -half], [L1, 0.0, half],
                                   [L0, 0.0, half]]), np.array([0.13, 0.13, 0.14]))
    # console posts and panel ahead of the belt (out of the runner's way)
    for z in (-side_z, side_z):
        _fill_quad(img, cam, np.array([[1.12, 0.0, z], [1.18, 0.0, z], [1.10, 1.15, z],
                                       [1.04, 1.15, z]]), np.array([0.25, 0.26, 0.28]))
    _fill_quad(img, cam, np.array([[1.0, 1.12, -side_z], [1.12, 1.25, -side_z],
                                   [1.12, 1.25, side_z], [1.0, 1.12, side_z]]),
               np.array([0.18, 0.19, 0.21]))
    return img


def _belt_seams(img: np.ndarray, cam: Camera, t: float, speed: float) -> None:
    """Lighter seams across the belt, moving backwards at the belt speed."""
    L0, L1, half = -0.95, 0.95, 0.36
    gap = 0.45
    off = (-speed * t) % gap
    for x in np.arange(L0 + off, L1, gap):
        _fill_quad(img, cam, np.array([[x, 0.0, -half], [x + 0.025, 0.0, -half],
                                       [x + 0.025, 0.0, half], [x, 0.0, half]]),
                   np.array([0.22, 0.22, 0.23]))


def _shadows(img: np.ndarray, cam: Camera, j: dict[str, np.ndarray], i: int,
             origin: tuple[int, int] = (0, 0)) -> None:
    """Soft contact shadows under the pelvis and the feet, on the belt."""
    spots = [(j["pelvis"][i], 0.22, 0.16)]
    for s in ("l", "r"):
        foot = 0.5 * (j[f"{s}_heel_sole"][i] + j[f"{s}_toe_sole"][i])
        hgt = max(0.0, float(foot[1]))
        spots.append((foot, 0.16 + 0.2 * hgt, max(0.0, 0.5 - 1.2 * hgt)))
    for centre, radius, strength in spots:
        if strength <= 0:
            continue
        c = np.array([centre[0], 0.0, centre[2]])
        ang = np.linspace(0, 2 * math.pi, 24, endpoint=False)
        ring = np.stack([c[0] + radius * np.cos(ang), np.zeros_like(ang),
                         c[2] + 0.45 * radius * np.sin(ang)], axis=1)
        uv = cam.project(ring) - np.asarray(origin)
        x0, y0 = np.floor(uv.min(0)).astype(int) - 6
        x1, y1 = np.ceil(uv.max(0)).astype(int) + 6
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, img.shape[1]), min(y1, img.shape[0])
        if x1 <= x0 or y1 <= y0:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillConvexPoly(mask, np.round(uv - (x0, y0)).astype(np.int32), 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), 3.0)
        img[y0:y1, x0:x1] *= (1.0 - 0.45 * strength * mask)[..., None]


def render_frames(spec: SynthSpec, params: RunnerParams | None = None):  # noqa: ANN201
    """Yield ``(index, rgb uint8 frame)`` of the clip; see :func:`render_clip`."""
    model, cam, times = _setup(spec, params)
    j = model.joints(times)
    bg = (np.clip(_background(cam, spec.view), 0, 1) * 255).astype(np.uint8)
    rng = np.random.default_rng(spec.seed + 1)
    noise = []
    for _ in range(4):  # a little sensor noise, precomputed (+ and - parts for saturation)
        nz = rng.normal(0.0, 1.6, (cam.height, cam.width)).round()
        nz3 = np.repeat(nz[..., None], 3, axis=2)
        noise.append((np.clip(nz3, 0, 255).astype(np.uint8),
                      np.clip(-nz3, 0, 255).astype(np.uint8)))
    # the figure's box in each frame: all landmarks and the belt-level shadows, padded
    uv = cam.project(world_landmarks(model, times))
    pad = 0.16 * cam.focal_px / float(np.linalg.norm(np.asarray(cam.position)))
    boxes = np.concatenate([uv.min(1) - pad, uv.max(1) + pad], axis=1)
    for i in range(times.size):
        img = bg.copy()
        _belt_seams(img, cam, float(times[i]), model.p.speed_mps)
        x0, y0 = np.maximum(np.floor(boxes[i, :2]).astype(int), 0)
        x1 = min(int(np.ceil(boxes[i, 2])), cam.width)
        y1 = min(int(np.ceil(boxes[i, 3])) + int(pad), cam.height)
        crop = img[y0:y1, x0:x1].astype(np.float32) * np.float32(1 / 255)
        _shadows(crop, cam, j, i, (x0, y0))
        zbuf = np.full(crop.shape[:2], np.inf, np.float32)
        _raster(crop, zbuf, _figure(j, i, model, spec.view), cam, (x0, y0))
        crop = cv2.GaussianBlur(crop, (3, 3), 0.6)
        img[y0:y1, x0:x1] = (np.minimum(np.maximum(crop, 0.0), 1.0) * 255 + 0.5).astype(np.uint8)
        pos, neg = noise[i % len(noise)]
        cv2.add(img, pos, dst=img)
        cv2.subtract(img, neg, dst=img)
        yield i, img


def _setup(spec: SynthSpec, params: RunnerParams | None
           ) -> tuple[GaitModel, Camera, np.ndarray]:
    p = params or runner_params(spec.fault, cadence_spm=spec.cadence_spm)
    rng = np.random.default_rng(spec.seed)
    stride = 120.0 / p.cadence_spm
    model = GaitModel(p, phase_s=float(rng.uniform(0.05, 0.05 + stride)))
    cam = camera_for_view(spec.view, spec.width, spec.height)
    n = int(round(spec.seconds * spec.fps))
    times = np.arange(n, dtype=np.float64) / spec.fps
    return model, cam, times


def truth_document(spec: SynthSpec, params: RunnerParams | None = None) -> dict[str, Any]:
    """Return the ground truth of a clip as a JSON-ready dict (see :func:`render_clip`)."""
    from . import __version__

    model, cam, times = _setup(spec, params)
    world = world_landmarks(model, times)
    pts = cam.project(world)
    depth = cam.to_camera(world)[..., 2]
    return {
        "format_version": TRUTH_FORMAT_VERSION,
        "gaitcheck_version": __version__,
        "spec": asdict(spec),
        "params": asdict(model.p),
        "fps": float(spec.fps),
        "n_frames": int(times.size),
        "image_size": [cam.width, cam.height],
        "frame_time": "frame i shows the runner at time i / fps seconds",
        "stride_s": model.stride_s,
        "contact_time_s": model.contact_s,
        "leg_length_m": model.body.leg,
        "landmark_names": [lm.name.lower() for lm in LM],
        "landmarks_px": np.round(pts, 3).tolist(),
        "landmark_depth_m": np.round(depth, 4).tolist(),
        "events": truth_events(model, 0.0, float(times[-1]) if times.size else 0.0,
                               spec.fps),
        "markers": truth_markers(model, cam, spec.view),
        "fault_markers": list(FAULT_MARKERS[spec.fault]),
        "checks": model.check(),
    }


def render_clip(spec: SynthSpec, out: str | os.PathLike[str], *,
                params: RunnerParams | None = None,
                progress: Callable[[int], None] | None = None) -> tuple[Path, Path]:
    """Render a synthetic runner clip and its ground truth.

    Parameters
    ----------
    spec : SynthSpec
    out : path-like
        The ``.mp4`` to write; the truth goes to the same name with ``.json``.
    params : RunnerParams, optional
        Model parameters (default: :func:`gaitcheck.synth.runner_params` of
        ``spec.fault`` at ``spec.cadence_spm``).
    progress : callable, optional
        Called with the number of frames written since the last call.

    Returns
    -------
    (Path, Path)
        The video and the truth JSON. Both are written under temporary names and renamed
        when complete, so an interrupted run leaves nothing half-written.

    Notes
    -----
    The JSON holds: ``landmarks_px`` (frame, 33 landmarks, x/y pixels, MediaPipe's order
    and the runner's own left/right), ``landmark_depth_m`` (distance along the camera
    axis), ``events`` (side, ``ic``/``to``, exact time and nearest frame), ``markers``
    (each marker's exact value as gaitcheck defines it, computed from the projected
    model at the exact event times), ``params`` and ``spec``.
    """
    out = Path(out)
    truth_path = out.with_suffix(".json")
    doc = truth_document(spec, params)
    rate = Fraction(spec.fps).limit_denominator(1001)
    with atomic_path(out) as tmp_video:
        with H264Writer(tmp_video, (spec.width, spec.height), rate, preset=spec.preset,
                        crf=spec.crf) as enc:
            # rasterise in a background thread while this one encodes (both release the GIL)
            for _, frame in prefetch(render_frames(spec, params), maxsize=4):
                enc.write(frame)
                if progress is not None:
                    progress(1)
        with atomic_path(truth_path) as tmp_json:
            Path(tmp_json).write_text(json.dumps(doc, separators=(",", ":")))
    return out, truth_path
