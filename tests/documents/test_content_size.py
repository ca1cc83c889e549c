"""A document's body is capped before sanitising (nh3 takes seconds on a huge nested input):
a clear French refusal (document_too_long) on the page and the API, the previous version kept."""
from __future__ import annotations

import time

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.content import CONTENT_HTML_MAX_CHARS
from bilans.documents.models import DocumentVersion
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db

HUGE_NESTED = "<div><b>" * 125_000 + "texte"  # ~1 MB, deeply nested


def _versions(cast, document):
    with tenant_context(cast.organisation):
        return list(DocumentVersion.objects.filter(document_id=document.pk).order_by("number").values_list("number", "content_html"))


def test_page_refuses_an_oversized_body_with_a_form_error_and_keeps_the_versions(cast_a):
    document = drafted(cast_a, bilan_for(cast_a))
    before = _versions(cast_a, document)
    client = cast_a.client(cast_a.consultant)
    started = time.monotonic()
    response = client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": HUGE_NESTED})
    assert time.monotonic() - started < 10
    body = response.content.decode()
    assert response.status_code == 400
    assert "Le document est trop long" in body and 'role="alert"' in body
    assert _versions(cast_a, document) == before
    # at the bound it is accepted
    at_bound = "<p>" + "a" * (CONTENT_HTML_MAX_CHARS - 7) + "</p>"
    assert len(at_bound) == CONTENT_HTML_MAX_CHARS
    assert client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": at_bound}).status_code == 302
    assert len(_versions(cast_a, document)) == len(before) + 1


def test_api_answers_400_document_too_long(cast_a):
    document = drafted(cast_a, bilan_for(cast_a))
    before = _versions(cast_a, document)
    client = cast_a.client(cast_a.consultant)
    started = time.monotonic()
    response = client.post(f"/api/v1/documents/{document.pk}/versions/", {"content_html": HUGE_NESTED}, content_type="application/json")
    assert time.monotonic() - started < 10
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "document_too_long" and "trop long" in payload["detail"]
    assert _versions(cast_a, document) == before


def test_service_refuses_before_sanitising(cast_a):
    from bilans.documents.services import document_save_version
    from config.errors import InvalidInput

    document = drafted(cast_a, bilan_for(cast_a))
    with tenant_context(cast_a.organisation):
        started = time.monotonic()
        with pytest.raises(InvalidInput) as caught:
            document_save_version(actor=cast_a.consultant, document=document, content_html="<ul><li>" * 40_000)
        assert caught.value.code == "document_too_long" and time.monotonic() - started < 2
