"""Stripe: Checkout, the customer portal, off-session top-ups and the webhook.

Only this module talks to Stripe, with the official ``stripe`` library. Without
``STRIPE_SECRET_KEY`` the platform runs in manual payment mode (staff mark orders paid).
``STRIPE_API_BASE`` points the library at another server (tests run a local one).

Self-funded beneficiaries also pay an organisation's invoice here (``invoice_checkout_session_create``);
the webhook hands such payments to the organisation's billing service, in its schema.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone as dt_timezone

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import Conflict, InvalidInput
from plans.models import Order, StripeEvent, Subscription

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=1)


UNAVAILABLE = "Le paiement en ligne est momentanément indisponible. Réessayez plus tard ou contactez l'équipe."


def _unavailable(what: str) -> Conflict:
    logger.exception("Stripe call failed: %s", what)
    return Conflict(UNAVAILABLE, code="stripe_unavailable")


def customer_ensure(subscription: Subscription, *, email: str) -> str:
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    organisation = subscription.organisation
    customer = client().v1.customers.create(
        params={"email": email, "name": organisation.name, "metadata": {"organisation_id": str(organisation.pk)}}
    )
    Subscription.objects.filter(pk=subscription.pk).update(stripe_customer_id=customer.id)
    subscription.stripe_customer_id = customer.id
    return customer.id


def checkout_session_create(*, order: Order, subscription: Subscription, email: str, success_url: str, cancel_url: str) -> str:
    """A Checkout session for the order; returns the URL to send the administrator to. Stripe
    unreachable or refusing: Conflict ``stripe_unavailable``."""
    try:
        return _checkout_session_create(order=order, subscription=subscription, email=email, success_url=success_url, cancel_url=cancel_url)
    except stripe.StripeError:
        raise _unavailable(f"checkout for order {order.pk}") from None


def _checkout_session_create(*, order: Order, subscription: Subscription, email: str, success_url: str, cancel_url: str) -> str:
    customer = customer_ensure(subscription, email=email)
    metadata = {"order_id": str(order.pk), "organisation_id": str(order.organisation_id)}
    if order.kind == Order.Kind.SUBSCRIPTION:
        plan = order.plan
        params = {
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": plan.monthly_price_cents,
                        "recurring": {"interval": "month"},
                        "product_data": {"name": f"Formule {plan.name}"},
                    },
                    "quantity": 1,
                }
            ],
            "subscription_data": {"metadata": {**metadata, "plan_code": plan.code}},
        }
    else:
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": order.amount_cents,
                        "product_data": {"name": f"Pack de {order.credits} crédits"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {"metadata": metadata, "setup_future_usage": "off_session"},
        }
    session = client().v1.checkout.sessions.create(
        params={
            **params,
            "customer": customer,
            "client_reference_id": str(order.pk),
            "metadata": metadata,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "locale": "fr",
        }
    )
    Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id=session.id)
    return session.url


INVOICE_PAYMENT = "invoice_payment"  # metadata "purpose" of a Checkout session paying an organisation's invoice


def invoice_checkout_session_create(
    *,
    organisation_id,
    organisation_schema: str,
    invoice_id,
    online_payment_id,
    invoice_number: str,
    amount_cents: int,
    email: str,
    success_url: str,
    cancel_url: str,
) -> tuple[str, str]:
    """A Checkout session (mode payment, EUR) for a self-funded beneficiary paying an invoice of
    an organisation; returns (session id, URL). Plain values only: this public module never
    reads the organisation's tables. The metadata, copied on the payment intent, lets the
    webhook find the organisation's schema and the invoice again."""
    metadata = {
        "purpose": INVOICE_PAYMENT,
        "organisation_id": str(organisation_id),
        "organisation_schema": organisation_schema,
        "invoice_id": str(invoice_id),
        "online_payment_id": str(online_payment_id),
    }
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "eur", "unit_amount": int(amount_cents), "product_data": {"name": f"Facture {invoice_number}"}},
                "quantity": 1,
            }
        ],
        "payment_intent_data": {"metadata": metadata, "description": f"Facture {invoice_number}"},
        "metadata": metadata,
        "client_reference_id": str(online_payment_id),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": "fr",
    }
    if email:
        params["customer_email"] = email
    try:
        session = client().v1.checkout.sessions.create(params=params, options={"idempotency_key": f"invoice-checkout-{online_payment_id}"})
    except stripe.StripeError:
        logger.exception("Stripe Checkout session for invoice %s failed", invoice_id)
        raise Conflict(
            "Le paiement en ligne est momentanément indisponible. Réessayez plus tard ou réglez par virement.", code="stripe_unavailable"
        ) from None
    return session.id, session.url


def checkout_session_expire(session_id: str) -> bool:
    """Close a Checkout session nobody paid yet, so that an abandoned payment page cannot be paid
    after a newer one. False when Stripe refuses (already paid or expired): its webhook decides."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError:
        logger.info("Stripe Checkout session %s could not be expired", session_id)
        return False
    return True


def portal_session_url(*, subscription: Subscription, email: str, return_url: str) -> str:
    try:
        customer = customer_ensure(subscription, email=email)
        session = client().v1.billing_portal.sessions.create(params={"customer": customer, "return_url": return_url})
    except stripe.StripeError:
        raise _unavailable("customer portal") from None
    return session.url


def auto_topup_charge(order: Order) -> str:
    """Charge the customer's saved card off-session for an automatic top-up; the credits come
    with the ``payment_intent.succeeded`` webhook (or at once if Stripe already says succeeded)."""
    subscription = Subscription.objects.get(organisation_id=order.organisation_id)
    api = client()
    customer = api.v1.customers.retrieve(subscription.stripe_customer_id)
    method = ((customer.to_dict().get("invoice_settings") or {}).get("default_payment_method")) or None
    params = {
        "amount": order.amount_cents,
        "currency": "eur",
        "customer": subscription.stripe_customer_id,
        "off_session": True,
        "confirm": True,
        "metadata": {"order_id": str(order.pk), "organisation_id": str(order.organisation_id)},
        "description": f"Recharge automatique de {order.credits} crédits",
    }
    if method:
        params["payment_method"] = method
    intent = api.v1.payment_intents.create(params=params, options={"idempotency_key": f"auto-topup-{order.pk}"})
    Order.objects.filter(pk=order.pk).update(stripe_payment_intent_id=intent.id)
    return intent.status


# --- webhook --------------------------------------------------------------------------------------
def _when(timestamp) -> datetime:
    return datetime.fromtimestamp(int(timestamp or 0), tz=dt_timezone.utc)


def webhook_receive(*, payload: bytes, signature: str) -> StripeEvent:
    """Verify the signature (400 ``invalid_signature`` otherwise, nothing stored), store the
    event once (unique id) and process it in the same transaction. A replayed event is stored
    already and changes nothing; an error rolls everything back so that Stripe retries."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise InvalidInput("Webhook Stripe non configuré.", code="stripe_not_configured")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
        data = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError):
        raise InvalidInput("Signature Stripe invalide.", code="invalid_signature") from None
    event_id = data.get("id")
    if not event_id:
        raise InvalidInput("Événement Stripe sans identifiant.", code="invalid_event")
    with transaction.atomic():
        try:
            with transaction.atomic():
                event, created = StripeEvent.objects.get_or_create(
                    event_id=event_id,
                    defaults={
                        "type": data.get("type", ""),
                        "created": _when(data.get("created")),
                        "livemode": bool(data.get("livemode")),
                        "payload": data,
                    },
                )
        except IntegrityError:  # the same event delivered twice at once: the other one wins
            event = StripeEvent.objects.get(event_id=event_id)
        event = StripeEvent.objects.select_for_update().get(pk=event.pk)
        if event.processed_at is not None:
            return event
        outcome = _dispatch(data)
        event.processed_at = timezone.now()
        event.outcome = outcome[:200]
        event.save(update_fields=["processed_at", "outcome"])
        return event


def _subscription_for(obj: dict) -> Subscription | None:
    metadata = obj.get("metadata") or {}
    subscription_id = obj.get("id") if obj.get("object") == "subscription" else obj.get("subscription")
    if not subscription_id:
        details = ((obj.get("parent") or {}).get("subscription_details")) or {}
        subscription_id = details.get("subscription")
        metadata = {**(details.get("metadata") or {}), **metadata}
    found = None
    if subscription_id:
        found = Subscription.objects.filter(stripe_subscription_id=subscription_id).first()
    if found is None and obj.get("customer"):
        found = Subscription.objects.filter(stripe_customer_id=obj["customer"]).first()
    if found is None and metadata.get("organisation_id"):
        found = Subscription.objects.filter(organisation_id=metadata["organisation_id"]).first()
    return found


def _order_for(obj: dict) -> Order | None:
    order_id = (obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id")
    if not order_id:
        return None
    try:
        return Order.objects.filter(pk=order_id).first()
    except Exception:  # not a UUID
        return None


def _invoice_payment(kind: str, obj: dict, created: datetime) -> str:
    """An organisation's invoice paid by Checkout: record the payment in that organisation's
    schema through its billing service (imported here, never at module level: a public app
    does not import tenant code). The organisation must match its schema; the billing service
    then checks the session, the invoice and the amount against what it opened. A mismatch is
    logged and ignored (200 to Stripe: retrying would not change it)."""
    from django_tenants.utils import schema_context

    from tenants.models import Organisation

    metadata = obj.get("metadata") or {}
    if kind == "checkout.session.completed" and obj.get("payment_status") != "paid":
        return "invoice checkout not paid yet"
    if kind == "payment_intent.succeeded":
        amount = obj.get("amount_received") or obj.get("amount") or 0
        payment_intent_id, session_id = obj.get("id") or "", ""
    else:
        amount = obj.get("amount_total") or 0
        payment_intent_id, session_id = obj.get("payment_intent") or "", obj.get("id") or ""
    try:
        organisation = Organisation.objects.filter(pk=metadata.get("organisation_id")).first()
    except (ValueError, TypeError):
        organisation = None
    if organisation is None or organisation.schema_name != metadata.get("organisation_schema"):
        logger.warning(
            "Stripe invoice payment ignored: organisation %r does not match schema %r",
            metadata.get("organisation_id"), metadata.get("organisation_schema"),
        )
        return "invoice payment ignored: organisation mismatch"
    with schema_context(organisation.schema_name):
        from bilans.billing.services import online_payment_complete

        return online_payment_complete(
            online_payment_id=metadata.get("online_payment_id") or "",
            invoice_id=metadata.get("invoice_id") or "",
            session_id=session_id,
            payment_intent_id=payment_intent_id,
            amount_cents=int(amount),
            currency=(obj.get("currency") or "").lower(),
            paid_on=timezone.localdate(created),
        )


def _dispatch(event: dict) -> str:
    from plans import services

    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    created = _when(event.get("created"))

    if (obj.get("metadata") or {}).get("purpose") == INVOICE_PAYMENT:
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded"):
            return _invoice_payment(kind, obj, created)
        return "invoice payment event ignored"

    if kind == "checkout.session.completed":
        order = _order_for(obj)
        if order is None:
            return "order not found"
        if obj.get("mode") == "subscription":
            subscription = services.subscription_get(order.organisation)
            updates = {"stripe_customer_id": obj.get("customer") or subscription.stripe_customer_id}
            if obj.get("subscription") and not subscription.stripe_subscription_id:
                updates["stripe_subscription_id"] = obj["subscription"]
            Subscription.objects.filter(pk=subscription.pk).update(**updates)
            services.order_mark_paid(order=order, via="stripe")
            return "subscription checkout linked"
        if obj.get("payment_status") == "paid":
            services.order_mark_paid(order=order, via="stripe", payment_intent_id=obj.get("payment_intent") or "")
            return "order paid"
        return "checkout not paid yet"

    if kind in ("payment_intent.succeeded", "checkout.session.async_payment_succeeded"):
        order = _order_for(obj)
        if order is None or order.kind == Order.Kind.SUBSCRIPTION:
            return "no credit order"
        services.order_mark_paid(order=order, via="stripe", payment_intent_id=obj.get("id", "") if kind.startswith("payment_intent") else "")
        return "order paid"

    if kind in ("payment_intent.payment_failed", "payment_intent.canceled", "checkout.session.expired", "checkout.session.async_payment_failed"):
        # A pending order must end: otherwise it waits forever and blocks the automatic top-up.
        order = _order_for(obj)
        if order is None:
            return "order not found"
        reasons = {
            "payment_intent.canceled": "Paiement annulé.",
            "checkout.session.expired": "La page de paiement a expiré sans paiement.",
            "checkout.session.async_payment_failed": "Le paiement différé a échoué.",
        }
        error = (obj.get("last_payment_error") or {}).get("message", "") or reasons.get(kind, "")
        services.order_fail(order=order, reason=error)
        return "order failed"

    if kind in ("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"):
        subscription = _subscription_for(obj)
        if subscription is None:
            return "subscription not found"
        data = dict(obj)
        if kind == "customer.subscription.deleted":
            data["status"] = "canceled"
        applied = services.subscription_sync_from_stripe(subscription=subscription, data=data, event_created=created)
        return "subscription synced" if applied else "stale event ignored"

    if kind == "invoice.paid":
        subscription = _subscription_for(obj)
        if subscription is None:
            return "subscription not found"
        lines = ((obj.get("lines") or {}).get("data")) or [{}]
        period = lines[0].get("period") or {}
        start = _when(period.get("start") or obj.get("period_start"))
        end = _when(period.get("end") or obj.get("period_end"))
        metadata = {
            **(((obj.get("parent") or {}).get("subscription_details") or {}).get("metadata") or {}),
            **(lines[0].get("metadata") or {}),
        }
        from plans.models import Plan

        plan = Plan.objects.filter(code=metadata.get("plan_code")).first() if metadata.get("plan_code") else None
        services.subscription_renew(subscription=subscription, period_start=start, period_end=end, key=f"invoice:{obj.get('id')}", plan=plan)
        return "allowance granted"

    return "ignored"
