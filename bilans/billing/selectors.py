"""Reads of the billing app: balances, outstanding and overdue invoices, EDOF reminders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bilans.billing import cpf as cpf_rules
from bilans.billing.models import BillingDocument, CpfFile, Payment


def invoices_with_balance() -> QuerySet:
    """Issued invoices annotated with paid_cents, credited_cents and outstanding_cents."""
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(s=Sum("amount_cents")).values("s")
    )
    credited = (
        BillingDocument.objects.filter(credited_invoice=OuterRef("pk"), kind="credit_note")
        .order_by()
        .values("credited_invoice")
        .annotate(s=Sum("total_ttc_cents"))
        .values("s")
    )
    return (
        BillingDocument.objects.filter(kind="invoice", status="issued")
        .select_related("funder", "bilan__beneficiary")
        .annotate(
            paid_cents=Coalesce(Subquery(paid, output_field=IntegerField()), Value(0)),
            credited_cents=Coalesce(Subquery(credited, output_field=IntegerField()), Value(0)),
        )
        .annotate(outstanding_cents=F("total_ttc_cents") - F("paid_cents") - F("credited_cents"))
    )


def invoices_outstanding() -> QuerySet:
    return invoices_with_balance().filter(outstanding_cents__gt=0).order_by("due_on", "number")


def invoices_overdue(*, today: date) -> QuerySet:
    return invoices_outstanding().filter(due_on__lt=today)


def documents_of_bilan(bilan) -> QuerySet:
    return BillingDocument.objects.filter(bilan=bilan).select_related("funder").order_by("created_at")


def documents_list(*, kind: str | None = None, status: str | None = None) -> QuerySet:
    qs = BillingDocument.objects.select_related("funder", "bilan__beneficiary").order_by("-issued_on", "-created_at")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs


@dataclass
class EdofReminder:
    cpf_file: CpfFile
    event: str  # entry | exit | service_done
    label: str
    event_date: date
    due_on: date
    overdue: bool


def edof_reminders(*, today: date) -> list[EdofReminder]:
    """CPF-06: entries and exits not yet declared on EDOF, then the "service fait" declaration
    once the exit is declared, with their deadline (3 working days after the entry or the
    exit)."""
    reminders = []
    files = CpfFile.objects.select_related("bilan__beneficiary")
    pending = (
        files.filter(entry_date__isnull=False, entry_declared_at__isnull=True)
        | files.filter(exit_date__isnull=False, exit_declared_at__isnull=True)
        | files.filter(exit_date__isnull=False, exit_declared_at__isnull=False, service_done_declared_at__isnull=True)
    )
    for cpf_file in pending.distinct():
        for event, label, event_date, declared in (
            ("entry", "Déclarer l'entrée en formation sur EDOF", cpf_file.entry_date, cpf_file.entry_declared_at),
            ("exit", "Déclarer la sortie de formation sur EDOF", cpf_file.exit_date, cpf_file.exit_declared_at),
            (
                "service_done", "Déclarer le service fait sur EDOF (taux de réalisation)",
                cpf_file.exit_date if cpf_file.exit_declared_at else None, cpf_file.service_done_declared_at,
            ),
        ):
            if event_date and not declared:
                due = cpf_rules.add_working_days(event_date, cpf_rules.EDOF_DEADLINE_WORKING_DAYS)
                reminders.append(EdofReminder(cpf_file, event, label, event_date, due, today > due))
    return sorted(reminders, key=lambda r: r.due_on)


def revenue_by_funder_kind(*, start: date, end: date) -> dict[str, int]:
    """Invoiced revenue excl. VAT between two dates (credit notes deducted), by funder kind."""
    result: dict[str, int] = {}
    rows = (
        BillingDocument.objects.filter(kind__in=["invoice", "credit_note"], status="issued", issued_on__gte=start, issued_on__lte=end)
        .values("kind", "funder__kind")
        .annotate(total=Sum("total_ht_cents"))
    )
    for row in rows:
        sign = -1 if row["kind"] == "credit_note" else 1
        result[row["funder__kind"]] = result.get(row["funder__kind"], 0) + sign * row["total"]
    return result


def bilans_to_invoice(*, search: str = "", limit: int = 30):
    """Bilans past the free preliminary interview without an issued invoice (or matching a
    search on the beneficiary's name), to open their billing page."""
    from django.db.models import Exists, Q

    from bilans.models import Bilan

    qs = Bilan.objects.exclude(status="prospect").select_related("beneficiary", "consultant")
    if search:
        for word in search.split()[:3]:
            qs = qs.filter(Q(beneficiary__last_name__icontains=word) | Q(beneficiary__first_name__icontains=word))
    else:
        invoiced = BillingDocument.objects.filter(bilan=OuterRef("pk"), kind="invoice", status="issued")
        qs = qs.filter(~Exists(invoiced))
    return qs.order_by("-created_at")[:limit]


def invoices_of_beneficiary(user) -> QuerySet:
    """The issued invoices addressed to a self-funded beneficiary (the bilans the permissions
    module lets this user see, invoiced to the beneficiary), with their balance."""
    from organisations.permissions import bilans_visible_to

    return (
        invoices_with_balance()
        .filter(bilan__in=bilans_visible_to(user), funder__kind="beneficiary")
        .order_by("-issued_on", "-number")
    )
