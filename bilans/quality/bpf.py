"""The Bilan Pédagogique et Financier (cerfa 10443) figures of a fiscal year (BPF-05), computed
from the platform on the fiscal year (not the calendar year): revenue excl. VAT by funding source
(frame C, from issued invoices less credit notes), consultants and their hours (E), beneficiaries
by type and hours (F-1), subcontracted activity (F-2), objective « bilan de compétences » (F-3).
Charges (D) and what the platform cannot know are lines marked « à compléter par la
comptabilité »."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from bilans.billing.exports import fiscal_year_bounds
from bilans.billing.selectors import revenue_by_funder_kind
from bilans.quality import sources

# Frame C lines (cerfa 10443) fed by each kind of funder.
REVENUE_LINES = (
    ("C-1", "Entreprises pour la formation de leurs salariés", ("employer",)),
    ("C-2e", "OPCO / Caisse des Dépôts : compte personnel de formation (CPF)", ("cpf",)),
    ("C-2h", "OPCO : plan de développement des compétences et autres dispositifs", ("opco",)),
    ("C-4", "France Travail (ex-Pôle emploi)", ("france_travail",)),
    ("C-9", "Contrats conclus avec des personnes à titre individuel et à leurs frais", ("beneficiary",)),
    ("C-11", "Autres produits au titre de la formation professionnelle", ("other",)),
)


@dataclass
class BpfLine:
    frame: str
    code: str
    label: str
    value: int | float | None
    unit: str
    needs_input: bool = False
    note: str = ""

    @property
    def display(self) -> str:
        if self.value is None:
            return "à compléter"
        if self.unit == "€":
            cents = int(self.value)
            return f"{cents // 100:,}".replace(",", "\u202f") + f",{cents % 100:02d} €"
        if self.unit == "h":
            return f"{self.value:.1f}".replace(".", ",") + " h"
        return str(self.value)


@dataclass
class BpfReport:
    year: int
    start: date
    end: date
    lines: list[BpfLine]


def _session_hours(start: date, end: date):
    """Attended minutes per bilan and per consultant in the period, if sessions exist."""
    Session = sources.model("bilans", "Session")
    if Session is None:
        return None, None
    attended = Session.objects.filter(
        starts_at__gte=sources.day_start(start), starts_at__lte=sources.day_end(end), attendance="attended"
    ).exclude(bilan__status="prospect")  # a prospect is not a trainee (no bilan agreed yet)
    per_bilan = dict(attended.values("bilan_id").annotate(m=Sum("duration_minutes")).values_list("bilan_id", "m"))
    per_consultant = dict(
        attended.filter(kind="accompaniment").values("bilan__consultant_id").annotate(m=Sum("duration_minutes")).values_list("bilan__consultant_id", "m")
    )
    return per_bilan, per_consultant


def _subcontracted_line(year: int) -> BpfLine:
    """F-2: hours (and trainees) confided to subcontractors for this fiscal year, from the
    subcontractor register; "à compléter" when the register has no hours for the year."""
    from bilans.quality.models import Partner

    rows = Partner.objects.filter(kind="subcontractor", fiscal_year=year, hours__isnull=False)
    figures = rows.aggregate(h=Sum("hours"), n=Sum("trainees"))
    label = "Activité sous-traitée à d'autres organismes : heures"
    if figures["h"] is None:
        return BpfLine("F-2", "F2", label, None, "h", True,
                       "À compléter si une partie des bilans a été confiée à un sous-traitant (registre des sous-traitants : heures et exercice).")
    trainees = f"{figures['n']} stagiaire(s)" if figures["n"] is not None else "stagiaires : à compléter"
    return BpfLine("F-2", "F2", label, float(figures["h"]), "h", figures["n"] is None,
                   f"D'après le registre des sous-traitants ({rows.count()} sous-traitant(s)) ; {trainees}.")


def bpf_report(*, year: int) -> BpfReport:
    from bilans.billing.models import BillingDocument

    start, end = fiscal_year_bounds(year)
    lines: list[BpfLine] = []
    revenue = revenue_by_funder_kind(start=start, end=end)
    total = 0
    for code, label, kinds in REVENUE_LINES:
        amount = sum(revenue.get(kind, 0) for kind in kinds)
        total += amount
        lines.append(BpfLine("C", code, label, amount, "€"))
    lines.append(BpfLine("C", "C-total", "Total des produits réalisés au titre de la formation professionnelle", total, "€"))
    lines.append(BpfLine("C", "C-other", "Produits d'autres activités de l'organisme", None, "€", True, "Hors plateforme : à reprendre des comptes annuels."))
    for code, label in (
        ("D-total", "Total des charges de l'organisme liées à l'activité de formation"),
        ("D-salaries", "dont salaires des formateurs"),
        ("D-purchases", "dont achats de prestations de formation et honoraires de formation"),
    ):
        lines.append(BpfLine("D", code, label, None, "€", True, "À compléter par la comptabilité (BPF-05)."))

    per_bilan, per_consultant = _session_hours(start, end)
    Bilan = sources.model("bilans", "Bilan")
    active = (
        Bilan.objects.filter(pk__in=list(per_bilan)).exclude(status="prospect") if per_bilan is not None else sources.bilans_in_period(start, end)
    )
    # Consultants (frame E): platform consultants are counted as internal staff.
    consultants = {pk for pk in (per_consultant or {}) if pk}
    internal_hours = sum((per_consultant or {}).get(pk, 0) for pk in consultants) / 60
    lines.append(BpfLine("E", "E-internal-n", "Formateurs salariés de l'organisme : nombre", len(consultants), "", False,
                         "Consultants ayant réalisé des entretiens sur l'exercice ; vérifiez leur statut (salarié ou non)."))
    lines.append(BpfLine("E", "E-internal-h", "Formateurs salariés de l'organisme : heures de formation dispensées", internal_hours, "h"))
    from bilans.quality.models import Partner

    subcontractors = Partner.objects.filter(kind="subcontractor")
    sub_hours = subcontractors.aggregate(h=Sum("hours"))["h"]
    lines.append(BpfLine("E", "E-external-n", "Formateurs extérieurs à l'organisme : nombre", subcontractors.count(), ""))
    lines.append(BpfLine("E", "E-external-h", "Formateurs extérieurs : heures dispensées", float(sub_hours) if sub_hours is not None else None, "h",
                         sub_hours is None, "Heures confiées : à renseigner dans le registre des sous-traitants."))

    # Beneficiaries by type (F-1) and hours followed.
    minutes = per_bilan or {}
    funded_by = {}
    for bilan_id, kind in BillingDocument.objects.filter(kind="invoice", status="issued", bilan_id__in=active.values("pk")).values_list("bilan_id", "funder__kind"):
        funded_by.setdefault(bilan_id, set()).add(kind)
    situation_field = sources.has_field(sources.model("bilans", "Beneficiary"), "situation")
    buckets = {"employee": [0, 0], "jobseeker": [0, 0], "individual": [0, 0], "other": [0, 0]}
    values = ["pk", "beneficiary__situation"] if situation_field else ["pk"]
    for row in active.values(*values):
        kinds = funded_by.get(row["pk"], set())
        situation = row.get("beneficiary__situation", "")
        if kinds == {"beneficiary"}:
            bucket = "individual"
        elif situation == "jobseeker" or "france_travail" in kinds:
            bucket = "jobseeker"
        elif situation == "employee" or kinds & {"employer", "opco"}:
            bucket = "employee"
        elif kinds == {"cpf"}:
            bucket = "employee" if situation in ("", "employee") else "other"
        else:
            bucket = "other"
        buckets[bucket][0] += 1
        buckets[bucket][1] += minutes.get(row["pk"], 0)
    for code, label, key in (
        ("F1-a", "Salariés d'employeurs privés", "employee"),
        ("F1-b", "Personnes en recherche d'emploi", "jobseeker"),
        ("F1-c", "Particuliers à leurs propres frais", "individual"),
        ("F1-d", "Autres stagiaires", "other"),
    ):
        count, mins = buckets[key]
        lines.append(BpfLine("F-1", code, f"{label} : nombre", count, ""))
        lines.append(BpfLine("F-1", f"{code}-h", f"{label} : heures suivies", mins / 60, "h"))
    total_count = sum(b[0] for b in buckets.values())
    total_hours = sum(b[1] for b in buckets.values()) / 60
    lines.append(BpfLine("F-1", "F1-total", "Total des stagiaires", total_count, ""))
    lines.append(_subcontracted_line(year))
    lines.append(BpfLine("F-3", "F3-bc-n", "Objectif : bilans de compétences – nombre de stagiaires", total_count, ""))
    lines.append(BpfLine("F-3", "F3-bc-h", "Objectif : bilans de compétences – heures", total_hours, "h"))
    lines.append(BpfLine("G", "G", "Activité confiée par un autre organisme de formation", None, "", True, "À compléter le cas échéant."))
    return BpfReport(year, start, end, lines)


def bpf_csv(report: BpfReport) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Cadre", "Ligne", "Libellé", "Valeur", "Unité", "À compléter par la comptabilité", "Note"])
    for line in report.lines:
        value = "" if line.value is None else (f"{line.value / 100:.2f}".replace(".", ",") if line.unit == "€" else f"{line.value:g}".replace(".", ","))
        writer.writerow([line.frame, line.code, line.label, value, line.unit, "oui" if line.needs_input else "non", line.note])
    return out.getvalue().encode("utf-8")


def bpf_pdf(report: BpfReport, *, organisation) -> bytes:
    from bilans.billing.pdf import render_pdf

    return render_pdf("quality/pdf/bpf.html", {"report": report, "organisation": organisation})
