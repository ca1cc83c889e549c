"""Organisations cannot see each other's data: through the API, the pages and the ORM."""
import pytest
from django_tenants.utils import schema_context

from bilans.models import Beneficiary
from organisations.accounts.models import User
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def test_api_beneficiary_list_shows_only_own_organisation(cast_a, cast_b):
    response = cast_a.client(cast_a.admin).get("/api/v1/beneficiaries/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(cast_a.beneficiary.pk), str(cast_a.other_beneficiary.pk)}
    assert str(cast_b.beneficiary.pk) not in ids


def test_api_detail_of_other_organisation_beneficiary_is_404(cast_a, cast_b):
    client = cast_a.client(cast_a.admin)
    response = client.get(f"/api/v1/beneficiaries/{cast_b.beneficiary.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_users_list_shows_only_own_members(cast_a, cast_b):
    response = cast_a.client(cast_a.admin).get("/api/v1/users/")
    emails = {row["email"] for row in response.json()["results"]}
    assert cast_a.consultant.email in emails
    assert cast_b.consultant.email not in emails and cast_b.admin.email not in emails


def test_api_me_is_the_caller_of_this_organisation(cast_a, cast_b):
    response = cast_a.client(cast_a.consultant).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == cast_a.consultant.email


def test_created_beneficiary_is_invisible_from_other_organisation_via_api(cast_a, cast_b):
    created = cast_a.client(cast_a.admin).post(
        "/api/v1/beneficiaries/",
        # a surname no factory can generate: a search in the other organisation must find nothing
        {"first_name": "Inès", "last_name": "Quazimorel", "email": "ines.quazimorel@exemple.test"},
        content_type="application/json",
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    other = cast_b.client(cast_b.admin)
    assert new_id not in {row["id"] for row in other.get("/api/v1/beneficiaries/").json()["results"]}
    assert other.get(f"/api/v1/beneficiaries/{new_id}/").status_code == 404
    assert other.get("/api/v1/beneficiaries/?q=Quazimorel").json()["count"] == 0
    assert cast_a.client(cast_a.admin).get("/api/v1/beneficiaries/?q=Quazimorel").json()["count"] == 1


def test_orm_in_one_schema_does_not_see_the_other(cast_a, cast_b):
    with schema_context(cast_b.organisation.schema_name):
        assert not Beneficiary.objects.filter(pk=cast_a.beneficiary.pk).exists()
        assert not User.objects.filter(email=cast_a.admin.email).exists()
        assert Beneficiary.objects.filter(pk=cast_b.beneficiary.pk).exists()
    with schema_context(cast_a.organisation.schema_name):
        assert not Beneficiary.objects.filter(pk=cast_b.beneficiary.pk).exists()


def test_html_page_of_other_organisation_beneficiary_is_404(cast_a, cast_b):
    response = cast_a.client(cast_a.admin).get(f"/beneficiaires/{cast_b.beneficiary.pk}/")
    assert response.status_code == 404


def test_user_of_a_cannot_log_in_on_b(cast_a, cast_b):
    client = client_for(cast_b.organisation)
    response = client.post("/accounts/login/", {"login": cast_a.consultant.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/me/").status_code == 401


def test_user_logs_in_on_own_subdomain(cast_a):
    client = client_for(cast_a.organisation)
    response = client.post("/accounts/login/", {"login": cast_a.consultant.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == cast_a.consultant.email


def test_session_of_a_is_anonymous_on_b(cast_a, cast_b):
    client = cast_a.client(cast_a.consultant)
    cookie = client.cookies["sessionid"].value
    other = client_for(cast_b.organisation)
    other.cookies["sessionid"] = cookie
    assert other.get("/api/v1/me/").status_code == 401


def test_token_of_a_is_rejected_on_b(cast_a, cast_b):
    from organisations.services import api_token_create

    with schema_context(cast_a.organisation.schema_name):
        key = api_token_create(user=cast_a.consultant, name="Outil", scope="read", validity_days=30).key
    ok = client_for(cast_a.organisation).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200
    refused = client_for(cast_b.organisation).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"


def test_api_token_page_issues_a_working_token_and_revokes_it(cast_a):
    client = cast_a.client(cast_a.consultant)
    page = client.post("/organisation/jeton-api/", {"name": "Tableur", "scope": "read", "validity_days": "90"})
    key = page.context["new_key"]
    api = client_for(cast_a.organisation)
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").json()["email"] == cast_a.consultant.email
    token_id = page.context["tokens"][0]["token"].pk
    client.post("/organisation/jeton-api/", {"action": "revoke", "token": token_id})
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert cast_a.client(cast_a.beneficiary_user).get("/organisation/jeton-api/").status_code == 403
