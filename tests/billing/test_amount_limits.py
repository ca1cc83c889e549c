"""Amounts beyond what the database stores (32-bit integer cents) are refused with a French
message instead of a 500 (Conventions: never a 500 on bad input)."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from config.errors import InvalidInput


def _documents(in_a, bilan):
    with tenant_context(in_a.organisation):
        from bilans.billing.models import BillingDocument

        return BillingDocument.objects.filter(bilan=bilan).count()


def test_unit_price_above_the_bound_is_a_form_error(in_a, bilan, employer):
    client = in_a.client(in_a.admin)
    response = client.post(
        f"/facturation/bilan/{bilan.pk}/",
        {"kind": "invoice", "funder": employer.pk, "label": "Bilan", "quantity": "1", "unit": "C62", "unit_price": "99999999.99"},
    )
    assert response.status_code == 422
    assert "21474836" in response.content.decode().replace("\u202f", "").replace(" ", "").replace(",", ".").replace(".", "")
    assert _documents(in_a, bilan) == 0


@pytest.mark.parametrize("quantity,unit_price", [("1000", "3000000"), ("9999999.99", "21474836.47")])
def test_line_total_above_the_bound_shows_a_message_and_creates_nothing(in_a, bilan, employer, quantity, unit_price):
    client = in_a.client(in_a.admin)
    for kind in ("invoice", "quote"):
        response = client.post(
            f"/facturation/bilan/{bilan.pk}/",
            {"kind": kind, "funder": employer.pk, "label": "Bilan", "quantity": quantity, "unit": "HUR", "unit_price": unit_price},
        )
        assert response.status_code == 422
        assert "Montant trop élevé" in response.content.decode()
    assert _documents(in_a, bilan) == 0


def test_document_total_above_the_bound_is_refused(in_a, bilan, employer):
    """Each line fits, their sum does not."""
    from bilans.billing.services import invoice_create

    line = {"label": "Bilan", "unit_price_cents": 2_000_000_000}
    with pytest.raises(InvalidInput) as error:
        invoice_create(actor=in_a.admin, bilan=bilan, funder=employer, lines=[line, line])
    assert error.value.code == "amount_too_large"
    assert _documents(in_a, bilan) == 0


def test_vat_pushing_the_total_above_the_bound_is_refused(cast_a, bilan, employer):
    from tests.billing.conftest import set_identity

    set_identity(cast_a.organisation, vat_exempt=False)
    from bilans.billing.services import invoice_create

    with pytest.raises(InvalidInput) as error:
        invoice_create(actor=cast_a.admin, bilan=bilan, funder=employer, lines=[{"label": "Bilan", "unit_price_cents": 2_000_000_000}])
    assert error.value.code == "amount_too_large"


def test_largest_storable_amount_is_accepted(in_a, bilan, employer):
    from bilans.billing.services import invoice_create

    invoice = invoice_create(actor=in_a.admin, bilan=bilan, funder=employer, lines=[{"label": "Bilan", "unit_price_cents": 2_147_483_647}])
    assert invoice.total_ttc_cents == 2_147_483_647
