"""Issue 13, points 2 and 6: the client's address is the one our proxies saw, never a value the
client typed into X-Forwarded-For; login limits count per real address and per account, and a
flood of failures cannot lock the owner of an account out."""
from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_tenants.utils import schema_context

from config.client_ip import client_ip
from organisations.accounts.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
NGINX = "127.0.0.1"


def _request(xff: str | None, remote: str = NGINX):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


def test_the_client_is_the_entry_n_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # nginx overwrites the header with the address it saw: one entry.
    assert client_ip(_request("203.0.113.7")) == "203.0.113.7"
    # A client that sends its own header behind a proxy that appends: the forged entry is ignored.
    assert client_ip(_request("6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 2  # a load balancer in front of nginx
    assert client_ip(_request("6.6.6.6, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"
    # garbage never reaches the audit log: the socket's address is kept instead
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("<script>")) == NGINX
    assert client_ip(_request(None)) == NGINX


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("6.6.6.6", remote="198.51.100.4")) == "198.51.100.4"


def test_audit_log_records_the_real_client_not_a_spoofed_header(settings, cast_a):
    settings.TRUSTED_PROXY_COUNT = 1
    api = cast_a.client(cast_a.consultant)
    response = api.post(
        "/api/v1/beneficiaries/",
        {"first_name": "Jeanne", "last_name": "Martin", "email": "jeanne.martin@exemple.test"},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert response.status_code == 201
    with schema_context(cast_a.organisation.schema_name):
        event = AuditEvent.objects.filter(action="beneficiary.created").latest("occurred_at")
    assert event.ip_address == "203.0.113.7"


def test_signature_proof_trail_and_audit_use_the_same_function():
    """The employer's and the beneficiary's signature proofs take their address from
    organisations.accounts.context.client_ip: it is this function, not a second parser."""
    from bilans import views as bilan_views
    from bilans.documents import views as document_views
    from organisations.accounts import context

    assert context.client_ip is client_ip
    assert document_views.client_ip is client_ip and bilan_views.client_ip is client_ip


def _login(client, email, password, ip):
    return client.post(LOGIN, {"login": email, "password": password}, HTTP_X_FORWARDED_FOR=ip, REMOTE_ADDR=NGINX)


def _logged_in(client) -> bool:
    """The session lives in the organisation's schema: ask a page that needs a login."""
    return client.get("/api/v1/me/").status_code == 200


def test_failures_from_elsewhere_never_lock_the_owner_out(settings, cast_a):
    settings.TRUSTED_PROXY_COUNT = 1
    victim = cast_a.consultant.email
    attacker = cast_a.client()
    # Enough failures, from one address behind nginx, to exhaust both the address and the account limits.
    for _ in range(settings.LOGIN_FAILURES_PER_IP):
        assert _login(attacker, victim, "mauvais", "203.0.113.66").status_code == 200
    # The attacker's address is refused, even with the right password.
    blocked = _login(attacker, victim, PASSWORD, "203.0.113.66")
    assert "Trop de tentatives de connexion échouées" in blocked.content.decode() and not _logged_in(attacker)
    # Another person of the same organisation, behind the same nginx, logs in normally.
    colleague = cast_a.client()
    _login(colleague, cast_a.other_consultant.email, PASSWORD, "198.51.100.20")
    assert _logged_in(colleague)
    # The victim, from their own address that has not failed, logs in with the right password.
    owner = cast_a.client()
    _login(owner, victim, PASSWORD, "198.51.100.10")
    assert _logged_in(owner)


def test_an_account_under_attack_refuses_addresses_that_have_failed(settings, cast_a):
    settings.TRUSTED_PROXY_COUNT = 1
    victim = cast_a.consultant.email
    # A few failures from each of several addresses: no address reaches its own limit...
    for n in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _login(cast_a.client(), victim, "mauvais", f"203.0.113.{n + 1}")
    # ...but the account's limit is reached: an address that failed cannot go on guessing.
    retry = cast_a.client()
    response = _login(retry, victim, PASSWORD, "203.0.113.1")
    assert "Trop de tentatives de connexion échouées" in response.content.decode() and not _logged_in(retry)
    # an address without failures still gets in with the right password
    owner = cast_a.client()
    _login(owner, victim, PASSWORD, "198.51.100.10")
    assert _logged_in(owner)


def test_one_address_is_limited_across_accounts(settings, cast_a):
    settings.TRUSTED_PROXY_COUNT = 1
    sprayer = cast_a.client()
    for n in range(settings.LOGIN_FAILURES_PER_IP):
        _login(sprayer, f"inconnu{n}@exemple.test", "mauvais", "203.0.113.99")
    response = _login(sprayer, cast_a.other_consultant.email, PASSWORD, "203.0.113.99")
    assert "Trop de tentatives de connexion échouées" in response.content.decode() and not _logged_in(sprayer)
