"""Public site (landing, pricing, signup) and the post-signup login handoff."""
from __future__ import annotations

from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django_tenants.utils import schema_context

from config.errors import ApplicationError
from plans.selectors import plan_list_public
from tenants.forms import SignupForm
from tenants.signup_guard import pow_challenge_new, pow_ensure_solved, signup_rate_ensure
from tenants.models import Organisation
from tenants.selectors import organisation_url
from tenants.services import login_handoff_consume, login_handoff_create, organisation_create, slug_validate

FIELD_FOR_CODE = {
    "invalid_slug": "slug",
    "reserved_slug": "slug",
    "slug_taken": "slug",
    "email_taken": "email",
    "invalid_email": "email",
    "weak_password": "password",
    "name_required": "name",
}


def landing(request):
    return render(request, "public/landing.html", {"plans": plan_list_public()})


def legal_page(template: str):
    def view(request):
        return render(request, template)

    return view


def pricing(request):
    return render(request, "public/pricing.html", {"plans": plan_list_public()})


def signup(request):
    """Signup creates a schema and grants credits: a proof of work and a per-address hourly limit
    (tenants.signup_guard) come before anything is created."""
    form = SignupForm(request.POST or None, platform_domain=settings.PLATFORM_DOMAIN)
    if request.method == "POST":
        signup_rate_ensure(request)  # 429 page past the limit
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pow_ensure_solved(challenge=data["challenge"], solution=data["solution"])
            created = organisation_create(
                name=data["name"],
                slug=data["slug"],
                kind=data["kind"],
                admin_email=data["email"],
                admin_password=data["password"],
                admin_first_name=data["first_name"],
                admin_last_name=data["last_name"],
            )
        except ApplicationError as error:
            form.add_error(FIELD_FOR_CODE.get(error.code), error.message)
        else:
            token = login_handoff_create(organisation=created.organisation, user=created.administrator)
            return redirect(_url_on_same_port(request, created.organisation, f"/connexion/relais/{token}/"))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "challenge": pow_challenge_new(), "challenge_bits": settings.SIGNUP_POW_BITS}
    return render(request, "public/signup.html", context, status=status)


@require_GET
def signup_check_slug(request):
    """htmx inline validation of the chosen address."""
    slug = request.GET.get("slug", "")
    try:
        slug = slug_validate(slug)
    except ApplicationError as error:
        return HttpResponse(f'<p class="field__error" role="alert">{error.message}</p>')
    return HttpResponse(
        f'<p class="field__ok">Disponible : {slug}.{settings.PLATFORM_DOMAIN}</p>'
    )


def _url_on_same_port(request, organisation: Organisation, path: str) -> str:
    host = request.get_host()
    port = f":{host.rsplit(':', 1)[1]}" if ":" in host else ""
    return f"{request.scheme}://{organisation.slug}.{settings.PLATFORM_DOMAIN}{port}{path}"


# --- on the organisation's subdomain ------------------------------------------------------------
def login_handoff(request, token: str):
    organisation = request.tenant
    user_id = login_handoff_consume(organisation=organisation, token=token)
    if user_id is None:
        messages.error(request, "Ce lien de connexion a expiré ou a déjà servi. Connectez-vous avec votre e-mail et votre mot de passe.")
        return redirect("account_login")
    user = get_user_model().objects.get(pk=user_id)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The password was typed on the signup page seconds ago: count it as a fresh authentication,
    # so that enrolling the mandatory second factor does not ask for it again.
    record_authentication(request, user, method="password", reauthenticated=True)
    address = EmailAddress.objects.get_primary(user)
    if address is not None and not address.verified:
        send_verification_email_to_address(request, address, signup=True)
    messages.success(request, f"Bienvenue dans votre espace {organisation.name} !")
    return redirect("home")
