"""Credits pages on an organisation's subdomain: administrators (balance, chart, history, CSV,
purchases, settings) and consultants (their bilans' budgets and forecasts)."""
from __future__ import annotations

import csv
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from organisations.accounts.models import Role
from organisations.permissions import beneficiaries_visible_to, can_manage_organisation, role_required
from plans import selectors, services, stripe_gateway
from plans.forms import AutoTopUpForm, HistoryFilterForm, TransferForm
from plans.labels import KIND_LABELS, action_label, action_labels
from plans.pdf import order_proforma_pdf
from plans.models import LedgerEntry

members = role_required(Role.ADMIN, Role.CONSULTANT)
admins = role_required(Role.ADMIN)


def _visible_bilans(user) -> dict[uuid.UUID, str]:
    """Bilans the user may see (through the permissions module), with the beneficiary's name."""
    rows = beneficiaries_visible_to(user).filter(bilans__isnull=False).values_list("bilans__id", "first_name", "last_name")
    return {bilan_id: f"{first} {last}" for bilan_id, first, last in rows}


def _budget_rows(organisation, labels: dict) -> list[dict]:
    budgets = list(selectors.budget_list(organisation, bilan_ids=labels.keys()))
    consumed = selectors.budget_consumed(organisation, [b.bilan_id for b in budgets])
    rows = []
    for budget in budgets:
        forecast = services.credits_forecast(
            organisation=organisation,
            bilan_id=budget.bilan_id,
            planned_action_codes=selectors.planned_actions_remaining(organisation=organisation, bilan_id=budget.bilan_id),
        )
        rows.append({"budget": budget, "label": labels.get(budget.bilan_id, ""), "consumed": consumed.get(budget.bilan_id, 0), "forecast": forecast})
    return rows


@members
def credits_home(request):
    organisation = request.tenant
    labels = _visible_bilans(request.user)
    context = {"budget_rows": _budget_rows(organisation, labels), "is_admin": can_manage_organisation(request.user)}
    if context["is_admin"]:
        subscription = services.subscription_get(organisation)
        wallet = services.account_get(organisation, "wallet")
        by_day = selectors.consumption_by_day(organisation, days=30)
        by_action = selectors.consumption_by_action(organisation, days=30)
        packs = list(selectors.pack_list())
        context.update(
            subscription=subscription,
            wallet=wallet,
            available=selectors.available_balance(wallet),
            next_expiry=selectors.next_expiry(wallet),
            chart=selectors.bar_chart(by_day),
            total_30_days=sum(day["credits"] for day in by_day),
            by_action=by_action,
            action_chart=selectors.bar_chart(by_action[:8]) if by_action else None,
            packs=packs,
            plans=list(selectors.plan_list_public()),
            orders=list(selectors.order_list(organisation=organisation)[:10]),
            stripe_enabled=stripe_gateway.enabled(),
            auto_topup_form=AutoTopUpForm(
                packs=packs,
                initial={
                    "enabled": subscription.auto_topup_enabled,
                    "threshold": subscription.auto_topup_threshold,
                    "pack": subscription.auto_topup_pack.code if subscription.auto_topup_pack else "",
                },
            ),
            transfer_form=TransferForm() if selectors.plan_allows(organisation, "credit_transfers") else None,
            tariff=list(selectors.tariff_list()),
            trial_credits=services.credit_rules().trial_credits,
            contact_email=settings.PLATFORM_CONTACT_EMAIL,
            forfaits=list(selectors.forfait_list()),
        )
    return render(request, "plans/credits_home.html", context)


@members
def budget_detail(request, bilan_id):
    organisation = request.tenant
    labels = _visible_bilans(request.user)
    if bilan_id not in labels:
        raise Http404
    budget = selectors.budget_for(organisation, bilan_id)
    planned = selectors.planned_actions_remaining(organisation=organisation, bilan_id=bilan_id)
    forecast = services.credits_forecast(organisation=organisation, bilan_id=bilan_id, planned_action_codes=planned)
    forfait = services.forfait_for_bilan(organisation=organisation, bilan_id=bilan_id)
    entries = selectors.entry_list(organisation, bilan_id=bilan_id)[:100]
    return render(
        request,
        "plans/budget_detail.html",
        {"budget": budget, "label": labels[bilan_id], "bilan_id": bilan_id, "forecast": forecast, "forfait": forfait, "entries": entries},
    )


def _history_queryset(request, organisation):
    form = HistoryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.entry_list(
        organisation,
        kind=data.get("type") or "",
        action_code=data.get("action") or "",
        bilan_id=data.get("bilan"),
        date_from=data.get("du"),
        date_to=data.get("au"),
    )
    return form, qs


def _signed(entry: LedgerEntry) -> int:
    """Credits seen from the organisation: + when they come into its wallet or budgets."""
    tracked = ("wallet", "budget")
    incoming = entry.credit_account.kind in tracked
    outgoing = entry.debit_account.kind in tracked
    if incoming and not outgoing:
        return entry.amount
    if outgoing and not incoming:
        return -entry.amount
    return 0


@admins
def history(request):
    organisation = request.tenant
    form, qs = _history_queryset(request, organisation)
    if request.GET.get("format") == "csv":
        return _csv(qs, organisation)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    labels = _visible_bilans(request.user)
    rows = [{"entry": e, "signed": _signed(e), "label": labels.get(e.bilan_id or e.debit_account.bilan_id, "")} for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "plans/history.html", {"form": form, "page_obj": page, "rows": rows, "querystring": query.urlencode()})


def _csv(qs, organisation) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credits-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with the BOM
    writer = csv.writer(response, delimiter=";")
    labels = action_labels()
    kinds = KIND_LABELS["entry"]
    writer.writerow(["date", "type", "libelle_type", "action", "libelle_action", "bilan", "credits", "de", "vers", "quantite", "credits_unitaires", "acteur", "motif", "cle", "id"])
    for entry in qs.iterator(chunk_size=500):
        writer.writerow(
            [
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.kind,
                kinds.get(entry.kind, entry.kind),
                entry.action_code,
                action_label(entry.action_code, labels),
                entry.bilan_id or entry.debit_account.bilan_id or "",
                _signed(entry),
                entry.debit_account.kind,
                entry.credit_account.kind,
                entry.quantity,
                entry.unit_credits,
                entry.actor_email,
                entry.reason,
                entry.idempotency_key,
                entry.pk,
            ]
        )
    return response


def _absolute(request, path: str) -> str:
    host = request.get_host()
    return f"{request.scheme}://{host}{path}"


@admins
@require_POST
def order_new(request):
    organisation = request.tenant
    try:
        order = services.order_create(
            organisation=organisation, actor=request.user, pack_code=request.POST.get("pack") or None, plan_code=request.POST.get("plan") or None
        )
        if order.payment_mode == order.PaymentMode.STRIPE:
            try:
                url = stripe_gateway.checkout_session_create(
                    order=order,
                    subscription=services.subscription_get(organisation),
                    email=request.user.email,
                    success_url=_absolute(request, "/credits/?paiement=ok"),
                    cancel_url=_absolute(request, "/credits/?paiement=annule"),
                )
            except ApplicationError as error:
                services.order_fail(order=order, reason=error.message)
                raise
            return redirect(url)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("plans:credits")
    messages.success(request, "Votre commande est enregistrée. Réglez-la par virement avec les coordonnées ci-dessous.")
    return redirect("plans:order", order_id=order.pk)


@admins
def order_detail(request, order_id):
    """An order: what to pay by transfer (the platform's IBAN, the reference, HT/TVA/TTC), its
    status and the pro-forma invoice."""
    try:
        order = selectors.order_for_organisation(organisation=request.tenant, order_id=order_id)
    except ApplicationError:
        raise Http404 from None
    return render(
        request,
        "plans/order_detail.html",
        {"order": order, "amounts": selectors.order_amounts(order), "seller": selectors.platform_seller()},
    )


@admins
def order_proforma(request, order_id):
    try:
        order = selectors.order_for_organisation(organisation=request.tenant, order_id=order_id)
    except ApplicationError:
        raise Http404 from None
    response = HttpResponse(order_proforma_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pro-forma-{order.reference}.pdf"'
    return response


@admins
@require_POST
def portal(request):
    if not stripe_gateway.enabled():
        messages.info(request, "Le paiement en ligne n'est pas activé : contactez l'équipe pour vos factures.")
        return redirect("plans:credits")
    try:
        url = stripe_gateway.portal_session_url(
            subscription=services.subscription_get(request.tenant), email=request.user.email, return_url=_absolute(request, "/credits/")
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("plans:credits")
    return redirect(url)


@admins
@require_POST
def auto_topup(request):
    form = AutoTopUpForm(request.POST, packs=list(selectors.pack_list()))
    if not form.is_valid():
        messages.error(request, "Vérifiez le seuil et le pack de la recharge automatique.")
        return redirect("plans:credits")
    try:
        services.subscription_settings_update(
            organisation=request.tenant,
            actor=request.user,
            auto_topup_enabled=form.cleaned_data["enabled"],
            auto_topup_threshold=form.cleaned_data["threshold"],
            pack_code=form.cleaned_data["pack"] or None,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Recharge automatique enregistrée.")
    return redirect("plans:credits")


@admins
@require_POST
def transfer(request):
    form = TransferForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez les deux bilans et un nombre de crédits positif.")
        return redirect("plans:credits")
    data = form.cleaned_data
    try:
        services.credits_transfer(
            organisation=request.tenant,
            from_bilan_id=data["source"],
            to_bilan_id=data["target"],
            amount=data["credits"],
            actor=request.user,
            idempotency_key=f"transfer:{request.POST.get('nonce') or uuid.uuid4()}",
            allowed_bilan_ids=_visible_bilans(request.user).keys(),
            reason=data["reason"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{data['credits']} crédits transférés.")
    return redirect("plans:credits")
