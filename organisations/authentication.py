"""API authentication by personal token (``Authorization: Token <key>``): the key is looked up
by its SHA-256, must be neither expired nor revoked, a read-only token cannot write, and the
mandatory two-factor rule for administrators holds for tokens as for sessions."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from organisations.middleware import MFA_MANDATORY_ROLES, user_has_totp
from organisations.models import ApiToken


def _forbidden(message: str, code: str):
    # config.errors imports rest_framework.views, whose APIView reads this authentication class
    # from the settings at import time: importing config.errors at the top would be a real cycle.
    from config.errors import Forbidden

    return Forbidden(message, code=code)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LAST_USED_PRECISION = timedelta(minutes=5)  # one write per token every few minutes, not per request


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if request.method not in SAFE_METHODS and token.scope != ApiToken.Scope.READ_WRITE:
            raise _forbidden("Ce jeton est en lecture seule : créez un jeton en lecture et écriture.", "token_read_only")
        return user, token

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.digest(key)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Jeton invalide ou révoqué.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Ce jeton a expiré : créez-en un nouveau.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Ce compte est désactivé.")
        if token.user.role in MFA_MANDATORY_ROLES and not user_has_totp(token.user):
            raise _forbidden("Activez la double authentification pour utiliser ce compte.", "mfa_required")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
