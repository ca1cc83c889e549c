"""Quotes, invoices, credit notes, payments and the CPF file of a bilan (organisation schema).

Money is in integer cents. Numbers are given at issue time from a counter row locked with
SELECT ... FOR UPDATE in the issuing transaction, so they are sequential without gaps even under
concurrent issues (a rolled-back issue does not consume its number). Issued invoices and credit
notes are immutable: a database trigger refuses UPDATE and DELETE (migration 0002); they are
corrected only by credit notes.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

SIREN_RE = r"^[0-9]{9}$"


class BillingSettings(models.Model):
    """The organisation's invoicing identity and accounting parameters (one row, pk=1). The
    organisation's name, SIRET, declaration number and VAT exemption come from the
    Organisation row (public schema); what it does not hold lives here."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    legal_form = models.CharField("forme juridique", max_length=80, blank=True)
    share_capital = models.CharField("capital social", max_length=40, blank=True)
    address_line = models.CharField("adresse", max_length=200, blank=True)
    postcode = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("ville", max_length=100, blank=True)
    vat_number = models.CharField("numéro de TVA intracommunautaire", max_length=20, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField("délai de paiement (jours)", default=30)
    late_penalty_rate = models.CharField(
        "taux des pénalités de retard", max_length=120, default="trois fois le taux d'intérêt légal"
    )
    quote_validity_days = models.PositiveSmallIntegerField("validité des devis (jours)", default=30)
    fiscal_year_end_month = models.PositiveSmallIntegerField("mois de clôture de l'exercice", default=12)
    fiscal_year_end_day = models.PositiveSmallIntegerField("jour de clôture de l'exercice", default=31)
    sales_journal = models.CharField("journal des ventes", max_length=3, default="VE")
    bank_journal = models.CharField("journal de banque", max_length=3, default="BQ")
    revenue_account = models.CharField("compte de produits", max_length=20, default="706000")
    customer_account = models.CharField("compte clients", max_length=20, default="411000")
    bank_account = models.CharField("compte de banque", max_length=20, default="512000")
    vat_account = models.CharField("compte de TVA collectée", max_length=20, default="445710")

    class Meta:
        verbose_name = "réglages de facturation"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="billing_settings_singleton"),
            models.CheckConstraint(
                condition=models.Q(fiscal_year_end_month__gte=1, fiscal_year_end_month__lte=12)
                & models.Q(fiscal_year_end_day__gte=1, fiscal_year_end_day__lte=31),
                name="billing_settings_fiscal_end_valid",
            ),
        ]


class Funder(models.Model):
    """Who an invoice is addressed to: the Caisse des Dépôts for the CPF, an OPCO, an employer,
    France Travail, the beneficiary themself (self-funded) or another payer."""

    class Kind(models.TextChoices):
        CPF = "cpf", "CPF (Caisse des Dépôts – Mon Compte Formation)"
        OPCO = "opco", "OPCO"
        EMPLOYER = "employer", "Employeur"
        FRANCE_TRAVAIL = "france_travail", "France Travail"
        BENEFICIARY = "beneficiary", "Bénéficiaire (financement personnel)"
        OTHER = "other", "Autre financeur"

    COMPANY_KINDS = (Kind.CPF, Kind.OPCO, Kind.EMPLOYER, Kind.FRANCE_TRAVAIL)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    address_line = models.CharField("adresse", max_length=200, blank=True)
    postcode = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("ville", max_length=100, blank=True)
    email = models.EmailField("e-mail de facturation", blank=True)
    beneficiary = models.ForeignKey(
        "bilans.Beneficiary", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="bénéficiaire"
    )
    account_code = models.CharField("compte auxiliaire", max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "financeur"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["cpf", "opco", "employer", "france_travail", "beneficiary", "other"]),
                name="funder_kind_valid",
            ),
            models.CheckConstraint(condition=models.Q(siren="") | models.Q(siren__regex=SIREN_RE), name="funder_siren_format"),
            # EI-02: a company client is identified by its SIREN on every invoice.
            models.CheckConstraint(
                condition=models.Q(kind__in=["beneficiary", "other"]) | ~models.Q(siren=""), name="funder_company_has_siren"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_company(self) -> bool:
        return self.kind in self.COMPANY_KINDS or bool(self.siren)


class DocumentCounter(models.Model):
    """The last number given for a kind of document and a year. Locked FOR UPDATE by the issuing
    transaction: the numbering is gapless and without duplicates."""

    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="document_counter_unique")]


class BillingDocument(models.Model):
    """A quote (devis), an invoice (facture) or a credit note (avoir) of one bilan, addressed
    to one funder."""

    class Kind(models.TextChoices):
        QUOTE = "quote", "Devis"
        INVOICE = "invoice", "Facture"
        CREDIT_NOTE = "credit_note", "Avoir"

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        ISSUED = "issued", "Émis"
        ACCEPTED = "accepted", "Accepté"
        REFUSED = "refused", "Refusé"

    PREFIX = {"quote": "DE", "invoice": "FA", "credit_note": "AV"}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField("numéro", max_length=30, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.PROTECT, related_name="billing_documents")
    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, related_name="documents", verbose_name="destinataire")
    # Subrogation: the OPCO (funder) pays the organisation directly for the employer's bilan.
    subrogation = models.BooleanField("paiement par subrogation", default=False)
    on_behalf_of = models.ForeignKey(
        Funder, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="pour le compte de"
    )
    title = models.CharField("objet", max_length=200, default="Bilan de compétences")
    issued_on = models.DateField("date d'émission", null=True, blank=True)
    due_on = models.DateField("échéance", null=True, blank=True)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    service_start = models.DateField("début de la prestation", null=True, blank=True)
    service_end = models.DateField("fin de la prestation", null=True, blank=True)
    quote = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    credited_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes", verbose_name="facture corrigée"
    )
    reason = models.CharField("motif", max_length=300, blank=True)
    vat_rate_bp = models.PositiveSmallIntegerField("taux de TVA (points de base)", default=0)
    total_ht_cents = models.PositiveIntegerField("total HT (centimes)", default=0)
    vat_cents = models.PositiveIntegerField("TVA (centimes)", default=0)
    total_ttc_cents = models.PositiveIntegerField("total TTC (centimes)", default=0)
    # Frozen at issue: what the document said, whatever changes afterwards.
    seller = models.JSONField(default=dict, blank=True)
    buyer = models.JSONField(default=dict, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["kind", "status", "issued_on"], name="billing_doc_kind_status_idx"),
            models.Index(fields=["bilan", "kind"], name="billing_doc_bilan_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["quote", "invoice", "credit_note"]), name="billing_doc_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "issued", "accepted", "refused"]), name="billing_doc_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="quote") | models.Q(status__in=["draft", "issued"]), name="billing_doc_accept_only_quotes"
            ),
            models.UniqueConstraint(fields=["kind", "number"], condition=~models.Q(number=""), name="billing_doc_number_unique"),
            models.UniqueConstraint(
                fields=["kind", "year", "sequence"], condition=models.Q(sequence__isnull=False), name="billing_doc_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | (~models.Q(number="") & models.Q(issued_on__isnull=False)),
                name="billing_doc_issued_is_numbered",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="credit_note") | models.Q(credited_invoice__isnull=False),
                name="billing_credit_note_has_invoice",
            ),
            models.CheckConstraint(
                condition=models.Q(total_ttc_cents=models.F("total_ht_cents") + models.F("vat_cents")), name="billing_doc_totals"
            ),
            models.CheckConstraint(
                condition=~models.Q(subrogation=True) | models.Q(on_behalf_of__isnull=False), name="billing_subrogation_has_company"
            ),
            models.CheckConstraint(condition=models.Q(vat_rate_bp__lte=10000), name="billing_vat_rate_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or '(brouillon)'}"

    @property
    def is_issued(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_locked(self) -> bool:
        return self.kind != self.Kind.QUOTE and self.status == self.Status.ISSUED


class BillingLine(models.Model):
    document = models.ForeignKey(BillingDocument, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField("désignation", max_length=300)
    quantity = models.DecimalField("quantité", max_digits=9, decimal_places=2, default=1)
    unit = models.CharField("unité", max_length=3, default="C62")  # UN/ECE rec 20: C62 unit, HUR hour
    unit_price_cents = models.PositiveIntegerField("prix unitaire HT (centimes)")
    total_cents = models.PositiveIntegerField("total HT (centimes)")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="billing_line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit__in=["C62", "HUR"]), name="billing_line_unit_valid"),
        ]


class QuoteShare(models.Model):
    """How a quoted price is split between funders (e.g. CPF up to its cap, the rest by the
    employer through its OPCO, or the beneficiary)."""

    quote = models.ForeignKey(BillingDocument, on_delete=models.CASCADE, related_name="shares")
    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    subrogation = models.BooleanField(default=False)
    on_behalf_of = models.ForeignKey(Funder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="quote_share_positive"),
            models.UniqueConstraint(fields=["quote", "funder"], name="quote_share_one_per_funder"),
        ]


class Payment(models.Model):
    class Method(models.TextChoices):
        TRANSFER = "transfer", "Virement"
        CHEQUE = "cheque", "Chèque"
        CARD = "card", "Carte bancaire"
        CDC = "cdc", "Paiement Caisse des Dépôts (EDOF)"
        STRIPE = "stripe", "Paiement en ligne"
        OTHER = "other", "Autre"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey(BillingDocument, on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    received_on = models.DateField("reçu le")
    method = models.CharField("moyen de paiement", max_length=20, choices=Method.choices, default=Method.TRANSFER)
    reference = models.CharField("référence", max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="payment_positive")]


class PaymentReminder(models.Model):
    invoice = models.ForeignKey(BillingDocument, on_delete=models.PROTECT, related_name="reminders")
    sent_at = models.DateTimeField()
    sent_to = models.EmailField(blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-sent_at"]


class CpfFile(models.Model):
    """The CPF side of a bilan: the 5-year declaration (CPF-03), the participation forfaitaire
    (CPF-05), the rights used within the cap (CPF-04) and the EDOF declarations with their
    3-working-day deadlines (CPF-06)."""

    class Exemption(models.TextChoices):
        NONE = "", "Participation due"
        JOBSEEKER = "jobseeker", "Demandeur d'emploi"
        EMPLOYER_TOP_UP = "employer_top_up", "Abondement de l'employeur"
        C2P = "c2p", "Compte professionnel de prévention (C2P)"
        ATMP = "atmp", "Abondement reconversion AT-MP"

    class PartialReason(models.TextChoices):
        NONE = "", "—"
        ABANDON = "abandon", "Abandon ou absence"
        INTERRUPTION = "interruption", "Interruption"
        FORCE_MAJEURE = "force_majeure", "Force majeure"

    bilan = models.OneToOneField("bilans.Bilan", on_delete=models.PROTECT, related_name="cpf_file")
    edof_number = models.CharField("numéro de dossier EDOF", max_length=40, blank=True)
    # CPF-03: the beneficiary declares whether a bilan was funded in the previous five years.
    five_year_declared_at = models.DateTimeField("déclaration des 5 ans le", null=True, blank=True)
    previous_bilan_within_five_years = models.BooleanField("bilan financé dans les 5 dernières années", null=True, blank=True)
    five_year_declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    participation_exemption = models.CharField("exonération de participation", max_length=20, choices=Exemption.choices, blank=True)
    participation_cents = models.PositiveIntegerField("participation forfaitaire (centimes)", default=0)
    cpf_amount_cents = models.PositiveIntegerField("droits CPF mobilisés (centimes)", default=0)
    entry_date = models.DateField("entrée effective", null=True, blank=True)
    entry_declared_at = models.DateTimeField("entrée déclarée sur EDOF le", null=True, blank=True)
    exit_date = models.DateField("sortie effective", null=True, blank=True)
    exit_declared_at = models.DateTimeField("sortie déclarée sur EDOF le", null=True, blank=True)
    service_done_declared_at = models.DateTimeField("service fait déclaré le", null=True, blank=True)
    completion_percent = models.PositiveSmallIntegerField("taux de réalisation (%)", null=True, blank=True)
    partial_reason = models.CharField("motif de réalisation partielle", max_length=20, choices=PartialReason.choices, blank=True)
    undelivered_minutes = models.PositiveIntegerField("durée non réalisée (minutes)", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "dossier CPF"
        constraints = [
            # CPF-04: at most 1 600 € of CPF rights per bilan.
            models.CheckConstraint(condition=models.Q(cpf_amount_cents__lte=160000), name="cpf_amount_within_cap"),
            models.CheckConstraint(
                condition=models.Q(completion_percent__isnull=True) | models.Q(completion_percent__lte=100),
                name="cpf_completion_percent_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(completion_percent__isnull=True)
                | models.Q(completion_percent=100)
                | ~models.Q(partial_reason=""),
                name="cpf_partial_has_reason",
            ),
        ]


class OnlinePayment(models.Model):
    """A Stripe Checkout session opened by a self-funded beneficiary to pay an invoice. The
    webhook records the payment only against a session found here, for the same invoice and the
    same amount (the metadata of a Stripe event is never trusted alone), and at most once."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        PAID = "paid", "Payé"
        REJECTED = "rejected", "Refusé (à vérifier)"
        EXPIRED = "expired", "Remplacé par un paiement plus récent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey(BillingDocument, on_delete=models.PROTECT, related_name="online_payments")
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    stripe_session_id = models.CharField("session Stripe", max_length=255, blank=True)
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="online_payment")
    rejection = models.CharField("motif du refus", max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="online_payment_positive"),
            models.CheckConstraint(condition=models.Q(status__in=["pending", "paid", "rejected", "expired"]), name="online_payment_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(payment__isnull=False), name="online_payment_paid_has_payment"
            ),
            models.UniqueConstraint(
                fields=["stripe_session_id"], condition=~models.Q(stripe_session_id=""), name="online_payment_session_unique"
            ),
        ]
