"""What the platform already holds, read defensively: the bilan app grows in parallel (sessions,
objectives, surveys, consents…), so each source is looked up by name and skipped when absent."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import Count, Q, QuerySet

PARIS = ZoneInfo("Europe/Paris")
FINISHED = ("finished", "follow_up_done", "closed")


def model(label: str, name: str):
    try:
        return apps.get_model(label, name)
    except LookupError:
        return None


def has_field(model_class, name: str) -> bool:
    return model_class is not None and any(f.name == name for f in model_class._meta.get_fields())


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=PARIS)


def bilans_in_period(start: date, end: date) -> QuerySet:
    """Bilans that ran during the period (created before its end, not ended before its start)."""
    Bilan = model("bilans", "Bilan")
    qs = Bilan.objects.filter(created_at__lte=day_end(end)).exclude(status="prospect")
    if has_field(Bilan, "ended_at"):
        qs = qs.filter(Q(ended_at__isnull=True) | Q(ended_at__gte=day_start(start)))
    return qs


def ended_field(Bilan) -> str:
    return "ended_at" if has_field(Bilan, "ended_at") else "updated_at"


def pseudonyms(bilans: QuerySet) -> dict:
    """bilan id → « B-0001 » in creation order: the audit bundle never names a beneficiary."""
    return {pk: f"B-{n:04d}" for n, pk in enumerate(bilans.order_by("created_at", "pk").values_list("pk", flat=True), start=1)}


def sessions_in_period(start: date, end: date):
    Session = model("bilans", "Session")
    if Session is None:
        return None
    return Session.objects.filter(starts_at__gte=day_start(start), starts_at__lte=day_end(end))


def answered_surveys(start: date, end: date):
    Survey = model("bilans", "SatisfactionSurvey")
    if Survey is None:
        return None
    return Survey.objects.filter(answered_at__gte=day_start(start), answered_at__lte=day_end(end), score__isnull=False)


def objectives_per_bilan(bilan_ids) -> dict:
    Objective = model("bilans", "Objective")
    if Objective is None:
        return {}
    rows = Objective.objects.filter(bilan_id__in=bilan_ids).values("bilan_id").annotate(
        n=Count("id"), assessed=Count("id", filter=Q(achieved__isnull=False))
    )
    return {row["bilan_id"]: (row["n"], row["assessed"]) for row in rows}
