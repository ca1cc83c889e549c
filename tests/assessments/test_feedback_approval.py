"""360° feedback: the people the beneficiary invites wait for the bilan's consultant to approve
them (the beneficiary could otherwise invite addresses they control and steer the results).
No link exists and no email leaves before approval; a refused invitation never gets one; the
consultant's own invitations leave at once. Only the bilan's consultant (or an administrator)
decides."""
from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from bilans.assessments.models import FeedbackInvitation
from organisations.accounts.models import AuditEvent
from tests.assessments.test_flows import _skills_result
from tests.conftest import client_for

INVITED = ["ami1@exemple.test", "ami2@exemple.test", "ami3@exemple.test", "moi-aussi@exemple.test"]


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def _deliver(worker):
    worker.broker.join("default")
    worker.join()


def _invitee_mail() -> dict[str, list]:
    """Emails sent to invited people, by address (other notifications left out)."""
    sent: dict[str, list] = {}
    for message in mail.outbox:
        for address in message.to:
            if address in INVITED:
                sent.setdefault(address, []).append(message)
    return sent


def _beneficiary_invites(cast, bilan, capture, worker) -> dict[str, FeedbackInvitation]:
    with in_schema(cast):
        _result, skills = _skills_result(cast, bilan)
    mail.outbox.clear()
    with capture(execute=True):
        response = cast.client(cast.beneficiary_user).post(
            f"/bilans/{bilan.pk}/retours-360/", {"competences": [str(skills[0]), str(skills[1])], "emails": "\n".join(INVITED)}, follow=True
        )
    assert response.status_code == 200
    assert "les invitations partiront dès qu’il les aura validées" in response.content.decode()
    _deliver(worker)
    with in_schema(cast):
        return {i.email: i for i in FeedbackInvitation.objects.filter(campaign__bilan=bilan)}


def test_beneficiary_invitations_are_sent_only_once_the_consultant_approves(
    rome, cast_a, bilan_a, worker, django_capture_on_commit_callbacks
):
    invitations = _beneficiary_invites(cast_a, bilan_a, django_capture_on_commit_callbacks, worker)
    assert _invitee_mail() == {}  # no email before approval
    assert {i.status for i in invitations.values()} == {"pending"}
    assert all(i.token_hash is None and i.sent_at is None for i in invitations.values())  # no link exists yet
    with in_schema(cast_a):  # the consultant is told there is a list to check
        from organisations.models import Notification

        assert Notification.objects.filter(recipient=cast_a.consultant, kind="feedback360_pending").exists()
    beneficiary_page = cast_a.client(cast_a.beneficiary_user).get(f"/bilans/{bilan_a.pk}/retours-360/").content.decode()
    assert beneficiary_page.count("En attente de validation par le consultant") >= 4
    assert "/decision/" not in beneficiary_page  # the beneficiary has no approval form

    consultant = cast_a.client(cast_a.consultant)
    page = consultant.get(f"/bilans/{bilan_a.pk}/retours-360/").content.decode()
    for invitation in invitations.values():
        assert f'action="/retours-360/invitations/{invitation.pk}/decision/"' in page
    assert '<label for="reason-' in page

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for email in INVITED[:3]:
            response = consultant.post(f"/retours-360/invitations/{invitations[email].pk}/decision/", {"decision": "approve"})
            assert response.status_code == 302 and response["Location"] == f"/bilans/{bilan_a.pk}/retours-360/"
        refused = consultant.post(
            f"/retours-360/invitations/{invitations['moi-aussi@exemple.test'].pk}/decision/",
            {"decision": "reject", "reason": "Adresse du bénéficiaire lui-même"},
        )
        assert refused.status_code == 302
    _deliver(worker)
    sent = _invitee_mail()
    assert sorted(sent) == INVITED[:3] and all(len(messages) == 1 for messages in sent.values())
    assert "moi-aussi@exemple.test" not in sent  # the refused one never gets an email
    link = sent["ami1@exemple.test"][0].body.split("http://alpha.localhost:8000", 1)[1].split()[0]
    assert client_for(cast_a.organisation).get(link).status_code == 200

    with in_schema(cast_a):
        decided = {i.email: i for i in FeedbackInvitation.objects.filter(campaign__bilan=bilan_a)}
        assert [decided[e].status for e in INVITED] == ["approved", "approved", "approved", "rejected"]
        assert all(decided[e].decided_by_id == cast_a.consultant.pk and decided[e].token_hash for e in INVITED[:3])
        rejected = decided["moi-aussi@exemple.test"]
        assert rejected.token_hash is None and rejected.sent_at is None and rejected.rejection_reason == "Adresse du bénéficiaire lui-même"
        approvals = AuditEvent.objects.filter(action="feedback360.invitation_approved")
        assert sorted(approvals.values_list("object_id", flat=True)) == sorted(str(decided[e].pk) for e in INVITED[:3])
        assert all(event.actor_id == cast_a.consultant.pk for event in approvals)
        rejection = AuditEvent.objects.get(action="feedback360.invitation_rejected")
        assert rejection.object_id == str(rejected.pk) and rejection.details["with_reason"] is True
        assert "Adresse" not in str(rejection.details) and "exemple.test" not in str(rejection.details)

    # the beneficiary sees the decisions, with the reason
    beneficiary_page = cast_a.client(cast_a.beneficiary_user).get(f"/bilans/{bilan_a.pk}/retours-360/").content.decode()
    assert "Refusée" in beneficiary_page and "Motif : Adresse du bénéficiaire lui-même" in beneficiary_page
    assert "3 invitations envoyées, 1 refusée" in beneficiary_page

    # a decision is final: deciding again changes nothing and sends nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = consultant.post(f"/retours-360/invitations/{rejected.pk}/decision/", {"decision": "approve"}, follow=True)
        twice = consultant.post(f"/retours-360/invitations/{decided['ami1@exemple.test'].pk}/decision/", {"decision": "approve"}, follow=True)
    _deliver(worker)
    assert "Cette invitation a déjà été refusée." in again.content.decode()
    assert "Cette invitation a déjà été validée." in twice.content.decode()
    assert _invitee_mail() == {}
    with in_schema(cast_a):
        assert FeedbackInvitation.objects.get(pk=rejected.pk).status == "rejected"


def test_invitations_made_by_the_consultant_are_approved_and_sent_at_once(
    rome, cast_a, bilan_a, worker, django_capture_on_commit_callbacks
):
    with in_schema(cast_a):
        _result, skills = _skills_result(cast_a, bilan_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = cast_a.client(cast_a.consultant).post(
            f"/bilans/{bilan_a.pk}/retours-360/", {"competences": [str(skills[0])], "emails": "\n".join(INVITED[:3])}, follow=True
        )
    assert response.status_code == 200 and "Invitations envoyées à 3 personnes." in response.content.decode()
    _deliver(worker)
    assert sorted(_invitee_mail()) == INVITED[:3]
    with in_schema(cast_a):
        invitations = FeedbackInvitation.objects.filter(campaign__bilan=bilan_a)
        assert {(i.status, i.decided_by_id) for i in invitations} == {("approved", cast_a.consultant.pk)}
        assert all(i.token_hash and i.sent_at for i in invitations)


def test_only_the_bilans_consultant_can_decide(rome, cast_a, cast_b, bilan_a, worker, django_capture_on_commit_callbacks):
    """Neither the beneficiary, another consultant, another bilan's beneficiary, nor anyone in
    another organisation can approve or refuse: 403 (or 404 elsewhere), nothing sent."""
    from bilans.models import Bilan
    from bilans.services import beneficiary_link_account
    from tests.bilans.factories import BeneficiaryFactory
    from tests.organisations.factories import UserFactory

    invitations = _beneficiary_invites(cast_a, bilan_a, django_capture_on_commit_callbacks, worker)
    target = invitations["ami1@exemple.test"]
    url = f"/retours-360/invitations/{target.pk}/decision/"
    with in_schema(cast_a):
        someone_else = UserFactory(role="beneficiary")
        beneficiary = BeneficiaryFactory(email=someone_else.email)
        beneficiary_link_account(beneficiary=beneficiary, user=someone_else)
        Bilan.objects.create(beneficiary=beneficiary, consultant=cast_a.other_consultant)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for user in (cast_a.beneficiary_user, cast_a.other_consultant, someone_else):
            for decision in ("approve", "reject"):
                response = cast_a.client(user).post(url, {"decision": decision})
                assert response.status_code == 403, (user.role, decision)
        # another organisation does not even see the invitation
        assert cast_b.client(cast_b.consultant).post(url, {"decision": "approve"}).status_code == 404
        assert cast_b.client(cast_b.admin).post(url, {"decision": "approve"}).status_code == 404
        # unknown invitation, wrong method, unknown decision
        consultant = cast_a.client(cast_a.consultant)
        assert consultant.post(f"/retours-360/invitations/{uuid.uuid4()}/decision/", {"decision": "approve"}).status_code == 404
        assert consultant.get(url).status_code == 405
        bad = consultant.post(url, {"decision": "peut-être"})
        assert bad.status_code == 400 and "Choisissez de valider ou de refuser" in bad.content.decode()
        assert consultant.post(url, {"decision": "reject", "reason": "x" * 501}, follow=True).status_code == 200
        assert client_for(cast_a.organisation).post(url, {"decision": "approve"}).status_code == 302  # to the login page
    _deliver(worker)
    assert _invitee_mail() == {}
    with in_schema(cast_a):
        assert set(FeedbackInvitation.objects.filter(campaign__bilan=bilan_a).values_list("status", flat=True)) == {"pending"}
        assert not AuditEvent.objects.filter(action__startswith="feedback360.invitation_").exists()


def test_a_pending_or_refused_invitation_has_no_working_link(cast_a, bilan_a):
    """Service level: no token is handed out before approval, and answers only come through
    approved links (the anonymity threshold is unchanged)."""
    from bilans.assessments import selectors, services
    from config.errors import Conflict, Forbidden

    competences = [{"code": 100, "label": "Coder"}]
    with in_schema(cast_a):
        campaign, sent = services.feedback_campaign_create(
            bilan=bilan_a, actor=cast_a.beneficiary_user, competences=competences, emails=INVITED[:3]
        )
        assert sent == []
        first, second, third = campaign.invitations.order_by("email")
        with pytest.raises(Forbidden):
            services.feedback_invitation_approve(invitation=first, actor=cast_a.beneficiary_user)
        links = [services.feedback_invitation_approve(invitation=i, actor=cast_a.consultant)[1] for i in (first, second)]
        services.feedback_invitation_reject(invitation=third, actor=cast_a.consultant)
        with pytest.raises(Conflict):
            services.feedback_invitation_approve(invitation=third, actor=cast_a.consultant)
        for token in links:
            services.feedback_response_submit(token=token, ratings={"100": 4})
        # two answers only (the third person was refused): nothing is published
        assert selectors.feedback_results(campaign)["published"] is False
