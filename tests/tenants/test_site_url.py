"""Absolute links (e-mails, staff console) come from one setting, SITE_URL (scheme, host, port),
and `manage.py serve --port N` (`make run PORT=N`) makes them use port N."""
import os
import re

import pytest
from django.core import mail
from django.core.management import call_command

from organisations.accounts.models import User
from tenants.management.commands import serve
from tenants.selectors import organisation_url
from tests.conftest import PASSWORD, client_for
from tests.organisations.factories import totp_enable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cast(org_a):
    from tests.conftest import make_cast

    return make_cast(org_a)


def invitation_link(cast, worker, email: str) -> str:
    response = cast.client(cast.admin).post(
        "/organisation/membres/", {"email": email, "role": "consultant", "first_name": "Nina", "last_name": "Roux"}
    )
    assert response.status_code == 302
    worker.broker.join("default")
    worker.join()
    message = next(m for m in mail.outbox if email in m.to)
    return re.search(r"https?://\S+/invitations/[\w-]+/", message.body).group(0)


def console_link(organisation) -> str:
    staff = User.objects.create_superuser(email="ops@plateforme.test", password=PASSWORD, first_name="Ops")
    totp_enable(staff)
    html = client_for(None, staff).get(f"/console/organisations/{organisation.pk}/").content.decode()
    return re.search(rf'href="(https?://{organisation.slug}\.[^"]*)"', html).group(1)


def test_links_in_emails_and_the_console_follow_site_url(cast, worker, settings):
    settings.SITE_URL = "https://localhost:8443"
    slug = cast.organisation.slug
    assert invitation_link(cast, worker, "nina@exemple.test").startswith(f"https://{slug}.localhost:8443/invitations/")
    assert console_link(cast.organisation) == f"https://{slug}.localhost:8443/"


def test_links_have_no_port_when_site_url_has_none(cast, settings):
    settings.SITE_URL = "https://localhost"
    assert organisation_url(cast.organisation, "/rendez-vous/") == f"https://{cast.organisation.slug}.localhost/rendez-vous/"


def test_serve_on_another_port_puts_that_port_in_every_link(cast, worker, settings, monkeypatch):
    """`make run PORT=8123`: the invitation e-mail and the console point at port 8123, not 8000."""
    settings.REDIS_URL = ""
    settings.SITE_URL_GIVEN = False
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(serve.signal, "signal", lambda *args: None)
    monkeypatch.setattr("config.dramatiq.start_inprocess_worker", lambda: None)
    seen = {}

    def fake_call_command(name, *args, **kwargs):
        if name == "runserver":  # the server "runs": links are built meanwhile
            seen["address"] = args[0]
            seen["invitation"] = invitation_link(cast, worker, "nina@exemple.test")
            seen["console"] = console_link(cast.organisation)

    monkeypatch.setattr(serve, "call_command", fake_call_command)
    monkeypatch.setattr(serve, "template_schema_ensure", lambda: None)
    call_command(serve.Command(), port="8123", no_seed=True)
    slug = cast.organisation.slug
    assert seen["address"] == "0.0.0.0:8123"
    assert seen["invitation"].startswith(f"http://{slug}.localhost:8123/invitations/")
    assert seen["console"] == f"http://{slug}.localhost:8123/"
    assert os.environ["SITE_URL"] == "http://localhost:8123"  # for the dramatiq worker process


def test_a_site_url_set_in_the_environment_wins_over_the_port(settings, monkeypatch):
    settings.SITE_URL = "https://localhost"
    settings.SITE_URL_GIVEN = True
    serve.site_url_use_port("8123")
    assert settings.SITE_URL == "https://localhost"
