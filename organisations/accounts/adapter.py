from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import authenticate as django_authenticate

from config import login_throttle
from config.client_ip import client_ip


def _login_of(credentials) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts are created by the organisation signup (public site) or by an invitation.
        return False

    def get_client_ip(self, request) -> str:
        # allauth's own rate limits (login, password reset...) count per real client address.
        return client_ip(request) or "unknown"

    # --- Failed logins: per address and per account (config/login_throttle.py) -------------------
    def pre_authenticate(self, request, **credentials) -> None:
        if login_throttle.is_refused(ip=self.get_client_ip(request), login=_login_of(credentials)):
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request, **credentials):
        self.pre_authenticate(request, **credentials)
        AuthenticationBackend.unstash_authenticated_user()
        user = django_authenticate(request, **credentials)
        user = user or AuthenticationBackend.unstash_authenticated_user()
        if not user:
            login_throttle.record_failure(ip=self.get_client_ip(request), login=_login_of(credentials))
            self.authentication_failed(request, **credentials)
        return user

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        login_throttle.clear_account(_login_of(credentials))
