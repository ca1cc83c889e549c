from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from bilans.models import Beneficiary
from config.errors import NotFound
from organisations.permissions import beneficiaries_visible_to, ensure_can_view_beneficiary


def beneficiary_list(*, user, search: str = "") -> QuerySet[Beneficiary]:
    qs = beneficiaries_visible_to(user).select_related("consultant")
    if search:
        qs = qs.filter(Q(last_name__icontains=search) | Q(first_name__icontains=search) | Q(email__icontains=search))
    return qs.order_by("last_name", "first_name")


def beneficiary_get(*, user, beneficiary_id) -> Beneficiary:
    """One file, after the permission check: unknown → 404, not yours → 403."""
    try:
        beneficiary = Beneficiary.objects.select_related("consultant", "user").get(pk=beneficiary_id)
    except (Beneficiary.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Bénéficiaire introuvable.") from None
    ensure_can_view_beneficiary(user, beneficiary)
    return beneficiary


# --- bilans ------------------------------------------------------------------------------------
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bilans import clock  # noqa: E402
from bilans.models import MAX_BILAN_MINUTES, Bilan, BilanSettings, FundingSource, Session  # noqa: E402
from organisations.permissions import bilans_visible_to, ensure_can_view_bilan  # noqa: E402


def bilan_list(*, user, status: str = "", search: str = "") -> QuerySet[Bilan]:
    qs = bilans_visible_to(user).select_related("beneficiary", "consultant")
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(beneficiary__last_name__icontains=search) | Q(beneficiary__first_name__icontains=search))
    return qs.order_by("-created_at")


def bilan_get(*, user, bilan_id) -> Bilan:
    try:
        bilan = Bilan.objects.select_related("beneficiary", "beneficiary__user", "consultant").get(pk=bilan_id)
    except (Bilan.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Bilan introuvable.") from None
    ensure_can_view_bilan(user, bilan)
    return bilan


@dataclass
class HoursSummary:
    accompaniment_minutes: int
    guided_work_minutes: int
    follow_up_minutes: int
    planned_accompaniment_minutes: int
    planned_guided_work_minutes: int
    attended_accompaniment_minutes: int
    billable_cpf_minutes: int
    confirmed_minutes: int
    warnings: list[str] = field(default_factory=list)
    questionnaire_minutes: int = 0  # part of guided_work_minutes spent answering questionnaires
    effective_accompaniment_minutes: int = 0  # CT-03: attended synchronous accompaniment
    min_accompaniment_minutes: int = 0  # CT-03: the organisation's minimum (0 = none)

    @property
    def total_minutes(self) -> int:
        return self.accompaniment_minutes + self.guided_work_minutes

    @property
    def remaining_minutes(self) -> int:
        return MAX_BILAN_MINUTES - self.total_minutes

    def as_dict(self) -> dict:
        return {
            "total_minutes": self.total_minutes,
            "remaining_minutes": self.remaining_minutes,
            "accompaniment_minutes": self.accompaniment_minutes,
            "guided_work_minutes": self.guided_work_minutes,
            "planned_accompaniment_minutes": self.planned_accompaniment_minutes,
            "planned_guided_work_minutes": self.planned_guided_work_minutes,
            "attended_accompaniment_minutes": self.attended_accompaniment_minutes,
            "billable_cpf_minutes": self.billable_cpf_minutes,
            "confirmed_minutes": self.confirmed_minutes,
            "questionnaire_minutes": self.questionnaire_minutes,
            "effective_accompaniment_minutes": self.effective_accompaniment_minutes,
            "min_accompaniment_minutes": self.min_accompaniment_minutes,
            "warnings": self.warnings,
        }


def bilan_hours(bilan: Bilan) -> HoursSummary:
    """Hours of a bilan: planned/used per kind, remaining under the 24 h cap (CT-02), hours
    billable to the CPF (accompaniment only, CPF-02), confirmed by émargement (CPF-07), and the
    schedule warnings (8 to 12 weeks). Time spent answering questionnaires counts as guided
    personal work, as in the cap (``bilans.services._used_minutes``)."""
    from bilans.assessments.selectors import guided_work_minutes

    sessions = list(
        Session.objects.filter(bilan=bilan).exclude(attendance=Session.Attendance.CANCELLED).values(
            "kind", "interview_type", "attendance", "modality", "duration_minutes", "starts_at", "beneficiary_confirmed_at"
        )
    )
    acc = guided = follow = attended_acc = confirmed = effective = 0
    for s in sessions:
        if _is_effective_accompaniment(s):
            effective += s["duration_minutes"]
        if s["interview_type"] == Session.InterviewType.FOLLOW_UP:
            follow += s["duration_minutes"]
            continue
        if s["kind"] == Session.Kind.ACCOMPANIMENT:
            acc += s["duration_minutes"]
            if s["attendance"] == Session.Attendance.ATTENDED:
                attended_acc += s["duration_minutes"]
        else:
            guided += s["duration_minutes"]
        if s["beneficiary_confirmed_at"]:
            confirmed += s["duration_minutes"]
    questionnaires = guided_work_minutes(bilan)
    guided += questionnaires
    cpf = FundingSource.objects.filter(bilan=bilan, kind=FundingSource.Kind.CPF).exists()
    summary = HoursSummary(
        accompaniment_minutes=acc,
        guided_work_minutes=guided,
        follow_up_minutes=follow,
        planned_accompaniment_minutes=bilan.planned_accompaniment_minutes,
        planned_guided_work_minutes=bilan.planned_guided_work_minutes,
        attended_accompaniment_minutes=attended_acc,
        billable_cpf_minutes=attended_acc if cpf else 0,
        confirmed_minutes=confirmed,
        questionnaire_minutes=questionnaires,
        effective_accompaniment_minutes=effective,
        min_accompaniment_minutes=bilan_settings().min_accompaniment_minutes,
    )
    summary.warnings = schedule_warnings(bilan, [s["starts_at"] for s in sessions if s["interview_type"] != Session.InterviewType.FOLLOW_UP])
    return summary


def bilan_settings() -> BilanSettings:
    """The organisation's bilan rules: the stored row, or the defaults while none was saved."""
    return BilanSettings.objects.filter(pk=1).first() or BilanSettings()


def _is_effective_accompaniment(row: dict) -> bool:
    """CT-03 "accompagnement effectif": an accompaniment session that took place (attended) with
    the consultant, in person, by video or by phone. Guided personal work, questionnaires,
    planned/missed/cancelled sessions, sessions "en autonomie" and the follow-up interview (after
    the end) do not count."""
    return (
        row["kind"] == Session.Kind.ACCOMPANIMENT
        and row["attendance"] == Session.Attendance.ATTENDED
        and row["modality"] != Session.Modality.AUTONOMOUS
        and row["interview_type"] != Session.InterviewType.FOLLOW_UP
    )


def effective_accompaniment_minutes(bilan: Bilan) -> int:
    rows = Session.objects.filter(bilan=bilan, kind=Session.Kind.ACCOMPANIMENT, attendance=Session.Attendance.ATTENDED).values(
        "kind", "attendance", "modality", "interview_type", "duration_minutes"
    )
    return sum(row["duration_minutes"] for row in rows if _is_effective_accompaniment(row))


def accompaniment_minimum_blocker(bilan: Bilan) -> str | None:
    """CT-03: the French line that blocks finishing while the accompaniment is below the
    organisation's minimum; None when no minimum is set or it is reached."""
    minimum = bilan_settings().min_accompaniment_minutes
    if not minimum:
        return None
    done = effective_accompaniment_minutes(bilan)
    if done >= minimum:
        return None
    return (
        f"Accompagnement effectif : {clock.format_minutes(done)} sur {clock.format_minutes(minimum)} minimum. "
        "Enregistrez comme réalisées les séances d'accompagnement manquantes avant de terminer le bilan."
    )


def own_employer_reason(beneficiary: Beneficiary, *, organisation=None) -> str | None:
    """CT-12 (R6313-5): why this organisation would be the beneficiary's own employer, or None.
    (a) the employer SIREN on the file is the organisation's SIREN; (b) the beneficiary's
    e-mail is that of an active administrator or consultant of the organisation."""
    from organisations.accounts.models import Role, User

    prefix = "Un bilan de compétences ne peut pas être réalisé par l'employeur du bénéficiaire (article R6313-5) : "
    if organisation is None:
        from bilans.services import current_organisation_row

        organisation = current_organisation_row()
    if beneficiary.employer_siren and organisation.siren and beneficiary.employer_siren == organisation.siren:
        return prefix + "le SIREN de son employeur est celui de votre organisme."
    email = (beneficiary.email or "").strip()
    if email and User.objects.filter(email__iexact=email, role__in=[Role.ADMIN, Role.CONSULTANT], is_active=True).exists():
        return prefix + "son adresse e-mail est celle d'un membre actif de votre équipe."
    return None


def schedule_warnings(bilan: Bilan, starts: list[datetime]) -> list[str]:
    """A schedule shorter than 8 weeks or longer than 12 gets a warning (not a refusal)."""
    first = bilan.planned_start or (timezone.localdate(min(starts)) if starts else None)
    last = bilan.planned_end or (timezone.localdate(max(starts)) if starts else None)
    if starts:
        first = min(first, timezone.localdate(min(starts)))
        last = max(last, timezone.localdate(max(starts)))
    if first is None or last is None or first == last and not bilan.planned_end:
        return []
    weeks = (last - first).days / 7
    if weeks < 8:
        return [f"Le calendrier s'étale sur {weeks:.0f} semaine{'s' if weeks >= 2 else ''} : un bilan se déroule habituellement sur 8 à 12 semaines, pour laisser le temps de la réflexion entre les séances."]
    if weeks > 12:
        return [f"Le calendrier s'étale sur {weeks:.0f} semaines : au-delà de 12 semaines, le risque d'abandon augmente. Resserrez les séances si possible."]
    return []


def bilan_timeline(bilan: Bilan, *, limit: int = 200):
    """Every action and interaction of a bilan, from the audit log (newest first)."""
    from organisations.accounts.models import AuditEvent

    return (
        AuditEvent.objects.filter(Q(object_type="bilans.bilan", object_id=str(bilan.pk)) | Q(details__bilan_id=str(bilan.pk)))
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


TIMELINE_LABELS = {
    "bilan.created": "Bilan ouvert",
    "bilan.status_changed": "Changement d'étape",
    "bilan.forfait_assigned": "Forfait attribué",
    "bilan.consultant_changed": "Bilan confié à un autre consultant",
    "bilan.funding_set": "Financement mis à jour",
    "bilan.cpf_working_time_set": "Temps de travail (CPF) : demande d'absence mise à jour",
    "bilan.plan_updated": "Calendrier et répartition des heures mis à jour",
    "bilan.information_delivered": "Document d'information remis",
    "bilan.synthesis_delivered": "Synthèse remise",
    "bilan.follow_up_scheduled": "Entretien de suivi à 6 mois programmé",
    "consent.recorded": "Consentement enregistré",
    "consent.withdrawn": "Consentement retiré",
    "sharing_consent.recorded": "Accord de partage enregistré",
    "sharing_consent.withdrawn": "Accord de partage retiré",
    "objective.added": "Objectif défini",
    "objective.assessed": "Objectif évalué",
    "session.planned": "Séance prévue",
    "session.rescheduled": "Séance déplacée",
    "session.attendance_recorded": "Présence enregistrée",
    "session.attendance_confirmed": "Émargement du bénéficiaire",
    "convention.created": "Convention préparée",
    "convention.sent": "Convention envoyée",
    "convention.signed": "Signature de la convention",
    "convention.refused": "Convention refusée",
    "convention.expired": "Convention expirée sans signature",
    "contract.withdrawn": "Rétractation du contrat",
    "task.created": "Tâche donnée",
    "task.completed": "Tâche terminée",
    "bilan_file.added": "Document ajouté",
    "bilan_file.shared": "Document mis à disposition",
    "bilan_file.retention_agreed": "Accord de conservation enregistré",
    "bilan_file.destroyed": "Document détruit (fin du bilan)",
    "survey.sent": "Questionnaire de satisfaction envoyé",
    "survey.answered": "Questionnaire de satisfaction rempli",
    "appointment.booked": "Rendez-vous réservé",
    "appointment.moved": "Rendez-vous déplacé",
    "appointment.cancelled": "Rendez-vous annulé",
    "appointment.reminder_sent": "Rappel de rendez-vous envoyé",
    "message.sent": "Message échangé",
    "bilan.follow_up_reminded": "Rappel de l'entretien de suivi",
    "bilan_file.downloaded": "Document consulté",
    "third_party_access.granted": "Lien d'accès sécurisé envoyé à un destinataire",
    "third_party_access.revoked": "Lien d'accès d'un destinataire désactivé",
    "third_party_access.opened": "Suivi consulté par un destinataire",
    "third_party_access.downloaded": "Document téléchargé par un destinataire",
    "third_party_access.refused": "Accès refusé à un destinataire (lien ou accord échu)",
    "appointment.consultant_changed": "Rendez-vous confié au nouveau consultant",
    "appointment.reassignment_blocked": "Rendez-vous à déplacer : nouveau consultant indisponible",
}


def bilan_status_counts(*, user) -> dict[str, int]:
    return dict(bilans_visible_to(user).values_list("status").annotate(n=Count("id")))


def bilan_progress(bilan: Bilan) -> dict:
    """Phases for the progress bar and the next steps, in plain French."""
    from bilans.services import PHASES, bilan_transition_blockers

    S = Bilan.Status
    steps = [(S.PROSPECT, "Premier contact"), (S.PRELIMINARY, "Phase préliminaire"), (S.INVESTIGATION, "Investigation"),
             (S.CONCLUSIONS, "Conclusions"), (S.FINISHED, "Bilan terminé"), (S.FOLLOW_UP_DONE, "Suivi à 6 mois")]
    index = PHASES.index(bilan.status) if bilan.status in PHASES else 0
    if bilan.status == S.CLOSED:
        index = len(steps)
    items = [{"label": label, "done": i < index, "current": i == index} for i, (_, label) in enumerate(steps)]
    percent = round(100 * min(index, len(steps)) / len(steps))
    nxt = {S.PROSPECT: S.PRELIMINARY, S.PRELIMINARY: S.INVESTIGATION, S.INVESTIGATION: S.CONCLUSIONS, S.CONCLUSIONS: S.FINISHED, S.FINISHED: S.FOLLOW_UP_DONE}.get(bilan.status)
    next_steps = bilan_transition_blockers(bilan, nxt) if nxt else []
    return {"steps": items, "percent": percent, "next_status": nxt, "next_steps": next_steps}


def minutes(value) -> str:
    return clock.format_minutes(value)


def bilan_status_for_employer(bilan: Bilan) -> dict:
    """What an employer or funder contact may know without the beneficiary's agreement (CT-07):
    the status and dates, nothing of the content."""
    return {
        "status": bilan.status,
        "status_label": bilan.get_status_display(),
        "started_at": bilan.started_at,
        "ended_at": bilan.ended_at,
    }


def convention_awaiting_signature(*, bilan_id, kind: str):
    """The bilan's current convention (``tripartite``) or contract (``contract``) sent and
    waiting for signatures, or None. At most one is in progress (``convention_create``)."""
    from bilans.models import Convention

    return Convention.objects.filter(bilan_id=bilan_id, kind=kind, status=Convention.Status.SENT).order_by("-created_at").first()


# --- third parties' secure links (CT-07) ---------------------------------------------------------
# Which published documents stand for each sharing scope: the synthèse, and the detailed results
# (the interpretation of the questionnaires and tests). Only what the beneficiary agreed to, no more.
SHARING_SCOPE_DOC_TYPES = {"synthesis": ("synthesis",), "results": ("results_interpretation",)}
SHARING_SCOPE_SLUGS = {"synthesis": "synthese", "results": "resultats"}


def shared_document(bilan: Bilan, scope: str):
    """The latest document of ``scope`` published to the beneficiary (validated, PDF rendered,
    not destroyed): never a draft nor a version in review. None when there is none."""
    from bilans.documents.models import Document

    doc_types = SHARING_SCOPE_DOC_TYPES.get(scope)
    if not doc_types:
        return None
    return (
        Document.objects.filter(bilan=bilan, doc_type__in=doc_types, status=Document.Status.PUBLISHED, destroyed_at__isnull=True)
        .exclude(pdf_sha256="")
        .order_by("-published_at")
        .first()
    )


def third_party_access_page(access) -> dict:
    """What a third party's page shows: the status and dates of the bilan (always, CT-07
    "employer views show status only") and, for each scope the beneficiary agrees to share with
    this recipient at this moment, the published document if there is one."""
    from ai.generation.doctypes import TYPES
    from bilans.models import SharingConsent
    from bilans.services import sharing_scopes_allowed

    documents, pending = [], []
    for scope in sharing_scopes_allowed(bilan=access.bilan, recipient_email=access.recipient_email):
        label = SharingConsent.Scope(scope).label
        document = shared_document(access.bilan, scope)
        if document is None:
            pending.append(label)
        else:
            documents.append({
                "scope": scope, "slug": SHARING_SCOPE_SLUGS[scope], "label": label, "type_label": TYPES[document.doc_type].label,
                "published_at": document.published_at, "pages": document.pdf_pages,
            })
    return {
        "status": bilan_status_for_employer(access.bilan),
        "documents": documents,
        "pending": pending,
        "expires_at": access.expires_at,
        "recipient_name": access.recipient_name,
        "beneficiary_name": access.bilan.beneficiary.full_name,
    }


def third_party_accesses(bilan: Bilan, *, now: datetime | None = None) -> list:
    """The links sent for a bilan, newest first, each with its ``state`` now (active, expired,
    revoked, replaced) and its French label."""
    from bilans.models import ThirdPartyAccess

    moment = clock.now(now)
    labels = {"active": "Actif", "expired": "Expiré", "revoked": "Désactivé", "replaced": "Remplacé par un nouveau lien"}
    accesses = list(ThirdPartyAccess.objects.filter(bilan=bilan).select_related("created_by").order_by("-created_at"))
    for access in accesses:
        access.current_state = access.state(moment)
        access.state_label = labels[access.current_state]
        access.state_tone = "success" if access.current_state == "active" else "neutral"
    return accesses


def sharing_recipients(bilan: Bilan) -> list[dict]:
    """The recipients the beneficiary agrees to share something with now (one entry per e-mail,
    with the scopes in force), to whom a secure link can be sent."""
    from bilans.models import SharingConsent, ThirdPartyAccess

    live = {
        email.lower()
        for email in ThirdPartyAccess.objects.filter(bilan=bilan, revoked_at__isnull=True, expires_at__gt=clock.now()).values_list("recipient_email", flat=True)
    }
    recipients: dict[str, dict] = {}
    for consent in SharingConsent.objects.filter(bilan=bilan, withdrawn_at__isnull=True).order_by("given_at"):
        email = consent.recipient_email.lower()
        entry = recipients.setdefault(
            email,
            {"email": email, "name": consent.recipient_name, "kind_label": consent.get_recipient_kind_display(), "scopes": [], "has_live_link": email in live},
        )
        entry["name"] = consent.recipient_name
        if consent.get_scope_display() not in entry["scopes"]:
            entry["scopes"].append(consent.get_scope_display())
    return list(recipients.values())


# CT-19 (L6323-17, D6323-4): CPF bilan during working time
CPF_WORKING_TIME_NOTICE_DAYS = 60
CPF_WORKING_TIME_LONG_NOTICE_DAYS = 120  # bilan planned over 6 months or more
CPF_EMPLOYER_ANSWER_DAYS = 30  # calendar days; silence = acceptance


def cpf_funding_source(bilan: Bilan) -> FundingSource | None:
    return FundingSource.objects.filter(bilan=bilan, kind=FundingSource.Kind.CPF).first()


_UNSET = object()


def cpf_working_time_status(bilan: Bilan, *, today=None, cpf_source=_UNSET) -> dict | None:
    """Where the employer's authorisation of absence stands for a CPF-funded bilan during working
    time (None when the rule does not apply). ``blockers`` are the French reasons the bilan cannot
    start yet; bilans.services.bilan_transition_blockers is the one place that enforces them.
    ``cpf_source``: the bilan's CPF FundingSource (or None) when the caller already has it."""
    from datetime import timedelta

    from bilans.services import _add_months

    source = cpf_funding_source(bilan) if cpf_source is _UNSET else cpf_source
    if source is None or not source.during_working_time:
        return None
    today = today or timezone.localdate()
    try:
        long_bilan = bool(bilan.planned_start and bilan.planned_end and bilan.planned_end >= _add_months(bilan.planned_start, 6))
    except ValueError:  # a planned start near year 9999, saved before dates were bounded
        long_bilan = True
    notice_days = CPF_WORKING_TIME_LONG_NOTICE_DAYS if long_bilan else CPF_WORKING_TIME_NOTICE_DAYS
    requested = source.absence_requested_on
    answer = source.employer_answer
    A = FundingSource.EmployerAnswer
    status = {
        "source": source, "requested_on": requested, "notice_days": notice_days, "long_bilan": long_bilan,
        "earliest_start": None, "tacit_on": None, "accepted": False, "tacit": False, "refused": answer == A.REFUSED,
        "answer_label": A(answer).label, "answered_on": source.employer_answered_on, "blockers": [],
    }
    blockers = status["blockers"]
    fmt = "%d/%m/%Y"
    if requested is None:
        blockers.append(
            "Ce bilan financé par le CPF se déroule sur le temps de travail : enregistrez la date de la demande "
            "d'autorisation d'absence adressée à l'employeur (article L6323-17)."
        )
        return status
    status["earliest_start"] = earliest = requested + timedelta(days=notice_days)
    status["tacit_on"] = tacit_on = requested + timedelta(days=CPF_EMPLOYER_ANSWER_DAYS)
    # a refusal after the 30 days comes too late: the silence had already become an acceptance
    late_refusal = answer == A.REFUSED and source.employer_answered_on is not None and source.employer_answered_on > tacit_on
    if answer == A.ACCEPTED:
        status["accepted"] = True
    elif (answer == A.PENDING and today >= tacit_on) or late_refusal:
        status["accepted"] = status["tacit"] = True
    status["late_refusal"] = late_refusal
    status["refused"] = answer == A.REFUSED and not late_refusal
    if status["refused"]:
        blockers.append(
            f"L'employeur a refusé l'absence le {source.employer_answered_on.strftime(fmt)} : le bilan ne peut pas se dérouler "
            "sur le temps de travail. Il peut toujours avoir lieu en dehors du temps de travail : décochez « sur le temps de travail »."
        )
    if today < earliest:
        blockers.append(
            f"La demande d'absence a été adressée à l'employeur le {requested.strftime(fmt)} : sur le temps de travail, elle doit "
            f"précéder le début du bilan d'au moins {notice_days} jours{' (bilan de 6 mois ou plus)' if long_bilan else ''}. "
            f"Le bilan peut commencer à partir du {earliest.strftime(fmt)} (articles L6323-17 et D6323-4)."
        )
    if answer == A.PENDING and not status["accepted"]:
        blockers.append(
            f"L'employeur n'a pas encore répondu : sans réponse de sa part, son accord est acquis le {tacit_on.strftime(fmt)} "
            f"({CPF_EMPLOYER_ANSWER_DAYS} jours calendaires après la demande)."
        )
    return status
