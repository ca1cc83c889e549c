"""API of third parties' secure links (CT-07) and of the working-file retention agreement
(CT-09 b): the routes call the same services as the HTML pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import BilanFile, ThirdPartyAccess
from bilans.services import bilan_create, bilan_file_add, sharing_consent_record
from organisations.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

EMPLOYER = "drh@employeur.example"
PDF = b"%PDF-1.4 portefeuille de competences"
NEED = "Préparer l'entretien de suivi à 6 mois"


@pytest.fixture
def bilan(cast_a):
    with tenant_context(cast_a.organisation):
        return bilan_create(actor=cast_a.consultant, beneficiary=cast_a.beneficiary)


def _agree(cast, bilan, email=EMPLOYER):
    with tenant_context(cast.organisation):
        sharing_consent_record(
            actor=cast.consultant, bilan=bilan, recipient_kind="employer", recipient_name="Claire Martin", recipient_email=email,
            scope="synthesis", method="signed_paper",
        )


def _links(cast, bilan, user):
    return cast.client(user).get(f"/api/v1/bilans/{bilan.pk}/third-party-accesses/")


def test_send_list_and_revoke_a_link_over_the_api(cast_a, bilan):
    """CT-07 over the API: a link only for a recipient the beneficiary agreed to share with; the
    listing never shows the token nor its hash; revoking ends it at once."""
    api = cast_a.client(cast_a.consultant)
    url = f"/api/v1/bilans/{bilan.pk}/third-party-accesses/"
    refused = api.post(url, {"recipient_email": EMPLOYER}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "sharing_not_agreed"
    with tenant_context(cast_a.organisation):
        assert not ThirdPartyAccess.objects.exists()

    _agree(cast_a, bilan)
    created = api.post(url, {"recipient_email": EMPLOYER.upper()}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["recipient_email"] == EMPLOYER and body["recipient_name"] == "Claire Martin" and body["recipient_kind"] == "employer"
    assert body["status"] == "active" and body["open_count"] == 0 and body["expires_at"]
    with tenant_context(cast_a.organisation):
        access = ThirdPartyAccess.objects.get()
        assert AuditEvent.objects.filter(action="third_party_access.granted", object_id=str(access.pk)).exists()

    listing = _links(cast_a, bilan, cast_a.consultant)
    assert listing.status_code == 200 and [a["id"] for a in listing.json()] == [str(access.pk)]
    assert access.token_hash not in listing.content.decode() and "token" not in listing.content.decode()
    assert _links(cast_a, bilan, cast_a.beneficiary_user).status_code == 200  # the beneficiary sees their links
    assert _links(cast_a, bilan, cast_a.admin).status_code == 200

    revoked = api.post(f"{url}{access.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    with tenant_context(cast_a.organisation):
        assert ThirdPartyAccess.objects.get().end_reason == "revoked"


def test_the_beneficiary_revokes_but_cannot_send(cast_a, bilan):
    _agree(cast_a, bilan)
    url = f"/api/v1/bilans/{bilan.pk}/third-party-accesses/"
    access_id = cast_a.client(cast_a.consultant).post(url, {"recipient_email": EMPLOYER}, content_type="application/json").json()["id"]
    mine = cast_a.client(cast_a.beneficiary_user)
    sending = mine.post(url, {"recipient_email": EMPLOYER}, content_type="application/json")
    assert sending.status_code == 403 and sending.json()["code"]
    revoked = mine.post(f"{url}{access_id}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_sharing_permissions_isolation_and_bad_input(cast_a, cast_b, bilan):
    _agree(cast_a, bilan)
    url = f"/api/v1/bilans/{bilan.pk}/third-party-accesses/"
    access_id = cast_a.client(cast_a.consultant).post(url, {"recipient_email": EMPLOYER}, content_type="application/json").json()["id"]

    other = cast_a.client(cast_a.other_consultant)
    for response in (
        other.get(url),
        other.post(url, {"recipient_email": EMPLOYER}, content_type="application/json"),
        other.post(f"{url}{access_id}/revoke/"),
    ):
        assert response.status_code == 403 and response.json()["code"] == "bilan_not_assigned"

    foreign = cast_b.client(cast_b.admin)
    for response in (foreign.get(url), foreign.post(f"{url}{access_id}/revoke/")):
        assert response.status_code == 404 and response.json()["code"] == "not_found"

    api = cast_a.client(cast_a.consultant)
    bad = api.post(url, {"recipient_email": "pas-une-adresse"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "recipient_email" in bad.json()["errors"]
    unknown = api.post(f"{url}00000000-0000-0000-0000-000000000000/revoke/")
    assert unknown.status_code == 404 and unknown.json()["code"] == "third_party_access_not_found"
    with tenant_context(cast_a.organisation):
        assert ThirdPartyAccess.objects.get().revoked_at is None


@pytest.fixture
def working_file(cast_a, bilan, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(cast_a.organisation):
        return bilan_file_add(actor=cast_a.consultant, bilan=bilan, title="Portefeuille de compétences", filename="portefeuille.pdf", data=PDF)


def _agreement(**changes) -> dict:
    today = timezone.localdate()
    data = {
        "keep_until": (today + timedelta(days=400)).isoformat(),
        "method": "signed_paper",
        "agreement_reference": "Courrier signé remis en entretien",
        "agreement_date": (today - timedelta(days=2)).isoformat(),
        "follow_up_need": NEED,
    }
    data.update(changes)
    return data


def test_retention_agreement_over_the_api(cast_a, working_file):
    """CT-09 (b) over the API: the consultant records the beneficiary's written agreement."""
    url = f"/api/v1/bilans/{working_file.bilan_id}/files/{working_file.pk}/retention/"
    response = cast_a.client(cast_a.consultant).post(url, _agreement(), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["retention_method"] == "signed_paper" and body["retained_until"] == _agreement()["keep_until"]
    assert body["retention_follow_up_need"] == NEED and body["retention_agreed_at"]
    with tenant_context(cast_a.organisation):
        record = BilanFile.objects.get(pk=working_file.pk)
        assert record.retention_recorded_by_id == cast_a.consultant.pk
        assert record.retention_agreement_reference == "Courrier signé remis en entretien"


def test_retention_permissions_isolation_and_bad_input(cast_a, cast_b, working_file):
    url = f"/api/v1/bilans/{working_file.bilan_id}/files/{working_file.pk}/retention/"
    other = cast_a.client(cast_a.other_consultant).post(url, _agreement(), content_type="application/json")
    assert other.status_code == 403 and other.json()["code"] == "bilan_not_assigned"
    beneficiary = cast_a.client(cast_a.beneficiary_user).post(url, _agreement(), content_type="application/json")
    assert beneficiary.status_code == 403 and beneficiary.json()["code"] == "permission_denied"
    foreign = cast_b.client(cast_b.admin).post(url, _agreement(), content_type="application/json")
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"

    api = cast_a.client(cast_a.consultant)
    missing = api.post(url, _agreement(agreement_date="pas une date"), content_type="application/json")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid" and "agreement_date" in missing.json()["errors"]
    oral = api.post(url, _agreement(method="oral_recorded"), content_type="application/json")
    assert oral.status_code == 400 and "method" in oral.json()["errors"]
    too_long = api.post(url, _agreement(keep_until=(timezone.localdate() + timedelta(days=3 * 366 + 30)).isoformat()), content_type="application/json")
    assert too_long.status_code == 400 and too_long.json()["code"] == "retention_too_long" and "3 ans" in too_long.json()["detail"]
    unknown = api.post(f"/api/v1/bilans/{working_file.bilan_id}/files/00000000-0000-0000-0000-000000000000/retention/", _agreement(),
                       content_type="application/json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "bilan_file_not_found"
    with tenant_context(cast_a.organisation):
        assert BilanFile.objects.get(pk=working_file.pk).retention_agreed_at is None


def test_new_routes_are_in_the_api_schema(cast_a):
    schema = cast_a.client(cast_a.admin).get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for route in (
        "/api/v1/bilans/{id}/third-party-accesses/",
        "/api/v1/bilans/{id}/third-party-accesses/{access_pk}/revoke/",
        "/api/v1/bilans/{id}/files/{file_pk}/retention/",
        "/api/v1/feedback-invitations/{id}/decision/",
    ):
        assert route in text, route
    assert "token_hash" not in text
