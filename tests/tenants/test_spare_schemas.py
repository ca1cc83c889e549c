"""Signups take a ready-made spare schema (renamed, constant time) instead of cloning."""
import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from organisations.accounts.models import AuditEvent, User
from tenants.models import Organisation
from tenants.services import SPARE_PREFIX, organisation_create, spare_pool_refill
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def spares():
    return Organisation.objects.filter(is_template=True, schema_name__startswith=SPARE_PREFIX)


def test_refill_creates_the_pool_and_signup_claims_a_spare(settings, org_a, stub_broker):
    settings.SPARE_SCHEMA_POOL_SIZE = 2
    assert spare_pool_refill() == 2
    assert spare_pool_refill() == 0
    first_spare = spares().order_by("pk").first()
    spare_schema = first_spare.schema_name

    created = organisation_create(
        name="Cabinet Rapide", slug="cabinet-rapide", kind="independent_consultant", admin_email="vite@rapide.test", admin_password=PASSWORD
    )
    organisation = created.organisation
    assert organisation.pk == first_spare.pk and organisation.schema_name == "org_cabinet_rapide"
    assert not organisation.is_template and organisation.status == "active"
    assert schema_exists("org_cabinet_rapide") and not schema_exists(spare_schema)
    assert spares().count() == 1
    with schema_context(organisation.schema_name):
        assert User.objects.get().email == "vite@rapide.test"
        # the append-only trigger came along with the schema
        assert AuditEvent.objects.exists()
    # The spare never shows up as a customer organisation and the new one works end to end.
    assert not Organisation.objects.filter(slug__startswith="spare-", is_template=False).exists()
    client = client_for(organisation, created.administrator)
    assert client.get("/healthz").wsgi_request.tenant.schema_name == "org_cabinet_rapide"
    # a refill of the pool was queued for after the commit
    connection.set_schema_to_public()


def test_without_spares_creation_falls_back_to_cloning(settings, org_a):
    settings.SPARE_SCHEMA_POOL_SIZE = 0
    assert not spares().exists()
    created = organisation_create(
        name="Cabinet Lent", slug="cabinet-lent", kind="training_organisation", admin_email="lent@lent.test", admin_password=PASSWORD
    )
    assert schema_exists(created.organisation.schema_name)


def test_a_refill_already_running_elsewhere_makes_a_second_one_return_at_once(settings, org_a):
    """A burst of signups queues many refills; only one works, so the pool is never overfilled."""
    import psycopg

    from tenants.services import SPARE_REFILL_LOCK

    settings.SPARE_SCHEMA_POOL_SIZE = 1
    params = connection.get_connection_params()
    with psycopg.connect(host=params.get("host"), port=params.get("port"), user=params.get("user"), dbname=params["dbname"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [SPARE_REFILL_LOCK])
        assert spare_pool_refill() == 0
        assert not spares().exists()
        # Unlock explicitly: a closed connection's backend may still hold its locks for a moment.
        other.execute("SELECT pg_advisory_unlock(%s)", [SPARE_REFILL_LOCK])
    assert spare_pool_refill() == 1
    assert spares().count() == 1
