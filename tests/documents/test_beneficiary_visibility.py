"""A beneficiary never sees a draft or an unvalidated version, on any route (HTML and API)."""
from __future__ import annotations

import json
import re

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.models import Document
from bilans.documents.services import document_publish, document_save_version, document_validate
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db

SECRET = "Paragraphe secret du brouillon"


# Routes a beneficiary may use whatever the state of a document: they show no draft (checked below).
OPEN_TO_BENEFICIARY = {
    ("documents:mine", "get"), ("documents:mine", "post"),  # their own published documents
    ("documents:verify", "get"), ("documents:verify", "post"),  # open to anyone holding a file
    ("api:document-verify", "get"), ("api:document-verify", "post"),
    ("api:documents", "get"),  # their own published documents (the draft must not be listed)
}
REFUSED = (403, 404, 405)


def _fill(route: str, *, document, bilan) -> list[str]:
    """Concrete paths of one route for this document: every version number, every sealed record."""
    values = {
        "pk": [str(document.pk)],
        "bilan_id": [str(bilan.pk)],
        "number": ["1", "2"],
        "doc_type": [document.doc_type],
        "slug": ["emargement", "consentement"],
        "token": ["jeton-inconnu"],
    }
    paths = [route]
    for name in re.findall(r"<(?:\w+:)?(\w+)>", route):
        assert name in values, f"route parameter {name!r} of {route!r} is not filled in by this test"
        paths = [re.sub(rf"<(?:\w+:)?{name}>", value, p, count=1) for p in paths for value in values[name]]
    return paths


def _routes(document, bilan) -> list[tuple[str, str, str]]:
    """(route name, method, path) for every route of the documents app, HTML and API, derived from
    the URL confs so that a new route cannot be forgotten; GET and POST on each."""
    from bilans.documents import api_urls, urls

    found = []
    for module, namespace, prefix in ((urls, "documents", "/"), (api_urls, "api", "/api/v1/")):
        for pattern in module.urlpatterns:
            for path in _fill(str(pattern.pattern), document=document, bilan=bilan):
                for method in ("get", "post"):
                    found.append((f"{namespace}:{pattern.name}", method, prefix + path))
    return found


def test_every_documents_route_is_enumerated(cast_a):
    bilan = bilan_for(cast_a)
    with tenant_context(cast_a.organisation):
        from bilans.documents.services import document_request

        document = document_request(actor=cast_a.consultant, bilan=bilan, doc_type="convention")
    names = {name for name, _, _ in _routes(document, bilan)}
    for expected in (
        "documents:regenerate", "documents:retain", "documents:my_retain", "documents:signature_start", "documents:signature_link_resend",
        "documents:sign_organisation", "documents:sealed_record_refresh", "documents:employer_sign",
        "api:document-regenerate", "api:document-diff", "api:document-pdf",
    ):
        assert expected in names
    from bilans.documents import api_urls, urls

    assert len(names) == len(urls.urlpatterns) + len(api_urls.urlpatterns) == 39  # every route, none skipped


def _state(cast, document):
    with tenant_context(cast.organisation):
        row = Document.objects.get(pk=document.pk)
        return row.status, row.versions.count(), row.signatures.count(), row.retained_until


def _check_nothing_leaks(cast, document, bilan):
    client = cast.client(cast.beneficiary_user)
    before = _state(cast, document)
    refused = 0
    for name, method, url in _routes(document, bilan):
        if method == "get":
            response = client.get(url)
        elif url.startswith("/api/"):
            body = {"content_html": "<p>x</p>", "bilan": str(bilan.pk), "doc_type": "consent"}
            response = client.post(url, json.dumps(body), content_type="application/json")
        else:
            response = client.post(url, {"content_html": "<p>x</p>", "doc_type": "consent", "action": "code", "code": "123456", "consent": "on"})
        if (name, method) not in OPEN_TO_BENEFICIARY:
            assert response.status_code in REFUSED, (method, url, response.status_code)
            refused += 1
        assert response.status_code < 500, (method, url, response.status_code)
        assert SECRET.encode() not in response.content, (method, url)
        if (name, method) in OPEN_TO_BENEFICIARY:  # these pages do not even mention the document
            assert str(document.pk).encode() not in response.content, (method, url)
    assert refused > 60
    assert _state(cast, document) == before  # no POST changed anything (regenerate, retain, sign…)
    listing = client.get("/api/v1/documents/").json()
    assert all(item["id"] != str(document.pk) for item in listing)
    assert SECRET not in client.get("/mes-documents/").content.decode()


def test_beneficiary_sees_neither_a_draft_nor_an_unpublished_validated_document(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "synthesis")
    with tenant_context(cast_a.organisation):
        html = document.versions.get().content_html + f"<p>{SECRET}</p>"
        document_save_version(actor=cast_a.consultant, document=document, content_html=html)
    _check_nothing_leaks(cast_a, document, bilan)  # draft under review
    with tenant_context(cast_a.organisation):
        document = document_validate(actor=cast_a.consultant, document=document)
    _check_nothing_leaks(cast_a, document, bilan)  # validated, PDF not yet published


def test_failed_and_queued_documents_are_invisible_too(cast_a):
    bilan = bilan_for(cast_a)
    from bilans.documents.services import document_request

    with tenant_context(cast_a.organisation):
        queued = document_request(actor=cast_a.consultant, bilan=bilan, doc_type="consent")
    _check_nothing_leaks(cast_a, queued, bilan)
    with tenant_context(cast_a.organisation):
        Document.objects.filter(pk=queued.pk).update(status="failed", failure_reason="x")
    _check_nothing_leaks(cast_a, queued, bilan)


def test_published_document_shows_only_the_validated_version(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "information")
    with tenant_context(cast_a.organisation):
        document = document_validate(actor=cast_a.consultant, document=document)
        document = document_publish(document_id=document.pk)
        assert document.status == Document.Status.PUBLISHED
    client = cast_a.client(cast_a.beneficiary_user)
    page = client.get(f"/documents/{document.pk}/")
    assert page.status_code == 200 and "Télécharger le PDF" in page.content.decode()
    assert "Enregistrer une nouvelle version" not in page.content.decode()
    detail = client.get(f"/api/v1/documents/{document.pk}/").json()
    assert set(detail) == {"id", "doc_type", "title", "published_at", "pdf_sha256", "content_html"}
    assert client.get(f"/api/v1/documents/{document.pk}/versions/").status_code == 403
    assert client.get(f"/documents/{document.pk}/versions/1/").status_code == 403
    # the other beneficiary of the organisation sees nothing
    other = cast_a.client(cast_a.other_consultant)
    assert other.get(f"/documents/{document.pk}/").status_code == 403
