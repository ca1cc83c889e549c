"""CT-09 / RG-02: documents produced for the bilan are destroyed at its end, except those the
beneficiary agreed in writing to keep (3 years at most) and the organisation's records."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.documents.models import Document
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for, published

pytestmark = pytest.mark.django_db


def test_end_of_bilan_destroys_working_documents_but_keeps_agreed_ones_and_records(cast_a):
    """CT-09: destruction at the end of the bilan through the bilans retention job."""
    from bilans.models import Bilan
    from bilans.services import retention_purge

    bilan = bilan_for(cast_a)
    synthesis = published(cast_a, bilan, "synthesis")
    action_plan = published(cast_a, bilan, "action_plan")
    convention = published(cast_a, bilan, "convention")
    client = cast_a.client(cast_a.consultant)
    agreement = {"method": "signed_paper", "agreement_reference": "Courrier signé remis en entretien", "agreement_date": timezone.localdate().isoformat(),
                 "follow_up_need": "Entretien de suivi à six mois"}
    too_far = (timezone.localdate() + timedelta(days=4 * 365)).isoformat()
    client.post(f"/documents/{action_plan.pk}/conserver/", {"keep_until": too_far, **agreement})
    with tenant_context(cast_a.organisation):
        assert Document.objects.get(pk=action_plan.pk).retained_until is None
    keep = (timezone.localdate() + timedelta(days=365)).isoformat()
    assert client.post(f"/documents/{action_plan.pk}/conserver/", {"keep_until": keep, **agreement}).status_code == 302
    with tenant_context(cast_a.organisation):
        Bilan.objects.filter(pk=bilan.pk).update(status="finished", ended_at=timezone.now() - timedelta(days=1))
        retention_purge()
        retention_purge()  # idempotent
        synthesis, action_plan, convention = (Document.objects.get(pk=d.pk) for d in (synthesis, action_plan, convention))
        assert synthesis.destroyed_at and bytes(synthesis.pdf) == b"" and not synthesis.versions.exclude(content_html="").exists()
        assert action_plan.destroyed_at is None and action_plan.versions.exclude(content_html="").exists()
        assert convention.destroyed_at is None and bytes(convention.pdf)
        event = AuditEvent.objects.get(action="document.destroyed", object_id=str(synthesis.pk))
        assert event.details["reason"] == "fin du bilan (R6313-7)"
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    assert beneficiary.get(f"/documents/{synthesis.pk}/document.pdf").status_code == 404
    assert "détruit" in beneficiary.get(f"/documents/{synthesis.pk}/").content.decode()
    assert beneficiary.get(f"/documents/{convention.pk}/document.pdf").status_code == 200
    # once the agreed date has passed, the kept document goes too
    with tenant_context(cast_a.organisation):
        retention_purge(now=timezone.now() + timedelta(days=366))
        assert Document.objects.get(pk=action_plan.pk).destroyed_at is not None
