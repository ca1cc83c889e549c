"""Billing pages over HTTP: administrators only, full flow from draft to credit note and exports."""
from __future__ import annotations

from datetime import date

from django_tenants.utils import tenant_context

from tests.billing.conftest import issue_invoice


def test_billing_pages_are_for_administrators(in_a, bilan):
    for user in (in_a.consultant, in_a.beneficiary_user):
        client = in_a.client(user)
        for url in ("/facturation/", f"/facturation/bilan/{bilan.pk}/", "/facturation/exports/fec/?annee=2026"):
            assert client.get(url).status_code == 403
    assert in_a.client().get("/facturation/").status_code == 302  # anonymous → login
    assert in_a.client(in_a.consultant).get("/api/v1/billing/invoices/").status_code == 403


def test_flow_over_http(in_a, bilan, employer):
    client = in_a.client(in_a.admin)
    response = client.post(
        f"/facturation/bilan/{bilan.pk}/",
        {"kind": "invoice", "funder": employer.pk, "label": "Bilan de compétences", "quantity": "24", "unit": "HUR", "unit_price": "75.50"},
    )
    assert response.status_code == 302
    with tenant_context(in_a.organisation):
        from bilans.billing.models import BillingDocument

        draft = BillingDocument.objects.get(bilan=bilan)
        assert draft.total_ttc_cents == 181200
    assert client.post(f"/facturation/documents/{draft.pk}/emettre/").status_code == 302
    with tenant_context(in_a.organisation):
        draft.refresh_from_db()
        assert draft.number == f"FA-{date.today().year}-00001"
    page = client.get(f"/facturation/documents/{draft.pk}/")
    assert page.status_code == 200 and "1\u202f812,00\u00a0€" in page.content.decode()
    pdf = client.get(f"/facturation/documents/{draft.pk}/document.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.post(f"/facturation/documents/{draft.pk}/paiement/", {"amount": "812", "received_on": "2026-11-21", "method": "transfer"}).status_code == 302
    assert client.post(f"/facturation/documents/{draft.pk}/avoir/", {"reason": "Heures non réalisées"}).status_code == 302
    api = client.get("/api/v1/billing/invoices/").json()
    row = api["results"][0] if isinstance(api, dict) else api[0]
    assert (row["paid_cents"], row["credited_cents"], row["outstanding_cents"]) == (81200, 100000, 0)
    overview = client.get("/facturation/")
    assert overview.status_code == 200
    fec = client.get(f"/facturation/exports/fec/?annee={date.today().year}")
    assert fec.status_code == 200 and fec["Content-Disposition"].endswith(f'FEC{date.today().year}1231.txt"')
    assert client.get("/facturation/exports/fec/?annee=abc").status_code == 400
    assert client.get(f"/facturation/exports/ecritures.csv?annee={date.today().year}").status_code == 200


def test_bad_input_is_not_a_500(in_a, bilan, employer):
    client = in_a.client(in_a.admin)
    invoice = issue_invoice(in_a, bilan, employer)
    assert client.get("/facturation/documents/00000000-0000-0000-0000-000000000000/").status_code == 404
    response = client.post(f"/facturation/documents/{invoice.pk}/emettre/")
    assert response.status_code == 302  # already issued: a message, no change
    response = client.post(f"/facturation/documents/{invoice.pk}/supprimer/", follow=True)
    assert "avoir" in response.content.decode()
    response = client.post("/facturation/financeurs/", {"kind": "employer", "name": "Sans SIREN"})
    assert response.status_code == 422 and "SIREN est obligatoire" in response.content.decode()
    for url in ("/facturation/documents/", "/facturation/financeurs/", "/facturation/reglages/", f"/facturation/bilan/{bilan.pk}/"):
        assert client.get(url).status_code == 200


def test_overview_finds_bilans_to_invoice(in_a, bilan, employer):
    from bilans.models import Bilan

    Bilan.objects.filter(pk=bilan.pk).update(status="preliminary")
    client = in_a.client(in_a.admin)
    page = client.get("/facturation/").content.decode()
    assert f"/facturation/bilan/{bilan.pk}/" in page
    found = client.get(f"/facturation/?q={in_a.beneficiary.last_name}").content.decode()
    assert f"/facturation/bilan/{bilan.pk}/" in found


def test_billing_api_in_the_schema(in_a):
    response = in_a.client(in_a.admin).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/billing/invoices/" in response.content
