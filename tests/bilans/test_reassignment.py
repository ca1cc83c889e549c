"""Reassigning a beneficiary moves their running bilans and their message threads."""
import pytest
from django_tenants.utils import tenant_context

from bilans.messaging.models import Thread
from bilans.messaging.services import message_send, thread_start
from bilans.models import Bilan
from organisations.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_reassignment_moves_the_bilan_and_the_threads(in_a, bilan):
    thread = thread_start(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, subject="Question")
    message_send(actor=in_a.beneficiary_user, thread=thread, body="Bonjour")
    former, new = in_a.consultant, in_a.other_consultant
    assert in_a.client(former).get(f"/bilans/{bilan.pk}/").status_code == 200
    assert in_a.client(former).get(f"/messages/{thread.pk}/").status_code == 200

    response = in_a.client(in_a.admin).post(f"/beneficiaires/{in_a.beneficiary.pk}/attribuer/", {"consultant": new.pk})
    assert response.status_code == 302

    assert in_a.client(former).get(f"/bilans/{bilan.pk}/").status_code in (403, 404)
    assert in_a.client(former).get(f"/messages/{thread.pk}/").status_code in (403, 404)
    assert in_a.client(former).post(f"/bilans/{bilan.pk}/objectifs/", {"text": "Objectif"}).status_code in (403, 404)
    assert in_a.client(new).get(f"/bilans/{bilan.pk}/").status_code == 200
    page = in_a.client(new).get(f"/messages/{thread.pk}/")
    assert page.status_code == 200 and "Bonjour" in page.content.decode()
    assert "Question" in in_a.client(new).get("/messages/").content.decode()
    with tenant_context(in_a.organisation):
        assert Bilan.objects.get(pk=bilan.pk).consultant_id == new.pk
        assert Thread.objects.get(pk=thread.pk).consultant_id == new.pk
        event = AuditEvent.objects.get(action="bilan.consultant_changed")
        assert event.details["previous_consultant_id"] == former.pk and event.details["consultant_id"] == new.pk
