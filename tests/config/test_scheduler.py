"""Periodic jobs: which organisations each one runs in."""
from __future__ import annotations

import pytest

from config.dramatiq import SCHEMA_OPTION
from config.scheduler import REGISTRY, enqueue_job

pytestmark = pytest.mark.django_db


def schemas_enqueued(broker, actor_name: str) -> set[str]:
    from dramatiq import Message

    messages = [Message.decode(raw) for raw in list(broker.queues["default"].queue)]
    return {m.options[SCHEMA_OPTION] for m in messages if m.actor_name == actor_name}


def test_legal_duties_still_run_in_a_suspended_organisation_and_reminders_do_not(org_a, org_b, stub_broker):
    """CT-09 / CT-15: destroying the working documents of ended bilans and expiring unsigned
    conventions are legal duties that a suspension does not stop; surveys and reminders stop."""
    import bilans.tasks  # noqa: F401  (registers the jobs)
    from tenants.models import Organisation

    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.SUSPENDED)
    for name in ("purge_ended_bilans", "expire_conventions", "send_due_surveys"):
        enqueue_job(REGISTRY[name])
    for duty in ("purge_ended_bilans", "expire_conventions"):
        assert {org_a.schema_name, org_b.schema_name} <= schemas_enqueued(stub_broker, duty)
    surveys = schemas_enqueued(stub_broker, "send_due_surveys")
    assert org_a.schema_name in surveys and org_b.schema_name not in surveys
    assert not any(s.startswith(("spare_", "tenant_template")) for s in schemas_enqueued(stub_broker, "purge_ended_bilans"))
