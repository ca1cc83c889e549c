"""Reads of the quality app: result indicators (indicator 2) and the coverage of every
indicator by the evidence the platform holds and the administrator attached."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q

from bilans.quality import sources
from bilans.quality.indicators import INDICATORS, Indicator
from bilans.quality.models import Complaint, Evidence, ImprovementAction, Partner, ResultPublication, StaffQualification, StaffTraining, WatchEntry

COVERED, PARTIAL, MISSING, NOT_APPLICABLE = "covered", "partial", "missing", "not_applicable"
STATUS_LABELS = {COVERED: "Couvert", PARTIAL: "Partiel", MISSING: "Manquant", NOT_APPLICABLE: "Sans objet"}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def result_figures(*, start: date, end: date) -> dict:
    """Indicator 2, from real data: bilans started, finished and abandoned in the period,
    completion and abandonment rates (over bilans that ended), satisfaction (share of answers
    scoring 4 or 5 out of 5, and the mean score)."""
    Bilan = sources.model("bilans", "Bilan")
    ended = sources.ended_field(Bilan)
    started_field = "started_at" if sources.has_field(Bilan, "started_at") else "created_at"
    window = {f"{started_field}__gte": sources.day_start(start), f"{started_field}__lte": sources.day_end(end)}
    started = Bilan.objects.filter(**window).exclude(status="prospect").count()
    ended_window = {f"{ended}__gte": sources.day_start(start), f"{ended}__lte": sources.day_end(end)}
    counts = Bilan.objects.filter(**ended_window).aggregate(
        finished=Count("pk", filter=Q(status__in=sources.FINISHED)), abandoned=Count("pk", filter=Q(status="abandoned"))
    )
    finished, abandoned = counts["finished"], counts["abandoned"]
    surveys = sources.answered_surveys(start, end)
    answers = satisfied = 0
    mean = None
    if surveys is not None:
        stats = surveys.aggregate(n=Count("pk"), ok=Count("pk", filter=Q(score__gte=4)), total=Count("pk"))
        answers, satisfied = stats["n"], stats["ok"]
        if answers:
            scores = list(surveys.values_list("score", flat=True))
            mean = round(sum(scores) / len(scores), 2)
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "bilans_started": started,
        "bilans_finished": finished,
        "bilans_abandoned": abandoned,
        "completion_rate": _rate(finished, finished + abandoned),
        "abandonment_rate": _rate(abandoned, finished + abandoned),
        "satisfaction_answers": answers,
        "satisfaction_rate": _rate(satisfied, answers),
        "satisfaction_mean": mean,
    }


def latest_publication() -> ResultPublication | None:
    return ResultPublication.objects.order_by("-published_at").first()


@dataclass
class EvidenceItem:
    label: str
    count: int = 0
    url: str = ""


@dataclass
class IndicatorStatus:
    indicator: Indicator
    status: str
    evidence: list[EvidenceItem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _by_share(done: int, total: int, *, full: float = 0.8) -> str:
    if total and done >= full * total:
        return COVERED
    return PARTIAL if done else MISSING


def coverage(*, start: date, end: date) -> list[IndicatorStatus]:
    """Covered / partial / missing for each indicator over a period, with the evidence found
    and what is missing. Attached documents count for every indicator: they cover the ones
    that only attachments can prove (1, 17, 19, 27) and lift a missing one to partial."""
    from organisations.accounts.models import Role, User

    Bilan = sources.model("bilans", "Bilan")
    bilans = sources.bilans_in_period(start, end)
    bilan_ids = list(bilans.values_list("pk", flat=True))
    total = len(bilan_ids)
    attachments = dict(Evidence.objects.values_list("indicator").annotate(n=Count("pk")).values_list("indicator", "n"))
    objectives = sources.objectives_per_bilan(bilan_ids)
    sessions = sources.sessions_in_period(start, end)
    year_ago = end - timedelta(days=365)
    consultants = list(User.objects.filter(role=Role.CONSULTANT, is_active=True).values_list("pk", flat=True))
    results = []

    for indicator in INDICATORS:
        n = indicator.number
        item = IndicatorStatus(indicator, NOT_APPLICABLE)
        if not indicator.applies_to_bc:
            results.append(item)
            continue
        status = MISSING
        if n == 2:
            publication = latest_publication()
            if publication and publication.published_at.date() >= year_ago:
                status = COVERED
                item.evidence.append(EvidenceItem(f"Résultats publiés le {publication.published_at:%d/%m/%Y}", 1, "/resultats/"))
            else:
                status = PARTIAL if total else MISSING
                item.missing.append("Publiez les indicateurs de résultats de moins d'un an sur votre page publique.")
        elif n in (4, 5):
            with_objectives = sum(1 for pk in bilan_ids if objectives.get(pk, (0, 0))[0] > 0)
            if sources.has_field(Bilan, "started_at"):
                started = bilans.filter(started_at__isnull=False).count()
                item.evidence.append(EvidenceItem("Bilans entrés en phase préliminaire", started))
            item.evidence.append(EvidenceItem("Bilans avec objectifs co-définis", with_objectives))
            status = _by_share(with_objectives, total)
            if status != COVERED:
                item.missing.append(f"Objectifs renseignés pour {with_objectives} bilan(s) sur {total}.")
        elif n == 6:
            planned = sessions.values("bilan_id").distinct().count() if sessions is not None else 0
            item.evidence.append(EvidenceItem("Bilans avec un programme de séances", planned))
            status = _by_share(planned, total)
            if status != COVERED:
                item.missing.append(f"Programme de séances pour {planned} bilan(s) sur {total}.")
        elif n == 9:
            if sources.has_field(Bilan, "information_delivered_at"):
                informed = bilans.filter(information_delivered_at__isnull=False).count()
                item.evidence.append(EvidenceItem("Documents d'information remis", informed))
                status = _by_share(informed, total, full=1.0)
                if status != COVERED:
                    item.missing.append(f"Document d'information non remis pour {total - informed} bilan(s).")
        elif n == 10:
            if sessions is not None:
                attended = sessions.filter(attendance="attended")
                item.evidence.append(EvidenceItem("Séances réalisées (journal)", attended.count()))
                logged = attended.values("bilan_id").distinct().count()
                status = _by_share(logged, total)
                if status != COVERED:
                    item.missing.append(f"Séances consignées pour {logged} bilan(s) sur {total}.")
        elif n == 11:
            ended = bilans.filter(status__in=sources.FINISHED)
            n_ended = ended.count()
            assessed = sum(1 for pk in ended.values_list("pk", flat=True) if objectives.get(pk, (0, 0))[1] > 0)
            item.evidence.append(EvidenceItem("Bilans terminés avec objectifs évalués", assessed))
            if sources.has_field(Bilan, "synthesis_delivered_at"):
                item.evidence.append(EvidenceItem("Synthèses remises", ended.filter(synthesis_delivered_at__isnull=False).count()))
            status = _by_share(assessed, n_ended) if n_ended else MISSING
            if status != COVERED:
                item.missing.append("Évaluez l'atteinte des objectifs de chaque bilan terminé.")
        elif n == 12:
            abandoned = bilans.filter(status="abandoned").count()
            item.evidence.append(EvidenceItem("Abandons avec motif consigné", abandoned))
            if sessions is not None:
                item.evidence.append(EvidenceItem("Absences suivies", sessions.filter(attendance="absent").count()))
            status = COVERED if total else MISSING
        elif n == 18:
            assigned = bilans.filter(consultant__isnull=False).count()
            item.evidence.append(EvidenceItem("Bilans avec un consultant affecté", assigned))
            status = _by_share(assigned, total, full=1.0)
            if status != COVERED:
                item.missing.append(f"{total - assigned} bilan(s) sans consultant affecté.")
        elif n == 21:
            qualified = set(StaffQualification.objects.filter(user_id__in=consultants).values_list("user_id", flat=True))
            item.evidence.append(EvidenceItem("Consultants dont les compétences sont renseignées", len(qualified), "/qualite/equipe/"))
            status = _by_share(len(qualified), len(consultants), full=1.0) if consultants else MISSING
            if status != COVERED:
                item.missing.append(f"Qualifications renseignées pour {len(qualified)} consultant(s) sur {len(consultants)}.")
        elif n == 22:
            trained = set(StaffTraining.objects.filter(user_id__in=consultants, dated__gte=year_ago).values_list("user_id", flat=True))
            item.evidence.append(EvidenceItem("Consultants formés ou supervisés dans l'année", len(trained), "/qualite/equipe/"))
            status = _by_share(len(trained), len(consultants), full=1.0) if consultants else MISSING
            if status != COVERED:
                item.missing.append(f"Formation ou supervision dans l'année pour {len(trained)} consultant(s) sur {len(consultants)}.")
        elif n in (23, 24, 25):
            kind = {23: "legal", 24: "jobs", 25: "innovation"}[n]
            entries = WatchEntry.objects.filter(kind=kind, dated__gte=year_ago, dated__lte=end)
            exploited = entries.exclude(action_taken="").count()
            item.evidence.append(EvidenceItem("Entrées de veille datées (12 mois)", entries.count(), "/qualite/veille/"))
            status = COVERED if exploited else (PARTIAL if entries.exists() else MISSING)
            if status != COVERED:
                item.missing.append("Consignez une veille datée et ce que vous en avez fait.")
        elif n in (26, 27):
            kind = "disability" if n == 26 else "subcontractor"
            partners = Partner.objects.filter(kind=kind).count()
            item.evidence.append(EvidenceItem("Partenaires handicap" if n == 26 else "Sous-traitants enregistrés", partners, "/qualite/partenaires/"))
            status = COVERED if partners else MISSING
            if status != COVERED:
                item.missing.append(
                    "Renseignez vos partenaires handicap (Agefiph, Cap emploi, MDPH)." if n == 26
                    else "Renseignez vos sous-traitants, ou joignez une attestation d'absence de sous-traitance."
                )
        elif n == 30:
            surveys = sources.answered_surveys(start, end)
            answered = surveys.count() if surveys is not None else 0
            item.evidence.append(EvidenceItem("Questionnaires de satisfaction répondus", answered))
            status = COVERED if answered else MISSING
            if not attachments.get(30):
                item.missing.append("Joignez le questionnaire adressé aux financeurs ou employeurs.")
                status = PARTIAL if answered else MISSING
        elif n == 31:
            complaints = Complaint.objects.filter(received_on__gte=start, received_on__lte=end)
            item.evidence.append(EvidenceItem("Réclamations enregistrées", complaints.count(), "/qualite/reclamations/"))
            item.evidence.append(EvidenceItem("Réclamations closes", complaints.filter(status="closed").count()))
            status = COVERED if attachments.get(31) else PARTIAL
            if not attachments.get(31):
                item.missing.append("Joignez votre procédure de traitement des réclamations.")
            if complaints.filter(status="open", answer_due_on__lt=end).exists():
                status = PARTIAL
                item.missing.append("Des réclamations dépassent leur délai de réponse.")
        elif n == 32:
            actions = ImprovementAction.objects.filter(decided_on__lte=end, decided_on__gte=year_ago)
            item.evidence.append(EvidenceItem("Actions d'amélioration (12 mois)", actions.count(), "/qualite/ameliorations/"))
            status = COVERED if actions.exists() else MISSING
            if status != COVERED:
                item.missing.append("Consignez au moins une action d'amélioration reliée aux appréciations ou réclamations.")
        # Attached documents (1, 17, 19 rely on them only).
        attached = attachments.get(n, 0)
        if attached:
            item.evidence.append(EvidenceItem("Documents joints", attached, f"/qualite/indicateurs/{n}/"))
            if n in (1, 17, 19, 27) or status == MISSING:
                status = COVERED if n in (1, 17, 19, 27) else PARTIAL
        elif n in (1, 17, 19):
            item.missing.append("Joignez la preuve attendue : " + indicator.expected)
        item.status = status
        if status == COVERED:
            item.missing = []
        results.append(item)
    return results


def coverage_summary(statuses: list[IndicatorStatus]) -> dict:
    counts = {COVERED: 0, PARTIAL: 0, MISSING: 0, NOT_APPLICABLE: 0}
    for status in statuses:
        counts[status.status] += 1
    return counts


def evidence_content(evidence: Evidence) -> bytes:
    """The original bytes of an evidence file: decrypted when it is encrypted at rest (every file
    attached since encryption), as stored for a file attached before (``encrypted`` is False)."""
    from config.crypto import encrypted_file_read
    from config.errors import NotFound

    if not evidence.file:
        raise NotFound("Cette preuve n'a pas de fichier joint.", code="evidence_file_missing")
    try:
        if evidence.encrypted:
            return encrypted_file_read(evidence.file)
        with evidence.file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise NotFound("Le fichier de cette preuve est introuvable.", code="evidence_file_missing") from None
