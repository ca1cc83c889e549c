"""Credits of documents, through the ledger service of the plans app (the only writer).

Drafts are charged once per successful generation with the document type's tariff code; the
consultant's validation is charged by the measured change (``consultant_validation_unchanged``
0, ``consultant_minor_change`` 5, ``consultant_major_change`` 15 credits). A document type is
available only if the bilan's forfait includes its tariff code."""
from __future__ import annotations

VALIDATION_CODES = {
    "none": "consultant_validation_unchanged",
    "minor": "consultant_minor_change",
    "major": "consultant_major_change",
}
VALIDATION_CREDITS = {"none": 0, "minor": 5, "major": 15}


def ensure_feature(*, bilan, action_code: str) -> None:
    """403 ``feature_not_in_forfait`` when the bilan's forfait does not include the action."""
    from bilans.documents.selectors import current_organisation
    from plans.services import forfait_ensure_feature

    forfait_ensure_feature(organisation=current_organisation(), bilan_id=bilan.pk, feature=action_code)


def charge(*, bilan, action_code: str, actor, idempotency_key: str, reason: str = "", default: int = 0) -> int:
    """Charge the bilan's budget; returns the credits charged. Raises PaymentRequired
    (``insufficient_credits``) when the budget is short; the same key never charges twice."""
    from bilans.documents.selectors import current_organisation
    from plans.services import credits_charge

    entry = credits_charge(
        organisation=current_organisation(),
        bilan_id=bilan.pk,
        action_code=action_code,
        actor=actor,
        idempotency_key=idempotency_key,
        reason=reason[:500],
    )
    amount = getattr(entry, "amount", None)
    return int(amount) if amount is not None else default
