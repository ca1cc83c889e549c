"""Carries the organisation (schema) of the enqueuing code into the actor that runs the job."""
from __future__ import annotations

import logging

import dramatiq
from dramatiq.middleware import Middleware, SkipMessage

logger = logging.getLogger(__name__)

SCHEMA_OPTION = "tenant_schema"


class TenantMiddleware(Middleware):
    def before_enqueue(self, broker, message, delay):
        from django.db import connection

        # setdefault: retries and delayed messages are re-enqueued from the worker, where the
        # connection's schema is not the one the message was created in.
        message.options.setdefault(SCHEMA_OPTION, connection.schema_name)

    def before_process_message(self, broker, message):
        from django.db import connection
        from django_tenants.utils import get_public_schema_name, get_tenant_model

        schema = message.options.get(SCHEMA_OPTION) or get_public_schema_name()
        if schema == get_public_schema_name():
            connection.set_schema_to_public()
            return
        tenant = get_tenant_model().objects.filter(schema_name=schema).first()
        if tenant is None:
            logger.warning("Skipping message %s: organisation schema %s no longer exists", message.message_id, schema)
            raise SkipMessage()
        connection.set_tenant(tenant)

    def after_process_message(self, broker, message, *, result=None, exception=None):
        from django.db import connection

        connection.set_schema_to_public()

    after_skip_message = after_process_message


def start_inprocess_worker(threads: int = 2) -> dramatiq.Worker:
    """Consume the stub broker inside this process (no Redis on a laptop)."""
    worker = dramatiq.Worker(dramatiq.get_broker(), worker_threads=threads)
    worker.start()
    return worker


def enqueue_on_commit(actor, *args, **kwargs) -> None:
    """Send ``actor(*args, **kwargs)`` once the current transaction commits, in the schema that
    is current *now* (by commit time the connection may have moved to another schema)."""
    from django.db import connection, transaction

    schema = connection.schema_name
    transaction.on_commit(lambda: actor.send_with_options(args=args, kwargs=kwargs, **{SCHEMA_OPTION: schema}))
