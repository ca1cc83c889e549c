"""Periodic jobs (reminders, credit expiry, retention purge...).

An app declares one with::

    from config.scheduler import periodic

    @periodic(every=timedelta(minutes=15))          # once per active organisation schema
    @dramatiq.actor
    def send_due_reminders(): ...

    @periodic(every=timedelta(hours=1), per_organisation=False)   # once, in the public schema
    @dramatiq.actor
    def expire_credits(): ...

    @periodic(every=timedelta(hours=1), legal_duty=True)   # also in suspended and closed ones
    @dramatiq.actor
    def purge_ended_bilans(): ...

A legal duty (destroying documents at the end of a bilan, expiring unsigned conventions) does not
stop when an organisation is suspended or closed; reminders and surveys do.

``manage.py run_scheduler`` (started by ``manage.py serve`` and by the systemd unit
``bilans-scheduler``) calls :func:`tick` every minute; ``tick`` enqueues each due job, which a
dramatiq worker runs in the right schema (config.dramatiq.TenantMiddleware). Jobs must be
idempotent: they act on what is due *now* and record what they did.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass
class PeriodicJob:
    actor: object
    every: timedelta
    per_organisation: bool
    legal_duty: bool = False
    last_enqueued: float = field(default=0.0)


REGISTRY: dict[str, PeriodicJob] = {}


def periodic(*, every: timedelta, per_organisation: bool = True, legal_duty: bool = False):
    def register(actor):
        REGISTRY[actor.actor_name] = PeriodicJob(actor=actor, every=every, per_organisation=per_organisation, legal_duty=legal_duty)
        return actor

    return register


def active_schemas(*, including_inactive: bool = False) -> list[str]:
    """Customer organisations' schemas: the active ones, or all of them (suspended and closed
    included) for a legal duty."""
    from tenants.models import Organisation

    organisations = Organisation.objects.filter(is_template=False)
    if not including_inactive:
        organisations = organisations.filter(status=Organisation.Status.ACTIVE)
    return list(organisations.values_list("schema_name", flat=True))


def enqueue_job(job: PeriodicJob) -> int:
    """Enqueue one periodic job now (in every active organisation, or once in public)."""
    from config.dramatiq import SCHEMA_OPTION

    schemas = active_schemas(including_inactive=job.legal_duty) if job.per_organisation else ["public"]
    for schema in schemas:
        job.actor.send_with_options(**{SCHEMA_OPTION: schema})
    job.last_enqueued = time.monotonic()
    return len(schemas)


def tick(*, force: bool = False) -> list[str]:
    """Enqueue every job whose interval has elapsed; returns their names."""
    now = time.monotonic()
    due = [name for name, job in REGISTRY.items() if force or not job.last_enqueued or now - job.last_enqueued >= job.every.total_seconds()]
    for name in due:
        enqueue_job(REGISTRY[name])
    return due
