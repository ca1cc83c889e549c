"""Personal API tokens: stored hashed, expiring, scoped, listed and revoked one by one, and no way
around the administrators' mandatory two-factor authentication."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from config.errors import Forbidden, InvalidInput
from organisations.models import ApiToken
from organisations.services import api_token_create
from tests.conftest import client_for
from tests.organisations.factories import UserFactory


def _token(cast, user, **kwargs):
    fields = {"name": "Outil RH", "scope": "read", "validity_days": 30} | kwargs
    with schema_context(cast.organisation.schema_name):
        return api_token_create(user=user, **fields)


def _api(cast, key):
    return client_for(cast.organisation), {"HTTP_AUTHORIZATION": f"Token {key}"}


def test_only_the_hash_of_a_token_is_stored(cast_a):
    issued = _token(cast_a, cast_a.consultant)
    with schema_context(cast_a.organisation.schema_name):
        row = ApiToken.objects.get(pk=issued.token.pk)
        stored = [str(value) for value in ApiToken.objects.filter(pk=row.pk).values_list(*[f.attname for f in ApiToken._meta.concrete_fields]).get()]
    assert issued.key not in " ".join(stored)
    assert row.key_hash == ApiToken.digest(issued.key) and row.prefix == issued.key[:8]


def test_an_expired_token_is_refused(cast_a):
    issued = _token(cast_a, cast_a.consultant)
    client, auth = _api(cast_a, issued.key)
    assert client.get("/api/v1/me/", **auth).status_code == 200
    with schema_context(cast_a.organisation.schema_name):
        ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(days=31))
    refused = client.get("/api/v1/me/", **auth)
    assert refused.status_code == 401 and "expiré" in refused.json()["detail"]


def test_a_read_only_token_cannot_write(cast_a):
    client, auth = _api(cast_a, _token(cast_a, cast_a.consultant).key)
    response = client.post("/api/v1/beneficiaries/", {"first_name": "Léa", "last_name": "Roux", "email": "lea@exemple.fr"}, content_type="application/json", **auth)
    assert response.status_code == 403 and response.json()["code"] == "token_read_only"
    writer, auth = _api(cast_a, _token(cast_a, cast_a.consultant, scope="read_write").key)
    assert writer.get("/api/v1/me/", **auth).status_code == 200


def test_an_administrator_without_two_factor_gets_no_token_and_no_access(cast_a):
    with schema_context(cast_a.organisation.schema_name):
        admin = UserFactory(role="admin")
    with pytest.raises(Forbidden) as refused:
        _token(cast_a, admin)
    assert refused.value.code == "mfa_required"
    page = cast_a.client(admin).post("/organisation/jeton-api/", {"name": "x", "scope": "read", "validity_days": "30"})
    assert page.status_code in (302, 403)  # the 2FA enrolment comes first
    # A token issued before (e.g. migrated from the old clear-text table) is refused as a session would be.
    with schema_context(cast_a.organisation.schema_name):
        ApiToken.objects.create(user=admin, name="ancien", prefix="abcdefgh", key_hash=ApiToken.digest("ancien-jeton"), scope="read",
                                expires_at=timezone.now() + timedelta(days=30))
    client, auth = _api(cast_a, "ancien-jeton")
    response = client.get("/api/v1/me/", **auth)
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"
    with_totp, auth = _api(cast_a, _token(cast_a, cast_a.admin).key)  # cast_a.admin has TOTP
    assert with_totp.get("/api/v1/me/", **auth).status_code == 200


def test_tokens_are_listed_and_revoked_one_by_one(cast_a):
    page = cast_a.client(cast_a.consultant)
    first = page.post("/organisation/jeton-api/", {"name": "Tableur", "scope": "read", "validity_days": "90"}).context["new_key"]
    second = page.post("/organisation/jeton-api/", {"name": "CRM", "scope": "read_write", "validity_days": "365"}).context["new_key"]
    listing = page.get("/organisation/jeton-api/")
    html = listing.content.decode()
    assert "Tableur" in html and "CRM" in html and "Lecture et écriture" in html
    assert first not in html and second not in html  # never shown again
    crm = next(row["token"] for row in listing.context["tokens"] if row["token"].name == "CRM")
    page.post("/organisation/jeton-api/", {"action": "revoke", "token": crm.pk})
    client, auth = _api(cast_a, second)
    assert client.get("/api/v1/me/", **auth).status_code == 401
    client, auth = _api(cast_a, first)
    assert client.get("/api/v1/me/", **auth).status_code == 200
    assert "révoqué" in page.get("/organisation/jeton-api/").content.decode()


def test_bad_token_requests_get_french_errors_and_nothing_changes(cast_a):
    page = cast_a.client(cast_a.consultant)
    response = page.post("/organisation/jeton-api/", {"name": "", "scope": "admin", "validity_days": "9999"})
    assert response.status_code == 400 and "Ce champ est obligatoire" in response.content.decode()
    with pytest.raises(InvalidInput):
        _token(cast_a, cast_a.consultant, validity_days=9999)
    assert page.post("/organisation/jeton-api/", {"action": "revoke", "token": "abc"}).status_code == 404
    other = _token(cast_a, cast_a.other_consultant)
    assert page.post("/organisation/jeton-api/", {"action": "revoke", "token": other.token.pk}).status_code == 404  # not theirs
    client, auth = _api(cast_a, other.key)
    assert client.get("/api/v1/me/", **auth).status_code == 200
    connection.set_schema_to_public()


def test_tokens_in_clear_are_moved_to_hashes_by_the_migration(cast_a):
    """The migration keeps an existing clear-text token working, stores only its hash and drops the clear table."""
    from importlib import import_module

    sql = import_module("organisations.migrations.0003_api_tokens").MOVE_CLEAR_TOKENS
    with schema_context(cast_a.organisation.schema_name), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, user_id bigint NOT NULL)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', now(), %s)", [cast_a.consultant.pk])
        cursor.execute(sql)
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone()[0] is None
    client, auth = _api(cast_a, "0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/me/", **auth).json()["email"] == cast_a.consultant.email
