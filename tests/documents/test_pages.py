"""Every page of the documents feature renders for the roles that may see it."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.services import document_request, document_validate
from tests.documents.factories import bilan_for, drafted, published

pytestmark = pytest.mark.django_db


def test_pages_render_in_every_state(cast_a):
    bilan = bilan_for(cast_a)
    with tenant_context(cast_a.organisation):
        queued = document_request(actor=cast_a.consultant, bilan=bilan, doc_type="consent")
    review = drafted(cast_a, bilan, "synthesis")
    validated = drafted(cast_a, bilan, "information")
    with tenant_context(cast_a.organisation):
        validated = document_validate(actor=cast_a.consultant, document=validated)
    done = published(cast_a, bilan, "certificate")
    consultant = cast_a.client(cast_a.consultant)
    for document, expected in ((queued, "En file d"), (review, "Valider et publier le document"), (validated, "Préparation du PDF"), (done, "Télécharger le PDF")):
        page = consultant.get(f"/documents/{document.pk}/")
        assert page.status_code == 200 and expected in page.content.decode(), document.status
        assert page.content.decode().count("<h1") == 1
    assert 'hx-trigger="every 2s"' in consultant.get(f"/documents/{queued.pk}/").content.decode()
    for url in ("/documents/", f"/documents/bilan/{bilan.pk}/", "/documents/verifier/"):
        assert consultant.get(url).status_code == 200, url
    admin = cast_a.client(cast_a.admin)
    for url in ("/documents/", "/documents/modeles/", "/documents/modeles/convention/", "/documents/reglages/"):
        assert admin.get(url).status_code == 200, url
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    page = beneficiary.get(f"/documents/{done.pk}/").content.decode()
    assert "Recevoir mon code de signature" in page and "validé par" in page
    assert "Attestation de fin de bilan" in beneficiary.get("/mes-documents/").content.decode()
    assert cast_a.client().get("/documents/verifier/").status_code == 200
    assert cast_a.client().get("/documents/").status_code == 302  # login first
