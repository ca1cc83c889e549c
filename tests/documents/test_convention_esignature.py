"""A convention or contract e-signed through the generated document (ES-04) is signed on the
bilan's convention too (CT-14, CT-15, CT-17): nobody records the signatures twice."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import Bilan, Convention
from bilans.services import bilan_transition, consent_record, convention_create, convention_send, funding_set, information_document_deliver
from config.errors import Conflict
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for
from tests.documents.test_multi_signer import _code_for, _link_token, _run, _sign_beneficiary, _sign_organisation, _start, _state

CONTENT = dict(
    objective="Construire un projet professionnel réaliste",
    content="Trois phases : préliminaire, investigation, conclusions",
    means="Entretiens individuels, tests, enquêtes métiers",
    duration_hours=24,
    period_start=date(2026, 11, 2),
    period_end=date(2027, 1, 29),
    delivery_terms="Entretiens hebdomadaires, suivi à 6 mois",
    results_terms="Résultats et synthèse remis au seul bénéficiaire",
    price_cents=180000,
    payment_terms="Virement à 30 jours",
)


def _bilan_with_sent_convention(cast, *, kind: str, sent_at=None):
    """A prospect bilan, informed and consenting, whose convention (or contract) is sent."""
    bilan = bilan_for(cast, status=Bilan.Status.PROSPECT)
    with tenant_context(cast.organisation):
        if kind == Convention.Kind.TRIPARTITE:
            funding_set(actor=cast.consultant, bilan=bilan, kind="employer_plan", amount_cents=180000, funder_name="Acme")
            extra = {"employer_name": "Acme"}
        else:
            funding_set(actor=cast.consultant, bilan=bilan, kind="personal", amount_cents=180000)
            extra = {"deposit_cents": 45000}
        information_document_deliver(actor=cast.consultant, bilan=bilan)
        consent_record(actor=cast.beneficiary_user, bilan=bilan, method="online")
        convention = convention_create(actor=cast.consultant, bilan=bilan, kind=kind, **extra, **CONTENT)
        convention_send(actor=cast.consultant, convention=convention, now=sent_at)
    return bilan, convention


def _published(cast, bilan, doc_type: str, worker):
    """Draft, validate and publish a document while the worker runs: whichever of the test and
    the worker claims the generation job does it (``factories.published`` races the worker)."""
    from bilans.documents.models import Document
    from bilans.documents.services import document_generate, document_publish, document_request, document_validate

    with tenant_context(cast.organisation):
        document = document_request(actor=cast.consultant, bilan=bilan, doc_type=doc_type)
        document_generate(document_id=document.pk, actor_id=cast.consultant.pk)
    _run(worker)
    with tenant_context(cast.organisation):
        document = document_validate(actor=cast.consultant, document=Document.objects.get(pk=document.pk))
        document_publish(document_id=document.pk)
    _run(worker)
    with tenant_context(cast.organisation):
        document = Document.objects.get(pk=document.pk)
    assert document.status == Document.Status.PUBLISHED
    return document


def _sign_employer(cast, worker, *, ip="192.0.2.44"):
    token = _link_token()
    anonymous = cast.client()
    assert anonymous.post(f"/signature/{token}/", {"action": "code"}).status_code == 302
    _run(worker)
    response = anonymous.post(
        f"/signature/{token}/", {"action": "confirm", "code": _code_for("drh@employeur.example"), "consent": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (Employer) Safari/18.0", REMOTE_ADDR=ip,
    )
    assert response.status_code == 200
    _run(worker)


def _convention(cast, convention) -> Convention:
    with tenant_context(cast.organisation):
        return Convention.objects.get(pk=convention.pk)


@pytest.mark.django_db(transaction=True)
def test_tripartite_convention_e_signed_by_the_three_parties_signs_the_bilans_convention(cast_a, worker):
    """CT-14 / ES-04: the beneficiary, the employer (link + code) and the organisation sign the
    generated convention; each signature is reported on the bilan's tripartite convention with
    its time and IP (and the employer's signatory), which is then signed and lets the bilan
    start its preliminary phase without recording anything twice."""
    bilan, convention = _bilan_with_sent_convention(cast_a, kind=Convention.Kind.TRIPARTITE)
    document = _published(cast_a, bilan, "convention", worker)
    mail.outbox.clear()
    assert _start(cast_a, document).status_code == 302
    _run(worker)

    _sign_beneficiary(cast_a, document, worker, ip="203.0.113.7")
    _sign_employer(cast_a, worker, ip="192.0.2.44")
    row = _convention(cast_a, convention)
    assert row.status == Convention.Status.SENT and row.beneficiary_signed_at and row.employer_signed_at and row.organisation_signed_at is None
    with tenant_context(cast_a.organisation), pytest.raises(Conflict) as blocked:
        bilan_transition(actor=cast_a.consultant, bilan=bilan, to_status="preliminary")
    assert "convention tripartite" in blocked.value.message

    _sign_organisation(cast_a, document, worker, cast_a.consultant)
    envelope, parties = _state(cast_a, document)
    assert envelope.status == "sealed"
    row = _convention(cast_a, convention)
    assert row.status == Convention.Status.SIGNED
    assert row.beneficiary_signed_at == parties["beneficiary"].signed_at and row.beneficiary_signed_ip == "203.0.113.7"
    assert row.employer_signed_at == parties["employer"].signed_at and row.employer_signatory == "Claire Martin"
    assert row.organisation_signed_at == parties["organisation"].signed_at
    assert row.closed_at == parties["organisation"].signed_at
    with tenant_context(cast_a.organisation):
        events = AuditEvent.objects.filter(object_id=str(convention.pk), action="convention.signed")
        assert sorted(e.details["party"] for e in events) == ["beneficiary", "employer", "organisation"]
        assert {e.details["method"] for e in events} == {"electronic_signature"}
        assert {e.details["signature_id"] for e in events} == {str(r.pk) for r in parties.values()}
        assert bilan_transition(actor=cast_a.consultant, bilan=bilan, to_status="preliminary").status == "preliminary"


@pytest.mark.django_db(transaction=True)
def test_contract_e_signed_by_beneficiary_and_organisation_starts_the_withdrawal_period(cast_a, worker):
    """CT-17 / ES-04: the self-funded person's contract signed through the document by the
    beneficiary then the organisation is signed on the bilan, the 10-day withdrawal period
    counted from the beneficiary's e-signature."""
    bilan, contract = _bilan_with_sent_convention(cast_a, kind=Convention.Kind.CONTRACT)
    document = _published(cast_a, bilan, "contract", worker)
    mail.outbox.clear()
    assert _start(cast_a, document, ordered="on").status_code == 302
    _run(worker)
    _sign_beneficiary(cast_a, document, worker, ip="203.0.113.8")
    row = _convention(cast_a, contract)
    _, parties = _state(cast_a, document)
    assert row.status == Convention.Status.SENT
    assert row.withdrawal_ends_at == parties["beneficiary"].signed_at + timedelta(days=10)
    _sign_organisation(cast_a, document, worker, cast_a.admin)
    row = _convention(cast_a, contract)
    _, parties = _state(cast_a, document)
    assert row.status == Convention.Status.SIGNED and row.employer_signed_at is None
    assert row.beneficiary_signed_at == parties["beneficiary"].signed_at and row.beneficiary_signed_ip == "203.0.113.8"
    assert row.organisation_signed_at == parties["organisation"].signed_at
    assert row.withdrawal_ends_at == parties["beneficiary"].signed_at + timedelta(days=10)
    with tenant_context(cast_a.organisation):
        assert bilan_transition(actor=cast_a.consultant, bilan=bilan, to_status="preliminary").status == "preliminary"


@pytest.mark.django_db(transaction=True)
def test_expired_convention_is_not_signed_by_a_late_e_signature(cast_a, worker):
    """CT-15 / ES-04: a convention sent more than 10 days ago refuses the beneficiary's
    e-signature: the document's signature goes on, the convention stays unsigned and unchanged,
    and the refusal is in the audit trail and told to the consultant."""
    bilan, convention = _bilan_with_sent_convention(cast_a, kind=Convention.Kind.TRIPARTITE, sent_at=timezone.now() - timedelta(days=11))
    document = _published(cast_a, bilan, "convention", worker)
    mail.outbox.clear()
    assert _start(cast_a, document).status_code == 302
    _run(worker)
    _sign_beneficiary(cast_a, document, worker)
    _, parties = _state(cast_a, document)
    assert parties["beneficiary"].status == "signed"
    row = _convention(cast_a, convention)
    assert row.status == Convention.Status.SENT and row.beneficiary_signed_at is None and row.beneficiary_signed_ip is None
    with tenant_context(cast_a.organisation):
        assert not AuditEvent.objects.filter(object_id=str(convention.pk), action="convention.signed").exists()
        refused = AuditEvent.objects.get(object_id=str(convention.pk), action="convention.electronic_signature_refused")
        assert refused.details["code"] == "convention_expired" and refused.details["party"] == "beneficiary"
        assert refused.details["signature_id"] == str(parties["beneficiary"].pk)
        assert cast_a.consultant.notifications.filter(title="Signature électronique non reportée sur la convention").exists()
