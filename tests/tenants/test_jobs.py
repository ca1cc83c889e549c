"""Background jobs run in the schema of the organisation that enqueued them."""
import dramatiq
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from organisations.accounts.models import User
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

seen: list[tuple[str, list[str]]] = []


@dramatiq.actor(queue_name="test-tenancy")
def record_schema_and_users() -> None:
    seen.append((connection.schema_name, sorted(User.objects.values_list("email", flat=True))))


def test_actor_enqueued_from_a_runs_in_a(org_a, org_b, worker):
    seen.clear()
    with schema_context(org_a.schema_name):
        UserFactory(email="only-in-a@exemple.test")
        record_schema_and_users.send()
    with schema_context(org_b.schema_name):
        UserFactory(email="only-in-b@exemple.test")
        record_schema_and_users.send()
    worker.broker.join("test-tenancy")
    worker.join()
    by_schema = dict(seen)
    assert set(by_schema) == {org_a.schema_name, org_b.schema_name}
    assert "only-in-a@exemple.test" in by_schema[org_a.schema_name]
    assert "only-in-a@exemple.test" not in by_schema[org_b.schema_name]
    assert "only-in-b@exemple.test" in by_schema[org_b.schema_name]


def test_enqueue_on_commit_keeps_the_schema_of_the_caller(org_a, worker):
    from django.db import transaction

    from config.dramatiq import enqueue_on_commit

    seen.clear()
    with transaction.atomic():
        with schema_context(org_a.schema_name):
            enqueue_on_commit(record_schema_and_users)
        assert seen == []  # nothing leaves before commit
    worker.broker.join("test-tenancy")
    worker.join()
    assert [schema for schema, _ in seen] == [org_a.schema_name]


def test_message_for_a_deleted_organisation_is_skipped(worker):
    seen.clear()
    record_schema_and_users.send_with_options(tenant_schema="org_disparue")
    worker.broker.join("test-tenancy")
    worker.join()
    assert seen == []
