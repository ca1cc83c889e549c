"""Reads of the ROME referential for pages and the API (no HTTP here)."""
from __future__ import annotations

from dataclasses import dataclass

from ai.models import ROME_CREDIT, Occupation, OccupationSkill, RomeVersion, Skill
from config.errors import NotFound


def rome_credit() -> str:
    version = RomeVersion.objects.order_by("-version").values_list("version", flat=True).first()
    return ROME_CREDIT.format(version=version or 460)


@dataclass
class OccupationSheet:
    occupation: Occupation
    job_titles: list
    skills_by_category: list[tuple[str, list[tuple[str, list[Skill]]]]]  # (category label, [(subcategory, skills)])
    knowledge_by_category: list[tuple[str, list]]
    contexts_by_type: list[tuple[str, list]]
    mobilities: list
    sectors: list
    interest_centres: list
    credit: str


def occupation_get(code_rome: str) -> Occupation:
    occupation = Occupation.objects.select_related("domain__grand_domain").filter(code_rome=(code_rome or "").upper()).first()
    if occupation is None:
        raise NotFound("Fiche métier introuvable.", code="occupation_not_found")
    return occupation


def occupation_sheet(code_rome: str) -> OccupationSheet:
    occupation = occupation_get(code_rome)
    skills: dict[str, dict[str, list[Skill]]] = {}
    for link in OccupationSkill.objects.filter(occupation=occupation).select_related("skill").order_by("skill__label"):
        skill = link.skill
        subcategory = skill.subcategory or ("Savoir-être professionnels" if link.category == "savoir_etre" else "Autres")
        skills.setdefault(link.category, {}).setdefault(subcategory, []).append(skill)
    labels = dict(Skill.Category.choices)
    skills_by_category = [
        (labels[category] + "s" if category == "savoir_faire" else "Savoir-être professionnels", sorted(groups.items()))
        for category, groups in sorted(skills.items())
    ]
    knowledge: dict[str, list] = {}
    for link in occupation.knowledge_links.select_related("knowledge").order_by("knowledge__label"):
        knowledge.setdefault(link.knowledge.category or "Autres", []).append(link.knowledge)
    contexts: dict[str, list] = {}
    for link in occupation.context_links.select_related("context").order_by("context__type_code", "context__label"):
        contexts.setdefault(link.context.type_label or "Autres", []).append(link.context)
    return OccupationSheet(
        occupation=occupation,
        job_titles=list(occupation.job_titles.order_by("-is_principal", "label")),
        skills_by_category=skills_by_category,
        knowledge_by_category=sorted(knowledge.items()),
        contexts_by_type=list(contexts.items()),
        mobilities=list(occupation.mobilities.select_related("target").order_by("rank")),
        sectors=list(occupation.sector_links.select_related("sector__parent").order_by("-principal", "sector__label")),
        interest_centres=list(occupation.interest_links.select_related("centre").order_by("-principal", "centre__label")),
        credit=rome_credit(),
    )


def occupation_skills(code_rome: str) -> list[tuple[Skill, str]]:
    """Competences of a métier (skill, category), savoir-faire first, for the self-assessment."""
    links = OccupationSkill.objects.filter(occupation_id=code_rome).select_related("skill").order_by("category", "skill__label")
    return [(link.skill, link.category) for link in links]


def occupations_by_codes(codes) -> dict[str, Occupation]:
    return {o.code_rome: o for o in Occupation.objects.filter(code_rome__in=list(codes))}


def skills_by_codes(codes) -> dict[int, Skill]:
    return {s.code_ogr: s for s in Skill.objects.filter(code_ogr__in=list(codes))}


def occupations_by_riasec(code: str, *, limit: int = 12) -> list[Occupation]:
    """Métiers whose ROME RIASEC code matches the first two letters of a Holland code (major and
    minor), then the major letter alone, in ROME order."""
    code = (code or "").upper()
    if not code:
        return []
    exact = list(Occupation.objects.filter(riasec_major=code[0], riasec_minor=code[1:2]).order_by("code_rome")[:limit])
    if len(exact) < limit:
        exact += list(Occupation.objects.filter(riasec_major=code[0]).exclude(riasec_minor=code[1:2]).order_by("code_rome")[: limit - len(exact)])
    return exact
