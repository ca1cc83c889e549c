from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from bilans import clock
from bilans.models import (
    MAX_BILAN_MINUTES,
    Beneficiary,
    Bilan,
    BilanFile,
    BilanSettings,
    Consent,
    Convention,
    FundingSource,
    Objective,
    SatisfactionSurvey,
    Session,
    SharingConsent,
    Task,
    ThirdPartyAccess,
    siren_is_valid,
)
from config.dramatiq import enqueue_on_commit
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from organisations.accounts.models import Role, User
from organisations.accounts.services import audit_event_record
from organisations.permissions import CHANGE_BENEFICIARY, VIEW_BENEFICIARY, ensure_role


@transaction.atomic
def beneficiary_create(
    *, actor: User, first_name: str, last_name: str, email: str, phone: str = "", consultant: User | None = None
) -> Beneficiary:
    """Open a beneficiary file. A consultant who creates one is assigned to it."""
    ensure_role(actor, Role.ADMIN, Role.CONSULTANT)
    first_name, last_name, email = first_name.strip(), last_name.strip(), (email or "").strip().lower()
    if not first_name or not last_name:
        raise InvalidInput("Le prénom et le nom sont obligatoires.", code="name_required")
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("Adresse e-mail invalide.", code="invalid_email") from None
    if actor.role == Role.CONSULTANT:
        consultant = actor
    if Beneficiary.objects.filter(email__iexact=email).exists():
        raise Conflict("Un bénéficiaire avec cette adresse e-mail existe déjà.", code="beneficiary_exists")
    try:
        with transaction.atomic():
            beneficiary = Beneficiary.objects.create(first_name=first_name, last_name=last_name, email=email, phone=phone.strip())
    except IntegrityError as exc:
        raise Conflict("Un bénéficiaire avec cette adresse e-mail existe déjà.", code="beneficiary_exists") from exc
    audit_event_record(action="beneficiary.created", actor=actor, target=beneficiary)
    if consultant is not None:
        beneficiary_assign_consultant(beneficiary=beneficiary, consultant=consultant, actor=actor)
    return beneficiary


@transaction.atomic
def beneficiary_assign_consultant(*, beneficiary: Beneficiary, consultant: User, actor: User) -> Beneficiary:
    """Give the file to a consultant: the object permissions follow the assignment."""
    ensure_role(actor, Role.ADMIN, Role.CONSULTANT)
    if actor.role == Role.CONSULTANT and consultant.pk != actor.pk:
        ensure_role(actor, Role.ADMIN, message="Seul un administrateur peut attribuer un dossier à un autre consultant.")
    if consultant.role != Role.CONSULTANT or not consultant.is_active:
        raise InvalidInput("La personne choisie n'est pas un consultant actif.", code="invalid_consultant")
    previous = beneficiary.consultant
    if previous is not None and previous.pk != consultant.pk:
        for perm in (VIEW_BENEFICIARY, CHANGE_BENEFICIARY):
            remove_perm(perm, previous, beneficiary)
    beneficiary.consultant = consultant
    beneficiary.save(update_fields=["consultant", "updated_at"])
    for perm in (VIEW_BENEFICIARY, CHANGE_BENEFICIARY):
        assign_perm(perm, consultant, beneficiary)
    moved_bilans, moved_threads, appointments = _follow_consultant(
        beneficiary=beneficiary, consultant=consultant, actor=actor, previous_consultant_id=previous.pk if previous else None
    )
    audit_event_record(
        action="beneficiary.consultant_assigned",
        actor=actor,
        target=beneficiary,
        details={
            "consultant_id": consultant.pk, "previous_consultant_id": previous.pk if previous else None,
            "bilan_ids": moved_bilans, "threads_moved": moved_threads,
            "appointments_moved": len(appointments["moved"]), "appointments_kept": len(appointments["kept"]),
        },
    )
    return beneficiary


CONSULTANT_FOLLOWS_STATUSES = (*Bilan.OPEN_STATUSES, Bilan.Status.FINISHED, Bilan.Status.FOLLOW_UP_DONE)


def _follow_consultant(
    *, beneficiary: Beneficiary, consultant: User, actor: User, previous_consultant_id: int | None = None
) -> tuple[list[str], int, dict[str, list[str]]]:
    """The bilans still running (open, or finished awaiting the follow-up and the closing) and
    the message threads of the person move to the newly assigned consultant: the former one
    no longer runs them nor reads the threads. Closed and abandoned bilans keep their history.
    The person's upcoming appointments with a former consultant follow too, when the new
    consultant is free at their time (``bilans.scheduling.services.appointments_follow_consultant``)."""
    from bilans.messaging.models import Thread
    from bilans.scheduling.services import _serialize_bookings_of, appointments_follow_consultant

    moved = []
    former_ids = {previous_consultant_id}
    # The new consultant's bookings are serialised before the bilans are locked, in the order
    # appointment_book takes them (consultant, then bilan).
    _serialize_bookings_of(consultant)
    bilans = Bilan.objects.select_for_update().filter(beneficiary=beneficiary, status__in=CONSULTANT_FOLLOWS_STATUSES).exclude(consultant=consultant)
    for bilan in bilans:
        previous_id = bilan.consultant_id
        former_ids.add(previous_id)
        bilan.consultant = consultant
        bilan.save(update_fields=["consultant", "updated_at"])
        moved.append(str(bilan.pk))
        audit_event_record(
            action="bilan.consultant_changed", actor=actor, target=bilan,
            details={"bilan_id": str(bilan.pk), "consultant_id": consultant.pk, "previous_consultant_id": previous_id},
        )
    threads = Thread.objects.filter(beneficiary=beneficiary).exclude(consultant=consultant).update(consultant=consultant)
    appointments = appointments_follow_consultant(
        beneficiary=beneficiary, consultant=consultant, previous_consultant_ids=former_ids, actor=actor, bilan_statuses=CONSULTANT_FOLLOWS_STATUSES
    )
    return moved, threads, appointments


@transaction.atomic
def beneficiary_link_account(*, beneficiary: Beneficiary, user: User) -> Beneficiary:
    if user.role != Role.BENEFICIARY:
        raise InvalidInput("Seul un compte bénéficiaire peut être rattaché à un dossier.", code="invalid_role")
    beneficiary.user = user
    beneficiary.save(update_fields=["user", "updated_at"])
    audit_event_record(action="beneficiary.account_linked", actor=user, target=beneficiary)
    return beneficiary


# =================================================================================================
# Beneficiary file (profile, sensitive data RG-03)
# =================================================================================================
PROFILE_FIELDS = ("situation", "employer_name", "employer_siren", "employer_contact_name", "employer_contact_email", "education_summary", "career_summary", "phone")


@transaction.atomic
def beneficiary_update_profile(*, actor: User, beneficiary: Beneficiary, **fields) -> Beneficiary:
    """Situation, employer, education and career summary (not the sensitive data)."""
    from organisations.permissions import can_change_beneficiary

    if not can_change_beneficiary(actor, beneficiary):
        raise Forbidden("Seuls le consultant assigné et les administrateurs peuvent modifier ce dossier.", code="beneficiary_not_assigned")
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"Champ inconnu : {', '.join(sorted(unknown))}.", code="unknown_field")
    if "situation" in fields and fields["situation"] not in ("", *Beneficiary.Situation.values):
        raise InvalidInput("Situation inconnue.", code="invalid_situation")
    if "employer_siren" in fields:
        fields["employer_siren"] = "".join((fields["employer_siren"] or "").split())
        if fields["employer_siren"] and not siren_is_valid(fields["employer_siren"]):
            raise InvalidInput(
                "Le SIREN de l'employeur compte 9 chiffres et sa clé de contrôle doit être valide.", code="invalid_siren"
            )
    if fields.get("employer_contact_email"):
        try:
            validate_email(fields["employer_contact_email"])
        except ValidationError:
            raise InvalidInput("L'adresse e-mail du contact employeur est invalide.", code="invalid_email") from None
    changed = []
    for name, value in fields.items():
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        if getattr(beneficiary, name) != value:
            setattr(beneficiary, name, value)
            changed.append(name)
    if changed:
        beneficiary.save(update_fields=[*changed, "updated_at"])
        audit_event_record(action="beneficiary.profile_updated", actor=actor, target=beneficiary, details={"fields": changed})
    return beneficiary


@transaction.atomic
def beneficiary_record_sensitive_data(
    *,
    actor: User,
    beneficiary: Beneficiary,
    disability_info: str,
    accommodations: str,
    explicit_consent: bool,
    consent_method: str = "in_person",
    now: datetime | None = None,
) -> Beneficiary:
    """RG-03: disability and the accommodations needed are collected only with the person's
    explicit consent, stored encrypted, visible to the assigned consultant and administrators.
    Without consent (or when it is withdrawn) the data are erased."""
    from organisations.permissions import ensure_can_view_sensitive_data

    ensure_role(actor, Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
    ensure_can_view_sensitive_data(actor, beneficiary)
    disability_info, accommodations = (disability_info or "").strip(), (accommodations or "").strip()
    if (disability_info or accommodations) and not explicit_consent:
        raise InvalidInput(
            "Ces informations de santé ne peuvent être enregistrées qu'avec le consentement explicite de la personne (RGPD, art. 9). "
            "Cochez la case de consentement après l'avoir recueilli, ou laissez les champs vides.",
            code="sensitive_consent_required",
        )
    moment = clock.now(now)
    if explicit_consent and (disability_info or accommodations):
        if beneficiary.sensitive_consent_at is None:
            beneficiary.sensitive_consent_at = moment
            beneficiary.sensitive_consent_method = "online" if actor.role == Role.BENEFICIARY else consent_method
        action = "beneficiary.sensitive_data_recorded"
    else:
        beneficiary.sensitive_consent_at = None
        beneficiary.sensitive_consent_method = ""
        disability_info = accommodations = ""
        action = "beneficiary.sensitive_data_erased"
    beneficiary.disability_info = disability_info
    beneficiary.accommodations = accommodations
    beneficiary.save(update_fields=["disability_info", "accommodations", "sensitive_consent_at", "sensitive_consent_method", "updated_at"])
    audit_event_record(action=action, actor=actor, target=beneficiary)  # never the content
    return beneficiary


# =================================================================================================
# Bilan: creation, forfait, funding, state machine
# =================================================================================================
S = Bilan.Status

# Every allowed transition (anything else is refused with a clear message).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PROSPECT: (S.PRELIMINARY, S.ABANDONED),
    S.PRELIMINARY: (S.INVESTIGATION, S.ABANDONED),
    S.INVESTIGATION: (S.CONCLUSIONS, S.ABANDONED),
    S.CONCLUSIONS: (S.FINISHED, S.ABANDONED),
    S.FINISHED: (S.FOLLOW_UP_DONE, S.CLOSED),
    S.FOLLOW_UP_DONE: (S.CLOSED,),
    S.CLOSED: (),
    S.ABANDONED: (),
}
PHASES = (S.PROSPECT, S.PRELIMINARY, S.INVESTIGATION, S.CONCLUSIONS, S.FINISHED, S.FOLLOW_UP_DONE, S.CLOSED)


def current_organisation_row():
    """The Organisation of the current schema (a real row even under schema_context)."""
    from django.db import connection

    from tenants.models import Organisation

    tenant = connection.tenant
    if isinstance(tenant, Organisation):
        return tenant
    return Organisation.objects.get(schema_name=tenant.schema_name)


OWN_EMPLOYER = "own_employer"


def _ensure_not_own_employer(beneficiary: Beneficiary) -> None:
    """CT-12 (R6313-5): THE check that an organisation does not run the bilan of its own
    employee, applied when a bilan is opened (``bilan_create``) and started (``bilan_transition``
    to the preliminary phase)."""
    from bilans.selectors import own_employer_reason

    reason = own_employer_reason(beneficiary)
    if reason:
        raise Conflict(reason, code=OWN_EMPLOYER)


PLANNING_HORIZON_YEARS = 5


def _ensure_plausible_period(planned_start, planned_end) -> None:
    """Planned dates within five years of today, the end after the start (a date such as year
    9999 would overflow every later date computation)."""
    today = timezone.localdate()
    earliest, latest = _add_months(today, -12 * PLANNING_HORIZON_YEARS), _add_months(today, 12 * PLANNING_HORIZON_YEARS)
    for day in (planned_start, planned_end):
        if day and not earliest <= day <= latest:
            raise InvalidInput(
                f"Les dates prévues se situent entre le {earliest:%d/%m/%Y} et le {latest:%d/%m/%Y}.", code="invalid_period"
            )
    if planned_start and planned_end and planned_end < planned_start:
        raise InvalidInput("La fin prévue doit suivre le début prévu.", code="invalid_period")


def open_bilan_count() -> int:
    return Bilan.objects.filter(status__in=Bilan.OPEN_STATUSES).count()


@transaction.atomic
def bilan_create(
    *, actor: User, beneficiary: Beneficiary, consultant: User | None = None, planned_start=None, planned_end=None
) -> Bilan:
    """Open a bilan (status prospect: free preliminary interview). Counts against the plan's
    active-bilan limit (HTTP 402 plan_limit_reached)."""
    from django.db import connection

    from organisations.permissions import can_change_beneficiary
    from plans.services import plan_ensure_can_open_bilan

    ensure_role(actor, Role.ADMIN, Role.CONSULTANT)
    if not can_change_beneficiary(actor, beneficiary):
        raise Forbidden("Ce dossier ne vous est pas attribué.", code="beneficiary_not_assigned")
    consultant = consultant or beneficiary.consultant or (actor if actor.role == Role.CONSULTANT else None)
    if consultant is not None and (consultant.role != Role.CONSULTANT or not consultant.is_active):
        raise InvalidInput("La personne choisie n'est pas un consultant actif.", code="invalid_consultant")
    _ensure_not_own_employer(beneficiary)
    if Bilan.objects.filter(beneficiary=beneficiary, status__in=Bilan.OPEN_STATUSES).exists():
        raise Conflict("Ce bénéficiaire a déjà un bilan en cours. Terminez-le ou déclarez son abandon avant d'en ouvrir un autre.", code="bilan_already_open")
    _ensure_plausible_period(planned_start, planned_end)
    # Serialise openings so that two concurrent ones cannot both pass the plan limit.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':bilan_open'))")
    plan_ensure_can_open_bilan(organisation=current_organisation_row(), active_bilans=open_bilan_count())
    try:
        with transaction.atomic():
            bilan = Bilan.objects.create(
                beneficiary=beneficiary, consultant=consultant, planned_start=planned_start, planned_end=planned_end
            )
    except IntegrityError as exc:
        raise Conflict("Ce bénéficiaire a déjà un bilan en cours.", code="bilan_already_open") from exc
    audit_event_record(action="bilan.created", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk), "consultant_id": getattr(consultant, "pk", None)})
    if beneficiary.user_id:
        from organisations.services import notification_create

        notification_create(
            recipient=beneficiary.user, kind="bilan", title="Votre bilan de compétences est ouvert", url="/mon-bilan/", email=True
        )
    return bilan


@transaction.atomic
def bilan_settings_update(*, actor: User, min_accompaniment_minutes: int) -> BilanSettings:
    """CT-03: the organisation's minimum of accompagnement effectif before a bilan can be
    finished (0 = none; 13 h is the announced decree's minimum). Administrators only."""
    ensure_role(actor, Role.ADMIN, message="Seul un administrateur peut modifier les réglages des bilans.")
    if isinstance(min_accompaniment_minutes, bool) or not isinstance(min_accompaniment_minutes, int) or not 0 <= min_accompaniment_minutes <= MAX_BILAN_MINUTES:
        raise InvalidInput("Le minimum d'accompagnement effectif est compris entre 0 et 24 h.", code="invalid_setting")
    row, _ = BilanSettings.objects.select_for_update().get_or_create(pk=1)
    previous = row.min_accompaniment_minutes
    if previous != min_accompaniment_minutes:
        row.min_accompaniment_minutes = min_accompaniment_minutes
        row.save(update_fields=["min_accompaniment_minutes", "updated_at"])
        audit_event_record(
            action="bilan_settings.updated", actor=actor, target=row,
            details={"min_accompaniment_minutes": min_accompaniment_minutes, "previous_min_accompaniment_minutes": previous},
        )
    return row


@transaction.atomic
def bilan_assign_forfait(*, bilan: Bilan, forfait_code: str, actor: User) -> Bilan:
    """Allocate a forfait's credits to this bilan (plans ledger, idempotent) and record it."""
    from plans import services as plan_services

    ensure_role(actor, Role.ADMIN, Role.CONSULTANT)
    _ensure_manage(actor, bilan)
    forfait_code = (forfait_code or "").strip()
    if not forfait_code:
        raise InvalidInput("Choisissez un forfait.", code="forfait_required")
    if bilan.forfait_code and bilan.forfait_code != forfait_code:
        raise Conflict("Un forfait est déjà attribué à ce bilan.", code="forfait_already_assigned")
    if not bilan.is_open:
        raise Conflict("On ne peut attribuer un forfait qu'à un bilan en cours.", code="bilan_not_open")
    plan_services.forfait_allocate(
        organisation=current_organisation_row(),
        bilan_id=bilan.pk,
        forfait_code=forfait_code,
        actor=actor,
        idempotency_key=f"forfait:{bilan.pk}",
    )
    bilan.forfait_code = forfait_code
    bilan.save(update_fields=["forfait_code", "updated_at"])
    audit_event_record(action="bilan.forfait_assigned", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk), "forfait_code": forfait_code})
    return bilan


MAX_AMOUNT_CENTS = 100_000_000  # 1 000 000 €: far above any bilan, well inside the integer columns


def _ensure_amount(value, *, message: str, code: str = "invalid_amount") -> int:
    """A whole number of cents between 0 and MAX_AMOUNT_CENTS (a bool or a float is refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT_CENTS:
        raise InvalidInput(message, code=code)
    return value


@transaction.atomic
def funding_set(*, actor: User, bilan: Bilan, kind: str, amount_cents: int, funder_name: str = "") -> FundingSource | None:
    """Set (or remove with amount 0) the part of one funder. Several funders = mixed funding."""
    _ensure_manage(actor, bilan)
    if kind not in FundingSource.Kind.values:
        raise InvalidInput("Financeur inconnu.", code="invalid_funding_kind")
    amount_cents = _ensure_amount(amount_cents, message="Le montant doit être compris entre 0 et 1 000 000 €.")
    if amount_cents == 0:
        FundingSource.objects.filter(bilan=bilan, kind=kind).delete()
        source = None
    else:
        source, _ = FundingSource.objects.update_or_create(
            bilan=bilan, kind=kind, defaults={"amount_cents": amount_cents, "funder_name": funder_name.strip()}
        )
    audit_event_record(action="bilan.funding_set", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk), "kind": kind, "amount_cents": amount_cents})
    return source


@transaction.atomic
def funding_cpf_working_time_set(
    *,
    actor: User,
    bilan: Bilan,
    during_working_time: bool,
    absence_requested_on: date | None = None,
    employer_answer: str = FundingSource.EmployerAnswer.PENDING,
    employer_answered_on: date | None = None,
    now: datetime | None = None,
) -> FundingSource:
    """CT-19 (L6323-17, D6323-4): record whether a CPF-funded bilan takes place (partly) during
    working time, when the employee asked the employer for the absence and the employer's answer.
    Outside working time the request data are cleared (no rule applies)."""
    _ensure_manage(actor, bilan)
    source = FundingSource.objects.select_for_update().filter(bilan=bilan, kind=FundingSource.Kind.CPF).first()
    if source is None:
        raise Conflict("Ce bilan n'est pas financé par le CPF : enregistrez d'abord le financement CPF.", code="not_cpf_funded")
    if not bilan.is_open:
        raise Conflict("On ne peut modifier le financement que d'un bilan en cours.", code="bilan_not_open")
    if employer_answer not in FundingSource.EmployerAnswer.values:
        raise InvalidInput("Réponse de l'employeur inconnue.", code="invalid_employer_answer")
    today = timezone.localdate(clock.now(now))
    if not during_working_time:
        absence_requested_on, employer_answer, employer_answered_on = None, FundingSource.EmployerAnswer.PENDING, None
    else:
        if absence_requested_on is not None and absence_requested_on > today:
            raise InvalidInput("La date de la demande d'absence ne peut pas être dans le futur.", code="absence_request_in_future")
        if employer_answer == FundingSource.EmployerAnswer.PENDING:
            if employer_answered_on is not None:
                raise InvalidInput(
                    "Une date de réponse est indiquée mais pas la réponse de l'employeur : choisissez « accord » ou « refus ».",
                    code="employer_answer_required",
                )
        else:
            if absence_requested_on is None:
                raise InvalidInput("Indiquez d'abord la date de la demande d'absence adressée à l'employeur.", code="absence_request_required")
            if employer_answered_on is None:
                raise InvalidInput("Indiquez la date de la réponse de l'employeur.", code="employer_answer_date_required")
            if employer_answered_on > today:
                raise InvalidInput("La date de la réponse de l'employeur ne peut pas être dans le futur.", code="employer_answer_in_future")
            if employer_answered_on < absence_requested_on:
                raise InvalidInput(
                    "La réponse de l'employeur ne peut pas être antérieure à la demande d'absence.", code="employer_answer_before_request"
                )
    source.during_working_time = during_working_time
    source.absence_requested_on = absence_requested_on
    source.employer_answer = employer_answer
    source.employer_answered_on = employer_answered_on
    source.save(update_fields=["during_working_time", "absence_requested_on", "employer_answer", "employer_answered_on"])
    audit_event_record(
        action="bilan.cpf_working_time_set",
        actor=actor,
        target=bilan,
        details={
            "bilan_id": str(bilan.pk),
            "during_working_time": during_working_time,
            "absence_requested_on": absence_requested_on.isoformat() if absence_requested_on else None,
            "employer_answer": employer_answer,
            "employer_answered_on": employer_answered_on.isoformat() if employer_answered_on else None,
        },
    )
    return source


def bilan_is_cpf_funded(bilan: Bilan) -> bool:
    return bilan.funding_sources.filter(kind=FundingSource.Kind.CPF).exists()


def _ensure_manage(actor: User, bilan: Bilan) -> None:
    from organisations.permissions import ensure_can_manage_bilan

    ensure_role(actor, Role.ADMIN, Role.CONSULTANT)
    ensure_can_manage_bilan(actor, bilan)


def _status_label(status: str) -> str:
    return Bilan.Status(status).label


def bilan_transition_blockers(bilan: Bilan, to_status: str, *, today: date | None = None) -> list[str]:
    """Why the bilan cannot move to ``to_status`` now (French sentences; empty = allowed).
    ``today`` defaults to the current local date (CT-19 delays are counted from it)."""
    if to_status not in TRANSITIONS.get(bilan.status, ()):
        if bilan.status in (S.CLOSED, S.ABANDONED):
            return [f"Le bilan est « {_status_label(bilan.status)} » : il ne peut plus changer d'étape."]
        return [f"Un bilan « {_status_label(bilan.status)} » ne peut pas passer à « {_status_label(to_status)} »."]
    from bilans.selectors import accompaniment_minimum_blocker, cpf_working_time_status, own_employer_reason

    blockers = []
    if to_status != S.ABANDONED:
        # also when the employer's SIREN is entered once the bilan runs: it may only be abandoned
        own_employer = own_employer_reason(bilan.beneficiary)
        if own_employer:
            blockers.append(own_employer)
    if to_status == S.PRELIMINARY:
        if bilan.information_delivered_at is None:
            blockers.append("Remettez d'abord le document d'information au bénéficiaire.")
        if not bilan.consents.filter(kind=Consent.Kind.PARTICIPATION, withdrawn_at__isnull=True).exists():
            blockers.append("Le consentement éclairé du bénéficiaire n'est pas enregistré : la phase préliminaire ne peut pas commencer (article L6313-4).")
        funding = {source.kind: source for source in bilan.funding_sources.all()}  # one query for the three funding rules
        if FundingSource.Kind.EMPLOYER_PLAN in funding and not bilan.conventions.filter(kind=Convention.Kind.TRIPARTITE, status=Convention.Status.SIGNED).exists():
            blockers.append("Ce bilan est financé par l'employeur : la convention tripartite doit être signée par l'employeur, le salarié et l'organisme (article R6313-8).")
        if FundingSource.Kind.PERSONAL in funding and not bilan.conventions.filter(kind=Convention.Kind.CONTRACT, status=Convention.Status.SIGNED).exists():
            blockers.append("Ce bilan est financé personnellement : le contrat doit être signé avant le début (article L6353-3).")
        working_time = cpf_working_time_status(bilan, today=today, cpf_source=funding.get(FundingSource.Kind.CPF))
        if working_time:
            blockers += working_time["blockers"]
    elif to_status == S.INVESTIGATION:
        if not bilan.objectives.exists():
            blockers.append("Définissez avec le bénéficiaire au moins un objectif du bilan avant la phase d'investigation.")
    elif to_status == S.FINISHED:
        if bilan.synthesis_delivered_at is None:
            blockers.append("Le document de synthèse doit être remis au bénéficiaire avant de terminer le bilan.")
        minimum = accompaniment_minimum_blocker(bilan)
        if minimum:
            blockers.append(minimum)
    elif to_status == S.FOLLOW_UP_DONE:
        if not bilan.sessions.filter(interview_type=Session.InterviewType.FOLLOW_UP, attendance=Session.Attendance.ATTENDED).exists():
            blockers.append("Enregistrez d'abord l'entretien de suivi à 6 mois comme réalisé.")
    return blockers


@transaction.atomic
def bilan_transition(*, actor: User, bilan: Bilan, to_status: str, reason: str = "", now: datetime | None = None) -> Bilan:
    """Move a bilan along its legal phases. Refused transitions raise Conflict with the reasons."""
    _ensure_manage(actor, bilan)
    if to_status not in Bilan.Status.values:
        raise InvalidInput("Étape inconnue.", code="invalid_status")
    bilan = Bilan.objects.select_for_update().get(pk=bilan.pk)
    reason = (reason or "").strip()
    if to_status == S.ABANDONED and not reason and to_status in TRANSITIONS.get(bilan.status, ()):
        raise InvalidInput("Indiquez le motif de l'abandon.", code="abandon_reason_required")
    if to_status == S.CLOSED and bilan.status == S.FINISHED and not reason:
        raise InvalidInput("Indiquez pourquoi le bilan est clos sans entretien de suivi.", code="close_reason_required")
    if to_status == S.PRELIMINARY and to_status in TRANSITIONS.get(bilan.status, ()):
        _ensure_not_own_employer(bilan.beneficiary)
    blockers = bilan_transition_blockers(bilan, to_status, today=timezone.localdate(clock.now(now)))
    if blockers:
        code = "transition_not_allowed" if to_status not in TRANSITIONS.get(bilan.status, ()) else "transition_blocked"
        raise Conflict(" ".join(blockers), code=code, extra={"blockers": blockers})
    moment = clock.now(now)
    previous = bilan.status
    bilan.status = to_status
    fields = ["status", "updated_at"]
    if to_status == S.PRELIMINARY:
        bilan.started_at = moment
        fields.append("started_at")
    if to_status == S.ABANDONED:
        bilan.abandon_reason = reason
        bilan.ended_at = moment
        fields += ["abandon_reason", "ended_at"]
    if to_status == S.CLOSED and previous == S.FINISHED:
        bilan.close_reason = reason
        fields.append("close_reason")
    if to_status == S.FINISHED:
        bilan.ended_at = moment
        bilan.follow_up_due_on = _add_months(timezone.localdate(moment), 6)
        fields += ["ended_at", "follow_up_due_on"]
    bilan.save(update_fields=fields)
    audit_event_record(
        action="bilan.status_changed",
        actor=actor,
        target=bilan,
        details={"bilan_id": str(bilan.pk), "from": previous, "to": to_status, **({"has_reason": True} if reason else {})},
    )
    if to_status == S.FINISHED:
        _after_finish(bilan=bilan, actor=actor, now=moment)
    if bilan.beneficiary.user_id and to_status in (S.PRELIMINARY, S.INVESTIGATION, S.CONCLUSIONS, S.FINISHED):
        from organisations.services import notification_create

        notification_create(
            recipient=bilan.beneficiary.user, kind="bilan", title=f"Votre bilan passe à l'étape : {_status_label(to_status)}", url="/mon-bilan/"
        )
    return bilan


def _add_months(day: date, months: int) -> date:
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _after_finish(*, bilan: Bilan, actor: User, now: datetime) -> None:
    """Finishing: the six-month follow-up is scheduled, the immediate satisfaction questionnaire
    is sent and the delayed one scheduled (3 months later, always before 6 months)."""
    from organisations.services import notification_create

    SatisfactionSurvey.objects.get_or_create(bilan=bilan, kind=SatisfactionSurvey.Kind.IMMEDIATE, defaults={"scheduled_for": now, "sent_at": now})
    SatisfactionSurvey.objects.get_or_create(
        bilan=bilan, kind=SatisfactionSurvey.Kind.DELAYED, defaults={"scheduled_for": now + timedelta(days=DELAYED_SURVEY_AFTER_DAYS)}
    )
    Task.objects.create(
        bilan=bilan,
        kind=Task.Kind.QUESTIONNAIRE,
        title="Donner votre avis sur votre bilan",
        instructions="Quelques questions pour nous aider à améliorer l'accompagnement (5 minutes).",
        url="/mon-bilan/satisfaction/",
        due_on=timezone.localdate(now) + timedelta(days=14),
    )
    if bilan.beneficiary.user_id:
        notification_create(
            recipient=bilan.beneficiary.user, kind="survey", title="Votre avis sur votre bilan de compétences", url="/mon-bilan/satisfaction/", email=True
        )
    if bilan.consultant_id:
        notification_create(
            recipient=bilan.consultant,
            kind="follow_up",
            title=f"Entretien de suivi à planifier vers le {bilan.follow_up_due_on:%d/%m/%Y}",
            url=f"/bilans/{bilan.pk}/",
        )
    audit_event_record(
        action="bilan.follow_up_scheduled", actor=actor, target=bilan,
        details={"bilan_id": str(bilan.pk), "follow_up_due_on": bilan.follow_up_due_on.isoformat()},
    )


DELAYED_SURVEY_AFTER_DAYS = 95  # just past 3 months: the delayed questionnaire leaves between 3 and 6 months


@transaction.atomic
def bilan_set_plan(
    *, actor: User, bilan: Bilan, planned_start=None, planned_end=None, accompaniment_minutes: int | None = None, guided_work_minutes: int | None = None
) -> Bilan:
    """Schedule and split of the 24 hours (e.g. 18 h of accompaniment + 6 h of guided work)."""
    _ensure_manage(actor, bilan)
    bilan = Bilan.objects.select_for_update().get(pk=bilan.pk)
    _ensure_plausible_period(planned_start, planned_end)
    accompaniment = bilan.planned_accompaniment_minutes if accompaniment_minutes is None else accompaniment_minutes
    guided = bilan.planned_guided_work_minutes if guided_work_minutes is None else guided_work_minutes
    if accompaniment <= 0 or guided < 0:
        raise InvalidInput("Prévoyez au moins une heure d'accompagnement individuel.", code="invalid_split")
    if accompaniment + guided > MAX_BILAN_MINUTES:
        raise InvalidInput(
            f"Un bilan ne peut pas dépasser 24 h (article L6313-4) : {clock.format_minutes(accompaniment)} + {clock.format_minutes(guided)} = "
            f"{clock.format_minutes(accompaniment + guided)}.",
            code="hours_cap_exceeded",
        )
    used = _used_minutes(bilan)
    if used[Session.Kind.ACCOMPANIMENT] > accompaniment or used[Session.Kind.GUIDED_WORK] > guided:
        raise Conflict(
            f"Le temps déjà prévu ou passé dépasse cette répartition ({clock.format_minutes(used[Session.Kind.ACCOMPANIMENT])} d'accompagnement, "
            f"{clock.format_minutes(used[Session.Kind.GUIDED_WORK])} de travail personnel guidé, questionnaires compris) : "
            "annulez ou raccourcissez des séances d'abord.",
            code="split_below_planned",
        )
    bilan.planned_start, bilan.planned_end = planned_start or bilan.planned_start, planned_end or bilan.planned_end
    bilan.planned_accompaniment_minutes, bilan.planned_guided_work_minutes = accompaniment, guided
    bilan.save(update_fields=["planned_start", "planned_end", "planned_accompaniment_minutes", "planned_guided_work_minutes", "updated_at"])
    audit_event_record(
        action="bilan.plan_updated", actor=actor, target=bilan,
        details={"bilan_id": str(bilan.pk), "accompaniment_minutes": accompaniment, "guided_work_minutes": guided},
    )
    return bilan


@transaction.atomic
def bilan_record_synthesis_delivery(*, actor: User, bilan: Bilan, now: datetime | None = None) -> Bilan:
    """Record that the document de synthèse was delivered to the beneficiary (CT-06); called by
    the documents feature when it delivers one, or by the consultant for a paper delivery."""
    _ensure_manage(actor, bilan)
    bilan.synthesis_delivered_at = clock.now(now)
    bilan.save(update_fields=["synthesis_delivered_at", "updated_at"])
    audit_event_record(action="bilan.synthesis_delivered", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk)})
    return bilan


# =================================================================================================
# Objectives
# =================================================================================================
@transaction.atomic
def objective_add(*, actor: User, bilan: Bilan, text: str) -> Objective:
    _ensure_manage(actor, bilan)
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Écrivez l'objectif.", code="objective_required")
    if bilan.status not in (S.PROSPECT, S.PRELIMINARY, S.INVESTIGATION):
        raise Conflict("Les objectifs se définissent pendant la phase préliminaire.", code="objectives_locked")
    objective = Objective.objects.create(bilan=bilan, text=text[:500], position=bilan.objectives.count())
    audit_event_record(action="objective.added", actor=actor, target=objective, details={"bilan_id": str(bilan.pk)})
    return objective


@transaction.atomic
def objective_assess(*, actor: User, objective: Objective, achieved: bool) -> Objective:
    """End-of-bilan review of an objective (Qualiopi 11)."""
    _ensure_manage(actor, objective.bilan)
    objective.achieved = achieved
    objective.save(update_fields=["achieved"])
    audit_event_record(action="objective.assessed", actor=actor, target=objective, details={"bilan_id": str(objective.bilan_id), "achieved": achieved})
    return objective


# =================================================================================================
# Sessions and hours (CT-02, CPF-02, CPF-07)
# =================================================================================================
def _used_minutes(bilan: Bilan, *, excluding=None) -> dict[str, int]:
    qs = Session.objects.filter(bilan=bilan).exclude(attendance=Session.Attendance.CANCELLED)
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    used = {Session.Kind.ACCOMPANIMENT: 0, Session.Kind.GUIDED_WORK: 0}
    for row in qs.values("kind").annotate(total=Sum("duration_minutes")):
        used[row["kind"]] = row["total"] or 0
    # Time spent answering questionnaires is guided personal work too (CT-02).
    from bilans.assessments.selectors import guided_work_minutes

    used[Session.Kind.GUIDED_WORK] += guided_work_minutes(bilan)
    return used


@transaction.atomic
def session_plan(
    *,
    actor: User,
    bilan: Bilan,
    starts_at: datetime,
    duration_minutes: int,
    kind: str = Session.Kind.ACCOMPANIMENT,
    interview_type: str = "",
    modality: str = Session.Modality.IN_PERSON,
    instructions: str = "",
    session: Session | None = None,
    booking: bool = False,
) -> Session:
    """THE place that enforces the 24-hour cap of a bilan (CT-02) and its split between
    individual accompaniment and guided personal work. Creates a session, or changes the time
    and duration of ``session``. The bilan row is locked, so concurrent plans cannot both pass."""
    if not booking:  # appointment booking checks its own permissions (a beneficiary may book)
        _ensure_manage(actor, bilan)
    bilan = Bilan.objects.select_for_update().get(pk=bilan.pk)
    if bilan.status in (S.CLOSED, S.ABANDONED):
        raise Conflict(f"Le bilan est « {_status_label(bilan.status)} » : on ne peut plus y prévoir de séance.", code="bilan_ended")
    if kind not in Session.Kind.values:
        raise InvalidInput("Type de séance inconnu.", code="invalid_session_kind")
    if modality not in Session.Modality.values:
        raise InvalidInput("Modalité inconnue.", code="invalid_modality")
    if interview_type and interview_type not in Session.InterviewType.values:
        raise InvalidInput("Type d'entretien inconnu.", code="invalid_interview_type")
    if kind == Session.Kind.GUIDED_WORK:
        interview_type = ""
    if not isinstance(duration_minutes, int) or duration_minutes <= 0:
        raise InvalidInput("La durée doit être d'au moins une minute.", code="invalid_duration")
    # CT-02, for every session, the follow-up interview included (it is outside the bilan's 24 h
    # below, but no single séance can last more than 24 h).
    if duration_minutes > MAX_BILAN_MINUTES:
        raise InvalidInput(
            f"Une séance ne peut pas durer plus de 24 h (article L6313-4) : {clock.format_minutes(duration_minutes)} demandées.",
            code="hours_cap_exceeded",
        )
    if starts_at is None or timezone.is_naive(starts_at):
        raise InvalidInput("Indiquez la date et l'heure de la séance.", code="invalid_start")
    from bilans.scheduling.services import MAX_SCHEDULING_HORIZON

    if abs(starts_at - timezone.now()) > MAX_SCHEDULING_HORIZON:  # e.g. year 9999: its end would overflow
        raise InvalidInput("Cette date est trop éloignée : une séance se situe dans les cinq ans.", code="invalid_start")
    # The follow-up interview happens after the end: it is outside the 24 h of the bilan itself.
    counts = interview_type != Session.InterviewType.FOLLOW_UP
    if counts:
        used = _used_minutes(bilan, excluding=session)
        total_used = used[Session.Kind.ACCOMPANIMENT] + used[Session.Kind.GUIDED_WORK]
        remaining = MAX_BILAN_MINUTES - total_used
        if duration_minutes > remaining:
            raise Conflict(
                f"Cette séance de {clock.format_minutes(duration_minutes)} dépasserait la durée maximale de 24 h d'un bilan "
                f"(article L6313-4). Il reste {clock.format_minutes(max(remaining, 0))} disponibles.",
                code="hours_cap_exceeded",
                extra={"remaining_minutes": max(remaining, 0)},
            )
        budget = bilan.planned_accompaniment_minutes if kind == Session.Kind.ACCOMPANIMENT else bilan.planned_guided_work_minutes
        kind_remaining = budget - used[kind]
        if duration_minutes > kind_remaining:
            label = "d'accompagnement individuel" if kind == Session.Kind.ACCOMPANIMENT else "de travail personnel guidé"
            raise Conflict(
                f"Cette séance dépasserait les {clock.format_minutes(budget)} {label} prévues. Il reste {clock.format_minutes(max(kind_remaining, 0))} "
                f"{label} (et {clock.format_minutes(max(remaining, 0))} au total). Modifiez la répartition des heures si besoin.",
                code="hours_split_exceeded",
                extra={"remaining_minutes": max(kind_remaining, 0)},
            )
    if session is None:
        session = Session.objects.create(
            bilan=bilan,
            kind=kind,
            interview_type=interview_type,
            modality=modality,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            instructions=(instructions or "").strip(),
        )
        action = "session.planned"
    else:
        if session.attendance != Session.Attendance.PLANNED:
            raise Conflict("Seule une séance encore prévue peut être modifiée.", code="session_not_planned")
        session.starts_at, session.duration_minutes, session.modality = starts_at, duration_minutes, modality
        session.save(update_fields=["starts_at", "duration_minutes", "modality"])
        action = "session.rescheduled"
    audit_event_record(
        action=action, actor=actor, target=session,
        details={"bilan_id": str(bilan.pk), "kind": kind, "interview_type": interview_type, "modality": modality, "duration_minutes": duration_minutes},
    )
    return session


@transaction.atomic
def session_record_attendance(
    *, actor: User, session: Session, attendance: str, time_spent_minutes: int | None = None
) -> Session:
    """The consultant records what happened. An attended interview (video or in person) is
    charged to the bilan's credits when the organisation's plan meters them."""
    _ensure_manage(actor, session.bilan)
    if attendance not in (Session.Attendance.ATTENDED, Session.Attendance.ABSENT, Session.Attendance.CANCELLED):
        raise InvalidInput("Présence inconnue.", code="invalid_attendance")
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.beneficiary_confirmed_at is not None and attendance != Session.Attendance.ATTENDED:
        raise Conflict("Le bénéficiaire a déjà émargé pour cette séance : elle ne peut plus être modifiée.", code="session_confirmed")
    session.attendance = attendance
    if time_spent_minutes is not None:
        session.time_spent_minutes = time_spent_minutes
    session.save(update_fields=["attendance", "time_spent_minutes"])
    audit_event_record(action="session.attendance_recorded", actor=actor, target=session, details={"bilan_id": str(session.bilan_id), "attendance": attendance})
    if attendance == Session.Attendance.ATTENDED:
        _session_charge(session=session, actor=actor)
    if attendance == Session.Attendance.ABSENT and session.bilan.beneficiary.user_id:
        # Qualiopi 12 (engagement, abandonment prevention): the beneficiary is invited to book again.
        from organisations.services import notification_create

        notification_create(
            recipient=session.bilan.beneficiary.user, kind="appointment", title="Séance manquée : choisissez un nouveau rendez-vous",
            url="/rendez-vous/", email=True,
        )
    if attendance == Session.Attendance.ATTENDED and session.bilan.beneficiary.user_id and session.kind == Session.Kind.ACCOMPANIMENT:
        from organisations.services import notification_create

        notification_create(
            recipient=session.bilan.beneficiary.user,
            kind="attendance",
            title=f"Confirmez votre présence à la séance du {timezone.localtime(session.starts_at):%d/%m/%Y}",
            url="/mon-bilan/#emargement",
        )
    return session


INTERVIEW_ACTION_CODES = {Session.Modality.VIDEO: "interview_video_hour", Session.Modality.IN_PERSON: "interview_in_person_hour"}


def _session_charge(*, session: Session, actor: User) -> bool:
    """An interview that took place (video or in person) of a bilan with a forfait is charged to
    the bilan's credits, per started hour (plans tariff), once (idempotency key per session).
    The attendance is a legal record (CPF-07): it is kept even when credits are short; the
    consultant is told, and recording the attendance again retries the charge."""
    from config.errors import PaymentRequired
    from plans.services import credits_charge

    code = INTERVIEW_ACTION_CODES.get(session.modality)
    if session.credits_charged or code is None or session.kind != Session.Kind.ACCOMPANIMENT or not session.bilan.forfait_code:
        return False
    hours = -(-session.duration_minutes // 60)
    try:
        with transaction.atomic():
            credits_charge(
                organisation=current_organisation_row(), bilan_id=session.bilan_id, action_code=code, actor=actor,
                idempotency_key=f"session:{session.pk}", quantity=hours, reason="Entretien réalisé",
            )
    except PaymentRequired as error:
        from organisations.services import notification_create

        audit_event_record(action="session.charge_failed", actor=actor, target=session, details={"bilan_id": str(session.bilan_id), "code": error.code})
        notification_create(recipient=actor, kind="credits", title="Entretien enregistré, mais non décompté : crédits insuffisants", body=error.message, url=f"/bilans/{session.bilan_id}/")
        return False
    Session.objects.filter(pk=session.pk).update(credits_charged=True)
    session.credits_charged = True
    return True


@transaction.atomic
def session_confirm_attendance(*, actor: User, session: Session, ip: str | None = None, now: datetime | None = None) -> Session:
    """Émargement: the beneficiary confirms from their space that the session took place
    (CPF-07: attendance proof for the contrôle de service fait), with time and IP address."""
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, session.bilan):
        raise Forbidden("Seul le bénéficiaire du bilan peut émarger.", code="attendance_not_beneficiary")
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.attendance != Session.Attendance.ATTENDED:
        raise Conflict("Vous pourrez émarger une fois que votre consultant aura indiqué que la séance a eu lieu.", code="session_not_attended")
    if session.beneficiary_confirmed_at is not None:
        return session
    session.beneficiary_confirmed_at = clock.now(now)
    session.beneficiary_confirmed_ip = ip
    session.save(update_fields=["beneficiary_confirmed_at", "beneficiary_confirmed_ip"])
    audit_event_record(action="session.attendance_confirmed", actor=actor, target=session, details={"bilan_id": str(session.bilan_id)})
    from bilans.documents.services import attendance_sheet_schedule

    attendance_sheet_schedule(bilan=session.bilan)  # a new sealed attendance sheet (after commit)
    return session


# =================================================================================================
# Information, consent (CT-04), sharing (CT-07)
# =================================================================================================
@transaction.atomic
def information_document_deliver(*, actor: User, bilan: Bilan, now: datetime | None = None) -> Bilan:
    """The information document (3 phases, confidentiality, schedule, contacts) is given."""
    _ensure_manage(actor, bilan)
    bilan.information_delivered_at = clock.now(now)
    bilan.save(update_fields=["information_delivered_at", "updated_at"])
    audit_event_record(action="bilan.information_delivered", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk)})
    if bilan.beneficiary.user_id:
        from organisations.services import notification_create

        notification_create(recipient=bilan.beneficiary.user, kind="document", title="Document d'information à lire", url="/mon-bilan/information/")
    return bilan


@transaction.atomic
def information_document_read(*, actor: User, bilan: Bilan, now: datetime | None = None) -> bool:
    """CT-04: the beneficiary opened the information document in their own space (what a bilan is,
    its phases, confidentiality, their rights): it counts as delivered, once. Returns True when
    this opening recorded the delivery."""
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, bilan):
        raise NotFound("Bilan introuvable.", code="bilan_not_found")
    updated = Bilan.objects.filter(pk=bilan.pk, information_delivered_at__isnull=True).update(
        information_delivered_at=clock.now(now), updated_at=timezone.now()
    )
    if updated:
        bilan.refresh_from_db(fields=["information_delivered_at", "updated_at"])
        audit_event_record(action="bilan.information_read_online", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk)})
    return bool(updated)


@transaction.atomic
def consent_record(*, actor: User, bilan: Bilan, method: str, now: datetime | None = None) -> Consent:
    """CT-04: the beneficiary's informed consent, with time and method. Given online by the
    beneficiary themself, or recorded by the consultant (signed paper, e-mail, in person)."""
    from organisations.permissions import is_bilan_beneficiary

    if is_bilan_beneficiary(actor, bilan):
        method = Consent.Method.ONLINE
    else:
        _ensure_manage(actor, bilan)
        if method not in Consent.Method.values or method == Consent.Method.ONLINE:
            raise InvalidInput("Indiquez comment le consentement a été recueilli.", code="invalid_consent_method")
    if bilan.information_delivered_at is None:
        raise Conflict("Le document d'information doit être remis avant de recueillir le consentement.", code="information_not_delivered")
    existing = bilan.consents.filter(kind=Consent.Kind.PARTICIPATION, withdrawn_at__isnull=True).first()
    if existing:
        return existing
    consent = Consent.objects.create(bilan=bilan, kind=Consent.Kind.PARTICIPATION, method=method, given_at=clock.now(now), recorded_by=actor)
    audit_event_record(action="consent.recorded", actor=actor, target=consent, details={"bilan_id": str(bilan.pk), "method": method})
    from bilans.documents.services import consent_record_schedule

    consent_record_schedule(bilan=bilan)  # a new sealed consent record (after commit)
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, bilan: Bilan, now: datetime | None = None) -> int:
    """The beneficiary may withdraw; a refusal is never a fault (CT-04). When the person
    withdraws, their consultant is told. Returns the number of consents withdrawn (0: nothing
    was in force, nothing is written and nobody is notified)."""
    from organisations.permissions import is_bilan_beneficiary

    by_beneficiary = is_bilan_beneficiary(actor, bilan)
    if not by_beneficiary:
        _ensure_manage(actor, bilan)
    count = bilan.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=clock.now(now))
    if count:
        audit_event_record(action="consent.withdrawn", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk)})
        from bilans.documents.services import consent_record_schedule

        consent_record_schedule(bilan=bilan)
        if by_beneficiary and bilan.consultant_id:
            from organisations.services import notification_create

            notification_create(recipient=bilan.consultant, kind="consent", title="Un bénéficiaire a retiré son consentement", url=f"/bilans/{bilan.pk}/", email=True)
    return count


@transaction.atomic
def sharing_consent_record(
    *, actor: User, bilan: Bilan, recipient_kind: str, recipient_name: str, recipient_email: str, scope: str, method: str = "", now: datetime | None = None
) -> SharingConsent:
    """CT-07: the beneficiary agrees to share results or synthèse with one named recipient."""
    from organisations.permissions import is_bilan_beneficiary

    if is_bilan_beneficiary(actor, bilan):
        method = Consent.Method.ONLINE
    else:
        _ensure_manage(actor, bilan)
        if method not in Consent.Method.values or method == Consent.Method.ONLINE:
            raise InvalidInput("Indiquez comment l'accord du bénéficiaire a été recueilli.", code="invalid_consent_method")
    if recipient_kind not in SharingConsent.RecipientKind.values:
        raise InvalidInput("Destinataire inconnu.", code="invalid_recipient_kind")
    if scope not in SharingConsent.Scope.values:
        raise InvalidInput("Choisissez ce qui peut être partagé.", code="invalid_scope")
    recipient_email = (recipient_email or "").strip().lower()
    try:
        validate_email(recipient_email)
    except ValidationError:
        raise InvalidInput("Adresse e-mail du destinataire invalide.", code="invalid_email") from None
    if not (recipient_name or "").strip():
        raise InvalidInput("Indiquez le nom du destinataire.", code="recipient_name_required")
    consent = SharingConsent.objects.create(
        bilan=bilan, recipient_kind=recipient_kind, recipient_name=recipient_name.strip(), recipient_email=recipient_email,
        scope=scope, given_at=clock.now(now), method=method, recorded_by=actor,
    )
    audit_event_record(
        action="sharing_consent.recorded", actor=actor, target=consent,
        details={"bilan_id": str(bilan.pk), "recipient_kind": recipient_kind, "scope": scope, "method": method},
    )
    return consent


@transaction.atomic
def sharing_consent_withdraw(*, actor: User, consent: SharingConsent, now: datetime | None = None) -> SharingConsent:
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, consent.bilan):
        _ensure_manage(actor, consent.bilan)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = clock.now(now)
        consent.save(update_fields=["withdrawn_at"])
        audit_event_record(action="sharing_consent.withdrawn", actor=actor, target=consent, details={"bilan_id": str(consent.bilan_id)})
    return consent


def sharing_ensure_allowed(*, bilan: Bilan, recipient_email: str, scope: str) -> SharingConsent:
    """Default deny (CT-07): raise unless the beneficiary agreed to share ``scope`` with this
    recipient. Every sending of results or synthèse to a third party asks here first."""
    consent = (
        SharingConsent.objects.filter(bilan=bilan, recipient_email__iexact=(recipient_email or "").strip(), scope=scope, withdrawn_at__isnull=True)
        .order_by("-given_at")
        .first()
    )
    if consent is None:
        raise Forbidden(
            "Le bénéficiaire n'a pas donné son accord pour partager ce document avec ce destinataire (article L6313-4). "
            "Recueillez d'abord son accord écrit pour ce destinataire.",
            code="sharing_not_agreed",
        )
    return consent


# --- third parties' secure links (CT-07 sharing, CT-08 access log) ------------------------------
THIRD_PARTY_ACCESS_DAYS = 30
THIRD_PARTY_LINK_INVALID = "third_party_link_invalid"
THIRD_PARTY_LINK_REVOKED = "third_party_link_revoked"
THIRD_PARTY_LINK_EXPIRED = "third_party_link_expired"


def third_party_token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def sharing_scopes_allowed(*, bilan: Bilan, recipient_email: str) -> list[str]:
    """The scopes (``synthesis``, ``results``) the beneficiary agrees, right now, to share with
    this recipient, each one asked to ``sharing_ensure_allowed`` (the single default-deny rule)."""
    allowed = []
    for scope in SharingConsent.Scope.values:
        try:
            sharing_ensure_allowed(bilan=bilan, recipient_email=recipient_email, scope=scope)
        except Forbidden:
            continue
        allowed.append(scope)
    return allowed


@transaction.atomic
def third_party_access_grant(*, actor: User, bilan: Bilan, recipient_email: str, now: datetime | None = None) -> ThirdPartyAccess:
    """CT-07: the consultant of the bilan (or an administrator) sends a named third party, whom
    the beneficiary agreed to share something with, a secure link valid 30 days. Refused
    (403 ``sharing_not_agreed``, nothing sent) without an agreement in force for this recipient.
    A previous link of the same recipient stops working. Only the token's hash is kept; the link
    is e-mailed once the transaction commits."""
    _ensure_manage(actor, bilan)
    bilan = Bilan.objects.select_for_update().select_related("beneficiary").get(pk=bilan.pk)
    email = (recipient_email or "").strip().lower()
    scopes = sharing_scopes_allowed(bilan=bilan, recipient_email=email)
    if not scopes:
        sharing_ensure_allowed(bilan=bilan, recipient_email=email, scope=SharingConsent.Scope.SYNTHESIS)  # raises the refusal
    consent = (
        SharingConsent.objects.filter(bilan=bilan, recipient_email__iexact=email, withdrawn_at__isnull=True).order_by("-given_at").first()
    )
    moment = clock.now(now)
    replaced = ThirdPartyAccess.objects.filter(bilan=bilan, recipient_email__iexact=email, revoked_at__isnull=True).update(
        revoked_at=moment, revoked_by=actor, end_reason=ThirdPartyAccess.EndReason.REPLACED
    )
    token = secrets.token_urlsafe(32)
    access = ThirdPartyAccess.objects.create(
        bilan=bilan, recipient_kind=consent.recipient_kind, recipient_name=consent.recipient_name, recipient_email=email,
        token_hash=third_party_token_hash(token), created_by=actor, created_at=moment,
        expires_at=moment + timedelta(days=THIRD_PARTY_ACCESS_DAYS),
    )
    audit_event_record(
        action="third_party_access.granted", actor=actor, target=access,
        details={
            "bilan_id": str(bilan.pk), "recipient_kind": access.recipient_kind, "scopes": scopes,
            "expires_at": access.expires_at.isoformat(), "replaced": replaced,
        },
    )
    _third_party_access_email_on_commit(access=access, token=token)
    return access


def _third_party_access_email_on_commit(*, access: ThirdPartyAccess, token: str) -> None:
    """The link goes by e-mail from the worker after commit (retried if SMTP fails)."""
    from bilans.tasks import send_third_party_access

    enqueue_on_commit(send_third_party_access, str(access.pk), token)


def third_party_access_email_send(*, access_id, token: str) -> None:
    """Send the recipient their personal link: the person's and organisation's names, the link
    and its end date, never the beneficiary's content."""
    from django.core.mail import send_mail

    from tenants.selectors import organisation_url

    access = ThirdPartyAccess.objects.select_related("bilan__beneficiary").filter(pk=access_id, revoked_at__isnull=True).first()
    if access is None:
        return
    organisation = current_organisation_row()
    beneficiary = access.bilan.beneficiary
    send_mail(
        subject=f"Suivi d'un bilan de compétences : {beneficiary.full_name}",
        message=(
            f"Bonjour {access.recipient_name},\n\n"
            f"Avec l'accord de la personne qui le réalise ({beneficiary.full_name}), {organisation.name} vous donne accès au suivi de son bilan de compétences : "
            "son étape et ses dates, et les documents que la personne a accepté de vous communiquer, tant que son accord est en vigueur.\n\n"
            f"Ouvrez ce lien personnel, valable jusqu'au {timezone.localtime(access.expires_at):%d/%m/%Y} : "
            f"{organisation_url(organisation, f'/partage/{token}/')}\n\n"
            "Ce lien vous est réservé : ne le transférez pas. Chaque consultation est enregistrée.\n"
        ),
        from_email=None,
        recipient_list=[access.recipient_email],
    )


def _ensure_can_see_accesses(actor: User, bilan: Bilan) -> None:
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, bilan):
        _ensure_manage(actor, bilan)


@transaction.atomic
def third_party_access_revoke(*, actor: User, access: ThirdPartyAccess, now: datetime | None = None) -> ThirdPartyAccess:
    """The link stops working at once. By the bilan's consultant, an administrator, or the
    beneficiary themself. Revoking an ended link changes nothing."""
    _ensure_can_see_accesses(actor, access.bilan)
    access = ThirdPartyAccess.objects.select_for_update().get(pk=access.pk)
    if access.revoked_at is None:
        access.revoked_at, access.revoked_by, access.end_reason = clock.now(now), actor, ThirdPartyAccess.EndReason.REVOKED
        access.save(update_fields=["revoked_at", "revoked_by", "end_reason"])
        audit_event_record(
            action="third_party_access.revoked", actor=actor, target=access,
            details={"bilan_id": str(access.bilan_id), "recipient_kind": access.recipient_kind},
        )
    return access


def _third_party_access_for_token(token: str, *, moment: datetime, purpose: str) -> ThirdPartyAccess:
    """The access behind a link, or a French refusal: unknown token → ``third_party_link_invalid``;
    revoked or replaced → ``third_party_link_revoked``; expired → ``third_party_link_expired``
    (pages answer 404 and 410). A refused use of a known link is written to the access log."""
    access = None
    if token and len(token) <= 200:
        access = ThirdPartyAccess.objects.select_related("bilan", "bilan__beneficiary").filter(token_hash=third_party_token_hash(token)).first()
    if access is None:
        raise NotFound("Ce lien de partage n'est pas valide. Vérifiez qu'il est complet, ou demandez-en un nouveau à l'organisme.", code=THIRD_PARTY_LINK_INVALID)
    refusal = None
    if access.revoked_at is not None:
        refusal = NotFound(
            "Ce lien de partage a été désactivé : il ne donne plus accès au bilan. Si vous en avez encore besoin, contactez l'organisme.",
            code=THIRD_PARTY_LINK_REVOKED,
        )
    elif access.expires_at <= moment:
        refusal = NotFound(
            f"Ce lien de partage a expiré le {timezone.localtime(access.expires_at):%d/%m/%Y}. Demandez à l'organisme de vous en envoyer un nouveau.",
            code=THIRD_PARTY_LINK_EXPIRED,
        )
    if refusal is not None:
        with transaction.atomic():
            audit_event_record(
                action="third_party_access.refused", target=access,
                details={"bilan_id": str(access.bilan_id), "purpose": purpose, "code": refusal.code},
            )
        raise refusal
    return access


def third_party_access_open(*, token: str, now: datetime | None = None) -> ThirdPartyAccess:
    """A third party opens their link (no account): counted and written to the access log
    (CT-08), without any content. What the page may show comes from
    ``selectors.third_party_access_page``."""
    moment = clock.now(now)
    access = _third_party_access_for_token(token, moment=moment, purpose="open")
    with transaction.atomic():
        ThirdPartyAccess.objects.filter(pk=access.pk).update(open_count=F("open_count") + 1, last_opened_at=moment)
        audit_event_record(
            action="third_party_access.opened", target=access,
            details={"bilan_id": str(access.bilan_id), "recipient_kind": access.recipient_kind},
        )
    access.refresh_from_db(fields=["open_count", "last_opened_at"])
    return access


def third_party_access_download(*, token: str, scope: str, now: datetime | None = None):
    """The PDF of the published synthèse or detailed results, for a third party whose link is
    valid and only while the beneficiary's agreement for this recipient and this scope is in
    force (asked to ``sharing_ensure_allowed`` at each download). Returns (document, bytes),
    decrypted by the documents app; each download is written to the access log (CT-08)."""
    from bilans.documents.services import document_pdf
    from bilans.selectors import shared_document

    moment = clock.now(now)
    access = _third_party_access_for_token(token, moment=moment, purpose="download")
    if scope not in SharingConsent.Scope.values:
        raise NotFound("Document introuvable.", code="shared_document_not_found")
    try:
        sharing_ensure_allowed(bilan=access.bilan, recipient_email=access.recipient_email, scope=scope)
    except Forbidden as refusal:
        with transaction.atomic():
            audit_event_record(
                action="third_party_access.refused", target=access,
                details={"bilan_id": str(access.bilan_id), "purpose": "download", "scope": scope, "code": refusal.code},
            )
        raise Forbidden(
            "Ce document ne vous est pas accessible : le bénéficiaire n'a pas donné, ou a retiré, son accord pour vous le communiquer.",
            code=refusal.code,
        ) from None
    document = shared_document(access.bilan, scope)
    if document is None:
        raise NotFound("Ce document n'est pas disponible pour l'instant.", code="shared_document_not_available")
    data = document_pdf(document)
    with transaction.atomic():
        audit_event_record(
            action="third_party_access.downloaded", target=access,
            details={
                "bilan_id": str(access.bilan_id), "recipient_kind": access.recipient_kind, "scope": scope,
                "document_id": str(document.pk), "doc_type": document.doc_type, "sha256": document.pdf_sha256,
            },
        )
    return document, data


# =================================================================================================
# Convention (CT-14, CT-15) and contract (CT-17)
# =================================================================================================
CONVENTION_SIGNATURE_DAYS = 10  # CT-15: the employee has 10 days to sign, silence = refusal
CONTRACT_WITHDRAWAL_DAYS = 10  # CT-17: 10-day withdrawal period
CONVENTION_CONTENT_FIELDS = (
    "title", "objective", "content", "means", "duration_hours", "period_start", "period_end",
    "delivery_terms", "results_terms", "price_cents", "payment_terms",
)


@transaction.atomic
def convention_create(*, actor: User, bilan: Bilan, kind: str, **content) -> Convention:
    """A draft convention (employer-funded) or contract (self-funded) with the mandatory
    content of CT-14 / L6353-4; missing content is refused with the list of what is missing."""
    _ensure_manage(actor, bilan)
    if kind not in Convention.Kind.values:
        raise InvalidInput("Type de document inconnu.", code="invalid_convention_kind")
    unknown = set(content) - set(CONVENTION_CONTENT_FIELDS) - {"employer_name", "employer_signatory", "deposit_cents"}
    if unknown:
        raise InvalidInput(f"Champ inconnu : {', '.join(sorted(unknown))}.", code="unknown_field")
    labels = {name: Convention._meta.get_field(name).verbose_name for name in CONVENTION_CONTENT_FIELDS}
    missing = [labels[name] for name in CONVENTION_CONTENT_FIELDS if content.get(name) in (None, "") and name != "title"]
    if kind == Convention.Kind.TRIPARTITE and not (content.get("employer_name") or "").strip():
        missing.append("employeur")
    if missing:
        raise InvalidInput("Mentions obligatoires manquantes : " + ", ".join(missing) + ".", code="convention_incomplete", extra={"missing": missing})
    if not 0 < int(content["duration_hours"]) <= 24:
        raise InvalidInput("La durée d'un bilan est de 24 heures au plus (article L6313-4).", code="hours_cap_exceeded")
    if content["period_end"] < content["period_start"]:
        raise InvalidInput("La fin de la période doit suivre son début.", code="invalid_period")
    price = _ensure_amount(content["price_cents"], message="Le prix doit être compris entre 0 et 1 000 000 €.")
    deposit = _ensure_amount(content.get("deposit_cents") or 0, message="L'acompte doit être compris entre 0 et 1 000 000 €.")
    content["price_cents"], content["deposit_cents"] = price, deposit
    if kind == Convention.Kind.CONTRACT and deposit * 10 > price * 3:
        raise InvalidInput("L'acompte ne peut pas dépasser 30 % du prix (article L6353-6).", code="deposit_too_high")
    live = [Convention.Status.DRAFT, Convention.Status.SENT, Convention.Status.SIGNED]
    if bilan.conventions.filter(kind=kind, status__in=live).exists():
        raise Conflict(f"Un document « {Convention.Kind(kind).label} » est déjà en cours pour ce bilan.", code="convention_exists")
    try:
        with transaction.atomic():
            convention = Convention.objects.create(bilan=bilan, kind=kind, **{k: v for k, v in content.items() if v is not None})
    except IntegrityError as exc:
        if "convention_one_live_per_bilan_kind" not in str(exc):
            raise
        raise Conflict(f"Un document « {Convention.Kind(kind).label} » est déjà en cours pour ce bilan.", code="convention_exists") from exc
    audit_event_record(action="convention.created", actor=actor, target=convention, details={"bilan_id": str(bilan.pk), "kind": kind})
    return convention


def convention_digest(convention: Convention) -> str:
    """SHA-256 of the signed content (integrity evidence of the simple e-signature)."""
    import hashlib
    import json

    payload = {name: str(getattr(convention, name)) for name in (*CONVENTION_CONTENT_FIELDS, "employer_name", "deposit_cents", "kind")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def convention_send(*, actor: User, convention: Convention, now: datetime | None = None) -> Convention:
    """Send the draft to the beneficiary. A tripartite convention expires 10 days later without
    the employee's signature (CT-15)."""
    _ensure_manage(actor, convention.bilan)
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    if convention.status != Convention.Status.DRAFT:
        raise Conflict("Seul un brouillon peut être envoyé.", code="convention_not_draft")
    moment = clock.now(now)
    convention.status = Convention.Status.SENT
    convention.sent_at = moment
    convention.content_sha256 = convention_digest(convention)
    if convention.kind == Convention.Kind.TRIPARTITE:
        convention.expires_at = moment + timedelta(days=CONVENTION_SIGNATURE_DAYS)
    convention.save(update_fields=["status", "sent_at", "expires_at", "content_sha256"])
    audit_event_record(action="convention.sent", actor=actor, target=convention, details={"bilan_id": str(convention.bilan_id), "kind": convention.kind})
    user = convention.bilan.beneficiary.user
    if user is not None:
        from organisations.services import notification_create

        title = "Votre convention de bilan est à signer" if convention.kind == Convention.Kind.TRIPARTITE else "Votre contrat de bilan est à signer"
        notification_create(recipient=user, kind="convention", title=title, url="/mon-bilan/#convention", email=True)
    return convention


def _convention_apply_signature(convention: Convention, *, party: str, moment: datetime, ip: str | None, signatory: str) -> None:
    """The rules every way of signing shares, on a row locked by the caller: a late signature
    is refused (CT-15), only a sent convention whose content did not change since it was sent
    can be signed, the contract's withdrawal period starts at the beneficiary's signature
    (CT-17), and the convention is signed once every required party signed. Raises before
    writing anything."""
    if party not in ("beneficiary", "employer", "organisation"):
        raise InvalidInput("Signataire inconnu.", code="invalid_party")
    if party == "employer" and convention.kind != Convention.Kind.TRIPARTITE:
        raise InvalidInput("Un contrat individuel n'a pas de signature employeur.", code="invalid_party")
    if convention.status == Convention.Status.SENT and convention.expires_at and convention.expires_at <= moment:
        # Refused now; the periodic job (conventions_expire) records the expiry and notifies.
        raise Conflict(
            "Le délai de 10 jours pour signer est dépassé : l'absence de signature vaut refus (article R6313-8). Une nouvelle convention doit être proposée.",
            code="convention_expired",
        )
    if convention.status != Convention.Status.SENT:
        raise Conflict(f"Cette convention est « {convention.get_status_display()} » : elle ne peut pas être signée.", code="convention_not_sent")
    if convention.content_sha256 != convention_digest(convention):
        raise Conflict("Le contenu a changé depuis l'envoi : renvoyez la convention.", code="convention_altered")
    if party == "beneficiary":
        convention.beneficiary_signed_at, convention.beneficiary_signed_ip = moment, ip
        if convention.kind == Convention.Kind.CONTRACT:
            convention.withdrawal_ends_at = moment + timedelta(days=CONTRACT_WITHDRAWAL_DAYS)
    elif party == "employer":
        convention.employer_signed_at = moment
        if signatory:
            convention.employer_signatory = signatory.strip()[:200]
    else:
        convention.organisation_signed_at = moment
    required = [convention.beneficiary_signed_at, convention.organisation_signed_at]
    if convention.kind == Convention.Kind.TRIPARTITE:
        required.append(convention.employer_signed_at)
    if all(required):
        convention.status = Convention.Status.SIGNED
        convention.closed_at = moment
    convention.save()


@transaction.atomic
def convention_sign(
    *, actor: User, convention: Convention, party: str, ip: str | None = None, signatory: str = "", now: datetime | None = None
) -> Convention:
    """Record one party's signature. ``beneficiary``: the employee / client signs themself from
    their space (simple e-signature: account, time, IP, content digest). ``employer`` and
    ``organisation``: recorded by the consultant or an administrator."""
    from organisations.permissions import is_bilan_beneficiary

    convention = Convention.objects.select_for_update().select_related("bilan__beneficiary").get(pk=convention.pk)
    moment = clock.now(now)
    if party == "beneficiary":
        if not is_bilan_beneficiary(actor, convention.bilan):
            raise Forbidden("Seul le bénéficiaire peut signer à sa place.", code="signature_not_beneficiary")
    elif party in ("employer", "organisation"):
        _ensure_manage(actor, convention.bilan)
    else:
        raise InvalidInput("Signataire inconnu.", code="invalid_party")
    _convention_apply_signature(convention, party=party, moment=moment, ip=ip, signatory=signatory)
    audit_event_record(
        action="convention.signed", actor=actor, target=convention,
        details={"bilan_id": str(convention.bilan_id), "party": party, "sha256": convention.content_sha256, "ip": ip, "complete": convention.status == Convention.Status.SIGNED},
    )
    return convention


@transaction.atomic
def convention_record_electronic_signature(
    *,
    convention: Convention,
    party: str,
    signed_at: datetime,
    ip: str | None,
    signatory: str = "",
    actor: User | None = None,
    signature_id: str = "",
) -> Convention:
    """Report on the bilan's convention (CT-14) or contract (CT-17) a party's signature made
    through the electronic signature of the generated document (ES-04), with the time and IP
    address of that signature and, for the employer, their signatory's name.

    The e-signature flow authenticated the signer (account or single-use link, one-time code)
    and decided which party they sign for: no role is checked here; ``actor`` (None for the
    employer, who has no account) and ``signature_id`` only go to the audit trail.

    The same rules as :func:`convention_sign` apply (one shared function). When the convention
    refuses the signature (sent more than 10 days ago: CT-15; no longer sent; content changed
    since it was sent), nothing is raised and the convention is left exactly as it was: the
    e-signature of the document is a fact that already happened and stays valid evidence, so
    it must not be rolled back, while marking the convention signed would bypass CT-15. The
    refusal is made visible instead: a ``convention.electronic_signature_refused`` audit event
    with the reason's code, and a notification to the bilan's consultant, who proposes a new
    convention or records the signatures by hand."""
    convention = Convention.objects.select_for_update(of=("self",)).select_related("bilan__beneficiary", "bilan__consultant").get(pk=convention.pk)
    moment = clock.now(signed_at)
    details = {"bilan_id": str(convention.bilan_id), "party": party, "signature_id": signature_id, "method": "electronic_signature"}
    try:
        _convention_apply_signature(convention, party=party, moment=moment, ip=ip, signatory=signatory)
    except (Conflict, InvalidInput) as refusal:  # raised before anything was written
        audit_event_record(
            action="convention.electronic_signature_refused", actor=actor, target=convention,
            details={**details, "code": refusal.code, "status": convention.status},
        )
        consultant = convention.bilan.consultant or convention.bilan.beneficiary.consultant
        if consultant is not None:
            from organisations.services import notification_create

            notification_create(
                recipient=consultant, kind="convention",
                title="Signature électronique non reportée sur la convention",
                body=refusal.message, url=f"/bilans/{convention.bilan_id}/",
            )
        return convention
    audit_event_record(
        action="convention.signed", actor=actor, target=convention,
        details={**details, "sha256": convention.content_sha256, "ip": ip, "complete": convention.status == Convention.Status.SIGNED},
    )
    return convention


@transaction.atomic
def convention_refuse(*, actor: User, convention: Convention, now: datetime | None = None) -> Convention:
    """The employee refuses: never a fault nor a ground for dismissal (CT-04)."""
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, convention.bilan):
        raise Forbidden("Seul le bénéficiaire peut refuser la convention.", code="signature_not_beneficiary")
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    if convention.status != Convention.Status.SENT:
        raise Conflict("Cette convention n'attend pas de réponse.", code="convention_not_sent")
    convention.status, convention.closed_at = Convention.Status.REFUSED, clock.now(now)
    convention.save(update_fields=["status", "closed_at"])
    audit_event_record(action="convention.refused", actor=actor, target=convention, details={"bilan_id": str(convention.bilan_id)})
    return convention


@transaction.atomic
def contract_withdraw(*, actor: User, convention: Convention, now: datetime | None = None) -> Convention:
    """CT-17: the self-funded person withdraws within 10 days of signing, without paying."""
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, convention.bilan):
        raise Forbidden("Seul le bénéficiaire peut exercer son droit de rétractation.", code="signature_not_beneficiary")
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    moment = clock.now(now)
    if convention.kind != Convention.Kind.CONTRACT or convention.beneficiary_signed_at is None:
        raise Conflict("Il n'y a pas de contrat signé à rétracter.", code="nothing_to_withdraw")
    if convention.status not in (Convention.Status.SENT, Convention.Status.SIGNED):
        # Already withdrawn (or refused, expired): a second withdrawal changes nothing and writes nothing.
        raise Conflict(f"Ce contrat est « {convention.get_status_display()} » : il n'y a plus rien à rétracter.", code="nothing_to_withdraw")
    if convention.withdrawal_ends_at <= moment:
        raise Conflict("Le délai de rétractation de 10 jours est écoulé.", code="withdrawal_period_over")
    convention.status, convention.closed_at = Convention.Status.WITHDRAWN, moment
    convention.save(update_fields=["status", "closed_at"])
    audit_event_record(action="contract.withdrawn", actor=actor, target=convention, details={"bilan_id": str(convention.bilan_id)})
    return convention


def contract_payment_check(*, convention: Convention, amount_cents: int, already_paid_cents: int = 0, now: datetime | None = None) -> None:
    """CT-17: no payment before the withdrawal period ends; then at most 30 % of the price, the
    balance staggered over the bilan. Invoicing asks here before requesting a payment."""
    moment = clock.now(now)
    if convention.kind != Convention.Kind.CONTRACT:
        return
    if convention.status != Convention.Status.SIGNED or convention.withdrawal_ends_at is None:
        raise Conflict("Aucun paiement ne peut être demandé avant la signature du contrat.", code="contract_not_signed")
    if moment < convention.withdrawal_ends_at:
        raise Conflict(
            f"Aucun paiement ne peut être demandé avant la fin du délai de rétractation, le {timezone.localtime(convention.withdrawal_ends_at):%d/%m/%Y à %H:%M}.",
            code="withdrawal_period_running",
        )
    if already_paid_cents == 0 and amount_cents * 10 > convention.price_cents * 3:
        raise Conflict("Le premier paiement ne peut pas dépasser 30 % du prix (article L6353-6).", code="first_payment_too_high")
    if already_paid_cents + amount_cents > convention.price_cents:
        raise Conflict("Ce paiement dépasserait le prix convenu.", code="payment_above_price")


def _convention_expire(convention: Convention, moment: datetime) -> None:
    convention.status, convention.closed_at = Convention.Status.EXPIRED, moment
    convention.save(update_fields=["status", "closed_at"])
    audit_event_record(action="convention.expired", target=convention, details={"bilan_id": str(convention.bilan_id)})
    from organisations.services import notification_create

    bilan = convention.bilan
    message = "La convention n'a pas été signée dans les 10 jours : l'absence de signature vaut refus."
    if bilan.consultant_id:
        notification_create(recipient=bilan.consultant, kind="convention", title="Convention expirée sans signature", body=message, url=f"/bilans/{bilan.pk}/", email=True)
    if bilan.beneficiary.user_id:
        notification_create(recipient=bilan.beneficiary.user, kind="convention", title="Convention expirée sans signature", body=message, url="/mon-bilan/")


def conventions_expire(*, now: datetime | None = None) -> int:
    """CT-15: expire every tripartite convention still unsigned 10 days after sending.
    Called by the periodic job (bilans.tasks.expire_conventions); idempotent."""
    moment = clock.now(now)
    count = 0
    for convention_id in Convention.objects.filter(status=Convention.Status.SENT, expires_at__lte=moment).values_list("pk", flat=True):
        with transaction.atomic():
            convention = Convention.objects.select_for_update(skip_locked=True).filter(pk=convention_id, status=Convention.Status.SENT).first()
            if convention is not None:
                _convention_expire(convention, moment)
                count += 1
    return count


# =================================================================================================
# Tasks, files, satisfaction
# =================================================================================================
@transaction.atomic
def task_create(*, actor: User, bilan: Bilan, title: str, kind: str = Task.Kind.GUIDED_WORK, instructions: str = "", due_on=None, url: str = "") -> Task:
    _ensure_manage(actor, bilan)
    if not (title or "").strip():
        raise InvalidInput("Donnez un intitulé à la tâche.", code="task_title_required")
    if kind not in Task.Kind.values:
        raise InvalidInput("Type de tâche inconnu.", code="invalid_task_kind")
    task = Task.objects.create(bilan=bilan, kind=kind, title=title.strip()[:200], instructions=(instructions or "").strip(), due_on=due_on, url=url)
    audit_event_record(action="task.created", actor=actor, target=task, details={"bilan_id": str(bilan.pk), "kind": kind})
    if bilan.beneficiary.user_id:
        from organisations.services import notification_create

        notification_create(recipient=bilan.beneficiary.user, kind="task", title=f"Nouvelle tâche : {task.title}", url="/mon-bilan/#taches")
    return task


@transaction.atomic
def task_complete(*, actor: User, task: Task, time_spent_minutes: int | None = None, now: datetime | None = None) -> Task:
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, task.bilan):
        _ensure_manage(actor, task.bilan)
    if time_spent_minutes is not None and (time_spent_minutes < 0 or time_spent_minutes > MAX_BILAN_MINUTES):
        raise InvalidInput("Le temps passé doit être compris entre 0 et 24 h.", code="invalid_time_spent")
    task.done_at = clock.now(now)
    task.time_spent_minutes = time_spent_minutes
    task.save(update_fields=["done_at", "time_spent_minutes"])
    audit_event_record(action="task.completed", actor=actor, target=task, details={"bilan_id": str(task.bilan_id), "time_spent_minutes": time_spent_minutes})
    return task


ALLOWED_FILE_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_MAGIC = {".pdf": (b"%PDF",), ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".odt": (b"PK",), ".docx": (b"PK",), ".xlsx": (b"PK",)}


def validate_upload(*, filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """Type and size limits of an uploaded file; returns (clean name, content type)."""
    import os

    name = os.path.basename((filename or "").replace("\\", "/")).strip()[:200] or "fichier"
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_FILE_TYPES:
        raise InvalidInput(
            "Ce type de fichier n'est pas accepté. Formats possibles : PDF, PNG, JPEG, TXT, ODT, DOCX, XLSX.", code="file_type_not_allowed"
        )
    if not data:
        raise InvalidInput("Le fichier est vide.", code="file_empty")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"Le fichier dépasse la taille maximale de {max_bytes // (1024 * 1024)} Mo. Réduisez-le ou envoyez-le en plusieurs parties.",
            code="file_too_large",
        )
    magic = _MAGIC.get(extension)
    if magic and not any(data.startswith(m) for m in magic):
        raise InvalidInput("Le contenu du fichier ne correspond pas à son extension.", code="file_type_mismatch")
    return name, ALLOWED_FILE_TYPES[extension]


@transaction.atomic
def bilan_file_add(*, actor: User, bilan: Bilan, title: str, filename: str, data: bytes, kind: str = BilanFile.Kind.WORKING) -> BilanFile:
    """Store a file of the bilan, encrypted at rest."""
    from django.conf import settings as dj_settings

    from config.crypto import encrypted_file_save

    _ensure_manage(actor, bilan)
    if kind not in BilanFile.Kind.values:
        raise InvalidInput("Type de document inconnu.", code="invalid_file_kind")
    name, content_type = validate_upload(filename=filename, data=data, max_bytes=dj_settings.MESSAGE_ATTACHMENT_MAX_BYTES)
    record = BilanFile(bilan=bilan, kind=kind, title=(title or name).strip()[:200], filename=name, content_type=content_type, size=len(data), uploaded_by=actor)
    encrypted_file_save(record.file, name, data)
    record.save()
    audit_event_record(action="bilan_file.added", actor=actor, target=record, details={"bilan_id": str(bilan.pk), "kind": kind, "size": len(data)})
    return record


@transaction.atomic
def bilan_file_share(*, actor: User, record: BilanFile, now: datetime | None = None) -> BilanFile:
    _ensure_manage(actor, record.bilan)
    record.shared_with_beneficiary_at = clock.now(now)
    record.save(update_fields=["shared_with_beneficiary_at"])
    audit_event_record(action="bilan_file.shared", actor=actor, target=record, details={"bilan_id": str(record.bilan_id)})
    if record.bilan.beneficiary.user_id:
        from organisations.services import notification_create

        notification_create(recipient=record.bilan.beneficiary.user, kind="document", title="Un document est disponible dans votre espace", url="/mon-bilan/#documents")
    return record


RETENTION_MAX_YEARS = 3  # CT-09 / RG-02: at most 3 years, on a written agreement


def retention_method_ensure_written(method: str) -> None:
    """CT-09 (b), recorded by staff: the beneficiary's agreement to keep a document must be
    written (signed paper or e-mail); the beneficiary may also agree online from their space."""
    if method in (Consent.Method.ORAL_RECORDED, Consent.Method.ONLINE):
        raise InvalidInput(
            "La conservation demande un accord écrit du bénéficiaire (article R6313-7) : un document papier signé ou un e-mail. "
            "Le bénéficiaire peut aussi donner son accord en ligne depuis son espace.",
            code="retention_agreement_not_written",
        )
    if method not in (BilanFile.RetentionMethod.SIGNED_PAPER, BilanFile.RetentionMethod.EMAIL):
        raise InvalidInput("Indiquez comment l'accord écrit du bénéficiaire a été recueilli.", code="retention_method_required")


def retention_terms_ensure_complete(
    *, follow_up_need: str, agreement_reference: str, agreement_date: date | None, keep_until: date | None, ended_on: date, today: date
) -> tuple[str, str]:
    """CT-09 (b), the one check of a retention agreement's terms, for working files and generated
    documents alike: the follow-up need, the written agreement's reference and date, and a
    keep-until date in the future and at most 3 years after the end. Returns the cleaned need
    and reference."""
    follow_up_need = (follow_up_need or "").strip()
    agreement_reference = (agreement_reference or "").strip()[:200]
    if not follow_up_need:
        raise InvalidInput("Indiquez le besoin de suivi qui justifie de conserver ce document.", code="retention_follow_up_need_required")
    if not agreement_reference:
        raise InvalidInput(
            "Indiquez la référence de l'accord écrit (par exemple : « courrier signé remis en entretien », « e-mail du bénéficiaire »).",
            code="retention_agreement_reference_required",
        )
    if agreement_date is None:
        raise InvalidInput("Indiquez la date de l'accord écrit.", code="retention_agreement_date_required")
    if agreement_date > today:
        raise InvalidInput("La date de l'accord écrit ne peut pas être dans le futur.", code="retention_agreement_date_in_future")
    if keep_until is None:
        raise InvalidInput("Indiquez jusqu'à quand conserver le document.", code="retention_until_required")
    limit = _add_months(ended_on, 12 * RETENTION_MAX_YEARS)
    if keep_until > limit:
        raise InvalidInput(f"La conservation ne peut pas dépasser 3 ans après la fin du bilan, soit le {limit:%d/%m/%Y} (article R6313-7).", code="retention_too_long")
    if keep_until <= today:
        raise InvalidInput("La date de conservation doit être dans le futur.", code="retention_in_past")
    return follow_up_need, agreement_reference


@transaction.atomic
def bilan_file_agree_retention(
    *,
    actor: User,
    record: BilanFile,
    keep_until: date,
    method: str = "",
    follow_up_need: str = "",
    agreement_reference: str = "",
    agreement_date: date | None = None,
    now: datetime | None = None,
) -> BilanFile:
    """CT-09 (b): record the beneficiary's *written* agreement to keep a working document after
    the end of the bilan, for their follow-up, until ``keep_until`` (at most 3 years after the
    end). What is kept: how the written agreement was obtained (``signed_paper`` or ``email``,
    recorded by the consultant or an administrator, with the reference and date of that written
    document), and the follow-up need it is based on. The beneficiary may also agree online from
    their space, for a document made available to them: the method is then ``online`` and the
    reference and date are those of their online agreement. Anything missing is refused."""
    from organisations.permissions import is_bilan_beneficiary

    moment = clock.now(now)
    today = timezone.localdate(moment)
    by_beneficiary = is_bilan_beneficiary(actor, record.bilan)
    if by_beneficiary:
        if record.shared_with_beneficiary_at is None or record.destroyed_at is not None:
            raise NotFound("Document introuvable.", code="bilan_file_not_found")
        method = BilanFile.RetentionMethod.ONLINE
        agreement_reference = f"Accord en ligne du bénéficiaire depuis son espace, le {timezone.localtime(moment):%d/%m/%Y à %H:%M}"
        agreement_date = today
    else:
        _ensure_manage(actor, record.bilan)
        retention_method_ensure_written(method)
    if record.kind != BilanFile.Kind.WORKING:
        raise InvalidInput("Seuls les documents de travail ont besoin d'un accord de conservation.", code="retention_not_needed")
    if record.destroyed_at is not None:
        raise Conflict("Ce document a déjà été détruit.", code="bilan_file_destroyed")
    follow_up_need, agreement_reference = retention_terms_ensure_complete(
        follow_up_need=follow_up_need, agreement_reference=agreement_reference, agreement_date=agreement_date,
        keep_until=keep_until, ended_on=timezone.localdate(record.bilan.ended_at or moment), today=today,
    )
    record.retention_agreed_at, record.retained_until = moment, keep_until
    record.retention_method, record.retention_follow_up_need = method, follow_up_need
    record.retention_agreement_reference, record.retention_agreement_date = agreement_reference, agreement_date
    record.retention_recorded_by = actor
    record.save(update_fields=[
        "retention_agreed_at", "retained_until", "retention_method", "retention_follow_up_need", "retention_agreement_reference",
        "retention_agreement_date", "retention_recorded_by",
    ])
    audit_event_record(
        action="bilan_file.retention_agreed", actor=actor, target=record,
        details={"bilan_id": str(record.bilan_id), "until": keep_until.isoformat(), "method": method, "agreement_date": agreement_date.isoformat()},
    )
    if by_beneficiary and record.bilan.consultant_id:
        from organisations.services import notification_create

        notification_create(
            recipient=record.bilan.consultant, kind="document", title="Un bénéficiaire accepte la conservation d'un document pour son suivi",
            url=f"/bilans/{record.bilan_id}/#documents",
        )
    return record


# Other features (bilans.documents…) register functions ``handler(*, now) -> int`` destroying
# their own expired content; retention_purge calls them.
RETENTION_HANDLERS: list = []


def register_retention_handler(handler):
    if handler not in RETENTION_HANDLERS:
        RETENTION_HANDLERS.append(handler)
    return handler


def retention_purge(*, now: datetime | None = None) -> int:
    """CT-09, RG-02: destroy the working documents of ended bilans, except those kept on the
    beneficiary's written agreement (until the agreed date, at most 3 years) and the records the
    organisation must keep (attendance, invoices, conventions). Each destruction leaves an audit
    entry saying what and why, never the content. Idempotent; run by a periodic job."""
    moment = clock.now(now)
    today = timezone.localdate(moment)
    due = (
        BilanFile.objects.filter(
            bilan__status__in=[S.FINISHED, S.FOLLOW_UP_DONE, S.CLOSED, S.ABANDONED],
            bilan__ended_at__lte=moment,
            destroyed_at__isnull=True,
            kind=BilanFile.Kind.WORKING,
        )
        .filter(Q(retained_until__isnull=True) | Q(retained_until__lte=today))
        .values_list("pk", flat=True)
    )
    destroyed = 0
    for file_id in list(due):
        with transaction.atomic():
            record = BilanFile.objects.select_for_update(skip_locked=True).filter(pk=file_id, destroyed_at__isnull=True).first()
            if record is None:
                continue
            reason = "fin de la durée de conservation convenue par écrit (R6313-7)" if record.retained_until else "fin du bilan (R6313-7)"
            stored_name = record.file.name
            if stored_name:
                record.file.storage.delete(stored_name)
            record.file = ""
            record.destroyed_at, record.destruction_reason = moment, reason
            record.save(update_fields=["file", "destroyed_at", "destruction_reason"])
            audit_event_record(
                action="bilan_file.destroyed", target=record,
                details={"bilan_id": str(record.bilan_id), "kind": record.kind, "size": record.size, "reason": reason},
            )
            destroyed += 1
    Bilan.objects.filter(status__in=[S.FINISHED, S.FOLLOW_UP_DONE, S.CLOSED, S.ABANDONED], retention_processed_at__isnull=True, ended_at__lte=moment).update(
        retention_processed_at=moment
    )
    for handler in RETENTION_HANDLERS:
        destroyed += handler(now=moment) or 0
    return destroyed


@transaction.atomic
def survey_answer(
    *, actor: User, survey: SatisfactionSurvey, score: int, objectives_met: bool | None = None, situation_after: str = "", comment: str = "", now: datetime | None = None
) -> SatisfactionSurvey:
    from organisations.permissions import is_bilan_beneficiary

    if not is_bilan_beneficiary(actor, survey.bilan):
        raise Forbidden("Ce questionnaire est destiné au bénéficiaire du bilan.", code="survey_forbidden")
    moment = clock.now(now)
    survey = SatisfactionSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.sent_at is None or survey.scheduled_for > moment:
        raise Conflict("Ce questionnaire n'est pas encore ouvert.", code="survey_not_open")
    if survey.answered_at is not None:
        raise Conflict("Vous avez déjà répondu à ce questionnaire. Merci !", code="survey_answered")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput("Choisissez une note de 1 à 5.", code="invalid_score")
    survey.score, survey.objectives_met, survey.situation_after, survey.comment = score, objectives_met, situation_after.strip()[:200], comment.strip()
    survey.answered_at = moment
    survey.save()
    Task.objects.filter(bilan=survey.bilan, kind=Task.Kind.QUESTIONNAIRE, url="/mon-bilan/satisfaction/", done_at__isnull=True).update(done_at=moment)
    audit_event_record(action="survey.answered", actor=actor, target=survey, details={"bilan_id": str(survey.bilan_id), "kind": survey.kind})
    return survey


def surveys_send_due(*, now: datetime | None = None) -> int:
    """Send the delayed satisfaction questionnaires that are due (3 months after the end)."""
    from organisations.services import notification_create

    moment = clock.now(now)
    sent = 0
    for survey in SatisfactionSurvey.objects.select_related("bilan__beneficiary__user").filter(sent_at__isnull=True, scheduled_for__lte=moment):
        with transaction.atomic():
            if SatisfactionSurvey.objects.filter(pk=survey.pk, sent_at__isnull=True).update(sent_at=moment) != 1:
                continue
            Task.objects.create(
                bilan=survey.bilan, kind=Task.Kind.QUESTIONNAIRE, title="Où en êtes-vous quelques mois après votre bilan ?",
                url="/mon-bilan/satisfaction/", due_on=timezone.localdate(moment) + timedelta(days=30),
            )
            user = survey.bilan.beneficiary.user
            if user is not None and user.is_active:
                notification_create(recipient=user, kind="survey", title="Où en êtes-vous quelques mois après votre bilan ?", url="/mon-bilan/satisfaction/", email=True)
            audit_event_record(action="survey.sent", target=survey, details={"bilan_id": str(survey.bilan_id), "kind": survey.kind})
            sent += 1
    return sent


FOLLOW_UP_REMINDER_DAYS = 21


def follow_ups_remind(*, now: datetime | None = None) -> int:
    """Three weeks before the six-month follow-up is due, remind the consultant (and invite the
    beneficiary to book it) unless it is already planned. Idempotent (periodic job)."""
    from organisations.services import notification_create

    moment = clock.now(now)
    horizon = timezone.localdate(moment) + timedelta(days=FOLLOW_UP_REMINDER_DAYS)
    due = Bilan.objects.filter(status=S.FINISHED, follow_up_due_on__lte=horizon, follow_up_reminded_at__isnull=True).select_related(
        "consultant", "beneficiary__user"
    )
    count = 0
    for bilan in due:
        if Bilan.objects.filter(pk=bilan.pk, follow_up_reminded_at__isnull=True).update(follow_up_reminded_at=moment) != 1:
            continue
        already = bilan.sessions.filter(interview_type=Session.InterviewType.FOLLOW_UP).exclude(attendance=Session.Attendance.CANCELLED).exists()
        if not already:
            when = f"{bilan.follow_up_due_on:%d/%m/%Y}"
            if bilan.consultant_id:
                notification_create(recipient=bilan.consultant, kind="follow_up", title=f"Entretien de suivi à 6 mois à planifier (vers le {when})", url=f"/bilans/{bilan.pk}/", email=True)
            if bilan.beneficiary.user_id:
                notification_create(recipient=bilan.beneficiary.user, kind="follow_up", title="Votre entretien de suivi approche : prenez rendez-vous", url="/rendez-vous/", email=True)
        audit_event_record(action="bilan.follow_up_reminded", target=bilan, details={"bilan_id": str(bilan.pk), "already_planned": already})
        count += 1
    return count
