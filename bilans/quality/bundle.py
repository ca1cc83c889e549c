"""The Qualiopi audit bundle: a ZIP with an index PDF and, per indicator, the evidence the
platform holds for a period (CSV files) and the documents the administrator attached.

Beneficiaries are anonymised: a bilan is « B-0001 » (creation order), no name, e-mail, free
text written about or by a beneficiary (comments, abandonment reasons) is ever exported.
Staff data (consultants' qualifications and training) are not beneficiary data and stay named.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

from django.utils import timezone

from bilans.quality import sources
from bilans.quality.indicators import BY_NUMBER
from bilans.quality.models import Complaint, Evidence, ImprovementAction, Partner, StaffQualification, StaffTraining, WatchEntry
from bilans.quality.selectors import coverage, coverage_summary, evidence_content, result_figures
from config.errors import NotFound


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def _d(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        local = value.astimezone(sources.PARIS)
        return f"{local.day:02d}/{local.month:02d}/{local.year} {local.hour:02d}:{local.minute:02d}"
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _folder(number: int) -> str:
    return f"indicateur-{number:02d}"


def evidence_files(*, start: date, end: date) -> dict[str, bytes]:
    """path in the ZIP → content, for every indicator that has evidence."""
    Bilan = sources.model("bilans", "Bilan")
    bilans = sources.bilans_in_period(start, end)
    names = sources.pseudonyms(bilans)
    files: dict[str, bytes] = {}

    fields = [f for f in ("started_at", "information_delivered_at", "synthesis_delivered_at", "ended_at") if sources.has_field(Bilan, f)]
    objectives = sources.objectives_per_bilan(list(names))
    rows = []
    for row in bilans.order_by("created_at", "pk").values("pk", "status", "consultant_id", *fields):
        n_obj, assessed = objectives.get(row["pk"], (0, 0))
        rows.append([names[row["pk"]], row["status"], "oui" if row["consultant_id"] else "non", *[_d(row[f]) for f in fields], n_obj, assessed])
    header = ["Bilan", "Statut", "Consultant affecté", *fields, "Objectifs", "Objectifs évalués"]
    bilans_csv = _csv(header, rows)
    for number in (4, 5, 9, 11, 18):
        files[f"{_folder(number)}/bilans.csv"] = bilans_csv

    sessions = sources.sessions_in_period(start, end)
    if sessions is not None:
        wanted = [f for f in ("kind", "interview_type", "modality", "duration_minutes", "attendance") if sources.has_field(sessions.model, f)]
        session_rows = [
            [names.get(s["bilan_id"], "hors période"), _d(s["starts_at"]), *[s[f] for f in wanted]]
            for s in sessions.order_by("starts_at").values("bilan_id", "starts_at", *wanted)
        ]
        labels = {"kind": "Type", "interview_type": "Entretien", "modality": "Modalité", "duration_minutes": "Durée (min)", "attendance": "Présence"}
        session_header = ["Bilan", "Date", *[labels[f] for f in wanted]]
        data = _csv(session_header, session_rows)
        files[f"{_folder(6)}/seances.csv"] = data
        files[f"{_folder(10)}/seances.csv"] = data
        absent = [r for r in session_rows if "attendance" in wanted and r[-1] == "absent"]
        files[f"{_folder(12)}/absences.csv"] = _csv(session_header, absent)
    abandoned = bilans.filter(status="abandoned").values_list("pk", flat=True)
    files[f"{_folder(12)}/abandons.csv"] = _csv(["Bilan", "Motif consigné"], [[names[pk], "oui"] for pk in abandoned])

    surveys = sources.answered_surveys(start, end)
    if surveys is not None:
        files[f"{_folder(30)}/satisfaction.csv"] = _csv(
            ["Bilan", "Questionnaire", "Répondu le", "Note sur 5", "Objectifs atteints"],
            [
                [names.get(s["bilan_id"], "hors période"), s["kind"], _d(s["answered_at"]), s["score"], {True: "oui", False: "non"}.get(s["objectives_met"], "")]
                for s in surveys.order_by("answered_at").values("bilan_id", "kind", "answered_at", "score", "objectives_met")
            ],
        )

    files[f"{_folder(21)}/qualifications.csv"] = _csv(
        ["Consultant", "Type", "Intitulé", "Obtenu le", "Expire le"],
        [[q.user.get_full_name() or q.user.email, q.get_kind_display(), q.title, _d(q.obtained_on), _d(q.expires_on)]
         for q in StaffQualification.objects.select_related("user")],
    )
    files[f"{_folder(22)}/formations.csv"] = _csv(
        ["Consultant", "Type", "Intitulé", "Date", "Heures"],
        [[t.user.get_full_name() or t.user.email, t.get_kind_display(), t.title, _d(t.dated), t.hours]
         for t in StaffTraining.objects.select_related("user").filter(dated__lte=end)],
    )
    for kind, number in WatchEntry.INDICATOR.items():
        files[f"{_folder(number)}/veille.csv"] = _csv(
            ["Date", "Source", "À retenir", "Exploitation"],
            [[_d(w.dated), w.source, w.summary, w.action_taken] for w in WatchEntry.objects.filter(kind=kind, dated__lte=end)],
        )
    for kind, number in (("disability", 26), ("subcontractor", 27)):
        files[f"{_folder(number)}/partenaires.csv"] = _csv(
            ["Nom", "Contact", "Vérifié le", "Notes"],
            [[p.name, p.contact, _d(p.checked_on), p.notes] for p in Partner.objects.filter(kind=kind)],
        )
    complaints = Complaint.objects.filter(received_on__gte=start, received_on__lte=end)
    files[f"{_folder(31)}/reclamations.csv"] = _csv(
        ["Reçue le", "Origine", "Objet", "Bilan", "Réponse attendue le", "État", "Close le"],
        [[_d(c.received_on), c.get_source_display(), c.subject, names.get(c.bilan_id, ""), _d(c.answer_due_on), c.get_status_display(), _d(c.closed_on)]
         for c in complaints],
    )
    files[f"{_folder(32)}/actions.csv"] = _csv(
        ["Décidée le", "Action", "Origine", "Responsable", "Échéance", "Réalisée le", "Effet constaté"],
        [[_d(a.decided_on), a.title, a.get_origin_display(), a.owner, _d(a.due_on), _d(a.done_on), a.result]
         for a in ImprovementAction.objects.filter(decided_on__lte=end)],
    )
    for evidence in Evidence.objects.filter(dated__lte=end).exclude(file=""):
        try:  # the auditor gets the original bytes, decrypted when encrypted at rest
            files[f"{_folder(evidence.indicator)}/pieces/{evidence.pk.hex[:8]}-{evidence.filename or 'piece'}"] = evidence_content(evidence)
        except NotFound:  # a file lost from the storage: the index still lists the evidence
            pass
    return files


def build_audit_bundle(*, start: date, end: date, organisation_name: str) -> bytes:
    from bilans.billing.pdf import render_pdf

    statuses = coverage(start=start, end=end)
    figures = result_figures(start=start, end=end)
    files = evidence_files(start=start, end=end)
    index_pdf = render_pdf(
        "quality/pdf/index.html",
        {
            "organisation_name": organisation_name, "start": start, "end": end, "statuses": statuses, "summary": coverage_summary(statuses),
            "figures": figures, "generated_at": timezone.localtime(), "files": sorted(files),
        },
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("00-index.pdf", index_pdf)
        archive.writestr(
            "indicateurs.csv",
            _csv(
                ["Indicateur", "Intitulé", "Applicable", "État", "Preuves", "Manques"],
                [
                    [s.indicator.number, s.indicator.title, "oui" if s.indicator.applies_to_bc else "non (Q-04)", s.status_label,
                     " | ".join(f"{e.label} : {e.count}" for e in s.evidence), " | ".join(s.missing)]
                    for s in statuses
                ],
            ),
        )
        archive.writestr("indicateur-02/resultats.json", json.dumps(figures, ensure_ascii=False, indent=2))
        for path, content in sorted(files.items()):
            if int(path[len("indicateur-"):len("indicateur-") + 2]) in BY_NUMBER:
                archive.writestr(path, content)
    return buffer.getvalue()
