"""API of the consultant's decision on a 360° invitation the beneficiary made: same service as
the HTML page (/retours-360/invitations/<uuid>/decision/); the link is e-mailed, never returned."""
from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from bilans.assessments.models import FeedbackInvitation
from bilans.assessments.services import feedback_campaign_create
from organisations.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

INVITED = ["ami1@exemple.test", "ami2@exemple.test", "ami3@exemple.test"]


@pytest.fixture
def invitations(cast_a, bilan_a) -> dict[str, FeedbackInvitation]:
    """Invitations made by the beneficiary: pending, waiting for the consultant."""
    with schema_context(cast_a.organisation.schema_name):
        feedback_campaign_create(
            bilan=bilan_a, actor=cast_a.beneficiary_user, competences=[{"code": 100, "label": "Travailler en équipe"}], emails=INVITED
        )
        pending = {i.email: i for i in FeedbackInvitation.objects.filter(campaign__bilan=bilan_a)}
    assert {i.status for i in pending.values()} == {"pending"}
    return pending


def _decide(cast, user, invitation, **data):
    return cast.client(user).post(f"/api/v1/feedback-invitations/{invitation.pk}/decision/", data, content_type="application/json")


def test_consultant_approves_and_rejects_over_the_api(cast_a, invitations, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        approved = _decide(cast_a, cast_a.consultant, invitations[INVITED[0]], decision="approve")
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "approved" and body["email"] == INVITED[0] and body["sent_at"] and body["decided_at"]
    assert "token" not in approved.content.decode()
    assert len(callbacks) >= 1  # the link leaves by e-mail once committed

    rejected = _decide(cast_a, cast_a.consultant, invitations[INVITED[1]], decision="reject", reason="Adresse du bénéficiaire lui-même")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "Adresse du bénéficiaire lui-même"

    again = _decide(cast_a, cast_a.consultant, invitations[INVITED[1]], decision="approve")
    assert again.status_code == 409 and again.json()["code"] == "invitation_already_decided"
    with schema_context(cast_a.organisation.schema_name):
        decided = {i.email: i for i in FeedbackInvitation.objects.filter(campaign__bilan=invitations[INVITED[0]].campaign.bilan)}
        assert decided[INVITED[0]].token_hash and decided[INVITED[0]].decided_by_id == cast_a.consultant.pk
        assert decided[INVITED[1]].status == "rejected" and decided[INVITED[1]].token_hash is None
        assert decided[INVITED[2]].status == "pending"
        assert AuditEvent.objects.filter(action="feedback360.invitation_approved", object_id=str(decided[INVITED[0]].pk)).exists()
        assert AuditEvent.objects.filter(action="feedback360.invitation_rejected", object_id=str(decided[INVITED[1]].pk)).exists()
    assert not any(INVITED[1] in message.to for message in mail.outbox)


def test_decision_permissions_isolation_and_bad_input(cast_a, cast_b, invitations):
    invitation = invitations[INVITED[0]]
    other = _decide(cast_a, cast_a.other_consultant, invitation, decision="approve")
    assert other.status_code == 403 and other.json()["code"] == "bilan_not_assigned"
    beneficiary = _decide(cast_a, cast_a.beneficiary_user, invitation, decision="approve")
    assert beneficiary.status_code == 403 and beneficiary.json()["code"] == "permission_denied"
    foreign = _decide(cast_b, cast_b.admin, invitation, decision="approve")
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"

    bad = _decide(cast_a, cast_a.consultant, invitation, decision="peut-être")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "decision" in bad.json()["errors"]
    empty = cast_a.client(cast_a.consultant).post(f"/api/v1/feedback-invitations/{invitation.pk}/decision/")
    assert empty.status_code == 400 and empty.json()["code"] == "invalid"
    too_long = _decide(cast_a, cast_a.consultant, invitation, decision="reject", reason="x" * 2000)
    assert too_long.status_code == 400 and too_long.json()["code"] == "reason_too_long"
    with schema_context(cast_a.organisation.schema_name):
        assert FeedbackInvitation.objects.get(pk=invitation.pk).status == "pending"
