"""Reads on plans, credits and orders (public schema)."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from config.errors import InvalidInput, NotFound
from plans.models import CreditAccount, CreditLot, ForfaitType, LedgerEntry, Order, Plan, TariffItem, TopUpPack


def organisation_resolve(organisation):
    """The tenants.Organisation for ``organisation``; accepts what ``connection.tenant`` holds
    inside ``schema_context`` (a stand-in carrying only the schema name)."""
    from tenants.models import Organisation

    if isinstance(organisation, Organisation) and organisation.pk:
        return organisation
    schema_name = getattr(organisation, "schema_name", None)
    found = Organisation.objects.filter(schema_name=schema_name).first() if schema_name else None
    if found is None:
        raise NotFound("Organisation introuvable.", code="organisation_not_found")
    return found


def plan_list_public():
    return Plan.objects.filter(is_public=True).order_by("position")


def plan_default_trial() -> Plan | None:
    return Plan.objects.filter(code="starter").first()


def plan_allows(organisation, capability: str) -> bool:
    """Whether the organisation's plan unlocks ``capability`` (a code of PLAN_CAPABILITIES, e.g.
    "branding", "credit_transfers"): the one check behind what the pricing page lists. Read fresh
    (the tenant routing cache may hold an older row)."""
    plan = Plan.objects.filter(organisations__pk=getattr(organisation, "pk", None)).first()
    return plan is not None and capability in (plan.capabilities or [])


def plan_feature_lines(plan: Plan) -> list[str]:
    """What the pricing page lists for a plan, built from what the code enforces: the active
    bilan limit, the monthly credits, the capabilities, then staff's free lines and support."""
    from plans.models import PLAN_CAPABILITIES

    def number(value: int) -> str:
        return f"{value:,}".replace(",", "\u202f")

    lines = [
        f"Jusqu'à {number(plan.max_active_bilans)} bilans actifs" if plan.max_active_bilans else "Bilans actifs illimités",
        f"{number(plan.monthly_credits)} crédits inclus chaque mois",
    ]
    lines += [PLAN_CAPABILITIES[code] for code in PLAN_CAPABILITIES if code in (plan.capabilities or [])]
    lines += list(plan.features or [])
    if plan.support_level:
        lines.append(plan.support_level)
    return lines


def plan_for_signup(code: str) -> Plan | None:
    """The plan chosen on the pricing page (``/inscription/?formule=<code>``): a public plan with a
    fixed price (a plan « sur devis » is not self-service). None for anything else."""
    code = (code or "").strip()
    if not code:
        return None
    return Plan.objects.filter(code=code, is_public=True, price_is_minimum=False).first()


def forfait_list() -> QuerySet[ForfaitType]:
    return ForfaitType.objects.filter(is_active=True).order_by("position")


def tariff_list() -> QuerySet[TariffItem]:
    return TariffItem.objects.order_by("position")


def pack_list() -> QuerySet[TopUpPack]:
    return TopUpPack.objects.filter(is_active=True).order_by("position")


# --- balances -----------------------------------------------------------------------------------
def wallet_for(organisation) -> CreditAccount | None:
    return CreditAccount.objects.filter(organisation=organisation, kind=CreditAccount.Kind.WALLET).first()


def budget_for(organisation, bilan_id) -> CreditAccount | None:
    return CreditAccount.objects.filter(organisation=organisation, kind=CreditAccount.Kind.BUDGET, bilan_id=bilan_id).first()


def available_balance(account: CreditAccount | None, *, now: datetime | None = None) -> int:
    """The balance minus lots past their date that the expiry job has not swept yet."""
    if account is None:
        return 0
    now = now or timezone.now()
    stale = CreditLot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).aggregate(s=Sum("remaining"))["s"] or 0
    return account.balance - stale


def budget_list(organisation, *, bilan_ids=None) -> QuerySet[CreditAccount]:
    qs = CreditAccount.objects.filter(organisation=organisation, kind=CreditAccount.Kind.BUDGET).order_by("-created_at")
    if bilan_ids is not None:
        qs = qs.filter(bilan_id__in=list(bilan_ids))
    return qs


def budget_consumed(organisation, bilan_ids) -> dict[uuid.UUID, int]:
    rows = (
        LedgerEntry.objects.filter(organisation=organisation, kind=LedgerEntry.Kind.CHARGE, bilan_id__in=list(bilan_ids))
        .values("bilan_id")
        .annotate(total=Sum("amount"))
    )
    return {row["bilan_id"]: row["total"] or 0 for row in rows}


def next_expiry(account: CreditAccount | None) -> CreditLot | None:
    if account is None:
        return None
    return (
        CreditLot.objects.filter(account=account, remaining__gt=0, expires_at__gt=timezone.now())
        .order_by("expires_at")
        .first()
    )


def ledger_balances_check(organisation=None) -> list[str]:
    """Every tracked account whose cached balance differs from the sum of its entries, or from
    the sum of its lots (empty = the books are right). Used by tests and the benchmark."""
    problems = []
    accounts = CreditAccount.objects.filter(kind__in=CreditAccount.TRACKED)
    if organisation is not None:
        accounts = accounts.filter(organisation=organisation)
    for account in accounts:
        incoming = LedgerEntry.objects.filter(credit_account=account).aggregate(s=Sum("amount"))["s"] or 0
        outgoing = LedgerEntry.objects.filter(debit_account=account).aggregate(s=Sum("amount"))["s"] or 0
        lots = CreditLot.objects.filter(account=account).aggregate(s=Sum("remaining"))["s"] or 0
        if account.balance != incoming - outgoing or account.balance != lots or account.total_in != incoming:
            problems.append(f"{account.pk}: balance {account.balance}, entries {incoming - outgoing}, lots {lots}")
    return problems


# --- forecast -----------------------------------------------------------------------------------
def credits_forecast(*, organisation, bilan_id, planned_action_codes: list[str]) -> dict:
    """What the planned steps will cost at the current tariff, against what the bilan has left.
    Returns ``remaining``, ``planned_cost``, ``shortfall`` (missing credits, 0 if none),
    ``surplus`` and ``lines`` (per action: count, unit and total credits)."""
    organisation = organisation_resolve(organisation)
    counts = Counter(planned_action_codes)
    tariff = {item.code: item for item in TariffItem.objects.filter(code__in=list(counts))}
    unknown = sorted(set(counts) - set(tariff))
    if unknown:
        raise InvalidInput(f"Actions inconnues au barème : {', '.join(unknown)}.", code="unknown_action")
    budget = budget_for(organisation, bilan_id)
    remaining = available_balance(budget)
    lines = [
        {
            "action_code": code,
            "label": tariff[code].label,
            "count": count,
            "unit_credits": tariff[code].credits,
            "credits": tariff[code].credits * count,
        }
        for code, count in sorted(counts.items(), key=lambda item: tariff[item[0]].position)
    ]
    planned_cost = sum(line["credits"] for line in lines)
    return {
        "bilan_id": bilan_id,
        "forfait_code": budget.forfait_code if budget else "",
        "valid_until": budget.valid_until if budget else None,
        "remaining": remaining,
        "planned_cost": planned_cost,
        "shortfall": max(0, planned_cost - remaining),
        "surplus": max(0, remaining - planned_cost),
        "lines": lines,
    }


def planned_actions_remaining(*, organisation, bilan_id) -> list[str]:
    """The forfait's typical course (ForfaitType.planned_actions) minus what was already charged
    on this bilan: the default "remaining planned steps" shown with the forecast."""
    budget = budget_for(organisation, bilan_id)
    forfait = ForfaitType.objects.filter(code=budget.forfait_code).first() if budget and budget.forfait_code else None
    if forfait is None:
        return []
    done = Counter()
    charges = LedgerEntry.objects.filter(organisation=organisation, bilan_id=bilan_id, kind=LedgerEntry.Kind.CHARGE)
    refunded = set(
        LedgerEntry.objects.filter(organisation=organisation, bilan_id=bilan_id, kind=LedgerEntry.Kind.REFUND).values_list(
            "idempotency_key", flat=True
        )
    )
    for entry in charges:
        if f"refund:{entry.pk}" not in refunded:
            done[entry.action_code] += entry.quantity
    remaining = []
    for code in forfait.planned_actions:
        if done[code] > 0:
            done[code] -= 1
        else:
            remaining.append(code)
    return remaining


# --- history, chart, export -------------------------------------------------------------------------
def entry_list(
    organisation,
    *,
    kind: str = "",
    action_code: str = "",
    bilan_id=None,
    date_from: date | None = None,
    date_to: date | None = None,
    bilan_ids=None,
) -> QuerySet[LedgerEntry]:
    qs = LedgerEntry.objects.filter(organisation=organisation).select_related("debit_account", "credit_account")
    if kind:
        qs = qs.filter(kind=kind)
    if action_code:
        qs = qs.filter(action_code=action_code)
    if bilan_id:
        qs = qs.filter(Q(bilan_id=bilan_id) | Q(debit_account__bilan_id=bilan_id))
    if bilan_ids is not None:
        qs = qs.filter(Q(bilan_id__in=list(bilan_ids)) | Q(debit_account__bilan_id__in=list(bilan_ids)))
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def consumption_by_day(organisation, *, days: int = 30) -> list[dict]:
    """Credits consumed per day over the last ``days`` days (every day present, 0 included)."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (
        LedgerEntry.objects.filter(organisation=organisation, kind=LedgerEntry.Kind.CHARGE, created_at__date__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    by_day = {row["day"]: row["total"] or 0 for row in rows}
    return [{"day": start + timedelta(days=i), "credits": by_day.get(start + timedelta(days=i), 0)} for i in range(days)]


def consumption_by_action(organisation, *, days: int | None = None) -> list[dict]:
    qs = LedgerEntry.objects.filter(organisation=organisation, kind=LedgerEntry.Kind.CHARGE)
    if days:
        qs = qs.filter(created_at__date__gte=timezone.localdate() - timedelta(days=days - 1))
    labels = dict(TariffItem.objects.values_list("code", "label"))
    rows = qs.values("action_code").annotate(total=Sum("amount"), count=Count("id")).order_by("-total")
    return [
        {"action_code": row["action_code"], "label": labels.get(row["action_code"], row["action_code"]), "credits": row["total"] or 0, "count": row["count"]}
        for row in rows
    ]


def bar_chart(values: list[dict], *, key: str = "credits", width: int = 600, height: int = 160) -> dict:
    """Coordinates of a simple SVG bar chart (the template draws it)."""
    top = max([v[key] for v in values] + [1])
    step = width / max(len(values), 1)
    bars = []
    for index, value in enumerate(values):
        bar_height = round(value[key] * (height - 20) / top, 1)
        bars.append({**value, "x": round(index * step + 1, 1), "width": round(max(step - 2, 1), 1), "y": round(height - bar_height, 1), "height": bar_height})
    return {"bars": bars, "width": width, "height": height, "max": top}


def order_list(*, organisation=None, status: str = "") -> QuerySet[Order]:
    qs = Order.objects.select_related("organisation", "pack", "plan")
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def organisations_with_wallets(*, search: str = ""):
    from tenants.models import Organisation

    qs = Organisation.objects.filter(is_template=False).select_related("plan").order_by("name")
    if search:
        by_reference = Order.objects.filter(reference__iexact=search).values("organisation_id")
        qs = qs.filter(Q(name__icontains=search) | Q(slug__icontains=search) | Q(pk__in=by_reference))
    wallets = dict(
        CreditAccount.objects.filter(kind=CreditAccount.Kind.WALLET, organisation__in=qs).values_list("organisation_id", "balance")
    )
    pending = dict(
        Order.objects.filter(status=Order.Status.PENDING, organisation__in=qs)
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    )
    return [(org, wallets.get(org.pk, 0), pending.get(org.pk, 0)) for org in qs]


# --- catalogue (staff console) -----------------------------------------------------------------
# Forfait features that are not lines of the barème (codes checked by other apps).
EXTRA_FORFAIT_FEATURES = {
    "documents_personalised": "Documents personnalisés",
    "dedicated_consultant": "Consultant dédié",
}
# The number of professional projects a forfait allows is expressed by one of these features
# (read by ``bilans.assessments.services.max_projects``): none → 1 project.
PROJECT_FEATURES = {"projects_alternative": 2, "projects_multiple": 3}


def forfait_feature_codes() -> set[str]:
    """Every feature code a forfait may include: the barème's actions, the extra features and
    the project features, plus any code an existing forfait already carries."""
    codes = set(TariffItem.objects.values_list("code", flat=True)) | set(EXTRA_FORFAIT_FEATURES) | set(PROJECT_FEATURES)
    for features in ForfaitType.objects.values_list("features", flat=True):
        codes.update(features or [])
    return codes


def forfait_feature_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The checkable features of a forfait, grouped for the console form: documents,
    instruments (evaluations), AI, consultant, other. Project features are chosen apart."""
    groups: dict[str, list[tuple[str, str]]] = {label: [] for _, label in TariffItem.Category.choices}
    for item in TariffItem.objects.order_by("position"):
        groups[item.get_category_display()].append((item.code, item.label))
    others = list(EXTRA_FORFAIT_FEATURES.items())
    known = set(TariffItem.objects.values_list("code", flat=True)) | set(EXTRA_FORFAIT_FEATURES) | set(PROJECT_FEATURES)
    others += [(code, code) for code in sorted(forfait_feature_codes() - known)]
    groups["Autres"] = others
    return [(label, rows) for label, rows in groups.items() if rows]


def catalogue() -> dict:
    return {
        "plans": Plan.objects.order_by("position"),
        "packs": TopUpPack.objects.order_by("credits", "position"),
        "forfaits": ForfaitType.objects.order_by("position"),
    }


# --- orders paid by bank transfer --------------------------------------------------------------
def order_for_organisation(*, organisation, order_id) -> Order:
    """One order of the organisation (404 for another organisation's)."""
    order = Order.objects.select_related("organisation", "pack", "plan").filter(organisation=organisation, pk=order_id).first()
    if order is None:
        raise NotFound("Commande introuvable.", code="order_not_found")
    return order


def order_amounts(order: Order) -> dict:
    """Amounts in cents: excluding VAT (the order's price), VAT at the platform's rate (rounded
    half up to the cent), including VAT."""
    from django.conf import settings

    rate = int(settings.PLATFORM_VAT_RATE_PERCENT)
    vat = (order.amount_cents * rate + 50) // 100
    return {"ht": order.amount_cents, "vat_rate": rate, "vat": vat, "ttc": order.amount_cents + vat}


def platform_seller() -> dict:
    """The platform's identity as seller and the account that receives transfers (settings)."""
    from django.conf import settings

    return {
        "name": settings.PLATFORM_LEGAL_NAME,
        "address": settings.PLATFORM_ADDRESS,
        "siret": settings.PLATFORM_SIRET,
        "vat_number": settings.PLATFORM_VAT_NUMBER,
        "email": settings.PLATFORM_CONTACT_EMAIL,
        "iban": settings.PLATFORM_BANK_IBAN,
        "bic": settings.PLATFORM_BANK_BIC,
        "holder": settings.PLATFORM_BANK_HOLDER,
        "bank_configured": bool(settings.PLATFORM_BANK_IBAN and settings.PLATFORM_BANK_BIC and settings.PLATFORM_BANK_HOLDER),
    }


def trial_offer() -> dict:
    """What a new space gets (pricing page, signup): trial days and credits, and the cheapest
    forfait those credits pay for."""
    from plans.models import CreditRules

    rules = CreditRules.objects.filter(pk=1).first() or CreditRules()
    forfait = ForfaitType.objects.filter(is_active=True, is_custom=False).order_by("credits", "position").first()
    return {
        "days": rules.trial_days,
        "credits": rules.trial_credits,
        "forfait": forfait if forfait is not None and forfait.credits <= rules.trial_credits else None,
    }


def pricing_context() -> dict:
    """Everything the public pricing page shows, from the data staff edit: plans (with what they
    unlock), the trial, credit packs with their price per credit, the barème grouped by category
    and the forfaits."""
    from django.conf import settings

    categories = dict(TariffItem.Category.choices)
    tariff_groups: dict[str, list[TariffItem]] = {}
    for item in tariff_list():
        tariff_groups.setdefault(categories.get(item.category, item.category), []).append(item)
    return {
        "plans": [{"plan": plan, "lines": plan_feature_lines(plan), "on_quote": plan.price_is_minimum} for plan in plan_list_public()],
        "trial": trial_offer(),
        "packs": list(pack_list()),
        "tariff_groups": list(tariff_groups.items()),
        "forfaits": list(forfait_list()),
        "contact_email": settings.PLATFORM_CONTACT_EMAIL,
    }
