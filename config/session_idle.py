"""Idle sessions end (issue 13, point 9).

A session cookie lives two weeks, but a session left unattended must not: after
``SESSION_IDLE_TIMEOUT_STAFF_ADMIN_MINUTES`` without a request for platform staff and organisation
administrators (who see and change the most), ``SESSION_IDLE_TIMEOUT_MINUTES`` for everyone else,
the next request logs the person out and tells them why, in French.

API calls with a token carry no session and are not concerned.
"""
from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from organisations.accounts.models import Role

LAST_ACTIVITY_KEY = "_last_activity"
# The timestamp is rewritten at most this often, so that an active session is not saved on every request.
WRITE_EVERY_SECONDS = 60
SKIPPED_PREFIXES = ("/static/", "/healthz")


def idle_timeout_seconds(user) -> int:
    if user.role in (Role.STAFF, Role.ADMIN):
        return settings.SESSION_IDLE_TIMEOUT_STAFF_ADMIN_MINUTES * 60
    return settings.SESSION_IDLE_TIMEOUT_MINUTES * 60


def expired_message(minutes: int) -> str:
    return (
        f"Pour protéger les données, votre session a été fermée après {minutes} minute{'s' if minutes > 1 else ''} d'inactivité. "
        "Reconnectez-vous pour continuer."
    )


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        now = time.time()
        timeout = idle_timeout_seconds(user)
        last = request.session.get(LAST_ACTIVITY_KEY)
        if isinstance(last, (int, float)) and now - last > timeout:
            return self._expire(request, timeout // 60)
        if not isinstance(last, (int, float)) or now - last >= WRITE_EVERY_SECONDS:
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    def _expire(self, request, minutes: int):
        logout(request)
        message = expired_message(minutes)
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "session_expired", "detail": message}, status=401)
        messages.warning(request, message)
        login_url = reverse("account_login")
        if request.method == "GET":
            login_url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return redirect(login_url)
