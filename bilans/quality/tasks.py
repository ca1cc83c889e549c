from __future__ import annotations

from datetime import timedelta

import dramatiq

from config.scheduler import periodic


@periodic(every=timedelta(hours=24), legal_duty=True)
@dramatiq.actor(max_retries=0)
def encrypt_legacy_evidence() -> None:
    """Evidence files attached before encryption at rest existed get encrypted."""
    from bilans.quality.services import evidence_encrypt_legacy

    evidence_encrypt_legacy()
