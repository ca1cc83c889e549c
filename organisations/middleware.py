from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect

from organisations.accounts.context import client_ip, current_ip
from organisations.accounts.models import Role

MFA_MANDATORY_ROLES = (Role.STAFF, Role.ADMIN)
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/connexion/relais/")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MfaRequiredMiddleware:
    """Two-factor authentication is mandatory for platform staff and organisation
    administrators: until they enrol a TOTP device, every page leads to the enrolment page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in MFA_MANDATORY_ROLES
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not user_has_totp(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "mfa_required", "detail": "Activez la double authentification pour utiliser ce compte."},
                    status=403,
                )
            _count_fresh_login_as_reauthentication(request)
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _count_fresh_login_as_reauthentication(request) -> None:
    """allauth asks for the password again before enrolling a device unless the session holds a
    recent *re*authentication. A password login within the same window proves as much, so the
    mandatory enrolment right after logging in does not ask for the password twice."""
    import time

    from allauth.account import app_settings
    from allauth.account.internal.flows.login import get_authentication_records, record_authentication

    records = get_authentication_records(request, request.user)
    if any(r.get("reauthenticated") for r in records):
        return
    recent = [r for r in records if r.get("method") == "password" and time.time() - r.get("at", 0) < app_settings.REAUTHENTICATION_TIMEOUT]
    if recent:
        record_authentication(request, request.user, method="password", reauthenticated=True)
