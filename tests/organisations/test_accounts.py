"""Password reset by email, password change, login rate limits."""
import re

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from organisations.accounts.models import User
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def test_password_reset_by_email_on_the_organisation_subdomain(cast_a):
    client = client_for(cast_a.organisation)
    assert client.post("/accounts/password/reset/", {"email": cast_a.consultant.email}).status_code == 302
    message = next(m for m in mail.outbox if cast_a.consultant.email in m.to)
    link = re.search(r"http://alpha\.localhost(?::\d+)?(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new_password = "Nouveau-mot-de-passe-2026"
    done = client.post(action, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    with schema_context(cast_a.organisation.schema_name):
        assert User.objects.get(pk=cast_a.consultant.pk).check_password(new_password)
    # The other organisation does not know this address: no email leaves from there.
    mail.outbox.clear()
    client_for(cast_a.organisation).post("/accounts/password/reset/", {"email": "inconnu@exemple.test"})
    assert not any("inconnu@exemple.test" in m.to and "key" in m.body for m in mail.outbox)


def test_login_is_rate_limited_after_repeated_failures(cast_a):
    client = client_for(cast_a.organisation)
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": cast_a.consultant.email, "password": "mauvais"})
        assert response.status_code == 200
    blocked = client.post("/accounts/login/", {"login": cast_a.consultant.email, "password": PASSWORD})
    assert blocked.status_code == 200
    assert "Trop de tentatives de connexion échouées" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_change(cast_a):
    client = cast_a.client(cast_a.consultant)
    new_password = "Encore-un-mot-de-passe-99"
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302
    with schema_context(cast_a.organisation.schema_name):
        assert User.objects.get(pk=cast_a.consultant.pk).check_password(new_password)
