"""Staff console pages for credits (platform domain, /console/credits/...): any organisation's
ledger, manual adjustments with a mandatory reason (audited), manual payments, rules, and the
catalogue (plans, top-up packs, forfait types) edited through the services."""
from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from organisations.accounts.models import Role
from organisations.permissions import role_required
from plans import selectors, services
from plans.forms import AdjustmentForm, CreditRulesForm, ForfaitTypeForm, PackForm, PlanForm
from plans.models import ForfaitType, Order, Plan, TariffItem, TopUpPack
from tenants.models import Organisation

staff_required = role_required(Role.STAFF)


@staff_required
def organisations(request):
    search = request.GET.get("q", "").strip()
    return render(
        request,
        "plans/console/organisations.html",
        {"rows": selectors.organisations_with_wallets(search=search), "search": search, "pending": selectors.order_list(status="pending")[:50]},
    )


@staff_required
def organisation_ledger(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk, is_template=False)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.credits_adjust(
                    organisation=organisation, amount=data["credits"], reason=data["reason"], actor=request.user, bilan_id=data["bilan"]
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Ajustement de {data['credits']} crédits enregistré.")
                return redirect("plans_console:organisation", pk=pk)
    wallet = selectors.wallet_for(organisation)
    page = Paginator(selectors.entry_list(organisation), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "plans/console/ledger.html",
        {
            "org": organisation,
            "wallet": wallet,
            "subscription": services.subscription_get(organisation),
            "budgets": selectors.budget_list(organisation)[:200],
            "page_obj": page,
            "form": form,
            "orders": selectors.order_list(organisation=organisation)[:50],
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def order_mark_paid(request, order_id):
    order = get_object_or_404(Order, pk=order_id)
    try:
        services.order_mark_paid(order=order, actor=request.user, via="manual")
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Commande marquée payée : les crédits sont ajoutés.")
    return redirect("plans_console:organisation", pk=order.organisation_id)


def _integers(data, prefix: str, codes) -> dict:
    """Posted ``<prefix><code>`` fields: blank means unchanged; anything else must be an integer
    (the service refuses negatives; a non-number or a huge number is passed on as -1 so that it is
    refused too)."""
    values = {}
    for code in codes:
        raw = (data.get(f"{prefix}{code}") or "").strip()
        if raw:
            values[code] = int(raw) if re.fullmatch(r"[0-9]{1,7}", raw) else -1
    return values


@staff_required
def rules(request):
    rules_form = CreditRulesForm(request.POST or None, instance=services.credit_rules(), prefix="rules")
    if request.method == "POST" and rules_form.is_valid():
        try:
            services.credit_rules_update(
                actor=request.user,
                rules=rules_form.cleaned_data,
                monthly_credits=_integers(request.POST, "plan-", Plan.objects.values_list("code", flat=True)),
                tariff=_integers(request.POST, "tariff-", TariffItem.objects.values_list("code", flat=True)),
            )
        except ApplicationError as error:
            rules_form.add_error(None, error.message)
        else:
            messages.success(request, "Règles, crédits mensuels et barème enregistrés.")
            return redirect("plans_console:rules")
    return render(
        request,
        "plans/console/rules.html",
        {"form": rules_form, "plans": Plan.objects.order_by("position"), "tariff": selectors.tariff_list()},
        status=400 if rules_form.errors else 200,
    )


# --- catalogue -------------------------------------------------------------------------------------
@staff_required
def catalogue(request):
    return render(request, "plans/console/catalogue.html", selectors.catalogue())


def _edit(request, *, instance, form, update, template: str, success: str, context: dict | None = None):
    """Shared body of the catalogue edit pages: the form, then the service; a refused value
    comes back on the form with the service's French message (400)."""
    if request.method == "POST" and form.is_valid():
        try:
            update(actor=request.user, **form.service_kwargs())
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, success)
            return redirect("plans_console:catalogue")
    return render(
        request, template, {"object": instance, "form": form, **(context or {})}, status=400 if form.errors else 200
    )


@staff_required
def plan_edit(request, code: str):
    plan = get_object_or_404(Plan, code=code)
    form = PlanForm(request.POST or None, initial=PlanForm.initial_for(plan))
    return _edit(
        request,
        instance=plan,
        form=form,
        update=lambda **kwargs: services.plan_update(plan=plan, **kwargs),
        template="plans/console/plan_edit.html",
        success=f"Formule {plan.name} enregistrée. Les commandes déjà passées gardent leur montant.",
    )


@staff_required
def pack_edit(request, code: str):
    pack = get_object_or_404(TopUpPack, code=code)
    form = PackForm(request.POST or None, initial=PackForm.initial_for(pack))
    return _edit(
        request,
        instance=pack,
        form=form,
        update=lambda **kwargs: services.pack_update(pack=pack, **kwargs),
        template="plans/console/pack_edit.html",
        success="Pack enregistré. Les commandes déjà passées gardent leur montant.",
        context={"other_packs": TopUpPack.objects.filter(is_active=True).exclude(pk=pack.pk).order_by("credits")},
    )


@staff_required
def forfait_edit(request, code: str):
    forfait = get_object_or_404(ForfaitType, code=code)
    form = ForfaitTypeForm(
        request.POST or None,
        initial=ForfaitTypeForm.initial_for(forfait),
        feature_groups=selectors.forfait_feature_groups(),
        tariff=selectors.tariff_list(),
    )
    return _edit(
        request,
        instance=forfait,
        form=form,
        update=lambda **kwargs: services.forfait_type_update(forfait=forfait, **kwargs),
        template="plans/console/forfait_edit.html",
        success=f"Forfait {forfait.name} enregistré. Les bilans qui l'ont déjà gardent leur budget.",
    )
