from __future__ import annotations

from decimal import Decimal

from django import forms

from bilans.billing.models import BillingSettings, CpfFile, Funder, Payment


MAX_EUROS = Decimal("21474836.47")


def euros_to_cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal("1")))


class FunderForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=Funder.Kind.choices)
    name = forms.CharField(label="Nom ou raison sociale", max_length=200)
    siren = forms.CharField(label="SIREN", max_length=11, required=False, help_text="9 chiffres, obligatoire pour une entreprise ou un organisme.")
    address_line = forms.CharField(label="Adresse", max_length=200, required=False)
    postcode = forms.CharField(label="Code postal", max_length=10, required=False)
    city = forms.CharField(label="Ville", max_length=100, required=False)
    email = forms.EmailField(label="E-mail de facturation", required=False)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Document", choices=[("quote", "Devis"), ("invoice", "Facture")])
    funder = forms.ModelChoiceField(label="Destinataire", queryset=Funder.objects.none())
    label = forms.CharField(label="Désignation", max_length=300, initial="Bilan de compétences")
    quantity = forms.DecimalField(
        label="Quantité", min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), max_digits=9, decimal_places=2, initial=1
    )
    unit = forms.ChoiceField(label="Unité", choices=[("C62", "Forfait"), ("HUR", "Heure")])
    # Amounts are stored as 32-bit integer cents: at most 21 474 836,47 € (a line's total too).
    unit_price = forms.DecimalField(
        label="Prix unitaire HT (€)", min_value=Decimal("0"), max_value=MAX_EUROS, max_digits=10, decimal_places=2
    )
    subrogation = forms.BooleanField(label="Paiement par subrogation (l'OPCO paie pour l'employeur)", required=False)
    on_behalf_of = forms.ModelChoiceField(label="Employeur (subrogation)", queryset=Funder.objects.none(), required=False)
    service_start = forms.DateField(label="Début de la prestation", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service_end = forms.DateField(label="Fin de la prestation", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = Funder.objects.order_by("name")
        self.fields["on_behalf_of"].queryset = Funder.objects.filter(kind="employer").order_by("name")


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label="Motif de l'avoir", max_length=300)
    amount = forms.DecimalField(
        label="Montant TTC (€)", required=False, min_value=Decimal("0.01"), max_value=MAX_EUROS, max_digits=10, decimal_places=2,
        help_text="Laissez vide pour annuler ce qui reste dû (ou toute la facture si elle est payée).",
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label="Montant reçu (€)", min_value=Decimal("0.01"), max_value=MAX_EUROS, max_digits=10, decimal_places=2)
    received_on = forms.DateField(label="Reçu le", widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label="Moyen de paiement", choices=Payment.Method.choices)
    reference = forms.CharField(label="Référence", max_length=100, required=False)


class CpfDeclarationForm(forms.Form):
    previous_bilan_within_five_years = forms.TypedChoiceField(
        label="Un bilan de compétences a-t-il été financé pour cette personne au cours des 5 dernières années ?",
        choices=[("0", "Non"), ("1", "Oui")], coerce=lambda v: v == "1", widget=forms.RadioSelect,
    )
    edof_number = forms.CharField(label="Numéro de dossier EDOF", max_length=40, required=False)
    exemption = forms.ChoiceField(label="Participation forfaitaire", choices=CpfFile.Exemption.choices, required=False)
    confirmed_on = forms.DateField(label="Commande confirmée le", widget=forms.DateInput(attrs={"type": "date"}))


class EdofForm(forms.Form):
    event = forms.ChoiceField(label="Événement", choices=[("entry", "Entrée effective"), ("exit", "Sortie effective"), ("service_done", "Service fait")])
    on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    declared = forms.BooleanField(label="Déjà déclaré sur EDOF", required=False)
    completion_percent = forms.IntegerField(label="Taux de réalisation (%)", min_value=0, max_value=100, required=False)
    partial_reason = forms.ChoiceField(label="Motif si partiel", choices=CpfFile.PartialReason.choices, required=False)
    undelivered_minutes = forms.IntegerField(label="Durée non réalisée (minutes)", min_value=0, required=False)


class BillingSettingsForm(forms.ModelForm):
    class Meta:
        model = BillingSettings
        exclude = ["id"]
