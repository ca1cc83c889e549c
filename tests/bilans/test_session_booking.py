"""Sessions planned from the bilan page: a future interview with the consultant is a real
appointment (visio room, reminders, calendar, the consultant's time taken); guided work and
sessions recorded afterwards stay sessions only. The 24-hour cap (CT-02) applies either way."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import Bilan, Session
from bilans.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def _local(days: int, hour: int) -> str:
    day = timezone.localdate() + timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"


@pytest.fixture
def bilan_page(cast_a):
    consultant = cast_a.client(cast_a.consultant)
    response = consultant.post(f"/beneficiaires/{cast_a.beneficiary.pk}/ouvrir-un-bilan/")
    assert response.status_code == 302
    with tenant_context(cast_a.organisation):
        bilan = Bilan.objects.get(beneficiary=cast_a.beneficiary)
    return consultant, response["Location"], bilan


def _plan(client, url, **fields):
    data = {"kind": "accompaniment", "interview_type": "", "modality": "video", "duration_minutes": 90, "instructions": "", **fields}
    return client.post(url + "seances/", data, follow=True).content.decode()


def test_a_future_interview_planned_on_the_bilan_page_is_booked_as_an_appointment(cast_a, bilan_page):
    consultant, url, bilan = bilan_page
    page = _plan(consultant, url, interview_type="welcome", starts_at=_local(3, 10))
    assert "Séance prévue." in page
    with tenant_context(cast_a.organisation):
        session = Session.objects.get(bilan=bilan)
        appointment = Appointment.objects.get(session=session)
        assert appointment.consultant_id == bilan.consultant_id == cast_a.consultant.pk
        assert appointment.beneficiary_id == cast_a.beneficiary.pk and appointment.status == "booked"
        assert appointment.visio_url.startswith("http") and appointment.ends_at - appointment.starts_at == timedelta(minutes=90)
        assert session.interview_type == "welcome" and session.kind == "accompaniment"
    # the beneficiary finds it among their appointments, with the room to join
    mine = cast_a.client(cast_a.beneficiary_user).get("/rendez-vous/").content.decode()
    assert appointment.visio_url in mine

    # the consultant's time is taken: an overlapping interview is refused, nothing is added
    page = _plan(consultant, url, starts_at=_local(3, 11))
    assert "Choisissez-en un autre" in page
    with tenant_context(cast_a.organisation):
        assert Session.objects.filter(bilan=bilan).count() == 1
        assert Appointment.objects.filter(consultant=cast_a.consultant, status="booked").count() == 1


def test_guided_work_and_sessions_recorded_afterwards_are_not_appointments(cast_a, bilan_page):
    consultant, url, bilan = bilan_page
    assert "Séance prévue." in _plan(consultant, url, kind="guided_work", modality="autonomous", starts_at=_local(4, 10), instructions="Lire la fiche métier")
    assert "Séance prévue." in _plan(consultant, url, starts_at=_local(-2, 10), modality="in_person")
    with tenant_context(cast_a.organisation):
        assert Session.objects.filter(bilan=bilan).count() == 2
        assert not Appointment.objects.filter(bilan=bilan).exists()


def test_the_24_hour_cap_holds_for_booked_interviews(cast_a, bilan_page):
    """CT-02: a booked interview counts in the 24 hours like any session."""
    consultant, url, bilan = bilan_page
    with tenant_context(cast_a.organisation):
        Session.objects.create(bilan=bilan, kind="accompaniment", modality="in_person", starts_at=timezone.now() - timedelta(days=5), duration_minutes=23 * 60)
    page = _plan(consultant, url, starts_at=_local(5, 9), duration_minutes=90)
    assert "24 h" in page and "Il reste 1 h disponible" in page
    with tenant_context(cast_a.organisation):
        assert not Appointment.objects.filter(bilan=bilan).exists()
