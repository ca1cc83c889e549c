"""Branded PDFs: French typography, page numbers, header and footer with the legal mentions
(CT-18, Qualiopi), tables, SVG charts, AI mention."""
from __future__ import annotations

import io

import pytest
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from bilans.documents import rendering
from bilans.documents.content import french_typography
from bilans.documents.models import Document
from bilans.documents.services import document_pdf, document_publish, document_settings_update, document_validate
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _brand(organisation):
    organisation.activity_declaration_number = "11755555575"
    organisation.activity_declaration_region = "Île-de-France"
    organisation.qualiopi_certificate_number = "QUALI-2026-0042"
    organisation.brand_colour = "#8a2be2"
    organisation.save()


def test_published_pdf_has_legal_footer_page_numbers_and_ai_mention(cast_a):
    """CT-18: the déclaration d'activité sentence is in the footer of every page."""
    _brand(cast_a.organisation)
    document = drafted(cast_a, bilan_for(cast_a), "convention")
    with tenant_context(cast_a.organisation):
        document = document_validate(actor=cast_a.consultant, document=document)
        document = document_publish(document_id=document.pk)
        assert document.status == Document.Status.PUBLISHED and document.pdf_pages >= 1
        pdf = document_pdf(document)
        assert bytes(document.pdf)[:1] in (b"E", b"P") and pdf[:5] == b"%PDF-"
        assert bytes(document.pdf) != pdf  # stored encrypted (or marked plain while crypto is absent)
    text = _text(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert f"Page 1 / {pages}" in text
    sentence = "Déclaration d'activité enregistrée sous le numéro 11755555575 auprès du préfet de région de Île-de-France"
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert sentence in " ".join(page.extract_text().split())
    assert "Certificat Qualiopi n° QUALI-2026-0042" in text
    assert "Modalités de règlement" in text  # CT-14 clause
    assert "validé par" in text and cast_a.consultant.get_full_name() in text
    assert "intelligence artificielle" in text


def test_french_typography():
    assert french_typography("<p>Prix : 10 € ; « oui » ! l'été ?</p>") == "<p>Prix\u00a0: 10 €\u00a0; «\u00a0oui\u00a0» ! l’été\u00a0?</p>".replace(" !", "\u00a0!")
    assert french_typography('<a href="http://x.fr/a?b=c">lien</a>') == '<a href="http://x.fr/a?b=c">lien</a>'


def test_long_synthesis_with_tables_and_charts(cast_a):
    document = drafted(cast_a, bilan_for(cast_a), "synthesis")
    charts = [{"title": "Intérêts professionnels", "labels": ["Réaliste", "Investigateur", "Social"], "values": [3, 7, 9], "max": 10}]
    with tenant_context(cast_a.organisation):
        Document.objects.filter(pk=document.pk).update(charts=charts)
        document = Document.objects.get(pk=document.pk)
        version = document.versions.get()
        version.content_html += "".join(f"<h2>Partie {i}</h2><p>{'Texte de la synthèse. ' * 60}</p>" for i in range(12))
        version.content_html += "<table><thead><tr><th>Compétence</th><th>Niveau</th></tr></thead><tbody>" + "".join(
            f"<tr><td>Compétence {i}</td><td>{i % 5}</td></tr>" for i in range(40)
        ) + "</tbody></table>"
        pdf, pages, elapsed = rendering.render_pdf(document, version)
    assert pages >= 5 and elapsed > 0
    text = _text(pdf)
    assert "Investigateur" in text and "Compétence 39" in text and f"Page {pages} / {pages}" in text


def test_logo_and_footer_text_from_settings(cast_a):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), (200, 30, 30)).save(buffer, format="PNG")
    with tenant_context(cast_a.organisation):
        document_settings_update(actor=cast_a.admin, allow_external_ai=True, footer_text="Siège : 1 place Bellecour, Lyon", logo=buffer.getvalue(), logo_content_type="image/png")
    document = drafted(cast_a, bilan_for(cast_a), "information")
    with tenant_context(cast_a.organisation):
        pdf, _, _ = rendering.render_pdf(document, document.versions.get())
    reader = PdfReader(io.BytesIO(pdf))
    assert "Siège" in _text(pdf)
    assert any("/XObject" in page["/Resources"] for page in reader.pages)


def test_preview_is_sandboxed_and_branded(cast_a):
    document = drafted(cast_a, bilan_for(cast_a), "information")
    response = cast_a.client(cast_a.consultant).get(f"/documents/{document.pk}/apercu/")
    assert response.status_code == 200 and "sandbox" in response["Content-Security-Policy"]
    assert "Brouillon rédigé avec l" in response.content.decode()


def test_publishing_the_synthesis_records_its_delivery_to_the_beneficiary(cast_a):
    """CT-06: the document de synthèse is delivered to the beneficiary when it is published."""
    from bilans.models import Bilan
    from organisations.models import Notification

    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "synthesis")
    with tenant_context(cast_a.organisation):
        assert Bilan.objects.get(pk=bilan.pk).synthesis_delivered_at is None
        document_publish(document_id=document_validate(actor=cast_a.consultant, document=document).pk)
        assert Bilan.objects.get(pk=bilan.pk).synthesis_delivered_at is not None
        assert Notification.objects.filter(recipient=cast_a.beneficiary_user, kind="document_published").exists()
    page = cast_a.client(cast_a.beneficiary_user).get("/mes-documents/").content.decode()
    assert "Document de synthèse" in page
