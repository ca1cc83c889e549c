"""A credit transfer only moves credits between bilans the caller may use: the rule sits in
``plans.services.credits_transfer`` (the caller passes the allowed bilan ids or a predicate), so
no route can forget it. Another organisation's bilan is refused (404
``transfer_bilan_not_allowed``) and nothing moves."""
from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from config.errors import NotFound
from plans.models import CreditAccount, LedgerEntry, Plan
from plans.services import credits_transfer
from tests.plans.helpers import bilan_with_forfait
from tenants.models import Organisation


def _enterprise(organisation) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(plan=Plan.objects.get(code="enterprise"))


@pytest.fixture
def two_organisations(cast_a, cast_b, bilans_a):
    from bilans.models import Bilan

    mine, other = bilans_a
    with schema_context(cast_b.organisation.schema_name):
        foreign = Bilan.objects.create(beneficiary=cast_b.beneficiary, consultant=cast_b.consultant)
    bilan_with_forfait(cast_a.organisation, mine.pk, "essentiel")
    bilan_with_forfait(cast_a.organisation, other.pk, "essentiel")
    bilan_with_forfait(cast_b.organisation, foreign.pk, "essentiel")
    _enterprise(cast_a.organisation)
    return mine, other, foreign


def _balances(*bilan_ids) -> list[int | None]:
    accounts = dict(CreditAccount.objects.filter(kind="budget", bilan_id__in=bilan_ids).values_list("bilan_id", "balance"))
    return [accounts.get(bilan_id) for bilan_id in bilan_ids]


def test_another_organisations_bilan_is_refused_over_http_and_nothing_moves(cast_a, cast_b, two_organisations):
    mine, other, foreign = two_organisations
    client = cast_a.client(cast_a.admin)
    before = _balances(mine.pk, other.pk, foreign.pk)
    transfers = LedgerEntry.objects.filter(kind="transfer").count()
    for source, target in ((mine, foreign), (foreign, mine)):
        response = client.post("/credits/transfert/", {"source": str(source.pk), "target": str(target.pk), "credits": "10"}, follow=True)
        assert response.status_code == 200
        assert "Choisissez deux bilans de votre organisme." in response.content.decode()
    assert _balances(mine.pk, other.pk, foreign.pk) == before
    assert LedgerEntry.objects.filter(kind="transfer").count() == transfers
    assert not CreditAccount.objects.filter(organisation=cast_a.organisation, bilan_id=foreign.pk).exists()  # no budget created for it
    # between two of its own bilans the transfer goes through
    response = client.post("/credits/transfert/", {"source": str(mine.pk), "target": str(other.pk), "credits": "10"}, follow=True)
    assert "10 crédits transférés." in response.content.decode()
    assert _balances(mine.pk, other.pk) == [before[0] - 10, before[1] + 10]


def test_the_service_refuses_bilans_outside_the_allowed_ones(cast_a, two_organisations):
    mine, other, foreign = two_organisations
    with schema_context(cast_a.organisation.schema_name):  # the audit events go to the organisation's journal
        _service_checks(cast_a, mine, other, foreign)


def _service_checks(cast_a, mine, other, foreign):
    org = cast_a.organisation
    common = {"organisation": org, "amount": 5, "actor": cast_a.admin}
    with pytest.raises(NotFound) as error:
        credits_transfer(**common, from_bilan_id=mine.pk, to_bilan_id=foreign.pk, idempotency_key="t1", allowed_bilan_ids={mine.pk, other.pk})
    assert error.value.code == "transfer_bilan_not_allowed"
    with pytest.raises(NotFound):
        credits_transfer(
            **common, from_bilan_id=mine.pk, to_bilan_id=other.pk, idempotency_key="t2", allowed_bilan_ids=lambda bilan_id: bilan_id == mine.pk
        )
    with pytest.raises(NotFound):  # an empty scope allows nothing
        credits_transfer(**common, from_bilan_id=mine.pk, to_bilan_id=other.pk, idempotency_key="t3", allowed_bilan_ids=[])
    with pytest.raises(TypeError):  # a caller cannot forget the scope
        credits_transfer(**common, from_bilan_id=mine.pk, to_bilan_id=other.pk, idempotency_key="t4")
    assert not LedgerEntry.objects.filter(organisation=org, kind="transfer").exists()
    # ids as text, or a predicate, are accepted
    credits_transfer(**common, from_bilan_id=str(mine.pk), to_bilan_id=str(other.pk), idempotency_key="t5", allowed_bilan_ids=[str(mine.pk), str(other.pk), "not-a-uuid"])
    credits_transfer(**common, from_bilan_id=other.pk, to_bilan_id=mine.pk, idempotency_key="t6", allowed_bilan_ids={mine.pk, other.pk}.__contains__)
    assert LedgerEntry.objects.filter(organisation=org, kind="transfer").count() == 2
    assert uuid.UUID(str(mine.pk)) in {e.bilan_id for e in LedgerEntry.objects.filter(organisation=org, kind="transfer")}
