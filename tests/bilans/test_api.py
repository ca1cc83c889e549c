"""API of bilans and appointments."""
import pytest
from django_tenants.utils import tenant_context

from bilans.services import bilan_create
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


def test_list_detail_and_permissions(cast_a):
    with tenant_context(cast_a.organisation):
        bilan = bilan_create(actor=cast_a.consultant, beneficiary=cast_a.beneficiary)
    api = cast_a.client(cast_a.consultant)
    listing = api.get("/api/v1/bilans/").json()
    assert listing["count"] == 1 and listing["results"][0]["status"] == "prospect"
    detail = api.get(f"/api/v1/bilans/{bilan.pk}/").json()
    assert detail["hours"]["remaining_minutes"] == 1440 and detail["progress"]["next_status"] == "preliminary"
    assert cast_a.client(cast_a.other_consultant).get("/api/v1/bilans/").json()["count"] == 0
    denied = cast_a.client(cast_a.other_consultant).get(f"/api/v1/bilans/{bilan.pk}/")
    assert denied.status_code == 403 and denied.json()["code"] == "bilan_not_assigned"
    assert cast_a.client(cast_a.beneficiary_user).get(f"/api/v1/bilans/{bilan.pk}/").status_code == 200
    assert cast_a.client(cast_a.admin).get("/api/v1/bilans/").json()["count"] == 1


def test_refused_transition_is_a_409_with_blockers(cast_a):
    """CT-04 over the API: no consent, no preliminary phase."""
    api = cast_a.client(cast_a.consultant)
    created = api.post("/api/v1/bilans/", {"beneficiary_id": str(cast_a.beneficiary.pk)}, content_type="application/json")
    assert created.status_code == 201
    bilan_id = created.json()["id"]
    response = api.post(f"/api/v1/bilans/{bilan_id}/transition/", {"to_status": "preliminary"}, content_type="application/json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_blocked" and any("consentement" in b for b in body["blockers"])
    again = api.post("/api/v1/bilans/", {"beneficiary_id": str(cast_a.beneficiary.pk)}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "bilan_already_open"


def test_session_over_the_cap_is_a_409_with_remaining_hours(cast_a):
    """CT-02 over the API."""
    api = cast_a.client(cast_a.consultant)
    bilan_id = api.post("/api/v1/bilans/", {"beneficiary_id": str(cast_a.beneficiary.pk)}, content_type="application/json").json()["id"]
    ok = api.post(f"/api/v1/bilans/{bilan_id}/sessions/", {"kind": "accompaniment", "modality": "video", "starts_at": "2026-12-01T09:00:00+01:00", "duration_minutes": 1020}, content_type="application/json")
    assert ok.status_code == 201
    refused = api.post(f"/api/v1/bilans/{bilan_id}/sessions/", {"kind": "accompaniment", "modality": "video", "starts_at": "2026-12-02T09:00:00+01:00", "duration_minutes": 120}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["remaining_minutes"] == 60 and "Il reste 1 h" in refused.json()["detail"]
    assert len(api.get(f"/api/v1/bilans/{bilan_id}/sessions/").json()) == 1


def test_book_and_cancel_appointment_over_the_api(cast_a):
    api = cast_a.client(cast_a.consultant)
    payload = {"beneficiary_id": str(cast_a.beneficiary.pk), "starts_at": "2030-01-07T10:00:00+01:00", "modality": "video"}
    first = api.post("/api/v1/appointments/", payload, content_type="application/json")
    assert first.status_code == 201 and first.json()["visio_url"].startswith("https://meet.jit.si/")
    clash = api.post("/api/v1/appointments/", {**payload, "starts_at": "2030-01-07T10:30:00+01:00"}, content_type="application/json")
    assert clash.status_code == 409 and clash.json()["code"] == "slot_taken"
    assert cast_a.client(cast_a.beneficiary_user).get("/api/v1/appointments/").json()["count"] == 1
    assert cast_a.client(cast_a.other_consultant).post(f"/api/v1/appointments/{first.json()['id']}/cancel/").status_code == 404
    cancelled = api.post(f"/api/v1/appointments/{first.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_isolation_between_organisations(cast_a, cast_b):
    with tenant_context(cast_a.organisation):
        bilan = bilan_create(actor=cast_a.consultant, beneficiary=cast_a.beneficiary)
    assert cast_b.client(cast_b.admin).get(f"/api/v1/bilans/{bilan.pk}/").status_code == 404
    assert cast_b.client(cast_b.admin).get("/api/v1/bilans/").json()["count"] == 0
    assert at(2026, 1, 1, 0).tzinfo is not None


def test_list_and_detail_use_a_constant_number_of_queries(cast_a, django_assert_max_num_queries):
    """The listing stays fast when bilans grow (see bench/bilans_listing.py): no query per row."""
    from bilans.models import Bilan, Session
    from tests.bilans.factories import BeneficiaryFactory

    with tenant_context(cast_a.organisation):
        people = [BeneficiaryFactory(consultant=cast_a.consultant) for _ in range(30)]
        bilans = Bilan.objects.bulk_create([Bilan(beneficiary=p, consultant=cast_a.consultant) for p in people])
        Session.objects.bulk_create([Session(bilan=b, starts_at=at(2026, 12, 1, 9), duration_minutes=60) for b in bilans for _ in range(5)])
    api = cast_a.client(cast_a.consultant)
    api.get("/api/v1/bilans/")  # warm-up (session, content types)
    with django_assert_max_num_queries(12) as captured:
        assert api.get("/api/v1/bilans/").json()["count"] == 30
    with django_assert_max_num_queries(26):  # fixed: hours (+ CT-03 minimum), gates (+ CT-12 staff e-mail), objectives, funding
        assert api.get(f"/api/v1/bilans/{bilans[0].pk}/").status_code == 200
    assert len(captured.captured_queries) <= 12
