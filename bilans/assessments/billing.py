"""Calls to the plans ledger: forfait gating before an instrument is given, one credit charge
per result or complete analysis (idempotent on its id). The only module of this app that calls
``plans.services``."""
from __future__ import annotations

from django.db import connection

ACTION_COMPLETE_ANALYSIS = "assessment_complete_analysis"


def organisation_current():
    """The Organisation of the current schema (``connection.tenant`` is a FakeTenant inside
    ``schema_context``, e.g. in jobs and tests)."""
    from tenants.models import Organisation

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organisation):
        return tenant
    return Organisation.objects.filter(schema_name=connection.schema_name).first()


def forfait_ensure(*, bilan, action_code: str) -> None:
    """403 ``feature_not_in_forfait`` (with ``required_forfait``) when the bilan's forfait does
    not include ``action_code``; free instruments (no action code) pass."""
    if not action_code:
        return
    from plans.services import forfait_ensure_feature

    forfait_ensure_feature(organisation=organisation_current(), bilan_id=bilan.pk, feature=action_code)


def charge(*, bilan, action_code: str, actor, key_id) -> None:
    """Charge the credits of ``action_code`` once for the result or analysis ``key_id``
    (402 ``insufficient_credits`` when the bilan's budget cannot cover it)."""
    if not action_code:
        return
    from plans.services import credits_charge

    credits_charge(
        organisation=organisation_current(),
        bilan_id=bilan.pk,
        action_code=action_code,
        actor=actor,
        idempotency_key=f"assessment:{key_id}",
    )


def forfait_features(bilan) -> set[str]:
    from plans.services import forfait_for_bilan

    forfait = forfait_for_bilan(organisation=organisation_current(), bilan_id=bilan.pk)
    return set(getattr(forfait, "features", None) or ())
