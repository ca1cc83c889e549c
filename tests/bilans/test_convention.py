"""Convention (CT-14, CT-15), contract (CT-17), sharing consent (CT-07)."""
from datetime import date, timedelta

import pytest

from bilans.models import Bilan, Convention
from bilans.services import (
    bilan_transition,
    consent_record,
    contract_payment_check,
    contract_withdraw,
    convention_create,
    convention_record_electronic_signature,
    convention_refuse,
    convention_send,
    convention_sign,
    conventions_expire,
    funding_set,
    information_document_deliver,
    sharing_consent_record,
    sharing_consent_withdraw,
    sharing_ensure_allowed,
)
from config.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

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


def _employer_funded(in_a, bilan):
    funding_set(actor=in_a.consultant, bilan=bilan, kind="employer_plan", amount_cents=180000, funder_name="Acme")
    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    consent_record(actor=in_a.beneficiary_user, bilan=bilan, method="online")


def test_tripartite_convention_requires_the_mandatory_content(bilan, in_a):
    """CT-14: intitulé, objectif, contenu, moyens, durée et période, modalités, prix, règlement."""
    with pytest.raises(InvalidInput) as error:
        convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", **{**CONTENT, "means": "", "price_cents": None})
    assert error.value.code == "convention_incomplete"
    assert "moyens" in error.value.message and "prix" in error.value.message and "employeur" in error.value.message
    with pytest.raises(InvalidInput):
        convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **{**CONTENT, "duration_hours": 30})


def test_employer_funded_bilan_starts_only_with_a_signed_convention(bilan, in_a, clock):
    """CT-14: tripartite convention signed by employer, employee and organisation."""
    _employer_funded(in_a, bilan)
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="preliminary")
    assert "convention tripartite" in error.value.message
    convention = convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)
    convention_send(actor=in_a.consultant, convention=convention, now=clock.now)
    convention.refresh_from_db()
    assert convention.expires_at == clock.now + timedelta(days=10)
    with pytest.raises(Forbidden):
        convention_sign(actor=in_a.consultant, convention=convention, party="beneficiary")
    convention_sign(actor=in_a.beneficiary_user, convention=convention, party="beneficiary", ip="192.0.2.1", now=clock.advance(days=3))
    convention_sign(actor=in_a.consultant, convention=convention, party="employer", signatory="DRH Acme", now=clock.now)
    convention = convention_sign(actor=in_a.consultant, convention=convention, party="organisation", now=clock.now)
    assert convention.status == Convention.Status.SIGNED
    assert bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="preliminary").status == "preliminary"


def test_unsigned_convention_expires_after_10_days_by_the_periodic_job(bilan, in_a, clock):
    """CT-15: 10 days from sending to sign; silence means refusal and the platform says so."""
    _employer_funded(in_a, bilan)
    convention = convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)
    convention_send(actor=in_a.consultant, convention=convention, now=clock.now)
    assert conventions_expire(now=clock.advance(days=9, hours=23)) == 0
    assert conventions_expire(now=clock.advance(hours=1)) == 1
    assert conventions_expire(now=clock.advance(hours=1)) == 0  # idempotent
    convention.refresh_from_db()
    assert convention.status == Convention.Status.EXPIRED
    assert in_a.consultant.notifications.filter(title="Convention expirée sans signature").exists()
    assert in_a.beneficiary_user.notifications.filter(title="Convention expirée sans signature").exists()
    with pytest.raises(Conflict) as error:
        convention_sign(actor=in_a.beneficiary_user, convention=convention, party="beneficiary", now=clock.now)
    assert error.value.code == "convention_not_sent"
    # a new convention can be proposed
    convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)


def test_signing_after_the_deadline_expires_it_on_the_spot(bilan, in_a, clock):
    """CT-15: even before the job runs, a late signature is refused."""
    _employer_funded(in_a, bilan)
    convention = convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)
    convention_send(actor=in_a.consultant, convention=convention, now=clock.now)
    with pytest.raises(Conflict) as error:
        convention_sign(actor=in_a.beneficiary_user, convention=convention, party="beneficiary", now=clock.advance(days=10, minutes=1))
    assert error.value.code == "convention_expired" and "absence de signature vaut refus" in error.value.message
    assert conventions_expire(now=clock.now) == 1
    convention.refresh_from_db()
    assert convention.status == Convention.Status.EXPIRED


def test_the_employee_may_refuse(bilan, in_a):
    """CT-04: a refusal is recorded, nothing forces the employee."""
    _employer_funded(in_a, bilan)
    convention = convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)
    convention_send(actor=in_a.consultant, convention=convention)
    assert convention_refuse(actor=in_a.beneficiary_user, convention=convention).status == Convention.Status.REFUSED


def test_self_funded_contract_withdrawal_and_payment_limits(bilan, in_a, clock):
    """CT-17: contract before start, 10-day withdrawal, no payment before, at most 30 % then."""
    funding_set(actor=in_a.consultant, bilan=bilan, kind="personal", amount_cents=150000)
    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    consent_record(actor=in_a.beneficiary_user, bilan=bilan, method="online")
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="preliminary")
    assert "contrat" in error.value.message
    with pytest.raises(InvalidInput) as error:
        convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", deposit_cents=50000, **{**CONTENT, "price_cents": 150000})
    assert error.value.code == "deposit_too_high"
    contract = convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", deposit_cents=45000, **{**CONTENT, "price_cents": 150000})
    convention_send(actor=in_a.consultant, convention=contract, now=clock.now)
    convention_sign(actor=in_a.beneficiary_user, convention=contract, party="beneficiary", now=clock.now)
    contract = convention_sign(actor=in_a.consultant, convention=contract, party="organisation", now=clock.now)
    assert contract.status == "signed" and contract.withdrawal_ends_at == clock.now + timedelta(days=10)
    with pytest.raises(Conflict) as error:
        contract_payment_check(convention=contract, amount_cents=10000, now=clock.advance(days=5))
    assert error.value.code == "withdrawal_period_running"
    with pytest.raises(Conflict):
        contract_payment_check(convention=contract, amount_cents=50000, now=clock.advance(days=6))
    contract_payment_check(convention=contract, amount_cents=45000, now=clock.now)
    contract_payment_check(convention=contract, amount_cents=105000, already_paid_cents=45000, now=clock.now)
    assert bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="preliminary").status == "preliminary"


def test_withdrawal_within_10_days(bilan, in_a, clock):
    """CT-17: withdrawal within 10 days; after that it is refused."""
    funding_set(actor=in_a.consultant, bilan=bilan, kind="personal", amount_cents=150000)
    contract = convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", **CONTENT)
    convention_send(actor=in_a.consultant, convention=contract, now=clock.now)
    convention_sign(actor=in_a.beneficiary_user, convention=contract, party="beneficiary", now=clock.now)
    assert contract_withdraw(actor=in_a.beneficiary_user, convention=contract, now=clock.advance(days=9)).status == "withdrawn"


def test_electronic_signature_follows_the_convention_rules_and_refusals_leave_it_unchanged(bilan, in_a, clock):
    """CT-14 / CT-15 / ES-04: a signature made through the document's e-signature is recorded
    with the same rules as convention_sign; a convention whose content changed since it was
    sent, or a party it does not have, refuses it without raising: nothing changes, the refusal
    is in the audit trail."""
    from organisations.accounts.models import AuditEvent

    _employer_funded(in_a, bilan)
    convention = convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)
    convention_send(actor=in_a.consultant, convention=convention, now=clock.now)
    signed_at = clock.advance(days=2)
    row = convention_record_electronic_signature(convention=convention, party="employer", signed_at=signed_at, ip="192.0.2.9", signatory=" DRH Acme ")
    assert row.employer_signed_at == signed_at and row.employer_signatory == "DRH Acme" and row.status == "sent"
    Convention.objects.filter(pk=convention.pk).update(price_cents=190000)  # changed after sending
    row = convention_record_electronic_signature(convention=convention, party="beneficiary", signed_at=clock.now, ip="192.0.2.1")
    assert row.status == "sent" and row.beneficiary_signed_at is None
    refused = AuditEvent.objects.get(object_id=str(convention.pk), action="convention.electronic_signature_refused")
    assert refused.details["code"] == "convention_altered" and refused.details["status"] == "sent"
    assert in_a.consultant.notifications.filter(title="Signature électronique non reportée sur la convention").exists()

    convention_refuse(actor=in_a.beneficiary_user, convention=convention)
    contract = convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", **CONTENT)
    convention_send(actor=in_a.consultant, convention=contract, now=clock.now)
    row = convention_record_electronic_signature(convention=contract, party="employer", signed_at=clock.now, ip=None)
    assert row.employer_signed_at is None and row.status == "sent"
    assert AuditEvent.objects.filter(object_id=str(contract.pk), action="convention.electronic_signature_refused", details__code="invalid_party").exists()


def test_sharing_is_denied_without_the_beneficiary_agreement_for_that_recipient(bilan, in_a):
    """CT-07: default deny, per-recipient consent, withdrawable."""
    with pytest.raises(Forbidden) as error:
        sharing_ensure_allowed(bilan=bilan, recipient_email="rh@acme.test", scope="synthesis")
    assert error.value.code == "sharing_not_agreed"
    consent = sharing_consent_record(
        actor=in_a.beneficiary_user, bilan=bilan, recipient_kind="employer", recipient_name="Acme RH", recipient_email="RH@acme.test", scope="synthesis"
    )
    assert sharing_ensure_allowed(bilan=bilan, recipient_email="rh@acme.test", scope="synthesis") == consent
    with pytest.raises(Forbidden):  # another scope
        sharing_ensure_allowed(bilan=bilan, recipient_email="rh@acme.test", scope="results")
    with pytest.raises(Forbidden):  # another recipient
        sharing_ensure_allowed(bilan=bilan, recipient_email="opco@exemple.test", scope="synthesis")
    sharing_consent_withdraw(actor=in_a.beneficiary_user, consent=consent)
    with pytest.raises(Forbidden):
        sharing_ensure_allowed(bilan=bilan, recipient_email="rh@acme.test", scope="synthesis")


def test_employer_contact_view_shows_status_only(bilan, in_a):
    """CT-07: employer views show status only."""
    from bilans.selectors import bilan_status_for_employer

    view = bilan_status_for_employer(bilan)
    assert set(view) == {"status", "status_label", "started_at", "ended_at"}
    assert Bilan.objects.filter(pk=bilan.pk).exists()


def test_mixed_employer_and_personal_funding_starts_once_both_documents_are_signed(bilan, in_a, clock):
    """CT-14 + CT-17: a bilan funded by the employer's plan and by the person needs a signed
    tripartite convention and a signed contract at the same time; both can be live together."""
    _employer_funded(in_a, bilan)
    funding_set(actor=in_a.consultant, bilan=bilan, kind="personal", amount_cents=30000)
    convention = convention_create(actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", **CONTENT)
    contract = convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", **{**CONTENT, "price_cents": 30000})
    with pytest.raises(Conflict) as error:  # still one live document of each kind
        convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", **{**CONTENT, "price_cents": 30000})
    assert error.value.code == "convention_exists"
    convention_send(actor=in_a.consultant, convention=convention, now=clock.now)
    convention_send(actor=in_a.consultant, convention=contract, now=clock.now)
    convention_sign(actor=in_a.beneficiary_user, convention=convention, party="beneficiary", now=clock.now)
    convention_sign(actor=in_a.consultant, convention=convention, party="employer", signatory="DRH Acme", now=clock.now)
    assert convention_sign(actor=in_a.consultant, convention=convention, party="organisation", now=clock.now).status == "signed"
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="preliminary")
    assert "contrat" in error.value.message
    convention_sign(actor=in_a.beneficiary_user, convention=contract, party="beneficiary", now=clock.now)
    assert convention_sign(actor=in_a.consultant, convention=contract, party="organisation", now=clock.now).status == "signed"
    assert bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="preliminary").status == "preliminary"


def test_a_second_withdrawal_is_refused_and_writes_nothing(bilan, in_a, clock):
    """CT-17: the withdrawal is recorded once; withdrawing again is refused (no second event)."""
    from django.utils import timezone

    from organisations.accounts.models import AuditEvent

    funding_set(actor=in_a.consultant, bilan=bilan, kind="personal", amount_cents=150000)
    contract = convention_create(actor=in_a.consultant, bilan=bilan, kind="contract", **CONTENT)
    convention_send(actor=in_a.consultant, convention=contract)
    convention_sign(actor=in_a.beneficiary_user, convention=contract, party="beneficiary")
    convention_sign(actor=in_a.consultant, convention=contract, party="organisation")
    client = in_a.client(in_a.beneficiary_user)
    first = client.post(f"/mon-bilan/convention/{contract.pk}/retracter/", follow=True)
    assert "Votre rétractation est enregistrée" in first.content.decode()
    second = client.post(f"/mon-bilan/convention/{contract.pk}/retracter/", follow=True)
    assert "plus rien à rétracter" in second.content.decode()
    from django_tenants.utils import tenant_context

    with tenant_context(in_a.organisation):
        assert AuditEvent.objects.filter(action="contract.withdrawn").count() == 1
        contract.refresh_from_db()
        assert contract.status == "withdrawn" and contract.closed_at <= timezone.now()
