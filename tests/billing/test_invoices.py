"""Invoices, credit notes, mentions, Factur-X and payments."""
from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import DatabaseError, transaction
from lxml import etree

from config.errors import Conflict, InvalidInput
from tests.billing.conftest import issue_invoice


def test_issue_numbers_and_freezes_the_invoice(in_a, bilan, employer):
    from bilans.billing.services import invoice_create, invoice_issue

    first = issue_invoice(in_a, bilan, employer)
    draft = invoice_create(actor=in_a.admin, bilan=bilan, funder=employer, lines=[{"label": "Bilan", "unit_price_cents": 5000}])
    assert draft.number == "" and draft.status == "draft"
    second = invoice_issue(actor=in_a.admin, invoice=draft, today=date(2026, 11, 21))
    assert (first.number, second.number) == ("FA-2026-00001", "FA-2026-00002")
    assert second.due_on == date(2026, 12, 21)
    assert second.seller["siren"] == "123456789"
    with pytest.raises(Conflict):
        invoice_issue(actor=in_a.admin, invoice=second)


def test_issued_invoice_is_immutable_in_the_database(in_a, bilan, employer):
    """An issued invoice can never change nor be deleted; only a credit note corrects it."""
    from bilans.billing.models import BillingDocument, BillingLine
    from bilans.billing.services import draft_delete

    invoice = issue_invoice(in_a, bilan, employer)
    for attempt in (
        lambda: BillingDocument.objects.filter(pk=invoice.pk).update(total_ht_cents=1, total_ttc_cents=1),
        lambda: BillingDocument.objects.filter(pk=invoice.pk).delete(),
        lambda: BillingLine.objects.filter(document=invoice).update(label="autre chose"),
        lambda: BillingLine.objects.create(document=invoice, label="ajout", unit_price_cents=1, total_cents=1),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    with pytest.raises(Conflict):
        draft_delete(actor=in_a.admin, document=invoice)
    invoice.refresh_from_db()
    assert invoice.total_ttc_cents == 180000


def test_draft_can_be_changed_and_deleted(in_a, bilan, employer):
    from bilans.billing.models import BillingDocument
    from bilans.billing.services import draft_delete, invoice_create

    draft = invoice_create(actor=in_a.admin, bilan=bilan, funder=employer, lines=[{"label": "Bilan", "unit_price_cents": 5000}])
    BillingDocument.objects.filter(pk=draft.pk).update(title="Bilan de compétences (24 h)")
    draft_delete(actor=in_a.admin, document=draft)
    assert not BillingDocument.objects.filter(pk=draft.pk).exists()


def test_mandatory_mentions(in_a, bilan, employer):
    """CT-18 declaration sentence, EI-03 VAT exemption, EI-02 operation category and client
    SIREN, payment terms and late-payment penalties, organisation identity and SIREN: in the
    frozen mentions and in the PDF text."""
    from pypdf import PdfReader

    invoice = issue_invoice(in_a, bilan, employer)
    texts = [m["text"] for m in invoice.mentions]
    assert "Déclaration d'activité enregistrée sous le numéro 11755555575 auprès du préfet de région de Île-de-France." in texts
    assert "Exonération de TVA – art. 261-4-4° a du CGI" in texts
    assert "Catégorie de l'opération : Prestation de services" in texts
    assert any(t.startswith("Paiement à 30 jours") and "20/12/2026" in t for t in texts)
    assert any("pénalités au taux de" in t and "40 €" in t for t in texts)
    assert invoice.buyer["siren"] == "552100554"
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(bytes(invoice.pdf))).pages)
    for expected in ("SIREN 123456789", "Alpha Bilans", "SIREN 552100554", "auprès du préfet de région", "261-4-4° a", "Prestation de services",
                     "pénalités", "1 800,00 €"):
        assert expected in text, expected
    assert invoice.vat_cents == 0 and invoice.total_ttc_cents == invoice.total_ht_cents


def test_vat_applies_without_exemption(cast_a):
    """EI-03: without the attestation, no exemption mention and 20 % VAT."""
    from django_tenants.utils import tenant_context

    from bilans.models import Bilan
    from bilans.billing.services import funder_create
    from tests.billing.conftest import set_identity, set_seller_address

    set_identity(cast_a.organisation, vat_exempt=False)
    with tenant_context(cast_a.organisation):
        set_seller_address(cast_a.admin)
        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary)
        company = funder_create(actor=cast_a.admin, kind="employer", name="ACME", siren="552100554")
        invoice = issue_invoice(cast_a, bilan, company, cents=150000)
        assert (invoice.total_ht_cents, invoice.vat_cents, invoice.total_ttc_cents) == (150000, 30000, 180000)
        assert not any("261-4-4" in m["text"] for m in invoice.mentions)


def test_company_funder_needs_siren(in_a):
    """EI-02: the client's SIREN is mandatory for a company."""
    from bilans.billing.services import funder_create

    with pytest.raises(InvalidInput) as error:
        funder_create(actor=in_a.admin, kind="employer", name="Sans SIREN")
    assert error.value.code == "funder_siren_required"
    person = funder_create(actor=in_a.admin, kind="beneficiary", name="Jeanne Martin")
    assert person.siren == ""


def test_invoice_pdf_is_factur_x_en16931_and_xml_validates(in_a, bilan, employer):
    """The PDF is a Factur-X PDF/A-3 embedding the CII XML (EN 16931 profile) that passes the
    factur-x library's schema check."""
    from facturx import get_level, get_xml_from_pdf, xml_check_xsd

    invoice = issue_invoice(in_a, bilan, employer)
    filename, xml = get_xml_from_pdf(bytes(invoice.pdf), check_xsd=True)
    assert filename == "factur-x.xml"
    root = etree.fromstring(xml)
    assert get_level(root, "factur-x") == "en16931"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
          "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=ns) == invoice.number
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=ns) == "380"
    assert root.findtext(".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=ns) == "123456789"
    assert root.findtext(".//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=ns) == "552100554"
    assert root.findtext(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode", namespaces=ns) == "E"
    assert root.findtext(".//ram:GrandTotalAmount", namespaces=ns) == "1800.00"
    from pypdf import PdfReader

    xmp = PdfReader(io.BytesIO(bytes(invoice.pdf))).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp  # PDF/A-3 identification
    assert b"EN 16931" in xmp or b"EN16931" in xmp.upper()


def test_credit_notes_correct_an_invoice(in_a, bilan, employer):
    """Credit notes: numbered in their own gapless sequence, Factur-X type 381 referencing the
    invoice, never more than the invoice."""
    from facturx import get_xml_from_pdf

    from bilans.billing.selectors import invoices_with_balance
    from bilans.billing.services import credit_note_create

    invoice = issue_invoice(in_a, bilan, employer)
    partial = credit_note_create(actor=in_a.admin, invoice=invoice, reason="Séance non réalisée", amount_cents=30000, today=date(2026, 11, 25))
    assert partial.number == "AV-2026-00001" and partial.total_ttc_cents == 30000
    assert any("Avoir sur la facture n° FA-2026-00001 du 20/11/2026" in m["text"] for m in partial.mentions)
    _, xml = get_xml_from_pdf(bytes(partial.pdf), check_xsd=True)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml and b"FA-2026-00001" in xml
    with pytest.raises(InvalidInput):
        credit_note_create(actor=in_a.admin, invoice=invoice, reason="Trop", amount_cents=150001)
    with pytest.raises(InvalidInput):
        credit_note_create(actor=in_a.admin, invoice=invoice, reason="  ")
    rest = credit_note_create(actor=in_a.admin, invoice=invoice, reason="Annulation")
    assert rest.number == "AV-2026-00002" and rest.total_ttc_cents == 150000
    row = invoices_with_balance().get(pk=invoice.pk)
    assert (row.credited_cents, row.outstanding_cents) == (180000, 0)
    with pytest.raises(Conflict):
        credit_note_create(actor=in_a.admin, invoice=partial, reason="Avoir d'avoir")


def test_payments_outstanding_and_overdue(in_a, bilan, employer, opco):
    from bilans.billing.selectors import invoices_outstanding, invoices_overdue
    from bilans.billing.services import payment_record

    a = issue_invoice(in_a, bilan, employer, cents=100000, today=date(2026, 9, 1))
    b = issue_invoice(in_a, bilan, opco, cents=50000, today=date(2026, 11, 20))
    payment_record(actor=in_a.admin, invoice=a, amount_cents=40000, received_on=date(2026, 9, 15))
    with pytest.raises(InvalidInput):
        payment_record(actor=in_a.admin, invoice=a, amount_cents=60001, received_on=date(2026, 9, 16))
    outstanding = {i.number: i.outstanding_cents for i in invoices_outstanding()}
    assert outstanding == {a.number: 60000, b.number: 50000}
    assert [i.number for i in invoices_overdue(today=date(2026, 11, 21))] == [a.number]
    payment_record(actor=in_a.admin, invoice=a, amount_cents=60000, received_on=date(2026, 11, 21), method="cheque")
    assert [i.number for i in invoices_outstanding()] == [b.number]


def test_reminder_sends_the_invoice_to_the_funder(in_a, bilan, employer, mailoutbox):
    from bilans.billing.services import invoice_remind, payment_record

    invoice = issue_invoice(in_a, bilan, employer)
    invoice_remind(actor=in_a.admin, invoice=invoice)
    assert mailoutbox[-1].to == ["compta@martin.test"]
    assert mailoutbox[-1].attachments[0][0] == f"{invoice.number}.pdf"
    payment_record(actor=in_a.admin, invoice=invoice, amount_cents=180000, received_on=date(2026, 11, 30))
    with pytest.raises(Conflict):
        invoice_remind(actor=in_a.admin, invoice=invoice)


def test_subrogation_invoice_to_the_opco(in_a, bilan, employer, opco):
    """An OPCO pays by subrogation for the employer: the invoice is addressed to the OPCO and says so."""
    invoice = issue_invoice(in_a, bilan, opco, subrogation=True, on_behalf_of=employer)
    assert invoice.buyer["on_behalf_of"] == {"name": "Boulangerie Martin SARL", "siren": "552100554"}
    assert any(m["text"].startswith("Paiement par subrogation : OPCO EP règle pour le compte de Boulangerie Martin SARL") for m in invoice.mentions)
    with pytest.raises(InvalidInput):
        issue_invoice(in_a, bilan, employer, subrogation=True, on_behalf_of=opco)


def test_no_payment_before_the_withdrawal_period_ends(in_a, bilan):
    """CT-17: a self-funded person pays nothing before the end of the 10-day withdrawal period."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bilans.billing.services import funder_for_beneficiary, payment_record
    from bilans.models import Convention

    Convention.objects.create(
        bilan=bilan, kind="contract", status="signed", objective="o", content="c", means="m", duration_hours=24, period_start=date(2026, 11, 1),
        period_end=date(2027, 1, 31), delivery_terms="d", results_terms="r", price_cents=180000, payment_terms="p",
        withdrawal_ends_at=datetime(2026, 11, 12, 23, 59, tzinfo=ZoneInfo("Europe/Paris")),
    )
    invoice = issue_invoice(in_a, bilan, funder_for_beneficiary(actor=in_a.admin, beneficiary=in_a.beneficiary), today=date(2026, 11, 2))
    with pytest.raises(InvalidInput) as error:
        payment_record(actor=in_a.admin, invoice=invoice, amount_cents=50000, received_on=date(2026, 11, 5))
    assert error.value.code == "payment_before_withdrawal_end"
    payment_record(actor=in_a.admin, invoice=invoice, amount_cents=50000, received_on=date(2026, 11, 12))


def test_online_payment_is_recorded_once(in_a, bilan):
    """A self-funded person's online payment (Stripe webhook delivered twice) is recorded once."""
    from bilans.billing.models import Payment
    from bilans.billing.services import funder_for_beneficiary, payment_record

    invoice = issue_invoice(in_a, bilan, funder_for_beneficiary(actor=in_a.admin, beneficiary=in_a.beneficiary))
    for _ in range(2):
        payment_record(actor=None, invoice=invoice, amount_cents=180000, received_on=date(2026, 11, 21), method="stripe", reference="pi_123")
    assert Payment.objects.filter(invoice=invoice).count() == 1
