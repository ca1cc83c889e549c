"""Availability, booking without double booking, video links, reminders, .ics and feeds."""
import threading
from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from bilans.models import Session
from bilans.scheduling.models import Appointment
from bilans.scheduling.selectors import free_slots
from bilans.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_move,
    appointment_reminders_send,
    availability_exception_add,
    availability_rule_add,
    calendar_feed_create,
    calendar_feed_revoke,
)
from bilans.sms import LoggingSmsBackend
from config.errors import Conflict, Forbidden
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday_rules(in_a):
    for weekday in range(5):
        availability_rule_add(actor=in_a.consultant, consultant=in_a.consultant, weekday=weekday, start_time=time(9), end_time=time(12))


def test_free_slots_follow_rules_exceptions_and_bookings(in_a, monday_rules, clock):
    slots = free_slots(consultant=in_a.consultant, start=date(2026, 11, 9), days=1, now=clock.now)
    assert slots == [at(2026, 11, 9, 9), at(2026, 11, 9, 10), at(2026, 11, 9, 11)]
    availability_exception_add(actor=in_a.consultant, consultant=in_a.consultant, starts_at=at(2026, 11, 9, 10), ends_at=at(2026, 11, 9, 11))
    appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 11), now=clock.now)
    assert free_slots(consultant=in_a.consultant, start=date(2026, 11, 9), days=1, now=clock.now) == [at(2026, 11, 9, 9)]
    # notice: a beneficiary cannot book within 24 h
    assert at(2026, 11, 2, 10) not in free_slots(consultant=in_a.consultant, start=date(2026, 11, 2), days=1, now=clock.now)


def test_beneficiary_books_within_availability_and_notice(in_a, monday_rules, clock, bilan):
    with pytest.raises(Conflict) as error:
        appointment_book(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 2, 11), now=clock.now)
    assert error.value.code == "booking_notice_too_short"
    with pytest.raises(Conflict) as error:
        appointment_book(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 14), now=clock.now)
    assert error.value.code == "slot_unavailable"
    appointment = appointment_book(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 9), now=clock.now)
    assert appointment.visio_url.startswith("https://meet.jit.si/bilan-") and len(appointment.visio_url) > 45
    assert appointment.session.bilan == bilan and appointment.session.duration_minutes == 60
    # a consultant may book outside the published hours
    other = appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 18), modality="in_person", location="Bureau 2", now=clock.now)
    assert other.visio_url == ""
    with pytest.raises(Forbidden):
        appointment_book(actor=in_a.other_consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 10, 9), now=clock.now)


def test_booking_counts_against_the_24_hours(in_a, bilan, clock):
    """CT-02: an appointment of a bilan is a session of that bilan."""
    from bilans.services import session_plan

    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=17 * 60 + 30)
    with pytest.raises(Conflict) as error:
        appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 9), duration_minutes=60, now=clock.now)
    assert "Il reste 30 min" in error.value.message


def test_overlapping_booking_is_refused_by_postgresql(in_a, clock):
    appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 9), duration_minutes=90, now=clock.now)
    with pytest.raises(Conflict) as error:
        appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 10), now=clock.now)
    assert error.value.code == "slot_taken"
    # adjacent is fine, and a cancelled one frees the time
    first_after = appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 10, 30), now=clock.now)
    appointment_cancel(actor=in_a.consultant, appointment=first_after, now=clock.now)
    appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 10, 30), now=clock.now)


def test_move_and_cancel_with_notice_rules(in_a, monday_rules, clock, bilan):
    appointment = appointment_book(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 9), now=clock.now)
    moved = appointment_move(actor=in_a.beneficiary_user, appointment=appointment, starts_at=at(2026, 11, 10, 10), now=clock.now)
    assert moved.sequence == 1 and moved.session.starts_at == at(2026, 11, 10, 10)
    with pytest.raises(Conflict) as error:
        appointment_cancel(actor=in_a.beneficiary_user, appointment=moved, now=at(2026, 11, 10, 0))
    assert error.value.code == "change_notice_too_short"
    appointment_cancel(actor=in_a.consultant, appointment=moved, now=at(2026, 11, 10, 0))
    moved.refresh_from_db()
    assert moved.status == "cancelled"
    assert Session.objects.get(pk=moved.session_id).attendance == "cancelled"


def test_reminders_24h_and_1h_with_ics(in_a, clock, settings):
    """Reminders by e-mail 24 h and 1 h before, with the .ics attached; SMS for the 1 h one."""
    in_a.beneficiary.phone = "0612345678"
    in_a.beneficiary.save()
    appointment = appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 10), now=clock.now)
    mail.outbox.clear()
    LoggingSmsBackend.sent.clear()
    assert appointment_reminders_send(now=at(2026, 11, 8, 9, 59)) == []
    assert appointment_reminders_send(now=at(2026, 11, 8, 10, 0)) == [(str(appointment.pk), "24h")]
    assert appointment_reminders_send(now=at(2026, 11, 8, 10, 5)) == []  # once
    assert {m.to[0] for m in mail.outbox} == {in_a.beneficiary_user.email, in_a.consultant.email}
    reminder = next(m for m in mail.outbox if m.to == [in_a.beneficiary_user.email])
    assert reminder.subject.startswith("Rappel : rendez-vous demain")
    name, content, mimetype = reminder.attachments[0]
    assert name == "rendez-vous.ics" and mimetype.startswith("text/calendar")
    text = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in text and appointment.visio_url in text.replace("\r\n ", "")
    assert appointment_reminders_send(now=at(2026, 11, 9, 9, 0)) == [(str(appointment.pk), "1h")]
    assert LoggingSmsBackend.sent[-1][0] == "0612345678" and "10:00" in LoggingSmsBackend.sent[-1][1]
    assert appointment_reminders_send(now=at(2026, 11, 9, 9, 30)) == []


def test_late_booking_gets_only_the_1h_reminder(in_a, clock):
    appointment = appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 2, 9, 30), now=clock.now)
    assert appointment_reminders_send(now=clock.now) == [(str(appointment.pk), "1h")]
    assert appointment_reminders_send(now=clock.advance(minutes=10)) == []




def test_private_revocable_calendar_feed(in_a, clock):
    appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=timezone_now_plus(days=3), now=None)
    token = calendar_feed_create(user=in_a.beneficiary_user)
    consultant_token = calendar_feed_create(user=in_a.consultant)
    other_token = calendar_feed_create(user=in_a.other_consultant)
    client = in_a.client()
    response = client.get(f"/calendrier/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.count("BEGIN:VEVENT") == 1 and "Rendez-vous de bilan" in body
    assert in_a.beneficiary.first_name in client.get(f"/calendrier/{consultant_token}.ics").content.decode()
    assert client.get(f"/calendrier/{other_token}.ics").content.decode().count("BEGIN:VEVENT") == 0
    with tenant_context(in_a.organisation):
        calendar_feed_revoke(user=in_a.beneficiary_user)
    assert client.get(f"/calendrier/{token}.ics").status_code == 404
    assert client.get("/calendrier/nimportequoi.ics").status_code == 404


def timezone_now_plus(**delta):
    from django.utils import timezone

    return (timezone.now() + timedelta(**delta)).replace(microsecond=0, second=0)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_one_slot_exactly_one_succeeds(org_a):
    """No double booking, enforced by PostgreSQL: two threads book the same slot at once."""
    from bilans.services import beneficiary_assign_consultant
    from tests.bilans.factories import BeneficiaryFactory
    from tests.organisations.factories import UserFactory

    import uuid

    tag = uuid.uuid4().hex[:8]
    with tenant_context(org_a):
        admin = UserFactory(role="admin", email=f"admin-{tag}@exemple.test")
        consultant = UserFactory(role="consultant", email=f"consultant-{tag}@exemple.test")
        people = [BeneficiaryFactory(email=f"b{i}-{tag}@exemple.test") for i in range(2)]
        for person in people:
            beneficiary_assign_consultant(beneficiary=person, consultant=consultant, actor=admin)
    start = timezone_now_plus(days=5)
    barrier = threading.Barrier(2)
    results = []

    def book(person):
        from django.db import connections

        try:
            with tenant_context(org_a):
                barrier.wait()
                appointment_book(actor=consultant, beneficiary=person, starts_at=start, modality="phone")
                results.append("ok")
        except Conflict as error:
            results.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "slot_taken"]
    with tenant_context(org_a):
        assert Appointment.objects.filter(consultant=consultant, status="booked").count() == 1
        # committed rows: clean up so that later tests of the session start from the same state
        Appointment.objects.filter(consultant=consultant).delete()
        consultant.is_active = admin.is_active = False
        consultant.save(update_fields=["is_active"])
        admin.save(update_fields=["is_active"])
    connection.set_schema_to_public()


def test_periodic_jobs_are_registered_per_organisation(in_a):
    """The scheduler enqueues reminders, convention expiry, retention purge and surveys in
    every active organisation (config.scheduler)."""
    import bilans.scheduling.tasks  # noqa: F401  (autodiscovered by django_dramatiq in the worker)
    import bilans.tasks  # noqa: F401
    from config.scheduler import REGISTRY

    for name in ("send_due_reminders", "expire_conventions", "purge_ended_bilans", "send_due_surveys", "remind_follow_ups"):
        assert name in REGISTRY and REGISTRY[name].per_organisation


@pytest.mark.django_db(transaction=True)
def test_booking_sends_a_confirmation_with_ics_through_the_worker(org_a, worker):
    """The confirmation leaves after commit, from the worker, in the organisation's schema."""
    import uuid

    from bilans.scheduling.tasks import send_appointment_email
    from bilans.services import beneficiary_assign_consultant, beneficiary_link_account
    from tests.bilans.factories import BeneficiaryFactory
    from tests.organisations.factories import UserFactory

    tag = uuid.uuid4().hex[:8]
    with tenant_context(org_a):
        admin = UserFactory(role="admin", email=f"admin-{tag}@exemple.test")
        consultant = UserFactory(role="consultant", email=f"consultant-{tag}@exemple.test")
        person_user = UserFactory(role="beneficiary", email=f"personne-{tag}@exemple.test")
        person = BeneficiaryFactory(email=person_user.email)
        beneficiary_link_account(beneficiary=person, user=person_user)
        beneficiary_assign_consultant(beneficiary=person, consultant=consultant, actor=admin)
        mail.outbox.clear()
        appointment = appointment_book(actor=consultant, beneficiary=person, starts_at=timezone_now_plus(days=9), modality="video")
    worker.broker.join(send_appointment_email.queue_name)
    worker.join()
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {consultant.email, person_user.email}
    confirmation = sent[person_user.email]
    assert confirmation.subject.startswith("Rendez-vous confirmé le")
    assert appointment.visio_url in confirmation.body and "alpha." in confirmation.body
    assert confirmation.attachments[0][0] == "rendez-vous.ics"
    with tenant_context(org_a):
        appointment_cancel(actor=consultant, appointment=appointment)
        for user in (admin, consultant, person_user):
            user.is_active = False
            user.save(update_fields=["is_active"])
    connection.set_schema_to_public()


def test_admin_sets_the_notice_rules(in_a, clock):
    from bilans.scheduling.services import scheduling_settings

    client = in_a.client(in_a.admin)
    assert "Règles de réservation" in client.get("/rendez-vous/").content.decode()
    client.post("/disponibilites/regles/", {"min_booking_notice_hours": 48, "min_change_notice_hours": 12, "max_booking_days_ahead": 60, "default_duration_minutes": 90})
    assert in_a.client(in_a.consultant).post("/disponibilites/regles/", {}).status_code == 403
    with tenant_context(in_a.organisation):
        row = scheduling_settings()
        assert (row.min_booking_notice_hours, row.default_duration_minutes) == (48, 90)
        with pytest.raises(Conflict) as error:
            appointment_book(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, starts_at=clock.now + timedelta(hours=30), now=clock.now)
        assert "48 h" in error.value.message


def test_a_reminder_that_could_not_be_sent_is_not_marked_sent_and_goes_next_run(in_a, clock, settings):
    """A mail server that refuses the connection leaves the reminder due; the next run sends it."""
    import socket

    appointment = appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=at(2026, 11, 9, 10), now=clock.now)
    mail.outbox.clear()
    with socket.socket() as probe:  # a local port where no mail server listens
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    assert appointment_reminders_send(now=at(2026, 11, 8, 10, 0)) == []
    appointment.refresh_from_db()
    assert appointment.reminder_24h_sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert appointment_reminders_send(now=at(2026, 11, 8, 10, 5)) == [(str(appointment.pk), "24h")]
    appointment.refresh_from_db()
    assert appointment.reminder_24h_sent_at is not None
    assert {m.to[0] for m in mail.outbox} == {in_a.beneficiary_user.email, in_a.consultant.email}


def test_an_administrator_manages_a_consultants_availability_from_the_page(in_a):
    from bilans.scheduling.models import AvailabilityException, AvailabilityRule

    admin = in_a.client(in_a.admin)
    page = admin.get("/rendez-vous/").content.decode()
    assert "Disponibilités des consultants" in page and in_a.consultant.get_full_name() in page
    admin.post("/disponibilites/ajouter/", {"consultant": in_a.consultant.pk, "weekday": 1, "start_time": "14:00", "end_time": "17:00"})
    admin.post("/disponibilites/absence/", {"consultant": in_a.consultant.pk, "starts_at": "2026-12-24T00:00", "ends_at": "2026-12-26T00:00"})
    refused = admin.post("/disponibilites/ajouter/", {"weekday": 2, "start_time": "14:00", "end_time": "17:00"}, follow=True)
    assert refused.status_code == 200
    with tenant_context(in_a.organisation):
        rule = AvailabilityRule.objects.get()
        assert rule.consultant_id == in_a.consultant.pk and rule.weekday == 1
        assert AvailabilityException.objects.get().consultant_id == in_a.consultant.pk
    assert "Mardi de 14:00 à 17:00" in admin.get("/rendez-vous/").content.decode()
    # a consultant still manages only their own calendar, whatever they post
    in_a.client(in_a.other_consultant).post("/disponibilites/ajouter/", {"consultant": in_a.consultant.pk, "weekday": 3, "start_time": "09:00", "end_time": "10:00"})
    with tenant_context(in_a.organisation):
        assert AvailabilityRule.objects.filter(consultant=in_a.consultant).count() == 1
        assert AvailabilityRule.objects.filter(consultant=in_a.other_consultant, weekday=3).exists()


def test_booking_carries_the_interview_type_from_the_page_and_the_api(in_a, bilan):
    from django.utils import timezone

    start = timezone.localtime() + timedelta(days=3)
    in_a.client(in_a.consultant).post("/rendez-vous/reserver/", {
        "beneficiary": in_a.beneficiary.pk, "starts_at": start.strftime("%Y-%m-%dT%H:00"), "duration_minutes": 60, "modality": "video",
        "interview_type": "exploration",
    })
    response = in_a.client(in_a.consultant).post("/api/v1/appointments/", {
        "beneficiary_id": str(in_a.beneficiary.pk), "starts_at": (start + timedelta(days=1)).isoformat(), "interview_type": "validation",
    }, content_type="application/json")
    assert response.status_code == 201 and response.json()["interview_type"] == "validation"
    bad = in_a.client(in_a.consultant).post("/api/v1/appointments/", {
        "beneficiary_id": str(in_a.beneficiary.pk), "starts_at": (start + timedelta(days=2)).isoformat(), "interview_type": "gossip",
    }, content_type="application/json")
    assert bad.status_code == 400
    with tenant_context(in_a.organisation):
        types = sorted(Appointment.objects.filter(bilan=bilan).values_list("session__interview_type", flat=True))
    assert types == ["exploration", "validation"]


def test_booking_after_a_finished_bilan_defaults_to_the_follow_up_interview(in_a, bilan):
    """CT-02: the six-month follow-up interview is a session of the finished bilan, outside its 24 hours."""
    from django.utils import timezone

    from bilans.models import Bilan

    today = timezone.localdate()
    Bilan.objects.filter(pk=bilan.pk).update(status="finished", ended_at=timezone.now() - timedelta(days=180), follow_up_due_on=today + timedelta(days=3))
    start = timezone.localtime() + timedelta(days=3)
    response = in_a.client(in_a.consultant).post("/rendez-vous/reserver/", {
        "beneficiary": in_a.beneficiary.pk, "starts_at": start.strftime("%Y-%m-%dT%H:00"), "duration_minutes": 60, "modality": "video",
    }, follow=True)
    assert "Rendez-vous réservé" in response.content.decode()
    with tenant_context(in_a.organisation):
        appointment = Appointment.objects.get()
        assert appointment.bilan_id == bilan.pk and appointment.session.interview_type == Session.InterviewType.FOLLOW_UP
