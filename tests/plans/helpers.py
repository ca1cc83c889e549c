"""Helpers for other apps' tests: give a bilan a funded forfait so that its paid actions can be
charged (``plans.services.credits_charge`` refuses a bilan without credits, as in production)."""
from __future__ import annotations

import uuid


def bilan_with_forfait(organisation, bilan_id, forfait_code: str = "premium", *, extra_credits: int = 0):
    """Grant the forfait's credits (+ ``extra_credits``) to the organisation's wallet, then
    allocate the forfait to the bilan. Returns the allocation entry."""
    from plans.migrations._seed import seed_plans
    from plans.models import CreditLot, ForfaitType
    from plans.services import credits_grant, forfait_allocate

    forfait = ForfaitType.objects.filter(code=forfait_code).first()
    if forfait is None:  # tables emptied by a transactional test
        seed_plans()
        forfait = ForfaitType.objects.get(code=forfait_code)
    credits_grant(
        organisation=organisation,
        amount=forfait.credits + extra_credits,
        source=CreditLot.Source.PURCHASE,
        idempotency_key=f"test-fund:{uuid.uuid4()}",
        expires_at=None,
        reason="Crédits de test",
    )
    return forfait_allocate(
        organisation=organisation, bilan_id=bilan_id, forfait_code=forfait_code, actor=None, idempotency_key=f"test-forfait:{bilan_id}"
    )
