"""Hours of a bilan: the 24-hour cap, the split, CPF-billable hours, émargement, schedule warning."""
import pytest
from django_tenants.utils import tenant_context

from bilans.models import Session
from bilans.selectors import bilan_hours
from bilans.services import bilan_set_plan, funding_set, session_confirm_attendance, session_plan, session_record_attendance
from config.errors import Conflict, Forbidden, InvalidInput
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


def test_a_session_beyond_24_hours_is_refused_with_the_remaining_hours(bilan, in_a):
    """CT-02: reject any schedule over 24 h; the message gives what remains."""
    bilan_set_plan(actor=in_a.consultant, bilan=bilan, accompaniment_minutes=20 * 60, guided_work_minutes=4 * 60)
    for day in range(10):
        session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2 + day, 9), duration_minutes=120)
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 20, 9), duration_minutes=150, kind="guided_work", modality="autonomous")
    with pytest.raises(Conflict) as error:
        session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 21, 9), duration_minutes=120, kind="guided_work", modality="autonomous")
    assert error.value.code == "hours_cap_exceeded"
    assert "Il reste 1 h 30 disponibles" in error.value.message
    assert error.value.extra["remaining_minutes"] == 90
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 21, 9), duration_minutes=90, kind="guided_work", modality="autonomous")
    assert bilan_hours(bilan).remaining_minutes == 0


def test_cancelled_sessions_free_their_hours_and_rescheduling_is_checked(bilan, in_a):
    """CT-02: the cap counts the sessions that take place; a longer reschedule is checked too."""
    big = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=18 * 60)
    with pytest.raises(Conflict):
        session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=60)
    session_record_attendance(actor=in_a.consultant, session=big, attendance="cancelled")
    small = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=60)
    with pytest.raises(Conflict):
        session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=19 * 60, session=small)


def test_split_between_accompaniment_and_guided_work(bilan, in_a):
    """CT-02 with the 18 + 6 split: each part has its own budget."""
    hours = bilan_hours(bilan)
    assert (hours.planned_accompaniment_minutes, hours.planned_guided_work_minutes) == (18 * 60, 6 * 60)
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=5 * 60, kind="guided_work", modality="autonomous")
    with pytest.raises(Conflict) as error:
        session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=2 * 60, kind="guided_work", modality="autonomous")
    assert error.value.code == "hours_split_exceeded" and "Il reste 1 h de travail personnel guidé" in error.value.message
    with pytest.raises(InvalidInput) as error:
        bilan_set_plan(actor=in_a.consultant, bilan=bilan, accompaniment_minutes=20 * 60, guided_work_minutes=6 * 60)
    assert error.value.code == "hours_cap_exceeded"
    with pytest.raises(Conflict):
        bilan_set_plan(actor=in_a.consultant, bilan=bilan, accompaniment_minutes=20 * 60, guided_work_minutes=4 * 60)


def test_concurrent_plans_cannot_exceed_the_cap_in_the_database(bilan, in_a):
    """CT-02: the split is also a CHECK constraint of the bilan row."""
    from django.db import IntegrityError, transaction

    from bilans.models import Bilan

    with pytest.raises(IntegrityError), transaction.atomic():
        Bilan.objects.filter(pk=bilan.pk).update(planned_accompaniment_minutes=20 * 60, planned_guided_work_minutes=5 * 60)


def test_only_accompaniment_hours_are_billable_to_the_cpf(bilan, in_a):
    """CPF-02: for CPF funding only accompaniment hours are billable."""
    acc = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=120)
    guided = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=180, kind="guided_work", modality="autonomous")
    for s in (acc, guided):
        session_record_attendance(actor=in_a.consultant, session=s, attendance="attended")
    assert bilan_hours(bilan).billable_cpf_minutes == 0  # not CPF-funded
    funding_set(actor=in_a.consultant, bilan=bilan, kind="cpf", amount_cents=160000)
    hours = bilan_hours(bilan)
    assert hours.billable_cpf_minutes == 120 and hours.total_minutes == 300


def test_emargement_by_the_beneficiary(bilan, in_a, clock):
    """CPF-07: the beneficiary confirms attendance from their space, with time and IP."""
    s = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=120)
    with pytest.raises(Conflict):
        session_confirm_attendance(actor=in_a.beneficiary_user, session=s)
    session_record_attendance(actor=in_a.consultant, session=s, attendance="attended")
    with pytest.raises(Forbidden):
        session_confirm_attendance(actor=in_a.consultant, session=s)
    s = session_confirm_attendance(actor=in_a.beneficiary_user, session=s, ip="203.0.113.7", now=clock.now)
    assert s.beneficiary_confirmed_at == clock.now and s.beneficiary_confirmed_ip == "203.0.113.7"
    assert bilan_hours(bilan).confirmed_minutes == 120
    with pytest.raises(Conflict):  # a signed attendance cannot be turned into an absence
        session_record_attendance(actor=in_a.consultant, session=s, attendance="absent")


def test_emargement_over_http(bilan, in_a):
    """CPF-07: the button of the beneficiary space."""
    s = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=60)
    session_record_attendance(actor=in_a.consultant, session=s, attendance="attended")
    response = in_a.client(in_a.beneficiary_user).post(f"/mon-bilan/seances/{s.pk}/emarger/", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 302
    with tenant_context(in_a.organisation):
        s.refresh_from_db()
    assert s.beneficiary_confirmed_ip == "198.51.100.4"
    assert in_a.client(in_a.other_consultant).post(f"/mon-bilan/seances/{s.pk}/emarger/").status_code == 403


def test_schedule_shorter_than_8_weeks_or_longer_than_12_gets_a_warning(bilan, in_a):
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=60)
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 30, 9), duration_minutes=60)
    assert "8 à 12 semaines" in bilan_hours(bilan).warnings[0]
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2027, 1, 11, 9), duration_minutes=60)
    assert bilan_hours(bilan).warnings == []  # 10 weeks
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2027, 3, 1, 9), duration_minutes=60)
    assert "au-delà de 12 semaines" in bilan_hours(bilan).warnings[0]


def test_follow_up_interview_is_outside_the_24_hours(bilan, in_a):
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 2, 9), duration_minutes=18 * 60)
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=6 * 60, kind="guided_work", modality="autonomous")
    follow = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2027, 6, 1, 9), duration_minutes=60, interview_type="follow_up")
    assert follow.is_mandatory_interview and Session.objects.filter(bilan=bilan).count() == 3
