"""Findings of this session's review: sessions created through the API are booked like the
page's, secret link tokens never reach the logs, planned dates are bounded, instructions of a
booked interview are kept."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import Bilan, Session
from bilans.scheduling.models import Appointment
from config.logging_filters import mask_tokens

pytestmark = pytest.mark.django_db


def _open_bilan(cast):
    consultant = cast.client(cast.consultant)
    response = consultant.post(f"/beneficiaires/{cast.beneficiary.pk}/ouvrir-un-bilan/")
    assert response.status_code == 302
    with tenant_context(cast.organisation):
        return consultant, response["Location"], Bilan.objects.get(beneficiary=cast.beneficiary)


def _future(days: int, hour: int):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))


def test_a_future_interview_created_through_the_api_is_an_appointment_and_cannot_double_book(cast_a):
    """CT-02 holds and the consultant's time is taken whichever way the session is created."""
    consultant, _, bilan = _open_bilan(cast_a)
    url = f"/api/v1/bilans/{bilan.pk}/sessions/"
    body = {"kind": "accompaniment", "interview_type": "", "modality": "video", "starts_at": _future(6, 10).isoformat(), "duration_minutes": 60}
    created = consultant.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    with tenant_context(cast_a.organisation):
        assert Appointment.objects.filter(session_id=created.json()["id"], status="booked").exists()
    overlapping = consultant.post(url, {**body, "starts_at": _future(6, 10).replace(minute=30).isoformat()}, content_type="application/json")
    assert overlapping.status_code == 409 and overlapping.json()["code"] == "slot_taken"
    with tenant_context(cast_a.organisation):
        assert Session.objects.filter(bilan=bilan).count() == 1


def test_instructions_of_a_booked_interview_are_kept(cast_a):
    consultant, url, bilan = _open_bilan(cast_a)
    consultant.post(url + "seances/", {
        "kind": "accompaniment", "interview_type": "", "modality": "video", "duration_minutes": 60,
        "starts_at": f"{_future(7, 9):%Y-%m-%dT%H:%M}", "instructions": "Apporter son CV à jour",
    })
    with tenant_context(cast_a.organisation):
        session = Session.objects.get(bilan=bilan)
        assert session.instructions == "Apporter son CV à jour" and Appointment.objects.filter(session=session).exists()


def test_planned_dates_far_in_the_future_are_refused_and_the_page_still_opens(cast_a):
    consultant, url, bilan = _open_bilan(cast_a)
    response = consultant.post(url + "calendrier/", {
        "planned_start": "9999-08-01", "planned_end": "9999-12-31", "accompaniment_hours": "18", "guided_work_hours": "6",
    }, follow=True)
    assert "Les dates prévues se situent entre" in response.content.decode()
    with tenant_context(cast_a.organisation):
        assert Bilan.objects.get(pk=bilan.pk).planned_start is None
    assert consultant.get(url).status_code == 200


def test_refused_uses_of_secret_links_never_log_their_token(cast_a, caplog):
    token = "Zx9-secret-token-value_0123456789abcdef"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = cast_a.client().get(f"/partage/{token}/resultats.pdf")
    assert response.status_code == 404
    assert caplog.records and token not in caplog.text and "/partage/[jeton]/resultats.pdf" in caplog.text
    for path in ("/retour-360/abc/", "/signature/abc/document.pdf", "/invitations/abc/", "/connexion/relais/abc/", "/calendrier/abc.ics"):
        assert "abc" not in mask_tokens(f"Not Found: {path}")
