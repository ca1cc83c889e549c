"""Regenerating a draft in review: a new AI version, the previous ones kept, charged once per
successful draft with its own idempotency key; refused once the document is validated."""
from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.models import Document, DocumentVersion, GenerationRecord
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for, ledger


def _run(worker) -> None:
    worker.broker.join("default")
    worker.join()


@pytest.mark.django_db(transaction=True)
def test_regenerate_adds_a_new_ai_version_charged_once_and_keeps_history(cast_a, worker):
    bilan = bilan_for(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    assert consultant.post(f"/documents/bilan/{bilan.pk}/generer/", {"doc_type": "synthesis"}).status_code == 302
    _run(worker)
    with tenant_context(cast_a.organisation):
        document = Document.objects.get(bilan=bilan)
        first = document.versions.get()
    assert consultant.post(f"/documents/{document.pk}/enregistrer/", {"content_html": first.content_html + "<p>Note du consultant.</p>"}).status_code == 302
    # a beneficiary cannot regenerate (they do not even see the draft)
    assert cast_a.client(cast_a.beneficiary_user).post(f"/documents/{document.pk}/regenerer/").status_code in (403, 404)

    assert consultant.post(f"/documents/{document.pk}/regenerer/").status_code == 302
    _run(worker)
    with tenant_context(cast_a.organisation):
        document.refresh_from_db()
        assert document.status == Document.Status.REVIEW and document.progress == 100
        versions = list(document.versions.order_by("number"))
        assert [(v.number, v.source) for v in versions] == [(1, "ai"), (2, "consultant"), (3, "ai")]
        assert versions[0].content_html == first.content_html  # history kept
        records = list(GenerationRecord.objects.filter(document=document, succeeded=True).order_by("created_at"))
        charges = list(ledger(cast_a, bilan, "document_synthesis").order_by("created_at"))
        assert len(records) == 2 and len(charges) == 2
        assert {c.idempotency_key for c in charges} == {f"document-draft:{document.pk}:{r.pk}" for r in records}
        assert AuditEvent.objects.filter(object_id=str(document.pk), action="document.regeneration_requested").count() == 1

    # the API does the same (202); validation then measures against the latest AI draft
    response = consultant.post(f"/api/v1/documents/{document.pk}/regenerate/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    _run(worker)
    with tenant_context(cast_a.organisation):
        assert document.versions.count() == 4 and ledger(cast_a, bilan, "document_synthesis").count() == 3
    assert consultant.post(f"/documents/{document.pk}/valider/").status_code == 302
    with tenant_context(cast_a.organisation):
        document.refresh_from_db()
        assert document.validated_version.number == 4 and document.change_level == "none"

    # once validated: 409 with a French message, nothing charged
    _run(worker)
    response = consultant.post(f"/documents/{document.pk}/regenerer/")
    assert response.status_code == 409 and "ne peut plus être régénéré" in response.content.decode()
    response = consultant.post(f"/api/v1/documents/{document.pk}/regenerate/")
    assert response.status_code == 409 and response.json()["code"] == "document_locked"
    with tenant_context(cast_a.organisation):
        assert ledger(cast_a, bilan, "document_synthesis").count() == 3


@pytest.mark.django_db
def test_regenerate_needs_a_draft_in_review_and_a_failed_regeneration_keeps_the_drafts(cast_a, openai_settings, fake_openai):
    from bilans.documents.services import document_generate
    from tests.ai_generation.fake_openai import text_reply, valid_reply
    from tests.documents.factories import drafted

    bilan = bilan_for(cast_a)
    fake_openai.program(valid_reply)
    document = drafted(cast_a, bilan, "career_path_analysis")
    assert document.status == Document.Status.REVIEW
    consultant = cast_a.client(cast_a.consultant)
    assert consultant.post(f"/documents/{document.pk}/regenerer/").status_code == 302
    # a second request while the first is queued is refused
    response = consultant.post(f"/api/v1/documents/{document.pk}/regenerate/", content_type="application/json", data=json.dumps({}))
    assert response.status_code == 409 and response.json()["code"] == "document_not_in_review"
    fake_openai.program(text_reply("pas du JSON"), text_reply("{}"))
    with tenant_context(cast_a.organisation):
        document = document_generate(document_id=document.pk, actor_id=cast_a.consultant.pk)
        assert document.status == Document.Status.REVIEW and document.failure_code == "ai_invalid_output"
        assert list(document.versions.values_list("number", "source")) == [(1, DocumentVersion.Source.AI)]
        assert ledger(cast_a, bilan).count() == 1  # the failure charged nothing
    page = consultant.get(f"/documents/{document.pk}/").content.decode()
    assert "La nouvelle rédaction a échoué" in page and "Régénérer le brouillon" in page
