"""Writes on subscriptions and credits. Other apps call these; nothing else moves credits.

Every movement goes through ``_move`` (one immutable LedgerEntry between two accounts, the
database trigger moving the cached balances). Wallet and budget rows are locked with
``select_for_update`` in primary-key order before anything is read from them, so concurrent
charges on one bilan run one after the other and never overdraw (the CHECK on the balance is the
last line of defence). Idempotency keys are unique per organisation in the database.

``credits_charge`` / ``forfait_allocate`` run inside the caller's transaction (a savepoint):
if the paid action fails after them, the charge is rolled back with it.
"""
from __future__ import annotations

import calendar
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from config.errors import Conflict, Forbidden, InvalidInput, NotFound, PaymentRequired
from plans.models import (
    CreditAccount,
    CreditAlert,
    CreditLot,
    CreditRules,
    ForfaitType,
    LedgerEntry,
    LotMovement,
    Order,
    Plan,
    Subscription,
    TariffItem,
    TopUpPack,
)
from plans.selectors import credits_forecast, organisation_resolve, plan_allows  # noqa: F401  (credits_forecast: part of this module's interface)

logger = logging.getLogger(__name__)

ALERT_THRESHOLDS = (75, 90, 100)
Kind = CreditAccount.Kind
EntryKind = LedgerEntry.Kind


def plan_ensure_can_open_bilan(*, organisation, active_bilans: int) -> None:
    """The one place that enforces a plan's active-bilan limit (HTTP 402 plan_limit_reached)."""
    plan = organisation.plan
    if plan is not None and plan.max_active_bilans is not None and active_bilans >= plan.max_active_bilans:
        raise PaymentRequired(
            f"Votre formule {plan.name} permet {plan.max_active_bilans} bilans actifs. Terminez un bilan ou passez à une formule supérieure.",
            code="plan_limit_reached",
        )


# --- helpers ----------------------------------------------------------------------------------
def credit_rules() -> CreditRules:
    rules, _ = CreditRules.objects.get_or_create(pk=1)
    return rules


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _actor_fields(actor) -> dict:
    """Who acted, as stored in the public ledger that platform staff read: a beneficiary's email
    never goes there (confidentiality, and erasure only reaches the organisation's schema)."""
    from organisations.accounts.models import Role

    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_email": ""}
    if getattr(actor, "role", "") == Role.BENEFICIARY:
        return {"actor_id": actor.pk, "actor_email": ""}
    return {"actor_id": actor.pk, "actor_email": actor.email}


def _audit(**kwargs) -> None:
    from organisations.accounts.services import audit_event_record

    actor = kwargs.pop("actor", None)
    audit_event_record(actor=actor if getattr(actor, "is_authenticated", False) else None, **kwargs)


def _clean_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not key or len(key) > 200:
        raise InvalidInput("Clé d'idempotence manquante ou trop longue (200 caractères au plus).", code="invalid_idempotency_key")
    return key


def _existing_entry(organisation, key: str, *, kind: str, bilan_id=None) -> LedgerEntry | None:
    entry = LedgerEntry.objects.filter(organisation=organisation, idempotency_key=key).first()
    if entry is not None and (entry.kind != kind or (bilan_id is not None and entry.bilan_id != bilan_id)):
        raise Conflict("Cette clé d'idempotence a déjà servi pour une autre opération.", code="idempotency_key_reused")
    return entry


def account_get(organisation, kind: str) -> CreditAccount:
    """The organisation's wallet or one of its sinks (created on first use)."""
    account, _ = CreditAccount.objects.get_or_create(organisation=organisation, kind=kind)
    return account


def _budget_get_or_create(organisation, bilan_id) -> CreditAccount:
    budget, _ = CreditAccount.objects.get_or_create(organisation=organisation, kind=Kind.BUDGET, bilan_id=bilan_id)
    return budget


def _lock(*accounts: CreditAccount) -> list[CreditAccount]:
    """Lock the given accounts in primary-key order (no deadlock between two movements) and
    return fresh copies in the order given."""
    ids = sorted({account.pk for account in accounts})
    locked = {a.pk: a for a in CreditAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [locked[account.pk] for account in accounts]


def _uuid(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise InvalidInput("Identifiant de bilan invalide.", code="invalid_bilan") from None


# --- the one movement primitive ------------------------------------------------------------------
def _take_from_lots(account: CreditAccount, amount: int, now: datetime) -> list[tuple[CreditLot, int]]:
    """Consume ``amount`` from the account's live lots, first-expiring first (lots without an
    expiry date last). The account must be locked."""
    taken: list[tuple[CreditLot, int]] = []
    needed = amount
    lots = (
        CreditLot.objects.filter(account=account, remaining__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by(F("expires_at").asc(nulls_last=True), "created_at", "id")
    )
    for lot in lots:
        if needed <= 0:
            break
        take = min(lot.remaining, needed)
        lot.remaining -= take
        lot.save(update_fields=["remaining"])
        taken.append((lot, take))
        needed -= take
    if needed > 0:  # cannot happen while balances equal live lots; refuse rather than overdraw
        raise PaymentRequired("Crédits insuffisants.", code="insufficient_credits")
    return taken


def _move(
    *,
    organisation,
    kind: str,
    source: CreditAccount,
    target: CreditAccount,
    amount: int,
    idempotency_key: str,
    actor=None,
    now: datetime,
    bilan_id=None,
    action_code: str = "",
    quantity: int = 1,
    unit_credits: int = 0,
    reason: str = "",
    order: Order | None = None,
    lot_source: str = "",
    lot_expires_at: datetime | None = None,
    keep_lot_expiry: bool = False,
    period_key: str = "",
) -> LedgerEntry:
    """Write one entry from ``source`` to ``target``. Tracked accounts must be locked."""
    taken = _take_from_lots(source, amount, now) if source.kind in CreditAccount.TRACKED and amount else []
    entry = LedgerEntry.objects.create(
        organisation=organisation,
        kind=kind,
        debit_account=source,
        credit_account=target,
        amount=amount,
        bilan_id=bilan_id,
        action_code=action_code,
        quantity=quantity,
        unit_credits=unit_credits,
        idempotency_key=idempotency_key,
        reason=reason[:500],
        order=order,
        **_actor_fields(actor),
    )
    if taken:
        LotMovement.objects.bulk_create([LotMovement(entry=entry, lot=lot, amount=take) for lot, take in taken])
    # Mirror what the trigger did in the database.
    if source.kind in CreditAccount.TRACKED:
        source.balance -= amount
    if target.kind in CreditAccount.TRACKED and amount:
        target.balance += amount
        target.total_in += amount
        if keep_lot_expiry:
            CreditLot.objects.bulk_create(
                [
                    CreditLot(account=target, entry=entry, source=lot_source, amount=take, remaining=take, expires_at=lot.expires_at)
                    for lot, take in taken
                ]
            )
        else:
            CreditLot.objects.create(
                account=target,
                entry=entry,
                source=lot_source,
                amount=amount,
                remaining=amount,
                expires_at=lot_expires_at,
                period_key=period_key,
            )
    return entry


def _expire_account_lots(account: CreditAccount, organisation, now: datetime) -> int:
    """Write an expiry entry for every lot of the (locked) account past its date. Returns the
    credits expired."""
    lots = list(CreditLot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).order_by("expires_at", "id"))
    if not lots:
        return 0
    sink = account_get(organisation, Kind.EXPIRED)
    total = 0
    for lot in lots:
        amount = lot.remaining
        entry = LedgerEntry.objects.create(
            organisation=organisation,
            kind=EntryKind.EXPIRY,
            debit_account=account,
            credit_account=sink,
            amount=amount,
            bilan_id=account.bilan_id,
            idempotency_key=f"expiry:{lot.pk}:{lot.expired}",
            reason=f"Fin de validité le {timezone.localtime(lot.expires_at):%d/%m/%Y %H:%M}",
        )
        LotMovement.objects.create(entry=entry, lot=lot, amount=amount)
        CreditLot.objects.filter(pk=lot.pk).update(remaining=0, expired=F("expired") + amount)
        account.balance -= amount
        total += amount
    _after_outflow(account, organisation)
    return total


# --- alerts and automatic top-up -----------------------------------------------------------------
def _after_inflow(account: CreditAccount) -> None:
    """A new cycle of alerts starts from the balance after credits came in."""
    account.alert_base, account.alert_level, account.alert_cycle = account.balance, 0, account.alert_cycle + 1
    CreditAccount.objects.filter(pk=account.pk).update(
        alert_base=account.alert_base, alert_level=0, alert_cycle=account.alert_cycle
    )


def _after_outflow(account: CreditAccount, organisation) -> None:
    if account.kind not in CreditAccount.TRACKED:
        return
    _check_thresholds(account, organisation)
    if account.kind == Kind.WALLET:
        _maybe_auto_topup(account, organisation)


def _check_thresholds(account: CreditAccount, organisation) -> None:
    """75 %, 90 %, 100 % of the credits received since the last inflow: one alert per crossing.
    Each crossed threshold is recorded (unique in the database, so never notified twice); when
    one movement crosses several, a single notification names the highest."""
    if account.alert_base <= 0:
        return
    used_percent = (account.alert_base - account.balance) * 100 / account.alert_base
    crossed = [t for t in ALERT_THRESHOLDS if used_percent >= t and t > account.alert_level]
    if not crossed:
        return
    for threshold in crossed:
        CreditAlert.objects.create(account=account, cycle=account.alert_cycle, threshold=threshold, balance=account.balance)
    account.alert_level = max(crossed)
    CreditAccount.objects.filter(pk=account.pk).update(alert_level=account.alert_level)
    _notify_admins(
        organisation,
        kind="credits_threshold",
        title=(
            f"Crédits de l'organisation : {account.alert_level} % utilisés"
            if account.kind == Kind.WALLET
            else f"Budget d'un bilan : {account.alert_level} % des crédits utilisés"
        ),
        body=f"Il reste {account.balance} crédit(s) sur {account.alert_base}.",
        url="/credits/" if account.kind == Kind.WALLET else f"/credits/bilans/{account.bilan_id}/",
        bilan_consultant_of=account.bilan_id if account.kind == Kind.BUDGET else None,
    )


def _bilan_consultant(bilan_id):
    """The consultant in charge of a bilan (current tenant schema): the bilan's consultant, or
    else its beneficiary's assigned consultant. Found from the user side (reverse relations of
    the bilan app's foreign keys to User), so this public app imports no tenant model."""
    from organisations.accounts.models import User

    active = User.objects.filter(is_active=True)
    return active.filter(bilans__id=bilan_id).first() or active.filter(assigned_beneficiaries__bilans__id=bilan_id).first()


def _notify_admins(organisation, *, kind: str, title: str, body: str = "", url: str = "", bilan_consultant_of=None) -> int:
    """In-app notification + email to the organisation's administrators (tenant schema) and,
    with ``bilan_consultant_of``, to the consultant in charge of that bilan (once, even if
    they are also an administrator)."""
    from django_tenants.utils import schema_context

    from organisations.accounts.models import Role, User
    from organisations.services import notification_create

    count = 0
    with schema_context(organisation.schema_name):
        recipients = list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))
        if bilan_consultant_of is not None:
            consultant = _bilan_consultant(bilan_consultant_of)
            if consultant is not None and consultant.pk not in {user.pk for user in recipients}:
                recipients.append(consultant)
        for recipient in recipients:
            notification_create(recipient=recipient, kind=kind, title=title, body=body, url=url, email=True)
            count += 1
    return count


def _maybe_auto_topup(wallet: CreditAccount, organisation) -> None:
    subscription = Subscription.objects.filter(organisation=organisation, auto_topup_enabled=True).select_related("auto_topup_pack").first()
    if subscription is None or wallet.balance >= subscription.auto_topup_threshold:
        return
    if Order.objects.filter(organisation=organisation, kind=Order.Kind.AUTO_TOPUP, status=Order.Status.PENDING).exists():
        return
    from plans import stripe_gateway

    pack = subscription.auto_topup_pack
    order = Order.objects.create(
        organisation=organisation,
        kind=Order.Kind.AUTO_TOPUP,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        payment_mode=Order.PaymentMode.STRIPE if stripe_gateway.enabled() and subscription.stripe_customer_id else Order.PaymentMode.MANUAL,
        created_by_email="recharge automatique",
    )
    if order.payment_mode == Order.PaymentMode.STRIPE:
        from plans.tasks import auto_topup_pay

        transaction.on_commit(lambda: auto_topup_pay.send(str(order.pk)))
    else:
        _notify_admins(
            organisation,
            kind="credits_auto_topup",
            title=f"Recharge automatique de {pack.credits} crédits en attente de paiement",
            body="Le solde est passé sous votre seuil. La commande sera créditée dès la réception du paiement.",
            url="/credits/",
        )


# --- the interface other apps call ---------------------------------------------------------------
def credits_charge(
    *,
    organisation,
    bilan_id: uuid.UUID,
    action_code: str,
    actor,
    idempotency_key: str,
    quantity: int = 1,
    reason: str = "",
) -> LedgerEntry:
    """Move the tariff price of ``action_code`` × ``quantity`` from the bilan's budget to the
    consumed sink. 402 ``insufficient_credits`` (nothing changed) if the budget cannot cover it;
    the same idempotency key returns the existing entry."""
    organisation = organisation_resolve(organisation)
    bilan_id = _uuid(bilan_id)
    key = _clean_key(idempotency_key)
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput("La quantité doit être un entier positif.", code="invalid_quantity")
    existing = _existing_entry(organisation, key, kind=EntryKind.CHARGE, bilan_id=bilan_id)
    if existing is not None:
        return existing
    tariff = TariffItem.objects.filter(code=action_code).first()
    if tariff is None:
        raise InvalidInput(f"Action inconnue au barème : {action_code}.", code="unknown_action")
    try:
        with transaction.atomic():
            budget = (
                CreditAccount.objects.select_for_update()
                .filter(organisation=organisation, kind=Kind.BUDGET, bilan_id=bilan_id)
                .first()
            )
            if budget is None:
                raise PaymentRequired(
                    "Aucun forfait n'est attribué à ce bilan : attribuez-lui un forfait avant cette action.",
                    code="insufficient_credits",
                    extra={"required": tariff.credits * quantity, "available": 0},
                )
            existing = _existing_entry(organisation, key, kind=EntryKind.CHARGE, bilan_id=bilan_id)
            if existing is not None:  # the same key was charged while we waited for the lock
                return existing
            now = timezone.now()
            _expire_account_lots(budget, organisation, now)
            cost = tariff.credits * quantity
            if budget.balance < cost:
                raise PaymentRequired(
                    f"Crédits insuffisants : « {tariff.label} » coûte {cost} crédit(s) et il en reste {budget.balance} "
                    "sur le budget de ce bilan. Demandez à un administrateur d'ajouter des crédits.",
                    code="insufficient_credits",
                    extra={"required": cost, "available": budget.balance},
                )
            entry = _move(
                organisation=organisation,
                kind=EntryKind.CHARGE,
                source=budget,
                target=account_get(organisation, Kind.CONSUMED),
                amount=cost,
                idempotency_key=key,
                actor=actor,
                now=now,
                bilan_id=bilan_id,
                action_code=action_code,
                quantity=quantity,
                unit_credits=tariff.credits,
                reason=reason,
            )
            if cost:
                _after_outflow(budget, organisation)
            return entry
    except IntegrityError:
        existing = LedgerEntry.objects.filter(organisation=organisation, idempotency_key=key).first()
        if existing is None:
            raise
        return existing


def forfait_allocate(
    *,
    organisation,
    bilan_id: uuid.UUID,
    forfait_code: str,
    actor,
    idempotency_key: str,
    credits: int | None = None,
    validity_months: int | None = None,
) -> LedgerEntry:
    """Wallet → the bilan's budget for the forfait's credits, valid ``validity_months`` from now.
    ``credits`` / ``validity_months`` may only be chosen for a custom forfait (Entreprise: at
    least its credits, 12 to 24 months). 402 ``insufficient_credits`` if the wallet can't cover it.
    A second allocation on the same bilan (an upgrade) adds the new forfait's credits and makes it
    the bilan's forfait."""
    organisation = organisation_resolve(organisation)
    bilan_id = _uuid(bilan_id)
    key = _clean_key(idempotency_key)
    forfait = ForfaitType.objects.filter(code=forfait_code, is_active=True).first()
    if forfait is None:
        raise InvalidInput(f"Forfait inconnu : {forfait_code}.", code="unknown_forfait")
    amount, months = forfait.credits, forfait.validity_months
    if credits is not None or validity_months is not None:
        if not forfait.is_custom:
            raise InvalidInput(f"Le forfait {forfait.name} a des crédits et une durée fixes.", code="forfait_not_custom")
        if credits is not None:
            if credits < forfait.credits:
                raise InvalidInput(f"Le forfait {forfait.name} comporte au moins {forfait.credits} crédits.", code="forfait_credits_too_low")
            amount = credits
        if validity_months is not None:
            if not forfait.validity_months <= validity_months <= forfait.max_validity_months:
                raise InvalidInput(
                    f"La durée du forfait {forfait.name} va de {forfait.validity_months} à {forfait.max_validity_months} mois.",
                    code="forfait_validity_invalid",
                )
            months = validity_months
    existing = _existing_entry(organisation, key, kind=EntryKind.ALLOCATION, bilan_id=bilan_id)
    if existing is not None:
        return existing
    with transaction.atomic():
        wallet, budget = _lock(account_get(organisation, Kind.WALLET), _budget_get_or_create(organisation, bilan_id))
        existing = _existing_entry(organisation, key, kind=EntryKind.ALLOCATION, bilan_id=bilan_id)
        if existing is not None:
            return existing
        now = timezone.now()
        _expire_account_lots(wallet, organisation, now)
        if wallet.balance < amount:
            raise PaymentRequired(
                f"Crédits insuffisants : le forfait {forfait.name} demande {amount} crédits et le portefeuille de "
                f"l'organisation en contient {wallet.balance}. {_how_to_get_credits(actor)}",
                code="insufficient_credits",
                extra={"required": amount, "available": wallet.balance},
            )
        valid_until = add_months(now, months)
        entry = _move(
            organisation=organisation,
            kind=EntryKind.ALLOCATION,
            source=wallet,
            target=budget,
            amount=amount,
            idempotency_key=key,
            actor=actor,
            now=now,
            bilan_id=bilan_id,
            action_code=forfait.code,
            reason=f"Forfait {forfait.name}",
            lot_source=CreditLot.Source.ALLOCATION,
            lot_expires_at=valid_until,
        )
        new_valid_until = max(valid_until, budget.valid_until) if budget.valid_until else valid_until
        CreditAccount.objects.filter(pk=budget.pk).update(forfait_code=forfait.code, valid_until=new_valid_until)
        budget.forfait_code, budget.valid_until = forfait.code, new_valid_until
        _after_inflow(budget)
        _after_outflow(wallet, organisation)
        return entry


def _how_to_get_credits(actor) -> str:
    """What the person who lacks credits can do: an administrator buys a pack; anyone else
    (a consultant cannot order) asks an administrator."""
    from organisations.permissions import can_manage_organisation

    if actor is None or not getattr(actor, "is_authenticated", False) or can_manage_organisation(actor):
        return "Achetez un pack de crédits depuis la page Crédits."
    return "Demandez à un administrateur de votre organisation d'acheter des crédits : vous ne pouvez pas en commander vous-même."


def forfait_for_bilan(*, organisation, bilan_id) -> ForfaitType | None:
    organisation = organisation_resolve(organisation)
    code = (
        CreditAccount.objects.filter(organisation=organisation, kind=Kind.BUDGET, bilan_id=_uuid(bilan_id))
        .values_list("forfait_code", flat=True)
        .first()
    )
    return ForfaitType.objects.filter(code=code).first() if code else None


def forfait_ensure_feature(*, organisation, bilan_id: uuid.UUID, feature: str) -> None:
    """403 ``feature_not_in_forfait`` (with ``required_forfait``, the cheapest forfait that
    includes it) when the bilan's forfait does not include ``feature``."""
    organisation = organisation_resolve(organisation)
    forfait = forfait_for_bilan(organisation=organisation, bilan_id=bilan_id)
    if forfait is not None and feature in forfait.features:
        return
    cheapest = ForfaitType.objects.filter(is_active=True, features__contains=[feature]).order_by("credits", "position").first()
    if cheapest is None:
        raise InvalidInput(f"Fonctionnalité inconnue : {feature}.", code="unknown_feature")
    current = f"le forfait {forfait.name} de ce bilan" if forfait else "ce bilan (aucun forfait attribué)"
    raise Forbidden(
        f"Cette fonctionnalité n'est pas incluse dans {current}. Elle est disponible à partir du forfait {cheapest.name}.",
        code="feature_not_in_forfait",
        extra={"required_forfait": cheapest.code},
    )


# --- other movements ------------------------------------------------------------------------------
@transaction.atomic
def credits_grant(
    *,
    organisation,
    amount: int,
    source: str,
    idempotency_key: str,
    expires_at: datetime | None,
    actor=None,
    reason: str = "",
    period_key: str = "",
    order: Order | None = None,
) -> LedgerEntry:
    """Free credits (trial, monthly allowance, bonus, carry-over) or paid ones (``source`` =
    purchase, from the purchased sink) into the organisation's wallet."""
    organisation = organisation_resolve(organisation)
    key = _clean_key(idempotency_key)
    kind = EntryKind.PURCHASE if source == CreditLot.Source.PURCHASE else EntryKind.GRANT
    existing = _existing_entry(organisation, key, kind=kind)
    if existing is not None:
        return existing
    if amount <= 0:
        raise InvalidInput("Le nombre de crédits doit être positif.", code="invalid_amount")
    (wallet,) = _lock(account_get(organisation, Kind.WALLET))
    existing = _existing_entry(organisation, key, kind=kind)
    if existing is not None:
        return existing
    sink = account_get(organisation, Kind.PURCHASED if kind == EntryKind.PURCHASE else Kind.GRANTED)
    entry = _move(
        organisation=organisation,
        kind=kind,
        source=sink,
        target=wallet,
        amount=amount,
        idempotency_key=key,
        actor=actor,
        now=timezone.now(),
        reason=reason,
        order=order,
        lot_source=source,
        lot_expires_at=expires_at,
        period_key=period_key,
    )
    _after_inflow(wallet)
    return entry


def _bilan_allowed(allowed_bilan_ids: Collection | Callable[[uuid.UUID], bool], bilan_id: uuid.UUID) -> bool:
    if callable(allowed_bilan_ids):
        return bool(allowed_bilan_ids(bilan_id))
    allowed = set()
    for value in allowed_bilan_ids:
        try:
            allowed.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except (TypeError, ValueError):
            continue
    return bilan_id in allowed


@transaction.atomic
def credits_transfer(
    *,
    organisation,
    from_bilan_id,
    to_bilan_id,
    amount: int,
    actor,
    idempotency_key: str,
    allowed_bilan_ids: Collection | Callable[[uuid.UUID], bool],
    reason: str = "",
) -> LedgerEntry:
    """Enterprise organisations: move credits between two bilans' budgets (their expiry dates
    travel with them).

    The public schema cannot see an organisation's bilans (no cross-schema key), so the caller
    passes the bilans the actor may use: their ids, or a predicate on a bilan id (from
    ``organisations.permissions``). Both bilans must be among them, else 404
    ``transfer_bilan_not_allowed`` and nothing moves."""
    organisation = organisation_resolve(organisation)
    from organisations.permissions import ensure_role
    from organisations.accounts.models import Role

    ensure_role(actor, Role.ADMIN, message="Seul un administrateur peut transférer des crédits.")
    if not plan_allows(organisation, "credit_transfers"):
        raise Forbidden("Les transferts de crédits entre bilans ne sont pas inclus dans votre formule.", code="plan_feature_unavailable")
    from_bilan_id, to_bilan_id = _uuid(from_bilan_id), _uuid(to_bilan_id)
    if not (_bilan_allowed(allowed_bilan_ids, from_bilan_id) and _bilan_allowed(allowed_bilan_ids, to_bilan_id)):
        raise NotFound("Choisissez deux bilans de votre organisme.", code="transfer_bilan_not_allowed")
    if from_bilan_id == to_bilan_id:
        raise InvalidInput("Choisissez deux bilans différents.", code="same_bilan")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidInput("Le nombre de crédits doit être positif.", code="invalid_amount")
    key = _clean_key(idempotency_key)
    existing = _existing_entry(organisation, key, kind=EntryKind.TRANSFER)
    if existing is not None:
        return existing
    source = CreditAccount.objects.filter(organisation=organisation, kind=Kind.BUDGET, bilan_id=from_bilan_id).first()
    if source is None:
        raise NotFound("Ce bilan n'a pas de budget de crédits.", code="budget_not_found")
    source, target = _lock(source, _budget_get_or_create(organisation, to_bilan_id))
    now = timezone.now()
    _expire_account_lots(source, organisation, now)
    if source.balance < amount:
        raise PaymentRequired(
            f"Crédits insuffisants : le bilan d'origine n'a plus que {source.balance} crédit(s).",
            code="insufficient_credits",
            extra={"required": amount, "available": source.balance},
        )
    entry = _move(
        organisation=organisation,
        kind=EntryKind.TRANSFER,
        source=source,
        target=target,
        amount=amount,
        idempotency_key=key,
        actor=actor,
        now=now,
        bilan_id=to_bilan_id,
        action_code="transfer",
        reason=reason or f"Transfert depuis le bilan {from_bilan_id}",
        lot_source=CreditLot.Source.TRANSFER,
        keep_lot_expiry=True,
    )
    if not target.forfait_code:
        CreditAccount.objects.filter(pk=target.pk).update(forfait_code=source.forfait_code, valid_until=source.valid_until)
    _after_inflow(target)
    _after_outflow(source, organisation)
    _audit(
        action="credits.transferred",
        actor=actor,
        target=entry,
        details={"from_bilan": str(from_bilan_id), "to_bilan": str(to_bilan_id), "credits": amount},
    )
    return entry


@transaction.atomic
def credits_refund(*, organisation, charge: LedgerEntry, actor, reason: str) -> LedgerEntry:
    """Give a charge back to its bilan's budget (new lot, same expiry as what paid for it)."""
    organisation = organisation_resolve(organisation)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Indiquez le motif du remboursement.", code="reason_required")
    if charge.kind != EntryKind.CHARGE or charge.organisation_id != organisation.pk:
        raise InvalidInput("Seule une consommation de cette organisation peut être remboursée.", code="not_a_charge")
    key = f"refund:{charge.pk}"
    existing = _existing_entry(organisation, key, kind=EntryKind.REFUND)
    if existing is not None:
        return existing
    if charge.amount == 0:
        raise InvalidInput("Cette action n'a rien coûté.", code="nothing_to_refund")
    (budget,) = _lock(charge.debit_account)
    expiries = [m.lot.expires_at for m in charge.lot_movements.select_related("lot")]
    expires_at = None if not expiries or any(e is None for e in expiries) else max(expiries)
    entry = _move(
        organisation=organisation,
        kind=EntryKind.REFUND,
        source=charge.credit_account,
        target=budget,
        amount=charge.amount,
        idempotency_key=key,
        actor=actor,
        now=timezone.now(),
        bilan_id=charge.bilan_id,
        action_code=charge.action_code,
        reason=reason,
        lot_source=CreditLot.Source.REFUND,
        lot_expires_at=expires_at,
    )
    # A refund corrects a charge: the thresholds already crossed stay crossed (no new alert cycle).
    _audit(action="credits.refunded", actor=actor, target=entry, details={"charge": str(charge.pk), "credits": charge.amount})
    return entry


@transaction.atomic
def credits_adjust(*, organisation, amount: int, reason: str, actor, bilan_id=None) -> LedgerEntry:
    """Platform staff: add (amount > 0) or remove (amount < 0) credits on the wallet or a
    bilan's budget, with a mandatory reason, audited in the staff audit log."""
    organisation = organisation_resolve(organisation)
    from organisations.accounts.models import Role
    from organisations.permissions import ensure_role

    ensure_role(actor, Role.STAFF, message="Seule l'équipe plateforme peut ajuster des crédits.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Le motif de l'ajustement est obligatoire.", code="reason_required")
    if not isinstance(amount, int) or amount == 0:
        raise InvalidInput("Indiquez un nombre de crédits différent de zéro.", code="invalid_amount")
    if bilan_id:
        account = CreditAccount.objects.filter(organisation=organisation, kind=Kind.BUDGET, bilan_id=_uuid(bilan_id)).first()
        if account is None:
            raise NotFound("Ce bilan n'a pas de budget de crédits.", code="budget_not_found")
    else:
        account = account_get(organisation, Kind.WALLET)
    (account,) = _lock(account)
    sink = account_get(organisation, Kind.ADJUSTMENT)
    now = timezone.now()
    _expire_account_lots(account, organisation, now)
    if amount < 0 and account.balance < -amount:
        raise Conflict(f"Le compte ne contient que {account.balance} crédit(s).", code="insufficient_credits")
    entry = _move(
        organisation=organisation,
        kind=EntryKind.ADJUSTMENT,
        source=sink if amount > 0 else account,
        target=account if amount > 0 else sink,
        amount=abs(amount),
        idempotency_key=f"adjustment:{uuid.uuid4()}",
        actor=actor,
        now=now,
        bilan_id=account.bilan_id,
        reason=reason,
        lot_source=CreditLot.Source.ADJUSTMENT,
        lot_expires_at=account.valid_until if account.kind == Kind.BUDGET else None,
    )
    if amount < 0:
        _after_outflow(account, organisation)
    # A positive adjustment is a correction too: it does not start a new cycle of alerts.
    _audit(
        action="credits.adjusted",
        actor=actor,
        target=organisation,
        target_label=organisation.name,
        details={"credits": amount, "reason": reason, "account": account.kind, "bilan": str(account.bilan_id or ""), "entry": str(entry.pk)},
    )
    return entry


def credits_expire_due(*, now: datetime | None = None) -> int:
    """The scheduled job: expire every lot past its date (one entry per lot). Returns credits."""
    now = now or timezone.now()
    total = 0
    account_ids = (
        CreditLot.objects.filter(remaining__gt=0, expires_at__lte=now).values_list("account_id", flat=True).distinct()
    )
    for account_id in list(account_ids):
        with transaction.atomic():
            account = CreditAccount.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=account_id)
            total += _expire_account_lots(account, account.organisation, now)
    return total


# --- subscriptions --------------------------------------------------------------------------------
@transaction.atomic
def subscription_start_trial(*, organisation, actor=None) -> Subscription:
    """A new organisation: Starter trial (CreditRules.trial_days) with a small credit grant that
    expires at the end of the trial. Idempotent."""
    organisation = organisation_resolve(organisation)
    existing = Subscription.objects.filter(organisation=organisation).first()
    if existing is not None:
        return existing
    rules = credit_rules()
    plan = organisation.plan or Plan.objects.filter(code="starter").first()
    if plan is None:  # the plan tables were emptied (a flushed test database): plans are data, re-seed them
        from plans.migrations._seed import seed_plans

        seed_plans()
        plan = Plan.objects.get(code="starter")
    _set_organisation_plan(organisation, plan)
    now = timezone.now()
    trial_ends_at = organisation.trial_ends_at or now + timedelta(days=rules.trial_days)
    subscription = Subscription.objects.create(
        organisation=organisation,
        plan=plan,
        status=Subscription.Status.TRIALING,
        trial_ends_at=trial_ends_at,
        current_period_start=now,
        current_period_end=trial_ends_at,
    )
    for kind in (Kind.WALLET, Kind.GRANTED, Kind.PURCHASED, Kind.CONSUMED, Kind.EXPIRED):
        account_get(organisation, kind)
    if rules.trial_credits:
        credits_grant(
            organisation=organisation,
            amount=rules.trial_credits,
            source=CreditLot.Source.TRIAL,
            idempotency_key=f"trial:{organisation.pk}",
            expires_at=trial_ends_at,
            actor=actor,
            reason="Crédits offerts pendant l'essai",
        )
    return subscription


def subscription_get(organisation) -> Subscription:
    organisation = organisation_resolve(organisation)
    subscription = Subscription.objects.select_related("plan", "auto_topup_pack").filter(organisation=organisation).first()
    return subscription or subscription_start_trial(organisation=organisation)


def _set_organisation_plan(organisation, plan: Plan) -> None:
    from tenants.models import Organisation

    if organisation.plan_id != plan.pk:
        Organisation.objects.filter(pk=organisation.pk).update(plan=plan)
        organisation.plan = plan


@transaction.atomic
def subscription_renew(
    *, subscription: Subscription, period_start: datetime, period_end: datetime, key: str, plan: Plan | None = None
) -> LedgerEntry | None:
    """Start a paid period: the plan's monthly credits valid until the period's end, the renewal
    bonus (from the second period), and the carry-over of the previous allowance (a percentage,
    default 0) whose remainder expires. Idempotent by ``key`` (an invoice id, or the period)."""
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("organisation", "plan").get(pk=subscription.pk)
    organisation = subscription.organisation
    plan = plan or subscription.plan
    allowance_key = f"allowance:{key}"
    existing = _existing_entry(organisation, allowance_key, kind=EntryKind.GRANT)
    if existing is not None:
        return existing
    rules = credit_rules()
    now = timezone.now()
    (wallet,) = _lock(account_get(organisation, Kind.WALLET))
    previous = list(
        CreditLot.objects.filter(account=wallet, source=CreditLot.Source.ALLOWANCE)
        .exclude(period_key="")
        .exclude(period_key=key)
        .exclude(period_key__startswith="settled:")
    )
    unused = sum(lot.remaining + lot.expired for lot in previous)
    # The previous allowance ends now: its unused part expires, the carried part comes back below.
    if previous:
        CreditLot.objects.filter(pk__in=[lot.pk for lot in previous], remaining__gt=0).update(expires_at=now)
        _expire_account_lots(wallet, organisation, now)
        CreditLot.objects.filter(pk__in=[lot.pk for lot in previous]).update(period_key=Concat(Value("settled:"), F("period_key")))
    entry = None
    had_period_before = LedgerEntry.objects.filter(
        organisation=organisation, kind=EntryKind.GRANT, idempotency_key__startswith="allowance:"
    ).exists()
    if plan.monthly_credits:
        entry = credits_grant(
            organisation=organisation,
            amount=plan.monthly_credits,
            source=CreditLot.Source.ALLOWANCE,
            idempotency_key=allowance_key,
            expires_at=period_end,
            reason=f"Crédits mensuels {plan.name}",
            period_key=key,
        )
    carry = unused * rules.carry_over_percent // 100
    if carry:
        credits_grant(
            organisation=organisation,
            amount=carry,
            source=CreditLot.Source.CARRY_OVER,
            idempotency_key=f"carry_over:{key}",
            expires_at=period_end,
            reason=f"Report de {rules.carry_over_percent} % des crédits mensuels non utilisés",
            period_key=key,
        )
    bonus = plan.monthly_credits * rules.renewal_bonus_percent // 100 if had_period_before else 0
    if bonus:
        credits_grant(
            organisation=organisation,
            amount=bonus,
            source=CreditLot.Source.BONUS,
            idempotency_key=f"bonus:{key}",
            expires_at=period_end,
            reason=f"Bonus de renouvellement ({rules.renewal_bonus_percent} %)",
            period_key=key,
        )
    subscription.plan = plan
    subscription.current_period_start, subscription.current_period_end = period_start, period_end
    if subscription.status in (Subscription.Status.TRIALING, Subscription.Status.PAST_DUE, Subscription.Status.INCOMPLETE):
        subscription.status = Subscription.Status.ACTIVE
    subscription.save(update_fields=["plan", "current_period_start", "current_period_end", "status", "updated_at"])
    _set_organisation_plan(organisation, plan)
    return entry


@transaction.atomic
def subscription_sync_from_stripe(*, subscription: Subscription, data: dict, event_created: datetime) -> bool:
    """Apply a Stripe subscription object if it is not older than the last one applied.
    Returns False for a stale (out-of-order) event."""
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=subscription.pk)
    if subscription.stripe_status_at and event_created < subscription.stripe_status_at:
        return False
    status_map = {
        "active": Subscription.Status.ACTIVE,
        "trialing": Subscription.Status.TRIALING,
        "past_due": Subscription.Status.PAST_DUE,
        "unpaid": Subscription.Status.PAST_DUE,
        "paused": Subscription.Status.PAST_DUE,
        "canceled": Subscription.Status.CANCELED,
        "incomplete": Subscription.Status.INCOMPLETE,
        "incomplete_expired": Subscription.Status.CANCELED,
    }
    before = {"status": subscription.status, "plan": subscription.plan.code if subscription.plan_id else ""}
    subscription.status = status_map.get(data.get("status"), subscription.status)
    subscription.stripe_subscription_id = data.get("id") or subscription.stripe_subscription_id
    if data.get("customer"):
        subscription.stripe_customer_id = data["customer"]
    subscription.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
    items = (data.get("items") or {}).get("data") or [{}]
    start = data.get("current_period_start") or items[0].get("current_period_start")
    end = data.get("current_period_end") or items[0].get("current_period_end")
    if start and end:
        subscription.current_period_start = datetime.fromtimestamp(start, tz=dt_timezone.utc)
        subscription.current_period_end = datetime.fromtimestamp(end, tz=dt_timezone.utc)
    plan_code = (data.get("metadata") or {}).get("plan_code")
    plan = Plan.objects.filter(code=plan_code).first() if plan_code else None
    if plan is not None:
        subscription.plan = plan
        _set_organisation_plan(subscription.organisation, plan)
    subscription.stripe_status_at = event_created
    subscription.save()
    after = {"status": subscription.status, "plan": subscription.plan.code if subscription.plan_id else ""}
    if after != before:
        _audit(action="subscription.synced_from_stripe", target=subscription, details={"organisation_id": subscription.organisation_id, "from": before, "to": after})
    return True


@transaction.atomic
def subscription_settings_update(*, organisation, actor, auto_topup_enabled: bool, auto_topup_threshold: int, pack_code: str | None) -> Subscription:
    from organisations.accounts.models import Role
    from organisations.permissions import ensure_role

    ensure_role(actor, Role.ADMIN)
    subscription = subscription_get(organisation)
    pack = TopUpPack.objects.filter(code=pack_code, is_active=True).first() if pack_code else None
    if auto_topup_enabled and pack is None:
        raise InvalidInput("Choisissez le pack de la recharge automatique.", code="pack_required")
    if auto_topup_threshold < 0:
        raise InvalidInput("Le seuil doit être positif.", code="invalid_threshold")
    Subscription.objects.filter(pk=subscription.pk).update(
        auto_topup_enabled=auto_topup_enabled, auto_topup_threshold=auto_topup_threshold, auto_topup_pack=pack
    )
    subscription.refresh_from_db()
    _audit(
        action="credits.auto_topup_updated",
        actor=actor,
        details={"enabled": auto_topup_enabled, "threshold": auto_topup_threshold, "pack": pack_code or ""},
    )
    return subscription


def subscriptions_process_due(*, now: datetime | None = None) -> int:
    """The scheduled job for manual payment mode: a trial past its end becomes "payment
    pending"; an active manual subscription whose period ended is renewed for a month (staff
    follow its invoices). Stripe subscriptions are renewed by Stripe's invoice.paid webhook."""
    now = now or timezone.now()
    done = 0
    for subscription in Subscription.objects.filter(status=Subscription.Status.TRIALING, trial_ends_at__lte=now, stripe_subscription_id=""):
        if Subscription.objects.filter(pk=subscription.pk, status=Subscription.Status.TRIALING).update(status=Subscription.Status.PAST_DUE):
            _audit(action="subscription.trial_ended", target=subscription, details={"organisation_id": subscription.organisation_id, "to": "past_due"})
        done += 1
    due = Subscription.objects.filter(
        status=Subscription.Status.ACTIVE, stripe_subscription_id="", current_period_end__lte=now
    ).select_related("organisation", "plan")
    for subscription in due:
        if subscription.cancel_at_period_end:
            Subscription.objects.filter(pk=subscription.pk).update(status=Subscription.Status.CANCELED)
            _audit(action="subscription.canceled", target=subscription, details={"organisation_id": subscription.organisation_id, "at_period_end": True})
            continue
        start = subscription.current_period_end
        end = add_months(start, 1)
        subscription_renew(subscription=subscription, period_start=start, period_end=end, key=f"manual:{subscription.pk}:{start:%Y-%m-%d}")
        done += 1
    return done


# --- orders --------------------------------------------------------------------------------------
@transaction.atomic
def order_create(*, organisation, actor, pack_code: str | None = None, plan_code: str | None = None) -> Order:
    """An administrator orders a pack or a plan. With Stripe keys the view sends them to
    Checkout; otherwise the order waits for staff to mark it paid (manual mode)."""
    organisation = organisation_resolve(organisation)
    from organisations.accounts.models import Role
    from organisations.permissions import ensure_role
    from plans import stripe_gateway

    ensure_role(actor, Role.ADMIN, message="Seul un administrateur peut passer commande.")
    mode = Order.PaymentMode.STRIPE if stripe_gateway.enabled() else Order.PaymentMode.MANUAL
    if pack_code:
        pack = TopUpPack.objects.filter(code=pack_code, is_active=True).first()
        if pack is None:
            raise InvalidInput("Pack de crédits inconnu.", code="unknown_pack")
        order = Order.objects.create(
            organisation=organisation, kind=Order.Kind.PACK, pack=pack, credits=pack.credits, amount_cents=pack.price_cents,
            payment_mode=mode, created_by_email=actor.email,
        )
    else:
        plan = Plan.objects.filter(code=plan_code).first()
        if plan is None:
            raise InvalidInput("Formule inconnue.", code="unknown_plan")
        order = Order.objects.create(
            organisation=organisation, kind=Order.Kind.SUBSCRIPTION, plan=plan, credits=plan.monthly_credits,
            amount_cents=plan.monthly_price_cents, payment_mode=mode, created_by_email=actor.email,
        )
    _audit(action="order.created", actor=actor, target=order, details={"kind": order.kind, "amount_cents": order.amount_cents, "mode": mode})
    return order


@transaction.atomic
def order_mark_paid(*, order: Order, actor=None, via: str = "manual", payment_intent_id: str = "") -> Order:
    """Credits for a paid order, through the ledger (idempotent: a paid order stays paid once)."""
    order = Order.objects.select_for_update(of=("self",)).select_related("organisation", "pack", "plan").get(pk=order.pk)
    if order.status == Order.Status.PAID:
        if via == "manual":  # a second click in the console, or two staff members at once: credited once
            raise Conflict("Cette commande est déjà marquée payée : ses crédits ont été ajoutés une seule fois.", code="order_already_paid")
        return order
    if order.status == Order.Status.CANCELED and via == "manual":
        raise Conflict("Cette commande est annulée.", code="order_canceled")
    if via == "manual":
        from organisations.accounts.models import Role
        from organisations.permissions import ensure_role

        ensure_role(actor, Role.STAFF, message="Seule l'équipe plateforme valide un paiement manuel.")
    now = timezone.now()
    order.status, order.paid_at = Order.Status.PAID, now
    order.paid_marked_by = actor.email if via == "manual" and actor else via
    if payment_intent_id:
        order.stripe_payment_intent_id = payment_intent_id
    order.save(update_fields=["status", "paid_at", "paid_marked_by", "stripe_payment_intent_id"])
    organisation = order.organisation
    if order.kind in (Order.Kind.PACK, Order.Kind.AUTO_TOPUP):
        rules = credit_rules()
        if rules.topup_validity_extension_days:
            wallet = account_get(organisation, Kind.WALLET)
            CreditLot.objects.filter(account=wallet, remaining__gt=0, expires_at__gt=now).update(
                expires_at=F("expires_at") + timedelta(days=rules.topup_validity_extension_days)
            )
        credits_grant(
            organisation=organisation,
            amount=order.credits,
            source=CreditLot.Source.PURCHASE,
            idempotency_key=f"order:{order.pk}",
            expires_at=now + timedelta(days=rules.pack_validity_days),
            actor=actor,
            reason=f"Recharge de {order.credits} crédits",
            order=order,
        )
    elif via == "manual":  # a subscription paid by transfer: one month of the plan
        subscription = subscription_get(organisation)
        subscription_renew(
            subscription=subscription, period_start=now, period_end=add_months(now, 1), key=f"order:{order.pk}", plan=order.plan
        )
    _audit(action="order.paid", actor=actor, target=order, details={"via": via, "credits": order.credits, "organisation": organisation.pk})
    if order.kind == Order.Kind.SUBSCRIPTION:
        title = f"Paiement reçu : formule {order.plan.name} activée"
        body = f"Commande {order.reference} réglée. Les {order.credits} crédits mensuels de la formule sont ajoutés au portefeuille."
    else:
        title = f"Paiement reçu : {order.credits} crédits ajoutés"
        body = f"Commande {order.reference} réglée. Les {order.credits} crédits sont disponibles dans le portefeuille de l'organisation."
    _notify_admins(organisation, kind="credits_order_paid", title=title, body=body, url=f"/credits/commandes/{order.pk}/")
    return order


@transaction.atomic
def order_fail(*, order: Order, reason: str = "") -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == Order.Status.PENDING:
        order.status = Order.Status.FAILED
        order.save(update_fields=["status"])
        _audit(action="order.failed", target=order, details={"organisation_id": order.organisation_id, "reason": reason[:300]})
        _notify_admins(
            order.organisation,
            kind="credits_payment_failed",
            title="Le paiement de votre commande de crédits a échoué",
            body=reason[:300],
            url="/credits/",
        )
    return order


# --- catalogue (staff) ----------------------------------------------------------------------------
def _ensure_staff(actor) -> None:
    from organisations.accounts.models import Role
    from organisations.permissions import ensure_role

    ensure_role(actor, Role.STAFF, message="Seule l'équipe plateforme modifie l'offre.")


def _changes(instance, values: dict) -> dict:
    """Set ``values`` on ``instance``; return ``{field: [old, new]}`` for what changed."""
    changed = {}
    for field, value in values.items():
        old = getattr(instance, field)
        if old != value:
            changed[field] = [old, value]
            setattr(instance, field, value)
    return changed


@transaction.atomic
def credit_rules_update(*, actor, rules: dict, monthly_credits: dict[str, int], tariff: dict[str, int]) -> CreditRules:
    """Staff edit the credit rules, the plans' monthly allowances and the barème in one go.
    A charge already written keeps its amount; the next charge uses the new tariff."""
    _ensure_staff(actor)
    for label, values in (("crédits mensuels", monthly_credits), ("barème", tariff)):
        for code, value in values.items():
            if not isinstance(value, int) or value < 0:
                raise InvalidInput(f"Valeur invalide pour « {code} » ({label}) : un nombre entier positif ou nul est attendu.", code="invalid_credits")
    current = CreditRules.objects.select_for_update().get(pk=credit_rules().pk)
    changes: dict = {"rules": _changes(current, rules), "monthly_credits": {}, "tariff": {}}
    if changes["rules"]:
        current.full_clean()
        current.save(update_fields=list(changes["rules"]))
    for plan in Plan.objects.select_for_update().filter(code__in=list(monthly_credits)):
        if plan.monthly_credits != monthly_credits[plan.code]:
            changes["monthly_credits"][plan.code] = [plan.monthly_credits, monthly_credits[plan.code]]
            plan.monthly_credits = monthly_credits[plan.code]
            plan.save(update_fields=["monthly_credits"])
    for item in TariffItem.objects.select_for_update().filter(code__in=list(tariff)):
        if item.credits != tariff[item.code]:
            changes["tariff"][item.code] = [item.credits, tariff[item.code]]
            item.credits = tariff[item.code]
            item.save(update_fields=["credits"])
    if any(changes.values()):
        _audit(action="credits.rules_updated", actor=actor, details=changes)
    return current


def _clean_lines(lines, *, max_length: int = 200) -> list[str]:
    return [str(line).strip()[:max_length] for line in (lines or []) if str(line).strip()]


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    actor,
    name: str,
    monthly_price_cents: int,
    price_is_minimum: bool,
    max_active_bilans: int | None,
    monthly_credits: int,
    features: list[str],
    support_level: str = "",
    is_public: bool = True,
    capabilities: list[str] | None = None,
) -> Plan:
    """Staff edit a subscription plan. Only new orders and renewals use the new values: an
    existing order keeps its amount."""
    _ensure_staff(actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Le nom de la formule est obligatoire.", code="name_required")
    if not isinstance(monthly_price_cents, int) or monthly_price_cents < 0:
        raise InvalidInput("Le prix mensuel ne peut pas être négatif.", code="invalid_price")
    if max_active_bilans is not None and (not isinstance(max_active_bilans, int) or max_active_bilans < 1):
        raise InvalidInput(
            "Le nombre de bilans actifs doit être d'au moins 1 (laisser vide pour illimité).", code="invalid_bilan_limit"
        )
    if not isinstance(monthly_credits, int) or monthly_credits < 0:
        raise InvalidInput("Les crédits mensuels ne peuvent pas être négatifs.", code="invalid_credits")
    from plans.models import PLAN_CAPABILITIES

    unknown = set(capabilities or []) - set(PLAN_CAPABILITIES)
    if unknown:
        raise InvalidInput("Fonctionnalité réservée inconnue.", code="unknown_capability")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if capabilities is None:
        capabilities = plan.capabilities
    changed = _changes(
        plan,
        {
            "name": name[:80],
            "monthly_price_cents": monthly_price_cents,
            "price_is_minimum": bool(price_is_minimum),
            "max_active_bilans": max_active_bilans,
            "monthly_credits": monthly_credits,
            "features": _clean_lines(features),
            "support_level": (support_level or "").strip()[:120],
            "is_public": bool(is_public),
            "capabilities": [code for code in PLAN_CAPABILITIES if code in capabilities],
        },
    )
    if changed:
        plan.save(update_fields=list(changed))
        _audit(action="plan.updated", actor=actor, target=plan, target_label=plan.name, details={"code": plan.code, "changes": changed})
    return plan


def _unit_price_order_error(credits: int, price_cents: int, others) -> str | None:
    """A bigger pack must cost less per credit than a smaller one (compared exactly)."""
    for other in others:
        if other.credits == credits:
            return f"Un autre pack actif contient déjà {credits} crédits."
        # price / credits < other.price / other.credits  <=>  price * other.credits < other.price * credits
        mine, theirs = price_cents * other.credits, other.price_cents * credits
        if other.credits < credits and not mine < theirs:
            return f"Le prix par crédit doit être inférieur à celui du pack de {other.credits} crédits (plus le pack est grand, moins le crédit coûte)."
        if other.credits > credits and not mine > theirs:
            return f"Le prix par crédit doit être supérieur à celui du pack de {other.credits} crédits (plus le pack est grand, moins le crédit coûte)."
    return None


@transaction.atomic
def pack_update(*, pack: TopUpPack, actor, credits: int, price_cents: int, is_active: bool = True) -> TopUpPack:
    """Staff edit a top-up pack. Active packs keep a unit price that decreases with their size.
    Existing orders keep their credits and amount."""
    _ensure_staff(actor)
    if not isinstance(credits, int) or credits <= 0:
        raise InvalidInput("Un pack contient au moins 1 crédit.", code="invalid_credits")
    if not isinstance(price_cents, int) or price_cents <= 0:
        raise InvalidInput("Le prix d'un pack doit être positif.", code="invalid_price")
    list(TopUpPack.objects.select_for_update().order_by("pk"))  # one catalogue edit at a time
    pack = TopUpPack.objects.get(pk=pack.pk)
    if is_active:
        error = _unit_price_order_error(credits, price_cents, TopUpPack.objects.filter(is_active=True).exclude(pk=pack.pk))
        if error:
            raise InvalidInput(error, code="pack_unit_price_not_decreasing")
    elif Subscription.objects.filter(auto_topup_enabled=True, auto_topup_pack=pack).exists():
        raise Conflict(
            "Ce pack est utilisé par la recharge automatique d'au moins une organisation : il ne peut pas être désactivé.",
            code="pack_in_use",
        )
    changed = _changes(pack, {"credits": credits, "price_cents": price_cents, "is_active": bool(is_active)})
    if changed:
        pack.save(update_fields=list(changed))
        _audit(action="pack.updated", actor=actor, target=pack, target_label=pack.code, details={"code": pack.code, "changes": changed})
    return pack


@transaction.atomic
def forfait_type_update(
    *,
    forfait: ForfaitType,
    actor,
    name: str,
    credits: int,
    validity_months: int,
    max_validity_months: int | None = None,
    is_custom: bool = False,
    features: list[str],
    description: list[str],
    is_active: bool = True,
    planned_actions: list[str] | None = None,
) -> ForfaitType:
    """Staff edit a forfait type: its credits, validity, included features (documents,
    instruments, AI, projects…) and its typical course (barème codes, one per planned step, used
    by the credit forecast; None keeps it). Bilans that already have the forfait keep their
    budget."""
    from plans.selectors import forfait_feature_codes

    _ensure_staff(actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Le nom du forfait est obligatoire.", code="name_required")
    if not isinstance(credits, int) or credits <= 0:
        raise InvalidInput("Un forfait comporte au moins 1 crédit.", code="invalid_credits")
    if not isinstance(validity_months, int) or not 1 <= validity_months <= 60:
        raise InvalidInput("La validité d'un forfait va de 1 à 60 mois.", code="invalid_validity")
    if not is_custom or max_validity_months is None:
        max_validity_months = validity_months
    if not isinstance(max_validity_months, int) or not validity_months <= max_validity_months <= 60:
        raise InvalidInput(
            "La validité maximale doit être comprise entre la validité du forfait et 60 mois.", code="invalid_validity"
        )
    features = list(dict.fromkeys(str(code).strip() for code in features or [] if str(code).strip()))
    unknown = sorted(set(features) - forfait_feature_codes())
    if unknown:
        raise InvalidInput(f"Fonctionnalité inconnue : {', '.join(unknown)}.", code="unknown_feature")
    forfait = ForfaitType.objects.select_for_update().get(pk=forfait.pk)
    if planned_actions is None:
        planned_actions = list(forfait.planned_actions or [])
    unknown = sorted(set(planned_actions) - set(TariffItem.objects.values_list("code", flat=True)))
    if unknown:
        raise InvalidInput(f"Actions inconnues au barème : {', '.join(unknown)}.", code="unknown_action")
    changed = _changes(
        forfait,
        {
            "planned_actions": list(planned_actions),
            "name": name[:80],
            "credits": credits,
            "validity_months": validity_months,
            "max_validity_months": max_validity_months,
            "is_custom": bool(is_custom),
            "features": features,
            "description": _clean_lines(description),
            "is_active": bool(is_active),
        },
    )
    if changed:
        forfait.save(update_fields=list(changed))
        _audit(
            action="forfait_type.updated", actor=actor, target=forfait, target_label=forfait.name, details={"code": forfait.code, "changes": changed}
        )
    return forfait
