from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from bilans.next_actions import current_bilan, next_actions
from bilans.selectors import beneficiary_list
from config.errors import ApplicationError
from organisations.accounts.models import Role, User
from organisations.forms import AcceptInvitationForm, InvitationForm
from organisations.models import Invitation
from organisations.permissions import role_required
from organisations.selectors import audit_event_list, invitation_pending_list, member_list, team_list
from organisations.forms import ApiTokenForm
from organisations.selectors import api_token_list
from organisations.services import api_token_create, api_token_revoke
from organisations.services import invitation_accept, invitation_create, invitation_for_token, invitation_revoke, member_set_active

admin_required = role_required(Role.ADMIN)


@role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
def home(request):
    user = request.user
    if user.role == Role.BENEFICIARY:
        return render(request, "organisations/home_beneficiary.html", {
            "file": getattr(user, "beneficiary_file", None), "bilan": current_bilan(user), "next_actions": next_actions(user=user),
        })
    beneficiaries = beneficiary_list(user=user)
    context = {"beneficiary_count": beneficiaries.count(), "recent_beneficiaries": beneficiaries.order_by("-created_at")[:5]}
    if user.role == Role.ADMIN:
        context.update(
            consultant_count=member_list(role=Role.CONSULTANT).filter(is_active=True).count(),
            pending_invitations=invitation_pending_list().count(),
            recent_events=audit_event_list()[:8],
        )
    return render(request, "organisations/home.html", context)


@admin_required
def members(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(inviter=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error("email" if "email" in error.code else None, error.message)
        else:
            messages.success(request, f"Invitation envoyée à {invitation.email}. Le lien est valable 7 jours.")
            return redirect("organisations:members")
    return render(
        request,
        "organisations/members.html",
        {"form": form, "members": team_list(), "invitations": invitation_pending_list()},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def invitation_revoke_view(request, pk: int):
    invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk), actor=request.user)
    messages.success(request, "Invitation annulée.")
    return redirect("organisations:members")


@admin_required
@require_POST
def member_toggle_active(request, pk: int):
    member = get_object_or_404(User, pk=pk)
    member_set_active(member=member, active=not member.is_active, actor=request.user)
    messages.success(request, f"Compte de {member} {'réactivé' if member.is_active else 'désactivé'}.")
    return redirect("organisations:members")


@admin_required
def audit_log(request):
    page = Paginator(audit_event_list(action=request.GET.get("action", "")), 50).get_page(request.GET.get("page"))
    return render(request, "organisations/audit_log.html", {"page_obj": page})


def invitation_accept_view(request, token: str):
    if request.user.is_authenticated:
        messages.info(request, "Vous êtes déjà connecté. Déconnectez-vous pour accepter une autre invitation.")
        return redirect("home")
    try:
        invitation = invitation_for_token(token)
    except ApplicationError as error:
        return render(request, "organisations/invitation_invalid.html", {"message": error.message}, status=error.status)
    form = AcceptInvitationForm(
        request.POST or None, initial={"first_name": invitation.first_name, "last_name": invitation.last_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                password=form.cleaned_data["password"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ApplicationError as error:
            form.add_error("password" if error.code == "weak_password" else None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Votre compte est créé. Bienvenue !")
            return redirect("home")
    return render(
        request, "organisations/invitation_accept.html", {"form": form, "invitation": invitation}, status=400 if form.errors else 200
    )


@role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
def notifications(request):
    from organisations.selectors import notification_list
    from organisations.services import notification_mark_read

    if request.method == "POST":
        notification_mark_read(recipient=request.user)
        messages.success(request, "Toutes les notifications sont marquées comme lues.")
        return redirect("notifications")
    page = Paginator(notification_list(recipient=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "organisations/notifications.html", {"page_obj": page})


@role_required(Role.ADMIN, Role.CONSULTANT)
def api_token(request):
    """The user's personal API tokens: create (key shown once), list, revoke one by one."""
    new_key = None
    form = ApiTokenForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            try:
                token_id = int(request.POST.get("token", ""))
            except ValueError:
                token_id = 0
            api_token_revoke(user=request.user, token_id=token_id)
            messages.success(request, "Le jeton est révoqué : il ne fonctionne plus.")
            return redirect("organisations:api_token")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            issued = api_token_create(
                user=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                validity_days=int(form.cleaned_data["validity_days"]),
            )
            new_key = issued.key
            form = ApiTokenForm()
        else:
            status = 400
    context = {"new_key": new_key, "form": form, "tokens": api_token_list(user=request.user)}
    return render(request, "organisations/api_token.html", context, status=status)
