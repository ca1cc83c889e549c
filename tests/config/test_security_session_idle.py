"""Issue 13, point 9: an unattended session ends. Administrators and platform staff after
SESSION_IDLE_TIMEOUT_STAFF_ADMIN_MINUTES (30 by default), everyone else after
SESSION_IDLE_TIMEOUT_MINUTES (120), with a French message on the login page."""
from __future__ import annotations

import html
import time

import pytest

from config import session_idle
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


class FakeTime:
    def __init__(self):
        self.now = time.time()

    def time(self):
        return self.now

    def wait(self, minutes):
        self.now += minutes * 60


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(session_idle, "time", fake)
    return fake


def _signed_in(client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


def test_an_idle_administrator_is_logged_out_after_30_minutes_with_a_french_message(cast_a, clock):
    client = cast_a.client(cast_a.admin)
    assert _signed_in(client)
    clock.wait(29)
    assert _signed_in(client)  # activity within the window keeps the session alive
    clock.wait(29)
    assert _signed_in(client)
    clock.wait(31)
    response = client.get("/bilans/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=")
    page = html.unescape(response.content.decode())
    assert "votre session a été fermée après 30 minutes d'inactivité" in page
    assert not _signed_in(client)


def test_other_people_keep_their_session_longer(cast_a, clock):
    client = cast_a.client(cast_a.consultant)
    assert _signed_in(client)
    clock.wait(100)
    assert _signed_in(client)
    clock.wait(121)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired" and "120 minutes" in response.json()["detail"]
    assert not _signed_in(client)


def test_the_timeouts_are_settings(settings, cast_a, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 10
    settings.SESSION_IDLE_TIMEOUT_STAFF_ADMIN_MINUTES = 5
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    admin = cast_a.client(cast_a.admin)
    assert _signed_in(beneficiary) and _signed_in(admin)
    clock.wait(6)
    assert _signed_in(beneficiary) and not _signed_in(admin)
    clock.wait(11)
    assert not _signed_in(beneficiary)


def test_platform_staff_are_logged_out_of_the_console(staff_user, clock):
    client = client_for(None, staff_user)
    assert client.get("/console/").status_code == 200
    clock.wait(31)
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
