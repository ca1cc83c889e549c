"""Forfait allocation and interview charges through the plans ledger."""
import pytest

from bilans.models import Bilan, Session
from bilans.services import bilan_assign_forfait, session_plan, session_record_attendance
from config.errors import Conflict, InvalidInput, PaymentRequired
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


def _fund(organisation, credits):
    import uuid

    from plans.migrations._seed import seed_plans
    from plans.models import CreditLot
    from plans.services import credits_grant

    seed_plans()
    credits_grant(organisation=organisation, amount=credits, source=CreditLot.Source.PURCHASE, idempotency_key=f"test:{uuid.uuid4()}", expires_at=None)


def _budget(organisation, bilan):
    from plans.models import CreditAccount

    return CreditAccount.objects.get(organisation=organisation, kind="budget", bilan_id=bilan.pk).balance


def test_assigning_a_forfait_allocates_its_credits_once(in_a, bilan):
    _fund(in_a.organisation, 600)
    bilan = bilan_assign_forfait(bilan=bilan, forfait_code="premium", actor=in_a.consultant)
    assert Bilan.objects.get(pk=bilan.pk).forfait_code == "premium"
    assert _budget(in_a.organisation, bilan) == 500
    bilan_assign_forfait(bilan=bilan, forfait_code="premium", actor=in_a.consultant)  # idempotent
    assert _budget(in_a.organisation, bilan) == 500
    with pytest.raises(Conflict):
        bilan_assign_forfait(bilan=bilan, forfait_code="standard", actor=in_a.consultant)
    with pytest.raises(InvalidInput):
        bilan_assign_forfait(bilan=bilan, forfait_code="", actor=in_a.consultant)


def test_forfait_needs_credits_in_the_wallet(in_a, bilan):
    from plans.models import CreditAccount

    wallet = CreditAccount.objects.filter(organisation=in_a.organisation, kind="wallet").first()
    balance = wallet.balance if wallet else 0
    assert balance < 1000  # the trial grant of a new organisation is smaller than the Entreprise forfait
    with pytest.raises(PaymentRequired) as error:
        bilan_assign_forfait(bilan=bilan, forfait_code="entreprise", actor=in_a.consultant)
    assert error.value.code == "insufficient_credits"
    assert Bilan.objects.get(pk=bilan.pk).forfait_code == ""


def test_attended_interviews_are_charged_per_started_hour_once(in_a, bilan):
    _fund(in_a.organisation, 100)
    bilan_assign_forfait(bilan=bilan, forfait_code="essentiel", actor=in_a.consultant)
    video = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 12, 1, 9), duration_minutes=90, modality="video")
    session_record_attendance(actor=in_a.consultant, session=video, attendance="attended")
    assert _budget(in_a.organisation, bilan) == 100 - 2 * 30
    session_record_attendance(actor=in_a.consultant, session=video, attendance="attended")  # once
    assert _budget(in_a.organisation, bilan) == 40
    phone = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 12, 2, 9), duration_minutes=60, modality="phone")
    session_record_attendance(actor=in_a.consultant, session=phone, attendance="attended")  # not in the tariff
    assert _budget(in_a.organisation, bilan) == 40
    # short of credits: the attendance (a legal record) is kept, the consultant is told
    big = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 12, 3, 9), duration_minutes=120, modality="in_person")
    session_record_attendance(actor=in_a.consultant, session=big, attendance="attended")
    big.refresh_from_db()
    assert big.attendance == "attended" and not big.credits_charged
    assert in_a.consultant.notifications.filter(kind="credits").exists()
    assert _budget(in_a.organisation, bilan) == 40


def test_bilan_without_forfait_is_not_charged(in_a, bilan):
    s = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 12, 1, 9), duration_minutes=60, modality="video")
    session_record_attendance(actor=in_a.consultant, session=s, attendance="attended")
    assert Session.objects.get(pk=s.pk).credits_charged is False


def test_forfait_form_on_the_bilan_page(in_a, bilan):
    from django_tenants.utils import tenant_context

    _fund(in_a.organisation, 300)
    client = in_a.client(in_a.consultant)
    assert "Attribuer le forfait" in client.get(f"/bilans/{bilan.pk}/").content.decode()
    client.post(f"/bilans/{bilan.pk}/forfait/", {"forfait_code": "standard"})
    with tenant_context(in_a.organisation):
        assert Bilan.objects.get(pk=bilan.pk).forfait_code == "standard"
    too_much = client.post(f"/bilans/{bilan.pk}/forfait/", {"forfait_code": "inconnu"}, follow=True).content.decode()
    assert "Un forfait est déjà attribué" in too_much
