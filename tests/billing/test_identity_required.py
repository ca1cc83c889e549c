"""CT-18, EI-02, EI-03 and the seller's SIREN: no quote, invoice or credit note is issued while
the organisation's legal identity is incomplete (an issued invoice can no longer be corrected)."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from config.errors import InvalidInput
from tests.billing.conftest import issue_invoice


def _draft(in_a, bilan, funder, kind="invoice"):
    from bilans.billing.services import invoice_create, quote_create

    create = invoice_create if kind == "invoice" else quote_create
    return create(actor=in_a.admin, bilan=bilan, funder=funder, lines=[{"label": "Bilan de compétences", "unit_price_cents": 180000}])


def test_issue_refused_over_http_with_the_missing_items(in_a, bilan, employer):
    """CT-18 / EI-02: the administrator sees what is missing; the invoice stays a draft."""
    invoice = _draft(in_a, bilan, employer)
    organisation = in_a.organisation
    organisation.siret = ""
    organisation.activity_declaration_number = ""
    organisation.save()
    from bilans.billing.services import billing_settings_update

    billing_settings_update(actor=in_a.admin, address_line="", city="")
    response = in_a.client(in_a.admin).post(f"/facturation/documents/{invoice.pk}/emettre/", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Identité de l&#x27;organisme incomplète" in page or "Identité de l'organisme incomplète" in page
    for missing in ("SIRET", "numéro de déclaration d", "adresse", "ville"):
        assert missing in page
    with tenant_context(organisation):
        invoice.refresh_from_db()
        assert invoice.status == "draft" and invoice.number == ""


@pytest.mark.parametrize("field", ["siret", "activity_declaration_number", "activity_declaration_region"])
def test_quote_and_invoice_issue_refused_when_an_organisation_item_is_blank(in_a, bilan, employer, field):
    """CT-18 (declaration number and region) and the seller's SIREN/SIRET."""
    from bilans.billing.services import invoice_issue, quote_issue

    setattr(in_a.organisation, field, "")
    in_a.organisation.save()
    for issue, kind, arg in ((invoice_issue, "invoice", "invoice"), (quote_issue, "quote", "quote")):
        with pytest.raises(InvalidInput) as error:
            issue(actor=in_a.admin, **{arg: _draft(in_a, bilan, employer, kind)})
        assert error.value.code == "billing_identity_incomplete"


def test_credit_note_refused_when_the_seller_address_is_blank(in_a, bilan, employer):
    """EI-02: the seller's address is printed on the credit note."""
    from bilans.billing.services import billing_settings_update, credit_note_create

    invoice = issue_invoice(in_a, bilan, employer)
    billing_settings_update(actor=in_a.admin, postcode="")
    with pytest.raises(InvalidInput) as error:
        credit_note_create(actor=in_a.admin, invoice=invoice, reason="Erreur")
    assert error.value.code == "billing_identity_incomplete" and "code postal" in error.value.message
    assert invoice.credit_notes.count() == 0
    billing_settings_update(actor=in_a.admin, postcode="75011")
    assert credit_note_create(actor=in_a.admin, invoice=invoice, reason="Erreur").number.startswith("AV-")
