"""Small frozen records passed between the findings, drills and report stages."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Finding", "Recommendation", "LEVELS", "EVIDENCE_LEVELS"]

#: Finding levels, from harmless to worth acting on.
LEVELS: tuple[str, ...] = ("ok", "watch", "flag")

#: Strength of the evidence behind a band or a drill, strongest first.
EVIDENCE_LEVELS: tuple[str, ...] = ("strong", "moderate", "limited", "expert opinion")


@dataclass(frozen=True)
class Finding:
    """A marker judged against its band.

    Parameters
    ----------
    marker : str
        Registered marker name (unit in the name), e.g. ``overstride_ic_pct_leg``.
    side : str
        ``'l'``, ``'r'`` or ``'both'`` (whole-body markers and asymmetries).
    level : str
        ``'ok'``, ``'watch'`` or ``'flag'`` (see :data:`LEVELS`).
    value : float
        The runner's per-side median.
    unit : str
        Unit of ``value`` (``'%leg'``, ``'deg'``, ``'ms'``, ``'steps/min'``...).
    band : dict
        The band applied (thresholds, direction, dead-band) as loaded from the bands file.
    evidence : str
        Strength of the evidence behind the band (see :data:`EVIDENCE_LEVELS`).
    text : str
        Plain-language sentence: what the video shows and what it is consistent with.
        Never a diagnosis.
    confidence : float
        Confidence in the measurement, 0..1.
    references : tuple of str
        Short citations behind the band.
    """

    marker: str
    side: str
    level: str
    value: float
    unit: str
    band: dict = field(default_factory=dict)
    evidence: str = "expert opinion"
    text: str = ""
    confidence: float = 1.0
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    """One drill in the runner's plan.

    Parameters
    ----------
    drill_id : str
        Id in the drill catalog.
    name : str
        Drill name.
    priority : int
        1 = do first.
    because : tuple of Finding
        The findings this drill answers (empty for a maintenance plan).
    why : str
        Why, following the source article's reasoning, in plain language.
    dose : str
        Sets, reps, minutes per side, as the article gives it ("" when it gives none).
    cues : tuple of str
        How to do it well, in gaitcheck's own words.
    source : str
        The article it comes from (file name in the seeds folder and title).
    phase : str
        Phase or progression step, where the article has one.
    """

    drill_id: str
    name: str
    priority: int
    because: tuple[Finding, ...] = ()
    why: str = ""
    dose: str = ""
    cues: tuple[str, ...] = ()
    source: str = ""
    phase: str = ""
