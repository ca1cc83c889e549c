import pytest
from django.db import DatabaseError, transaction
from django_tenants.utils import schema_context

from organisations.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_log_is_append_only_in_the_database(cast_a):
    with schema_context(cast_a.organisation.schema_name):
        event = AuditEvent.objects.filter(action="beneficiary.consultant_assigned").first()
        assert event is not None
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="falsified")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.get(pk=event.pk).action == "beneficiary.consultant_assigned"


def test_audit_log_records_actor_and_ip_and_is_visible_to_administrators(cast_a):
    client = cast_a.client(cast_a.admin)
    client.post(
        "/api/v1/beneficiaries/",
        {"first_name": "Yann", "last_name": "Le Gall", "email": "yann@exemple.test"},
        content_type="application/json",
        REMOTE_ADDR="203.0.113.7",
    )
    with schema_context(cast_a.organisation.schema_name):
        event = AuditEvent.objects.filter(action="beneficiary.created").latest("occurred_at")
        assert event.actor_id == cast_a.admin.pk and event.ip_address == "203.0.113.7"
    page = client.get("/organisation/journal/").content.decode()
    assert "beneficiary.created" in page and "203.0.113.7" in page
    assert cast_a.client(cast_a.consultant).get("/organisation/journal/").status_code == 403


def test_seed_demo_is_idempotent(org_a, settings):
    from django.core.management import call_command

    from bilans.models import Beneficiary
    from organisations.accounts.models import User
    from tenants.models import Organisation

    settings.DEBUG = True
    call_command("seed_demo")
    demo = Organisation.objects.get(slug="demo")

    def counts():
        with schema_context(demo.schema_name):
            return (User.objects.filter(role="consultant").count(), Beneficiary.objects.count(),
                    Beneficiary.objects.filter(consultant__isnull=False).count(), User.objects.filter(role="beneficiary").count())

    first = counts()
    call_command("seed_demo")
    assert counts() == first
    consultants, beneficiaries, assigned, accounts = first
    assert consultants == 2 and beneficiaries >= 5 and assigned == beneficiaries and accounts == beneficiaries
    assert Organisation.objects.filter(slug="marie-lambert-conseil", kind="independent_consultant").exists()
    assert User.objects.filter(role="staff").count() == 1


def test_seed_demo_refused_without_debug(org_a, settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
