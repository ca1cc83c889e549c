"""Review: versions with author and time, sanitised rich text, diff, validation measured and
charged none/minor/major, permissions."""
from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.content import measure_change
from bilans.documents.models import Document
from bilans.documents.services import document_save_version, document_validate
from config.errors import Conflict, Forbidden
from tests.documents.factories import bilan_for, drafted, ledger

pytestmark = pytest.mark.django_db


def _latest_html(cast, document) -> str:
    with tenant_context(cast.organisation):
        return document.versions.order_by("-number").first().content_html


def test_every_save_is_a_new_sanitised_version_with_author(cast_a):
    document = drafted(cast_a, bilan_for(cast_a), "information")
    client = cast_a.client(cast_a.consultant)
    html = _latest_html(cast_a, document) + '<p>Ajout du consultant<script>alert(1)</script><img src="x" onerror="alert(2)"></p>'
    response = client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": html})
    assert response.status_code == 302
    with tenant_context(cast_a.organisation):
        versions = list(document.versions.order_by("number"))
        assert [v.number for v in versions] == [1, 2]
        assert versions[1].author == cast_a.consultant and versions[1].source == "consultant" and versions[1].created_at
        assert "Ajout du consultant" in versions[1].content_html
        assert "<script" not in versions[1].content_html and "onerror" not in versions[1].content_html and "<img" not in versions[1].content_html
    # saving the same content again does not create a version
    client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": html})
    with tenant_context(cast_a.organisation):
        assert document.versions.count() == 2
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Version 2" in page and cast_a.consultant.get_full_name() in page


def test_empty_document_is_refused(cast_a):
    document = drafted(cast_a, bilan_for(cast_a), "information")
    response = cast_a.client(cast_a.consultant).post(f"/documents/{document.pk}/enregistrer/", {"content_html": "<p> </p><script>x</script>"})
    assert response.status_code == 400 and "ne peut pas être vide" in response.content.decode()


def test_diff_between_any_two_versions(cast_a):
    document = drafted(cast_a, bilan_for(cast_a), "certificate")
    client = cast_a.client(cast_a.consultant)
    original = _latest_html(cast_a, document)
    client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": original.replace("atteste", "certifie") + "<p>Mention ajoutée</p>"})
    client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": original + "<p>Troisième version</p>"})
    page = client.get(f"/documents/{document.pk}/comparer/?de=1&a=2").content.decode()
    assert '<del title="supprimé">atteste</del>' in page and '<ins title="ajouté">certifie</ins>' in page and "Mention" in page
    page = client.get(f"/documents/{document.pk}/comparer/?de=2&a=3").content.decode()
    assert "Troisième" in page
    api = client.get(f"/api/v1/documents/{document.pk}/diff/?from=1&to=3").json()
    assert api["from"] == 1 and api["to"] == 3 and api["inserted"] == 2 and api["deleted"] == 0
    versions = client.get(f"/api/v1/documents/{document.pk}/versions/").json()
    assert [v["number"] for v in versions] == [1, 2, 3] and versions[0]["author"] is None
    assert client.get(f"/documents/{document.pk}/versions/2/").status_code == 200
    assert client.get(f"/documents/{document.pk}/versions/9/").status_code == 404


def test_change_measure_thresholds():
    base = "<p>" + " ".join(f"mot{i}" for i in range(100)) + "</p>"
    assert measure_change(base, base.replace("<p>", "<p> ")) == ("none", 0.0)
    assert measure_change(base, base.replace("<p>", "<h2>").replace("</p>", "</h2>"))[0] == "none"  # markup only
    level, ratio = measure_change(base, base.replace("mot1 ", "MOT1 ").replace("mot50", "x"))
    assert level == "minor" and ratio == 0.02
    edited = "<p>" + " ".join(f"mot{i}" if i >= 20 else "autre" for i in range(100)) + "</p>"
    assert measure_change(base, edited) == ("minor", 0.2)
    edited = "<p>" + " ".join(f"mot{i}" if i >= 21 else "autre" for i in range(100)) + "</p>"
    assert measure_change(base, edited) == ("major", 0.21)


@pytest.mark.parametrize(
    ("edit", "level", "credits"),
    [
        (lambda html: html, "none", 0),
        (lambda html: html + "<p>Une précision du consultant.</p>", "minor", 5),
        (lambda html: "<h2>Réécrit</h2><p>" + "Texte entièrement réécrit par le consultant. " * 30 + "</p>", "major", 15),
    ],
)
def test_validation_measures_the_change_and_charges_it(cast_a, edit, level, credits):
    document = drafted(cast_a, bilan_for(cast_a), "synthesis")
    client = cast_a.client(cast_a.consultant)
    new_html = edit(_latest_html(cast_a, document))
    if level != "none":
        client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": new_html})
    response = client.post(f"/documents/{document.pk}/valider/")
    assert response.status_code == 302
    with tenant_context(cast_a.organisation):
        document = Document.objects.get(pk=document.pk)
        assert document.status == Document.Status.VALIDATED
        assert document.change_level == level and document.validation_credits == credits
        assert document.validated_by == cast_a.consultant and document.validated_version.number == (1 if level == "none" else 2)
        from organisations.accounts.models import AuditEvent

        event = AuditEvent.objects.get(action="document.validated", object_id=str(document.pk))
        assert event.details["change_level"] == level and event.details["credits"] == credits
        code = {"none": "consultant_validation_unchanged", "minor": "consultant_minor_change", "major": "consultant_major_change"}[level]
        entry = ledger(cast_a, document.bilan, code).get()
        assert entry.amount == credits and entry.idempotency_key == f"document-validation:{document.pk}"


def test_validated_version_is_locked(cast_a):
    document = drafted(cast_a, bilan_for(cast_a), "information")
    client = cast_a.client(cast_a.consultant)
    assert client.post(f"/documents/{document.pk}/valider/").status_code == 302
    response = client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": "<p>Modification tardive</p>"})
    assert response.status_code == 409 and "ne peut plus être modifié" in response.content.decode()
    assert client.post(f"/documents/{document.pk}/valider/").status_code == 409
    response = client.post(f"/api/v1/documents/{document.pk}/versions/", json.dumps({"content_html": "<p>x</p>"}), content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "document_locked"
    with tenant_context(cast_a.organisation):
        with pytest.raises(Conflict):
            document_save_version(actor=cast_a.consultant, document=document, content_html="<p>x</p>")


def test_only_the_bilan_consultant_and_admins_validate(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "information")
    assert cast_a.client(cast_a.other_consultant).post(f"/documents/{document.pk}/valider/").status_code == 403
    assert cast_a.client(cast_a.other_consultant).get(f"/documents/{document.pk}/").status_code == 403
    response = cast_a.client(cast_a.other_consultant).post(f"/api/v1/documents/{document.pk}/validate/")
    assert response.status_code == 403
    assert cast_a.client(cast_a.beneficiary_user).post(f"/documents/{document.pk}/valider/").status_code == 403
    assert cast_a.client(cast_a.beneficiary_user).post(f"/api/v1/documents/{document.pk}/validate/").status_code == 404
    with tenant_context(cast_a.organisation):
        with pytest.raises(Forbidden):
            document_validate(actor=cast_a.other_consultant, document=document)
    response = cast_a.client(cast_a.admin).post(f"/api/v1/documents/{document.pk}/validate/")
    assert response.status_code == 200 and response.json()["status"] == "validated"


def test_review_queue_orders_by_due_date_then_phase(cast_a):
    bilan = bilan_for(cast_a)
    from datetime import date

    late = drafted(cast_a, bilan, "synthesis")
    early = drafted(cast_a, bilan, "information")
    undated = drafted(cast_a, bilan, "consent")
    with tenant_context(cast_a.organisation):
        Document.objects.filter(pk=late.pk).update(due_on=date(2026, 12, 20))
        Document.objects.filter(pk=early.pk).update(due_on=date(2026, 12, 1))
    page = cast_a.client(cast_a.consultant).get("/documents/").content.decode()
    assert page.index("Document d&#x27;information") < page.index("Document de synthèse") < page.index("Consentement éclairé")
    other = cast_a.client(cast_a.other_consultant).get("/documents/").content.decode()
    assert "Document de synthèse" not in other
    assert undated.status == "review"


def test_other_organisation_never_sees_the_document(cast_a, cast_b):
    document = drafted(cast_a, bilan_for(cast_a), "information")
    assert cast_b.client(cast_b.admin).get(f"/documents/{document.pk}/").status_code == 404
    assert cast_b.client(cast_b.admin).get(f"/api/v1/documents/{document.pk}/").status_code == 404


def test_convention_draft_carries_every_ct14_clause(cast_a):
    """CT-14: intitulé, objectif, contenu, moyens, durée et période, modalités de déroulement et
    de suivi, de remise des résultats et de la synthèse, prix, modalités de règlement."""
    document = drafted(cast_a, bilan_for(cast_a), "convention")
    html = _latest_html(cast_a, document)
    for heading in ("Intitulé", "Objectif", "Contenu", "Moyens", "Durée et période", "Modalités de déroulement et de suivi",
                    "Modalités de remise des résultats détaillés et du document de synthèse", "Prix", "Modalités de règlement"):
        assert f"<h2>{heading}</h2>" in html, heading


def test_self_funded_contract_states_the_withdrawal_period(cast_a):
    """CT-17: 10-day withdrawal period, no payment before it expires, at most 30 % then."""
    document = drafted(cast_a, bilan_for(cast_a), "contract")
    html = _latest_html(cast_a, document)
    assert "10 jours" in html and "lettre recommandée" in html and "30 %" in html


def test_validation_the_budget_cannot_pay_is_refused_and_nothing_changes(cast_a):
    from plans.services import credits_charge

    bilan = bilan_for(cast_a, forfait="essentiel")
    document = drafted(cast_a, bilan, "information")  # 5 credits
    with tenant_context(cast_a.organisation):
        credits_charge(organisation=cast_a.organisation, bilan_id=bilan.pk, action_code="document_simple", actor=None, idempotency_key="drain", quantity=18)
    client = cast_a.client(cast_a.consultant)
    client.post(f"/documents/{document.pk}/enregistrer/", {"content_html": "<h2>Réécrit</h2><p>" + "Autre texte. " * 200 + "</p>"})
    response = client.post(f"/api/v1/documents/{document.pk}/validate/")
    assert response.status_code == 402 and response.json()["code"] == "insufficient_credits"
    with tenant_context(cast_a.organisation):
        assert Document.objects.get(pk=document.pk).status == Document.Status.REVIEW
