"""Figures of the administrator's and the consultant's dashboards (reads only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from bilans.quality import sources

OPEN = ("prospect", "preliminary", "investigation", "conclusions")
HOURS_WARNING_MINUTES = 20 * 60  # CT-02: 24 h at most per bilan; warn from 20 h
IDLE_DAYS = 14


def _months(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end and len(months) < 24:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


@dataclass
class Bar:
    label: str
    value: int
    x: int = 0
    height: int = 0
    y: int = 0


def bar_chart(values: list[tuple[str, int]], *, height: int = 120, width: int = 28) -> list[Bar]:
    top = max((v for _, v in values), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(values):
        h = int(height * value / top)
        bars.append(Bar(label, value, x=i * (width + 8), height=h, y=height - h + 10))
    return bars


def admin_dashboard(*, start: date, end: date, consultant_id: int | None = None) -> dict:
    from bilans.billing.selectors import invoices_outstanding, revenue_by_funder_kind
    from bilans.quality.selectors import _rate
    from organisations.accounts.models import Role, User

    Bilan = sources.model("bilans", "Bilan")
    bilans = Bilan.objects.all()
    if consultant_id:
        bilans = bilans.filter(consultant_id=consultant_id)
    ended = sources.ended_field(Bilan)
    window = {f"{ended}__gte": sources.day_start(start), f"{ended}__lte": sources.day_end(end)}
    counts = bilans.aggregate(
        active=Count("pk", filter=Q(status__in=OPEN) & ~Q(status="prospect")),
        prospects=Count("pk", filter=Q(status="prospect")),
        finished=Count("pk", filter=Q(status__in=sources.FINISHED, **window)),
        abandoned=Count("pk", filter=Q(status="abandoned", **window)),
    )
    surveys = sources.answered_surveys(start, end)
    satisfaction = None
    answers = 0
    if surveys is not None:
        if consultant_id:
            surveys = surveys.filter(bilan__consultant_id=consultant_id)
        stats = surveys.aggregate(n=Count("pk"), ok=Count("pk", filter=Q(score__gte=4)))
        answers, satisfaction = stats["n"], _rate(stats["ok"], stats["n"])

    sessions = sources.sessions_in_period(start, end)
    hours = {}
    if sessions is not None:
        hours = dict(
            sessions.filter(attendance="attended").values("bilan__consultant_id").annotate(m=Sum("duration_minutes")).values_list("bilan__consultant_id", "m")
        )
    open_by_consultant = dict(Bilan.objects.filter(status__in=OPEN).values("consultant_id").annotate(n=Count("pk")).values_list("consultant_id", "n"))
    load = [
        {"consultant": c, "open": open_by_consultant.get(c.pk, 0), "hours": round(hours.get(c.pk, 0) / 60, 1)}
        for c in User.objects.filter(role=Role.CONSULTANT, is_active=True).order_by("last_name", "first_name")
    ]

    today = timezone.localdate()
    follow_ups = []
    if sources.has_field(Bilan, "follow_up_due_on"):
        follow_ups = list(
            bilans.filter(status="finished", follow_up_due_on__isnull=False, follow_up_due_on__lte=today + timedelta(days=60))
            .select_related("beneficiary", "consultant").order_by("follow_up_due_on")[:20]
        )

    revenue = sum(revenue_by_funder_kind(start=start, end=end).values())
    outstanding = list(invoices_outstanding())
    started_field = "started_at" if sources.has_field(Bilan, "started_at") else "created_at"
    per_month = _started_per_month(bilans, started_field, start, end)
    chart = bar_chart([(m.strftime("%m/%Y"), per_month.get(m, 0)) for m in _months(start, end)])

    credits = credits_figures(start=start, end=end, bilan_ids=list(bilans.values_list("pk", flat=True)) if consultant_id else None)
    return {
        "counts": counts,
        "completion_rate": _rate(counts["finished"], counts["finished"] + counts["abandoned"]),
        "satisfaction_rate": satisfaction,
        "satisfaction_answers": answers,
        "load": load,
        "follow_ups": follow_ups,
        "revenue_cents": revenue,
        "outstanding_cents": sum(i.outstanding_cents for i in outstanding),
        "outstanding_count": len(outstanding),
        "chart": chart,
        "chart_width": len(chart) * 36,
        "credits": credits,
    }


def credits_figures(*, start: date, end: date, bilan_ids=None) -> dict | None:
    """Credits consumed over the period (charges of the ledger, plans app) and the wallet's
    available balance; None when the credit ledger is not installed."""
    from django.db import connection

    try:
        from plans.models import LedgerEntry
        from plans.selectors import available_balance, wallet_for
    except ImportError:
        return None
    organisation = connection.tenant
    charges = LedgerEntry.objects.filter(
        organisation=organisation, kind="charge", created_at__gte=sources.day_start(start), created_at__lte=sources.day_end(end)
    )
    if bilan_ids is not None:
        charges = charges.filter(bilan_id__in=bilan_ids)
    return {"consumed": charges.aggregate(s=Sum("amount"))["s"] or 0, "wallet": available_balance(wallet_for(organisation))}


def budgets_near_exhaustion(bilan_ids, *, share: float = 0.8) -> dict:
    """bilan id → credits left, for forfait budgets of which at least ``share`` is consumed."""
    from django.db import connection

    try:
        from plans.selectors import available_balance, budget_consumed, budget_list
    except ImportError:
        return {}
    organisation = connection.tenant
    bilan_ids = list(bilan_ids)
    consumed = budget_consumed(organisation, bilan_ids)
    low = {}
    for budget in budget_list(organisation, bilan_ids=bilan_ids):
        left = available_balance(budget)
        used = consumed.get(budget.bilan_id, 0)
        if used + left > 0 and used >= share * (used + left):
            low[budget.bilan_id] = left
    return low


def _started_per_month(bilans, field: str, start: date, end: date) -> dict[date, int]:
    counts: dict[date, int] = {}
    qs = bilans.filter(**{f"{field}__gte": sources.day_start(start), f"{field}__lte": sources.day_end(end)}).exclude(status="prospect")
    for value in qs.values_list(field, flat=True):
        local = timezone.localtime(value)
        key = date(local.year, local.month, 1)
        counts[key] = counts.get(key, 0) + 1
    return counts


def consultant_dashboard(*, user, now=None) -> dict:
    """« Mon suivi »: the bilans, appointments and drafts the user may see, as scoped by
    ``organisations.permissions`` (a consultant: the bilans they lead or whose beneficiary is
    assigned to them; an administrator: the organisation's)."""
    from organisations.permissions import appointments_visible_to, bilans_visible_to

    now = now or timezone.now()
    today = timezone.localdate(now)
    Bilan = sources.model("bilans", "Bilan")
    mine = bilans_visible_to(user)
    documents = []
    try:
        from bilans.documents.selectors import review_queue

        documents = list(review_queue(user=user)[:10])
    except ImportError:  # documents app absent
        pass
    appointments = []
    Appointment = sources.model("scheduling", "Appointment")
    if Appointment is not None:
        appointments = list(
            appointments_visible_to(user).filter(status="booked", starts_at__gte=now).select_related("beneficiary").order_by("starts_at")[:10]
        )
    at_risk = []
    Session = sources.model("bilans", "Session")
    open_bilans = mine.filter(status__in=OPEN).exclude(status="prospect").select_related("beneficiary")
    stats = {}
    if Session is not None:
        stats = {
            row["bilan_id"]: row
            for row in Session.objects.filter(bilan__in=open_bilans).exclude(attendance="cancelled").values("bilan_id").annotate(
                minutes=Sum("duration_minutes"), last=Max("starts_at", filter=Q(attendance="attended"))
            )
        }
    idle_since = now - timedelta(days=IDLE_DAYS)
    low_budgets = budgets_near_exhaustion(open_bilans.values_list("pk", flat=True))
    for bilan in open_bilans:
        row = stats.get(bilan.pk, {})
        reasons = []
        if bilan.pk in low_budgets:
            reasons.append(f"crédits du forfait presque épuisés ({low_budgets[bilan.pk]} restants)")
        last = row.get("last") or getattr(bilan, "started_at", None) or bilan.created_at
        if last < idle_since:
            reasons.append(f"aucune activité depuis le {timezone.localtime(last):%d/%m/%Y}")
        if (row.get("minutes") or 0) >= HOURS_WARNING_MINUTES:
            reasons.append(f"{(row.get('minutes') or 0) / 60:.0f} h planifiées sur 24 h au plus")
        if reasons:
            at_risk.append({"bilan": bilan, "reasons": reasons})
    follow_ups = []
    if sources.has_field(Bilan, "follow_up_due_on"):
        follow_ups = list(
            mine.filter(status="finished", follow_up_due_on__isnull=False, follow_up_due_on__lte=today + timedelta(days=30))
            .select_related("beneficiary").order_by("follow_up_due_on")
        )
    return {"documents": documents, "appointments": appointments, "at_risk": at_risk, "follow_ups": follow_ups, "open_count": open_bilans.count()}
