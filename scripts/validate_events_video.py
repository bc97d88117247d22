"""Validate gait events from real MediaPipe landmarks against hand-labelled video frames.

Clip: ``videos/zzzhushi_treadmill_side_portrait_male_side.mp4`` (treadmill, side view,
runner facing image-left so the near foot is the left one, 30 fps, 360 frames). Truth,
third-party, read in place from the shared test material (``GAITCHECK_TEST_DATA``,
default ``<repo>/../shared``), never copied into the repository:

* ``groundtruth/<clip>.events.csv``: every foot event in frames 0-209 labelled by hand
  (20 IC, 20 TO). IC = first frame the foot touches the belt, TO = last frame it still
  touches it - the same convention as ``GaitEvents.contacts['ic_frame'/'to_frame']``.
* ``groundtruth/<clip>.groundtruth.json``: cadence 168.9 +/- 0.5 steps/min measured from
  raw pixels without a pose model.

For each pose model (``lite``, ``full``, ``heavy``) the whole chain runs on the clip:
pose (timed once without the landmark cache: frames/s includes decoding and model
loading) -> :func:`gaitcheck.kinematics.compute_kinematics` ->
:func:`gaitcheck.events.detect_events`. Printed per model, for IC and TO, for all labels
and split by near/far foot: the share of labels with a detection of the same foot within
1 and within 2 frames, misses, extras and left/right swaps; the cadence against the
measured one; the pose speed. Then every label's error (detected - label, frames) for
each model, the unmatched detections, and a one-line recommendation of the default model.
(For comparison: peer tools score 0 % on IC here.)

Scoring rules
-------------
* **Pairing.** Each label is paired one-to-one with the nearest detection of the same
  event and the same foot within ``tolerance`` (2 frames) by
  :func:`gaitcheck.validation.match_events`. *All* detections of the clip take part, so
  the IC labelled at frame 209 (its contact runs on past the labelled window) is paired
  with a detected IC at 210 or 211 as well.
* **Within 1 / within 2** = share of the labels whose paired detection is at most 1 / 2
  frames away. **Miss** = a label with no same-foot detection within 2 frames.
* **Extra** = a detected IC/TO of either foot at a frame inside the labelled window
  (0-209) that is paired with no label. Detections after frame 209 are never extras (no
  labels there), even when their contact started inside the window: a contact that
  straddles the window's end contributes its IC to the score and its TO to nothing.
  Unpaired detections within ``tolerance`` of the window's end could belong to an
  unlabelled event just after it; they are still counted, and marked ``edge`` in the list
  (on this clip the next events after 209 are about 8 frames later, so there are none).
* **Swap** = an unpaired detection lying within 2 frames of a *missed* label of the
  other foot: the event was found at the right time but given the wrong foot. It is
  listed apart from the extras (the missed label already counts against the model), so
  ``extra + swap`` = all unpaired detections in the window.
* **Labels whose contact is cut by a window edge.** The window starts at the clip's
  first frame, so the TO labelled at frame 3 belongs to a contact that began before the
  clip: it is a TO-only label. gaitcheck drops contacts cut by the clip's ends by design
  (their IC is unknown), so unless that changes this label is a miss for every model; it
  stays in the score (the runner did lift the foot there) and is marked ``cut`` in the
  per-label table, and the scores without it are printed as a note. Symmetrically the
  IC at frame 209 is an IC-only label (its TO is after the window).

Near/far for labels comes from the file's ``near_far`` column; an unpaired detection
takes the near/far of its foot as the labels give it (left = near here).

Usage::

    python scripts/validate_events_video.py [--models lite full heavy] [--json OUT]
        [--data DIR] [--cached] [--min-fps 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gaitcheck.validation import frame_summary, match_events

REPO = Path(__file__).resolve().parents[1]
CLIP = "zzzhushi_treadmill_side_portrait_male_side"
#: First and last frame of the hand-labelled window (inclusive).
LABEL_WINDOW: tuple[int, int] = (0, 209)
#: Largest |detected - label| (frames) for a pairing.
TOLERANCE = 2
MODELS = ("lite", "full", "heavy")
EVENTS = ("ic", "to")


# --------------------------------------------------------------------------------------
# inputs


def default_data_dir() -> Path:
    """Return the shared test material folder (``GAITCHECK_TEST_DATA`` or ``../shared``)."""
    return Path(os.environ.get("GAITCHECK_TEST_DATA", REPO.parent / "shared")).resolve()


def clip_paths(data: Path) -> dict[str, Path]:
    """Return the video, labels and cadence-truth paths of the clip under ``data``."""
    return {
        "video": data / "videos" / f"{CLIP}.mp4",
        "labels": data / "groundtruth" / f"{CLIP}.events.csv",
        "truth": data / "groundtruth" / f"{CLIP}.groundtruth.json",
    }


def load_labels(path: Path) -> pd.DataFrame:
    """Read the hand labels.

    Returns
    -------
    pandas.DataFrame
        One row per label, sorted by frame: ``frame``, ``event`` ('ic'/'to'), ``side``
        ('l'/'r'), ``near_far``, ``uncertainty_frames``, ``note``, and ``cut`` (True for
        a TO whose contact began before the window / an IC whose contact ends after it).
    """
    raw = pd.read_csv(path)
    lab = pd.DataFrame({
        "frame": raw["frame"].astype(int),
        "event": raw["event"].str.strip().str.lower(),
        "side": raw["foot_side"].str.strip().str.lower().str[0],
        "near_far": raw["near_far"].str.strip().str.lower(),
        "uncertainty_frames": raw["uncertainty_frames"],
        "note": raw["note"].fillna(""),
    })
    if not set(lab["event"]) <= set(EVENTS) or not set(lab["side"]) <= {"l", "r"}:
        raise ValueError(f"{path}: unexpected event or foot_side values")
    lab = lab.sort_values(["frame", "event"], kind="stable").reset_index(drop=True)
    cut = np.zeros(len(lab), dtype=bool)
    for side in ("l", "r"):
        s = lab[lab["side"] == side]
        ev = s["event"].tolist()
        # a foot's labels alternate IC, TO, IC, ...; a leading TO / trailing IC is cut
        if ev and ev[0] == "to":
            cut[s.index[0]] = True
        if ev and ev[-1] == "ic":
            cut[s.index[-1]] = True
    lab["cut"] = cut
    return lab


def load_cadence_truth(path: Path) -> tuple[float, float]:
    """Return the measured cadence and its uncertainty (steps/min)."""
    d = json.loads(path.read_text())["cadence_spm"]
    return float(d["value"]), float(d["uncertainty"])


# --------------------------------------------------------------------------------------
# scoring (pure; imported by tests/test_events_video.py)


def detections(contacts: pd.DataFrame, event: str) -> pd.DataFrame:
    """Return the detected ``event`` ('ic'/'to') frames: columns ``side``, ``frame``."""
    d = contacts[["side", f"{event}_frame"]].rename(columns={f"{event}_frame": "frame"})
    return d.astype({"frame": int}).sort_values("frame", kind="stable").reset_index(drop=True)


def _pair(det: pd.DataFrame, lab: pd.DataFrame, tolerance: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Pair labels with same-foot detections; return per-label rows and a used-mask of ``det``."""
    m = match_events(det, lab, key="frame", tolerance=tolerance)
    # match_events sorts by truth (stable): restore the label order and find which
    # detections it used (one per matched label, same side and frame)
    used = np.zeros(len(det), dtype=bool)
    for side in ("l", "r"):
        ms = m[(m["side"] == side) & m["matched"]]
        for f in ms["detected"].to_numpy(dtype=float):
            cand = np.flatnonzero((det["side"].to_numpy() == side)
                                  & (det["frame"].to_numpy() == f) & ~used)
            used[cand[0]] = True
    return m, used


def score_event(
    det: pd.DataFrame,
    lab: pd.DataFrame,
    *,
    window: tuple[int, int] = LABEL_WINDOW,
    tolerance: int = TOLERANCE,
    near_side: str | None = None,
) -> dict[str, Any]:
    """Score the detections of one event type against its labels.

    Parameters
    ----------
    det : pandas.DataFrame
        Detected events of the whole clip: ``side`` ('l'/'r'), ``frame``.
    lab : pandas.DataFrame
        Labels of the same event type: ``side``, ``frame`` and optionally ``near_far``
        and ``cut`` (see :func:`load_labels`).
    window : (int, int)
        First and last labelled frame (inclusive); only detections inside can be extras.
    tolerance : int
        Largest |error| in frames for a pairing (and for a miss / swap).
    near_side : str, optional
        The near foot ('l'/'r') for the near/far split of unpaired detections; taken from
        the labels' ``near_far`` column when omitted.

    Returns
    -------
    dict
        ``labels``: per-label DataFrame (``frame``, ``side``, ``near_far``, ``cut``,
        ``detected``, ``error``, ``matched``, ``nearest_same``, ``nearest_other``);
        ``unpaired``: DataFrame of unpaired detections inside the window with ``kind``
        ('extra'/'swap') and ``edge``; ``summary``: {'all'|'near'|'far': counts} with
        ``n``, ``within_1``, ``within_2``, ``missed``, ``extra``, ``swap``.
    """
    det = det.reset_index(drop=True)
    lab = lab.reset_index(drop=True).copy()
    if "near_far" not in lab:
        lab["near_far"] = ""
    if "cut" not in lab:
        lab["cut"] = False
    if near_side is None:
        near = lab.loc[lab["near_far"] == "near", "side"].unique()
        near_side = str(near[0]) if near.size == 1 else None

    m, used = _pair(det, lab, tolerance)
    # match_events returns rows sorted by the label frame; re-attach them to the labels
    m = m.rename(columns={"truth": "frame"})
    rows = []
    taken = np.zeros(len(m), dtype=bool)
    for _, r in lab.iterrows():
        i = np.flatnonzero((m["side"].to_numpy() == r["side"])
                           & (m["frame"].to_numpy() == r["frame"]) & ~taken)[0]
        taken[i] = True
        rows.append(m.iloc[i])
    paired = pd.DataFrame(rows).reset_index(drop=True)
    out = lab.copy()
    out["detected"] = paired["detected"].to_numpy()
    out["error"] = paired["error"].to_numpy()
    out["matched"] = paired["matched"].to_numpy(dtype=bool)
    df = det["frame"].to_numpy(dtype=float)
    ds = det["side"].to_numpy()

    def nearest(frame: int, same: bool, side: str) -> float:
        sel = (ds == side) if same else (ds != side)
        if not sel.any():
            return float("nan")
        e = df[sel] - frame
        return float(e[np.argmin(np.abs(e))])

    out["nearest_same"] = [nearest(f, True, s) for f, s in zip(out["frame"], out["side"],
                                                                  strict=True)]
    out["nearest_other"] = [nearest(f, False, s) for f, s in zip(out["frame"], out["side"],
                                                                   strict=True)]

    lo, hi = window
    inside = (det["frame"] >= lo) & (det["frame"] <= hi) & ~used
    un = det[inside].copy()
    missed = out[~out["matched"]]
    kinds = []
    for f, s in zip(un["frame"], un["side"], strict=True):
        other = missed[(missed["side"] != s) & ((missed["frame"] - f).abs() <= tolerance)]
        kinds.append("swap" if len(other) else "extra")
    un["kind"] = kinds
    un["edge"] = (un["frame"] > hi - tolerance) | (un["frame"] < lo + tolerance)
    if near_side is not None:
        un["near_far"] = np.where(un["side"] == near_side, "near", "far")
    else:
        un["near_far"] = ""

    def summ(lsel: pd.DataFrame, usel: pd.DataFrame) -> dict[str, float]:
        # shares within 1/2 frames and misses as gaitcheck.validation scores them; extras
        # split here into true extras and events found on the other foot (swaps)
        return {**frame_summary(lsel),
                "extra": int((usel["kind"] == "extra").sum()),
                "swap": int((usel["kind"] == "swap").sum())}

    summary = {"all": summ(out, un)}
    for nf in ("near", "far"):
        summary[nf] = summ(out[out["near_far"] == nf], un[un["near_far"] == nf])
    return {"labels": out, "unpaired": un.reset_index(drop=True), "summary": summary}


def score_contacts(
    contacts: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    window: tuple[int, int] = LABEL_WINDOW,
    tolerance: int = TOLERANCE,
) -> dict[str, dict[str, Any]]:
    """Score detected contacts (``GaitEvents.contacts``) against the labels, IC and TO.

    Returns
    -------
    dict
        ``{'ic': score_event(...), 'to': score_event(...)}``.
    """
    return {
        ev: score_event(detections(contacts, ev), labels[labels["event"] == ev],
                        window=window, tolerance=tolerance)
        for ev in EVENTS
    }


def evaluate_landmarks(lm, labels: pd.DataFrame) -> dict[str, Any]:  # noqa: ANN001
    """Run kinematics and event detection on landmarks and score them.

    Returns
    -------
    dict
        ``scores`` (see :func:`score_contacts`), ``cadence_spm``, ``contacts`` (the
        detected contacts), ``near_side`` (from the kinematics).
    """
    from gaitcheck.events import detect_events
    from gaitcheck.kinematics import compute_kinematics

    kin = compute_kinematics(lm)
    ev = detect_events(kin)
    return {
        "scores": score_contacts(ev.contacts, labels),
        "cadence_spm": float(ev.cadence_spm),
        "contacts": ev.contacts,
        "near_side": kin.info.get("near_side"),
        "relabelled": int(ev.info.get("contacts_relabelled", 0)),
    }


# --------------------------------------------------------------------------------------
# report


def _pct(x: float) -> str:
    return "  n/a" if not np.isfinite(x) else f"{100 * x:4.0f}%"


def _err(v: float) -> str:
    return "   -" if not np.isfinite(v) else f"{int(v):+4d}"


def _label_cell(r: pd.Series, tolerance: int) -> str:
    if r["matched"]:
        return f"{int(r['error']):+d}"
    same, other = r["nearest_same"], r["nearest_other"]
    if np.isfinite(other) and abs(other) <= tolerance:
        return f"swap({int(other):+d})"
    return "miss" if not np.isfinite(same) else f"miss({int(same):+d})"


def print_report(results: dict[str, dict], labels: pd.DataFrame, cadence: tuple[float, float],
                 *, min_fps: float, out=sys.stdout) -> str:  # noqa: ANN001
    """Print the tables; return the recommendation line."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    lo, hi = LABEL_WINDOW
    n_ic = int((labels["event"] == "ic").sum())
    n_to = int((labels["event"] == "to").sum())
    p(f"{CLIP}.mp4: labels in frames {lo}-{hi}: {n_ic} IC, {n_to} TO "
      f"(tolerance {TOLERANCE} frames). Peer tools score 0 % on IC here.")
    p("")
    p("model  event feet   n  <=1f  <=2f  miss extra swap")
    for model, r in results.items():
        for ev in EVENTS:
            for feet in ("all", "near", "far"):
                s = r["scores"][ev]["summary"][feet]
                p(f"{model if (ev, feet) == ('ic', 'all') else '':6} "
                  f"{ev.upper() if feet == 'all' else '':5} {feet:5} {s['n']:2d} "
                  f"{_pct(s['within_1'])} {_pct(s['within_2'])} {s['missed']:5d} "
                  f"{s['extra']:5d} {s['swap']:4d}")
    p("")
    truth, unc = cadence
    p(f"model  cadence spm (truth {truth:.1f} +/- {unc:.1f})  error  "
      "pose ms/frame  pose frames/s  relabelled")
    for model, r in results.items():
        cad = r["cadence_spm"]
        sp = r.get("speed")
        spd = (f"{1000 * sp['s_per_frame']:13.1f}  {sp['frames_per_s']:13.1f}" if sp
               else f"{'(cached)':>13}  {'-':>13}")
        p(f"{model:6} {cad:34.1f}  {cad - truth:+5.1f}  {spd}  {r['relabelled']:10d}")
    p("")
    cut = labels[labels["cut"]]
    if len(cut):
        p("Labels whose contact is cut by the window edge (cut): "
          + ", ".join(f"{e.upper()} {s} @{f}" for f, e, s in
                      zip(cut["frame"], cut["event"], cut["side"], strict=True)))
        for model, r in results.items():
            parts = []
            for ev in EVENTS:
                lab = r["scores"][ev]["labels"]
                keep = lab[~lab["cut"]]
                if len(keep) < len(lab):
                    e = np.abs(keep["error"].to_numpy(dtype=float))
                    parts.append(f"{ev.upper()} {np.sum(e <= 1)}/{len(keep)} within 1 frame")
            if parts:
                p(f"  {model}: without them " + ", ".join(parts))
        p("")
    p("Per-label error, detected - label (frames); miss(+k): nearest same-foot detection "
      "k frames off; swap(+k): found on the other foot")
    head = "frame event foot near/far unc cut | " + " ".join(f"{m:>9}" for m in results)
    p(head)
    for ev in EVENTS:
        base = next(iter(results.values()))["scores"][ev]["labels"]
        for i, r in base.iterrows():
            cells = " ".join(f"{_label_cell(res['scores'][ev]['labels'].loc[i], TOLERANCE):>9}"
                             for res in results.values())
            p(f"{int(r['frame']):5d} {ev.upper():5} {r['side']:4} {r['near_far']:8} "
              f"{int(r['uncertainty_frames']) if 'uncertainty_frames' in r else 0:3d} "
              f"{'cut' if r['cut'] else '':3} | {cells}")
    p("")
    for model, res in results.items():
        err = {ev: res["scores"][ev]["labels"]["error"].dropna().to_numpy() for ev in EVENTS}
        bias = ", ".join(f"{ev.upper()} mean {np.mean(e):+.2f}" for ev, e in err.items()
                         if e.size)
        un = [f"{k} {ev.upper()} {s}@{f}{' (edge)' if edge else ''}"
              for ev in EVENTS
              for f, s, k, edge in res["scores"][ev]["unpaired"][
                  ["frame", "side", "kind", "edge"]].itertuples(index=False)]
        p(f"{model}: paired errors {bias}; unpaired detections in frames {lo}-{hi}: "
          + (", ".join(un) if un else "none"))
    p("")
    line = recommend(results, cadence, min_fps=min_fps)
    p(line)
    return line


def _quality(r: dict, truth: float) -> tuple[float, int, float]:
    """(labels within 1 frame, -(misses+extras+swaps), -|cadence error|): higher is better."""
    w1 = sum(r["scores"][ev]["summary"]["all"]["within_1"] * r["scores"][ev]["summary"]["all"]["n"]
             for ev in EVENTS)
    bad = sum(r["scores"][ev]["summary"]["all"][k] for ev in EVENTS
              for k in ("missed", "extra", "swap"))
    return (round(w1), -bad, -abs(r["cadence_spm"] - truth))


def recommend(results: dict[str, dict], cadence: tuple[float, float], *, min_fps: float) -> str:
    """Return a one-line recommendation of the default model from the numbers.

    Best = most labels within one frame, then fewest misses + extras + swaps, then the
    smallest cadence error. "Acceptable speed" = pose at least ``min_fps`` frames/s
    (when timed). Models measuring the same (within one label) are told apart by speed.
    """
    truth, _ = cadence
    q = {m: _quality(r, truth) for m, r in results.items()}
    fps = {m: (r["speed"]["frames_per_s"] if r.get("speed") else float("nan"))
           for m, r in results.items()}
    ok = [m for m in results if not (np.isfinite(fps[m]) and fps[m] < min_fps)]
    n = sum(results[next(iter(results))]["scores"][ev]["summary"]["all"]["n"] for ev in EVENTS)

    def desc(m: str) -> str:
        s = f"{q[m][0]}/{n} labels within 1 frame, {-q[m][1]} miss/extra/swap, " \
            f"cadence {results[m]['cadence_spm'] - truth:+.1f} spm"
        return s + (f", {fps[m]:.0f} frames/s" if np.isfinite(fps[m]) else "")

    if not ok:
        best = max(results, key=lambda m: q[m])
        return (f"Recommendation: none reaches {min_fps:g} frames/s; best measuring is "
                f"{best} ({desc(best)}).")
    best_all = max(results, key=lambda m: q[m])
    top = max(q[m][0] for m in ok)
    # within one label of the best (and no worse in misses/extras) -> prefer the faster
    close = [m for m in ok if q[m][0] >= top - 1]
    pick = max(close, key=lambda m: (q[m][1], q[m][0], fps[m] if np.isfinite(fps[m]) else 0))
    line = f"Recommendation: default model '{pick}' ({desc(pick)})"
    others = [m for m in results if m != pick]
    if best_all != pick and q[best_all] > q[pick]:
        line += (f"; '{best_all}' measures better ({desc(best_all)})"
                 + (" but is below the speed bar" if best_all not in ok else
                    " by at most one label"))
    elif others:
        line += "; " + ", ".join(f"{m}: {desc(m)}" for m in others)
    return line + "."


# --------------------------------------------------------------------------------------


def _jsonable(results: dict[str, dict], cadence: tuple[float, float], rec: str) -> dict:
    out: dict[str, Any] = {"clip": CLIP, "window": list(LABEL_WINDOW), "tolerance": TOLERANCE,
                           "cadence_truth_spm": list(cadence), "recommendation": rec,
                           "models": {}}
    for m, r in results.items():
        d: dict[str, Any] = {"cadence_spm": r["cadence_spm"], "speed": r.get("speed"),
                             "near_side": r["near_side"], "relabelled": r["relabelled"]}
        for ev in EVENTS:
            sc = r["scores"][ev]
            lab = sc["labels"][["frame", "side", "near_far", "cut", "detected", "error",
                                "matched"]]
            d[ev] = {
                "summary": sc["summary"],
                "labels": json.loads(lab.to_json(orient="records")),
                "unpaired": json.loads(sc["unpaired"].to_json(orient="records")),
            }
        out["models"][m] = d
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Scoring rules: see the module docstring.")
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                    help="pose models to compare (default: all three)")
    ap.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    ap.add_argument("--data", type=Path, default=None,
                    help="shared test material (default: $GAITCHECK_TEST_DATA or ../shared)")
    ap.add_argument("--cached", action="store_true",
                    help="use the landmark cache and skip the pose timing")
    ap.add_argument("--min-fps", type=float, default=10.0,
                    help="pose speed (frames/s) counted as acceptable for the "
                         "recommendation (default 10)")
    args = ap.parse_args(argv)

    paths = clip_paths(args.data or default_data_dir())
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        print("missing test material: " + ", ".join(missing), file=sys.stderr)
        return 2
    labels = load_labels(paths["labels"])
    cadence = load_cadence_truth(paths["truth"])

    from gaitcheck.pipeline import estimate_landmarks

    results: dict[str, dict] = {}
    for model in args.models:
        t0 = time.perf_counter()
        run = estimate_landmarks(paths["video"], model=model, progress=False,
                                 use_cache=args.cached)
        dt = time.perf_counter() - t0
        lm = run.landmarks
        res = evaluate_landmarks(lm, labels)
        if not run.from_cache:
            res["speed"] = {"seconds": dt, "frames": int(lm.n_frames),
                            "s_per_frame": dt / lm.n_frames, "frames_per_s": lm.n_frames / dt}
        results[model] = res

    rec = print_report(results, labels, cadence, min_fps=args.min_fps)
    if args.json:
        args.json.write_text(json.dumps(_jsonable(results, cadence, rec), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
