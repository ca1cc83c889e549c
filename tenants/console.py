"""The staff console on the platform domain. Counts and organisation data only: it never shows
a beneficiary's name or content (professional secrecy, CT-08)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from config.dramatiq import enqueue_on_commit
from config.errors import ApplicationError
from organisations.accounts.models import Role
from organisations.permissions import role_required
from organisations.selectors import audit_event_list
from tenants.forms import ConsoleOrganisationForm, SuspendForm
from tenants.models import Organisation
from tenants.selectors import organisation_counts, organisation_list, organisation_url
from tenants.services import organisation_create, organisation_reactivate, organisation_suspend

staff_required = role_required(Role.STAFF)


@staff_required
def organisations(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("statut", "")
    page = Paginator(organisation_list(search=search, status=status), 25).get_page(request.GET.get("page"))
    counts = organisation_counts(page.object_list)
    rows = [(organisation, counts[organisation.pk]) for organisation in page.object_list]
    return render(
        request,
        "console/organisations.html",
        {"rows": rows, "page_obj": page, "search": search, "status": status, "statuses": Organisation.Status.choices},
    )


@staff_required
def organisation_new(request):
    form = ConsoleOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = organisation_create(
                name=data["name"],
                slug=data["slug"],
                kind=data["kind"],
                siret=data["siret"],
                admin_email=data["admin_email"],
                admin_password=None,
                admin_first_name=data["admin_first_name"],
                admin_last_name=data["admin_last_name"],
                created_by=request.user,
            )
        except ApplicationError as error:
            field = {"slug_taken": "slug", "invalid_slug": "slug", "reserved_slug": "slug", "email_taken": "admin_email", "invalid_siret": "siret"}
            form.add_error(field.get(error.code), error.message)
        else:
            from organisations.tasks import send_password_setup_email

            with schema_context(created.organisation.schema_name):
                enqueue_on_commit(send_password_setup_email, created.administrator.pk)
            messages.success(request, f"L'organisation {created.organisation.name} a été créée. L'administrateur a reçu un e-mail.")
            return redirect("console:organisation", pk=created.organisation.pk)
    return render(request, "console/organisation_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
def organisation_detail(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk, is_template=False)
    counts = organisation_counts([organisation])[organisation.pk]
    return render(
        request,
        "console/organisation_detail.html",
        {
            "org": organisation,
            "counts": counts,
            "url": organisation_url(organisation),
            "suspend_form": SuspendForm(),
            "events": audit_event_list().filter(object_type="tenants.organisation", object_id=str(organisation.pk))[:20],
        },
    )


@staff_required
@require_POST
def organisation_suspend_view(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk, is_template=False)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez le motif de la suspension.")
        return redirect("console:organisation", pk=pk)
    organisation_suspend(organisation=organisation, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, f"{organisation.name} est suspendue. Ses données sont conservées.")
    return redirect("console:organisation", pk=pk)


@staff_required
@require_POST
def organisation_reactivate_view(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk, is_template=False)
    organisation_reactivate(organisation=organisation, actor=request.user)
    messages.success(request, f"{organisation.name} est réactivée.")
    return redirect("console:organisation", pk=pk)


@staff_required
def audit_log(request):
    page = Paginator(audit_event_list(action=request.GET.get("action", "")), 50).get_page(request.GET.get("page"))
    return render(request, "console/audit_log.html", {"page_obj": page})
