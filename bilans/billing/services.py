"""Writes of the billing app: funders, quotes, invoices, credit notes, payments, reminders and
the CPF file. Every write is atomic and audited (facts only, never a beneficiary's content)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from bilans.billing import cpf as cpf_rules
from bilans.billing import facturx_xml, mentions
from bilans.billing.models import (
    BillingDocument,
    BillingLine,
    BillingSettings,
    CpfFile,
    DocumentCounter,
    Funder,
    OnlinePayment,
    Payment,
    PaymentReminder,
    QuoteShare,
)
from config.errors import Conflict, InvalidInput
from organisations.accounts.services import audit_event_record

CDC_NAME = "Caisse des Dépôts et Consignations – Mon Compte Formation"
CDC_SIREN = "180020026"
# Amounts are stored in PostgreSQL ``integer`` columns (cents): nothing above this is storable.
MAX_CENTS = 2_147_483_647
TOO_LARGE_MESSAGE = "Montant trop élevé : une ligne ou un total ne peut dépasser 21 474 836,47 €."


@dataclass
class LineInput:
    label: str
    unit_price_cents: int
    quantity: Decimal = Decimal("1")
    unit: str = "C62"


def current_organisation():
    return connection.tenant


def settings_get() -> BillingSettings:
    return BillingSettings.objects.get_or_create(pk=1)[0]


@transaction.atomic
def billing_settings_update(*, actor, **fields) -> BillingSettings:
    settings = BillingSettings.objects.select_for_update().get_or_create(pk=1)[0]
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    audit_event_record(action="billing.settings_updated", actor=actor, target=settings, details={"fields": sorted(fields)})
    return settings


# --- numbering ------------------------------------------------------------------------------------
def next_number(kind: str, year: int) -> int:
    """The next number of a sequence, from a counter row locked FOR UPDATE until the caller's
    transaction ends: concurrent issuers wait for each other, a rollback gives the number back."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must run inside the issuing transaction")
    DocumentCounter.objects.bulk_create([DocumentCounter(kind=kind, year=year)], ignore_conflicts=True)
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


# --- funders --------------------------------------------------------------------------------------
@transaction.atomic
def funder_create(
    *,
    actor,
    kind: str,
    name: str,
    siren: str = "",
    address_line: str = "",
    postcode: str = "",
    city: str = "",
    email: str = "",
    beneficiary=None,
) -> Funder:
    name = (name or "").strip()
    siren = (siren or "").replace(" ", "")
    if kind not in Funder.Kind.values:
        raise InvalidInput("Type de financeur inconnu.", code="funder_kind_invalid")
    if not name:
        raise InvalidInput("Le nom du financeur est obligatoire.", code="funder_name_required")
    if siren and (len(siren) != 9 or not siren.isdigit()):
        raise InvalidInput("Le SIREN compte 9 chiffres.", code="funder_siren_invalid")
    if kind in Funder.COMPANY_KINDS and not siren:
        raise InvalidInput("Le SIREN est obligatoire pour une entreprise ou un organisme financeur.", code="funder_siren_required")
    number = next_number("funder", 0)
    funder = Funder.objects.create(
        kind=kind, name=name, siren=siren, address_line=address_line, postcode=postcode, city=city, email=email,
        beneficiary=beneficiary, account_code=f"411{number:05d}",
    )
    audit_event_record(action="billing.funder_created", actor=actor, target=funder, target_label=name if kind != "beneficiary" else "")
    return funder


def funder_for_beneficiary(*, actor, beneficiary) -> Funder:
    existing = Funder.objects.filter(kind=Funder.Kind.BENEFICIARY, beneficiary=beneficiary).first()
    if existing:
        return existing
    return funder_create(actor=actor, kind=Funder.Kind.BENEFICIARY, name=beneficiary.full_name, email=beneficiary.email, beneficiary=beneficiary)


def funder_cdc(*, actor) -> Funder:
    """The Caisse des Dépôts, buyer of every CPF-funded bilan."""
    existing = Funder.objects.filter(kind=Funder.Kind.CPF, siren=CDC_SIREN).first()
    if existing:
        return existing
    return funder_create(
        actor=actor, kind=Funder.Kind.CPF, name=CDC_NAME, siren=CDC_SIREN, address_line="56 rue de Lille", postcode="75007", city="Paris"
    )


# --- drafts ---------------------------------------------------------------------------------------
def _parse_lines(lines) -> list[LineInput]:
    parsed = []
    for raw in lines:
        line = raw if isinstance(raw, LineInput) else LineInput(**raw)
        try:
            quantity = Decimal(str(line.quantity))
        except InvalidOperation:
            raise InvalidInput("Quantité invalide.", code="line_quantity_invalid") from None
        if not line.label.strip():
            raise InvalidInput("Chaque ligne a une désignation.", code="line_label_required")
        if quantity <= 0 or int(line.unit_price_cents) < 0:
            raise InvalidInput("Quantité et prix doivent être positifs.", code="line_amount_invalid")
        if line.unit not in ("C62", "HUR"):
            raise InvalidInput("Unité inconnue.", code="line_unit_invalid")
        if int(line.unit_price_cents) > MAX_CENTS or quantity * int(line.unit_price_cents) > MAX_CENTS:
            raise InvalidInput(TOO_LARGE_MESSAGE, code="amount_too_large")
        if quantity >= Decimal("10000000"):
            raise InvalidInput("Quantité invalide : au plus 9 999 999,99.", code="line_quantity_invalid")
        parsed.append(LineInput(label=line.label.strip(), unit_price_cents=int(line.unit_price_cents), quantity=quantity, unit=line.unit))
    if not parsed:
        raise InvalidInput("Ajoutez au moins une ligne.", code="lines_required")
    return parsed


def _line_total(line: LineInput) -> int:
    return int((line.quantity * line.unit_price_cents).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _vat_rate_bp() -> int:
    return 0 if current_organisation().vat_exempt else 2000


def _write_lines(document: BillingDocument, lines: list[LineInput]) -> None:
    total = 0
    for position, line in enumerate(lines):
        line_total = _line_total(line)
        total += line_total
        if line_total > MAX_CENTS or total > MAX_CENTS:
            raise InvalidInput(TOO_LARGE_MESSAGE, code="amount_too_large")
        BillingLine.objects.create(
            document=document, position=position, label=line.label, quantity=line.quantity, unit=line.unit,
            unit_price_cents=line.unit_price_cents, total_cents=line_total,
        )
    document.vat_rate_bp = _vat_rate_bp()
    document.total_ht_cents = total
    document.vat_cents = int((Decimal(total) * document.vat_rate_bp / 10000).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    document.total_ttc_cents = document.total_ht_cents + document.vat_cents
    if document.total_ttc_cents > MAX_CENTS:
        raise InvalidInput(TOO_LARGE_MESSAGE, code="amount_too_large")


def _check_subrogation(funder: Funder, subrogation: bool, on_behalf_of: Funder | None) -> None:
    if subrogation:
        if on_behalf_of is None or on_behalf_of.kind != Funder.Kind.EMPLOYER:
            raise InvalidInput("La subrogation se fait pour le compte d'un employeur.", code="subrogation_needs_employer")
        if funder.kind not in (Funder.Kind.OPCO, Funder.Kind.OTHER, Funder.Kind.FRANCE_TRAVAIL):
            raise InvalidInput("Seul un organisme financeur (OPCO…) paie par subrogation.", code="subrogation_funder_invalid")


def cpf_invoiced_cents(bilan, *, exclude=None) -> int:
    """CPF rights already invoiced for a bilan (drafts and issued invoices, less credit notes)."""
    invoices = BillingDocument.objects.filter(bilan=bilan, kind="invoice", funder__kind="cpf")
    if exclude is not None:
        invoices = invoices.exclude(pk=exclude.pk)
    invoiced = invoices.aggregate(s=Sum("total_ttc_cents"))["s"] or 0
    credited = BillingDocument.objects.filter(kind="credit_note", credited_invoice__in=invoices).aggregate(s=Sum("total_ttc_cents"))["s"] or 0
    return invoiced - credited


def _check_cpf(bilan, amount_cents: int, *, exclude=None) -> None:
    """CPF-03 (5-year declaration recorded, no bilan funded in the last five years) and CPF-04
    (at most 1 600 € of CPF rights per bilan)."""
    cpf_file = CpfFile.objects.filter(bilan=bilan).first()
    if cpf_file is None or cpf_file.five_year_declared_at is None:
        raise InvalidInput(
            "Recueillez d'abord la déclaration du bénéficiaire sur les bilans financés ces 5 dernières années.",
            code="cpf_five_year_declaration_missing",
        )
    if cpf_file.previous_bilan_within_five_years:
        raise InvalidInput(
            "Un bilan a été financé ces 5 dernières années : le CPF ne peut pas être mobilisé.", code="cpf_five_year_rule"
        )
    if cpf_invoiced_cents(bilan, exclude=exclude) + amount_cents > cpf_rules.CPF_CAP_CENTS:
        raise InvalidInput(
            "Le CPF finance au plus 1 600 € par bilan : facturez le reste à un autre financeur.", code="cpf_cap_exceeded"
        )


def _check_cpf_hours(bilan, lines: list[LineInput]) -> None:
    """CPF-02 (D6323-6): only accompaniment hours are CPF-fundable: hours billed to the CPF
    cannot exceed the bilan's planned individual accompaniment (personal work is excluded)."""
    planned = getattr(bilan, "planned_accompaniment_minutes", None)
    billed = sum(line.quantity for line in lines if line.unit == "HUR") * 60
    if planned is not None and billed > planned:
        raise InvalidInput(
            f"Le CPF ne finance que les heures d'accompagnement ({planned // 60} h prévues) : le travail personnel en est exclu.",
            code="cpf_hours_exceed_accompaniment",
        )


@transaction.atomic
def invoice_create(
    *,
    actor,
    bilan,
    funder: Funder,
    lines,
    title: str = "Bilan de compétences",
    subrogation: bool = False,
    on_behalf_of: Funder | None = None,
    service_start: date | None = None,
    service_end: date | None = None,
    quote: BillingDocument | None = None,
) -> BillingDocument:
    """A draft invoice of a bilan to one funder (it gets its number when issued)."""
    parsed = _parse_lines(lines)
    _check_subrogation(funder, subrogation, on_behalf_of)
    if service_start and service_end and service_end < service_start:
        raise InvalidInput("La fin de la prestation précède son début.", code="service_period_invalid")
    invoice = BillingDocument(
        kind=BillingDocument.Kind.INVOICE, bilan=bilan, funder=funder, title=title, subrogation=subrogation,
        on_behalf_of=on_behalf_of, service_start=service_start, service_end=service_end, quote=quote, created_by=actor,
    )
    invoice.save()
    _write_lines(invoice, parsed)
    if funder.kind == Funder.Kind.CPF:
        _check_cpf(bilan, invoice.total_ttc_cents, exclude=invoice)
        _check_cpf_hours(bilan, parsed)
    invoice.save()
    audit_event_record(
        action="billing.invoice_drafted", actor=actor, target=invoice, details={"funder_kind": funder.kind, "total_cents": invoice.total_ttc_cents}
    )
    return invoice


@transaction.atomic
def quote_create(
    *,
    actor,
    bilan,
    funder: Funder,
    lines,
    shares: list[dict] | None = None,
    title: str = "Bilan de compétences",
    service_start: date | None = None,
    service_end: date | None = None,
) -> BillingDocument:
    """A draft quote addressed to ``funder``, with optionally the split of its price between
    several funders (``shares``: dicts of funder, amount_cents, subrogation, on_behalf_of)."""
    parsed = _parse_lines(lines)
    quote = BillingDocument(
        kind=BillingDocument.Kind.QUOTE, bilan=bilan, funder=funder, title=title, service_start=service_start,
        service_end=service_end, created_by=actor,
    )
    quote.save()
    _write_lines(quote, parsed)
    quote.save()
    if shares:
        if sum(int(s["amount_cents"]) for s in shares) != quote.total_ttc_cents:
            raise InvalidInput("La répartition entre financeurs doit égaler le total du devis.", code="shares_total_mismatch")
        for share in shares:
            _check_subrogation(share["funder"], share.get("subrogation", False), share.get("on_behalf_of"))
            if share["funder"].kind == Funder.Kind.CPF:
                _check_cpf(bilan, int(share["amount_cents"]))
            QuoteShare.objects.create(
                quote=quote, funder=share["funder"], amount_cents=int(share["amount_cents"]),
                subrogation=share.get("subrogation", False), on_behalf_of=share.get("on_behalf_of"),
            )
    audit_event_record(action="billing.quote_drafted", actor=actor, target=quote, details={"total_cents": quote.total_ttc_cents})
    return quote


@transaction.atomic
def draft_delete(*, actor, document: BillingDocument) -> None:
    document = BillingDocument.objects.select_for_update().get(pk=document.pk)
    if document.status != BillingDocument.Status.DRAFT:
        raise Conflict("Un document émis ne se supprime pas : établissez un avoir.", code="document_issued")
    audit_event_record(action="billing.draft_deleted", actor=actor, target=document, details={"kind": document.kind})
    document.shares.all().delete()
    document.delete()


# --- issue ----------------------------------------------------------------------------------------
def _lock_draft(document: BillingDocument) -> BillingDocument:
    document = BillingDocument.objects.select_for_update(of=("self",)).select_related("funder", "on_behalf_of", "bilan__beneficiary").get(
        pk=document.pk
    )
    if document.status != BillingDocument.Status.DRAFT:
        raise Conflict("Ce document est déjà émis.", code="document_already_issued")
    return document


def identity_missing(organisation=None, settings: BillingSettings | None = None) -> list[str]:
    """What the organisation must fill in before issuing a quote, an invoice or a credit note:
    its SIRET (hence SIREN, EI-02), its activity declaration number and region (CT-18, R6351-6)
    and its address (EI-02). Issued documents are immutable: nothing is printed "à renseigner"."""
    organisation = organisation or current_organisation()
    settings = settings or settings_get()
    missing = []
    if not (organisation.siret or "").strip():
        missing.append("le SIRET (et donc le SIREN)")
    if not (organisation.activity_declaration_number or "").strip():
        missing.append("le numéro de déclaration d'activité")
    if not (organisation.activity_declaration_region or "").strip():
        missing.append("la région de la déclaration d'activité")
    for field, label in (("address_line", "l'adresse"), ("postcode", "le code postal"), ("city", "la ville")):
        if not (getattr(settings, field) or "").strip():
            missing.append(label)
    return missing


def _check_identity() -> None:
    missing = identity_missing()
    if missing:
        raise InvalidInput(
            "Identité de l'organisme incomplète : renseignez " + ", ".join(missing)
            + " (profil de l'organisme et réglages de facturation) avant d'émettre un document.",
            code="billing_identity_incomplete",
        )


def _assign_number(document: BillingDocument, today: date) -> None:
    document.year = today.year
    document.sequence = next_number(document.kind, today.year)
    document.number = f"{BillingDocument.PREFIX[document.kind]}-{today.year}-{document.sequence:05d}"
    document.issued_on = today


def _freeze(document: BillingDocument, *, credited: BillingDocument | None = None) -> None:
    organisation = current_organisation()
    settings = settings_get()
    document.seller = mentions.seller_snapshot(organisation, settings)
    document.buyer = mentions.buyer_snapshot(document.funder, on_behalf_of=document.on_behalf_of if document.subrogation else None)
    if credited is not None:
        document.buyer["credited_invoice_number"] = credited.number
    cpf_file = CpfFile.objects.filter(bilan=document.bilan).first()
    document.mentions = mentions.document_mentions(
        document=document, organisation=organisation, settings=settings, due_on=document.due_on, cpf_file=cpf_file, credited=credited
    )


def render_document_pdf(document: BillingDocument) -> bytes:
    """The plain PDF of a document (the view of the frozen data)."""
    from bilans.billing.pdf import render_pdf

    lines = []
    for line in document.lines.all():
        quantity = f"{line.quantity:.2f}".rstrip("0").rstrip(".").replace(".", ",")
        lines.append(
            {
                "label": line.label,
                "quantity_text": f"{quantity} h" if line.unit == "HUR" else quantity,
                "unit_price_text": mentions.money(line.unit_price_cents),
                "total_text": mentions.money(line.total_cents),
            }
        )
    shares = [
        {"funder": s.funder, "subrogation": s.subrogation, "on_behalf_of": s.on_behalf_of, "amount_text": mentions.money(s.amount_cents)}
        for s in document.shares.select_related("funder", "on_behalf_of")
    ] if document.kind == "quote" else []
    beneficiary = document.bilan.beneficiary
    context = {
        "document": document,
        "kind_label": document.get_kind_display(),
        "seller": document.seller,
        "buyer": document.buyer,
        "lines": lines,
        "shares": shares,
        "beneficiary_label": f"{beneficiary.first_name} {beneficiary.last_name}",
        "vat_rate_text": f"{document.vat_rate_bp / 100:.2f}".replace(".", ","),
        "totals": {
            "ht": mentions.money(document.total_ht_cents),
            "vat": mentions.money(document.vat_cents),
            "ttc": mentions.money(document.total_ttc_cents),
        },
    }
    return render_pdf("billing/pdf/document.html", context)


def _attach_pdf(document: BillingDocument, *, facturx: bool) -> None:
    pdf = render_document_pdf(document)
    if facturx:
        xml = facturx_xml.build_cii_xml(document, list(document.lines.all()))
        facturx_xml.check_xml(xml)
        pdf = facturx_xml.embed(pdf, xml, title=f"{document.get_kind_display()} {document.number}", author=document.seller["name"])
    document.pdf = pdf
    document.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


@transaction.atomic
def invoice_issue(*, actor, invoice: BillingDocument, today: date | None = None) -> BillingDocument:
    """Number the invoice (gapless), freeze its mentions and build its Factur-X PDF. From now on
    the database refuses any change: it can only be corrected by a credit note."""
    _check_identity()
    invoice = _lock_draft(invoice)
    if invoice.kind != BillingDocument.Kind.INVOICE:
        raise InvalidInput("Ce document n'est pas une facture.", code="not_an_invoice")
    if invoice.total_ttc_cents <= 0:
        raise InvalidInput("Une facture à zéro ne s'émet pas.", code="invoice_empty")
    if invoice.funder.kind == Funder.Kind.CPF:
        _check_cpf(invoice.bilan, invoice.total_ttc_cents, exclude=invoice)
    today = today or timezone.localdate()
    _assign_number(invoice, today)
    invoice.due_on = today + timedelta(days=settings_get().payment_terms_days)
    invoice.status = BillingDocument.Status.ISSUED
    _freeze(invoice)
    _attach_pdf(invoice, facturx=True)
    invoice.save()
    audit_event_record(
        action="billing.invoice_issued", actor=actor, target=invoice, target_label=invoice.number,
        details={"total_cents": invoice.total_ttc_cents, "funder_kind": invoice.funder.kind},
    )
    return invoice


@transaction.atomic
def quote_issue(*, actor, quote: BillingDocument, today: date | None = None) -> BillingDocument:
    _check_identity()
    quote = _lock_draft(quote)
    if quote.kind != BillingDocument.Kind.QUOTE:
        raise InvalidInput("Ce document n'est pas un devis.", code="not_a_quote")
    today = today or timezone.localdate()
    _assign_number(quote, today)
    quote.valid_until = today + timedelta(days=settings_get().quote_validity_days)
    quote.status = BillingDocument.Status.ISSUED
    _freeze(quote)
    _attach_pdf(quote, facturx=False)
    quote.save()
    audit_event_record(action="billing.quote_issued", actor=actor, target=quote, target_label=quote.number)
    return quote


@transaction.atomic
def quote_accept(*, actor, quote: BillingDocument) -> list[BillingDocument]:
    """The quote is accepted: one draft invoice per funder share (or one to the quote's addressee)."""
    quote = BillingDocument.objects.select_for_update().get(pk=quote.pk)
    if quote.kind != "quote" or quote.status != BillingDocument.Status.ISSUED:
        raise Conflict("Seul un devis émis peut être accepté.", code="quote_not_issued")
    quote.status = BillingDocument.Status.ACCEPTED
    quote.save(update_fields=["status"])
    lines = list(quote.lines.all())
    shares = list(quote.shares.select_related("funder", "on_behalf_of"))
    invoices = []
    if not shares:
        invoices.append(
            invoice_create(
                actor=actor, bilan=quote.bilan, funder=quote.funder, quote=quote, title=quote.title,
                service_start=quote.service_start, service_end=quote.service_end,
                lines=[LineInput(label=l.label, unit_price_cents=l.unit_price_cents, quantity=l.quantity, unit=l.unit) for l in lines],
            )
        )
    else:
        divisor = Decimal(10000 + quote.vat_rate_bp) / 10000
        for share in shares:
            ht = int((Decimal(share.amount_cents) / divisor).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
            label = f"{quote.title} – part prise en charge selon le devis {quote.number}"
            invoices.append(
                invoice_create(
                    actor=actor, bilan=quote.bilan, funder=share.funder, quote=quote, title=quote.title,
                    subrogation=share.subrogation, on_behalf_of=share.on_behalf_of,
                    service_start=quote.service_start, service_end=quote.service_end,
                    lines=[LineInput(label=label, unit_price_cents=ht)],
                )
            )
    audit_event_record(action="billing.quote_accepted", actor=actor, target=quote, target_label=quote.number)
    return invoices


@transaction.atomic
def quote_refuse(*, actor, quote: BillingDocument) -> BillingDocument:
    quote = BillingDocument.objects.select_for_update().get(pk=quote.pk)
    if quote.kind != "quote" or quote.status != BillingDocument.Status.ISSUED:
        raise Conflict("Seul un devis émis peut être refusé.", code="quote_not_issued")
    quote.status = BillingDocument.Status.REFUSED
    quote.save(update_fields=["status"])
    audit_event_record(action="billing.quote_refused", actor=actor, target=quote, target_label=quote.number)
    return quote


def credited_cents(invoice: BillingDocument) -> int:
    return invoice.credit_notes.aggregate(s=Sum("total_ttc_cents"))["s"] or 0


def paid_cents(invoice: BillingDocument) -> int:
    return invoice.payments.aggregate(s=Sum("amount_cents"))["s"] or 0


@transaction.atomic
def credit_note_create(
    *, actor, invoice: BillingDocument, reason: str, amount_cents: int | None = None, today: date | None = None
) -> BillingDocument:
    """Correct an issued invoice: an issued credit note (avoir) for all of it or part of it."""
    _check_identity()
    # Lock the invoice row against concurrent credit notes (FOR UPDATE is allowed by the trigger:
    # it only refuses UPDATE and DELETE).
    invoice = BillingDocument.objects.select_for_update(of=("self",)).select_related("funder", "bilan").get(pk=invoice.pk)
    if invoice.kind != "invoice" or invoice.status != BillingDocument.Status.ISSUED:
        raise Conflict("Un avoir corrige une facture émise.", code="credit_note_needs_issued_invoice")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Indiquez le motif de l'avoir.", code="credit_note_reason_required")
    remaining = invoice.total_ttc_cents - credited_cents(invoice)
    unpaid = remaining - paid_cents(invoice)
    # Without an amount: cancel what is still due (or, if all is paid, the whole uncredited part,
    # which the organisation then refunds).
    amount = (unpaid if unpaid > 0 else remaining) if amount_cents is None else int(amount_cents)
    if amount <= 0 or amount > remaining:
        raise InvalidInput(f"L'avoir doit être compris entre 0,01 € et {mentions.money(remaining)}.", code="credit_note_amount_invalid")
    ht = amount if invoice.vat_rate_bp == 0 else int(
        (Decimal(amount) * 10000 / (10000 + invoice.vat_rate_bp)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    )
    today = today or timezone.localdate()
    note = BillingDocument(
        kind=BillingDocument.Kind.CREDIT_NOTE, bilan=invoice.bilan, funder=invoice.funder, title=invoice.title,
        subrogation=invoice.subrogation, on_behalf_of=invoice.on_behalf_of, credited_invoice=invoice, reason=reason[:300],
        service_start=invoice.service_start, service_end=invoice.service_end, created_by=actor,
    )
    note.save()
    BillingLine.objects.create(
        document=note, position=0, label=f"Avoir sur la facture {invoice.number}", quantity=1, unit_price_cents=ht, total_cents=ht
    )
    note.vat_rate_bp = invoice.vat_rate_bp
    note.total_ht_cents = ht
    note.vat_cents = amount - ht
    note.total_ttc_cents = amount
    _assign_number(note, today)
    note.status = BillingDocument.Status.ISSUED
    _freeze(note, credited=invoice)
    _attach_pdf(note, facturx=True)
    note.save()
    audit_event_record(
        action="billing.credit_note_issued", actor=actor, target=note, target_label=note.number,
        details={"invoice": invoice.number, "total_cents": amount},
    )
    return note


# --- payments and reminders -----------------------------------------------------------------------
def _check_withdrawal_period(invoice: BillingDocument, received_on: date) -> None:
    """CT-17 (L6353-6): a self-funded person pays nothing before the end of the 10-day
    withdrawal period of their contract."""
    from django.apps import apps

    if invoice.funder.kind != Funder.Kind.BENEFICIARY:
        return
    try:
        Convention = apps.get_model("bilans", "Convention")
    except LookupError:
        return
    contract = Convention.objects.filter(bilan=invoice.bilan, kind="contract", withdrawal_ends_at__isnull=False).order_by("-created_at").first()
    if contract is not None and received_on < timezone.localdate(contract.withdrawal_ends_at):
        raise InvalidInput(
            f"Aucun paiement avant la fin du délai de rétractation ({timezone.localdate(contract.withdrawal_ends_at):%d/%m/%Y}).",
            code="payment_before_withdrawal_end",
        )


@transaction.atomic
def payment_record(
    *, actor, invoice: BillingDocument, amount_cents: int, received_on: date, method: str = "transfer", reference: str = ""
) -> Payment:
    invoice = BillingDocument.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != "invoice" or invoice.status != BillingDocument.Status.ISSUED:
        raise Conflict("Un paiement se rattache à une facture émise.", code="payment_needs_issued_invoice")
    if method == Payment.Method.STRIPE and reference:
        # A Stripe webhook may be delivered more than once: the payment intent id makes it idempotent.
        existing = Payment.objects.filter(invoice=invoice, method=method, reference=reference[:100]).first()
        if existing is not None:
            return existing
    if method not in Payment.Method.values:
        raise InvalidInput("Moyen de paiement inconnu.", code="payment_method_invalid")
    _check_withdrawal_period(invoice, received_on)
    outstanding = invoice.total_ttc_cents - credited_cents(invoice) - paid_cents(invoice)
    amount = int(amount_cents)
    if amount <= 0 or amount > outstanding:
        raise InvalidInput(f"Le montant doit être compris entre 0,01 € et {mentions.money(outstanding)}.", code="payment_amount_invalid")
    payment = Payment.objects.create(
        invoice=invoice, amount_cents=amount, received_on=received_on, method=method, reference=reference[:100], recorded_by=actor
    )
    audit_event_record(
        action="billing.payment_recorded", actor=actor, target=payment, details={"invoice": invoice.number, "amount_cents": amount}
    )
    return payment


# --- online payment (Stripe Checkout) by a self-funded beneficiary --------------------------------
def online_payment_available(invoice: BillingDocument, *, outstanding_cents: int, today: date | None = None) -> bool:
    """Whether the beneficiary may pay this invoice online now: Stripe configured, an issued
    invoice addressed to the beneficiary with something due, past the withdrawal period (CT-17)."""
    from plans import stripe_gateway

    if not stripe_gateway.enabled() or outstanding_cents <= 0:
        return False
    if invoice.kind != "invoice" or invoice.status != BillingDocument.Status.ISSUED or invoice.funder.kind != Funder.Kind.BENEFICIARY:
        return False
    try:
        _check_withdrawal_period(invoice, today or timezone.localdate())
    except InvalidInput:
        return False
    return True


@transaction.atomic
def online_payment_start(*, actor, invoice: BillingDocument, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout session for what is still due on a self-funded invoice; returns
    the URL to send the beneficiary to. The payment itself is recorded by the webhook."""
    from plans import stripe_gateway

    if not stripe_gateway.enabled():
        raise Conflict("Le paiement en ligne n'est pas proposé : réglez par virement ou par chèque.", code="online_payment_disabled")
    invoice = BillingDocument.objects.select_for_update(of=("self",)).select_related("funder").get(pk=invoice.pk)
    if invoice.kind != "invoice" or invoice.status != BillingDocument.Status.ISSUED:
        raise Conflict("Seule une facture émise se règle en ligne.", code="payment_needs_issued_invoice")
    if invoice.funder.kind != Funder.Kind.BENEFICIARY:
        raise Conflict("Cette facture est réglée par votre financeur.", code="online_payment_not_self_funded")
    _check_withdrawal_period(invoice, timezone.localdate())
    outstanding = invoice.total_ttc_cents - credited_cents(invoice) - paid_cents(invoice)
    if outstanding <= 0:
        raise Conflict("Cette facture est soldée.", code="invoice_settled")
    _online_payments_expire_pending(invoice)
    online = OnlinePayment.objects.create(invoice=invoice, amount_cents=outstanding, created_by=actor)
    organisation = current_organisation()
    session_id, url = stripe_gateway.invoice_checkout_session_create(
        organisation_id=organisation.pk, organisation_schema=organisation.schema_name, invoice_id=invoice.pk,
        online_payment_id=online.pk, invoice_number=invoice.number, amount_cents=outstanding,
        email=invoice.funder.email or getattr(actor, "email", ""), success_url=success_url, cancel_url=cancel_url,
    )
    online.stripe_session_id = session_id
    online.save(update_fields=["stripe_session_id"])
    audit_event_record(
        action="billing.online_payment_started", actor=actor, target=invoice, target_label=invoice.number,
        details={"amount_cents": outstanding},
    )
    return url


def _online_payments_expire_pending(invoice: BillingDocument) -> None:
    """A beneficiary who clicks "Payer en ligne" again gets a new Checkout page: the earlier,
    unpaid ones are closed at Stripe so that the invoice cannot be paid twice. One Stripe
    refuses to close (paid meanwhile) stays pending and its webhook records or rejects it."""
    from plans import stripe_gateway

    for online in OnlinePayment.objects.filter(invoice=invoice, status=OnlinePayment.Status.PENDING).exclude(stripe_session_id=""):
        if stripe_gateway.checkout_session_expire(online.stripe_session_id):
            online.status = OnlinePayment.Status.EXPIRED
            online.completed_at = timezone.now()
            online.save(update_fields=["status", "completed_at"])


def _online_payment_reject(online: OnlinePayment | None, reason: str, **facts) -> str:
    import logging

    logging.getLogger(__name__).warning("Stripe invoice payment rejected (%s): %s", reason, facts)
    target = online.invoice if online is not None else None
    audit_event_record(
        action="billing.online_payment_rejected", target=target, target_label=target.number if target else "",
        details={"reason": reason, **{k: str(v) for k, v in facts.items()}},
    )
    if online is not None and online.status == OnlinePayment.Status.PENDING:
        online.status = OnlinePayment.Status.REJECTED
        online.rejection = reason
        online.completed_at = timezone.now()
        online.save(update_fields=["status", "rejection", "completed_at"])
    return f"invoice payment rejected: {reason}"


@transaction.atomic
def online_payment_complete(
    *,
    online_payment_id: str,
    invoice_id: str,
    session_id: str,
    payment_intent_id: str,
    amount_cents: int,
    currency: str,
    paid_on: date,
) -> str:
    """Called by the Stripe webhook in this organisation's schema: record the payment of a
    Checkout session opened by ``online_payment_start``, once. The session must be one we
    opened, for the invoice and the amount the event claims, in euros; otherwise nothing is
    recorded and the mismatch is audited. Returns the outcome stored with the Stripe event."""
    import uuid

    try:
        online_uuid = uuid.UUID(str(online_payment_id))
    except ValueError:
        return _online_payment_reject(None, "unknown_checkout", online_payment_id=online_payment_id[:40], invoice_id=invoice_id[:40])
    online = OnlinePayment.objects.select_for_update().select_related("invoice").filter(pk=online_uuid).first()
    if online is None:
        return _online_payment_reject(None, "unknown_checkout", online_payment_id=online_uuid, invoice_id=invoice_id[:40])
    if str(online.invoice_id) != str(invoice_id):
        return _online_payment_reject(online, "invoice_mismatch", claimed_invoice=invoice_id[:40])
    if session_id and online.stripe_session_id and session_id != online.stripe_session_id:
        return _online_payment_reject(online, "session_mismatch", session=session_id[:80])
    if online.payment_id is not None:
        return "invoice payment already recorded"
    if online.status == OnlinePayment.Status.EXPIRED:
        return _online_payment_reject(online, "session_expired", session=session_id[:80])
    if currency != "eur" or int(amount_cents) != online.amount_cents:
        return _online_payment_reject(online, "amount_mismatch", expected_cents=online.amount_cents, received_cents=amount_cents, currency=currency)
    reference = payment_intent_id or online.stripe_session_id or str(online.pk)
    try:
        with transaction.atomic():
            payment = payment_record(
                actor=None, invoice=online.invoice, amount_cents=online.amount_cents, received_on=paid_on,
                method=Payment.Method.STRIPE, reference=reference,
            )
    except (InvalidInput, Conflict) as error:
        # Paid on Stripe but no longer recordable (e.g. settled meanwhile): an administrator refunds.
        return _online_payment_reject(online, error.code, expected_cents=online.amount_cents)
    online.payment = payment
    online.status = OnlinePayment.Status.PAID
    online.rejection = ""
    online.completed_at = timezone.now()
    online.save(update_fields=["payment", "status", "rejection", "completed_at"])
    return "invoice paid online"


@transaction.atomic
def invoice_remind(*, actor, invoice: BillingDocument, now=None) -> PaymentReminder:
    """Send a payment reminder to the funder's billing address, with the invoice attached."""
    from django.core.mail import EmailMessage

    if invoice.kind != "invoice" or invoice.status != BillingDocument.Status.ISSUED:
        raise Conflict("Seule une facture émise peut faire l'objet d'une relance.", code="reminder_needs_issued_invoice")
    outstanding = invoice.total_ttc_cents - credited_cents(invoice) - paid_cents(invoice)
    if outstanding <= 0:
        raise Conflict("Cette facture est soldée.", code="invoice_settled")
    if not invoice.funder.email:
        raise InvalidInput("Renseignez l'e-mail de facturation du financeur.", code="funder_email_missing")
    now = now or timezone.now()
    message = EmailMessage(
        subject=f"Relance : facture {invoice.number}",
        body=(
            f"Bonjour,\n\nSauf erreur de notre part, la facture {invoice.number} du {invoice.issued_on:%d/%m/%Y}"
            f" reste due pour {mentions.money(outstanding)} (échéance le {invoice.due_on:%d/%m/%Y}).\n"
            f"Vous la trouverez en pièce jointe.\n\nCordialement,\n{invoice.seller.get('name', '')}"
        ),
        to=[invoice.funder.email],
    )
    message.attach(f"{invoice.number}.pdf", bytes(invoice.pdf), "application/pdf")
    try:
        message.send()
    except Exception:  # SMTP refusal, network error, provider error: nothing is recorded
        import logging

        logging.getLogger(__name__).exception("Payment reminder of invoice %s not sent", invoice.number)
        raise Conflict(
            "La relance n'a pas pu être envoyée (serveur de messagerie indisponible ou adresse refusée) :"
            " vérifiez l'e-mail du financeur et réessayez. Aucune relance n'a été enregistrée.",
            code="reminder_send_failed",
        ) from None
    reminder = PaymentReminder.objects.create(invoice=invoice, sent_at=now, sent_to=invoice.funder.email, sent_by=actor)
    audit_event_record(action="billing.invoice_reminded", actor=actor, target=invoice, target_label=invoice.number)
    return reminder


# --- CPF ------------------------------------------------------------------------------------------
@transaction.atomic
def cpf_declaration_record(
    *,
    actor,
    bilan,
    previous_bilan_within_five_years: bool,
    edof_number: str = "",
    exemption: str = "",
    confirmed_on: date | None = None,
    now=None,
) -> CpfFile:
    """CPF-03: the beneficiary's declaration about a bilan funded in the previous five years
    (by an L6316-1 funder or a FAF) and CPF-05: the participation forfaitaire due on the
    confirmation date, unless exempt."""
    if exemption not in CpfFile.Exemption.values:
        raise InvalidInput("Motif d'exonération inconnu.", code="cpf_exemption_invalid")
    now = now or timezone.now()
    confirmed_on = confirmed_on or timezone.localdate(now)
    cpf_file, _ = CpfFile.objects.select_for_update().get_or_create(bilan=bilan)
    cpf_file.five_year_declared_at = now
    cpf_file.previous_bilan_within_five_years = bool(previous_bilan_within_five_years)
    cpf_file.five_year_declared_by = actor
    cpf_file.edof_number = (edof_number or cpf_file.edof_number).strip()[:40]
    cpf_file.participation_exemption = exemption
    cpf_file.participation_cents = cpf_rules.participation_forfaitaire_cents(on=confirmed_on, exemption=exemption)
    cpf_file.save()
    audit_event_record(
        action="billing.cpf_declaration_recorded", actor=actor, target=bilan,
        details={"previous_within_five_years": cpf_file.previous_bilan_within_five_years, "participation_cents": cpf_file.participation_cents},
    )
    return cpf_file


@transaction.atomic
def cpf_edof_record(
    *,
    actor,
    bilan,
    event: str,
    on: date,
    completion_percent: int | None = None,
    partial_reason: str = "",
    undelivered_minutes: int = 0,
    declared: bool = False,
    now=None,
) -> CpfFile:
    """CPF-06: the effective entry or exit date of the beneficiary (``declared=True`` once it is
    declared on EDOF), or the service-fait declaration with the completion rate."""
    now = now or timezone.now()
    cpf_file, _ = CpfFile.objects.select_for_update().get_or_create(bilan=bilan)
    if event == "entry":
        cpf_file.entry_date = on
        cpf_file.entry_declared_at = now if declared else cpf_file.entry_declared_at
    elif event == "exit":
        if cpf_file.entry_date and on < cpf_file.entry_date:
            raise InvalidInput("La sortie précède l'entrée.", code="cpf_exit_before_entry")
        cpf_file.exit_date = on
        cpf_file.exit_declared_at = now if declared else cpf_file.exit_declared_at
    elif event == "service_done":
        if completion_percent is None or not 0 <= int(completion_percent) <= 100:
            raise InvalidInput("Le taux de réalisation est compris entre 0 et 100 %.", code="cpf_completion_invalid")
        if int(completion_percent) < 100 and partial_reason not in ("abandon", "interruption", "force_majeure"):
            raise InvalidInput("Une réalisation partielle demande un motif.", code="cpf_partial_reason_required")
        cpf_file.completion_percent = int(completion_percent)
        cpf_file.partial_reason = partial_reason if int(completion_percent) < 100 else ""
        cpf_file.undelivered_minutes = int(undelivered_minutes) if int(completion_percent) < 100 else 0
        cpf_file.service_done_declared_at = now
    else:
        raise InvalidInput("Événement EDOF inconnu.", code="edof_event_invalid")
    cpf_file.save()
    audit_event_record(action=f"billing.edof_{event}", actor=actor, target=bilan, details={"on": on.isoformat(), "declared": declared})
    return cpf_file
