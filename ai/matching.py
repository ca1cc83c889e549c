"""Career matching against the ROME 4.0 referential: pure, deterministic functions.

``rank(profile, referential)`` scores every métier (fiche ROME) for a beneficiary's profile and
returns them best first, each with its score breakdown, its gap matrix (competences held, partly
held, missing) and reasons in plain French. ``load_referential()`` reads the facts the ranking
needs from the database once per loaded ROME version; everything else is computation.

Score (0–100) = weighted mean of the available components (weights renormalised when a
component has no data, e.g. no RIASEC result yet):
- competences (0.5): mean over the métier's competences of mastery × appetite, where mastery is
  beginner 0.25 / intermediate 0.5 / advanced 0.75 / expert 1 and appetite likes 1 / neutral 0.8 /
  dislikes 0.4 (a competence not held counts 0);
- RIASEC congruence (0.3): the beneficiary's score (0–100) on the métier's major letter, with
  the minor letter weighing 30 % when the métier has one;
- mobility proximity (0.2): 100 for a current métier, 90 down to 46 for ROME's close métiers
  (rank 1 to 12), 30 in the same professional domain, 15 in the same grand domain, else 0.
Constraints filter métiers out (sectors wanted or excluded, executive job or not, transition flags).
Work values do not change the score; the reasons point out ROME working contexts that clash with
or suit the two values ranked first (atypical hours, working on one's own account). They are
deliberately kept out of the score: the ROME describes working contexts for only two of the six
values (conditions de travail, autonomie), and only as conditions a métier *may* involve, so a
values component would rank on four values by absence of data and on the other two by
possibility. The matching pages say so plainly.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MASTERY_WEIGHTS = {"beginner": 0.25, "intermediate": 0.5, "advanced": 0.75, "expert": 1.0}
MASTERY_LABELS = {"beginner": "débutant", "intermediate": "intermédiaire", "advanced": "avancé", "expert": "expert"}
HELD_LEVELS = frozenset({"advanced", "expert"})
APPETITE_WEIGHTS = {"likes": 1.0, "neutral": 0.8, "dislikes": 0.4}
RIASEC_LETTERS = "RIASEC"
RIASEC_NAMES = {
    "R": "Réaliste",
    "I": "Investigateur",
    "A": "Artistique",
    "S": "Social",
    "E": "Entreprenant",
    "C": "Conventionnel",
}
# Work values (values instrument) echoed in the reasons, never in the score: ROME working
# contexts that matter to someone who ranks the value among their first two.
ATYPICAL_HOURS = frozenset({
    "Travail de nuit", "Travail le dimanche", "Travail les week-ends et jours fériés", "Travail le samedi",
    "Travail en astreinte", "Travail en horaires décalés", "Travail posté (2x8, 3x8, 5x8, etc.)",
    "Travail par roulement", "Travail en horaires fractionnés",
})
INDEPENDENT_STATUSES = frozenset({"Travailleur indépendant", "Profession libérale"})
TRANSITIONS = {"eco": "transition écologique", "num": "transition numérique", "demo": "transition démographique"}


@dataclass(frozen=True)
class Weights:
    competences: float = 0.5
    riasec: float = 0.3
    mobility: float = 0.2


@dataclass(frozen=True)
class SkillRating:
    mastery: str  # a key of MASTERY_WEIGHTS
    appetite: str = "neutral"  # a key of APPETITE_WEIGHTS

    @property
    def value(self) -> float:
        return MASTERY_WEIGHTS.get(self.mastery, 0.0) * APPETITE_WEIGHTS.get(self.appetite, APPETITE_WEIGHTS["neutral"])


@dataclass(frozen=True)
class Profile:
    skills: Mapping[int, SkillRating] = field(default_factory=dict)
    riasec: Mapping[str, float] = field(default_factory=dict)  # letter -> 0..100
    current_occupations: tuple[str, ...] = ()
    sectors_wanted: frozenset[str] = frozenset()
    sectors_excluded: frozenset[str] = frozenset()
    executive: bool | None = None  # True: executive jobs only; False: non-executive only
    transitions: frozenset[str] = frozenset()  # subset of TRANSITIONS: métiers flagged for all of them
    values_ranking: tuple[str, ...] = ()  # work values, most important first (reasons only)


@dataclass(frozen=True)
class OccupationFacts:
    code: str
    label: str
    skills: tuple[int, ...]
    riasec_major: str = ""
    riasec_minor: str = ""
    executive: bool = False
    transition_eco: bool = False
    transition_num: bool = False
    transition_demo: bool = False
    sectors: frozenset[str] = frozenset()
    domain: str = ""
    contexts: frozenset[str] = frozenset()  # ROME working contexts relevant to work values


@dataclass(frozen=True)
class Referential:
    version: int
    occupations: Mapping[str, OccupationFacts]
    mobility: Mapping[str, Mapping[str, int]]  # source code -> target code -> rank (1 = closest)
    skill_labels: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Gap:
    held: tuple[int, ...]
    partial: tuple[int, ...]
    missing: tuple[int, ...]


@dataclass(frozen=True)
class Match:
    code: str
    label: str
    score: float
    competences: float | None
    riasec: float | None
    mobility: float | None
    gap: Gap
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "code_rome": self.code,
            "label": self.label,
            "score": self.score,
            "breakdown": {"competences": self.competences, "riasec": self.riasec, "mobility": self.mobility},
            "gap": {"held": list(self.gap.held), "partial": list(self.gap.partial), "missing": list(self.gap.missing)},
            "reasons": list(self.reasons),
        }


# --- components ----------------------------------------------------------------------------------
def competence_score(profile: Profile, occupation: OccupationFacts) -> tuple[float | None, Gap]:
    """Mean of mastery × appetite over the métier's competences (0–100) and the gap matrix."""
    held, partial, missing = [], [], []
    total = 0.0
    for code in occupation.skills:
        rating = profile.skills.get(code)
        if rating is None or rating.mastery not in MASTERY_WEIGHTS:
            missing.append(code)
            continue
        total += rating.value
        (held if rating.mastery in HELD_LEVELS else partial).append(code)
    gap = Gap(tuple(sorted(held)), tuple(sorted(partial)), tuple(sorted(missing)))
    if not occupation.skills or not profile.skills:
        return None, gap
    return 100.0 * total / len(occupation.skills), gap


def riasec_congruence(scores: Mapping[str, float], major: str, minor: str = "") -> float | None:
    if not scores or not major:
        return None
    major_score = float(scores.get(major, 0.0))
    if not minor:
        return major_score
    return 0.7 * major_score + 0.3 * float(scores.get(minor, 0.0))


def mobility_proximity(profile: Profile, occupation: OccupationFacts, referential: Referential) -> tuple[float | None, str]:
    """Proximity to the closest current métier (0–100) and that métier's code."""
    if not profile.current_occupations:
        return None, ""
    best, best_code = 0.0, ""
    for current in profile.current_occupations:
        if current == occupation.code:
            return 100.0, current
        rank_ = referential.mobility.get(current, {}).get(occupation.code)
        source = referential.occupations.get(current)
        if rank_ is not None:
            value = max(46.0, 90.0 - 4.0 * (rank_ - 1))
        elif source is not None and source.domain and source.domain == occupation.domain:
            value = 30.0
        elif source is not None and source.domain and occupation.domain and source.domain[0] == occupation.domain[0]:
            value = 15.0
        else:
            value = 0.0
        if value > best:
            best, best_code = value, current
    return best, best_code


def passes_constraints(profile: Profile, occupation: OccupationFacts) -> bool:
    if profile.executive is not None and occupation.executive != profile.executive:
        return False
    if profile.sectors_excluded and occupation.sectors & profile.sectors_excluded:
        return False
    if profile.sectors_wanted and not occupation.sectors & profile.sectors_wanted:
        return False
    flags = {"eco": occupation.transition_eco, "num": occupation.transition_num, "demo": occupation.transition_demo}
    return all(flags.get(name, False) for name in profile.transitions)


def combine(components: Mapping[str, float | None], weights: Weights) -> float:
    weighted = [(value, getattr(weights, name)) for name, value in components.items() if value is not None]
    total_weight = sum(weight for _, weight in weighted)
    if total_weight <= 0:
        return 0.0
    return sum(value * weight for value, weight in weighted) / total_weight


# --- ranking -------------------------------------------------------------------------------------
def match_occupation(profile: Profile, occupation: OccupationFacts, referential: Referential, weights: Weights = Weights()) -> Match:
    competences, gap = competence_score(profile, occupation)
    riasec = riasec_congruence(profile.riasec, occupation.riasec_major, occupation.riasec_minor)
    mobility, closest = mobility_proximity(profile, occupation, referential)
    score = combine({"competences": competences, "riasec": riasec, "mobility": mobility}, weights)
    reasons = explain(occupation, gap, competences, riasec, mobility, closest, profile, referential)
    return Match(
        code=occupation.code,
        label=occupation.label,
        score=round(score, 1),
        competences=None if competences is None else round(competences, 1),
        riasec=None if riasec is None else round(riasec, 1),
        mobility=None if mobility is None else round(mobility, 1),
        gap=gap,
        reasons=reasons,
    )


def rank(profile: Profile, referential: Referential, weights: Weights = Weights(), limit: int | None = None) -> list[Match]:
    """Every métier that passes the constraints, best first (ties: ROME code order)."""
    matches = [
        match_occupation(profile, occupation, referential, weights)
        for occupation in referential.occupations.values()
        if passes_constraints(profile, occupation)
    ]
    matches.sort(key=lambda match: (-match.score, match.code))
    return matches if limit is None else matches[:limit]


def explain(
    occupation: OccupationFacts,
    gap: Gap,
    competences: float | None,
    riasec: float | None,
    mobility: float | None,
    closest: str,
    profile: Profile,
    referential: Referential,
) -> tuple[str, ...]:
    reasons = []
    total = len(occupation.skills)
    if competences is None:
        reasons.append("Compétences : pas encore d'autoévaluation validée, ce critère n'est pas pris en compte.")
    else:
        owned = len(gap.held) + len(gap.partial)
        reasons.append(
            f"Compétences : vous en avez {owned} sur {total} ({len(gap.held)} maîtrisée{'s' if len(gap.held) > 1 else ''}, "
            f"{len(gap.partial)} en partie) ; {len(gap.missing)} à acquérir. Note : {competences:.0f}/100."
        )
    if riasec is None:
        reasons.append("Intérêts : pas de résultat RIASEC, ce critère n'est pas pris en compte.")
    else:
        letters = [occupation.riasec_major] + ([occupation.riasec_minor] if occupation.riasec_minor else [])
        detail = ", ".join(f"{RIASEC_NAMES.get(letter, letter)} {float(profile.riasec.get(letter, 0)):.0f}/100" for letter in letters)
        reasons.append(f"Intérêts : le métier est de type {''.join(letters)} ; vos scores : {detail}. Concordance : {riasec:.0f}/100.")
    if mobility is None:
        reasons.append("Mobilité : aucun métier actuel renseigné, ce critère n'est pas pris en compte.")
    else:
        source = referential.occupations.get(closest)
        name = f"« {source.label} »" if source else "votre métier actuel"
        if mobility >= 100:
            reasons.append(f"Mobilité : c'est votre métier actuel {name}.")
        elif mobility >= 46:
            reasons.append(f"Mobilité : métier proche de {name} selon le ROME. Proximité : {mobility:.0f}/100.")
        elif mobility >= 30:
            reasons.append(f"Mobilité : même domaine professionnel que {name}. Proximité : {mobility:.0f}/100.")
        elif mobility > 0:
            reasons.append(f"Mobilité : même grand domaine que {name}. Proximité : {mobility:.0f}/100.")
        else:
            reasons.append("Mobilité : reconversion vers un domaine différent de votre métier actuel.")
    top_values = profile.values_ranking[:2]
    hours = sorted(occupation.contexts & ATYPICAL_HOURS)
    if "working_conditions" in top_values and hours:
        reasons.append(
            "Valeurs : les conditions de travail comptent beaucoup pour vous ; ce métier peut demander : "
            + ", ".join(h[0].lower() + h[1:] for h in hours) + "."
        )
    if "independence" in top_values and occupation.contexts & INDEPENDENT_STATUSES:
        reasons.append("Valeurs : l'autonomie compte beaucoup pour vous ; ce métier s'exerce aussi à son compte.")
    return tuple(reasons)


def compare(options: Iterable[Mapping[str, float]], weights: Mapping[str, float]) -> list[float]:
    """Weighted total (0–100) of each option's criteria (each 0–100), for a side-by-side
    comparison of 2 or 3 career options; criteria without weight count 0."""
    total_weight = sum(max(0.0, float(w)) for w in weights.values())
    results = []
    for option in options:
        if total_weight <= 0:
            results.append(0.0)
            continue
        value = sum(float(option.get(name, 0.0)) * max(0.0, float(w)) for name, w in weights.items()) / total_weight
        results.append(round(value, 1))
    return results


# --- loading the facts from the database ----------------------------------------------------------
_cache: dict[tuple, Referential] = {}
_cache_lock = threading.Lock()


def load_referential() -> Referential:
    """The facts of every métier, read once per loaded ROME version (and per process)."""
    from ai.models import Mobility, Occupation, OccupationContext, OccupationSector, OccupationSkill, RomeVersion, Skill

    version = RomeVersion.objects.order_by("-version").values_list("version", "checksum", "imported_at").first()
    key = tuple(version or ())
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    skills: dict[str, list[int]] = {}
    for occupation_id, skill_id in OccupationSkill.objects.order_by("occupation_id", "skill_id").values_list("occupation_id", "skill_id"):
        skills.setdefault(occupation_id, []).append(skill_id)
    sectors: dict[str, set[str]] = {}
    for occupation_id, sector_id, parent_id in OccupationSector.objects.values_list("occupation_id", "sector_id", "sector__parent_id"):
        sectors.setdefault(occupation_id, set()).add(parent_id or sector_id)
    mobility: dict[str, dict[str, int]] = {}
    for source, target, rank_ in Mobility.objects.values_list("source_id", "target_id", "rank"):
        mobility.setdefault(source, {})[target] = rank_
    contexts: dict[str, set[str]] = {}
    wanted = ATYPICAL_HOURS | INDEPENDENT_STATUSES
    for occupation_id, label in OccupationContext.objects.filter(context__label__in=wanted).values_list("occupation_id", "context__label"):
        contexts.setdefault(occupation_id, set()).add(label)
    green = ("Emploi Vert", "Emploi stratégique pour la Transition écologique")
    occupations = {
        row["code_rome"]: OccupationFacts(
            code=row["code_rome"],
            label=row["label"],
            skills=tuple(skills.get(row["code_rome"], ())),
            riasec_major=row["riasec_major"],
            riasec_minor=row["riasec_minor"],
            executive=row["executive"],
            transition_eco=row["transition_eco"] in green,
            transition_num=row["transition_num"],
            transition_demo=row["transition_demo"],
            sectors=frozenset(sectors.get(row["code_rome"], ())),
            domain=row["domain_id"] or "",
            contexts=frozenset(contexts.get(row["code_rome"], ())),
        )
        for row in Occupation.objects.order_by("code_rome").values(
            "code_rome", "label", "riasec_major", "riasec_minor", "executive", "transition_eco", "transition_num",
            "transition_demo", "domain_id",
        )
    }
    linked = {code for codes in skills.values() for code in codes}
    labels = dict(Skill.objects.filter(code_ogr__in=linked).values_list("code_ogr", "label"))
    referential = Referential(version=key[0] if key else 0, occupations=occupations, mobility=mobility, skill_labels=labels)
    with _cache_lock:
        _cache.clear()
        _cache[key] = referential
    return referential
