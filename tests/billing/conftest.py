"""Fixtures of the billing tests: organisation alpha with its legal identity, a bilan, funders."""
from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import tenant_context


def set_identity(organisation, *, vat_exempt: bool = True) -> None:
    organisation.siret = "12345678900021"
    organisation.activity_declaration_number = "11755555575"
    organisation.activity_declaration_region = "Île-de-France"
    organisation.vat_exempt = vat_exempt
    organisation.save()


def set_seller_address(actor) -> None:
    """The seller's address of the current organisation (billing settings), needed to issue."""
    from bilans.billing.services import billing_settings_update

    billing_settings_update(actor=actor, address_line="12 rue des Lilas", postcode="75011", city="Paris")


@pytest.fixture
def in_a(cast_a):
    set_identity(cast_a.organisation)
    with tenant_context(cast_a.organisation):
        from bilans.billing.services import billing_settings_update

        billing_settings_update(
            actor=cast_a.admin, address_line="12 rue des Lilas", postcode="75011", city="Paris", iban="FR7630006000011234567890189",
            bic="AGRIFRPP", legal_form="SAS", share_capital="10 000 €",
        )
        yield cast_a


@pytest.fixture
def bilan(in_a):
    from bilans.models import Bilan

    return Bilan.objects.create(beneficiary=in_a.beneficiary, consultant=in_a.consultant)


@pytest.fixture
def employer(in_a):
    from bilans.billing.services import funder_create

    return funder_create(
        actor=in_a.admin, kind="employer", name="Boulangerie Martin SARL", siren="552100554", address_line="3 place du Marché",
        postcode="69002", city="Lyon", email="compta@martin.test",
    )


@pytest.fixture
def opco(in_a):
    from bilans.billing.services import funder_create

    return funder_create(
        actor=in_a.admin, kind="opco", name="OPCO EP", siren="851296632", address_line="1 rue de Paris", postcode="75009", city="Paris",
        email="factures@opco.test",
    )


def issue_invoice(cast, bilan, funder, cents=180000, today=date(2026, 11, 20), **kwargs):
    from bilans.billing.services import invoice_create, invoice_issue

    invoice = invoice_create(
        actor=cast.admin, bilan=bilan, funder=funder, lines=[{"label": "Bilan de compétences – 24 h", "unit_price_cents": cents}], **kwargs
    )
    return invoice_issue(actor=cast.admin, invoice=invoice, today=today)
