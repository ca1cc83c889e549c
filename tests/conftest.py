"""Tenant and role fixtures for the whole suite (real PostgreSQL, real schemas).

Two organisations, ``alpha`` and ``beta``, are created once per session (committed). Test data
inside them is created per test within the test transaction and rolled back. Tests that need
committed data (a dramatiq worker, a live server) use ``transactional_db``; pytest-django runs
them after the others and flushes the public tables afterwards, so the organisation fixtures
re-create their rows when needed (their schemas are never dropped during the session)."""
from __future__ import annotations

from dataclasses import dataclass

import dramatiq
import pytest
from django.core.cache import caches
from django.core.signals import request_finished
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

from tests.bilans.factories import BeneficiaryFactory
from tests.organisations.factories import UserFactory, totp_enable

PASSWORD = "Mot-de-passe-tres-sur-2026"


def _back_to_public(**kwargs):
    # The routing middleware leaves the connection on the organisation's schema after a request;
    # assertions written after a test-client call must start from the public schema as in a fresh request.
    connection.set_schema_to_public()


request_finished.connect(_back_to_public, dispatch_uid="tests-back-to-public")


def ensure_organisation(slug: str, name: str):
    from plans.migrations._seed import seed_plans
    from tenants.models import Domain, Organisation
    from tenants.services import organisation_create, organisation_domain, schema_name_for_slug

    connection.set_schema_to_public()
    seed_plans()
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is not None:
        if organisation.status != Organisation.Status.ACTIVE:
            Organisation.objects.filter(pk=organisation.pk).update(status=Organisation.Status.ACTIVE)
            organisation.refresh_from_db()
        return organisation
    if schema_exists(schema_name_for_slug(slug)):  # row flushed by a transactional test
        organisation = Organisation(schema_name=schema_name_for_slug(slug), slug=slug, name=name)
        organisation.save(verbosity=0)
        Domain.objects.create(domain=organisation_domain(slug), tenant=organisation, is_primary=True)
        return organisation
    return organisation_create(
        name=name, slug=slug, kind="training_organisation", admin_email=f"fondateur@{slug}.test", admin_password=PASSWORD
    ).organisation


@pytest.fixture(scope="session")
def _session_organisations(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_organisation("alpha", "Alpha Bilans")
        ensure_organisation("beta", "Beta Conseil")


@pytest.fixture(autouse=True)
def _clean_state():
    for alias in ("default", "routing"):
        caches[alias].clear()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()
    for alias in ("default", "routing"):
        caches[alias].clear()


@pytest.fixture
def org_a(_session_organisations, django_db_blocker):
    with django_db_blocker.unblock():
        return ensure_organisation("alpha", "Alpha Bilans")


@pytest.fixture
def org_b(_session_organisations, django_db_blocker):
    with django_db_blocker.unblock():
        return ensure_organisation("beta", "Beta Conseil")


def host_of(organisation) -> str:
    from django.conf import settings

    return f"{organisation.slug}.{settings.PLATFORM_DOMAIN}"


def client_for(organisation=None, user=None) -> Client:
    """A test client on the organisation's subdomain (the public domain when None), logged in
    as ``user`` if given (the session is stored in that organisation's schema)."""
    from django.conf import settings

    client = Client(HTTP_HOST=host_of(organisation) if organisation else settings.PLATFORM_DOMAIN)
    if user is not None:
        with schema_context(organisation.schema_name if organisation else "public"):
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@dataclass
class Cast:
    """The people of one organisation for a test."""

    organisation: object
    admin: object
    consultant: object
    other_consultant: object
    beneficiary_user: object
    beneficiary: object
    other_beneficiary: object

    def client(self, user=None) -> Client:
        return client_for(self.organisation, user)


def make_cast(organisation) -> Cast:
    from bilans.services import beneficiary_assign_consultant, beneficiary_link_account

    with schema_context(organisation.schema_name):
        admin = UserFactory(role="admin")
        totp_enable(admin)
        consultant = UserFactory(role="consultant")
        other_consultant = UserFactory(role="consultant")
        beneficiary_user = UserFactory(role="beneficiary")
        beneficiary = BeneficiaryFactory(email=beneficiary_user.email)
        beneficiary_link_account(beneficiary=beneficiary, user=beneficiary_user)
        beneficiary_assign_consultant(beneficiary=beneficiary, consultant=consultant, actor=admin)
        other_beneficiary = BeneficiaryFactory()
        beneficiary_assign_consultant(beneficiary=other_beneficiary, consultant=other_consultant, actor=admin)
    return Cast(organisation, admin, consultant, other_consultant, beneficiary_user, beneficiary, other_beneficiary)


@pytest.fixture
def cast_a(db, org_a) -> Cast:
    return make_cast(org_a)


@pytest.fixture
def cast_b(db, org_b) -> Cast:
    return make_cast(org_b)


@pytest.fixture
def staff_user(db):
    """A platform staff member (public schema) with TOTP enabled, as the console requires."""
    import uuid

    from django.db import connection

    connection.set_schema_to_public()
    user = UserFactory(role="staff", email=f"equipe-{uuid.uuid4().hex[:8]}@plateforme.test")
    totp_enable(user)
    return user


@pytest.fixture
def public_client(db) -> Client:
    return client_for(None)


@pytest.fixture
def stub_broker():
    broker = dramatiq.get_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


def _declare_every_actor() -> None:
    """Import every app's ``tasks`` module, as the worker process does at start: a queue declared
    after a worker started may never be consumed by it, and the test would wait forever."""
    from importlib import import_module

    from django.apps import apps

    for app in apps.get_app_configs():
        try:
            import_module(f"{app.name}.tasks")
        except ModuleNotFoundError as error:
            if error.name != f"{app.name}.tasks":
                raise


@pytest.fixture
def worker(stub_broker):
    """A real dramatiq worker consuming the stub broker in threads."""
    _declare_every_actor()
    worker = dramatiq.Worker(stub_broker, worker_timeout=100, worker_threads=2)
    worker.start()
    yield worker
    worker.stop()
