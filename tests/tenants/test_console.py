"""The staff console: organisations with counts, creation, suspension, the staff audit log —
and never a beneficiary's name (CT-08)."""
import re

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from organisations.accounts.models import AuditEvent, User
from tenants.models import Organisation
from tests.conftest import PASSWORD, client_for
from tests.organisations.factories import totp_enable

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    user = User.objects.create_superuser(email="ops@plateforme.test", password=PASSWORD, first_name="Ops")
    totp_enable(user)
    return user


@pytest.fixture
def console(staff):
    return client_for(None, staff)


def test_console_lists_organisations_with_counts_but_no_beneficiary_names(console, cast_a):
    """CT-08: platform staff see counts, never a beneficiary."""
    page = console.get("/console/")
    assert page.status_code == 200
    html = page.content.decode()
    assert cast_a.organisation.name in html and "Starter" in html
    row = next(r for r in page.context["rows"] if r[0].pk == cast_a.organisation.pk)
    assert row[1]["beneficiaries"] == 2 and row[1]["members"] >= 3 and row[1]["bilans"] == 0
    for secret in (cast_a.beneficiary.last_name, cast_a.beneficiary.email, cast_a.other_beneficiary.last_name):
        assert secret not in html
    detail = console.get(f"/console/organisations/{cast_a.organisation.pk}/").content.decode()
    assert cast_a.beneficiary.last_name not in detail and cast_a.beneficiary.email not in detail


def test_console_search_and_filter(console, cast_a, org_b):
    assert org_b.name not in console.get("/console/?q=alpha").content.decode()
    assert cast_a.organisation.name not in console.get("/console/?statut=suspended").content.decode()


def test_console_creates_an_organisation_and_mails_its_administrator(console, org_a, worker):
    response = console.post(
        "/console/organisations/nouvelle/",
        {"name": "Centre Sud", "slug": "centre-sud", "kind": "training_organisation", "admin_email": "direction@sud.test"},
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="centre-sud")
    with schema_context(organisation.schema_name):
        admin = User.objects.get()
        assert admin.role == "admin" and not admin.has_usable_password()
    assert AuditEvent.objects.filter(action="organisation.created", object_id=str(organisation.pk), actor__email="ops@plateforme.test").exists()


def test_console_create_refuses_reserved_slug(console, org_a):
    response = console.post(
        "/console/organisations/nouvelle/",
        {"name": "X", "slug": "www", "kind": "training_organisation", "admin_email": "x@x.test"},
    )
    assert response.status_code == 400 and "réservée" in response.content.decode()


def test_console_suspends_and_reactivates_with_audit(console, cast_a):
    pk = cast_a.organisation.pk
    assert console.post(f"/console/organisations/{pk}/suspendre/", {"reason": "Impayé"}).status_code == 302
    assert Organisation.objects.get(pk=pk).status == "suspended"
    assert cast_a.client(cast_a.admin).get("/").status_code == 403
    assert console.post(f"/console/organisations/{pk}/reactiver/").status_code == 302
    assert Organisation.objects.get(pk=pk).status == "active"
    log = console.get("/console/journal/").content.decode()
    assert "organisation.suspended" in log and "organisation.active" in log


def test_suspension_needs_a_reason(console, cast_a):
    console.post(f"/console/organisations/{cast_a.organisation.pk}/suspendre/", {"reason": ""})
    assert Organisation.objects.get(pk=cast_a.organisation.pk).status == "active"


def test_console_is_for_staff_only(cast_a, db):
    assert client_for(None).get("/console/").status_code == 302  # to login
    member = User.objects.create_user(email="pas-staff@plateforme.test", password=PASSWORD, role="consultant")
    assert client_for(None, member).get("/console/").status_code == 403
    # an organisation administrator has no account on the platform domain
    assert cast_a.client(cast_a.admin).get("/console/").status_code == 404
