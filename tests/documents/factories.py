"""Helpers to build bilans and documents through the real services."""
from __future__ import annotations

import time

from django_tenants.utils import tenant_context

from bilans.models import Bilan


def bilan_for(cast, *, status: str = "investigation", forfait: str | None = "premium") -> Bilan:
    with tenant_context(cast.organisation):
        bilan = Bilan.objects.create(beneficiary=cast.beneficiary, consultant=cast.consultant, status=status)
    if forfait:  # paid actions are charged to the bilan's budget (plans.services.credits_charge)
        from tests.plans.helpers import bilan_with_forfait

        bilan_with_forfait(cast.organisation, bilan.pk, forfait)
    return bilan


def drafted(cast, bilan, doc_type: str = "synthesis", actor=None):
    """Request a document and run the generation job's body (the actor is a thin wrapper).
    When a test runs the real worker, the worker may claim the job first: then wait for it."""
    from bilans.documents.models import Document
    from bilans.documents.services import document_generate, document_request

    actor = actor or cast.consultant
    with tenant_context(cast.organisation):
        document = document_request(actor=actor, bilan=bilan, doc_type=doc_type)
        generated = document_generate(document_id=document.pk, actor_id=actor.pk)
        if generated is not None:
            return generated
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            document = Document.objects.get(pk=document.pk)
            if not document.is_running:
                return document
            time.sleep(0.05)
        raise AssertionError(f"the worker did not finish drafting document {document.pk} within 60 s")


def published(cast, bilan, doc_type: str = "synthesis"):
    from bilans.documents.services import document_publish, document_validate

    document = drafted(cast, bilan, doc_type)
    with tenant_context(cast.organisation):
        document = document_validate(actor=cast.consultant, document=document)
        return document_publish(document_id=document.pk)


def ledger(cast, bilan, action_code: str | None = None):
    """Charges of the bilan in the plans ledger."""
    from plans.models import LedgerEntry

    entries = LedgerEntry.objects.filter(organisation=cast.organisation, bilan_id=bilan.pk, kind="charge")
    return entries.filter(action_code=action_code) if action_code else entries
