"""Issue 13, points 4 and 10: bad API input answers a JSON 4xx (never a 500), unknown API
addresses a JSON 404, the health check names no organisation, the API docs follow a setting."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from config.errors import InvalidInput
from tests.conftest import client_for
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db


def test_document_version_with_a_body_that_is_not_an_object_is_a_400(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "synthesis")
    api = cast_a.client(cast_a.consultant)
    for body in ("[]", '"x"', "42", "null"):
        response = api.post(f"/api/v1/documents/{document.pk}/versions/", body, content_type="application/json")
        assert response.status_code == 400, (body, response.status_code)
        assert response.json()["code"] == "content_required"


def _bilan_id(cast):
    api = cast.client(cast.consultant)
    return api, api.post("/api/v1/bilans/", {"beneficiary_id": str(cast.beneficiary.pk)}, content_type="application/json").json()["id"]


def test_follow_up_interview_longer_than_24_hours_is_a_400_over_the_api(cast_a):
    """CT-02: no séance lasts more than 24 h, the follow-up interview included."""
    api, bilan_id = _bilan_id(cast_a)
    for minutes in (24 * 60 + 1, 100_000, 10**12):
        response = api.post(
            f"/api/v1/bilans/{bilan_id}/sessions/",
            {"kind": "accompaniment", "interview_type": "follow_up", "modality": "in_person",
             "starts_at": "2027-06-01T09:00:00+02:00", "duration_minutes": minutes},
            content_type="application/json",
        )
        assert response.status_code == 400, (minutes, response.status_code)
        assert response.json()["code"] == "invalid"
    assert api.get(f"/api/v1/bilans/{bilan_id}/sessions/").json() == []


def test_follow_up_interview_longer_than_24_hours_is_refused_by_the_service(cast_a):
    """CT-02 at the service level, so every entry point (pages, API, booking) is covered."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bilans.models import Session
    from bilans.services import bilan_create, session_plan

    with tenant_context(cast_a.organisation):
        bilan = bilan_create(actor=cast_a.consultant, beneficiary=cast_a.beneficiary)
        start = datetime(2027, 6, 1, 9, tzinfo=ZoneInfo("Europe/Paris"))
        with pytest.raises(InvalidInput) as refused:
            session_plan(actor=cast_a.consultant, bilan=bilan, starts_at=start, duration_minutes=100_000, interview_type="follow_up")
        assert refused.value.code == "hours_cap_exceeded" and "24 h" in refused.value.message
        # a normal follow-up interview is still outside the bilan's 24 h
        assert session_plan(actor=cast_a.consultant, bilan=bilan, starts_at=start, duration_minutes=60, interview_type="follow_up")
        assert Session.objects.filter(bilan=bilan).count() == 1


def test_unknown_api_paths_answer_a_json_404(cast_a):
    for client in (cast_a.client(), cast_a.client(cast_a.consultant)):
        for path in ("/api/", "/api/v1/nexiste-pas/", "/api/v2/beneficiaries/", "/api/v1/beneficiaries/pas-un-uuid/"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response["Content-Type"].startswith("application/json"), path
            body = response.json()
            assert body["code"] == "not_found" and body["detail"], path
    # pages keep their French HTML 404
    page = cast_a.client(cast_a.consultant).get("/page-inconnue/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    # the public domain has no API at all: JSON too
    public = client_for(None).get("/api/v1/me/")
    assert public.status_code == 404 and public.json()["code"] == "not_found"


def test_a_missing_trailing_slash_still_redirects(cast_a):
    response = cast_a.client(cast_a.consultant).get("/api/v1/beneficiaries")
    assert response.status_code == 301 and response["Location"].endswith("/api/v1/beneficiaries/")


def test_healthz_does_not_name_the_schema(cast_a):
    response = client_for(cast_a.organisation).get("/healthz")
    assert response.status_code == 200
    assert "schema" not in response.json() and cast_a.organisation.schema_name not in response.content.decode()


def test_api_docs_require_login_when_not_public(settings, cast_a):
    settings.API_DOCS_PUBLIC = False
    anonymous = cast_a.client()
    schema = anonymous.get("/api/schema/")
    assert schema.status_code in (401, 403) and schema.json()["code"] == "not_authenticated"
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")
    member = cast_a.client(cast_a.consultant)
    assert member.get("/api/schema/").status_code == 200
    assert member.get("/api/docs/").status_code == 200


def test_api_docs_are_open_when_public(settings, cast_a):
    settings.API_DOCS_PUBLIC = True
    anonymous = cast_a.client()
    assert anonymous.get("/api/schema/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 200


def test_schema_allows_the_empty_and_null_values_the_api_returns(cast_a):
    schema = cast_a.client(cast_a.consultant).get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "format" not in schema["Appointment"]["properties"]["visio_url"]  # "" for an appointment in person
    for name in ("Bilan", "BilanDetail", "Beneficiary"):
        assert schema[name]["properties"]["consultant_id"].get("nullable") is True, name
    end_reason = schema["ThirdPartyAccess"]["properties"]["end_reason"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in end_reason["oneOf"]
    duration = schema["Session"]["properties"]["duration_minutes"]
    assert duration["maximum"] == 24 * 60
