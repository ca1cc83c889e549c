"""Background jobs of the credits: expiry and renewals (periodic, public schema) and the
off-session payment of an automatic top-up."""
from __future__ import annotations

import logging
from datetime import timedelta

import dramatiq

from config.scheduler import periodic

logger = logging.getLogger(__name__)


@periodic(every=timedelta(hours=1), per_organisation=False)
@dramatiq.actor(max_retries=3)
def expire_credits() -> None:
    from plans.services import credits_expire_due

    expired = credits_expire_due()
    if expired:
        logger.info("Credits expired: %s", expired)


@periodic(every=timedelta(hours=1), per_organisation=False)
@dramatiq.actor(max_retries=3)
def process_due_subscriptions() -> None:
    from plans.services import subscriptions_process_due

    subscriptions_process_due()


@dramatiq.actor(max_retries=3, min_backoff=60_000)
def auto_topup_pay(order_id: str) -> None:
    from plans import stripe_gateway
    from plans.models import Order
    from plans.services import order_fail, order_mark_paid

    order = Order.objects.filter(pk=order_id, status=Order.Status.PENDING).first()
    if order is None or not stripe_gateway.enabled():
        return
    try:
        status = stripe_gateway.auto_topup_charge(order)
    except Exception as error:  # a declined card is final: the administrators are told
        import stripe

        if isinstance(error, stripe.CardError):
            order_fail(order=order, reason=str(error.user_message or "Carte refusée."))
            return
        raise
    if status == "succeeded":
        order_mark_paid(order=order, via="stripe")
