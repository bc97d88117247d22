"""Scoring detected gait events against reference events (force plates, hand labels).

Pure functions used by ``scripts/validate_events_mocap.py``,
``scripts/validate_events_video.py`` and the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["match_events", "timing_summary", "frame_summary"]


def match_events(
    detected: pd.DataFrame, truth: pd.DataFrame, *, key: str, tolerance: float
) -> pd.DataFrame:
    """Pair each reference event with the nearest detected event of the same side.

    Parameters
    ----------
    detected, truth : pandas.DataFrame
        Each with a ``side`` column ('l'/'r') and the column ``key`` (a time in seconds
        or a frame number).
    key : str
        Column to compare.
    tolerance : float
        Largest difference (same unit as ``key``) still counted as a match.

    Returns
    -------
    pandas.DataFrame
        One row per reference event: ``side``, ``truth``, ``detected`` (NaN when missed),
        ``error`` (detected - truth), ``matched``. Each detected event is used at most once;
        ``attrs['extra']`` holds the number of detected events left unmatched.
    """
    rows = []
    used: set[tuple[str, int]] = set()
    for side in ("l", "r"):
        tr = truth.loc[truth["side"] == side, key].to_numpy(dtype=float)
        de = detected.loc[detected["side"] == side, key].to_numpy(dtype=float)
        for x in tr:
            err = de - x
            free = np.array([(side, i) not in used for i in range(de.size)], dtype=bool)
            ok = free & (np.abs(err) <= tolerance)
            if ok.any():
                i = int(np.flatnonzero(ok)[np.argmin(np.abs(err[ok]))])
                used.add((side, i))
                rows.append((side, x, de[i], de[i] - x, True))
            else:
                rows.append((side, x, np.nan, np.nan, False))
    out = pd.DataFrame(rows, columns=["side", "truth", "detected", "error", "matched"])
    out = out.sort_values("truth", kind="stable").reset_index(drop=True)
    out.attrs["extra"] = int(len(detected) - len(used))
    return out


def timing_summary(m: pd.DataFrame, *, frame_s: float) -> dict[str, float]:
    """Summarise time errors (seconds) of :func:`match_events` in milliseconds.

    Parameters
    ----------
    m : pandas.DataFrame
        Output of :func:`match_events` on times in seconds.
    frame_s : float
        Duration of one frame (1/fps), for the share within one frame.

    Returns
    -------
    dict
        ``n``, ``missed``, ``extra``, ``median_ms`` (signed), ``median_abs_ms``,
        ``mean_abs_ms``, ``max_abs_ms``, ``median_abs_frames``, ``within_1_frame``.
    """
    e = m.loc[m["matched"], "error"].to_numpy(dtype=float) * 1000.0
    a = np.abs(e)
    return {
        "n": int(len(m)),
        "missed": int((~m["matched"]).sum()),
        "extra": int(m.attrs.get("extra", 0)),
        "median_ms": float(np.median(e)) if e.size else float("nan"),
        "median_abs_ms": float(np.median(a)) if a.size else float("nan"),
        "mean_abs_ms": float(np.mean(a)) if a.size else float("nan"),
        "max_abs_ms": float(np.max(a)) if a.size else float("nan"),
        "median_abs_frames": float(np.median(a) / (1000 * frame_s)) if a.size else float("nan"),
        "within_1_frame": float(np.mean(a <= 1000 * frame_s + 1e-9)) if a.size else 0.0,
    }


def frame_summary(m: pd.DataFrame) -> dict[str, float]:
    """Summarise frame-number errors of :func:`match_events` (hand labels).

    Returns
    -------
    dict
        ``n``, ``within_1`` and ``within_2`` (shares of the reference events with a
        detection of the same foot within 1 and 2 frames), ``missed``, ``extra``.
    """
    e = np.abs(m["error"].to_numpy(dtype=float))
    n = len(m)
    return {
        "n": int(n),
        "within_1": float(np.sum(e <= 1) / n) if n else float("nan"),
        "within_2": float(np.sum(e <= 2) / n) if n else float("nan"),
        "missed": int((~m["matched"]).sum()),
        "extra": int(m.attrs.get("extra", 0)),
    }
