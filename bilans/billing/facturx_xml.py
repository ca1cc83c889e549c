"""The Factur-X (CII D16B) XML of an invoice or credit note, EN 16931 profile, and the
Factur-X PDF (PDF/A-3 with the XML embedded) built with the ``factur-x`` library.

What is validated, honestly: every XML is checked against the XSD of the Factur-X EN 16931
profile shipped with the ``factur-x`` library (``check_xml`` below, and again by ``embed`` with
``check_xsd=True``) before an invoice or credit note is issued. The XSD only checks structure
and data types. The EN 16931 business rules (the CEN Schematron, BR-xx / BR-CO-xx rules such
as totals consistency) are NOT run here: they need an XSLT 2.0 processor (Saxon) that is not
available offline in this stack. The totals are computed by ``services._write_lines`` from
integer cents and the tests check them, but a Schematron run (e.g. with the FNFE-MPE validator
or Mustang) is still advisable before relying on the files for the 2026-2027 e-invoicing
obligation."""
from __future__ import annotations

from decimal import Decimal

from lxml import etree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931 = "urn:cen.eu:en16931:2017"
VAT_EXEMPTION_REASON = "Exonération de TVA – art. 261-4-4° a du CGI"
SIREN_SCHEME = "0002"


def _amount(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _el(parent, tag: str, text: str | None = None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", **attrs)
    if text is not None:
        node.text = text
    return node


def _date(parent, tag: str, value) -> None:
    wrapper = _el(parent, tag)
    _el(wrapper, "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _party(parent, tag: str, party: dict) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party["name"])
    if party.get("siren"):
        legal = _el(node, "ram:SpecifiedLegalOrganization")
        _el(legal, "ram:ID", party["siren"], schemeID=SIREN_SCHEME)
    address = _el(node, "ram:PostalTradeAddress")
    if party.get("postcode"):
        _el(address, "ram:PostcodeCode", party["postcode"])
    if party.get("address_line"):
        _el(address, "ram:LineOne", party["address_line"])
    if party.get("city"):
        _el(address, "ram:CityName", party["city"])
    _el(address, "ram:CountryID", party.get("country") or "FR")
    if party.get("email"):
        uri = _el(node, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party["email"], schemeID="EM")
    if party.get("vat_number"):
        tax = _el(node, "ram:SpecifiedTaxRegistration")
        _el(tax, "ram:ID", party["vat_number"], schemeID="VA")


def build_cii_xml(document, lines) -> bytes:
    """The CII XML of an issued invoice (380) or credit note (381)."""
    exempt = document.vat_rate_bp == 0
    category = "E" if exempt else "S"
    rate = f"{Decimal(document.vat_rate_bp) / 100:.2f}"
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    guideline = _el(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _el(guideline, "ram:ID", EN16931)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document.number)
    _el(header, "ram:TypeCode", "381" if document.kind == "credit_note" else "380")
    _date(header, "ram:IssueDateTime", document.issued_on)
    for subject, text in _notes(document):
        note = _el(header, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        _el(note, "ram:SubjectCode", subject)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_doc = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_doc, "ram:LineID", str(index))
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.label)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _amount(line.unit_price_cents))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", f"{line.quantity:.2f}", unitCode=line.unit)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", category)
        _el(tax, "ram:RateApplicablePercent", rate)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.total_cents))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", document.buyer.get("reference") or document.bilan_id.hex[:12])
    _party(agreement, "ram:SellerTradeParty", document.seller)
    _party(agreement, "ram:BuyerTradeParty", document.buyer)

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if document.service_end:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", document.service_end)

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", document.number)
    _el(settlement, "ram:InvoiceCurrencyCode", "EUR")
    if document.seller.get("iban"):
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", document.seller["iban"])
    else:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "30")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:CalculatedAmount", _amount(document.vat_cents))
    _el(tax, "ram:TypeCode", "VAT")
    if exempt:
        _el(tax, "ram:ExemptionReason", VAT_EXEMPTION_REASON)
    _el(tax, "ram:BasisAmount", _amount(document.total_ht_cents))
    _el(tax, "ram:CategoryCode", category)
    _el(tax, "ram:RateApplicablePercent", rate)
    if document.service_start and document.service_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", document.service_start)
        _date(period, "ram:EndDateTime", document.service_end)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", document.seller.get("payment_terms", ""))
    if document.due_on:
        _date(terms, "ram:DueDateDateTime", document.due_on)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(document.total_ht_cents))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(document.total_ht_cents))
    _el(totals, "ram:TaxTotalAmount", _amount(document.vat_cents), currencyID="EUR")
    _el(totals, "ram:GrandTotalAmount", _amount(document.total_ttc_cents))
    _el(totals, "ram:DuePayableAmount", _amount(document.total_ttc_cents))
    if document.kind == "credit_note" and document.credited_invoice_id:
        ref = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(ref, "ram:IssuerAssignedID", document.buyer.get("credited_invoice_number", ""))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _notes(document) -> list[tuple[str, str]]:
    """Mentions carried in the XML too: REG regulatory, AAB seller info, PMD penalties, PMT terms."""
    notes = []
    for mention in document.mentions:
        notes.append((mention.get("code", "AAI"), mention["text"]))
    return notes


def check_xml(xml: bytes) -> bool:
    """The factur-x library's schema check (XSD of the EN 16931 profile); raises if invalid."""
    from facturx import xml_check_xsd

    return xml_check_xsd(xml, flavor="factur-x", level="en16931")


def embed(pdf: bytes, xml: bytes, *, title: str, author: str) -> bytes:
    """A Factur-X PDF/A-3 from a plain PDF and the CII XML (schema-checked by the library)."""
    from facturx import generate_from_binary

    return generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={"author": author, "keywords": "Factur-X", "title": title, "subject": title},
        lang="fr-FR",
    )
