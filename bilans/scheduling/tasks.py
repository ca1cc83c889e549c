from __future__ import annotations

from datetime import timedelta

import dramatiq
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from bilans.scheduling.ics import appointment_ics
from bilans.scheduling.models import Appointment
from config.scheduler import periodic
from organisations.accounts.models import Role, User
from tenants.selectors import current_organisation, organisation_url

SUBJECTS = {
    "booked": "Rendez-vous confirmé le {when}",
    "moved": "Rendez-vous déplacé au {when}",
    "cancelled": "Rendez-vous du {when} annulé",
    "24h": "Rappel : rendez-vous demain, le {when}",
    "1h": "Rappel : rendez-vous dans une heure ({when})",
}


def _send(appointment: Appointment, user: User, change: str) -> None:
    """One e-mail with the .ics attached. It carries the date, the modality and the video link,
    never anything about the content of the bilan."""
    organisation = current_organisation()
    org_name = organisation.name if organisation else "Bilans Pro"
    host = organisation_url(organisation, "/").split("//", 1)[-1].split("/", 1)[0].split(":")[0] if organisation else "localhost"
    when = timezone.localtime(appointment.starts_at).strftime("%d/%m/%Y à %H:%M")
    context = {
        "appointment": appointment,
        "user": user,
        "change": change,
        "when": when,
        "organisation_name": org_name,
        "url": organisation_url(organisation, "/rendez-vous/") if organisation else "/rendez-vous/",
    }
    message = EmailMessage(
        subject=SUBJECTS[change].format(when=when),
        body=render_to_string("bilans/email/appointment.txt", context),
        to=[user.email],
    )
    message.attach(
        "rendez-vous.ics",
        appointment_ics(appointment, organisation_name=org_name, host=host, for_consultant=user.role == Role.CONSULTANT),
        "text/calendar; charset=utf-8; method=" + ("CANCEL" if appointment.status == Appointment.Status.CANCELLED else "PUBLISH"),
    )
    message.send()


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_appointment_email(appointment_id: str, user_id: int, change: str) -> None:
    appointment = Appointment.objects.select_related("beneficiary", "consultant").filter(pk=appointment_id).first()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if appointment is None or user is None:
        return
    _send(appointment, user, change)


def deliver_reminder(appointment_id: str, kind: str) -> None:
    from bilans.sms import sms_send
    from organisations.accounts.services import audit_event_record

    appointment = Appointment.objects.select_related("beneficiary", "beneficiary__user", "consultant").get(pk=appointment_id)
    for user in (appointment.beneficiary.user, appointment.consultant):
        if user is not None and user.is_active:
            _send(appointment, user, kind)
    if kind == "1h":
        when = timezone.localtime(appointment.starts_at).strftime("%H:%M")
        sms_send(to=appointment.beneficiary.phone, text=f"Rappel : votre rendez-vous de bilan commence à {when}.")
    audit_event_record(
        action="appointment.reminder_sent", target=appointment,
        details={"bilan_id": str(appointment.bilan_id) if appointment.bilan_id else None, "kind": kind},
    )


@periodic(every=timedelta(minutes=5))
@dramatiq.actor(max_retries=0)
def send_due_reminders() -> None:
    from bilans.scheduling.services import appointment_reminders_send

    appointment_reminders_send()
