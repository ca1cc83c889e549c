"""Plans, subscriptions, forfaits, tariff, orders and the credit ledger (public schema).

The ledger is double entry: every movement is one immutable ``LedgerEntry`` from one
``CreditAccount`` to another. Accounts of an organisation: its wallet, one budget per bilan and
sinks (granted, purchased, consumed, expired, adjustment). Wallet and budget balances are cached
in the account row by a database trigger on the insertion of an entry (migration 0004): the
balance is the sum of the entries by construction, a CHECK keeps it >= 0 and another trigger
refuses any other change of it. Sinks do not cache a balance (it would make every charge of an
organisation wait on one hot row); theirs is computed from the entries.

Credits arrive in lots (``CreditLot``) that may expire; money leaves the lots of an account
first-expiring first (``LotMovement`` records which lot paid for which entry).
"""
from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q


# What a plan unlocks beyond its numbers (active bilans, monthly credits): checked by
# ``plans.selectors.plan_allows`` and listed on the pricing page from the same data.
PLAN_CAPABILITIES = {
    "branding": "Personnalisation à vos couleurs (logo et couleur de l'organisme)",
    "credit_transfers": "Transferts de crédits entre bilans",
}


class Plan(models.Model):
    """A subscription plan, as data editable by staff (seeded by migration 0002)."""

    code = models.SlugField(unique=True)
    name = models.CharField("nom", max_length=80)
    monthly_price_cents = models.PositiveIntegerField("prix mensuel HT (centimes)")
    price_is_minimum = models.BooleanField("prix « à partir de » (sur devis)", default=False)
    max_active_bilans = models.PositiveIntegerField("bilans actifs maximum", null=True, blank=True, help_text="Vide = illimité")
    monthly_credits = models.PositiveIntegerField("crédits mensuels inclus", default=0)
    features = models.JSONField("fonctionnalités", default=list, blank=True)
    capabilities = models.JSONField(
        "fonctionnalités réservées (codes)", default=list, blank=True, help_text="Codes de PLAN_CAPABILITIES débloqués par la formule"
    )
    support_level = models.CharField("support", max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_public = models.BooleanField("affiché sur la page tarifs", default=True)

    class Meta:
        ordering = ["position"]
        verbose_name = "formule"

    def __str__(self) -> str:
        return self.name


class CreditRules(models.Model):
    """Staff-configurable rules (one row, pk=1): trial grant, validity, renewal."""

    trial_days = models.PositiveSmallIntegerField("durée de l'essai (jours)", default=14)
    trial_credits = models.PositiveIntegerField(
        "crédits offerts pendant l'essai",
        default=100,
        help_text="Au moins le prix du forfait le moins cher, pour qu'un nouvel espace puisse mener un bilan complet.",
    )
    pack_validity_days = models.PositiveIntegerField("validité des crédits achetés (jours)", default=365)
    topup_validity_extension_days = models.PositiveIntegerField(
        "prolongation des crédits existants à chaque recharge (jours)", default=0
    )
    renewal_bonus_percent = models.PositiveSmallIntegerField("bonus de renouvellement (% des crédits mensuels)", default=0)
    carry_over_percent = models.PositiveSmallIntegerField("report des crédits mensuels non utilisés (%)", default=0)

    class Meta:
        verbose_name = "règles des crédits"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="creditrules_singleton"),
            models.CheckConstraint(condition=Q(carry_over_percent__lte=100), name="creditrules_carry_over_percent"),
            models.CheckConstraint(condition=Q(renewal_bonus_percent__lte=100), name="creditrules_bonus_percent"),
        ]


class ForfaitType(models.Model):
    """A forfait sold to a beneficiary: credits allocated to the bilan, validity, features."""

    code = models.SlugField(unique=True)
    name = models.CharField("nom", max_length=80)
    credits = models.PositiveIntegerField("crédits")
    validity_months = models.PositiveSmallIntegerField("validité (mois)")
    max_validity_months = models.PositiveSmallIntegerField("validité maximale (mois)")
    is_custom = models.BooleanField("sur mesure (crédits et durée ajustables)", default=False)
    description = models.JSONField("contenu", default=list, blank=True)
    features = models.JSONField("fonctionnalités incluses (codes)", default=list, blank=True)
    planned_actions = models.JSONField("parcours type (codes du barème, pour la prévision)", default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]
        verbose_name = "type de forfait"
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="forfait_credits_positive"),
            models.CheckConstraint(
                condition=Q(validity_months__gt=0) & Q(max_validity_months__gte=models.F("validity_months")),
                name="forfait_validity_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TariffItem(models.Model):
    """One line of the barème: what an action costs in credits."""

    class Category(models.TextChoices):
        DOCUMENT = "document", "Documents"
        ASSESSMENT = "assessment", "Évaluations"
        AI = "ai", "Intelligence artificielle"
        CONSULTANT = "consultant", "Consultant"

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField("libellé", max_length=120)
    category = models.CharField("catégorie", max_length=20, choices=Category.choices)
    credits = models.PositiveIntegerField("crédits")
    per_hour = models.BooleanField("par heure", default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = "ligne du barème"

    def __str__(self) -> str:
        return self.label


class TopUpPack(models.Model):
    code = models.SlugField(unique=True)
    credits = models.PositiveIntegerField("crédits")
    price_cents = models.PositiveIntegerField("prix HT (centimes)")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]
        verbose_name = "pack de recharge"
        constraints = [models.CheckConstraint(condition=Q(credits__gt=0), name="pack_credits_positive")]

    def __str__(self) -> str:
        return f"{self.credits} crédits"

    @property
    def unit_price_cents(self) -> float:
        return self.price_cents / self.credits


class Subscription(models.Model):
    """An organisation's subscription. With Stripe its status follows Stripe's webhooks; in
    manual mode staff mark orders paid and the scheduled job renews the period."""

    class Status(models.TextChoices):
        TRIALING = "trialing", "Essai"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Paiement en attente"
        CANCELED = "canceled", "Résiliée"
        INCOMPLETE = "incomplete", "Incomplète"

    organisation = models.OneToOneField("tenants.Organisation", on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.TRIALING)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    stripe_status_at = models.DateTimeField(
        null=True, blank=True, help_text="Date (Stripe) du dernier événement appliqué : un événement plus ancien est ignoré"
    )
    auto_topup_enabled = models.BooleanField("recharge automatique", default=False)
    auto_topup_threshold = models.PositiveIntegerField("seuil de recharge automatique (crédits)", default=0)
    auto_topup_pack = models.ForeignKey(TopUpPack, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "abonnement"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["trialing", "active", "past_due", "canceled", "incomplete"]), name="subscription_status_valid"
            ),
            models.UniqueConstraint(
                fields=["stripe_subscription_id"], condition=~Q(stripe_subscription_id=""), name="subscription_stripe_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(auto_topup_enabled=False) | Q(auto_topup_pack__isnull=False), name="subscription_auto_topup_has_pack"
            ),
        ]


class CreditAccount(models.Model):
    class Kind(models.TextChoices):
        WALLET = "wallet", "Portefeuille de l'organisation"
        BUDGET = "budget", "Budget d'un bilan"
        GRANTED = "granted", "Crédits offerts (source)"
        PURCHASED = "purchased", "Crédits achetés (source)"
        CONSUMED = "consumed", "Crédits consommés"
        EXPIRED = "expired", "Crédits expirés"
        ADJUSTMENT = "adjustment", "Ajustements de l'équipe plateforme"

    TRACKED = ("wallet", "budget")
    SINKS = ("granted", "purchased", "consumed", "expired", "adjustment")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="credit_accounts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    bilan_id = models.UUIDField(null=True, blank=True, help_text="Bilan (schéma de l'organisation) d'un budget")
    forfait_code = models.SlugField(blank=True)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Fin de validité du forfait")
    # Maintained by the database trigger on LedgerEntry insertion only (see migration 0004).
    balance = models.BigIntegerField(default=0, editable=False)
    total_in = models.BigIntegerField(default=0, editable=False)
    # Threshold alerts: percentages are of ``alert_base``, the balance right after the last inflow.
    alert_base = models.BigIntegerField(default=0)
    alert_level = models.PositiveSmallIntegerField(default=0)
    alert_cycle = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "compte de crédits"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["wallet", "budget", "granted", "purchased", "consumed", "expired", "adjustment"]),
                name="creditaccount_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind="budget") & Q(bilan_id__isnull=False)) | (~Q(kind="budget") & Q(bilan_id__isnull=True)),
                name="creditaccount_budget_has_bilan",
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="creditaccount_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["wallet", "budget"]) | (Q(balance=0) & Q(total_in=0)), name="creditaccount_sink_untracked"
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind"], condition=~Q(kind="budget"), name="creditaccount_one_per_kind"
            ),
            models.UniqueConstraint(fields=["organisation", "bilan_id"], name="creditaccount_one_budget_per_bilan"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.bilan_id or self.organisation_id})"


class LedgerEntry(models.Model):
    """An immutable transfer of ``amount`` credits from ``debit_account`` to ``credit_account``."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Crédits offerts"
        PURCHASE = "purchase", "Achat"
        ALLOCATION = "allocation", "Attribution à un bilan"
        CHARGE = "charge", "Consommation"
        REFUND = "refund", "Remboursement"
        EXPIRY = "expiry", "Expiration"
        TRANSFER = "transfer", "Transfert entre bilans"
        ADJUSTMENT = "adjustment", "Ajustement"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    debit_account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="debits")
    credit_account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="credits")
    amount = models.PositiveIntegerField()
    bilan_id = models.UUIDField(null=True, blank=True, db_index=True)
    action_code = models.CharField(max_length=60, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_credits = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=200)
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="Utilisateur (schéma de l'organisation ou public)")
    actor_email = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    order = models.ForeignKey("plans.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "écriture de crédits"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["debit_account", "created_at"]),
            models.Index(fields=["credit_account", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["grant", "purchase", "allocation", "charge", "refund", "expiry", "transfer", "adjustment"]),
                name="ledgerentry_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(debit_account=models.F("credit_account")), name="ledgerentry_two_accounts"),
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(kind="charge"), name="ledgerentry_amount_positive"),
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledgerentry_adjustment_has_reason"),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="ledgerentry_idempotency_key_required"),
            models.UniqueConstraint(fields=["organisation", "idempotency_key"], name="ledgerentry_idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class CreditLot(models.Model):
    """Credits that arrived in a wallet or budget together, with their expiry date."""

    class Source(models.TextChoices):
        TRIAL = "trial", "Essai"
        ALLOWANCE = "allowance", "Crédits mensuels"
        BONUS = "bonus", "Bonus de renouvellement"
        CARRY_OVER = "carry_over", "Report"
        PURCHASE = "purchase", "Recharge"
        ALLOCATION = "allocation", "Forfait"
        TRANSFER = "transfer", "Transfert"
        ADJUSTMENT = "adjustment", "Ajustement"
        REFUND = "refund", "Remboursement"

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="lots")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lots")
    source = models.CharField(max_length=20, choices=Source.choices)
    amount = models.PositiveIntegerField()
    remaining = models.PositiveIntegerField()
    expired = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    period_key = models.CharField(max_length=120, blank=True, help_text="Période d'abonnement (crédits mensuels)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "lot de crédits"
        indexes = [models.Index(fields=["account", "expires_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(remaining__lte=models.F("amount")), name="creditlot_remaining_le_amount"),
            models.CheckConstraint(
                condition=Q(expired__lte=models.F("amount") - models.F("remaining")), name="creditlot_expired_le_used"
            ),
        ]


class LotMovement(models.Model):
    """Which lot paid (``amount`` > 0 leaving) for which entry."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lot_movements")
    lot = models.ForeignKey(CreditLot, on_delete=models.PROTECT, related_name="movements")
    amount = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="lotmovement_amount_positive")]


class CreditAlert(models.Model):
    """One threshold crossing of an account, notified once (unique per account, cycle, threshold)."""

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="alerts")
    cycle = models.PositiveIntegerField()
    threshold = models.PositiveSmallIntegerField()
    balance = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "cycle", "threshold"], name="creditalert_once_per_crossing"),
            models.CheckConstraint(condition=Q(threshold__in=[75, 90, 100]), name="creditalert_threshold_valid"),
        ]


REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or copied by hand


def order_reference_new() -> str:
    """A short reference the customer writes on their bank transfer, e.g. « BP-7K4F-9QX2 »."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"BP-{chars[:4]}-{chars[4:]}"


class Order(models.Model):
    """A purchase: a credit pack, an automatic top-up or a subscription. Paid through Stripe
    Checkout, or marked paid by staff in manual mode; either way credits come from
    ``order_mark_paid`` through the ledger."""

    class Kind(models.TextChoices):
        PACK = "pack", "Pack de crédits"
        AUTO_TOPUP = "auto_topup", "Recharge automatique"
        SUBSCRIPTION = "subscription", "Abonnement"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de paiement"
        PAID = "paid", "Payée"
        CANCELED = "canceled", "Annulée"
        FAILED = "failed", "Paiement refusé"

    class PaymentMode(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        MANUAL = "manual", "Manuel (virement, validé par l'équipe)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(
        "référence", max_length=20, default=order_reference_new, editable=False, help_text="À indiquer dans le libellé du virement"
    )
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    pack = models.ForeignKey(TopUpPack, null=True, blank=True, on_delete=models.PROTECT)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT)
    credits = models.PositiveIntegerField(default=0)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payment_mode = models.CharField(max_length=20, choices=PaymentMode.choices)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    created_by_email = models.CharField(max_length=254, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_marked_by = models.CharField(max_length=254, blank=True, help_text="E-mail de l'équipe (mode manuel) ou « stripe »")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "commande"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["pack", "auto_topup", "subscription"]), name="order_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=["pending", "paid", "canceled", "failed"]), name="order_status_valid"),
            models.CheckConstraint(condition=Q(payment_mode__in=["stripe", "manual"]), name="order_payment_mode_valid"),
            models.UniqueConstraint(fields=["reference"], name="order_reference_unique"),
            models.CheckConstraint(condition=~Q(reference=""), name="order_reference_required"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_at__isnull=False), name="order_paid_has_date"),
            models.CheckConstraint(
                condition=Q(kind="subscription", plan__isnull=False) | (~Q(kind="subscription") & Q(pack__isnull=False)),
                name="order_has_product",
            ),
        ]


class StripeEvent(models.Model):
    """Each Stripe webhook event, stored once (unique id) and processed in a transaction."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="Date de l'événement chez Stripe")
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
