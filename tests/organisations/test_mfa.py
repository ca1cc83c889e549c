"""Two-factor authentication: enrolment and login with a TOTP code; mandatory for administrators
and platform staff."""
import re

import pytest
from allauth.mfa.models import Authenticator
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, client_for
from tests.organisations.factories import UserFactory, totp_code, totp_enable

pytestmark = pytest.mark.django_db


def test_admin_without_totp_is_sent_to_enrolment_and_enrols(org_a):
    with schema_context(org_a.schema_name):
        admin = UserFactory(role="admin")
    client = client_for(org_a)
    assert client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD}).status_code == 302
    response = client.get("/organisation/membres/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate")
    api = client.get("/api/v1/users/")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"

    # The password was typed seconds ago: enrolment does not ask for it again.
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    with schema_context(org_a.schema_name):
        assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    assert client.get("/organisation/membres/").status_code == 200


def test_login_with_totp_code(org_a):
    with schema_context(org_a.schema_name):
        admin = UserFactory(role="admin")
        secret = totp_enable(admin)
    client = client_for(org_a)
    first = client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})
    assert first.status_code == 302 and first["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/api/v1/me/").status_code == 401  # not logged in before the second factor
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    ok = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert ok.status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == admin.email
    assert client.get("/organisation/membres/").status_code == 200


def test_totp_offered_but_optional_for_consultants(org_a):
    with schema_context(org_a.schema_name):
        consultant = UserFactory(role="consultant")
    client = client_for(org_a)
    client.post("/accounts/login/", {"login": consultant.email, "password": PASSWORD})
    assert client.get("/beneficiaires/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200


def test_staff_console_requires_totp(db):
    from organisations.accounts.models import User

    staff = User.objects.create_superuser(email="ops@plateforme.test", password=PASSWORD)
    client = client_for(None)
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    response = client.get("/console/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]
    totp_enable(staff)
    assert client.get("/console/").status_code == 200


def test_recovery_codes_can_be_generated(org_a):
    with schema_context(org_a.schema_name):
        admin = UserFactory(role="admin")
        totp_enable(admin)
    client = client_for(org_a, admin)
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    response = client.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    with schema_context(org_a.schema_name):
        assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_enrolment_long_after_login_asks_for_the_password_again(org_a):
    with schema_context(org_a.schema_name):
        admin = UserFactory(role="admin")
    client = client_for(org_a, admin)  # a session without a recent password login
    assert client.get("/").status_code == 302
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
