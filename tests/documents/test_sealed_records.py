"""Attendance sheet (émargement, CPF-07) and consent record (CT-04) sealed with PAdES and
verifiable on the verification page (ES-04)."""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from bilans.documents import signing
from bilans.documents.models import SealedRecord
from bilans.documents.storage import sha256
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for

PARIS = ZoneInfo("Europe/Paris")


def _run(worker) -> None:
    worker.broker.join("default")
    worker.join()


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


@pytest.mark.django_db(transaction=True)
def test_attendance_sheet_is_sealed_at_each_emargement_and_verifiable(cast_a, worker):
    """CPF-07 / ES-04: sessions held with the beneficiary's confirmations (date, duration,
    modality, confirmation time) in a sealed PDF, downloadable by the consultant, an
    administrator and the beneficiary; the verification page recognises it and detects a change."""
    from bilans.services import session_plan, session_record_attendance

    bilan = bilan_for(cast_a)
    with tenant_context(cast_a.organisation):
        first = session_plan(actor=cast_a.consultant, bilan=bilan, starts_at=datetime(2026, 11, 2, 9, tzinfo=PARIS), duration_minutes=120)
        second = session_plan(
            actor=cast_a.consultant, bilan=bilan, starts_at=datetime(2026, 11, 9, 14, tzinfo=PARIS), duration_minutes=90, modality="video",
        )
        for session in (first, second):
            session_record_attendance(actor=cast_a.consultant, session=session, attendance="attended")
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    assert beneficiary.get(f"/documents/bilan/{bilan.pk}/emargement.pdf").status_code == 404  # not produced yet
    response = beneficiary.post(f"/mon-bilan/seances/{first.pk}/emarger/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    _run(worker)
    with tenant_context(cast_a.organisation):
        record = SealedRecord.objects.get(bilan=bilan, kind="attendance")
        first.refresh_from_db()
        confirmed = first.beneficiary_confirmed_at.astimezone(PARIS)
        assert AuditEvent.objects.filter(action="attendance_sheet.sealed", object_id=str(record.pk)).exists()

    pdf = beneficiary.get(f"/documents/bilan/{bilan.pk}/emargement.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    data = pdf.content
    assert sha256(data) == record.sha256 and signing.verify(data)["ok"]
    text = _text(data)
    assert "Feuille d'émargement" in text and cast_a.beneficiary.full_name in text
    assert "02/11/2026 à 09:00" in text and "2 h 00" in text and "En présentiel" in text
    assert "09/11/2026 à 14:00" in text and "1 h 30" in text and "En visio" in text
    assert f"Confirmée le {confirmed:%d/%m/%Y à %H:%M}" in text and "203.0.113.9" in text and "Non émargée" in text
    for user in (cast_a.consultant, cast_a.admin):
        assert cast_a.client(user).get(f"/documents/bilan/{bilan.pk}/emargement.pdf").content == data
    assert cast_a.client(cast_a.other_consultant).get(f"/documents/bilan/{bilan.pk}/emargement.pdf").status_code in (403, 404)

    # the second émargement produces a new sealed sheet; the previous one is kept
    beneficiary.post(f"/mon-bilan/seances/{second.pk}/emarger/")
    _run(worker)
    with tenant_context(cast_a.organisation):
        assert SealedRecord.objects.filter(bilan=bilan, kind="attendance").count() == 2
    latest = beneficiary.get(f"/documents/bilan/{bilan.pk}/emargement.pdf").content
    assert latest != data and "Non émargée" not in _text(latest)

    anonymous = cast_a.client()
    body = anonymous.post("/api/v1/documents/verify/", {"file": io.BytesIO(data)}).json()
    assert body["ok"] and body["signed"] and body["known"] and "Feuille d'émargement" in body["document"]["title"]
    page = anonymous.post("/documents/verifier/", {"file": io.BytesIO(latest)}).content.decode()
    assert "Document intègre" in page
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x01
    assert not anonymous.post("/api/v1/documents/verify/", {"file": io.BytesIO(bytes(changed))}).json()["ok"]


@pytest.mark.django_db(transaction=True)
def test_consent_record_is_sealed_with_time_and_method(cast_a, worker):
    """CT-04 / ES-04: the beneficiary's consent (time and method, then its withdrawal) in a
    sealed PDF, verifiable on the verification page."""
    from bilans.services import consent_withdraw, information_document_deliver

    bilan = bilan_for(cast_a, status="prospect")
    with tenant_context(cast_a.organisation):
        information_document_deliver(actor=cast_a.consultant, bilan=bilan)
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    assert beneficiary.post("/mon-bilan/consentement/", {"accept": "1"}).status_code == 302
    _run(worker)
    with tenant_context(cast_a.organisation):
        consent = bilan.consents.get()
        given = consent.given_at.astimezone(PARIS)
        record = SealedRecord.objects.get(bilan=bilan, kind="consent")
        assert AuditEvent.objects.filter(action="consent_record.sealed", object_id=str(record.pk)).exists()
    data = cast_a.client(cast_a.consultant).get(f"/documents/bilan/{bilan.pk}/consentement.pdf").content
    assert beneficiary.get(f"/documents/bilan/{bilan.pk}/consentement.pdf").content == data
    text = _text(data)
    assert "Attestation de recueil du consentement" in text and "En ligne, depuis son espace" in text
    assert f"{given:%d/%m/%Y à %H:%M}" in text
    assert signing.verify(data)["ok"] and sha256(data) == record.sha256
    assert "Attestation de consentement" in beneficiary.get("/mes-documents/").content.decode()
    page = cast_a.client().post("/documents/verifier/", {"file": io.BytesIO(data)}).content.decode()
    assert "Document intègre" in page

    with tenant_context(cast_a.organisation):
        consent_withdraw(actor=cast_a.beneficiary_user, bilan=bilan)
    _run(worker)
    withdrawn = beneficiary.get(f"/documents/bilan/{bilan.pk}/consentement.pdf").content
    assert withdrawn != data and signing.verify(withdrawn)["ok"]
    with tenant_context(cast_a.organisation):
        consent.refresh_from_db()
        assert f"{consent.withdrawn_at.astimezone(PARIS):%d/%m/%Y à %H:%M}" in _text(withdrawn)

    # the consultant can ask for an up-to-date copy: same facts, same sealed record
    assert cast_a.client(cast_a.consultant).post(f"/documents/bilan/{bilan.pk}/consentement/sceller/").status_code == 302
    _run(worker)
    with tenant_context(cast_a.organisation):
        assert SealedRecord.objects.filter(bilan=bilan, kind="consent").count() == 2
    assert beneficiary.post(f"/documents/bilan/{bilan.pk}/consentement/sceller/").status_code == 403
