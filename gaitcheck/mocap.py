"""Side-camera landmarks and force-plate contact truth from treadmill motion capture.

The source is the public running data set of Fukuchi, Fukuchi & Duarte (2017), "A public
dataset of running biomechanics and the effects of running speed on lower extremity
kinematics and kinetics", PeerJ 5:e3298 (https://doi.org/10.7717/peerj.3298; data CC BY 4.0,
figshare doi 10.6084/m9.figshare.4543435). One subject (``RBDS001``) ran on an instrumented
treadmill while 3D markers were recorded at 150 Hz and the treadmill force plate at 300 Hz.

What this module builds from it:

* readers for the ASCII files (:func:`read_fukuchi_markers`, :func:`read_fukuchi_forces`,
  :func:`read_fukuchi_processed`, :func:`read_fukuchi_info`);
* anatomical points (hip, knee and ankle) reconstructed in the running trial from the
  technical marker clusters, calibrated on the standing trial (:func:`reconstruct_skeleton`);
* the 2D landmarks a side camera would see, as a :class:`~gaitcheck.landmarks.Landmarks`
  object like the pose stage produces (:class:`SideCamera`, :func:`fukuchi_side_landmarks`);
* foot contacts from the vertical force (:func:`force_plate_contacts`), the only real
  ground truth for contact and toe-off timing available to the project;
* resampling to video frame rates with a MediaPipe-like noise model
  (:func:`resample_landmarks`, :class:`NoiseModel`).

Lab frame of the data set: ``X`` forward (direction of running), ``Y`` up, ``Z`` to the
runner's right; millimetres. ``Y = 0`` is the belt surface. The belt moves backwards, so the
runner stays near a fixed ``X``.

Nothing here reads files at import time. Only NumPy, SciPy and pandas are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .landmarks import LM, N_LANDMARKS, Landmarks

if TYPE_CHECKING:  # pandas is imported where it is used, to keep this import light
    import pandas as pd

__all__ = [
    "CITATION",
    "FukuchiTrial",
    "NoiseModel",
    "RearCamera",
    "SideCamera",
    "Skeleton3D",
    "add_pose_noise",
    "contacts_in_landmark_time",
    "default_fukuchi_dir",
    "fit_rigid",
    "force_marker_lag",
    "force_plate_contacts",
    "fukuchi_contacts",
    "fukuchi_rear_landmarks",
    "fukuchi_side_landmarks",
    "load_fukuchi_trial",
    "processed_summary",
    "read_fukuchi_forces",
    "read_fukuchi_info",
    "read_fukuchi_markers",
    "read_fukuchi_processed",
    "reconstruct_skeleton",
    "resample_landmarks",
]

#: How to cite the data set wherever results derived from it are shown.
CITATION = (
    "Fukuchi RK, Fukuchi CA, Duarte M (2017). A public dataset of running biomechanics and "
    "the effects of running speed on lower extremity kinematics and kinetics. PeerJ 5:e3298. "
    "https://doi.org/10.7717/peerj.3298 (data: CC BY 4.0)"
)

#: Sampling rate of the treadmill force plate in the Fukuchi et al. (2017) files. The force
#: files carry a sample number, not a time, so the rate comes from the paper / README.
FORCE_RATE_HZ = 300.0

#: Standard gravity, m/s^2.
GRAVITY = 9.81

_SIDES = {"R": "right", "L": "left"}
_THIGH = ("Thigh.Top.Lateral", "Thigh.Bottom.Lateral", "Thigh.Top.Medial", "Thigh.Bottom.Medial")
_SHANK = ("Shank.Top.Lateral", "Shank.Bottom.Lateral", "Shank.Top.Medial", "Shank.Bottom.Medial")
_PELVIS = (
    "R.ASIS", "L.ASIS", "R.PSIS", "L.PSIS", "R.Iliac.Crest", "L.Iliac.Crest",
)  # fmt: skip
_FOOT_LOW = ("Heel.Bottom", "MT1", "MT5")

#: Segment-length ratios of Drillis & Contini as tabulated by Winter (2009, Fig. 4.1),
#: as fractions of body height: shoulder (acromion) height minus greater-trochanter height,
#: and shoulder width (biacromial).
_TRUNK_HEIGHT_FRAC = 0.818 - 0.530
_SHOULDER_WIDTH_FRAC = 0.259

#: The landmarks this module simulates, by joint, for each side.
_JOINTS = ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")
_LEG_JOINTS = ("knee", "ankle", "heel", "foot_index")


# --------------------------------------------------------------------------------------
# Locating and reading the files
# --------------------------------------------------------------------------------------


def default_fukuchi_dir() -> Path:
    """Return where the Fukuchi et al. (2017) files are expected on a development machine.

    ``$GAITCHECK_TEST_DATA/mocap/fukuchi2017`` when the environment variable is set,
    otherwise ``shared/mocap/fukuchi2017`` in the folder beside the repository root. The
    folder may not exist (e.g. on a user's machine); callers check.

    Returns
    -------
    Path
        The expected folder of ``RBDS001runT25markers.txt`` etc.
    """
    env = os.environ.get("GAITCHECK_TEST_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"
    return root / "mocap" / "fukuchi2017"


def _read_table(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    df = pd.read_csv(path, sep="\t", header=0)
    df.columns = [str(c).strip() for c in df.columns]
    # Some exporters leave a trailing tab, which pandas turns into an empty column.
    df = df.loc[:, [not (c.startswith("Unnamed") and df[c].isna().all()) for c in df.columns]]
    return df


def read_fukuchi_markers(path: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read a marker file (running or static trial) of Fukuchi et al. (2017).

    The files are tab-separated with one header line: ``Time`` (seconds, rounded to 3
    decimals) then ``<marker>X``, ``<marker>Y``, ``<marker>Z`` per marker (e.g.
    ``R.Thigh.Top.LateralX``), in millimetres in the lab frame (``X`` forward, ``Y`` up,
    ``Z`` to the runner's right). Missing samples are empty or NaN and stay NaN.

    Because the ``Time`` column is rounded to 1 ms, the sampling rate is estimated from
    its span and snapped to the nearest integer when within 0.1 % (150 Hz for these
    files); the returned times are ``t0 + k / rate``.

    Parameters
    ----------
    path : str or Path
        ``RBDS<id><trial>markers.txt`` or ``RBDS<id>static.txt``.

    Returns
    -------
    time_s : ndarray of shape (n,), float64
        Sample times in seconds (0 at the first sample for these files).
    markers : dict of str to ndarray of shape (n, 3), float64
        Marker positions in millimetres, keyed by the marker name without the axis suffix.

    Raises
    ------
    ValueError
        If the header is not ``Time`` followed by X/Y/Z triplets of the same marker.
    """
    import pandas as pd

    df = _read_table(path)
    cols = list(df.columns)
    if not cols or cols[0].lower() != "time" or (len(cols) - 1) % 3:
        raise ValueError(f"{path}: expected 'Time' then <marker>X/Y/Z columns, got {cols[:4]}")
    names = []
    for i in range(1, len(cols), 3):
        trio = cols[i : i + 3]
        base = trio[0][:-1]
        if [c[-1].upper() for c in trio] != ["X", "Y", "Z"] or {c[:-1] for c in trio} != {base}:
            raise ValueError(f"{path}: columns {trio} are not one marker's X, Y, Z")
        names.append(base)
    t_raw = df[cols[0]].to_numpy(dtype=np.float64)
    xyz = df[cols[1:]].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    xyz = xyz.reshape(len(df), len(names), 3)
    n = len(t_raw)
    if n > 1 and t_raw[-1] > t_raw[0]:
        rate = (n - 1) / (t_raw[-1] - t_raw[0])
        if abs(rate - round(rate)) < 1e-3 * rate:
            rate = float(round(rate))
        time_s = t_raw[0] + np.arange(n) / rate
    else:
        time_s = t_raw.copy()
    return time_s, {name: xyz[:, i, :].copy() for i, name in enumerate(names)}


def read_fukuchi_forces(path: str | Path, *, rate_hz: float = FORCE_RATE_HZ) -> pd.DataFrame:
    """Read a treadmill force file of Fukuchi et al. (2017).

    The file's first column, ``Time``, is a **sample number** starting at 1, not a time.
    Sample 1 is taken to coincide with the first marker frame (``t = 0``), the usual
    C3D convention for analog channels recorded with the cameras; the marker and force
    clocks were checked against each other with :func:`force_marker_lag`.

    Columns (lab frame, ``X`` forward, ``Y`` up, ``Z`` right): ``Fx, Fy, Fz`` ground reaction
    force on the runner in newtons (``Fy`` vertical); ``COPx, COPy, COPz`` centre of pressure
    in mm (``COPy`` is 0, the belt surface); ``Ty`` free moment about the vertical in N·mm.
    In these files, samples below a small force are exported as exactly zero (flight phase;
    the centre of pressure then holds its last value).

    Parameters
    ----------
    path : str or Path
        ``RBDS<id><trial>forces.txt``.
    rate_hz : float, optional
        Sampling rate of the force plate (300 Hz in this data set).

    Returns
    -------
    pandas.DataFrame
        ``time_s`` (seconds, 0 at sample 1), ``sample`` (the file's sample number) and the
        file's force columns, as float64.
    """
    import pandas as pd

    df = _read_table(path)
    if df.columns[0].lower() != "time" or "Fy" not in df.columns:
        raise ValueError(f"{path}: expected 'Time' and 'Fy' columns, got {list(df.columns)}")
    sample = df[df.columns[0]].to_numpy(np.float64)
    out = pd.DataFrame({"time_s": (sample - sample[0]) / float(rate_hz), "sample": sample})
    for c in df.columns[1:]:
        out[c] = pd.to_numeric(df[c], errors="coerce").astype(np.float64)
    out.attrs["rate_hz"] = float(rate_hz)
    return out


def read_fukuchi_processed(path: str | Path) -> pd.DataFrame:
    """Read the authors' time-normalised mean curves (``RBDS<id>processed.txt``).

    One row per 1 % of the gait cycle (``PercGcycle`` 0..100, 101 rows; the index of the
    returned frame). The cycle of the ``R`` columns runs from a right initial contact to
    the next one, the ``L`` columns likewise for the left foot. Each curve is the subject's
    mean over the strides of one treadmill trial.

    Column names are ``<side><quantity><axis><speed>``: side ``R``/``L``; speed ``25``,
    ``35``, ``45`` = 2.5, 3.5, 4.5 m/s; quantities

    * ``hipAng``, ``kneeAng``, ``ankleAng`` (degrees): 3D joint angles of the distal segment
      relative to the proximal one (hip = thigh vs pelvis). The axes are those of the lab
      frame: **Z (medio-lateral) is the sagittal angle**, X (antero-posterior axis) the
      frontal and Y (vertical axis) the transverse one. Sagittal signs, read off the curves:
      hip flexion +, knee flexion +, ankle dorsiflexion + (plantarflexion -). For RBDS001
      at 2.5 m/s the right knee reads 13.4 deg at initial contact, 42 deg at its stance
      peak (16 %) and 85 deg in swing; the hip 35 deg flexion at contact and about 0 deg
      at its most extended (42 %). The frontal and transverse signs were not checked.
    * ``hipMom``, ``kneeMom``, ``ankleMom`` (N·m/kg, internal moments normalised by body
      mass; sagittal again on Z: knee extensor and ankle plantarflexor moments positive).
    * ``grf`` (N/kg, ground reaction force normalised by body mass; ``X`` antero-posterior,
      braking negative; ``Y`` vertical; ``Z`` medio-lateral). Defined in stance only: NaN
      from toe-off to the end of the cycle, so the first NaN row marks toe-off (41 % for
      RBDS001 at 2.5 m/s).
    * ``hipPow``, ``kneePow``, ``anklePow`` (W/kg).

    These are 3D anatomical angles from a marker model; a 2D angle measured on a
    side-camera image differs from them by out-of-plane motion and by the segment
    definitions, so compare patterns, and offsets only with care. Checked on RBDS001 at
    2.5 m/s with the landmarks of :func:`fukuchi_side_landmarks`: the 2D knee flexion
    (hip-knee-ankle) follows ``RkneeAngZ25`` within about 1-6 deg over the whole cycle
    (14.7 vs 13.4 deg at contact, 42.7 vs 42.2 deg stance peak); the authors' hip angle is
    relative to the pelvis, whose marker-defined frame is tilted forward, and reads about
    14-16 deg more flexion than the 2D thigh angle to the vertical throughout the cycle
    (same 46 deg excursion).

    Parameters
    ----------
    path : str or Path
        ``RBDS<id>processed.txt``.

    Returns
    -------
    pandas.DataFrame
        Index ``PercGcycle`` (int, 0..100); float64 columns as in the file.
    """
    df = _read_table(path)
    if df.columns[0] != "PercGcycle":
        raise ValueError(f"{path}: expected 'PercGcycle' first, got {df.columns[0]!r}")
    df = df.set_index("PercGcycle")
    df.index = df.index.astype(int)
    return df.astype(np.float64)


def processed_summary(
    processed: pd.DataFrame, *, side: Literal["R", "L"] = "R", speed: str = "25"
) -> dict[str, float]:
    """Summarise the authors' sagittal angles for one side and speed.

    Parameters
    ----------
    processed : pandas.DataFrame
        From :func:`read_fukuchi_processed`.
    side : {'R', 'L'}, optional
        Which foot's gait cycle.
    speed : str, optional
        ``'25'``, ``'35'`` or ``'45'`` (2.5, 3.5, 4.5 m/s).

    Returns
    -------
    dict of str to float
        ``toe_off_pct`` (first gait-cycle percentage where the GRF is NaN),
        ``knee_flexion_ic_deg``, ``knee_flexion_peak_stance_deg``,
        ``hip_flexion_ic_deg``, ``hip_extension_peak_deg`` (the most extended sagittal hip
        angle in the cycle, as extension = minus the authors' flexion angle),
        ``ankle_dorsiflexion_ic_deg``, ``ankle_dorsiflexion_peak_stance_deg``. Degrees.
    """
    p = processed
    grf = p[f"{side}grfY{speed}"].to_numpy()
    nan_rows = np.flatnonzero(np.isnan(grf))
    to_pct = float(p.index[nan_rows[0]]) if nan_rows.size else float("nan")
    stance = p.index < to_pct if nan_rows.size else np.ones(len(p), bool)
    knee = p[f"{side}kneeAngZ{speed}"]
    hip = p[f"{side}hipAngZ{speed}"]
    ankle = p[f"{side}ankleAngZ{speed}"]
    return {
        "toe_off_pct": to_pct,
        "knee_flexion_ic_deg": float(knee.iloc[0]),
        "knee_flexion_peak_stance_deg": float(knee[stance].max()),
        "hip_flexion_ic_deg": float(hip.iloc[0]),
        "hip_extension_peak_deg": float(-hip.min()),
        "ankle_dorsiflexion_ic_deg": float(ankle.iloc[0]),
        "ankle_dorsiflexion_peak_stance_deg": float(ankle[stance].max()),
    }


def read_fukuchi_info(path: str | Path, *, subject: str = "RBDS001") -> dict[str, Any]:
    """Read one subject's metadata from ``RBDSinfo.txt`` of Fukuchi et al. (2017).

    The file has one row per data file of each subject (the subject's values repeated);
    the first row whose ``FileName`` starts with ``subject`` is used.

    Parameters
    ----------
    path : str or Path
        ``RBDSinfo.txt``.
    subject : str, optional
        Subject code, e.g. ``'RBDS001'``.

    Returns
    -------
    dict
        All columns of that row (e.g. ``Height`` in cm, ``Mass`` in kg, ``RFSI25`` =
        right-foot strike type at 2.5 m/s), plus ``height_mm`` and ``mass_kg`` as floats.
    """
    df = _read_table(path)
    rows = df[df["FileName"].astype(str).str.startswith(subject)]
    if rows.empty:
        raise ValueError(f"{path}: no rows for subject {subject!r}")
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in rows.iloc[0].items()}
    row["height_mm"] = float(row["Height"]) * 10.0
    row["mass_kg"] = float(row["Mass"])
    return row


@dataclass(frozen=True, eq=False)
class FukuchiTrial:
    """One running trial of Fukuchi et al. (2017) with its standing calibration.

    Parameters
    ----------
    subject : str
        E.g. ``'RBDS001'``.
    trial : str
        E.g. ``'runT25'`` (treadmill, 2.5 m/s).
    time_s : ndarray of shape (n,)
        Marker sample times, seconds (0 at the first sample).
    markers : dict of str to ndarray of shape (n, 3)
        Running-trial markers, mm, lab frame.
    static : dict of str to ndarray of shape (m, 3)
        Standing-trial markers, mm, lab frame.
    forces : pandas.DataFrame or None
        From :func:`read_fukuchi_forces`.
    height_mm, mass_kg : float
        Body height (mm) and mass (kg) from ``RBDSinfo.txt``.
    info : dict
        The subject's metadata row.
    """

    subject: str
    trial: str
    time_s: np.ndarray
    markers: dict[str, np.ndarray]
    static: dict[str, np.ndarray]
    forces: pd.DataFrame | None
    height_mm: float
    mass_kg: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def rate_hz(self) -> float:
        """Marker sampling rate in Hz."""
        return float(np.round(1.0 / np.median(np.diff(self.time_s)), 6))


def load_fukuchi_trial(
    data_dir: str | Path,
    *,
    subject: str = "RBDS001",
    trial: str = "runT25",
    forces: bool = True,
) -> FukuchiTrial:
    """Load markers, standing calibration, forces and metadata of one trial.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``<subject><trial>markers.txt``, ``<subject><trial>forces.txt``,
        ``<subject>static.txt`` and ``RBDSinfo.txt`` (see :func:`default_fukuchi_dir`).
    subject : str, optional
        Subject code.
    trial : str, optional
        Trial code (``runT25``, ``runT35``, ``runT45``).
    forces : bool, optional
        Also read the force file.

    Returns
    -------
    FukuchiTrial
    """
    d = Path(data_dir)
    time_s, markers = read_fukuchi_markers(d / f"{subject}{trial}markers.txt")
    _, static = read_fukuchi_markers(d / f"{subject}static.txt")
    frc = read_fukuchi_forces(d / f"{subject}{trial}forces.txt") if forces else None
    info = read_fukuchi_info(d / "RBDSinfo.txt", subject=subject)
    return FukuchiTrial(
        subject=subject,
        trial=trial,
        time_s=time_s,
        markers=markers,
        static=static,
        forces=frc,
        height_mm=info["height_mm"],
        mass_kg=info["mass_kg"],
        info=info,
    )


# --------------------------------------------------------------------------------------
# Rigid clusters and anatomical points
# --------------------------------------------------------------------------------------


def _fill_short_gaps(a: np.ndarray, max_gap: int) -> np.ndarray:
    """Linearly fill interior NaN runs of at most ``max_gap`` samples along axis 0."""
    import pandas as pd

    n = a.shape[0]
    flat = a.reshape(n, -1)
    nan = np.isnan(flat)
    if not nan.any() or n < 2:
        return a.copy()
    filled = pd.DataFrame(flat).interpolate(limit_area="inside").to_numpy(np.float64, copy=True)
    idx = np.broadcast_to(np.arange(n)[:, None], flat.shape)
    last = np.maximum.accumulate(np.where(~nan, idx, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(~nan, idx, n)[::-1], axis=0)[::-1]
    filled[nan & (nxt - last - 1 > max_gap)] = np.nan
    return filled.reshape(a.shape)


def fit_rigid(
    reference: np.ndarray, moving: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares rigid transforms of a marker cluster (Kabsch / SVD), batched over frames.

    Finds, for every frame, the rotation ``R`` and translation ``t`` minimising
    ``sum_k |R @ reference[k] + t - moving[:, k]|^2`` (Soederkvist & Wedin 1993; the
    standard SVD solution with the reflection guard ``det(R) = +1``).

    Parameters
    ----------
    reference : ndarray of shape (k, 3)
        Cluster marker positions in the reference pose (e.g. the standing trial), k >= 3,
        not collinear.
    moving : ndarray of shape (n, k, 3)
        The same markers in each of n frames. Frames with any NaN give NaN outputs.

    Returns
    -------
    rotation : ndarray of shape (n, 3, 3)
        Rotation matrices.
    translation : ndarray of shape (n, 3)
        Translations, same units as the inputs.
    rms : ndarray of shape (n,)
        Root-mean-square distance between the fitted and measured markers (cluster
        deformation, e.g. soft-tissue artefact), same units as the inputs.
    """
    ref = np.asarray(reference, np.float64)
    mov = np.asarray(moving, np.float64)
    if ref.ndim != 2 or ref.shape[1] != 3 or ref.shape[0] < 3:
        raise ValueError(f"reference must have shape (k>=3, 3), got {ref.shape}")
    if mov.ndim != 3 or mov.shape[1:] != ref.shape:
        raise ValueError(f"moving must have shape (n, {ref.shape[0]}, 3), got {mov.shape}")
    n = mov.shape[0]
    rot = np.full((n, 3, 3), np.nan)
    trans = np.full((n, 3), np.nan)
    rms = np.full(n, np.nan)
    ok = np.isfinite(mov).all(axis=(1, 2))
    if not ok.any():
        return rot, trans, rms
    q = mov[ok]
    c_ref = ref.mean(axis=0)
    c_mov = q.mean(axis=1)
    h = np.einsum("ki,nkj->nij", ref - c_ref, q - c_mov[:, None, :])  # cross-covariance
    u, _, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, 1, 2)
    ut = np.swapaxes(u, 1, 2)
    d = np.sign(np.linalg.det(v @ ut))
    d[d == 0] = 1.0
    r = v @ (np.concatenate([np.ones((len(q), 2)), d[:, None]], axis=1)[:, :, None] * ut)
    t = c_mov - np.einsum("nij,j->ni", r, c_ref)
    fitted = np.einsum("nij,kj->nki", r, ref) + t[:, None, :]
    rot[ok], trans[ok] = r, t
    rms[ok] = np.sqrt(((fitted - q) ** 2).sum(axis=2).mean(axis=1))
    return rot, trans, rms


def _static_mean(static: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name not in static:
        raise KeyError(f"marker {name!r} is not in the standing trial")
    return np.nanmean(np.asarray(static[name], np.float64), axis=0)


def _track(
    static: Mapping[str, np.ndarray],
    running: Mapping[str, np.ndarray],
    cluster: tuple[str, ...],
    points: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Carry static-trial points (p, 3) rigidly with a cluster; returns (n, p, 3), rms (n,)."""
    missing = [m for m in cluster if m not in running]
    if missing:
        raise KeyError(f"cluster markers missing from the running trial: {missing}")
    ref = np.stack([_static_mean(static, m) for m in cluster])
    mov = np.stack([np.asarray(running[m], np.float64) for m in cluster], axis=1)
    rot, trans, rms = fit_rigid(ref, mov)
    return np.einsum("nij,pj->npi", rot, points) + trans[:, None, :], rms


@dataclass(frozen=True, eq=False)
class Skeleton3D:
    """Per-frame 3D points of the body in the lab frame, named like the BlazePose landmarks.

    Parameters
    ----------
    time_s : ndarray of shape (n,)
        Sample times, seconds, on the marker clock.
    points : dict of str to ndarray of shape (n, 3)
        Millimetres, lab frame (``X`` forward, ``Y`` up, ``Z`` right). Keys
        ``{left,right}_{shoulder,hip,knee,ankle,heel,foot_index}``.
    info : dict
        How each point was obtained and the cluster-fit residuals (mm).
    """

    time_s: np.ndarray
    points: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)


def reconstruct_skeleton(
    markers: Mapping[str, np.ndarray],
    static: Mapping[str, np.ndarray],
    time_s: np.ndarray,
    *,
    height_mm: float,
    trunk_lean_deg: float = 0.0,
    toe_offset_mm: float = 0.0,
    max_gap_s: float = 0.1,
) -> Skeleton3D:
    """Reconstruct joint points in the running trial from clusters calibrated on the static trial.

    Marker set of Fukuchi et al. (2017): the running trials hold only tracking markers:
    pelvis (ASIS, PSIS, iliac crest, both sides), four-marker rigid clusters on each thigh
    and shank (``Thigh/Shank.Top/Bottom.Lateral/Medial``), and on each shoe three heel
    markers (``Heel.Top``, ``Heel.Bottom``, ``Heel.Lateral``) and the 1st and 5th metatarsal
    heads (``MT1``, ``MT5``). The standing trial adds the anatomical markers: greater
    trochanter (``GTR``), lateral and medial femoral epicondyles (``Knee``,
    ``Knee.Medial``), lateral and medial malleoli (``Ankle``, ``Ankle.Medial``), fibular head
    (``HF``), tibial tuberosity (``TT``) and ``MT2``. There are no trunk or arm markers.

    Method (the calibrated anatomical system technique used by lab software): for each
    cluster, the anatomical markers of the standing trial are expressed in the cluster's
    frame, then carried into every running frame by the cluster's least-squares rigid pose
    (:func:`fit_rigid`, batched SVD):

    * ``hip`` = greater trochanter, carried by the thigh cluster. (The hip joint centre is
      about 1-2 cm medial-proximal; in a side view the trochanter is where a pose model's
      hip is seen.)
    * ``knee`` = midpoint of the femoral epicondyles, carried by the thigh cluster.
    * ``ankle`` = midpoint of the malleoli, carried by the shank cluster.
    * ``heel`` = ``Heel.Bottom`` and ``foot_index`` = midpoint of ``MT1`` and ``MT5``, both
      measured directly in the running trial (shoe markers). ``toe_offset_mm`` moves the
      toe point forward along the heel-to-MT line, e.g. ~40 mm to reach the toe tip that
      BlazePose's ``foot_index`` marks.
    * ``shoulder``: **synthetic**. With no trunk markers, the shoulders are placed in the
      standing trial at ``(0.818 - 0.530) x height`` above the midpoint of the trochanters
      and ``0.259 x height`` apart (Drillis & Contini segment ratios, Winter 2009), leaned
      forward by ``trunk_lean_deg``, and carried by the pelvis cluster. The trunk is thus
      rigid with the pelvis: a mid-shoulder/mid-hip trunk lean computed from these points
      is the pelvic sagittal tilt relative to standing plus ``trunk_lean_deg``, which is
      plausible in size and timing but is **not** the runner's measured trunk.

    Marker gaps up to ``max_gap_s`` are filled linearly first (RBDS001 runT25 has one
    missing frame of ``L.ASIS``).

    Parameters
    ----------
    markers : mapping of str to ndarray of shape (n, 3)
        Running-trial markers (mm).
    static : mapping of str to ndarray of shape (m, 3)
        Standing-trial markers (mm).
    time_s : ndarray of shape (n,)
        Running-trial sample times, seconds.
    height_mm : float
        Body height, mm (places the synthetic shoulders).
    trunk_lean_deg : float, optional
        Extra forward lean of the synthetic trunk relative to the pelvis, degrees.
    toe_offset_mm : float, optional
        Forward shift of ``foot_index`` from the MT-head midpoint along the foot, mm.
    max_gap_s : float, optional
        Longest marker gap that is interpolated, seconds.

    Returns
    -------
    Skeleton3D
    """
    time_s = np.asarray(time_s, np.float64)
    dt = float(np.median(np.diff(time_s))) if time_s.size > 1 else 1.0
    max_gap = int(round(max_gap_s / dt))
    run = {k: _fill_short_gaps(np.asarray(v, np.float64), max_gap) for k, v in markers.items()}
    pts: dict[str, np.ndarray] = {}
    rms: dict[str, float] = {}
    for s, side in _SIDES.items():
        knee = (_static_mean(static, f"{s}.Knee") + _static_mean(static, f"{s}.Knee.Medial")) / 2
        ankle = (_static_mean(static, f"{s}.Ankle") + _static_mean(static, f"{s}.Ankle.Medial")) / 2
        gtr = _static_mean(static, f"{s}.GTR")
        thigh, rms_t = _track(static, run, tuple(f"{s}.{m}" for m in _THIGH), np.stack([gtr, knee]))
        shank, rms_s = _track(static, run, tuple(f"{s}.{m}" for m in _SHANK), ankle[None])
        pts[f"{side}_hip"], pts[f"{side}_knee"] = thigh[:, 0], thigh[:, 1]
        pts[f"{side}_ankle"] = shank[:, 0]
        heel = run[f"{s}.Heel.Bottom"]
        mt = (run[f"{s}.MT1"] + run[f"{s}.MT5"]) / 2
        if toe_offset_mm:
            axis = mt - heel
            axis = axis / np.linalg.norm(axis, axis=1, keepdims=True)
            mt = mt + toe_offset_mm * axis
        pts[f"{side}_heel"], pts[f"{side}_foot_index"] = heel.copy(), mt
        rms[f"{side}_thigh_mm"] = float(np.nanmean(rms_t))
        rms[f"{side}_shank_mm"] = float(np.nanmean(rms_s))

    # Synthetic shoulders, rigid with the pelvis (see docstring).
    g_r, g_l = _static_mean(static, "R.GTR"), _static_mean(static, "L.GTR")
    mid = (g_r + g_l) / 2
    lateral = g_r - g_l
    lateral[1] = 0.0
    lateral /= np.linalg.norm(lateral)
    up = np.array([0.0, 1.0, 0.0])
    forward = np.cross(up, lateral)  # X for Z = right
    lean = np.deg2rad(trunk_lean_deg)
    top = mid + _TRUNK_HEIGHT_FRAC * height_mm * (np.cos(lean) * up + np.sin(lean) * forward)
    half = _SHOULDER_WIDTH_FRAC * height_mm / 2
    shoulders, rms_p = _track(
        static, run, _PELVIS, np.stack([top + half * lateral, top - half * lateral])
    )
    pts["right_shoulder"], pts["left_shoulder"] = shoulders[:, 0], shoulders[:, 1]
    rms["pelvis_mm"] = float(np.nanmean(rms_p))
    info = {
        "hip": "greater trochanter via thigh cluster",
        "knee": "epicondyle midpoint via thigh cluster",
        "ankle": "malleolus midpoint via shank cluster",
        "heel": "Heel.Bottom marker",
        "foot_index": f"MT1/MT5 midpoint + {toe_offset_mm:g} mm along the foot",
        "shoulder": f"synthetic, rigid with pelvis cluster, lean {trunk_lean_deg:g} deg",
        "cluster_rms_mm": rms,
    }
    return Skeleton3D(time_s=time_s.copy(), points=pts, info=info)


# --------------------------------------------------------------------------------------
# Side camera
# --------------------------------------------------------------------------------------


def _projected(xyzv: np.ndarray, t: np.ndarray, image_size: tuple[int, int], *, model: str,
               source: str, meta: dict[str, Any]) -> Landmarks:
    """Landmarks from projected points on the marker clock (``time_s`` restarts at 0)."""
    n = t.size
    fps = float(np.round(1.0 / np.median(np.diff(t)), 6)) if n > 1 else 1.0
    return Landmarks(xyzv=xyzv.astype(np.float32), world=None, fps=fps,
                     time_s=(t - t[0]) if n else t.copy(),
                     image_size=(int(image_size[0]), int(image_size[1])), model=model,
                     source=source, info=meta)


@dataclass(frozen=True)
class SideCamera:
    """A static camera looking at the treadmill from one side, square to the running direction.

    Projection: the camera's optical axis is the lab ``Z`` axis, so the image shows the
    sagittal plane: image ``x = cx + facing * s * (X - Xc)``, image ``y = cy - s * (Y -
    Yc)`` (``y`` down). ``s`` (px/mm) makes the runner's body height
    ``body_height_frac`` of the image height at the runner's mid-plane; ``Xc, Yc`` is the
    mean mid-hip position over the clip, placed at the image's horizontal centre and at
    the height that puts the belt (``Y = 0``) at ``floor_y_frac`` of the image height.
    Orthographic when ``distance_m`` is None; otherwise a pinhole at that distance from the
    mid-plane, level with the mean mid-hip and aimed at it (points nearer the camera look
    larger, scale ``D / (D - depth)``).

    The landmark ``z`` channel imitates MediaPipe: depth relative to the mid-hip of the
    frame, on the scale of ``x`` (normalised by image width), smaller = nearer the camera.

    Parameters
    ----------
    near_side : {'right', 'left'}
        The runner's side that faces the camera.
    facing : {1, -1} or None
        +1: the runner faces image-right; -1: image-left. ``None`` takes what a real camera
        on ``near_side`` sees (right side -> +1, left side -> -1); the other value gives a
        mirrored picture (e.g. a selfie camera), where anatomical labels stay correct.
    image_size : tuple of int
        ``(width, height)`` in pixels.
    body_height_frac : float
        Body height as a fraction of the image height.
    floor_y_frac : float
        Image height fraction (from the top) at which the belt surface appears.
    distance_m : float or None
        Camera distance from the runner's mid-plane, metres; ``None`` = orthographic.
    near_visibility, far_visibility : float
        Visibility given to near-side and far-side landmarks.
    """

    near_side: Literal["right", "left"] = "right"
    facing: int | None = None
    image_size: tuple[int, int] = (1280, 720)
    body_height_frac: float = 0.70
    floor_y_frac: float = 0.85
    distance_m: float | None = None
    near_visibility: float = 1.0
    far_visibility: float = 0.8

    def __post_init__(self) -> None:
        if self.near_side not in ("right", "left"):
            raise ValueError(f"near_side must be 'right' or 'left', got {self.near_side!r}")
        if self.facing not in (None, 1, -1):
            raise ValueError(f"facing must be 1, -1 or None, got {self.facing!r}")
        if self.distance_m is not None and not self.distance_m > 0:
            raise ValueError("distance_m must be positive")

    @property
    def image_facing(self) -> int:
        """+1 if the runner faces image-right, -1 if image-left."""
        if self.facing is not None:
            return int(self.facing)
        return 1 if self.near_side == "right" else -1

    def project(
        self,
        skeleton: Skeleton3D,
        *,
        height_mm: float,
        source: str = "mocap",
        model: str = "mocap",
        info: dict[str, Any] | None = None,
    ) -> Landmarks:
        """Project a skeleton into this camera's image.

        Parameters
        ----------
        skeleton : Skeleton3D
            Lab-frame points (mm).
        height_mm : float
            Runner's body height, mm (sets the image scale).
        source, model : str, optional
            Stored in the returned :class:`~gaitcheck.landmarks.Landmarks`.
        info : dict, optional
            Extra provenance merged into ``Landmarks.info``.

        Returns
        -------
        Landmarks
            ``time_s`` starts at 0; ``info['mocap_t0_s']`` is the marker-clock time of the
            first frame. Landmarks not simulated are NaN in all four channels. ``world``
            is None.
        """
        w, h = self.image_size
        n = skeleton.time_s.size
        s = self.body_height_frac * h / float(height_mm)  # px per mm
        near_sgn = 1.0 if self.near_side == "right" else -1.0  # +Z is toward a right camera
        fac = float(self.image_facing)
        p = skeleton.points
        hip_mid = (p["left_hip"] + p["right_hip"]) / 2  # (n, 3)
        x_c, y_c, z_c = np.nanmean(hip_mid, axis=0)
        c_x, c_y = w / 2.0, self.floor_y_frac * h - s * y_c

        xyzv = np.full((n, N_LANDMARKS, 4), np.nan, dtype=np.float64)
        names = [f"{side}_{j}" for side in ("left", "right") for j in _JOINTS]
        idx = np.array([LM[nm.upper()] for nm in names])
        xyz = np.stack([p[nm] for nm in names], axis=1)  # (n, 12, 3)
        toward = near_sgn * (xyz[..., 2] - z_c)  # mm toward the camera from the mid-plane
        if self.distance_m is None:
            mag = np.ones_like(toward)
        else:
            d_mm = self.distance_m * 1000.0
            mag = d_mm / (d_mm - toward)
        xyzv[:, idx, 0] = (c_x + fac * s * mag * (xyz[..., 0] - x_c)) / w
        xyzv[:, idx, 1] = (c_y - s * mag * (xyz[..., 1] - y_c)) / h
        hip_toward = near_sgn * (hip_mid[:, 2] - z_c)
        xyzv[:, idx, 2] = -s * (toward - hip_toward[:, None]) / w
        near = np.array([nm.startswith(self.near_side) for nm in names])
        vis = np.where(near, self.near_visibility, self.far_visibility)
        xyzv[:, idx, 3] = np.where(np.isfinite(xyz).all(axis=2), vis, np.nan)

        t = skeleton.time_s
        meta = {
            "mocap_t0_s": float(t[0]) if n else 0.0,
            "near_side": self.near_side,
            "facing": int(self.image_facing),
            "camera": {
                k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()
            },
            "scale_px_per_mm": float(s),
            "height_mm": float(height_mm),
            "simulated_landmarks": names,
            "skeleton": skeleton.info,
        }
        meta.update(info or {})
        return _projected(xyzv, t, (w, h), model=model, source=source, meta=meta)


@dataclass(frozen=True)
class RearCamera:
    """A static pinhole camera behind the treadmill, level with the hips, looking forward.

    Projection: depth is the distance along the running direction, ``D + (X - Xc)`` (a
    foot further forward is further away); image ``x = cx + f (Z - Zc) / depth`` (the
    runner's right on image right, as seen from behind), image ``y = cy - f (Y - Yc) /
    depth``. ``Xc, Yc, Zc`` is the mean mid-hip over the clip, placed at the image's
    horizontal centre and at ``hip_y_frac`` of its height; ``f`` makes the body height
    ``body_height_frac`` of the image height at the hips' depth. Perspective matters
    here: a foot on the belt moves towards the camera through the stance and so slides
    down the image, which is what a phone behind a treadmill sees.

    Parameters
    ----------
    image_size : tuple of int
        ``(width, height)`` in pixels (default portrait 720x1280, as phones film).
    distance_m : float
        Camera distance from the mean mid-hip along the running direction, metres.
    body_height_frac : float
        Body height as a fraction of the image height at the hips' depth.
    hip_y_frac : float
        Image height fraction (from the top) of the mean mid-hip.
    """

    image_size: tuple[int, int] = (720, 1280)
    distance_m: float = 2.5
    body_height_frac: float = 0.70
    hip_y_frac: float = 0.45

    def __post_init__(self) -> None:
        if not self.distance_m > 0:
            raise ValueError("distance_m must be positive")

    def project(
        self,
        skeleton: Skeleton3D,
        *,
        height_mm: float,
        source: str = "mocap",
        model: str = "mocap",
        info: dict[str, Any] | None = None,
    ) -> Landmarks:
        """Project a skeleton into this camera's image (see :meth:`SideCamera.project`).

        The ``z`` channel is the forward distance from the mean mid-hip, in image widths
        (larger = farther from the camera), like MediaPipe's relative depth.
        """
        w, h = self.image_size
        n = skeleton.time_s.size
        d_mm = self.distance_m * 1000.0
        f = self.body_height_frac * h * d_mm / float(height_mm)  # px x mm / mm
        p = skeleton.points
        hip_mid = (p["left_hip"] + p["right_hip"]) / 2
        x_c, y_c, z_c = np.nanmean(hip_mid, axis=0)
        names = [f"{side}_{j}" for side in ("left", "right") for j in _JOINTS]
        idx = np.array([LM[nm.upper()] for nm in names])
        xyz = np.stack([p[nm] for nm in names], axis=1)  # (n, 12, 3)
        depth = d_mm + (xyz[..., 0] - x_c)
        xyzv = np.full((n, N_LANDMARKS, 4), np.nan, dtype=np.float64)
        xyzv[:, idx, 0] = (w / 2.0 + f * (xyz[..., 2] - z_c) / depth) / w
        xyzv[:, idx, 1] = (self.hip_y_frac * h - f * (xyz[..., 1] - y_c) / depth) / h
        xyzv[:, idx, 2] = f / d_mm * (xyz[..., 0] - x_c) / w
        xyzv[:, idx, 3] = np.where(np.isfinite(xyz).all(axis=2), 1.0, np.nan)
        t = skeleton.time_s
        meta = {
            "mocap_t0_s": float(t[0]) if n else 0.0,
            "camera": {k: (list(v) if isinstance(v, tuple) else v)
                       for k, v in asdict(self).items()},
            "height_mm": float(height_mm),
            "simulated_landmarks": names,
            "skeleton": skeleton.info,
        }
        meta.update(info or {})
        return _projected(xyzv, t, (w, h), model=model, source=source, meta=meta)


def _fukuchi_skeleton(data_dir: str | Path, *, subject: str, trial: str,
                      start_s: float | None, stop_s: float | None, trunk_lean_deg: float,
                      toe_offset_mm: float) -> tuple[FukuchiTrial, Skeleton3D, dict[str, Any]]:
    """Load a trial, reconstruct its joints and keep ``start_s <= t < stop_s``."""
    tr = load_fukuchi_trial(data_dir, subject=subject, trial=trial, forces=False)
    skel = reconstruct_skeleton(
        tr.markers,
        tr.static,
        tr.time_s,
        height_mm=tr.height_mm,
        trunk_lean_deg=trunk_lean_deg,
        toe_offset_mm=toe_offset_mm,
    )
    t = skel.time_s
    keep = np.ones(t.size, bool)
    if start_s is not None:
        keep &= t >= start_s - 1e-9
    if stop_s is not None:
        keep &= t < stop_s - 1e-9
    if not keep.any():
        raise ValueError(f"no marker samples in [{start_s}, {stop_s})")
    skel = Skeleton3D(
        time_s=t[keep], points={k: v[keep] for k, v in skel.points.items()}, info=skel.info
    )
    info = {
        "subject": subject,
        "trial": trial,
        "mocap_rate_hz": tr.rate_hz,
        "foot_strike": {
            "right": str(tr.info.get(f"RFSI{trial[-2:]}", "")),
            "left": str(tr.info.get(f"LFSI{trial[-2:]}", "")),
        },
        "citation": CITATION,
    }
    return tr, skel, info


def fukuchi_rear_landmarks(
    data_dir: str | Path,
    *,
    subject: str = "RBDS001",
    trial: str = "runT25",
    camera: RearCamera | None = None,
    start_s: float | None = None,
    stop_s: float | None = None,
) -> Landmarks:
    """Rear-camera landmarks of a Fukuchi et al. (2017) treadmill trial at the mocap rate.

    As :func:`fukuchi_side_landmarks`, seen by a :class:`RearCamera` (default: portrait
    720x1280, 2.5 m behind the hips, level with them). The same twelve landmarks are
    filled; with the force-plate contacts they test the rear-view event rule.

    Data: Fukuchi RK, Fukuchi CA, Duarte M (2017), PeerJ 5:e3298, CC BY 4.0.
    """
    tr, skel, info = _fukuchi_skeleton(data_dir, subject=subject, trial=trial,
                                       start_s=start_s, stop_s=stop_s, trunk_lean_deg=0.0,
                                       toe_offset_mm=0.0)
    return (camera or RearCamera()).project(skel, height_mm=tr.height_mm,
                                            source=f"{subject}{trial}",
                                            model="mocap:fukuchi2017", info=info)


def fukuchi_side_landmarks(
    data_dir: str | Path,
    *,
    subject: str = "RBDS001",
    trial: str = "runT25",
    near_side: Literal["right", "left"] | None = None,
    facing: int | None = None,
    image_size: tuple[int, int] | None = None,
    start_s: float | None = None,
    stop_s: float | None = None,
    camera: SideCamera | None = None,
    trunk_lean_deg: float = 0.0,
    toe_offset_mm: float = 0.0,
) -> Landmarks:
    """Side-camera landmarks of a Fukuchi et al. (2017) treadmill trial at the mocap rate.

    Loads the trial (:func:`load_fukuchi_trial`), reconstructs the joint points
    (:func:`reconstruct_skeleton`) and projects them with a :class:`SideCamera`. Twelve
    landmarks are filled for both sides: shoulder (synthetic, see
    :func:`reconstruct_skeleton`), hip, knee, ankle, heel, foot_index; the rest are NaN.

    Data: Fukuchi RK, Fukuchi CA, Duarte M (2017), PeerJ 5:e3298, CC BY 4.0.

    Parameters
    ----------
    data_dir : str or Path
        Folder of the data set files (see :func:`default_fukuchi_dir`).
    subject, trial : str, optional
        Which trial.
    near_side : {'right', 'left'}, optional
        Side facing the camera (default ``'right'``).
    facing : {1, -1}, optional
        Image direction the runner faces; default: what a real camera on ``near_side``
        sees (see :class:`SideCamera`).
    image_size : tuple of int, optional
        ``(width, height)`` in pixels (default ``(1280, 720)``).
    start_s, stop_s : float, optional
        Keep marker samples with ``start_s <= t < stop_s`` (marker clock, seconds).
    camera : SideCamera, optional
        Full camera specification; replaces ``near_side``, ``facing`` and ``image_size``,
        which must then be left unset.
    trunk_lean_deg, toe_offset_mm : float, optional
        Passed to :func:`reconstruct_skeleton`.

    Returns
    -------
    Landmarks
        150 Hz, ``model='mocap:fukuchi2017'``, ``source=f'{subject}{trial}'``;
        ``time_s`` starts at 0 and ``info['mocap_t0_s']`` is the marker-clock time of the
        first frame (use :func:`contacts_in_landmark_time` to put contacts on this clock).
    """
    if camera is None:
        camera = SideCamera(
            near_side=near_side or "right",
            facing=facing,
            image_size=tuple(image_size) if image_size is not None else (1280, 720),
        )
    elif near_side is not None or facing is not None or image_size is not None:
        raise ValueError("give either camera or near_side/facing/image_size, not both")
    tr, skel, info = _fukuchi_skeleton(data_dir, subject=subject, trial=trial,
                                       start_s=start_s, stop_s=stop_s,
                                       trunk_lean_deg=trunk_lean_deg,
                                       toe_offset_mm=toe_offset_mm)
    return camera.project(skel, height_mm=tr.height_mm, source=f"{subject}{trial}",
                          model="mocap:fukuchi2017", info=info)


# --------------------------------------------------------------------------------------
# Force-plate contacts
# --------------------------------------------------------------------------------------


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) indices of True runs."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _interval_mean(t: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of the linear interpolant of y(t) over each interval [a, b] (vectorised)."""
    cum = np.r_[0.0, np.cumsum((y[1:] + y[:-1]) / 2 * np.diff(t))]
    return (np.interp(b, t, cum) - np.interp(a, t, cum)) / np.maximum(b - a, 1e-12)


def force_plate_contacts(
    forces: pd.DataFrame,
    markers: tuple[np.ndarray, Mapping[str, np.ndarray]] | None = None,
    *,
    threshold_n: float = 50.0,
    min_contact_s: float = 0.05,
    min_flight_s: float = 0.03,
) -> pd.DataFrame:
    """Foot contacts from a treadmill's vertical ground reaction force.

    A contact is a stretch where ``Fy > threshold_n``. Initial contact (IC) and toe-off
    (TO) are the threshold crossings, placed between samples by linear interpolation
    (sub-sample precision; at 300 Hz one sample is 3.3 ms). Near the threshold the force
    is noisy (tens of N) and these files zero the samples below a small force, so runs
    separated by less than ``min_flight_s`` are merged and runs shorter than
    ``min_contact_s`` dropped. Contacts cut by the start or end of the recording are
    dropped.

    Running has a flight phase, so each contact belongs to one foot. With ``markers``,
    the foot is the one whose lowest shoe marker (``Heel.Bottom``, ``MT1``, ``MT5``) is
    lower on average over the contact. As an independent check, ``side_cop`` names the
    foot whose markers are laterally (``Z``) nearer the mean centre of pressure.

    Threshold choice: 50 N is the gold-standard threshold used e.g. by the FootNet
    treadmill data sets; lower thresholds move IC earlier and TO later by a few ms.

    Parameters
    ----------
    forces : pandas.DataFrame
        From :func:`read_fukuchi_forces` (``time_s``, ``Fy``; ``COPz`` for ``side_cop``).
    markers : tuple of (ndarray, dict), optional
        ``(time_s, markers)`` as returned by :func:`read_fukuchi_markers` for the same
        trial; without it ``side`` is ``'unknown'``.
    threshold_n : float, optional
        Vertical-force threshold, N.
    min_contact_s : float, optional
        Shortest contact kept, seconds.
    min_flight_s : float, optional
        Shorter dips below the threshold are treated as noise inside one contact, seconds.

    Returns
    -------
    pandas.DataFrame
        One row per contact in time order: ``side`` ('right'/'left'/'unknown'),
        ``ic_time_s``, ``to_time_s`` (force clock = marker clock, seconds),
        ``contact_time_ms``, ``flight_before_ms`` (NaN for the first), ``peak_force_n``,
        ``side_cop``.
    """
    import pandas as pd

    t = forces["time_s"].to_numpy(np.float64)
    fy = forces["Fy"].to_numpy(np.float64)
    dt = float(np.median(np.diff(t)))
    above = np.nan_to_num(fy, nan=0.0) > threshold_n
    start, end = _runs(above)
    if start.size:
        gap_ok = np.r_[True, (start[1:] - end[:-1]) * dt >= min_flight_s]
        start = start[gap_ok]
        end = end[np.r_[gap_ok[1:], True]]
    whole = (start > 0) & (end < fy.size)
    start, end = start[whole], end[whole]
    cols = ["side", "ic_time_s", "to_time_s", "contact_time_ms", "flight_before_ms",
            "peak_force_n", "side_cop"]  # fmt: skip
    if start.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if "side" in c else float) for c in cols})

    def crossing(i0: np.ndarray) -> np.ndarray:
        f0, f1 = fy[i0], fy[i0 + 1]
        frac = np.clip((threshold_n - f0) / (f1 - f0), 0.0, 1.0)
        return t[i0] + frac * (t[i0 + 1] - t[i0])

    ic = crossing(start - 1)
    to = crossing(end - 1)
    ct = to - ic
    keep = ct >= min_contact_s
    start, end, ic, to = start[keep], end[keep], ic[keep], to[keep]
    # whole contacts end before the last sample, so every index is valid for reduceat
    peak = np.maximum.reduceat(fy, np.column_stack([start, end]).ravel())[::2]

    side = np.full(ic.size, "unknown", dtype=object)
    side_cop = np.full(ic.size, "unknown", dtype=object)
    if markers is not None and ic.size:
        tm, mk = markers
        tm = np.asarray(tm, np.float64)
        low = {}
        lat = {}
        for s, name in _SIDES.items():
            arrs = [np.asarray(mk[f"{s}.{m}"], np.float64) for m in _FOOT_LOW]
            y = np.nanmin(np.stack([a[:, 1] for a in arrs]), axis=0)
            z = np.nanmean(np.stack([a[:, 2] for a in arrs]), axis=0)
            y, z = _fill_short_gaps(y, y.size), _fill_short_gaps(z, z.size)
            low[name] = _interval_mean(tm, y, ic, to)
            lat[name] = _interval_mean(tm, z, ic, to)
        side = np.where(low["right"] < low["left"], "right", "left").astype(object)
        if "COPz" in forces:
            cop = _interval_mean(t, forces["COPz"].to_numpy(np.float64), ic, to)
            nearer_r = np.abs(cop - lat["right"]) < np.abs(cop - lat["left"])
            side_cop = np.where(nearer_r, "right", "left").astype(object)
    return pd.DataFrame(
        {
            "side": side,
            "ic_time_s": ic,
            "to_time_s": to,
            "contact_time_ms": (to - ic) * 1000.0,
            "flight_before_ms": np.r_[np.nan, (ic[1:] - to[:-1]) * 1000.0],
            "peak_force_n": peak,
            "side_cop": side_cop,
        }
    )


def fukuchi_contacts(
    data_dir: str | Path,
    *,
    subject: str = "RBDS001",
    trial: str = "runT25",
    threshold_n: float = 50.0,
) -> pd.DataFrame:
    """Force-plate contacts of a Fukuchi et al. (2017) trial, feet assigned from the markers.

    Parameters
    ----------
    data_dir : str or Path
        Folder of the data set files.
    subject, trial : str, optional
        Which trial.
    threshold_n : float, optional
        Vertical-force threshold, N.

    Returns
    -------
    pandas.DataFrame
        See :func:`force_plate_contacts`.
    """
    tr = load_fukuchi_trial(data_dir, subject=subject, trial=trial)
    assert tr.forces is not None
    return force_plate_contacts(tr.forces, (tr.time_s, tr.markers), threshold_n=threshold_n)


def force_marker_lag(
    time_s: np.ndarray,
    markers: Mapping[str, np.ndarray],
    forces: pd.DataFrame,
    *,
    mass_kg: float,
    cutoff_hz: float = 10.0,
    max_lag_s: float = 0.1,
) -> dict[str, float]:
    """Check the force and marker clocks against each other with Newton's second law.

    The vertical force predicts the body's centre-of-mass acceleration,
    ``a = Fy / m - g``; the mean of the pelvis markers approximates the centre of mass.
    Both signals are low-pass filtered (4th-order zero-lag Butterworth at ``cutoff_hz``),
    the force is sampled at the marker times, and the lag maximising their correlation is
    refined to sub-sample precision with a parabola. The pelvis is not the centre of mass,
    so a lag within about one marker frame is consistent with synchronous clocks.

    Parameters
    ----------
    time_s : ndarray of shape (n,)
        Marker times, seconds.
    markers : mapping of str to ndarray of shape (n, 3)
        Running-trial markers with the pelvis markers (mm).
    forces : pandas.DataFrame
        From :func:`read_fukuchi_forces`.
    mass_kg : float
        Body mass, kg.
    cutoff_hz : float, optional
        Low-pass cut-off, Hz.
    max_lag_s : float, optional
        Lags searched, +- seconds.

    Returns
    -------
    dict of str to float
        ``lag_s``: how much later the marker-derived acceleration is than the force-derived
        one (positive = markers late); ``correlation`` at that lag; ``rms_residual_n``:
        RMS of ``Fy - m (g + a_pelvis)`` at the best lag, N; ``mean_force_n`` and ``weight_n``
        (mean vertical force over the trial vs body weight).
    """
    from scipy.signal import butter, sosfiltfilt

    tm = np.asarray(time_s, np.float64)
    fs_m = 1.0 / float(np.median(np.diff(tm)))
    pel = np.stack([np.asarray(markers[m], np.float64)[:, 1] for m in _PELVIS], axis=1)
    pel = _fill_short_gaps(pel, pel.shape[0])
    y = np.nanmean(pel, axis=1) / 1000.0
    y = sosfiltfilt(butter(4, cutoff_hz, fs=fs_m, output="sos"), y)
    acc = np.gradient(np.gradient(y, tm), tm)
    tf = forces["time_s"].to_numpy(np.float64)
    fy = forces["Fy"].to_numpy(np.float64)
    fs_f = 1.0 / float(np.median(np.diff(tf)))
    fyf = sosfiltfilt(butter(4, cutoff_hz, fs=fs_f, output="sos"), fy)
    a_force = np.interp(tm, tf, fyf) / mass_kg - GRAVITY
    max_lag = int(round(max_lag_s * fs_m))
    edge = max_lag + int(round(0.2 * fs_m))  # skip filter edge effects
    a = a_force[edge:-edge]
    a = (a - a.mean()) / a.std()
    lags = np.arange(-max_lag, max_lag + 1)
    seg = np.lib.stride_tricks.sliding_window_view(acc, a.size)[edge - max_lag : edge + max_lag + 1]
    seg = (seg - seg.mean(axis=1, keepdims=True)) / seg.std(axis=1, keepdims=True)
    cc = seg @ a / a.size
    i = int(np.argmax(cc))
    frac = 0.0
    if 0 < i < cc.size - 1:
        den = cc[i - 1] - 2 * cc[i] + cc[i + 1]
        frac = 0.5 * (cc[i - 1] - cc[i + 1]) / den if den else 0.0
    lag_frames = lags[i] + frac
    f_at = np.interp(tm[edge:-edge], tf, fyf)
    resid = f_at - mass_kg * (GRAVITY + acc[edge + lags[i] : edge + lags[i] + a.size])
    return {
        "lag_s": float(lag_frames / fs_m),
        "correlation": float(cc[i]),
        "rms_residual_n": float(np.sqrt(np.mean(resid**2))),
        "mean_force_n": float(np.mean(fy)),
        "weight_n": float(mass_kg * GRAVITY),
    }


def contacts_in_landmark_time(contacts: pd.DataFrame, lm: Landmarks) -> pd.DataFrame:
    """Put force-plate contacts on the clock of mocap-derived landmarks.

    Landmarks made here start their ``time_s`` at 0 like a video; their
    ``info['mocap_t0_s']`` is the marker-clock time of the first frame.

    Parameters
    ----------
    contacts : pandas.DataFrame
        From :func:`force_plate_contacts` (marker clock).
    lm : Landmarks
        From :func:`fukuchi_side_landmarks` or :func:`resample_landmarks`.

    Returns
    -------
    pandas.DataFrame
        The contacts whose IC and TO both fall within the landmarks' time span, with
        ``ic_time_s`` and ``to_time_s`` shifted to ``lm.time_s``'s clock.
    """
    t0 = float(lm.info.get("mocap_t0_s", 0.0))
    out = contacts.copy()
    out["ic_time_s"] = out["ic_time_s"] - t0
    out["to_time_s"] = out["to_time_s"] - t0
    end = float(lm.time_s[-1]) if lm.n_frames else 0.0
    inside = (out["ic_time_s"] >= 0.0) & (out["to_time_s"] <= end)
    return out[inside].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Resampling and noise
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoiseModel:
    """Pixel noise that imitates MediaPipe Pose landmarks on a side-view running video.

    Components, per landmark and image axis, added to the exact projected positions:

    1. **White noise**, i.i.d. Gaussian per frame, ``white_px`` on the near side and
       ``far_white_px`` on the far side. Anchor: a landmark of a static person in VIDEO
       (tracking) mode moves with SD 2.05 px at 1280x720 (project measurement, shoulder,
       50 identical frames with pixel noise; ``shared/docs/accuracy-performance-
       mediapipe.md`` section 3c). Far-side (occluded) points are worse: BlazePose's
       temporal errors are larger on the occluded foot (Young et al. 2023, Sensors
       23:696), hence 2-2.5x.
    2. **Correlated jitter**, a stationary AR(1) (Ornstein-Uhlenbeck) process per landmark
       with SD ``jitter_px`` (``far_jitter_px`` on the far side) and time constant
       ``jitter_tau_s``: slow drifts of the fit that MediaPipe's temporal smoothing does not
       remove (clothing, blur, the model sliding along a limb). It does not shrink with
       frame rate. With the defaults (2 px white + 3 px jitter near, 4.5 + 4 px far) on
       the ~115-120 px thigh and shank of RBDS001 (181 cm at 70 % of 720 px), the 2D knee
       angle (hip-knee-ankle) scatters with SD about 4 deg on the near leg and 7 deg on
       the far leg (measured at 30-120 fps), the size of the 2D angle errors reported for
       pose models in running (OpenPose knee RMSE 7-8 deg incl. systematic parts, Van
       Hooren et al. 2023; BlazePose heavy knee MAE 7 deg) and above human raters' SDD of
       2.3-3.8 deg (Dingenen et al. 2018).
    3. Optional **left/right swaps** (off by default): events at ``swap_rate_hz`` in which
       the knee, ankle, heel and foot_index of the two legs exchange labels for a number of
       frames drawn uniformly from ``swap_frames`` - the occlusion-driven L/R flips known
       for side views.

    Amplitudes are pixels at a 720-px-high image and scale with the image height (the
    runner fills a fixed share of it). Not modelled: smoothing lag at impacts, motion blur,
    systematic offsets of the landmarks from the joint centres, missed detections.

    Parameters
    ----------
    white_px, far_white_px : float
        White-noise SD per axis, near / far side, px at 720 p.
    jitter_px : float
        AR(1) SD per axis on the near side, px at 720 p.
    far_jitter_px : float or None
        Same on the far side; ``None`` = ``jitter_px``.
    jitter_tau_s : float
        AR(1) time constant, seconds.
    swap_rate_hz : float
        Expected L/R swap events per second.
    swap_frames : tuple of int
        Inclusive range of the length of a swap, frames.
    reference_height_px : float
        Image height at which the amplitudes apply.
    """

    white_px: float = 2.0
    far_white_px: float = 4.5
    jitter_px: float = 3.0
    far_jitter_px: float | None = 4.0
    jitter_tau_s: float = 0.1
    swap_rate_hz: float = 0.0
    swap_frames: tuple[int, int] = (2, 6)
    reference_height_px: float = 720.0

    @classmethod
    def none(cls) -> NoiseModel:
        """Return a model that adds nothing."""
        return cls(white_px=0.0, far_white_px=0.0, jitter_px=0.0, far_jitter_px=0.0)


def _near_mask(lm: Landmarks) -> np.ndarray:
    near_side = lm.info.get("near_side", "right")
    names = [m.name.lower() for m in LM]
    return np.array([nm.startswith(near_side) for nm in names])


def add_pose_noise(
    lm: Landmarks, noise: NoiseModel, *, rng: np.random.Generator | int | None = None
) -> Landmarks:
    """Add :class:`NoiseModel` noise to landmarks (pixels; NaN landmarks stay NaN).

    Parameters
    ----------
    lm : Landmarks
        Clean landmarks; ``info['near_side']`` says which side is near the camera.
    noise : NoiseModel
        Noise amplitudes.
    rng : numpy.random.Generator or int, optional
        Random generator or seed.

    Returns
    -------
    Landmarks
        A copy with noisy ``x, y`` (``z`` and visibility unchanged, except under swaps);
        ``info['noise']`` records the model and ``info['swapped_frames']`` the count.
    """
    rng = np.random.default_rng(rng)
    n = lm.n_frames
    w, h = lm.image_size
    scale = h / noise.reference_height_px
    near = _near_mask(lm)
    far_j = noise.jitter_px if noise.far_jitter_px is None else noise.far_jitter_px
    white = np.where(near, noise.white_px, noise.far_white_px) * scale  # (33,)
    jit = np.where(near, noise.jitter_px, far_j) * scale
    px = lm.xyzv[:, :, :2].astype(np.float64) * np.array([w, h], dtype=np.float64)
    xyzv = lm.xyzv.astype(np.float64)

    if noise.swap_rate_hz > 0 and n:
        lo, hi = noise.swap_frames
        starts = np.flatnonzero(rng.random(n) < noise.swap_rate_hz / lm.fps)
        lengths = rng.integers(lo, hi + 1, size=starts.size)
        cover = np.zeros(n + 1, np.int64)
        np.add.at(cover, starts, 1)
        np.add.at(cover, np.minimum(starts + lengths, n), -1)
        swapped = np.cumsum(cover[:n]) > 0
        left = np.array([LM[f"LEFT_{j.upper()}"] for j in _LEG_JOINTS])
        right = np.array([LM[f"RIGHT_{j.upper()}"] for j in _LEG_JOINTS])
        rows = np.flatnonzero(swapped)[:, None]
        px[rows, left], px[rows, right] = px[rows, right], px[rows, left]
        xyzv[rows, left, 2:], xyzv[rows, right, 2:] = xyzv[rows, right, 2:], xyzv[rows, left, 2:]
        n_swapped = int(swapped.sum())
    else:
        n_swapped = 0

    if n:
        px += rng.standard_normal((n, N_LANDMARKS, 2)) * white[None, :, None]
        if noise.jitter_px > 0 or far_j > 0:
            from scipy.signal import lfilter

            phi = float(np.exp(-1.0 / (lm.fps * noise.jitter_tau_s)))
            e = rng.standard_normal((n, N_LANDMARKS, 2))
            # x_0 = e_0 ~ N(0, 1); x_k = phi x_{k-1} + sqrt(1 - phi^2) e_k: unit variance
            ar = np.empty_like(e)
            ar[0] = e[0]
            if n > 1:
                ar[1:] = lfilter(
                    [np.sqrt(1.0 - phi**2)], [1.0, -phi], e[1:], axis=0, zi=(phi * e[0])[None]
                )[0]
            px += ar * jit[None, :, None]
    xyzv[:, :, :2] = px / np.array([w, h], dtype=np.float64)
    info = dict(lm.info)
    info["noise"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(noise).items()}
    info["swapped_frames"] = n_swapped
    return replace(lm, xyzv=xyzv.astype(np.float32), info=info)


def resample_landmarks(
    lm: Landmarks,
    fps: float,
    *,
    noise: NoiseModel | None = None,
    seed: int | None = None,
    phase_s: float | None = None,
) -> Landmarks:
    """Sample landmarks at a video frame rate, with a random frame phase and optional noise.

    Frames are taken at ``t = phase + k / fps`` for every such ``t`` within the input's
    time span. ``phase`` is drawn uniformly from ``[0, 1 / fps)`` (unless ``phase_s`` is
    given) so that, as with a real camera, the frame grid is not locked to the force
    plate. Positions are interpolated with a cubic spline (landmarks with gaps: linearly),
    visibility linearly. Then :func:`add_pose_noise` is applied if ``noise`` is given.

    Parameters
    ----------
    lm : Landmarks
        High-rate landmarks, e.g. from :func:`fukuchi_side_landmarks` (150 Hz).
    fps : float
        Output frame rate, Hz (e.g. 30, 60, 120).
    noise : NoiseModel, optional
        Noise to add after resampling; ``None`` = exact positions.
    seed : int, optional
        Seed for the phase and the noise (reproducible runs).
    phase_s : float, optional
        Fixed frame phase, seconds, instead of a random one.

    Returns
    -------
    Landmarks
        ``fps`` as given; ``time_s = k / fps`` (0 at the first frame);
        ``info['mocap_t0_s']`` advanced by the phase (marker-clock time of frame 0);
        ``info['resample']`` records fps, phase and seed.
    """
    from scipy.interpolate import CubicSpline

    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    rng = np.random.default_rng(seed)
    phase = float(rng.uniform(0.0, 1.0 / fps)) if phase_s is None else float(phase_s)
    t_in = lm.time_s.astype(np.float64)
    n_out = int(np.floor((t_in[-1] - t_in[0] - phase) * fps + 1e-9)) + 1
    t_out = t_in[0] + phase + np.arange(max(n_out, 0)) / fps
    src = lm.xyzv.astype(np.float64).reshape(lm.n_frames, -1)
    out = np.full((t_out.size, src.shape[1]), np.nan)
    finite = np.isfinite(src).all(axis=0)
    is_vis = (np.arange(src.shape[1]) % 4) == 3
    spl = finite & ~is_vis
    if spl.any() and t_out.size:
        out[:, spl] = CubicSpline(t_in, src[:, spl], axis=0)(t_out)
    lin = ~spl & np.isfinite(src).any(axis=0)
    if lin.any() and t_out.size:
        pos = np.clip(np.searchsorted(t_in, t_out, side="right") - 1, 0, t_in.size - 2)
        frac = ((t_out - t_in[pos]) / (t_in[pos + 1] - t_in[pos]))[:, None]
        a, b = src[pos][:, lin], src[pos + 1][:, lin]
        out[:, lin] = a + frac * (b - a)
    info = dict(lm.info)
    info["mocap_t0_s"] = float(info.get("mocap_t0_s", 0.0)) + phase
    info["resample"] = {"fps": float(fps), "phase_s": phase, "seed": seed, "from_fps": lm.fps}
    res = Landmarks(
        xyzv=out.reshape(t_out.size, N_LANDMARKS, 4).astype(np.float32),
        world=None,
        fps=float(fps),
        time_s=np.arange(t_out.size) / float(fps),
        image_size=lm.image_size,
        model=lm.model,
        source=lm.source,
        info=info,
    )
    if noise is not None:
        res = add_pose_noise(res, noise, rng=rng)
    return res
