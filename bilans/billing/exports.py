"""Accounting exports: the FEC of a fiscal year (EI-06) and a CSV for accounting tools such as
Pennylane.

FEC (LPF A47 A-1, BOI-CF-IOR-60-40-20): one flat file per fiscal year named
``<SIREN>FEC<closing date AAAAMMJJ>.txt``, tab-separated, the 18 fields in order, amounts with a
decimal comma, entries in chronological order, every entry balanced (debit = credit). The sales
journal has one entry per invoice or credit note (client 411 / revenue 706 / VAT 44571), the bank
journal one entry per payment received (bank 512 / client 411).

Opening entries (à-nouveaux, journal ``AN``) come first, dated the first day of the fiscal year:
one balanced entry per invoice still open at the end of the previous years (issued before the
year, less its credit notes and payments dated before the year), on the customer account 411
with the funder's auxiliary account and the invoice number as piece, so that the accountant can
letter it with this year's payment. Their counterpart is 890000 "Bilan d'ouverture" (PCG class
89), the usual transit account of opening entries. The bank (512) and VAT (44571) balances are
not carried forward: the platform only sees the receipts of its invoices, not the bank's other
movements nor the VAT paid to the State, so those balances belong to the main bookkeeping.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bilans.billing.models import BillingDocument, Payment
from bilans.billing.services import current_organisation, settings_get

FEC_FIELDS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum", "CompAuxLib",
    "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)


def fiscal_year_bounds(year: int, settings=None) -> tuple[date, date]:
    """(first day, closing day) of the fiscal year that closes in ``year``."""
    settings = settings or settings_get()
    month, day = settings.fiscal_year_end_month, settings.fiscal_year_end_day
    while True:
        try:
            closing = date(year, month, day)
            break
        except ValueError:  # 31 in a 30-day month, 29 February…
            day -= 1
    try:
        previous = date(year - 1, month, min(day, 28) if month == 2 else day)
    except ValueError:
        previous = date(year - 1, month, 28)
    return previous + timedelta(days=1), closing


def _amount(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _clean(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").replace("|", "/").split())


@dataclass
class FecLine:
    journal_code: str
    journal_label: str
    entry_number: str
    entry_date: date
    account: str
    account_label: str
    aux_account: str
    aux_label: str
    piece_ref: str
    piece_date: date
    label: str
    debit: int
    credit: int

    def as_row(self) -> list[str]:
        return [
            self.journal_code, self.journal_label, self.entry_number, f"{self.entry_date:%Y%m%d}", self.account,
            _clean(self.account_label), self.aux_account, _clean(self.aux_label), self.piece_ref, f"{self.piece_date:%Y%m%d}",
            _clean(self.label), _amount(self.debit), _amount(self.credit), "", "", f"{self.entry_date:%Y%m%d}", "", "",
        ]


OPENING_JOURNAL = ("AN", "À-nouveaux")
OPENING_ACCOUNT = ("890000", "Bilan d'ouverture")


def opening_balances(*, start: date) -> list[tuple[BillingDocument, int]]:
    """(invoice, balance in cents) of every invoice issued before ``start`` whose customer
    balance at the end of the previous day is not zero: positive when still due, negative when
    the organisation owes a refund (a credit note after a full payment)."""
    credited = (
        BillingDocument.objects.filter(kind="credit_note", status="issued", credited_invoice=OuterRef("pk"), issued_on__lt=start)
        .order_by()
        .values("credited_invoice")
        .annotate(s=Sum("total_ttc_cents"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"), received_on__lt=start).order_by().values("invoice").annotate(s=Sum("amount_cents")).values("s")
    )
    invoices = (
        BillingDocument.objects.filter(kind="invoice", status="issued", issued_on__lt=start)
        .select_related("funder")
        .annotate(
            opening_credited=Coalesce(Subquery(credited, output_field=IntegerField()), Value(0)),
            opening_paid=Coalesce(Subquery(paid, output_field=IntegerField()), Value(0)),
        )
        .order_by("issued_on", "sequence")
    )
    result = []
    for invoice in invoices:
        balance = invoice.total_ttc_cents - invoice.opening_credited - invoice.opening_paid
        if balance:
            result.append((invoice, balance))
    return result


def _opening_lines(*, start: date, settings, first_number: int) -> list[FecLine]:
    lines: list[FecLine] = []
    for offset, (invoice, balance) in enumerate(opening_balances(start=start)):
        funder = invoice.funder
        common = dict(
            journal_code=OPENING_JOURNAL[0], journal_label=OPENING_JOURNAL[1], entry_number=f"{first_number + offset:06d}",
            entry_date=start, piece_ref=invoice.number, piece_date=invoice.issued_on,
            label=f"À-nouveau facture {invoice.number} {invoice.buyer.get('name', funder.name)}",
        )
        debit, credit = (balance, 0) if balance > 0 else (0, -balance)
        lines.append(
            FecLine(**common, account=settings.customer_account, account_label="Clients", aux_account=funder.account_code,
                    aux_label=funder.name, debit=debit, credit=credit)
        )
        lines.append(
            FecLine(**common, account=OPENING_ACCOUNT[0], account_label=OPENING_ACCOUNT[1], aux_account="", aux_label="",
                    debit=credit, credit=debit)
        )
    return lines


def fec_lines(*, start: date, end: date) -> list[FecLine]:
    settings = settings_get()
    lines: list[FecLine] = _opening_lines(start=start, settings=settings, first_number=1)
    first_number = len({line.entry_number for line in lines}) + 1
    events = []
    documents = BillingDocument.objects.filter(
        kind__in=["invoice", "credit_note"], status="issued", issued_on__gte=start, issued_on__lte=end
    ).select_related("funder")
    for document in documents:
        events.append((document.issued_on, 0, document.number, document))
    for payment in Payment.objects.filter(received_on__gte=start, received_on__lte=end).select_related("invoice__funder"):
        events.append((payment.received_on, 1, str(payment.pk), payment))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    for number, (day, _, _, item) in enumerate(events, start=first_number):
        entry = f"{number:06d}"
        if isinstance(item, BillingDocument):
            funder = item.funder
            credit_note = item.kind == "credit_note"
            label = f"{'Avoir' if credit_note else 'Facture'} {item.number} {item.buyer.get('name', funder.name)}"
            common = dict(
                journal_code=settings.sales_journal, journal_label="Journal des ventes", entry_number=entry, entry_date=day,
                piece_ref=item.number, piece_date=item.issued_on, label=label,
            )

            def line(account, account_label, amount, *, debit_side, aux=("", "")):
                debit, credit = (amount, 0) if debit_side != credit_note else (0, amount)
                return FecLine(**common, account=account, account_label=account_label, aux_account=aux[0], aux_label=aux[1], debit=debit, credit=credit)

            lines.append(line(settings.customer_account, "Clients", item.total_ttc_cents, debit_side=True, aux=(funder.account_code, funder.name)))
            lines.append(line(settings.revenue_account, "Prestations de services", item.total_ht_cents, debit_side=False))
            if item.vat_cents:
                lines.append(line(settings.vat_account, "TVA collectée", item.vat_cents, debit_side=False))
        else:
            invoice = item.invoice
            common = dict(
                journal_code=settings.bank_journal, journal_label="Journal de banque", entry_number=entry, entry_date=day,
                piece_ref=invoice.number, piece_date=day, label=f"Règlement {invoice.number} {invoice.funder.name}",
            )
            lines.append(FecLine(**common, account=settings.bank_account, account_label="Banque", aux_account="", aux_label="", debit=item.amount_cents, credit=0))
            lines.append(
                FecLine(
                    **common, account=settings.customer_account, account_label="Clients", aux_account=invoice.funder.account_code,
                    aux_label=invoice.funder.name, debit=0, credit=item.amount_cents,
                )
            )
    return lines


def fec_export(*, year: int) -> tuple[str, bytes]:
    """(file name, content) of the FEC of the fiscal year closing in ``year``."""
    start, end = fiscal_year_bounds(year)
    siren = current_organisation().siren or "000000000"
    out = io.StringIO()
    out.write("\t".join(FEC_FIELDS) + "\r\n")
    for line in fec_lines(start=start, end=end):
        out.write("\t".join(line.as_row()) + "\r\n")
    return f"{siren}FEC{end:%Y%m%d}.txt", out.getvalue().encode("utf-8")


CSV_FIELDS = (
    "Date", "Numéro de pièce", "Type", "Client", "SIREN client", "Compte client", "Libellé", "Montant HT", "TVA", "Montant TTC",
    "Date d'échéance", "Compte de produit", "Journal",
)


def _csv_amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


def accounting_csv(*, start: date, end: date) -> bytes:
    """One row per issued invoice or credit note (credit notes negative), semicolon-separated,
    decimal comma, UTF-8 with BOM: the import format of Pennylane-like tools."""
    settings = settings_get()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    documents = BillingDocument.objects.filter(
        kind__in=["invoice", "credit_note"], status="issued", issued_on__gte=start, issued_on__lte=end
    ).select_related("funder").order_by("issued_on", "kind", "sequence")
    for document in documents:
        sign = -1 if document.kind == "credit_note" else 1
        writer.writerow(
            [
                f"{document.issued_on:%d/%m/%Y}", document.number, document.get_kind_display(), document.buyer.get("name", document.funder.name),
                document.buyer.get("siren", ""), document.funder.account_code, f"{document.title} – {document.number}",
                _csv_amount(sign * document.total_ht_cents), _csv_amount(sign * document.vat_cents), _csv_amount(sign * document.total_ttc_cents),
                f"{document.due_on:%d/%m/%Y}" if document.due_on else "", settings.revenue_account, settings.sales_journal,
            ]
        )
    return out.getvalue().encode("utf-8")
