"""Fixtures of the credits tests: a funded organisation wallet and bilan budgets. Bilans are
identified by UUID only (the ledger lives in the public schema and never reads a bilan)."""
from __future__ import annotations

import uuid

import pytest


def fund(organisation, credits: int, *, key: str | None = None, expires_at=None):
    from plans.models import CreditLot
    from plans.services import credits_grant

    return credits_grant(
        organisation=organisation,
        amount=credits,
        source=CreditLot.Source.PURCHASE,
        idempotency_key=key or f"test-fund:{uuid.uuid4()}",
        expires_at=expires_at,
        reason="Test",
    )


def new_budget(organisation, forfait_code: str = "essentiel", *, fund_first: bool = True) -> uuid.UUID:
    from plans.models import ForfaitType
    from plans.services import forfait_allocate

    bilan_id = uuid.uuid4()
    if fund_first:
        fund(organisation, ForfaitType.objects.get(code=forfait_code).credits)
    forfait_allocate(
        organisation=organisation, bilan_id=bilan_id, forfait_code=forfait_code, actor=None, idempotency_key=f"alloc:{bilan_id}"
    )
    return bilan_id


@pytest.fixture
def org(db, org_a):
    from plans.migrations._seed import seed_plans

    seed_plans()
    return org_a


@pytest.fixture
def wallet(org):
    from plans.models import CreditAccount
    from plans.services import account_get

    return account_get(org, CreditAccount.Kind.WALLET)


WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe(settings):
    from tests.plans.fake_stripe import FakeStripe

    server = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_local"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


@pytest.fixture
def bilans_a(cast_a):
    """Two real bilans in alpha's schema: one for the consultant's beneficiary, one for the
    other consultant's (tests only; the plans app itself never reads bilans)."""
    from django_tenants.utils import schema_context

    from bilans.models import Bilan

    with schema_context(cast_a.organisation.schema_name):
        mine = Bilan.objects.create(beneficiary=cast_a.beneficiary, consultant=cast_a.consultant)
        other = Bilan.objects.create(beneficiary=cast_a.other_beneficiary, consultant=cast_a.other_consultant)
    return mine, other
