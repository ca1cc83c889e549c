"""Reads of questionnaires, results and career data, after the permission check."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Sum

from ai.matching import RIASEC_LETTERS, Profile, SkillRating
from bilans.assessments import scoring
from bilans.assessments.instruments import DEFINITIONS, ORDER
from bilans.assessments.models import (
    Assessment,
    CareerOption,
    ContentDestruction,
    FeedbackCampaign,
    FeedbackInvitation,
    Result,
    SkillReview,
)
from bilans.models import Bilan
from config.errors import InvalidInput, NotFound
from organisations.accounts.models import Role
from organisations.permissions import (
    ensure_can_answer_assessment,
    ensure_can_view_assessments,
    has_role,
)


def _get(queryset, pk, message: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, ValidationError):
        raise NotFound(message) from None


def bilan_for(*, user, bilan_id) -> Bilan:
    try:
        bilan = Bilan.objects.select_related("beneficiary", "consultant").get(pk=bilan_id)
    except (Bilan.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Bilan introuvable.") from None
    ensure_can_view_assessments(user, bilan)
    return bilan


def bilans_for_assessments(*, user) -> QuerySet[Bilan]:
    """Bilans whose questionnaires the user may follow (consultants, administrators)."""
    from django.db.models import Q

    qs = Bilan.objects.select_related("beneficiary").order_by("beneficiary__last_name", "-created_at")
    if has_role(user, Role.ADMIN):
        return qs
    if has_role(user, Role.CONSULTANT):
        visible = [b.pk for b in qs.filter(Q(consultant=user) | Q(beneficiary__consultant=user))]
        return qs.filter(pk__in=visible)
    return qs.none()


def assessment_for_answer(*, user, assessment_id) -> Assessment:
    assessment = _get(Assessment.objects.select_related("instrument", "bilan__beneficiary"), assessment_id, "Questionnaire introuvable.")
    ensure_can_answer_assessment(user, assessment)
    return assessment


def assessment_for_view(*, user, assessment_id) -> Assessment:
    assessment = _get(Assessment.objects.select_related("instrument", "bilan__beneficiary"), assessment_id, "Questionnaire introuvable.")
    ensure_can_view_assessments(user, assessment.bilan)
    return assessment


def result_for(*, user, result_id) -> Result:
    result = _get(Result.objects.select_related("bilan__beneficiary", "assessment"), result_id, "Résultat introuvable.")
    ensure_can_view_assessments(user, result.bilan)
    return result


def my_assessments(*, user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(bilan__beneficiary__user=user).select_related("instrument", "result").order_by("status", "-created_at")


def bilan_assessments(bilan) -> QuerySet[Assessment]:
    return bilan.assessments.select_related("instrument", "result").order_by("-created_at")


def instrument_catalogue() -> list[dict]:
    return [DEFINITIONS[code] for code in ORDER]


def latest_result(bilan, code: str) -> Result | None:
    """The latest result of an instrument whose content still exists (a result destroyed at the
    end of the bilan, CT-09, has neither answers nor scores)."""
    return Result.objects.filter(bilan=bilan, instrument_code=code, destroyed_at__isnull=True).order_by("-created_at").first()


# --- retention (CT-09) -------------------------------------------------------------------------------
def content_destruction(bilan) -> ContentDestruction | None:
    """The evidence that the bilan's questionnaire content was destroyed at its end (CT-09), if
    it was: when, why, how many items."""
    return ContentDestruction.objects.filter(bilan=bilan).first()


def guided_work_seconds(bilan) -> int:
    """Time spent answering questionnaires (guided personal work) over all submitted results."""
    return Result.objects.filter(bilan=bilan).aggregate(total=Sum("guided_work_seconds"))["total"] or 0


def guided_work_minutes(bilan) -> int:
    """The same time in whole minutes, rounded to the nearest minute over the bilan's total (not
    per questionnaire). The bilan's hours summary and its 24-hour cap (CT-02) both count it as
    guided personal work."""
    return (guided_work_seconds(bilan) + 30) // 60


def progress(assessment: Assessment) -> tuple[int, int]:
    definition = assessment.instrument.definition
    if definition["scoring"]["method"] == "skills":
        from bilans.assessments.services import _skills_allowed_codes

        total = len(_skills_allowed_codes(assessment.answers))
        return len(assessment.answers.get("ratings", {})), total
    items = [item for item in scoring.iter_items(definition) if scoring.is_required(item)]
    answered = sum(1 for item in items if assessment.answers.get(item["id"]) not in (None, "", []))
    return answered, len(items)


def resume_page(assessment: Assessment) -> int:
    """The page (from 1) where the beneficiary resumes a questionnaire: the first page with a
    required question still unanswered; the last page when everything is answered."""
    sections = assessment.instrument.definition.get("sections", [])
    for number, section in enumerate(sections, start=1):
        if any(scoring.is_required(item) and assessment.answers.get(item["id"]) in (None, "", []) for item in section.get("items", [])):
            return number
    return max(1, len(sections))


# --- skills ----------------------------------------------------------------------------------------
def skills_sequence(assessment: Assessment) -> list[dict]:
    """The competences to rate, one screen each, in order: the chosen métiers' competences
    (savoir-faire first), each once; with the rating saved so far."""
    from ai.selectors import occupation_skills

    ratings = assessment.answers.get("ratings", {})
    sequence, seen = [], set()
    for occupation in assessment.answers.get("occupations", []):
        for skill, category in occupation_skills(occupation["code"]):
            if skill.code_ogr in seen:
                continue
            seen.add(skill.code_ogr)
            sequence.append({"skill": skill, "category": category, "occupation": occupation, "rating": ratings.get(str(skill.code_ogr), {})})
    return sequence


def skills_resume_position(sequence: list[dict]) -> int | None:
    """The first competence not rated yet (from 1), or None when all are rated."""
    return next((position for position, row in enumerate(sequence, start=1) if not row["rating"]), None)


@dataclass(frozen=True)
class MergedSkill:
    """One competence as career matching uses it, over every skills result of the bilan:
    ``rating`` is what matching reads; ``review`` is the consultant's latest review of the
    competence across those results (None if never reviewed) and ``review_result`` the result it
    was made on; ``self_rating`` is the beneficiary's latest rating of it and ``rating_result``
    the result holding it."""

    code: int
    rating: SkillRating
    review: SkillReview | None
    review_result: Result | None
    self_rating: dict
    rating_result: Result

    @property
    def reviewed(self) -> bool:
        return self.review is not None


def merged_skills(bilan) -> dict[int, MergedSkill]:
    """Each competence the beneficiary rated in any of the bilan's skills results, merged:
    mastery from the consultant's latest review of it across those results if any (the
    beneficiary submitting the questionnaire again does not lose the consultant's work),
    otherwise from the beneficiary's latest rating; appetite from the review when given, else
    from the beneficiary's latest rating. The single source of both career matching
    (``matching_profile``) and the review page (``skills_rows``)."""
    results = list(Result.objects.filter(bilan=bilan, instrument_code="skills").order_by("created_at", "id"))
    by_id = {result.pk: result for result in results}
    latest_rating: dict[int, tuple[dict, Result]] = {}
    for result in results:  # oldest first: a newer rating replaces an older one
        for code, rating in (result.answers or {}).get("ratings", {}).items():
            if rating.get("mastery"):
                latest_rating[int(code)] = (rating, result)
    latest_review: dict[int, SkillReview] = {}
    for review in SkillReview.objects.filter(result__in=results).order_by("reviewed_at", "id"):
        latest_review[review.skill_code] = review
    skills = {}
    for code, (rating, rating_result) in latest_rating.items():
        review = latest_review.get(code)
        mastery = review.mastery if review else rating.get("mastery")
        appetite = (review.appetite if review and review.appetite else None) or rating.get("appetite") or "neutral"
        if mastery:
            skills[code] = MergedSkill(
                code=code,
                rating=SkillRating(mastery=mastery, appetite=appetite),
                review=review,
                review_result=by_id.get(review.result_id) if review else None,
                self_rating=rating,
                rating_result=rating_result,
            )
    return skills


def skills_rows(result: Result) -> list[dict]:
    """Each competence self-assessed in ``result`` with the beneficiary's rating there and the
    consultant's review as career matching uses it: the latest review of that competence across
    all the bilan's skills results (``merged_skills``), with the result it was made on
    (``review_result``, ``review_elsewhere`` when it is not ``result``) and what matching retains
    (``used``: mastery and appetite with labels, ``source`` "review" or "self", and the result of
    the beneficiary's latest rating). ``dimensions`` lists, for each of
    the five dimensions, its label and choices, the beneficiary's answer and the consultant's
    (both views, side by side). Empty once the result is destroyed (CT-09)."""
    from ai.selectors import skills_by_codes

    fields = DEFINITIONS["skills"]["fields"]
    ratings = (result.answers or {}).get("ratings", {})
    if not ratings:
        return []
    skills = skills_by_codes(int(code) for code in ratings)
    merged = merged_skills(result.bilan)
    mastery_labels = dict(fields["mastery"]["choices"])
    appetite_labels = dict(fields["appetite"]["choices"]) if "appetite" in fields else {}
    rows = []
    for code, rating in ratings.items():
        skill = skills.get(int(code))
        entry = merged.get(int(code))
        review = entry.review if entry else None
        dimensions = []
        for name, spec in fields.items():
            labels = dict(spec["choices"])
            mine, theirs = rating.get(name, ""), getattr(review, name, "") if review else ""
            dimensions.append({
                "name": name,
                "label": spec["label"],
                "required": spec["required"],
                "choices": spec["choices"],
                "self": mine,
                "self_label": labels.get(mine, ""),
                "review": theirs,
                "review_label": labels.get(theirs, ""),
            })
        used = None
        if entry is not None:
            used = {
                "mastery": entry.rating.mastery,
                "mastery_label": mastery_labels.get(entry.rating.mastery, entry.rating.mastery),
                "appetite": entry.rating.appetite,
                "appetite_label": appetite_labels.get(entry.rating.appetite, ""),
                "source": "review" if entry.reviewed else "self",
                "rating_result": entry.rating_result,
                "rating_elsewhere": entry.rating_result.pk != result.pk,
            }
        rows.append({
            "code": int(code),
            "label": skill.label if skill else code,
            "self": rating,
            "review": review,
            "review_result": entry.review_result if entry else None,
            "review_elsewhere": bool(review and review.result_id != result.pk),
            "used": used,
            "dimensions": dimensions,
        })
    rows.sort(key=lambda row: str(row["label"]))
    return rows


def validated_skills(bilan) -> dict[int, SkillRating]:
    """The competences used by career matching, over all the bilan's skills results: the
    consultant's latest review where there is one, the beneficiary's latest rating otherwise."""
    return {code: entry.rating for code, entry in merged_skills(bilan).items()}


def unreviewed_skills(bilan) -> list[int]:
    """Codes of the competences used by matching that the consultant has not reviewed yet (the
    beneficiary's self-rating is used as it is)."""
    return sorted(code for code, entry in merged_skills(bilan).items() if not entry.reviewed)


def matching_profile(*, bilan, constraints: dict) -> tuple[Profile, dict]:
    """The beneficiary's profile for career matching, and a summary kept with an analysis."""
    merged = merged_skills(bilan)
    skills = {code: entry.rating for code, entry in merged.items()}
    riasec_result = latest_result(bilan, "riasec")
    riasec = {}
    if riasec_result is not None:
        dimensions = (riasec_result.scores or {}).get("dimensions") or {}
        riasec = {letter: d.get("score") or 0.0 for letter, d in dimensions.items() if letter in RIASEC_LETTERS}
    skills_result = latest_result(bilan, "skills")
    current = ()
    if skills_result is not None:
        occupations = (skills_result.answers or {}).get("occupations", [])
        current = tuple(o["code"] for o in occupations if o.get("current")) or tuple(o["code"] for o in occupations)
    values_result = latest_result(bilan, "values")
    values_ranking = tuple((values_result.scores or {}).get("ranking", [])) if values_result else ()
    executive = constraints.get("executive")
    profile = Profile(
        skills=skills,
        riasec=riasec,
        current_occupations=current,
        sectors_wanted=frozenset(constraints.get("sectors_wanted") or ()),
        sectors_excluded=frozenset(constraints.get("sectors_excluded") or ()),
        executive=executive if executive in (True, False) else None,
        transitions=frozenset(constraints.get("transitions") or ()),
        values_ranking=values_ranking,
    )
    summary = {
        "skills": len(skills),
        "skills_unreviewed": sum(1 for entry in merged.values() if not entry.reviewed),
        "riasec": riasec,
        "holland_code": (riasec_result.scores or {}).get("holland_code", "") if riasec_result else "",
        "current_occupations": list(current),
        "values": list(values_ranking),
    }
    return profile, summary


def career_options(bilan) -> QuerySet[CareerOption]:
    return bilan.career_options.order_by("-kind", "scenario", "created_at")  # main project first


def career_option_for(*, bilan, option_id) -> CareerOption:
    """One of the bilan's projects from a posted identifier: InvalidInput when it is not a UUID,
    NotFound when the bilan has no such project."""
    try:
        pk = uuid.UUID(str(option_id or "").strip())
    except ValueError:
        raise InvalidInput("Identifiant de projet invalide.", code="invalid_option") from None
    option = career_options(bilan).filter(pk=pk).first()
    if option is None:
        raise NotFound("Projet introuvable.", code="option_not_found")
    return option


def my_career_options(*, user) -> QuerySet[CareerOption]:
    return CareerOption.objects.filter(bilan__beneficiary__user=user).order_by("bilan", "-kind", "scenario", "created_at")


def my_content_destructions(*, user) -> QuerySet[ContentDestruction]:
    """The beneficiary's bilans whose questionnaire content was destroyed at their end (CT-09)."""
    return ContentDestruction.objects.filter(bilan__beneficiary__user=user).order_by("-destroyed_at")


def feedback_campaigns(bilan) -> QuerySet[FeedbackCampaign]:
    return bilan.feedback_campaigns.prefetch_related("invitations").order_by("-created_at")


def feedback_invitation_for(*, user, invitation_id) -> FeedbackInvitation:
    """One 360° invitation for a decision: 404 when unknown (or malformed), 403 when the user
    may not see its bilan. Deciding is checked by the service (the bilan's consultant)."""
    invitation = _get(
        FeedbackInvitation.objects.select_related("campaign__bilan__beneficiary", "campaign__bilan__consultant"),
        invitation_id,
        "Invitation introuvable.",
    )
    ensure_can_view_assessments(user, invitation.campaign.bilan)
    return invitation


def feedback_invitations_overview(campaign: FeedbackCampaign) -> dict:
    """The invitations of a campaign by status (the list the consultant approves), and the
    numbers. Never whether or when one person answered (anonymity)."""
    invitations = sorted(campaign.invitations.all(), key=lambda i: (i.status != FeedbackInvitation.Status.PENDING, i.email))
    counts = {status: 0 for status in FeedbackInvitation.Status.values}
    for invitation in invitations:
        counts[invitation.status] += 1
    return {"invitations": invitations, **counts, "total": len(invitations)}


def feedback_results(campaign: FeedbackCampaign) -> dict:
    """Aggregated answers over complete groups of ``campaign.threshold`` answers (in submission
    order): nothing below the threshold, never one person's answers, not even by difference."""
    codes = [str(c["code"]) for c in campaign.competences or []]
    responses = campaign.responses.order_by("group", "id").values_list("ratings", flat=True)
    aggregate = scoring.aggregate_feedback(codes, responses, threshold=campaign.threshold)
    aggregate["rows"] = [
        {"code": c["code"], "label": c["label"], **aggregate["means"].get(str(c["code"]), {"mean": None, "count": 0})}
        for c in campaign.competences or []
    ]
    return aggregate
