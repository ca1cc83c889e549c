"""CT-19 (L6323-17, D6323-4): a CPF-funded bilan during working time needs the employee's request
of absence at least 60 days before the start (120 days for a bilan of 6 months or more) and the
employer's agreement; the employer answers within 30 calendar days and silence is acceptance.
Through HTTP; dates are relative to ``timezone.localdate()`` (or a fixed ``now=``)."""
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import Bilan, FundingSource
from organisations.accounts.models import AuditEvent
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


def _ready_cpf_bilan(cast, *, planned_months: int | None = None):
    """A prospect bilan ready for the preliminary phase (information, consent), funded by the CPF."""
    from bilans.services import bilan_create, bilan_set_plan, consent_record, funding_set, information_document_deliver

    with tenant_context(cast.organisation):
        bilan = bilan_create(actor=cast.consultant, beneficiary=cast.beneficiary)
        information_document_deliver(actor=cast.consultant, bilan=bilan)
        consent_record(actor=cast.beneficiary_user, bilan=bilan, method="online")
        funding_set(actor=cast.consultant, bilan=bilan, kind="cpf", amount_cents=150_000)
        if planned_months:
            start = timezone.localdate()
            bilan_set_plan(
                actor=cast.consultant, bilan=bilan, planned_start=start, planned_end=start + timedelta(days=31 * planned_months),
                accompaniment_minutes=18 * 60, guided_work_minutes=6 * 60,
            )
    return bilan


def _days_ago(days: int):
    return timezone.localdate() - timedelta(days=days)


def _fr(day) -> str:
    return day.strftime("%d/%m/%Y")


def _working_time(client, bilan, *, requested=None, answer="pending", answered=None, during=True):
    data = {"employer_answer": answer}
    if during:
        data["during_working_time"] = "on"
    if requested:
        data["absence_requested_on"] = requested.isoformat()
    if answered:
        data["employer_answered_on"] = answered.isoformat()
    return client.post(f"/bilans/{bilan.pk}/financement/temps-de-travail/", data)


def _start(client, bilan):
    response = client.post(f"/bilans/{bilan.pk}/etape/", {"to_status": "preliminary"}, follow=True)
    return unescape(response.content.decode())


def _status(cast, bilan) -> str:
    with tenant_context(cast.organisation):
        return Bilan.objects.get(pk=bilan.pk).status


def _cpf_row(cast, bilan) -> FundingSource:
    with tenant_context(cast.organisation):
        return FundingSource.objects.get(bilan=bilan, kind="cpf")


def test_request_70_days_ago_and_employer_accepted_allows_the_start(cast_a):
    """CT-19: request of absence 70 days ago, employer accepted 10 days later → the bilan starts;
    the change is audited."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    requested = _days_ago(70)
    assert _working_time(consultant, bilan, requested=requested, answer="accepted", answered=requested + timedelta(days=10)).status_code == 302
    row = _cpf_row(cast_a, bilan)
    assert row.during_working_time and row.absence_requested_on == requested and row.employer_answer == "accepted"
    with tenant_context(cast_a.organisation):
        assert AuditEvent.objects.filter(action="bilan.cpf_working_time_set", details__bilan_id=str(bilan.pk), details__employer_answer="accepted").exists()
    html = unescape(consultant.get(f"/bilans/{bilan.pk}/").content.decode())
    assert f"Accord de l'employeur le {_fr(requested + timedelta(days=10))}" in html
    _start(consultant, bilan)
    assert _status(cast_a, bilan) == "preliminary"


def test_request_20_days_ago_blocks_with_the_date_from_which_it_is_possible(cast_a):
    """CT-19: request 20 days ago (even accepted) → starting is refused, the message gives the date
    from which the bilan may start (request + 60 days)."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    requested = _days_ago(20)
    assert _working_time(consultant, bilan, requested=requested, answer="accepted", answered=requested + timedelta(days=2)).status_code == 302
    html = _start(consultant, bilan)
    assert f"Le bilan peut commencer à partir du {_fr(requested + timedelta(days=60))}" in html
    assert _status(cast_a, bilan) == "prospect"


def test_bilan_of_six_months_or_more_needs_120_days(cast_a):
    """CT-19: a bilan planned over 7 months needs the request 120 days before: 70 days is not enough."""
    bilan = _ready_cpf_bilan(cast_a, planned_months=7)
    consultant = cast_a.client(cast_a.consultant)
    requested = _days_ago(70)
    _working_time(consultant, bilan, requested=requested, answer="accepted", answered=requested + timedelta(days=5))
    html = _start(consultant, bilan)
    assert f"Le bilan peut commencer à partir du {_fr(requested + timedelta(days=120))}" in html and "au moins 120 jours" in html
    assert _status(cast_a, bilan) == "prospect"


def test_no_answer_after_30_days_is_tacit_acceptance(cast_a):
    """CT-19: request 65 days ago, no answer (the 30-day answer delay ended 35 days ago) → the page
    shows "Accord tacite de l'employeur le JJ/MM/AAAA" and the bilan starts."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    requested = _days_ago(65)
    assert _working_time(consultant, bilan, requested=requested).status_code == 302
    html = unescape(consultant.get(f"/bilans/{bilan.pk}/").content.decode())
    assert f"Accord tacite de l'employeur le {_fr(requested + timedelta(days=30))}" in html
    _start(consultant, bilan)
    assert _status(cast_a, bilan) == "preliminary"


def test_pending_answer_within_30_days_is_not_yet_an_acceptance(cast_a):
    """CT-19 (service, fixed clock): request on 1 October, no answer: on 20 October the bilan is
    blocked (tacit acceptance on 31/10 and start from 30/11); on 30 November it starts."""
    from bilans.services import bilan_transition_blockers, funding_cpf_working_time_set

    bilan = _ready_cpf_bilan(cast_a)
    with tenant_context(cast_a.organisation):
        funding_cpf_working_time_set(
            actor=cast_a.consultant, bilan=bilan, during_working_time=True, absence_requested_on=at(2026, 10, 1).date(), now=at(2026, 10, 2, 9)
        )
        blockers = " ".join(bilan_transition_blockers(bilan, "preliminary", today=at(2026, 10, 20).date()))
        assert "son accord est acquis le 31/10/2026" in blockers and "à partir du 30/11/2026" in blockers
        assert bilan_transition_blockers(bilan, "preliminary", today=at(2026, 11, 30).date()) == []
        from bilans.services import bilan_transition

        bilan_transition(actor=cast_a.consultant, bilan=bilan, to_status="preliminary", now=at(2026, 11, 30, 10))
        assert Bilan.objects.get(pk=bilan.pk).status == "preliminary"


def test_refusal_blocks_and_the_bilan_can_still_happen_outside_working_time(cast_a):
    """CT-19: the employer refused → starting is refused with a French message saying the bilan can
    take place outside working time; once the flag is unset, the bilan starts."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    requested = _days_ago(90)
    _working_time(consultant, bilan, requested=requested, answer="refused", answered=requested + timedelta(days=12))
    html = _start(consultant, bilan)
    assert f"L'employeur a refusé l'absence le {_fr(requested + timedelta(days=12))}" in html
    assert "en dehors du temps de travail" in html
    assert _status(cast_a, bilan) == "prospect"
    assert _working_time(consultant, bilan, during=False).status_code == 302
    row = _cpf_row(cast_a, bilan)
    assert not row.during_working_time and row.absence_requested_on is None and row.employer_answer == "pending"
    _start(consultant, bilan)
    assert _status(cast_a, bilan) == "preliminary"


def test_outside_working_time_no_rule(cast_a):
    """CT-19: a CPF bilan outside working time starts without any request of absence."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    html = unescape(consultant.get(f"/bilans/{bilan.pk}/").content.decode())
    assert "aucune autorisation de l'employeur n'est requise" in html
    _start(consultant, bilan)
    assert _status(cast_a, bilan) == "preliminary"


def test_working_time_without_request_date_blocks(cast_a):
    """CT-19: during working time but no request date recorded → starting is refused."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    assert _working_time(consultant, bilan).status_code == 302
    assert "enregistrez la date de la demande d'autorisation d'absence" in _start(consultant, bilan)
    assert _status(cast_a, bilan) == "prospect"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"requested": 5}, "La date de la demande d'absence ne peut pas être dans le futur."),
        ({"requested": -30, "answer": "accepted", "answered": -40}, "La réponse de l'employeur ne peut pas être antérieure à la demande d'absence."),
        ({"requested": -30, "answer": "accepted", "answered": 3}, "La date de la réponse de l'employeur ne peut pas être dans le futur."),
        ({"requested": -30, "answer": "refused"}, "Indiquez la date de la réponse de l'employeur."),
        ({"answer": "maybe"}, "Réponse de l'employeur"),
    ],
)
def test_bad_dates_answer_a_french_400_and_save_nothing(cast_a, kwargs, message):
    """CT-19: a future request date, an answer before the request (or in the future, or without a
    date) → a French 400 page; nothing is saved and nothing is audited."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    today = timezone.localdate()
    requested = today + timedelta(days=kwargs["requested"]) if "requested" in kwargs else None
    answered = today + timedelta(days=kwargs["answered"]) if "answered" in kwargs else None
    response = _working_time(consultant, bilan, requested=requested, answer=kwargs.get("answer", "pending"), answered=answered)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    row = _cpf_row(cast_a, bilan)
    assert not row.during_working_time and row.absence_requested_on is None and row.employer_answered_on is None
    with tenant_context(cast_a.organisation):
        assert not AuditEvent.objects.filter(action="bilan.cpf_working_time_set").exists()


def test_not_cpf_funded_is_refused(cast_a):
    """CT-19: the working-time data belong to the CPF funding: without it the form is refused."""
    from bilans.services import bilan_create

    with tenant_context(cast_a.organisation):
        bilan = bilan_create(actor=cast_a.consultant, beneficiary=cast_a.beneficiary)
    response = _working_time(cast_a.client(cast_a.consultant), bilan, requested=_days_ago(70))
    assert response.status_code == 409
    assert "pas financé par le CPF" in unescape(response.content.decode())


def test_database_refuses_an_answer_before_the_request(cast_a):
    """CT-19: the invariant is also a database constraint."""
    from django.db import IntegrityError, transaction

    bilan = _ready_cpf_bilan(cast_a)
    with tenant_context(cast_a.organisation):
        with pytest.raises(IntegrityError), transaction.atomic():
            FundingSource.objects.filter(bilan=bilan, kind="cpf").update(
                during_working_time=True, absence_requested_on=_days_ago(10), employer_answer="accepted", employer_answered_on=_days_ago(20)
            )


def test_a_refusal_after_the_30_days_comes_too_late(cast_a):
    """CT-19 (D6323-4): without an answer within 30 calendar days the employer's agreement is
    acquired; a refusal sent afterwards does not take it back."""
    bilan = _ready_cpf_bilan(cast_a)
    consultant = cast_a.client(cast_a.consultant)
    requested = _days_ago(90)
    _working_time(consultant, bilan, requested=requested, answer="refused", answered=requested + timedelta(days=31))
    page = unescape(consultant.get(f"/bilans/{bilan.pk}/").content.decode())
    assert f"Accord tacite de l'employeur le {_fr(requested + timedelta(days=30))}" in page and "arrivé trop tard" in page
    _start(consultant, bilan)
    assert _status(cast_a, bilan) == "preliminary"
