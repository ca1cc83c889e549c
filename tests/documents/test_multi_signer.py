"""Signatures by several parties: a tripartite convention (CT-14) signed by the beneficiary, the
employer (no account: single-use e-mailed link and one-time code) and the organisation; a
self-funded contract (CT-17) by the beneficiary and the organisation (ES-04)."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from bilans.documents import signing
from bilans.documents.models import SignatureEnvelope, SignatureRequest
from bilans.documents.storage import sha256
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for, published

EMPLOYER_EMAIL = "drh@employeur.example"


def _flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def _run(worker) -> None:
    worker.broker.join("default")
    worker.join()


def _code_for(email: str) -> str:
    message = [m for m in mail.outbox if "code de signature" in m.subject and m.to == [email]][-1]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def _link_token() -> str:
    message = [m for m in mail.outbox if m.to == [EMPLOYER_EMAIL] and "Document à signer" in m.subject][-1]
    return re.search(r"/signature/([A-Za-z0-9_-]+)/", message.body).group(1)


def _start(cast, document, **extra):
    data = {"employer_name": "Claire Martin", "employer_email": EMPLOYER_EMAIL, **extra}
    return cast.client(cast.consultant).post(f"/documents/{document.pk}/signatures/lancer/", data)


def _sign_beneficiary(cast, document, worker, *, ip="203.0.113.7"):
    client = cast.client(cast.beneficiary_user)
    assert client.post(f"/documents/{document.pk}/signer/", {"action": "code"}).status_code == 302
    _run(worker)
    response = client.post(
        f"/documents/{document.pk}/signer/", {"action": "confirm", "code": _code_for(cast.beneficiary_user.email), "consent": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (Beneficiary) Firefox/140.0", REMOTE_ADDR=ip,
    )
    assert response.status_code == 302
    _run(worker)


def _sign_organisation(cast, document, worker, user):
    client = cast.client(user)
    assert client.post(f"/documents/{document.pk}/signer-pour-l-organisme/", {"action": "code"}).status_code == 302
    _run(worker)
    response = client.post(
        f"/documents/{document.pk}/signer-pour-l-organisme/", {"action": "confirm", "code": _code_for(user.email), "consent": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (Organisation) Chrome/130.0", REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    _run(worker)


def _state(cast, document):
    with tenant_context(cast.organisation):
        envelope = SignatureEnvelope.objects.get(document=document)
        return envelope, {r.party: r for r in envelope.requests.all()}


@pytest.mark.django_db(transaction=True)
def test_tripartite_convention_is_signed_only_when_all_three_parties_signed(cast_a, worker):
    """CT-14 / ES-04: beneficiary, employer (single-use link + code, expires, single use) and
    organisation; each signature in the audit trail; one seal with a proof sheet listing the
    three signers; verification passes, and fails after one changed byte."""
    document = published(cast_a, bilan_for(cast_a), "convention")
    mail.outbox.clear()
    # the beneficiary cannot start a convention's signature alone
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    response = beneficiary.post(f"/documents/{document.pk}/signer/", {"action": "code"})
    assert response.status_code == 409 and "pas encore été lancée" in response.content.decode()
    assert _start(cast_a, document, employer_email="pas-une-adresse").status_code == 400
    assert _start(cast_a, document).status_code == 302
    _run(worker)
    assert _start(cast_a, document).status_code == 409  # started once
    envelope, parties = _state(cast_a, document)
    assert envelope.status == "open" and not envelope.ordered
    assert [p for p in sorted(parties, key=lambda k: parties[k].position)] == ["beneficiary", "employer", "organisation"]
    token = _link_token()

    # 1. the beneficiary signs: not signed yet
    _sign_beneficiary(cast_a, document, worker)
    envelope, parties = _state(cast_a, document)
    assert envelope.status == "open" and parties["beneficiary"].status == "signed"
    page = beneficiary.get(f"/documents/{document.pk}/").content.decode()
    assert "dès que toutes les parties auront signé" in page
    assert beneficiary.get(f"/documents/{document.pk}/signe.pdf").status_code == 404

    # 2. the employer, without an account, through the link
    anonymous = cast_a.client()
    page = anonymous.get(f"/signature/{token}/")
    assert page.status_code == 200 and "Claire Martin" in page.content.decode()
    assert anonymous.get(f"/signature/{token}/document.pdf").content[:5] == b"%PDF-"
    assert anonymous.get("/signature/not-a-valid-token/").status_code == 404
    assert anonymous.post(f"/signature/{token}/", {"action": "code"}).status_code == 302
    _run(worker)
    code = _code_for(EMPLOYER_EMAIL)
    wrong = "000000" if code != "000000" else "111111"
    assert anonymous.post(f"/signature/{token}/", {"action": "confirm", "code": wrong, "consent": "on"}).status_code == 400
    response = anonymous.post(
        f"/signature/{token}/", {"action": "confirm", "code": code, "consent": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (Employer) Safari/18.0", REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 200 and "Merci" in response.content.decode()
    _run(worker)
    # the link is single-use
    used = anonymous.get(f"/signature/{token}/")
    assert used.status_code == 409 and "déjà été utilisé" in used.content.decode()
    assert anonymous.get(f"/signature/{token}/document.pdf").status_code == 409
    envelope, parties = _state(cast_a, document)
    assert envelope.status == "open" and parties["employer"].status == "signed" and parties["employer"].signer_id is None
    assert parties["employer"].ip_address == "192.0.2.44" and parties["employer"].failed_attempts == 1

    # 3. the organisation (the consultant): now complete, sealed once
    _sign_organisation(cast_a, document, worker, cast_a.consultant)
    envelope, parties = _state(cast_a, document)
    assert envelope.status == "sealed" and envelope.completed_at and envelope.sealed_at
    assert {r.status for r in parties.values()} == {"sealed"} and {r.sha256_after for r in parties.values()} == {envelope.sha256_after}
    assert parties["organisation"].signer_id == cast_a.consultant.pk
    for request in parties.values():
        assert request.signed_at and request.sha256_before == document.pdf_sha256 and request.user_agent and request.ip_address

    with tenant_context(cast_a.organisation):
        events = AuditEvent.objects.filter(object_id=str(document.pk), action="signature.signed")
        assert sorted(e.details["party"] for e in events) == ["beneficiary", "employer", "organisation"]
        assert AuditEvent.objects.filter(object_id=str(document.pk), action="signature.sealed").count() == 1
        assert AuditEvent.objects.filter(object_id=str(document.pk), action="signature.link_sent").count() == 1

    sealed = beneficiary.get(f"/documents/{document.pk}/signe.pdf").content
    assert sha256(sealed) == envelope.sha256_after
    assert cast_a.client(cast_a.consultant).get(f"/documents/{document.pk}/signe.pdf").content == sealed
    reader = PdfReader(io.BytesIO(sealed))
    proof = "".join(page.extract_text() for page in reader.pages[-2:]).replace("\n", " ")
    assert "Feuille de preuve" in proof
    for request in parties.values():
        assert request.signer_name in proof and request.ip_address in proof
    for needle in ("Le bénéficiaire", "L'employeur", "L'organisme prestataire", "Firefox", "Safari", "Chrome"):
        assert needle in proof, needle
    assert document.pdf_sha256 in proof.replace(" ", "")
    assert signing.verify(sealed)["ok"]
    # the employer receives their sealed copy by e-mail
    copy = [m for m in mail.outbox if m.to == [EMPLOYER_EMAIL] and "Document signé" in m.subject]
    assert copy and copy[0].attachments[0][1] == sealed

    body = anonymous.post("/api/v1/documents/verify/", {"file": io.BytesIO(sealed)}).json()
    assert body["ok"] and body["known"] and len(body["document"]["signers"]) == 3
    page = anonymous.post("/documents/verifier/", {"file": io.BytesIO(sealed)}).content.decode()
    assert "Document intègre" in page and "Claire Martin" in page
    tampered = _flip(sealed, len(sealed) // 2)
    assert not anonymous.post("/api/v1/documents/verify/", {"file": io.BytesIO(tampered)}).json()["ok"]
    assert "Document intègre" not in anonymous.post("/documents/verifier/", {"file": io.BytesIO(tampered)}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_employer_link_expires_and_a_new_one_replaces_it(cast_a, worker):
    """ES-04: the employer's link expires; a new link invalidates the previous one."""
    document = published(cast_a, bilan_for(cast_a), "convention")
    mail.outbox.clear()
    assert _start(cast_a, document).status_code == 302
    _run(worker)
    token = _link_token()
    with tenant_context(cast_a.organisation):
        SignatureRequest.objects.filter(document=document, party="employer").update(link_expires_at=timezone.now() - timedelta(seconds=1))
    anonymous = cast_a.client()
    response = anonymous.get(f"/signature/{token}/")
    assert response.status_code == 409 and "expiré" in response.content.decode()
    assert anonymous.post(f"/signature/{token}/", {"action": "code"}).status_code == 409
    mail.outbox.clear()
    assert cast_a.client(cast_a.consultant).post(f"/documents/{document.pk}/signatures/relancer-employeur/").status_code == 302
    _run(worker)
    fresh = _link_token()
    assert fresh != token
    assert anonymous.get(f"/signature/{token}/").status_code == 404
    assert anonymous.get(f"/signature/{fresh}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_ordered_contract_needs_the_beneficiary_then_the_organisation(cast_a, worker):
    """CT-17 / ES-04: a self-funded contract: beneficiary and organisation, in order when asked;
    an administrator may sign for the organisation."""
    document = published(cast_a, bilan_for(cast_a), "contract")
    mail.outbox.clear()
    assert _start(cast_a, document, ordered="on").status_code == 302
    _run(worker)
    envelope, parties = _state(cast_a, document)
    assert envelope.ordered and set(parties) == {"beneficiary", "organisation"}
    assert not [m for m in mail.outbox if m.to == [EMPLOYER_EMAIL]]
    # not the organisation's turn yet
    response = cast_a.client(cast_a.admin).post(f"/documents/{document.pk}/signer-pour-l-organisme/", {"action": "code"})
    assert response.status_code == 409 and "pas encore votre tour" in response.content.decode()
    _sign_beneficiary(cast_a, document, worker)
    envelope, _ = _state(cast_a, document)
    assert envelope.status == "open"
    _sign_organisation(cast_a, document, worker, cast_a.admin)
    envelope, parties = _state(cast_a, document)
    assert envelope.status == "sealed" and parties["organisation"].signer_id == cast_a.admin.pk
    sealed = cast_a.client(cast_a.admin).get(f"/documents/{document.pk}/signe.pdf").content
    proof = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sealed)).pages[-2:]).replace("\n", " ")
    assert cast_a.admin.email in proof and "Imposé" in proof
    assert signing.verify(sealed)["ok"]
