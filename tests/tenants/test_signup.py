"""Signup on the public site creates an organisation and lands its administrator, logged in,
on the new subdomain."""
import pytest
from django.conf import settings
from django.core import mail
from django_tenants.utils import schema_context, schema_exists

from organisations.accounts.models import AuditEvent, User
from tenants.models import Domain, Organisation
from tenants.signup_guard import pow_solve
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

VALID = {
    "kind": "independent_consultant",
    "name": "Cabinet Horizon",
    "slug": "cabinet-horizon",
    "first_name": "Paul",
    "last_name": "Renard",
    "email": "Paul.Renard@Horizon.test",
    "password": PASSWORD,
    "accept_terms": "on",
}


def signup_post(client, data=None, meta=None, **overrides):
    """Post the signup form as the browser does: with the page's challenge solved."""
    challenge = client.get("/inscription/").context["challenge"]
    fields = {**(data or VALID), **overrides, "challenge": challenge, "solution": str(pow_solve(challenge))}
    return client.post("/inscription/", fields, **(meta or {}))


def test_signup_end_to_end_across_subdomains(public_client, org_a):
    response = signup_post(public_client)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"http://cabinet-horizon.{settings.PLATFORM_DOMAIN}/connexion/relais/")

    organisation = Organisation.objects.get(slug="cabinet-horizon")
    assert organisation.schema_name == "org_cabinet_horizon" and schema_exists("org_cabinet_horizon")
    assert organisation.kind == "independent_consultant"
    assert organisation.plan.code == "starter" and organisation.trial_ends_at is not None
    assert Domain.objects.filter(domain=f"cabinet-horizon.{settings.PLATFORM_DOMAIN}", tenant=organisation).exists()

    tenant_client = client_for(organisation)
    path = location.split(settings.PLATFORM_DOMAIN, 1)[1]
    landed = tenant_client.get(path, follow=True)
    # Administrators must enrol two-factor authentication first: they land on its page, logged in.
    assert landed.redirect_chain[-1][0].startswith("/accounts/2fa/totp/activate")
    # Logged in (not 401), but held until the second factor is enrolled.
    assert tenant_client.get("/api/v1/me/").json()["code"] == "mfa_required"
    verification = [m for m in mail.outbox if "paul.renard@horizon.test" in m.to]
    assert len(verification) == 1 and f"cabinet-horizon.{settings.PLATFORM_DOMAIN}" in verification[0].body

    # The handoff ticket is single use.
    again = client_for(organisation).get(path)
    assert again.status_code == 302 and again["Location"].startswith("/accounts/login")

    with schema_context(organisation.schema_name):
        admin = User.objects.get()
        assert admin.role == "admin" and admin.check_password(PASSWORD)
        assert AuditEvent.objects.filter(action="organisation.created").exists()
    assert AuditEvent.objects.filter(action="organisation.created", object_id=str(organisation.pk)).exists()
    # The other organisations know nothing of this administrator.
    with schema_context(org_a.schema_name):
        assert not User.objects.filter(email="paul.renard@horizon.test").exists()


@pytest.mark.parametrize(
    "slug, message",
    [
        ("Cabinet Horizon", "lettres minuscules"),
        ("ab", "de 3 à 40 caractères"),
        ("-horizon", "sans tiret au début"),
        ("horizon_2", "lettres minuscules"),
        ("hôrizon", "sans accent"),
        ("www", "est réservée"),
        ("api", "est réservée"),
        ("admin", "est réservée"),
        ("static", "est réservée"),
        ("public", "est réservée"),
        ("alpha", "déjà utilisée"),
    ],
)
def test_invalid_reserved_and_taken_slugs_are_refused(public_client, org_a, slug, message):
    count = Organisation.objects.count()
    response = signup_post(public_client, slug=slug)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Organisation.objects.count() == count


def test_duplicate_email_is_refused(public_client, org_a):
    assert signup_post(public_client).status_code == 302
    second = signup_post(public_client, slug="autre-cabinet", email="PAUL.renard@horizon.test")
    assert second.status_code == 400
    assert "Un espace a déjà été créé avec cette adresse e-mail" in second.content.decode()
    assert not Organisation.objects.filter(slug="autre-cabinet").exists()


def test_weak_password_is_refused_and_nothing_created(public_client, org_a):
    response = signup_post(public_client, password="123")
    assert response.status_code == 400
    assert not Organisation.objects.filter(slug="cabinet-horizon").exists()
    assert not schema_exists("org_cabinet_horizon")


def test_slug_check_answers_inline(public_client, org_a):
    assert "Disponible" in public_client.get("/inscription/verifier-adresse/?slug=nouveau-cabinet").content.decode()
    assert "déjà utilisée" in public_client.get("/inscription/verifier-adresse/?slug=alpha").content.decode()
    assert "réservée" in public_client.get("/inscription/verifier-adresse/?slug=www").content.decode()


def test_create_organisation_command(org_a):
    from django.core.management import call_command

    call_command("create_organisation", "centre-nord", name="Centre Nord", admin_email="dir@nord.test", admin_password=PASSWORD)
    organisation = Organisation.objects.get(slug="centre-nord")
    with schema_context(organisation.schema_name):
        assert User.objects.get().email == "dir@nord.test"


def test_create_organisation_command_reports_errors(org_a):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="déjà utilisée"):
        call_command("create_organisation", "alpha", name="Doublon", admin_email="x@y.test")


def test_public_pages_render(public_client):
    landing = public_client.get("/")
    assert landing.status_code == 200 and 'lang="fr"' in landing.content.decode()
    pricing = public_client.get("/tarifs/").content.decode()
    for expected in ("Starter", "49 €", "Professional", "149 €", "Enterprise", "499 €"):
        assert expected in pricing
    assert public_client.get("/inscription/").status_code == 200
    for path, heading in (("/mentions-legales/", "Mentions légales"), ("/confidentialite/", "données personnelles"), ("/accessibilite/", "accessibilité")):
        page = public_client.get(path)
        assert page.status_code == 200 and heading in page.content.decode()


def test_bootstrap_platform_is_idempotent(org_a):
    from django.core.management import call_command

    call_command("bootstrap_platform")
    call_command("bootstrap_platform")
    assert Organisation.objects.filter(schema_name=settings.TENANT_TEMPLATE_SCHEMA, is_template=True).count() == 1
    assert schema_exists(settings.TENANT_TEMPLATE_SCHEMA)
