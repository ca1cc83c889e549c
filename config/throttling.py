"""API throttling: per client address for anonymous calls (the real client's, see
organisations.accounts.context.client_ip), per user, and per organisation, plus a tight limit on
the anonymous PDF verification (a costly upload). Rates are settings (``API_THROTTLE_RATES``),
read at request time; a refusal is a 429 with ``{"code": "throttled", "detail": ...}`` and a
Retry-After header."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from rest_framework.throttling import SimpleRateThrottle

from organisations.accounts.context import client_ip


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonymousThrottle(_SettingsRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "inconnue"}


class UserThrottle(_SettingsRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{connection.schema_name}:{request.user.pk}"}


class OrganisationThrottle(_SettingsRateThrottle):
    scope = "organisation"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": connection.schema_name}


class VerifyUploadThrottle(_SettingsRateThrottle):
    """Anonymous PDF verification: a few files per minute and per address."""

    scope = "verify"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "inconnue"}
