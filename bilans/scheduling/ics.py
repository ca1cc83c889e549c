"""iCalendar documents (icalendar library): one event for an e-mail attachment, a feed for
Google Calendar / Outlook subscriptions. Never a beneficiary's content beyond a first name."""
from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from icalendar import Calendar, Event, vText

from bilans.scheduling.models import Appointment


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Bilans Pro//Rendez-vous//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def appointment_summary(appointment: Appointment, *, for_consultant: bool) -> str:
    if for_consultant:
        b = appointment.beneficiary
        return f"Bilan – {b.first_name} {b.last_name[:1]}."
    return "Rendez-vous de bilan de compétences"


def _event(appointment: Appointment, *, organisation_name: str, for_consultant: bool, host: str) -> Event:
    event = Event()
    event.add("uid", f"{appointment.pk}@{host}")
    event.add("dtstamp", datetime.now(dt_timezone.utc))
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("sequence", appointment.sequence)
    event.add("summary", appointment_summary(appointment, for_consultant=for_consultant))
    lines = [f"Avec {organisation_name}."]
    if appointment.visio_url:
        lines.append(f"Lien de la visio : {appointment.visio_url}")
        event.add("url", appointment.visio_url)
        event.add("location", vText(appointment.visio_url))
    elif appointment.location:
        event.add("location", appointment.location)
    elif appointment.modality == Appointment.Modality.PHONE:
        lines.append("Entretien par téléphone.")
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if appointment.status == Appointment.Status.CANCELLED else "CONFIRMED")
    return event


def appointment_ics(appointment: Appointment, *, organisation_name: str, host: str, for_consultant: bool = False) -> bytes:
    calendar = _calendar(organisation_name)
    calendar.add("method", "CANCEL" if appointment.status == Appointment.Status.CANCELLED else "PUBLISH")
    calendar.add_component(_event(appointment, organisation_name=organisation_name, for_consultant=for_consultant, host=host))
    return calendar.to_ical()


def feed_ics(appointments, *, organisation_name: str, host: str, for_consultant: bool) -> bytes:
    calendar = _calendar(f"{organisation_name} – rendez-vous")
    for appointment in appointments:
        calendar.add_component(_event(appointment, organisation_name=organisation_name, for_consultant=for_consultant, host=host))
    return calendar.to_ical()
