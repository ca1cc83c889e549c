"""The legal state machine of a bilan: every allowed and refused transition."""
import pytest
from django.core import mail

from bilans.models import Bilan, Session
from bilans.services import (
    TRANSITIONS,
    bilan_create,
    bilan_record_synthesis_delivery,
    bilan_transition,
    consent_record,
    information_document_deliver,
    objective_add,
    session_plan,
    session_record_attendance,
)
from config.errors import Conflict, Forbidden, InvalidInput, PaymentRequired
from tests.bilans.conftest import at, start_bilan

pytestmark = pytest.mark.django_db
S = Bilan.Status


def _force(bilan, status):
    Bilan.objects.filter(pk=bilan.pk).update(status=status, abandon_reason="motif" if status == S.ABANDONED else "")
    bilan.refresh_from_db()
    return bilan


def test_every_pair_outside_the_table_is_refused_with_a_french_message(bilan, in_a):
    for origin in S.values:
        for target in S.values:
            if target in TRANSITIONS[origin]:
                continue
            _force(bilan, origin)
            with pytest.raises(Conflict) as error:
                bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=target, reason="motif")
            assert error.value.code == "transition_not_allowed"
            assert "ne peut" in error.value.message


def test_consent_gate_before_preliminary_phase(bilan, in_a, clock):
    """CT-04: without the information document and the recorded consent the bilan cannot start."""
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.PRELIMINARY)
    assert error.value.code == "transition_blocked"
    assert "consentement" in error.value.message and "document d'information" in error.value.message
    with pytest.raises(Conflict):  # consent needs the information document first
        consent_record(actor=in_a.beneficiary_user, bilan=bilan, method="online")
    information_document_deliver(actor=in_a.consultant, bilan=bilan, now=clock.now)
    consent = consent_record(actor=in_a.beneficiary_user, bilan=bilan, method="signed_paper", now=clock.now)
    assert consent.method == "online" and consent.given_at == clock.now  # the beneficiary's own click
    bilan = bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.PRELIMINARY, now=clock.now)
    assert bilan.status == S.PRELIMINARY and bilan.started_at == clock.now


def test_consultant_records_consent_with_its_method(bilan, in_a):
    """CT-04: time and method of the consent."""
    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    with pytest.raises(InvalidInput):
        consent_record(actor=in_a.consultant, bilan=bilan, method="online")
    consent = consent_record(actor=in_a.consultant, bilan=bilan, method="signed_paper")
    assert consent.method == "signed_paper" and consent.recorded_by == in_a.consultant


def test_full_happy_path_then_follow_up_and_close(bilan, in_a, clock):
    start_bilan(in_a, bilan, now=clock.now)
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.INVESTIGATION)
    assert "objectif" in error.value.message
    objective_add(actor=in_a.consultant, bilan=bilan, text="Valider un projet de reconversion dans le paysage")
    bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.INVESTIGATION)
    bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.CONCLUSIONS)
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.FINISHED)
    assert "synthèse" in error.value.message
    bilan_record_synthesis_delivery(actor=in_a.consultant, bilan=bilan, now=clock.now)
    bilan = bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.FINISHED, now=at(2026, 12, 31, 10))
    assert bilan.follow_up_due_on.isoformat() == "2027-06-30"
    # follow-up needs an attended follow-up interview
    with pytest.raises(Conflict):
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.FOLLOW_UP_DONE)
    follow = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2027, 6, 30, 10), duration_minutes=60, interview_type="follow_up")
    session_record_attendance(actor=in_a.consultant, session=follow, attendance="attended")
    bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.FOLLOW_UP_DONE)
    bilan = bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.CLOSED)
    assert bilan.status == S.CLOSED
    with pytest.raises(Conflict) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.ABANDONED, reason="x")
    assert "ne peut plus" in error.value.message


def test_finished_to_closed_requires_a_reason(bilan, in_a):
    _force(bilan, S.FINISHED)
    with pytest.raises(InvalidInput):
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.CLOSED)
    assert bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.CLOSED, reason="Suivi refusé par le bénéficiaire").status == S.CLOSED


@pytest.mark.parametrize("origin", [S.PROSPECT, S.PRELIMINARY, S.INVESTIGATION, S.CONCLUSIONS])
def test_abandon_from_any_open_state_needs_a_reason(bilan, in_a, origin):
    _force(bilan, origin)
    with pytest.raises(InvalidInput) as error:
        bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.ABANDONED)
    assert error.value.code == "abandon_reason_required"
    bilan = bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.ABANDONED, reason="Déménagement")
    assert bilan.status == S.ABANDONED and bilan.abandon_reason == "Déménagement" and bilan.ended_at


def test_only_the_consultant_or_an_admin_moves_a_bilan(bilan, in_a):
    for outsider in (in_a.other_consultant, in_a.beneficiary_user):
        with pytest.raises(Forbidden):
            bilan_transition(actor=outsider, bilan=bilan, to_status=S.ABANDONED, reason="x")
    assert bilan_transition(actor=in_a.admin, bilan=bilan, to_status=S.ABANDONED, reason="x").status == S.ABANDONED


def test_one_open_bilan_per_beneficiary(bilan, in_a):
    with pytest.raises(Conflict) as error:
        bilan_create(actor=in_a.consultant, beneficiary=in_a.beneficiary)
    assert error.value.code == "bilan_already_open"


def test_opening_a_bilan_respects_the_plan_limit(in_a):
    from plans.models import Plan
    from tests.bilans.factories import BeneficiaryFactory

    organisation = in_a.organisation
    starter = Plan.objects.get(code="starter")
    previous = organisation.plan
    organisation.plan = starter  # the tenant object on the connection
    organisation.save(update_fields=["plan"])
    try:
        for _ in range(starter.max_active_bilans):
            b = BeneficiaryFactory()
            bilan_create(actor=in_a.admin, beneficiary=b, consultant=in_a.consultant)
        with pytest.raises(PaymentRequired) as error:
            bilan_create(actor=in_a.admin, beneficiary=BeneficiaryFactory(), consultant=in_a.consultant)
        assert error.value.code == "plan_limit_reached"
    finally:
        organisation.plan = previous
        organisation.save(update_fields=["plan"])


def test_finishing_schedules_follow_up_and_satisfaction(bilan, in_a, clock):
    """End: 6-month follow-up, immediate questionnaire sent, delayed one between 3 and 6 months."""
    from bilans.models import SatisfactionSurvey

    _force(bilan, S.CONCLUSIONS)
    bilan_record_synthesis_delivery(actor=in_a.consultant, bilan=bilan)
    mail.outbox.clear()
    bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.FINISHED, now=clock.now)
    immediate = SatisfactionSurvey.objects.get(bilan=bilan, kind="immediate")
    delayed = SatisfactionSurvey.objects.get(bilan=bilan, kind="delayed")
    assert immediate.sent_at == clock.now
    assert delayed.sent_at is None
    months = (delayed.scheduled_for - clock.now).days / 30.4
    assert 3 <= months < 6
    assert in_a.beneficiary_user.notifications.filter(kind="survey").exists()
    assert in_a.consultant.notifications.filter(kind="follow_up").exists()


def test_session_kinds_and_mandatory_interviews(bilan, in_a):
    s = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 10, 9), duration_minutes=90, interview_type="welcome")
    assert s.is_mandatory_interview
    other = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 12, 9), duration_minutes=60, interview_type="other")
    assert not other.is_mandatory_interview
    guided = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 13, 9), duration_minutes=60, kind="guided_work", interview_type="welcome", modality="autonomous")
    assert guided.interview_type == "" and not guided.is_mandatory_interview
    assert Session.objects.filter(bilan=bilan).count() == 3


def test_follow_up_reminder_three_weeks_before(bilan, in_a, clock):
    """The six-month follow-up is scheduled at the end and recalled before it is due."""
    from bilans.services import follow_ups_remind

    _force(bilan, S.CONCLUSIONS)
    bilan_record_synthesis_delivery(actor=in_a.consultant, bilan=bilan)
    bilan = bilan_transition(actor=in_a.consultant, bilan=bilan, to_status=S.FINISHED, now=clock.now)
    assert bilan.follow_up_due_on.isoformat() == "2027-05-02"
    assert follow_ups_remind(now=at(2027, 4, 10, 9)) == 0
    assert follow_ups_remind(now=at(2027, 4, 11, 9)) == 1
    assert follow_ups_remind(now=at(2027, 4, 12, 9)) == 0
    assert in_a.consultant.notifications.filter(title__startswith="Entretien de suivi à 6 mois à planifier").exists()
    assert in_a.beneficiary_user.notifications.filter(kind="follow_up").exists()
