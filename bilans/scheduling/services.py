"""Availability, booking (no double booking: PostgreSQL exclusion constraint), video links,
reminders and calendar feeds."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from bilans import clock
from bilans.models import Beneficiary, Bilan, Session
from bilans.scheduling.models import Appointment, AvailabilityException, AvailabilityRule, CalendarFeed, SchedulingSettings
from bilans.scheduling.visio import visio_provider
from config.dramatiq import enqueue_on_commit
from config.errors import Conflict, Forbidden, InvalidInput
from organisations.accounts.models import Role, User
from organisations.accounts.services import audit_event_record
from organisations.permissions import ensure_can_book_for, ensure_role, has_role


def scheduling_settings() -> SchedulingSettings:
    settings_row = SchedulingSettings.objects.order_by("pk").first()
    return settings_row or SchedulingSettings.objects.create()


@transaction.atomic
def scheduling_settings_update(*, actor: User, **values) -> SchedulingSettings:
    ensure_role(actor, Role.ADMIN)
    row = scheduling_settings()
    for name in ("min_booking_notice_hours", "min_change_notice_hours", "max_booking_days_ahead", "default_duration_minutes"):
        if name in values:
            value = values[name]
            if not isinstance(value, int) or value < 0:
                raise InvalidInput("Les délais sont des nombres entiers positifs.", code="invalid_setting")
            setattr(row, name, value)
    if row.default_duration_minutes < 15:
        raise InvalidInput("Un entretien dure au moins 15 minutes.", code="invalid_setting")
    row.save()
    audit_event_record(action="scheduling.settings_updated", actor=actor, target=row, details={k: v for k, v in values.items()})
    return row


# --- availability ---------------------------------------------------------------------------
def _ensure_own_calendar(actor: User, consultant: User) -> None:
    if not (has_role(actor, Role.ADMIN) or (has_role(actor, Role.CONSULTANT) and actor.pk == consultant.pk)):
        raise Forbidden("Seuls le consultant et les administrateurs gèrent ces disponibilités.", code="availability_forbidden")
    if consultant.role != Role.CONSULTANT:
        raise InvalidInput("Les disponibilités concernent un consultant.", code="invalid_consultant")


@transaction.atomic
def availability_rule_add(*, actor: User, consultant: User, weekday: int, start_time, end_time) -> AvailabilityRule:
    _ensure_own_calendar(actor, consultant)
    if not 0 <= int(weekday) <= 6:
        raise InvalidInput("Jour inconnu.", code="invalid_weekday")
    if end_time <= start_time:
        raise InvalidInput("L'heure de fin doit suivre l'heure de début.", code="invalid_times")
    overlapping = AvailabilityRule.objects.filter(consultant=consultant, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time)
    if overlapping.exists():
        raise Conflict("Cette plage chevauche une disponibilité existante du même jour.", code="availability_overlap")
    rule = AvailabilityRule.objects.create(consultant=consultant, weekday=weekday, start_time=start_time, end_time=end_time)
    audit_event_record(action="availability.rule_added", actor=actor, target=rule, details={"consultant_id": consultant.pk})
    return rule


@transaction.atomic
def availability_rule_delete(*, actor: User, rule: AvailabilityRule) -> None:
    _ensure_own_calendar(actor, rule.consultant)
    audit_event_record(action="availability.rule_deleted", actor=actor, target=rule, details={"consultant_id": rule.consultant_id})
    rule.delete()


@transaction.atomic
def availability_exception_add(*, actor: User, consultant: User, starts_at: datetime, ends_at: datetime, kind: str = AvailabilityException.Kind.UNAVAILABLE) -> AvailabilityException:
    _ensure_own_calendar(actor, consultant)
    ensure_start_in_range(starts_at, timezone.now(), message="Indiquez le début de l'absence.")
    ensure_start_in_range(ends_at, timezone.now(), message="Indiquez la fin de l'absence.")
    if ends_at <= starts_at:
        raise InvalidInput("La fin doit suivre le début.", code="invalid_times")
    if kind not in AvailabilityException.Kind.values:
        raise InvalidInput("Type d'exception inconnu.", code="invalid_kind")
    exception = AvailabilityException.objects.create(consultant=consultant, kind=kind, starts_at=starts_at, ends_at=ends_at)
    audit_event_record(action="availability.exception_added", actor=actor, target=exception, details={"consultant_id": consultant.pk, "kind": kind})
    return exception


def is_within_availability(consultant: User, starts_at: datetime, ends_at: datetime) -> bool:
    exceptions = AvailabilityException.objects.filter(consultant=consultant, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exceptions.filter(kind=AvailabilityException.Kind.UNAVAILABLE).exists():
        return False
    if exceptions.filter(kind=AvailabilityException.Kind.AVAILABLE, starts_at__lte=starts_at, ends_at__gte=ends_at).exists():
        return True
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if local_start.date() != local_end.date():
        return False
    return AvailabilityRule.objects.filter(
        consultant=consultant, weekday=local_start.weekday(), start_time__lte=local_start.time(), end_time__gte=local_end.time()
    ).exists()


# --- booking --------------------------------------------------------------------------------
MAX_SCHEDULING_HORIZON = timedelta(days=5 * 365)  # nothing is booked more than 5 years away


def ensure_start_in_range(starts_at: datetime | None, now: datetime, *, message: str = "Indiquez la date et l'heure du rendez-vous.") -> None:
    """Refuse a missing, naive or far-fetched start (e.g. year 9999) before any date arithmetic,
    which would otherwise overflow. Subtracting two datetimes never overflows."""
    if starts_at is None or not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise InvalidInput(message, code="invalid_start")
    if abs(starts_at - now) > MAX_SCHEDULING_HORIZON:
        raise InvalidInput("Cette date est trop éloignée : un rendez-vous se prévoit dans les cinq ans.", code="invalid_start")
def _bilan_for(beneficiary: Beneficiary, interview_type: str) -> Bilan | None:
    statuses = list(Bilan.OPEN_STATUSES)
    if interview_type == Session.InterviewType.FOLLOW_UP:
        statuses.append(Bilan.Status.FINISHED)
    return Bilan.objects.filter(beneficiary=beneficiary, status__in=statuses).order_by("-created_at").first()


def default_interview_type(beneficiary: Beneficiary, *, on) -> str:
    """Follow-up when the person has no bilan running and a finished one whose six-month
    follow-up interview is due (within the reminder horizon of bilans.services), else none."""
    from bilans.services import FOLLOW_UP_REMINDER_DAYS

    if Bilan.objects.filter(beneficiary=beneficiary, status__in=Bilan.OPEN_STATUSES).exists():
        return ""
    due = Bilan.objects.filter(
        beneficiary=beneficiary, status=Bilan.Status.FINISHED, follow_up_due_on__isnull=False,
        follow_up_due_on__lte=on + timedelta(days=FOLLOW_UP_REMINDER_DAYS),
    ).exists()
    return Session.InterviewType.FOLLOW_UP if due else ""


def _check_beneficiary_notice(*, starts_at: datetime, now: datetime, rules: SchedulingSettings) -> None:
    if starts_at < now + timedelta(hours=rules.min_booking_notice_hours):
        raise Conflict(
            f"Les rendez-vous se réservent au moins {rules.min_booking_notice_hours} h à l'avance. Choisissez un créneau plus tardif ou contactez votre consultant.",
            code="booking_notice_too_short",
        )
    if starts_at > now + timedelta(days=rules.max_booking_days_ahead):
        raise Conflict(f"Les rendez-vous se réservent au plus {rules.max_booking_days_ahead} jours à l'avance.", code="booking_too_far")


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    beneficiary: Beneficiary,
    starts_at: datetime,
    duration_minutes: int | None = None,
    modality: str = Appointment.Modality.VIDEO,
    consultant: User | None = None,
    location: str = "",
    interview_type: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book a time with the beneficiary's consultant. A beneficiary books inside the published
    availability and the organisation's notice rules; a consultant or administrator may book any
    free time. Two bookings of one consultant cannot overlap: PostgreSQL refuses the second."""
    ensure_can_book_for(actor, beneficiary)
    moment = clock.now(now)
    rules = scheduling_settings()
    consultant = consultant or beneficiary.consultant
    if consultant is None:
        raise Conflict("Aucun consultant n'est encore attribué : la réservation sera possible ensuite.", code="no_consultant")
    if actor.role == Role.BENEFICIARY and consultant.pk != beneficiary.consultant_id:
        raise Forbidden("Vous ne pouvez réserver qu'avec votre consultant.", code="appointment_forbidden")
    if consultant.role != Role.CONSULTANT or not consultant.is_active:
        raise InvalidInput("La personne choisie n'est pas un consultant actif.", code="invalid_consultant")
    if modality not in Appointment.Modality.values:
        raise InvalidInput("Modalité inconnue.", code="invalid_modality")
    interview_type = interview_type or ""
    if interview_type and interview_type not in Session.InterviewType.values:
        raise InvalidInput("Type d'entretien inconnu.", code="invalid_interview_type")
    ensure_start_in_range(starts_at, moment)
    if not interview_type:
        interview_type = default_interview_type(beneficiary, on=timezone.localdate(moment))
    duration = duration_minutes or rules.default_duration_minutes
    if not 15 <= duration <= 8 * 60:
        raise InvalidInput("Un rendez-vous dure entre 15 minutes et 8 heures.", code="invalid_duration")
    ends_at = starts_at + timedelta(minutes=duration)
    if starts_at <= moment:
        raise Conflict("Ce créneau est déjà passé.", code="slot_in_past")
    if actor.role == Role.BENEFICIARY:
        _check_beneficiary_notice(starts_at=starts_at, now=moment, rules=rules)
        if not is_within_availability(consultant, starts_at, ends_at):
            raise Conflict("Ce créneau ne fait pas partie des disponibilités de votre consultant.", code="slot_unavailable")
    _serialize_bookings_of(consultant)
    bilan = _bilan_for(beneficiary, interview_type)
    session = None
    if bilan is not None:
        from bilans.services import session_plan

        session = session_plan(
            actor=actor, bilan=bilan, starts_at=starts_at, duration_minutes=duration, kind=Session.Kind.ACCOMPANIMENT,
            interview_type=interview_type, modality=modality, booking=True,
        )
    visio_url, provider = "", ""
    if modality == Appointment.Modality.VIDEO:
        provider_obj = visio_provider()
        visio_url, provider = provider_obj.create_room(), provider_obj.name
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                consultant=consultant, beneficiary=beneficiary, bilan=bilan, session=session, starts_at=starts_at, ends_at=ends_at,
                modality=modality, location=location.strip()[:300], visio_provider=provider, visio_url=visio_url, booked_by=actor,
            )
    except IntegrityError as exc:
        if "appointment_no_double_booking" in str(exc):
            raise Conflict("Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez-en un autre.", code="slot_taken") from exc
        raise
    audit_event_record(
        action="appointment.booked", actor=actor, target=appointment,
        details={"bilan_id": str(bilan.pk) if bilan else None, "modality": modality, "duration_minutes": duration},
    )
    _notify(appointment, actor=actor, change="booked")
    return appointment


APPOINTMENT_MINUTES = (15, 8 * 60)


@transaction.atomic
def bilan_session_schedule(
    *,
    actor: User,
    bilan: Bilan,
    starts_at: datetime,
    duration_minutes: int,
    kind: str = Session.Kind.ACCOMPANIMENT,
    interview_type: str = "",
    modality: str = Session.Modality.IN_PERSON,
    instructions: str = "",
    now: datetime | None = None,
) -> Session:
    """A session planned from the bilan page. A future interview with the consultant (in person,
    by video or phone) is booked as an appointment, so it gets its visio room, reminders and
    calendar entry and takes the consultant's time like any booking; guided work, autonomous
    sessions and sessions recorded after the fact are sessions only. ``session_plan`` applies the
    24-hour cap either way."""
    from bilans.services import session_plan
    from organisations.permissions import can_book_for, ensure_can_manage_bilan

    ensure_role(actor, Role.ADMIN, Role.CONSULTANT)
    ensure_can_manage_bilan(actor, bilan)
    moment = clock.now(now)
    bookable = (
        kind == Session.Kind.ACCOMPANIMENT
        and modality in Appointment.Modality.values
        and starts_at is not None
        and timezone.is_aware(starts_at)
        and starts_at > moment
        and isinstance(duration_minutes, int)
        and APPOINTMENT_MINUTES[0] <= duration_minutes <= APPOINTMENT_MINUTES[1]
        and bilan.consultant_id is not None
        and _bilan_for(bilan.beneficiary, interview_type or "") == bilan
        and can_book_for(actor, bilan.beneficiary)
    )
    if not bookable:
        return session_plan(
            actor=actor, bilan=bilan, starts_at=starts_at, duration_minutes=duration_minutes, kind=kind,
            interview_type=interview_type, modality=modality, instructions=instructions,
        )
    appointment = appointment_book(
        actor=actor, beneficiary=bilan.beneficiary, starts_at=starts_at, duration_minutes=duration_minutes, modality=modality,
        consultant=bilan.consultant, interview_type=interview_type, now=moment,
    )
    session = appointment.session
    if instructions.strip():
        session.instructions = instructions.strip()
        session.save(update_fields=["instructions"])
    return session


def _notify(appointment: Appointment, *, actor: User, change: str) -> None:
    from organisations.services import notification_create

    when = timezone.localtime(appointment.starts_at).strftime("%d/%m/%Y à %H:%M")
    titles = {
        "booked": f"Rendez-vous confirmé le {when}",
        "moved": f"Rendez-vous déplacé au {when}",
        "cancelled": f"Rendez-vous du {when} annulé",
    }
    recipients = [appointment.consultant, appointment.beneficiary.user]
    for user in recipients:
        if user is None or not user.is_active:
            continue
        notification_create(recipient=user, kind="appointment", title=titles[change], url="/rendez-vous/")
        enqueue_on_commit(_email_actor(), str(appointment.pk), user.pk, change)


def _email_actor():
    from bilans.scheduling.tasks import send_appointment_email

    return send_appointment_email


def _serialize_bookings_of(consultant: User) -> None:
    """Two transactions inserting overlapping rows at once make PostgreSQL's exclusion check wait
    on each other and abort one as a deadlock. Locking the consultant's row first queues them: the
    second then sees the first's committed appointment and gets a clean `slot_taken`."""
    list(User.objects.select_for_update().filter(pk=consultant.pk).values_list("pk", flat=True))


def _lock(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related("beneficiary", "consultant", "session").get(pk=appointment.pk)


@transaction.atomic
def appointment_move(*, actor: User, appointment: Appointment, starts_at: datetime, now: datetime | None = None) -> Appointment:
    ensure_can_book_for(actor, appointment.beneficiary)
    appointment = _lock(appointment)
    moment = clock.now(now)
    rules = scheduling_settings()
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict("Ce rendez-vous est annulé.", code="appointment_cancelled")
    ensure_start_in_range(starts_at, moment, message="Choisissez un nouveau créneau à venir.")
    if starts_at <= moment:
        raise InvalidInput("Choisissez un nouveau créneau à venir.", code="invalid_start")
    duration = appointment.ends_at - appointment.starts_at
    if actor.role == Role.BENEFICIARY:
        if appointment.starts_at < moment + timedelta(hours=rules.min_change_notice_hours):
            raise Conflict(
                f"Un rendez-vous se déplace au moins {rules.min_change_notice_hours} h à l'avance. Contactez votre consultant.",
                code="change_notice_too_short",
            )
        _check_beneficiary_notice(starts_at=starts_at, now=moment, rules=rules)
        if not is_within_availability(appointment.consultant, starts_at, starts_at + duration):
            raise Conflict("Ce créneau ne fait pas partie des disponibilités de votre consultant.", code="slot_unavailable")
    if appointment.session_id:
        from bilans.services import session_plan

        s = appointment.session
        session_plan(actor=actor, bilan=s.bilan, starts_at=starts_at, duration_minutes=s.duration_minutes, kind=s.kind,
                     interview_type=s.interview_type, modality=s.modality, session=s, booking=True)
    previous = appointment.starts_at
    appointment.starts_at, appointment.ends_at = starts_at, starts_at + duration
    appointment.sequence += 1
    appointment.reminder_24h_sent_at = appointment.reminder_1h_sent_at = None
    _serialize_bookings_of(appointment.consultant)
    try:
        with transaction.atomic():
            appointment.save(update_fields=["starts_at", "ends_at", "sequence", "reminder_24h_sent_at", "reminder_1h_sent_at"])
    except IntegrityError as exc:
        if "appointment_no_double_booking" in str(exc):
            raise Conflict("Ce créneau est déjà pris. Choisissez-en un autre.", code="slot_taken") from exc
        raise
    audit_event_record(
        action="appointment.moved", actor=actor, target=appointment,
        details={"bilan_id": str(appointment.bilan_id) if appointment.bilan_id else None, "from": previous.isoformat(), "to": starts_at.isoformat()},
    )
    _notify(appointment, actor=actor, change="moved")
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment, now: datetime | None = None) -> Appointment:
    ensure_can_book_for(actor, appointment.beneficiary)
    appointment = _lock(appointment)
    moment = clock.now(now)
    if appointment.status != Appointment.Status.BOOKED:
        return appointment
    if actor.role == Role.BENEFICIARY:
        rules = scheduling_settings()
        if appointment.starts_at < moment + timedelta(hours=rules.min_change_notice_hours):
            raise Conflict(
                f"Un rendez-vous s'annule au moins {rules.min_change_notice_hours} h à l'avance. Contactez votre consultant.",
                code="change_notice_too_short",
            )
    appointment.status, appointment.cancelled_at = Appointment.Status.CANCELLED, moment
    appointment.sequence += 1
    appointment.save(update_fields=["status", "cancelled_at", "sequence"])
    if appointment.session_id and appointment.session.attendance == Session.Attendance.PLANNED:
        Session.objects.filter(pk=appointment.session_id).update(attendance=Session.Attendance.CANCELLED)
    audit_event_record(
        action="appointment.cancelled", actor=actor, target=appointment,
        details={"bilan_id": str(appointment.bilan_id) if appointment.bilan_id else None},
    )
    _notify(appointment, actor=actor, change="cancelled")
    return appointment


# --- reassignment of a beneficiary ---------------------------------------------------------------
def _is_free(consultant: User, starts_at: datetime, ends_at: datetime) -> bool:
    """The consultant has no live appointment overlapping this time (what the exclusion
    constraint enforces) and no recorded unavailability (holidays, training) then."""
    overlapping = Appointment.objects.filter(consultant=consultant, status=Appointment.Status.BOOKED, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if overlapping.exists():
        return False
    return not AvailabilityException.objects.filter(
        consultant=consultant, kind=AvailabilityException.Kind.UNAVAILABLE, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists()


def appointments_follow_consultant(
    *, beneficiary: Beneficiary, consultant: User, previous_consultant_ids, actor: User, bilan_statuses, now: datetime | None = None
) -> dict[str, list[str]]:
    """When a beneficiary is given to another consultant (bilans.services._follow_consultant),
    their upcoming booked appointments with a former consultant (for no bilan or a bilan in
    ``bilan_statuses``, those that follow the consultant) move to the new consultant, at the same
    time, when the new consultant is free then. Otherwise the appointment stays with the former
    consultant, and the new consultant and the administrators are told it must be moved.
    Each outcome is audited. Runs inside the caller's transaction; the new consultant's bookings
    are serialised as in ``appointment_book``. Returns {"moved": [ids], "kept": [ids]}."""
    from django.db.models import Q

    moment = clock.now(now)
    previous_ids = {pk for pk in previous_consultant_ids if pk is not None and pk != consultant.pk}
    result: dict[str, list[str]] = {"moved": [], "kept": []}
    if not previous_ids:
        return result
    candidates = list(
        Appointment.objects.filter(beneficiary=beneficiary, status=Appointment.Status.BOOKED, starts_at__gt=moment, consultant_id__in=previous_ids)
        .filter(Q(bilan__isnull=True) | Q(bilan__status__in=list(bilan_statuses)))
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )
    if not candidates:
        return result
    _serialize_bookings_of(consultant)
    for appointment_id in candidates:
        appointment = (
            Appointment.objects.select_for_update(of=("self",)).select_related("consultant", "beneficiary__user")
            .filter(pk=appointment_id, status=Appointment.Status.BOOKED, consultant_id__in=previous_ids).first()
        )
        if appointment is None:
            continue
        former = appointment.consultant
        moved = False
        if _is_free(consultant, appointment.starts_at, appointment.ends_at):
            try:
                with transaction.atomic():
                    Appointment.objects.filter(pk=appointment.pk).update(
                        consultant=consultant, sequence=appointment.sequence + 1, reminder_24h_sent_at=None, reminder_1h_sent_at=None
                    )
                moved = True
            except IntegrityError as exc:
                if "appointment_no_double_booking" not in str(exc):
                    raise
        details = {
            "bilan_id": str(appointment.bilan_id) if appointment.bilan_id else None,
            "consultant_id": consultant.pk, "previous_consultant_id": former.pk, "starts_at": appointment.starts_at.isoformat(),
        }
        if moved:
            appointment.refresh_from_db()
            audit_event_record(action="appointment.consultant_changed", actor=actor, target=appointment, details=details)
            _notify_reassigned(appointment, former=former)
            result["moved"].append(str(appointment.pk))
        else:
            audit_event_record(action="appointment.reassignment_blocked", actor=actor, target=appointment, details=details)
            _notify_reassignment_blocked(appointment, consultant=consultant, former=former)
            result["kept"].append(str(appointment.pk))
    return result


def _notify_reassigned(appointment: Appointment, *, former: User) -> None:
    """The new consultant gets the appointment in their calendar (.ics); the beneficiary and the
    former consultant are told who now holds it."""
    from organisations.services import notification_create

    when = timezone.localtime(appointment.starts_at).strftime("%d/%m/%Y à %H:%M")
    consultant = appointment.consultant
    name = consultant.get_full_name() or consultant.email
    if consultant.is_active:
        notification_create(recipient=consultant, kind="appointment", title=f"Rendez-vous repris : le {when}", url="/rendez-vous/")
        enqueue_on_commit(_email_actor(), str(appointment.pk), consultant.pk, "booked")
    user = appointment.beneficiary.user
    if user is not None and user.is_active:
        notification_create(
            recipient=user, kind="appointment", title=f"Votre rendez-vous du {when} aura lieu avec {name}", url="/rendez-vous/", email=True
        )
    if former.is_active:
        notification_create(recipient=former, kind="appointment", title=f"Rendez-vous du {when} confié à {name}", url="/rendez-vous/")


def _notify_reassignment_blocked(appointment: Appointment, *, consultant: User, former: User) -> None:
    """The new consultant is not free then: they and the administrators must move it."""
    from organisations.services import notification_create

    when = timezone.localtime(appointment.starts_at).strftime("%d/%m/%Y à %H:%M")
    former_name = former.get_full_name() or former.email
    title = f"Rendez-vous du {when} à déplacer : le nouveau consultant n'est pas disponible"
    body = (
        f"Le dossier a été confié à {consultant.get_full_name() or consultant.email}, qui n'est pas disponible le {when} "
        f"(un autre rendez-vous ou une absence à cette heure). Ce rendez-vous reste pour l'instant avec {former_name} : "
        "annulez-le et proposez un nouveau créneau au bénéficiaire, ou libérez ce créneau."
    )
    recipients = {consultant.pk: consultant} if consultant.is_active else {}
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True).order_by("date_joined")[:10]:
        recipients.setdefault(admin.pk, admin)
    for user in recipients.values():
        notification_create(recipient=user, kind="appointment", title=title, body=body, url="/rendez-vous/", email=True)


# --- reminders --------------------------------------------------------------------------------
def appointment_reminders_send(*, now: datetime | None = None) -> list[tuple[str, str]]:
    """Send the reminders that are due: 24 hours and 1 hour before (e-mail with the .ics; the
    1-hour one also by SMS when a phone number is known). Each reminder is claimed by a
    conditional UPDATE and sent inside the same transaction: a concurrent run waits on the row
    and then finds it claimed, and a failed delivery (mail server down…) rolls the claim back, so
    the next run (every 5 minutes) tries again instead of the reminder being marked sent but
    never delivered. Returns [(appointment id, "24h"|"1h")] of the reminders delivered."""
    import logging

    from bilans.scheduling.tasks import deliver_reminder

    moment = clock.now(now)
    sent = []
    candidates = Appointment.objects.filter(
        status=Appointment.Status.BOOKED, starts_at__gt=moment, starts_at__lte=moment + timedelta(hours=24)
    ).values_list("pk", "starts_at", "reminder_24h_sent_at", "reminder_1h_sent_at")
    for pk, starts_at, sent_24, sent_1 in list(candidates):
        if starts_at - moment <= timedelta(hours=1):
            if sent_1 is not None:
                continue
            kind, claim = "1h", dict(filters={"reminder_1h_sent_at__isnull": True}, values={"reminder_1h_sent_at": moment, "reminder_24h_sent_at": sent_24 or moment})
        else:
            if sent_24 is not None:
                continue
            kind, claim = "24h", dict(filters={"reminder_24h_sent_at__isnull": True}, values={"reminder_24h_sent_at": moment})
        try:
            with transaction.atomic():
                if not Appointment.objects.filter(pk=pk, **claim["filters"]).update(**claim["values"]):
                    continue
                deliver_reminder(str(pk), kind)
        except Exception:  # noqa: BLE001 - one failed delivery must not stop the others; retried next run
            logging.getLogger(__name__).warning("Reminder %s of appointment %s not delivered; retried at the next run", kind, pk, exc_info=True)
            continue
        sent.append((str(pk), kind))
    return sent


# --- calendar feed ----------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> str:
    """A new private feed URL token (the previous one stops working). Returns the clear token,
    shown once; only its hash is stored."""
    ensure_role(user, Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=user, token_hash=_hash(token))
    audit_event_record(action="calendar_feed.created", actor=user, target=user)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> int:
    count = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if count:
        audit_event_record(action="calendar_feed.revoked", actor=user, target=user)
    return count


def calendar_feed_user(token: str) -> User | None:
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=_hash(token or ""), revoked_at__isnull=True).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
