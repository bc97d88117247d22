"""Drill catalog and recommendations: from findings to a ranked, deduplicated drill plan.

The catalog (``drills.toml``, shipped in the package) holds the drills the five source
articles prescribe, each with its article, the markers it addresses, the article's dose
and phase, and cues in gaitcheck's own words. :func:`recommend` turns findings into a plan
that says, for every drill, which findings it answers and why, following the source
article's reasoning. The plan is a set of training suggestions, not medical advice.

Nothing is read at import; the packaged catalog is loaded (once) on first use.
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import GaitcheckError
from .types import EVIDENCE_LEVELS, Finding, Recommendation

try:  # Python >= 3.11
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ModuleNotFoundError:
        _toml = None  # type: ignore[assignment]

__all__ = [
    "BASE_MARKERS",
    "BILATERAL_MARKERS",
    "KNOWN_MARKERS",
    "MARKER_LABELS",
    "DRILL_KINDS",
    "CatalogError",
    "Drill",
    "load_catalog",
    "recommend",
    "format_catalog",
    "recommendations_to_json",
    "catalog_note",
]

#: Plain-language names of the markers findings carry (unit in the marker name).
#: Kept here so the lead can reconcile it with the marker registry. ``hip_flexion_ms_deg``
#: and ``ankle_dorsiflexion_excursion_deg`` are in the bands file though not in the brief.
MARKER_LABELS: dict[str, str] = {
    # side view
    "pelvis_behind_foot_ms_pct_leg": "pelvis behind the foot at midstance",
    "overstride_ic_pct_leg": "heel landing ahead of the hip (overstride)",
    "shank_angle_ic_deg": "shin angle at touchdown (ankle ahead of knee = overstride)",
    "hip_extension_deg": "hip extension late in stance",
    "hip_extension_trunk_deg": "hip extension late in stance, thigh against trunk",
    "hip_flexion_ms_deg": "hip bend at midstance (hips kept flexed)",
    "knee_flexion_ic_deg": "knee bend at touchdown",
    "knee_flexion_peak_stance_deg": "peak knee bend in stance",
    "knee_flexion_excursion_deg": "knee give from touchdown to midstance ('deflating')",
    "ankle_dorsiflexion_excursion_deg": "ankle give from touchdown to midstance ('deflating')",
    "foot_strike_angle_deg": "foot strike angle (heel or forefoot extreme)",
    "trunk_lean_deg": "trunk posture",
    "vertical_oscillation_pct_leg": "vertical bounce",
    "cadence_spm": "step rate",
    "ground_contact_time_ms": "ground contact time",
    "flight_time_ms": "flight time",
    "duty_factor_pct": "share of the stride on the ground (duty factor)",
    # rear / front view
    "crossover_ic_pct_leg": "foot landing across the midline (crossover)",
    "step_width_pct_leg": "step width",
    "pelvic_drop_deg": "opposite side of the pelvis dropping in stance",
    "hip_adduction_peak_deg": "thigh moving inward in stance (hip adduction)",
    # composite
    "push_off_deficit": "weaker push-off on one side, overreach on the other",
}

#: Every base marker (not the ``*_asymmetry_pct`` forms).
BASE_MARKERS: tuple[str, ...] = tuple(MARKER_LABELS)

#: Markers measured per side, which therefore also come as ``<marker>_asymmetry_pct``.
#: A best guess from the marker list (whole-body markers excluded); reconcile with the
#: marker registry. :func:`recommend` accepts ``<any base marker>_asymmetry_pct`` anyway.
BILATERAL_MARKERS: tuple[str, ...] = tuple(
    m for m in BASE_MARKERS
    if m not in {"trunk_lean_deg", "vertical_oscillation_pct_leg", "cadence_spm",
                 "step_width_pct_leg", "push_off_deficit"}
)

_ASYM = "_asymmetry_pct"

#: Every marker name a drill may target or a finding may carry.
KNOWN_MARKERS: frozenset[str] = frozenset(BASE_MARKERS) | frozenset(
    m + _ASYM for m in BILATERAL_MARKERS
)

#: Allowed values of a drill's ``kind``. ``guidance`` items (load management,
#: return-to-run stages) target no marker and are never picked for a finding.
DRILL_KINDS: tuple[str, ...] = (
    "release", "mobility", "strength", "balance", "plyometric", "gait", "guidance",
)

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SOURCE_RE = re.compile(r"^\d{3}$")
_REQUIRED = ("id", "name", "source", "kind", "targets", "purpose", "dose", "phase", "cues",
             "evidence")
_OPTIONAL = ("primary", "see_also", "progression", "caution")
_TOP_KEYS = ("catalog", "sources", "rationale", "maintenance", "drill")
_ASYMMETRY_KEY = "asymmetry"
_SIDES = {"l": "left", "r": "right", "both": "both sides"}


class CatalogError(GaitcheckError):
    """The drill catalog file is missing, unreadable or has a malformed entry."""


@dataclass(frozen=True)
class Drill:
    """One drill of the catalog.

    Parameters
    ----------
    id : str
        Stable kebab-case id.
    name : str
        Display name.
    source : str
        Article id (``"000"`` ... ``"004"``).
    source_title : str
        The article's title.
    source_file : str
        The article's file name in the seeds folder.
    kind : str
        One of :data:`DRILL_KINDS`.
    targets : tuple of str
        Markers the drill addresses, most direct first (empty for guidance).
    primary : tuple of str
        The targets the article prescribes the drill for directly (subset of
        ``targets``); the others are supporting links.
    purpose : str
        What it trains, in gaitcheck's own words.
    dose : str
        Dose as the article gives it; ``""`` when it gives none.
    phase : str
        The article's phase, step or progression stage.
    cues : tuple of str
        Two to four short cues in gaitcheck's own words.
    evidence : str
        Evidence level (see :data:`gaitcheck.types.EVIDENCE_LEVELS`).
    see_also : tuple of str
        Other article ids whose reasoning links the drill to its targets.
    progression : str
        Optional progression note.
    caution : str
        Optional caution.
    maintenance_rank : int or None
        Position (1 = first) in the maintenance plan, ``None`` if not part of it.
    lead_for : tuple of str
        Targets for which the drill's own article is the catalog's main (first-listed)
        source of reasoning; used to break ties when ranking.
    reasons : tuple of (str, str)
        ``(marker, reason)`` for every target, plus ``("asymmetry", reason)``: why the
        marker matters (the default article's mechanism), followed by the drill's own
        article's reasoning where it has one.
    """

    id: str
    name: str
    source: str
    source_title: str
    source_file: str
    kind: str
    targets: tuple[str, ...]
    primary: tuple[str, ...]
    purpose: str
    dose: str
    phase: str
    cues: tuple[str, ...]
    evidence: str
    see_also: tuple[str, ...] = ()
    progression: str = ""
    caution: str = ""
    maintenance_rank: int | None = None
    lead_for: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = ()

    @property
    def citation(self) -> str:
        """Article id, file name and title, e.g. ``'004 (004_1b....txt): title'``."""
        return f"{self.source} ({self.source_file}): {self.source_title}"

    def reason(self, marker: str) -> str:
        """Why ``marker`` matters for this drill (``""`` if the drill does not target it)."""
        for key, text in self.reasons:
            if key == marker:
                return text
        return ""


# --------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------


def _default_path() -> Path:
    return Path(str(resources.files("gaitcheck").joinpath("drills.toml")))


def _read_toml(path: Path) -> dict[str, Any]:
    if _toml is None:  # pragma: no cover - Python 3.10 without tomli
        raise CatalogError(
            f"cannot read the drill catalog {path}: Python 3.11+ (tomllib) or the 'tomli' "
            "package is needed", hint="pip install tomli",
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CatalogError(f"cannot read the drill catalog {path}: {err.strerror or err}",
                           hint="check the path") from err
    try:
        return _toml.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, _toml.TOMLDecodeError) as err:
        raise CatalogError(f"{path}: not valid TOML: {err}") from err


class _Checker:
    """Raise :class:`CatalogError` messages that name the file and the entry."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> None:
        raise CatalogError(f"{self.path}: {where}: {what}")

    def text(self, where: str, key: str, value: Any, *, empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(where, f"'{key}' must be a string, got {type(value).__name__}")
        if not empty and not value.strip():
            self.fail(where, f"'{key}' is empty")
        return value.strip()

    def texts(self, where: str, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(where, f"'{key}' must be a list of strings, got {type(value).__name__}")
        return tuple(self.text(where, f"{key}[{i}]", v) for i, v in enumerate(value))


def _check_sources(chk: _Checker, raw: Any) -> dict[str, tuple[str, str]]:
    if not isinstance(raw, dict) or not raw:
        chk.fail("[sources]", "missing or empty: one [sources.\"NNN\"] table per article")
    out: dict[str, tuple[str, str]] = {}
    for sid, entry in raw.items():
        where = f"[sources.\"{sid}\"]"
        if not _SOURCE_RE.match(sid):
            chk.fail(where, "the article id must be three digits, e.g. \"004\"")
        if not isinstance(entry, dict):
            chk.fail(where, "must be a table with 'file' and 'title'")
        unknown = sorted(set(entry) - {"file", "title", "note"})
        if unknown:
            chk.fail(where, f"unknown key(s) {', '.join(map(repr, unknown))} "
                            "(allowed: file, title, note)")
        for key in ("file", "title"):
            if key not in entry:
                chk.fail(where, f"missing '{key}'")
        file = chk.text(where, "file", entry["file"])
        if not file.startswith(f"{sid}_"):
            chk.fail(where, f"file {file!r} does not start with the article id {sid}_")
        out[sid] = (file, chk.text(where, "title", entry["title"]))
    return out


def _check_rationale(chk: _Checker, raw: Any, sources: Mapping[str, Any]
                     ) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        chk.fail("[rationale]", "missing: one [rationale.MARKER] table per marker")
    out: dict[str, dict[str, str]] = {}
    for marker, entry in raw.items():
        where = f"[rationale.{marker}]"
        if marker not in KNOWN_MARKERS and marker != _ASYMMETRY_KEY:
            chk.fail(where, f"unknown marker {marker!r}")
        if not isinstance(entry, dict) or not entry:
            chk.fail(where, "must be a table of \"NNN\" = \"reason\" entries")
        for sid, text in entry.items():
            if sid not in sources:
                chk.fail(where, f"unknown article id {sid!r} (known: {', '.join(sources)})")
            chk.text(where, sid, text)
        out[marker] = {sid: str(text).strip() for sid, text in entry.items()}
    if _ASYMMETRY_KEY not in out:
        chk.fail("[rationale]", "missing [rationale.asymmetry]")
    return out


def _check_drill(chk: _Checker, i: int, raw: Any, sources: Mapping[str, tuple[str, str]],
                 rationale: Mapping[str, Mapping[str, str]]) -> Drill:
    did = raw.get("id") if isinstance(raw, dict) else None
    where = f"drill {did!r}" if isinstance(did, str) else f"drill #{i + 1} (no id)"
    if not isinstance(raw, dict):
        chk.fail(where, "must be a [[drill]] table")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        chk.fail(where, f"unknown key(s) {', '.join(map(repr, unknown))} "
                        f"(allowed: {', '.join(_REQUIRED + _OPTIONAL)})")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        chk.fail(where, f"missing key(s) {', '.join(map(repr, missing))}")
    did = chk.text(where, "id", raw["id"])
    if not _ID_RE.match(did):
        chk.fail(where, "the id must be kebab-case (lowercase letters, digits, hyphens)")
    source = chk.text(where, "source", raw["source"])
    if source not in sources:
        chk.fail(where, f"unknown source {source!r} (known: {', '.join(sources)})")
    see_also = chk.texts(where, "see_also", raw.get("see_also", []))
    for sid in see_also:
        if sid not in sources:
            chk.fail(where, f"unknown article id {sid!r} in 'see_also'")
    kind = chk.text(where, "kind", raw["kind"])
    if kind not in DRILL_KINDS:
        chk.fail(where, f"unknown kind {kind!r} (allowed: {', '.join(DRILL_KINDS)})")
    targets = chk.texts(where, "targets", raw["targets"])
    bad = [t for t in targets if t not in KNOWN_MARKERS]
    if bad:
        chk.fail(where, f"unknown target marker(s) {', '.join(map(repr, bad))}")
    if len(set(targets)) != len(targets):
        chk.fail(where, "'targets' lists a marker twice")
    if not targets and kind != "guidance":
        chk.fail(where, "'targets' is empty (only kind = \"guidance\" may target no marker)")
    if targets and kind == "guidance":
        chk.fail(where, "a guidance item must not target markers")
    primary = chk.texts(where, "primary", raw.get("primary", []))
    stray = [t for t in primary if t not in targets]
    if stray:
        chk.fail(where, f"'primary' lists {', '.join(map(repr, stray))} not in 'targets'")
    cues = chk.texts(where, "cues", raw["cues"])
    if not 2 <= len(cues) <= 4:
        chk.fail(where, f"'cues' must hold 2 to 4 cues, got {len(cues)}")
    evidence = chk.text(where, "evidence", raw["evidence"])
    if evidence not in EVIDENCE_LEVELS:
        chk.fail(where, f"unknown evidence {evidence!r} (allowed: {', '.join(EVIDENCE_LEVELS)})")
    prefer = (source, *see_also)
    reasons: list[tuple[str, str]] = []
    lead_for: list[str] = []
    for key in (*targets, _ASYMMETRY_KEY):
        table = rationale.get(key) or rationale.get(_base_marker(key) or "")
        if not table:
            chk.fail(where, f"no [rationale.{key}] explains target {key!r}")
        lead_sid, lead = next(iter(table.items()))
        sid = next((s for s in prefer if s in table), lead_sid)
        if key != _ASYMMETRY_KEY and lead_sid == source:
            lead_for.append(key)
        reasons.append((key, lead if sid == lead_sid else f"{lead} {table[sid]}"))
    file, title = sources[source]
    return Drill(
        id=did, name=chk.text(where, "name", raw["name"]), source=source,
        source_title=title, source_file=file, kind=kind, targets=targets, primary=primary,
        purpose=chk.text(where, "purpose", raw["purpose"]),
        dose=chk.text(where, "dose", raw["dose"], empty=True),
        phase=chk.text(where, "phase", raw["phase"]), cues=cues, evidence=evidence,
        see_also=see_also,
        progression=chk.text(where, "progression", raw.get("progression", ""), empty=True),
        caution=chk.text(where, "caution", raw.get("caution", ""), empty=True),
        lead_for=tuple(lead_for), reasons=tuple(reasons),
    )


def _parse(data: Mapping[str, Any], path: Path) -> tuple[tuple[Drill, ...], str]:
    chk = _Checker(path)
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        chk.fail("top level", f"unknown table(s) {', '.join(map(repr, unknown))} "
                              f"(allowed: {', '.join(_TOP_KEYS)})")
    catalog = data.get("catalog", {})
    if not isinstance(catalog, dict) or set(catalog) - {"note"}:
        chk.fail("[catalog]", "may only hold 'note'")
    note = chk.text("[catalog]", "note", catalog.get("note", ""), empty=True)
    sources = _check_sources(chk, data.get("sources"))
    rationale = _check_rationale(chk, data.get("rationale"), sources)
    raw_drills = data.get("drill")
    if not isinstance(raw_drills, list) or not raw_drills:
        chk.fail("[[drill]]", "no drills")
    drills = [_check_drill(chk, i, d, sources, rationale) for i, d in enumerate(raw_drills)]
    seen: set[str] = set()
    for d in drills:
        if d.id in seen:
            chk.fail(f"drill {d.id!r}", "duplicate id")
        seen.add(d.id)
    maint = data.get("maintenance")
    if not isinstance(maint, dict) or set(maint) != {"ids"}:
        chk.fail("[maintenance]", "must be a table holding only 'ids'")
    ids = chk.texts("[maintenance]", "ids", maint["ids"])
    if not ids:
        chk.fail("[maintenance]", "'ids' is empty")
    for mid in ids:
        if mid not in seen:
            chk.fail("[maintenance]", f"unknown drill id {mid!r}")
    if len(set(ids)) != len(ids):
        chk.fail("[maintenance]", "an id is listed twice")
    rank = {mid: k + 1 for k, mid in enumerate(ids)}
    drills = [
        d if d.id not in rank else replace(d, maintenance_rank=rank[d.id]) for d in drills
    ]
    return tuple(drills), note


@functools.lru_cache(maxsize=1)
def _packaged() -> tuple[tuple[Drill, ...], str]:
    path = _default_path()
    return _parse(_read_toml(path), path)


def load_catalog(path: str | Path | None = None) -> tuple[Drill, ...]:
    """Load and validate the drill catalog.

    Parameters
    ----------
    path : str or Path, optional
        A catalog TOML file. Default: the catalog shipped in the package (read once and
        cached).

    Returns
    -------
    tuple of Drill
        The drills in file order.

    Raises
    ------
    CatalogError
        The file is missing or not valid TOML, or an entry is malformed (unknown key,
        missing field, unknown marker, source or kind...). The message names the file and
        the drill id.
    """
    if path is None:
        return _packaged()[0]
    p = Path(path)
    return _parse(_read_toml(p), p)[0]


def catalog_note(path: str | Path | None = None) -> str:
    """Return the catalog's note (what the drills are and are not), for reports.

    Parameters
    ----------
    path : str or Path, optional
        A catalog TOML file; default the packaged one.

    Returns
    -------
    str
        The ``[catalog] note`` text.
    """
    if path is None:
        return _packaged()[1]
    p = Path(path)
    return _parse(_read_toml(p), p)[1]


# --------------------------------------------------------------------------------------
# Recommendations
# --------------------------------------------------------------------------------------


def _base_marker(marker: str) -> str | None:
    """Return the base of ``<base>_asymmetry_pct`` when the base is known, else None."""
    if marker.endswith(_ASYM):
        base = marker[: -len(_ASYM)]
        if base in MARKER_LABELS:
            return base
    return None


def _label(marker: str) -> str:
    base = _base_marker(marker)
    if base is not None:
        return f"{MARKER_LABELS[base]}: left-right difference"
    return MARKER_LABELS.get(marker, marker.replace("_", " "))


def _answers(drill: Drill, marker: str) -> int | None:
    """Position of ``marker`` (or its base) in the drill's targets, None if not targeted."""
    if marker in drill.targets:
        return drill.targets.index(marker)
    base = _base_marker(marker)
    if base is not None and base in drill.targets:
        return drill.targets.index(base)
    return None


def _is_primary(drill: Drill, marker: str) -> bool:
    """Whether the drill's article prescribes it directly for ``marker`` (or its base)."""
    return marker in drill.primary or _base_marker(marker) in drill.primary


def _is_lead(drill: Drill, marker: str) -> bool:
    """Whether the drill's article is the main source of reasoning about ``marker``."""
    return marker in drill.lead_for or _base_marker(marker) in drill.lead_for


def _conf(f: Finding) -> float:
    c = float(f.confidence)
    return 0.0 if math.isnan(c) else c


def _why(drill: Drill, findings: Sequence[Finding]) -> str:
    parts: list[str] = []
    by_marker: dict[str, list[str]] = {}
    for f in findings:
        sides = by_marker.setdefault(f.marker, [])
        side = _SIDES.get(f.side, f.side)
        if side not in sides:
            sides.append(side)
    for marker, sides in by_marker.items():
        base = _base_marker(marker)
        reason = drill.reason(marker)
        if not reason and base is not None:
            reason = f"{drill.reason(_ASYMMETRY_KEY)} {drill.reason(base)}"
        parts.append(f"Answers {_label(marker)} ({', '.join(sides)}). {reason}")
    parts.append(f"This drill (article {drill.source}): {drill.purpose}")
    return " ".join(parts)


def _to_rec(drill: Drill, priority: int, because: tuple[Finding, ...], why: str
            ) -> Recommendation:
    return Recommendation(
        drill_id=drill.id, name=drill.name, priority=priority, because=because, why=why,
        dose=drill.dose, cues=drill.cues, source=drill.citation, phase=drill.phase,
    )


def _maintenance(catalog: Sequence[Drill]) -> list[Recommendation]:
    plan = sorted((d for d in catalog if d.maintenance_rank is not None),
                  key=lambda d: d.maintenance_rank or 0)
    return [
        _to_rec(d, k + 1, (), f"Nothing was flagged or marked for watching, so this is part "
                              f"of a short maintenance plan. From article {d.source}: "
                              f"{d.purpose}")
        for k, d in enumerate(plan)
    ]


def recommend(findings: Iterable[Finding], *, catalog: Sequence[Drill] | None = None,
              max_drills: int = 8) -> list[Recommendation]:
    """Turn findings into a ranked, deduplicated drill plan.

    Only ``'flag'`` and ``'watch'`` findings drive the plan (flags first, then higher
    confidence). Every flagged finding gets at least two drills, even if the plan must
    grow beyond ``max_drills`` to do so; then each watched finding gets one drill while
    there is room, and remaining slots go round-robin over the findings. For a finding,
    drills its article prescribes directly (``primary``) are picked first, then those
    answering more findings, then a kind of drill the finding does not have yet. A drill that
    answers several findings appears once, lists them all in ``because`` and ranks
    higher. A ``<marker>_asymmetry_pct`` finding is answered by the drills for
    ``<marker>``. With no flag or watch finding (or only ones whose marker no drill
    addresses, which also warn) the result is the catalog's maintenance plan, each with
    ``because=()``.

    Parameters
    ----------
    findings : iterable of Finding
        Findings of any level; ``'ok'`` ones are ignored.
    catalog : sequence of Drill, optional
        Drills to choose from; default the packaged catalog.
    max_drills : int, default 8
        Target plan length (>= 1); exceeded only to give each flag two drills.

    Returns
    -------
    list of Recommendation
        Priority 1 first. Output depends only on the findings and the catalog.

    Raises
    ------
    ValueError
        A finding has an unknown level, or ``max_drills`` < 1.

    Warns
    -----
    UserWarning
        A flag or watch finding's marker has no drill in the catalog.
    """
    if max_drills < 1:
        raise ValueError(f"max_drills must be >= 1, got {max_drills}")
    drills = tuple(load_catalog() if catalog is None else catalog)
    order = {"flag": 0, "watch": 1}
    active: list[Finding] = []
    for f in findings:
        if f.level not in ("ok", "watch", "flag"):
            raise ValueError(f"finding {f.marker!r} has unknown level {f.level!r}")
        if f.level in order:
            active.append(f)
    active.sort(key=lambda f: (order[f.level], -_conf(f), f.marker, f.side))

    candidates: dict[int, list[Drill]] = {}  # finding position -> drills answering it
    for pos, f in enumerate(active):
        cands = [d for d in drills if d.kind != "guidance" and _answers(d, f.marker) is not None]
        if not cands:
            warnings.warn(f"no drill in the catalog addresses marker {f.marker!r}",
                          UserWarning, stacklevel=2)
        candidates[pos] = cands
    active_known = [pos for pos in range(len(active)) if candidates[pos]]
    if not active_known:
        return _maintenance(drills)

    answered: dict[str, list[int]] = {}  # drill id -> positions of findings it answers
    for pos in active_known:
        for d in candidates[pos]:
            answered.setdefault(d.id, []).append(pos)
    index = {d.id: k for k, d in enumerate(drills)}
    by_id = {d.id: d for d in drills}

    def breadth(d: Drill) -> tuple[int, int, int]:
        poss = answered[d.id]
        flag_markers = {active[p].marker for p in poss if active[p].level == "flag"}
        return (-len(flag_markers), -len({active[p].marker for p in poss}), -len(poss))

    def rank_key(d: Drill) -> tuple:
        # plan order: more flagged faults, more faults, more findings, more of them
        # primary, then the most important finding answered and how directly
        poss = answered[d.id]
        n_primary = len({active[p].marker for p in poss if _is_primary(d, active[p].marker)})
        best = min(poss)
        top = active[best].marker
        return (*breadth(d), -n_primary, best, not _is_primary(d, top), not _is_lead(d, top),
                _answers(d, top), index[d.id])

    chosen: list[str] = []
    kinds_for: dict[int, set[str]] = {pos: set() for pos in active_known}

    def take(pos: int) -> bool:
        # for one finding: drills the article prescribes for it directly first, then
        # those answering more findings, then a kind this finding has not got yet, then
        # drills from the article that reasons most about the fault
        marker = active[pos].marker
        free = [d for d in candidates[pos] if d.id not in chosen]
        if not free:
            return False
        d = min(free, key=lambda d: (not _is_primary(d, marker), *breadth(d),
                                     d.kind in kinds_for[pos], not _is_lead(d, marker),
                                     _answers(d, marker), index[d.id]))
        chosen.append(d.id)
        for p in answered[d.id]:
            kinds_for[p].add(d.kind)
        return True

    def covered(pos: int) -> int:
        return sum(1 for did in chosen if pos in answered[did])

    # 1) every flag gets two drills, whatever max_drills says
    for pos in active_known:
        if active[pos].level == "flag":
            while covered(pos) < 2 and take(pos):
                pass
    # 2) each watched finding gets one drill while there is room
    for pos in active_known:
        if len(chosen) < max_drills and covered(pos) < 1:
            take(pos)
    # 3) remaining slots round-robin over the findings, flags first
    progress = True
    while len(chosen) < max_drills and progress:
        progress = False
        for pos in active_known:
            if len(chosen) >= max_drills:
                break
            progress = take(pos) or progress

    plan = sorted((by_id[did] for did in chosen), key=rank_key)
    recs = []
    for k, d in enumerate(plan):
        because = tuple(active[p] for p in sorted(answered[d.id]))
        recs.append(_to_rec(d, k + 1, because, _why(d, because)))
    return recs


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _finding_json(f: Finding) -> dict[str, Any]:
    def num(x: float) -> float | None:
        try:
            v = float(x)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(v) or math.isinf(v) else v

    return {"marker": f.marker, "side": f.side, "level": f.level, "value": num(f.value),
            "unit": f.unit, "confidence": num(f.confidence), "evidence": f.evidence}


def recommendations_to_json(recs: Iterable[Recommendation], *,
                            catalog: Sequence[Drill] | None = None) -> list[dict[str, Any]]:
    """Return recommendations as JSON-ready dicts.

    Parameters
    ----------
    recs : iterable of Recommendation
        A plan from :func:`recommend`.
    catalog : sequence of Drill, optional
        Catalog to add each drill's ``evidence``, ``kind``, ``progression`` and
        ``caution`` from; default the packaged catalog.

    Returns
    -------
    list of dict
        One dict per recommendation; ``because`` holds a summary of each finding
        (marker, side, level, value, unit, confidence, evidence). NaN becomes None.
    """
    by_id = {d.id: d for d in (load_catalog() if catalog is None else catalog)}
    out = []
    for r in recs:
        d = by_id.get(r.drill_id)
        out.append({
            "drill_id": r.drill_id, "name": r.name, "priority": r.priority,
            "because": [_finding_json(f) for f in r.because], "why": r.why,
            "dose": r.dose, "cues": list(r.cues), "source": r.source, "phase": r.phase,
            "kind": d.kind if d else None, "evidence": d.evidence if d else None,
            "progression": d.progression if d else "", "caution": d.caution if d else "",
        })
    return out


def _wrap(label: str, text: str, width: int) -> list[str]:
    head = f"    {label:<9}"
    return textwrap.wrap(text, width=width, initial_indent=head,
                         subsequent_indent=" " * len(head)) or [head.rstrip()]


def _drill_block(d: Drill, width: int) -> list[str]:
    lines = [f"  {d.id}  -  {d.name}  [{d.kind}]"]
    lines += _wrap("phase", d.phase, width)
    lines += _wrap("dose", d.dose or "(the article gives none)", width)
    shown = [t + ("*" if t in d.primary else "") for t in d.targets]
    lines += _wrap("targets", ", ".join(shown) or "(general guidance)", width)
    lines += _wrap("purpose", d.purpose, width)
    for k, cue in enumerate(d.cues):
        lines += _wrap("cues" if k == 0 else "", f"- {cue}", width)
    if d.progression:
        lines += _wrap("progress", d.progression, width)
    if d.caution:
        lines += _wrap("caution", d.caution, width)
    return lines


def format_catalog(catalog: Sequence[Drill] | None = None, *, marker: str | None = None,
                   group_by: str = "source", width: int = 100) -> str:
    """Return a readable listing of the catalog (for ``gaitcheck drills``).

    Parameters
    ----------
    catalog : sequence of Drill, optional
        Drills to list; default the packaged catalog.
    marker : str, optional
        Only drills that address this marker (a ``*_asymmetry_pct`` name lists the drills
        of its base marker).
    group_by : {'source', 'target'}
        Group by source article (full entries) or by target marker (one line per drill).
    width : int, default 100
        Line width for wrapping.

    Returns
    -------
    str
        The listing, ending with a newline.

    Raises
    ------
    CatalogError
        ``marker`` is not a known marker name.
    ValueError
        ``group_by`` is not ``'source'`` or ``'target'``.
    """
    if group_by not in ("source", "target"):
        raise ValueError(f"group_by must be 'source' or 'target', got {group_by!r}")
    drills = tuple(load_catalog() if catalog is None else catalog)
    note = catalog_note() if catalog is None else ""
    if marker is not None:
        if marker not in KNOWN_MARKERS and _base_marker(marker) is None:
            raise CatalogError(f"unknown marker {marker!r}",
                               hint=f"known markers: {', '.join(BASE_MARKERS)}")
        drills = tuple(d for d in drills if _answers(d, marker) is not None)
    n_src = len({d.source for d in drills})
    head = f"gaitcheck drill catalog: {len(drills)} drills from {n_src} article(s)"
    if marker is not None:
        head += f" addressing {marker} ({_label(marker)})"
    lines = [head]
    if note:
        lines += textwrap.wrap(note, width=width)
    lines.append("* = the article prescribes the drill for this marker directly; other links "
                 "are supporting.")
    if group_by == "source":
        for sid in sorted({d.source for d in drills}):
            group = [d for d in drills if d.source == sid]
            d0 = group[0]
            lines += ["", f"{d0.source}  {d0.source_title}", f"     ({d0.source_file})"]
            for d in group:
                lines += _drill_block(d, width)
    else:
        markers = [marker] if marker is not None else [
            m for m in BASE_MARKERS if any(m in d.targets for d in drills)]
        for m in markers:
            group = sorted((d for d in drills if _answers(d, m) is not None),
                           key=lambda d: (not _is_primary(d, m), not _is_lead(d, m),
                                          _answers(d, m), d.source))
            lines += ["", f"{m}  ({_label(m)})"]
            lines += [f"  {d.id + ('*' if _is_primary(d, m) else ''):<27}{d.source}  {d.name}"
                      for d in group]
        guidance = [d for d in drills if not d.targets]
        if guidance and marker is None:
            lines += ["", "general guidance (no single marker)"]
            lines += [f"  {d.id:<26} {d.source}  {d.name}" for d in guidance]
    return "\n".join(lines) + "\n"
