"""HTML pages of invoicing: administrators run billing; a self-funded beneficiary sees their own
invoices in their space and may pay them online (Stripe Checkout) when Stripe is configured."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from bilans.billing import exports, selectors, services
from bilans.billing.forms import (
    BillingSettingsForm,
    CpfDeclarationForm,
    CreditNoteForm,
    DocumentForm,
    EdofForm,
    FunderForm,
    PaymentForm,
    euros_to_cents,
)
from bilans.billing.mentions import money
from bilans.billing.models import BillingDocument, CpfFile, Funder
from bilans.models import Bilan
from config.errors import ApplicationError, InvalidInput, NotFound
from organisations.accounts.models import Role
from organisations.permissions import role_required
from tenants.selectors import organisation_url

billing_admin = role_required(Role.ADMIN)


def _bilan(bilan_id) -> Bilan:
    try:
        return Bilan.objects.select_related("beneficiary", "consultant").get(pk=bilan_id)
    except (Bilan.DoesNotExist, ValidationError):
        raise NotFound("Bilan introuvable.", code="bilan_not_found") from None


def _document(pk) -> BillingDocument:
    document = BillingDocument.objects.select_related("funder", "bilan__beneficiary", "credited_invoice", "on_behalf_of").filter(pk=pk).first()
    if document is None:
        raise NotFound("Document introuvable.", code="billing_document_not_found")
    return document


@billing_admin
def overview(request):
    today = timezone.localdate()
    outstanding = list(selectors.invoices_outstanding()[:50])
    overdue = [i for i in outstanding if i.due_on and i.due_on < today]
    context = {
        "outstanding": outstanding,
        "overdue": overdue,
        "outstanding_total": money(sum(i.outstanding_cents for i in outstanding)),
        "overdue_total": money(sum(i.outstanding_cents for i in overdue)),
        "edof": selectors.edof_reminders(today=today),
        "drafts": selectors.documents_list(status="draft")[:20],
        "today": today,
        "years": list(range(today.year, today.year - 6, -1)),
        "search": request.GET.get("q", "").strip()[:100],
    }
    context["bilans"] = selectors.bilans_to_invoice(search=context["search"])
    return render(request, "billing/overview.html", context)


@billing_admin
def document_list(request):
    kind = request.GET.get("type") or None
    if kind not in (None, "quote", "invoice", "credit_note"):
        kind = None
    page = Paginator(selectors.documents_list(kind=kind), 30).get_page(request.GET.get("page"))
    return render(request, "billing/document_list.html", {"page_obj": page, "kind": kind or ""})


@billing_admin
def funders(request):
    form = FunderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            funder = services.funder_create(actor=request.user, **form.cleaned_data)
        except InvalidInput as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Financeur « {funder.name} » ajouté.")
            return redirect("billing:funders")
    return render(request, "billing/funders.html", {"form": form, "funders": Funder.objects.order_by("name")}, status=422 if form.errors else 200)


@billing_admin
def settings_edit(request):
    instance = services.settings_get()
    form = BillingSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.billing_settings_update(actor=request.user, **{f: form.cleaned_data[f] for f in form.changed_data})
        messages.success(request, "Réglages de facturation enregistrés.")
        return redirect("billing:settings")
    return render(request, "billing/settings.html", {"form": form}, status=422 if form.errors else 200)


@billing_admin
def bilan_billing(request, bilan_id):
    bilan = _bilan(bilan_id)
    form = DocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        line = {"label": data["label"], "unit_price_cents": euros_to_cents(data["unit_price"]), "quantity": data["quantity"], "unit": data["unit"]}
        try:
            if data["kind"] == "quote":
                document = services.quote_create(
                    actor=request.user, bilan=bilan, funder=data["funder"], lines=[line], service_start=data["service_start"],
                    service_end=data["service_end"],
                )
            else:
                document = services.invoice_create(
                    actor=request.user, bilan=bilan, funder=data["funder"], lines=[line], subrogation=data["subrogation"],
                    on_behalf_of=data["on_behalf_of"], service_start=data["service_start"], service_end=data["service_end"],
                )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"{document.get_kind_display()} créé en brouillon.")
            return redirect("billing:document", document.pk)
    cpf_file = CpfFile.objects.filter(bilan=bilan).first()
    context = {
        "bilan": bilan,
        "documents": selectors.documents_of_bilan(bilan),
        "form": form,
        "cpf_file": cpf_file,
        "cpf_form": CpfDeclarationForm(initial={"confirmed_on": timezone.localdate(), "edof_number": getattr(cpf_file, "edof_number", "")}),
        "edof_form": EdofForm(initial={"on": timezone.localdate()}),
        "cpf_invoiced": money(services.cpf_invoiced_cents(bilan)),
        "participation": money(cpf_file.participation_cents) if cpf_file else "",
    }
    return render(request, "billing/bilan.html", context, status=422 if form.errors else 200)


@billing_admin
@require_POST
def cpf_declaration(request, bilan_id):
    bilan = _bilan(bilan_id)
    form = CpfDeclarationForm(request.POST)
    if form.is_valid():
        cpf_file = services.cpf_declaration_record(actor=request.user, bilan=bilan, **form.cleaned_data)
        if cpf_file.previous_bilan_within_five_years:
            messages.warning(request, "Un bilan a été financé ces 5 dernières années : le CPF ne peut pas être mobilisé.")
        else:
            messages.success(request, f"Déclaration enregistrée. Participation forfaitaire : {money(cpf_file.participation_cents)}.")
    else:
        messages.error(request, "Déclaration incomplète : répondez à la question et indiquez la date de commande.")
    return redirect("billing:bilan", bilan.pk)


@billing_admin
@require_POST
def edof_record(request, bilan_id):
    bilan = _bilan(bilan_id)
    form = EdofForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.cpf_edof_record(
                actor=request.user, bilan=bilan, event=data["event"], on=data["on"], declared=data["declared"],
                completion_percent=data["completion_percent"], partial_reason=data["partial_reason"] or "",
                undelivered_minutes=data["undelivered_minutes"] or 0,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Information EDOF enregistrée.")
    else:
        messages.error(request, "Indiquez l'événement et sa date.")
    return redirect("billing:bilan", bilan.pk)


@billing_admin
def document_detail(request, pk):
    document = _document(pk)
    balance = None
    if document.kind == "invoice" and document.status == "issued":
        balance = selectors.invoices_with_balance().get(pk=document.pk)
    context = {
        "document": document,
        "lines": document.lines.all(),
        "shares": document.shares.select_related("funder") if document.kind == "quote" else [],
        "balance": balance,
        "payments": document.payments.all() if document.kind == "invoice" else [],
        "credit_notes": document.credit_notes.all() if document.kind == "invoice" else [],
        "reminders": document.reminders.all() if document.kind == "invoice" else [],
        "invoices": document.invoices.all() if document.kind == "quote" else [],
        "credit_form": CreditNoteForm(),
        "payment_form": PaymentForm(initial={"received_on": timezone.localdate()}),
        "totals": {"ht": money(document.total_ht_cents), "vat": money(document.vat_cents), "ttc": money(document.total_ttc_cents)},
        "outstanding": money(balance.outstanding_cents) if balance else "",
    }
    if document.status == "draft" or (document.kind == "invoice" and document.status == "issued"):
        missing = services.identity_missing()
        context["identity_missing"] = missing
        context["identity_missing_text"] = "À renseigner avant d'émettre : " + ", ".join(missing) + "." if missing else ""
    return render(request, "billing/document_detail.html", context)


def _act(request, pk, action, success: str):
    document = _document(pk)
    try:
        result = action(document)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing:document", document.pk)
    messages.success(request, success.format(document=result if isinstance(result, BillingDocument) else document))
    return redirect("billing:document", (result.pk if isinstance(result, BillingDocument) else document.pk))


@billing_admin
@require_POST
def document_issue(request, pk):
    def issue(document):
        if document.kind == "quote":
            return services.quote_issue(actor=request.user, quote=document)
        return services.invoice_issue(actor=request.user, invoice=document)

    return _act(request, pk, issue, "{document} émis.")


@billing_admin
@require_POST
def document_delete(request, pk):
    document = _document(pk)
    bilan_id = document.bilan_id
    try:
        services.draft_delete(actor=request.user, document=document)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing:document", document.pk)
    messages.success(request, "Brouillon supprimé.")
    return redirect("billing:bilan", bilan_id)


@billing_admin
@require_POST
def quote_accept_view(request, pk):
    return _act(request, pk, lambda d: services.quote_accept(actor=request.user, quote=d), "Devis accepté : les factures sont prêtes en brouillon.")


@billing_admin
@require_POST
def quote_refuse_view(request, pk):
    return _act(request, pk, lambda d: services.quote_refuse(actor=request.user, quote=d), "Devis marqué comme refusé.")


@billing_admin
@require_POST
def credit_note_view(request, pk):
    form = CreditNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez le motif de l'avoir (et un montant positif s'il est partiel).")
        return redirect("billing:document", pk)
    amount = form.cleaned_data["amount"]
    return _act(
        request, pk,
        lambda d: services.credit_note_create(
            actor=request.user, invoice=d, reason=form.cleaned_data["reason"], amount_cents=euros_to_cents(amount) if amount else None
        ),
        "{document} émis.",
    )


@billing_admin
@require_POST
def payment_view(request, pk):
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Paiement incomplet : montant, date et moyen de paiement sont obligatoires.")
        return redirect("billing:document", pk)
    data = form.cleaned_data

    def record(document):
        services.payment_record(
            actor=request.user, invoice=document, amount_cents=euros_to_cents(data["amount"]), received_on=data["received_on"],
            method=data["method"], reference=data["reference"],
        )
        return document

    return _act(request, pk, record, "Paiement enregistré.")


@billing_admin
@require_POST
def remind_view(request, pk):
    def remind(document):
        services.invoice_remind(actor=request.user, invoice=document)
        return document

    return _act(request, pk, remind, "Relance envoyée au financeur.")


@billing_admin
def document_pdf(request, pk):
    document = _document(pk)
    if document.status == "draft" or not document.pdf:
        raise NotFound("Le PDF est disponible une fois le document émis.", code="billing_pdf_not_ready")
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    return response


def _year(request) -> int:
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        raise InvalidInput("Indiquez l'année de clôture de l'exercice.", code="year_invalid") from None
    if not 2000 <= year <= 2100:
        raise InvalidInput("Année d'exercice invalide.", code="year_invalid")
    return year


@billing_admin
def fec_download(request):
    name, content = exports.fec_export(year=_year(request))
    response = HttpResponse(content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@billing_admin
def csv_download(request):
    year = _year(request)
    start, end = exports.fiscal_year_bounds(year)
    response = HttpResponse(exports.accounting_csv(start=start, end=end), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ecritures-{year}.csv"'
    return response



# --- beneficiary space: my invoices, online payment -------------------------------------------------
def _my_invoice(request, pk):
    invoice = selectors.invoices_of_beneficiary(request.user).filter(pk=pk).first()
    if invoice is None:
        raise NotFound("Facture introuvable.", code="billing_document_not_found")
    return invoice


@role_required(Role.BENEFICIARY)
def my_invoices(request):
    today = timezone.localdate()
    invoices = list(selectors.invoices_of_beneficiary(request.user))
    for invoice in invoices:
        invoice.can_pay_online = services.online_payment_available(invoice, outstanding_cents=invoice.outstanding_cents, today=today)
    status = request.GET.get("paiement")
    if status == "ok":
        messages.success(request, "Merci, votre paiement est en cours de confirmation : la facture sera marquée réglée dans quelques instants.")
    elif status == "annule":
        messages.info(request, "Paiement annulé : rien ne vous a été prélevé.")
    return render(request, "billing/my_invoices.html", {"invoices": invoices})


@role_required(Role.BENEFICIARY)
@require_POST
def my_invoice_pay(request, pk):
    invoice = _my_invoice(request, pk)
    try:
        url = services.online_payment_start(
            actor=request.user, invoice=invoice,
            success_url=organisation_url(request.tenant, "/mon-bilan/factures/?paiement=ok"),
            cancel_url=organisation_url(request.tenant, "/mon-bilan/factures/?paiement=annule"),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing:my_invoices")
    return redirect(url)


@role_required(Role.BENEFICIARY)
def my_invoice_pdf(request, pk):
    invoice = _my_invoice(request, pk)
    response = HttpResponse(bytes(invoice.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
