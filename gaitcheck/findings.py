"""Judge per-side marker summaries against cited bands and word the findings.

The bands live in ``gaitcheck/bands.toml`` (one commented ``[band.<marker>]`` table per
marker: direction, thresholds, measurement-error dead band, strength of evidence,
references, the phrase after "consistent with", the seed article). A user file with the
same layout replaces any field of any band (:func:`load_bands`).

:func:`assess` turns a marker summary (``gaitcheck.markers.summarize_markers``) into a list
of :class:`gaitcheck.types.Finding`, flags first. Findings say what the video shows and
what it is consistent with, with the strength of evidence; never a diagnosis.

Dead-band rule
--------------
The dead band ``d`` is the marker's measurement error, in the marker's unit. It moves each
threshold towards leniency, and a value exactly on a shifted threshold stays at the lower
level:

* ``high``: ``flag`` if ``value > flag + d``, else ``watch`` if ``value > watch + d``;
* ``low``: ``flag`` if ``value < flag - d``, else ``watch`` if ``value < watch - d``;
* ``both``: ``watch`` and ``flag`` are ``(low, high)`` pairs, judged as ``low`` and ``high``;
* ``info``: never judged; the finding is ``ok`` with descriptive text.

Push-off deficit
----------------
``push_off_deficit`` is a composite computed here from the per-side medians of
``hip_extension_deg`` and ``overstride_ic_pct_leg`` (see :func:`push_off_deficit`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import GaitcheckError
from .types import EVIDENCE_LEVELS, LEVELS, Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib

__all__ = [
    "ASYMMETRY_SUFFIX",
    "BASES",
    "Band",
    "DIRECTIONS",
    "DISCLAIMER",
    "GENERIC_ASYMMETRY_BAND",
    "MARKER_LABELS",
    "MIN_STRIDES",
    "assess",
    "classify",
    "findings_to_json",
    "load_bands",
    "push_off_deficit",
]

#: Sentence closing every finding's text.
DISCLAIMER = "This is a screening observation, not a diagnosis."

#: Fewer strides than this on a side: still judged, but the text says so and the confidence
#: is capped at ``n_strides / MIN_STRIDES`` (same value as
#: ``gaitcheck.markers.MIN_STRIDES_PER_SIDE``).
MIN_STRIDES = 6

#: Band directions: which way a value gets worse (``info`` = never judged).
DIRECTIONS: tuple[str, ...] = ("high", "low", "both", "info")

#: What a band's thresholds rest on.
BASES: tuple[str, ...] = ("published", "heuristic", "informational")

#: Suffix of the left-right asymmetry rows of the summary.
ASYMMETRY_SUFFIX = "_asymmetry_pct"

#: Band applied to an asymmetry row that has no band of its own.
GENERIC_ASYMMETRY_BAND = "asymmetry_pct"

_BASE_LABELS: dict[str, str] = {
    "cadence_spm": "Cadence",
    "ground_contact_time_ms": "Ground contact time",
    "flight_time_ms": "Flight time",
    "duty_factor_pct": "Duty factor (share of the stride on the ground)",
    "pelvis_behind_foot_ms_pct_leg": "Pelvis position over the stance foot at midstance",
    "hip_flexion_ms_deg": "Stance hip flexion at midstance",
    "overstride_ic_pct_leg": "Heel landing ahead of the hip (overstride)",
    "shank_angle_ic_deg": "Shank angle at landing",
    "hip_extension_deg": "Peak hip extension (thigh behind vertical)",
    "hip_extension_trunk_deg": "Peak hip extension relative to the trunk",
    "knee_flexion_ic_deg": "Knee bend at landing",
    "knee_flexion_peak_stance_deg": "Peak knee bend in stance",
    "knee_flexion_excursion_deg": "Knee bend from landing to midstance",
    "ankle_dorsiflexion_excursion_deg": "Ankle bend from landing to midstance",
    "foot_strike_angle_deg": "Foot strike angle",
    "trunk_lean_deg": "Forward trunk lean at midstance",
    "vertical_oscillation_pct_leg": "Vertical bounce of the pelvis",
    "crossover_ic_pct_leg": "Foot landing relative to the body midline (crossover)",
    "step_width_pct_leg": "Step width",
    "pelvic_drop_deg": "Pelvic drop on the swing side",
    "hip_adduction_peak_deg": "Peak hip adduction (thigh towards the midline)",
}

_COMPOSITES: dict[str, str] = {
    "push_off_deficit": "Weaker push-off on one side with an overreach on the other",
}


def _asym_label(label: str) -> str:
    return f"Left-right difference in {label[0].lower()}{label[1:]}"


#: Human label of every marker gaitcheck judges, asymmetry rows included, in report order.
MARKER_LABELS: dict[str, str] = {
    **_BASE_LABELS,
    **_COMPOSITES,
    **{f"{m}{ASYMMETRY_SUFFIX}": _asym_label(lab) for m, lab in _BASE_LABELS.items()},
}

#: Markers judged once for the whole clip (summary side ``both``), not per leg.
_WHOLE_CLIP: frozenset[str] = frozenset({"cadence_spm", "push_off_deficit"})

#: Short sign notes for markers whose sign carries the meaning.
_SIGN_NOTES: dict[str, str] = {
    "pelvis_behind_foot_ms_pct_leg": "negative = pelvis behind the foot",
    "crossover_ic_pct_leg": "positive = across the midline",
    "step_width_pct_leg": "negative = feet crossing",
    "trunk_lean_deg": "positive = forward",
    "foot_strike_angle_deg": "positive = toes up",
    "shank_angle_ic_deg": "positive = ankle ahead of the knee",
}

_SIDE_WORDS = {"l": "left", "r": "right", "both": "both sides"}
_SIDE_ORDER = {"l": 0, "r": 1, "both": 2}
_LEVEL_RANK = {lev: i for i, lev in enumerate(LEVELS)}
_LEVEL_WORDS = {
    "ok": "within the usual band (ok)",
    "watch": "slightly outside the usual band (watch)",
    "flag": "well outside the usual band (flag)",
}
_UNIT_WORDS = {"%leg": "% of leg length", "deg": "°", "steps/min": "steps/min", "ms": "ms",
               "%": "%"}

_ALLOWED_KEYS: frozenset[str] = frozenset({
    "direction", "watch", "flag", "dead_band", "dead_band_source", "evidence", "basis",
    "references", "consistent_with", "consistent_with_low", "article", "caveat", "limit",
    "params",
})
_REQUIRED_KEYS: tuple[str, ...] = (
    "direction", "dead_band", "dead_band_source", "evidence", "basis", "references",
    "consistent_with", "article",
)
_PARAMS: dict[str, frozenset[str]] = {
    "push_off_deficit": frozenset({"hip_gap_deg", "overstride_gap_pct_leg"}),
}
_TOP_LEVEL: frozenset[str] = frozenset({"meta", "band"})
_BUILTIN = "gaitcheck/bands.toml (built-in)"

Threshold = float | tuple[float, float] | None


def _shift(t: float, d: float) -> float:
    """Threshold moved by the dead band, rounded so 10 - 3.8 is 6.2, not 6.2000000000000002."""
    return round(t + d, 9)


@dataclass(frozen=True)
class Band:
    """The band one marker is judged against.

    Parameters
    ----------
    marker : str
        Marker name (``asymmetry_pct`` for the default asymmetry band).
    direction : str
        ``'high'`` (higher is worse), ``'low'``, ``'both'`` or ``'info'`` (never judged).
    watch, flag : float, tuple of float or None
        Thresholds in the marker's unit; ``(low, high)`` pairs for ``'both'``; ``None`` for
        ``'info'``.
    dead_band : float
        Measurement error in the marker's unit; shifts the thresholds towards leniency.
    dead_band_source : str
        Where the dead band comes from.
    evidence : str
        One of :data:`gaitcheck.types.EVIDENCE_LEVELS`.
    basis : str
        One of :data:`BASES`.
    references : tuple of str
        Short citations.
    consistent_with : str
        Phrase after "consistent with" (the high side for ``'both'``).
    consistent_with_low : str
        ``'both'`` bands: the phrase for the low side.
    article : str
        The seed article(s) that name the fault.
    caveat : str
        Sentence(s) shown with the finding when it is outside the band (or informational).
    limit : str
        A known limit of the measurement itself, shown with every reading, the ``ok`` ones
        included: it matters most when nothing was found.
    params : tuple of (str, float)
        Composite markers only: named numbers (see :func:`push_off_deficit`).
    """

    marker: str
    direction: str
    watch: Threshold
    flag: Threshold
    dead_band: float
    dead_band_source: str
    evidence: str
    basis: str
    references: tuple[str, ...]
    consistent_with: str
    consistent_with_low: str = ""
    article: str = ""
    caveat: str = ""
    limit: str = ""
    params: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def param(self, name: str) -> float:
        """Return the composite parameter ``name``.

        Parameters
        ----------
        name : str
            Parameter name, e.g. ``'hip_gap_deg'``.

        Returns
        -------
        float
            Its value.
        """
        return dict(self.params)[name]

    def effective(self) -> dict[str, Any]:
        """Return the thresholds after the dead-band shift.

        Returns
        -------
        dict
            ``{'watch': ..., 'flag': ...}``: ``None`` for ``'info'``; a ``[low, high]`` list
            for ``'both'``.
        """
        d = self.dead_band
        if self.direction == "info":
            return {"watch": None, "flag": None}
        if self.direction == "both":
            return {k: [_shift(t[0], -d), _shift(t[1], d)]
                    for k, t in (("watch", self.watch), ("flag", self.flag))}
        sign = 1.0 if self.direction == "high" else -1.0
        return {"watch": _shift(self.watch, sign * d), "flag": _shift(self.flag, sign * d)}

    def to_dict(self) -> dict[str, Any]:
        """Return the band as plain JSON-ready types, with the shifted thresholds.

        Returns
        -------
        dict
            Every field, plus ``effective_watch`` and ``effective_flag``.
        """
        def plain(t: Threshold) -> Any:
            return list(t) if isinstance(t, tuple) else t

        eff = self.effective()
        return {
            "marker": self.marker, "direction": self.direction, "watch": plain(self.watch),
            "flag": plain(self.flag), "dead_band": self.dead_band,
            "effective_watch": eff["watch"], "effective_flag": eff["flag"],
            "dead_band_source": self.dead_band_source, "evidence": self.evidence,
            "basis": self.basis, "references": list(self.references),
            "consistent_with": self.consistent_with,
            "consistent_with_low": self.consistent_with_low, "article": self.article,
            "caveat": self.caveat, "limit": self.limit, "params": dict(self.params),
        }


# --------------------------------------------------------------------------------------
# loading


def _known_marker(name: str) -> bool:
    return name in MARKER_LABELS or name == GENERIC_ASYMMETRY_BAND


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise GaitcheckError(f"bands file {source}: not valid TOML ({err})") from None


def _band_tables(raw: Mapping[str, Any], source: str, *, top: bool = True
                 ) -> dict[str, dict[str, Any]]:
    """Check a parsed bands document (names and keys only) and return its band tables."""
    if top:
        for key in raw:
            if key not in _TOP_LEVEL:
                raise GaitcheckError(f"bands file {source}: unknown key '{key}' "
                                     "(expected [band.<marker>] tables)")
        bands = raw.get("band", {})
    else:
        bands = raw
    if not isinstance(bands, Mapping):
        raise GaitcheckError(f"bands file {source}: 'band' must be a table of "
                             "[band.<marker>] tables")
    out: dict[str, dict[str, Any]] = {}
    for marker, table in bands.items():
        if not _known_marker(marker):
            raise GaitcheckError(f"bands file {source}: unknown marker '{marker}' in "
                                 f"[band.{marker}]",
                                 hint="see gaitcheck.findings.MARKER_LABELS for the names")
        if not isinstance(table, Mapping):
            raise GaitcheckError(f"bands file {source}: [band.{marker}] must be a table")
        for key, value in table.items():
            if key not in _ALLOWED_KEYS:
                raise GaitcheckError(f"bands file {source}: unknown key '{key}' in "
                                     f"[band.{marker}]")
            if key == "params":
                allowed = _PARAMS.get(marker, frozenset())
                if not isinstance(value, Mapping):
                    raise GaitcheckError(f"bands file {source}: [band.{marker}.params] "
                                         "must be a table")
                for pname in value:
                    if pname not in allowed:
                        raise GaitcheckError(f"bands file {source}: unknown key '{pname}' "
                                             f"in [band.{marker}.params]")
        out[marker] = dict(table)
    return out


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _build(marker: str, t: Mapping[str, Any], origin: Mapping[str, str]) -> Band:
    """Validate one merged band table and build the :class:`Band`."""
    def fail(key: str, what: str) -> GaitcheckError:
        src = origin.get(key, origin.get("", _BUILTIN))
        return GaitcheckError(f"bands file {src}: [band.{marker}] {key} {what}")

    for key in _REQUIRED_KEYS:
        if key not in t:
            raise fail(key, "is missing")
    direction = t["direction"]
    if direction not in DIRECTIONS:
        raise fail("direction", f"must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if t["evidence"] not in EVIDENCE_LEVELS:
        raise fail("evidence", f"must be one of {', '.join(EVIDENCE_LEVELS)}, "
                               f"not {t['evidence']!r}")
    if t["basis"] not in BASES:
        raise fail("basis", f"must be one of {', '.join(BASES)}, not {t['basis']!r}")
    if not _number(t["dead_band"]) or t["dead_band"] < 0:
        raise fail("dead_band", "must be a number >= 0")
    for key in ("dead_band_source", "consistent_with", "article", "caveat", "limit",
                "consistent_with_low"):
        if key in t and not isinstance(t[key], str):
            raise fail(key, "must be a string")
    if not t["consistent_with"].strip():
        raise fail("consistent_with", "must not be empty")
    refs = t["references"]
    if (not isinstance(refs, list) or not refs
            or not all(isinstance(r, str) and r.strip() for r in refs)):
        raise fail("references", "must be a non-empty list of citations")

    watch: Threshold = None
    flag: Threshold = None
    if direction == "info":
        if t["basis"] != "informational":
            raise fail("basis", "must be 'informational' for direction 'info'")
    else:
        if t["basis"] == "informational":
            raise fail("basis", "'informational' is only for direction 'info'")
        for key in ("watch", "flag"):
            if key not in t:
                raise fail(key, f"is missing (needed for direction {direction!r})")
        if direction == "both":
            for key in ("watch", "flag"):
                v = t[key]
                if not (isinstance(v, list) and len(v) == 2 and all(map(_number, v))):
                    raise fail(key, "must be [low, high] for direction 'both'")
            watch = (float(t["watch"][0]), float(t["watch"][1]))
            flag = (float(t["flag"][0]), float(t["flag"][1]))
            if not (flag[0] <= watch[0] <= watch[1] <= flag[1]):
                raise fail("flag", "must lie outside watch: flag[0] <= watch[0] <= "
                                   "watch[1] <= flag[1]")
            if not str(t.get("consistent_with_low", "")).strip():
                raise fail("consistent_with_low", "is missing (needed for direction 'both')")
        else:
            for key in ("watch", "flag"):
                if not _number(t[key]):
                    raise fail(key, f"must be a number for direction {direction!r}")
            watch, flag = float(t["watch"]), float(t["flag"])
            if direction == "high" and flag < watch:
                raise fail("flag", "must be >= watch for direction 'high'")
            if direction == "low" and flag > watch:
                raise fail("flag", "must be <= watch for direction 'low'")

    params = dict(t.get("params", {}))
    needed = _PARAMS.get(marker, frozenset())
    for pname in sorted(needed):
        if pname not in params:
            raise fail("params", f"needs {pname}")
        if not _number(params[pname]) or params[pname] <= 0:
            raise fail("params", f"{pname} must be a number > 0")

    return Band(
        marker=marker, direction=direction, watch=watch, flag=flag,
        dead_band=float(t["dead_band"]), dead_band_source=t["dead_band_source"],
        evidence=t["evidence"], basis=t["basis"], references=tuple(refs),
        consistent_with=t["consistent_with"],
        consistent_with_low=t.get("consistent_with_low", ""), article=t["article"],
        caveat=t.get("caveat", ""), limit=t.get("limit", ""),
        params=tuple(sorted((k, float(v)) for k, v in params.items())),
    )


def load_bands(path: str | Path | None = None, *,
               overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Band]:
    """Load the built-in bands, with a user file and overrides merged field by field.

    Parameters
    ----------
    path : str or Path, optional
        A user bands file (same layout as ``gaitcheck/bands.toml``). Each field it gives
        replaces that field of the built-in band; ``params`` are merged key by key. A band
        for a marker with no built-in band (an asymmetry row, say) must be complete.
    overrides : mapping, optional
        ``{marker: {field: value}}``, applied after ``path`` in the same way.

    Returns
    -------
    dict of str to Band
        One band per marker name, in the order of the built-in file.

    Raises
    ------
    GaitcheckError
        The file is missing or not TOML, names an unknown marker or key, or gives a value of
        the wrong kind. The one-line message names the file and the key.
    """
    text = resources.files("gaitcheck").joinpath("bands.toml").read_text(encoding="utf-8")
    layers: list[tuple[str, dict[str, dict[str, Any]]]] = [
        (_BUILTIN, _band_tables(_parse(text, _BUILTIN), _BUILTIN))]
    if path is not None:
        p = Path(path)
        try:
            user_text = p.read_text(encoding="utf-8")
        except OSError as err:
            raise GaitcheckError(f"bands file {p}: cannot be read ({err.strerror})",
                                 hint="check the path given for the bands file") from None
        layers.append((str(p), _band_tables(_parse(user_text, str(p)), str(p))))
    if overrides:
        layers.append(("overrides", _band_tables(overrides, "overrides", top=False)))

    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, dict[str, str]] = {}
    for source, tables in layers:
        for marker, table in tables.items():
            m = merged.setdefault(marker, {})
            o = origin.setdefault(marker, {"": source})
            for key, value in table.items():
                if key == "params":
                    m["params"] = {**m.get("params", {}), **value}
                else:
                    m[key] = value
                o[key] = source
    return {marker: _build(marker, t, origin[marker]) for marker, t in merged.items()}


# --------------------------------------------------------------------------------------
# judging


def classify(value: float, band: Band) -> tuple[str, str | None]:
    """Judge one value against a band (dead-band rule in the module docstring).

    Parameters
    ----------
    value : float
        The runner's median.
    band : Band
        The band.

    Returns
    -------
    level : str
        ``'ok'``, ``'watch'`` or ``'flag'``.
    side : str or None
        ``'high'`` or ``'low'``: which side of the band the value left (``None`` when ok).
    """
    if band.direction == "info":
        return "ok", None
    eff = band.effective()
    if band.direction == "both":
        pairs = [("high", eff["watch"][1], eff["flag"][1]),
                 ("low", eff["watch"][0], eff["flag"][0])]
    else:
        pairs = [(band.direction, eff["watch"], eff["flag"])]
    for side, watch, flag in pairs:
        if side == "high":
            if value > flag:
                return "flag", side
            if value > watch:
                return "watch", side
        else:
            if value < flag:
                return "flag", side
            if value < watch:
                return "watch", side
    return "ok", None


def push_off_deficit(hip_extension: Mapping[str, float], overstride: Mapping[str, float],
                     band: Band) -> tuple[str, float, dict[str, float]]:
    """Score a push-off deficit on one side with an overreach on the other.

    For side ``s`` and the other side ``o``::

        hip_gap  = hip_extension[o] - hip_extension[s]     # deg, s extends less
        over_gap = overstride[o] - overstride[s]           # %leg, o lands further ahead
        score_s  = max(0, min(hip_gap / hip_gap_deg, over_gap / overstride_gap_pct_leg))

    Both gaps must point the same way (the weak-push-off side extends less *and* the other
    leg lands further ahead) for the score to be above 0. A score of 1 means both gaps
    reach their unit sizes (band ``params``; defaults 5 deg and 3 %leg).

    Parameters
    ----------
    hip_extension : mapping
        ``{'l': deg, 'r': deg}``: per-side medians of ``hip_extension_deg``.
    overstride : mapping
        ``{'l': %leg, 'r': %leg}``: per-side medians of ``overstride_ic_pct_leg``.
    band : Band
        The ``push_off_deficit`` band (its ``params`` give the unit sizes).

    Returns
    -------
    side : str
        The side with the weaker push-off (larger score); ``'both'`` when neither scores.
    score : float
        The larger of the two sides' scores (0 when neither).
    parts : dict
        ``hip_gap_deg`` and ``overstride_gap_pct_leg`` for the reported side.
    """
    hip_unit = band.param("hip_gap_deg")
    over_unit = band.param("overstride_gap_pct_leg")
    best = ("both", 0.0, {"hip_gap_deg": 0.0, "overstride_gap_pct_leg": 0.0})
    for s, o in (("l", "r"), ("r", "l")):
        hip_gap = float(hip_extension[o] - hip_extension[s])
        over_gap = float(overstride[o] - overstride[s])
        score = max(0.0, min(hip_gap / hip_unit, over_gap / over_unit))
        if score > best[1]:
            best = (s, score, {"hip_gap_deg": hip_gap, "overstride_gap_pct_leg": over_gap})
    return best


def _fmt(value: float, unit: str) -> str:
    if unit in ("steps/min", "ms"):
        return f"{value:.0f} {unit}"
    if unit == "deg":
        return f"{value:.1f}°"
    if unit == "score":
        return f"a score of {value:.2f}"
    words = _UNIT_WORDS.get(unit, unit)
    return f"{value:.1f} {words}".rstrip()


def _fmt_threshold(t: float, unit: str) -> str:
    return _fmt(t, unit) if unit != "score" else f"{t:.2f}"


def _describe(band: Band, unit: str) -> str:
    """Plain words for the shifted thresholds, e.g. 'watch above 14, flag above 17 %'."""
    eff = band.effective()
    margin = (f", a measurement margin of {_fmt_threshold(band.dead_band, unit)} included"
              if band.dead_band > 0 else "")

    def f(t: float) -> str:
        return _fmt_threshold(t, unit)

    if band.direction == "both":
        w, fl = eff["watch"], eff["flag"]
        return (f"watch below {f(w[0])} or above {f(w[1])}, flag below {f(fl[0])} or above "
                f"{f(fl[1])}{margin}")
    word = "above" if band.direction == "high" else "below"
    return f"watch {word} {f(eff['watch'])}, flag {word} {f(eff['flag'])}{margin}"


def _text(marker: str, side: str, value: float, unit: str, level: str, band: Band,
          which: str | None, n_strides: int, extra: str = "") -> str:
    label = MARKER_LABELS.get(marker, marker.replace("_", " "))
    side_word = "left vs right" if marker.endswith(ASYMMETRY_SUFFIX) else _SIDE_WORDS.get(
        side, side)
    note = _SIGN_NOTES.get(marker)
    head = f"{label}: {_fmt(value, unit)} ({side_word}{'; ' + note if note else ''})"
    if band.direction == "info":
        body = f"{head}: shown for information, with no threshold applied; it describes " \
               f"{band.consistent_with}."
    elif level == "ok":
        body = f"{head}: {_LEVEL_WORDS['ok']}; {_describe(band, unit)}."
    else:
        phrase = band.consistent_with_low if which == "low" and band.consistent_with_low \
            else band.consistent_with
        basis = "; the threshold is a heuristic" if band.basis == "heuristic" else ""
        body = (f"{head}: {_LEVEL_WORDS[level]}; {_describe(band, unit)}. Consistent with "
                f"{phrase} (strength of evidence: {band.evidence}{basis}).")
    parts = [body]
    if extra:
        parts.append(extra)
    if band.caveat and (level != "ok" or band.direction == "info"):
        parts.append(band.caveat)
    if band.limit:
        parts.append(band.limit)
    if n_strides < MIN_STRIDES:
        parts.append(f"The estimate rests on only {n_strides} stride"
                     f"{'' if n_strides == 1 else 's'}, so confidence is reduced.")
    parts.append(DISCLAIMER)
    return " ".join(parts)


def _band_for(marker: str, bands: Mapping[str, Band]) -> Band | None:
    if marker in bands:
        return bands[marker]
    if marker.endswith(ASYMMETRY_SUFFIX) and marker in MARKER_LABELS:
        return bands.get(GENERIC_ASYMMETRY_BAND)
    return None


_SUMMARY_COLUMNS = ("median", "n_strides", "unit", "confidence", "measurable")


def _check_summary(summary: pd.DataFrame) -> None:
    if not isinstance(summary.index, pd.MultiIndex) or summary.index.nlevels != 2:
        raise ValueError("summary must have a (marker, side) MultiIndex")
    missing = [c for c in _SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks column(s) {', '.join(missing)}")


def _usable(row: Mapping[str, Any]) -> bool:
    meas = row.get("measurable")
    if meas is None or (isinstance(meas, float) and math.isnan(meas)) or not bool(meas):
        return False
    v = row.get("median")
    return v is not None and _number(v)


def _confidence(row: Mapping[str, Any], n: int) -> float:
    c = row.get("confidence")
    c = float(c) if c is not None and _number(c) else 0.0
    c = min(max(c, 0.0), 1.0)
    if n < MIN_STRIDES:
        c = min(c, max(n, 0) / MIN_STRIDES)
    return round(c, 3)


def _finding(marker: str, side: str, value: float, unit: str, band: Band, n: int,
             confidence: float, extra: str = "", band_extra: Mapping[str, Any] | None = None
             ) -> Finding:
    level, which = classify(value, band)
    info = band.to_dict()
    info["left_band_on"] = which
    info["n_strides"] = n
    if band_extra:
        info.update(band_extra)
    return Finding(marker=marker, side=side, level=level, value=float(value), unit=unit,
                   band=info, evidence=band.evidence,
                   text=_text(marker, side, value, unit, level, band, which, n, extra),
                   confidence=confidence, references=band.references)


def _sort_key(f: Finding) -> tuple:
    order = list(MARKER_LABELS)
    pos = order.index(f.marker) if f.marker in order else len(order)
    return (-_LEVEL_RANK[f.level], pos, f.marker, _SIDE_ORDER.get(f.side, 3), f.side)


def assess(summary: pd.DataFrame, *, bands: Mapping[str, Band] | None = None
           ) -> list[Finding]:
    """Judge a marker summary against the bands.

    Rules:

    * a row with ``measurable`` False (or no finite median) gives no finding (the report
      shows its ``reason``);
    * a marker with no band gives no finding;
    * per-leg markers are judged on their ``l`` and ``r`` rows (the ``both`` row is used
      only when the summary has neither); cadence and asymmetry rows on ``both``;
    * fewer than :data:`MIN_STRIDES` strides: still judged, the text says the estimate rests
      on few strides, and the confidence is capped at ``n_strides / MIN_STRIDES``;
    * levels follow the dead-band rule of :func:`classify`; ``info`` bands give ``ok``;
    * ``push_off_deficit`` is computed with :func:`push_off_deficit` when the summary has
      measurable ``l`` and ``r`` rows of ``hip_extension_deg`` and ``overstride_ic_pct_leg``
      (a ``push_off_deficit`` row already in the summary is judged as given instead).

    Parameters
    ----------
    summary : pandas.DataFrame
        MultiIndex ``(marker, side)``; columns ``median``, ``n_strides``, ``unit``,
        ``confidence`` (0..1), ``measurable`` (bool) and optionally ``q1``, ``q3``, ``iqr``,
        ``reason`` (see ``gaitcheck.markers.summarize_markers``).
    bands : mapping of str to Band, optional
        From :func:`load_bands`; the built-in bands when omitted.

    Returns
    -------
    list of Finding
        Flags first, then watch, then ok; within a level in :data:`MARKER_LABELS` order,
        then left, right, both.

    Raises
    ------
    ValueError
        The summary does not have the expected index or columns.
    """
    bands = load_bands() if bands is None else bands
    _check_summary(summary)
    rows: dict[tuple[str, str], dict[str, Any]] = {
        (str(m), str(s)): dict(r) for (m, s), r in zip(summary.index, summary.to_dict("records"),
                                                         strict=True)}
    sides_of: dict[str, set[str]] = {}
    for m, s in rows:
        sides_of.setdefault(m, set()).add(s)

    findings: list[Finding] = []
    for (marker, side), row in rows.items():
        band = _band_for(marker, bands)
        if band is None or not _usable(row):
            continue
        if marker.endswith(ASYMMETRY_SUFFIX) or marker in _WHOLE_CLIP:
            if side != "both" and "both" in sides_of[marker]:
                continue
        elif side == "both" and sides_of[marker] & {"l", "r"}:
            continue
        n = int(row["n_strides"]) if _number(row.get("n_strides")) else 0
        value = float(row["median"])
        extra = ""
        if marker.endswith(ASYMMETRY_SUFFIX):
            base = marker[: -len(ASYMMETRY_SUFFIX)]
            lr = [rows.get((base, s)) for s in ("l", "r")]
            if all(r is not None and _usable(r) for r in lr):
                unit = str(lr[0].get("unit") or "")
                extra = (f"Left {_fmt(float(lr[0]['median']), unit)}, right "
                         f"{_fmt(float(lr[1]['median']), unit)}.")
        findings.append(_finding(marker, side, value, str(row.get("unit") or ""), band, n,
                                 _confidence(row, n), extra))

    pod = bands.get("push_off_deficit")
    if pod is not None and "push_off_deficit" not in sides_of:
        need = [rows.get((m, s)) for m in ("hip_extension_deg", "overstride_ic_pct_leg")
                for s in ("l", "r")]
        if all(r is not None and _usable(r) for r in need):
            hip = {"l": float(need[0]["median"]), "r": float(need[1]["median"])}
            over = {"l": float(need[2]["median"]), "r": float(need[3]["median"])}
            side, score, parts = push_off_deficit(hip, over, pod)
            n = min(int(r["n_strides"]) if _number(r.get("n_strides")) else 0 for r in need)
            conf = min(_confidence(r, n) for r in need)
            if side in ("l", "r"):
                other = "right" if side == "l" else "left"
                extra = (f"The {_SIDE_WORDS[side]} hip extends "
                         f"{parts['hip_gap_deg']:.1f}° less than the {other}, and the {other} "
                         f"heel lands {parts['overstride_gap_pct_leg']:.1f} % of leg length "
                         f"further ahead than the {_SIDE_WORDS[side]}.")
            else:
                extra = ("Neither side combines less hip extension with an overreach by the "
                         "other leg.")
            findings.append(_finding("push_off_deficit", side, score, "score", pod, n, conf,
                                     extra, {"components": parts}))
    findings.sort(key=_sort_key)
    return findings


def findings_to_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Return findings as JSON-ready dicts (lists for tuples, ``None`` for NaN).

    Parameters
    ----------
    findings : iterable of Finding
        From :func:`assess`.

    Returns
    -------
    list of dict
        One dict per finding with the :class:`~gaitcheck.types.Finding` fields.
    """
    def plain(v: Any) -> Any:
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    return [{
        "marker": f.marker, "side": f.side, "level": f.level, "value": plain(f.value),
        "unit": f.unit, "evidence": f.evidence, "confidence": plain(f.confidence),
        "text": f.text, "references": list(f.references), "band": plain(f.band),
    } for f in findings]
