"""Writes of the questionnaire engine, the 360° feedback and the career options."""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from bilans.assessments import billing, scoring
from bilans.assessments.instruments import DEFINITIONS
from bilans.assessments.models import (
    Assessment,
    CareerAnalysis,
    CareerOption,
    ContentDestruction,
    FeedbackCampaign,
    FeedbackInvitation,
    FeedbackResponse,
    Instrument,
    Result,
    SkillReview,
)
from config.dramatiq import enqueue_on_commit
from config.errors import Conflict, InvalidInput, NotFound
from organisations.accounts.services import audit_event_record
from organisations.permissions import (
    can_manage_assessments,
    ensure_can_answer_assessment,
    ensure_can_manage_assessments,
    ensure_can_view_assessments,
)

# Time between two saves counted as guided personal work, at most (a page left open overnight
# does not count as a night of work).
MAX_SECONDS_PER_PAGE = 15 * 60
MAX_FEEDBACK_INVITATIONS = 20
DEFAULT_MAX_PROJECTS = 3
SCENARIOS = ("A", "B", "C")
MAX_REJECTION_REASON = 500
# CT-09: the bilan statuses after which its content is destroyed (as bilans.services.retention_purge)
ENDED_STATUSES = ("finished", "follow_up_done", "closed", "abandoned")
DESTRUCTION_REASON = "fin du bilan (R6313-7)"


def _checksum(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _ensure_not_destroyed(bilan) -> None:
    """Nothing new once the bilan's questionnaire content was destroyed at its end (CT-09)."""
    if ContentDestruction.objects.filter(bilan=bilan).exists():
        raise Conflict(
            "Les questionnaires et résultats de ce bilan ont été détruits à la fin du bilan (R6313-7).", code="assessments_destroyed"
        )


def instrument_current(code: str) -> Instrument:
    """The row of the shipped version of an instrument (created on first use in this schema)."""
    definition = DEFINITIONS.get(code)
    if definition is None:
        raise NotFound("Questionnaire inconnu.", code="instrument_not_found")
    defaults = {"kind": definition["kind"], "title": definition["title"], "definition": definition, "checksum": _checksum(definition)}
    try:
        with transaction.atomic():
            instrument, _ = Instrument.objects.get_or_create(code=code, version=definition["version"], defaults=defaults)
    except IntegrityError:  # created concurrently by another request
        instrument = Instrument.objects.get(code=code, version=definition["version"])
    return instrument


# --- assessments -----------------------------------------------------------------------------------
@transaction.atomic
def assessment_assign(*, bilan, instrument_code: str, actor) -> Assessment:
    """Give an instrument to the bilan's beneficiary (refused when outside the forfait)."""
    ensure_can_manage_assessments(actor, bilan)
    _ensure_not_destroyed(bilan)
    instrument = instrument_current(instrument_code)
    billing.forfait_ensure(bilan=bilan, action_code=instrument.definition.get("action_code", ""))
    if Assessment.objects.filter(bilan=bilan, instrument=instrument, status=Assessment.Status.IN_PROGRESS).exists():
        raise Conflict("Ce questionnaire est déjà en cours pour ce bilan.", code="assessment_already_open")
    assessment = Assessment.objects.create(bilan=bilan, instrument=instrument, assigned_by=actor)
    audit_event_record(action="assessment.assigned", actor=actor, target=assessment, details={"instrument": instrument_code})
    user = bilan.beneficiary.user
    if user is not None:
        from organisations.services import notification_create

        notification_create(
            recipient=user,
            kind="assessment_assigned",
            title=f"Nouveau questionnaire : {instrument.title}",
            url=f"/questionnaires/{assessment.pk}/",
            email=True,
        )
    return assessment


def _ensure_open(assessment: Assessment) -> None:
    if assessment.destroyed_at is not None:
        raise Conflict("Ce questionnaire a été détruit à la fin du bilan (R6313-7).", code="assessment_destroyed")
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise Conflict("Ce questionnaire est terminé : ses réponses ne peuvent plus changer.", code="assessment_submitted")


def _count_time(assessment: Assessment, now: datetime) -> None:
    if assessment.page_served_at is not None:
        elapsed = (now - assessment.page_served_at).total_seconds()
        assessment.time_spent_seconds += int(max(0, min(elapsed, MAX_SECONDS_PER_PAGE)))
    assessment.page_served_at = now


@transaction.atomic
def assessment_page_served(*, assessment: Assessment, actor, now: datetime | None = None) -> Assessment:
    """A page of the questionnaire was shown to the beneficiary: the time until the next save
    counts as guided personal work."""
    ensure_can_answer_assessment(actor, assessment)
    if assessment.status == Assessment.Status.IN_PROGRESS and assessment.destroyed_at is None:
        Assessment.objects.filter(pk=assessment.pk, destroyed_at__isnull=True).update(page_served_at=now or timezone.now())
    return assessment


@transaction.atomic
def assessment_save(*, assessment: Assessment, actor, answers: dict, now: datetime | None = None) -> Assessment:
    """Save some answers (a page): validated item by item, merged with the previous ones."""
    ensure_can_answer_assessment(actor, assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _ensure_open(assessment)
    definition = assessment.instrument.definition
    items = {item["id"]: item for item in scoring.iter_items(definition)}
    merged = dict(assessment.answers)
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            raise InvalidInput("Question inconnue.", code="unknown_item")
        if value in (None, "", []):
            merged.pop(item_id, None)
            continue
        merged[item_id] = scoring.validate_answer(definition, item, value)
    assessment.answers = merged
    _count_time(assessment, now or timezone.now())
    assessment.save(update_fields=["answers", "time_spent_seconds", "page_served_at", "updated_at"])
    return assessment


@transaction.atomic
def skills_occupation_add(*, assessment: Assessment, actor, code_rome: str, current: bool = False) -> Assessment:
    """Add a past or current métier to a skills self-assessment."""
    from ai.selectors import occupation_get

    ensure_can_answer_assessment(actor, assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _ensure_open(assessment)
    occupation = occupation_get(code_rome)
    answers = dict(assessment.answers)
    occupations = [o for o in answers.get("occupations", []) if o["code"] != occupation.code_rome]
    if len(occupations) >= assessment.instrument.definition.get("max_occupations", 5):
        raise InvalidInput("Vous pouvez choisir au plus 5 métiers.", code="too_many_occupations")
    if current:
        occupations = [{**o, "current": False} for o in occupations]
    occupations.append({"code": occupation.code_rome, "label": occupation.label, "current": bool(current)})
    answers["occupations"] = occupations
    assessment.answers = answers
    assessment.save(update_fields=["answers", "updated_at"])
    return assessment


@transaction.atomic
def skills_occupation_remove(*, assessment: Assessment, actor, code_rome: str) -> Assessment:
    ensure_can_answer_assessment(actor, assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _ensure_open(assessment)
    answers = dict(assessment.answers)
    answers["occupations"] = [o for o in answers.get("occupations", []) if o["code"] != code_rome]
    assessment.answers = answers
    assessment.save(update_fields=["answers", "updated_at"])
    return assessment


def _skills_allowed_codes(answers: dict) -> set[int]:
    from ai.models import OccupationSkill

    codes = [o["code"] for o in answers.get("occupations", [])]
    return set(OccupationSkill.objects.filter(occupation_id__in=codes).values_list("skill_id", flat=True))


def validate_skill_rating(definition: dict, rating: dict, *, require_mastery: bool = True) -> dict:
    clean = {}
    for name, spec in definition["fields"].items():
        value = (rating.get(name) or "").strip()
        if not value:
            if spec["required"] and require_mastery:
                raise InvalidInput(f"Indiquez le niveau de {spec['label'].lower()}.", code="rating_required")
            continue
        if value not in {code for code, _ in spec["choices"]}:
            raise InvalidInput("Choisissez une des réponses proposées.", code="invalid_answer")
        clean[name] = value
    return clean


@transaction.atomic
def skills_ratings_save(*, assessment: Assessment, actor, ratings: dict, now: datetime | None = None) -> Assessment:
    """Save ratings ``{skill code: {mastery, frequency, context, appetite, potential}}`` of
    competences of the chosen métiers; a rating without mastery is cleared."""
    ensure_can_answer_assessment(actor, assessment)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _ensure_open(assessment)
    definition = assessment.instrument.definition
    allowed = _skills_allowed_codes(assessment.answers)
    answers = dict(assessment.answers)
    stored = dict(answers.get("ratings", {}))
    for code, rating in ratings.items():
        try:
            skill_code = int(code)
        except (TypeError, ValueError):
            raise InvalidInput("Compétence inconnue.", code="unknown_skill") from None
        if skill_code not in allowed:
            raise InvalidInput("Cette compétence ne fait pas partie des métiers choisis.", code="unknown_skill")
        if not (rating or {}).get("mastery"):
            stored.pop(str(skill_code), None)
            continue
        stored[str(skill_code)] = validate_skill_rating(definition, rating)
    answers["ratings"] = stored
    assessment.answers = answers
    _count_time(assessment, now or timezone.now())
    assessment.save(update_fields=["answers", "time_spent_seconds", "page_served_at", "updated_at"])
    return assessment


def _missing(assessment: Assessment) -> list[str]:
    definition = assessment.instrument.definition
    if definition["scoring"]["method"] == "skills":
        answers = assessment.answers
        if not answers.get("occupations"):
            return ["occupations"]
        return [] if answers.get("ratings") else ["ratings"]
    return scoring.missing_items(definition, assessment.answers)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, actor, now: datetime | None = None) -> Result:
    """Score complete answers into an immutable result and charge its credits once."""
    ensure_can_answer_assessment(actor, assessment)
    assessment = Assessment.objects.select_for_update().select_related("instrument", "bilan").get(pk=assessment.pk)
    _ensure_open(assessment)
    missing = _missing(assessment)
    if missing:
        raise InvalidInput(
            f"Il reste {len(missing)} question{'s' if len(missing) > 1 else ''} sans réponse.",
            code="answers_missing",
            extra={"missing": missing},
        )
    now = now or timezone.now()
    _count_time(assessment, now)
    instrument = assessment.instrument
    result = Result.objects.create(
        assessment=assessment,
        bilan=assessment.bilan,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        kind=instrument.kind,
        answers=assessment.answers,
        scores=scoring.score(instrument.definition, assessment.answers),
        guided_work_seconds=assessment.time_spent_seconds,
    )
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = now
    assessment.page_served_at = None
    assessment.save(update_fields=["status", "submitted_at", "time_spent_seconds", "page_served_at", "updated_at"])
    billing.charge(bilan=assessment.bilan, action_code=instrument.definition.get("action_code", ""), actor=actor, key_id=result.pk)
    audit_event_record(
        action="assessment.submitted",
        actor=actor,
        target=result,
        details={"instrument": instrument.code, "version": instrument.version, "guided_work_seconds": result.guided_work_seconds},
    )
    consultant = assessment.bilan.consultant or assessment.bilan.beneficiary.consultant
    if consultant is not None:
        from organisations.services import notification_create

        notification_create(
            recipient=consultant,
            kind="assessment_submitted",
            title=f"Questionnaire terminé : {instrument.title}",
            url=f"/resultats/{result.pk}/",
        )
    return result


REVIEW_FIELDS = ("mastery", "frequency", "context", "appetite", "potential")


@transaction.atomic
def skill_review_save(
    *,
    result: Result,
    actor,
    skill_code: int,
    mastery: str,
    frequency: str = "",
    context: str = "",
    appetite: str = "",
    potential: str = "",
    comment: str = "",
) -> SkillReview:
    """The consultant's rating of one self-assessed competence on the five dimensions of the
    self-assessment (mastery required; an empty optional dimension keeps the beneficiary's
    answer). The beneficiary's own rating stays in the immutable result: both views are kept."""
    ensure_can_manage_assessments(actor, result.bilan)
    if result.destroyed_at is not None:
        raise Conflict("Ce résultat a été détruit à la fin du bilan (R6313-7).", code="result_destroyed")
    if result.kind != "skills":
        raise InvalidInput("Seule l'autoévaluation des compétences se relit ainsi.", code="not_a_skills_result")
    if str(skill_code) not in result.answers.get("ratings", {}):
        raise InvalidInput("Cette compétence n'a pas été évaluée par le bénéficiaire.", code="unknown_skill")
    definition = DEFINITIONS["skills"]
    values = {"mastery": mastery, "frequency": frequency, "context": context, "appetite": appetite, "potential": potential}
    clean = validate_skill_rating(definition, values)
    review, _ = SkillReview.objects.update_or_create(
        result=result,
        skill_code=int(skill_code),
        defaults={
            **{name: clean.get(name, "") for name in REVIEW_FIELDS},
            "comment": (comment or "").strip()[:500],
            "reviewed_by": actor,
        },
    )
    audit_event_record(action="assessment.skill_reviewed", actor=actor, target=result, details={"skill_code": int(skill_code)})
    return review


@transaction.atomic
def skill_reviews_save(*, result: Result, actor, reviews: dict[int, dict]) -> list[SkillReview]:
    """Save the consultant's review of several competences at once (the review form): all or
    nothing. ``reviews`` maps a skill code to ``{mastery, frequency, context, appetite,
    potential, comment}``; a competence without mastery is left as it is, and so is one whose
    values are those of its review in force (the latest across the bilan's skills results, which
    the form shows): displaying another result's review and saving does not copy it."""
    from bilans.assessments.selectors import merged_skills

    ensure_can_manage_assessments(actor, result.bilan)
    if result.destroyed_at is not None:
        raise Conflict("Ce résultat a été détruit à la fin du bilan (R6313-7).", code="result_destroyed")
    in_force = {code: entry.review for code, entry in merged_skills(result.bilan).items() if entry.review is not None}
    saved = []
    for skill_code, values in reviews.items():
        if not values.get("mastery"):
            continue
        fields = {name: str(values.get(name) or "").strip() for name in (*REVIEW_FIELDS, "comment")}
        try:
            current = in_force.get(int(skill_code))
        except (TypeError, ValueError):
            raise InvalidInput("Compétence inconnue.", code="unknown_skill") from None
        if current is not None and all(getattr(current, name) == fields[name] for name in (*REVIEW_FIELDS, "comment")):
            continue
        saved.append(skill_review_save(result=result, actor=actor, skill_code=skill_code, **fields))
    return saved


# --- 360° feedback ---------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_invitation(invitation: FeedbackInvitation, *, now) -> str:
    """Give an approved invitation its single-use link and email it after the commit. Returns
    the token (never stored: only its hash)."""
    from bilans.assessments.tasks import send_feedback_invitation

    token = secrets.token_urlsafe(32)
    invitation.token_hash, invitation.sent_at = _token_hash(token), now
    bilan = invitation.campaign.bilan
    enqueue_on_commit(send_feedback_invitation, invitation.email, token, bilan.beneficiary.first_name)
    return token


@transaction.atomic
def feedback_campaign_create(*, bilan, actor, competences: list[dict], emails: list[str]) -> tuple[FeedbackCampaign, list[tuple[str, str]]]:
    """Invite colleagues to rate selected competences through single-use links. Invitations made
    by the bilan's consultant (or an administrator) are approved and emailed at once; those made
    by the beneficiary wait for the consultant's approval (no link, no email before), and the
    consultant is notified. Returns the campaign and the (email, token) pairs of the invitations
    sent now (the tokens are only ever sent by email)."""
    ensure_can_view_assessments(actor, bilan)
    _ensure_not_destroyed(bilan)
    if not competences or len(competences) > 15:
        raise InvalidInput("Choisissez entre 1 et 15 compétences à faire évaluer.", code="invalid_competences")
    clean_emails = []
    for email in emails:
        email = (email or "").strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(f"Adresse e-mail invalide : {email}", code="invalid_email") from None
        if email not in clean_emails:
            clean_emails.append(email)
    if len(clean_emails) < scoring.FEEDBACK_THRESHOLD:
        raise InvalidInput(
            f"Invitez au moins {scoring.FEEDBACK_THRESHOLD} personnes : les réponses ne sont montrées qu'à partir de "
            f"{scoring.FEEDBACK_THRESHOLD} réponses, pour préserver l'anonymat.",
            code="too_few_invitations",
        )
    if len(clean_emails) > MAX_FEEDBACK_INVITATIONS:
        raise InvalidInput(f"Invitez au plus {MAX_FEEDBACK_INVITATIONS} personnes.", code="too_many_invitations")
    beneficiary_email = (bilan.beneficiary.email or "").lower()
    if beneficiary_email in clean_emails:
        raise InvalidInput("Vous ne pouvez pas vous inviter vous-même.", code="self_invitation")
    campaign = FeedbackCampaign.objects.create(
        bilan=bilan,
        competences=[{"code": int(c["code"]), "label": str(c["label"])[:500]} for c in competences],
        created_by=actor,
    )
    approved_at_once = can_manage_assessments(actor, bilan)
    now = timezone.now()
    sent = []
    for email in clean_emails:
        invitation = FeedbackInvitation(campaign=campaign, email=email)
        if approved_at_once:
            invitation.status, invitation.decided_by, invitation.decided_at = FeedbackInvitation.Status.APPROVED, actor, now
            token = _send_invitation(invitation, now=now)
            sent.append((email, token))
        invitation.save()
    audit_event_record(
        action="feedback360.created",
        actor=actor,
        target=campaign,
        details={"invitations": len(clean_emails), "sent": len(sent), "pending": len(clean_emails) - len(sent)},
    )
    if not approved_at_once:
        consultant = bilan.consultant or bilan.beneficiary.consultant
        if consultant is not None:
            from organisations.services import notification_create

            notification_create(
                recipient=consultant,
                kind="feedback360_pending",
                title=f"Retour 360° : {len(clean_emails)} invitations à valider",
                url=f"/bilans/{bilan.pk}/retours-360/",
                email=True,
            )
    return campaign, sent


def _locked_pending(invitation: FeedbackInvitation, actor) -> FeedbackInvitation:
    ensure_can_manage_assessments(actor, invitation.campaign.bilan)
    locked = FeedbackInvitation.objects.select_for_update().select_related("campaign__bilan__beneficiary").filter(pk=invitation.pk).first()
    if locked is None:
        raise NotFound("Invitation introuvable.", code="invitation_not_found")
    if locked.campaign.destroyed_at is not None:
        raise Conflict("Ce retour 360° a été détruit à la fin du bilan (R6313-7).", code="feedback_destroyed")
    if locked.status != FeedbackInvitation.Status.PENDING:
        label = "validée" if locked.status == FeedbackInvitation.Status.APPROVED else "refusée"
        raise Conflict(f"Cette invitation a déjà été {label}.", code="invitation_already_decided")
    return locked


@transaction.atomic
def feedback_invitation_approve(*, invitation: FeedbackInvitation, actor, now: datetime | None = None) -> tuple[FeedbackInvitation, str]:
    """The bilan's consultant (or an administrator) approves an invitation made by the
    beneficiary: its single-use link is created and emailed. Returns the invitation and the
    token (only ever sent by email)."""
    invitation = _locked_pending(invitation, actor)
    moment = now or timezone.now()
    invitation.status, invitation.decided_by, invitation.decided_at = FeedbackInvitation.Status.APPROVED, actor, moment
    token = _send_invitation(invitation, now=moment)
    invitation.save(update_fields=["status", "decided_by", "decided_at", "token_hash", "sent_at"])
    audit_event_record(
        action="feedback360.invitation_approved", actor=actor, target=invitation, details={"campaign_id": str(invitation.campaign_id)}
    )
    return invitation, token


@transaction.atomic
def feedback_invitation_reject(*, invitation: FeedbackInvitation, actor, reason: str = "", now: datetime | None = None) -> FeedbackInvitation:
    """The bilan's consultant (or an administrator) refuses an invitation made by the
    beneficiary, with an optional reason shown to the beneficiary: no link, no email, ever."""
    invitation = _locked_pending(invitation, actor)
    reason = (reason or "").strip()
    if len(reason) > MAX_REJECTION_REASON:
        raise InvalidInput(f"Le motif tient en {MAX_REJECTION_REASON} caractères au plus.", code="reason_too_long")
    invitation.status, invitation.decided_by, invitation.decided_at = FeedbackInvitation.Status.REJECTED, actor, now or timezone.now()
    invitation.rejection_reason = reason
    invitation.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    audit_event_record(
        action="feedback360.invitation_rejected",
        actor=actor,
        target=invitation,
        details={"campaign_id": str(invitation.campaign_id), "with_reason": bool(reason)},
    )
    return invitation


def feedback_invitation_for_token(token: str) -> FeedbackInvitation:
    invitation = (
        FeedbackInvitation.objects.select_related("campaign__bilan__beneficiary")
        .filter(token_hash=_token_hash(token or ""), status=FeedbackInvitation.Status.APPROVED, campaign__destroyed_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound("Ce lien n'est pas valide.", code="feedback_link_invalid")
    if invitation.used_at is not None:
        raise Conflict("Ce lien a déjà été utilisé : merci pour votre réponse.", code="feedback_link_used")
    return invitation


@transaction.atomic
def feedback_response_submit(*, token: str, ratings: dict) -> FeedbackResponse:
    """An invited person's anonymous answer (no account); the link then stops working."""
    invitation = feedback_invitation_for_token(token)
    invitation = FeedbackInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise Conflict("Ce lien a déjà été utilisé : merci pour votre réponse.", code="feedback_link_used")
    # the campaign row is locked so that answers are numbered into groups one at a time
    campaign = FeedbackCampaign.objects.select_for_update().get(pk=invitation.campaign_id)
    clean = {}
    for competence in campaign.competences:
        value = ratings.get(str(competence["code"]))
        if value in (None, ""):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput("Choisissez une note de 1 à 5.", code="invalid_rating") from None
        if not 1 <= number <= 5:
            raise InvalidInput("Choisissez une note de 1 à 5.", code="invalid_rating")
        clean[str(competence["code"])] = number
    if not clean:
        raise InvalidInput("Notez au moins une compétence.", code="ratings_required")
    group = FeedbackResponse.objects.filter(campaign=campaign).count() // campaign.threshold
    response = FeedbackResponse.objects.create(campaign=campaign, ratings=clean, group=group)
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_event_record(action="feedback360.answered", target=campaign)
    return response


# --- career analysis and options -------------------------------------------------------------------
@transaction.atomic
def career_analysis_run(*, bilan, actor, constraints: dict, limit: int = 30) -> CareerAnalysis:
    """A complete analysis: rank every métier for the bilan's profile, keep the first ones, and
    charge the credits of a complete analysis once."""
    from ai.matching import load_referential, rank
    from bilans.assessments.selectors import matching_profile

    ensure_can_manage_assessments(actor, bilan)
    _ensure_not_destroyed(bilan)
    billing.forfait_ensure(bilan=bilan, action_code=billing.ACTION_COMPLETE_ANALYSIS)
    profile, summary = matching_profile(bilan=bilan, constraints=constraints)
    referential = load_referential()
    if not referential.occupations:
        raise Conflict("Le référentiel ROME n'est pas chargé.", code="rome_not_loaded")
    matches = rank(profile, referential, limit=limit)
    analysis = CareerAnalysis.objects.create(
        bilan=bilan,
        rome_version=referential.version,
        constraints=constraints,
        profile=summary,
        top=[match.as_dict() for match in matches],
        created_by=actor,
    )
    billing.charge(bilan=bilan, action_code=billing.ACTION_COMPLETE_ANALYSIS, actor=actor, key_id=analysis.pk)
    audit_event_record(action="career_analysis.created", actor=actor, target=analysis, details={"rome_version": referential.version})
    return analysis


def max_projects(bilan) -> int:
    """The number of professional projects the bilan's forfait allows: several (3, compared
    side by side) with ``projects_multiple``, a main and an alternative with
    ``projects_alternative``, otherwise one."""
    features = billing.forfait_features(bilan)
    if "projects_multiple" in features:
        return DEFAULT_MAX_PROJECTS
    if "projects_alternative" in features:
        return 2
    return 1


@transaction.atomic
def career_option_add(*, bilan, actor, code_rome: str, kind: str = CareerOption.Kind.ALTERNATIVE) -> CareerOption:
    """Shortlist a métier into the bilan's professional projects, with its match when known."""
    from ai.matching import load_referential, match_occupation
    from ai.selectors import occupation_get
    from bilans.assessments.selectors import matching_profile

    ensure_can_manage_assessments(actor, bilan)
    _ensure_not_destroyed(bilan)
    occupation = occupation_get(code_rome)
    if kind not in CareerOption.Kind.values:
        raise InvalidInput("Type de projet inconnu.", code="invalid_kind")
    options = CareerOption.objects.select_for_update().filter(bilan=bilan)
    if options.filter(code_rome=occupation.code_rome).exists():
        raise Conflict("Ce métier est déjà dans les projets du bilan.", code="option_exists")
    limit = max_projects(bilan)
    if options.count() >= limit:
        raise Conflict(f"Le forfait de ce bilan prévoit au plus {limit} projets professionnels.", code="too_many_projects")
    if kind == CareerOption.Kind.MAIN:
        options.filter(kind=CareerOption.Kind.MAIN).update(kind=CareerOption.Kind.ALTERNATIVE)
    used = set(options.values_list("scenario", flat=True))
    scenario = next((s for s in SCENARIOS if s not in used), "")
    referential = load_referential()
    facts = referential.occupations.get(occupation.code_rome)
    match = {}
    if facts is not None:
        profile, _ = matching_profile(bilan=bilan, constraints={})
        match = match_occupation(profile, facts, referential).as_dict()
    try:
        with transaction.atomic():
            option = CareerOption.objects.create(
                bilan=bilan, code_rome=occupation.code_rome, label=occupation.label, kind=kind, scenario=scenario, match=match, created_by=actor
            )
    except IntegrityError as exc:
        raise Conflict("Ce métier est déjà dans les projets du bilan.", code="option_exists") from exc
    audit_event_record(action="career_option.added", actor=actor, target=option, details={"code_rome": option.code_rome, "kind": kind})
    return option


@transaction.atomic
def career_option_update(
    *, option: CareerOption, actor, kind: str | None = None, advantages: str | None = None, risks: str | None = None, feasibility=None
) -> CareerOption:
    ensure_can_manage_assessments(actor, option.bilan)
    fields = []
    if kind is not None and kind != option.kind:
        if kind not in CareerOption.Kind.values:
            raise InvalidInput("Type de projet inconnu.", code="invalid_kind")
        if kind == CareerOption.Kind.MAIN:
            CareerOption.objects.filter(bilan=option.bilan, kind=CareerOption.Kind.MAIN).exclude(pk=option.pk).update(
                kind=CareerOption.Kind.ALTERNATIVE
            )
        option.kind = kind
        fields.append("kind")
    if advantages is not None:
        option.advantages = advantages.strip()[:4000]
        fields.append("advantages")
    if risks is not None:
        option.risks = risks.strip()[:4000]
        fields.append("risks")
    if feasibility not in (None, ""):
        try:
            value = int(feasibility)
        except (TypeError, ValueError):
            raise InvalidInput("La faisabilité se note de 1 à 5.", code="invalid_feasibility") from None
        if not 1 <= value <= 5:
            raise InvalidInput("La faisabilité se note de 1 à 5.", code="invalid_feasibility")
        option.feasibility = value
        fields.append("feasibility")
    if fields:
        option.save(update_fields=fields)
        audit_event_record(action="career_option.updated", actor=actor, target=option, details={"fields": fields})
    return option


@transaction.atomic
def career_option_remove(*, option: CareerOption, actor) -> None:
    ensure_can_manage_assessments(actor, option.bilan)
    audit_event_record(action="career_option.removed", actor=actor, target=option, details={"code_rome": option.code_rome})
    option.delete()


# --- retention (CT-09) -----------------------------------------------------------------------------
def _ended_bilans(moment: datetime):
    from bilans.models import Bilan

    return Bilan.objects.filter(status__in=ENDED_STATUSES, ended_at__isnull=False, ended_at__lte=moment)


def _record_destruction(bilan_id, moment: datetime, counts: dict[str, int]) -> None:
    record = ContentDestruction.objects.select_for_update().filter(bilan_id=bilan_id).first()
    if record is None:
        ContentDestruction.objects.create(
            bilan_id=bilan_id, destroyed_at=moment, last_destroyed_at=moment, reason=DESTRUCTION_REASON, counts=counts
        )
        return
    record.counts = {key: record.counts.get(key, 0) + counts.get(key, 0) for key in {*record.counts, *counts}}
    record.last_destroyed_at = moment
    record.save(update_fields=["counts", "last_destroyed_at"])


def _destroy_assessment(pk, moment: datetime) -> dict[str, int] | None:
    assessment = Assessment.objects.select_for_update(skip_locked=True).filter(pk=pk, destroyed_at__isnull=True).first()
    if assessment is None:
        return None
    result = Result.objects.filter(assessment=assessment, destroyed_at__isnull=True).first()
    reviews = 0
    if result is not None:
        reviews, _ = SkillReview.objects.filter(result=result).delete()
        # the one update the result trigger allows: content emptied, time and dates kept
        Result.objects.filter(pk=result.pk).update(answers={}, scores={}, destroyed_at=moment, destruction_reason=DESTRUCTION_REASON)
    Assessment.objects.filter(pk=assessment.pk).update(answers={}, page_served_at=None, destroyed_at=moment, updated_at=moment)
    audit_event_record(
        action="assessment.destroyed",
        target=assessment,
        details={
            "bilan_id": str(assessment.bilan_id),
            "instrument": assessment.instrument.code,
            "status": assessment.status,
            "result_id": str(result.pk) if result else None,
            "reviews": reviews,
            "reason": DESTRUCTION_REASON,
        },
    )
    return {"bilan_id": assessment.bilan_id, "kind": "assessments"}


def _destroy_campaign(pk, moment: datetime) -> dict | None:
    campaign = FeedbackCampaign.objects.select_for_update(skip_locked=True).filter(pk=pk, destroyed_at__isnull=True).first()
    if campaign is None:
        return None
    responses, _ = FeedbackResponse.objects.filter(campaign=campaign).delete()
    invitations, _ = FeedbackInvitation.objects.filter(campaign=campaign).delete()
    FeedbackCampaign.objects.filter(pk=campaign.pk).update(competences=[], destroyed_at=moment)
    audit_event_record(
        action="feedback360.destroyed",
        target=campaign,
        details={"bilan_id": str(campaign.bilan_id), "invitations": invitations, "responses": responses, "reason": DESTRUCTION_REASON},
    )
    return {"bilan_id": campaign.bilan_id, "kind": "feedback_campaigns"}


def _destroy_analysis(pk, moment: datetime) -> dict | None:
    analysis = CareerAnalysis.objects.select_for_update(skip_locked=True).filter(pk=pk, destroyed_at__isnull=True).first()
    if analysis is None:
        return None
    CareerAnalysis.objects.filter(pk=analysis.pk).update(constraints={}, profile={}, top=[], destroyed_at=moment)
    audit_event_record(
        action="career_analysis.destroyed",
        target=analysis,
        details={"bilan_id": str(analysis.bilan_id), "rome_version": analysis.rome_version, "reason": DESTRUCTION_REASON},
    )
    return {"bilan_id": analysis.bilan_id, "kind": "career_analyses"}


def _destroy_option(pk, moment: datetime) -> dict | None:
    option = CareerOption.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
    if option is None:
        return None
    audit_event_record(
        action="career_option.destroyed",
        target=option,
        details={"bilan_id": str(option.bilan_id), "reason": DESTRUCTION_REASON},
    )
    bilan_id = option.bilan_id
    option.delete()
    return {"bilan_id": bilan_id, "kind": "career_options"}


def assessments_retention_purge(*, now: datetime | None = None) -> int:
    """CT-09 (R6313-7): destroy the questionnaire content of ended bilans (same statuses and
    ``ended_at`` rule as ``bilans.services.retention_purge``, which calls this handler): the
    answers of every questionnaire, the answers and scores of its result, the consultant's
    reviews of the skills self-assessment, the 360° competences, invitations and anonymous
    answers, the career analyses' profile and ranking, and the shortlisted projects. What the
    organisation keeps as evidence stays: that each questionnaire was given and taken, when, the
    instrument and version, and the time spent (it counts in the bilan's hours, CT-02, so hours
    reports do not change), that a 360° campaign and an analysis took place, plus one
    ``ContentDestruction`` row per bilan. No written agreement to keep results exists for
    questionnaires, so nothing is kept on one. One audit entry per destroyed item, without
    content. Idempotent: a second run destroys nothing. Returns the number of items destroyed."""
    moment = now or timezone.now()
    ended = _ended_bilans(moment).values("pk")
    work = [
        (_destroy_assessment, Assessment.objects.filter(bilan__in=ended, destroyed_at__isnull=True)),
        (_destroy_campaign, FeedbackCampaign.objects.filter(bilan__in=ended, destroyed_at__isnull=True)),
        (_destroy_analysis, CareerAnalysis.objects.filter(bilan__in=ended, destroyed_at__isnull=True)),
        (_destroy_option, CareerOption.objects.filter(bilan__in=ended)),
    ]
    destroyed = 0
    for destroy, queryset in work:
        for pk in list(queryset.order_by("pk").values_list("pk", flat=True)):
            with transaction.atomic():
                done = destroy(pk, moment)
                if done is None:
                    continue
                _record_destruction(done["bilan_id"], moment, {done["kind"]: 1})
                destroyed += 1
    return destroyed
