"""Branded templates per organisation: editable HTML per type, safe variables, preview, defaults."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from ai.generation.doctypes import TYPES
from bilans.documents import rendering
from bilans.documents.models import DocumentTemplate
from bilans.documents.templating import default_template, render
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db


def test_every_type_has_a_default_template_with_the_content():
    for doc_type in TYPES:
        assert "{{ contenu }}" in default_template(doc_type) and "{{ mention_ia }}" in default_template(doc_type)


def test_variables_are_escaped_except_platform_html():
    html = render("<p>{{ beneficiaire.nom }}</p>{{ contenu }}", {"beneficiaire.nom": "<b>x</b>", "contenu": "<p>ok</p>"})
    assert html == "<p>&lt;b&gt;x&lt;/b&gt;</p><p>ok</p>"


def test_admin_edits_previews_and_resets_a_template(cast_a):
    client = cast_a.client(cast_a.admin)
    assert client.get("/documents/modeles/").status_code == 200
    page = client.get("/documents/modeles/synthesis/")
    assert page.status_code == 200 and "srcdoc" in page.content.decode() and "Camille Exemple" in page.content.decode()
    response = client.post("/documents/modeles/synthesis/", {"html": "<h1>{{ document.titre }}</h1>{{ inconnu.variable }}{{ contenu }}", "action": "save"})
    assert response.status_code == 400 and "inconnu.variable" in response.content.decode()
    response = client.post("/documents/modeles/synthesis/", {"html": "<h1>Titre</h1>", "action": "save"})
    assert response.status_code == 400 and "{{ contenu }}" in response.content.decode()
    html = '<h1 style="color: red; position: fixed">{{ document.titre }}</h1><script>alert(1)</script><p onclick="x()">Notre charte</p>{{ contenu }}'
    response = client.post("/documents/modeles/synthesis/", {"html": html, "action": "preview"})
    assert response.status_code == 200 and "Notre charte" in response.content.decode()
    assert client.post("/documents/modeles/synthesis/", {"html": html, "action": "save"}).status_code == 302
    with tenant_context(cast_a.organisation):
        saved = DocumentTemplate.objects.get(doc_type="synthesis").html
    assert "<script" not in saved and "onclick" not in saved and "position" not in saved and "color:red" in saved.replace(" ", "")
    document = drafted(cast_a, bilan_for(cast_a), "synthesis")
    with tenant_context(cast_a.organisation):
        body = rendering.body_html(document, document.versions.get())
    assert "Notre charte" in body and "intelligence artificielle" in body  # the AI mention is added even if the template omits it
    assert client.post("/documents/modeles/synthesis/", {"html": "x", "action": "reset"}).status_code == 302
    with tenant_context(cast_a.organisation):
        assert not DocumentTemplate.objects.filter(doc_type="synthesis").exists()


def test_only_administrators_change_templates_and_settings(cast_a):
    for user in (cast_a.consultant, cast_a.beneficiary_user):
        client = cast_a.client(user)
        assert client.get("/documents/modeles/").status_code == 403
        assert client.post("/documents/modeles/synthesis/", {"html": "{{ contenu }}", "action": "save"}).status_code == 403
        assert client.post("/documents/reglages/", {"allow_external_ai": "on"}).status_code == 403
    assert cast_a.client(cast_a.admin).get("/documents/modeles/inconnu/").status_code == 404


def test_settings_refuse_a_non_image_logo(cast_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = cast_a.client(cast_a.admin).post(
        "/documents/reglages/", {"allow_external_ai": "on", "logo": SimpleUploadedFile("logo.svg", b"<svg/>", content_type="image/svg+xml")}
    )
    assert response.status_code == 400 and "PNG ou JPEG" in response.content.decode()


def test_navigation_shows_documents_by_role(cast_a):
    assert 'href="/documents/"' in cast_a.client(cast_a.consultant).get("/").content.decode()
    assert 'href="/mes-documents/"' in cast_a.client(cast_a.beneficiary_user).get("/").content.decode()
    assert cast_a.client(cast_a.beneficiary_user).get("/mes-documents/").status_code == 200


def test_a_tripartite_convention_names_the_employer_and_has_three_signature_boxes(cast_a):
    """CT-14: the convention is between the organisation, the employee and the employer: the
    rendered document names the employer and has a signature box for each of the three."""
    bilan = bilan_for(cast_a)
    with tenant_context(cast_a.organisation):
        cast_a.beneficiary.employer_name = "Acme Industries"
        cast_a.beneficiary.save(update_fields=["employer_name"])
    document = drafted(cast_a, bilan, "convention")
    with tenant_context(cast_a.organisation):
        document.refresh_from_db()
        html = rendering.body_html(document, document.versions.order_by("-number").first())
        contract = drafted(cast_a, bilan, "contract")
        contract_html = rendering.body_html(contract, contract.versions.order_by("-number").first())
    assert "L'employeur : Acme Industries" in html
    assert html.count("signature électronique, voir la feuille de preuve") == 3
    assert "Pour l'employeur" in html and "Pour l'organisme" in html and "Le bénéficiaire" in html
    assert contract_html.count("signature électronique, voir la feuille de preuve") == 2 and "Pour l'employeur" not in contract_html
