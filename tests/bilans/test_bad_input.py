"""Out-of-range input is refused with a French message, never a 500 (audit findings)."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import Convention, FundingSource
from bilans.scheduling.models import Appointment
from bilans.scheduling.services import appointment_book, appointment_move
from config.errors import InvalidInput
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


def test_beneficiary_booking_in_year_9999_is_refused_cleanly(in_a, bilan):
    response = in_a.client(in_a.beneficiary_user).post("/rendez-vous/reserver/", {"starts_at": "9999-12-31T23:30", "modality": "video"}, follow=True)
    assert response.status_code == 200
    assert "trop éloignée" in response.content.decode()
    with tenant_context(in_a.organisation):
        assert not Appointment.objects.exists()


def test_slots_page_with_a_week_in_year_9999_falls_back_to_this_week(in_a):
    client = in_a.client(in_a.beneficiary_user)
    for week in ("9999-12-25", "0001-01-01", "2026-13-45"):
        response = client.get(f"/rendez-vous/?semaine={week}")
        assert response.status_code == 200
        assert response.context["week"] == timezone.localdate()


def test_api_booking_in_year_9999_is_a_400(cast_a):
    response = cast_a.client(cast_a.consultant).post(
        "/api/v1/appointments/", {"beneficiary_id": str(cast_a.beneficiary.pk), "starts_at": "9999-12-31T23:30:00"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_start"


def test_moving_an_appointment_to_year_9999_is_refused(in_a, clock):
    appointment = appointment_book(actor=in_a.consultant, beneficiary=in_a.beneficiary, starts_at=timezone.now() + timedelta(days=3))
    response = in_a.client(in_a.consultant).post(f"/rendez-vous/{appointment.pk}/deplacer/", {"starts_at": "9999-12-31T23:30"}, follow=True)
    assert response.status_code == 200 and "trop éloignée" in response.content.decode()
    with tenant_context(in_a.organisation), pytest.raises(InvalidInput) as error:
        appointment_move(actor=in_a.consultant, appointment=appointment, starts_at=at(9999, 12, 31, 23, 30), now=clock.now)
    assert error.value.code == "invalid_start"
    with tenant_context(in_a.organisation):
        appointment.refresh_from_db()
    assert appointment.starts_at.year < 9999


def test_huge_funding_amount_is_refused(in_a, bilan):
    client = in_a.client(in_a.consultant)
    response = client.post(f"/bilans/{bilan.pk}/financement/", {"kind": "personal", "amount": "99999999999", "funder_name": ""}, follow=True)
    assert response.status_code == 200 and "1000000" in response.content.decode().replace("\u202f", "").replace(" ", "")
    from bilans.services import funding_set

    with tenant_context(in_a.organisation), pytest.raises(InvalidInput) as error:
        funding_set(actor=in_a.consultant, bilan=bilan, kind="personal", amount_cents=9_999_999_999_900)
    assert error.value.code == "invalid_amount"
    with tenant_context(in_a.organisation):
        assert not FundingSource.objects.filter(bilan=bilan).exists()


def test_huge_convention_price_or_deposit_is_refused(in_a, bilan):
    client = in_a.client(in_a.consultant)
    form = {
        "kind": "contract", "title": "Bilan", "objective": "o", "content": "c", "means": "m", "duration_hours": 24,
        "period_start": "2026-12-01", "period_end": "2027-02-01", "delivery_terms": "d", "results_terms": "r", "payment_terms": "p",
    }
    for amounts in ({"price": "99999999999", "deposit": "0"}, {"price": "1800", "deposit": "99999999999"}):
        response = client.post(f"/bilans/{bilan.pk}/convention/", {**form, **amounts}, follow=True)
        assert response.status_code == 200
    from bilans.services import convention_create

    content = {k: v for k, v in form.items() if k not in ("kind",)}
    with tenant_context(in_a.organisation):
        assert not Convention.objects.filter(bilan=bilan).exists()
    with tenant_context(in_a.organisation), pytest.raises(InvalidInput) as error:
        convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", price_cents=9_999_999_999_900, **content)
    assert error.value.code == "invalid_amount"



def test_session_in_year_9999_is_refused_on_the_page_and_the_api(in_a, bilan):
    client = in_a.client(in_a.consultant)
    form = {"kind": "accompaniment", "interview_type": "", "modality": "video", "starts_at": "9999-12-31T23:30", "duration_minutes": 90}
    response = client.post(f"/bilans/{bilan.pk}/seances/", form, follow=True)
    assert response.status_code == 200 and "trop éloignée" in response.content.decode()
    api = client.post(f"/api/v1/bilans/{bilan.pk}/sessions/", {**form, "starts_at": "9999-12-31T23:30:00", "duration_minutes": 60}, content_type="application/json")
    assert api.status_code == 400 and api.json()["code"] == "invalid_start"
    with tenant_context(in_a.organisation):
        assert not bilan.sessions.exists()
