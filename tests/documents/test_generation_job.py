"""Generation job: queued → generating → ready for review / failed with reason and retry."""
from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.models import Document, DocumentVersion, GenerationRecord
from organisations.models import Notification
from tests.ai_generation.fake_openai import text_reply, valid_reply
from tests.documents.factories import bilan_for, drafted, ledger

pytestmark = pytest.mark.django_db


def test_builtin_draft_is_ready_for_review_with_its_record(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "synthesis")
    with tenant_context(cast_a.organisation):
        assert document.status == Document.Status.REVIEW and document.progress == 100
        version = document.versions.get()
        assert version.number == 1 and version.source == DocumentVersion.Source.AI and version.author is None
        assert "Circonstances du bilan" in version.content_html and cast_a.beneficiary.full_name in version.content_html
        record = GenerationRecord.objects.get(document=document)
        assert record.succeeded and record.provider == "builtin" and record.prompt_version == "1" and len(record.input_hash) == 64
        assert Notification.objects.filter(recipient=cast_a.consultant, kind="document_ready").exists()
        assert document.data_snapshot["beneficiary"]["first_name"] == cast_a.beneficiary.first_name
        entry = ledger(cast_a, bilan).get()
        assert entry.action_code == "document_synthesis" and entry.amount == 20 == record.credits_charged
        assert entry.idempotency_key == f"document-draft:{document.pk}:{record.pk}"


def test_every_document_type_is_produced_for_a_demo_bilan(cast_a):
    from ai.generation.doctypes import TYPES

    bilan = bilan_for(cast_a)
    for doc_type in TYPES:
        document = drafted(cast_a, bilan, doc_type)
        assert document.status == Document.Status.REVIEW, (doc_type, document.failure_reason)


def test_a_second_active_document_of_the_same_type_is_refused(cast_a):
    bilan = bilan_for(cast_a)
    drafted(cast_a, bilan, "information")
    response = cast_a.client(cast_a.consultant).post(f"/documents/bilan/{bilan.pk}/generer/", {"doc_type": "information"})
    assert response.status_code == 400
    assert "déjà en cours" in response.content.decode()


def test_external_provider_pseudonymises_and_records_tokens(cast_a, openai_settings, fake_openai):
    with tenant_context(cast_a.organisation):
        cast_a.beneficiary.phone = "06 98 76 54 32"
        cast_a.beneficiary.save()
    bilan = bilan_for(cast_a)
    fake_openai.program(valid_reply)
    document = drafted(cast_a, bilan, "career_path_analysis")
    assert document.status == Document.Status.REVIEW
    sent = "".join(fake_openai.requests)
    for secret in (cast_a.beneficiary.first_name, cast_a.beneficiary.last_name, cast_a.beneficiary.email, cast_a.consultant.last_name):
        assert secret not in sent
    with tenant_context(cast_a.organisation):
        record = document.generations.get()
        assert record.provider == "openai" and record.model == "fake-model" and record.pseudonymised
        assert record.prompt_tokens == 120 and record.completion_tokens == 80
        assert cast_a.beneficiary.full_name in document.versions.get().content_html


def test_invalid_output_twice_fails_with_reason_charges_nothing_and_can_be_retried(cast_a, openai_settings, fake_openai):
    bilan = bilan_for(cast_a)
    fake_openai.program(text_reply("pas du JSON"), text_reply("{}"))
    document = drafted(cast_a, bilan, "synthesis")
    assert document.status == Document.Status.FAILED
    assert document.failure_code == "ai_invalid_output" and "correction" in document.failure_reason
    with tenant_context(cast_a.organisation):
        record = document.generations.get()
        assert not record.succeeded and record.credits_charged == 0 and record.error_code == "ai_invalid_output"
        assert not document.versions.exists()
        assert not ledger(cast_a, bilan).exists()  # no credit charged for a failure
    client = cast_a.client(cast_a.consultant)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "La rédaction a échoué" in page and "Relancer la rédaction" in page
    assert client.post(f"/documents/{document.pk}/relancer/").status_code == 302
    with tenant_context(cast_a.organisation):
        assert Document.objects.get(pk=document.pk).status == Document.Status.QUEUED
    fake_openai.program(valid_reply)
    from bilans.documents.services import document_generate

    with tenant_context(cast_a.organisation):
        document = document_generate(document_id=document.pk, actor_id=cast_a.consultant.pk)
        assert document.status == Document.Status.REVIEW
        assert document.generations.filter(succeeded=True).count() == 1
        assert ledger(cast_a, bilan, "document_synthesis").count() == 1


def test_organisation_can_forbid_external_ai(cast_a, openai_settings, fake_openai):
    client = cast_a.client(cast_a.admin)
    response = client.post("/documents/reglages/", {"footer_text": "Siège : Lyon"})  # box unchecked
    assert response.status_code == 302
    document = drafted(cast_a, bilan_for(cast_a), "information")
    assert document.status == Document.Status.REVIEW
    assert fake_openai.requests == []
    with tenant_context(cast_a.organisation):
        assert document.generations.get().provider == "builtin"


def test_progress_is_polled_until_the_draft_is_ready(cast_a):
    bilan = bilan_for(cast_a)
    client = cast_a.client(cast_a.consultant)
    response = client.post(f"/documents/bilan/{bilan.pk}/generer/", {"doc_type": "schedule"})
    assert response.status_code == 302
    with tenant_context(cast_a.organisation):
        document = Document.objects.get(bilan=bilan, doc_type="schedule")
    fragment = client.get(f"/documents/{document.pk}/progression/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "En file d" in fragment
    from bilans.documents.services import document_generate

    with tenant_context(cast_a.organisation):
        document_generate(document_id=document.pk)
    fragment = client.get(f"/documents/{document.pk}/progression/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment.split("hx-swap-oob")[0] and "prêt à relire" in fragment


def test_api_creates_a_generation_job(cast_a):
    bilan = bilan_for(cast_a)
    client = cast_a.client(cast_a.consultant)
    response = client.post("/api/v1/documents/", json.dumps({"bilan": str(bilan.pk), "doc_type": "action_plan"}), content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "queued"
    response = cast_a.client(cast_a.other_consultant).post(
        "/api/v1/documents/", json.dumps({"bilan": str(bilan.pk), "doc_type": "consent"}), content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "documents_forbidden"
    response = client.post("/api/v1/documents/", json.dumps({"bilan": str(bilan.pk), "doc_type": "nope"}), content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_generation_runs_in_a_real_worker(cast_a, worker):
    bilan = bilan_for(cast_a)
    client = cast_a.client(cast_a.consultant)
    assert client.post(f"/documents/bilan/{bilan.pk}/generer/", {"doc_type": "information"}).status_code == 302
    worker.broker.join("default")
    worker.join()
    with tenant_context(cast_a.organisation):
        document = Document.objects.get(bilan=bilan)
        assert document.status == Document.Status.REVIEW


@pytest.mark.django_db(transaction=True)
def test_from_request_to_published_pdf_with_the_real_worker(cast_a, worker):
    """Request → draft (job) → edit → validate → PDF rendered and published (job) → the
    beneficiary is notified in the app and by e-mail, and downloads the PDF."""
    from django.core import mail

    bilan = bilan_for(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    consultant.post(f"/documents/bilan/{bilan.pk}/generer/", {"doc_type": "action_plan"})
    worker.broker.join("default")
    worker.join()
    with tenant_context(cast_a.organisation):
        document = Document.objects.get(bilan=bilan)
        html = document.versions.get().content_html
    consultant.post(f"/documents/{document.pk}/enregistrer/", {"content_html": html + "<p>Rendez-vous de suivi en juin.</p>"})
    mail.outbox.clear()
    assert consultant.post(f"/documents/{document.pk}/valider/").status_code == 302
    worker.broker.join("default")
    worker.join()
    with tenant_context(cast_a.organisation):
        document = Document.objects.get(pk=document.pk)
        assert document.status == Document.Status.PUBLISHED and document.change_level == "minor"
        assert document.pdf_render_ms is not None and document.pdf_pages >= 1
        assert Notification.objects.filter(recipient=cast_a.beneficiary_user, kind="document_published", url=f"/documents/{document.pk}/").exists()
    assert any(m.to == [cast_a.beneficiary_user.email] for m in mail.outbox)
    page = consultant.get(f"/documents/{document.pk}/").content.decode()
    assert "Télécharger le PDF" in page and "Modification mineure" in page and "Version validée (2)" in page
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    pdf = beneficiary.get(f"/documents/{document.pk}/document.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-" and pdf["Content-Type"] == "application/pdf"
    assert "Rendez-vous de suivi en juin." in beneficiary.get(f"/documents/{document.pk}/").content.decode()
    listing = beneficiary.get("/api/v1/documents/").json()
    assert [item["id"] for item in listing] == [str(document.pk)] and "content_html" in listing[0]
    assert beneficiary.get(f"/api/v1/documents/{document.pk}/pdf/").status_code == 200


def test_document_types_follow_the_forfait_and_the_budget(cast_a):
    """A type outside the bilan's forfait is refused; a draft the budget cannot pay fails with
    the reason and charges nothing."""
    from plans.services import credits_charge

    bilan = bilan_for(cast_a, forfait="essentiel")
    client = cast_a.client(cast_a.consultant)
    response = client.post("/api/v1/documents/", json.dumps({"bilan": str(bilan.pk), "doc_type": "career_path_analysis"}), content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "feature_not_in_forfait"
    with tenant_context(cast_a.organisation):
        credits_charge(organisation=cast_a.organisation, bilan_id=bilan.pk, action_code="document_simple", actor=None, idempotency_key="drain", quantity=19)
    document = drafted(cast_a, bilan, "synthesis")
    assert document.status == Document.Status.FAILED and document.failure_code == "insufficient_credits"
    assert "Crédits insuffisants" in document.failure_reason
    with tenant_context(cast_a.organisation):
        assert not document.versions.exists() and not ledger(cast_a, bilan, "document_synthesis").exists()
    unfunded = bilan_for(cast_a, forfait=None, status="finished")
    response = cast_a.client(cast_a.consultant).post(f"/documents/bilan/{unfunded.pk}/generer/", {"doc_type": "information"})
    assert response.status_code == 400 and "aucun forfait" in response.content.decode()


def test_a_draft_the_budget_cannot_pay_keeps_the_record_of_the_tokens_used(cast_a, openai_settings, fake_openai):
    """The external provider answered (tokens used) but the budget is empty: the document fails
    with insufficient_credits, nothing is charged, and the generation record (provider, model,
    tokens) is kept for the organisation's AI usage."""
    from plans.services import credits_charge

    bilan = bilan_for(cast_a, forfait="essentiel")
    with tenant_context(cast_a.organisation):
        credits_charge(organisation=cast_a.organisation, bilan_id=bilan.pk, action_code="document_simple", actor=None, idempotency_key="drain", quantity=19)
    fake_openai.program(valid_reply)
    document = drafted(cast_a, bilan, "synthesis")
    assert len(fake_openai.requests) == 1  # the provider was really called
    assert document.status == Document.Status.FAILED and document.failure_code == "insufficient_credits"
    with tenant_context(cast_a.organisation):
        assert not document.versions.exists() and not ledger(cast_a, bilan, "document_synthesis").exists()
        record = GenerationRecord.objects.get(document=document)
        assert (record.provider, record.model) == ("openai", "fake-model")
        assert (record.prompt_tokens, record.completion_tokens) == (120, 80)
        assert not record.succeeded and record.error_code == "insufficient_credits" and record.credits_charged == 0
    page = cast_a.client(cast_a.consultant).get(f"/documents/{document.pk}/").content.decode()
    assert "Crédits insuffisants" in page
