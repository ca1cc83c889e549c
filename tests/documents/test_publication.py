"""Publication never hangs: whatever happens to the validator's account, the synthèse is
published and its delivery recorded (CT-06); when it cannot be, the page says why and offers a
retry instead of « Mise en page en cours… » forever."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.models import Document
from bilans.documents.services import document_publish, document_save_version, document_validate
from bilans.models import Bilan
from organisations.accounts.models import AuditEvent
from organisations.models import Notification
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db


def _validated(cast, doc_type="synthesis", body=None):
    bilan = bilan_for(cast)
    document = drafted(cast, bilan, doc_type)
    with tenant_context(cast.organisation):
        if body is not None:
            document_save_version(actor=cast.consultant, document=document, content_html=body)
        return bilan, document_validate(actor=cast.consultant, document=document)


def _deactivate(cast, *users):
    with tenant_context(cast.organisation):
        for user in users:
            user.is_active = False
            user.save(update_fields=["is_active"])


def test_synthesis_is_published_and_delivered_when_the_validator_was_deactivated_meanwhile(cast_a):
    """CT-06: the delivery is recorded on the bilan even though the validating consultant left."""
    bilan, document = _validated(cast_a)
    _deactivate(cast_a, cast_a.consultant)
    with tenant_context(cast_a.organisation):
        document = document_publish(document_id=document.pk)
        assert document.status == Document.Status.PUBLISHED and document.failure_code == ""
        assert Bilan.objects.get(pk=bilan.pk).synthesis_delivered_at is not None
        assert Notification.objects.filter(recipient=cast_a.beneficiary_user, kind="document_published").exists()
    page = cast_a.client(cast_a.beneficiary_user).get(f"/documents/{document.pk}/")
    assert page.status_code == 200 and "Télécharger le PDF" in page.content.decode()


def test_when_nobody_can_record_the_delivery_the_page_stops_waiting_and_offers_a_retry(cast_a):
    bilan, document = _validated(cast_a)
    with tenant_context(cast_a.organisation):  # the consultant left, and so did every administrator
        from organisations.accounts.models import User

        _deactivate(cast_a, cast_a.consultant, *User.objects.filter(role="admin"))
    with tenant_context(cast_a.organisation):
        document = document_publish(document_id=document.pk)
        assert document.status == Document.Status.VALIDATED and document.failure_code == "publish_failed"
        assert "enregistrer la remise" in document.failure_reason
        assert Bilan.objects.get(pk=bilan.pk).synthesis_delivered_at is None
        assert AuditEvent.objects.filter(action="document.publish_failed", object_id=str(document.pk)).exists()
    with tenant_context(cast_a.organisation):
        cast_a.admin.is_active = True
        cast_a.admin.save(update_fields=["is_active"])
    progress = cast_a.client(cast_a.admin).get(f"/documents/{document.pk}/progression/").content.decode()
    assert "hx-trigger" not in progress and "Relancer la publication" in progress and "enregistrer la remise" in progress


def test_a_pdf_failure_is_audited_the_validator_is_told_and_the_retry_is_audited(cast_a, monkeypatch):
    bilan, document = _validated(cast_a)

    def layout_failure(html):
        # the sanitizer now keeps every known xhtml2pdf crash out of the content: simulate one
        raise ValueError("xhtml2pdf could not lay the page out")

    monkeypatch.setattr("bilans.documents.rendering.html_to_pdf", layout_failure)
    with tenant_context(cast_a.organisation):
        document = document_publish(document_id=document.pk)
        assert document.status == Document.Status.VALIDATED and document.failure_code == "pdf_failed"
        assert AuditEvent.objects.filter(action="document.publish_failed", object_id=str(document.pk), details__code="pdf_failed").exists()
        notification = Notification.objects.get(recipient=cast_a.consultant, kind="document_publish_failed")
        assert "La publication a échoué" in notification.title and str(document.pk) in notification.url
    client = cast_a.client(cast_a.consultant)
    assert "Relancer la publication" in client.get(f"/documents/{document.pk}/").content.decode()
    assert client.post(f"/documents/{document.pk}/publier/").status_code == 302
    with tenant_context(cast_a.organisation):
        event = AuditEvent.objects.get(action="document.publish_retried", object_id=str(document.pk))
        assert event.actor_id == cast_a.consultant.pk
        assert Document.objects.get(pk=document.pk).failure_code == ""  # the page waits for the new attempt
